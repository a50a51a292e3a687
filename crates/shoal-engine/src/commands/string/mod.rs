//! String commands.
//!
//! Handlers parse their options into a `*Options` struct, do the data work through
//! [`crate::exec::Access`], and emit the replication form of what they changed.
//!
//! - `mod.rs`: SET and its relatives (SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX), GET.
//! - `incr.rs`: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT (`ldouble.rs`: its arithmetic).
//! - `range.rs`: APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE.
//! - `multi.rs`: MGET, MSET, MSETNX.
//! - `lcs.rs`: LCS.
//! - `decl.rs`: the declarations.

mod decl;
mod incr;
mod lcs;
pub(crate) mod ldouble;
mod multi;
mod range;

#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod tests_basic;
#[cfg(test)]
mod tests_lcs;
#[cfg(test)]
mod tests_ldouble;
#[cfg(test)]
mod tests_more;
#[cfg(test)]
mod tests_util;

pub use decl::COMMANDS;

use crate::error::{CmdError, CmdResult};
use crate::exec::{Access, Args, Ctx, Ttl};
use crate::notify;
use crate::types::{StrValue, Value};
use bytes::Bytes;
use shoal_resp::Frame;

/// How SET's condition and TTL options were given.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Condition {
    /// Always write.
    #[default]
    Always,
    /// `NX`: only if the key does not exist.
    Nx,
    /// `XX`: only if the key exists.
    Xx,
}

/// The time unit of a TTL argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Seconds,
    Millis,
}

/// Turns a TTL argument into an absolute deadline in ms, refusing values Redis refuses
/// (non-positive, or overflowing once converted) with `invalid expire time in '<cmd>'`.
pub(crate) fn deadline(
    value: i64,
    unit: Unit,
    absolute: bool,
    now_ms: u64,
    cmd: &'static str,
) -> Result<u64, CmdError> {
    let invalid = CmdError::InvalidExpireTime(cmd);
    if value <= 0 {
        return Err(invalid);
    }
    let ms = match unit {
        Unit::Seconds => value.checked_mul(1000).ok_or(invalid.clone())?,
        Unit::Millis => value,
    };
    let at = if absolute {
        Some(ms)
    } else {
        ms.checked_add(now_ms as i64)
    };
    match at {
        Some(at) if at > 0 => Ok(at as u64),
        _ => Err(invalid),
    }
}

/// Which of the two commands sharing the option grammar is parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Set,
    GetEx,
}

/// The four ways of giving an expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl ExpireKind {
    fn parse(word: &[u8]) -> Option<ExpireKind> {
        match word.to_ascii_uppercase().as_slice() {
            b"EX" => Some(ExpireKind::Ex),
            b"PX" => Some(ExpireKind::Px),
            b"EXAT" => Some(ExpireKind::ExAt),
            b"PXAT" => Some(ExpireKind::PxAt),
            _ => None,
        }
    }

    fn absolute(self) -> bool {
        matches!(self, ExpireKind::ExAt | ExpireKind::PxAt)
    }

    fn unit(self) -> Unit {
        match self {
            ExpireKind::Ex | ExpireKind::ExAt => Unit::Seconds,
            ExpireKind::Px | ExpireKind::PxAt => Unit::Millis,
        }
    }
}

/// Options of SET and GETEX. As in Redis, an option may repeat (the last value wins) but
/// options that contradict each other are a syntax error; numbers are checked afterwards.
#[derive(Debug, Default)]
struct ExtOptions {
    condition: Condition,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, Bytes)>,
}

