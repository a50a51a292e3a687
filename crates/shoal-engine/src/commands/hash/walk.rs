//! HRANDFIELD and HSCAN.

use super::purge;
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx};
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;
use crate::util::rng::Rng;
use bytes::Bytes;
use shoal_resp::{Frame, Protocol};

/// The largest count of repeated draws (negative count) answered.
const MAX_DRAWS: i64 = 1 << 31;

/// HRANDFIELD's count form, parsed.
struct RandCount {
    count: u64,
    repeats: bool,
    with_values: bool,
}

fn parse_rand_count(ctx: &mut Ctx<'_>) -> Result<RandCount, CmdError> {
    let l = parse_i64(&ctx.args.bytes()?).ok_or(CmdError::NotInteger)?;
    if l == i64::MIN {
        return Err(CmdError::text(format!(
            "value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        )));
    }
    let with_values = match ctx.args.remaining() {
        0 => false,
        1 if ctx.args.eat("WITHVALUES") => true,
        _ => return Err(CmdError::Syntax),
    };
    if with_values && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
        return Err(CmdError::Msg("value is out of range"));
    }
    // Redis would stream such a reply until the client or the server gives up; refuse a
    // repeated-draw count whose reply cannot be built instead.
    if l < -MAX_DRAWS {
        return Err(CmdError::Msg("value is out of range"));
    }
    Ok(RandCount {
        count: l.unsigned_abs(),
        repeats: l < 0,
        with_values,
    })
}

/// Picks the indexes (below `len`) HRANDFIELD answers with.
fn pick(rng: &mut Rng, len: usize, c: &RandCount) -> Vec<usize> {
    if c.repeats {
        return (0..c.count).map(|_| rng.index(len)).collect();
    }
    let want = usize::try_from(c.count).unwrap_or(usize::MAX);
    let mut idx: Vec<usize> = (0..len).collect();
    if want >= len {
        return idx;
    }
    // A partial Fisher-Yates shuffle: the first `want` slots end up a uniform sample.
    for i in 0..want {
        let j = i + rng.index(len - i);
        idx.swap(i, j);
    }
    idx.truncate(want);
    idx
}

/// `HRANDFIELD key [count [WITHVALUES]]`.
pub(super) fn hrandfield(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let counted = ctx.args.remaining() > 0;
    let c = if counted {
        Some(parse_rand_count(ctx)?)
    } else {
        None
    };
    let resp3 = ctx.session.protocol == Protocol::Resp3;
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    let Some(v) = a.get_value(&key) else {
        return Ok(if counted {
            Frame::Array(Vec::new())
        } else {
            Frame::Null
        });
    };
    let h = v.as_hash()?;
    let Some(c) = c else {
        let i = ctx.rng().index(h.len());
        return Ok(h.iter().nth(i).map_or(Frame::Null, |(f, _)| Frame::bulk(f)));
    };
    let pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
    if c.count == 0 || pairs.is_empty() {
        return Ok(Frame::Array(Vec::new()));
    }
    let chosen = pick(ctx.rng(), pairs.len(), &c);
    let mut out = Vec::with_capacity(chosen.len() * if c.with_values { 2 } else { 1 });
    for i in chosen {
        let (f, v) = pairs[i];
        match (c.with_values, resp3) {
            (false, _) => out.push(Frame::bulk(f)),
            (true, true) => out.push(Frame::Array(vec![Frame::bulk(f), Frame::bulk(v)])),
            (true, false) => {
                out.push(Frame::bulk(f));
                out.push(Frame::bulk(v));
            }
        }
    }
    Ok(Frame::Array(out))
}

/// Parses a scan cursor: decimal digits with an optional sign within 64 bits; a negative
/// value wraps around, as `strtoull` does.
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let (neg, digits) = match arg.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits.iter().try_fold(0u64, |acc, d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// HSCAN's options.
struct ScanOptions {
    count: usize,
    pattern: Option<Bytes>,
    no_values: bool,
}

fn parse_scan_options(ctx: &mut Ctx<'_>) -> Result<ScanOptions, CmdError> {
    let mut o = ScanOptions {
        count: 10,
        pattern: None,
        no_values: false,
    };
    while let Some(w) = ctx.args.next_arg() {
        let has_value = ctx.args.remaining() > 0;
        if is_word(&w, "COUNT") && has_value {
            let n = ctx.args.int()?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if is_word(&w, "MATCH") && has_value {
            let p = ctx.args.bytes()?;
            o.pattern = (p.as_ref() != b"*").then_some(p);
        } else if is_word(&w, "NOVALUES") {
            o.no_values = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]`: `[next-cursor, [items]]`.
/// A listpack-encoded hash is returned whole with cursor 0.
pub(super) fn hscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let cursor = parse_cursor(&ctx.args.bytes()?).ok_or(CmdError::Msg("invalid cursor"))?;
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    let empty = || Frame::Array(vec![Frame::bulk("0"), Frame::Array(Vec::new())]);
    let Some(v) = a.get_value(&key) else {
        return Ok(empty());
    };
    let h = v.as_hash()?;
    let o = parse_scan_options(ctx)?;
    let (next, page) = h.scan_page(cursor, o.count);
    let mut items = Vec::new();
    for (f, v) in page {
        if o.pattern.as_ref().is_some_and(|p| !glob_match(p, f, false)) {
            continue;
        }
        items.push(Frame::bulk(f));
        if !o.no_values {
            items.push(Frame::bulk(v));
        }
    }
    Ok(Frame::Array(vec![
        Frame::bulk(next.to_string()),
        Frame::Array(items),
    ]))
}
