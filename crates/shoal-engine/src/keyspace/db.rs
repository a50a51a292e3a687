//! `Db`: one database's share of one shard — its keys, which of them have a TTL, and
//! their memory.

use super::dict::Dict;
use super::entry::{Entry, NO_TTL};
use super::Ttl;
use crate::types::{SmallBytes, Value};
use crate::util::rng::Rng;
use std::collections::HashMap;
use std::hash::RandomState;

/// The keys of one database that live in one shard.
pub(crate) struct Db {
    pub(crate) dict: Dict,
    /// Keys with a TTL and their deadlines (ms). Sampled by active expiry; an entry's
    /// `vol_idx` points at its slot here.
    pub(crate) volatile: Vec<(SmallBytes, u64)>,
    /// Approximate bytes held, kept exact enough for INFO and maxmemory.
    pub(crate) mem: usize,
    /// Hashes with field deadlines and a lower bound of their earliest one, for active
    /// expiry of fields (see `hash_ttl`).
    pub(crate) hash_deadlines: HashMap<Box<[u8]>, u64>,
    /// The mark entries take when created or saved; a running snapshot still owes the
    /// file every entry whose mark differs (see `snap`).
    pub(crate) parity: bool,
    /// The snapshot this database owes entries to, while one runs.
    pub(crate) snap: Option<Box<super::snap::DbSnap>>,
}

impl Db {
    pub(crate) fn new(hasher: RandomState) -> Db {
        Db {
            dict: Dict::new(hasher),
            volatile: Vec::new(),
            mem: 0,
            hash_deadlines: HashMap::new(),
            parity: false,
            snap: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.dict.len()
    }

    pub(crate) fn expires_len(&self) -> usize {
        self.volatile.len()
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.dict.get(key)
    }

    /// The entry of `key` for changing it.
    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.snap.is_some() {
            self.snap_capture(key);
        }
        self.dict.get_mut(key)
    }

    /// The entry of `key` for reading, with its access data passed through `touch`: no
    /// snapshot capture, as the value does not change.
    pub(crate) fn touch(&mut self, key: &[u8], touch: impl FnOnce(u32) -> u32) -> Option<&Entry> {
        let e = self.dict.get_mut(key)?;
        e.lru = touch(e.lru);
        Some(e)
    }

    /// The deadline of an entry, if it has one.
    pub(crate) fn expire_of(&self, e: &Entry) -> Option<u64> {
        expire_in(&self.volatile, e)
    }

    /// The deadline of `key`, if the key exists and has one.
    pub(crate) fn expire_of_key(&self, key: &[u8]) -> Option<u64> {
        self.dict.get(key).and_then(|e| self.expire_of(e))
    }

    /// The keyed hash of `key`, for the `*_hashed` methods.
    pub(crate) fn hash(&self, key: &[u8]) -> u64 {
        self.dict.hash(key)
    }

    /// [`Db::get`] given the key's hash.
    pub(crate) fn get_hashed(&self, hash: u64, key: &[u8]) -> Option<&Entry> {
        self.dict.get_hashed(hash, key)
    }

    /// Adds a key that is not present, without a TTL, given its hash.
    pub(crate) fn insert_new_hashed(&mut self, hash: u64, key: &[u8], value: Value, lru: u32) {
        let mut entry = Entry::new(key, value, lru);
        entry.set_mark(self.parity);
        self.mem += entry.mem_usage();
        self.dict.insert_new_hashed(hash, entry);
    }

    /// Changes the value of `key` (hash `hash`) in place: `stamp` updates its access data,
    /// `f` the value, and the memory is re-measured. Returns `f`'s result and whether the
    /// value is now an empty collection (which the caller deletes).
    pub(crate) fn modify_hashed<R>(
        &mut self,
        hash: u64,
        key: &[u8],
        stamp: impl FnOnce(u32) -> u32,
        f: impl FnOnce(&mut Value) -> R,
    ) -> Option<(R, bool)> {
        if self.snap.is_some() {
            self.snap_capture(key);
        }
        let e = self.dict.get_mut_hashed(hash, key)?;
        e.lru = stamp(e.lru);
        let before = e.mem_usage();
        let r = f(&mut e.value);
        let after = e.mem_usage();
        let empty = e.value.is_empty_collection();
        self.mem = self.mem + after - before;
        Some((r, empty))
    }

