//! SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS and SMOVE.

use super::{effect, limits, lock_keys, set_reply};
use crate::commands::notify_util::notify_then_reap;
use crate::commands::reply::{wire_resp2, writer};
use crate::error::CmdResult;
use crate::exec::Ctx;
use crate::notify;
use crate::types::{SetValue, Value};
use shoal_resp::Frame;

/// `SADD key member [member ...]`: the number of members added. Replicates as itself when
/// it added anything.
pub(super) fn sadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let members = ctx.args.rest();
    let lim = limits(ctx);
    let mut a = ctx.lock1(&key);
    let first = members.first().cloned().unwrap_or_default();
    let hint = members.len();
    let create = || Some(Value::Set(Box::new(SetValue::new_for(&first, hint, &lim))));
    let added = a.update(&key, create, |v| {
        let s = v.as_set_mut()?;
        s.maybe_convert(hint, &lim);
        Ok(members.iter().filter(|m| s.insert(m, &lim)).count())
    })?;
    let added = added.unwrap_or(0);
    if added > 0 {
        a.notify(notify::SET, "sadd", &key);
        a.emit_with(|| effect("SADD", std::iter::once(key).chain(members)));
    }
    Ok(Frame::Integer(added as i64))
}

/// `SREM key member [member ...]`: the number of members removed; the key goes when the
/// set is left empty. Replicates as itself when it removed anything.
pub(super) fn srem(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let members = ctx.args.rest();
    let mut a = ctx.lock1(&key);
    let removed = a.update(
        &key,
        || None,
        |v| {
            let s = v.as_set_mut()?;
            Ok(members.iter().filter(|m| s.remove(m)).count())
        },
    )?;
    let removed = removed.unwrap_or(0);
    if removed > 0 {
        notify_then_reap(&mut a, notify::SET, "srem", &key);
        a.emit(effect("SREM", std::iter::once(key).chain(members)));
    }
    Ok(Frame::Integer(removed as i64))
}

/// `SCARD key`: the number of members.
pub(super) fn scard(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    let n = match a.get_value(&key) {
        Some(v) => v.as_set()?.len(),
        None => 0,
    };
    Ok(Frame::Integer(n as i64))
}

/// `SISMEMBER key member`: 1 if `member` is in the set.
pub(super) fn sismember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let member = ctx.args.bytes()?;
    let mut a = ctx.lock1(&key);
    let found = match a.get_value(&key) {
        Some(v) => v.as_set()?.contains(&member),
        None => false,
    };
    Ok(Frame::Integer(i64::from(found)))
}

/// `SMISMEMBER key member [member ...]`: 1 or 0 for each member, in order.
pub(super) fn smismember(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let members = ctx.args.rest();
    let mut a = ctx.lock1(&key);
    let set = match a.get_value(&key) {
        Some(v) => Some(v.as_set()?),
        None => None,
    };
    let flags = members
        .iter()
        .map(|m| Frame::Integer(i64::from(set.is_some_and(|s| s.contains(m)))))
        .collect();
    Ok(Frame::Array(flags))
}

/// `SMEMBERS key`: every member, as a set.
pub(super) fn smembers(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let flat = wire_resp2(ctx);
    let mut a = ctx.lock1(&key);
    let Some(v) = a.get_value(&key) else {
        return Ok(set_reply(Vec::new()));
    };
    let set = v.as_set()?;
    if flat {
        let mut out = writer(set.len());
        set.for_each(|m| out.push(m));
        return Ok(Frame::Bulks(out.finish()));
    }
    Ok(set_reply(set.members()))
}

/// `SMOVE source destination member`: moves `member` between sets; 1 if it was in the
/// source. Replicates as itself when it moved something.
pub(super) fn smove(ctx: &mut Ctx<'_>) -> CmdResult {
    let src = ctx.args.key()?;
    let dst = ctx.args.key()?;
    let member = ctx.args.bytes()?;
    let lim = limits(ctx);
    let mut a = lock_keys(ctx, &[src.clone(), dst.clone()]);
    let src_has = match a.get_for_write(&src) {
        None => return Ok(Frame::Integer(0)),
        Some(e) => e.value.as_set()?.contains(&member),
    };
    if let Some(e) = a.get_for_write(&dst) {
        e.value.as_set()?;
    }
    if src == dst || !src_has {
        return Ok(Frame::Integer(i64::from(src == dst && src_has)));
    }
    a.update(&src, || None, |v| Ok(v.as_set_mut()?.remove(&member)))?;
    notify_then_reap(&mut a, notify::SET, "srem", &src);
    let create = || Some(Value::Set(Box::new(SetValue::new_for(&member, 1, &lim))));
    let added = a.update(&dst, create, |v| Ok(v.as_set_mut()?.insert(&member, &lim)))?;
    if added == Some(true) {
        a.notify(notify::SET, "sadd", &dst);
    }
    a.emit(effect("SMOVE", [src, dst, member]));
    Ok(Frame::Integer(1))
}
