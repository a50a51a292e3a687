//! Building the one Lua VM: the libraries Redis bundles, the `redis` table, and the
//! protected globals every script and function sees.

use super::call::{CallState, Slot};
use super::hook::Arm;
use super::libs;
use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value, Variadic};

/// The version `redis.REDIS_VERSION` reports: the one INFO and HELLO report.
pub(crate) const VERSION: &str = crate::commands::connection::REDIS_VERSION;

/// [`VERSION`] as a number, `0x00MMmmpp`.
fn version_num() -> i64 {
    VERSION
        .split('.')
        .take(3)
        .fold(0, |acc, part| (acc << 8) | part.parse::<i64>().unwrap_or(0))
}

/// Most memory the Lua VM may hold; past it allocations fail with a Lua memory error.
pub(crate) const MEMORY_LIMIT: usize = 256 << 20;

/// The VM with its sandbox in place.
pub(crate) struct Sandbox {
    pub(crate) lua: Lua,
    /// The protected globals proxy scripts and libraries run in.
    pub(crate) env: Table,
    /// The engine's side of the prelude: `call`, `convert`, `resp`, `register`, `set_loading`.
    pub(crate) hooks: Table,
    /// `run(f, handler, a, b, script)`: calls `f(a, b)` under `xpcall`; with `script`, `a`
    /// and `b` are the globals KEYS and ARGV too.
    pub(crate) runner: Function,
    /// The `xpcall` handler scripts run under.
    pub(crate) handler: Function,
    /// The running call, which the `redis` functions and the hook reach.
    pub(crate) slot: Slot,
    /// The instruction-count hook's switch.
    pub(crate) arm: Arm,
}

/// Makes the VM.
pub(crate) fn build() -> mlua::Result<Sandbox> {
    let lua = Lua::new_with(
        StdLib::TABLE | StdLib::STRING | StdLib::MATH,
        LuaOptions::default(),
    )?;
    let g = lua.globals();
    g.raw_set("redis", redis_table(&lua)?)?;
    g.raw_set("cjson", libs::cjson::table(&lua)?)?;
    g.raw_set("bit", libs::bit::table(&lua)?)?;
    g.raw_set("struct", libs::structlib::table(&lua)?)?;
    g.raw_set("cmsgpack", libs::msgpack::table(&lua)?)?;
    let hooks = lua.create_table()?;
    hooks.raw_set("convert", lua.create_function(super::run::convert_error)?)?;
    let redis: Table = g.raw_get("redis")?;
    let slot = Slot::default();
    engine_functions(&lua, &redis, &hooks, &slot)?;
    let (env, runner): (Table, Function) = lua
        .load(include_str!("prelude.lua"))
        .set_name("=shoal")
        .call(hooks.clone())?;
    let handler = lua.create_function(super::run::error_handler)?;
    let arm = Arm::install(&lua, slot.clone());
    lua.set_memory_limit(MEMORY_LIMIT)?;
    Ok(Sandbox {
        lua,
        env,
        hooks,
        runner,
        handler,
        slot,
        arm,
    })
}

fn no_script() -> mlua::Error {
    mlua::Error::runtime("no script is running")
}

/// Runs `f` on the running call's state, with the VM's memory limit lifted (the replies
/// converted are bounded by the commands, not the script).
fn with_call<R>(
    lua: &Lua,
    slot: &Slot,
    f: impl FnOnce(&mut CallState) -> mlua::Result<R>,
) -> mlua::Result<R> {
    let mut guard = slot.try_lock().ok_or_else(no_script)?;
    let cs = guard.as_mut().ok_or_else(no_script)?;
    super::run::unguarded(lua, || f(cs))
}

