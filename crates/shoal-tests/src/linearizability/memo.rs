//! The configurations the search has explored.
//!
//! A configuration is the set of completed operations placed so far, the state they leave,
//! and the set of operations with unknown outcome placed so far. The first two are folded into
//! a 128-bit fingerprint: a Zobrist hash of the set (the XOR of a random number per operation,
//! updated in constant time per step) mixed with a hash of the state; a false match has odds
//! of about 2^-100 even for billions of configurations.
//!
//! Placing an operation with unknown outcome is never required, so a configuration is no
//! better than one with the same fingerprint and a subset of its unknown operations: anything
//! that works from the larger one works from the smaller one by leaving the extra operations
//! out. For each fingerprint the memo keeps the minimal sets seen, and a configuration that
//! contains one of them is not explored again.

use super::model::Val;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys that are already uniformly random: it keeps the low 64 bits.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// A splitmix64 sequence: cheap, deterministic randomness for the Zobrist numbers.
fn splitmix(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn random128(seed: &mut u64) -> u128 {
    u128::from(splitmix(seed)) << 64 | u128::from(splitmix(seed))
}

/// `n` random 128-bit numbers, the same on every run.
pub(super) fn zobrist(n: usize) -> Vec<u128> {
    let mut seed = 0x243f_6a88_85a3_08d3;
    (0..n).map(|_| random128(&mut seed)).collect()
}

/// A 128-bit hash of a state, mixed into a set's fingerprint.
pub(super) fn state_hash(v: Val) -> u128 {
    let mut seed = match v {
        Val::Absent => 0x5bd1_e995,
        Val::Int(n) => (n as u64).rotate_left(7) ^ 0x1000_0000_0000_0001,
        Val::Str(id) => u64::from(id) ^ 0x2000_0000_0000_0002,
    };
    random128(&mut seed)
}

/// The unknown-outcome operations placed so far, by their index among such operations.
///
/// Besides a bitset, the set is kept as a chain in an arena that only grows: the set after
/// each placement is one arena node (the operation and the node of the set before it), so the
/// memo can keep any set seen at the cost of one number.
pub(super) struct Placed {
    bits: Vec<u64>,
    len: usize,
    head: u32,
    arena: Vec<(u32, u32)>,
}

/// The chain of the empty set.
const EMPTY: u32 = u32::MAX;

impl Placed {
    pub(super) fn new(unknown_ops: usize) -> Placed {
        Placed {
            bits: vec![0; unknown_ops.div_ceil(64)],
            len: 0,
            head: EMPTY,
            arena: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, u: u32) {
        self.bits[(u / 64) as usize] |= 1 << (u % 64);
        self.len += 1;
        self.arena.push((u, self.head));
        self.head = (self.arena.len() - 1) as u32;
    }

    pub(super) fn pop(&mut self) {
        if let Some(&(u, prev)) = self.arena.get(self.head as usize) {
            self.bits[(u / 64) as usize] &= !(1 << (u % 64));
            self.len -= 1;
            self.head = prev;
        }
    }

    /// Whether `u` is placed.
    pub(super) fn has(&self, u: u32) -> bool {
        self.bits[(u / 64) as usize] & (1 << (u % 64)) != 0
    }

    /// The members of the set with chain `node`.
    fn members(&self, mut node: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::from_fn(move || {
            let &(u, prev) = self.arena.get(node as usize)?;
            node = prev;
            Some(u)
        })
    }

    /// Whether the set with chain `node` is a subset of the current one.
    fn includes(&self, node: u32) -> bool {
        self.members(node).all(|u| self.has(u))
    }

    /// Whether the current set is a subset of the set with chain `node`.
    fn within(&self, node: u32) -> bool {
        self.members(node).filter(|&u| self.has(u)).count() == self.len
    }
}

/// The minimal unknown-operation sets (as chains) seen with one fingerprint.
enum Minimal {
    One(u32),
    Many(Vec<u32>),
}

/// The explored configurations.
#[derive(Default)]
pub(super) struct Memo {
    seen: HashMap<u128, Minimal, BuildHasherDefault<Passthrough>>,
}

impl Memo {
    /// Records the configuration (`fingerprint`, `placed`); false if it, or one at least as
    /// good, was seen before.
    pub(super) fn visit(&mut self, fingerprint: u128, placed: &Placed) -> bool {
        let slot = match self.seen.entry(fingerprint) {
            Entry::Vacant(v) => {
                v.insert(Minimal::One(placed.head));
                return true;
            }
            Entry::Occupied(o) => o.into_mut(),
        };
        match slot {
            Minimal::One(s) if placed.includes(*s) => false,
            Minimal::One(s) if placed.within(*s) => {
                *s = placed.head;
                true
            }
            Minimal::One(s) => {
                *slot = Minimal::Many(vec![*s, placed.head]);
                true
            }
            Minimal::Many(sets) if sets.iter().any(|&s| placed.includes(s)) => false,
            Minimal::Many(sets) => {
                // Sets that contain the new one are no longer minimal.
                sets.retain(|&s| !placed.within(s));
                sets.push(placed.head);
                true
            }
        }
    }
}
