//! The ACL container: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOG,
//! DRYRUN, SAVE, LOAD, HELP.

mod decl;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_rules;

pub use decl::ACL;

/// The ACL family's declarations.
pub const COMMANDS: &[crate::command::CommandSpec] = &[decl::ACL];

use crate::acl::check::{self, Denied};
use crate::acl::user::{has_space, Selector};
use crate::command::find_subcommand;
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use bytes::Bytes;
use shoal_resp::{Frame, Protocol};

/// `ACL SETUSER username [rule ...]`: all rules apply, or none.
fn setuser(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.args.bytes()?;
    let rules = ctx.args.rest();
    if has_space(&name) {
        return Err(CmdError::Msg(
            "Usernames can't contain spaces or null characters",
        ));
    }
    let inner = ctx.engine();
    let _writing = inner.acl.writer.lock();
    let old = inner.acl.get(&name);
    let user = inner
        .acl
        .set_user(&inner.config, &name, &rules)
        .map_err(CmdError::text)?;
    if let Some(old) = old {
        inner.acl_kill_subscribers_if_needed(&old, &user);
    }
    inner.acl.install(vec![user]);
    Ok(Frame::ok())
}

fn selector_fields(s: &Selector) -> Vec<(Frame, Frame)> {
    vec![
        (Frame::bulk("commands"), Frame::bulk(s.describe_commands())),
        (Frame::bulk("keys"), Frame::bulk(s.describe_keys())),
        (Frame::bulk("channels"), Frame::bulk(s.describe_channels())),
    ]
}

/// `ACL GETUSER username`: flags, password hashes, root permissions and selectors.
fn getuser(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.args.bytes()?;
    let Some(u) = ctx.engine().acl.get(&name) else {
        return Ok(Frame::Null);
    };
    let flags: Vec<Frame> = u.flag_names().into_iter().map(Frame::bulk).collect();
    let flags = match ctx.session.protocol {
        Protocol::Resp3 => Frame::Set(flags),
        _ => Frame::Array(flags),
    };
    let mut fields = vec![
        (Frame::bulk("flags"), flags),
        (
            Frame::bulk("passwords"),
            Frame::Array(u.passwords.iter().map(Frame::bulk).collect()),
        ),
    ];
    fields.extend(selector_fields(u.root()));
    let selectors = u.selectors[1..]
        .iter()
        .map(|s| Frame::Map(selector_fields(s)))
        .collect();
    fields.push((Frame::bulk("selectors"), Frame::Array(selectors)));
    Ok(Frame::Map(fields))
}

/// `ACL DELUSER username [username ...]`: the number deleted; their clients are closed.
fn deluser(ctx: &mut Ctx<'_>) -> CmdResult {
    let names = ctx.args.rest();
    if names.iter().any(|n| n.as_ref() == b"default") {
        return Err(CmdError::Msg("The 'default' user cannot be removed"));
    }
    let inner = ctx.engine();
    let _writing = inner.acl.writer.lock();
    let existing: Vec<Bytes> = names
        .iter()
        .filter(|n| inner.acl.get(n).is_some())
        .cloned()
        .collect();
    let n = inner.acl.remove(&existing);
    inner.acl_kill_clients_of(&existing);
    Ok(Frame::Integer(n as i64))
}

/// `ACL LIST`: every user in configuration-file form.
fn list(ctx: &mut Ctx<'_>) -> CmdResult {
    let users = ctx.engine().acl.users();
    Ok(Frame::Array(
        users
            .iter()
            .map(|u| {
                let mut line = b"user ".to_vec();
                line.extend_from_slice(&u.name);
                line.push(b' ');
                line.extend_from_slice(u.describe().as_bytes());
                Frame::Bulk(Bytes::from(line))
            })
            .collect(),
    ))
}

/// `ACL USERS`: every user name.
fn users(ctx: &mut Ctx<'_>) -> CmdResult {
    let users = ctx.engine().acl.users();
    Ok(Frame::Array(
        users.iter().map(|u| Frame::Bulk(u.name.clone())).collect(),
    ))
}

/// `ACL WHOAMI`.
fn whoami(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::Bulk(ctx.session.acl.username().clone()))
}

/// `ACL CAT [category]`: the categories, or the commands of one.
fn cat(ctx: &mut Ctx<'_>) -> CmdResult {
    let Some(name) = ctx.args.next_arg() else {
        return Ok(Frame::Array(
            crate::command::acl::NAMES
                .iter()
                .map(|(_, n)| Frame::bulk(n))
                .collect(),
        ));
    };
    let text = String::from_utf8_lossy(&name).into_owned();
    let Some(flag) = crate::acl::category_flag(&text) else {
        let shown: String = text.chars().take(128).collect();
        return Err(CmdError::text(format!("Unknown category '{shown}'")));
    };
    let ids = &ctx.engine().acl.ids;
    Ok(Frame::Array(
        ids.names_in(flag).into_iter().map(Frame::bulk).collect(),
    ))
}

