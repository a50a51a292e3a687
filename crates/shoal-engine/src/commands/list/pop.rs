//! Pops: LPOP/RPOP, LMPOP, LMOVE/RPOPLPUSH, and the blocking BLPOP, BRPOP, BLMPOP,
//! BLMOVE, BRPOPLPUSH, which do the same or return [`CmdError::Block`] when there is
//! nothing to take. Blocking forms replicate as the non-blocking command they amounted to.

use super::{bulks, end_word, fill, new_list, parse_end, positive, range_long};
use crate::commands::notify_util::{list_event, notify_then_reap};
use crate::error::{CmdError, CmdResult};
use crate::exec::{Access, Args, Ctx};
use crate::notify;
use crate::types::list::{End, Fill};
use crate::types::ListValue;
use bytes::Bytes;
use shoal_resp::Frame;

fn pop_word(end: End) -> Bytes {
    Bytes::from_static(match end {
        End::Front => b"LPOP",
        End::Back => b"RPOP",
    })
}

/// Pops up to `count` elements from `end`, in pop order, then runs the shrinking check.
fn pop_n(l: &mut ListValue, end: End, count: usize, fill: Fill) -> Vec<Bytes> {
    let len = l.len();
    let n = count.min(len);
    if n == 0 {
        return Vec::new();
    }
    let items = match end {
        _ if n == 1 => l.pop(end).into_iter().collect(),
        End::Front => {
            let items = l.range(0, n, false);
            l.remove_range(0, n);
            items
        }
        End::Back => {
            let items = l.range(len.saturating_sub(1), n, true);
            l.remove_range(len - n, n);
            items
        }
    };
    l.shrink_check(fill);
    items
}

/// LPOP and RPOP: `key [count]`.
fn pop_generic(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    let key = ctx.args.key()?;
    let count_arg = ctx.args.next_arg();
    if ctx.args.remaining() > 0 {
        return Err(CmdError::WrongArity(ctx.name.to_string()));
    }
    let count = match &count_arg {
        Some(b) => Some(positive(b, None)? as usize),
        None => None,
    };
    let fill = fill(ctx);
    let mut a = ctx.lock1(&key);
    let popped = a.update(
        &key,
        || None,
        |v| {
            let l = v.as_list_mut()?;
            Ok(pop_n(l, end, count.unwrap_or(1), fill))
        },
    )?;
    let Some(items) = popped else {
        return Ok(match count {
            Some(_) => Frame::NullArray,
            None => Frame::Null,
        });
    };
    if !items.is_empty() {
        notify_then_reap(&mut a, notify::LIST, list_event(end, false), &key);
        a.emit_with(|| {
            let mut effect = vec![pop_word(end), key];
            effect.extend(count_arg);
            effect
        });
    }
    Ok(match count {
        Some(_) => bulks(items),
        None => items.into_iter().next().map_or(Frame::Null, Frame::Bulk),
    })
}

/// `LPOP key [count]`.
pub(super) fn lpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop_generic(ctx, End::Front)
}

/// `RPOP key [count]`.
pub(super) fn rpop(ctx: &mut Ctx<'_>) -> CmdResult {
    pop_generic(ctx, End::Back)
}

/// Pops from the first of `keys` holding a list; WRONGTYPE stops at the first non-list.
/// Emits `LPOP|RPOP key n` for what it took.
fn pop_first(
    a: &mut Access<'_>,
    keys: &[Bytes],
    end: End,
    count: usize,
    fill: Fill,
) -> Result<Option<(Bytes, Vec<Bytes>)>, CmdError> {
    for key in keys {
        let got = a.update(
            key,
            || None,
            |v| {
                let l = v.as_list_mut()?;
                Ok(pop_n(l, end, count, fill))
            },
        )?;
        if let Some(items) = got.filter(|i| !i.is_empty()) {
            notify_then_reap(a, notify::LIST, list_event(end, false), key);
            return Ok(Some((key.clone(), items)));
        }
    }
    Ok(None)
}

