//! Connection commands.

use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use shoal_resp::Frame;

/// `PING [message]`: PONG, or the message as a bulk string.
fn ping(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.remaining() > 1 {
        return Err(CmdError::WrongArity("ping".into()));
    }
    Ok(match ctx.args.next_arg() {
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
    ctx.session.db = index as usize;
    ctx.session
        .handle
        .db
        .store(index as usize, std::sync::atomic::Ordering::Relaxed);
    Ok(Frame::ok())
}

/// The connection family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", ping)
        .arity(-1)
        .flags(flags::FAST | flags::STALE)
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
];
