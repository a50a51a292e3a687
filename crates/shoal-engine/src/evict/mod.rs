//! Memory limit and eviction: `maxmemory`, Redis's eviction policies, an adaptive policy,
//! and the OOM refusal of commands that may grow memory.
//!
//! ```text
//!   Access drop ──publish shard bytes (batched)──► EvictState.total ◄── cron resync
//!                                                        │
//!   dispatch: denyoom command ──admit()── over maxmemory? ──► perform(): pick victims
//!                                   │                          (run.rs, pool.rs) and
//!                                   └── noeviction / nothing left ──► -OOM          delete
//!                                                                                 like expiry
//! ```
//! Accounting uses the keyspace's own per-database estimates (`Db::mem`), which the
//! accounting benchmark (`shoal-tests` bin `memaccount`) compares with RSS growth. A shard
//! publishes its bytes into one global total only when they moved by more than a small step,
//! so the hot path adds no shared atomic per command.
//!
//! Per-key policy state lives in the 32 bits of `Entry::lru` (see [`bits`]); the adaptive
//! policy adds a small window queue and a frequency sketch per shard (see [`shard`]).

mod adaptive;
pub(crate) mod bits;
pub(crate) mod info;
mod pool;
mod run;
pub(crate) mod shard;
pub(crate) mod sketch;

#[cfg(test)]
mod tests;

use crate::config::{Config, Kind, Param};
use crate::engine::Inner;
use bits::{Mode, Toucher};
use parking_lot::Mutex;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicU8};

pub(crate) use run::cron;

/// CONFIG SET changed these parameters: leaving the adaptive policy frees its state at once,
/// so its memory stops counting against the limit before the next background pass.
pub(crate) fn config_changed<'a>(inner: &Inner, mut names: impl Iterator<Item = &'a str>) {
    if names.any(|n| n.eq_ignore_ascii_case("maxmemory-policy")) {
        run::drop_adaptive_state(inner);
    }
}

/// Redis's error for a command refused over the memory limit.
pub(crate) const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// An eviction policy (`maxmemory-policy`), in the order Redis lists them, then ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
    AllkeysAdaptive,
}

const POLICY_NAMES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
    "allkeys-adaptive",
];

/// Policies by their numeric configuration view: noeviction, the default, must be 0 (the
/// number a parameter starts with before any value was set).
const POLICIES: [Policy; 9] = [
    Policy::NoEviction,
    Policy::VolatileLru,
    Policy::VolatileLfu,
    Policy::VolatileRandom,
    Policy::VolatileTtl,
    Policy::AllkeysLru,
    Policy::AllkeysLfu,
    Policy::AllkeysRandom,
    Policy::AllkeysAdaptive,
];

impl Policy {
    /// How entries' `lru` bits read under this policy.
    pub(crate) fn mode(self) -> Mode {
        match self {
            Policy::VolatileLfu | Policy::AllkeysLfu => Mode::Lfu,
            Policy::AllkeysAdaptive => Mode::Adaptive,
            _ => Mode::Clock,
        }
    }

    /// True for the policies that only evict keys with a TTL.
    pub(crate) fn volatile_only(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }

    /// The policy's configuration name.
    pub(crate) fn name(self) -> &'static str {
        POLICY_NAMES[self as usize]
    }
}

fn normalize_policy(value: &str, _old: &str) -> Result<(String, i64), String> {
    let lower = value.to_ascii_lowercase();
    match POLICIES.iter().position(|p| p.name() == lower) {
        Some(i) => Ok((lower, i as i64)),
        None => Err(format!(
            "argument(s) must be one of the following: {}",
            POLICY_NAMES.join(", ")
        )),
    }
}

/// The memory and eviction parameters.
pub(crate) const CONFIG_PARAMS: &[Param] = &[
    Param {
        name: "maxmemory",
        kind: Kind::Memory {
            min: 0,
            max: i64::MAX as u64,
        },
        default: "0",
        immutable: false,
    },
    Param {
        name: "maxmemory-policy",
        kind: Kind::Custom(normalize_policy),
        default: "noeviction",
        immutable: false,
    },
    Param {
        name: "maxmemory-samples",
        kind: Kind::Int { min: 1, max: 64 },
        default: "5",
        immutable: false,
    },
    Param {
        name: "maxmemory-eviction-tenacity",
        kind: Kind::Int { min: 0, max: 100 },
        default: "10",
        immutable: false,
    },
    Param {
        name: "lfu-log-factor",
        kind: Kind::Int {
            min: 0,
            max: i32::MAX as i64,
        },
        default: "10",
        immutable: false,
    },
    Param {
        name: "lfu-decay-time",
        kind: Kind::Int {
            min: 0,
            max: i32::MAX as i64,
        },
        default: "1",
        immutable: false,
    },
];

