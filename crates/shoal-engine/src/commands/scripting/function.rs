//! The FUNCTION container: LOAD, LIST, DELETE, FLUSH, DUMP, RESTORE, STATS, KILL, HELP.

use super::script::{help_reply, kill};
use super::vm_error;
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::scripting::functions::Libraries;
use crate::scripting::{dump, Kind, Vm};
use crate::util::glob::glob_match;
use bytes::Bytes;
use shoal_resp::Frame;

fn with_libs<R>(ctx: &Ctx<'_>, f: impl FnOnce(&mut Vm) -> R) -> Result<R, CmdError> {
    let scripting = &ctx.engine().scripting;
    let r = scripting.with_vm(|vm| {
        let r = f(vm);
        *scripting.counts.lock() = vm.libs.counts();
        r
    });
    r.map_err(vm_error)
}

/// Sends the command as given to the effects stream (the AOF, replicas): a change of the
/// libraries replays as the same command, as Redis propagates it.
fn propagate(ctx: &Ctx<'_>) {
    let inner = ctx.engine();
    inner
        .stats
        .dirty
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    inner.effects.emit(ctx.session.db, ctx.args.all().to_vec());
}

/// `FUNCTION LOAD [REPLACE] function-code`
pub(super) fn function_load(ctx: &mut Ctx<'_>) -> CmdResult {
    let replace = ctx.args.remaining() > 1 && ctx.args.eat("REPLACE");
    let code = ctx.args.bytes()?;
    if ctx.args.remaining() > 0 {
        let arg = ctx.args.bytes()?;
        return Err(CmdError::text(format!(
            "Unknown option given: {}",
            String::from_utf8_lossy(&arg)
        )));
    }
    let name = with_libs(ctx, |vm| vm.load_library(&code, replace))?
        .map_err(|e| CmdError::text(e.trim_start_matches("ERR ")))?;
    propagate(ctx);
    Ok(Frame::bulk(name))
}

/// `FUNCTION DELETE library-name`
pub(super) fn function_delete(ctx: &mut Ctx<'_>) -> CmdResult {
    let name = String::from_utf8_lossy(&ctx.args.bytes()?).into_owned();
    if with_libs(ctx, |vm| vm.libs.remove(&name))? {
        propagate(ctx);
        Ok(Frame::ok())
    } else {
        Err(CmdError::Msg("Library not found"))
    }
}

/// `FUNCTION FLUSH [ASYNC | SYNC]`
pub(super) fn function_flush(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.remaining() > 1
        || (ctx.args.remaining() == 1 && !ctx.args.eat("SYNC") && !ctx.args.eat("ASYNC"))
    {
        return Err(CmdError::Msg(
            "FUNCTION FLUSH only supports SYNC|ASYNC option",
        ));
    }
    with_libs(ctx, |vm| vm.libs = Libraries::default())?;
    propagate(ctx);
    Ok(Frame::ok())
}

