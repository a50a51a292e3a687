//! ZADD, ZINCRBY, ZREM and the point queries: ZCARD, ZSCORE, ZMSCORE, ZCOUNT, ZLEXCOUNT,
//! ZRANK, ZREVRANK.

use super::{limits, new_zset, read, score_text};
use crate::commands::notify_util::notify_then_reap;
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx};
use crate::notify;
use crate::types::zset::{LexRange, Limits, ScoreRange};
use crate::types::ZSetValue;
use crate::util::num::parse_f64;
use bytes::Bytes;
use shoal_resp::Frame;

/// `ERR resulting score is not a number (NaN)`.
pub(super) const NAN_SCORE: CmdError = CmdError::Msg("resulting score is not a number (NaN)");
/// `ERR min or max is not a float`.
pub(super) const BAD_SCORE_RANGE: CmdError = CmdError::Msg("min or max is not a float");
/// `ERR min or max not valid string range item`.
pub(super) const BAD_LEX_RANGE: CmdError = CmdError::Msg("min or max not valid string range item");

/// ZADD's flags.
#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

impl AddFlags {
    fn parse(ctx: &mut Ctx<'_>) -> AddFlags {
        let mut f = AddFlags::default();
        while let Some(w) = ctx.args.peek() {
            let slot = match w.to_ascii_uppercase().as_slice() {
                b"NX" => &mut f.nx,
                b"XX" => &mut f.xx,
                b"GT" => &mut f.gt,
                b"LT" => &mut f.lt,
                b"CH" => &mut f.ch,
                b"INCR" => &mut f.incr,
                _ => break,
            };
            *slot = true;
            ctx.args.next_arg();
        }
        f
    }
}

/// What one ZADD element did.
enum Outcome {
    Added(f64),
    Updated(f64),
    Same(f64),
    Skipped,
}

