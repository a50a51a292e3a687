//! Cluster hash slots: CRC16-XMODEM of the key, or of its `{hash tag}`, modulo 16384.

use crc::{Crc, Table, CRC_16_XMODEM};

/// Number of hash slots in a cluster.
pub const SLOTS: usize = 16384;

// Slice-by-16 tables: every command hashes its keys here, so the faster table form is
// worth its 8 KiB.
const CRC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_XMODEM);

/// The hash slot of `key`, honouring `{hash tags}` as Redis Cluster does: if the key holds a
/// `{` followed later by a `}` with at least one byte between, only those bytes are hashed.
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = match memchr_byte(b'{', key) {
        Some(open) => match memchr_byte(b'}', &key[open + 1..]) {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    CRC16.checksum(hashed) & (SLOTS as u16 - 1)
}

fn memchr_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster() {
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"123456789"), 0x31C3 & 16383);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
    }
}