    /// Adds a key that is not present.
    pub(crate) fn insert_new(&mut self, key: &[u8], value: Value, expire: Option<u64>, lru: u32) {
        let hash = self.hash(key);
        self.insert_new_hashed(hash, key, value, lru);
        if let Some(at) = expire {
            self.set_expire(key, Some(at));
        }
    }

    /// Stores `value` under `key`, creating or replacing it, hashing the key once: the SET
    /// path every write of a whole value takes. `lru` gives the key's stamp from the one it
    /// had (`None` for a new key). True if the key was created.
    pub(crate) fn upsert(
        &mut self,
        key: &[u8],
        value: Value,
        ttl: Ttl,
        lru: impl FnOnce(Option<u32>) -> u32,
    ) -> bool {
        let hash = self.dict.hash(key);
        if self.snap.is_some() {
            self.snap_capture(key);
        }
        if let Some(e) = self.dict.get_mut_hashed(hash, key) {
            let before = e.mem_usage();
            e.value = value;
            e.lru = lru(Some(e.lru));
            self.mem = self.mem + e.mem_usage() - before;
            let idx = e.vol_idx();
            match ttl {
                Ttl::Keep => {}
                Ttl::Clear if idx == NO_TTL => {}
                Ttl::Clear => {
                    e.set_vol_idx(NO_TTL);
                    self.volatile_remove(idx as usize);
                }
                Ttl::At(at) if idx != NO_TTL => {
                    if let Some(slot) = self.volatile.get_mut(idx as usize) {
                        slot.1 = at;
                    }
                }
                Ttl::At(at) => {
                    e.set_vol_idx(self.volatile.len() as u32);
                    self.volatile_push(key, at);
                }
            }
            return false;
        }
        let mut entry = Entry::new(key, value, lru(None));
        entry.set_mark(self.parity);
        if let Ttl::At(at) = ttl {
            entry.set_vol_idx(self.volatile.len() as u32);
            self.volatile_push(key, at);
        }
        self.mem += entry.mem_usage();
        self.dict.insert_new_hashed(hash, entry);
        true
    }

    fn volatile_push(&mut self, key: &[u8], at: u64) {
        let k = SmallBytes::new(key);
        self.mem += std::mem::size_of::<(SmallBytes, u64)>() + k.heap_size();
        self.volatile.push((k, at));
    }

    /// Runs `f` on the value of `key` and re-measures its memory afterwards.
    pub(crate) fn modify<R>(&mut self, key: &[u8], f: impl FnOnce(&mut Value) -> R) -> Option<R> {
        let hash = self.hash(key);
        self.modify_hashed(hash, key, |lru| lru, f).map(|(r, _)| r)
    }

