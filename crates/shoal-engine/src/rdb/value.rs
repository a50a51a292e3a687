//! Values as RDB objects: a type byte, then the body. [`write_value`] writes what Redis 7.0
//! writes (RDB version 10); `read_value` (in `load.rs`) also reads the older forms.

use super::hash_ttl;
use super::legacy::write_intset;
use super::length::{write_len, write_string};
use super::listpack::{self, Writer};
use crate::types::list::Fill;
use crate::types::{HashValue, ListValue, SetValue, Value, ZSetValue};
use crate::util::num::parse_i64;
use shoal_resp::format_double;

/// RDB object type bytes.
pub mod kind {
    /// A string.
    pub const STRING: u8 = 0;
    /// A list as a count and strings (before Redis 3.2).
    pub const LIST: u8 = 1;
    /// A set as a count and strings.
    pub const SET: u8 = 2;
    /// A sorted set with scores as text (before Redis 3.2).
    pub const ZSET: u8 = 3;
    /// A hash as a count and field/value strings.
    pub const HASH: u8 = 4;
    /// A sorted set with binary scores.
    pub const ZSET_2: u8 = 5;
    /// A hash as a zipmap (before Redis 2.6).
    pub const HASH_ZIPMAP: u8 = 9;
    /// A list as one ziplist (before Redis 3.2).
    pub const LIST_ZIPLIST: u8 = 10;
    /// An integer set as an intset.
    pub const SET_INTSET: u8 = 11;
    /// A sorted set as a ziplist (before Redis 7.0).
    pub const ZSET_ZIPLIST: u8 = 12;
    /// A hash as a ziplist (before Redis 7.0).
    pub const HASH_ZIPLIST: u8 = 13;
    /// A list as ziplist nodes (Redis 3.2 to 6.2).
    pub const LIST_QUICKLIST: u8 = 14;
    /// A hash as a listpack.
    pub const HASH_LISTPACK: u8 = 16;
    /// A sorted set as a listpack.
    pub const ZSET_LISTPACK: u8 = 17;
    /// A list as plain or listpack nodes (Redis 7.0 on).
    pub const LIST_QUICKLIST_2: u8 = 18;
    /// A set as a listpack (Redis 7.2 on, RDB 11).
    pub const SET_LISTPACK: u8 = 20;
    /// First of the hash-with-field-TTL types of Redis 7.4 (22 to 25).
    pub const HASH_TTL_FIRST: u8 = 22;
    /// Last of the hash-with-field-TTL types of Redis 7.4.
    pub const HASH_TTL_LAST: u8 = 25;
}

/// A quicklist node holding one large element.
pub const NODE_PLAIN: u64 = 1;
/// A quicklist node holding a listpack.
pub const NODE_PACKED: u64 = 2;

/// Appends the RDB object (type byte and body) of `v`, and answers the RDB version it needs
/// (10, or 12 for a hash with field deadlines). Strings longer than 20 bytes are
/// LZF-compressed when `compress` and worthwhile; list nodes are cut at `fill`.
pub fn write_value(out: &mut Vec<u8>, v: &Value, compress: bool, fill: Fill) -> u16 {
    match v {
        Value::Str(s) => {
            out.push(kind::STRING);
            write_string(out, &s.as_bytes(), compress);
        }
        Value::List(l) => write_list(out, l, compress, fill),
        Value::Set(s) => write_set(out, s, compress),
        Value::Hash(h) if h.volatile_len() > 0 => {
            hash_ttl::write(out, h, compress);
            return hash_ttl::VERSION;
        }
        Value::Hash(h) => write_hash(out, h, compress),
        Value::ZSet(z) => write_zset(out, z, compress),
    }
    super::DUMP_VERSION
}

fn write_list(out: &mut Vec<u8>, l: &ListValue, compress: bool, fill: Fill) {
    let mut nodes: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut node = Writer::default();
    for e in l.iter(0, false) {
        let s = e.to_bytes();
        if fill.is_large(s.len()) {
            if !node.is_empty() {
                nodes.push((NODE_PACKED, std::mem::take(&mut node).finish()));
            }
            nodes.push((NODE_PLAIN, s.to_vec()));
            continue;
        }
        if !node.is_empty() && fill.exceeds(node.bytes() + listpack::entry_size(&s), node.len() + 1)
        {
            nodes.push((NODE_PACKED, std::mem::take(&mut node).finish()));
        }
        node.push(&s);
    }
    if !node.is_empty() {
        nodes.push((NODE_PACKED, node.finish()));
    }
    out.push(kind::LIST_QUICKLIST_2);
    write_len(out, nodes.len() as u64);
    for (container, blob) in nodes {
        write_len(out, container);
        write_string(out, &blob, compress);
    }
}

fn write_set(out: &mut Vec<u8>, s: &SetValue, compress: bool) {
    if s.encoding_name() == "intset" {
        let mut vals = Vec::with_capacity(s.len());
        s.for_each(|m| vals.extend(parse_i64(m)));
        out.push(kind::SET_INTSET);
        write_string(out, &write_intset(vals), compress);
        return;
    }
    out.push(kind::SET);
    write_len(out, s.len() as u64);
    s.for_each(|m| write_string(out, m, compress));
}

fn write_hash(out: &mut Vec<u8>, h: &HashValue, compress: bool) {
    if h.encoding_name() != "hashtable" {
        let mut w = Writer::default();
        for (f, v) in h.iter() {
            w.push(f);
            w.push(v);
        }
        out.push(kind::HASH_LISTPACK);
        write_string(out, &w.finish(), compress);
        return;
    }
    out.push(kind::HASH);
    write_len(out, h.len() as u64);
    for (f, v) in h.iter() {
        write_string(out, f, compress);
        write_string(out, v, compress);
    }
}

fn write_zset(out: &mut Vec<u8>, z: &ZSetValue, compress: bool) {
    let entries = z.entries();
    if z.encoding_name() == "listpack" {
        let mut w = Writer::default();
        for (m, s) in &entries {
            w.push(m);
            w.push(format_double(*s).as_bytes());
        }
        out.push(kind::ZSET_LISTPACK);
        write_string(out, &w.finish(), compress);
        return;
    }
    out.push(kind::ZSET_2);
    write_len(out, entries.len() as u64);
    // Highest first, as Redis writes it, so a loader can prepend cheaply.
    for (m, s) in entries.iter().rev() {
        write_string(out, m, compress);
        out.extend_from_slice(&s.to_le_bytes());
    }
}
