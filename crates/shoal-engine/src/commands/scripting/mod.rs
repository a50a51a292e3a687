//! Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, FCALL, FCALL_RO, and the SCRIPT
//! and FUNCTION containers. The Lua side lives in [`crate::scripting`].

mod decl;
mod function;
mod script;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_busy;
#[cfg(test)]
mod tests_functions;
#[cfg(test)]
mod tests_libs;

pub use decl::COMMANDS;

use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::scripting::run::Caller;
use crate::scripting::{sha1_hex, Invocation, Kind, Script, Vm};
use bytes::Bytes;

/// `numkeys key... arg...` after the script or function name: where the keys begin and
/// how many there are.
fn keys_and_args(ctx: &mut Ctx<'_>) -> Result<(usize, usize), CmdError> {
    let n = ctx.args.int()?;
    if n < 0 {
        return Err(CmdError::Msg("Number of keys can't be negative"));
    }
    if n as u64 > ctx.args.remaining() as u64 {
        return Err(CmdError::Msg(
            "Number of keys can't be greater than number of args",
        ));
    }
    Ok((ctx.args.all().len() - ctx.args.remaining(), n as usize))
}

/// The keys and the arguments, as slices of the command.
fn split(all: &[Bytes], (start, n): (usize, usize)) -> (&[Bytes], &[Bytes]) {
    all[start..].split_at(n)
}

fn caller<'a>(ctx: &mut Ctx<'a>) -> Caller<'a> {
    Caller {
        inner: ctx.engine(),
        handle: ctx.session.handle.clone(),
        db: ctx.session.db,
        now_ms: ctx.now_ms,
        seed: ctx.rng().next_u64(),
        acl: ctx.session.acl.clone(),
        from_primary: ctx.session.master_link,
    }
}

fn vm_error(e: String) -> CmdError {
    CmdError::text(e.to_string())
}

/// What a script's first line declares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declared {
    /// No `#!` line: the script may write, and EVAL_RO runs it read-only.
    Nothing,
    /// `#!lua` without `no-writes`: EVAL_RO refuses it.
    Writes,
    /// `#!lua flags=no-writes`.
    NoWrites,
}

