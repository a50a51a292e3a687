//! Unit and property tests of the bit functions against a bit-by-bit model.

use super::*;
use proptest::prelude::*;

/// The model: every bit of `s`, most significant bit of byte 0 first.
fn model_bits(s: &[u8]) -> Vec<bool> {
    (0..s.len() * 8)
        .map(|i| (s[i / 8] >> (7 - i % 8)) & 1 == 1)
        .collect()
}

fn model_bytes(bits: &[bool]) -> Vec<u8> {
    bits.chunks(8)
        .map(|c| c.iter().fold(0u8, |acc, &b| (acc << 1) | u8::from(b)))
        .collect()
}

#[test]
fn bit_zero_is_the_most_significant_bit_of_byte_zero() {
    assert!(get_bit(b"\x80", 0));
    assert!(!get_bit(b"\x80", 1));
    assert!(get_bit(b"\x00\x01", 15));
    assert!(!get_bit(b"\xff", 8));
    let mut v = Vec::new();
    assert!(!set_bit(&mut v, 9, true));
    assert_eq!(v, vec![0x00, 0x40]);
    assert!(set_bit(&mut v, 9, false));
    assert_eq!(v, vec![0, 0]);
}

#[test]
fn resolve_range_follows_redis_index_rules() {
    assert_eq!(resolve_range(3, 0, -1, false), Some((0, 23)));
    assert_eq!(resolve_range(3, -2, -1, false), Some((8, 23)));
    assert_eq!(resolve_range(3, 5, 100, true), Some((5, 23)));
    assert_eq!(resolve_range(3, 2, 1, false), None);
    assert_eq!(resolve_range(0, 0, -1, false), None);
    assert_eq!(resolve_range(3, -100, -100, false), Some((0, 7)));
    assert_eq!(resolve_range(3, i64::MIN, i64::MAX, false), Some((0, 23)));
}

#[test]
fn bitfield_overflow_policies() {
    assert_eq!(fit_signed(128, 8, Overflow::Wrap), Some(-128));
    assert_eq!(fit_signed(128, 8, Overflow::Sat), Some(127));
    assert_eq!(fit_signed(-129, 8, Overflow::Sat), Some(-128));
    assert_eq!(fit_signed(128, 8, Overflow::Fail), None);
    assert_eq!(fit_unsigned(256, 8, Overflow::Wrap), Some(0));
    assert_eq!(fit_unsigned(-1, 8, Overflow::Wrap), Some(255));
    assert_eq!(fit_unsigned(-1, 8, Overflow::Sat), Some(0));
    assert_eq!(fit_unsigned(300, 8, Overflow::Sat), Some(255));
    assert_eq!(
        fit_signed(i128::from(i64::MAX) + 1, 64, Overflow::Wrap),
        Some(i64::MIN)
    );
}

proptest! {
    #[test]
    fn count_range_matches_model(s in proptest::collection::vec(any::<u8>(), 1..40),
                                 a in 0u64..400, b in 0u64..400) {
        let n = s.len() as u64 * 8;
        let (start, end) = (a % n, b % n);
        let want = model_bits(&s)
            .iter()
            .enumerate()
            .filter(|(i, &bit)| bit && (*i as u64) >= start && (*i as u64) <= end)
            .count() as u64;
        prop_assert_eq!(count_range(&s, start, end), want);
        prop_assert_eq!(count_ones(&s), model_bits(&s).iter().filter(|b| **b).count() as u64);
    }

    #[test]
    fn find_bit_matches_model(s in proptest::collection::vec(
                                  prop_oneof![Just(0u8), Just(0xFFu8), any::<u8>()], 1..40),
                              a in 0u64..400, b in 0u64..400, bit in any::<bool>()) {
        let n = s.len() as u64 * 8;
        let (start, end) = (a % n, b % n);
        let want = model_bits(&s)
            .iter()
            .enumerate()
            .position(|(i, &v)| v == bit && (i as u64) >= start && (i as u64) <= end)
            .map(|p| p as u64);
        prop_assert_eq!(find_bit(&s, bit, start, end), want);
    }

    #[test]
    fn bitop_matches_model(srcs in proptest::collection::vec(
                               proptest::collection::vec(any::<u8>(), 0..20), 1..5),
                           which in 0usize..4) {
        let op = [BitOp::And, BitOp::Or, BitOp::Xor, BitOp::Not][which];
        let refs: Vec<&[u8]> = srcs.iter().map(|s| s.as_slice()).collect();
        let len = srcs.iter().map(|s| s.len()).max().unwrap_or(0) * 8;
        let padded: Vec<Vec<bool>> = srcs
            .iter()
            .map(|s| {
                let mut b = model_bits(s);
                b.resize(len, false);
                b
            })
            .collect();
        let want: Vec<bool> = (0..len)
            .map(|i| match op {
                BitOp::Not => !padded[0][i],
                BitOp::And => padded.iter().all(|p| p[i]),
                BitOp::Or => padded.iter().any(|p| p[i]),
                BitOp::Xor => padded.iter().filter(|p| p[i]).count() % 2 == 1,
            })
            .collect();
        prop_assert_eq!(bitop(op, &refs), model_bytes(&want));
    }

    #[test]
    fn field_set_then_get_matches_model(s in proptest::collection::vec(any::<u8>(), 0..20),
                                        offset in 0u64..200, bits in 1u32..=64,
                                        value in any::<u64>()) {
        let mut buf = s.clone();
        set_field(&mut buf, offset, bits, value);
        let mut model = model_bits(&s);
        let need = (offset + u64::from(bits)) as usize;
        if model.len() < need {
            model.resize(need.div_ceil(8) * 8, false);
        }
        for i in 0..bits as usize {
            model[offset as usize + i] = (value >> (bits as usize - 1 - i)) & 1 == 1;
        }
        prop_assert_eq!(&buf, &model_bytes(&model));
        let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        prop_assert_eq!(get_field(&buf, offset, bits), value & mask);
        let raw = i128::from(value & mask);
        let want = if raw >= 1i128 << (bits - 1) { raw - (1i128 << bits) } else { raw };
        prop_assert_eq!(i128::from(get_field_signed(&buf, offset, bits)), want);
    }

    #[test]
    fn fit_keeps_in_range_values_and_wraps_modulo(v in any::<i64>(), bits in 1u32..=63) {
        let v = i128::from(v);
        let got = fit_unsigned(v, bits, Overflow::Wrap);
        prop_assert_eq!(got.map(i128::from), Some(v.rem_euclid(1i128 << bits)));
        let s = fit_signed(v, bits, Overflow::Wrap).map(i128::from);
        prop_assert_eq!(s.map(|x| x.rem_euclid(1i128 << bits)), Some(v.rem_euclid(1i128 << bits)));
    }
}
