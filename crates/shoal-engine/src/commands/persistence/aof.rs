//! BGREWRITEAOF: rewrites the append-only file in the background (see [`crate::aof`]).

use crate::aof::{start_rewrite, RewriteStart};
use crate::command::{flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use shoal_resp::Frame;

/// `BGREWRITEAOF`: starts a rewrite; a second one while it runs is refused.
fn bgrewriteaof(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.args.finish()?;
    match start_rewrite(ctx.engine()) {
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
