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

use super::bits::{self, Mode, WINDOW};
use super::run::evict_locked;
use super::sketch::key_hash;
use crate::engine::Inner;
use crate::keyspace::{Shard, SHARDS};
use crate::util::rng::Rng;

/// Share of a shard's keys the window holds.
pub(crate) const WINDOW_PERCENT: usize = 5;

/// A main key picked to leave: where, and its frequency.
struct Victim {
    db: usize,
    key: Vec<u8>,
    freq: u32,
}

/// The least frequent of a sample of keys outside the window (oldest on ties).
fn sample_main(shard: &Shard, samples: usize, now_ms: u64, rng: &mut Rng) -> Option<Victim> {
    let dbs: Vec<usize> = (0..shard.dbs.len())
        .filter(|&d| shard.dbs[d].len() > 0)
        .collect();
    if dbs.is_empty() {
        return None;
    }
    let mut best: Option<(u32, u64, Victim)> = None;
    for _ in 0..samples * 2 {
        let d = dbs[rng.index(dbs.len())];
        let Some(e) = shard.dbs[d].dict.random(rng) else {
            continue;
        };
        if e.lru & WINDOW != 0 {
            continue;
        }
        let freq = shard.evict.sketch.frequency(key_hash(e.key.as_slice()));
        let idle = bits::idle_secs(Mode::Adaptive, e.lru, now_ms);
        let better = match &best {
            None => true,
            Some((f, i, _)) => freq < *f || (freq == *f && idle > *i),
        };
        if better {
            let key = e.key.as_slice().to_vec();
            best = Some((freq, idle, Victim { db: d, key, freq }));
        }
    }
    best.map(|(_, _, v)| v)
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

/// Evicts one key of the first shard (from a random start) that has any; false if the
/// keyspace is empty.
pub(crate) fn evict_one(inner: &Inner, now_ms: u64, rng: &mut Rng) -> bool {
    let samples = inner.samples();
    let first = rng.index(SHARDS);
    for k in 0..SHARDS {
        let mut shard = inner.keyspace.lock((first + k) % SHARDS);
        let keys: usize = shard.dbs.iter().map(|d| d.len()).sum();
        if keys == 0 {
            continue;
        }
        let target = (keys * WINDOW_PERCENT / 100).max(1);
        if shard.evict.window.len() > target {
            if let Some(cand) = pop_window(&mut shard) {
                let (db, key) = match sample_main(&shard, samples, now_ms, rng) {
                    Some(v) if cand.freq > v.freq => {
                        promote(&mut shard, &cand);
                        (v.db, v.key)
                    }
                    _ => (cand.db, cand.key),
                };
                return evict_locked(inner, &mut shard, db, &key);
            }
        }
        if let Some(v) = sample_main(&shard, samples, now_ms, rng) {
            return evict_locked(inner, &mut shard, v.db, &v.key);
        }
        if let Some(cand) = pop_window(&mut shard) {
            return evict_locked(inner, &mut shard, cand.db, &cand.key);
        }
        // Only keys created under another policy's stamps remain flagged: take any.
        let d = (0..shard.dbs.len()).find(|&d| shard.dbs[d].len() > 0);
        if let Some(d) = d {
            let key = shard.dbs[d]
                .dict
                .random(rng)
                .map(|e| e.key.as_slice().to_vec());
            if let Some(key) = key {
                return evict_locked(inner, &mut shard, d, &key);
            }
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

/// Registers a key just created in database `db` of `shard` in the window.
pub(crate) fn admit_new(shard: &mut Shard, db: usize, key: &[u8]) {
    let keys: usize = shard.dbs.iter().map(|d| d.len()).sum();
    shard.evict.sketch.ensure_capacity(keys);
    shard.evict.push_window(db, key);
}
