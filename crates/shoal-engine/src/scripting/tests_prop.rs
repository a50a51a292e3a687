//! Property tests of the codecs against simple models.

use super::convert::g_format;
use super::{dump, sandbox};
use mlua::{Function, Lua};
use proptest::prelude::*;

fn lib_fn(lua: &Lua, lib: &str, name: &str) -> Function {
    let found = lua
        .globals()
        .raw_get::<mlua::Table>(lib)
        .and_then(|t| t.raw_get::<Function>(name));
    match found {
        Ok(f) => f,
        Err(e) => panic!("{lib}.{name}: {e}"),
    }
}

/// A JSON tree without objects (so its text has one canonical form).
#[derive(Debug, Clone)]
enum Json {
    Int(i32),
    Str(String),
    Bool(bool),
    Arr(Vec<Json>),
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        any::<i32>().prop_map(Json::Int),
        "[a-z0-9 \"\\\\/\n]{0,8}".prop_map(Json::Str),
        any::<bool>().prop_map(Json::Bool),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop::collection::vec(inner, 1..6).prop_map(Json::Arr)
    })
}

/// The text Lua CJSON writes for `j`.
fn text(j: &Json) -> String {
    match j {
        Json::Int(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Str(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '/' => out.push_str("\\/"),
                    '\n' => out.push_str("\\n"),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        Json::Arr(items) => {
            let inner: Vec<String> = items.iter().map(text).collect();
            format!("[{}]", inner.join(","))
        }
    }
}

proptest! {
    #[test]
    fn dump_payloads_round_trip(codes in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20000), 0..4)) {
        let refs: Vec<&[u8]> = codes.iter().map(|c| &c[..]).collect();
        let payload = dump::encode(&refs);
        prop_assert_eq!(dump::decode(&payload), Ok(codes));
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum(code in prop::collection::vec(any::<u8>(), 1..200), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut payload = dump::encode(&[&code[..]]);
        let i = at.index(payload.len());
        payload[i] ^= 1 << bit;
        prop_assert!(dump::decode(&payload).is_err());
    }

    #[test]
    fn seventeen_digits_round_trip_every_double(n in any::<f64>().prop_filter("finite", |n| n.is_finite())) {
        let s = g_format(n, 17);
        prop_assert_eq!(s.parse::<f64>().ok(), Some(n), "{}", s);
    }

    #[test]
    fn cjson_decode_then_encode_gives_the_text_back(j in json()) {
        let sb = sandbox::build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decode = lib_fn(&sb.lua, "cjson", "decode");
        let encode = lib_fn(&sb.lua, "cjson", "encode");
        let want = text(&j);
        let v: mlua::Value = decode.call(want.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got: String = encode.call(v).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got, want);
    }

    #[test]
    fn cmsgpack_unpack_then_pack_gives_the_bytes_back(items in prop::collection::vec(prop_oneof![any::<i64>().prop_map(|n| n >> 12).prop_map(|n| n.to_string()), "[a-z]{0,40}".prop_map(|s| format!("'{s}'"))], 1..40)) {
        let sb = sandbox::build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let code = format!("return cmsgpack.pack({{{}}})", items.join(","));
        let packed: mlua::String = sb.lua.load(code).call(()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let unpack = lib_fn(&sb.lua, "cmsgpack", "unpack");
        let pack = lib_fn(&sb.lua, "cmsgpack", "pack");
        let v: mlua::Value = unpack.call(packed.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again: mlua::String = pack.call(v).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again.as_bytes().to_vec(), packed.as_bytes().to_vec());
    }

    #[test]
    fn bit_ops_match_i32_arithmetic(a in any::<i32>(), b in any::<i32>(), n in 0u32..32) {
        let sb = sandbox::build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let run = |f: &str, args: (f64, f64)| -> f64 {
            lib_fn(&sb.lua, "bit", f).call::<f64>(args).unwrap_or(f64::NAN)
        };
        let (fa, fb, fnn) = (a as f64, b as f64, n as f64);
        prop_assert_eq!(run("band", (fa, fb)), (a & b) as f64);
        prop_assert_eq!(run("bor", (fa, fb)), (a | b) as f64);
        prop_assert_eq!(run("bxor", (fa, fb)), (a ^ b) as f64);
        prop_assert_eq!(run("lshift", (fa, fnn)), (a << n) as f64);
        prop_assert_eq!(run("rshift", (fa, fnn)), ((a as u32) >> n) as i32 as f64);
        prop_assert_eq!(run("arshift", (fa, fnn)), (a >> n) as f64);
        prop_assert_eq!(run("rol", (fa, fnn)), a.rotate_left(n) as f64);
    }
}
