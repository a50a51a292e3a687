//! Connection commands: PING, ECHO, SELECT, HELLO, AUTH, QUIT, RESET and the CLIENT container.

mod client;
mod client_list;
mod client_tracking;
#[cfg(test)]
mod kill_tests;
#[cfg(test)]
mod tests;

use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::session::ReplyMode;
use bytes::Bytes;
use shoal_resp::{Frame, Protocol};
use std::sync::atomic::Ordering::Relaxed;

pub(crate) use client::{help_reply, validate_name};
pub(crate) use client_list::info_line;

/// The Redis version Shoal reports everywhere (HELLO, INFO).
pub const REDIS_VERSION: &str = "7.2.4";

/// `PING [message]`: PONG, or the message as a bulk string.
fn ping(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.remaining() > 1 {
        return Err(CmdError::WrongArity("ping".into()));
    }
    let msg = ctx.args.next_arg();
    if ctx.session.protocol == Protocol::Resp2 && ctx.session.subs.any() {
        // A subscribed RESP2 client can only read pushes: PING answers in that shape.
        let text = msg.unwrap_or_default();
        return Ok(Frame::Array(vec![
            Frame::Bulk(bytes::Bytes::from_static(b"pong")),
            Frame::Bulk(text),
        ]));
    }
    Ok(match msg {
        Some(msg) => Frame::Bulk(msg),
        None => Frame::simple("PONG"),
    })
}

/// `ECHO message`.
fn echo(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::Bulk(ctx.args.bytes()?))
}

/// `SELECT index`.
fn select(ctx: &mut Ctx<'_>) -> CmdResult {
    let arg = ctx.args.bytes()?;
    let index = crate::util::num::parse_i64(&arg)
        .ok_or(CmdError::Msg("value is not an integer or out of range"))?;
    if index < 0 || index as usize >= ctx.databases() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    set_db(ctx, index as usize);
    Ok(Frame::ok())
}

fn set_db(ctx: &mut Ctx<'_>, db: usize) {
    ctx.session.db = db;
    ctx.session.handle.db.store(db, Relaxed);
}

fn set_protocol(ctx: &mut Ctx<'_>, proto: Protocol) {
    ctx.session.protocol = proto;
    ctx.session
        .handle
        .resp
        .store(proto.version() as u8, Relaxed);
}

