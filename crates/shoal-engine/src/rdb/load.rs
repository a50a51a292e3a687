//! Reading RDB objects back into values, in every form Redis writes or wrote. A loaded
//! value takes Shoal's encodings by the configured thresholds, as if built by commands.

use super::hash_ttl::{self, Triplet};
use super::legacy::{self, Pair};
use super::length::{Bad, Reader};
use super::listpack;
use super::value::{kind, NODE_PACKED, NODE_PLAIN};
use crate::types::list::{End, Fill};
use crate::types::{hash, set, zset};
use crate::types::{HashValue, ListValue, SetValue, StrValue, Value, ZSetValue};
use crate::util::num::parse_f64;

/// The encoding thresholds a loaded value is built under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `list-max-listpack-size`.
    pub list: Fill,
    /// `hash-max-listpack-*`.
    pub hash: hash::Limits,
    /// `set-max-*`.
    pub set: set::Limits,
    /// `zset-max-listpack-*`.
    pub zset: zset::Limits,
}

impl Limits {
    /// The thresholds as `config` has them now.
    pub fn configured(config: &crate::config::Config) -> Limits {
        let get = |name: &str| usize::try_from(config.get_i64(name)).unwrap_or(0);
        Limits {
            list: Fill(config.get_i64("list-max-listpack-size")),
            hash: hash::Limits {
                entries: get("hash-max-listpack-entries"),
                value: get("hash-max-listpack-value"),
            },
            set: set::Limits {
                intset_entries: get("set-max-intset-entries"),
                listpack_entries: get("set-max-listpack-entries"),
                listpack_value: get("set-max-listpack-value"),
            },
            zset: zset::Limits {
                entries: get("zset-max-listpack-entries"),
                value: get("zset-max-listpack-value"),
            },
        }
    }
}

impl Default for Limits {
    /// Redis's defaults.
    fn default() -> Limits {
        Limits {
            list: Fill(-2),
            hash: hash::Limits {
                entries: 128,
                value: 64,
            },
            set: set::Limits::default(),
            zset: zset::Limits::default(),
        }
    }
}

const EMPTY: Bad = "empty keys are not allowed";
const DUPLICATE: Bad = "duplicate member";
const ODD: Bad = "odd number of elements in a pair list";
const BAD_SCORE: Bad = "bad score";

/// Reads one RDB object (type byte and body).
pub fn read_value(r: &mut Reader<'_>, lim: &Limits) -> Result<Value, Bad> {
    let t = r.byte()?;
    read_body(r, t, lim)
}

/// Reads the body of an RDB object whose type byte `t` was already read (in a snapshot
/// file the key sits between the two).
pub fn read_body(r: &mut Reader<'_>, t: u8, lim: &Limits) -> Result<Value, Bad> {
    let v = match t {
        kind::STRING => Value::Str(StrValue::from_bytes(&r.string()?)),
        kind::LIST => build_list(strings(r)?, lim.list),
        kind::LIST_ZIPLIST => build_list(legacy::ziplist(&r.string()?)?, lim.list),
        kind::LIST_QUICKLIST => build_list(quicklist(r, false)?, lim.list),
        kind::LIST_QUICKLIST_2 => build_list(quicklist(r, true)?, lim.list),
        kind::SET => build_set(strings(r)?, &lim.set, SetForm::Plain)?,
        kind::SET_LISTPACK => {
            build_set(listpack::parse(&r.string()?)?, &lim.set, SetForm::Listpack)?
        }
        kind::SET_INTSET => {
            let ints = legacy::intset(&r.string()?)?;
            let members = ints.iter().map(|v| v.to_string().into_bytes()).collect();
            build_set(members, &lim.set, SetForm::Intset)?
        }
        kind::HASH => build_hash(pairs(strings_n(r, 2)?)?, lim.hash)?,
        kind::HASH_ZIPMAP => build_hash(legacy::zipmap(&r.string()?)?, lim.hash)?,
        kind::HASH_ZIPLIST => build_hash(pairs(legacy::ziplist(&r.string()?)?)?, lim.hash)?,
        kind::HASH_LISTPACK => build_hash(pairs(listpack::parse(&r.string()?)?)?, lim.hash)?,
        kind::ZSET | kind::ZSET_2 => build_zset(zset_entries(r, t == kind::ZSET_2)?, lim.zset)?,
        kind::ZSET_ZIPLIST => build_zset(scored(legacy::ziplist(&r.string()?)?)?, lim.zset)?,
        kind::ZSET_LISTPACK => build_zset(scored(listpack::parse(&r.string()?)?)?, lim.zset)?,
        kind::HASH_TTL_FIRST..=kind::HASH_TTL_LAST => {
            build_hash_ttl(hash_ttl::read(r, t)?, lim.hash)?
        }
        _ => return Err("unsupported object type"),
    };
    if v.is_empty_collection() {
        return Err(EMPTY);
    }
    Ok(v)
}

