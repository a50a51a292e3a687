//! One key and its value, as the keyspace stores them.

use crate::types::{SmallBytes, Value};

/// Marks an entry without a TTL.
pub(crate) const NO_TTL: u32 = u32::MAX;

/// A stored key, its value and per-key metadata.
pub struct Entry {
    /// The key.
    pub key: SmallBytes,
    /// The value.
    pub value: Value,
    /// Index into the database's `volatile` list when the key has a TTL, else `NO_TTL`.
    /// Keeping the deadline there (not here) keeps entries of keys without TTL smaller.
    pub(crate) vol_idx: u32,
    /// Last access, in seconds of the engine clock (OBJECT IDLETIME, LRU eviction).
    pub lru: u32,
}

impl Entry {
    pub(crate) fn new(key: &[u8], value: Value, lru: u32) -> Entry {
        Entry {
            key: SmallBytes::new(key),
            value,
            vol_idx: NO_TTL,
            lru,
        }
    }

    /// Approximate bytes this entry costs the process: its node, its bucket and heap data.
    pub(crate) fn mem_usage(&self) -> usize {
        std::mem::size_of::<Entry>()
            + 2 * std::mem::size_of::<usize>()
            + self.key.heap_size()
            + self.value.heap_size()
    }
}