/// Logs the session in (AUTH, HELLO AUTH): WRONGPASS, logged, if the credentials fail.
fn authenticate(ctx: &mut Ctx<'_>, user: &Bytes, password: &[u8]) -> Result<(), CmdError> {
    let command = ctx.args.all()[0].clone();
    ctx.inner.acl_login(ctx.session, user, password, &command)
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`.
fn hello(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut proto = None;
    if let Some(v) = ctx.args.next_arg() {
        let ver = crate::util::num::parse_i64(&v).ok_or(CmdError::Msg(
            "Protocol version is not an integer or out of range",
        ))?;
        proto = match ver {
            2 => Some(Protocol::Resp2),
            3 => Some(Protocol::Resp3),
            _ => {
                return Err(CmdError::Coded {
                    code: "NOPROTO",
                    msg: "unsupported protocol version".into(),
                })
            }
        };
    }
    let mut auth: Option<(Bytes, Bytes)> = None;
    let mut name: Option<Bytes> = None;
    while let Some(opt) = ctx.args.next_arg() {
        let more = ctx.args.remaining();
        if opt.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            auth = Some((ctx.args.bytes()?, ctx.args.bytes()?));
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            let n = ctx.args.bytes()?;
            validate_name(&n)?;
            name = Some(n);
        } else {
            return Err(CmdError::text(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&opt)
            )));
        }
    }
    if let Some((user, pass)) = auth {
        authenticate(ctx, &user, &pass)?;
    }
    if !ctx.session.acl.authenticated {
        return Err(CmdError::Coded {
            code: "NOAUTH",
            msg: "HELLO must be called with the client already authenticated, otherwise the \
                  HELLO <proto> AUTH <user> <pass> option can be used to authenticate the \
                  client and select the RESP protocol version at the same time"
                .into(),
        });
    }
    if let Some(n) = name {
        *ctx.session.handle.name.lock() = (!n.is_empty()).then_some(n);
    }
    if let Some(p) = proto {
        set_protocol(ctx, p);
    }
    Ok(hello_map(ctx))
}

fn hello_map(ctx: &Ctx<'_>) -> Frame {
    let pair = |k: &str, v: Frame| (Frame::bulk(k), v);
    Frame::Map(vec![
        pair("server", Frame::bulk("redis")),
        pair("version", Frame::bulk(REDIS_VERSION)),
        pair("proto", Frame::Integer(ctx.session.protocol.version())),
        pair("id", Frame::Integer(ctx.session.id() as i64)),
        pair("mode", Frame::bulk("standalone")),
        pair("role", Frame::bulk("master")),
        pair("modules", Frame::Array(Vec::new())),
    ])
}

/// `AUTH [username] password`.
fn auth(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args.rest();
    match args.as_slice() {
        [password] => {
            let nopass = ctx.inner.acl.get(b"default").is_none_or(|u| u.nopass);
            if nopass {
                return Err(CmdError::Msg(
                    "AUTH <password> called without any password configured for the default \
                     user. Are you sure your configuration is correct?",
                ));
            }
            authenticate(ctx, &Bytes::from_static(b"default"), password).map(|()| Frame::ok())
        }
        [user, password] => authenticate(ctx, user, password).map(|()| Frame::ok()),
        _ => Err(CmdError::Syntax),
    }
}

/// `QUIT`: OK, then the connection closes.
fn quit(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.session.close_after_reply = true;
    Ok(Frame::ok())
}

/// `RESET`: the connection back to its initial state.
fn reset(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.inner.release_session(ctx.session);
    set_db(ctx, 0);
    set_protocol(ctx, Protocol::Resp2);
    ctx.session.reply_mode = ReplyMode::On;
    ctx.session.skip_next = false;
    ctx.session.no_touch = false;
    ctx.session.handle.no_evict.store(false, Relaxed);
    *ctx.session.handle.name.lock() = None;
    // RESET logs the client out: back to `default`, logged in only if it needs no password.
    let kind = ctx.session.handle.info.kind;
    ctx.session.acl = ctx
        .inner
        .acl
        .new_session(kind == crate::clients::ClientKind::Embedded);
    *ctx.session.handle.user.lock() = ctx.session.acl.username().clone();
    Ok(Frame::simple("RESET"))
}

const HANDSHAKE: u32 = flags::NOSCRIPT
    | flags::LOADING
    | flags::STALE
    | flags::FAST
    | flags::NO_AUTH
    | flags::ALLOW_BUSY;

/// The connection family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", ping)
        .arity(-1)
        .flags(flags::FAST)
        .acl(acl::CONNECTION)
        .group(Group::Connection)
        .doc("Returns the server's liveliness response.", "1.0.0", "O(1)"),
    CommandSpec::new("echo", echo)
        .arity(2)
        .flags(flags::FAST | flags::LOADING | flags::STALE)
        .acl(acl::CONNECTION)
        .group(Group::Connection)
        .doc("Returns the given string.", "1.0.0", "O(1)"),
    CommandSpec::new("select", select)
        .arity(2)
        .flags(flags::LOADING | flags::STALE | flags::FAST)
        .acl(acl::CONNECTION)
        .group(Group::Connection)
        .doc("Changes the selected database.", "1.0.0", "O(1)"),
    CommandSpec::new("hello", hello)
        .arity(-1)
        .flags(HANDSHAKE)
        .acl(acl::CONNECTION)
        .group(Group::Connection)
        .doc(
            "Performs the connection handshake: protocol version, credentials, name.",
            "6.0.0",
            "O(1)",
        ),
    CommandSpec::new("auth", auth)
        .arity(-2)
        .flags(HANDSHAKE)
        .acl(acl::CONNECTION)
        .group(Group::Connection)
        .doc(
            "Checks credentials and logs the connection in.",
            "1.0.0",
            "O(N) where N is the number of passwords defined for the user",
        ),
    CommandSpec::new("quit", quit)
        .arity(-1)
        .flags(HANDSHAKE)
        .acl(acl::CONNECTION)
        .group(Group::Connection)
        .doc("Closes the connection after replying.", "1.0.0", "O(1)"),
    CommandSpec::new("reset", reset)
        .arity(1)
        .flags(HANDSHAKE)
        .acl(acl::CONNECTION)
        .group(Group::Connection)
        .doc(
            "Returns the connection to its initial state.",
            "6.2.0",
            "O(1)",
        ),
    client::CLIENT,
];
