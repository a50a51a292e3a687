//! The EXPIRE family, the TTL family and PERSIST.

use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx};
use crate::notify;
use crate::util::num::parse_i64;
use bytes::Bytes;
use shoal_resp::Frame;

/// The condition flags of the EXPIRE family.
#[derive(Debug, Default, Clone, Copy)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(ctx: &mut Ctx<'_>) -> Result<ExpireFlags, CmdError> {
    let mut f = ExpireFlags::default();
    while let Some(w) = ctx.args.next_arg() {
        if is_word(&w, "NX") {
            f.nx = true;
        } else if is_word(&w, "XX") {
            f.xx = true;
        } else if is_word(&w, "GT") {
            f.gt = true;
        } else if is_word(&w, "LT") {
            f.lt = true;
        } else {
            return Err(CmdError::text(format!(
                "Unsupported option {}",
                String::from_utf8_lossy(&w)
            )));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(CmdError::Msg(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(CmdError::Msg(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// Whether the flags allow replacing the deadline `current` (None: no TTL, which counts
/// as infinite for GT and LT) with `when`.
fn flags_allow(f: ExpireFlags, current: Option<u64>, when: i64) -> bool {
    let cur = current.map(|c| c as i64);
    if f.nx && cur.is_some() || f.xx && cur.is_none() {
        return false;
    }
    match cur {
        None => !f.gt,
        Some(c) => !(f.gt && when <= c || f.lt && when >= c),
    }
}

/// Turns the time argument into an absolute deadline in ms, refusing overflows.
fn absolute_deadline(
    value: i64,
    seconds: bool,
    base_ms: i64,
    name: &'static str,
) -> Result<i64, CmdError> {
    let invalid = CmdError::InvalidExpireTime(name);
    let ms = if seconds {
        value.checked_mul(1000).ok_or(invalid.clone())?
    } else {
        value
    };
    ms.checked_add(base_ms).ok_or(invalid)
}

/// The EXPIRE family. Replicates as `PEXPIREAT key ms`, or `DEL key` when the deadline has
/// already passed (the key is deleted at once).
fn expire_generic(
    ctx: &mut Ctx<'_>,
    seconds: bool,
    absolute: bool,
    name: &'static str,
) -> CmdResult {
    let key = ctx.args.key()?;
    let arg = ctx.args.bytes()?;
    let flags = parse_expire_flags(ctx)?;
    let value = parse_i64(&arg).ok_or(CmdError::NotInteger)?;
    let now = ctx.now_ms as i64;
    let base = if absolute { 0 } else { now };
    let when = absolute_deadline(value, seconds, base, name)?;
    let mut a = ctx.lock1(&key);
    if a.get_for_write(&key).is_none() {
        return Ok(Frame::Integer(0));
    }
    if !flags_allow(flags, a.expire_at(&key), when) {
        return Ok(Frame::Integer(0));
    }
    if when <= now {
        a.remove(&key);
        a.notify(notify::GENERIC, "del", &key);
        a.emit(vec![Bytes::from_static(b"DEL"), key]);
    } else {
        a.set_expire(&key, Some(when as u64));
        a.notify(notify::GENERIC, "expire", &key);
        a.emit(vec![
            Bytes::from_static(b"PEXPIREAT"),
            key,
            Bytes::from(when.to_string()),
        ]);
    }
    Ok(Frame::Integer(1))
}

/// `EXPIRE key seconds [NX|XX|GT|LT]`.
pub(super) fn expire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, false, "expire")
}

/// `PEXPIRE key milliseconds [NX|XX|GT|LT]`.
pub(super) fn pexpire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, false, "pexpire")
}

/// `EXPIREAT key unix-seconds [NX|XX|GT|LT]`.
pub(super) fn expireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, true, "expireat")
}

/// `PEXPIREAT key unix-ms [NX|XX|GT|LT]`.
pub(super) fn pexpireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, true, "pexpireat")
}

/// The TTL family: -2 for a missing key, -1 without a TTL, else the time left (or the
/// deadline, when `absolute`) in ms or rounded to the nearest second.
fn ttl_generic(ctx: &mut Ctx<'_>, ms: bool, absolute: bool) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    if a.peek(&key).is_none() {
        return Ok(Frame::Integer(-2));
    }
    let Some(at) = a.expire_at(&key) else {
        return Ok(Frame::Integer(-1));
    };
    let at = at as i64;
    let v = if absolute {
        at
    } else {
        (at - ctx.now_ms as i64).max(0)
    };
    Ok(Frame::Integer(if ms { v } else { (v + 500) / 1000 }))
}

/// `TTL key`.
pub(super) fn ttl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, false, false)
}

/// `PTTL key`.
pub(super) fn pttl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, true, false)
}

/// `EXPIRETIME key`.
pub(super) fn expiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, false, true)
}

/// `PEXPIRETIME key`.
pub(super) fn pexpiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// `PERSIST key`: 1 if a TTL was removed.
pub(super) fn persist(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    if a.get_for_write(&key).is_none() || a.expire_at(&key).is_none() {
        return Ok(Frame::Integer(0));
    }
    a.set_expire(&key, None);
    a.notify(notify::GENERIC, "persist", &key);
    a.emit(vec![Bytes::from_static(b"PERSIST"), key]);
    Ok(Frame::Integer(1))
}
