//! RDB lengths and strings. A length's first byte's top two bits pick its form: 6 bits in
//! that byte, 14 bits over two bytes, or (`0x80` / `0x81`) a 32- or 64-bit big-endian
//! number after it. Top bits `11` mark a specially encoded string instead: an 8-, 16- or
//! 32-bit little-endian integer, or an LZF-compressed string.

use super::lzf;
use crate::util::num::parse_i64;

/// Why a body did not parse; the caller answers `Bad data format`.
pub type Bad = &'static str;

/// The marker of a truncated or malformed body.
pub const TRUNCATED: Bad = "payload is truncated";

const ENC_INT8: u64 = 0;
const ENC_INT16: u64 = 1;
const ENC_INT32: u64 = 2;
const ENC_LZF: u64 = 3;

/// Appends `len` in the shortest length form.
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Appends `s` as Redis saves a string: integer-encoded when it is a canonical integer that
/// fits 32 bits, LZF-compressed when `compress` and it is longer than 20 bytes and shrinks
/// by more than 4 bytes, else its length and bytes.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11 {
        if let Some(v) = parse_i64(s).and_then(|v| i32::try_from(v).ok()) {
            write_int(out, v);
            return;
        }
    }
    if compress && s.len() > 20 {
        if let Some(packed) = lzf::compress(s, s.len() - 4) {
            out.push(0xC0 | ENC_LZF as u8);
            write_len(out, packed.len() as u64);
            write_len(out, s.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

fn write_int(out: &mut Vec<u8>, v: i32) {
    if let Ok(b) = i8::try_from(v) {
        out.extend_from_slice(&[0xC0 | ENC_INT8 as u8, b as u8]);
    } else if let Ok(h) = i16::try_from(v) {
        out.push(0xC0 | ENC_INT16 as u8);
        out.extend_from_slice(&h.to_le_bytes());
    } else {
        out.push(0xC0 | ENC_INT32 as u8);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// A cursor over RDB bytes.
pub struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `b`.
    pub fn new(b: &'a [u8]) -> Reader<'a> {
        Reader { b, pos: 0 }
    }

    /// How many bytes were read so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// True once every byte was read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    /// The next byte.
    pub fn byte(&mut self) -> Result<u8, Bad> {
        let c = *self.b.get(self.pos).ok_or(TRUNCATED)?;
        self.pos += 1;
        Ok(c)
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or(TRUNCATED)?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Bad> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// A length or a special-encoding marker: `(true, kind)` for the latter.
    fn len_or_enc(&mut self) -> Result<(bool, u64), Bad> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => (false, (first & 0x3f) as u64),
            1 => (false, (((first & 0x3f) as u64) << 8) | self.byte()? as u64),
            3 => (true, (first & 0x3f) as u64),
            _ if first == 0x80 => (false, u32::from_be_bytes(self.array()?) as u64),
            _ if first == 0x81 => (false, u64::from_be_bytes(self.array()?)),
            _ => return Err("unknown length encoding"),
        })
    }

    /// A plain length.
    pub fn length(&mut self) -> Result<u64, Bad> {
        match self.len_or_enc()? {
            (false, n) => Ok(n),
            (true, _) => Err("encoded value where a length was expected"),
        }
    }

    /// A length used as an element count or size in memory: bounded by what is left.
    pub fn count(&mut self) -> Result<usize, Bad> {
        let n = self.length()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.b.len())
            .ok_or("length beyond the payload")
    }

    /// A string in any of its encodings.
    pub fn string(&mut self) -> Result<Vec<u8>, Bad> {
        let (special, n) = self.len_or_enc()?;
        if !special {
            let n = usize::try_from(n).map_err(|_| TRUNCATED)?;
            return Ok(self.take(n)?.to_vec());
        }
        let v: i64 = match n {
            ENC_INT8 => self.byte()? as i8 as i64,
            ENC_INT16 => i16::from_le_bytes(self.array()?) as i64,
            ENC_INT32 => i32::from_le_bytes(self.array()?) as i64,
            ENC_LZF => {
                let clen = self.count()?;
                let ulen = usize::try_from(self.length()?).map_err(|_| TRUNCATED)?;
                if ulen > clen.saturating_mul(1 << 10).max(1 << 10) {
                    return Err("implausible compressed length");
                }
                let packed = self.take(clen)?;
                return lzf::decompress(packed, ulen);
            }
            _ => return Err("unknown string encoding"),
        };
        Ok(itoa::Buffer::new().format(v).as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(s: &[u8], compress: bool) -> Vec<u8> {
        let mut out = Vec::new();
        write_string(&mut out, s, compress);
        out
    }

    #[test]
    fn lengths_take_every_form() {
        for n in [
            0u64,
            63,
            64,
            16383,
            16384,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_len(&mut out, n);
            let mut r = Reader::new(&out);
            assert_eq!(r.length(), Ok(n));
            assert!(r.at_end());
        }
        let mut out = Vec::new();
        write_len(&mut out, 70000);
        assert_eq!(out, [0x80, 0, 1, 0x11, 0x70]);
    }

    #[test]
    fn integers_are_stored_in_the_smallest_form() {
        assert_eq!(round(b"-5", true), [0xC0, 0xFB]);
        assert_eq!(round(b"300", true), [0xC1, 0x2C, 0x01]);
        assert_eq!(round(b"70000", true), [0xC2, 0x70, 0x11, 1, 0]);
        assert_eq!(
            round(b"4294967296", true),
            [10, b'4', b'2', b'9', b'4', b'9', b'6', b'7', b'2', b'9', b'6']
        );
        assert_eq!(round(b"007", true), [3, b'0', b'0', b'7']);
        for s in [&b"-5"[..], b"300", b"70000", b"-2147483648"] {
            assert_eq!(Reader::new(&round(s, true)).string().as_deref(), Ok(s));
        }
    }

    #[test]
    fn long_compressible_strings_are_lzf() {
        let s = b"x".repeat(100);
        let enc = round(&s, true);
        assert_eq!(enc[0], 0xC3);
        assert_eq!(Reader::new(&enc).string(), Ok(s.clone()));
        assert_eq!(round(&s, false)[0], 64);
    }

    #[test]
    fn a_truncated_string_is_an_error() {
        assert!(Reader::new(&[5, b'a']).string().is_err());
        assert!(Reader::new(&[0xC1, 1]).string().is_err());
        assert!(Reader::new(&[0xC7]).string().is_err());
    }
}
