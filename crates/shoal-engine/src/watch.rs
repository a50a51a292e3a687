//! WATCH: which clients watch which keys, and which of them saw a watched key change.
//!
//! Every write reaches [`Watches::touch`] through the effect it emits (a command that changed
//! nothing emits nothing, so touches nothing), expiry and eviction included; FLUSHDB,
//! FLUSHALL and SWAPDB touch only the watched keys that existed, as Redis does. When no
//! client watches anything, the cost on the write path is one relaxed load.

use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One client watching one key.
struct Watcher {
    client: u64,
    /// The key was already logically expired when watched: its deletion is no change.
    expired: bool,
}

#[derive(Default)]
struct State {
    keys: HashMap<(usize, Bytes), Vec<Watcher>>,
    dirty: HashSet<u64>,
}

/// The registry of watched keys.
#[derive(Default)]
pub(crate) struct Watches {
    /// Number of watched (database, key) pairs; zero skips all work.
    count: AtomicUsize,
    state: Mutex<State>,
}

impl Watches {
    /// True if any client watches any key.
    pub(crate) fn active(&self) -> bool {
        self.count.load(Ordering::Relaxed) != 0
    }

    /// Client `client` watches `key` of `db`; `expired` tells whether it is logically expired
    /// now. False if it already watched it.
    pub(crate) fn watch(&self, client: u64, db: usize, key: Bytes, expired: bool) -> bool {
        let mut st = self.state.lock();
        let list = st.keys.entry((db, key)).or_default();
        if list.iter().any(|w| w.client == client) {
            return false;
        }
        if list.is_empty() {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        list.push(Watcher { client, expired });
        true
    }

    /// Forgets every watch of `client` (its keys are `keys`) and its dirty mark.
    pub(crate) fn unwatch_all(&self, client: u64, keys: &[(usize, Bytes)]) {
        let mut st = self.state.lock();
        st.dirty.remove(&client);
        for k in keys {
            if let Some(list) = st.keys.get_mut(k) {
                list.retain(|w| w.client != client);
                if list.is_empty() {
                    st.keys.remove(k);
                    self.count.fetch_sub(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// True if a watched key of `client` changed since it was watched.
    pub(crate) fn is_dirty(&self, client: u64) -> bool {
        self.state.lock().dirty.contains(&client)
    }

    /// True if `key` of `db` is watched by anyone.
    pub(crate) fn is_watched(&self, db: usize, key: &[u8]) -> bool {
        self.active()
            && self
                .state
                .lock()
                .keys
                .contains_key(&(db, Bytes::copy_from_slice(key)))
    }

    /// Whether `client` watched `key` while it was already expired.
    pub(crate) fn watched_expired(&self, client: u64, db: usize, key: &Bytes) -> bool {
        let st = self.state.lock();
        st.keys
            .get(&(db, key.clone()))
            .and_then(|l| l.iter().find(|w| w.client == client))
            .is_some_and(|w| w.expired)
    }

    /// `key` of `db` was written; `exists` tells whether it exists after the write. Watchers
    /// of a key that was expired when watched and is now simply gone see no change.
    pub(crate) fn touch(&self, db: usize, key: &[u8], exists: bool) {
        if !self.active() {
            return;
        }
        let mut st = self.state.lock();
        let State { keys, dirty } = &mut *st;
        let Some(list) = keys.get_mut(&(db, Bytes::copy_from_slice(key))) else {
            return;
        };
        for w in list.iter_mut() {
            if w.expired && !exists {
                w.expired = false;
                continue;
            }
            dirty.insert(w.client);
        }
    }

    /// Watched keys of `db`, for FLUSHDB and SWAPDB to inspect before they change it.
    pub(crate) fn keys_of_db(&self, db: usize) -> Vec<Bytes> {
        if !self.active() {
            return Vec::new();
        }
        let st = self.state.lock();
        st.keys
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// Database `db` is emptied, and when `replaced` is given, its content replaced by
    /// another's (SWAPDB). For each watched key: `before` is whether it existed before,
    /// `after` whether it exists after and `after_expired` whether that is logically expired.
    pub(crate) fn touch_replaced(&self, db: usize, key: &Bytes, before: bool, after: Option<bool>) {
        let mut st = self.state.lock();
        let State { keys, dirty } = &mut *st;
        let Some(list) = keys.get_mut(&(db, key.clone())) else {
            return;
        };
        let exists_after = after.is_some();
        if !before && !exists_after {
            return;
        }
        let after_expired = after.unwrap_or(false);
        for w in list.iter_mut() {
            if w.expired {
                if !exists_after {
                    // The expired key is gone: logically nothing changed.
                    w.expired = false;
                    continue;
                }
                if after_expired {
                    continue;
                }
            } else if !before && after_expired {
                // A missing key replaced by an expired one: still missing.
                w.expired = true;
                continue;
            }
            dirty.insert(w.client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn a_touch_marks_every_watcher_and_unwatch_clears() {
        let w = Watches::default();
        assert!(!w.active());
        w.watch(1, 0, key("a"), false);
        w.watch(2, 0, key("a"), false);
        w.watch(3, 1, key("a"), false);
        w.touch(0, b"a", true);
        assert!(w.is_dirty(1) && w.is_dirty(2) && !w.is_dirty(3));
        w.unwatch_all(1, &[(0, key("a"))]);
        w.unwatch_all(2, &[(0, key("a"))]);
        w.unwatch_all(3, &[(1, key("a"))]);
        assert!(!w.is_dirty(1));
        assert!(!w.active());
    }

    #[test]
    fn deleting_a_key_expired_when_watched_is_no_change() {
        let w = Watches::default();
        w.watch(1, 0, key("a"), true);
        w.touch(0, b"a", false);
        assert!(!w.is_dirty(1));
        w.touch(0, b"a", true);
        assert!(w.is_dirty(1));
    }
}
