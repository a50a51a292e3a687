//! The keyspace gate: every command passes it shared; EXEC, scripts and functions pass it
//! alone, so what they run is atomic for every other client without any of them knowing
//! which keys will be touched.
//!
//! Shared passage must cost next to nothing on the hot path, so the gate is a row of
//! reader-writer locks, one cache line each and about one per core; a thread always uses
//! the same one, so threads on different cores seldom share a line. Exclusive passage takes
//! every lock of the row, in order.
//!
//! A script that runs past `busy-reply-threshold` marks the gate busy: from then on a command
//! that cannot pass answers `BUSY` instead of waiting, and only commands flagged `allow_busy`
//! (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE, ...) run, because they pass no gate at all.

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

/// How many reader locks the row holds: one per core, as a power of two from 2 to 16. No
/// more threads than cores run at once, and exclusive passage takes every lock of the row,
/// so a longer row would only make scripts and EXEC dearer.
fn slot_count() -> usize {
    std::thread::available_parallelism()
        .map_or(16, |n| n.get())
        .next_power_of_two()
        .clamp(2, 16)
}

#[repr(align(128))]
#[derive(Default)]
struct Slot(RwLock<()>);

/// What holds the gate exclusively past its busy threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Busy {
    /// Nothing: commands wait their turn.
    No,
    /// An EVAL/EVALSHA script.
    Script,
    /// A function called by FCALL.
    Function,
}

/// The gate; see the module documentation.
pub(crate) struct Gate {
    slots: Box<[Slot]>,
    busy: AtomicU8,
    /// Set by SCRIPT KILL / FUNCTION KILL; the running script polls it.
    kill: AtomicBool,
}

static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MY_SLOT: usize = NEXT_SLOT.fetch_add(1, Ordering::Relaxed);
}

/// Shared passage; dropping it leaves the gate.
pub(crate) type Shared<'g> = RwLockReadGuard<'g, ()>;

/// Exclusive passage; dropping it leaves the gate (and clears a busy mark; a kill request
/// is cleared when the next holder passes).
pub(crate) struct Exclusive<'g> {
    gate: &'g Gate,
    _held: Vec<RwLockWriteGuard<'g, ()>>,
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        self.gate.busy.store(0, Ordering::SeqCst);
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            slots: (0..slot_count()).map(|_| Slot::default()).collect(),
            busy: AtomicU8::new(0),
            kill: AtomicBool::new(false),
        }
    }
}

impl Gate {
    fn slot(&self) -> &RwLock<()> {
        // The row's length is a power of two.
        &self.slots[MY_SLOT.with(|s| *s) & (self.slots.len() - 1)].0
    }

    /// Passes shared, waiting while an exclusive holder runs; gives up with the busy kind
    /// once the holder is marked busy.
    pub(crate) fn shared(&self) -> Result<Shared<'_>, Busy> {
        let slot = self.slot();
        if let Some(g) = slot.try_read() {
            return Ok(g);
        }
        loop {
            let busy = self.busy();
            if busy != Busy::No {
                return Err(busy);
            }
            if let Some(g) = slot.try_read_for(Duration::from_millis(2)) {
                return Ok(g);
            }
        }
    }

    /// Passes shared, waiting as long as it takes (background work such as active expiry).
    pub(crate) fn shared_wait(&self) -> Shared<'_> {
        self.slot().read()
    }

    /// Passes alone: waits for every shared holder to leave. Like [`Gate::shared`], gives up
    /// when another exclusive holder is marked busy.
    pub(crate) fn exclusive(&self) -> Result<Exclusive<'_>, Busy> {
        let mut held = Vec::with_capacity(self.slots.len());
        for slot in self.slots.iter() {
            loop {
                if let Some(g) = slot.0.try_write_for(Duration::from_millis(2)) {
                    held.push(g);
                    break;
                }
                let busy = self.busy();
                if busy != Busy::No {
                    return Err(busy);
                }
            }
        }
        // A kill requested of an earlier holder that finished meanwhile is not for this one.
        self.kill.store(false, Ordering::SeqCst);
        Ok(Exclusive {
            gate: self,
            _held: held,
        })
    }

    /// What the exclusive holder is, once it has been marked busy.
    pub(crate) fn busy(&self) -> Busy {
        match self.busy.load(Ordering::SeqCst) {
            1 => Busy::Script,
            2 => Busy::Function,
            _ => Busy::No,
        }
    }

    /// Marks the exclusive holder busy (called by the holder itself).
    pub(crate) fn set_busy(&self, kind: Busy) {
        let v = match kind {
            Busy::No => 0,
            Busy::Script => 1,
            Busy::Function => 2,
        };
        self.busy.store(v, Ordering::SeqCst);
    }

    /// Asks the busy holder to stop (SCRIPT KILL / FUNCTION KILL).
    pub(crate) fn request_kill(&self) {
        self.kill.store(true, Ordering::SeqCst);
    }

    /// True once a kill was requested of the current exclusive holder.
    pub(crate) fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn exclusive_waits_for_shared_holders_and_excludes_them() {
        let gate = Arc::new(Gate::default());
        let shared = gate.shared().ok();
        assert!(shared.is_some());
        let g2 = gate.clone();
        let t = std::thread::spawn(move || g2.exclusive().is_ok());
        drop(shared);
        assert!(t.join().unwrap_or(false));
    }

    #[test]
    fn shared_gives_up_with_busy_while_a_busy_holder_runs() {
        let gate = Arc::new(Gate::default());
        let ex = gate.exclusive().ok();
        gate.set_busy(Busy::Script);
        let g2 = gate.clone();
        let t = std::thread::spawn(move || g2.shared().err());
        assert_eq!(t.join().ok().flatten(), Some(Busy::Script));
        drop(ex);
        assert_eq!(gate.busy(), Busy::No);
        assert!(gate.shared().is_ok());
    }
}
