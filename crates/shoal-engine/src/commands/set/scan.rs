//! SSCAN: incremental iteration over a set's members.

use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx};
use crate::util::glob::glob_match;
use bytes::Bytes;
use shoal_resp::Frame;

/// Parses a cursor as Redis 7 does (`strtoul`): optional sign then decimal digits, an empty
/// string reading as 0, a negative value wrapping around; anything else is refused.
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let (neg, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if !digits.iter().all(u8::is_ascii_digit) || (digits.is_empty() && !arg.is_empty()) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// SSCAN's options.
struct ScanOptions {
    count: usize,
    pattern: Option<Bytes>,
}

fn parse_options(rest: Vec<Bytes>) -> Result<ScanOptions, CmdError> {
    let mut o = ScanOptions {
        count: 10,
        pattern: None,
    };
    let mut it = rest.into_iter();
    while let Some(w) = it.next() {
        let value = it.next().ok_or(CmdError::Syntax)?;
        if is_word(&w, "COUNT") {
            let n = crate::util::num::parse_i64(&value).ok_or(CmdError::NotInteger)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if is_word(&w, "MATCH") {
            o.pattern = (value.as_ref() != b"*").then_some(value);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`: `[next-cursor, members]`. A compact
/// set answers all its members at once with cursor 0; a hashtable visits buckets until
/// about `count` members are found. Options are checked only once the key is found to be
/// a set, as Redis does.
pub(super) fn sscan(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let cursor = parse_cursor(&ctx.args.bytes()?).ok_or(CmdError::Msg("invalid cursor"))?;
    let options = parse_options(ctx.args.rest());
    let mut a = ctx.lock1(&key);
    let Some(v) = a.get_value(&key) else {
        return Ok(reply(0, Vec::new()));
    };
    let s = v.as_set()?;
    let o = options?;
    let mut found: Vec<Bytes> = Vec::new();
    let mut next = cursor;
    if s.is_hashtable() {
        let mut budget = o.count.saturating_mul(10);
        loop {
            next = s.scan(next, |m| found.push(Bytes::copy_from_slice(m)));
            budget = budget.saturating_sub(1);
            if next == 0 || budget == 0 || found.len() >= o.count {
                break;
            }
        }
    } else {
        next = s.scan(0, |m| found.push(Bytes::copy_from_slice(m)));
    }
    if let Some(p) = &o.pattern {
        found.retain(|m| glob_match(p, m, false));
    }
    Ok(reply(next, found))
}

fn reply(cursor: u64, members: Vec<Bytes>) -> Frame {
    Frame::Array(vec![
        Frame::bulk(cursor.to_string()),
        Frame::Array(members.into_iter().map(Frame::Bulk).collect()),
    ])
}
