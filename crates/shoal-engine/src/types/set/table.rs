//! The `hashtable` encoding: a chained hash table of members over a power-of-two bucket
//! array, so SSCAN can walk it with a reverse-binary cursor that survives resizes.

use crate::types::SmallBytes;
use crate::util::rng::Rng;
use std::hash::{BuildHasher, RandomState};

const MIN_BUCKETS: usize = 4;

use crate::util::draw;

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
    /// Each bucket's chain length and each window's member count, for random draws
    /// ([`crate::util::draw`]).
    lengths: draw::Lengths,
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

/// The members of the chain that starts at `head`.
fn chain_of(head: &Option<Box<Node>>) -> impl Iterator<Item = &[u8]> {
    let mut cur = head.as_deref();
    std::iter::from_fn(move || {
        let node = cur?;
        cur = node.next.as_deref();
        Some(node.member.as_slice())
    })
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
            lengths: draw::Lengths::default(),
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
        self.lengths.grow(b);
        self.len += 1;
        true
    }

    /// Removes `m`; false if it was not there.
    pub(super) fn remove(&mut self, m: &[u8]) -> bool {
        if self.len == 0 {
            return false;
        }
        let b = self.bucket_of(m);
        let Some(pos) = self.chain(b).position(|x| x == m) else {
            return false;
        };
        self.unlink(b, pos).is_some()
    }

    /// Removes and returns a uniformly random member.
    pub(super) fn pop_random(&mut self, rng: &mut Rng) -> Option<SmallBytes> {
        let (b, pos) = self.pick(rng)?;
        self.unlink(b, pos)
    }

    /// Unlinks the member at position `pos` of bucket `b`'s chain and shrinks the table
    /// when it has become sparse; `None` if the chain is shorter.
    fn unlink(&mut self, b: usize, pos: usize) -> Option<SmallBytes> {
        let mut link = &mut self.buckets[b];
        for _ in 0..pos {
            link = &mut link.as_mut()?.next;
        }
        let mut node = link.take()?;
        *link = node.next.take();
        self.node_bytes -= node_bytes(&node.member);
        let walk = || chain_of(&self.buckets[b]).count();
        self.lengths.shrink(b, walk);
        self.len -= 1;
        self.shrink_if_sparse();
        Some(node.member)
    }

    fn shrink_if_sparse(&mut self) {
        let n = self.buckets.len();
        // Shrink below a quarter full: a sparse table makes random draws miss.
        if n > MIN_BUCKETS && self.len * 4 < n {
            self.resize((self.len.next_power_of_two() * 2).max(MIN_BUCKETS));
        }
    }

    fn resize(&mut self, n: usize) {
        let old = std::mem::replace(&mut self.buckets, (0..n).map(|_| None).collect());
        self.lengths = draw::Lengths::new(n);
        for mut chain in old {
            while let Some(mut node) = chain {
                chain = node.next.take();
                let b = self.bucket_of(node.member.as_slice());
                node.next = self.buckets[b].take();
                self.buckets[b] = Some(node);
                self.lengths.grow(b);
            }
        }
    }

    /// The length of bucket `b`'s chain.
    fn chain_len(&self, b: usize) -> usize {
        self.lengths.chain_len(b, || self.chain(b).count())
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

    /// A uniformly random member.
    pub(super) fn random(&self, rng: &mut Rng) -> Option<&[u8]> {
        let (b, pos) = self.pick(rng)?;
        self.chain(b).nth(pos)
    }

    /// Where a uniformly random member sits: (bucket, position in its chain).
    fn pick(&self, rng: &mut Rng) -> Option<(usize, usize)> {
        self.lengths.pick(self.len, rng, |b| self.chain_len(b))
    }

    /// The members of bucket `b`.
    fn chain(&self, b: usize) -> impl Iterator<Item = &[u8]> {
        chain_of(&self.buckets[b])
    }

    /// Heap bytes: the bucket array, the nodes and their out-of-line members.
    pub(super) fn heap_size(&self) -> usize {
        let buckets = self.buckets.capacity() * std::mem::size_of::<Option<Box<Node>>>();
        crate::types::alloc::alloc_size(buckets) + self.lengths.heap_size() + self.node_bytes
    }

    /// True if every kept chain length and window total matches the chains.
    #[cfg(test)]
    pub(super) fn counts_match(&self) -> bool {
        self.lengths
            .matches(self.buckets.len(), |b| self.chain(b).count())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Chi-square of `draws` random picks over a table of `n` members against a uniform
    /// spread.
    fn chi_square(n: usize, draws: usize) -> f64 {
        let mut t = Table::with_capacity(0);
        for i in 0..n {
            t.insert(format!("member:{i}").as_bytes());
        }
        let mut rng = Rng::new(11);
        let mut hist: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        for _ in 0..draws {
            let m = t.random(&mut rng).map(<[u8]>::to_vec).unwrap_or_default();
            *hist.entry(m).or_default() += 1;
        }
        assert_eq!(hist.len(), n);
        let expected = draws as f64 / n as f64;
        hist.values()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum()
    }

    #[test]
    fn random_draws_are_uniform_across_windows() {
        // 3,000 members over 4,096 buckets: 64 windows, each accepted in proportion to
        // what it holds. Chi-square over 2,999 degrees of freedom: a fair draw stays near
        // 3,000 (sd about 77); favouring members of sparse windows lands far above.
        let chi = chi_square(3000, 300_000);
        assert!(chi < 3400.0, "chi-square {chi}");
    }

    #[test]
    fn random_draws_are_uniform_in_a_single_window() {
        let chi = chi_square(40, 40_000);
        assert!(chi < 80.0, "chi-square {chi}");
    }

    #[test]
    fn popping_keeps_chain_lengths_and_returns_each_member_once() {
        let mut t = Table::with_capacity(0);
        for i in 0..5000 {
            t.insert(format!("{i}").as_bytes());
        }
        let mut rng = Rng::new(5);
        let mut seen = std::collections::HashSet::new();
        while let Some(m) = t.pop_random(&mut rng) {
            assert!(seen.insert(m.as_slice().to_vec()));
            if seen.len() % 500 == 0 {
                assert!(t.counts_match());
                assert_eq!(t.recount_node_bytes().0, t.recount_node_bytes().1);
            }
        }
        assert_eq!(seen.len(), 5000);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_chain_longer_than_a_count_can_hold_is_walked() {
        // Hash flooding cannot be provoked through the keyed hash, so build the long chain
        // by hand: 300 members in bucket 0 of a table that also holds ordinary ones.
        let mut t = Table::with_capacity(0);
        for i in 0..100 {
            t.insert(format!("plain:{i}").as_bytes());
        }
        for i in 0..300 {
            let member = SmallBytes::new(format!("long:{i}").as_bytes());
            t.node_bytes += node_bytes(&member);
            let next = t.buckets[0].take();
            t.buckets[0] = Some(Box::new(Node { member, next }));
            t.lengths.grow(0);
            t.len += 1;
        }
        assert_eq!(t.lengths.kept(0), draw::SATURATED);
        assert!(t.counts_match());
        let mut rng = Rng::new(9);
        let mut seen = std::collections::HashSet::new();
        let mut long = 0;
        while let Some(m) = t.pop_random(&mut rng) {
            long += usize::from(m.as_slice().starts_with(b"long:"));
            assert!(seen.insert(m.as_slice().to_vec()));
            assert!(t.counts_match());
        }
        assert_eq!((seen.len(), long), (400, 300));
    }
}
