//! Bitmap commands over string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, and
//! BITFIELD / BITFIELD_RO (in `field.rs`).
//!
//! The bit work itself lives in [`crate::types::bits`]; handlers here parse arguments, read
//! or modify the string under the key's lock, and emit the replication effect when they
//! changed something.

mod field;

use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::{is_word, Ctx, Ttl};
use crate::notify;
use crate::types::bits::{self, BitOp};
use crate::types::{StrValue, Value};
use crate::util::num::parse_i64;
use bytes::Bytes;
use shoal_resp::Frame;

const BAD_OFFSET: &str = "bit offset is not an integer or out of range";
const BAD_BIT: &str = "bit is not an integer or out of range";

/// Parses a bit offset the way every bit command does: a non-negative integer whose byte
/// index stays below `proto-max-bulk-len`. With `field_bits`, a leading `#` multiplies the
/// number by the field width (BITFIELD's positional offsets).
pub(crate) fn parse_offset(
    ctx: &Ctx<'_>,
    arg: &[u8],
    field_bits: Option<u32>,
) -> Result<u64, CmdError> {
    let bad = CmdError::Msg(BAD_OFFSET);
    let (digits, width) = match (arg.first(), field_bits) {
        (Some(b'#'), Some(w)) => (&arg[1..], i64::from(w)),
        _ => (arg, 1),
    };
    let n = parse_i64(digits)
        .ok_or(bad.clone())?
        .checked_mul(width)
        .ok_or(bad.clone())?;
    let max_bytes = ctx.engine().config.get_i64("proto-max-bulk-len");
    if n < 0 || (n >> 3) >= max_bytes {
        return Err(bad);
    }
    Ok(n as u64)
}

/// `SETBIT key offset 0|1`: returns the old bit; grows the string with zero bytes.
fn setbit(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let offset_arg = ctx.args.bytes()?;
    let offset = parse_offset(ctx, &offset_arg, None)?;
    let on = match parse_i64(&ctx.args.bytes()?) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(CmdError::Msg(BAD_BIT)),
    };
    let mut a = ctx.lock1(&key);
    let exists = match a.get_for_write(&key) {
        Some(e) => {
            e.value.as_str()?;
            true
        }
        None => false,
    };
    let (old, changed) = if exists {
        let r = a.modify(&key, |v| -> Result<(bool, bool), CmdError> {
            let buf = v.as_str_mut()?.make_raw();
            let len = buf.len();
            let old = bits::set_bit(buf, offset, on);
            Ok((old, old != on || buf.len() != len))
        });
        match r {
            Some(r) => r?,
            None => (false, false),
        }
    } else {
        let mut buf = Vec::new();
        bits::set_bit(&mut buf, offset, on);
        a.set(&key, Value::Str(StrValue::raw(buf)), Ttl::Clear);
        (false, true)
    };
    if changed {
        a.notify(notify::STRING, "setbit", &key);
        let bit = Bytes::from_static(if on { b"1" } else { b"0" });
        a.emit(vec![
            Bytes::from_static(b"SETBIT"),
            key,
            Bytes::from(offset.to_string()),
            bit,
        ]);
    }
    Ok(Frame::Integer(i64::from(old)))
}

/// `GETBIT key offset`: bits past the end, and missing keys, read as 0.
fn getbit(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let offset_arg = ctx.args.bytes()?;
    let offset = parse_offset(ctx, &offset_arg, None)?;
    let mut a = ctx.lock1(&key);
    let bit = match a.get_value(&key) {
        Some(v) => bits::get_bit(&v.as_str()?.as_bytes(), offset),
        None => false,
    };
    Ok(Frame::Integer(i64::from(bit)))
}

/// Parses an optional `BYTE|BIT` unit argument; true for BIT.
fn parse_unit(arg: Option<Bytes>) -> Result<bool, CmdError> {
    match arg {
        None => Ok(false),
        Some(a) if is_word(&a, "bit") => Ok(true),
        Some(a) if is_word(&a, "byte") => Ok(false),
        Some(_) => Err(CmdError::Syntax),
    }
}

/// `BITCOUNT key [start end [BYTE|BIT]]`.
fn bitcount(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let range = match ctx.args.remaining() {
        0 => None,
        2 | 3 => {
            let start = ctx.args.int()?;
            let end = ctx.args.int()?;
            let bit_unit = parse_unit(ctx.args.next_arg())?;
            Some((start, end, bit_unit))
        }
        _ => return Err(CmdError::Syntax),
    };
    let mut a = ctx.lock1(&key);
    let Some(v) = a.get_value(&key) else {
        return Ok(Frame::Integer(0));
    };
    let s = v.as_str()?.as_bytes();
    let len = s.len() as u64;
    let span = match range {
        None => bits::resolve_range(len, 0, -1, false),
        // Both ends negative and crossed: empty before any clamping.
        Some((start, end, _)) if start < 0 && end < 0 && start > end => None,
        Some((start, end, bit_unit)) => bits::resolve_range(len, start, end, bit_unit),
    };
    let n = span.map_or(0, |(from, to)| bits::count_range(&s, from, to));
    Ok(Frame::Integer(n as i64))
}

