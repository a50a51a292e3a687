//! The CRC-64 Redis appends to RDB files and DUMP payloads (the "Jones" polynomial,
//! reflected, zero initial value and no final xor).

use crc::{Crc, CRC_64_REDIS};

const ALGO: Crc<u64> = Crc::<u64>::new(&CRC_64_REDIS);

/// Continues the checksum `crc` over `data` (start with 0).
pub fn crc64(crc: u64, data: &[u8]) -> u64 {
    if crc == 0 {
        return ALGO.checksum(data);
    }
    // The crate's digest starts from the init value; resume from `crc` by un-reflecting it.
    let mut digest = ALGO.digest_with_initial(crc.reverse_bits());
    digest.update(data);
    digest.finalize()
}

#[cfg(test)]
mod tests {
    use super::crc64;

    #[test]
    fn crc64_matches_redis_check_value() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn crc64_continues_over_chunks() {
        let whole = crc64(0, b"hello world, again");
        let part = crc64(crc64(0, b"hello "), b"world, again");
        assert_eq!(whole, part);
    }
}