/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`
pub(super) fn function_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut pattern: Option<Bytes> = None;
    let mut with_code = false;
    while let Some(arg) = ctx.args.next_arg() {
        if crate::exec::is_word(&arg, "WITHCODE") && !with_code {
            with_code = true;
        } else if crate::exec::is_word(&arg, "LIBRARYNAME") && pattern.is_none() {
            match ctx.args.next_arg() {
                Some(p) => pattern = Some(p),
                None => return Err(CmdError::Msg("library name argument was not given")),
            }
        } else {
            return Err(CmdError::text(format!(
                "Unknown argument {}",
                String::from_utf8_lossy(&arg)
            )));
        }
    }
    let list = with_libs(ctx, |vm| {
        vm.libs
            .libs
            .iter()
            .filter(|(name, _)| {
                pattern
                    .as_ref()
                    .is_none_or(|p| glob_match(p, name.as_bytes(), false))
            })
            .map(|(name, lib)| {
                let functions = lib
                    .functions
                    .iter()
                    .map(|(fname, def)| {
                        Frame::Map(vec![
                            (Frame::bulk("name"), Frame::bulk(fname)),
                            (
                                Frame::bulk("description"),
                                def.description.as_ref().map_or(Frame::Null, Frame::bulk),
                            ),
                            (
                                Frame::bulk("flags"),
                                Frame::Set(
                                    def.flags
                                        .iter()
                                        .map(|f| Frame::Simple(f.clone().into()))
                                        .collect(),
                                ),
                            ),
                        ])
                    })
                    .collect();
                let mut entry = vec![
                    (Frame::bulk("library_name"), Frame::bulk(name)),
                    (Frame::bulk("engine"), Frame::bulk("LUA")),
                    (Frame::bulk("functions"), Frame::Array(functions)),
                ];
                if with_code {
                    entry.push((Frame::bulk("library_code"), Frame::Bulk(lib.code.clone())));
                }
                Frame::Map(entry)
            })
            .collect()
    })?;
    Ok(Frame::Array(list))
}

/// `FUNCTION DUMP`
pub(super) fn function_dump(ctx: &mut Ctx<'_>) -> CmdResult {
    let payload = with_libs(ctx, |vm| {
        let codes: Vec<&[u8]> = vm.libs.libs.values().map(|l| &l.code[..]).collect();
        dump::encode(&codes)
    })?;
    Ok(Frame::Bulk(payload.into()))
}

/// `FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE]`
pub(super) fn function_restore(ctx: &mut Ctx<'_>) -> CmdResult {
    let payload = ctx.args.bytes()?;
    let policy = match ctx.args.next_arg() {
        None => "APPEND".to_string(),
        Some(p) => String::from_utf8_lossy(&p).to_ascii_uppercase(),
    };
    if !matches!(policy.as_str(), "APPEND" | "FLUSH" | "REPLACE") || ctx.args.remaining() > 0 {
        return Err(CmdError::Msg(
            "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
        ));
    }
    let codes = dump::decode(&payload).map_err(|e| CmdError::text(e.to_string()))?;
    with_libs(ctx, |vm| restore(vm, codes, &policy))?
        .map_err(|e| CmdError::text(e.trim_start_matches("ERR ")))?;
    propagate(ctx);
    Ok(Frame::ok())
}

/// Loads every library of a payload, all or nothing.
fn restore(vm: &mut Vm, codes: Vec<Vec<u8>>, policy: &str) -> Result<(), String> {
    let saved = vm.libs.clone();
    if policy == "FLUSH" {
        vm.libs = Libraries::default();
    }
    for code in codes {
        if let Err(e) = vm.load_library(&Bytes::from(code), policy == "REPLACE") {
            vm.libs = saved;
            return Err(e);
        }
    }
    Ok(())
}

/// `FUNCTION STATS`
pub(super) fn function_stats(ctx: &mut Ctx<'_>) -> CmdResult {
    let scripting = &ctx.engine().scripting;
    if scripting.running_kind() == Some(Kind::Script) {
        return Err(CmdError::Coded {
            code: "BUSY",
            msg:
                "Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
                    .into(),
        });
    }
    let running = match scripting.running.lock().clone() {
        None => Frame::Null,
        Some(r) => Frame::Map(vec![
            (Frame::bulk("name"), Frame::bulk(r.name)),
            (
                Frame::bulk("command"),
                Frame::Array(r.command.into_iter().map(Frame::Bulk).collect()),
            ),
            (
                Frame::bulk("duration_ms"),
                Frame::Integer(r.started.elapsed().as_millis() as i64),
            ),
        ]),
    };
    let (libs, funcs) = *scripting.counts.lock();
    let lua = Frame::Map(vec![
        (Frame::bulk("libraries_count"), Frame::Integer(libs as i64)),
        (Frame::bulk("functions_count"), Frame::Integer(funcs as i64)),
    ]);
    Ok(Frame::Map(vec![
        (Frame::bulk("running_script"), running),
        (
            Frame::bulk("engines"),
            Frame::Map(vec![(Frame::bulk("LUA"), lua)]),
        ),
    ]))
}

/// `FUNCTION KILL`
pub(super) fn function_kill(ctx: &mut Ctx<'_>) -> CmdResult {
    kill(ctx, Kind::Function)
}

/// `FUNCTION HELP`
pub(super) fn function_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    ))
}
