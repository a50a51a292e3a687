//! BGREWRITEAOF: rewrites the append-only file in the background (see [`crate::aof`]).

use crate::aof::{start_rewrite, RewriteStart};
use crate::command::{flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use shoal_resp::Frame;
use std::sync::atomic::Ordering::SeqCst;

/// `BGREWRITEAOF`: starts a rewrite; a second one while it runs is refused; beside a
/// BGSAVE or inside EXEC it is scheduled to start later, as in Redis.
fn bgrewriteaof(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.args.finish()?;
    let inner = ctx.engine();
    if inner.aof.stats.rewrite_in_progress.load(SeqCst) {
        return Err(CmdError::Msg(
            "Background append only file rewriting already in progress",
        ));
    }
    if crate::rdb::file::state(inner).bgsave_started_ms.is_some() || ctx.session.in_exec {
        inner.aof.stats.rewrite_scheduled.store(true, SeqCst);
        return Ok(Frame::simple(
            "Background append only file rewriting scheduled",
        ));
    }
    match start_rewrite(inner) {
        RewriteStart::Started => Ok(Frame::simple(
            "Background append only file rewriting started",
        )),
        RewriteStart::AlreadyRunning => Err(CmdError::Msg(
            "Background append only file rewriting already in progress",
        )),
        RewriteStart::Failed => Err(CmdError::Msg(
            "Can't execute an AOF background rewriting. Please check the server logs for more information.",
        )),
    }
}

/// The family's declarations.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("bgrewriteaof", bgrewriteaof)
    .arity(1)
    .flags(flags::ADMIN | flags::NOSCRIPT)
    .group(Group::Server)
    .doc(
        "Starts a background rewrite of the append-only file into a compact base.",
        "1.0.0",
        "O(1)",
    )];