/// Where each parameter sits in the configuration, for lock-free reads.
#[derive(Debug)]
struct Indices {
    maxmemory: usize,
    policy: usize,
    samples: usize,
    tenacity: usize,
    log_factor: usize,
    decay_time: usize,
}

/// Engine-wide eviction state.
pub(crate) struct EvictState {
    idx: Indices,
    /// Sum of the bytes shards last published.
    total: AtomicI64,
    /// False until the total was rebuilt from every shard after `maxmemory` became set.
    synced: AtomicBool,
    /// The configuration version the total was last rebuilt at: shards publish nothing
    /// while no limit is set, so setting one (or changing it) rebuilds the total first.
    synced_version: AtomicU64,
    /// Best eviction candidates seen so far (sampling policies).
    pool: Mutex<pool::Pool>,
    /// One bit per shard whose adaptive window holds more than its share.
    pub(crate) window_over: AtomicU64,
    /// The policy the pool's candidates were scored under.
    last_policy: AtomicU8,
    /// Set when a writer stopped evicting on its time budget: the cron carries on.
    behind: AtomicBool,
    /// The LFU policies' logical clock (see [`bits`]): advances every `keys / 64`
    /// evictions.
    pub(crate) epoch: AtomicU32,
    /// Keys in the keyspace at the last resync, for the epoch's step.
    pub(crate) keys: AtomicU64,
}

impl EvictState {
    pub(crate) fn new(config: &Config) -> EvictState {
        let at = |name| config.index_of(name).unwrap_or(usize::MAX);
        EvictState {
            idx: Indices {
                maxmemory: at("maxmemory"),
                policy: at("maxmemory-policy"),
                samples: at("maxmemory-samples"),
                tenacity: at("maxmemory-eviction-tenacity"),
                log_factor: at("lfu-log-factor"),
                decay_time: at("lfu-decay-time"),
            },
            total: AtomicI64::new(0),
            synced: AtomicBool::new(false),
            synced_version: AtomicU64::new(u64::MAX),
            pool: Mutex::new(pool::Pool::default()),
            behind: AtomicBool::new(false),
            last_policy: AtomicU8::new(u8::MAX),
            window_over: AtomicU64::new(0),
            epoch: AtomicU32::new(0),
            keys: AtomicU64::new(0),
        }
    }
}

impl Inner {
    /// `maxmemory` in bytes; 0 means no limit.
    pub(crate) fn maxmemory(&self) -> u64 {
        self.config.get_at(self.evict.idx.maxmemory).max(0) as u64
    }

    /// The eviction policy in force.
    pub(crate) fn policy(&self) -> Policy {
        let i = self.config.get_at(self.evict.idx.policy);
        POLICIES
            .get(usize::try_from(i).unwrap_or(0))
            .copied()
            .unwrap_or(Policy::NoEviction)
    }

    /// The settings a key touch needs, for a command running at `now_ms`.
    pub(crate) fn toucher(&self, now_ms: u64) -> Toucher {
        let c = &self.config;
        Toucher {
            mode: self.policy().mode(),
            now_ms,
            log_factor: c.get_at(self.evict.idx.log_factor),
            decay_time: c.get_at(self.evict.idx.decay_time),
            epoch: self.evict.epoch.load(Relaxed),
        }
    }

    fn samples(&self) -> usize {
        self.config.get_at(self.evict.idx.samples).clamp(1, 64) as usize
    }

    /// The keyspace bytes eviction works from (published totals; see the module doc).
    pub(crate) fn tracked_memory(&self) -> u64 {
        let version = self.config.version();
        if !self.evict.synced.load(Relaxed) || self.evict.synced_version.load(Relaxed) != version {
            run::resync(self);
            self.evict.synced_version.store(version, Relaxed);
        }
        self.evict.total.load(Relaxed).max(0) as u64
    }