    /// Removes `key`; returns its value and deadline.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<(Value, Option<u64>)> {
        if self.snap.is_some() {
            self.snap_capture(key);
        }
        let e = self.dict.remove(key)?;
        self.mem -= e.mem_usage();
        let expire = if e.vol_idx() == NO_TTL {
            None
        } else {
            Some(self.volatile_remove(e.vol_idx() as usize))
        };
        Some((e.value, expire))
    }

    /// Sets or clears the deadline of an existing key. Returns false if the key is absent.
    pub(crate) fn set_expire(&mut self, key: &[u8], at: Option<u64>) -> bool {
        if self.snap.is_some() {
            self.snap_capture(key);
        }
        let Some(e) = self.dict.get_mut(key) else {
            return false;
        };
        match (e.vol_idx(), at) {
            (NO_TTL, None) => {}
            (NO_TTL, Some(at)) => {
                e.set_vol_idx(self.volatile.len() as u32);
                self.volatile_push(key, at);
            }
            (idx, Some(at)) => {
                if let Some(slot) = self.volatile.get_mut(idx as usize) {
                    slot.1 = at;
                }
            }
            (idx, None) => {
                e.set_vol_idx(NO_TTL);
                self.volatile_remove(idx as usize);
            }
        }
        true
    }

    /// Drops slot `idx` of the volatile list and re-points the entry moved into it.
    fn volatile_remove(&mut self, idx: usize) -> u64 {
        let (k, at) = self.volatile.swap_remove(idx);
        self.mem = self
            .mem
            .saturating_sub(std::mem::size_of::<(SmallBytes, u64)>() + k.heap_size());
        if let Some((moved_key, _)) = self.volatile.get(idx) {
            if let Some(e) = self.dict.get_mut(moved_key.as_slice()) {
                e.set_vol_idx(idx as u32);
            }
        }
        at
    }

    /// A random key that has a TTL, with its deadline.
    pub(crate) fn random_volatile(&self, rng: &mut Rng) -> Option<(&[u8], u64)> {
        if self.volatile.is_empty() {
            return None;
        }
        let (k, at) = &self.volatile[rng.index(self.volatile.len())];
        Some((k.as_slice(), *at))
    }

    /// Drops every key. A snapshot still owed entries of this database takes the old
    /// table with it and writes them from its own thread.
    pub(crate) fn clear(&mut self) {
        if self.snap.is_some() {
            self.snap_detach();
            return;
        }
        self.dict.clear();
        self.volatile = Vec::new();
        self.mem = 0;
        self.hash_deadlines = HashMap::new();
    }
}

/// The deadline of `e` in `volatile`, if it has one.
pub(crate) fn expire_in(volatile: &[(SmallBytes, u64)], e: &Entry) -> Option<u64> {
    match e.vol_idx() {
        NO_TTL => None,
        idx => volatile.get(idx as usize).map(|(_, at)| *at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::StrValue;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Op {
        Upsert(u8, u8),
        Remove(u8),
        Expire(u8, Option<u64>),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..16, 0u8..3).prop_map(|(k, t)| Op::Upsert(k, t)),
            (0u8..16).prop_map(Op::Remove),
            (0u8..16, proptest::option::of(1u64..1000)).prop_map(|(k, at)| Op::Expire(k, at)),
        ]
    }

    proptest! {
        #[test]
        fn ttl_index_matches_a_plain_model(ops in proptest::collection::vec(op(), 1..200)) {
            let mut db = Db::new(RandomState::new());
            let mut model: HashMap<Vec<u8>, Option<u64>> = HashMap::new();
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Upsert(k, t) => {
                        let key = vec![k];
                        let ttl = match t { 0 => Ttl::Clear, 1 => Ttl::Keep, _ => Ttl::At(i as u64 + 1) };
                        let created = db.upsert(&key, Value::Str(StrValue::from_bytes(b"v")), ttl, |_| 0);
                        prop_assert_eq!(created, !model.contains_key(&key));
                        let old = model.get(&key).copied().flatten();
                        let new = match ttl { Ttl::Clear => None, Ttl::Keep => old, Ttl::At(at) => Some(at) };
                        model.insert(key, new);
                    }
                    Op::Remove(k) => {
                        let key = vec![k];
                        prop_assert_eq!(db.remove(&key).map(|(_, at)| at), model.remove(&key));
                    }
                    Op::Expire(k, at) => {
                        let key = vec![k];
                        prop_assert_eq!(db.set_expire(&key, at), model.contains_key(&key));
                        if let Some(slot) = model.get_mut(&key) {
                            *slot = at;
                        }
                    }
                }
                prop_assert_eq!(db.len(), model.len());
                prop_assert_eq!(db.expires_len(), model.values().filter(|a| a.is_some()).count());
                for (key, at) in &model {
                    prop_assert_eq!(db.expire_of_key(key), *at);
                }
            }
        }
    }
}