/// Applies one `score member` under the flags.
fn add_one(
    z: &mut ZSetValue,
    f: AddFlags,
    score: f64,
    member: &[u8],
    lim: Limits,
) -> Result<Outcome, CmdError> {
    let (cur, probe) = z.probe(member);
    let Some(cur) = cur else {
        if f.xx {
            return Ok(Outcome::Skipped);
        }
        z.insert_probed(member, score, lim, probe);
        return Ok(Outcome::Added(score));
    };
    if f.nx {
        return Ok(Outcome::Skipped);
    }
    let new = if f.incr { cur + score } else { score };
    if new.is_nan() {
        return Err(NAN_SCORE);
    }
    if (f.lt && new >= cur) || (f.gt && new <= cur) {
        return Ok(Outcome::Skipped);
    }
    if new == cur {
        return Ok(Outcome::Same(cur));
    }
    z.insert_probed(member, new, lim, probe);
    Ok(Outcome::Updated(new))
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`.
/// Replicates as `ZADD key score member ...` with the final scores of what changed.
pub(super) fn zadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let f = AddFlags::parse(ctx);
    let rest = ctx.args.rest();
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::Msg(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::Msg(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && rest.len() > 2 {
        return Err(CmdError::Msg(
            "INCR option supports a single increment-element pair",
        ));
    }
    let mut pairs = Vec::with_capacity(rest.len() / 2);
    for p in rest.chunks(2) {
        pairs.push((parse_f64(&p[0]).ok_or(CmdError::NotFloat)?, p[1].clone()));
    }
    let lim = limits(ctx);
    let mut a = ctx.lock1(&key);
    let create = || if f.xx { None } else { new_zset() };
    let outcomes = a.update(&key, create, |v| {
        let z = v.as_zset_mut()?;
        let mut out = Vec::with_capacity(pairs.len());
        for (score, member) in &pairs {
            out.push(add_one(z, f, *score, member, lim)?);
        }
        Ok(out)
    })?;
    let outcomes = outcomes.unwrap_or_default();
    let (mut added, mut updated, mut last) = (0, 0, None);
    for o in &outcomes {
        match *o {
            Outcome::Added(s) => {
                added += 1;
                last = Some(s);
            }
            Outcome::Updated(s) => {
                updated += 1;
                last = Some(s);
            }
            Outcome::Same(s) => last = Some(s),
            Outcome::Skipped => {}
        }
    }
    if added + updated > 0 {
        a.signal_ready(&key);
        a.notify(notify::ZSET, if f.incr { "zincr" } else { "zadd" }, &key);
        a.emit_with(|| {
            let mut effect = vec![Bytes::from_static(b"ZADD"), key.clone()];
            for (o, (_, member)) in outcomes.iter().zip(&pairs) {
                if let Outcome::Added(s) | Outcome::Updated(s) = *o {
                    effect.push(score_text(s));
                    effect.push(member.clone());
                }
            }
            effect
        });
    }
    Ok(match (f.incr, last) {
        (true, Some(s)) => Frame::Double(s),
        (true, None) => Frame::Null,
        _ => Frame::Integer(if f.ch { added + updated } else { added }),
    })
}

/// `ZINCRBY key increment member`: the new score. Replicates as itself.
pub(super) fn zincrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let incr_arg = ctx.args.bytes()?;
    let member = ctx.args.bytes()?;
    let incr = parse_f64(&incr_arg).ok_or(CmdError::NotFloat)?;
    let lim = limits(ctx);
    let mut a = ctx.lock1(&key);
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    let outcome = a.update(&key, new_zset, |v| {
        add_one(v.as_zset_mut()?, f, incr, &member, lim)
    })?;
    let score = match outcome {
        Some(Outcome::Added(s) | Outcome::Updated(s) | Outcome::Same(s)) => s,
        _ => return Ok(Frame::Null),
    };
    if matches!(outcome, Some(Outcome::Added(_) | Outcome::Updated(_))) {
        a.signal_ready(&key);
        a.notify(notify::ZSET, "zincr", &key);
        a.emit(vec![Bytes::from_static(b"ZINCRBY"), key, incr_arg, member]);
    }
    Ok(Frame::Double(score))
}

/// `ZREM key member [member ...]`: how many were removed. Replicates as `ZREM` of those.
pub(super) fn zrem(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let members = ctx.args.rest();
    let mut a = ctx.lock1(&key);
    let removed = a.update(
        &key,
        || None,
        |v| {
            let z = v.as_zset_mut()?;
            Ok(members
                .iter()
                .filter(|m| z.remove(m).is_some())
                .cloned()
                .collect::<Vec<_>>())
        },
    )?;
    let removed = removed.unwrap_or_default();
    let n = removed.len();
    if n > 0 {
        notify_then_reap(&mut a, notify::ZSET, "zrem", &key);
        let mut effect = vec![Bytes::from_static(b"ZREM"), key];
        effect.extend(removed);
        a.emit(effect);
    }
    Ok(Frame::Integer(n as i64))
}

/// `ZCARD key`.
pub(super) fn zcard(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    Ok(Frame::Integer(
        read(&mut a, &key)?.map_or(0, |z| z.len()) as i64
    ))
}

/// `ZSCORE key member`: a double (a bulk string in RESP2), or null.
pub(super) fn zscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let member = ctx.args.bytes()?;
    let mut a = ctx.lock1(&key);
    let s = read(&mut a, &key)?.and_then(|z| z.score(&member));
    Ok(s.map_or(Frame::Null, Frame::Double))
}

/// `ZMSCORE key member [member ...]`: one score or null per member.
pub(super) fn zmscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let members = ctx.args.rest();
    let mut a = ctx.lock1(&key);
    let z = read(&mut a, &key)?;
    let out = members
        .iter()
        .map(|m| {
            z.and_then(|z| z.score(m))
                .map_or(Frame::Null, Frame::Double)
        })
        .collect();
    Ok(Frame::Array(out))
}

/// `ZCOUNT key min max`.
pub(super) fn zcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let (min, max) = (ctx.args.bytes()?, ctx.args.bytes()?);
    let r = ScoreRange::parse(&min, &max).ok_or(BAD_SCORE_RANGE)?;
    let mut a = ctx.lock1(&key);
    let n = read(&mut a, &key)?.map_or(0, |z| {
        let (lo, hi) = z.score_ranks(&r);
        hi - lo
    });
    Ok(Frame::Integer(n as i64))
}

/// `ZLEXCOUNT key min max`.
pub(super) fn zlexcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let (min, max) = (ctx.args.bytes()?, ctx.args.bytes()?);
    let r = LexRange::parse(&min, &max).ok_or(BAD_LEX_RANGE)?;
    let mut a = ctx.lock1(&key);
    let n = read(&mut a, &key)?.map_or(0, |z| {
        let (lo, hi) = z.lex_ranks(&r);
        hi - lo
    });
    Ok(Frame::Integer(n as i64))
}

/// ZRANK and ZREVRANK: `key member [WITHSCORE]`.
fn rank(ctx: &mut Ctx<'_>, rev: bool) -> CmdResult {
    let key = ctx.args.key()?;
    let member = ctx.args.bytes()?;
    let withscore = match ctx.args.next_arg() {
        None => false,
        Some(w) if is_word(&w, "WITHSCORE") => true,
        Some(_) => return Err(CmdError::Syntax),
    };
    ctx.args.finish()?;
    let null = if withscore {
        Frame::NullArray
    } else {
        Frame::Null
    };
    let mut a = ctx.lock1(&key);
    let Some(z) = read(&mut a, &key)? else {
        return Ok(null);
    };
    let Some((r, s)) = z.rank(&member) else {
        return Ok(null);
    };
    let r = if rev { z.len() - 1 - r } else { r } as i64;
    Ok(if withscore {
        Frame::Array(vec![Frame::Integer(r), Frame::Double(s)])
    } else {
        Frame::Integer(r)
    })
}

/// `ZRANK key member [WITHSCORE]`.
pub(super) fn zrank(ctx: &mut Ctx<'_>) -> CmdResult {
    rank(ctx, false)
}

/// `ZREVRANK key member [WITHSCORE]`.
pub(super) fn zrevrank(ctx: &mut Ctx<'_>) -> CmdResult {
    rank(ctx, true)
}