impl ExtOptions {
    fn parse(args: &mut Args, mode: Mode) -> Result<ExtOptions, CmdError> {
        let mut o = ExtOptions::default();
        let set = mode == Mode::Set;
        while let Some(word) = args.next_arg() {
            let w = word.to_ascii_uppercase();
            let kind = ExpireKind::parse(&w);
            let expire_free = match (o.expire.as_ref(), kind) {
                (None, _) => true,
                (Some((prev, _)), Some(k)) => *prev == k,
                _ => false,
            };
            match w.as_slice() {
                b"NX" if set && o.condition != Condition::Xx => o.condition = Condition::Nx,
                b"XX" if set && o.condition != Condition::Nx => o.condition = Condition::Xx,
                b"GET" if set => o.get = true,
                b"KEEPTTL" if set && o.expire.is_none() => o.keep_ttl = true,
                b"PERSIST" if !set && o.expire.is_none() => o.persist = true,
                _ if kind.is_some()
                    && expire_free
                    && !o.keep_ttl
                    && !o.persist
                    && args.remaining() > 0 =>
                {
                    let value = args.bytes()?;
                    o.expire = kind.map(|k| (k, value));
                }
                _ => return Err(CmdError::Syntax),
            }
        }
        Ok(o)
    }

    /// The absolute deadline the options ask for, validated.
    fn deadline(&self, now_ms: u64, cmd: &'static str) -> Result<Option<u64>, CmdError> {
        let Some((kind, text)) = &self.expire else {
            return Ok(None);
        };
        let v = crate::util::num::parse_i64(text).ok_or(CmdError::NotInteger)?;
        deadline(v, kind.unit(), kind.absolute(), now_ms, cmd).map(Some)
    }
}

/// Stores `value` as a freshly written string under `key` and emits
/// `SET key value [PXAT ms|KEEPTTL]`.
fn store_and_emit(a: &mut Access<'_>, key: Bytes, value: Bytes, ttl: Ttl) {
    a.set(&key, Value::Str(StrValue::from_bytes(&value)), ttl);
    a.notify(notify::STRING, "set", &key);
    if matches!(ttl, Ttl::At(_)) {
        a.notify(notify::GENERIC, "expire", &key);
    }
    a.emit_with(|| {
        let mut effect = vec![Bytes::from_static(b"SET"), key, value];
        match ttl {
            Ttl::At(at) => {
                effect.push(Bytes::from_static(b"PXAT"));
                effect.push(Bytes::from(at.to_string()));
            }
            Ttl::Keep => effect.push(Bytes::from_static(b"KEEPTTL")),
            Ttl::Clear => {}
        }
        effect
    });
}

/// A bulk reply of `v`, or the null reply.
fn bulk_or_null(v: Option<Vec<u8>>) -> Frame {
    match v {
        Some(v) => Frame::bulk(v),
        None => Frame::Null,
    }
}

