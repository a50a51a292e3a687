//! DUMP and RESTORE: a key's value as Redis's serialized payload (an RDB object, the RDB
//! version and a CRC-64), and back. The codec lives in [`crate::rdb`].

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_payloads;

use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Access, Ctx, Ttl};
use crate::notify;
use crate::rdb::{self, PayloadError};
use crate::types::Value;
use bytes::Bytes;
use shoal_resp::Frame;

/// The thresholds loaded values are built under, as currently configured.
fn limits(ctx: &Ctx<'_>) -> rdb::Limits {
    rdb::Limits::configured(&ctx.engine().config)
}

/// True unless `rdbcompression` is set to `no`.
fn compression(ctx: &Ctx<'_>) -> bool {
    ctx.engine()
        .config
        .get("rdbcompression")
        .is_none_or(|v| !v.eq_ignore_ascii_case("no"))
}

/// `DUMP key`: the serialized value, or a null reply for a missing key.
fn dump(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    ctx.args.finish()?;
    let compress = compression(ctx);
    let fill = limits(ctx).list;
    let mut a = ctx.lock1(&key);
    // Fields past their deadline go first, as for any hash read.
    crate::commands::hash::purge(&mut a, &key);
    let Some(v) = a.get_value(&key) else {
        return Ok(Frame::Null);
    };
    Ok(Frame::Bulk(Bytes::from(rdb::dump(v, compress, fill))))
}

/// RESTORE's options.
#[derive(Default)]
struct RestoreOptions {
    replace: bool,
    absttl: bool,
    idle: Option<i64>,
    freq: Option<i64>,
}

fn parse_options(ctx: &mut Ctx<'_>) -> Result<RestoreOptions, CmdError> {
    let mut o = RestoreOptions::default();
    while let Some(w) = ctx.args.next_arg() {
        let more = ctx.args.remaining() > 0;
        if is_word(&w, "REPLACE") {
            o.replace = true;
        } else if is_word(&w, "ABSTTL") {
            o.absttl = true;
        } else if is_word(&w, "IDLETIME") && more && o.freq.is_none() {
            let n = ctx.args.int()?;
            if n < 0 {
                return Err(CmdError::Msg("Invalid IDLETIME value, must be >= 0"));
            }
            o.idle = Some(n);
        } else if is_word(&w, "FREQ") && more && o.idle.is_none() {
            let n = ctx.args.int()?;
            if !(0..=255).contains(&n) {
                return Err(CmdError::Msg("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            o.freq = Some(n);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// The payload's value, with Redis's two wire errors.
fn load(payload: &[u8], lim: &rdb::Limits) -> Result<Value, CmdError> {
    rdb::restore(payload, lim).map_err(|e| match e {
        PayloadError::VersionOrChecksum => {
            CmdError::Msg("DUMP payload version or checksum are wrong")
        }
        PayloadError::BadData(_) => CmdError::Msg("Bad data format"),
    })
}

/// `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]`.
fn restore(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let ttl_arg = ctx.args.bytes()?;
    let payload = ctx.args.bytes()?;
    let o = parse_options(ctx)?;
    let now = ctx.now_ms;
    // Decoded before locking so a big payload does not hold the shard; the errors are
    // still answered in Redis's order: existing key, TTL, payload.
    let value = load(&payload, &limits(ctx));
    let mut a = ctx.lock1(&key);
    if !o.replace && a.exists(&key) {
        return Err(CmdError::Coded {
            code: "BUSYKEY",
            msg: "Target key name already exists.".into(),
        });
    }
    let ttl = crate::util::num::parse_i64(&ttl_arg).ok_or(CmdError::NotInteger)?;
    if ttl < 0 {
        return Err(CmdError::Msg("Invalid TTL value, must be >= 0"));
    }
    let value = value?;
    let deleted = o.replace && a.remove(&key).is_some();
    let at = match (ttl, o.absttl) {
        (0, _) => None,
        (t, true) => Some(t as u64),
        (t, false) => Some(now.saturating_add(t as u64)),
    };
    if at.is_some_and(|at| at <= now) {
        if deleted {
            a.notify(notify::GENERIC, "del", &key);
            a.emit(vec![Bytes::from_static(b"DEL"), key]);
        }
        return Ok(Frame::ok());
    }
    put(&mut a, &key, value, at, &o);
    a.emit(effect(key, at, payload, &o));
    Ok(Frame::ok())
}

/// Stores the restored value, sets its access time, and tells notifications and blocked
/// clients.
fn put(a: &mut Access<'_>, key: &[u8], value: Value, at: Option<u64>, o: &RestoreOptions) {
    let wakes = matches!(value, Value::List(_) | Value::ZSet(_));
    let field_deadline = match &value {
        Value::Hash(h) => h.next_deadline(),
        _ => None,
    };
    a.set(key, value, at.map_or(Ttl::Clear, Ttl::At));
    let known = |n: Option<i64>| n.map(|n| u64::try_from(n).unwrap_or(0));
    a.set_access_data(key, known(o.idle), known(o.freq));
    if let Some(next) = field_deadline {
        crate::keyspace::hash_ttl::register(a.db_mut_of(key), key, next);
    }
    a.notify(notify::GENERIC, "restore", key);
    if wakes {
        a.signal_ready(key);
    }
}

/// The replicated form: an absolute deadline (or 0), REPLACE and ABSTTL, so a replay gives
/// the same key whenever it runs.
fn effect(key: Bytes, at: Option<u64>, payload: Bytes, o: &RestoreOptions) -> Vec<Bytes> {
    let mut e = vec![
        Bytes::from_static(b"RESTORE"),
        key,
        Bytes::from(at.unwrap_or(0).to_string()),
        payload,
        Bytes::from_static(b"REPLACE"),
        Bytes::from_static(b"ABSTTL"),
    ];
    if let Some(idle) = o.idle {
        e.push(Bytes::from_static(b"IDLETIME"));
        e.push(Bytes::from(idle.to_string()));
    }
    if let Some(freq) = o.freq {
        e.push(Bytes::from_static(b"FREQ"));
        e.push(Bytes::from(freq.to_string()));
    }
    e
}

/// The family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dump", dump)
        .arity(2)
        .flags(flags::READONLY)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE)
        .group(Group::Generic)
        .doc(
            "Serializes a key's value in Redis's portable payload format.",
            "2.6.0",
            "O(1) to reach the key, then O(N*M) for N elements of M bytes",
        ),
    CommandSpec::new("restore", restore)
        .arity(-4)
        .flags(flags::WRITE | flags::DENYOOM)
        .keys(1, 1, 1)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .group(Group::Generic)
        .doc(
            "Creates a key from a payload DUMP produced.",
            "2.6.0",
            "O(1) to create the key, then O(N*M) for N elements of M bytes",
        ),
];
