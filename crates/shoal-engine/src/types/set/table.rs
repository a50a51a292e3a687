//! The `hashtable` encoding: a chained hash table of members over a power-of-two bucket
//! array, so SSCAN can walk it with a reverse-binary cursor that survives resizes.

use crate::types::SmallBytes;
use crate::util::rng::Rng;
use std::hash::{BuildHasher, RandomState};

const MIN_BUCKETS: usize = 4;

/// Chain positions a fair random draw considers: every member of a chain up to this long is
/// equally likely. Each draw touches a random bucket (a cache miss on a big set) and succeeds
/// with probability load/FAIR_DEPTH, which is why the table shrinks early (see `remove`).
const FAIR_DEPTH: usize = 8;

/// Draws before a random pick gives up on exact fairness.
const FAIR_TRIES: usize = 2048;

/// A chain link: one member and the rest of its bucket.
#[derive(Clone)]
struct Node {
    member: SmallBytes,
    next: Option<Box<Node>>,
}

/// A hash table of distinct members.
#[derive(Clone)]
pub(super) struct Table {
    buckets: Vec<Option<Box<Node>>>,
    len: usize,
    /// Bytes held by the nodes and their out-of-line members, kept up to date so memory
    /// accounting after each write costs O(1).
    node_bytes: usize,
    hasher: RandomState,
}

/// Heap bytes one node holding `m` takes.
fn node_bytes(m: &SmallBytes) -> usize {
    crate::types::alloc::alloc_size(std::mem::size_of::<Node>()) + m.heap_size()
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Table {
    /// An empty table sized for `cap` members.
    pub(super) fn with_capacity(cap: usize) -> Table {
        let mut t = Table {
            buckets: Vec::new(),
            len: 0,
            node_bytes: 0,
            hasher: RandomState::new(),
        };
        if cap > 0 {
            t.resize(cap.next_power_of_two().max(MIN_BUCKETS));
        }
        t
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn bucket_of(&self, m: &[u8]) -> usize {
        (self.hasher.hash_one(m) as usize) & self.mask()
    }

    pub(super) fn contains(&self, m: &[u8]) -> bool {
        if self.len == 0 {
            return false;
        }
        self.contains_hashed(m, self.hasher.hash_one(m))
    }

    /// True if `m`, whose hash is `h`, is a member (the table must have buckets).
    fn contains_hashed(&self, m: &[u8], h: u64) -> bool {
        let mut cur = self.buckets[(h as usize) & self.mask()].as_deref();
        while let Some(node) = cur {
            if node.member.as_slice() == m {
                return true;
            }
            cur = node.next.as_deref();
        }
        false
    }

    /// Adds `m`; false if it was already there.
    pub(super) fn insert(&mut self, m: &[u8]) -> bool {
        let h = self.hasher.hash_one(m);
        if self.len > 0 && self.contains_hashed(m, h) {
            return false;
        }
        if self.len >= self.buckets.len() {
            self.resize((self.len + 1).next_power_of_two().max(MIN_BUCKETS));
        }
        let b = (h as usize) & self.mask();
        let next = self.buckets[b].take();
        let member = SmallBytes::new(m);
        self.node_bytes += node_bytes(&member);
        self.buckets[b] = Some(Box::new(Node { member, next }));
        self.len += 1;
        true
    }

    /// Removes `m`; false if it was not there.
    pub(super) fn remove(&mut self, m: &[u8]) -> bool {
        if self.len == 0 {
            return false;
        }
        let b = self.bucket_of(m);
        let mut link = &mut self.buckets[b];
        loop {
            match link {
                None => return false,
                Some(node) if node.member.as_slice() == m => {
                    self.node_bytes -= node_bytes(&node.member);
                    let rest = node.next.take();
                    *link = rest;
                    break;
                }
                Some(node) => link = &mut node.next,
            }
        }
        self.len -= 1;
        let n = self.buckets.len();
        // Shrink below a quarter full: a sparse table makes random draws miss.
        if n > MIN_BUCKETS && self.len * 4 < n {
            self.resize((self.len.next_power_of_two() * 2).max(MIN_BUCKETS));
        }
        true
    }

    fn resize(&mut self, n: usize) {
        let old = std::mem::replace(&mut self.buckets, (0..n).map(|_| None).collect());
        for mut chain in old {
            while let Some(mut node) = chain {
                chain = node.next.take();
                let b = self.bucket_of(node.member.as_slice());
                node.next = self.buckets[b].take();
                self.buckets[b] = Some(node);
            }
        }
    }

    /// Every member, in bucket order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.buckets.iter().flat_map(|b| {
            let mut cur = b.as_deref();
            std::iter::from_fn(move || {
                let node = cur?;
                cur = node.next.as_deref();
                Some(node.member.as_slice())
            })
        })
    }

    /// Visits the bucket at `cursor`; returns the next cursor (0 when done), with the
    /// reverse-binary increment that keeps visited buckets visited across resizes.
    pub(super) fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8])) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let mut cur = self.buckets[(cursor & mask) as usize].as_deref();
        while let Some(node) = cur {
            f(node.member.as_slice());
            cur = node.next.as_deref();
        }
        let v = (cursor | !mask).reverse_bits().wrapping_add(1);
        v.reverse_bits()
    }

    /// A uniformly random member. Draws a bucket and a chain position up to
    /// [`FAIR_DEPTH`] and retries when that position is empty, so every member of a chain no
    /// longer than that is equally likely (chains are short at our load factors); after
    /// many misses it settles for a random link of a random non-empty bucket.
    pub(super) fn random(&self, rng: &mut Rng) -> Option<&[u8]> {
        if self.len == 0 {
            return None;
        }
        let n = self.buckets.len();
        for _ in 0..FAIR_TRIES {
            let b = rng.index(n);
            let i = rng.index(FAIR_DEPTH);
            if let Some(m) = self.chain(b).nth(i) {
                return Some(m);
            }
        }
        let mut b = rng.index(n);
        while self.buckets[b].is_none() {
            b = (b + 1) & (n - 1);
        }
        let pick = rng.index(self.chain(b).count());
        self.chain(b).nth(pick)
    }

    /// The members of bucket `b`.
    fn chain(&self, b: usize) -> impl Iterator<Item = &[u8]> {
        let mut cur = self.buckets[b].as_deref();
        std::iter::from_fn(move || {
            let node = cur?;
            cur = node.next.as_deref();
            Some(node.member.as_slice())
        })
    }

    /// Heap bytes: the bucket array, the nodes and their out-of-line members.
    pub(super) fn heap_size(&self) -> usize {
        let buckets = self.buckets.capacity() * std::mem::size_of::<Option<Box<Node>>>();
        crate::types::alloc::alloc_size(buckets) + self.node_bytes
    }

    /// The node bytes counted from scratch, to check the running count.
    #[cfg(test)]
    pub(super) fn recount_node_bytes(&self) -> (usize, usize) {
        let mut n = 0;
        for b in &self.buckets {
            let mut cur = b.as_deref();
            while let Some(node) = cur {
                n += node_bytes(&node.member);
                cur = node.next.as_deref();
            }
        }
        (n, self.node_bytes)
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // Unlink chains iteratively so a long chain cannot overflow the stack.
        for slot in &mut self.buckets {
            let mut chain = slot.take();
            while let Some(mut node) = chain {
                chain = node.next.take();
            }
        }
    }
}
