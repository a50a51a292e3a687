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
    /// Effects held back while EXEC or a script runs, to be sent as one MULTI/EXEC block,
    /// with how deep groups are nested (a script inside EXEC).
    group: Mutex<Option<(usize, Vec<Effect>)>>,
    grouping: AtomicBool,
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

    /// Starts holding effects back (EXEC, scripts). Only the holder of the exclusive gate
    /// calls this, so groups never overlap.
    pub(crate) fn begin_group(&self) {
        if !self.is_active() {
            return;
        }
        let mut group = self.group.lock();
        match group.as_mut() {
            Some((depth, _)) => *depth += 1,
            None => *group = Some((1, Vec::new())),
        }
        self.grouping.store(true, Ordering::SeqCst);
    }

    /// Sends what the group held: alone if it is one effect, else wrapped in MULTI/EXEC so
    /// whoever replays it applies all or nothing.
    pub(crate) fn end_group(&self) {
        if !self.grouping.load(Ordering::SeqCst) {
            return;
        }
        let held = {
            let mut group = self.group.lock();
            match group.as_mut() {
                Some((depth, _)) if *depth > 1 => {
                    *depth -= 1;
                    return;
                }
                _ => {}
            }
            self.grouping.store(false, Ordering::SeqCst);
            match group.take() {
                Some((_, held)) => held,
                None => return,
            }
        };
        let wrap = held.len() > 1;
        let db = held.first().map_or(0, |e| e.db);
        if wrap {
            self.send(db, vec![Bytes::from_static(b"MULTI")]);
        }
        for e in held {
            self.send(e.db, e.args);
        }
        if wrap {
            self.send(db, vec![Bytes::from_static(b"EXEC")]);
        }
    }

    pub(crate) fn emit(&self, db: usize, args: Vec<Bytes>) {
        if !self.active.load(Ordering::Relaxed) {
            return;
        }
        if self.grouping.load(Ordering::Relaxed) {
            if let Some((_, held)) = self.group.lock().as_mut() {
                held.push(Effect { db, args });
                return;
            }
        }
        self.send(db, args);
    }

    fn send(&self, db: usize, args: Vec<Bytes>) {
        let mut listeners = self.listeners.lock();
        let effect = Effect { db, args };
        listeners.retain(|tx| tx.send(effect.clone()).is_ok());
        if listeners.is_empty() {
            self.active.store(false, Ordering::SeqCst);
        }
    }
}
