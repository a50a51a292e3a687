//! The VM's instruction-count hook, installed once when the VM is made and armed for each
//! script, function or library load: arming is a few stores, where installing a hook
//! allocates its callback.

use super::call::Slot;
use mlua::{HookTriggers, Lua, VmState};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Instant;

/// Instructions between two looks at the clock.
const HOOK_EVERY: u32 = 10_000;

/// After this long a script tells the engine it runs long (a server then moves the other
/// connections off its thread).
const LONG_MS: u64 = 2;

/// What the hook watches for the code running now.
#[derive(Clone, Copy)]
enum Mode {
    /// Nothing runs: the hook does nothing.
    Off,
    /// A script or function: busy past `threshold_ms`, stopped on a kill request.
    Script { threshold_ms: u64 },
    /// A library's top level: stopped outright at `deadline_ms`.
    Load { deadline_ms: u64 },
}

struct State {
    mode: Mode,
    start: Instant,
    told_long: bool,
}

/// The arming switch of the VM's hook.
#[derive(Clone)]
pub(crate) struct Arm(Arc<Mutex<State>>);

impl Arm {
    /// Installs the hook on `lua`, disarmed; `slot` is where it finds the running call.
    pub(crate) fn install(lua: &Lua, slot: Slot) -> Arm {
        let arm = Arm(Arc::new(Mutex::new(State {
            mode: Mode::Off,
            start: Instant::now(),
            told_long: false,
        })));
        let state = arm.0.clone();
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            move |_, _| tick(&state, &slot),
        );
        arm
    }

    fn set(&self, mode: Mode) {
        let mut s = self.0.lock();
        s.mode = mode;
        s.start = Instant::now();
        s.told_long = false;
    }

    /// Arms for a script or function: busy past `threshold_ms`.
    pub(crate) fn script(&self, threshold_ms: u64) {
        self.set(Mode::Script { threshold_ms });
    }

    /// Arms for a library load: stopped at `deadline_ms`.
    pub(crate) fn load(&self, deadline_ms: u64) {
        self.set(Mode::Load { deadline_ms });
    }

    /// Disarms.
    pub(crate) fn off(&self) {
        self.0.lock().mode = Mode::Off;
    }
}

/// One look at the clock: marks the gate busy and honours a kill request past the busy
/// threshold, tells the engine once that the script runs long, and ends a library load
/// that ran past its deadline.
fn tick(state: &Mutex<State>, slot: &Slot) -> mlua::Result<VmState> {
    let (mode, elapsed, tell_long) = {
        let mut s = state.lock();
        let elapsed = s.start.elapsed().as_millis() as u64;
        let tell_long = matches!(s.mode, Mode::Script { .. }) && elapsed >= LONG_MS && !s.told_long;
        s.told_long |= tell_long;
        (s.mode, elapsed, tell_long)
    };
    match mode {
        Mode::Off => Ok(VmState::Continue),
        Mode::Load { deadline_ms } if elapsed >= deadline_ms => {
            Err(mlua::Error::runtime("FUNCTION LOAD timeout"))
        }
        Mode::Load { .. } => Ok(VmState::Continue),
        Mode::Script { threshold_ms } => {
            // The call's state is free while Lua code runs; skip this look if it is not.
            let Some(guard) = slot.try_lock() else {
                return Ok(VmState::Continue);
            };
            let Some(cs) = guard.as_ref() else {
                return Ok(VmState::Continue);
            };
            let inner = cs.inner.clone();
            let busy = cs.busy;
            drop(guard);
            if tell_long {
                inner.script_runs_long();
            }
            if elapsed < threshold_ms {
                return Ok(VmState::Continue);
            }
            inner.gate.set_busy(busy);
            if inner.gate.kill_requested() {
                return Err(mlua::Error::runtime(
                    "Script killed by user with SCRIPT KILL...",
                ));
            }
            Ok(VmState::Continue)
        }
    }
}
