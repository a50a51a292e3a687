//! `Dict`: a chained hash table of keys to entries, one per database per shard.
//!
//! Chaining over a power-of-two bucket array lets SCAN use Redis's reverse-binary cursor:
//! a full iteration returns every key present from start to end even when the table grows
//! or shrinks between calls. Buckets are 8 bytes; entries are allocated once each.

use super::entry::Entry;
use crate::util::draw;
use crate::util::rng::Rng;
use std::hash::{BuildHasher, RandomState};

const MIN_BUCKETS: usize = 4;

/// A chain link: one entry and the rest of its bucket.
pub(crate) struct Node {
    pub(crate) entry: Entry,
    next: Option<Box<Node>>,
}

/// A hash table of entries keyed by their key bytes.
pub(crate) struct Dict {
    buckets: Vec<Option<Box<Node>>>,
    /// Each bucket's chain length and each window's member count, for random draws
    /// ([`crate::util::draw`]): about one byte per bucket.
    lengths: draw::Lengths,
    len: usize,
    hasher: RandomState,
}

impl Dict {
    /// An empty table; no buckets are allocated until the first insert.
    pub(crate) fn new(hasher: RandomState) -> Dict {
        Dict {
            buckets: Vec::new(),
            lengths: draw::Lengths::default(),
            len: 0,
            hasher,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn bucket_of(&self, key: &[u8]) -> usize {
        (self.hasher.hash_one(key) as usize) & self.mask()
    }

    /// The keyed hash of `key`; pass it to the `*_hashed` methods to hash a key only once.
    pub(crate) fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.get_hashed(self.hash(key), key)
    }

    pub(crate) fn get_hashed(&self, hash: u64, key: &[u8]) -> Option<&Entry> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.buckets[(hash as usize) & self.mask()].as_deref();
        while let Some(node) = cur {
            if node.entry.key.as_slice() == key {
                return Some(&node.entry);
            }
            cur = node.next.as_deref();
        }
        None
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.get_mut_hashed(self.hash(key), key)
    }

    pub(crate) fn get_mut_hashed(&mut self, hash: u64, key: &[u8]) -> Option<&mut Entry> {
        if self.len == 0 {
            return None;
        }
        let b = (hash as usize) & self.mask();
        let mut cur = self.buckets[b].as_deref_mut();
        while let Some(node) = cur {
            if node.entry.key.as_slice() == key {
                return Some(&mut node.entry);
            }
            cur = node.next.as_deref_mut();
        }
        None
    }

    /// Inserts an entry whose key is not present (callers check first).
    #[cfg(test)]
    pub(crate) fn insert_new(&mut self, entry: Entry) -> &mut Entry {
        let hash = self.hash(entry.key.as_slice());
        self.insert_new_hashed(hash, entry)
    }

    /// Inserts an entry whose key is not present, given the key's hash.
    pub(crate) fn insert_new_hashed(&mut self, hash: u64, entry: Entry) -> &mut Entry {
        if self.len >= self.buckets.len() {
            self.resize((self.len + 1).next_power_of_two().max(MIN_BUCKETS));
        }
        let b = (hash as usize) & self.mask();
        let next = self.buckets[b].take();
        self.len += 1;
        self.lengths.grow(b);
        let slot = &mut self.buckets[b];
        let node = slot.insert(Box::new(Node { entry, next }));
        &mut node.entry
    }

