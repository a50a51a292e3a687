//! `cmsgpack`: MessagePack pack and unpack of Lua values.

use super::lua_err;
use mlua::{Lua, MultiValue, Table, Value, Variadic};

const MAX_DEPTH: usize = 16;

/// The `cmsgpack` table.
pub(crate) fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: Variadic<Value>| {
            if args.is_empty() {
                return Err(lua_err(
                    "bad argument #0 to 'pack' (MessagePack pack needs input.)",
                ));
            }
            let mut out = Vec::new();
            for v in args.iter() {
                pack(v, &mut out, 0)?;
            }
            lua.create_string(out)
        })?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, s: mlua::String| {
            let b = s.as_bytes();
            let mut r = Unpacker { b: &b, pos: 0, lua };
            let mut out = Vec::new();
            while r.pos < r.b.len() {
                out.push(r.value()?);
            }
            Ok(MultiValue::from_iter(out))
        })?,
    )?;
    Ok(t)
}

fn pack(v: &Value, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
    match v {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => int(*n, out),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.2e18 => int(*n as i64, out),
        Value::Number(n) => {
            if (*n as f32) as f64 == *n {
                out.push(0xca);
                out.extend_from_slice(&(*n as f32).to_be_bytes());
            } else {
                out.push(0xcb);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
        Value::String(s) => {
            let b = s.as_bytes();
            header(b.len(), 0xa0, 32, [0xd9, 0xda, 0xdb], out);
            out.extend_from_slice(&b);
        }
        Value::Table(t) if depth < MAX_DEPTH => pack_table(t, out, depth)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

/// A length header: fix form below `fix_max`, else 8/16/32-bit forms (`None` codes skip).
fn header(len: usize, fix: u8, fix_max: usize, codes: [u8; 3], out: &mut Vec<u8>) {
    if len < fix_max {
        out.push(fix | len as u8);
    } else if len <= 0xff && codes[0] != 0 {
        out.extend_from_slice(&[codes[0], len as u8]);
    } else if len <= 0xffff {
        out.push(codes[1]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(codes[2]);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn int(n: i64, out: &mut Vec<u8>) {
    if (0..128).contains(&n) {
        out.push(n as u8);
    } else if (-32..0).contains(&n) {
        out.push(n as i8 as u8);
    } else if n >= 0 {
        if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= i32::MIN as i64 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn pack_table(t: &Table, out: &mut Vec<u8>, depth: usize) -> mlua::Result<()> {
    let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().flatten().collect();
    let n = pairs.len();
    let is_array = (1..=n).all(|i| !matches!(t.raw_get::<Value>(i), Ok(Value::Nil) | Err(_)));
    if is_array {
        header(n, 0x90, 16, [0, 0xdc, 0xdd], out);
        for i in 1..=n {
            pack(&t.raw_get::<Value>(i)?, out, depth + 1)?;
        }
    } else {
        header(n, 0x80, 16, [0, 0xde, 0xdf], out);
        for (k, v) in &pairs {
            pack(k, out, depth + 1)?;
            pack(v, out, depth + 1)?;
        }
    }
    Ok(())
}

struct Unpacker<'a> {
    b: &'a [u8],
    pos: usize,
    lua: &'a Lua,
}

impl Unpacker<'_> {
    fn take(&mut self, n: usize) -> mlua::Result<&[u8]> {
        let end = self.pos + n;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or_else(|| lua_err("Missing bytes in input."))?;
        self.pos = end;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> mlua::Result<u64> {
        Ok(self.take(n)?.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
    }

    fn value(&mut self) -> mlua::Result<Value> {
        let c = self.take(1)?[0];
        Ok(match c {
            0x00..=0x7f => Value::Number(c as f64),
            0xe0..=0xff => Value::Number(c as i8 as f64),
            0x80..=0x8f => self.map((c & 0x0f) as usize)?,
            0x90..=0x9f => self.array((c & 0x0f) as usize)?,
            0xa0..=0xbf => self.str((c & 0x1f) as usize)?,
            0xc0 => Value::Nil,
            0xc2 => Value::Boolean(false),
            0xc3 => Value::Boolean(true),
            0xc4 | 0xd9 => {
                let n = self.uint(1)? as usize;
                self.str(n)?
            }
            0xc5 | 0xda => {
                let n = self.uint(2)? as usize;
                self.str(n)?
            }
            0xc6 | 0xdb => {
                let n = self.uint(4)? as usize;
                self.str(n)?
            }
            0xca => Value::Number(f32::from_bits(self.uint(4)? as u32) as f64),
            0xcb => Value::Number(f64::from_bits(self.uint(8)?)),
            0xcc => Value::Number(self.uint(1)? as f64),
            0xcd => Value::Number(self.uint(2)? as f64),
            0xce => Value::Number(self.uint(4)? as f64),
            // Read as a signed 64-bit integer, as Redis's cmsgpack does.
            0xcf => Value::Number(self.uint(8)? as i64 as f64),
            0xd0 => Value::Number(self.uint(1)? as u8 as i8 as f64),
            0xd1 => Value::Number(self.uint(2)? as u16 as i16 as f64),
            0xd2 => Value::Number(self.uint(4)? as u32 as i32 as f64),
            0xd3 => Value::Number(self.uint(8)? as i64 as f64),
            0xdc => {
                let n = self.uint(2)? as usize;
                self.array(n)?
            }
            0xdd => {
                let n = self.uint(4)? as usize;
                self.array(n)?
            }
            0xde => {
                let n = self.uint(2)? as usize;
                self.map(n)?
            }
            0xdf => {
                let n = self.uint(4)? as usize;
                self.map(n)?
            }
            _ => return Err(lua_err("Bad data format in input.")),
        })
    }

    fn str(&mut self, n: usize) -> mlua::Result<Value> {
        let s = self.take(n)?.to_vec();
        Ok(Value::String(self.lua.create_string(s)?))
    }

    fn array(&mut self, n: usize) -> mlua::Result<Value> {
        let t = self.lua.create_table()?;
        for i in 1..=n {
            t.raw_set(i, self.value()?)?;
        }
        Ok(Value::Table(t))
    }

    fn map(&mut self, n: usize) -> mlua::Result<Value> {
        let t = self.lua.create_table()?;
        for _ in 0..n {
            let k = self.value()?;
            let v = self.value()?;
            if !k.is_nil() {
                t.raw_set(k, v)?;
            }
        }
        Ok(Value::Table(t))
    }
}
