//! A packed run of list elements in one byte buffer, laid out like Redis's listpack so its
//! size (which drives encoding conversions) is the size Redis would report.
//!
//! Layout: a 4-byte little-endian element count, then the entries back to back. An entry is
//! a header (small integers and short strings fit in one byte), the string bytes if any, and
//! a trailing length of header plus data written so it can be read right to left, which lets
//! the buffer be walked in both directions. An empty pack owns no allocation.

use bytes::Bytes;

/// Bytes a Redis listpack spends on its header and terminator.
const LP_OVERHEAD: usize = 7;
/// Bytes of our count prefix.
const PREFIX: usize = 4;

/// One element as stored: integers that round-trip exactly are kept as numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    /// A byte string.
    Str(&'a [u8]),
    /// A canonical decimal integer.
    Int(i64),
}

impl Elem<'_> {
    /// The element as bytes.
    pub fn to_bytes(self) -> Bytes {
        match self {
            Elem::Str(s) => Bytes::copy_from_slice(s),
            Elem::Int(v) => Bytes::copy_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        }
    }

    /// Appends the element's bytes to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        match self {
            Elem::Str(s) => out.extend_from_slice(s),
            Elem::Int(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        }
    }

    /// True if the element equals `needle`.
    pub fn matches(self, needle: &Needle<'_>) -> bool {
        match self {
            Elem::Str(s) => needle.int.is_none() && s == needle.bytes,
            Elem::Int(v) => needle.int == Some(v),
        }
    }
}

/// A value searched for, parsed once the way entries are stored.
#[derive(Clone, Copy, Debug)]
pub struct Needle<'a> {
    bytes: &'a [u8],
    int: Option<i64>,
}