/// `BITPOS key bit [start [end [BYTE|BIT]]]`.
fn bitpos(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    let bit = match ctx.args.int()? {
        0 => false,
        1 => true,
        _ => return Err(CmdError::Msg("The bit argument must be 1 or 0.")),
    };
    let (start, end, bit_unit) = match ctx.args.remaining() {
        0 => (0, None, false),
        n @ 1..=3 => {
            let start = ctx.args.int()?;
            let all = ctx.args.all();
            let bit_unit = parse_unit((n == 3).then(|| all[all.len() - 1].clone()))?;
            let end = if n >= 2 { Some(ctx.args.int()?) } else { None };
            (start, end, bit_unit)
        }
        _ => return Err(CmdError::Syntax),
    };
    let mut a = ctx.lock1(&key);
    let Some(v) = a.get_value(&key) else {
        return Ok(Frame::Integer(if bit { -1 } else { 0 }));
    };
    let s = v.as_str()?.as_bytes();
    let Some((from, to)) = bits::resolve_range(s.len() as u64, start, end.unwrap_or(-1), bit_unit)
    else {
        return Ok(Frame::Integer(-1));
    };
    let pos = match bits::find_bit(&s, bit, from, to) {
        Some(p) => p as i64,
        // Without an explicit end the string reads as followed by zero bits.
        None if !bit && end.is_none() => (to + 1) as i64,
        None => -1,
    };
    Ok(Frame::Integer(pos))
}

/// `BITOP AND|OR|XOR|NOT destkey key [key ...]`: returns the result's length.
fn bitop(ctx: &mut Ctx<'_>) -> CmdResult {
    let op_arg = ctx.args.bytes()?;
    let op = [
        ("and", BitOp::And),
        ("or", BitOp::Or),
        ("xor", BitOp::Xor),
        ("not", BitOp::Not),
    ]
    .into_iter()
    .find(|(w, _)| is_word(&op_arg, w))
    .map(|(_, op)| op)
    .ok_or(CmdError::Syntax)?;
    let dest = ctx.args.key()?;
    let srcs = ctx.args.rest();
    if op == BitOp::Not && srcs.len() != 1 {
        return Err(CmdError::Msg(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let mut keys: Vec<&[u8]> = vec![&dest];
    keys.extend(srcs.iter().map(|k| k.as_ref()));
    let mut a = ctx.lock(&keys);
    let mut values = Vec::with_capacity(srcs.len());
    for k in &srcs {
        values.push(match a.get_value(k) {
            Some(v) => v.as_str()?.as_bytes().into_owned(),
            None => Vec::new(),
        });
    }
    let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
    let out = bits::bitop(op, &refs);
    let len = out.len();
    if len > 0 {
        a.set(&dest, Value::Str(StrValue::raw(out)), Ttl::Clear);
        a.notify(notify::STRING, "set", &dest);
        a.emit(ctx.args.all().to_vec());
    } else if a.remove(&dest).is_some() {
        a.notify(notify::GENERIC, "del", &dest);
        a.emit(vec![Bytes::from_static(b"DEL"), dest]);
    }
    Ok(Frame::Integer(len as i64))
}

const BM: u64 = acl::BITMAP;

/// The bitmap family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("setbit", setbit)
        .arity(4)
        .flags(flags::WRITE | flags::DENYOOM)
        .keys(1, 1, 1)
        .acl(BM)
        .group(Group::Bitmap)
        .doc(
            "Sets or clears one bit of a string, growing it as needed, and returns the bit's previous value.",
            "2.2.0",
            "O(1)",
        ),
    CommandSpec::new("getbit", getbit)
        .arity(3)
        .flags(flags::READONLY | flags::FAST)
        .keys(1, 1, 1)
        .acl(BM)
        .group(Group::Bitmap)
        .doc("Returns the value of one bit of a string.", "2.2.0", "O(1)"),
    CommandSpec::new("bitcount", bitcount)
        .arity(-2)
        .flags(flags::READONLY)
        .keys(1, 1, 1)
        .acl(BM)
        .group(Group::Bitmap)
        .doc(
            "Counts the set bits of a string, optionally within a byte or bit range.",
            "2.6.0",
            "O(N)",
        ),
    CommandSpec::new("bitpos", bitpos)
        .arity(-3)
        .flags(flags::READONLY)
        .keys(1, 1, 1)
        .acl(BM)
        .group(Group::Bitmap)
        .doc(
            "Finds the first set or clear bit of a string, optionally within a byte or bit range.",
            "2.8.7",
            "O(N)",
        ),
    CommandSpec::new("bitop", bitop)
        .arity(-4)
        .flags(flags::WRITE | flags::DENYOOM)
        .keys(2, -1, 1)
        .acl(BM)
        .group(Group::Bitmap)
        .doc(
            "Combines strings bitwise (AND, OR, XOR, NOT) and stores the result in a key.",
            "2.6.0",
            "O(N)",
        ),
    CommandSpec::new("bitfield", field::bitfield)
        .arity(-2)
        .flags(flags::WRITE | flags::DENYOOM)
        .keys(1, 1, 1)
        .acl(BM)
        .group(Group::Bitmap)
        .doc(
            "Reads, writes and increments integer fields of any width at any bit offset of a string.",
            "3.2.0",
            "O(1) for each subcommand specified",
        ),
    CommandSpec::new("bitfield_ro", field::bitfield_ro)
        .arity(-2)
        .flags(flags::READONLY | flags::FAST)
        .keys(1, 1, 1)
        .acl(BM)
        .group(Group::Bitmap)
        .doc(
            "Reads integer fields of a string; the read-only form of BITFIELD.",
            "6.0.0",
            "O(1) for each subcommand specified",
        ),
];

#[cfg(test)]
mod field_tests;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod tests;
