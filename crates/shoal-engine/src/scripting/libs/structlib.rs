//! `struct`: binary packing of numbers and strings by a format string (Roberto
//! Ierusalimschy's library's formats: `< > = !n b B h H l L T i[n] I[n] f d s c[n] x`).

use super::lua_err;
use mlua::{Lua, MultiValue, Table, Value, Variadic};

/// One format item.
enum Item {
    Int { size: usize, signed: bool },
    Float,
    Double,
    ZString,
    Chars(usize),
    Pad,
}

/// The digits at `*i` as a number, moving past them.
fn num(fmt: &[u8], i: &mut usize) -> Option<usize> {
    let start = *i;
    while *i < fmt.len() && fmt[*i].is_ascii_digit() {
        *i += 1;
    }
    std::str::from_utf8(&fmt[start..*i]).ok()?.parse().ok()
}

/// The item for option `c` (its size digits read from `fmt` at `*i`).
fn item(c: u8, fmt: &[u8], i: &mut usize, func: &str) -> mlua::Result<Item> {
    let int = |size, signed| Item::Int { size, signed };
    Ok(match c {
        b'b' | b'B' => int(1, c == b'b'),
        b'h' | b'H' => int(2, c == b'h'),
        b'l' | b'L' | b'T' => int(8, c == b'l'),
        b'i' | b'I' => {
            let size = num(fmt, i).unwrap_or(4);
            if !(1..=8).contains(&size) {
                return Err(lua_err(format!(
                    "integral size {size} is larger than limit of 8"
                )));
            }
            int(size, c == b'i')
        }
        b'f' => Item::Float,
        b'd' => Item::Double,
        b's' => Item::ZString,
        b'c' => Item::Chars(num(fmt, i).unwrap_or(1)),
        b'x' => Item::Pad,
        other => {
            return Err(lua_err(format!(
                "bad argument #1 to '{func}' (invalid format option '{}')",
                other as char
            )))
        }
    })
}

/// Parses the format into items, each with its byte order (`true` little-endian).
fn parse(fmt: &[u8], func: &str) -> mlua::Result<Vec<(Item, bool)>> {
    let native = cfg!(target_endian = "little");
    let mut little = native;
    let mut items = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        match c {
            b'<' => little = true,
            b'>' => little = false,
            b'=' => little = native,
            b'!' => {
                let _ = num(fmt, &mut i);
            }
            b' ' => {}
            _ => items.push((item(c, fmt, &mut i, func)?, little)),
        }
    }
    Ok(items)
}

/// The `struct` table.
pub(crate) fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("pack", lua.create_function(pack)?)?;
    t.raw_set("unpack", lua.create_function(unpack)?)?;
    t.raw_set(
        "size",
        lua.create_function(|_, fmt: mlua::String| {
            let mut n = 0usize;
            for (item, _) in parse(&fmt.as_bytes(), "size")? {
                n += match item {
                    Item::Int { size, .. } => size,
                    Item::Float => 4,
                    Item::Double => 8,
                    Item::Chars(k) => k,
                    Item::Pad => 1,
                    Item::ZString => return Err(lua_err("options 's' has no fixed size")),
                };
            }
            Ok(n as f64)
        })?,
    )?;
    Ok(t)
}

fn pack(lua: &Lua, (fmt, args): (mlua::String, Variadic<Value>)) -> mlua::Result<mlua::String> {
    let mut out = Vec::new();
    let mut args = args.into_iter();
    for (item, little) in parse(&fmt.as_bytes(), "pack")? {
        if let Item::Pad = item {
            out.push(0);
            continue;
        }
        let v = args.next().unwrap_or(Value::Nil);
        let n = match &v {
            Value::Number(n) => *n,
            Value::Integer(n) => *n as f64,
            _ => 0.0,
        };
        match item {
            Item::Int { size, .. } => {
                let bytes = (n as i64).to_le_bytes();
                let mut b = bytes[..size].to_vec();
                if !little {
                    b.reverse();
                }
                out.extend_from_slice(&b);
            }
            Item::Float => out.extend_from_slice(&order((n as f32).to_le_bytes().to_vec(), little)),
            Item::Double => out.extend_from_slice(&order(n.to_le_bytes().to_vec(), little)),
            Item::ZString | Item::Chars(_) => {
                let Value::String(s) = &v else {
                    return Err(lua_err("bad argument to 'pack' (string expected)"));
                };
                let s = s.as_bytes();
                match item {
                    Item::Chars(k) if k > 0 => {
                        let mut b = s.to_vec();
                        b.resize(k, 0);
                        out.extend_from_slice(&b);
                    }
                    Item::Chars(_) => out.extend_from_slice(&s),
                    _ => {
                        out.extend_from_slice(&s);
                        out.push(0);
                    }
                }
            }
            Item::Pad => {}
        }
    }
    lua.create_string(out)
}

fn order(mut b: Vec<u8>, little: bool) -> Vec<u8> {
    if !little {
        b.reverse();
    }
    b
}

fn unpack(
    lua: &Lua,
    (fmt, data, pos): (mlua::String, mlua::String, Option<i64>),
) -> mlua::Result<MultiValue> {
    let data = data.as_bytes();
    let mut pos = pos.unwrap_or(1).max(1) as usize - 1;
    let mut out = Vec::new();
    let too_short = || lua_err("data string too short");
    for (item, little) in parse(&fmt.as_bytes(), "unpack")? {
        let take = |pos: &mut usize, n: usize| -> mlua::Result<Vec<u8>> {
            let s = data.get(*pos..*pos + n).ok_or_else(too_short)?.to_vec();
            *pos += n;
            Ok(order(s, little))
        };
        let v = match item {
            Item::Pad => {
                pos += 1;
                continue;
            }
            Item::Int { size, signed } => {
                let b = take(&mut pos, size)?;
                let mut u: u64 = 0;
                for (i, byte) in b.iter().enumerate() {
                    u |= (*byte as u64) << (8 * i);
                }
                let n = if signed && size < 8 && u >> (size * 8 - 1) & 1 == 1 {
                    (u | (!0u64 << (size * 8))) as i64 as f64
                } else if signed {
                    u as i64 as f64
                } else {
                    u as f64
                };
                Value::Number(n)
            }
            Item::Float => {
                let b = take(&mut pos, 4)?;
                Value::Number(f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
            }
            Item::Double => {
                let b = take(&mut pos, 8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(&b);
                Value::Number(f64::from_le_bytes(a))
            }
            Item::ZString => {
                let end = data[pos.min(data.len())..]
                    .iter()
                    .position(|&c| c == 0)
                    .ok_or_else(|| lua_err("unfinished string in data"))?;
                let s = lua.create_string(&data[pos..pos + end])?;
                pos += end + 1;
                Value::String(s)
            }
            Item::Chars(k) => {
                let s = data.get(pos..pos + k).ok_or_else(too_short)?;
                pos += k;
                Value::String(lua.create_string(s)?)
            }
        };
        out.push(v);
    }
    out.push(Value::Number((pos + 1) as f64));
    Ok(MultiValue::from_iter(out))
}
