//! List commands.
//!
//! Handlers parse their arguments in Redis's order (so the same error wins), work on the
//! [`ListValue`] through [`crate::exec::Access::update`] (which deletes a list left empty),
//! run the encoding conversions where Redis 7.2 runs them, and emit what they changed.
//!
//! - `mod.rs`: pushes, LLEN, LINDEX, LRANGE, LSET, LINSERT, LREM, LTRIM, LPOS.
//! - `pop.rs`: LPOP/RPOP, LMPOP, LMOVE/RPOPLPUSH and the blocking forms.
//! - `decl.rs`: the declarations.

mod decl;
mod pop;

#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod tests_basic;
#[cfg(test)]
mod tests_model;
#[cfg(test)]
mod tests_pop;
#[cfg(test)]
mod tests_util;

pub use decl::COMMANDS;

use super::knob::Knob;
use super::notify_util::{list_event, notify_then_reap};
use super::reply::writer;
use crate::error::{CmdError, CmdResult};
use crate::exec::{Access, Ctx};
use crate::notify;
use crate::types::list::{Elem, End, Fill, Needle};
use crate::types::{ListValue, Value};
use crate::util::num::parse_i64;
use bytes::Bytes;
use shoal_resp::Frame;

/// The current `list-max-listpack-size`.
fn fill(ctx: &Ctx<'_>) -> Fill {
    static SIZE: Knob = Knob::new("list-max-listpack-size");
    Fill(SIZE.get(&ctx.engine().config))
}

/// A new, empty list value.
fn new_list() -> Option<Value> {
    Some(Value::List(Box::default()))
}

/// An integer argument within `[min, max]`; `msg` replaces both of Redis's errors when given.
fn range_long(b: &[u8], min: i64, max: i64, msg: Option<&'static str>) -> Result<i64, CmdError> {
    let bad = || msg.map_or(CmdError::NotInteger, CmdError::Msg);
    let v = parse_i64(b).ok_or_else(bad)?;
    if v < min || v > max {
        return Err(match msg {
            Some(m) => CmdError::Msg(m),
            None => CmdError::text(format!(
                "value is out of range, value must between {min} and {max}"
            )),
        });
    }
    Ok(v)
}

/// A non-negative integer argument (`getPositiveLongFromObjectOrReply`).
fn positive(b: &[u8], msg: Option<&'static str>) -> Result<i64, CmdError> {
    range_long(
        b,
        0,
        i64::MAX,
        Some(msg.unwrap_or("value is out of range, must be positive")),
    )
}

/// `LEFT` or `RIGHT`.
fn parse_end(b: &[u8]) -> Result<End, CmdError> {
    if b.eq_ignore_ascii_case(b"left") {
        Ok(End::Front)
    } else if b.eq_ignore_ascii_case(b"right") {
        Ok(End::Back)
    } else {
        Err(CmdError::Syntax)
    }
}

/// The word an effect uses for `end`.
fn end_word(end: End) -> Bytes {
    Bytes::from_static(match end {
        End::Front => b"LEFT",
        End::Back => b"RIGHT",
    })
}

/// Resolves a Redis index (negative counts from the tail) against `len`.
fn resolve_index(i: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if i < 0 { len + i } else { i };
    (0..len).contains(&i).then_some(i as usize)
}

/// Normalises `start..=stop` as LRANGE and LTRIM do: None when the range is empty.
fn normalise_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut stop = if stop < 0 { len + stop } else { stop };
    start = start.max(0);
    if start > stop || start >= len {
        return None;
    }
    stop = stop.min(len - 1);
    Some((start as usize, (stop - start + 1) as usize))
}

/// Reads `key` as a list (counting a hit or miss); WRONGTYPE for other types.
fn read_list<'a>(a: &'a mut Access<'_>, key: &[u8]) -> Result<Option<&'a ListValue>, CmdError> {
    match a.get_value(key) {
        Some(v) => Ok(Some(v.as_list()?)),
        None => Ok(None),
    }
}

fn bulks(items: Vec<Bytes>) -> Frame {
    Frame::Array(items.into_iter().map(Frame::Bulk).collect())
}

/// LPUSH, RPUSH, LPUSHX, RPUSHX: `only_existing` for the X forms.
fn push_generic(
    ctx: &mut Ctx<'_>,
    end: End,
    only_existing: bool,
    name: &'static [u8],
) -> CmdResult {
    let key = ctx.args.key()?;
    let elems = ctx.args.rest();
    let fill = fill(ctx);
    let mut a = ctx.lock1(&key);
    let create = || if only_existing { None } else { new_list() };
    let len = a.update(&key, create, |v| {
        let l = v.as_list_mut()?;
        let bytes = elems.iter().map(|e| e.len()).sum();
        l.grow_check(bytes, elems.len(), fill);
        for e in &elems {
            l.push(end, e);
        }
        Ok(l.len())
    })?;
    let Some(len) = len else {
        return Ok(Frame::Integer(0));
    };
    a.signal_ready(&key);
    a.notify(notify::LIST, list_event(end, true), &key);
    a.emit_with(|| {
        let mut effect = vec![Bytes::from_static(name), key];
        effect.extend(elems);
        effect
    });
    Ok(Frame::Integer(len as i64))
}

