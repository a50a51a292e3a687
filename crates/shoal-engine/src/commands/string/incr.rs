//! INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT.

use super::ldouble::{self, Parsed};
use crate::error::{CmdError, CmdResult};
use crate::exec::{Ctx, Ttl};
use crate::notify;
use crate::types::{StrValue, Value};
use bytes::Bytes;
use shoal_resp::Frame;

/// Adds `delta` to the integer stored at the next argument's key (missing counts as 0),
/// keeping its TTL; replicates the command as given.
fn incr_by(ctx: &mut Ctx<'_>, key: Bytes, delta: i64) -> CmdResult {
    let mut a = ctx.lock1(&key);
    // In place, with one lookup: a missing key starts as 0; the TTL stays as it is.
    let new = a.update(
        &key,
        || Some(Value::Str(StrValue::Int(0))),
        |v| {
            let current = v.as_str()?.as_int().ok_or(CmdError::NotInteger)?;
            let new = current.checked_add(delta).ok_or(CmdError::Overflow)?;
            *v = Value::Str(StrValue::Int(new));
            Ok(new)
        },
    )?;
    // `update` answers None only when `create` declines, and this one always creates.
    let new = new.unwrap_or(delta);
    a.notify(notify::STRING, "incrby", &key);
    a.emit_with(|| ctx.args.all().to_vec());
    Ok(Frame::Integer(new))
}

/// `INCR key`.
pub(super) fn incr(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    incr_by(ctx, key, 1)
}

/// `DECR key`.
pub(super) fn decr(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    incr_by(ctx, key, -1)
}

/// `INCRBY key increment`.
pub(super) fn incrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let delta = ctx.args.int()?;
    incr_by(ctx, key, delta)
}

/// `DECRBY key decrement`.
pub(super) fn decrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let delta = ctx.args.int()?;
    if delta == i64::MIN {
        return Err(CmdError::Msg("decrement would overflow"));
    }
    incr_by(ctx, key, -delta)
}

/// Parses a stored value or an increment as INCRBYFLOAT accepts it.
fn float_of(text: &[u8]) -> Result<Parsed, CmdError> {
    ldouble::parse(text).ok_or(CmdError::NotFloat)
}

/// `INCRBYFLOAT key increment`: the result is stored as text (never `int`), keeps the TTL,
/// and replicates as `SET key value KEEPTTL`.
pub(super) fn incrbyfloat(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let incr_text = ctx.args.bytes()?;
    let mut a = ctx.lock1(&key);
    let current = match a.get_for_write(&key) {
        Some(e) => float_of(&e.value.as_str()?.as_bytes())?,
        None => Parsed::Finite(ldouble::Ext::ZERO),
    };
    let incr = float_of(&incr_text)?;
    let sum = match (current, incr) {
        (Parsed::Finite(x), Parsed::Finite(y)) => x.add(y),
        _ => None,
    };
    let sum = sum.ok_or(CmdError::NanOrInfinity)?;
    let text = Bytes::from(sum.humanized());
    a.set(
        &key,
        Value::Str(StrValue::from_bytes_no_int(&text)),
        Ttl::Keep,
    );
    a.notify(notify::STRING, "incrbyfloat", &key);
    a.emit_with(|| {
        vec![
            Bytes::from_static(b"SET"),
            key,
            text.clone(),
            Bytes::from_static(b"KEEPTTL"),
        ]
    });
    Ok(Frame::Bulk(text))
}
