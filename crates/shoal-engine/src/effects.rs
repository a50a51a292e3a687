//! The write-effects stream: every write, in replication form, in execution order.
//!
//! Handlers emit while they hold the shard locks of the keys they changed, so effects on
//! one key reach listeners in the order they happened. Relative times are already absolute
//! and random choices explicit: replaying the stream into an empty engine rebuilds the data.
//! The AOF, replicas and notifications will all listen here.

use bytes::Bytes;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};

/// One write, as a command that reproduces it.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// The database the command applies to.
    pub db: usize,
    /// The command and its arguments.
    pub args: Vec<Bytes>,
}

/// Fan-out of effects to listeners; free when nobody listens.
#[derive(Default)]
pub(crate) struct EffectBus {
    listeners: Mutex<Vec<Sender<Effect>>>,
    active: AtomicBool,
}

impl EffectBus {
    pub(crate) fn subscribe(&self) -> Receiver<Effect> {
        let (tx, rx) = channel();
        self.listeners.lock().push(tx);
        self.active.store(true, Ordering::SeqCst);
        rx
    }

    /// True if anyone listens.
    pub(crate) fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    pub(crate) fn emit(&self, db: usize, args: Vec<Bytes>) {
        if !self.active.load(Ordering::Relaxed) {
            return;
        }
        let mut listeners = self.listeners.lock();
        let effect = Effect { db, args };
        listeners.retain(|tx| tx.send(effect.clone()).is_ok());
        if listeners.is_empty() {
            self.active.store(false, Ordering::SeqCst);
        }
    }
}
