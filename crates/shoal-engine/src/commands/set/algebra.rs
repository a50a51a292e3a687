//! SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF and SDIFFSTORE.
//!
//! Every key is locked at once; every key is type-checked (a missing key is an empty set)
//! before any work. The STORE forms replace the destination (dropping its TTL), delete it
//! when the result is empty, and replicate as themselves (or `DEL destination` when they
//! only deleted it).

use super::{effect, limits, lock_keys, set_reply};
use crate::error::{CmdError, CmdResult};
use crate::exec::{Access, Ctx, Ttl};
use crate::notify;
use crate::types::set::Limits;
use crate::types::{SetValue, Value};
use crate::util::num::parse_i64;
use bytes::Bytes;
use shoal_resp::Frame;

/// Which algebra a command computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// Looks every key up (expiry, statistics) and refuses a non-set; true if all exist.
fn check_sets(a: &mut Access<'_>, keys: &[Bytes]) -> Result<bool, CmdError> {
    let mut all = true;
    for k in keys {
        match a.get_value(k) {
            Some(v) => {
                v.as_set()?;
            }
            None => all = false,
        }
    }
    Ok(all)
}

/// The sets under `keys` (None for missing keys), borrowed together.
fn sets<'a>(a: &'a Access<'_>, keys: &[Bytes]) -> Vec<Option<&'a SetValue>> {
    a.peek_values(keys)
        .into_iter()
        .map(|v| v.and_then(|v| v.as_set().ok()))
        .collect()
}

/// The intersection of `keys`. The result
/// set starts as Redis's does: an intset when the smallest input is one, else a listpack.
fn intersect(a: &mut Access<'_>, keys: &[Bytes], lim: &Limits) -> CmdResultSet {
    if !check_sets(a, keys)? {
        return Ok(SetValue::default());
    }
    let mut all: Vec<&SetValue> = sets(a, keys).into_iter().flatten().collect();
    all.sort_by_key(|s| s.len());
    let Some((first, rest)) = all.split_first() else {
        return Ok(SetValue::default());
    };
    let mut out = if first.encoding_name() == "intset" {
        SetValue::default()
    } else {
        SetValue::empty_listpack()
    };
    first.for_each(|m| {
        if rest.iter().all(|s| s.contains(m)) {
            out.insert(m, lim);
        }
    });
    Ok(out)
}

type CmdResultSet = Result<SetValue, CmdError>;

/// The union or difference of `keys`, built from an empty intset as Redis does.
fn union_or_diff(a: &mut Access<'_>, keys: &[Bytes], op: Op, lim: &Limits) -> CmdResultSet {
    check_sets(a, keys)?;
    let all = sets(a, keys);
    let mut out = SetValue::default();
    match op {
        Op::Union => {
            for s in all.iter().flatten() {
                s.for_each(|m| {
                    out.insert(m, lim);
                });
            }
        }
        _ => {
            if let Some(Some(first)) = all.first() {
                diff_into(&mut out, first, &all[1..], lim);
            }
        }
    }
    Ok(out)
}

/// The difference `first - others` added into `out`. Like Redis, it either walks `first`
/// testing each member against the others, or (when that looks costlier) copies `first`
/// and then removes the others' members; the two differ only in the encoding the result
/// may end up with.
fn diff_into(out: &mut SetValue, first: &SetValue, others: &[Option<&SetValue>], lim: &Limits) {
    let present: Vec<&SetValue> = others.iter().flatten().copied().collect();
    let walk_cost = first.len() * (present.len() + 1) / 2;
    let copy_cost = first.len() + present.iter().map(|s| s.len()).sum::<usize>();
    let same = present.iter().any(|s| std::ptr::eq(*s, first));
    if same {
        return;
    }
    if walk_cost <= copy_cost {
        first.for_each(|m| {
            if !present.iter().any(|s| s.contains(m)) {
                out.insert(m, lim);
            }
        });
        return;
    }
    first.for_each(|m| {
        out.insert(m, lim);
    });
    for s in present {
        if out.is_empty() {
            break;
        }
        s.for_each(|m| {
            out.remove(m);
        });
    }
}

fn compute(a: &mut Access<'_>, keys: &[Bytes], op: Op, lim: &Limits) -> CmdResultSet {
    match op {
        Op::Inter => intersect(a, keys, lim),
        _ => union_or_diff(a, keys, op, lim),
    }
}

/// SINTER, SUNION and SDIFF: `key [key ...]`, answering a set.
fn read_form(ctx: &mut Ctx<'_>, op: Op) -> CmdResult {
    let keys = ctx.args.rest();
    let lim = limits(ctx);
    let mut a = lock_keys(ctx, &keys);
    let out = compute(&mut a, &keys, op, &lim)?;
    Ok(set_reply(out.members()))
}

