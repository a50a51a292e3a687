//! `cjson`: JSON encode and decode with Lua CJSON's rules (arrays are tables with keys 1..n,
//! `cjson.null` for JSON null, numbers printed with 14 significant digits).

use super::lua_err;
use crate::scripting::convert::lua_number_text;
use mlua::{LightUserData, Lua, Table, Value};

const MAX_DEPTH: usize = 1000;

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// The `cjson` table.
pub(crate) fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("null", null())?;
    t.raw_set(
        "encode",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let [v] = <[Value; 1]>::try_from(args.into_vec())
                .map_err(|_| lua_err("bad argument #1 to 'encode' (expected 1 argument)"))?;
            let mut out = Vec::new();
            encode(&v, &mut out, 0)?;
            lua.create_string(out)
        })?,
    )?;
    t.raw_set(
        "decode",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let [v] = <[Value; 1]>::try_from(args.into_vec())
                .map_err(|_| lua_err("bad argument #1 to 'decode' (expected 1 argument)"))?;
            let s = <mlua::String as mlua::FromLua>::from_lua(v, lua)?;
            let bytes = s.as_bytes();
            let mut p = Parser {
                s: &bytes,
                pos: 0,
                lua,
                depth: 0,
            };
            let v = p.value()?;
            p.ws();
            if p.pos < p.s.len() {
                return Err(p.fail("the end"));
            }
            Ok(v)
        })?,
    )?;
    Ok(t)
}

/// The length of `t` if it is an array (every key an integer from 1 to 2^31 - 1; holes
/// become nulls), `None` for an object; an error for an array too sparse to write (Lua
/// CJSON's defaults: past index 10, more than half holes).
fn array_len(t: &Table) -> mlua::Result<Option<usize>> {
    const MAX_INDEX: i64 = i32::MAX as i64;
    let mut max = 0usize;
    let mut count = 0usize;
    for (k, _) in t.pairs::<Value, Value>().flatten() {
        match k {
            Value::Integer(n) if (1..=MAX_INDEX).contains(&n) => max = max.max(n as usize),
            _ => return Ok(None),
        }
        count += 1;
    }
    if max > 10 && max > count * 2 {
        return Err(lua_err("Cannot serialise table: excessively sparse array"));
    }
    Ok(Some(max))
}

fn encode(v: &Value, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        // Lua 5.1 has only doubles: an integral one prints as any number does.
        Value::Integer(n) => out.extend_from_slice(lua_number_text(*n as f64).as_bytes()),
        Value::Number(n) => {
            if !n.is_finite() {
                return Err(lua_err("Cannot serialise number: must not be NaN or Inf"));
            }
            out.extend_from_slice(lua_number_text(*n).as_bytes())
        }
        Value::String(s) => string(&s.as_bytes(), out),
        Value::Table(t) => {
            if depth >= MAX_DEPTH {
                return Err(lua_err(format!(
                    "Cannot serialise, excessive nesting ({})",
                    depth + 1
                )));
            }
            table_json(t, out, depth)?
        }
        other => {
            return Err(lua_err(format!(
                "Cannot serialise {}: type not supported",
                other.type_name()
            )))
        }
    }
    Ok(())
}

/// `t[k]`, with a zero read as the double it is: the generic conversion makes `-0` an
/// integer 0 and loses its sign, which JSON keeps.
fn element(t: &Table, k: impl mlua::IntoLua + Clone) -> mlua::Result<Value> {
    match t.raw_get::<Value>(k.clone())? {
        Value::Integer(0) => Ok(Value::Number(t.raw_get::<f64>(k)?)),
        v => Ok(v),
    }
}

fn table_json(t: &Table, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
    if let Some(n) = array_len(t)?.filter(|&n| n > 0) {
        out.push(b'[');
        for i in 1..=n {
            if i > 1 {
                out.push(b',');
            }
            encode(&element(t, i)?, out, depth + 1)?;
        }
        out.push(b']');
        return Ok(());
    }
    out.push(b'{');
    let mut first = true;
    for (k, v) in t.pairs::<Value, Value>().flatten() {
        if !first {
            out.push(b',');
        }
        first = false;
        match &k {
            Value::String(s) => string(&s.as_bytes(), out),
            Value::Number(n) => string(lua_number_text(*n).as_bytes(), out),
            Value::Integer(n) => string(lua_number_text(*n as f64).as_bytes(), out),
            _ => {
                return Err(lua_err(
                    "Cannot serialise table: table key must be a number or string",
                ))
            }
        }
        out.push(b':');
        let v = match v {
            Value::Integer(0) => element(t, k.clone())?,
            v => v,
        };
        encode(&v, out, depth + 1)?;
    }
    out.push(b'}');
    Ok(())
}

