//! One key and its value, as the keyspace stores them.

use crate::types::{SmallBytes, Value};

/// Marks an entry without a TTL.
pub(crate) const NO_TTL: u32 = 0x7FFF_FFFF;

/// The bit of `meta` that holds the snapshot mark; the other 31 hold the TTL index.
const MARK: u32 = 1 << 31;

/// A stored key, its value and per-key metadata.
pub struct Entry {
    /// The key.
    pub key: SmallBytes,
    /// The value.
    pub value: Value,
    /// Low 31 bits: index into the database's `volatile` list when the key has a TTL, else
    /// `NO_TTL` (keeping the deadline there, not here, keeps entries of keys without TTL
    /// smaller). Top bit: the snapshot mark (see `keyspace::snap`).
    meta: u32,
    /// Last access, in seconds of the engine clock (OBJECT IDLETIME, LRU eviction).
    pub lru: u32,
}

impl Entry {
    pub(crate) fn new(key: &[u8], value: Value, lru: u32) -> Entry {
        Entry {
            key: SmallBytes::new(key),
            value,
            meta: NO_TTL,
            lru,
        }
    }

    /// The entry's slot in the volatile list, or `NO_TTL`.
    #[inline]
    pub(crate) fn vol_idx(&self) -> u32 {
        self.meta & !MARK
    }

    /// Points the entry at slot `idx` of the volatile list (`NO_TTL` for none).
    #[inline]
    pub(crate) fn set_vol_idx(&mut self, idx: u32) {
        self.meta = (self.meta & MARK) | (idx & !MARK);
    }

    /// The snapshot mark.
    #[inline]
    pub(crate) fn mark(&self) -> bool {
        self.meta & MARK != 0
    }

    /// Sets the snapshot mark.
    #[inline]
    pub(crate) fn set_mark(&mut self, mark: bool) {
        self.meta = (self.meta & !MARK) | if mark { MARK } else { 0 };
    }

    /// Approximate bytes this entry costs the process: its node, its bucket and heap data.
    pub(crate) fn mem_usage(&self) -> usize {
        std::mem::size_of::<Entry>()
            + 2 * std::mem::size_of::<usize>()
            + self.key.heap_size()
            + self.value.heap_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::StrValue;

    #[test]
    fn mark_and_ttl_index_share_a_word_without_touching_each_other() {
        let mut e = Entry::new(b"k", Value::Str(StrValue::from_bytes(b"v")), 0);
        assert_eq!(e.vol_idx(), NO_TTL);
        assert!(!e.mark());
        e.set_mark(true);
        assert_eq!(e.vol_idx(), NO_TTL);
        e.set_vol_idx(12345);
        assert!(e.mark());
        assert_eq!(e.vol_idx(), 12345);
        e.set_mark(false);
        assert_eq!(e.vol_idx(), 12345);
        e.set_vol_idx(NO_TTL);
        assert!(!e.mark());
        assert_eq!(e.vol_idx(), NO_TTL);
    }
}
