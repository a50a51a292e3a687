//! Listpacks as Redis lays them out: a 4-byte little-endian total size, a 2-byte element
//! count (65535 when unknown), the entries, and a 0xFF terminator. An entry is an encoding
//! header, its data, and a "backlen" (header plus data size, 1 to 5 bytes, 7 bits each).
//! Integers take the smallest integer form; strings a 6-, 12- or 32-bit length.

use super::length::Bad;
use crate::util::num::parse_i64;

const EOF: u8 = 0xFF;
const BAD: Bad = "malformed listpack";

/// Builds a listpack entry by entry.
#[derive(Default)]
pub struct Writer {
    body: Vec<u8>,
    count: usize,
}

impl Writer {
    /// Appends an element, integer-encoded when it is a canonical 64-bit integer.
    pub fn push(&mut self, s: &[u8]) {
        let start = self.body.len();
        match (s.len() <= 20).then(|| parse_i64(s)).flatten() {
            Some(v) => int_entry(&mut self.body, v),
            None => str_entry(&mut self.body, s),
        }
        let size = self.body.len() - start;
        backlen(&mut self.body, size);
        self.count += 1;
    }

    /// Elements pushed so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes the finished listpack will take.
    pub fn bytes(&self) -> usize {
        self.body.len() + 7
    }

    /// The finished listpack.
    pub fn finish(self) -> Vec<u8> {
        let total = self.bytes();
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(self.count.min(65535) as u16).to_le_bytes());
        out.extend_from_slice(&self.body);
        out.push(EOF);
        out
    }
}

/// Bytes an element takes in a listpack (header, data and backlen), as Redis counts it.
pub fn entry_size(s: &[u8]) -> usize {
    let mut w = Writer::default();
    w.push(s);
    w.body.len()
}