/// `LPUSH key element [element ...]`.
fn lpush(ctx: &mut Ctx<'_>) -> CmdResult {
    push_generic(ctx, End::Front, false, b"LPUSH")
}

/// `RPUSH key element [element ...]`.
fn rpush(ctx: &mut Ctx<'_>) -> CmdResult {
    push_generic(ctx, End::Back, false, b"RPUSH")
}

/// `LPUSHX key element [element ...]`: only onto an existing list.
fn lpushx(ctx: &mut Ctx<'_>) -> CmdResult {
    push_generic(ctx, End::Front, true, b"LPUSHX")
}

/// `RPUSHX key element [element ...]`: only onto an existing list.
fn rpushx(ctx: &mut Ctx<'_>) -> CmdResult {
    push_generic(ctx, End::Back, true, b"RPUSHX")
}

/// `LLEN key`.
fn llen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    let len = read_list(&mut a, &key)?.map_or(0, |l| l.len());
    Ok(Frame::Integer(len as i64))
}

/// `LINDEX key index`: the key is looked up before the index is parsed, as in Redis.
fn lindex(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let index = ctx.args.bytes()?;
    let mut a = ctx.lock1(&key);
    let Some(l) = read_list(&mut a, &key)? else {
        return Ok(Frame::Null);
    };
    let i = parse_i64(&index).ok_or(CmdError::NotInteger)?;
    Ok(match resolve_index(i, l.len()).and_then(|i| l.get(i)) {
        Some(e) => Frame::Bulk(e.to_bytes()),
        None => Frame::Null,
    })
}

/// `LRANGE key start stop`.
fn lrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let start = ctx.args.int()?;
    let stop = ctx.args.int()?;
    let mut a = ctx.lock1(&key);
    let Some(l) = read_list(&mut a, &key)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    Ok(match normalise_range(start, stop, l.len()) {
        // Encoded at once for a socket, else straight into the reply's frames: no vector
        // of the elements in between either way.
        Some((from, n)) if ctx.session.wire => {
            let mut out = writer(n);
            for e in l.iter(from, false).take(n) {
                match e {
                    Elem::Str(s) => out.push(s),
                    Elem::Int(v) => out.push_int(v),
                }
            }
            Frame::Bulks(out.finish())
        }
        Some((from, n)) => {
            let mut items = Vec::with_capacity(n);
            items.extend(
                l.iter(from, false)
                    .take(n)
                    .map(|e| Frame::Bulk(e.to_bytes())),
            );
            Frame::Array(items)
        }
        None => Frame::Array(Vec::new()),
    })
}

/// `LSET key index element`: `no such key` before the index is even parsed.
fn lset(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let index = ctx.args.bytes()?;
    let elem = ctx.args.bytes()?;
    let fill = fill(ctx);
    let mut a = ctx.lock1(&key);
    let done = a.update(
        &key,
        || None,
        |v| {
            let l = v.as_list_mut()?;
            let i = parse_i64(&index).ok_or(CmdError::NotInteger)?;
            l.grow_check(elem.len(), 1, fill);
            let i = resolve_index(i, l.len()).ok_or(CmdError::Msg("index out of range"))?;
            l.set(i, &elem);
            l.shrink_check(fill);
            Ok(())
        },
    )?;
    if done.is_none() {
        return Err(CmdError::NoSuchKey);
    }
    a.notify(notify::LIST, "lset", &key);
    a.emit(vec![Bytes::from_static(b"LSET"), key, index, elem]);
    Ok(Frame::ok())
}

/// `LINSERT key BEFORE|AFTER pivot element`: the new length, -1 without the pivot, 0
/// without the key.
fn linsert(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let side = ctx.args.bytes()?;
    let after = if side.eq_ignore_ascii_case(b"after") {
        true
    } else if side.eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let pivot = ctx.args.bytes()?;
    let elem = ctx.args.bytes()?;
    let fill = fill(ctx);
    let mut a = ctx.lock1(&key);
    let res = a.update(
        &key,
        || None,
        |v| {
            let l = v.as_list_mut()?;
            // Redis converts before searching, whether or not the pivot turns up.
            l.grow_check(elem.len(), 1, fill);
            let Some(i) = l.position(&Needle::new(&pivot)) else {
                return Ok(None);
            };
            l.insert_next_to(i, after, &elem);
            Ok(Some(l.len()))
        },
    )?;
    match res {
        None => Ok(Frame::Integer(0)),
        Some(None) => Ok(Frame::Integer(-1)),
        Some(Some(len)) => {
            a.signal_ready(&key);
            a.notify(notify::LIST, "linsert", &key);
            a.emit(vec![Bytes::from_static(b"LINSERT"), key, side, pivot, elem]);
            Ok(Frame::Integer(len as i64))
        }
    }
}