/// A script's flags from its `#!lua flags=...` line, and the code with that line blanked.
fn shebang(body: &[u8]) -> Result<(Declared, Vec<u8>), CmdError> {
    if !body.starts_with(b"#!") {
        return Ok((Declared::Nothing, body.to_vec()));
    }
    let end = body.iter().position(|&c| c == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[2..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    if engine != "lua" {
        return Err(CmdError::text(format!(
            "Unexpected engine in script shebang: #!{engine}"
        )));
    }
    let mut declared = Declared::Writes;
    for p in parts {
        let Some(list) = p.strip_prefix("flags=") else {
            return Err(CmdError::text(format!("Unknown lua shebang option: {p}")));
        };
        for f in list.split(',').filter(|f| !f.is_empty()) {
            match f {
                "no-writes" => declared = Declared::NoWrites,
                "allow-oom" | "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
                _ => {
                    return Err(CmdError::text(format!(
                        "Unexpected flag in script shebang: {f}"
                    )))
                }
            }
        }
    }
    Ok((declared, body[end..].to_vec()))
}

/// Caches the function for `body`, compiling it if new; its SHA1.
pub(crate) fn compile(vm: &mut Vm, body: &Bytes) -> Result<String, CmdError> {
    let sha = sha1_hex(body);
    if vm.scripts.contains_key(&sha) {
        return Ok(sha);
    }
    let (declared, code) = shebang(body)?;
    let text = as_source(&code);
    let f = vm
        .sb
        .lua
        .load(&text[..])
        .set_name("@user_script")
        .set_environment(vm.sb.env.clone())
        .into_function()
        .map_err(|e| {
            CmdError::text(format!(
                "Error compiling script (new function): {}",
                crate::scripting::run::clean(&e)
            ))
        })?;
    let script = Script { f, declared };
    vm.scripts.insert(sha.clone(), script);
    Ok(sha)
}

/// The cached script whose SHA1 is `sha` (either case), with its key.
pub(crate) fn find_script<'v>(vm: &'v Vm, sha: &[u8]) -> Option<(&'v String, &'v Script)> {
    let mut lower = [0u8; 40];
    if sha.len() != lower.len() {
        return None;
    }
    for (d, c) in lower.iter_mut().zip(sha) {
        *d = c.to_ascii_lowercase();
    }
    vm.scripts.get_key_value(std::str::from_utf8(&lower).ok()?)
}

/// Code as source text: a precompiled chunk (leading ESC) could corrupt the VM, so like
/// Redis it is parsed as text, where the ESC is a syntax error.
pub(crate) fn as_source(code: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if code.first() == Some(&27) {
        let mut padded = Vec::with_capacity(code.len() + 1);
        padded.push(b' ');
        padded.extend_from_slice(code);
        std::borrow::Cow::Owned(padded)
    } else {
        std::borrow::Cow::Borrowed(code)
    }
}

fn eval_generic(ctx: &mut Ctx<'_>, by_sha: bool, ro: bool) -> CmdResult {
    let first = ctx.args.bytes()?;
    let at = keys_and_args(ctx)?;
    let caller = caller(ctx);
    let (keys, args) = split(ctx.args.all(), at);
    let scripting = &caller.inner.scripting;
    scripting
        .with_vm(|vm| -> CmdResult {
            let sha = if by_sha {
                None
            } else {
                Some(compile(vm, &first)?)
            };
            let vm: &Vm = vm;
            let found = match &sha {
                Some(sha) => vm.scripts.get_key_value(sha),
                None => find_script(vm, &first),
            };
            let Some((name, script)) = found else {
                return Err(CmdError::Coded {
                    code: "NOSCRIPT",
                    msg: "No matching script. Please use EVAL.".into(),
                });
            };
            if ro && script.declared == Declared::Writes {
                return Err(CmdError::Msg(
                    "Can not execute a script with write flag using *_ro command.",
                ));
            }
            let inv = Invocation {
                kind: Kind::Script,
                name,
                read_only: ro || script.declared == Declared::NoWrites,
                keys,
                args,
                command: &[],
            };
            Ok(scripting.invoke(vm, &caller, &script.f, &inv))
        })
        .map_err(vm_error)?
}

/// `EVAL script numkeys [key ...] [arg ...]`
fn eval(ctx: &mut Ctx<'_>) -> CmdResult {
    eval_generic(ctx, false, false)
}

/// `EVALSHA sha1 numkeys [key ...] [arg ...]`
fn evalsha(ctx: &mut Ctx<'_>) -> CmdResult {
    eval_generic(ctx, true, false)
}

/// `EVAL_RO script numkeys [key ...] [arg ...]`
fn eval_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    eval_generic(ctx, false, true)
}

/// `EVALSHA_RO sha1 numkeys [key ...] [arg ...]`
fn evalsha_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    eval_generic(ctx, true, true)
}

fn fcall_generic(ctx: &mut Ctx<'_>, ro: bool) -> CmdResult {
    let name = String::from_utf8_lossy(&ctx.args.bytes()?).into_owned();
    let scripting = &ctx.engine().scripting;
    let found = scripting
        .with_vm(|vm| {
            vm.libs
                .function(&name)
                .map(|d| (d.callback.clone(), d.no_writes()))
        })
        .map_err(vm_error)?;
    let Some((f, no_writes)) = found else {
        return Err(CmdError::Msg("Function not found"));
    };
    if ro && !no_writes {
        return Err(CmdError::Msg(
            "Can not execute a script with write flag using *_ro command.",
        ));
    }
    let at = keys_and_args(ctx)?;
    let caller = caller(ctx);
    let command = ctx.args.all();
    let (keys, args) = split(command, at);
    let inv = Invocation {
        kind: Kind::Function,
        name: &name,
        read_only: ro || no_writes,
        keys,
        args,
        command,
    };
    scripting
        .with_vm(|vm| scripting.invoke(vm, &caller, &f, &inv))
        .map_err(vm_error)
}

/// `FCALL function numkeys [key ...] [arg ...]`
fn fcall(ctx: &mut Ctx<'_>) -> CmdResult {
    fcall_generic(ctx, false)
}

/// `FCALL_RO function numkeys [key ...] [arg ...]`
fn fcall_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    fcall_generic(ctx, true)
}