    /// Removes and returns the entry for `key`.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        if self.len == 0 {
            return None;
        }
        let b = self.bucket_of(key);
        let mut link = &mut self.buckets[b];
        loop {
            match link {
                None => return None,
                Some(node) if node.entry.key.as_slice() == key => {
                    let mut node = link.take()?;
                    *link = node.next.take();
                    let walk = || chain_len_walked(&self.buckets[b]);
                    self.lengths.shrink(b, walk);
                    self.len -= 1;
                    self.maybe_shrink();
                    return Some(node.entry);
                }
                Some(node) => link = &mut node.next,
            }
        }
    }

    fn maybe_shrink(&mut self) {
        let n = self.buckets.len();
        if n > MIN_BUCKETS && self.len * 8 < n {
            self.resize(self.len.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::take(&mut self.buckets);
        self.buckets.resize_with(size, || None);
        self.lengths = draw::Lengths::new(size);
        for mut chain in old {
            while let Some(mut node) = chain {
                chain = node.next.take();
                let b = self.bucket_of(node.entry.key.as_slice());
                node.next = self.buckets[b].take();
                self.buckets[b] = Some(node);
                self.lengths.grow(b);
            }
        }
    }

    /// Drops every entry and frees the buckets.
    pub(crate) fn clear(&mut self) {
        let old = std::mem::take(&mut self.buckets);
        self.lengths = draw::Lengths::default();
        // Unlink chains iteratively so a long chain cannot overflow the stack on drop.
        for mut chain in old {
            while let Some(mut node) = chain {
                chain = node.next.take();
            }
        }
        self.len = 0;
    }

    /// Visits the bucket at `cursor` and returns the next cursor (0 when the iteration is
    /// complete). Redis's reverse-binary cursor: increments happen on the reversed bits, so
    /// buckets already visited stay visited when the table doubles or halves.
    pub(crate) fn scan(&self, cursor: u64, mut f: impl FnMut(&Entry)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let mut cur = self.buckets[(cursor & mask) as usize].as_deref();
        while let Some(node) = cur {
            f(&node.entry);
            cur = node.next.as_deref();
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// Like [`Dict::scan`], with each entry of the bucket given mutably.
    pub(crate) fn scan_mut(&mut self, cursor: u64, mut f: impl FnMut(&mut Entry)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let mut cur = self.buckets[(cursor & mask) as usize].as_deref_mut();
        while let Some(node) = cur {
            f(&mut node.entry);
            cur = node.next.as_deref_mut();
        }
        (((cursor | !mask).reverse_bits()).wrapping_add(1)).reverse_bits()
    }

    /// Takes every entry out, leaving an empty table with the same hasher.
    pub(crate) fn take(&mut self) -> Dict {
        let empty = Dict::new(self.hasher.clone());
        std::mem::replace(self, empty)
    }

    /// Every entry, in bucket order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.buckets.iter().flat_map(|b| {
            let mut cur = b.as_deref();
            std::iter::from_fn(move || {
                let node = cur?;
                cur = node.next.as_deref();
                Some(&node.entry)
            })
        })
    }

    /// A uniformly random entry, every key equally likely (see [`crate::util::draw`]:
    /// one cache line of chain lengths per try, a few tries at any load).
    pub(crate) fn random(&self, rng: &mut Rng) -> Option<&Entry> {
        let (b, depth) = self.place(rng)?;
        self.link(b, depth)
    }

    /// Where a uniformly random entry sits, as (bucket, depth in its chain), for
    /// [`Dict::link`]: a caller drawing from several tables can find every place before it
    /// reads any entry, so those reads do not wait on one another.
    pub(crate) fn place(&self, rng: &mut Rng) -> Option<(usize, usize)> {
        self.lengths.pick(self.len, rng, |b| self.chain_len(b))
    }

    /// Calls `f` with every entry when there are at most `n`, and otherwise with `n`
    /// entries drawn as [`Dict::sample`] draws them. Returns how many calls were made.
    pub(crate) fn sample_or_all(
        &self,
        rng: &mut Rng,
        n: usize,
        mut f: impl FnMut(&Entry),
    ) -> usize {
        if self.len <= n {
            self.iter().for_each(&mut f);
            return self.len;
        }
        self.sample(rng, n, f)
    }

    /// Calls `f` with `n` entries drawn from one window of neighbouring buckets, with
    /// replacement, every key equally likely per draw (see [`draw::Window`]). Each batch of
    /// places is found before any of its entries is read, so those reads do not wait on
    /// one another. Returns how many calls were made (`n`, or 0 for an empty table).
    pub(crate) fn sample(&self, rng: &mut Rng, n: usize, mut f: impl FnMut(&Entry)) -> usize {
        const BATCH: usize = 8;
        let chain_len = |b| self.chain_len(b);
        let Some(window) = self.lengths.window(self.len, rng) else {
            return 0;
        };
        let mut calls = 0;
        let mut left = n;
        while left > 0 {
            let now = left.min(BATCH);
            left -= now;
            let mut places = [None; BATCH];
            for place in &mut places[..now] {
                *place = window.pick(rng, &chain_len);
            }
            let mut entries = [None; BATCH];
            for (entry, place) in entries.iter_mut().zip(&places[..now]) {
                *entry = place.and_then(|(b, depth)| self.link(b, depth));
            }
            warm(entries[..now].iter().flatten().copied());
            for e in entries[..now].iter().flatten() {
                calls += 1;
                f(e);
            }
        }
        calls
    }

    /// The length of bucket `b`'s chain.
    fn chain_len(&self, b: usize) -> usize {
        self.lengths
            .chain_len(b, || chain_len_walked(&self.buckets[b]))
    }

    /// The entry `depth` links down the chain of bucket `b`.
    pub(crate) fn link(&self, b: usize, depth: usize) -> Option<&Entry> {
        let mut cur = self.buckets[b].as_deref();
        for _ in 0..depth {
            cur = cur?.next.as_deref();
        }
        cur.map(|node| &node.entry)
    }
}

/// The length of the chain that starts at `head`, counted link by link.
fn chain_len_walked(head: &Option<Box<Node>>) -> usize {
    let mut n = 0;
    let mut cur = head.as_deref();
    while let Some(node) = cur {
        n += 1;
        cur = node.next.as_deref();
    }
    n
}

/// Reads a field of each entry in one tight loop, so their cache misses overlap: the
/// caller's work on one entry (scoring it, offering it to a pool) would otherwise stand
/// between each miss and the next.
pub(crate) fn warm<'a>(entries: impl Iterator<Item = &'a Entry>) {
    std::hint::black_box(entries.fold(0u32, |acc, e| acc ^ e.lru));
}

impl Drop for Dict {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{StrValue, Value};
    use std::collections::BTreeSet;

