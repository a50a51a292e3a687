//! The SCRIPT container: LOAD, EXISTS, FLUSH, KILL, HELP.

use super::{compile, vm_error};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::scripting::Kind;
use shoal_resp::Frame;

/// `SCRIPT LOAD script`
pub(super) fn script_load(ctx: &mut Ctx<'_>) -> CmdResult {
    let body = ctx.args.bytes()?;
    let sha = ctx
        .engine()
        .scripting
        .with_vm(|vm| compile(vm, &body))
        .map_err(vm_error)??;
    Ok(Frame::bulk(sha))
}

/// `SCRIPT EXISTS sha1 [sha1 ...]`
pub(super) fn script_exists(ctx: &mut Ctx<'_>) -> CmdResult {
    let shas = ctx.args.rest();
    let found = ctx
        .engine()
        .scripting
        .with_vm(|vm| {
            shas.iter()
                .map(|s| Frame::Integer(super::find_script(vm, s).is_some() as i64))
                .collect()
        })
        .map_err(vm_error)?;
    Ok(Frame::Array(found))
}

/// `SCRIPT FLUSH [ASYNC | SYNC]`
pub(super) fn script_flush(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.remaining() > 1
        || (ctx.args.remaining() == 1 && !ctx.args.eat("SYNC") && !ctx.args.eat("ASYNC"))
    {
        return Err(CmdError::Msg("SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    ctx.engine().scripting.flush_scripts().map_err(vm_error)?;
    Ok(Frame::ok())
}

/// Stops the running script or function if `kind` is what runs and it wrote nothing.
pub(super) fn kill(ctx: &mut Ctx<'_>, kind: Kind) -> CmdResult {
    let inner = ctx.engine();
    let Some(running) = inner.scripting.running_kind() else {
        return Err(CmdError::Coded {
            code: "NOTBUSY",
            msg: "No scripts in execution right now.".into(),
        });
    };
    if running != kind {
        let other = match running {
            Kind::Script => "SCRIPT KILL",
            Kind::Function => "FUNCTION KILL",
        };
        return Err(CmdError::Coded {
            code: "BUSY",
            msg: format!(
                "Redis is busy running a script. You can only call {other} or SHUTDOWN NOSAVE."
            ),
        });
    }
    if inner
        .scripting
        .state
        .wrote
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return Err(CmdError::Coded {
            code: "UNKILLABLE",
            msg: "Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.".into(),
        });
    }
    inner.gate.request_kill();
    Ok(Frame::ok())
}

/// `SCRIPT KILL`
pub(super) fn script_kill(ctx: &mut Ctx<'_>) -> CmdResult {
    kill(ctx, Kind::Script)
}

/// `SCRIPT HELP`
pub(super) fn script_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    ))
}

/// A HELP reply: the title line, the entries, then HELP itself, as simple strings.
pub(super) fn help_reply(title: &str, lines: &[&str]) -> Frame {
    let mut out = vec![Frame::Simple(title.to_string().into())];
    out.extend(lines.iter().map(|l| Frame::Simple(l.to_string().into())));
    out.push(Frame::simple("HELP"));
    out.push(Frame::simple("    Prints this help."));
    Frame::Array(out)
}
