//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, ...): who waits on what, in arrival
//! order, and which keys became ready since they were last served.
//!
//! A blocked client is parked here with the command it waits to run again; it holds no
//! thread. A write that gives a key data marks it ready; once that write's command is done,
//! dispatch runs the parked commands of the key's waiters, oldest first, and hands each
//! reply to its client's `deliver` function.
//!
//! ```text
//!   BLPOP k 0 ──nothing──► park(id, keys) ◄── queue per (db, key), oldest first
//!   LPUSH k v ──signal_ready(k)──► ready list ──after the command──► serve_blocked()
//!        └──► take parked record ──run "BLPOP k 0" for it──► deliver(reply) or put back
//! ```

use crate::clients::ClientHandle;
use bytes::Bytes;
use parking_lot::Mutex;
use shoal_resp::Frame;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Hands the reply of a served blocked command to its client.
pub type Deliver = Box<dyn FnOnce(Frame) + Send>;

/// A parked client and the command it waits to run again.
pub(crate) struct Parked {
    pub(crate) id: u64,
    pub(crate) db: usize,
    pub(crate) args: Vec<Bytes>,
    pub(crate) keys: Vec<Bytes>,
    pub(crate) handle: Arc<ClientHandle>,
    /// The reply for a timeout, or for CLIENT UNBLOCK ... TIMEOUT.
    pub(crate) on_timeout: Frame,
    pub(crate) deliver: Deliver,
}

/// Keys with waiters, parked commands, and keys marked ready.
#[derive(Default)]
pub(crate) struct BlockingRegistry {
    /// (db, key) -> ids of clients waiting on it, oldest first.
    queues: Mutex<HashMap<(usize, Bytes), VecDeque<u64>>>,
    /// Parked commands by client id. A record is taken out while it is being served, so
    /// no command ever runs twice.
    parked: Mutex<HashMap<u64, Parked>>,
    /// Keys that received data since the waiters were last served.
    ready: Mutex<Vec<(usize, Bytes)>>,
    any_ready: AtomicBool,
    /// Number of parked clients; lets writes skip all of this when nobody waits.
    count: AtomicUsize,
    /// Every key marked ready, for tests that check which writes wake clients.
    #[cfg(test)]
    pub(crate) signalled: Mutex<Vec<Bytes>>,
}

impl BlockingRegistry {
    /// True if any client is blocked; one relaxed load on every push.
    pub(crate) fn has_waiters(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    /// True if some key was marked ready and not served yet.
    pub(crate) fn has_ready(&self) -> bool {
        self.any_ready.load(Ordering::Acquire)
    }

    /// Number of blocked clients (INFO `blocked_clients`).
    pub(crate) fn blocked_clients(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Records that `key` in `db` may serve waiters.
    pub(crate) fn mark_ready(&self, db: usize, key: &[u8]) {
        let slot = (db, Bytes::copy_from_slice(key));
        if self.queues.lock().contains_key(&slot) {
            #[cfg(test)]
            self.signalled.lock().push(slot.1.clone());
            self.ready.lock().push(slot);
            self.any_ready.store(true, Ordering::Release);
        }
    }

    /// Keys of database `db` that some client waits on.
    pub(crate) fn waited_keys(&self, db: usize) -> Vec<Bytes> {
        self.queues
            .lock()
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// Parks a client behind the clients already waiting on its keys, and marks its keys
    /// ready so data that arrived while it was deciding to block is not missed.
    pub(crate) fn park(&self, p: Parked) {
        {
            let mut q = self.queues.lock();
            for k in &p.keys {
                q.entry((p.db, k.clone())).or_default().push_back(p.id);
            }
        }
        let (db, keys) = (p.db, p.keys.clone());
        self.parked.lock().insert(p.id, p);
        self.count.fetch_add(1, Ordering::Relaxed);
        for k in keys {
            self.mark_ready(db, &k);
        }
    }

    /// Takes client `id`'s parked record out to serve it; None if it is not parked (already
    /// served, timed out, or being served by another thread).
    pub(crate) fn take(&self, id: u64) -> Option<Parked> {
        self.parked.lock().remove(&id)
    }

    /// Returns a record taken with [`BlockingRegistry::take`] that could not be served; it keeps
    /// its place in every queue.
    pub(crate) fn put_back(&self, p: Parked) {
        self.parked.lock().insert(p.id, p);
    }

    /// Removes a served or cancelled client from the queues of its keys.
    pub(crate) fn forget(&self, id: u64, db: usize, keys: &[Bytes]) {
        let mut q = self.queues.lock();
        for k in keys {
            let slot = (db, k.clone());
            if let Some(waiting) = q.get_mut(&slot) {
                waiting.retain(|&c| c != id);
                if waiting.is_empty() {
                    q.remove(&slot);
                }
            }
        }
        self.count.fetch_sub(1, Ordering::Relaxed);
    }

    /// Cancels client `id`'s wait (timeout, kill, CLIENT UNBLOCK). Returns its record if it
    /// was still parked; None means it is being served right now or was served.
    pub(crate) fn cancel(&self, id: u64) -> Option<Parked> {
        let p = self.take(id)?;
        self.forget(p.id, p.db, &p.keys);
        Some(p)
    }

    /// Takes the keys marked ready so far, each with its waiters in arrival order.
    pub(crate) fn take_ready(&self) -> Vec<Vec<u64>> {
        let ready = {
            let mut r = self.ready.lock();
            self.any_ready.store(false, Ordering::Release);
            std::mem::take(&mut *r)
        };
        let q = self.queues.lock();
        let mut seen: Vec<&(usize, Bytes)> = Vec::new();
        let mut out = Vec::new();
        for slot in &ready {
            if seen.contains(&slot) {
                continue;
            }
            seen.push(slot);
            if let Some(waiting) = q.get(slot) {
                out.push(waiting.iter().copied().collect());
            }
        }
        out
    }
}