/// A count, then that many strings.
fn strings(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, Bad> {
    strings_n(r, 1)
}

/// A count, then `per` strings per counted item.
fn strings_n(r: &mut Reader<'_>, per: usize) -> Result<Vec<Vec<u8>>, Bad> {
    let n = r.count()?.checked_mul(per).ok_or(EMPTY)?;
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        out.push(r.string()?);
    }
    Ok(out)
}

/// The elements of a quicklist's nodes: ziplists (`v2` false) or containers of plain
/// elements and listpacks.
fn quicklist(r: &mut Reader<'_>, v2: bool) -> Result<Vec<Vec<u8>>, Bad> {
    let nodes = r.count()?;
    let mut items = Vec::new();
    for _ in 0..nodes {
        let container = if v2 { r.length()? } else { NODE_PACKED };
        let blob = r.string()?;
        if blob.is_empty() {
            return Err("empty quicklist node");
        }
        match container {
            NODE_PLAIN => items.push(blob),
            NODE_PACKED if v2 => items.extend(listpack::parse(&blob)?),
            NODE_PACKED => items.extend(legacy::ziplist(&blob)?),
            _ => return Err("unknown quicklist container"),
        }
    }
    Ok(items)
}

/// Pairs from a flat list.
fn pairs(flat: Vec<Vec<u8>>) -> Result<Vec<Pair>, Bad> {
    if !flat.len().is_multiple_of(2) {
        return Err(ODD);
    }
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        out.push((a, b));
    }
    Ok(out)
}

/// (member, score) from a flat member/score-text list.
fn scored(flat: Vec<Vec<u8>>) -> Result<Vec<(Vec<u8>, f64)>, Bad> {
    pairs(flat)?
        .into_iter()
        .map(|(m, s)| Ok((m, parse_f64(&s).ok_or(BAD_SCORE)?)))
        .collect()
}

/// The entries of a ZSET (scores as text) or ZSET_2 (binary scores) body.
fn zset_entries(r: &mut Reader<'_>, binary: bool) -> Result<Vec<(Vec<u8>, f64)>, Bad> {
    let n = r.count()?;
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let m = r.string()?;
        let s = if binary {
            f64::from_le_bytes(r.array()?)
        } else {
            text_double(r)?
        };
        if s.is_nan() {
            return Err(BAD_SCORE);
        }
        out.push((m, s));
    }
    Ok(out)
}

/// A double written as text: a length byte (253 NaN, 254 +inf, 255 -inf), then the text.
fn text_double(r: &mut Reader<'_>) -> Result<f64, Bad> {
    match r.byte()? {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        n => std::str::from_utf8(r.take(n as usize)?)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or(BAD_SCORE),
    }
}

fn build_list(items: Vec<Vec<u8>>, fill: Fill) -> Value {
    let mut l = ListValue::default();
    for s in items {
        l.grow_check(s.len(), 1, fill);
        l.push(End::Back, &s);
    }
    Value::List(Box::new(l))
}

/// The RDB form a set came in, which decides its starting encoding as in Redis.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetForm {
    Plain,
    Intset,
    Listpack,
}

fn build_set(items: Vec<Vec<u8>>, lim: &set::Limits, form: SetForm) -> Result<Value, Bad> {
    let Some(first) = items.first() else {
        return Err(EMPTY);
    };
    let n = items.len();
    let table = set::Limits {
        listpack_entries: 0,
        intset_entries: 0,
        ..*lim
    };
    let mut s = match form {
        SetForm::Intset if n > lim.intset_entries => SetValue::new_for(first, n, &table),
        SetForm::Listpack if n > lim.listpack_entries => SetValue::new_for(first, n, &table),
        SetForm::Listpack => SetValue::empty_listpack(),
        _ => SetValue::new_for(first, n, lim),
    };
    for m in &items {
        if !s.insert(m, lim) {
            return Err(DUPLICATE);
        }
    }
    Ok(Value::Set(Box::new(s)))
}

fn build_hash(pairs: Vec<Pair>, lim: hash::Limits) -> Result<Value, Bad> {
    let mut h = HashValue::default();
    h.prepare(pairs.len(), std::iter::empty(), lim);
    for (f, v) in &pairs {
        if !h.insert(f, v, false, lim) {
            return Err(DUPLICATE);
        }
    }
    Ok(Value::Hash(Box::new(h)))
}

fn build_hash_ttl(items: Vec<Triplet>, lim: hash::Limits) -> Result<Value, Bad> {
    let pairs = items
        .iter()
        .map(|(f, v, _)| (f.clone(), v.clone()))
        .collect();
    let mut v = build_hash(pairs, lim)?;
    if let Value::Hash(h) = &mut v {
        for (f, _, at) in items.iter().filter(|it| it.2 != 0) {
            h.set_field_ttl(f, *at);
        }
    }
    Ok(v)
}

fn build_zset(entries: Vec<(Vec<u8>, f64)>, lim: zset::Limits) -> Result<Value, Bad> {
    let mut z = ZSetValue::default();
    for (m, s) in &entries {
        if z.insert(m, *s, lim).is_some() {
            return Err(DUPLICATE);
        }
    }
    Ok(Value::ZSet(Box::new(z)))
}
