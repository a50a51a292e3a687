//! Running one script or function: KEYS/ARGV, the script session, the time hook, the error
//! handler and the reply.

use super::call::CallState;
use super::convert::{error_frame, lua_to_frame};
use super::{Kind, Running, Scripting, Vm};
use crate::engine::Inner;
use crate::gate::Busy;
use crate::session::SessionState;
use bytes::Bytes;
use mlua::{Function, Lua, Table, Value};
use shoal_resp::Frame;
use std::sync::Arc;
use std::time::Instant;

/// One call of a script or function.
pub(crate) struct Invocation<'a> {
    pub(crate) kind: Kind,
    /// The SHA1 (scripts) or function name, as error replies show it.
    pub(crate) name: &'a str,
    /// EVAL_RO, FCALL_RO or a `no-writes` function.
    pub(crate) read_only: bool,
    pub(crate) keys: &'a [Bytes],
    pub(crate) args: &'a [Bytes],
    /// The command as sent (FUNCTION STATS shows it; functions only).
    pub(crate) command: &'a [Bytes],
}

/// Where the caller's command runs: engine, client, database, time and seed.
pub(crate) struct Caller<'a> {
    pub(crate) inner: &'a Inner,
    pub(crate) handle: Arc<crate::clients::ClientHandle>,
    pub(crate) db: usize,
    pub(crate) now_ms: u64,
    pub(crate) seed: u64,
    /// The calling user: every `redis.call` is checked against its rights.
    pub(crate) acl: crate::acl::AclSession,
    /// Sent by this replica's primary: its writes are obeyed.
    pub(crate) from_primary: bool,
}

impl Scripting {
    /// Runs `f` for `inv`; the reply of the script, or its error.
    pub(crate) fn invoke(
        &self,
        vm: &Vm,
        caller: &Caller<'_>,
        f: &Function,
        inv: &Invocation,
    ) -> Frame {
        let inner = caller.inner;
        self.set_running(Some(inv.kind));
        if inv.kind == Kind::Function {
            *self.running.lock() = Some(Running {
                name: inv.name.to_string(),
                command: inv.command.to_vec(),
                started: Instant::now(),
            });
        }
        inner.effects.begin_group();
        let reply = match run_in_scope(vm, caller, f, inv) {
            Ok(frame) => frame,
            Err(e) => Frame::error(format!("ERR Error running script: {}", clean(&e))),
        };
        inner.effects.set_targets(crate::effects::TO_ALL);
        inner.effects.end_group();
        if inv.kind == Kind::Function {
            *self.running.lock() = None;
        }
        self.set_running(None);
        reply
    }
}

/// Runs `f` with the VM's memory limit lifted. With a limit set, every table, string and
/// field the Rust side makes is a protected call of its own (a closure allocated and a
/// `pcall` each); without one nothing can fail for want of memory, so they are made
/// directly. Used around the conversions in and out of a script, whose size the command
/// replies bound; the script's own code always runs under the limit.
pub(crate) fn unguarded<R>(lua: &Lua, f: impl FnOnce() -> R) -> R {
    let before = lua.set_memory_limit(0).unwrap_or(0);
    let r = f();
    if before != 0 {
        let _ = lua.set_memory_limit(before);
    }
    r
}

/// A list of byte strings as a Lua array. When every item is UTF-8 text (the usual case)
/// they are pushed straight onto the Lua stack under one lock; other bytes go through a
/// string handle each.
fn lua_list(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    if items.iter().all(|b| std::str::from_utf8(b).is_ok()) {
        return lua.create_sequence_from(
            items
                .iter()
                .map(|b| std::str::from_utf8(b).unwrap_or_default()),
        );
    }
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, b) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(b)?)?;
    }
    Ok(t)
}

/// `redis.acl_check_cmd`: whether the calling user may run the command with these
/// arguments.
pub(super) fn acl_check(cs: &mut CallState, args: mlua::Variadic<Value>) -> mlua::Result<bool> {
    if !matches!(args.first(), Some(Value::String(_))) {
        return Err(raise_err(
            "ERR Please specify at least one argument for this redis lib call",
        ));
    }
    let argv: Vec<bytes::Bytes> = args
        .iter()
        .map(|v| match v {
            Value::String(s) => bytes::Bytes::copy_from_slice(&s.as_bytes()),
            Value::Integer(n) => bytes::Bytes::from(n.to_string()),
            Value::Number(n) => bytes::Bytes::from(n.to_string()),
            _ => bytes::Bytes::new(),
        })
        .collect();
    let inner = cs.inner.clone();
    inner
        .acl_allows(&mut cs.st, &argv)
        .ok_or_else(|| raise_err("ERR Invalid command passed to redis.acl_check_cmd()"))
}

