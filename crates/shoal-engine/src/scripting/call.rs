//! `redis.call` / `redis.pcall`: a command run on behalf of the script.

use super::convert::{frame_to_lua, g_format};
use crate::command::{find_subcommand, flags};
use crate::engine::Inner;
use crate::session::SessionState;
use bytes::Bytes;
use mlua::{Lua, MultiValue, Value};
use shoal_resp::{Frame, Protocol};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Where the running call's state lives: filled for each call, read by the `redis`
/// functions and the hook (all made once per VM).
pub(crate) type Slot = Arc<parking_lot::Mutex<Option<CallState>>>;

/// What `redis.call` needs while a script runs.
pub(crate) struct CallState {
    pub(crate) inner: Arc<Inner>,
    /// The script's own session (its SELECT never reaches the caller).
    pub(crate) st: SessionState,
    pub(crate) now_ms: u64,
    pub(crate) read_only: bool,
    /// The script came from this replica's primary: a read-only replica obeys its writes.
    pub(crate) from_primary: bool,
    /// What the gate shows while this runs too long.
    pub(crate) busy: crate::gate::Busy,
    /// The protocol replies are converted from (`redis.setresp`).
    pub(crate) resp: i64,
}

fn fail(lua: &Lua, msg: &str) -> mlua::Result<(bool, Value)> {
    let t = lua.create_table()?;
    t.raw_set("err", msg)?;
    Ok((false, Value::Table(t)))
}

/// The arguments as command bytes; `None` if one is neither a string nor a number.
fn to_argv(args: MultiValue) -> Option<Vec<Bytes>> {
    args.into_iter()
        .map(|v| match v {
            Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Integer(n) => Some(Bytes::from(n.to_string())),
            Value::Number(n) => Some(Bytes::from(g_format(n, 17))),
            _ => None,
        })
        .collect()
}

impl CallState {
    /// Runs one command: `(true, reply)` or `(false, {err=...})`.
    pub(crate) fn call(&mut self, lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
        if args.is_empty() {
            return fail(
                lua,
                "ERR Please specify at least one argument for this redis lib call",
            );
        }
        let Some(argv) = to_argv(args) else {
            return fail(
                lua,
                "ERR Lua redis lib command arguments must be strings or integers",
            );
        };
        if let Err(msg) = self.check(&argv) {
            return fail(lua, msg);
        }
        if let Some(msg) = self.inner.acl_script_refusal(&mut self.st, &argv) {
            return fail(lua, &msg);
        }
        let resp3 = self.resp == 3;
        self.st.protocol = if resp3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
        let reply = self.inner.run_inner(&mut self.st, argv, self.now_ms);
        match reply {
            Frame::Error(e) | Frame::BulkError(e) => fail(lua, &String::from_utf8_lossy(&e)),
            other => Ok((true, frame_to_lua(lua, other, resp3)?)),
        }
    }

    /// Refuses what a script may not run, with Redis's words.
    fn check(&self, argv: &[Bytes]) -> Result<(), &'static str> {
        let Some(spec) = argv.first().and_then(|n| self.inner.table.get(n)) else {
            return Err("ERR Unknown Redis command called from script");
        };
        if !spec.arity_ok(argv.len()) {
            return Err("ERR Wrong number of args calling Redis command from script");
        }
        let spec = match argv.get(1) {
            Some(sub) if !spec.subcommands.is_empty() => match find_subcommand(spec, sub) {
                Some(s) if s.arity_ok(argv.len()) => s,
                Some(_) => {
                    return Err("ERR Wrong number of args calling Redis command from script")
                }
                None => return Err("ERR Unknown Redis command called from script"),
            },
            _ => spec,
        };
        if spec.has(flags::NOSCRIPT) {
            return Err("ERR This Redis command is not allowed from script");
        }
        if spec.has(flags::DENYOOM) && self.inner.over_maxmemory() {
            return Err(crate::evict::OOM);
        }
        if spec.has(flags::WRITE) {
            if self.read_only {
                return Err("ERR Write commands are not allowed from read-only scripts.");
            }
            let repl = &self.inner.repl;
            if !self.from_primary
                && repl.is_replica()
                && self.inner.config.get_bool("replica-read-only")
            {
                return Err("READONLY You can't write against a read only replica.");
            }
            self.inner
                .scripting
                .state
                .wrote
                .store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}
