//! What an allocation of a given size really takes: the server's allocator (jemalloc)
//! serves each request from a size class, so per-value estimates round every allocation
//! they count up to its class.
//!
//! Classes: 8, then multiples of 16 up to 128, then four classes per doubling (128, 160,
//! 192, 224, 256, 320, ...) up to 16 KiB. Larger requests get whole pages of a larger
//! extent, but pages past the request are never touched and stay out of the resident set,
//! so those count as the request rounded up to a page.

/// Requests above this are served in pages.
const LARGE: usize = 16 * 1024 + 1;
const PAGE: usize = 4096;

/// The bytes an allocation of `n` bytes occupies (0 for none).
#[inline]
pub fn alloc_size(n: usize) -> usize {
    match n {
        0 => 0,
        1..=8 => 8,
        9..=128 => (n + 15) & !15,
        LARGE.. => (n + PAGE - 1) & !(PAGE - 1),
        _ => {
            // n lies in (2^k, 2^(k+1)]; classes there are 2^(k-2) apart.
            let k = usize::BITS - 1 - (n - 1).leading_zeros();
            let step = 1usize << (k - 2);
            (n + step - 1) & !(step - 1)
        }
    }
}

/// The bytes a std `HashMap`/`HashSet` with room for `cap` items of `slot` bytes
/// allocates: a power-of-two bucket count with one control byte per bucket plus a
/// group's worth of trailing control bytes.
pub fn table_alloc(cap: usize, slot: usize) -> usize {
    if cap == 0 {
        return 0;
    }
    let buckets = if cap < 8 {
        (cap + 1).next_power_of_two().max(4)
    } else {
        (cap * 8 / 7).next_power_of_two()
    };
    alloc_size(buckets * slot + buckets + 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_up_to_allocator_classes() {
        let cases = [
            (1, 8),
            (8, 8),
            (9, 16),
            (17, 32),
            (33, 48),
            (128, 128),
            (129, 160),
            (161, 192),
            (257, 320),
            (4097, 5120),
            (16_384, 16_384),
            (16_385, 20_480),
            (100_000, 102_400),
            (1 << 20, 1 << 20),
        ];
        for (n, class) in cases {
            assert_eq!(alloc_size(n), class, "alloc_size({n})");
        }
    }

    #[test]
    fn a_class_is_never_below_the_request_nor_a_quarter_above() {
        for n in 1..100_000usize {
            let c = alloc_size(n);
            assert!(c >= n && (n < 16 || c <= n + n / 4 + 16), "{n} -> {c}");
            assert!(alloc_size(n + 1) >= c, "classes grow with the request");
        }
    }

    #[test]
    fn table_of_a_thousand_slots_has_2048_buckets() {
        let std_cap = std::collections::HashSet::<u64>::with_capacity(1000).capacity();
        assert_eq!(table_alloc(std_cap, 8), alloc_size(2048 * 9 + 16));
    }
}
