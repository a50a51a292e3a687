//! Lua scripting and functions: one Lua VM per engine, the EVAL script cache, function
//! libraries, and the state SCRIPT KILL / FUNCTION KILL read while a script runs.
//!
//! ```text
//!   EVAL body ──sha1──► cache ──► Function ──runner(xpcall)──► Lua value ──► Frame
//!                                    │ redis.call ──► Inner::run_inner (script session)
//!                                    └ count hook ──► busy mark / kill request
//! ```
//!
//! A script runs while its command holds the keyspace gate alone, so the VM mutex is never
//! contended; SCRIPT KILL and FUNCTION KILL touch only the atomics of `RunState`.

mod call;
pub(crate) mod convert;
pub(crate) mod dump;
pub(crate) mod functions;
mod hook;
mod libs;
pub(crate) mod run;
#[cfg(test)]
pub(crate) use sandbox::VERSION;
mod sandbox;
#[cfg(test)]
mod tests_prop;

use bytes::Bytes;
use mlua::Function;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Instant;

pub(crate) use run::Invocation;

/// What is running right now, for SCRIPT KILL, FUNCTION KILL and FUNCTION STATS.
#[derive(Default)]
pub(crate) struct RunState {
    /// 0 nothing, 1 an EVAL script, 2 a function.
    kind: AtomicU8,
    /// The running script has called a write command.
    pub(crate) wrote: AtomicBool,
}

/// The running function as FUNCTION STATS shows it.
#[derive(Clone)]
pub(crate) struct Running {
    pub(crate) name: String,
    pub(crate) command: Vec<Bytes>,
    pub(crate) started: Instant,
}

/// Per-engine scripting state.
#[derive(Default)]
pub struct Scripting {
    vm: Mutex<Option<Vm>>,
    pub(crate) state: RunState,
    /// Set while a function runs (read by FUNCTION STATS beside a busy function).
    pub(crate) running: Mutex<Option<Running>>,
    /// Libraries and functions loaded, for FUNCTION STATS.
    pub(crate) counts: Mutex<(usize, usize)>,
}

/// The VM and what lives in it.
pub(crate) struct Vm {
    pub(crate) sb: sandbox::Sandbox,
    /// EVAL scripts by SHA1.
    pub(crate) scripts: HashMap<String, Script>,
    pub(crate) libs: functions::Libraries,
}

/// A cached EVAL script.
pub(crate) struct Script {
    /// The compiled body.
    pub(crate) f: Function,
    /// What its `#!` line declares.
    pub(crate) declared: crate::commands::scripting::Declared,
}

/// What is running, as SCRIPT KILL and FUNCTION KILL see it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// An EVAL-family script.
    Script,
    /// A function called by FCALL.
    Function,
}

impl Scripting {
    /// Runs `f` with the VM, making it on first use.
    pub(crate) fn with_vm<R>(&self, f: impl FnOnce(&mut Vm) -> R) -> Result<R, String> {
        let mut guard = self.vm.lock();
        if guard.is_none() {
            let sb = sandbox::build().map_err(|e| e.to_string())?;
            *guard = Some(Vm {
                sb,
                scripts: HashMap::new(),
                libs: Default::default(),
            });
        }
        match guard.as_mut() {
            Some(vm) => Ok(f(vm)),
            None => Err("no VM".into()),
        }
    }

    /// Drops the script cache (SCRIPT FLUSH). As in Redis the VM is made anew, so nothing a
    /// script left behind survives; function libraries are loaded again into the new one.
    pub(crate) fn flush_scripts(&self) -> Result<(), String> {
        let mut guard = self.vm.lock();
        let Some(old) = guard.take() else {
            return Ok(());
        };
        let codes: Vec<Bytes> = old.libs.libs.values().map(|l| l.code.clone()).collect();
        drop(old);
        let mut vm = Vm {
            sb: sandbox::build().map_err(|e| e.to_string())?,
            scripts: HashMap::new(),
            libs: Default::default(),
        };
        for code in codes {
            if let Err(e) = vm.load_library(&code, false) {
                tracing::warn!("library dropped by SCRIPT FLUSH: {e}");
            }
        }
        *self.counts.lock() = vm.libs.counts();
        *guard = Some(vm);
        Ok(())
    }

    /// What runs now, if anything.
    pub(crate) fn running_kind(&self) -> Option<Kind> {
        match self.state.kind.load(Ordering::SeqCst) {
            1 => Some(Kind::Script),
            2 => Some(Kind::Function),
            _ => None,
        }
    }

    pub(crate) fn set_running(&self, kind: Option<Kind>) {
        let v = match kind {
            None => 0,
            Some(Kind::Script) => 1,
            Some(Kind::Function) => 2,
        };
        self.state.wrote.store(false, Ordering::SeqCst);
        self.state.kind.store(v, Ordering::SeqCst);
    }
}

/// The SHA1 of `data` in lower-case hex.
pub(crate) fn sha1_hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}
