//! Eviction's share of key access: the policy's stamp in `Entry::lru` on creation and
//! touch, the adaptive policy's read counting and window, and publishing a shard's memory
//! when a command releases it.

use super::Access;
use crate::evict::bits::{Mode, Toucher};

impl<'c> Access<'c> {
    /// How this command stamps the keys it creates and touches.
    pub(crate) fn toucher(&self) -> Toucher {
        self.inner.toucher(self.now_ms)
    }

    /// The stamp of a key this command creates.
    pub(crate) fn new_stamp(&self) -> u32 {
        self.toucher().fresh()
    }

    /// Counts a read of `key` (locked at `pos`) for the adaptive policy.
    pub(crate) fn note_read(&mut self, pos: usize, key: &[u8]) {
        crate::evict::adaptive_record_read(&mut self.guards[pos].1, key);
    }

    /// Tells the adaptive policy that `key` was just created.
    pub(crate) fn created(&mut self, key: &[u8]) {
        let db = self.db;
        if let Some(pos) = self.guard_index(key) {
            let (s, shard) = &mut self.guards[pos];
            crate::evict::adaptive_admit_new(self.inner, *s, shard, db, key);
        }
    }

    /// Touches `key` even when the client asked not to (TOUCH); call after `get` found it.
    pub(crate) fn force_touch(&mut self, key: &[u8]) {
        if !self.no_touch {
            return;
        }
        let t = self.toucher();
        if let Some(e) = self.db_mut_of(key).get_mut(key) {
            e.lru = t.touched(e.lru);
        }
    }

    /// Sets the access data of an existing key restored with IDLETIME or FREQ (RESTORE):
    /// the one the policy tracks is taken, as Redis does.
    pub(crate) fn set_access_data(&mut self, key: &[u8], idle: Option<u64>, freq: Option<u64>) {
        if idle.is_none() && freq.is_none() {
            return;
        }
        let t = self.toucher();
        if let Some(e) = self.db_mut_of(key).get_mut(key) {
            let window = e.lru & crate::evict::bits::WINDOW;
            e.lru = t.restored(idle, freq);
            if t.mode == Mode::Adaptive {
                e.lru |= window;
            }
        }
    }
}

impl Drop for Access<'_> {
    fn drop(&mut self) {
        if self.inner.maxmemory() == 0 {
            return;
        }
        let inner = self.inner;
        for (_, g) in self.guards.iter_mut() {
            inner.publish_shard(g, false);
        }
    }
}
