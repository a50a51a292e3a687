//! `Access`: a command's view of the keys it locked.
//!
//! Every read and write of the keyspace goes through here, so passive expiry, hit/miss
//! statistics, LRU clocks, memory accounting and write effects happen in one place, under
//! the shard locks, in execution order.

use crate::engine::Inner;
use crate::error::CmdError;
use crate::keyspace::db::Db;
use crate::keyspace::entry::Entry;
pub use crate::keyspace::Ttl;
use crate::keyspace::{Keyspace, Shard, SHARDS};
use crate::types::Value;
use bytes::Bytes;
use parking_lot::MutexGuard;
use std::sync::atomic::Ordering::Relaxed;

/// Locked shards and the database a command works in.
pub struct Access<'c> {
    pub(crate) inner: &'c Inner,
    /// Guards sorted by shard index; locked in that order.
    pub(crate) guards: Vec<(usize, MutexGuard<'c, Shard>)>,
    /// The database keys are looked up in.
    pub db: usize,
    pub(crate) now_ms: u64,
    pub(crate) no_touch: bool,
    /// (address, length, shard) of the keys given to `lock`, to skip rehashing them.
    known: Vec<(usize, usize, usize)>,
}

impl<'c> Access<'c> {
    pub(crate) fn lock(
        inner: &'c Inner,
        keys: &[&[u8]],
        db: usize,
        now_ms: u64,
        no_touch: bool,
    ) -> Access<'c> {
        if let [key] = keys {
            // The common single-key case: no list of shards to build.
            return Self::lock_shards(inner, &[Keyspace::shard_of(key)], db, now_ms, no_touch);
        }
        // Remember each key's shard by the address of its bytes: handlers pass the same
        // slices again, and hashing a key costs more than finding it in this short list.
        let known: Vec<(usize, usize, usize)> = keys
            .iter()
            .map(|k| (k.as_ptr() as usize, k.len(), Keyspace::shard_of(k)))
            .collect();
        let mut shards: Vec<usize> = known.iter().map(|&(_, _, s)| s).collect();
        shards.sort_unstable();
        shards.dedup();
        let mut access = Self::lock_shards(inner, &shards, db, now_ms, no_touch);
        access.known = known;
        access
    }

    pub(crate) fn lock_all(inner: &'c Inner, db: usize, now_ms: u64, no_touch: bool) -> Access<'c> {
        let all: Vec<usize> = (0..SHARDS).collect();
        Self::lock_shards(inner, &all, db, now_ms, no_touch)
    }

    /// Locks `shards`, which must be sorted and free of duplicates.
    pub(crate) fn lock_shards(
        inner: &'c Inner,
        shards: &[usize],
        db: usize,
        now_ms: u64,
        no_touch: bool,
    ) -> Access<'c> {
        let guards = shards
            .iter()
            .map(|&s| (s, inner.keyspace.lock(s)))
            .collect();
        Access {
            inner,
            guards,
            db,
            now_ms,
            no_touch,
            known: Vec::new(),
        }
    }

    /// The command's `now`.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    pub(crate) fn lru_now(&self) -> u32 {
        (self.now_ms / 1000) as u32
    }

    /// Position in `guards` of the shard holding `key`, if it is locked.
    pub(crate) fn guard_index(&self, key: &[u8]) -> Option<usize> {
        if self.guards.len() == 1 {
            // One shard locked (every single-key command): it is the key's shard, so skip
            // hashing the key again. Debug builds, which the test suites use, check it.
            debug_assert_eq!(
                self.guards[0].0,
                Keyspace::shard_of(key),
                "key's shard not locked"
            );
            return Some(0);
        }
        let addr = (key.as_ptr() as usize, key.len());
        let shard = match self.known.iter().find(|&&(p, l, _)| (p, l) == addr) {
            Some(&(_, _, s)) => s,
            None => Keyspace::shard_of(key),
        };
        self.guards.binary_search_by_key(&shard, |(s, _)| *s).ok()
    }

    pub(crate) fn db_mut_of(&mut self, key: &[u8]) -> &mut Db {
        let db = self.db;
        match self.guard_index(key) {
            Some(i) => &mut self.guards[i].1.dbs[db],
            // Handlers lock every key they touch before touching it; the test suites run
            // every command, so a missing lock is caught there, never in production.
            None => unreachable!("key accessed without locking its shard"),
        }
    }

    /// Each locked shard's slice of the current database.
    pub(crate) fn dbs_mut(&mut self) -> impl Iterator<Item = &mut Db> + use<'_, 'c> {
        let db = self.db;
        self.guards.iter_mut().map(move |(_, g)| &mut g.dbs[db])
    }

    /// Each locked shard, all databases.
    pub(crate) fn shards_mut(&mut self) -> impl Iterator<Item = &mut Shard> + use<'_, 'c> {
        self.guards.iter_mut().map(|(_, g)| &mut **g)
    }

    /// Deletes `key` if its TTL has passed; returns true if it did. Emits the `DEL` that
    /// replicas and the AOF need to follow.
    pub(crate) fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        let now = self.now_ms;
        let inner = self.inner;
        let db = self.db_mut_of(key);
        // Most databases hold no key with a TTL: skip the lookup entirely then.
        if db.expires_len() == 0 {
            return false;
        }
        match db.expire_of_key(key) {
            Some(at) if at < now => {
                if inner.repl.keeps_expired() {
                    // A replica hides the key from its own clients and keeps it for the
                    // primary's stream, whose DEL removes it (so does a paused primary).
                    return inner.repl.hides_expired();
                }
                db.remove(key);
                self.inner.key_expired(self.db, key);
                true
            }
            _ => false,
        }
    }

    /// Looks a key up for reading: expires it if due, counts a hit or miss, and touches its
    /// access time.
    pub fn get(&mut self, key: &[u8]) -> Option<&Entry> {
        if self.expire_if_needed(key) && self.inner.repl.keeps_expired() {
            self.inner.stats.keyspace_misses.fetch_add(1, Relaxed);
            return None;
        }
        let t = self.toucher();
        let touch = !self.no_touch;
        let db = self.db;
        let pos = self.guard_index(key)?;
        if t.mode == crate::evict::bits::Mode::Adaptive {
            self.note_read(pos, key);
        }
        let stats = &self.inner.stats;
        // A read changes only the access data: no snapshot capture (see `Db::touch`).
        let found =
            self.guards[pos].1.dbs[db].touch(key, |lru| if touch { t.touched(lru) } else { lru });
        match found {
            Some(e) => {
                stats.keyspace_hits.fetch_add(1, Relaxed);
                Some(e)
            }
            None => {
                stats.keyspace_misses.fetch_add(1, Relaxed);
                self.inner
                    .notify(crate::notify::KEY_MISS, "keymiss", db, key);
                None
            }
        }
    }

    /// The value of `key` for reading, or None.
    pub fn get_value(&mut self, key: &[u8]) -> Option<&Value> {
        self.get(key).map(|e| &e.value)
    }

    /// Looks a key up for writing: expires it if due and touches it; no hit/miss counted.
    pub fn get_for_write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.expire_if_needed(key);
        let t = self.toucher();
        let touch = !self.no_touch;
        let e = self.db_mut_of(key).get_mut(key)?;
        if touch {
            e.lru = t.touched(e.lru);
        }
        Some(e)
    }

    /// True if `key` exists (after passive expiry), without touching or counting it.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        if self.expire_if_needed(key) && self.inner.repl.keeps_expired() {
            return false;
        }
        self.db_mut_of(key).get(key).is_some()
    }

    /// Runs `f` over the existing value of `key` (which must exist), re-measuring its memory.
    pub fn modify<R>(&mut self, key: &[u8], f: impl FnOnce(&mut Value) -> R) -> Option<R> {
        self.expire_if_needed(key);
        self.db_mut_of(key).modify(key, f)
    }

    /// Stores `value` under `key`, creating or replacing it, with `ttl` deciding its TTL.
    pub fn set(&mut self, key: &[u8], value: Value, ttl: Ttl) {
        // A key past its deadline must not lend its TTL to the new value (Ttl::Keep).
        self.expire_if_needed(key);
        let t = self.toucher();
        let created = self
            .db_mut_of(key)
            .upsert(key, value, ttl, |old| t.for_set(old));
        if created {
            if t.mode == crate::evict::bits::Mode::Adaptive {
                self.created(key);
            }
            self.notify(crate::notify::NEW, "new", key);
        }
    }

    /// Runs `f` on the value of `key` for writing. A missing key is first created with
    /// `create()` (return None to leave it missing, and get `Ok(None)`). Memory is re-measured
    /// afterwards, and a collection that `f` left empty is deleted, as Redis never keeps
    /// empty collections. Effects are the caller's to emit.
    pub fn update<R>(
        &mut self,
        key: &[u8],
        create: impl FnOnce() -> Option<Value>,
        f: impl FnOnce(&mut Value) -> Result<R, CmdError>,
    ) -> Result<Option<R>, CmdError> {
        self.expire_if_needed(key);
        let t = self.toucher();
        // A new key keeps its fresh stamp; an existing one is touched unless NO-TOUCH.
        let mut stamp = !self.no_touch;
        let (inner, db_index) = (self.inner, self.db);
        // The key is hashed once for every step below.
        let db = self.db_mut_of(key);
        let h = db.hash(key);
        if db.get_hashed(h, key).is_none() {
            match create() {
                Some(v) => db.insert_new_hashed(h, key, v, t.fresh()),
                None => return Ok(None),
            }
            stamp = false;
            inner.notify(crate::notify::NEW, "new", db_index, key);
            if t.mode == crate::evict::bits::Mode::Adaptive {
                self.created(key);
            }
        }
        let db = self.db_mut_of(key);
        let stamp = |lru| if stamp { t.touched(lru) } else { lru };
        let Some((result, empty)) = db.modify_hashed(h, key, stamp, f) else {
            return Ok(None);
        };
        if empty {
            db.remove(key);
        }
        result.map(Some)
    }

    /// Notes that `key` received elements a blocked client may be waiting for (a push to a
    /// list, an add to a sorted set). Clients blocked on it are served, in arrival order,
    /// once the current command finishes.
    pub fn signal_ready(&mut self, key: &[u8]) {
        if self.inner.blocking.has_waiters() {
            self.inner.blocking.mark_ready(self.db, key);
        }
    }

    /// Removes `key`, returning its value and deadline.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Value, Option<u64>)> {
        self.expire_if_needed(key);
        self.db_mut_of(key).remove(key)
    }

    /// The deadline of `key` (ms since the epoch), if it exists and has one.
    pub fn expire_at(&mut self, key: &[u8]) -> Option<u64> {
        self.db_mut_of(key).expire_of_key(key)
    }

    /// Sets or clears the deadline of an existing key; false if the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at: Option<u64>) -> bool {
        self.db_mut_of(key).set_expire(key, at)
    }

    /// Records a write effect in replication form for the current database.
    pub fn emit(&mut self, args: Vec<Bytes>) {
        self.emit_for_db(args);
    }

    /// Like [`Access::emit`], building the effect only when something listens: for the
    /// hottest writes (SET, MSET), whose effect would otherwise be built for nothing.
    pub fn emit_with(&mut self, build: impl FnOnce() -> Vec<Bytes>) {
        if self.inner.effects.is_active() || self.inner.watches.active() {
            self.emit_for_db(build());
        } else {
            self.inner.stats.dirty.fetch_add(1, Relaxed);
        }
    }

    fn emit_for_db(&mut self, args: Vec<Bytes>) {
        self.inner.stats.dirty.fetch_add(1, Relaxed);
        if self.inner.watches.active() {
            self.touch_watched(&args);
        }
        self.inner.effects.emit(self.db, args);
    }

    /// Publishes keyspace event `event` of `class` (`notify::LIST`, ...) about `key` in the
    /// current database, if `notify-keyspace-events` enables it.
    pub fn notify(&self, class: u32, event: &str, key: &[u8]) {
        self.inner.notify(class, event, self.db, key);
    }

    /// Records a write effect that is not tied to the current database (FLUSHALL, SWAPDB).
    pub fn emit_global(&mut self, args: Vec<Bytes>) {
        self.emit_for_db(args);
    }
}
