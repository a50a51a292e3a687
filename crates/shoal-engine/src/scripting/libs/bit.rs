//! LuaBitOp: 32-bit operations on Lua numbers.

use mlua::{Lua, Table, Variadic};

/// A Lua number as LuaBitOp reads it: wrapped to 32 bits (through the 2^52+2^51 trick's
/// result, i.e. rounding to nearest then taking the low 32 bits).
fn tobit(n: f64) -> i32 {
    let r = n.round_ties_even();
    (r.rem_euclid(4_294_967_296.0) as u64 as u32) as i32
}

fn fold(args: &Variadic<f64>, f: fn(i32, i32) -> i32) -> f64 {
    let mut it = args.iter().map(|&n| tobit(n));
    let first = it.next().unwrap_or(0);
    it.fold(first, f) as f64
}

/// The `bit` table.
pub(crate) fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "tobit",
        lua.create_function(|_, n: f64| Ok(tobit(n) as f64))?,
    )?;
    t.raw_set(
        "bnot",
        lua.create_function(|_, n: f64| Ok(!tobit(n) as f64))?,
    )?;
    t.raw_set(
        "band",
        lua.create_function(|_, a: Variadic<f64>| Ok(fold(&a, |x, y| x & y)))?,
    )?;
    t.raw_set(
        "bor",
        lua.create_function(|_, a: Variadic<f64>| Ok(fold(&a, |x, y| x | y)))?,
    )?;
    t.raw_set(
        "bxor",
        lua.create_function(|_, a: Variadic<f64>| Ok(fold(&a, |x, y| x ^ y)))?,
    )?;
    let shift = |f: fn(u32, u32) -> u32| {
        move |_: &Lua, (a, n): (f64, f64)| {
            Ok(f(tobit(a) as u32, (tobit(n) & 31) as u32) as i32 as f64)
        }
    };
    t.raw_set("lshift", lua.create_function(shift(|a, n| a << n))?)?;
    t.raw_set("rshift", lua.create_function(shift(|a, n| a >> n))?)?;
    t.raw_set(
        "arshift",
        lua.create_function(shift(|a, n| ((a as i32) >> n) as u32))?,
    )?;
    t.raw_set("rol", lua.create_function(shift(|a, n| a.rotate_left(n)))?)?;
    t.raw_set("ror", lua.create_function(shift(|a, n| a.rotate_right(n)))?)?;
    t.raw_set(
        "bswap",
        lua.create_function(|_, a: f64| Ok((tobit(a) as u32).swap_bytes() as i32 as f64))?,
    )?;
    t.raw_set("tohex", lua.create_function(tohex)?)?;
    Ok(t)
}

fn tohex(_: &Lua, (a, n): (f64, Option<f64>)) -> mlua::Result<String> {
    let mut digits = n.map_or(8, tobit);
    let upper = digits < 0;
    if upper {
        digits = digits.wrapping_neg();
    }
    let digits = digits.clamp(0, 8) as usize;
    let v = tobit(a) as u32 as u64;
    let s = if upper {
        format!("{v:08X}")
    } else {
        format!("{v:08x}")
    };
    Ok(s[8 - digits..].to_string())
}
