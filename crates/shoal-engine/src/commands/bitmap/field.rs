//! BITFIELD and BITFIELD_RO: integer fields of 1 to 64 bits at any bit offset of a string.

use super::parse_offset;
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Access, Ctx, Ttl};
use crate::notify;
use crate::types::bits::{self, Overflow};
use crate::types::{StrValue, Value};
use crate::util::num::parse_i64;
use bytes::Bytes;
use shoal_resp::Frame;

const BAD_TYPE: &str =
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// What one subcommand does.
#[derive(Clone, Copy, Debug)]
enum Action {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// One parsed subcommand.
#[derive(Clone, Copy, Debug)]
struct FieldOp {
    action: Action,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

/// Parses `i<bits>` (1..=64) or `u<bits>` (1..=63); returns (signed, bits).
fn parse_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let bad = CmdError::Msg(BAD_TYPE);
    let (signed, max) = match arg.first() {
        Some(b'i') => (true, 64),
        Some(b'u') => (false, 63),
        _ => return Err(bad),
    };
    match parse_i64(&arg[1..]) {
        Some(n) if (1..=max).contains(&n) => Ok((signed, n as u32)),
        _ => Err(bad),
    }
}

/// Parses every subcommand, in order; OVERFLOW changes the policy of those after it.
fn parse_ops(ctx: &mut Ctx<'_>) -> Result<Vec<FieldOp>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    while let Some(word) = ctx.args.next_arg() {
        let left = ctx.args.remaining();
        let action = if is_word(&word, "get") && left >= 2 {
            Action::Get
        } else if is_word(&word, "set") && left >= 3 {
            Action::Set(0)
        } else if is_word(&word, "incrby") && left >= 3 {
            Action::IncrBy(0)
        } else if is_word(&word, "overflow") && left >= 1 {
            let kind = ctx.args.bytes()?;
            overflow = [
                ("wrap", Overflow::Wrap),
                ("sat", Overflow::Sat),
                ("fail", Overflow::Fail),
            ]
            .into_iter()
            .find(|(w, _)| is_word(&kind, w))
            .map(|(_, o)| o)
            .ok_or(CmdError::Msg("Invalid OVERFLOW type specified"))?;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = parse_type(&ctx.args.bytes()?)?;
        let offset_arg = ctx.args.bytes()?;
        let offset = parse_offset(ctx, &offset_arg, Some(bits))?;
        let action = match action {
            Action::Get => Action::Get,
            Action::Set(_) => Action::Set(ctx.args.int()?),
            Action::IncrBy(_) => Action::IncrBy(ctx.args.int()?),
        };
        ops.push(FieldOp {
            action,
            signed,
            bits,
            offset,
            overflow,
        });
    }
    Ok(ops)
}

/// Reads the field `op` names from `s`.
fn read(s: &[u8], op: &FieldOp) -> i64 {
    if op.signed {
        bits::get_field_signed(s, op.offset, op.bits)
    } else {
        bits::get_field(s, op.offset, op.bits) as i64
    }
}

/// Runs one subcommand over `buf`; returns its reply and whether the field changed.
fn apply(buf: &mut Vec<u8>, op: &FieldOp) -> (Frame, bool) {
    let old = read(buf, op);
    let (target, reply_new) = match op.action {
        Action::Get => return (Frame::Integer(old), false),
        // An unsigned field takes the argument's 64-bit pattern, as Redis does: negative
        // values are huge and overflow upwards.
        Action::Set(v) if !op.signed => (i128::from(v as u64), false),
        Action::Set(v) => (i128::from(v), false),
        Action::IncrBy(d) => (i128::from(old) + i128::from(d), true),
    };
    let fitted = if op.signed {
        bits::fit_signed(target, op.bits, op.overflow)
    } else {
        bits::fit_unsigned(target, op.bits, op.overflow).map(|v| v as i64)
    };
    let Some(new) = fitted else {
        return (Frame::Null, false);
    };
    bits::set_field(buf, op.offset, op.bits, new as u64);
    (
        Frame::Integer(if reply_new { new } else { old }),
        new != old,
    )
}

/// What running the subcommands did to the string.
#[derive(Default)]
struct Applied {
    replies: Vec<Frame>,
    /// The length or content changed (replicate).
    changed: bool,
    /// A write went through on a grown string, or changed a field: Redis publishes
    /// `setbit` then (not when every write failed on overflow).
    announce: bool,
}

/// Runs every subcommand over `buf`, first growing it to hold the farthest written bit.
fn apply_all(buf: &mut Vec<u8>, ops: &[FieldOp], need: usize) -> Applied {
    let grew = buf.len() < need;
    if grew {
        buf.resize(need, 0);
    }
    let mut announce = false;
    let replies = ops
        .iter()
        .map(|op| {
            let (reply, c) = apply(buf, op);
            let wrote = !matches!(op.action, Action::Get) && reply != Frame::Null;
            announce |= c || (grew && wrote);
            reply
        })
        .collect();
    Applied {
        replies,
        changed: grew || announce,
        announce,
    }
}

/// The GET-only path: reads the key without creating it.
fn read_only(a: &mut Access<'_>, key: &[u8], ops: &[FieldOp]) -> CmdResult {
    let replies = |s: &[u8]| ops.iter().map(|op| Frame::Integer(read(s, op))).collect();
    Ok(Frame::Array(match a.get_value(key) {
        Some(v) => replies(&v.as_str()?.as_bytes()),
        None => replies(&[]),
    }))
}

/// The write path: creates or grows the string, runs the subcommands in order, and
/// replicates the command when the string changed.
fn write(ctx: &Ctx<'_>, key: Bytes, ops: &[FieldOp]) -> CmdResult {
    let need = ops
        .iter()
        .filter(|op| !matches!(op.action, Action::Get))
        .map(|op| ((op.offset + u64::from(op.bits) - 1) >> 3) as usize + 1)
        .max()
        .unwrap_or(0);
    let mut a = ctx.lock1(&key);
    let exists = match a.get_for_write(&key) {
        Some(e) => {
            e.value.as_str()?;
            true
        }
        None => false,
    };
    let applied = if exists {
        let r = a.modify(&key, |v| -> Result<_, CmdError> {
            Ok(apply_all(v.as_str_mut()?.make_raw(), ops, need))
        });
        match r {
            Some(r) => r?,
            None => Applied::default(),
        }
    } else {
        let mut buf = Vec::new();
        let r = apply_all(&mut buf, ops, need);
        a.set(&key, Value::Str(StrValue::raw(buf)), Ttl::Clear);
        r
    };
    if applied.announce {
        a.notify(notify::STRING, "setbit", &key);
    }
    if applied.changed {
        a.emit(ctx.args.all().to_vec());
    }
    Ok(Frame::Array(applied.replies))
}

/// `BITFIELD key [GET type offset | SET type offset value | INCRBY type offset incr |
/// OVERFLOW WRAP|SAT|FAIL] ...`.
pub(super) fn bitfield(ctx: &mut Ctx<'_>) -> CmdResult {
    run(ctx, false)
}

/// `BITFIELD_RO key [GET type offset] ...`.
pub(super) fn bitfield_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    run(ctx, true)
}

fn run(ctx: &mut Ctx<'_>, read_only_cmd: bool) -> CmdResult {
    let key = ctx.args.key()?;
    let ops = parse_ops(ctx)?;
    if ops.iter().all(|op| matches!(op.action, Action::Get)) {
        let mut a = ctx.lock1(&key);
        return read_only(&mut a, &key, &ops);
    }
    if read_only_cmd {
        return Err(CmdError::Msg(
            "BITFIELD_RO only supports the GET subcommand",
        ));
    }
    write(ctx, key, &ops)
}
