//! Field expiry: HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT, HTTL, HPTTL, HEXPIRETIME,
//! HPEXPIRETIME and HPERSIST (Redis 7.4).

use super::{effect, purge};
use crate::commands::notify_util::notify_then_reap;
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::keyspace::hash_ttl;
use crate::notify;
use crate::types::HashValue;
use bytes::Bytes;
use shoal_resp::Frame;

/// The largest field deadline Redis accepts, in ms since the epoch (2^46 - 1).
const MAX_FIELD_TIME_MS: i64 = (1 << 46) - 1;

/// The reply to a field that does not exist.
const NO_FIELD: i64 = -2;

/// HEXPIRE's condition.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    Always,
    Nx,
    Xx,
    Gt,
    Lt,
}

impl Cond {
    fn parse(word: &[u8]) -> Option<Cond> {
        match word.to_ascii_uppercase().as_slice() {
            b"NX" => Some(Cond::Nx),
            b"XX" => Some(Cond::Xx),
            b"GT" => Some(Cond::Gt),
            b"LT" => Some(Cond::Lt),
            _ => None,
        }
    }

    /// Whether a field whose deadline is `cur` (None: none, i.e. forever) may get `at`.
    fn allows(self, cur: Option<u64>, at: u64) -> bool {
        match self {
            Cond::Always => true,
            Cond::Nx => cur.is_none(),
            Cond::Xx => cur.is_some(),
            Cond::Gt => cur.is_some_and(|c| at > c),
            Cond::Lt => cur.is_none_or(|c| at < c),
        }
    }
}

/// Reads `FIELDS numfields field...` (the rest of the arguments).
fn parse_fields(ctx: &mut Ctx<'_>, count_err: &'static str) -> Result<Vec<Bytes>, CmdError> {
    if !ctx.args.eat("FIELDS") {
        return Err(CmdError::Msg(
            "Mandatory argument FIELDS is missing or not at the right position",
        ));
    }
    let n = ctx.args.bytes()?;
    let n = crate::util::num::parse_i64(&n)
        .filter(|&n| n >= 1)
        .ok_or(CmdError::Msg(count_err))?;
    let fields = ctx.args.rest();
    if usize::try_from(n).ok() != Some(fields.len()) {
        return Err(CmdError::Msg(
            "The `numfields` parameter must match the number of arguments",
        ));
    }
    Ok(fields)
}

/// Parses the time argument into an absolute deadline in ms.
fn parse_deadline(ctx: &mut Ctx<'_>, secs: bool, relative: bool) -> Result<u64, CmdError> {
    let v = ctx.args.int()?;
    if v < 0 {
        return Err(CmdError::Msg("invalid expire time, must be >= 0"));
    }
    let invalid = CmdError::InvalidExpireTime(ctx.name);
    if secs && v > MAX_FIELD_TIME_MS / 1000 {
        return Err(invalid);
    }
    let ms = if secs { v * 1000 } else { v };
    let base = if relative { ctx.now_ms as i64 } else { 0 };
    if ms > MAX_FIELD_TIME_MS - base {
        return Err(invalid);
    }
    Ok((ms + base) as u64)
}

/// What one HEXPIRE did, for the reply and the effects.
#[derive(Default)]
struct ExpireOutcome {
    codes: Vec<i64>,
    set: Vec<Bytes>,
    deleted: Vec<Bytes>,
}

fn apply_expire(
    h: &mut HashValue,
    fields: &[Bytes],
    at: u64,
    cond: Cond,
    now: u64,
) -> ExpireOutcome {
    h.enable_ttl();
    let mut out = ExpireOutcome::default();
    for f in fields {
        let code = if !h.contains(f) {
            NO_FIELD
        } else if !cond.allows(h.field_ttl(f), at) {
            0
        } else if at <= now {
            h.remove(f);
            out.deleted.push(f.clone());
            2
        } else {
            h.set_field_ttl(f, at);
            out.set.push(f.clone());
            1
        };
        out.codes.push(code);
    }
    out
}

/// The HEXPIRE family: `key time [NX|XX|GT|LT] FIELDS numfields field...`. Replicates as
/// `HPEXPIREAT key ms FIELDS n field...` for fields that got the deadline and `HDEL` for
/// those a past time deleted.
fn expire_generic(ctx: &mut Ctx<'_>, secs: bool, relative: bool) -> CmdResult {
    let key = ctx.args.key()?;
    let now = ctx.now_ms;
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    let exists = match a.get_for_write(&key) {
        Some(e) => e.value.as_hash().map(|_| true)?,
        None => false,
    };
    let at = parse_deadline(ctx, secs, relative)?;
    let cond = match ctx.args.peek().and_then(|w| Cond::parse(w)) {
        Some(c) => {
            ctx.args.next_arg();
            c
        }
        None => Cond::Always,
    };
    let fields = parse_fields(ctx, "Parameter `numFields` should be greater than 0")?;
    if !exists {
        return Ok(codes_frame(vec![NO_FIELD; fields.len()]));
    }
    let out = a.update(
        &key,
        || None,
        |v| Ok(apply_expire(v.as_hash_mut()?, &fields, at, cond, now)),
    )?;
    let out = out.unwrap_or_default();
    // One event for the call: `hdel` if a past time deleted any field, else `hexpire`;
    // then `del` if that emptied the hash.
    if !out.deleted.is_empty() {
        notify_then_reap(&mut a, notify::HASH, "hdel", &key);
    } else if !out.set.is_empty() {
        a.notify(notify::HASH, "hexpire", &key);
    }
    if !out.set.is_empty() {
        hash_ttl::register(a.db_mut_of(&key), &key, at);
        let mut args = vec![
            Bytes::from(at.to_string()),
            Bytes::from_static(b"FIELDS"),
            Bytes::from(out.set.len().to_string()),
        ];
        args.extend(out.set);
        a.emit(effect(b"HPEXPIREAT", &key, args));
    }
    if !out.deleted.is_empty() {
        a.emit(effect(b"HDEL", &key, out.deleted));
    }
    Ok(codes_frame(out.codes))
}

