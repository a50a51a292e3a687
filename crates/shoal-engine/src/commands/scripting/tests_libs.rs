use crate::testing::{arr, bulk, int, Harness};

#[test]
fn cjson_round_trips() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["EVAL", "return cjson.encode({1,2,'a'})", "0"]),
        bulk("[1,2,\"a\"]")
    );
    assert_eq!(
        h.run(&["EVAL", "return cjson.encode({a={b=1.5}})", "0"]),
        bulk("{\"a\":{\"b\":1.5}}")
    );
    assert_eq!(
        h.run(&["EVAL", "local t = cjson.decode('{\"a\":[1,2,{\"b\":\"x\"}],\"n\":null}') return {t.a[1], t.a[3].b, tostring(t.n == cjson.null)}", "0"]),
        arr(vec![int(1), bulk("x"), bulk("true")])
    );
    let e = h.run(&["EVAL", "return cjson.decode('[1,2')", "0"]);
    assert!(
        format!("{e:?}").contains("Expected comma or array end but found T_END at character 5"),
        "{e:?}"
    );
}

#[test]
fn cjson_encode_and_decode_take_exactly_one_argument() {
    // Regression: no argument encoded as null, and a second one was ignored; Redis refuses
    // both.
    let mut h = Harness::new();
    for script in [
        "return cjson.encode()",
        "return cjson.encode(1, 2)",
        "return cjson.decode()",
        "return cjson.decode('1', '2')",
    ] {
        let e = h.run(&["EVAL", script, "0"]);
        let shoal_resp::Frame::Error(e) = e else {
            panic!("{script}: {e:?}");
        };
        let e = String::from_utf8_lossy(&e);
        assert!(
            e.starts_with("ERR user_script:1: bad argument #1 to '")
                && e.contains("(expected 1 argument)"),
            "{script}: {e}"
        );
    }
    assert_eq!(
        h.run(&["EVAL", "return cjson.encode(nil)", "0"]),
        bulk("null")
    );
    assert_eq!(h.run(&["EVAL", "return cjson.decode(12)", "0"]), int(12));
}

#[test]
fn cmsgpack_round_trips() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["EVAL", "return cmsgpack.pack({1,2,'a'})", "0"]),
        crate::testing::bulk([0x93u8, 0x01, 0x02, 0xa1, b'a'])
    );
    assert_eq!(
        h.run(&["EVAL", "local t = cmsgpack.unpack(cmsgpack.pack({1,-200,'xy',{k=70000}})) return {t[1], t[2], t[3], t[4].k}", "0"]),
        arr(vec![int(1), int(-200), bulk("xy"), int(70000)])
    );
}

#[test]
fn bit_ops_follow_luabitop() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["EVAL", "return bit.tohex(65535, -4)", "0"]),
        bulk("FFFF")
    );
    assert_eq!(
        h.run(&["EVAL", "return bit.tobit(0xffffffff)", "0"]),
        int(-1)
    );
    assert_eq!(
        h.run(&["EVAL", "return bit.band(0xff, 0x0f, 0x3)", "0"]),
        int(3)
    );
    assert_eq!(h.run(&["EVAL", "return bit.bor(1, 2, 4)", "0"]), int(7));
    assert_eq!(h.run(&["EVAL", "return bit.bxor(5, 1)", "0"]), int(4));
    assert_eq!(h.run(&["EVAL", "return bit.bnot(0)", "0"]), int(-1));
    assert_eq!(
        h.run(&["EVAL", "return bit.lshift(1, 31)", "0"]),
        int(i32::MIN as i64)
    );
    assert_eq!(h.run(&["EVAL", "return bit.rshift(-1, 28)", "0"]), int(15));
    assert_eq!(
        h.run(&["EVAL", "return bit.arshift(-256, 4)", "0"]),
        int(-16)
    );
    assert_eq!(
        h.run(&["EVAL", "return bit.rol(0x12345678, 8)", "0"]),
        int(0x34567812)
    );
    assert_eq!(
        h.run(&["EVAL", "return bit.ror(0x12345678, 8)", "0"]),
        int(0x78123456)
    );
    assert_eq!(
        h.run(&["EVAL", "return bit.bswap(0x12345678)", "0"]),
        int(0x78563412)
    );
}

