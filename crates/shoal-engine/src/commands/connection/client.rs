//! The CLIENT container: identity, naming, reply modes, eviction/touch flags, KILL.
//! The LIST/INFO line format lives in `client_list.rs`.

use super::client_list::{client_info, client_list, ClientType};
use super::client_tracking::{client_caching, client_getredir, client_trackinginfo};
use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::session::ReplyMode;
use shoal_resp::Frame;
use std::sync::atomic::Ordering::Relaxed;

/// Refuses client names (and library names) with characters outside `!`..`~`.
pub(crate) fn validate_name(name: &[u8]) -> Result<(), CmdError> {
    if name.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        Ok(())
    } else {
        Err(CmdError::Msg(
            "Client names cannot contain spaces, newlines or special characters.",
        ))
    }
}

/// `CLIENT UNBLOCK client-id [TIMEOUT|ERROR]`: answers a client blocked on keys as if it
/// timed out, or with the UNBLOCKED error; 1 if it was blocked.
fn client_unblock(ctx: &mut Ctx<'_>) -> CmdResult {
    let id = ctx.args.int()?;
    let error = match ctx.args.next_arg() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case(b"TIMEOUT") => false,
        Some(w) if w.eq_ignore_ascii_case(b"ERROR") => true,
        Some(_) => {
            return Err(CmdError::Msg(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    ctx.args.finish()?;
    let unblocked = id > 0 && ctx.engine().unblock_client(id as u64, error);
    Ok(Frame::Integer(i64::from(unblocked)))
}

/// `CLIENT ID`.
fn client_id(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::Integer(ctx.session.id() as i64))
}

/// `CLIENT SETNAME name`; an empty name removes it.
fn client_setname(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = ctx.args.bytes()?;
    validate_name(&name)?;
    *ctx.session.handle.name.lock() = (!name.is_empty()).then_some(name);
    Ok(Frame::ok())
}

/// `CLIENT GETNAME`.
fn client_getname(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(match ctx.session.handle.name.lock().clone() {
        Some(n) => Frame::Bulk(n),
        None => Frame::Null,
    })
}

/// Reads `on` / `off`.
fn on_off(ctx: &mut Ctx<'_>) -> Result<bool, CmdError> {
    let word = ctx.args.bytes()?;
    if word.eq_ignore_ascii_case(b"on") {
        Ok(true)
    } else if word.eq_ignore_ascii_case(b"off") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// `CLIENT REPLY ON|OFF|SKIP`. OFF and SKIP are not answered themselves.
fn client_reply(ctx: &mut Ctx<'_>) -> CmdResult {
    let word = ctx.args.bytes()?.to_ascii_uppercase();
    match word.as_slice() {
        b"ON" => {
            ctx.session.reply_mode = ReplyMode::On;
            ctx.session.skip_this = false;
            ctx.session.skip_next = false;
        }
        b"OFF" => ctx.session.reply_mode = ReplyMode::Off,
        b"SKIP" => {
            ctx.session.skip_this = true;
            if ctx.session.reply_mode == ReplyMode::On {
                ctx.session.skip_next = true;
            }
        }
        _ => return Err(CmdError::Syntax),
    }
    Ok(Frame::ok())
}

/// `CLIENT NO-EVICT ON|OFF`.
fn client_no_evict(ctx: &mut Ctx<'_>) -> CmdResult {
    let on = on_off(ctx)?;
    ctx.session.handle.no_evict.store(on, Relaxed);
    Ok(Frame::ok())
}

/// `CLIENT NO-TOUCH ON|OFF`.
fn client_no_touch(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.session.no_touch = on_off(ctx)?;
    Ok(Frame::ok())
}

/// `CLIENT SETINFO LIB-NAME|LIB-VER value`.
fn client_setinfo(ctx: &mut Ctx<'_>) -> CmdResult {
    let attr = ctx.args.bytes()?;
    let value = ctx.args.bytes()?;
    let is_name = attr.eq_ignore_ascii_case(b"lib-name");
    if !is_name && !attr.eq_ignore_ascii_case(b"lib-ver") {
        return Err(CmdError::text(format!(
            "Unrecognized option '{}'",
            String::from_utf8_lossy(&attr)
        )));
    }
    if !value.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        return Err(CmdError::text(format!(
            "{} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(&attr)
        )));
    }
    let value = (!value.is_empty()).then_some(value);
    let mut lib = ctx.session.handle.lib.lock();
    if is_name {
        lib.0 = value;
    } else {
        lib.1 = value;
    }
    Ok(Frame::ok())
}

/// What CLIENT KILL's new form filters on.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    kind: Option<ClientType>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    user: Option<bytes::Bytes>,
    skip_me: bool,
    /// Only clients connected at least this many seconds.
    max_age: Option<u64>,
}

fn parse_kill_filter(ctx: &mut Ctx<'_>) -> Result<KillFilter, CmdError> {
    let mut f = KillFilter {
        skip_me: true,
        ..KillFilter::default()
    };
    while let Some(opt) = ctx.args.next_arg() {
        let Some(value) = ctx.args.next_arg() else {
            return Err(CmdError::Syntax);
        };
        match opt.to_ascii_lowercase().as_slice() {
            b"id" => match crate::util::num::parse_i64(&value) {
                Some(id) if id >= 1 => f.id = Some(id as u64),
                _ => return Err(CmdError::Msg("client-id should be greater than 0")),
            },
            b"type" => f.kind = Some(ClientType::parse(&value)?),
            b"addr" => f.addr = Some(value.to_vec()),
            b"laddr" => f.laddr = Some(value.to_vec()),
            b"user" if ctx.engine().acl.get(&value).is_some() => f.user = Some(value),
            b"user" => {
                return Err(CmdError::text(format!(
                    "No such user '{}'",
                    String::from_utf8_lossy(&value)
                )))
            }
            b"skipme" if value.eq_ignore_ascii_case(b"yes") => f.skip_me = true,
            b"skipme" if value.eq_ignore_ascii_case(b"no") => f.skip_me = false,
            b"maxage" => match crate::util::num::parse_i64(&value) {
                Some(secs) if secs >= 0 => f.max_age = Some(secs as u64),
                _ => return Err(CmdError::Msg("maxage is not an integer or out of range")),
            },
            _ => return Err(CmdError::Syntax),
        }
    }
    Ok(f)
}

/// `CLIENT KILL ip:port` (OK or no such client) or `CLIENT KILL <filter> <value> ...`
/// (the number of clients killed).
fn client_kill(ctx: &mut Ctx<'_>) -> CmdResult {
    let old_form = ctx.args.remaining() == 1;
    let f = if old_form {
        KillFilter {
            addr: Some(ctx.args.bytes()?.to_vec()),
            ..KillFilter::default()
        }
    } else {
        parse_kill_filter(ctx)?
    };
    let me = ctx.session.id();
    let mut killed = 0;
    for c in ctx.engine().clients.all() {
        let age_secs = ctx.now_ms.saturating_sub(c.created_ms) / 1000;
        let matches = f.id.is_none_or(|id| id == c.id)
            && f.kind.is_none_or(|k| k == ClientType::of(&c))
            && f.max_age.is_none_or(|max| age_secs >= max)
            && f.addr
                .as_deref()
                .is_none_or(|a| a == c.info.addr.as_bytes())
            && f.laddr
                .as_deref()
                .is_none_or(|a| a == c.info.laddr.as_bytes())
            && f.user.as_ref().is_none_or(|u| *u == *c.user.lock());
        if !matches || (c.id == me && f.skip_me) {
            continue;
        }
        if c.id == me {
            ctx.session.close_after_reply = true;
        } else {
            c.kill();
        }
        killed += 1;
    }
    match (old_form, killed) {
        (true, 0) => Err(CmdError::Msg("No such client")),
        (true, _) => Ok(Frame::ok()),
        (false, n) => Ok(Frame::Integer(n)),
    }
}

/// `CLIENT HELP`.
fn client_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "    * MAXAGE <maxage>",
            "      Kill connections older than the specified age.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "    * ID <client-id> [<client-id> ...]",
            "      Return clients of specified IDs only.",
            "NO-EVICT (ON|OFF)",
            "    Protect the current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
        ],
    ))
}

