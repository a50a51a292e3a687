//! The FUNCTION DUMP payload, laid out as Redis lays it out: each library as the RDB
//! function opcode (245) followed by its code as an RDB string, then the RDB version (two
//! bytes, little-endian) and a CRC64 (Jones, as Redis's) of everything before it, eight
//! bytes little-endian. Reading accepts the length encodings and LZF-compressed strings
//! Redis writes.

use crc::{Crc, CRC_64_REDIS};

/// The RDB opcode of a function library.
const OPCODE_FUNCTION2: u8 = 245;
/// The RDB version written, Redis 7.2's.
const RDB_VERSION: u16 = 11;

const CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_REDIS);

/// The payload holding `codes`.
pub(crate) fn encode(codes: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(OPCODE_FUNCTION2);
        write_len(&mut out, code.len() as u64);
        out.extend_from_slice(code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = CRC64.checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn write_len(out: &mut Vec<u8>, len: u64) {
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

/// Why a payload is refused: the text after `ERR `.
pub(crate) const BAD_PAYLOAD: &str = "DUMP payload version or checksum are wrong";

/// The library codes in a payload.
pub(crate) fn decode(payload: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    if payload.len() < 10 {
        return Err(BAD_PAYLOAD);
    }
    let (body, trailer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([trailer[0], trailer[1]]);
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&trailer[2..]);
    let with_version = &payload[..payload.len() - 8];
    if version > RDB_VERSION || CRC64.checksum(with_version) != u64::from_le_bytes(crc) {
        return Err(BAD_PAYLOAD);
    }
    let mut r = Reader { b: body, pos: 0 };
    let mut codes = Vec::new();
    while r.pos < body.len() {
        if r.byte()? != OPCODE_FUNCTION2 {
            return Err("given type is not a function");
        }
        codes.push(r.string()?);
    }
    Ok(codes)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

const TRUNCATED: &str = "payload is truncated";

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, &'static str> {
        let c = *self.b.get(self.pos).ok_or(TRUNCATED)?;
        self.pos += 1;
        Ok(c)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], &'static str> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or(TRUNCATED)?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// A length, or `Err(Ok(kind))`-like special encodings as `(true, kind)`.
    fn len(&mut self) -> Result<(bool, u64), &'static str> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => (false, (first & 0x3f) as u64),
            1 => (false, (((first & 0x3f) as u64) << 8) | self.byte()? as u64),
            2 if first == 0x80 => {
                let mut b = [0u8; 4];
                b.copy_from_slice(self.take(4)?);
                (false, u32::from_be_bytes(b) as u64)
            }
            2 if first == 0x81 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(self.take(8)?);
                (false, u64::from_be_bytes(b))
            }
            3 => (true, (first & 0x3f) as u64),
            _ => return Err(TRUNCATED),
        })
    }

    fn string(&mut self) -> Result<Vec<u8>, &'static str> {
        let (special, n) = self.len()?;
        if !special {
            return Ok(self.take(n as usize)?.to_vec());
        }
        match n {
            0 => Ok((self.byte()? as i8).to_string().into_bytes()),
            1 => {
                let b = self.take(2)?;
                Ok(i16::from_le_bytes([b[0], b[1]]).to_string().into_bytes())
            }
            2 => {
                let b = self.take(4)?;
                Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]])
                    .to_string()
                    .into_bytes())
            }
            3 => {
                let (_, clen) = self.len()?;
                let (_, ulen) = self.len()?;
                let packed = self.take(clen as usize)?;
                lzf_decompress(packed, ulen as usize)
            }
            _ => Err(TRUNCATED),
        }
    }
}

/// LZF decompression (the format Redis compresses RDB strings with).
fn lzf_decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, &'static str> {
    const BAD: &str = "bad compressed string";
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            let lit = input.get(i..i + n).ok_or(BAD)?;
            out.extend_from_slice(lit);
            i += n;
            continue;
        }
        let mut len = ctrl >> 5;
        if len == 7 {
            len += *input.get(i).ok_or(BAD)? as usize;
            i += 1;
        }
        let low = *input.get(i).ok_or(BAD)? as usize;
        i += 1;
        let back = ((ctrl & 0x1f) << 8) + low + 1;
        let start = out.len().checked_sub(back).ok_or(BAD)?;
        for k in 0..len + 2 {
            let c = out[start + k];
            out.push(c);
        }
    }
    if out.len() != out_len {
        return Err(BAD);
    }
    Ok(out)
}
