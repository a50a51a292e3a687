//! Running eviction: the writer's bounded loop before a write, the cron's batches after the
//! limit was lowered, the victim choice of each policy, and the deletion path.

use super::bits;
use super::pool::{Candidate, Pool};
use super::Policy;
use crate::engine::Inner;
use crate::keyspace::{Shard, SHARDS};
use crate::util::rng::Rng;
use bytes::Bytes;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// How long one writer may evict before letting its command run (the cron continues), from
/// `maxmemory-eviction-tenacity` as Redis scales it: 50 µs per step up to 10, then growing
/// by 15% a step; 100 means no limit.
pub(crate) fn time_limit(tenacity: i64) -> Option<Duration> {
    match tenacity {
        t if t >= 100 => None,
        t if t <= 10 => Some(Duration::from_micros(50 * t.max(0) as u64)),
        t => Some(Duration::from_micros(
            (500.0 * 1.15f64.powi((t - 10) as i32)) as u64,
        )),
    }
}

/// Evicts until memory is under the limit, nothing is left to evict, or the time budget
/// runs out. False only when memory stays over the limit with nothing evictable.
pub(crate) fn perform(inner: &Inner, now_ms: u64) -> bool {
    let limit = time_limit(inner.config.get_at(inner.evict.idx.tenacity));
    perform_for(inner, now_ms, limit)
}

fn perform_for(inner: &Inner, now_ms: u64, limit: Option<Duration>) -> bool {
    let max = inner.maxmemory();
    let policy = inner.policy();
    if max == 0 || !inner.evicts_here() || inner.tracked_memory() <= max {
        return true;
    }
    if policy == Policy::NoEviction {
        return false;
    }
    let code = policy as u8;
    if inner.evict.last_policy.swap(code, Relaxed) != code {
        // Candidates scored under another policy would be compared on another scale.
        inner.evict.pool.lock().clear();
    }
    let start = Instant::now();
    let mut rng = Rng::new(inner.now_us() ^ inner.stats.evicted_keys.load(Relaxed));
    let mut n = 0u32;
    while inner.tracked_memory() > max {
        if !evict_one(inner, policy, now_ms, &mut rng) {
            return false;
        }
        n += 1;
        if n.is_multiple_of(16) && limit.is_some_and(|l| start.elapsed() > l) {
            inner.evict.behind.store(true, Relaxed);
            return true;
        }
    }
    true
}

fn evict_one(inner: &Inner, policy: Policy, now_ms: u64, rng: &mut Rng) -> bool {
    match policy {
        Policy::NoEviction => false,
        Policy::AllkeysRandom | Policy::VolatileRandom => evict_random(inner, policy, rng),
        Policy::AllkeysAdaptive => super::adaptive::evict_one(inner, now_ms, rng),
        _ => evict_pooled(inner, policy, now_ms, rng),
    }
}

/// Deletes `key` from database `db` of a locked shard as eviction does, and publishes the
/// shard's new size.
pub(crate) fn evict_locked(inner: &Inner, shard: &mut Shard, db: usize, key: &[u8]) -> bool {
    if shard.dbs[db].remove(key).is_none() {
        return false;
    }
    inner.publish_shard(shard, true);
    inner.key_evicted(db, key);
    true
}

fn evict_random(inner: &Inner, policy: Policy, rng: &mut Rng) -> bool {
    let first = rng.index(SHARDS);
    for k in 0..SHARDS {
        let mut shard = inner.keyspace.lock((first + k) % SHARDS);
        let dbs = shard.dbs.len();
        let d0 = rng.index(dbs);
        for j in 0..dbs {
            let d = (d0 + j) % dbs;
            let db = &shard.dbs[d];
            let key = if policy.volatile_only() {
                db.random_volatile(rng).map(|(k, _)| k.to_vec())
            } else {
                db.dict.random(rng).map(|e| e.key.as_slice().to_vec())
            };
            if let Some(key) = key {
                return evict_locked(inner, &mut shard, d, &key);
            }
        }
    }
    false
}

/// How evictable an entry is under `policy`: higher goes first. LRU: milliseconds idle.
/// LFU: the decayed counter, lowest first, and among equal counters the least recently
/// used, except among keys never read since they were written (the counter a new key
/// starts with): those tie, as in Redis, and go in sampling order. Oldest-first there
/// would make a loop over more keys than the cache holds miss every time: no new key
/// would live long enough to be read again and earn a higher counter.
fn score(inner: &Inner, policy: Policy, lru: u32, expire: Option<u64>, now_ms: u64) -> u64 {
    match policy {
        Policy::VolatileTtl => u64::MAX - expire.unwrap_or(u64::MAX),
        Policy::VolatileLfu | Policy::AllkeysLfu => {
            let decay = inner.config.get_at(inner.evict.idx.decay_time);
            let counter = bits::lfu_decayed(lru, now_ms, decay);
            let epoch = inner.evict.epoch.load(Relaxed);
            let recency = if counter == bits::LFU_INIT {
                0
            } else {
                bits::lfu_idle_ticks(lru, epoch)
            };
            ((255 - u64::from(counter)) << 8) | recency
        }
        _ => bits::clock_idle_ms(lru, now_ms),
    }
}

