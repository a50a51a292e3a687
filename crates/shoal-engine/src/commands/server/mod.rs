//! Server commands: COMMAND, CONFIG, INFO, TIME, SHUTDOWN.

mod command_docs;
mod command_info;
mod config_cmd;
mod config_rewrite;
mod info;
#[cfg(test)]
mod tests;

use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use shoal_resp::Frame;

/// `TIME`: Unix seconds and microseconds, as two bulk strings.
fn time(ctx: &mut Ctx<'_>) -> CmdResult {
    let us = ctx.engine().now_us();
    Ok(Frame::Array(vec![
        Frame::bulk((us / 1_000_000).to_string()),
        Frame::bulk((us % 1_000_000).to_string()),
    ]))
}

/// SHUTDOWN's options.
#[derive(Default)]
struct ShutdownOptions {
    nosave: bool,
    save: bool,
    now: bool,
    force: bool,
    abort: bool,
}

fn parse_shutdown(ctx: &mut Ctx<'_>) -> Result<ShutdownOptions, CmdError> {
    let mut o = ShutdownOptions::default();
    while let Some(word) = ctx.args.next_arg() {
        match word.to_ascii_uppercase().as_slice() {
            b"NOSAVE" => o.nosave = true,
            b"SAVE" => o.save = true,
            b"NOW" => o.now = true,
            b"FORCE" => o.force = true,
            b"ABORT" => o.abort = true,
            _ => return Err(CmdError::Syntax),
        }
    }
    let others = o.nosave || o.save || o.now || o.force;
    if (o.abort && others) || (o.nosave && o.save) {
        return Err(CmdError::Syntax);
    }
    Ok(o)
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`. Saves the snapshot first with SAVE, or
/// when save points are configured and NOSAVE is not given; a failed save keeps the server
/// up unless FORCE. On success nothing is answered: the connection closes.
fn shutdown(ctx: &mut Ctx<'_>) -> CmdResult {
    let o = parse_shutdown(ctx)?;
    let failed = CmdError::Msg("Errors trying to SHUTDOWN. Check logs.");
    if o.abort {
        // Shutdown is immediate: there is never one in progress to abort.
        return Err(CmdError::Msg("No shutdown in progress."));
    }
    let wants_save =
        o.save || (!o.nosave && !crate::rdb::file::save_points(ctx.engine()).is_empty());
    // SHUTDOWN runs alone (EXCLUSIVE), so the image is point-in-time; beside a busy script
    // it runs without the gate, and then only NOSAVE may stop the server.
    let busy = ctx.engine().gate.busy();
    if wants_save && busy != crate::gate::Busy::No {
        return Ok(crate::exec::dispatch::busy_error(busy));
    }
    if wants_save && crate::rdb::file::save(ctx.engine()).is_err() && !o.force {
        return Err(failed);
    }
    if !ctx.engine().request_shutdown() {
        return Err(failed);
    }
    ctx.session.skip_this = true;
    ctx.session.close_after_reply = true;
    Ok(Frame::ok())
}

/// The server family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    command_info::COMMAND,
    config_cmd::CONFIG,
    CommandSpec::new("info", info::info)
        .arity(-1)
        .flags(flags::LOADING | flags::STALE)
        .acl(acl::DANGEROUS)
        .group(Group::Server)
        .doc(
            "Reports server state and statistics, by section.",
            "1.0.0",
            "O(1)",
        ),
    CommandSpec::new("time", time)
        .arity(1)
        .flags(flags::LOADING | flags::STALE | flags::FAST)
        .group(Group::Server)
        .doc("Reports the current server clock.", "2.6.0", "O(1)"),
    CommandSpec::new("shutdown", shutdown)
        .arity(-1)
        .flags(
            flags::ADMIN
                | flags::NOSCRIPT
                | flags::LOADING
                | flags::STALE
                | flags::NO_MULTI
                | flags::ALLOW_BUSY
                | flags::EXCLUSIVE,
        )
        .group(Group::Server)
        .doc(
            "Stops the server, optionally saving data first.",
            "1.0.0",
            "O(N) when saving, where N is the total number of keys in all databases \
             when saving data, otherwise O(1)",
        ),
];
