//! ZPOPMIN, ZPOPMAX, ZMPOP, their blocking forms BZPOPMIN, BZPOPMAX, BZMPOP, and
//! ZRANDMEMBER.

use super::{entries_reply, member_frame, packing, read, resp3, Packing};
use crate::commands::notify_util::notify_then_reap;
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Access, Ctx};
use crate::notify;
use crate::types::zset::Member;
use crate::util::num::parse_i64;
use bytes::Bytes;
use shoal_resp::Frame;
use std::collections::HashSet;

/// Pops up to `count` entries from one end of `key`, deleting it when emptied, and emits
/// `ZPOPMIN|ZPOPMAX key [count]` (`count_arg`) for what was taken. WRONGTYPE for
/// other types; an empty vector when the key is missing.
fn pop(
    a: &mut Access<'_>,
    key: &Bytes,
    max: bool,
    count: usize,
    count_arg: bool,
) -> Result<Vec<(Member, f64)>, CmdError> {
    let taken = a.update(
        key,
        || None,
        |v| {
            let z = v.as_zset_mut()?;
            let len = z.len();
            let n = count.min(len);
            let mut out = if max {
                z.remove_ranks(len - n, len)
            } else {
                z.remove_ranks(0, n)
            };
            if max {
                out.reverse();
            }
            Ok(out)
        },
    )?;
    let taken = taken.unwrap_or_default();
    if !taken.is_empty() {
        let event = if max { "zpopmax" } else { "zpopmin" };
        notify_then_reap(a, notify::ZSET, event, key);
        let name: &'static [u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        a.emit_with(|| {
            let mut effect = vec![Bytes::from_static(name), key.clone()];
            if count_arg {
                effect.push(Bytes::from(taken.len().to_string()));
            }
            effect
        });
    }
    Ok(taken)
}

/// A pop count argument: `ERR value is out of range, must be positive` unless >= 0.
fn positive_count(arg: &[u8], msg: &'static str, zero_ok: bool) -> Result<usize, CmdError> {
    parse_i64(arg)
        .filter(|&n| n > 0 || (zero_ok && n == 0))
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        .ok_or(CmdError::Msg(msg))
}

/// ZPOPMIN and ZPOPMAX: `key [count]`.
fn zpop(ctx: &mut Ctx<'_>, max: bool) -> CmdResult {
    let key = ctx.args.key()?;
    let count = match ctx.args.next_arg() {
        Some(c) => Some(positive_count(
            &c,
            "value is out of range, must be positive",
            true,
        )?),
        None => None,
    };
    ctx.args.finish()?;
    let resp3 = resp3(ctx);
    let packing = packing(ctx);
    let mut a = ctx.lock1(&key);
    let taken = pop(&mut a, &key, max, count.unwrap_or(1), count.is_some())?;
    // A single pop stays flat in RESP3 too; a counted one nests pairs there.
    Ok(entries_reply(
        &taken,
        true,
        resp3 && count.is_some(),
        packing,
    ))
}

/// `ZPOPMIN key [count]`.
pub(super) fn zpopmin(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop(ctx, false)
}

/// `ZPOPMAX key [count]`.
pub(super) fn zpopmax(ctx: &mut Ctx<'_>) -> CmdResult {
    zpop(ctx, true)
}

/// BZPOPMIN and BZPOPMAX: `key [key ...] timeout`; `[key, member, score]` from the first
/// non-empty key, else block. Replicates as `ZPOPMIN|ZPOPMAX key`.
fn bzpop(ctx: &mut Ctx<'_>, max: bool) -> CmdResult {
    let mut keys = ctx.args.rest();
    let timeout = keys.pop().ok_or(CmdError::Syntax)?;
    let mut t = crate::exec::Args::new(vec![timeout], 0);
    let deadline_ms = t.block_timeout(ctx.now_ms)?;
    let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
    let mut a = ctx.lock(&refs);
    for key in &keys {
        let taken = pop(&mut a, key, max, 1, false)?;
        if let Some((m, s)) = taken.first() {
            return Ok(Frame::Array(vec![
                Frame::Bulk(key.clone()),
                member_frame(m),
                Frame::Double(*s),
            ]));
        }
    }
    Err(CmdError::Block {
        keys,
        deadline_ms,
        on_timeout: Frame::NullArray,
    })
}