/// Reads `key` as a string for a reply (counting a hit or miss); WRONGTYPE for others.
fn read_string(a: &mut Access<'_>, key: &[u8]) -> Result<Option<Vec<u8>>, CmdError> {
    match a.get_value(key) {
        Some(v) => Ok(Some(v.as_str()?.as_bytes().into_owned())),
        None => Ok(None),
    }
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]`.
/// Replicates as `SET key value [PXAT ms|KEEPTTL]`.
fn set(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let value = ctx.args.bytes()?;
    let o = ExtOptions::parse(&mut ctx.args, Mode::Set)?;
    let expire_at = o.deadline(ctx.now_ms, "set")?;
    let mut a = ctx.lock1(&key);
    let (exists, old) = if o.get {
        let old = read_string(&mut a, &key)?;
        (old.is_some(), old)
    } else if matches!(o.condition, Condition::Always) {
        // Nothing to decide: `Access::set` expires a key past its deadline itself (its DEL
        // emitted first), so a plain SET makes no lookup of its own.
        (false, None)
    } else {
        (a.exists(&key), None)
    };
    let blocked = match o.condition {
        Condition::Nx => exists,
        Condition::Xx => !exists,
        Condition::Always => false,
    };
    if blocked {
        return Ok(if o.get {
            bulk_or_null(old)
        } else {
            Frame::Null
        });
    }
    let ttl = match (expire_at, o.keep_ttl) {
        (Some(at), _) => Ttl::At(at),
        (None, true) => Ttl::Keep,
        (None, false) => Ttl::Clear,
    };
    store_and_emit(&mut a, key, value, ttl);
    Ok(if o.get {
        bulk_or_null(old)
    } else {
        Frame::ok()
    })
}

/// `SETNX key value`: 1 if it wrote, 0 if the key existed.
fn setnx(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let value = ctx.args.bytes()?;
    let mut a = ctx.lock1(&key);
    if a.exists(&key) {
        return Ok(Frame::Integer(0));
    }
    store_and_emit(&mut a, key, value, Ttl::Clear);
    Ok(Frame::Integer(1))
}

/// SETEX and PSETEX: `key ttl value`.
fn set_with_ttl(ctx: &mut Ctx<'_>, unit: Unit, cmd: &'static str) -> CmdResult {
    let key = ctx.args.key()?;
    let ttl = ctx.args.int()?;
    let value = ctx.args.bytes()?;
    let at = deadline(ttl, unit, false, ctx.now_ms, cmd)?;
    let mut a = ctx.lock1(&key);
    // `Access::set` deletes a key past its deadline (and emits its DEL) before replacing
    // it, as Redis's write lookup does.
    store_and_emit(&mut a, key, value, Ttl::At(at));
    Ok(Frame::ok())
}

/// `SETEX key seconds value`.
fn setex(ctx: &mut Ctx<'_>) -> CmdResult {
    set_with_ttl(ctx, Unit::Seconds, "setex")
}

/// `PSETEX key milliseconds value`.
fn psetex(ctx: &mut Ctx<'_>) -> CmdResult {
    set_with_ttl(ctx, Unit::Millis, "psetex")
}

/// `GET key`.
fn get(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    match a.get_value(&key) {
        Some(v) => Ok(Frame::bulk(v.as_str()?.as_bytes())),
        None => Ok(Frame::Null),
    }
}

/// `GETSET key value`: SET that answers the old value. Replicates as `SET key value`.
fn getset(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let value = ctx.args.bytes()?;
    let mut a = ctx.lock1(&key);
    let old = read_string(&mut a, &key)?;
    store_and_emit(&mut a, key, value, Ttl::Clear);
    Ok(bulk_or_null(old))
}

/// `GETDEL key`: answers the value and deletes the key. Replicates as `DEL key`.
fn getdel(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    let Some(old) = read_string(&mut a, &key)? else {
        return Ok(Frame::Null);
    };
    a.remove(&key);
    a.notify(notify::GENERIC, "del", &key);
    a.emit(vec![Bytes::from_static(b"DEL"), key]);
    Ok(Frame::bulk(old))
}

/// `GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]`: GET that also sets or clears the
/// TTL. Replicates as `PEXPIREAT key ms`, `PERSIST key`, or `DEL key` when an absolute
/// deadline has already passed; a plain GETEX changes nothing.
fn getex(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let o = ExtOptions::parse(&mut ctx.args, Mode::GetEx)?;
    let now = ctx.now_ms;
    let mut a = ctx.lock1(&key);
    let Some(value) = read_string(&mut a, &key)? else {
        return Ok(Frame::Null);
    };
    let absolute = o.expire.as_ref().is_some_and(|(k, _)| k.absolute());
    match o.deadline(now, "getex")? {
        Some(at) if absolute && at <= now => {
            a.remove(&key);
            a.notify(notify::GENERIC, "del", &key);
            a.emit(vec![Bytes::from_static(b"DEL"), key]);
        }
        Some(at) => {
            a.set_expire(&key, Some(at));
            a.notify(notify::GENERIC, "expire", &key);
            let at = Bytes::from(at.to_string());
            a.emit(vec![Bytes::from_static(b"PEXPIREAT"), key, at]);
        }
        None if o.persist && a.expire_at(&key).is_some() => {
            a.set_expire(&key, None);
            a.notify(notify::GENERIC, "persist", &key);
            a.emit(vec![Bytes::from_static(b"PERSIST"), key]);
        }
        None => {}
    }
    Ok(Frame::bulk(value))
}
