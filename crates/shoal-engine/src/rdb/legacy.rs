//! The older compact blobs RDB carries: ziplists (Redis < 7 lists, hashes and sorted sets),
//! zipmaps (Redis < 2.6 hashes), and intsets (still written for integer sets).
//!
//! Ziplist: `zlbytes` (u32 LE), `zltail` (u32 LE), `zllen` (u16 LE), entries, 0xFF. Each
//! entry: the previous entry's size (1 byte, or 0xFE and a u32 LE), an encoding header
//! (string lengths of 6, 14 (big-endian) or 32 (big-endian) bits; integers of 8, 16, 24, 32
//! or 64 bits little-endian; or 0..12 held in the header), then the data.
//!
//! Zipmap: a count byte, then `len key len free value <free bytes>` repeated, then 0xFF;
//! a length is one byte below 254, else 254 and a u32 LE.
//!
//! Intset: width in bytes (u32 LE: 2, 4 or 8), count (u32 LE), sorted integers LE.

use super::length::Bad;

/// A (key, value) or (field, value) pair.
pub type Pair = (Vec<u8>, Vec<u8>);

const BAD_ZL: Bad = "malformed ziplist";
const BAD_ZM: Bad = "malformed zipmap";
const BAD_IS: Bad = "malformed intset";

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The elements of a ziplist.
pub fn ziplist(zl: &[u8]) -> Result<Vec<Vec<u8>>, Bad> {
    if zl.len() < 11 || u32_at(zl, 0) != Some(zl.len() as u32) {
        return Err(BAD_ZL);
    }
    let declared = u16::from_le_bytes([zl[8], zl[9]]) as usize;
    let (mut pos, mut items) = (10, Vec::new());
    while *zl.get(pos).ok_or(BAD_ZL)? != 0xFF {
        pos += if zl[pos] < 0xFE { 1 } else { 5 };
        let (item, next) = zl_entry(zl, pos)?;
        items.push(item);
        pos = next;
    }
    if pos + 1 != zl.len() || (declared != 0xFFFF && declared != items.len()) {
        return Err(BAD_ZL);
    }
    Ok(items)
}

/// The entry whose encoding header is at `pos`, and where the next entry starts.
fn zl_entry(zl: &[u8], pos: usize) -> Result<(Vec<u8>, usize), Bad> {
    let h = *zl.get(pos).ok_or(BAD_ZL)?;
    let get = |from: usize, n: usize| zl.get(from..from + n).ok_or(BAD_ZL);
    let (len, data) = match h >> 6 {
        0 => ((h & 0x3f) as usize, pos + 1),
        1 => {
            let lo = get(pos + 1, 1)?[0] as usize;
            ((((h & 0x3f) as usize) << 8) | lo, pos + 2)
        }
        2 if h == 0x80 => {
            let b = get(pos + 1, 4)?;
            (
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize,
                pos + 5,
            )
        }
        2 => return Err(BAD_ZL),
        _ => return zl_int(zl, pos, h),
    };
    let end = data.checked_add(len).ok_or(BAD_ZL)?;
    Ok((get(data, len)?.to_vec(), end))
}

fn zl_int(zl: &[u8], pos: usize, h: u8) -> Result<(Vec<u8>, usize), Bad> {
    let d = pos + 1;
    let get = |n: usize| zl.get(d..d + n).ok_or(BAD_ZL);
    let (v, n): (i64, usize) = match h {
        0xC0 => (i16::from_le_bytes([get(2)?[0], get(2)?[1]]) as i64, 2),
        0xD0 => (
            i32::from_le_bytes(get(4)?.try_into().map_err(|_| BAD_ZL)?) as i64,
            4,
        ),
        0xE0 => (
            i64::from_le_bytes(get(8)?.try_into().map_err(|_| BAD_ZL)?),
            8,
        ),
        0xF0 => {
            let b = get(3)?;
            ((i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as i64, 3)
        }
        0xFE => (get(1)?[0] as i8 as i64, 1),
        0xF1..=0xFD => ((h & 0x0f) as i64 - 1, 0),
        _ => return Err(BAD_ZL),
    };
    Ok((itoa::Buffer::new().format(v).as_bytes().to_vec(), d + n))
}

/// The (key, value) pairs of a zipmap.
pub fn zipmap(zm: &[u8]) -> Result<Vec<Pair>, Bad> {
    let mut pos = 1;
    let mut pairs = Vec::new();
    loop {
        if *zm.get(pos).ok_or(BAD_ZM)? == 0xFF {
            break;
        }
        let (key, next) = zm_string(zm, pos, false)?;
        let (value, next) = zm_string(zm, next, true)?;
        pairs.push((key, value));
        pos = next;
    }
    if pos + 1 != zm.len() {
        return Err(BAD_ZM);
    }
    Ok(pairs)
}

/// A zipmap string at `pos` (with its free-space byte and padding if `free`).
fn zm_string(zm: &[u8], pos: usize, free: bool) -> Result<(Vec<u8>, usize), Bad> {
    let first = *zm.get(pos).ok_or(BAD_ZM)?;
    let (len, mut at) = match first {
        0..=253 => (first as usize, pos + 1),
        254 => (u32_at(zm, pos + 1).ok_or(BAD_ZM)? as usize, pos + 5),
        255 => return Err(BAD_ZM),
    };
    let mut pad = 0;
    if free {
        pad = *zm.get(at).ok_or(BAD_ZM)? as usize;
        at += 1;
    }
    let s = zm.get(at..at + len).ok_or(BAD_ZM)?.to_vec();
    let next = at + len + pad;
    if next > zm.len() {
        return Err(BAD_ZM);
    }
    Ok((s, next))
}

/// The integers of an intset, checked sorted and distinct.
pub fn intset(is: &[u8]) -> Result<Vec<i64>, Bad> {
    let width = u32_at(is, 0).ok_or(BAD_IS)? as usize;
    let count = u32_at(is, 4).ok_or(BAD_IS)? as usize;
    let size = width.checked_mul(count).and_then(|n| n.checked_add(8));
    if !matches!(width, 2 | 4 | 8) || size != Some(is.len()) {
        return Err(BAD_IS);
    }
    let vals: Vec<i64> = is[8..]
        .chunks_exact(width)
        .map(|c| match c.len() {
            2 => i16::from_le_bytes([c[0], c[1]]) as i64,
            4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        })
        .collect();
    if vals.is_empty() || vals.windows(2).any(|w| w[0] >= w[1]) {
        return Err(BAD_IS);
    }
    Ok(vals)
}

/// An intset of `vals` (sorted here), in the narrowest width holding them all.
pub fn write_intset(mut vals: Vec<i64>) -> Vec<u8> {
    vals.sort_unstable();
    let width = vals.iter().fold(2usize, |w, &v| {
        if i16::try_from(v).is_ok() {
            w
        } else if i32::try_from(v).is_ok() {
            w.max(4)
        } else {
            8
        }
    });
    let mut out = Vec::with_capacity(8 + width * vals.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(vals.len() as u32).to_le_bytes());
    for v in vals {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

#[cfg(test)]
#[path = "legacy_tests.rs"]
pub(crate) mod tests;
