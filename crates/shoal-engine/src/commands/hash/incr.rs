//! HINCRBY and HINCRBYFLOAT. Both keep the field's TTL.

use super::{effect, limits, new_hash, purge};
use crate::commands::string::ldouble::{self, Ext, Parsed};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::notify;
use crate::util::num::parse_i64;
use bytes::Bytes;
use shoal_resp::Frame;

/// `HINCRBY key field increment`: replicated as given.
pub(super) fn hincrby(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let field = ctx.args.bytes()?;
    let incr = ctx.args.int()?;
    let l = limits(ctx);
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    let new = a.update(&key, new_hash, |v| {
        let h = v.as_hash_mut()?;
        let cur = match h.get(&field) {
            Some(text) => parse_i64(text).ok_or(CmdError::Msg("hash value is not an integer"))?,
            None => 0,
        };
        let new = cur.checked_add(incr).ok_or(CmdError::Overflow)?;
        h.insert(&field, &crate::util::num::i64_to_bytes(new), true, l);
        Ok(new)
    })?;
    let new = new.unwrap_or(0);
    a.notify(notify::HASH, "hincrby", &key);
    a.emit(effect(
        b"HINCRBY",
        &key,
        ctx.args.all()[2..].iter().cloned(),
    ));
    Ok(Frame::Integer(new))
}

/// Reads a stored hash value as a long double.
fn stored_float(text: &[u8]) -> Result<Option<Ext>, CmdError> {
    match ldouble::parse(text) {
        Some(Parsed::Finite(x)) => Ok(Some(x)),
        Some(Parsed::Infinite) => Ok(None),
        None => Err(CmdError::Msg("hash value is not a float")),
    }
}

/// `HINCRBYFLOAT key field increment`: long double arithmetic as Redis; replicated as
/// `HSET key field result` (and `HPEXPIREAT` to restore a field deadline HSET would drop).
pub(super) fn hincrbyfloat(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let field = ctx.args.bytes()?;
    let incr = match ldouble::parse(&ctx.args.bytes()?) {
        Some(Parsed::Finite(x)) => x,
        Some(Parsed::Infinite) => return Err(CmdError::Msg("value is NaN or Infinity")),
        None => return Err(CmdError::NotFloat),
    };
    let l = limits(ctx);
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    let text = a.update(&key, new_hash, |v| {
        let h = v.as_hash_mut()?;
        let cur = match h.get(&field) {
            Some(t) => stored_float(t)?,
            None => Some(Ext::ZERO),
        };
        let sum = cur
            .and_then(|c| c.add(incr))
            .ok_or(CmdError::NanOrInfinity)?;
        let text = Bytes::from(sum.humanized());
        h.insert(&field, &text, true, l);
        Ok((text, h.field_ttl(&field)))
    })?;
    let (text, ttl) = text.unwrap_or_default();
    a.notify(notify::HASH, "hincrbyfloat", &key);
    a.emit(effect(b"HSET", &key, [field.clone(), text.clone()]));
    if let Some(at) = ttl {
        // HSET drops a field's deadline where it is replayed; restore it there.
        let args = [at.to_string().into(), "FIELDS".into(), "1".into(), field];
        a.emit(effect(b"HPEXPIREAT", &key, args));
    }
    Ok(Frame::Bulk(text))
}
