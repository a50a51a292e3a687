//! `Db`: one database's share of one shard — its keys, which of them have a TTL, and
//! their memory.

use super::dict::Dict;
use super::entry::{Entry, NO_TTL};
use crate::types::{SmallBytes, Value};
use crate::util::rng::Rng;
use std::hash::RandomState;

/// The keys of one database that live in one shard.
pub(crate) struct Db {
    pub(crate) dict: Dict,
    /// Keys with a TTL and their deadlines (ms). Sampled by active expiry; an entry's
    /// `vol_idx` points at its slot here.
    volatile: Vec<(SmallBytes, u64)>,
    /// Approximate bytes held, kept exact enough for INFO and maxmemory.
    pub(crate) mem: usize,
}

impl Db {
    pub(crate) fn new(hasher: RandomState) -> Db {
        Db {
            dict: Dict::new(hasher),
            volatile: Vec::new(),
            mem: 0,
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

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.dict.get_mut(key)
    }

    /// The deadline of an entry, if it has one.
    pub(crate) fn expire_of(&self, e: &Entry) -> Option<u64> {
        if e.vol_idx == NO_TTL {
            None
        } else {
            self.volatile.get(e.vol_idx as usize).map(|(_, at)| *at)
        }
    }

    /// The deadline of `key`, if the key exists and has one.
    pub(crate) fn expire_of_key(&self, key: &[u8]) -> Option<u64> {
        self.dict.get(key).and_then(|e| self.expire_of(e))
    }

    /// Adds a key that is not present.
    pub(crate) fn insert_new(&mut self, key: &[u8], value: Value, expire: Option<u64>, lru: u32) {
        let entry = Entry::new(key, value, lru);
        self.mem += entry.mem_usage();
        self.dict.insert_new(entry);
        if let Some(at) = expire {
            self.set_expire(key, Some(at));
        }
    }

    /// Replaces the value of an existing key, keeping its TTL; returns the old value.
    pub(crate) fn replace_value(&mut self, key: &[u8], value: Value) -> Option<Value> {
        let e = self.dict.get_mut(key)?;
        let before = e.mem_usage();
        let old = std::mem::replace(&mut e.value, value);
        let after = e.mem_usage();
        self.mem = self.mem + after - before;
        Some(old)
    }

    /// Runs `f` on the value of `key` and re-measures its memory afterwards.
    pub(crate) fn modify<R>(&mut self, key: &[u8], f: impl FnOnce(&mut Value) -> R) -> Option<R> {
        let e = self.dict.get_mut(key)?;
        let before = e.mem_usage();
        let r = f(&mut e.value);
        let after = e.mem_usage();
        self.mem = self.mem + after - before;
        Some(r)
    }

    /// Removes `key`; returns its value and deadline.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<(Value, Option<u64>)> {
        let e = self.dict.remove(key)?;
        self.mem -= e.mem_usage();
        let expire = if e.vol_idx == NO_TTL {
            None
        } else {
            Some(self.volatile_remove(e.vol_idx as usize))
        };
        Some((e.value, expire))
    }

    /// Sets or clears the deadline of an existing key. Returns false if the key is absent.
    pub(crate) fn set_expire(&mut self, key: &[u8], at: Option<u64>) -> bool {
        let Some(e) = self.dict.get_mut(key) else {
            return false;
        };
        match (e.vol_idx, at) {
            (NO_TTL, None) => {}
            (NO_TTL, Some(at)) => {
                e.vol_idx = self.volatile.len() as u32;
                let k = SmallBytes::new(key);
                self.mem += std::mem::size_of::<(SmallBytes, u64)>() + k.heap_size();
                self.volatile.push((k, at));
            }
            (idx, Some(at)) => {
                if let Some(slot) = self.volatile.get_mut(idx as usize) {
                    slot.1 = at;
                }
            }
            (idx, None) => {
                e.vol_idx = NO_TTL;
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
                e.vol_idx = idx as u32;
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

    /// Drops every key.
    pub(crate) fn clear(&mut self) {
        self.dict.clear();
        self.volatile = Vec::new();
        self.mem = 0;
    }
}