fn int_entry(out: &mut Vec<u8>, v: i64) {
    if (0..=127).contains(&v) {
        out.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = (v as u16) & 0x1fff;
        out.extend_from_slice(&[0xC0 | (u >> 8) as u8, u as u8]);
    } else if let Ok(h) = i16::try_from(v) {
        out.push(0xF1);
        out.extend_from_slice(&h.to_le_bytes());
    } else if (-(1 << 23)..(1 << 23)).contains(&v) {
        out.push(0xF2);
        out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if let Ok(w) = i32::try_from(v) {
        out.push(0xF3);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        out.push(0xF4);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn str_entry(out: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    if n < 64 {
        out.push(0x80 | n as u8);
    } else if n < 4096 {
        out.extend_from_slice(&[0xE0 | (n >> 8) as u8, n as u8]);
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    out.extend_from_slice(s);
}

/// Bytes of the backlen of an entry of `size` bytes.
fn backlen_size(size: usize) -> usize {
    match size {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn backlen(out: &mut Vec<u8>, size: usize) {
    let n = backlen_size(size);
    for i in (0..n).rev() {
        let chunk = ((size >> (7 * i)) & 0x7f) as u8;
        out.push(if i == n - 1 { chunk } else { chunk | 0x80 });
    }
}

/// The elements of the listpack `lp`, checked end to end.
pub fn parse(lp: &[u8]) -> Result<Vec<Vec<u8>>, Bad> {
    if lp.len() < 7 || u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize != lp.len() {
        return Err(BAD);
    }
    let declared = u16::from_le_bytes([lp[4], lp[5]]) as usize;
    let mut pos = 6;
    let mut items = Vec::new();
    loop {
        let head = *lp.get(pos).ok_or(BAD)?;
        if head == EOF {
            break;
        }
        let (item, size) = entry(&lp[pos..])?;
        let skip = size + backlen_size(size);
        if lp.get(pos + size..pos + skip).is_none() {
            return Err(BAD);
        }
        items.push(item);
        pos += skip;
    }
    if pos + 1 != lp.len() || (declared != 65535 && declared != items.len()) {
        return Err(BAD);
    }
    Ok(items)
}

/// One entry at the start of `b`: its text and its size without the backlen.
fn entry(b: &[u8]) -> Result<(Vec<u8>, usize), Bad> {
    let h = b[0];
    let get = |from: usize, n: usize| b.get(from..from + n).ok_or(BAD);
    let int = |v: i64, size: usize| Ok((itoa::Buffer::new().format(v).as_bytes().to_vec(), size));
    match h {
        0x00..=0x7F => int(h as i64, 1),
        0x80..=0xBF => string(b, 1, (h & 0x3f) as usize),
        0xC0..=0xDF => {
            let u = (((h & 0x1f) as u16) << 8) | *b.get(1).ok_or(BAD)? as u16;
            int(((u << 3) as i16 >> 3) as i64, 2)
        }
        0xE0..=0xEF => string(
            b,
            2,
            (((h & 0x0f) as usize) << 8) | *b.get(1).ok_or(BAD)? as usize,
        ),
        0xF0 => {
            let n = get(1, 4)?;
            string(b, 5, u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize)
        }
        0xF1 => int(i16::from_le_bytes([get(1, 2)?[0], get(1, 2)?[1]]) as i64, 3),
        0xF2 => {
            let d = get(1, 3)?;
            int((i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8) as i64, 4)
        }
        0xF3 => {
            let d = get(1, 4)?;
            int(i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64, 5)
        }
        0xF4 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(get(1, 8)?);
            int(i64::from_le_bytes(a), 9)
        }
        _ => Err(BAD),
    }
}

fn string(b: &[u8], header: usize, n: usize) -> Result<(Vec<u8>, usize), Bad> {
    let end = header.checked_add(n).ok_or(BAD)?;
    Ok((b.get(header..end).ok_or(BAD)?.to_vec(), end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pack(items: &[&[u8]]) -> Vec<u8> {
        let mut w = Writer::default();
        items.iter().for_each(|s| w.push(s));
        w.finish()
    }

    #[test]
    fn listpack_layout_matches_redis() {
        // RPUSH l a 1 in Redis gives exactly these 12 bytes.
        let want = [12, 0, 0, 0, 2, 0, 0x81, b'a', 2, 1, 1, 0xFF];
        assert_eq!(pack(&[b"a", b"1"]), want);
        assert_eq!(entry_size(b"a"), 3);
    }

    #[test]
    fn every_integer_width_round_trips() {
        let vals = [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "-4097",
            "32767",
            "-32768",
            "8388607",
            "-8388608",
            "8388608",
            "2147483647",
            "-2147483648",
            "2147483648",
            "9223372036854775807",
            "-9223372036854775808",
        ];
        let items: Vec<&[u8]> = vals.iter().map(|s| s.as_bytes()).collect();
        let got = parse(&pack(&items)).unwrap_or_default();
        assert_eq!(got, items.iter().map(|s| s.to_vec()).collect::<Vec<_>>());
    }

    #[test]
    fn long_strings_use_wider_headers() {
        let a = b"a".repeat(100);
        let b = b"b".repeat(5000);
        let got = parse(&pack(&[&a, &b])).unwrap_or_default();
        assert_eq!(got, vec![a, b]);
    }

    #[test]
    fn a_wrong_size_header_is_refused() {
        let mut lp = pack(&[b"x"]);
        lp[0] += 1;
        assert!(parse(&lp).is_err());
    }

    proptest! {
        #[test]
        fn listpacks_round_trip(items in proptest::collection::vec(
            prop_oneof![any::<i64>().prop_map(|v| v.to_string().into_bytes()),
                proptest::collection::vec(any::<u8>(), 0..300)], 0..40)) {
            let refs: Vec<&[u8]> = items.iter().map(|v| v.as_slice()).collect();
            prop_assert_eq!(parse(&pack(&refs)), Ok(items));
        }

        #[test]
        fn listpack_parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse(&data);
        }
    }
}
