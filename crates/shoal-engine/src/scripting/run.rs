//! Running one script or function: KEYS/ARGV, the script session, the time hook, the error
//! handler and the reply.

use super::call::CallState;
use super::convert::{error_frame, lua_to_frame};
use super::{Kind, Running, Scripting, Vm};
use crate::engine::Inner;
use crate::gate::Busy;
use crate::session::SessionState;
use bytes::Bytes;
use mlua::{Function, HookTriggers, Lua, Table, Value, VmState};
use shoal_resp::Frame;
use std::sync::Arc;
use std::time::Instant;

/// Instructions between two looks at the clock.
const HOOK_EVERY: u32 = 10_000;

/// After this long a script tells the engine it runs long (a server then moves the other
/// connections off its thread).
const LONG_MS: u64 = 2;

/// One call of a script or function.
pub(crate) struct Invocation {
    pub(crate) kind: Kind,
    /// The SHA1 (scripts) or function name, as error replies show it.
    pub(crate) name: String,
    /// EVAL_RO, FCALL_RO or a `no-writes` function.
    pub(crate) read_only: bool,
    pub(crate) keys: Vec<Bytes>,
    pub(crate) args: Vec<Bytes>,
    /// The command as sent (FUNCTION STATS shows it).
    pub(crate) command: Vec<Bytes>,
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
                name: inv.name.clone(),
                command: inv.command.clone(),
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
        vm.sb.lua.remove_hook();
        *self.running.lock() = None;
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

fn lua_list(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, b) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(b)?)?;
    }
    Ok(t)
}

/// KEYS and ARGV as Lua tables; scripts also get them as globals.
fn inputs(vm: &Vm, inv: &Invocation) -> mlua::Result<(Table, Table)> {
    let keys = lua_list(&vm.sb.lua, &inv.keys)?;
    let args = lua_list(&vm.sb.lua, &inv.args)?;
    if inv.kind == Kind::Script {
        vm.sb.globals.raw_set("KEYS", keys.clone())?;
        vm.sb.globals.raw_set("ARGV", args.clone())?;
    } else {
        // Functions must not see the last script's KEYS and ARGV.
        vm.sb.globals.raw_set("KEYS", Value::Nil)?;
        vm.sb.globals.raw_set("ARGV", Value::Nil)?;
    }
    Ok((keys, args))
}

/// `redis.acl_check_cmd`: whether the calling user may run the command with these
/// arguments.
fn acl_check(cs: &mut CallState, args: mlua::Variadic<Value>) -> mlua::Result<bool> {
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
    let hooks = &vm.sb.hooks;
    let (keys, args) = unguarded(lua, || inputs(vm, inv))?;
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
    lua.set_app_data(CallState {
        inner,
        st,
        now_ms: caller.now_ms,
        read_only: inv.read_only,
        busy,
        resp: 2,
    });
    let ran = engine_functions(lua, hooks).and_then(|handler| {
        install_hook(lua, threshold, None);
        vm.sb
            .runner
            .call::<(bool, Value)>((f.clone(), handler, keys, args))
    });
    let resp3 = lua
        .remove_app_data::<CallState>()
        .is_some_and(|cs| cs.resp == 3);
    let (ok, v) = ran?;
    Ok(unguarded(lua, || {
        if ok {
            lua_to_frame(&v, resp3)
        } else {
            script_error(&v, &inv.name)
        }
    }))
}

fn no_script() -> mlua::Error {
    mlua::Error::runtime("no script is running")
}

/// The functions through which a script reaches the engine (`hooks.call`,
/// `hooks.acl_check`, the busy tick and the long-run notice), made once per VM: they find
/// the running call in the VM's app data. Returns the error handler.
fn engine_functions(lua: &Lua, hooks: &Table) -> mlua::Result<Function> {
    if let Some(handler) = lua.named_registry_value::<Option<Function>>("shoal_err")? {
        return Ok(handler);
    }
    let call = lua.create_function(|lua, a: mlua::MultiValue| {
        let mut cs = lua
            .try_app_data_mut::<CallState>()
            .map_err(mlua::Error::external)?
            .ok_or_else(no_script)?;
        unguarded(lua, || cs.call(lua, a))
    })?;
    hooks.raw_set("call", call)?;
    let acl = lua.create_function(|lua, args| {
        let mut cs = lua
            .try_app_data_mut::<CallState>()
            .map_err(mlua::Error::external)?
            .ok_or_else(no_script)?;
        acl_check(&mut cs, args)
    })?;
    hooks.raw_set("acl_check", acl)?;
    let tick = lua.create_function(|lua, ()| {
        let cs = lua
            .try_app_data_ref::<CallState>()
            .map_err(mlua::Error::external)?
            .ok_or_else(no_script)?;
        cs.inner.gate.set_busy(cs.busy);
        Ok(cs.inner.gate.kill_requested())
    })?;
    lua.set_named_registry_value("shoal_tick", tick)?;
    let long = lua.create_function(|lua, ()| {
        let inner = match lua.try_app_data_ref::<CallState>() {
            Ok(Some(cs)) => cs.inner.clone(),
            _ => return Ok(()),
        };
        inner.script_runs_long();
        Ok(())
    })?;
    lua.set_named_registry_value("shoal_long", long)?;
    // Made last: its presence says every function above exists.
    let handler = lua.create_function(error_handler)?;
    lua.set_named_registry_value("shoal_err", handler.clone())?;
    Ok(handler)
}

/// Installs the count hook: past `threshold_ms` it marks the gate busy (through the
/// `shoal_tick` registry function) and stops the script once a kill is requested; with
/// `deadline_ms` (library loading) it stops the code outright at that time.
pub(crate) fn install_hook(lua: &Lua, threshold_ms: u64, deadline_ms: Option<u64>) {
    let start = Instant::now();
    let told_long = std::cell::Cell::new(false);
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(HOOK_EVERY),
        move |lua, _| {
            let elapsed = start.elapsed().as_millis() as u64;
            if let Some(d) = deadline_ms {
                if elapsed >= d {
                    return Err(mlua::Error::runtime("FUNCTION LOAD timeout"));
                }
                return Ok(VmState::Continue);
            }
            if elapsed >= LONG_MS && !told_long.replace(true) {
                let long: Function = lua.named_registry_value("shoal_long")?;
                long.call::<()>(())?;
            }
            if elapsed < threshold_ms {
                return Ok(VmState::Continue);
            }
            let tick: Function = lua.named_registry_value("shoal_tick")?;
            if tick.call::<bool>(())? {
                return Err(mlua::Error::runtime(
                    "Script killed by user with SCRIPT KILL...",
                ));
            }
            Ok(VmState::Continue)
        },
    );
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