fn string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    lua: &'a Lua,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    /// The name Lua CJSON gives the token at the cursor.
    fn token(&self) -> &'static str {
        let rest = &self.s[self.pos.min(self.s.len())..];
        match rest.first() {
            None => "T_END",
            Some(b'{') => "T_OBJ_BEGIN",
            Some(b'}') => "T_OBJ_END",
            Some(b'[') => "T_ARR_BEGIN",
            Some(b']') => "T_ARR_END",
            Some(b',') => "T_COMMA",
            Some(b':') => "T_COLON",
            Some(b'"') => "T_STRING",
            Some(b'-' | b'0'..=b'9') => "T_NUMBER",
            _ if rest.starts_with(b"true") || rest.starts_with(b"false") => "T_BOOLEAN",
            _ if rest.starts_with(b"null") => "T_NULL",
            _ => "invalid token",
        }
    }

    fn fail(&self, expected: &str) -> mlua::Error {
        let found = self.token();
        lua_err(format!(
            "Expected {expected} but found {found} at character {}",
            self.pos + 1
        ))
    }

    fn value(&mut self) -> mlua::Result<Value> {
        self.ws();
        let Some(&c) = self.s.get(self.pos) else {
            return Err(self.fail("value"));
        };
        match c {
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(lua_err(format!(
                        "Found too many nested data structures ({}) at character {}",
                        self.depth,
                        self.pos + 1
                    )));
                }
                let v = if c == b'{' {
                    self.object()
                } else {
                    self.array()
                };
                self.depth -= 1;
                v
            }
            b'"' => Ok(Value::String(self.lua.create_string(self.string()?)?)),
            b't' => self.word("true", Value::Boolean(true)),
            b'f' => self.word("false", Value::Boolean(false)),
            b'n' => self.word("null", null()),
            _ => self.number(),
        }
    }

    fn word(&mut self, w: &str, v: Value) -> mlua::Result<Value> {
        if self.s[self.pos..].starts_with(w.as_bytes()) {
            self.pos += w.len();
            Ok(v)
        } else {
            Err(self.fail("value"))
        }
    }

    fn number(&mut self) -> mlua::Result<Value> {
        let start = self.pos;
        while self.pos < self.s.len()
            && matches!(
                self.s[self.pos],
                b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
            )
        {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
        match text.parse::<f64>() {
            Ok(n) if !text.is_empty() => Ok(Value::Number(n)),
            _ => {
                self.pos = start;
                Err(self.fail("value"))
            }
        }
    }

    fn array(&mut self) -> mlua::Result<Value> {
        self.pos += 1;
        let t = self.lua.create_table()?;
        self.ws();
        if self.s.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::Table(t));
        }
        for i in 1.. {
            t.raw_set(i, self.value()?)?;
            self.ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.fail("comma or array end")),
            }
        }
        Ok(Value::Table(t))
    }

    fn object(&mut self) -> mlua::Result<Value> {
        self.pos += 1;
        let t = self.lua.create_table()?;
        self.ws();
        if self.s.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Table(t));
        }
        loop {
            self.ws();
            if self.s.get(self.pos) != Some(&b'"') {
                return Err(self.fail("object key string"));
            }
            let k = self.lua.create_string(self.string()?)?;
            self.ws();
            if self.s.get(self.pos) != Some(&b':') {
                return Err(self.fail("colon"));
            }
            self.pos += 1;
            t.raw_set(k, self.value()?)?;
            self.ws();
            match self.s.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Table(t));
                }
                _ => return Err(self.fail("comma or object end")),
            }
        }
    }

    fn string(&mut self) -> mlua::Result<Vec<u8>> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return Err(self.fail("string end"));
            };
            self.pos += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => self.escape(&mut out)?,
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> mlua::Result<()> {
        let Some(&e) = self.s.get(self.pos) else {
            return Err(self.fail("string end"));
        };
        self.pos += 1;
        let c = match e {
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'u' => {
                let hex = self
                    .s
                    .get(self.pos..self.pos + 4)
                    .ok_or_else(|| self.fail("unicode escape"))?;
                let code = u32::from_str_radix(std::str::from_utf8(hex).unwrap_or("x"), 16)
                    .map_err(|_| self.fail("unicode escape"))?;
                self.pos += 4;
                let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            other => other,
        };
        out.push(c);
        Ok(())
    }
}
