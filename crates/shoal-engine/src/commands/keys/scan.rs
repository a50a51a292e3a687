//! KEYS, SCAN and RANDOMKEY: the commands that walk the whole keyspace.
//!
//! A SCAN cursor names a shard and a position in that shard's table:
//!
//! ```text
//!   cursor = bucket_cursor << SHARD_BITS | shard
//! ```
//!
//! Shards are walked in ascending order, each with its table's reverse-binary cursor, so a
//! full iteration returns every key that was present from its start to its end, however the
//! tables grow or shrink between calls.

use crate::commands::reply::bulk_array;
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx};
use crate::keyspace::SHARDS;
use crate::types::ValueType;
use crate::util::glob::glob_match;
use bytes::Bytes;
use shoal_resp::Frame;

const SHARD_BITS: u32 = SHARDS.trailing_zeros();
const SHARD_MASK: u64 = SHARDS as u64 - 1;

/// `KEYS pattern`: every live key matching the glob pattern.
pub(super) fn keys(ctx: &mut Ctx<'_>) -> CmdResult {
    let pattern = ctx.args.bytes()?;
    let everything = pattern.as_ref() == b"*";
    let now = ctx.now_ms;
    let wire = ctx.session.wire;
    let mut a = ctx.lock_all();
    let mut names = Vec::new();
    for db in a.dbs_mut() {
        for e in db.dict.iter() {
            let live = db.expire_of(e).is_none_or(|at| at >= now);
            if live && (everything || glob_match(&pattern, e.key.as_slice(), false)) {
                names.push(e.key.as_slice());
            }
        }
    }
    Ok(bulk_array(wire, names.into_iter()))
}

/// Parses a cursor as Redis does: decimal digits with an optional sign, within 64 bits;
/// a negative value wraps around.
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let (neg, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// SCAN's options.
struct ScanOptions {
    count: usize,
    pattern: Option<Bytes>,
    /// `Some(None)`: a TYPE no value has, which matches nothing.
    kind: Option<Option<ValueType>>,
}

fn parse_scan_options(ctx: &mut Ctx<'_>) -> Result<ScanOptions, CmdError> {
    let mut o = ScanOptions {
        count: 10,
        pattern: None,
        kind: None,
    };
    while let Some(w) = ctx.args.next_arg() {
        if ctx.args.remaining() == 0 {
            return Err(CmdError::Syntax);
        }
        if is_word(&w, "COUNT") {
            let n = ctx.args.int()?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if is_word(&w, "MATCH") {
            let p = ctx.args.bytes()?;
            o.pattern = (p.as_ref() != b"*").then_some(p);
        } else if is_word(&w, "TYPE") {
            o.kind = Some(ValueType::from_name(&ctx.args.bytes()?));
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// Visits buckets of one shard from `cursor` until enough keys are found, the budget is
/// spent or the shard is done. Returns the shard's next bucket cursor (0 when done).
fn scan_shard(
    ctx: &Ctx<'_>,
    shard: usize,
    mut cursor: u64,
    o: &ScanOptions,
    budget: &mut usize,
    out: &mut Vec<Frame>,
) -> u64 {
    let now = ctx.now_ms;
    let mut a = ctx.lock_shard(shard);
    let mut found: Vec<(Vec<u8>, bool)> = Vec::new();
    if let Some(db) = a.single_db() {
        if db.len() == 0 {
            return 0;
        }
        loop {
            cursor = db.dict.scan(cursor, |e| {
                let key = e.key.as_slice();
                let type_ok = o.kind.is_none_or(|k| k == Some(e.value.value_type()));
                let name_ok = o.pattern.as_ref().is_none_or(|p| glob_match(p, key, false));
                if type_ok && name_ok {
                    let expired = db.expire_of(e).is_some_and(|at| at < now);
                    found.push((key.to_vec(), expired));
                }
            });
            *budget = budget.saturating_sub(1);
            if cursor == 0 || *budget == 0 || out.len() + found.len() >= o.count {
                break;
            }
        }
    }
    for (key, expired) in found {
        if expired {
            a.expire_if_needed(&key);
        } else {
            out.push(Frame::Bulk(Bytes::from(key)));
        }
    }
    cursor
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`: `[next-cursor, [keys]]`.
pub(super) fn scan(ctx: &mut Ctx<'_>) -> CmdResult {
    let arg = ctx.args.bytes()?;
    let cursor = parse_cursor(&arg).ok_or(CmdError::Msg("invalid cursor"))?;
    let o = parse_scan_options(ctx)?;
    let mut shard = (cursor & SHARD_MASK) as usize;
    let mut bucket = cursor >> SHARD_BITS;
    let mut budget = o.count.saturating_mul(10);
    let mut out = Vec::new();
    let next = loop {
        bucket = scan_shard(ctx, shard, bucket, &o, &mut budget, &mut out);
        if bucket == 0 {
            shard += 1;
            if shard == SHARDS {
                break 0;
            }
        }
        if budget == 0 || out.len() >= o.count {
            break bucket << SHARD_BITS | shard as u64;
        }
    };
    Ok(Frame::Array(vec![
        Frame::bulk(next.to_string()),
        Frame::Array(out),
    ]))
}

/// `RANDOMKEY`: a live key picked at random, nil when the database is empty. Shards are
/// weighted by their key counts; expired keys met on the way are deleted.
pub(super) fn randomkey(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut a = ctx.lock_all();
    loop {
        let total = a.key_count();
        if total == 0 {
            return Ok(Frame::Null);
        }
        let mut pick = ctx.rng().index(total);
        let mut key = None;
        for db in a.dbs_mut() {
            if pick < db.len() {
                key = db.dict.random(ctx.rng()).map(|e| e.key.as_slice().to_vec());
                break;
            }
            pick -= db.len();
        }
        let Some(key) = key else {
            return Ok(Frame::Null);
        };
        if !a.expire_if_needed(&key) {
            return Ok(Frame::Bulk(Bytes::from(key)));
        }
    }
}
