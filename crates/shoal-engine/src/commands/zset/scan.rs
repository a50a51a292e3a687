//! ZSCAN.
//!
//! A compact set is returned whole with cursor 0, as Redis does. A large one is walked in
//! score order, and the cursor is the next score to resume from, mapped onto `u64` so that
//! integer order follows score order (never 0, which means "start" / "done"):
//!
//! ```text
//!   cursor(s) = if sign(s) { !bits(s) } else { bits(s) | 1 << 63 }
//! ```
//!
//! A call never stops between two members of the same score, so every member present for
//! the whole iteration is returned at least once, whatever is added or removed meanwhile.

use super::read;
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx};
use crate::types::zset::Member;
use crate::types::ZSetValue;
use crate::util::glob::glob_match;
use bytes::Bytes;
use shoal_resp::{format_double, Frame};

const SIGN: u64 = 1 << 63;

/// The cursor naming score `s`.
fn encode(s: f64) -> u64 {
    let b = s.to_bits();
    if b & SIGN != 0 {
        !b
    } else {
        b | SIGN
    }
}

/// The score a cursor names.
fn decode(c: u64) -> f64 {
    if c & SIGN != 0 {
        f64::from_bits(c & !SIGN)
    } else {
        f64::from_bits(!c)
    }
}

/// Parses a cursor: decimal digits with an optional sign, within 64 bits (negative wraps).
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let (neg, digits) = match arg.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
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

/// One step of the walk: entries from `cursor` on, at least `count` unless the set ends,
/// never splitting a score; and the next cursor.
fn step(z: &ZSetValue, cursor: u64, count: usize) -> (Vec<(Member, f64)>, u64) {
    if z.encoding_name() == "listpack" {
        return (z.entries(), 0);
    }
    let start = if cursor == 0 {
        0
    } else {
        let from = decode(cursor);
        z.count_prefix(|s, _| s < from)
    };
    let mut out = z.range(start, start.saturating_add(count), false);
    let mut next = start + out.len();
    while let (Some(last), Some(e)) = (out.last().map(|e| e.1), z.at(next)) {
        if e.1 != last {
            return (out, encode(e.1));
        }
        out.push(e);
        next += 1;
    }
    (out, 0)
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: `[next-cursor, [member, score, ...]]`.
pub(super) fn zscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let cursor = parse_cursor(&ctx.args.bytes()?).ok_or(CmdError::Msg("invalid cursor"))?;
    let (mut count, mut pattern) = (10usize, None);
    while let Some(w) = ctx.args.next_arg() {
        if ctx.args.remaining() == 0 {
            return Err(CmdError::Syntax);
        }
        if is_word(&w, "COUNT") {
            let n = ctx.args.int()?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if is_word(&w, "MATCH") {
            let p = ctx.args.bytes()?;
            pattern = (p.as_ref() != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let mut a = ctx.lock1(&key);
    let (items, next) = match read(&mut a, &key)? {
        Some(z) => step(z, cursor, count),
        None => (Vec::new(), 0),
    };
    let mut out = Vec::new();
    for (m, s) in items {
        if pattern.as_ref().is_none_or(|p| glob_match(p, &m, false)) {
            out.push(Frame::Bulk(Bytes::copy_from_slice(&m)));
            out.push(Frame::bulk(format_double(s)));
        }
    }
    Ok(Frame::Array(vec![
        Frame::bulk(next.to_string()),
        Frame::Array(out),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_order_follows_score_order() {
        let scores = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -0.5,
            0.0,
            0.5,
            1.0,
            1e300,
            f64::INFINITY,
        ];
        for w in scores.windows(2) {
            assert!(encode(w[0]) < encode(w[1]));
            assert_ne!(encode(w[0]), 0);
        }
        for s in scores {
            assert_eq!(decode(encode(s)), s);
        }
    }
}
