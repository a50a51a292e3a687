//! Bit operations over byte strings, in Redis's bit order: bit 0 is the most significant
//! bit of byte 0. Pure functions, no RESP: the bitmap commands shape replies from these.

/// The value of bit `bit` of `s`; bits past the end read as 0.
pub fn get_bit(s: &[u8], bit: u64) -> bool {
    let byte = (bit >> 3) as usize;
    match s.get(byte) {
        Some(b) => b & (0x80 >> (bit & 7)) != 0,
        None => false,
    }
}

/// Sets bit `bit` of `buf` to `on`, growing it with zero bytes as needed; returns the old
/// value.
pub fn set_bit(buf: &mut Vec<u8>, bit: u64, on: bool) -> bool {
    let byte = (bit >> 3) as usize;
    if buf.len() <= byte {
        buf.resize(byte + 1, 0);
    }
    let mask = 0x80u8 >> (bit & 7);
    let old = buf[byte] & mask != 0;
    if on {
        buf[byte] |= mask;
    } else {
        buf[byte] &= !mask;
    }
    old
}

/// Number of set bits in `s`, counted a 64-bit word at a time.
pub fn count_ones(s: &[u8]) -> u64 {
    let mut chunks = s.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        n += u64::from(u64::from_ne_bytes(w).count_ones());
    }
    n + chunks
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum::<u64>()
}

/// Mask of the bits of a byte at positions `from..=to` (0 = most significant).
fn byte_mask(from: u64, to: u64) -> u8 {
    let high = 0xFFu8 >> from;
    let low = 0xFFu8 << (7 - to);
    high & low
}

/// Number of set bits in the inclusive bit range `start..=end`, which must lie inside `s`.
pub fn count_range(s: &[u8], start: u64, end: u64) -> u64 {
    if start > end {
        return 0;
    }
    let (first, last) = ((start >> 3) as usize, (end >> 3) as usize);
    if first == last {
        return u64::from((s[first] & byte_mask(start & 7, end & 7)).count_ones());
    }
    let head = u64::from((s[first] & byte_mask(start & 7, 7)).count_ones());
    let tail = u64::from((s[last] & byte_mask(0, end & 7)).count_ones());
    head + tail + count_ones(&s[first + 1..last])
}

/// Position of the first bit equal to `bit` in the inclusive bit range `start..=end`, which
/// must lie inside `s`; None if there is none.
pub fn find_bit(s: &[u8], bit: bool, start: u64, end: u64) -> Option<u64> {
    if start > end {
        return None;
    }
    // Searching for 0 is searching for 1 in the complement.
    let flip = if bit { 0u8 } else { 0xFF };
    let (first, last) = ((start >> 3) as usize, (end >> 3) as usize);
    let edge = |i: usize, from: u64, to: u64| {
        let b = (s[i] ^ flip) & byte_mask(from, to);
        (b != 0).then(|| (i as u64) * 8 + u64::from(b.leading_zeros()))
    };
    if first == last {
        return edge(first, start & 7, end & 7);
    }
    if let Some(p) = edge(first, start & 7, 7) {
        return Some(p);
    }
    if let Some(p) = first_one_from(s, first + 1, last, flip) {
        return Some(p);
    }
    edge(last, 0, end & 7)
}

/// First set bit of `s[from..to]` xor `flip`, skipping empty 64-bit words.
fn first_one_from(s: &[u8], from: usize, to: usize, flip: u8) -> Option<u64> {
    let skip = u64::from_ne_bytes([flip; 8]);
    let mut i = from;
    while i + 8 <= to {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        if u64::from_ne_bytes(w) != skip {
            break;
        }
        i += 8;
    }
    (i..to).find_map(|j| {
        let b = s[j] ^ flip;
        (b != 0).then(|| (j as u64) * 8 + u64::from(b.leading_zeros()))
    })
}