/// `ACL GENPASS [bits]`: a random password of `bits` bits (256 by default) in hex.
fn genpass(ctx: &mut Ctx<'_>) -> CmdResult {
    let bits = match ctx.args.next_arg() {
        None => 256,
        Some(b) => crate::util::num::parse_i64(&b)
            .ok_or(CmdError::Msg("value is not an integer or out of range"))?,
    };
    if !(1..=4096).contains(&bits) {
        return Err(CmdError::Msg(
            "ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to 4096",
        ));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut random = os_random(chars.div_ceil(2));
    if random.len() * 2 < chars {
        random = (0..chars.div_ceil(2))
            .map(|_| ctx.rng().next_u64() as u8)
            .collect();
    }
    let hex: String = random
        .iter()
        .flat_map(|b| [b >> 4, b & 15])
        .take(chars)
        .map(|n| char::from(b"0123456789abcdef"[usize::from(n)]))
        .collect();
    Ok(Frame::bulk(hex))
}

/// Bytes from the operating system's secure random source: a password must not be
/// predictable from the session's seeded generator. Empty if there is none.
fn os_random(n: usize) -> Vec<u8> {
    use std::io::Read;
    let mut buf = vec![0u8; n];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)) {
        Ok(()) => buf,
        Err(_) => Vec::new(),
    }
}

/// `ACL LOG [count | RESET]`.
fn log(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut count = 10usize;
    if let Some(arg) = ctx.args.next_arg() {
        if arg.eq_ignore_ascii_case(b"RESET") {
            ctx.engine().acl.log.lock().reset();
            return Ok(Frame::ok());
        }
        let n = crate::util::num::parse_i64(&arg)
            .ok_or(CmdError::Msg("value is not an integer or out of range"))?;
        count = n.max(0) as usize;
    }
    Ok(ctx.engine().acl.log.lock().reply(count, ctx.now_ms))
}

/// `ACL DRYRUN username command [arg ...]`: OK, or why the user may not run it.
fn dryrun(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.args.bytes()?;
    let argv = ctx.args.rest();
    let inner = ctx.engine();
    let Some(user) = inner.acl.get(&name) else {
        return Err(CmdError::text(format!(
            "User '{}' not found",
            String::from_utf8_lossy(&name)
        )));
    };
    let not_found = || {
        CmdError::text(format!(
            "Command '{}' not found",
            String::from_utf8_lossy(&argv[0])
        ))
    };
    let top = inner.commands().get(&argv[0]).ok_or_else(not_found)?;
    let spec = match argv.get(1) {
        Some(sub) if !top.subcommands.is_empty() => {
            find_subcommand(top, sub).ok_or_else(not_found)?
        }
        _ => top,
    };
    if !spec.arity_ok(argv.len()) {
        return Err(CmdError::text(format!(
            "wrong number of arguments for '{}' command",
            spec.name
        )));
    }
    let who = String::from_utf8_lossy(&user.name).into_owned();
    Ok(match check::check(&user, &inner.acl.ids, spec, &argv) {
        Ok(()) => Frame::ok(),
        Err(Denied::Command) => Frame::bulk(format!(
            "User {who} has no permissions to run the '{}' command",
            spec.name
        )),
        Err(Denied::Key(i)) => Frame::bulk(format!(
            "User {who} has no permissions to access the '{}' key",
            String::from_utf8_lossy(&argv[i])
        )),
        Err(Denied::Channel(i)) => Frame::bulk(format!(
            "User {who} has no permissions to access the '{}' channel",
            String::from_utf8_lossy(&argv[i])
        )),
    })
}

fn aclfile(ctx: &Ctx<'_>) -> Result<String, CmdError> {
    let path = ctx.engine().config.get("aclfile").unwrap_or_default();
    if path.is_empty() {
        return Err(CmdError::Msg(
            "This Redis instance is not configured to use an ACL file. You may want to specify \
             users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you \
             have a Redis configuration file set) in order to store users in the Redis \
             configuration.",
        ));
    }
    Ok(path)
}

/// `ACL SAVE`: writes every user to the ACL file.
fn save(ctx: &mut Ctx<'_>) -> CmdResult {
    let path = aclfile(ctx)?;
    match crate::acl::save_file(&ctx.engine().acl, &path) {
        Ok(()) => Ok(Frame::ok()),
        Err(e) => {
            tracing::warn!("Writing ACL file for ACL SAVE: {e}");
            Err(CmdError::Msg(
                "There was an error trying to save the ACLs. Please check the server logs for \
                 more information",
            ))
        }
    }
}

/// `ACL LOAD`: replaces every user with the ACL file's, or changes nothing if it has
/// errors; clients of users that no longer exist are closed, and so are subscribers whose
/// subscriptions their user's new rules no longer allow.
fn load(ctx: &mut Ctx<'_>) -> CmdResult {
    let path = aclfile(ctx)?;
    let inner = ctx.engine();
    let _writing = inner.acl.writer.lock();
    let users = crate::acl::parse_file(&inner.acl, &inner.config, &path).map_err(CmdError::text)?;
    let gone: Vec<Bytes> = inner
        .acl
        .users()
        .iter()
        .map(|u| u.name.clone())
        .filter(|n| !users.contains_key(n))
        .collect();
    for (name, new) in &users {
        if let Some(old) = inner.acl.get(name) {
            inner.acl_kill_subscribers_if_needed(&old, new);
        }
    }
    inner.acl.replace_all(users);
    inner.acl_kill_clients_of(&gone);
    Ok(Frame::ok())
}

/// `ACL HELP`.
fn help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(crate::commands::connection::help_reply(
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        decl::HELP,
    ))
}
