//! A sorted set: distinct members ordered by a floating-point score, then by member bytes.
//!
//! Two encodings, as in Redis:
//! - `listpack`: a sorted `Vec` of `(score, member)`, while the set has at most
//!   `zset-max-listpack-entries` members of at most `zset-max-listpack-value` bytes each;
//! - `skiplist`: past either limit (and never back), an order-statistics treap plus a
//!   hash index of the members (`tree::Tree`), so lookups are O(1) and ranks O(log n).
//!
//! Every query is phrased in ranks: a score or lex range becomes the rank interval
//! `lo..hi` of the entries inside it, which both encodings compute in O(log n).

mod range;
mod tree;

#[cfg(test)]
mod tests;

pub use range::{LexBound, LexRange, ScoreRange};

use std::cmp::Ordering;
use std::sync::Arc;
use tree::Tree;

/// A member's bytes, shared between the structures of the large encoding.
pub type Member = Arc<[u8]>;

/// Compares two entries: by score, then by member bytes. Scores are never NaN.
pub fn cmp_entry(a_score: f64, a: &[u8], b_score: f64, b: &[u8]) -> Ordering {
    a_score
        .partial_cmp(&b_score)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.cmp(b))
}

/// The encoding thresholds (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most members the compact encoding holds.
    pub entries: usize,
    /// Longest member (bytes) the compact encoding holds.
    pub value: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            entries: 128,
            value: 64,
        }
    }
}

/// A member's place in the hash index, from [`ZSetValue::probe`].
#[derive(Clone, Copy, Debug)]
pub struct Probe(Option<u64>);

#[derive(Clone, Debug)]
enum Enc {
    Pack(Vec<(f64, Member)>),
    Tree(Box<Tree>),
}

/// A sorted set: distinct members ordered by a floating-point score, then by member.
#[derive(Clone, Debug)]
pub struct ZSetValue {
    enc: Enc,
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue {
            enc: Enc::Pack(Vec::new()),
        }
    }
}

impl PartialEq for ZSetValue {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.range(0, self.len(), false) == other.range(0, other.len(), false)
    }
}