    /// Whether this server evicts keys itself. A replica (with `replica-ignore-maxmemory
    /// yes`, the default) and a Raft follower do not: their data follows the primary or
    /// leader, which evicts and sends the DELs.
    pub(crate) fn evicts_here(&self) -> bool {
        let replica = self.repl.is_replica() && self.config.get_bool("replica-ignore-maxmemory");
        !(replica || self.consensus.is_follower())
    }

    /// True when a limit is set and memory is above it.
    pub(crate) fn over_maxmemory(&self) -> bool {
        let max = self.maxmemory();
        max != 0 && self.tracked_memory() > max
    }

    /// Publishes a shard's bytes into the total when they moved by more than a step; called
    /// as a command releases the shard (and after eviction, with `exact`).
    pub(crate) fn publish_shard(&self, shard: &mut crate::keyspace::Shard, exact: bool) {
        let max = self.maxmemory();
        if max == 0 {
            return;
        }
        let now: usize = shard.dbs.iter().map(|d| d.mem).sum::<usize>() + shard.evict.overhead();
        let delta = now as i64 - shard.evict.published as i64;
        // Each shard may lag by one step: 64 shards together stay within ~1.6% of the limit.
        let step = (max / 4096).min(64 * 1024) as i64;
        if exact || delta.abs() >= step {
            shard.evict.published = now;
            self.evict.total.fetch_add(delta, Relaxed);
        }
    }
}

/// Decides whether a command may run given the memory limit, evicting first when the
/// policy allows; the error reply when it may not. Commands that may grow memory
/// (`denyoom`, EXEC of such commands) are refused when nothing more can be evicted, as in
/// Redis; scripts evict first and are refused at their first `redis.call` of a `denyoom`
/// command.
pub(crate) fn admit(
    inner: &Inner,
    session: &mut crate::session::SessionState,
    spec: &crate::command::CommandSpec,
) -> Result<(), shoal_resp::Frame> {
    let max = inner.maxmemory();
    if max == 0 {
        return Ok(());
    }
    if !inner.evicts_here() {
        return Ok(());
    }
    let refusable = may_grow(inner, spec, session);
    let runs_script = matches!(spec.name, "eval" | "evalsha" | "fcall");
    if !(refusable || runs_script) || inner.tracked_memory() <= max {
        return Ok(());
    }
    // Evicting beside EXEC or a script would change keys under them; a command that finds
    // the keyspace busy gets BUSY from the gate right after this.
    let freed_enough = match inner.gate.shared() {
        Ok(_shared) => run::perform(inner, inner.now_ms()),
        Err(_) => true,
    };
    if freed_enough || !refusable {
        return Ok(());
    }
    if let Some(m) = session.multi.as_mut() {
        m.failed = true;
    }
    Err(shoal_resp::Frame::error(OOM))
}

/// Before a command of the primary's stream: a replica that does not ignore `maxmemory`
/// (`replica-ignore-maxmemory no`) evicts for it; it is never refused.
pub(crate) fn evict_for_stream(inner: &Inner) {
    if inner.maxmemory() == 0 || !inner.evicts_here() || !inner.over_maxmemory() {
        return;
    }
    if let Ok(_shared) = inner.gate.shared() {
        run::perform(inner, inner.now_ms());
    }
}

fn may_grow(
    inner: &Inner,
    spec: &crate::command::CommandSpec,
    session: &crate::session::SessionState,
) -> bool {
    use crate::command::flags;
    let denyoom = |args: &[bytes::Bytes]| {
        args.first()
            .and_then(|n| inner.table.get(n))
            .is_some_and(|s| s.has(flags::DENYOOM))
    };
    if spec.has(flags::DENYOOM) {
        return true;
    }
    spec.name == "exec"
        && session
            .multi
            .as_ref()
            .is_some_and(|m| m.queue.iter().any(|a| denyoom(a)))
}

/// Counts a read of `key` in its (locked) shard when the adaptive policy is in force.
pub(crate) fn adaptive_record_read(shard: &mut crate::keyspace::Shard, key: &[u8]) {
    adaptive::record_read(shard, key);
}

/// Puts a key just created in database `db` of shard `s` in the adaptive policy's window.
pub(crate) fn adaptive_admit_new(
    inner: &Inner,
    s: usize,
    shard: &mut crate::keyspace::Shard,
    db: usize,
    key: &[u8],
) {
    adaptive::admit_new(inner, s, shard, db, key);
}
