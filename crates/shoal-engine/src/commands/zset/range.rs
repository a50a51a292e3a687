//! The ZRANGE family (ZRANGE, ZRANGEBYSCORE, ZREVRANGE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
//! ZREVRANGEBYLEX), ZRANGESTORE, and ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX.

use super::add::{BAD_LEX_RANGE, BAD_SCORE_RANGE};
use super::{entries_reply, limits, packing, rank_interval, read, resp3, store_result};
use crate::commands::notify_util::notify_then_reap;
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx};
use crate::notify;
use crate::types::zset::{LexRange, Member, ScoreRange};
use crate::types::ZSetValue;
use crate::util::num::parse_i64;
use bytes::Bytes;
use shoal_resp::Frame;

/// How the two range arguments are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// The resolved range: its kind, bounds, direction and LIMIT.
enum Bounds {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

struct Request {
    bounds: Bounds,
    rev: bool,
    offset: i64,
    count: i64,
    withscores: bool,
}

/// Which command is parsing: fixed kind and direction, or ZRANGE's `BYSCORE/BYLEX/REV`.
#[derive(Clone, Copy)]
struct Form {
    by: Option<By>,
    rev: Option<bool>,
    store: bool,
}

/// Parses `min max [options]` as `form` allows them, in Redis's order: options, then the
/// LIMIT / WITHSCORES combinations, then the bounds.
fn parse(args: &[Bytes], form: Form) -> Result<Request, CmdError> {
    let (mut by, mut rev) = (form.by, form.rev);
    let (mut offset, mut count, mut withscores) = (0, -1, false);
    let mut i = 2;
    while i < args.len() {
        let w = &args[i];
        if !form.store && is_word(w, "WITHSCORES") {
            withscores = true;
        } else if is_word(w, "LIMIT") && args.len() - i > 2 {
            offset = parse_i64(&args[i + 1]).ok_or(CmdError::NotInteger)?;
            count = parse_i64(&args[i + 2]).ok_or(CmdError::NotInteger)?;
            i += 2;
        } else if rev.is_none() && form.rev.is_none() && is_word(w, "REV") {
            rev = Some(true);
        } else if by.is_none() && is_word(w, "BYSCORE") {
            by = Some(By::Score);
        } else if by.is_none() && is_word(w, "BYLEX") {
            by = Some(By::Lex);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let by = by.unwrap_or(By::Rank);
    let rev = rev.unwrap_or(false);
    if (offset != 0 || count != -1) && by == By::Rank {
        return Err(CmdError::Msg(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == By::Lex {
        return Err(CmdError::Msg(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (min, max) = if rev && by != By::Rank {
        (&args[1], &args[0])
    } else {
        (&args[0], &args[1])
    };
    let bounds = match by {
        By::Rank => Bounds::Rank(
            parse_i64(min).ok_or(CmdError::NotInteger)?,
            parse_i64(max).ok_or(CmdError::NotInteger)?,
        ),
        By::Score => Bounds::Score(ScoreRange::parse(min, max).ok_or(BAD_SCORE_RANGE)?),
        By::Lex => Bounds::Lex(LexRange::parse(min, max).ok_or(BAD_LEX_RANGE)?),
    };
    Ok(Request {
        bounds,
        rev,
        offset,
        count,
        withscores,
    })
}

/// The entries a request selects, in reply order.
fn select(z: &ZSetValue, r: &Request) -> Vec<(Member, f64)> {
    let len = z.len();
    let (lo, hi) = match &r.bounds {
        Bounds::Rank(start, stop) => {
            let (s, e) = rank_interval(*start, *stop, len);
            if r.rev {
                (len - e, len - s)
            } else {
                (s, e)
            }
        }
        Bounds::Score(sr) => z.score_ranks(sr),
        Bounds::Lex(lr) => z.lex_ranks(lr),
    };
    if r.offset < 0 || lo >= hi {
        return Vec::new();
    }
    let avail = hi - lo;
    let skip = usize::try_from(r.offset).unwrap_or(usize::MAX).min(avail);
    let take = usize::try_from(r.count).map_or(avail - skip, |c| c.min(avail - skip));
    if r.rev {
        z.range(hi - skip - take, hi - skip, true)
    } else {
        z.range(lo + skip, lo + skip + take, false)
    }
}

/// Runs a read-only range command of the given form: `key min max [options]`.
fn range_read(ctx: &mut Ctx<'_>, form: Form) -> CmdResult {
    let key = ctx.args.key()?;
    let args = ctx.args.rest();
    if args.len() < 2 {
        return Err(CmdError::Syntax);
    }
    let req = parse(&args, form)?;
    let resp3 = resp3(ctx);
    let packing = packing(ctx);
    let mut a = ctx.lock1(&key);
    let items = read(&mut a, &key)?.map_or_else(Vec::new, |z| select(z, &req));
    Ok(entries_reply(&items, req.withscores, resp3, packing))
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`.
pub(super) fn zrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let form = Form {
        by: None,
        rev: None,
        store: false,
    };
    range_read(ctx, form)
}

/// A fixed-form range command.
fn fixed(ctx: &mut Ctx<'_>, by: By, rev: bool) -> CmdResult {
    let form = Form {
        by: Some(by),
        rev: Some(rev),
        store: false,
    };
    range_read(ctx, form)
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`.
pub(super) fn zrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    fixed(ctx, By::Score, false)
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`.
pub(super) fn zrevrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    fixed(ctx, By::Score, true)
}

/// `ZREVRANGE key start stop [WITHSCORES]`.
pub(super) fn zrevrange(ctx: &mut Ctx<'_>) -> CmdResult {
    fixed(ctx, By::Rank, true)
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`.
pub(super) fn zrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    fixed(ctx, By::Lex, false)
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`.
pub(super) fn zrevrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    fixed(ctx, By::Lex, true)
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`: stores the
/// selection in `dst` (deleting it when empty); the count. Replicates as itself.
pub(super) fn zrangestore(ctx: &mut Ctx<'_>) -> CmdResult {
    let dst = ctx.args.key()?;
    let src = ctx.args.key()?;
    let args = ctx.args.rest();
    let form = Form {
        by: None,
        rev: None,
        store: true,
    };
    let req = parse(&args, form)?;
    let lim = limits(ctx);
    let mut a = ctx.lock(&[&dst, &src]);
    let items = match a.get_for_write(&src) {
        Some(e) => select(e.value.as_zset()?, &req),
        None => Vec::new(),
    };
    let mut effect = vec![Bytes::from_static(b"ZRANGESTORE"), dst.clone(), src];
    effect.extend(args);
    let n = store_result(&mut a, &dst, items, lim, ("zrangestore", effect));
    Ok(Frame::Integer(n as i64))
}

/// The ZREMRANGEBY* commands: removes the rank interval `interval` picks from `key`;
/// replicates as the command itself.
fn remove_range(
    ctx: &mut Ctx<'_>,
    (name, event): (&'static [u8], &str),
    [key, a1, a2]: [Bytes; 3],
    interval: impl FnOnce(&ZSetValue) -> (usize, usize),
) -> CmdResult {
    let mut a = ctx.lock1(&key);
    let n = a.update(
        &key,
        || None,
        |v| {
            let z = v.as_zset_mut()?;
            let (lo, hi) = interval(z);
            Ok(z.remove_ranks(lo, hi).len())
        },
    )?;
    let n = n.unwrap_or(0);
    if n > 0 {
        notify_then_reap(&mut a, notify::ZSET, event, &key);
        a.emit(vec![Bytes::from_static(name), key, a1, a2]);
    }
    Ok(Frame::Integer(n as i64))
}

/// The key and the two bound arguments.
fn three_args(ctx: &mut Ctx<'_>) -> Result<[Bytes; 3], CmdError> {
    Ok([ctx.args.key()?, ctx.args.bytes()?, ctx.args.bytes()?])
}

/// `ZREMRANGEBYRANK key start stop`.
pub(super) fn zremrangebyrank(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = three_args(ctx)?;
    let start = parse_i64(&args[1]).ok_or(CmdError::NotInteger)?;
    let stop = parse_i64(&args[2]).ok_or(CmdError::NotInteger)?;
    remove_range(ctx, (b"ZREMRANGEBYRANK", "zremrangebyrank"), args, |z| {
        rank_interval(start, stop, z.len())
    })
}

/// `ZREMRANGEBYSCORE key min max`.
pub(super) fn zremrangebyscore(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = three_args(ctx)?;
    let r = ScoreRange::parse(&args[1], &args[2]).ok_or(BAD_SCORE_RANGE)?;
    remove_range(ctx, (b"ZREMRANGEBYSCORE", "zremrangebyscore"), args, |z| {
        z.score_ranks(&r)
    })
}

/// `ZREMRANGEBYLEX key min max`.
pub(super) fn zremrangebylex(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = three_args(ctx)?;
    let r = LexRange::parse(&args[1], &args[2]).ok_or(BAD_LEX_RANGE)?;
    remove_range(ctx, (b"ZREMRANGEBYLEX", "zremrangebylex"), args, |z| {
        z.lex_ranks(&r)
    })
}