/// LMPOP's and BLMPOP's `numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
fn parse_mpop(args: &mut Args) -> Result<(Vec<Bytes>, End, usize), CmdError> {
    let nk = args.bytes()?;
    let numkeys = range_long(&nk, 1, i64::MAX, Some("numkeys should be greater than 0"))?;
    if numkeys as u64 >= args.remaining() as u64 {
        return Err(CmdError::Syntax);
    }
    let keys: Vec<Bytes> = (0..numkeys).filter_map(|_| args.next_arg()).collect();
    let end = parse_end(&args.bytes()?)?;
    let mut count = None;
    while let Some(opt) = args.next_arg() {
        if count.is_none() && opt.eq_ignore_ascii_case(b"count") && args.remaining() > 0 {
            let b = args.bytes()?;
            count = Some(range_long(
                &b,
                1,
                i64::MAX,
                Some("count should be greater than 0"),
            )?);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((keys, end, count.unwrap_or(1) as usize))
}

/// Pops for LMPOP/BLMPOP once parsed; None when every key is empty.
fn mpop(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    end: End,
    count: usize,
) -> Result<Option<Frame>, CmdError> {
    let fill = fill(ctx);
    let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
    let mut a = ctx.lock(&refs);
    let Some((key, items)) = pop_first(&mut a, keys, end, count, fill)? else {
        return Ok(None);
    };
    let n = items.len();
    a.emit_with(|| vec![pop_word(end), key.clone(), Bytes::from(n.to_string())]);
    Ok(Some(Frame::Array(vec![Frame::Bulk(key), bulks(items)])))
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
pub(super) fn lmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let (keys, end, count) = parse_mpop(&mut ctx.args)?;
    Ok(mpop(ctx, &keys, end, count)?.unwrap_or(Frame::NullArray))
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
pub(super) fn blmpop(ctx: &mut Ctx<'_>) -> CmdResult {
    let timeout = ctx.args.bytes()?;
    let (keys, end, count) = parse_mpop(&mut ctx.args)?;
    let deadline_ms = Args::new(vec![timeout], 0).block_timeout(ctx.now_ms)?;
    match mpop(ctx, &keys, end, count)? {
        Some(reply) => Ok(reply),
        None => Err(CmdError::Block {
            keys,
            deadline_ms,
            on_timeout: Frame::NullArray,
        }),
    }
}

/// BLPOP and BRPOP: `key [key ...] timeout`.
fn bpop(ctx: &mut Ctx<'_>, end: End) -> CmdResult {
    let mut keys = ctx.args.rest();
    let timeout = keys.pop().ok_or(CmdError::Syntax)?;
    let deadline_ms = Args::new(vec![timeout], 0).block_timeout(ctx.now_ms)?;
    let fill = fill(ctx);
    let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
    let mut a = ctx.lock(&refs);
    let Some((key, items)) = pop_first(&mut a, &keys, end, 1, fill)? else {
        drop(a);
        return Err(CmdError::Block {
            keys,
            deadline_ms,
            on_timeout: Frame::NullArray,
        });
    };
    a.emit_with(|| vec![pop_word(end), key.clone()]);
    let mut reply = vec![Frame::Bulk(key)];
    reply.extend(items.into_iter().map(Frame::Bulk));
    Ok(Frame::Array(reply))
}

/// `BLPOP key [key ...] timeout`.
pub(super) fn blpop(ctx: &mut Ctx<'_>) -> CmdResult {
    bpop(ctx, End::Front)
}

/// `BRPOP key [key ...] timeout`.
pub(super) fn brpop(ctx: &mut Ctx<'_>) -> CmdResult {
    bpop(ctx, End::Back)
}

/// The outcome of a move.
enum Moved {
    /// The source does not exist.
    NoSource,
    /// The element moved.
    Done(Bytes),
}

/// Moves one element from `src`'s `from` end to `dst`'s `to` end (the same list may be
/// both). Checks both types before touching anything.
fn move_one(
    a: &mut Access<'_>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    fill: Fill,
) -> Result<Moved, CmdError> {
    match a.get_for_write(src) {
        None => return Ok(Moved::NoSource),
        Some(e) => {
            e.value.as_list()?;
        }
    }
    if let Some(e) = a.get_for_write(dst) {
        e.value.as_list()?;
    }
    let value = if src == dst {
        a.update(
            src,
            || None,
            |v| {
                let l = v.as_list_mut()?;
                let value = l.pop(from).unwrap_or_default();
                l.grow_check(value.len(), 1, fill);
                l.push(to, &value);
                l.shrink_check(fill);
                Ok(value)
            },
        )?
    } else {
        let value = a.update(
            src,
            || None,
            |v| {
                let l = v.as_list_mut()?;
                let value = l.pop(from).unwrap_or_default();
                l.shrink_check(fill);
                Ok(value)
            },
        )?;
        if let Some(value) = &value {
            a.update(dst, new_list, |v| {
                let l = v.as_list_mut()?;
                l.grow_check(value.len(), 1, fill);
                l.push(to, value);
                Ok(())
            })?;
        }
        value
    };
    a.signal_ready(dst);
    Ok(value.map_or(Moved::NoSource, Moved::Done))
}

/// The shared body of LMOVE, RPOPLPUSH and their blocking forms; `effect` is what to
/// replicate. `deadline` is Some for the blocking forms.
fn lmove_generic(
    ctx: &mut Ctx<'_>,
    (src, dst): (Bytes, Bytes),
    (from, to): (End, End),
    effect: Vec<Bytes>,
    deadline: Option<u64>,
) -> CmdResult {
    let fill = fill(ctx);
    let mut a = ctx.lock(&[&src, &dst]);
    match move_one(&mut a, &src, &dst, from, to, fill)? {
        Moved::Done(value) => {
            a.notify(notify::LIST, list_event(to, true), &dst);
            notify_then_reap(&mut a, notify::LIST, list_event(from, false), &src);
            a.emit(effect);
            Ok(Frame::Bulk(value))
        }
        Moved::NoSource => match deadline {
            None => Ok(Frame::Null),
            Some(deadline_ms) => Err(CmdError::Block {
                keys: vec![src],
                deadline_ms,
                on_timeout: Frame::Null,
            }),
        },
    }
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`.
pub(super) fn lmove(ctx: &mut Ctx<'_>) -> CmdResult {
    let (src, dst) = (ctx.args.key()?, ctx.args.key()?);
    let from = parse_end(&ctx.args.bytes()?)?;
    let to = parse_end(&ctx.args.bytes()?)?;
    let effect = lmove_effect(&src, &dst, from, to);
    lmove_generic(ctx, (src, dst), (from, to), effect, None)
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`.
pub(super) fn blmove(ctx: &mut Ctx<'_>) -> CmdResult {
    let (src, dst) = (ctx.args.key()?, ctx.args.key()?);
    let from = parse_end(&ctx.args.bytes()?)?;
    let to = parse_end(&ctx.args.bytes()?)?;
    let deadline = ctx.args.block_timeout(ctx.now_ms)?;
    let effect = lmove_effect(&src, &dst, from, to);
    lmove_generic(ctx, (src, dst), (from, to), effect, Some(deadline))
}

fn lmove_effect(src: &Bytes, dst: &Bytes, from: End, to: End) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"LMOVE"),
        src.clone(),
        dst.clone(),
        end_word(from),
        end_word(to),
    ]
}

/// `RPOPLPUSH source destination`.
pub(super) fn rpoplpush(ctx: &mut Ctx<'_>) -> CmdResult {
    let (src, dst) = (ctx.args.key()?, ctx.args.key()?);
    let effect = vec![Bytes::from_static(b"RPOPLPUSH"), src.clone(), dst.clone()];
    lmove_generic(ctx, (src, dst), (End::Back, End::Front), effect, None)
}

/// `BRPOPLPUSH source destination timeout`.
pub(super) fn brpoplpush(ctx: &mut Ctx<'_>) -> CmdResult {
    let (src, dst) = (ctx.args.key()?, ctx.args.key()?);
    let deadline = ctx.args.block_timeout(ctx.now_ms)?;
    let effect = vec![Bytes::from_static(b"RPOPLPUSH"), src.clone(), dst.clone()];
    lmove_generic(
        ctx,
        (src, dst),
        (End::Back, End::Front),
        effect,
        Some(deadline),
    )
}