/// Offers one random key of each database of shard `s` that this policy may evict to the
/// pool; false if the shard has none.
fn sample_shard(
    inner: &Inner,
    pool: &mut Pool,
    policy: Policy,
    s: usize,
    now: u64,
    rng: &mut Rng,
) -> bool {
    let shard = inner.keyspace.lock(s);
    let mut any = false;
    for (d, db) in shard.dbs.iter().enumerate() {
        let picked = if policy.volatile_only() {
            db.random_volatile(rng)
                .and_then(|(k, at)| db.get(k).map(|e| (e, Some(at))))
        } else {
            db.dict.random(rng).map(|e| (e, db.expire_of(e)))
        };
        if let Some((e, at)) = picked {
            any = true;
            let score = score(inner, policy, e.lru, at, now);
            if pool.wants(score, s, d, e.key.as_slice()) {
                pool.offer(Candidate {
                    score,
                    shard: s,
                    db: d,
                    key: e.key.as_slice().into(),
                });
            }
        }
    }
    any
}

/// Offers `maxmemory-samples` keys, each from a random shard, so the sample spreads over
/// the whole keyspace as Redis's does; when those shards were empty, walks the shards for
/// any key at all. False if nothing may be evicted.
fn populate(inner: &Inner, pool: &mut Pool, policy: Policy, now: u64, rng: &mut Rng) -> bool {
    let mut any = false;
    for _ in 0..inner.samples() {
        any |= sample_shard(inner, pool, policy, rng.index(SHARDS), now, rng);
    }
    if any {
        return true;
    }
    let first = rng.index(SHARDS);
    (0..SHARDS).any(|k| sample_shard(inner, pool, policy, (first + k) % SHARDS, now, rng))
}

fn evict_pooled(inner: &Inner, policy: Policy, now_ms: u64, rng: &mut Rng) -> bool {
    let mut pool = inner.evict.pool.lock();
    if !populate(inner, &mut pool, policy, now_ms, rng) {
        pool.clear();
        return false;
    }
    while let Some(c) = pool.pop_best() {
        let mut shard = inner.keyspace.lock(c.shard);
        let db = &shard.dbs[c.db];
        let allowed = !policy.volatile_only() || db.expire_of_key(&c.key).is_some();
        if allowed && evict_locked(inner, &mut shard, c.db, &c.key) {
            advance_epoch(inner);
            return true;
        }
    }
    // Every candidate was gone already: the next call samples afresh.
    true
}

/// Moves the LFU recency clock on by one epoch every 64th of the keyspace evicted.
fn advance_epoch(inner: &Inner) {
    let step = (inner.evict.keys.load(Relaxed) / 64).max(1);
    if inner.stats.evicted_keys.load(Relaxed).is_multiple_of(step) {
        inner.evict.epoch.fetch_add(1, Relaxed);
    }
}

/// Rebuilds the published total from every shard (and the key count the LFU recency
/// clock steps by).
pub(crate) fn resync(inner: &Inner) {
    let mut keys = 0;
    for s in 0..SHARDS {
        let mut shard = inner.keyspace.lock(s);
        keys += shard.dbs.iter().map(|d| d.len()).sum::<usize>();
        inner.publish_shard(&mut shard, true);
    }
    inner.evict.keys.store(keys as u64, Relaxed);
    inner.evict.synced.store(true, Relaxed);
}

/// The background thread's share: keeps the total exact, drops the adaptive policy's state
/// when another policy is in force, and evicts down to a lowered limit in short batches that
/// leave the keyspace to clients between them.
pub(crate) fn cron(inner: &Inner) {
    if inner.maxmemory() == 0 {
        inner.evict.synced.store(false, Relaxed);
        inner.evict.behind.store(false, Relaxed);
        return;
    }
    resync(inner);
    if inner.policy() != Policy::AllkeysAdaptive {
        for s in 0..SHARDS {
            let mut shard = inner.keyspace.lock(s);
            if !shard.evict.window.is_empty() || shard.evict.sketch.heap_size() > 0 {
                shard.evict.clear_adaptive();
            }
        }
    }
    let hz = inner.config.get_i64("hz").clamp(1, 500) as u64;
    let budget = Duration::from_micros(1_000_000 / hz / 4);
    let start = Instant::now();
    while inner.over_maxmemory() && start.elapsed() < budget {
        let _shared = inner.gate.shared_wait();
        if !perform_for(inner, inner.now_ms(), Some(Duration::from_millis(1))) {
            break;
        }
    }
    if !inner.over_maxmemory() {
        inner.evict.behind.store(false, Relaxed);
    }
}

impl Inner {
    /// `key` of `db` was just evicted: counts it, replicates the deletion, tells watchers
    /// and publishes the `evicted` event (the path expiry takes, with eviction's names).
    pub(crate) fn key_evicted(&self, db: usize, key: &[u8]) {
        self.stats.evicted_keys.fetch_add(1, Relaxed);
        self.stats.dirty.fetch_add(1, Relaxed);
        self.watches.touch(db, key, false);
        if self.effects.is_active() {
            self.effects.emit(
                db,
                vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)],
            );
        }
        self.notify(crate::notify::EVICTED, "evicted", db, key);
    }
}
