//! SRANDMEMBER and SPOP: random members, with or without a count.

use super::{array_reply, effect, limits, set_reply};
use crate::commands::notify_util::notify_then_reap;
use crate::error::{CmdError, CmdResult};
use crate::exec::{Access, Ctx};
use crate::notify;
use crate::types::set::Limits;
use crate::types::{SetValue, Value};
use crate::util::num::parse_i64;
use crate::util::rng::Rng;
use bytes::Bytes;
use shoal_resp::Frame;
use std::collections::HashSet;

/// SPOP replicates as SREM commands of at most this many members each.
const SREM_BATCH: usize = 1024;

/// The optional count argument of SRANDMEMBER and SPOP; more arguments are a syntax error.
fn count_arg(ctx: &mut Ctx<'_>) -> Result<Option<Bytes>, CmdError> {
    match ctx.args.remaining() {
        0 => Ok(None),
        1 => ctx.args.bytes().map(Some),
        _ => Err(CmdError::Syntax),
    }
}

/// `SRANDMEMBER key [count]`: one random member (or nil); with a count, that many distinct
/// members (all of them at most), or with a negative count that many draws with repeats.
pub(super) fn srandmember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let count = match count_arg(ctx)? {
        None => None,
        Some(arg) => match parse_i64(&arg) {
            None => return Err(CmdError::NotInteger),
            Some(i64::MIN) => {
                return Err(CmdError::Msg(
                    "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                ))
            }
            Some(n) => Some(n),
        },
    };
    let mut a = ctx.lock1(&key);
    let rng = ctx.rng();
    let Some(v) = a.get_value(&key) else {
        return Ok(match count {
            None => Frame::Null,
            Some(_) => Frame::Array(Vec::new()),
        });
    };
    let s = v.as_set()?;
    let Some(n) = count else {
        return Ok(s.random(rng).map_or(Frame::Null, Frame::Bulk));
    };
    let wanted = n.unsigned_abs();
    let picks = if n < 0 {
        (0..wanted).filter_map(|_| s.random(rng)).collect()
    } else {
        distinct_sample(s, usize::try_from(wanted).unwrap_or(usize::MAX), rng)
    };
    Ok(array_reply(picks))
}

/// `count` distinct random members of `s` (every member when it has no more).
fn distinct_sample(s: &SetValue, count: usize, rng: &mut Rng) -> Vec<Bytes> {
    let size = s.len();
    if count >= size {
        return s.members();
    }
    if count.saturating_mul(3) > size {
        // Close to the whole set: start from everything and drop random members.
        let mut all = s.members();
        while all.len() > count {
            let i = rng.index(all.len());
            all.swap_remove(i);
        }
        return all;
    }
    let mut seen = HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        if let Some(m) = s.random(rng) {
            if seen.insert(m.clone()) {
                out.push(m);
            }
        }
    }
    out
}

/// `SPOP key [count]`: removes and answers one random member (or nil); with a count, a set
/// of that many distinct members (all of them at most). Replicates as `SREM key members...`
/// of what it took, or `DEL key` when it took everything.
pub(super) fn spop(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let Some(arg) = count_arg(ctx)? else {
        return spop_one(ctx, key);
    };
    let count = parse_i64(&arg)
        .filter(|n| *n >= 0)
        .ok_or(CmdError::Msg("value is out of range, must be positive"))?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let lim = limits(ctx);
    let mut a = ctx.lock1(&key);
    let size = match a.get_for_write(&key) {
        None => return Ok(Frame::Set(Vec::new())),
        Some(e) => e.value.as_set()?.len(),
    };
    if count == 0 {
        return Ok(Frame::Set(Vec::new()));
    }
    if count >= size {
        // Answered as Redis does, through a union of the one set (which orders the
        // integers of a listpack first, ascending).
        let mut all = SetValue::default();
        if let Some((Value::Set(s), _)) = a.remove(&key) {
            s.for_each(|m| {
                all.insert(m, &lim);
            });
        }
        let members = all.members();
        a.notify(notify::SET, "spop", &key);
        a.notify(notify::GENERIC, "del", &key);
        a.emit(effect("DEL", [key]));
        return Ok(set_reply(members));
    }
    let rng = ctx.rng();
    let taken = a
        .update(
            &key,
            || None,
            |v| Ok(pop_many(v.as_set_mut()?, count, &lim, rng)),
        )?
        .unwrap_or_default();
    a.notify(notify::SET, "spop", &key);
    emit_srem_batches(&mut a, &key, &taken);
    Ok(set_reply(taken))
}

/// SPOP without a count.
fn spop_one(ctx: &mut Ctx<'_>, key: Bytes) -> CmdResult {
    let mut a = ctx.lock1(&key);
    let rng = ctx.rng();
    let popped = a.update(&key, || None, |v| Ok(v.as_set_mut()?.pop_random(rng)))?;
    match popped.flatten() {
        Some(m) => {
            notify_then_reap(&mut a, notify::SET, "spop", &key);
            a.emit_with(|| effect("SREM", [key, m.clone()]));
            Ok(Frame::Bulk(m))
        }
        None => Ok(Frame::Null),
    }
}

/// Takes `count` (< size) random members out of `s`. When most of the set goes, the members
/// that stay are drawn instead and moved into a fresh set, as Redis does (a hashtable may
/// then come back as a listpack).
fn pop_many(s: &mut SetValue, count: usize, lim: &Limits, rng: &mut Rng) -> Vec<Bytes> {
    let remaining = s.len() - count;
    if remaining.saturating_mul(5) > count {
        return (0..count).filter_map(|_| s.pop_random(rng)).collect();
    }
    let mut kept = if s.encoding_name() == "intset" {
        SetValue::default()
    } else {
        SetValue::empty_listpack()
    };
    for _ in 0..remaining {
        if let Some(m) = s.pop_random(rng) {
            kept.insert(&m, lim);
        }
    }
    let taken = s.members();
    *s = kept;
    taken
}

/// Emits `SREM key ...` for `members`, in batches.
fn emit_srem_batches(a: &mut Access<'_>, key: &Bytes, members: &[Bytes]) {
    for chunk in members.chunks(SREM_BATCH) {
        a.emit(effect(
            "SREM",
            std::iter::once(key.clone()).chain(chunk.iter().cloned()),
        ));
    }
}
