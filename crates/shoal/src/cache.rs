//! Shoal as an in-process cache: a byte budget and an eviction policy in [`Config`], and
//! lookups that say whether they hit, counted per handle.
//!
//! ```
//! use shoal::{Config, EvictionPolicy, Shoal};
//! let cache = Shoal::open(
//!     Config::default()
//!         .max_memory(64 * 1024 * 1024)
//!         .eviction_policy(EvictionPolicy::AllkeysAdaptive),
//! )?;
//! let v = cache.get_or_insert_with("user:1", || b"loaded".to_vec())?;
//! assert_eq!(&v[..], b"loaded");
//! assert!(cache.lookup("user:1")?.is_hit());
//! let stats = cache.cache_stats();
//! assert_eq!((stats.hits, stats.misses), (1, 1));
//! # Ok::<(), shoal::Error>(())
//! ```

use crate::{Config, Result, Shoal};
use bytes::Bytes;
use shoal_engine::Frame;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Which keys go when the budget is reached (`maxmemory-policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictionPolicy {
    /// Refuse writes that need memory (`noeviction`, the default).
    NoEviction,
    /// Least recently used among all keys (`allkeys-lru`).
    AllkeysLru,
    /// Least frequently used among all keys (`allkeys-lfu`).
    AllkeysLfu,
    /// Any key at random (`allkeys-random`).
    AllkeysRandom,
    /// Least recently used among keys with a TTL (`volatile-lru`).
    VolatileLru,
    /// Least frequently used among keys with a TTL (`volatile-lfu`).
    VolatileLfu,
    /// Random among keys with a TTL (`volatile-random`).
    VolatileRandom,
    /// Nearest deadline first (`volatile-ttl`).
    VolatileTtl,
    /// Shoal's adaptive policy (`allkeys-adaptive`): frequency-aware, resistant to scans,
    /// follows popularity shifts. The best hit ratio for a cache on most workloads.
    AllkeysAdaptive,
}

impl EvictionPolicy {
    /// The policy's configuration name.
    pub fn name(self) -> &'static str {
        match self {
            EvictionPolicy::NoEviction => "noeviction",
            EvictionPolicy::AllkeysLru => "allkeys-lru",
            EvictionPolicy::AllkeysLfu => "allkeys-lfu",
            EvictionPolicy::AllkeysRandom => "allkeys-random",
            EvictionPolicy::VolatileLru => "volatile-lru",
            EvictionPolicy::VolatileLfu => "volatile-lfu",
            EvictionPolicy::VolatileRandom => "volatile-random",
            EvictionPolicy::VolatileTtl => "volatile-ttl",
            EvictionPolicy::AllkeysAdaptive => "allkeys-adaptive",
        }
    }
}

impl Config {
    /// The memory budget in bytes (`maxmemory`); 0 means none.
    pub fn max_memory(self, bytes: u64) -> Config {
        self.set("maxmemory", &bytes.to_string())
    }

    /// What goes when the budget is reached (`maxmemory-policy`).
    pub fn eviction_policy(self, policy: EvictionPolicy) -> Config {
        self.set("maxmemory-policy", policy.name())
    }
}

/// The outcome of one cache lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The key was there, with this value.
    Hit(Bytes),
    /// The key was not there (never set, expired or evicted).
    Miss,
}

impl Lookup {
    /// True for a hit.
    pub fn is_hit(&self) -> bool {
        matches!(self, Lookup::Hit(_))
    }

    /// The value, on a hit.
    pub fn value(self) -> Option<Bytes> {
        match self {
            Lookup::Hit(v) => Some(v),
            Lookup::Miss => None,
        }
    }
}

/// Hits and misses of one handle's lookups ([`Shoal::lookup`],
/// [`Shoal::get_or_insert_with`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found their key.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
}

impl CacheStats {
    /// Hits over lookups (0 before any).
    pub fn hit_ratio(&self) -> f64 {
        let all = self.hits + self.misses;
        if all == 0 {
            0.0
        } else {
            self.hits as f64 / all as f64
        }
    }
}

/// A handle's counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What the instance holds against its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUsage {
    /// Bytes the keyspace holds (`used_memory`).
    pub used: u64,
    /// The budget (`maxmemory`), 0 for none.
    pub max: u64,
    /// Keys evicted since start (`evicted_keys`).
    pub evicted_keys: u64,
}

impl Shoal {
    /// `GET key`, telling a hit from a miss and counting it in this handle's
    /// [`Shoal::cache_stats`].
    pub fn lookup(&self, key: impl AsRef<[u8]>) -> Result<Lookup> {
        let reply = self.call(vec![
            Bytes::from_static(b"GET"),
            Bytes::copy_from_slice(key.as_ref()),
        ])?;
        let found = match reply {
            Frame::Bulk(v) => Lookup::Hit(v),
            _ => Lookup::Miss,
        };
        let counter = if found.is_hit() {
            &self.counters.hits
        } else {
            &self.counters.misses
        };
        counter.fetch_add(1, Relaxed);
        Ok(found)
    }

    /// The cached value of `key`, or `load()`'s result stored under it on a miss (the
    /// cache-aside pattern); counted like [`Shoal::lookup`].
    pub fn get_or_insert_with<V: AsRef<[u8]>>(
        &self,
        key: impl AsRef<[u8]>,
        load: impl FnOnce() -> V,
    ) -> Result<Bytes> {
        let key = key.as_ref();
        if let Lookup::Hit(v) = self.lookup(key)? {
            return Ok(v);
        }
        let value = Bytes::copy_from_slice(load().as_ref());
        self.call(vec![
            Bytes::from_static(b"SET"),
            Bytes::copy_from_slice(key),
            value.clone(),
        ])?;
        Ok(value)
    }

    /// This handle's hits and misses so far.
    pub fn cache_stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Relaxed),
            misses: self.counters.misses.load(Relaxed),
        }
    }

    /// Memory held, the budget, and evictions so far.
    pub fn memory_usage(&self) -> MemoryUsage {
        let inner = self.engine.inner();
        MemoryUsage {
            used: inner.used_memory() as u64,
            max: inner.config.get_i64("maxmemory").max(0) as u64,
            evicted_keys: inner.stats.evicted_keys.load(Relaxed),
        }
    }
}