    fn entry(k: &str) -> Entry {
        Entry::new(k.as_bytes(), Value::Str(StrValue::from_bytes(b"v")), 0)
    }

    /// True if every kept chain length and window total matches the chains.
    fn counts_match(d: &Dict) -> bool {
        d.lengths
            .matches(d.buckets.len(), |b| chain_len_walked(&d.buckets[b]))
    }

    #[test]
    fn insert_get_remove() {
        let mut d = Dict::new(RandomState::new());
        for i in 0..1000 {
            d.insert_new(entry(&format!("k{i}")));
        }
        assert_eq!(d.len(), 1000);
        assert!(counts_match(&d));
        assert!(d.get(b"k999").is_some());
        for i in 0..1000 {
            assert!(d.remove(format!("k{i}").as_bytes()).is_some());
            if i % 97 == 0 {
                assert!(counts_match(&d));
            }
        }
        assert_eq!(d.len(), 0);
        assert!(d.buckets.len() <= MIN_BUCKETS * 2);
    }

    /// A table of `n` keys `k0`, `k1`, ...
    fn filled(n: usize) -> Dict {
        let mut d = Dict::new(RandomState::new());
        for i in 0..n {
            d.insert_new(entry(&format!("k{i}")));
        }
        d
    }

    #[test]
    fn random_picks_every_key_about_equally_often() {
        // 1,500 keys in 2,048 buckets: chains of 0 to 5 or so, and runs of empty buckets.
        let n = 1500;
        let d = filled(n);
        let mut rng = Rng::new(99);
        let draws = 600_000;
        let mut counts = std::collections::HashMap::new();
        for _ in 0..draws {
            if let Some(e) = d.random(&mut rng) {
                *counts.entry(e.key.as_slice().to_vec()).or_insert(0u32) += 1;
            }
        }
        // Expected 400 per key; a chi-square over 1,499 degrees of freedom stays well
        // under 1,700 for a uniform draw (a chain-length bias gives tens of thousands).
        let chi2 = draw::chi_square(&counts, n, draws as f64 / n as f64);
        assert!(chi2 < 1700.0, "chi-square {chi2}");
    }

    #[test]
    fn a_sample_draws_every_key_about_equally_often() {
        let n = 2000;
        let d = filled(n);
        let mut rng = Rng::new(5);
        let mut hits: std::collections::HashMap<Vec<u8>, u32> = std::collections::HashMap::new();
        let batches = n * 100 / 5;
        for _ in 0..batches {
            let mut got = 0;
            let calls = d.sample(&mut rng, 5, |e| {
                got += 1;
                *hits.entry(e.key.as_slice().to_vec()).or_default() += 1;
            });
            assert_eq!((got, calls), (5, 5));
        }
        // 1999 degrees of freedom around 100 draws per key: sd about 63.
        let chi = draw::chi_square(&hits, n, 100.0);
        assert!(chi < 2400.0, "chi-square {chi}");
        let mut empty = Dict::new(RandomState::new());
        empty.insert_new(entry("gone"));
        assert!(empty.remove(b"gone").is_some());
        assert_eq!(
            empty.sample(&mut rng, 5, |_| unreachable!("nothing to draw")),
            0
        );
        let mut seen = BTreeSet::new();
        let small = {
            let mut t = Dict::new(RandomState::new());
            for i in 0..4 {
                t.insert_new(entry(&format!("s{i}")));
            }
            t
        };
        let calls = small.sample_or_all(&mut rng, 5, |e| {
            seen.insert(e.key.as_slice().to_vec());
        });
        assert_eq!(
            (calls, seen.len()),
            (4, 4),
            "a table this small is given whole"
        );
        assert_eq!(d.sample_or_all(&mut rng, 5, |_| ()), 5);
    }

    #[test]
    fn random_works_on_a_sparse_table() {
        let mut d = Dict::new(RandomState::new());
        for i in 0..4096 {
            d.insert_new(entry(&format!("k{i}")));
        }
        for i in 1..4096 {
            d.remove(format!("k{i}").as_bytes());
        }
        let mut rng = Rng::new(5);
        for _ in 0..100 {
            assert_eq!(
                d.random(&mut rng).map(|e| e.key.to_vec()),
                Some(b"k0".to_vec())
            );
        }
    }

    #[test]
    fn scan_returns_every_key_present_throughout_despite_resizes() {
        let mut d = Dict::new(RandomState::new());
        for i in 0..100 {
            d.insert_new(entry(&format!("stable{i}")));
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |e| {
                seen.insert(e.key.as_slice().to_vec());
            });
            // Grow and shrink the table between calls.
            step += 1;
            if step % 3 == 0 {
                for i in 0..200 {
                    d.insert_new(entry(&format!("tmp{step}-{i}")));
                }
            } else if step % 3 == 1 {
                let tmp: Vec<Vec<u8>> = d
                    .iter()
                    .filter(|e| e.key.starts_with(b"tmp"))
                    .map(|e| e.key.to_vec())
                    .collect();
                for k in tmp {
                    d.remove(&k);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100 {
            assert!(
                seen.contains(format!("stable{i}").as_bytes()),
                "missed stable{i}"
            );
        }
    }
}
