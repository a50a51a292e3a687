//! A hash: a map from field to value, with optional per-field deadlines.
//!
//! Two encodings, named as `OBJECT ENCODING` names Redis's:
//! - `listpack`: one byte buffer of length-prefixed (field, value) entries searched
//!   linearly, while the hash is small (at most `hash-max-listpack-entries` fields, every
//!   field and value at most `hash-max-listpack-value` bytes). Once a field TTL command
//!   touches it, Redis calls it `listpackex` and keeps fields with a deadline first, by
//!   deadline; so does this one.
//! - `hashtable`: a hash set of field+value allocations looked up by field, keyed with
//!   std's per-process random hasher (fields are chosen by clients). A hash never converts
//!   back to a listpack.
//!
//! Field deadlines live in a side table that exists only once some field got a TTL, so a
//! hash without field TTLs pays one pointer for the feature.

mod pack;
mod pair;
#[cfg(test)]
mod tests;
mod ttl;

use pack::Pack;
use pair::Pair;
use std::collections::HashSet;
use std::hash::BuildHasher;

pub(crate) use ttl::expire_fields;

/// The encoding thresholds in force when a hash grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `hash-max-listpack-entries`.
    pub entries: usize,
    /// `hash-max-listpack-value`.
    pub value: usize,
}

impl Limits {
    /// True if a field or value of `len` bytes fits a listpack.
    pub fn fits(&self, len: usize) -> bool {
        len <= self.value
    }
}

/// A borrowed (field, value).
pub type FieldValue<'a> = (&'a [u8], &'a [u8]);

#[derive(Clone, Debug)]
enum Enc {
    Pack(Pack),
    Table(HashSet<Pair>),
}

/// A hash: a map from field to value.
#[derive(Clone, Debug)]
pub struct HashValue {
    enc: Enc,
    /// Field deadlines (ms since the epoch); None until a field TTL command touched the hash.
    ttl: Option<Box<ttl::Ttls>>,
    /// Heap bytes of the hashtable's entries.
    heap: usize,
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue {
            enc: Enc::Pack(Pack::default()),
            ttl: None,
            heap: 0,
        }
    }
}

/// Approximate bytes a std hash map of `cap` slots of `slot` bytes allocates.
pub(crate) fn table_bytes(cap: usize, slot: usize) -> usize {
    crate::types::alloc::table_alloc(cap, slot)
}

impl PartialEq for HashValue {
    /// Same fields, values and field deadlines, whatever the encodings.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(f, v)| other.get(f) == Some(v) && self.field_ttl(f) == other.field_ttl(f))
    }
}

