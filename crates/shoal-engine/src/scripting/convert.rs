//! Lua values to replies and replies to Lua values, by Redis's conversion tables.
//!
//! Replies of `redis.call` reach the script as the script's protocol shows them: under
//! RESP2 (the default) maps are flat arrays, doubles are strings and nulls are `false`;
//! after `redis.setresp(3)` they keep their RESP3 kinds as `{map=..}`, `{set=..}`,
//! `{double=..}`, `{big_number=..}`, booleans and `nil`.

use bytes::Bytes;
use mlua::{Lua, Table, Value};
use shoal_resp::{format_double, Frame};

/// Nesting beyond this is answered as an error instead of recursing further.
const MAX_DEPTH: usize = 1000;

/// A reply as the script sees it; `resp3` is the script's protocol.
pub(crate) fn frame_to_lua(lua: &Lua, f: Frame, resp3: bool) -> mlua::Result<Value> {
    Ok(match f {
        Frame::Simple(s) => Value::Table(single_text(lua, "ok", &s)?),
        Frame::Error(e) | Frame::BulkError(e) => Value::Table(single_text(lua, "err", &e)?),
        Frame::Integer(n) => Value::Number(n as f64),
        Frame::Bulk(b) => Value::String(lua.create_string(&b)?),
        Frame::Null | Frame::NullArray => {
            if resp3 {
                Value::Nil
            } else {
                Value::Boolean(false)
            }
        }
        Frame::Boolean(b) if resp3 => Value::Boolean(b),
        Frame::Boolean(b) => Value::Number(if b { 1.0 } else { 0.0 }),
        Frame::Double(d) if resp3 => Value::Table(single(lua, "double", d)?),
        Frame::Double(d) => Value::String(lua.create_string(format_double(d))?),
        Frame::BigNumber(n) if resp3 => {
            Value::Table(single(lua, "big_number", lua.create_string(&n)?)?)
        }
        Frame::BigNumber(n) => Value::String(lua.create_string(&n)?),
        Frame::Verbatim { format, data } if resp3 => {
            let inner = lua.create_table()?;
            inner.raw_set("format", lua.create_string(format)?)?;
            inner.raw_set("string", lua.create_string(&data)?)?;
            Value::Table(single(lua, "verbatim_string", inner)?)
        }
        Frame::Verbatim { data, .. } => Value::String(lua.create_string(&data)?),
        Frame::Array(items) | Frame::Push(items) => array(lua, items, resp3)?,
        Frame::Bulks(b) => frame_to_lua(lua, b.to_array(), resp3)?,
        Frame::Set(items) if resp3 => {
            let set = lua.create_table()?;
            for item in items {
                set.raw_set(frame_to_lua(lua, item, resp3)?, true)?;
            }
            Value::Table(single(lua, "set", set)?)
        }
        Frame::Set(items) => array(lua, items, resp3)?,
        Frame::Map(pairs) if resp3 => {
            let map = lua.create_table()?;
            for (k, v) in pairs {
                map.raw_set(frame_to_lua(lua, k, resp3)?, frame_to_lua(lua, v, resp3)?)?;
            }
            Value::Table(single(lua, "map", map)?)
        }
        Frame::Map(pairs) => {
            let flat = pairs.into_iter().flat_map(|(k, v)| [k, v]).collect();
            array(lua, flat, resp3)?
        }
        Frame::Attribute { value, .. } => frame_to_lua(lua, *value, resp3)?,
    })
}

fn single(lua: &Lua, key: &str, v: impl mlua::IntoLua) -> mlua::Result<Table> {
    lua.create_table_from([(key, v)])
}

/// `{key = text}` (status and error replies): text that is UTF-8 is pushed straight onto
/// the Lua stack, under the table's own lock.
fn single_text(lua: &Lua, key: &str, text: &[u8]) -> mlua::Result<Table> {
    match std::str::from_utf8(text) {
        Ok(s) => single(lua, key, s),
        Err(_) => single(lua, key, lua.create_string(text)?),
    }
}