/// `BZPOPMIN key [key ...] timeout`.
pub(super) fn bzpopmin(ctx: &mut Ctx<'_>) -> CmdResult {
    bzpop(ctx, false)
}

/// `BZPOPMAX key [key ...] timeout`.
pub(super) fn bzpopmax(ctx: &mut Ctx<'_>) -> CmdResult {
    bzpop(ctx, true)
}

/// ZMPOP's arguments after the timeout: `numkeys key [key ...] MIN|MAX [COUNT count]`.
fn parse_mpop(ctx: &mut Ctx<'_>) -> Result<(Vec<Bytes>, bool, usize), CmdError> {
    let numkeys = ctx.args.bytes()?;
    let numkeys = positive_count(&numkeys, "numkeys should be greater than 0", false)?;
    if numkeys > ctx.args.remaining() {
        return Err(CmdError::Syntax);
    }
    let keys: Vec<Bytes> = (0..numkeys).filter_map(|_| ctx.args.next_arg()).collect();
    let max = match ctx.args.next_arg() {
        Some(w) if is_word(&w, "MIN") => false,
        Some(w) if is_word(&w, "MAX") => true,
        _ => return Err(CmdError::Syntax),
    };
    let mut count = 1;
    if ctx.args.eat("COUNT") {
        let c = ctx.args.bytes()?;
        count = positive_count(&c, "count should be greater than 0", false)?;
    }
    ctx.args.finish()?;
    Ok((keys, max, count))
}

/// ZMPOP and BZMPOP: `[key, [[member, score], ...]]` from the first non-empty key, or
/// None. Replicates as `ZPOPMIN|ZPOPMAX key count`.
fn mpop(ctx: &Ctx<'_>, keys: &[Bytes], max: bool, count: usize) -> Result<Option<Frame>, CmdError> {
    let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
    let mut a = ctx.lock(&refs);
    for key in keys {
        let taken = pop(&mut a, key, max, count, true)?;
        if !taken.is_empty() {
            let pairs = entries_reply(&taken, true, true, Packing::No);
            return Ok(Some(Frame::Array(vec![Frame::Bulk(key.clone()), pairs])));
        }
    }
    Ok(None)
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`: a null array when all are empty.
pub(super) fn zmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, max, count) = parse_mpop(ctx)?;
    Ok(mpop(ctx, &keys, max, count)?.unwrap_or(Frame::NullArray))
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`.
pub(super) fn bzmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let deadline_ms = ctx.args.block_timeout(ctx.now_ms)?;
    let (keys, max, count) = parse_mpop(ctx)?;
    match mpop(ctx, &keys, max, count)? {
        Some(reply) => Ok(reply),
        None => Err(CmdError::Block {
            keys,
            deadline_ms,
            on_timeout: Frame::NullArray,
        }),
    }
}

/// `ZRANDMEMBER key [count [WITHSCORES]]`.
pub(super) fn zrandmember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let Some(count) = ctx.args.next_arg() else {
        let mut a = ctx.lock1(&key);
        let Some(z) = read(&mut a, &key)? else {
            return Ok(Frame::Null);
        };
        let r = ctx.rng().index(z.len());
        return Ok(z.at(r).map_or(Frame::Null, |(m, _)| member_frame(&m)));
    };
    let count = parse_i64(&count).ok_or(CmdError::NotInteger)?;
    let withscores = ctx.args.eat("WITHSCORES");
    ctx.args.finish()?;
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::Msg("value is out of range"));
    }
    let resp3 = resp3(ctx);
    let mut a = ctx.lock1(&key);
    let Some(z) = read(&mut a, &key)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let len = z.len();
    let rng = &mut ctx.session.rng;
    let picked: Vec<(Member, f64)> = if count < 0 {
        let n = count.unsigned_abs() as usize;
        (0..n).filter_map(|_| z.at(rng.index(len))).collect()
    } else if count as usize >= len {
        z.entries()
    } else if (count as usize) * 3 > len {
        let mut all = z.entries();
        while all.len() > count as usize {
            let i = rng.index(all.len());
            all.swap_remove(i);
        }
        all
    } else {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(count as usize);
        while out.len() < count as usize {
            let r = rng.index(len);
            if seen.insert(r) {
                out.extend(z.at(r));
            }
        }
        out
    };
    Ok(entries_reply(&picked, withscores, resp3, packing(ctx)))
}