impl<'a> Needle<'a> {
    /// A needle for `bytes`.
    pub fn new(bytes: &'a [u8]) -> Needle<'a> {
        Needle {
            bytes,
            int: as_int(bytes),
        }
    }
}

/// The integer `s` spells in canonical form (no sign on zero, no leading zeros or plus).
pub fn as_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    let canonical = match digits {
        [] => false,
        [b'0'] => digits.len() == s.len(),
        [b'0', ..] => false,
        _ => digits.iter().all(u8::is_ascii_digit),
    };
    if !canonical {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Size of the header plus data of an entry for `s`.
fn content_len(s: &[u8]) -> usize {
    match as_int(s) {
        Some(v) => int_len(v),
        None => str_header_len(s.len()) + s.len(),
    }
}

fn int_len(v: i64) -> usize {
    if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if i16::try_from(v).is_ok() {
        3
    } else if (-(1 << 23)..(1 << 23)).contains(&v) {
        4
    } else if i32::try_from(v).is_ok() {
        5
    } else {
        9
    }
}

fn str_header_len(len: usize) -> usize {
    if len < 64 {
        1
    } else if len < 4096 {
        2
    } else {
        5
    }
}

fn backlen_len(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16383 => 2,
        16384..=2_097_151 => 3,
        2_097_152..=268_435_455 => 4,
        _ => 5,
    }
}

/// Bytes an entry for `s` takes, trailer included.
pub fn entry_len(s: &[u8]) -> usize {
    let l = content_len(s);
    l + backlen_len(l)
}

/// Encodes the entry for `s` into `out`.
fn encode(s: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    match as_int(s) {
        Some(v) => encode_int(v, out),
        None => {
            let n = s.len();
            if n < 64 {
                out.push(0x80 | n as u8);
            } else if n < 4096 {
                out.push(0xE0 | (n >> 8) as u8);
                out.push(n as u8);
            } else {
                out.push(0xF0);
                out.extend_from_slice(&(n as u32).to_le_bytes());
            }
            out.extend_from_slice(s);
        }
    }
    let l = out.len() - start;
    let k = backlen_len(l);
    for i in (0..k).rev() {
        let group = ((l >> (7 * i)) & 0x7F) as u8;
        out.push(if i + 1 < k { group | 0x80 } else { group });
    }
}

fn encode_int(v: i64, out: &mut Vec<u8>) {
    match int_len(v) {
        1 => out.push(v as u8),
        2 => {
            let u = (v as u16) & 0x1FFF;
            out.push(0xC0 | (u >> 8) as u8);
            out.push(u as u8);
        }
        3 => {
            out.push(0xF1);
            out.extend_from_slice(&(v as i16).to_le_bytes());
        }
        4 => {
            out.push(0xF2);
            out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        }
        5 => {
            out.push(0xF3);
            out.extend_from_slice(&(v as i32).to_le_bytes());
        }
        _ => {
            out.push(0xF4);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// Packed elements in one buffer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pack {
    buf: Vec<u8>,
}

impl Pack {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self.buf.get(..PREFIX) {
            Some(p) => u32::from_le_bytes([p[0], p[1], p[2], p[3]]) as usize,
            None => 0,
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn set_len(&mut self, n: usize) {
        if n == 0 {
            self.buf = Vec::new();
        } else {
            self.buf[..PREFIX].copy_from_slice(&(n as u32).to_le_bytes());
        }
    }

    /// The size Redis's listpack holding these elements would have.
    pub fn redis_bytes(&self) -> usize {
        LP_OVERHEAD + self.buf.len().saturating_sub(PREFIX)
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        crate::types::alloc::alloc_size(self.buf.capacity())
    }

    /// Offset of the first entry, if any.
    pub fn first(&self) -> Option<usize> {
        (!self.is_empty()).then_some(PREFIX)
    }

    /// Offset of the last entry, if any.
    pub fn last(&self) -> Option<usize> {
        (!self.is_empty()).then(|| self.start_before(self.buf.len()))
    }

    /// Offset just past the entry at `off`.
    fn end_of(&self, off: usize) -> usize {
        let l = self.content_at(off);
        off + l + backlen_len(l)
    }

    /// Header plus data length of the entry at `off`.
    fn content_at(&self, off: usize) -> usize {
        let b = &self.buf[off..];
        match b[0] {
            0x00..=0x7F => 1,
            0x80..=0xBF => 1 + (b[0] & 0x3F) as usize,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 2 + (((b[0] & 0x0F) as usize) << 8 | b[1] as usize),
            0xF0 => 5 + u32::from_le_bytes([b[1], b[2], b[3], b[4]]) as usize,
            0xF1 => 3,
            0xF2 => 4,
            0xF3 => 5,
            _ => 9,
        }
    }

    /// Offset of the entry that ends at `end`.
    fn start_before(&self, end: usize) -> usize {
        let mut l = 0usize;
        let mut shift = 0;
        let mut p = end;
        loop {
            p -= 1;
            let b = self.buf[p];
            l |= ((b & 0x7F) as usize) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        end - l - backlen_len(l)
    }

    /// Offset of the entry after the one at `off`.
    pub fn next(&self, off: usize) -> Option<usize> {
        let e = self.end_of(off);
        (e < self.buf.len()).then_some(e)
    }

    /// Offset of the entry before the one at `off`.
    pub fn prev(&self, off: usize) -> Option<usize> {
        (off > PREFIX).then(|| self.start_before(off))
    }

    /// The element at `off`.
    pub fn get(&self, off: usize) -> Elem<'_> {
        let b = &self.buf[off..];
        match b[0] {
            v @ 0x00..=0x7F => Elem::Int(v as i64),
            h @ 0x80..=0xBF => Elem::Str(&b[1..1 + (h & 0x3F) as usize]),
            h @ 0xC0..=0xDF => {
                let u = (((h & 0x1F) as u16) << 8 | b[1] as u16) << 3;
                Elem::Int(((u as i16) >> 3) as i64)
            }
            h @ 0xE0..=0xEF => {
                let n = ((h & 0x0F) as usize) << 8 | b[1] as usize;
                Elem::Str(&b[2..2 + n])
            }
            0xF0 => {
                let n = u32::from_le_bytes([b[1], b[2], b[3], b[4]]) as usize;
                Elem::Str(&b[5..5 + n])
            }
            0xF1 => Elem::Int(i16::from_le_bytes([b[1], b[2]]) as i64),
            0xF2 => Elem::Int((i32::from_le_bytes([0, b[1], b[2], b[3]]) >> 8) as i64),
            0xF3 => Elem::Int(i32::from_le_bytes([b[1], b[2], b[3], b[4]]) as i64),
            _ => {
                let mut x = [0u8; 8];
                x.copy_from_slice(&b[1..9]);
                Elem::Int(i64::from_le_bytes(x))
            }
        }
    }

    /// Offset of element `i` (0-based from the head), walking from the nearer end.
    pub fn seek(&self, i: usize) -> Option<usize> {
        let n = self.len();
        if i >= n {
            return None;
        }
        if i <= n / 2 {
            let mut off = PREFIX;
            for _ in 0..i {
                off = self.end_of(off);
            }
            Some(off)
        } else {
            let mut end = self.buf.len();
            for _ in 0..(n - i) {
                end = self.start_before(end);
            }
            Some(end)
        }
    }

    /// Inserts `s` at byte offset `off` (an entry start, or the end of the buffer). The entry
    /// is encoded in place at the end and rotated into position: no temporary buffer.
    pub fn insert_at(&mut self, off: usize, s: &[u8]) {
        let n = self.len();
        let add = entry_len(s);
        if self.buf.is_empty() {
            self.buf.reserve_exact(PREFIX + add);
            self.buf.extend_from_slice(&[0; PREFIX]);
        } else if self.buf.capacity() - self.buf.len() < add {
            // Exact growth keeps small lists tight; past that, grow by a quarter (like an
            // allocator's size classes) so long runs of pushes do not copy on every one.
            let slack = if self.buf.len() < 256 {
                0
            } else {
                self.buf.len() / 4
            };
            self.buf.reserve_exact(add + slack);
        }
        let off = off.max(PREFIX);
        let old_len = self.buf.len();
        encode(s, &mut self.buf);
        if off < old_len {
            self.buf[off..].rotate_right(add);
        }
        self.set_len(n + 1);
    }

    /// Inserts `s` before the first element.
    pub fn push_front(&mut self, s: &[u8]) {
        self.insert_at(PREFIX, s);
    }

    /// Appends `s` after the last element.
    pub fn push_back(&mut self, s: &[u8]) {
        let end = self.buf.len();
        self.insert_at(end, s);
    }

    /// Removes `count` entries starting at `off`; returns the offset now there.
    pub fn remove_at(&mut self, off: usize, count: usize) -> usize {
        let mut end = off;
        for _ in 0..count {
            end = self.end_of(end);
        }
        let n = self.len() - count;
        self.buf.drain(off..end);
        self.set_len(n);
        if n > 0 && self.buf.capacity() > self.buf.len() * 2 {
            self.buf.shrink_to_fit();
        }
        off
    }

    /// Replaces the entry at `off` with `s`.
    pub fn replace_at(&mut self, off: usize, s: &[u8]) {
        let end = self.end_of(off);
        let mut enc = Vec::with_capacity(entry_len(s));
        encode(s, &mut enc);
        self.buf.splice(off..end, enc);
    }

    /// Removes and returns the first element.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        let off = self.first()?;
        let v = self.get(off).to_bytes();
        self.remove_at(off, 1);
        Some(v)
    }

    /// Removes and returns the last element.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        let off = self.last()?;
        let v = self.get(off).to_bytes();
        self.remove_at(off, 1);
        Some(v)
    }

    /// Removes up to `limit` elements equal to `needle` (0: all), scanning from the tail
    /// when `from_back`; returns how many went.
    pub fn remove_matching(&mut self, needle: &Needle<'_>, limit: usize, from_back: bool) -> usize {
        let mut removed = 0;
        let mut cur = if from_back { self.last() } else { self.first() };
        while let Some(off) = cur {
            let hit = self.get(off).matches(needle);
            let prev = if from_back { self.prev(off) } else { None };
            if hit {
                self.remove_at(off, 1);
                removed += 1;
                if limit != 0 && removed == limit {
                    break;
                }
            }
            cur = match (from_back, hit) {
                (true, _) => prev,
                (false, true) => (off < self.buf.len()).then_some(off),
                (false, false) => self.next(off),
            };
        }
        removed
    }

    /// Splits off the elements from index `at` on into a new pack.
    pub fn split_off(&mut self, at: usize) -> Pack {
        let n = self.len();
        let Some(off) = self.seek(at) else {
            return Pack::default();
        };
        let mut tail = Pack::default();
        tail.buf.reserve_exact(PREFIX + self.buf.len() - off);
        tail.buf.extend_from_slice(&[0; PREFIX]);
        tail.buf.extend_from_slice(&self.buf[off..]);
        tail.set_len(n - at);
        self.buf.truncate(off);
        self.set_len(at);
        self.buf.shrink_to_fit();
        tail
    }

    /// Appends every element of `other`.
    pub fn append(&mut self, other: Pack) {
        let (a, b) = (self.len(), other.len());
        if b == 0 {
            return;
        }
        if a == 0 {
            *self = other;
            return;
        }
        self.buf.reserve_exact(other.buf.len() - PREFIX);
        self.buf.extend_from_slice(&other.buf[PREFIX..]);
        self.set_len(a + b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_sizes_match_listpack() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 100];
        let items: Vec<&[u8]> = vec![
            b"0",
            b"127",
            b"128",
            b"-1",
            b"-4096",
            b"4095",
            b"32767",
            b"-32768",
            b"8388607",
            b"-8388608",
            b"2147483647",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"007",
            b"-0",
            b"+1",
            b"",
            b"hello",
            &mid,
            &long,
        ];
        let mut p = Pack::default();
        for s in &items {
            p.push_back(s);
        }
        assert_eq!(p.len(), items.len());
        let mut off = p.first();
        for s in &items {
            let o = off.unwrap_or(0);
            assert_eq!(p.get(o).to_bytes().as_ref(), *s);
            off = p.next(o);
        }
        let mut off = p.last();
        for s in items.iter().rev() {
            let o = off.unwrap_or(0);
            assert_eq!(p.get(o).to_bytes().as_ref(), *s);
            off = p.prev(o);
        }
        // "a" takes 3 bytes in a listpack: header, data, back length.
        let mut q = Pack::default();
        q.push_back(b"a");
        q.push_back(b"1");
        assert_eq!(q.redis_bytes(), 7 + 3 + 2);
    }
}
