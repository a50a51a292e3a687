//! Running eviction: the writer's bounded loop before a write, the cron's batches after the
//! limit was lowered, the victim choice of each policy, and the deletion path.

use super::bits;
use super::pool::Pool;
use super::Policy;
use crate::engine::Inner;
use crate::keyspace::entry::Entry;
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

/// How evictable an entry is under `policy`: higher goes first. LRU: seconds idle, then the
/// fewer accesses (see [`bits`]).
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
        _ => bits::clock_lru_score(lru, now_ms),
    }
}

/// Offers `n` random keys of each database of shard `s` that this policy may evict to the
/// pool (all of them where a database has no more), each database's drawn from one window
/// of its table: one lock, neighbouring buckets. Returns how many keys were offered.
fn sample_shard(
    inner: &Inner,
    pool: &mut Pool,
    policy: Policy,
    (s, n): (usize, usize),
    now: u64,
    rng: &mut Rng,
) -> usize {
    let shard = inner.keyspace.lock(s);
    let offer = |pool: &mut Pool, d: usize, e: &Entry, at: Option<u64>| {
        pool.consider(score(inner, policy, e.lru, at, now), s, d, e.key.as_slice());
    };
    let mut offered = 0;
    for (d, db) in shard.dbs.iter().enumerate() {
        if !policy.volatile_only() {
            offered += db
                .dict
                .sample_or_all(rng, n, |e| offer(pool, d, e, db.expire_of(e)));
            continue;
        }
        let volatile = db.volatile.len();
        let mut one = |i: usize| {
            let (k, at) = &db.volatile[i];
            if let Some(e) = db.get(k.as_slice()) {
                offer(pool, d, e, Some(*at));
            }
        };
        if volatile <= n {
            (0..volatile).for_each(&mut one);
            offered += volatile;
        } else {
            (0..n).for_each(|_| one(rng.index(volatile)));
            offered += n;
        }
    }
    offered
}

/// Offers `maxmemory-samples` keys to the pool: under the LFU policies one from each of
/// that many shards ([`sample_spread`]); otherwise all from one random shard (one lock, one
/// window of neighbouring buckets; shards hold about equal shares of the keys, so every key
/// is about equally likely, as in Redis's sample). Where the shards drawn hold fewer keys,
/// the walk goes on shard by shard until as many were offered or every shard was seen, so
/// a small keyspace is weighed whole. False if nothing may be evicted.
fn populate(inner: &Inner, pool: &mut Pool, policy: Policy, now: u64, rng: &mut Rng) -> bool {
    let n = inner.samples();
    let mut offered = 0;
    match policy {
        Policy::AllkeysLfu => offered = sample_spread(inner, pool, policy, n, now, rng),
        // Spread for the same reason, one shard at a time: keys with a TTL are few.
        Policy::VolatileLfu => {
            for _ in 0..n {
                offered += sample_shard(inner, pool, policy, (rng.index(SHARDS), 1), now, rng);
            }
        }
        _ => {}
    }
    let first = rng.index(SHARDS);
    for k in 0..SHARDS {
        if offered >= n {
            break;
        }
        offered += sample_shard(inner, pool, policy, ((first + k) % SHARDS, n), now, rng);
    }
    offered > 0
}

/// Offers one random key of each database of `n` distinct random shards, in random order.
///
/// LFU needs this spread. Its ties (keys not read since they were written) span keys of
/// every age, so the pressure on each shard must follow how many such keys it holds, as a
/// sample across the keyspace makes it. Samples all from one shard put the same pressure on
/// every shard whatever it holds; shards rich in tied keys then kept them longer than the
/// rest, and a loop over more keys than the cache holds got fewer hits (11.5% against
/// 14.3% at a cache of 30% of the keys). Under LRU and the TTL policy equal scores mean
/// keys of the same age, so which of them goes does not matter, and the cheaper one-shard
/// sample scores the same.
///
/// The shards are locked together, in ascending order as every multi-shard lock is taken,
/// and every key's place is found before any key is read, so the cache misses of the draws
/// overlap instead of queueing one behind another. Returns how many keys were offered.
fn sample_spread(
    inner: &Inner,
    pool: &mut Pool,
    policy: Policy,
    n: usize,
    now: u64,
    rng: &mut Rng,
) -> usize {
    // One bit per shard.
    const _: () = assert!(SHARDS <= 64);
    let mut chosen = if n >= SHARDS {
        u64::MAX >> (64 - SHARDS)
    } else {
        0
    };
    while (chosen.count_ones() as usize) < n {
        chosen |= 1 << rng.index(SHARDS);
    }
    let mut guards = Vec::with_capacity(n.min(SHARDS));
    let mut bits = chosen;
    while bits != 0 {
        let s = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        guards.push((s, inner.keyspace.lock(s)));
    }
    let mut places = Vec::with_capacity(guards.len());
    for (g, (_, shard)) in guards.iter().enumerate() {
        for (d, db) in shard.dbs.iter().enumerate() {
            if let Some(place) = db.dict.place(rng) {
                places.push((g, d, place));
            }
        }
    }
    let mut entries: Vec<(usize, usize, &Entry)> = places
        .iter()
        .filter_map(|&(g, d, place)| guards[g].1.dbs[d].dict.link(place).map(|e| (g, d, e)))
        .collect();
    crate::keyspace::dict::warm(entries.iter().map(|&(_, _, e)| e));
    // Ties go in offering order, which must not follow the shards' order.
    for i in (1..entries.len()).rev() {
        entries.swap(i, rng.index(i + 1));
    }
    for &(g, d, e) in &entries {
        let (s, shard) = (&guards[g].0, &guards[g].1);
        let score = score(inner, policy, e.lru, shard.dbs[d].expire_of(e), now);
        pool.consider(score, *s, d, e.key.as_slice());
    }
    entries.len()
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

/// Frees the adaptive policy's window and sketch in every shard when another policy is in
/// force (called when the policy changes, and by the cron for any other way it changed),
/// so the memory they held is neither counted nor kept.
pub(crate) fn drop_adaptive_state(inner: &Inner) {
    if inner.policy() == Policy::AllkeysAdaptive {
        return;
    }
    for s in 0..SHARDS {
        let mut shard = inner.keyspace.lock(s);
        if !shard.evict.window.is_empty() || shard.evict.sketch.heap_size() > 0 {
            shard.evict.clear_adaptive();
            inner.publish_shard(&mut shard, true);
        }
    }
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
    drop_adaptive_state(inner);
    resync(inner);
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