#[test]
fn struct_packs_and_unpacks() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["EVAL", "return struct.pack('>I2', 258)", "0"]),
        crate::testing::bulk([1u8, 2])
    );
    assert_eq!(
        h.run(&[
            "EVAL",
            "return {struct.unpack('<i2Bs', struct.pack('<i2Bs', -2, 7, 'hi'))}",
            "0"
        ]),
        arr(vec![int(-2), int(7), bulk("hi"), int(7)])
    );
    assert_eq!(h.run(&["EVAL", "return struct.size('>i4d')", "0"]), int(12));
}

#[test]
fn cjson_encodes_negative_zero_inside_tables_with_its_sign() {
    let mut h = Harness::new();
    for (script, want) in [
        ("return cjson.encode(0)", "0"),
        ("return cjson.encode({-0})", "[-0]"),
        ("return cjson.encode({a=-0})", "{\"a\":-0}"),
        // One constant: the compiler keeps the first of 0 and -0 for both.
        ("return cjson.encode({0, -0, 1})", "[0,0,1]"),
        ("return cjson.encode({1e-20})", "[1e-20]"),
        ("return cjson.encode(cjson.decode('[-0]'))", "[-0]"),
    ] {
        assert_eq!(h.run(&["EVAL", script, "0"]), bulk(want), "{script}");
    }
}

#[test]
fn cjson_prints_integral_numbers_with_fourteen_digits() {
    let mut h = Harness::new();
    for (script, want) in [
        ("return cjson.encode(1e15)", "1e+15"),
        ("return cjson.encode(12345678901234)", "12345678901234"),
        (
            "return cjson.encode(123456789012345)",
            "1.2345678901234e+14",
        ),
        ("return cjson.encode(2^53)", "9.007199254741e+15"),
        ("return cjson.encode({[1e15]=1})", "{\"1e+15\":1}"),
        ("return cjson.encode({1e15, -0.5})", "[1e+15,-0.5]"),
        ("return cjson.encode({[2^31]=1})", "{\"2147483648\":1}"),
    ] {
        assert_eq!(h.run(&["EVAL", script, "0"]), bulk(want), "{script}");
    }
}

#[test]
fn cjson_encode_errors_name_the_script_line() {
    let mut h = Harness::new();
    let e = format!(
        "{:?}",
        h.run(&["EVAL", "return cjson.encode(function() end)", "0"])
    );
    assert!(
        e.contains("user_script:1: Cannot serialise function: type not supported")
            && e.contains("on @user_script:1."),
        "{e}"
    );
}

#[test]
fn cmsgpack_reads_uint64_as_signed_as_redis_does() {
    let mut h = Harness::new();
    let script = "return tostring(cmsgpack.unpack(string.char(0xcf, 0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xfe)))";
    assert_eq!(h.run(&["EVAL", script, "0"]), bulk("-2"));
}

#[test]
fn globals_resolve_and_missing_ones_still_raise() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&[
            "EVAL",
            "return {type(redis), type(KEYS), #ARGV}",
            "1",
            "k",
            "a",
            "b"
        ]),
        arr(vec![bulk("table"), bulk("table"), int(2)])
    );
    let e = h.run(&["EVAL", "return nosuch", "0"]);
    assert!(
        format!("{e:?}")
            .contains("Script attempted to access nonexistent global variable 'nosuch'"),
        "{e:?}"
    );
    // A script's changes to KEYS never reach the next script.
    h.run(&["EVAL", "KEYS[5] = 'x' KEYS.extra = 1 return 1", "1", "k"]);
    assert_eq!(
        h.run(&["EVAL", "return {#KEYS, tostring(KEYS.extra)}", "1", "k"]),
        arr(vec![int(1), bulk("nil")])
    );
}
