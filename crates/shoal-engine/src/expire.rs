//! Active expiry: a background cycle that samples keys with a TTL and deletes expired ones,
//! so their memory comes back even if nobody reads them.
//!
//! Like Redis's cycle, each run visits databases shard by shard, samples up to 20 keys with a
//! TTL at a time, and keeps sampling a shard while more than 10% of a sample was expired,
//! within a CPU budget of 25% of the interval between runs (more with `active-expire-effort`).

use crate::engine::Inner;
use crate::keyspace::SHARDS;
use crate::util::rng::Rng;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Weak;
use std::time::{Duration, Instant};

const SAMPLE: usize = 20;

pub(crate) fn active_expire_cycle(inner: &Inner) -> usize {
    // A replica deletes expired keys only when its primary's DEL arrives.
    if inner.repl.keeps_expired() {
        return 0;
    }
    let hz = inner.config.get_i64("hz").clamp(1, 500) as u64;
    let effort = inner.config.get_i64("active-expire-effort").clamp(1, 10) as u64;
    // 25% of the interval at effort 1, growing with effort as Redis's does.
    let budget = Duration::from_micros(1_000_000 / hz * (25 + 2 * (effort - 1)) / 100);
    let sample = SAMPLE + SAMPLE / 4 * (effort as usize - 1);
    let start = Instant::now();
    let now = inner.now_ms();
    let mut rng = Rng::new(now ^ inner.stats.commands.load(Relaxed));
    let mut deleted = 0;
    // Start at a random shard so a cycle cut short by its budget does not always favour
    // the first shards.
    let first = rng.index(SHARDS);
    for k in 0..SHARDS {
        let s = (first + k) % SHARDS;
        // Expiring beside EXEC or a script would change keys under them.
        let gate = inner.gate.shared_wait();
        let mut shard = inner.keyspace.lock(s);
        for (db_index, db) in shard.dbs.iter_mut().enumerate() {
            crate::keyspace::hash_ttl::active_expire(inner, db_index, db, now, &mut rng);
            loop {
                if db.expires_len() == 0 {
                    break;
                }
                let mut expired = Vec::new();
                for _ in 0..sample.min(db.expires_len()) {
                    if let Some((key, at)) = db.random_volatile(&mut rng) {
                        if at < now {
                            expired.push(key.to_vec());
                        }
                    }
                }
                expired.sort_unstable();
                expired.dedup();
                for key in &expired {
                    if db.remove(key).is_some() {
                        deleted += 1;
                        inner.key_expired(db_index, key);
                    }
                }
                if expired.len() * 10 <= sample || start.elapsed() > budget {
                    break;
                }
            }
        }
        drop(shard);
        drop(gate);
        if start.elapsed() > budget {
            break;
        }
    }
    inner
        .stats
        .expire_cycle_us
        .fetch_add(start.elapsed().as_micros() as u64, Relaxed);
    deleted
}

/// Moves on the resizes of key tables that commands have stopped driving (each insert and
/// delete moves a few buckets; a table nobody writes to would otherwise keep both bucket
/// arrays): about a millisecond per cycle in all, as Redis's `activerehashing` spends.
pub(crate) fn active_rehash(inner: &Inner) {
    if !inner.config.get_bool("activerehashing") {
        return;
    }
    let budget = Duration::from_millis(1);
    let start = Instant::now();
    for s in 0..SHARDS {
        let left = budget.saturating_sub(start.elapsed());
        if left.is_zero() {
            return;
        }
        let mut shard = inner.keyspace.lock(s);
        for db in shard.dbs.iter_mut() {
            if db.dict.is_rehashing() {
                db.dict.rehash_for(left);
            }
        }
    }
}

pub(crate) fn start_background(weak: Weak<Inner>) {
    let spawned = std::thread::Builder::new()
        .name("shoal-cron".into())
        .spawn(move || {
            let mut ops = OpsSampler::default();
            loop {
                let Some(inner) = weak.upgrade() else { return };
                if inner.stopping.load(Relaxed) {
                    return;
                }
                let hz = inner.config.get_i64("hz").clamp(1, 500) as u64;
                active_expire_cycle(&inner);
                active_rehash(&inner);
                crate::evict::cron(&inner);
                ops.sample(&inner);
                crate::rdb::file::maybe_save(&inner);
                inner.repl.cron(&inner);
                crate::aof::cron(&inner);
                drop(inner);
                std::thread::sleep(Duration::from_millis(1000 / hz));
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the background thread: {e}");
    }
}

/// INFO's `instantaneous_ops_per_sec`: the command rate averaged over the last 16 samples
/// taken at least 100 ms apart, as Redis computes it.
#[derive(Default)]
struct OpsSampler {
    last: Option<(Instant, u64)>,
    rates: [u64; 16],
    next: usize,
}

impl OpsSampler {
    fn sample(&mut self, inner: &Inner) {
        let now = Instant::now();
        let count = inner.stats.commands.load(Relaxed);
        let Some((at, before)) = self.last else {
            self.last = Some((now, count));
            return;
        };
        let elapsed = now.duration_since(at);
        if elapsed < Duration::from_millis(100) {
            return;
        }
        let rate = (count.saturating_sub(before) as f64 / elapsed.as_secs_f64()) as u64;
        self.rates[self.next] = rate;
        self.next = (self.next + 1) % self.rates.len();
        self.last = Some((now, count));
        let avg = self.rates.iter().sum::<u64>() / self.rates.len() as u64;
        inner.stats.ops_per_sec.store(avg, Relaxed);
    }
}
