//! Hashes whose fields carry deadlines, in Redis 7.4's object types (RDB version 12):
//!
//! - `HASH_LISTPACK_EX` (25): the smallest deadline (8 bytes little-endian ms), then a
//!   listpack of `field, value, deadline` triplets (deadline 0 for none, absolute ms).
//!   Its release-candidate form (23) lacks the leading smallest deadline.
//! - `HASH_METADATA` (24): the smallest deadline, a pair count, then per field a length-
//!   encoded TTL (0 for none, else `deadline - smallest + 1`), the field and the value.
//!   Its release-candidate form (22) lacks the smallest deadline and stores absolute ones.

use super::length::{write_len, write_string, Bad, Reader};
use super::listpack::{self, Writer};
use crate::types::HashValue;
use crate::util::num::parse_i64;

/// Object type of a hash with field deadlines in its hashtable form (release candidate).
pub const HASH_METADATA_PRE_GA: u8 = 22;
/// Object type of a listpack hash with field deadlines (release candidate).
pub const HASH_LISTPACK_EX_PRE_GA: u8 = 23;
/// Object type of a hash with field deadlines in its hashtable form.
pub const HASH_METADATA: u8 = 24;
/// Object type of a listpack hash with field deadlines.
pub const HASH_LISTPACK_EX: u8 = 25;
/// The RDB version these types need.
pub const VERSION: u16 = 12;
/// Latest deadline a field may have (48 bits of ms).
const MAX_DEADLINE: u64 = (1 << 48) - 1;

/// A field, its value and its deadline (0 for none).
pub type Triplet = (Vec<u8>, Vec<u8>, u64);

/// Appends `h` (which has field deadlines) as type 25 or 24.
pub fn write(out: &mut Vec<u8>, h: &HashValue, compress: bool) {
    let min = h
        .iter()
        .filter_map(|(f, _)| h.field_ttl(f))
        .min()
        .unwrap_or(0);
    let packed = h.encoding_name() != "hashtable";
    out.push(if packed {
        HASH_LISTPACK_EX
    } else {
        HASH_METADATA
    });
    out.extend_from_slice(&min.to_le_bytes());
    if packed {
        // The listpack keeps Redis's order: soonest deadline first, none last.
        let mut w = Writer::default();
        for (f, v) in h.iter() {
            w.push(f);
            w.push(v);
            w.push(h.field_ttl(f).unwrap_or(0).to_string().as_bytes());
        }
        write_string(out, &w.finish(), compress);
        return;
    }
    write_len(out, h.len() as u64);
    for (f, v) in h.iter() {
        let rel = h.field_ttl(f).map_or(0, |at| at - min + 1);
        write_len(out, rel);
        write_string(out, f, compress);
        write_string(out, v, compress);
    }
}

/// Reads the body of an object of type `t` (22 to 25).
pub fn read(r: &mut Reader<'_>, t: u8) -> Result<Vec<Triplet>, Bad> {
    let min = match t {
        HASH_METADATA | HASH_LISTPACK_EX => u64::from_le_bytes(r.array()?),
        _ => 0,
    };
    let items = match t {
        HASH_LISTPACK_EX | HASH_LISTPACK_EX_PRE_GA => triplets(listpack::parse(&r.string()?)?)?,
        _ => fields(r, t == HASH_METADATA, min)?,
    };
    if items.iter().any(|it| it.2 > MAX_DEADLINE) {
        return Err("invalid field deadline");
    }
    Ok(items)
}

fn triplets(flat: Vec<Vec<u8>>) -> Result<Vec<Triplet>, Bad> {
    if !flat.len().is_multiple_of(3) {
        return Err("hash listpack is not made of triplets");
    }
    let mut out = Vec::with_capacity(flat.len() / 3);
    let mut it = flat.into_iter();
    while let (Some(f), Some(v), Some(t)) = (it.next(), it.next(), it.next()) {
        let at = parse_i64(&t)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or("bad field deadline")?;
        out.push((f, v, at));
    }
    Ok(out)
}

fn fields(r: &mut Reader<'_>, relative: bool, min: u64) -> Result<Vec<Triplet>, Bad> {
    let n = r.count()?;
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let ttl = r.length()?;
        let at = match (ttl, relative) {
            (0, _) => 0,
            (t, true) => t.checked_add(min).map_or(u64::MAX, |s| s - 1),
            (t, false) => t,
        };
        let f = r.string()?;
        let v = r.string()?;
        out.push((f, v, at));
    }
    Ok(out)
}
