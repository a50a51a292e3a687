//! Hash commands.
//!
//! - `basic.rs`: HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS,
//!   HVALS, HGETALL.
//! - `incr.rs`: HINCRBY, HINCRBYFLOAT.
//! - `walk.rs`: HRANDFIELD, HSCAN.
//! - `fieldttl.rs`: HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT, HTTL, HPTTL, HEXPIRETIME,
//!   HPEXPIRETIME, HPERSIST.
//! - `decl.rs`: the declarations.
//!
//! Every command first expires the key's due fields (passive field expiry, emitting
//! `HDEL key field...`), so no reply ever shows an expired field.

mod basic;
mod decl;
mod fieldttl;
mod incr;
mod walk;

#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod tests_basic;
#[cfg(test)]
mod tests_ttl;
#[cfg(test)]
mod tests_util;
#[cfg(test)]
mod tests_walk;

pub use decl::COMMANDS;

use crate::error::CmdError;
use crate::exec::{Access, Ctx};
use crate::notify;
use crate::types::hash::{expire_fields, Limits};
use crate::types::{HashValue, Value};
use bytes::Bytes;

/// The encoding thresholds currently configured.
fn limits(ctx: &Ctx<'_>) -> Limits {
    let cfg = &ctx.engine().config;
    let get = |name: &str| usize::try_from(cfg.get_i64(name)).unwrap_or(0);
    Limits {
        entries: get("hash-max-listpack-entries"),
        value: get("hash-max-listpack-value"),
    }
}

/// Deletes the fields of `key` whose deadline passed, emitting `HDEL key field...`, and the
/// key itself if no field is left. Keys of other types are left alone.
pub(crate) fn purge(a: &mut Access<'_>, key: &[u8]) {
    let now = a.now_ms();
    // Most hashes have no field with a TTL: a look without touching the value settles it.
    let due_now = a.db_mut_of(key).get(key).is_some_and(|e| match &e.value {
        Value::Hash(h) => h.has_due(now),
        _ => false,
    });
    if !due_now {
        return;
    }
    let due = a.modify(key, |v| match v {
        Value::Hash(h) if h.has_due(now) => {
            let due = expire_fields(h, now, usize::MAX);
            (due, h.is_empty())
        }
        _ => (Vec::new(), false),
    });
    let Some((due, emptied)) = due else { return };
    if due.is_empty() {
        return;
    }
    if emptied {
        a.remove(key);
    }
    a.notify(notify::HASH, "hexpired", key);
    if emptied {
        a.notify(notify::GENERIC, "del", key);
    }
    let mut effect = Vec::with_capacity(due.len() + 2);
    effect.push(Bytes::from_static(b"HDEL"));
    effect.push(Bytes::copy_from_slice(key));
    effect.extend(due);
    a.emit(effect);
}

/// Runs `f` over the hash at `key` for reading (None if missing), after passive field
/// expiry; WRONGTYPE for other types.
fn read<R>(
    ctx: &Ctx<'_>,
    key: &[u8],
    f: impl FnOnce(Option<&HashValue>) -> R,
) -> Result<R, CmdError> {
    let mut a = ctx.lock1(key);
    purge(&mut a, key);
    match a.get_value(key) {
        Some(v) => Ok(f(Some(v.as_hash()?))),
        None => Ok(f(None)),
    }
}

/// A new empty hash, for `Access::update`'s `create`.
fn new_hash() -> Option<Value> {
    Some(Value::Hash(Box::default()))
}

/// An effect `NAME key args...`.
fn effect(name: &'static [u8], key: &Bytes, args: impl IntoIterator<Item = Bytes>) -> Vec<Bytes> {
    let mut v = vec![Bytes::from_static(name), key.clone()];
    v.extend(args);
    v
}