impl HashValue {
    /// Number of fields.
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Pack(v) => v.len(),
            Enc::Table(m) => m.len(),
        }
    }

    /// True when there are no fields; the key is then deleted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        match (&self.enc, &self.ttl) {
            (Enc::Pack(_), None) => "listpack",
            (Enc::Pack(_), Some(_)) => "listpackex",
            (Enc::Table(_), _) => "hashtable",
        }
    }

    /// Heap bytes held, for memory accounting (constant time).
    pub fn heap_size(&self) -> usize {
        let main = match &self.enc {
            Enc::Pack(v) => v.heap_size(),
            Enc::Table(m) => table_bytes(m.capacity(), std::mem::size_of::<Pair>()),
        };
        main + self.heap + self.ttl.as_ref().map_or(0, |t| t.heap_size())
    }

    /// True while the hash uses the hashtable encoding.
    pub fn is_table(&self) -> bool {
        matches!(self.enc, Enc::Table(_))
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.enc {
            Enc::Pack(v) => v.get(field),
            Enc::Table(m) => m.get(field).map(|p| p.value()),
        }
    }

    /// True if `field` exists.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts to a hashtable if `pairs` more fields would exceed the entry limit, or one of
    /// `lens` (field and value lengths about to be written) exceeds the value limit.
    pub fn prepare(&mut self, pairs: usize, lens: impl IntoIterator<Item = usize>, l: Limits) {
        if self.is_table() {
            return;
        }
        if pairs > l.entries || lens.into_iter().any(|n| !l.fits(n)) {
            self.convert();
        }
    }

    /// Sets `field` to `value`; returns true if the field is new. `keep_ttl` keeps an existing
    /// field's deadline (HINCRBY), otherwise an overwrite drops it (HSET).
    pub fn insert(&mut self, field: &[u8], value: &[u8], keep_ttl: bool, l: Limits) -> bool {
        self.prepare(0, [field.len(), value.len()], l);
        let existed = match &mut self.enc {
            Enc::Pack(v) => v.set(field, value),
            Enc::Table(m) => {
                let p = Pair::new(field, value);
                self.heap += p.heap_size();
                match m.replace(p) {
                    Some(old) => {
                        self.heap -= old.heap_size();
                        true
                    }
                    None => false,
                }
            }
        };
        if existed {
            if !keep_ttl {
                self.persist(field);
            }
            return false;
        }
        if self.len() > l.entries {
            self.convert();
        }
        true
    }

    /// Removes `field`; true if it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let freed = match &mut self.enc {
            Enc::Pack(v) => v.take(field).map(|_| 0),
            Enc::Table(m) => m.take(field).map(|p| p.heap_size()),
        };
        match freed {
            Some(n) => {
                self.heap -= n;
                self.persist(field);
                self.shrink_if_sparse();
                true
            }
            None => false,
        }
    }

    /// Gives memory back when a table is mostly empty, as Redis resizes its dicts.
    fn shrink_if_sparse(&mut self) {
        if let Enc::Table(m) = &mut self.enc {
            if m.capacity() > 64 && m.len() * 8 < m.capacity() {
                m.shrink_to(m.len() * 2);
            }
        }
    }

    fn convert(&mut self) {
        if let Enc::Pack(v) = &mut self.enc {
            let pairs = std::mem::take(v);
            let mut m = HashSet::with_capacity(pairs.len());
            let mut heap = 0;
            for slot in pairs.slots() {
                let p = Pair::new(slot.field, slot.value);
                heap += p.heap_size();
                m.insert(p);
            }
            self.heap = heap;
            self.enc = Enc::Table(m);
        }
    }

    /// Every (field, value), in storage order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match &self.enc {
            Enc::Pack(v) => Box::new(v.slots().map(|s| (s.field, s.value))),
            Enc::Table(m) => Box::new(m.iter().map(|p| (p.field(), p.value()))),
        }
    }

    /// Up to `count` pairs from `cursor` on, and the next cursor (0 once the walk is
    /// complete). A listpack is returned whole, as Redis does. A hashtable is walked in the
    /// order of its fields' keyed hashes, which no insertion, deletion or resize changes: a
    /// field present for the whole walk is returned exactly once.
    pub fn scan_page(&self, cursor: u64, count: usize) -> (u64, Vec<FieldValue<'_>>) {
        let Enc::Table(m) = &self.enc else {
            return (0, self.iter().collect());
        };
        let hasher = m.hasher();
        // Positions are 1..=2^63, so a cursor of 0 starts the walk and means "done".
        let pos = |p: &Pair| (hasher.hash_one(p.field()) >> 1) + 1;
        let mut rest: Vec<(u64, &Pair)> = m
            .iter()
            .map(|p| (pos(p), p))
            .filter(|(k, _)| *k >= cursor)
            .collect();
        let count = count.max(1);
        if rest.len() <= count {
            rest.sort_unstable_by_key(|c| c.0);
            return (
                0,
                rest.iter().map(|(_, p)| (p.field(), p.value())).collect(),
            );
        }
        rest.select_nth_unstable_by_key(count, |c| c.0);
        let mut page: Vec<(u64, &Pair)> = rest[..count].to_vec();
        let mut next = rest[count].0;
        // Equal positions never straddle two pages.
        if page.iter().any(|c| c.0 == next) {
            page.extend(rest[count..].iter().filter(|c| c.0 == next));
            next = rest[count..]
                .iter()
                .map(|c| c.0)
                .filter(|&k| k > next)
                .min()
                .unwrap_or(0);
        }
        page.sort_unstable_by_key(|c| c.0);
        (
            next,
            page.iter().map(|(_, p)| (p.field(), p.value())).collect(),
        )
    }
}