/// `LREM key count element`: count > 0 from the head, < 0 from the tail, 0 all.
fn lrem(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let count_arg = ctx.args.bytes()?;
    let count = parse_i64(&count_arg).ok_or(CmdError::NotInteger)?;
    let elem = ctx.args.bytes()?;
    let fill = fill(ctx);
    let mut a = ctx.lock1(&key);
    let removed = a.update(
        &key,
        || None,
        |v| {
            let l = v.as_list_mut()?;
            let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
            let n = l.remove_matching(&Needle::new(&elem), limit, count < 0);
            if n > 0 {
                l.shrink_check(fill);
            }
            Ok(n)
        },
    )?;
    let removed = removed.unwrap_or(0);
    if removed > 0 {
        notify_then_reap(&mut a, notify::LIST, "lrem", &key);
        a.emit(vec![Bytes::from_static(b"LREM"), key, count_arg, elem]);
    }
    Ok(Frame::Integer(removed as i64))
}

/// `LTRIM key start stop`: keeps only the range (an empty range deletes the key).
fn ltrim(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let start_arg = ctx.args.bytes()?;
    let start = parse_i64(&start_arg).ok_or(CmdError::NotInteger)?;
    let stop_arg = ctx.args.bytes()?;
    let stop = parse_i64(&stop_arg).ok_or(CmdError::NotInteger)?;
    let fill = fill(ctx);
    let mut a = ctx.lock1(&key);
    let removed = a.update(
        &key,
        || None,
        |v| {
            let l = v.as_list_mut()?;
            let len = l.len();
            let (left, right) = match normalise_range(start, stop, len) {
                Some((from, n)) => (from, len - from - n),
                None => (len, 0),
            };
            l.remove_range(0, left);
            l.remove_range(len - left - right, right);
            l.shrink_check(fill);
            Ok(left + right)
        },
    )?;
    // Redis announces LTRIM on any existing list, even when the range kept everything.
    if removed.is_some() {
        notify_then_reap(&mut a, notify::LIST, "ltrim", &key);
    }
    if removed.unwrap_or(0) > 0 {
        a.emit(vec![Bytes::from_static(b"LTRIM"), key, start_arg, stop_arg]);
    }
    Ok(Frame::ok())
}

/// LPOS options.
struct LposOptions {
    rank: i64,
    count: Option<usize>,
    maxlen: usize,
}

impl LposOptions {
    fn parse(ctx: &mut Ctx<'_>) -> Result<LposOptions, CmdError> {
        let mut o = LposOptions {
            rank: 1,
            count: None,
            maxlen: 0,
        };
        while let Some(opt) = ctx.args.next_arg() {
            let more = ctx.args.remaining() > 0;
            if opt.eq_ignore_ascii_case(b"rank") && more {
                let b = ctx.args.bytes()?;
                o.rank = range_long(&b, -i64::MAX, i64::MAX, None)?;
                if o.rank == 0 {
                    return Err(CmdError::Msg(
                        "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                    ));
                }
            } else if opt.eq_ignore_ascii_case(b"count") && more {
                let b = ctx.args.bytes()?;
                o.count = Some(positive(&b, Some("COUNT can't be negative"))? as usize);
            } else if opt.eq_ignore_ascii_case(b"maxlen") && more {
                let b = ctx.args.bytes()?;
                o.maxlen = positive(&b, Some("MAXLEN can't be negative"))? as usize;
            } else {
                return Err(CmdError::Syntax);
            }
        }
        Ok(o)
    }
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`.
fn lpos(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let elem = ctx.args.bytes()?;
    let o = LposOptions::parse(ctx)?;
    let mut a = ctx.lock1(&key);
    let Some(l) = read_list(&mut a, &key)? else {
        return Ok(match o.count {
            Some(_) => Frame::Array(Vec::new()),
            None => Frame::Null,
        });
    };
    let reverse = o.rank < 0;
    let skip = o.rank.unsigned_abs() - 1;
    let len = l.len();
    let needle = Needle::new(&elem);
    let scan = if o.maxlen == 0 { len } else { o.maxlen };
    let start = if reverse { len.saturating_sub(1) } else { 0 };
    let mut found = Vec::new();
    let mut matches = 0u64;
    for (n, e) in l.iter(start, reverse).take(scan).enumerate() {
        if !e.matches(&needle) {
            continue;
        }
        matches += 1;
        if matches <= skip {
            continue;
        }
        found.push(if reverse { len - n - 1 } else { n } as i64);
        match o.count {
            Some(c) if c == 0 || found.len() < c => {}
            _ => break,
        }
    }
    Ok(match o.count {
        Some(_) => Frame::Array(found.into_iter().map(Frame::Integer).collect()),
        None => found.first().map_or(Frame::Null, |&i| Frame::Integer(i)),
    })
}
