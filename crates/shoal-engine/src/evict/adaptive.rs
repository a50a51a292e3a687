//! `allkeys-adaptive`: a W-TinyLFU-style policy over sampled keys.
//!
//! ```text
//!   new key ──► window (FIFO, ~WINDOW_PERCENT of the shard's keys, flagged in `lru`)
//!                 │ oldest leaves the window
//!                 ▼
//!        sketch frequency of the leaving key  vs  least frequent of a sample of main keys
//!                 │ higher: it enters main, the sampled key is evicted
//!                 └ otherwise: the leaving key is evicted
//! ```
//! Reads (hits and misses) count in a per-shard frequency sketch that halves itself
//! periodically. One-time keys (scans) never beat a main key and leave from the window;
//! keys that gained popularity win their way in; in a loop longer than the cache, ties keep
//! the resident keys, so part of the loop keeps hitting instead of none.

use super::bits::{self, WINDOW};
use super::pool::{Candidate, Pool};
use super::run::evict_locked;
use super::sketch::key_hash;
use crate::engine::Inner;
use crate::keyspace::{Shard, SHARDS};
use crate::util::rng::Rng;
use std::sync::atomic::Ordering::Relaxed;

/// Share of a shard's keys the window holds.
pub(crate) const WINDOW_PERCENT: usize = 1;

/// A key picked to leave: where, and its frequency.
struct Victim {
    db: usize,
    key: Vec<u8>,
    freq: u32,
}

/// Pool score of a main key: the longest idle first (main is LRU; frequency decides only
/// admission), with the frequency kept in the low bits for the admission test.
fn score(freq: u32, idle_ticks: u64) -> u64 {
    (idle_ticks.min(1 << 40) << 4) | u64::from(freq.min(15))
}

fn freq_of(score: u64) -> u32 {
    (score & 15) as u32
}

/// Offers `samples` random main keys to the pool, drawn from one random shard and, where it
/// holds fewer keys, from the shards after it, as the other sampling policies draw them.
fn populate(inner: &Inner, pool: &mut Pool, samples: usize, now_ms: u64, rng: &mut Rng) {
    let first = rng.index(SHARDS);
    let mut seen = 0;
    for k in 0..SHARDS {
        let s = (first + k) % SHARDS;
        let shard = inner.keyspace.lock(s);
        for (d, db) in shard.dbs.iter().enumerate() {
            seen += db.dict.sample_or_all(rng, samples, |e| {
                if e.lru & WINDOW != 0 {
                    return;
                }
                let freq = shard.evict.sketch.frequency(key_hash(e.key.as_slice()));
                let score = score(freq, bits::idle_ticks(e.lru, now_ms));
                pool.consider(score, s, d, e.key.as_slice());
            });
        }
        if seen >= samples {
            return;
        }
    }
}

/// The oldest key still in the window, with its frequency.
fn pop_window(shard: &mut Shard) -> Option<Victim> {
    while let Some((db, key)) = shard.evict.pop_window() {
        let in_window = shard
            .dbs
            .get(db)
            .and_then(|d| d.get(&key))
            .is_some_and(|e| e.lru & WINDOW != 0);
        if in_window {
            let freq = shard.evict.sketch.frequency(key_hash(&key));
            return Some(Victim {
                db,
                key: key.into(),
                freq,
            });
        }
    }
    None
}

fn shard_keys(shard: &Shard) -> usize {
    shard.dbs.iter().map(|d| d.len()).sum()
}

/// A shard whose window holds more than its share (flagged as keys are created), picked at
/// random among them.
fn pick_shard(inner: &Inner, rng: &mut Rng) -> Option<usize> {
    let over = inner.evict.window_over.load(Relaxed);
    if over == 0 {
        return None;
    }
    let n = over.count_ones() as usize;
    let mut skip = rng.index(n);
    let mut bits = over;
    loop {
        let s = bits.trailing_zeros() as usize;
        if skip == 0 {
            return Some(s);
        }
        skip -= 1;
        bits &= bits - 1;
    }
}

fn window_target(shard: &Shard) -> usize {
    shard_keys(shard) * WINDOW_PERCENT / 100
}

/// Moves a shard's window keys beyond its share into main; the last one moved, which is
/// the one that competes with main's weakest key.
fn trim_window(inner: &Inner, s: usize) -> Option<(usize, Victim)> {
    let mut shard = inner.keyspace.lock(s);
    let target = window_target(&shard);
    let mut last = None;
    while shard.evict.window.len() > target {
        match pop_window(&mut shard) {
            Some(c) => {
                promote(&mut shard, &c);
                last = Some((s, c));
            }
            None => break,
        }
    }
    inner.evict.window_over.fetch_and(!(1u64 << s), Relaxed);
    last
}

