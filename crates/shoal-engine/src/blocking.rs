//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, ...): who waits on what, in arrival
//! order, and which keys became ready since they were last served.
//!
//! A blocked client is parked here with the command it is waiting to run again; it holds no
//! thread. When a write makes a key ready, the command that did it marks the key, and
//! dispatch serves the waiters of ready keys, oldest first, before the next command runs.

use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Keys with waiters, and keys marked ready.
#[derive(Default)]
pub(crate) struct BlockingRegistry {
    /// (db, key) -> ids of clients waiting on it, oldest first.
    waiters: Mutex<HashMap<(usize, Bytes), VecDeque<u64>>>,
    /// Keys that received data since the waiters were last served.
    ready: Mutex<Vec<(usize, Bytes)>>,
    /// Number of parked clients; lets writes skip all of this when nobody waits.
    parked: AtomicUsize,
}

impl BlockingRegistry {
    /// True if any client is blocked; one relaxed load on every push.
    pub(crate) fn has_waiters(&self) -> bool {
        self.parked.load(Ordering::Relaxed) > 0
    }

    /// Records that `key` in `db` may serve waiters.
    pub(crate) fn mark_ready(&self, db: usize, key: &[u8]) {
        let key = Bytes::copy_from_slice(key);
        if self.waiters.lock().contains_key(&(db, key.clone())) {
            self.ready.lock().push((db, key));
        }
    }

    /// Parks client `id` on `keys` of `db`, behind the clients already waiting there.
    #[allow(dead_code)] // Parking lands with the blocking list and sorted-set commands.
    pub(crate) fn park(&self, id: u64, db: usize, keys: &[Bytes]) {
        let mut w = self.waiters.lock();
        for k in keys {
            w.entry((db, k.clone())).or_default().push_back(id);
        }
        self.parked.fetch_add(1, Ordering::Relaxed);
    }

    /// Removes client `id` from every queue of `keys` (served, timed out or gone).
    #[allow(dead_code)] // Parking lands with the blocking list and sorted-set commands.
    pub(crate) fn unpark(&self, id: u64, db: usize, keys: &[Bytes]) {
        let mut w = self.waiters.lock();
        for k in keys {
            let slot = (db, k.clone());
            if let Some(q) = w.get_mut(&slot) {
                q.retain(|&c| c != id);
                if q.is_empty() {
                    w.remove(&slot);
                }
            }
        }
        self.parked.fetch_sub(1, Ordering::Relaxed);
    }

    /// Takes the keys marked ready so far, with their waiters in arrival order.
    #[allow(dead_code)] // Parking lands with the blocking list and sorted-set commands.
    pub(crate) fn take_ready(&self) -> Vec<((usize, Bytes), Vec<u64>)> {
        let ready = std::mem::take(&mut *self.ready.lock());
        if ready.is_empty() {
            return Vec::new();
        }
        let w = self.waiters.lock();
        let mut out: Vec<((usize, Bytes), Vec<u64>)> = Vec::new();
        for slot in ready {
            if out.iter().any(|(s, _)| *s == slot) {
                continue;
            }
            if let Some(q) = w.get(&slot) {
                out.push((slot, q.iter().copied().collect()));
            }
        }
        out
    }
}
