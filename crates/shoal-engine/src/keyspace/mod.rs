//! The keyspace: every database's keys, split into shards by cluster hash slot.
//!
//! ```text
//!   key ──crc16──► slot (0..16384) ──mod SHARDS──► shard ──► Mutex<Shard> ──► dbs[db]: Db
//! ```
//! A single-key command locks one shard. A multi-key command locks its shards in ascending
//! order, so two commands can never wait on each other in a cycle. Every database of a shard
//! sits behind the shard's one lock, which makes MOVE and SWAPDB atomic without a global
//! lock on the hot path. All keys of one slot share a shard, so a future slot migration can
//! list them without a full scan.

pub(crate) mod db;
pub(crate) mod dict;
pub mod entry;
pub(crate) mod hash_ttl;
pub mod slot;
pub(crate) mod snap;

use db::Db;
use parking_lot::{Mutex, MutexGuard};
use std::hash::RandomState;

/// What happens to a key's TTL when its value is replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// Drop any TTL (plain SET).
    Clear,
    /// Keep the existing TTL (`KEEPTTL`, SETRANGE, APPEND, ...).
    Keep,
    /// Expire at this Unix time in milliseconds.
    At(u64),
}

/// Number of shards; a power of two well above the core count.
pub const SHARDS: usize = 64;

/// One shard: its slice of every database.
pub(crate) struct Shard {
    pub(crate) dbs: Vec<Db>,
    /// Eviction's per-shard state (published memory, adaptive policy).
    pub(crate) evict: crate::evict::shard::ShardEvict,
}

/// All databases, sharded.
pub(crate) struct Keyspace {
    shards: Box<[Mutex<Shard>]>,
    databases: usize,
}

impl Keyspace {
    pub(crate) fn new(databases: usize) -> Keyspace {
        // One keyed hasher for the whole keyspace: attacker-chosen keys cannot be aimed
        // at one bucket without knowing the per-process key.
        let hasher = RandomState::new();
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    dbs: (0..databases).map(|_| Db::new(hasher.clone())).collect(),
                    evict: Default::default(),
                })
            })
            .collect();
        Keyspace { shards, databases }
    }

    pub(crate) fn databases(&self) -> usize {
        self.databases
    }

    /// The shard that holds `key`.
    pub(crate) fn shard_of(key: &[u8]) -> usize {
        usize::from(slot::key_slot(key)) % SHARDS
    }

    pub(crate) fn lock(&self, shard: usize) -> MutexGuard<'_, Shard> {
        self.shards[shard].lock()
    }
}