/// TinyLFU's admission test: the newcomer must be more frequent than the resident it would
/// replace. At low counts a lead of one is within the sketch's collision noise, so there it
/// must lead by two; otherwise a loop over more keys than fit would churn the residents.
fn admits(candidate: u32, victim: u32) -> bool {
    let margin = if victim <= NOISE { 1 } else { 0 };
    candidate > victim + margin
}

/// Counts at or below which the admission test asks for a lead of two.
const NOISE: u32 = 3;

/// Evicts `key` if it still exists and is not in the window.
fn evict_main(inner: &Inner, c: &Candidate) -> bool {
    let mut shard = inner.keyspace.lock(c.shard);
    let in_main = shard.dbs[c.db]
        .get(&c.key)
        .is_some_and(|e| e.lru & WINDOW == 0);
    in_main && evict_locked(inner, &mut shard, c.db, &c.key)
}

/// Evicts one key; false if the keyspace is empty.
///
/// A shard's window keys beyond its share move to main; the last one moved competes with
/// the weakest main key of a sample spread over all shards (kept in the candidate pool), and
/// the less frequent of the two is evicted (the newcomer on ties, so residents stay).
pub(crate) fn evict_one(inner: &Inner, now_ms: u64, rng: &mut Rng) -> bool {
    let mut pool = inner.evict.pool.lock();
    let candidate = pick_shard(inner, rng).and_then(|s| trim_window(inner, s));
    populate(inner, &mut pool, inner.samples(), now_ms, rng);
    loop {
        let victim = pool.best().cloned();
        match (&candidate, victim) {
            (Some((s, c)), Some(v))
                if !(v.shard == *s && *v.key == *c.key) && admits(c.freq, freq_of(v.score)) =>
            {
                pool.pop_best();
                if evict_main(inner, &v) {
                    return true;
                }
            }
            (Some((s, c)), _) => {
                let mut shard = inner.keyspace.lock(*s);
                evict_locked(inner, &mut shard, c.db, &c.key);
                return true;
            }
            (None, Some(v)) => {
                pool.pop_best();
                if evict_main(inner, &v) {
                    return true;
                }
            }
            (None, None) => return evict_any(inner, rng),
        }
    }
}

/// No main key was sampled: evicts the oldest window key (or any key) of the first shard,
/// from a random start, that has one.
fn evict_any(inner: &Inner, rng: &mut Rng) -> bool {
    let first = rng.index(SHARDS);
    for k in 0..SHARDS {
        let mut shard = inner.keyspace.lock((first + k) % SHARDS);
        if let Some(c) = pop_window(&mut shard) {
            return evict_locked(inner, &mut shard, c.db, &c.key);
        }
        let Some(d) = (0..shard.dbs.len()).find(|&d| shard.dbs[d].len() > 0) else {
            continue;
        };
        if let Some(key) = shard.dbs[d]
            .dict
            .random(rng)
            .map(|e| e.key.as_slice().to_vec())
        {
            return evict_locked(inner, &mut shard, d, &key);
        }
    }
    false
}

fn promote(shard: &mut Shard, cand: &Victim) {
    if let Some(e) = shard.dbs[cand.db].get_mut(&cand.key) {
        e.lru &= !WINDOW;
    }
}

/// Counts a read of `key` (hit or miss) in its shard's sketch.
pub(crate) fn record_read(shard: &mut Shard, key: &[u8]) {
    shard.evict.sketch.increment(key_hash(key));
}

/// Registers a key just created in database `db` of shard `s` in the window, and flags
/// the shard when its window outgrew its share.
pub(crate) fn admit_new(inner: &Inner, s: usize, shard: &mut Shard, db: usize, key: &[u8]) {
    let keys = shard_keys(shard);
    shard.evict.sketch.ensure_capacity(keys);
    shard.evict.push_window(db, key);
    let bit = 1u64 << s;
    if shard.evict.window.len() > window_target(shard)
        && inner.evict.window_over.load(Relaxed) & bit == 0
    {
        inner.evict.window_over.fetch_or(bit, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_needs_a_clear_lead_at_low_counts() {
        assert!(!admits(2, 1));
        assert!(admits(3, 1));
        assert!(!admits(1, 1));
        assert!(admits(9, 8));
        assert!(!admits(8, 8));
    }

    #[test]
    fn pool_scores_order_by_idle_and_keep_frequency() {
        assert!(score(15, 100) > score(0, 99));
        assert_eq!(freq_of(score(7, 12345)), 7);
    }
}