fn codes_frame(codes: Vec<i64>) -> Frame {
    Frame::Array(codes.into_iter().map(Frame::Integer).collect())
}

/// `HEXPIRE key seconds [NX|XX|GT|LT] FIELDS numfields field...`.
pub(super) fn hexpire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, true)
}

/// `HPEXPIRE key milliseconds [NX|XX|GT|LT] FIELDS numfields field...`.
pub(super) fn hpexpire(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, true)
}

/// `HEXPIREAT key unix-seconds [NX|XX|GT|LT] FIELDS numfields field...`.
pub(super) fn hexpireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, true, false)
}

/// `HPEXPIREAT key unix-ms [NX|XX|GT|LT] FIELDS numfields field...`.
pub(super) fn hpexpireat(ctx: &mut Ctx<'_>) -> CmdResult {
    expire_generic(ctx, false, false)
}

/// The HTTL family: per field -2 (no field), -1 (no deadline) or the remaining time /
/// deadline in the command's unit.
fn ttl_generic(ctx: &mut Ctx<'_>, secs: bool, relative: bool) -> CmdResult {
    let key = ctx.args.key()?;
    let now = ctx.now_ms;
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    if let Some(v) = a.get_value(&key) {
        v.as_hash()?;
    }
    let fields = parse_fields(ctx, "Number of fields must be a positive integer")?;
    // A second look that counts no keyspace hit (the first one did).
    let codes = a.modify(&key, |v| {
        v.as_hash()
            .map(|h| ttl_codes(h, &fields, now, secs, relative))
    });
    match codes {
        Some(codes) => Ok(codes_frame(codes?)),
        None => Ok(codes_frame(vec![NO_FIELD; fields.len()])),
    }
}

/// The HTTL family's per-field answers.
fn ttl_codes(h: &HashValue, fields: &[Bytes], now: u64, secs: bool, relative: bool) -> Vec<i64> {
    let base = if relative { now } else { 0 };
    let one = |f: &Bytes| match (h.contains(f), h.field_ttl(f)) {
        (false, _) => NO_FIELD,
        (true, None) => -1,
        (true, Some(at)) => {
            let ms = at.saturating_sub(base) as i64;
            if secs {
                (ms + 999) / 1000
            } else {
                ms
            }
        }
    };
    fields.iter().map(one).collect()
}

/// `HTTL key FIELDS numfields field...`.
pub(super) fn httl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// `HPTTL key FIELDS numfields field...`.
pub(super) fn hpttl(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, false, true)
}

/// `HEXPIRETIME key FIELDS numfields field...`.
pub(super) fn hexpiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, true, false)
}

/// `HPEXPIRETIME key FIELDS numfields field...`.
pub(super) fn hpexpiretime(ctx: &mut Ctx<'_>) -> CmdResult {
    ttl_generic(ctx, false, false)
}

/// `HPERSIST key FIELDS numfields field...`: per field -2 (no field), -1 (no deadline) or
/// 1 (deadline removed). Replicates as `HPERSIST key FIELDS n field...` for the fields it
/// changed.
pub(super) fn hpersist(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    purge(&mut a, &key);
    let exists = match a.get_for_write(&key) {
        Some(e) => e.value.as_hash().map(|_| true)?,
        None => false,
    };
    let fields = parse_fields(ctx, "Number of fields must be a positive integer")?;
    if !exists {
        return Ok(codes_frame(vec![NO_FIELD; fields.len()]));
    }
    let result = a.update(
        &key,
        || None,
        |v| {
            let h = v.as_hash_mut()?;
            let mut codes = Vec::with_capacity(fields.len());
            let mut done = Vec::new();
            for f in &fields {
                codes.push(if !h.contains(f) {
                    NO_FIELD
                } else if h.persist(f) {
                    done.push(f.clone());
                    1
                } else {
                    -1
                });
            }
            Ok((codes, done))
        },
    )?;
    let (codes, done) = result.unwrap_or_default();
    if !done.is_empty() {
        a.notify(notify::HASH, "hpersist", &key);
        let mut args = vec![
            Bytes::from_static(b"FIELDS"),
            Bytes::from(done.len().to_string()),
        ];
        args.extend(done);
        a.emit(effect(b"HPERSIST", &key, args));
    }
    Ok(codes_frame(codes))
}