impl ZSetValue {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Pack(v) => v.len(),
            Enc::Tree(t) => t.len(),
        }
    }

    /// True when there are no elements; the key is then deleted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        match &self.enc {
            Enc::Pack(_) => "listpack",
            Enc::Tree(_) => "skiplist",
        }
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_size(&self) -> usize {
        match &self.enc {
            Enc::Pack(v) => {
                use crate::types::alloc::alloc_size;
                // Each member is an `Arc`: two counters before the bytes.
                let members: usize = v.iter().map(|(_, m)| alloc_size(m.len() + 16)).sum();
                alloc_size(v.capacity() * std::mem::size_of::<(f64, Member)>()) + members
            }
            Enc::Tree(t) => t.heap_size() + std::mem::size_of::<Tree>(),
        }
    }

    /// Position of `member` in the compact encoding.
    fn pack_pos(v: &[(f64, Member)], member: &[u8]) -> Option<usize> {
        v.iter().position(|(_, m)| m.as_ref() == member)
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.enc {
            Enc::Pack(v) => Self::pack_pos(v, member).map(|i| v[i].0),
            Enc::Tree(t) => t.score(member),
        }
    }

    /// The score of `member`, with what [`ZSetValue::insert_probed`] needs to find it again
    /// without hashing it a second time.
    pub fn probe(&self, member: &[u8]) -> (Option<f64>, Probe) {
        match &self.enc {
            Enc::Pack(_) => (self.score(member), Probe(None)),
            Enc::Tree(t) => {
                let h = t.hash_of(member);
                (t.score_hashed(member, h), Probe(Some(h)))
            }
        }
    }

    /// [`ZSetValue::insert`] of a member probed since the set last changed.
    pub fn insert_probed(
        &mut self,
        member: &[u8],
        score: f64,
        limits: Limits,
        probe: Probe,
    ) -> Option<f64> {
        match (&mut self.enc, probe.0) {
            (Enc::Tree(t), Some(h)) => t.insert_hashed(member, score, h),
            _ => self.insert(member, score, limits),
        }
    }

    /// Sets `member`'s score, adding it if new; returns the previous score. Converts to the
    /// large encoding when `limits` are passed.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: Limits) -> Option<f64> {
        if let Enc::Pack(v) = &self.enc {
            let grows = Self::pack_pos(v, member).is_none();
            if grows && (v.len() + 1 > limits.entries || member.len() > limits.value) {
                self.convert();
            }
        }
        match &mut self.enc {
            Enc::Pack(v) => {
                let old = Self::pack_pos(v, member).map(|i| v.remove(i));
                let at = v.partition_point(|(s, m)| cmp_entry(*s, m, score, member).is_lt());
                let m = old
                    .as_ref()
                    .map_or_else(|| Member::from(member), |o| o.1.clone());
                v.insert(at, (score, m));
                old.map(|o| o.0)
            }
            Enc::Tree(t) => t.insert(member, score),
        }
    }

    /// Moves to the large encoding.
    fn convert(&mut self) {
        if let Enc::Pack(v) = &mut self.enc {
            let mut t = Tree::new();
            for (s, m) in v.drain(..) {
                t.insert(&m, s);
            }
            self.enc = Enc::Tree(Box::new(t));
        }
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.enc {
            Enc::Pack(v) => Self::pack_pos(v, member).map(|i| v.remove(i).0),
            Enc::Tree(t) => t.remove(member),
        }
    }

    /// The 0-based ascending rank of `member`, with its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let score = self.score(member)?;
        let rank = self.count_prefix(|s, m| cmp_entry(s, m, score, member).is_lt());
        Some((rank, score))
    }

    /// How many leading entries satisfy `before` (true for a prefix of the order).
    pub fn count_prefix(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.enc {
            Enc::Pack(v) => v.partition_point(|(s, m)| before(*s, m)),
            Enc::Tree(t) => t.count_prefix(before),
        }
    }

    /// The entry at ascending rank `rank`.
    pub fn at(&self, rank: usize) -> Option<(Member, f64)> {
        match &self.enc {
            Enc::Pack(v) => v.get(rank).map(|(s, m)| (m.clone(), *s)),
            Enc::Tree(t) => t.at(rank).map(|(m, s)| (Member::from(m), s)),
        }
    }

    /// The entries with ascending ranks in `lo..hi`, ascending, or descending if `rev`.
    pub fn range(&self, lo: usize, hi: usize, rev: bool) -> Vec<(Member, f64)> {
        let hi = hi.min(self.len());
        if lo >= hi {
            return Vec::new();
        }
        match &self.enc {
            Enc::Pack(v) => {
                let it = v[lo..hi].iter().map(|(s, m)| (m.clone(), *s));
                if rev {
                    it.rev().collect()
                } else {
                    it.collect()
                }
            }
            Enc::Tree(t) => {
                let mut out = Vec::with_capacity(hi - lo);
                t.collect(lo, hi - 1, rev, &mut out);
                out
            }
        }
    }

    /// Every entry, in order.
    pub fn entries(&self) -> Vec<(Member, f64)> {
        self.range(0, self.len(), false)
    }

    /// The rank interval `lo..hi` of the entries whose scores are within `r`.
    pub fn score_ranks(&self, r: &ScoreRange) -> (usize, usize) {
        let lo = self.count_prefix(|s, _| r.below(s));
        let hi = self.count_prefix(|s, _| !r.above(s));
        (lo, hi.max(lo))
    }

    /// The rank interval `lo..hi` of the entries whose members are within `r`.
    pub fn lex_ranks(&self, r: &LexRange) -> (usize, usize) {
        let lo = self.count_prefix(|_, m| r.below(m));
        let hi = self.count_prefix(|_, m| !r.above(m));
        (lo, hi.max(lo))
    }

    /// Removes the entries with ascending ranks in `lo..hi` and returns them, ascending.
    pub fn remove_ranks(&mut self, lo: usize, hi: usize) -> Vec<(Member, f64)> {
        let hi = hi.min(self.len());
        if lo >= hi {
            return Vec::new();
        }
        match &mut self.enc {
            Enc::Pack(v) => v.drain(lo..hi).map(|(s, m)| (m, s)).collect(),
            Enc::Tree(t) => (lo..hi)
                .filter_map(|_| t.remove_at(lo))
                .map(|(m, s)| (Member::from(m), s))
                .collect(),
        }
    }

    /// Builds a set from entries (any order, distinct members).
    pub fn from_entries(entries: impl IntoIterator<Item = (Member, f64)>, limits: Limits) -> Self {
        let mut z = ZSetValue::default();
        for (m, s) in entries {
            z.insert(&m, s, limits);
        }
        z
    }
}
