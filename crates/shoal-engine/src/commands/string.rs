//! String commands.
//!
//! Handlers parse their options into a `*Options` struct, do the data work through
//! [`Access`](crate::exec::Access), and emit the replication form of what they changed.

use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::{Ctx, Ttl};
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

/// SET's parsed options.
#[derive(Debug, Default)]
struct SetOptions {
    condition: Condition,
    get: bool,
    keep_ttl: bool,
    expire_at: Option<u64>,
}

fn parse_set_options(ctx: &mut Ctx<'_>) -> Result<SetOptions, CmdError> {
    let mut o = SetOptions::default();
    let mut expire_given = false;
    while let Some(word) = ctx.args.next_arg() {
        let w = word.to_ascii_uppercase();
        match w.as_slice() {
            b"NX" if o.condition != Condition::Xx => o.condition = Condition::Nx,
            b"XX" if o.condition != Condition::Nx => o.condition = Condition::Xx,
            b"GET" => o.get = true,
            b"KEEPTTL" if !expire_given => {
                o.keep_ttl = true;
                expire_given = true;
            }
            b"EX" | b"PX" | b"EXAT" | b"PXAT" if !expire_given => {
                expire_given = true;
                let unit = if w.starts_with(b"E") {
                    Unit::Seconds
                } else {
                    Unit::Millis
                };
                let absolute = w.ends_with(b"AT");
                let v = ctx.args.int()?;
                o.expire_at = Some(deadline(v, unit, absolute, ctx.now_ms, "set")?);
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    Ok(o)
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]`.
/// Replicates as `SET key value [PXAT ms|KEEPTTL]`.
fn set(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let value = ctx.args.bytes()?;
    let o = parse_set_options(ctx)?;
    let mut a = ctx.lock1(&key);
    let old = match a.get_for_write(&key) {
        Some(e) => Some(e.value.as_str()?.as_bytes().into_owned()),
        None => None,
    };
    let old_reply = || match &old {
        Some(v) => Frame::bulk(v),
        None => Frame::Null,
    };
    let blocked = match o.condition {
        Condition::Nx => old.is_some(),
        Condition::Xx => old.is_none(),
        Condition::Always => false,
    };
    if blocked {
        return Ok(if o.get { old_reply() } else { Frame::Null });
    }
    let ttl = match (o.expire_at, o.keep_ttl) {
        (Some(at), _) => Ttl::At(at),
        (None, true) => Ttl::Keep,
        (None, false) => Ttl::Clear,
    };
    a.set(&key, Value::Str(StrValue::from_bytes(&value)), ttl);
    let mut effect = vec![Bytes::from_static(b"SET"), key, value];
    match ttl {
        Ttl::At(at) => {
            effect.push(Bytes::from_static(b"PXAT"));
            effect.push(Bytes::from(at.to_string()));
        }
        Ttl::Keep => effect.push(Bytes::from_static(b"KEEPTTL")),
        Ttl::Clear => {}
    }
    a.emit(effect);
    Ok(if o.get { old_reply() } else { Frame::ok() })
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

const RW: u64 = acl::STRING;

/// The string family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", get)
        .arity(2)
        .flags(flags::READONLY | flags::FAST)
        .keys(1, 1, 1)
        .acl(RW)
        .group(Group::String)
        .doc("Returns the string value of a key.", "1.0.0", "O(1)"),
    CommandSpec::new("set", set)
        .arity(-3)
        .flags(flags::WRITE | flags::DENYOOM)
        .keys(1, 1, 1)
        .acl(RW)
        .group(Group::String)
        .doc(
            "Sets the string value of a key, optionally only if it exists or not, with a TTL, returning the old value.",
            "1.0.0",
            "O(1)",
        ),
];

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use shoal_resp::Frame;

    #[test]
    fn set_then_get_returns_value() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["SET", "k", "v"]), ok());
        assert_eq!(h.run(&["GET", "k"]), bulk("v"));
        assert_eq!(h.run(&["GET", "missing"]), Frame::Null);
    }

    #[test]
    fn set_with_ex_expires_after_deadline() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["SET", "k", "v", "EX", "10"]), ok());
        h.advance(10_000);
        assert_eq!(h.run(&["GET", "k"]), bulk("v"));
        h.advance(1);
        assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    }

    #[test]
    fn set_options_refuse_conflicts_and_bad_times() {
        let mut h = Harness::new();
        assert_eq!(
            h.run(&["SET", "k", "v", "NX", "XX"]),
            err("ERR syntax error")
        );
        assert_eq!(
            h.run(&["SET", "k", "v", "EX", "1", "PX", "1"]),
            err("ERR syntax error")
        );
        assert_eq!(
            h.run(&["SET", "k", "v", "EX", "0"]),
            err("ERR invalid expire time in 'set' command")
        );
        assert_eq!(
            h.run(&["SET", "k", "v", "EX", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run(&["SET", "k", "v", "EX", "9223372036854775807"]),
            err("ERR invalid expire time in 'set' command")
        );
    }

    #[test]
    fn set_with_get_returns_previous_value() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["SET", "k", "a", "GET"]), Frame::Null);
        assert_eq!(h.run(&["SET", "k", "b", "GET"]), bulk("a"));
        assert_eq!(h.run(&["SET", "k", "c", "NX", "GET"]), bulk("b"));
        assert_eq!(h.run(&["GET", "k"]), bulk("b"));
    }
}
