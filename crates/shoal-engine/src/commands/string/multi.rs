//! MGET, MSET and MSETNX.

use crate::error::{CmdError, CmdResult};
use crate::exec::{Ctx, Ttl};
use crate::notify;
use crate::types::{StrValue, Value};
use bytes::Bytes;
use shoal_resp::Frame;

/// `MGET key [key ...]`: nil for missing keys and for keys that are not strings.
pub(super) fn mget(ctx: &mut Ctx<'_>) -> CmdResult {
    let keys = ctx.args.rest();
    let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
    let mut a = ctx.lock(&refs);
    let replies = keys
        .iter()
        .map(|k| match a.get_value(k).map(|v| v.as_str()) {
            Some(Ok(s)) => Frame::bulk(s.as_bytes()),
            _ => Frame::Null,
        })
        .collect();
    Ok(Frame::Array(replies))
}

/// The key/value pairs of MSET and MSETNX; an odd count is an arity error.
fn pairs(ctx: &mut Ctx<'_>) -> Result<Vec<Bytes>, CmdError> {
    let rest = ctx.args.rest();
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(ctx.name.to_string()));
    }
    Ok(rest)
}

/// Writes every pair (later duplicates win), clearing TTLs, and emits `MSET ...`.
fn write_pairs(ctx: &Ctx<'_>, rest: Vec<Bytes>, only_if_none_exist: bool) -> bool {
    let keys: Vec<&[u8]> = rest.iter().step_by(2).map(|k| k.as_ref()).collect();
    let mut a = ctx.lock(&keys);
    // Every key gets a write lookup first, as in Redis: keys past their deadline are
    // deleted (and their DEL emitted) before being replaced.
    if only_if_none_exist {
        if keys.iter().any(|k| a.exists(k)) {
            return false;
        }
    } else {
        for k in &keys {
            a.expire_if_needed(k);
        }
    }
    for pair in rest.chunks_exact(2) {
        let value = Value::Str(StrValue::from_bytes(&pair[1]));
        a.set(&pair[0], value, Ttl::Clear);
        a.notify(notify::STRING, "set", &pair[0]);
    }
    a.emit_with(|| {
        let mut effect = Vec::with_capacity(rest.len() + 1);
        effect.push(Bytes::from_static(b"MSET"));
        effect.extend(rest.iter().cloned());
        effect
    });
    true
}

/// `MSET key value [key value ...]`.
pub(super) fn mset(ctx: &mut Ctx<'_>) -> CmdResult {
    let rest = pairs(ctx)?;
    write_pairs(ctx, rest, false);
    Ok(Frame::ok())
}

/// `MSETNX key value [key value ...]`: all or nothing; 1 if it wrote.
pub(super) fn msetnx(ctx: &mut Ctx<'_>) -> CmdResult {
    let rest = pairs(ctx)?;
    let wrote = write_pairs(ctx, rest, true);
    Ok(Frame::Integer(i64::from(wrote)))
}