fn run_in_scope(
    vm: &Vm,
    caller: &Caller<'_>,
    f: &Function,
    inv: &Invocation,
) -> mlua::Result<Frame> {
    let lua = &vm.sb.lua;
    let (keys, args) = unguarded(lua, || {
        Ok::<_, mlua::Error>((lua_list(lua, inv.keys)?, lua_list(lua, inv.args)?))
    })?;
    let Some(inner) = caller.inner.me.upgrade() else {
        return Err(mlua::Error::runtime("the engine is closing"));
    };
    let threshold = inner.config.get_i64("busy-reply-threshold").max(0) as u64;
    let busy = match inv.kind {
        Kind::Script => Busy::Script,
        Kind::Function => Busy::Function,
    };
    let mut st = SessionState::detached(caller.handle.clone(), caller.db, caller.seed);
    st.acl = caller.acl.clone();
    *vm.sb.slot.lock() = Some(CallState {
        inner,
        st,
        now_ms: caller.now_ms,
        read_only: inv.read_only,
        from_primary: caller.from_primary,
        busy,
        resp: 2,
    });
    vm.sb.arm.script(threshold);
    let ran = vm.sb.runner.call::<(bool, Value)>((
        f,
        &vm.sb.handler,
        keys,
        args,
        inv.kind == Kind::Script,
    ));
    vm.sb.arm.off();
    let resp3 = vm.sb.slot.lock().take().is_some_and(|cs| cs.resp == 3);
    let (ok, v) = ran?;
    Ok(unguarded(lua, || {
        if ok {
            lua_to_frame(&v, resp3)
        } else {
            script_error(&v, inv.name)
        }
    }))
}

/// The `xpcall` handler: turns any error into an error table with the source and line of
/// the innermost user code, as Redis's handler does.
pub(crate) fn error_handler(lua: &Lua, err: Value) -> mlua::Result<Table> {
    let at = user_frame(lua);
    let t = match err {
        Value::Table(t) if !matches!(t.raw_get::<Value>("err")?, Value::Nil) => t,
        Value::String(s) => err_table(lua, format!("ERR {}", s.to_string_lossy()))?,
        Value::Error(e) if raised(&e).is_some() => err_table(lua, raised(&e).unwrap_or_default())?,
        Value::Error(e) => {
            let msg = clean(&e);
            let killed = msg.starts_with("Script killed") || msg.starts_with("FUNCTION LOAD");
            let prefix = match (&at, killed) {
                (Some((src, line)), false) => format!("{}:{line}: ", src.trim_start_matches('@')),
                _ => String::new(),
            };
            err_table(lua, format!("ERR {prefix}{msg}"))?
        }
        other => err_table(
            lua,
            format!("ERR {}", other.to_string().unwrap_or_default()),
        )?,
    };
    if let Some((src, line)) = at {
        t.raw_set("source", src)?;
        t.raw_set("line", line)?;
    }
    Ok(t)
}

/// The error `redis.call` raises: the command's error reply.
#[derive(Debug)]
pub(crate) struct Raised(pub(crate) String);

impl std::fmt::Display for Raised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Raised {}

/// An error raised as Redis's own `redis.*` functions raise (no script position).
pub(crate) fn raise_err(msg: &str) -> mlua::Error {
    mlua::Error::external(Raised(msg.to_string()))
}

/// The reply text if `e` is what `redis.call` raised.
fn raised(e: &mlua::Error) -> Option<String> {
    match e {
        mlua::Error::CallbackError { cause, .. } => raised(cause),
        mlua::Error::ExternalError(x) => x.downcast_ref::<Raised>().map(|r| r.0.clone()),
        _ => None,
    }
}

/// What a script's `pcall` returns for an error: the message (for `redis.call`, the
/// command's error reply; for an error table, its `err`), as Redis hands it; other values
/// unchanged.
pub(crate) fn convert_error(lua: &Lua, v: Value) -> mlua::Result<Value> {
    if let Value::Table(t) = &v {
        if let Ok(Value::String(s)) = t.raw_get::<Value>("err") {
            return Ok(Value::String(s));
        }
    }
    let Value::Error(e) = &v else {
        return Ok(v);
    };
    let msg = raised(e).unwrap_or_else(|| clean(e));
    if msg.starts_with("Script killed") || msg.starts_with("FUNCTION LOAD timeout") {
        // A kill is not the script's to catch.
        return Err((**e).clone());
    }
    Ok(Value::String(lua.create_string(msg)?))
}

fn err_table(lua: &Lua, msg: String) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", msg)?;
    Ok(t)
}

/// The source and current line of the innermost user script or library frame.
fn user_frame(lua: &Lua) -> Option<(String, i32)> {
    (0..64).find_map(|level| {
        let d = lua.inspect_stack(level)?;
        let src = d.source().source?.into_owned();
        let line = d.curr_line();
        (src.starts_with("@user_") && line > 0).then_some((src, line))
    })
}

/// The error reply for a failed script: its message, then which script and where.
fn script_error(v: &Value, name: &str) -> Frame {
    let t = match v {
        Value::Table(t) => t,
        Value::String(s) => {
            let msg = s.to_string_lossy();
            return Frame::error(format!("ERR {msg} script: {name}"));
        }
        _ => return Frame::error(format!("ERR Error running script {name}")),
    };
    let msg = t
        .raw_get::<mlua::String>("err")
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_default();
    let source = t.raw_get::<Option<String>>("source").ok().flatten();
    let line = t.raw_get::<Option<i64>>("line").ok().flatten();
    let mut text = msg;
    if let (Some(src), Some(line)) = (source, line) {
        text.extend_from_slice(format!(" script: {name}, on {src}:{line}.").as_bytes());
    } else {
        text.extend_from_slice(format!(" script: {name}").as_bytes());
    }
    error_frame(&text)
}

/// An mlua error's own message: the innermost cause, without mlua's wrapping words.
pub(crate) fn clean(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => clean(cause),
        mlua::Error::RuntimeError(m) | mlua::Error::SyntaxError { message: m, .. } => m.clone(),
        mlua::Error::MemoryError(_) => "not enough memory".into(),
        mlua::Error::WithContext { cause, .. } => clean(cause),
        other => other.to_string(),
    }
}
