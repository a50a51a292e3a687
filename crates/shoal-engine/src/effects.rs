//! The write-effects stream: every write, in replication form, in execution order.
//!
//! Handlers emit while they hold the shard locks of the keys they changed, so effects on
//! one key reach listeners in the order they happened. Relative times are already absolute
//! and random choices explicit: replaying the stream into an empty engine rebuilds the data.
//! The AOF, replicas and notifications will all listen here.

use bytes::Bytes;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};

/// An effect is for the append-only file.
pub const TO_AOF: u8 = 1;
/// An effect is for replicas.
pub const TO_REPLICAS: u8 = 2;
/// An effect is for every consumer (the default; scripts narrow it with `redis.set_repl`).
pub const TO_ALL: u8 = TO_AOF | TO_REPLICAS;

/// One write, as a command that reproduces it.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// The database the command applies to.
    pub db: usize,
    /// The command and its arguments.
    pub args: Vec<Bytes>,
    /// Which consumers it is for: [`TO_AOF`], [`TO_REPLICAS`] or both ([`TO_ALL`]).
    pub targets: u8,
}

/// Fan-out of effects to listeners; free when nobody listens.
pub(crate) struct EffectBus {
    listeners: Mutex<Vec<Sender<Effect>>>,
    /// How many channels `listeners` holds, so a write that only feeds the replication
    /// stream skips its lock. Changed only under that lock.
    listening: AtomicUsize,
    active: AtomicBool,
    /// Effects held back while EXEC or a script runs, to be sent as one MULTI/EXEC block,
    /// with how deep groups are nested (a script inside EXEC).
    group: Mutex<Option<(usize, Vec<Effect>)>>,
    grouping: AtomicBool,
    /// Consumers of what is emitted now; a script's `redis.set_repl` narrows it (and it is
    /// only ever narrowed by the exclusive gate's holder, so one value serves everyone).
    targets: AtomicU8,
    /// Effects sent so far: a mark callers compare to learn whether they wrote.
    pub(crate) sent: AtomicU64,
    /// The replication stream replicas follow (see [`crate::repl`]).
    pub(crate) stream: crate::repl::stream::Stream,
}

impl Default for EffectBus {
    fn default() -> Self {
        EffectBus {
            listeners: Mutex::default(),
            listening: AtomicUsize::new(0),
            active: AtomicBool::new(false),
            group: Mutex::default(),
            grouping: AtomicBool::new(false),
            targets: AtomicU8::new(TO_ALL),
            sent: AtomicU64::new(0),
            stream: Default::default(),
        }
    }
}

impl EffectBus {
    pub(crate) fn subscribe(&self) -> Receiver<Effect> {
        let (tx, rx) = channel();
        self.add_listener(tx);
        rx
    }

    fn add_listener(&self, tx: Sender<Effect>) {
        let mut listeners = self.listeners.lock();
        listeners.push(tx);
        self.listening.store(listeners.len(), Ordering::SeqCst);
        self.active.store(true, Ordering::SeqCst);
    }

    /// Like [`EffectBus::subscribe`], also returning a sender into the same channel, so the
    /// listener can be woken or sent steps in order with the effects (the AOF writer).
    pub(crate) fn subscribe_pair(&self) -> (Sender<Effect>, Receiver<Effect>) {
        let (tx, rx) = channel();
        self.add_listener(tx.clone());
        (tx, rx)
    }

    /// How many effects were sent to listeners so far.
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Keeps effects flowing while the replication stream takes them, listeners or not.
    pub(crate) fn keep_active(&self) {
        self.active.store(true, Ordering::SeqCst);
    }

    /// True if anyone listens.
    pub(crate) fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Sets which consumers what is emitted from now on is for (`redis.set_repl`); 0 sends
    /// effects nowhere. Scripts put [`TO_ALL`] back when they end.
    pub(crate) fn set_targets(&self, targets: u8) {
        self.targets.store(targets & TO_ALL, Ordering::SeqCst);
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
        let targets = held.iter().fold(0, |t, e| t | e.targets);
        if wrap {
            self.send(Effect {
                db,
                args: vec![Bytes::from_static(b"MULTI")],
                targets,
            });
        }
        for e in held {
            self.send(e);
        }
        if wrap {
            self.send(Effect {
                db,
                args: vec![Bytes::from_static(b"EXEC")],
                targets,
            });
        }
    }

    pub(crate) fn emit(&self, db: usize, args: Vec<Bytes>) {
        self.emit_to(db, args, TO_ALL);
    }

    /// Emits an effect for some consumers only (PUBLISH goes to replicas, not the AOF).
    pub(crate) fn emit_to(&self, db: usize, args: Vec<Bytes>, only: u8) {
        if !self.active.load(Ordering::Relaxed) {
            return;
        }
        let targets = self.targets.load(Ordering::Relaxed) & only;
        if targets == 0 {
            // A script said REPL_NONE: this write goes to no consumer.
            return;
        }
        let effect = Effect { db, args, targets };
        if self.grouping.load(Ordering::Relaxed) {
            if let Some((_, held)) = self.group.lock().as_mut() {
                held.push(effect);
                return;
            }
        }
        self.send(effect);
    }

    fn send(&self, effect: Effect) {
        if self.listening.load(Ordering::SeqCst) == 0 && self.stream.is_feeding() {
            // Only the replication stream takes it: its own lock orders the appends.
            self.sent.fetch_add(1, Ordering::SeqCst);
            if effect.targets & TO_REPLICAS != 0 {
                self.stream.feed(&effect);
            }
            return;
        }
        let mut listeners = self.listeners.lock();
        self.sent.fetch_add(1, Ordering::SeqCst);
        if effect.targets & TO_REPLICAS != 0 {
            self.stream.feed(&effect);
        }
        // Every listener but the last gets a copy; the last one takes the effect itself.
        let last = listeners.len();
        let mut effect = Some(effect);
        let mut at = 0;
        listeners.retain(|tx| {
            at += 1;
            let e = if at == last {
                effect.take()
            } else {
                effect.clone()
            };
            e.is_none_or(|e| tx.send(e).is_ok())
        });
        self.listening.store(listeners.len(), Ordering::SeqCst);
        if listeners.is_empty() && !self.stream.is_feeding() {
            self.active.store(false, Ordering::SeqCst);
        }
    }
}
