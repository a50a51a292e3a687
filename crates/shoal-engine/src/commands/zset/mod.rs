//! Sorted-set commands.
//!
//! - `add.rs`: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZCOUNT, ZLEXCOUNT, ZRANK,
//!   ZREVRANK.
//! - `range.rs`: the ZRANGE family, ZRANGESTORE and ZREMRANGEBY{RANK,SCORE,LEX}.
//! - `pop.rs`: ZPOPMIN/ZPOPMAX, ZMPOP, their blocking forms, ZRANDMEMBER.
//! - `store.rs`: ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD.
//! - `scan.rs`: ZSCAN.
//! - `decl.rs`: the declarations.
//!
//! Handlers parse everything before locking, then read or write through
//! [`crate::exec::Access`]; writes emit a deterministic replication form of what they did.

mod add;
mod decl;
mod pop;
mod range;
mod scan;
mod store;

#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod tests_add;
#[cfg(test)]
mod tests_pop;
#[cfg(test)]
mod tests_range;
#[cfg(test)]
mod tests_store;

pub use decl::COMMANDS;

use super::knob::Knob;
use super::reply::{bulk_array, wire_resp2, writer};
use crate::error::CmdError;
use crate::exec::{Access, Ctx};
use crate::notify;
use crate::types::zset::{Limits, Member};
use crate::types::{Value, ZSetValue};
use bytes::Bytes;
use shoal_resp::{format_double, Frame, Protocol};

/// The encoding thresholds currently configured.
fn limits(ctx: &Ctx<'_>) -> Limits {
    static ENTRIES: Knob = Knob::new("zset-max-listpack-entries");
    static VALUE: Knob = Knob::new("zset-max-listpack-value");
    let cfg = &ctx.engine().config;
    let get = |knob: &Knob| usize::try_from(knob.get(cfg)).unwrap_or(0);
    Limits {
        entries: get(&ENTRIES),
        value: get(&VALUE),
    }
}

/// True if the session speaks RESP3.
fn resp3(ctx: &Ctx<'_>) -> bool {
    ctx.session.protocol == Protocol::Resp3
}

/// A fresh empty sorted set, for [`Access::update`] to create a missing key with.
fn new_zset() -> Option<Value> {
    Some(Value::ZSet(Box::default()))
}

/// Reads `key` as a sorted set (counting a hit or miss); WRONGTYPE for other types.
fn read<'a>(a: &'a mut Access<'_>, key: &[u8]) -> Result<Option<&'a ZSetValue>, CmdError> {
    match a.get_value(key) {
        Some(v) => v.as_zset().map(Some),
        None => Ok(None),
    }
}

/// A score as effect text.
fn score_text(s: f64) -> Bytes {
    Bytes::from(format_double(s))
}

/// A member as a bulk reply.
fn member_frame(m: &Member) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(m))
}

/// How a reply of members may be built for the session: encoded at once when its replies
/// go straight to a socket (scores too when it speaks RESP2, which spells them as bulk
/// strings).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Packing {
    /// As frames.
    No,
    /// Members alone may be encoded.
    Members,
    /// Members and RESP2 scores may be encoded.
    All,
}

fn packing(ctx: &Ctx<'_>) -> Packing {
    if wire_resp2(ctx) {
        Packing::All
    } else if ctx.session.wire {
        Packing::Members
    } else {
        Packing::No
    }
}

/// Members, with their scores if asked: flat `[m, s, ...]` unless `nested` (RESP3's
/// `[[m, s], ...]`).
fn entries_reply(
    items: &[(Member, f64)],
    withscores: bool,
    nested: bool,
    packing: Packing,
) -> Frame {
    if !withscores {
        let wire = packing != Packing::No;
        return bulk_array(wire, items.iter().map(|(m, _)| &m[..]));
    }
    if packing == Packing::All && !nested {
        let mut out = writer(items.len() * 2);
        for (m, s) in items {
            out.push(m);
            out.push(format_double(*s).as_bytes());
        }
        return Frame::Bulks(out.finish());
    }
    if nested {
        let pairs = items
            .iter()
            .map(|(m, s)| Frame::Array(vec![member_frame(m), Frame::Double(*s)]))
            .collect();
        return Frame::Array(pairs);
    }
    let mut out = Vec::with_capacity(items.len() * 2);
    for (m, s) in items {
        out.push(member_frame(m));
        out.push(Frame::Double(*s));
    }
    Frame::Array(out)
}

/// Resolves Redis-style `start stop` indexes (negative from the end) against `len` into an
/// ascending rank interval `lo..hi` (empty when out of range).
fn rank_interval(start: i64, stop: i64, len: usize) -> (usize, usize) {
    let n = len as i64;
    let start = if start < 0 { (n + start).max(0) } else { start };
    let stop = if stop < 0 { n + stop } else { stop.min(n - 1) };
    if start > stop || start >= n {
        return (0, 0);
    }
    (start as usize, stop as usize + 1)
}

/// Replaces `dst` with `entries` (deleting it when there are none), publishes `event`
/// (or `del` when it only deleted) and emits the command as given; returns the number
/// stored. The STORE commands' common tail.
fn store_result(
    a: &mut Access<'_>,
    dst: &Bytes,
    entries: Vec<(Member, f64)>,
    limits: Limits,
    (event, effect): (&str, Vec<Bytes>),
) -> usize {
    let n = entries.len();
    let existed = a.exists(dst);
    if n == 0 {
        if existed {
            a.remove(dst);
            a.notify(notify::GENERIC, "del", dst);
            a.emit(vec![Bytes::from_static(b"DEL"), dst.clone()]);
        }
        return 0;
    }
    let z = ZSetValue::from_entries(entries, limits);
    a.set(dst, Value::ZSet(Box::new(z)), crate::exec::Ttl::Clear);
    a.signal_ready(dst);
    a.notify(notify::ZSET, event, dst);
    a.emit(effect);
    n
}