/// A HELP reply: the title line, the entries, then HELP itself, as simple strings.
pub(crate) fn help_reply(title: &str, lines: &[&str]) -> Frame {
    let mut out = vec![Frame::Simple(title.to_string().into())];
    out.extend(lines.iter().map(|l| Frame::Simple(l.to_string().into())));
    out.push(Frame::simple("HELP"));
    out.push(Frame::simple("    Prints this help."));
    Frame::Array(out)
}

const CLIENT_FLAGS: u32 = flags::NOSCRIPT | flags::LOADING | flags::STALE;
const CLIENT_ADMIN: u32 = CLIENT_FLAGS | flags::ADMIN;

const fn sub(
    name: &'static str,
    handler: crate::command::Handler,
    arity: i32,
    flags: u32,
) -> CommandSpec {
    CommandSpec::new(name, handler)
        .arity(arity)
        .flags(flags)
        .acl(acl::CONNECTION)
        .group(Group::Connection)
}

const SUBCOMMANDS: &[CommandSpec] = &[
    sub("client|id", client_id, 2, CLIENT_FLAGS).doc(
        "Returns the unique identifier of the connection.",
        "5.0.0",
        "O(1)",
    ),
    sub("client|info", client_info, 2, CLIENT_FLAGS).doc(
        "Describes the calling connection in one CLIENT LIST line.",
        "6.2.0",
        "O(1)",
    ),
    sub("client|list", client_list, -2, CLIENT_ADMIN).doc(
        "Lists open connections.",
        "2.4.0",
        "O(N) where N is the number of client connections",
    ),
    sub("client|kill", client_kill, -3, CLIENT_ADMIN).doc(
        "Terminates open connections.",
        "2.4.0",
        "O(N) where N is the number of client connections",
    ),
    sub("client|setname", client_setname, 3, CLIENT_FLAGS).doc(
        "Names the connection.",
        "2.6.9",
        "O(1)",
    ),
    sub("client|getname", client_getname, 2, CLIENT_FLAGS).doc(
        "Reads back the name given to the connection.",
        "2.6.9",
        "O(1)",
    ),
    sub("client|reply", client_reply, 3, CLIENT_FLAGS).doc(
        "Chooses whether the server answers this connection's commands.",
        "3.2.0",
        "O(1)",
    ),
    sub("client|no-evict", client_no_evict, 3, CLIENT_ADMIN).doc(
        "Exempts the connection from client eviction, or not.",
        "7.0.0",
        "O(1)",
    ),
    sub("client|no-touch", client_no_touch, 3, CLIENT_FLAGS).doc(
        "Lets reads by this connection leave key access times alone, or not.",
        "7.2.0",
        "O(1)",
    ),
    sub("client|setinfo", client_setinfo, 4, CLIENT_FLAGS).doc(
        "Records the client library's name or version for the connection.",
        "7.2.0",
        "O(1)",
    ),
    sub("client|getredir", client_getredir, 2, CLIENT_FLAGS).doc(
        "Returns the client id that tracking notifications are redirected to.",
        "6.0.0",
        "O(1)",
    ),
    sub("client|trackinginfo", client_trackinginfo, 2, CLIENT_FLAGS).doc(
        "Returns the connection's client-side caching tracking state.",
        "6.2.0",
        "O(1)",
    ),
    sub("client|caching", client_caching, 3, CLIENT_FLAGS).doc(
        "Tells the server whether to track the keys of the next command.",
        "6.0.0",
        "O(1)",
    ),
    sub("client|unblock", client_unblock, -3, CLIENT_ADMIN).doc(
        "Ends the wait of a client blocked on keys.",
        "5.0.0",
        "O(log N) where N is the number of client connections",
    ),
    sub("client|help", client_help, 2, flags::LOADING | flags::STALE).doc(
        "Lists the CLIENT subcommands.",
        "5.0.0",
        "O(1)",
    ),
];

/// The CLIENT container.
pub(super) const CLIENT: CommandSpec = CommandSpec::new("client", client_help)
    .arity(-2)
    .group(Group::Connection)
    .doc(
        "Groups the subcommands that inspect and manage connections.",
        "2.4.0",
        "Depends on subcommand.",
    )
    .subcommands(SUBCOMMANDS);
