//! HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL.

use super::{effect, limits, new_hash, purge, read};
use crate::commands::notify_util::notify_then_reap;
use crate::commands::reply::{bulk_array, wire_resp2};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::notify;
use bytes::Bytes;
use shoal_resp::Frame;

/// Sets every (field, value) pair of the arguments; replies with the number of new fields
/// (HSET) or OK (HMSET). Replicates as `HSET key f v ...`.
fn set_pairs(ctx: &mut Ctx<'_>, ok_reply: bool) -> CmdResult {
    let key = ctx.args.key()?;
    let rest = ctx.args.rest();
    if !rest.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(ctx.name.to_string()));
    }
    let l = limits(ctx);
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    let added = a.update(&key, new_hash, |v| {
        let h = v.as_hash_mut()?;
        h.prepare(rest.len() / 2, rest.iter().map(|b| b.len()), l);
        let mut added = 0;
        for pair in rest.chunks_exact(2) {
            if h.insert(&pair[0], &pair[1], false, l) {
                added += 1;
            }
        }
        Ok(added)
    })?;
    a.notify(notify::HASH, "hset", &key);
    a.emit_with(|| effect(b"HSET", &key, rest));
    if ok_reply {
        Ok(Frame::ok())
    } else {
        Ok(Frame::Integer(added.unwrap_or(0)))
    }
}

/// `HSET key field value [field value ...]`.
pub(super) fn hset(ctx: &mut Ctx<'_>) -> CmdResult {
    set_pairs(ctx, false)
}

/// `HMSET key field value [field value ...]`.
pub(super) fn hmset(ctx: &mut Ctx<'_>) -> CmdResult {
    set_pairs(ctx, true)
}

/// `HSETNX key field value`: sets the field only if it does not exist.
pub(super) fn hsetnx(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let field = ctx.args.bytes()?;
    let value = ctx.args.bytes()?;
    let l = limits(ctx);
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    let added = a.update(&key, new_hash, |v| {
        let h = v.as_hash_mut()?;
        if h.contains(&field) {
            return Ok(false);
        }
        h.prepare(1, [field.len(), value.len()], l);
        Ok(h.insert(&field, &value, false, l))
    })?;
    let added = added.unwrap_or(false);
    if added {
        a.notify(notify::HASH, "hset", &key);
        a.emit_with(|| effect(b"HSET", &key, [field, value]));
    }
    Ok(Frame::Integer(i64::from(added)))
}

/// `HGET key field`.
pub(super) fn hget(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let field = ctx.args.bytes()?;
    read(ctx, &key, |h| match h.and_then(|h| h.get(&field)) {
        Some(v) => Frame::bulk(v),
        None => Frame::Null,
    })
}

/// `HMGET key field [field ...]`: a value or null per field.
pub(super) fn hmget(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let fields = ctx.args.rest();
    read(ctx, &key, |h| {
        let one = |f: &Bytes| match h.and_then(|h| h.get(f)) {
            Some(v) => Frame::bulk(v),
            None => Frame::Null,
        };
        Frame::Array(fields.iter().map(one).collect())
    })
}

/// `HDEL key field [field ...]`: the number of fields removed.
pub(super) fn hdel(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let fields = ctx.args.rest();
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    let removed = a.update(
        &key,
        || None,
        |v| {
            let h = v.as_hash_mut()?;
            let mut removed = Vec::new();
            for f in &fields {
                if h.remove(f) {
                    removed.push(f.clone());
                }
            }
            Ok(removed)
        },
    )?;
    let removed = removed.unwrap_or_default();
    let n = removed.len() as i64;
    if n > 0 {
        notify_then_reap(&mut a, notify::HASH, "hdel", &key);
        a.emit(effect(b"HDEL", &key, removed));
    }
    Ok(Frame::Integer(n))
}

/// `HLEN key`.
pub(super) fn hlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    read(ctx, &key, |h| {
        Frame::Integer(h.map_or(0, |h| h.len() as i64))
    })
}

/// `HSTRLEN key field`: the value's length, 0 if missing.
pub(super) fn hstrlen(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let field = ctx.args.bytes()?;
    read(ctx, &key, |h| {
        Frame::Integer(h.and_then(|h| h.get(&field)).map_or(0, |v| v.len() as i64))
    })
}

/// `HEXISTS key field`.
pub(super) fn hexists(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let field = ctx.args.bytes()?;
    read(ctx, &key, |h| {
        Frame::Integer(i64::from(h.is_some_and(|h| h.contains(&field))))
    })
}

/// `HKEYS key`.
pub(super) fn hkeys(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let wire = ctx.session.wire;
    read(ctx, &key, |h| match h {
        Some(h) => bulk_array(wire, h.iter().map(|(f, _)| f)),
        None => Frame::Array(Vec::new()),
    })
}

/// `HVALS key`.
pub(super) fn hvals(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let wire = ctx.session.wire;
    read(ctx, &key, |h| match h {
        Some(h) => bulk_array(wire, h.iter().map(|(_, v)| v)),
        None => Frame::Array(Vec::new()),
    })
}

/// `HGETALL key`: a map (a flat array in RESP2).
pub(super) fn hgetall(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let flat = wire_resp2(ctx);
    read(ctx, &key, |h| {
        if let (true, Some(h)) = (flat, h) {
            return bulk_array(true, h.iter().flat_map(|(f, v)| [f, v]));
        }
        Frame::Map(h.map_or_else(Vec::new, |h| {
            h.iter()
                .map(|(f, v)| (Frame::bulk(f), Frame::bulk(v)))
                .collect()
        }))
    })
}
