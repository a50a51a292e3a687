//! Extra `Access` operations for the generic key commands: lookups that do not touch the
//! access time, moving whole entries between keys and databases, and whole-database work.

use super::Access;
use crate::keyspace::db::Db;
use crate::keyspace::entry::Entry;
use crate::types::Value;
use std::sync::atomic::Ordering::Relaxed;

/// A key's value, deadline and access time, lifted out of the keyspace whole.
pub(crate) struct Taken {
    /// The value.
    pub(crate) value: Value,
    /// The deadline, ms since the epoch.
    pub(crate) expire: Option<u64>,
    /// The access time, engine-clock seconds.
    pub(crate) lru: u32,
}

impl<'c> Access<'c> {
    /// Looks a key up for reading without touching its access time (TTL, TYPE, OBJECT):
    /// expires it if due and counts a hit or miss.
    pub fn peek(&mut self, key: &[u8]) -> Option<&Entry> {
        if self.expire_if_needed(key) && self.inner.repl.keeps_expired() {
            self.inner.stats.keyspace_misses.fetch_add(1, Relaxed);
            return None;
        }
        let stats = &self.inner.stats;
        let db = self.db;
        let pos = self.guard_index(key)?;
        let found = self.guards[pos].1.dbs[db].get(key);
        let counter = if found.is_some() {
            &stats.keyspace_hits
        } else {
            self.inner
                .notify(crate::notify::KEY_MISS, "keymiss", db, key);
            &stats.keyspace_misses
        };
        counter.fetch_add(1, Relaxed);
        found
    }

    /// Removes `key` (after passive expiry) with its deadline and access time.
    pub(crate) fn take(&mut self, key: &[u8]) -> Option<Taken> {
        self.expire_if_needed(key);
        let db = self.db_mut_of(key);
        let lru = db.get(key)?.lru;
        let (value, expire) = db.remove(key)?;
        Some(Taken { value, expire, lru })
    }

    /// Stores a taken entry under `key`, replacing whatever is there, keeping its deadline
    /// and access time.
    pub(crate) fn put(&mut self, key: &[u8], t: Taken) {
        // A list or sorted set arriving under a key (RENAME, COPY, MOVE) can serve clients
        // blocked on that key, as a push would.
        let wakes = matches!(t.value, Value::List(_) | Value::ZSet(_));
        let db = self.db_mut_of(key);
        db.remove(key);
        db.insert_new(key, t.value, t.expire, t.lru);
        self.notify(crate::notify::NEW, "new", key);
        if wakes {
            self.signal_ready(key);
        }
    }

    /// Marks ready every key of database `db` that clients wait on and that now holds a list
    /// or sorted set (after SWAPDB brought in other data). Needs every shard locked.
    pub(crate) fn signal_waited_keys(&mut self, db: usize) {
        if !self.inner.blocking.has_waiters() {
            return;
        }
        let saved = std::mem::replace(&mut self.db, db);
        for key in self.inner.blocking.waited_keys(db) {
            let wakes = self
                .db_mut_of(&key)
                .get(&key)
                .is_some_and(|e| matches!(e.value, Value::List(_) | Value::ZSet(_)));
            if wakes {
                self.inner.blocking.mark_ready(db, &key);
            }
        }
        self.db = saved;
    }

    /// The only locked shard's slice of the current database (for one-shard work).
    pub(crate) fn single_db(&mut self) -> Option<&mut Db> {
        self.dbs_mut().next()
    }

    /// Number of keys in the current database over the locked shards, expired ones not yet
    /// reclaimed included.
    pub fn key_count(&mut self) -> usize {
        self.dbs_mut().map(|d| d.len()).sum()
    }

    /// Drops every key of the current database in the locked shards.
    pub fn clear_db(&mut self) {
        for d in self.dbs_mut() {
            d.clear();
        }
    }

    /// Drops every key of every database in the locked shards.
    pub fn clear_all(&mut self) {
        for s in self.shards_mut() {
            for d in s.dbs.iter_mut() {
                d.clear();
            }
        }
    }

    /// Exchanges databases `a` and `b` in every locked shard.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        for s in self.shards_mut() {
            s.dbs.swap(a, b);
        }
    }
}