/// The STORE forms: `destination key [key ...]`, answering the result's size.
fn store_form(ctx: &mut Ctx<'_>, op: Op, name: &'static str) -> CmdResult {
    let all = ctx.args.rest();
    let Some((dst, keys)) = all.split_first() else {
        return Err(CmdError::Syntax);
    };
    let lim = limits(ctx);
    let mut a = lock_keys(ctx, &all);
    let mut out = compute(&mut a, keys, op, &lim)?;
    if op == Op::Inter {
        // A stored intersection of integers becomes an intset when small enough.
        out.compact_integers(&lim);
    }
    let n = out.len();
    if n == 0 {
        if a.remove(dst).is_some() {
            a.notify(notify::GENERIC, "del", dst);
            a.emit(effect("DEL", [dst.clone()]));
        }
        return Ok(Frame::Integer(0));
    }
    a.set(dst, Value::Set(Box::new(out)), Ttl::Clear);
    let event = match op {
        Op::Inter => "sinterstore",
        Op::Union => "sunionstore",
        Op::Diff => "sdiffstore",
    };
    a.notify(notify::SET, event, dst);
    a.emit(effect(name, all.iter().cloned()));
    Ok(Frame::Integer(n as i64))
}

/// `SINTER key [key ...]`.
pub(super) fn sinter(ctx: &mut Ctx<'_>) -> CmdResult {
    read_form(ctx, Op::Inter)
}

/// `SUNION key [key ...]`.
pub(super) fn sunion(ctx: &mut Ctx<'_>) -> CmdResult {
    read_form(ctx, Op::Union)
}

/// `SDIFF key [key ...]`: members of the first set in none of the others.
pub(super) fn sdiff(ctx: &mut Ctx<'_>) -> CmdResult {
    read_form(ctx, Op::Diff)
}

/// `SINTERSTORE destination key [key ...]`.
pub(super) fn sinterstore(ctx: &mut Ctx<'_>) -> CmdResult {
    store_form(ctx, Op::Inter, "SINTERSTORE")
}

/// `SUNIONSTORE destination key [key ...]`.
pub(super) fn sunionstore(ctx: &mut Ctx<'_>) -> CmdResult {
    store_form(ctx, Op::Union, "SUNIONSTORE")
}

/// `SDIFFSTORE destination key [key ...]`.
pub(super) fn sdiffstore(ctx: &mut Ctx<'_>) -> CmdResult {
    store_form(ctx, Op::Diff, "SDIFFSTORE")
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`: the size of the intersection, counting
/// stopped at `limit` when it is not 0.
pub(super) fn sintercard(ctx: &mut Ctx<'_>) -> CmdResult {
    const NUMKEYS: CmdError = CmdError::Msg("numkeys should be greater than 0");
    let numkeys = parse_i64(&ctx.args.bytes()?)
        .filter(|n| *n > 0)
        .ok_or(NUMKEYS)?;
    if numkeys > ctx.args.remaining() as i64 {
        return Err(CmdError::Msg(
            "Number of keys can't be greater than number of args",
        ));
    }
    let keys: Vec<Bytes> = (0..numkeys).filter_map(|_| ctx.args.next_arg()).collect();
    let mut limit = 0usize;
    while let Some(opt) = ctx.args.next_arg() {
        if !opt.eq_ignore_ascii_case(b"LIMIT") || ctx.args.remaining() == 0 {
            return Err(CmdError::Syntax);
        }
        let n = parse_i64(&ctx.args.bytes()?)
            .filter(|n| *n >= 0)
            .ok_or(CmdError::Msg("LIMIT can't be negative"))?;
        limit = usize::try_from(n).unwrap_or(usize::MAX);
    }
    let mut a = lock_keys(ctx, &keys);
    let n = intersect_count(&mut a, &keys, limit)?;
    Ok(Frame::Integer(n as i64))
}

/// The intersection's size without building it.
fn intersect_count(a: &mut Access<'_>, keys: &[Bytes], limit: usize) -> Result<usize, CmdError> {
    if !check_sets(a, keys)? {
        return Ok(0);
    }
    let mut all: Vec<&SetValue> = sets(a, keys).into_iter().flatten().collect();
    all.sort_by_key(|s| s.len());
    let Some((first, rest)) = all.split_first() else {
        return Ok(0);
    };
    let mut n = 0usize;
    first.for_each(|m| {
        if (limit == 0 || n < limit) && rest.iter().all(|s| s.contains(m)) {
            n += 1;
        }
    });
    Ok(n)
}