/// Resolves a BITCOUNT/BITPOS range to an inclusive bit range inside a string of `len`
/// bytes, the Redis way: negative indexes count from the end, then both ends are clamped;
/// `bit_unit` means the indexes are bits rather than bytes. None when the range is empty.
pub fn resolve_range(len: u64, start: i64, end: i64, bit_unit: bool) -> Option<(u64, u64)> {
    let total = if bit_unit { len * 8 } else { len } as i64;
    let fix = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (s, mut e) = (fix(start), fix(end));
    if e >= total {
        e = total - 1;
    }
    if s > e {
        return None;
    }
    let (s, e) = (s as u64, e as u64);
    Some(if bit_unit { (s, e) } else { (s * 8, e * 8 + 7) })
}

/// A BITOP operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitOp {
    /// Bitwise AND.
    And,
    /// Bitwise OR.
    Or,
    /// Bitwise XOR.
    Xor,
    /// Bitwise NOT of a single source.
    Not,
}

/// Combines `srcs` with `op`; shorter sources read as zero-padded to the longest one. NOT
/// uses only the first source.
pub fn bitop(op: BitOp, srcs: &[&[u8]]) -> Vec<u8> {
    let len = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let Some((first, rest)) = srcs.split_first() else {
        return Vec::new();
    };
    let mut out = vec![0u8; len];
    out[..first.len()].copy_from_slice(first);
    if op == BitOp::Not {
        out.iter_mut().for_each(|b| *b = !*b);
        return out;
    }
    for src in rest {
        match op {
            BitOp::And => {
                out.iter_mut()
                    .enumerate()
                    .for_each(|(i, b)| *b &= src.get(i).copied().unwrap_or(0));
            }
            BitOp::Or => out.iter_mut().zip(src.iter()).for_each(|(b, s)| *b |= s),
            BitOp::Xor => out.iter_mut().zip(src.iter()).for_each(|(b, s)| *b ^= s),
            BitOp::Not => {}
        }
    }
    out
}

/// Reads the `bits`-wide (1..=64) unsigned field at bit `offset`; bits past the end read as 0.
pub fn get_field(s: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v: u64 = 0;
    for i in 0..u64::from(bits) {
        v = (v << 1) | u64::from(get_bit(s, offset + i));
    }
    v
}

/// Reads the `bits`-wide field at `offset` as a two's complement signed integer.
pub fn get_field_signed(s: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_field(s, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Writes the low `bits` bits of `value` at bit `offset`, growing `buf` as needed.
pub fn set_field(buf: &mut Vec<u8>, offset: u64, bits: u32, value: u64) {
    let last = offset + u64::from(bits) - 1;
    if buf.len() <= (last >> 3) as usize {
        buf.resize((last >> 3) as usize + 1, 0);
    }
    for i in 0..u64::from(bits) {
        let on = (value >> (u64::from(bits) - 1 - i)) & 1 != 0;
        set_bit(buf, offset + i, on);
    }
}

/// What BITFIELD does when a write does not fit its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Wrap around modulo the field's range.
    #[default]
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Refuse the write.
    Fail,
}

/// The field value stored for the exact result `v`: None when it does not fit and the
/// policy is FAIL.
pub fn fit_signed(v: i128, bits: u32, ow: Overflow) -> Option<i64> {
    let max = (1i128 << (bits - 1)) - 1;
    let min = -max - 1;
    if (min..=max).contains(&v) {
        return Some(v as i64);
    }
    match ow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if v > max { max } else { min } as i64),
        Overflow::Wrap => {
            let m = v.rem_euclid(1i128 << bits);
            Some(if m > max { m - (1i128 << bits) } else { m } as i64)
        }
    }
}

/// Like [`fit_signed`] for an unsigned field of `bits` (1..=63) bits.
pub fn fit_unsigned(v: i128, bits: u32, ow: Overflow) -> Option<u64> {
    let max = (1i128 << bits) - 1;
    if (0..=max).contains(&v) {
        return Some(v as u64);
    }
    match ow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if v > max { max } else { 0 } as u64),
        Overflow::Wrap => Some(v.rem_euclid(1i128 << bits) as u64),
    }
}

#[cfg(test)]
#[path = "bits_tests.rs"]
mod tests;