fn array(lua: &Lua, items: Vec<Frame>, resp3: bool) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.into_iter().enumerate() {
        t.raw_set(i + 1, frame_to_lua(lua, item, resp3)?)?;
    }
    Ok(Value::Table(t))
}

/// The reply for a script's return value; `resp3` is the script's protocol (booleans
/// follow it, as in Redis).
pub(crate) fn lua_to_frame(v: &Value, resp3: bool) -> Frame {
    to_frame(v, resp3, 0)
}

fn to_frame(v: &Value, resp3: bool, depth: usize) -> Frame {
    if depth > MAX_DEPTH {
        return Frame::error("ERR reached lua stack limit");
    }
    match v {
        Value::String(s) => Frame::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if resp3 => Frame::Boolean(*b),
        Value::Boolean(true) => Frame::Integer(1),
        Value::Integer(n) => Frame::Integer(*n),
        Value::Number(n) => Frame::Integer(truncate(*n)),
        Value::Table(t) => table_to_frame(t, resp3, depth),
        _ => Frame::Null,
    }
}

/// Lua numbers become integers by truncation toward zero (saturating, NaN as the C cast
/// on x86 gives it).
pub(crate) fn truncate(n: f64) -> i64 {
    // 2^63: the first double past i64's range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if n.is_nan() || !(-LIMIT..LIMIT).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn field(t: &Table, name: &str) -> Value {
    t.raw_get(name).unwrap_or(Value::Nil)
}

fn text(v: &Value) -> Option<Bytes> {
    match v {
        Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
        _ => None,
    }
}

fn table_to_frame(t: &Table, resp3: bool, depth: usize) -> Frame {
    if let Some(e) = text(&field(t, "err")) {
        return error_frame(&e);
    }
    if let Some(s) = text(&field(t, "ok")) {
        return Frame::Simple(one_line(&s));
    }
    match field(t, "double") {
        Value::Number(d) => return Frame::Double(d),
        Value::Integer(d) => return Frame::Double(d as f64),
        _ => {}
    }
    if let Some(s) = text(&field(t, "big_number")) {
        return Frame::BigNumber(one_line(&s));
    }
    if let Value::Table(m) = field(t, "map") {
        let pairs = m
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, v)| {
                (
                    to_frame(&k, resp3, depth + 1),
                    to_frame(&v, resp3, depth + 1),
                )
            })
            .collect();
        return Frame::Map(pairs);
    }
    if let Value::Table(s) = field(t, "set") {
        let items = s
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| to_frame(&k, resp3, depth + 1))
            .collect();
        return Frame::Set(items);
    }
    if let Value::Table(v) = field(t, "verbatim_string") {
        if let (Some(fmt), Some(data)) = (text(&field(&v, "format")), text(&field(&v, "string"))) {
            if fmt.len() == 3 {
                return Frame::Verbatim {
                    format: [fmt[0], fmt[1], fmt[2]],
                    data,
                };
            }
        }
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(to_frame(&v, resp3, depth + 1)),
        }
    }
    Frame::Array(items)
}

/// An error reply from an `err` field, verbatim but for line breaks (made spaces).
pub(crate) fn error_frame(e: &[u8]) -> Frame {
    Frame::Error(one_line(e))
}

fn one_line(s: &[u8]) -> Bytes {
    s.iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
        .collect::<Vec<u8>>()
        .into()
}

/// A Lua number as Lua 5.1 prints it (`%.14g`).
pub(crate) fn lua_number_text(n: f64) -> String {
    g_format(n, 14)
}

/// A number as C's `%.<prec>g` prints it.
pub(crate) fn g_format(n: f64, prec: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf" } else { "-inf" }.into();
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:.*e}", prec.saturating_sub(1), n);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{n:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}
