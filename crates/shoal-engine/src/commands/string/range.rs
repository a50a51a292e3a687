//! APPEND, STRLEN, GETRANGE/SUBSTR and SETRANGE.

use crate::error::{CmdError, CmdResult};
use crate::exec::{Ctx, Ttl};
use crate::notify;
use crate::types::{StrValue, Value};
use bytes::Bytes;
use shoal_resp::Frame;

/// The configured `proto-max-bulk-len`.
fn max_len(ctx: &Ctx<'_>) -> u64 {
    ctx.engine().config.get_i64("proto-max-bulk-len").max(0) as u64
}

/// Refuses a string that would grow to `base + extra` bytes beyond `max`.
fn check_len(base: u64, extra: u64, max: u64) -> Result<(), CmdError> {
    match base.checked_add(extra) {
        Some(total) if total <= max => Ok(()),
        _ => Err(CmdError::StringTooLong),
    }
}

/// The byte range GETRANGE answers for a string of `len` bytes, with Redis 7's rules:
/// negative indexes count from the end, both ends are clamped, and an inverted or empty
/// range yields `None` (the empty string).
pub(super) fn getrange_bounds(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len_i = len as i128;
    let fix = |i: i64| {
        let i = i128::from(i);
        if i < 0 {
            (len_i + i).max(0)
        } else {
            i
        }
    };
    let start = fix(start);
    let end = fix(end).min(len_i - 1);
    if len == 0 || start > end {
        return None;
    }
    Some((start as usize, end as usize))
}

/// `GETRANGE key start end` (and `SUBSTR`).
pub(super) fn getrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let start = ctx.args.int()?;
    let end = ctx.args.int()?;
    let mut a = ctx.lock1(&key);
    let Some(v) = a.get_value(&key) else {
        return Ok(Frame::bulk(""));
    };
    let bytes = v.as_str()?.as_bytes();
    Ok(match getrange_bounds(bytes.len(), start, end) {
        Some((s, e)) => Frame::bulk(&bytes[s..=e]),
        None => Frame::bulk(""),
    })
}

/// `STRLEN key`: 0 for a missing key.
pub(super) fn strlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    let len = match a.get_value(&key) {
        Some(v) => v.as_str()?.len(),
        None => 0,
    };
    Ok(Frame::Integer(len as i64))
}

/// `APPEND key value`: answers the new length. A missing key is created as SET would
/// (so it may be `int` or `embstr`); an existing one becomes `raw`. Keeps the TTL.
pub(super) fn append(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let value = ctx.args.bytes()?;
    let max = max_len(ctx);
    let mut a = ctx.lock1(&key);
    let existing = match a.get_for_write(&key) {
        Some(e) => Some(e.value.as_str()?.len()),
        None => None,
    };
    let new_len = match existing {
        None => {
            a.set(&key, Value::Str(StrValue::from_bytes(&value)), Ttl::Clear);
            value.len()
        }
        Some(len) => {
            check_len(len as u64, value.len() as u64, max)?;
            a.modify(&key, |v| {
                let buf = v.as_str_mut()?.make_raw();
                buf.extend_from_slice(&value);
                Ok::<usize, CmdError>(buf.len())
            })
            .transpose()?
            .unwrap_or(0)
        }
    };
    a.notify(notify::STRING, "append", &key);
    a.emit(vec![Bytes::from_static(b"APPEND"), key, value]);
    Ok(Frame::Integer(new_len as i64))
}

/// `SETRANGE key offset value`: overwrites from `offset`, padding with zero bytes;
/// answers the new length. Keeps the TTL; the result is always `raw`.
pub(super) fn setrange(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let offset_arg = ctx.args.bytes()?;
    let offset = crate::util::num::parse_i64(&offset_arg).ok_or(CmdError::NotInteger)?;
    let value = ctx.args.bytes()?;
    if offset < 0 {
        return Err(CmdError::Msg("offset is out of range"));
    }
    let max = max_len(ctx);
    let offset = offset as u64;
    let mut a = ctx.lock1(&key);
    let existing = match a.get_for_write(&key) {
        Some(e) => Some(e.value.as_str()?.len()),
        None => None,
    };
    if value.is_empty() {
        return Ok(Frame::Integer(existing.unwrap_or(0) as i64));
    }
    check_len(offset, value.len() as u64, max)?;
    let start = offset as usize;
    let end = start + value.len();
    let new_len = match existing {
        None => {
            let mut buf = vec![0u8; end];
            buf[start..].copy_from_slice(&value);
            a.set(&key, Value::Str(StrValue::raw(buf)), Ttl::Clear);
            end
        }
        Some(_) => a
            .modify(&key, |v| {
                let buf = v.as_str_mut()?.make_raw();
                if buf.len() < end {
                    buf.resize(end, 0);
                }
                buf[start..end].copy_from_slice(&value);
                Ok::<usize, CmdError>(buf.len())
            })
            .transpose()?
            .unwrap_or(0),
    };
    a.notify(notify::STRING, "setrange", &key);
    a.emit(vec![
        Bytes::from_static(b"SETRANGE"),
        key,
        offset_arg,
        value,
    ]);
    Ok(Frame::Integer(new_len as i64))
}