/// The `redis` functions that reach the engine: `call`, `pcall` (through `hooks.call`),
/// `acl_check_cmd`, `setresp`, and `set_repl`. They are Rust functions, so a script's
/// `return redis.call(..)` keeps the script's frame for error positions; they find the
/// running call in `slot`.
fn engine_functions(lua: &Lua, redis: &Table, hooks: &Table, slot: &Slot) -> mlua::Result<()> {
    let s = slot.clone();
    redis.raw_set(
        "call",
        lua.create_function(move |lua, args: mlua::MultiValue| {
            match with_call(lua, &s, |cs| cs.call(lua, args))? {
                (true, v) => Ok(v),
                (false, Value::Table(t)) => {
                    let msg: String = t.raw_get("err").unwrap_or_default();
                    Err(mlua::Error::external(super::run::Raised(msg)))
                }
                (false, _) => Err(mlua::Error::runtime("redis.call failed")),
            }
        })?,
    )?;
    let s = slot.clone();
    hooks.raw_set(
        "call",
        lua.create_function(move |lua, args: mlua::MultiValue| {
            with_call(lua, &s, |cs| cs.call(lua, args))
        })?,
    )?;
    let s = slot.clone();
    redis.raw_set(
        "acl_check_cmd",
        lua.create_function(move |lua, args: Variadic<Value>| {
            with_call(lua, &s, |cs| super::run::acl_check(cs, args))
        })?,
    )?;
    let s = slot.clone();
    let h = hooks.clone();
    redis.raw_set(
        "setresp",
        lua.create_function(move |_, args: Variadic<Value>| {
            if args.len() != 1 {
                return raise("ERR redis.setresp() requires one argument.");
            }
            let n = match &args[0] {
                Value::Integer(n @ (2 | 3)) => *n,
                Value::Number(n) if *n == 2.0 || *n == 3.0 => *n as i64,
                _ => return raise("ERR RESP version must be 2 or 3."),
            };
            match s.try_lock().as_mut().and_then(|g| g.as_mut()) {
                Some(cs) => cs.resp = n,
                None => h.raw_set("resp", n)?,
            }
            Ok(())
        })?,
    )?;
    let s = slot.clone();
    redis.raw_set(
        "set_repl",
        lua.create_function(move |_, args: Variadic<Value>| {
            if args.len() != 1 {
                return raise("ERR redis.set_repl() requires one argument.");
            }
            let flags = match &args[0] {
                Value::Integer(n @ 0..=3) => *n as u8,
                Value::Number(n) if (0.0..=3.0).contains(n) && n.fract() == 0.0 => *n as u8,
                _ => return raise("ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."),
            };
            // REPL_AOF = 1 and REPL_REPLICA = 2 are the effects bus's own target bits.
            if let Some(Some(cs)) = s.try_lock().as_deref() {
                cs.inner.effects.set_targets(flags);
            }
            Ok(())
        })?,
    )?;
    Ok(())
}

fn redis_table(lua: &Lua) -> mlua::Result<Table> {
    let r = lua.create_table()?;
    r.raw_set("REDIS_VERSION", VERSION)?;
    r.raw_set("REDIS_VERSION_NUM", version_num())?;
    for (i, name) in ["LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"]
        .iter()
        .enumerate()
    {
        r.raw_set(*name, i as i64)?;
    }
    r.raw_set("sha1hex", lua.create_function(sha1hex)?)?;
    r.raw_set("log", lua.create_function(log)?)?;
    r.raw_set(
        "error_reply",
        lua.create_function(|lua, v: Variadic<Value>| reply_table(lua, "err", &v))?,
    )?;
    r.raw_set(
        "status_reply",
        lua.create_function(|lua, v: Variadic<Value>| reply_table(lua, "ok", &v))?,
    )?;
    Ok(r)
}

/// An error raised the way Redis's own `redis.*` functions raise: no script position.
fn raise<T>(msg: &str) -> mlua::Result<T> {
    Err(mlua::Error::external(super::run::Raised(msg.to_string())))
}

/// The text Lua's `tostring` gives a string or number argument.
fn arg_text(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Number(n) => Some(super::convert::lua_number_text(*n).into_bytes()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        _ => None,
    }
}

fn sha1hex(lua: &Lua, args: Variadic<Value>) -> mlua::Result<mlua::String> {
    match (args.len(), args.first().and_then(arg_text)) {
        (1, Some(s)) => lua.create_string(super::sha1_hex(&s)),
        _ => raise("ERR wrong number of arguments"),
    }
}

/// `redis.error_reply` / `redis.status_reply`: `{err=...}` / `{ok=...}`; an error reply
/// gets Redis's code handling (`-CODE msg` keeps its code, a one-word message gets `ERR`).
fn reply_table(lua: &Lua, key: &str, args: &[Value]) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let (1, Some(Value::String(s))) = (args.len(), args.first()) else {
        t.raw_set("err", "ERR wrong number or type of arguments")?;
        return Ok(t);
    };
    if key == "ok" {
        t.raw_set(key, s.clone())?;
        return Ok(t);
    }
    let b = s.as_bytes();
    let body = b.strip_prefix(b"-").unwrap_or(&b);
    let text = if body.contains(&b' ') {
        body.to_vec()
    } else {
        [b"ERR ".as_slice(), body].concat()
    };
    t.raw_set(key, lua.create_string(text)?)?;
    Ok(t)
}

fn log(_: &Lua, args: Variadic<Value>) -> mlua::Result<()> {
    if args.len() < 2 {
        return raise("ERR redis.log() requires two arguments or more.");
    }
    let level = match &args[0] {
        Value::Number(n) => *n as i64,
        Value::Integer(n) => *n,
        _ => return raise("ERR First argument must be a number (log level)."),
    };
    let text: Vec<String> = args[1..]
        .iter()
        .map(|v| match v {
            Value::String(s) => s.to_string_lossy(),
            Value::Number(n) => super::convert::lua_number_text(*n),
            Value::Integer(n) => n.to_string(),
            other => other.type_name().to_string(),
        })
        .collect();
    let msg = text.join(" ");
    match level {
        0 => tracing::trace!(target: "lua", "{msg}"),
        1 => tracing::debug!(target: "lua", "{msg}"),
        2 => tracing::info!(target: "lua", "{msg}"),
        3 => tracing::warn!(target: "lua", "{msg}"),
        _ => return raise("ERR Invalid debug level."),
    }
    Ok(())
}
