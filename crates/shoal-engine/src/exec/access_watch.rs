//! Where writes meet WATCH and expiry meets its listeners: the keys an effect touches, and
//! what happens when a key expires.

use super::Access;
use crate::engine::Inner;
use crate::util::num::parse_i64;
use bytes::Bytes;
use std::sync::atomic::Ordering::Relaxed;

impl<'c> Access<'c> {
    /// Marks the watchers of every key `effect` changed. Keys come from the effect's own
    /// command declaration; MOVE and COPY ... DB also reach a key of another database.
    pub(crate) fn touch_watched(&mut self, effect: &[Bytes]) {
        let Some(spec) = effect.first().and_then(|n| self.inner.table.get(n)) else {
            return;
        };
        let db = self.db;
        for i in spec.keys_of(effect) {
            let key = &effect[i];
            if !self.inner.watches.is_watched(db, key) {
                continue;
            }
            let exists = match self.guard_index(key) {
                Some(g) => self.guards[g].1.dbs[db].get(key).is_some(),
                None => true,
            };
            self.inner.watches.touch(db, key, exists);
        }
        let other_db = match spec.name {
            "move" => effect.get(2).zip(effect.get(1)),
            "copy" => effect
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"db"))
                .and_then(|i| effect.get(i + 1))
                .zip(effect.get(2)),
            _ => None,
        };
        if let Some((target, key)) = other_db {
            if let Some(t) = parse_i64(target).filter(|&t| t >= 0) {
                self.inner.watches.touch(t as usize, key, true);
            }
        }
    }
}

impl Inner {
    /// `key` of `db` was just deleted because its TTL passed: counts it, replicates the
    /// deletion, tells watchers and publishes the `expired` event.
    pub(crate) fn key_expired(&self, db: usize, key: &[u8]) {
        self.stats.expired_keys.fetch_add(1, Relaxed);
        self.stats.dirty.fetch_add(1, Relaxed);
        self.watches.touch(db, key, false);
        self.effects.emit(
            db,
            vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)],
        );
        self.notify(crate::notify::EXPIRED, "expired", db, key);
    }
}

impl<'c> Access<'c> {
    fn physically(&mut self, db: usize, key: &[u8]) -> Option<Option<u64>> {
        let now = self.now_ms;
        let g = self.guard_index(key)?;
        let d = &self.guards[g].1.dbs[db];
        d.get(key)?;
        Some(d.expire_of_key(key).filter(|&at| at < now))
    }

    /// Before FLUSHDB (or FLUSHALL, per database) empties `db`: touches the watched keys
    /// that exist in it. Every shard must be locked.
    pub(crate) fn touch_watched_flush(&mut self, db: usize) {
        for key in self.inner.watches.keys_of_db(db) {
            let before = self.physically(db, &key).is_some();
            self.inner.watches.touch_replaced(db, &key, before, None);
        }
    }

    /// Before SWAPDB exchanges `a` and `b`: touches watched keys whose existence changes,
    /// keeping keys that stay logically expired or missing untouched. Every shard must be
    /// locked.
    pub(crate) fn touch_watched_swap(&mut self, a: usize, b: usize) {
        for (from, to) in [(a, b), (b, a)] {
            for key in self.inner.watches.keys_of_db(from) {
                let before = self.physically(from, &key).is_some();
                let after = self.physically(to, &key).map(|exp| exp.is_some());
                self.inner.watches.touch_replaced(from, &key, before, after);
            }
        }
    }
}
