//! Tests of the counters, range commands, multi-key commands, LCS and the declarations.

use super::tests_util::{deadline_of, eff, effects, encoding};
use crate::testing::*;
use shoal_resp::Frame;

const NOW: u64 = START_MS;
const NOT_INT: &str = "ERR value is not an integer or out of range";

#[test]
fn incr_family_counts_from_zero() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["INCR", "n"]), int(1));
    assert_eq!(h.run(&["INCRBY", "n", "10"]), int(11));
    assert_eq!(h.run(&["DECR", "n"]), int(10));
    assert_eq!(h.run(&["DECRBY", "n", "15"]), int(-5));
    assert_eq!(h.run(&["INCRBY", "n", "-5"]), int(-10));
    assert_eq!(h.run(&["GET", "n"]), bulk("-10"));
    assert_eq!(h.run(&["DECR", "fresh"]), int(-1));
    assert_eq!(encoding(&h, "n"), Some("int"));
}

#[test]
fn incr_refuses_non_integers() {
    let mut h = Harness::new();
    for v in [
        "abc",
        " 1",
        "1 ",
        "01",
        "+1",
        "1.5",
        "",
        "123456789012345678901",
    ] {
        h.run(&["SET", "k", v]);
        assert_eq!(h.run(&["INCR", "k"]), err(NOT_INT), "{v:?}");
    }
    h.run(&["SET", "k", "5"]);
    assert_eq!(h.run(&["INCRBY", "k", "x"]), err(NOT_INT));
    assert_eq!(h.run(&["DECRBY", "k", "1.0"]), err(NOT_INT));
    assert_eq!(h.run(&["GET", "k"]), bulk("5"));
}

#[test]
fn incr_after_append_parses_the_raw_text() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "1"]);
    h.run(&["APPEND", "k", "2"]);
    assert_eq!(encoding(&h, "k"), Some("raw"));
    assert_eq!(h.run(&["INCR", "k"]), int(13));
    assert_eq!(encoding(&h, "k"), Some("int"));
}

#[test]
fn incr_detects_overflow() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "9223372036854775807"]);
    assert_eq!(
        h.run(&["INCR", "k"]),
        err("ERR increment or decrement would overflow")
    );
    h.run(&["SET", "k", "-9223372036854775808"]);
    assert_eq!(
        h.run(&["DECR", "k"]),
        err("ERR increment or decrement would overflow")
    );
    h.run(&["SET", "k", "0"]);
    assert_eq!(
        h.run(&["DECRBY", "k", "-9223372036854775808"]),
        err("ERR decrement would overflow")
    );
    assert_eq!(
        h.run(&["DECRBY", "k", "9223372036854775807"]),
        int(-i64::MAX)
    );
    assert_eq!(
        h.run(&["INCRBY", "k", "-9223372036854775808"]),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(h.run(&["GET", "k"]), bulk("-9223372036854775807"));
}

#[test]
fn incr_keeps_ttl_and_replicates_as_given() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "1", "PX", "100"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["INCRBY", "k", "4"]), int(5));
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 100));
    h.run(&["INCR", "k", "extra"]);
    h.run(&["SET", "s", "x"]);
    h.run(&["INCR", "s"]);
    assert_eq!(
        effects(&rx),
        eff(&[&["INCRBY", "k", "4"], &["SET", "s", "x"]])
    );
}

#[test]
fn incr_of_a_key_past_its_deadline_starts_again_from_zero_without_a_ttl() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "41", "PX", "100"]);
    h.advance(101);
    assert_eq!(h.run(&["INCR", "k"]), int(1));
    assert_eq!(deadline_of(&h, "k"), None);
    assert_eq!(encoding(&h, "k"), Some("int"));
    // A value that is not an integer is left as it was.
    h.run(&["SET", "t", "abc", "PX", "500"]);
    assert!(h.run(&["INCR", "t"]).is_error());
    assert_eq!(h.run(&["GET", "t"]), bulk("abc"));
    assert_eq!(deadline_of(&h, "t"), Some(NOW + 101 + 500));
}

#[test]
fn incrbyfloat_formats_like_redis() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "10.50"]);
    assert_eq!(h.run(&["INCRBYFLOAT", "k", "0.1"]), bulk("10.6"));
    assert_eq!(h.run(&["INCRBYFLOAT", "k", "-5"]), bulk("5.6"));
    h.run(&["SET", "k", "5.0e3"]);
    assert_eq!(h.run(&["INCRBYFLOAT", "k", "2.0e2"]), bulk("5200"));
    assert_eq!(encoding(&h, "k"), Some("embstr"));
    assert_eq!(h.run(&["INCRBYFLOAT", "new", "1"]), bulk("1"));
    assert_eq!(h.run(&["INCRBYFLOAT", "new", "0.25"]), bulk("1.25"));
    assert_eq!(encoding(&h, "new"), Some("embstr"));
    h.run(&["SET", "big", "17179869184"]);
    assert_eq!(h.run(&["INCRBYFLOAT", "big", "1.5"]), bulk("17179869185.5"));
    h.run(&["SET", "z", "0"]);
    assert_eq!(h.run(&["INCRBYFLOAT", "z", "1e-20"]), bulk("0"));
}

#[test]
fn incrbyfloat_refuses_bad_floats_and_infinity() {
    let mut h = Harness::new();
    let not_float = err("ERR value is not a valid float");
    h.run(&["SET", "k", "abc"]);
    assert_eq!(h.run(&["INCRBYFLOAT", "k", "1"]), not_float);
    h.run(&["SET", "k", "1"]);
    assert_eq!(h.run(&["INCRBYFLOAT", "k", "x"]), not_float);
    assert_eq!(h.run(&["INCRBYFLOAT", "k", " 1"]), not_float);
    assert_eq!(h.run(&["INCRBYFLOAT", "k", "nan"]), not_float);
    h.run_bin(&[b"SET", b"z", b"1\x002"]);
    assert_eq!(h.run(&["INCRBYFLOAT", "z", "1"]), not_float);
    let nan_inf = err("ERR increment would produce NaN or Infinity");
    assert_eq!(h.run(&["INCRBYFLOAT", "k", "+inf"]), nan_inf);
    h.run(&["SET", "k", "1e4932"]);
    assert_eq!(h.run(&["INCRBYFLOAT", "k", "1e4932"]), nan_inf);
    h.run(&["SET", "k", "1"]);
    assert_eq!(h.run(&["GET", "k"]), bulk("1"));
}

#[test]
fn incrbyfloat_keeps_ttl_and_replicates_as_set_keepttl() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "1", "EX", "100"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["INCRBYFLOAT", "k", "0.5"]), bulk("1.5"));
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 100_000));
    assert_eq!(effects(&rx), eff(&[&["SET", "k", "1.5", "KEEPTTL"]]));
    // A negative zero result is stored as 0, and not as an int.
    h.run(&["SET", "z", "0.5"]);
    assert_eq!(h.run(&["INCRBYFLOAT", "z", "-0.5"]), bulk("0"));
    assert_eq!(encoding(&h, "z"), Some("embstr"));
}

#[test]
fn append_creates_and_extends() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["APPEND", "k", "123"]), int(3));
    assert_eq!(encoding(&h, "k"), Some("int"));
    assert_eq!(h.run(&["APPEND", "k", "abc"]), int(6));
    assert_eq!(encoding(&h, "k"), Some("raw"));
    assert_eq!(h.run(&["GET", "k"]), bulk("123abc"));
    assert_eq!(h.run(&["APPEND", "e", "hello"]), int(5));
    assert_eq!(encoding(&h, "e"), Some("embstr"));
    assert_eq!(
        effects(&rx),
        eff(&[
            &["APPEND", "k", "123"],
            &["APPEND", "k", "abc"],
            &["APPEND", "e", "hello"],
        ])
    );
}

#[test]
fn append_keeps_ttl_and_respects_max_len() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "abc", "PX", "50"]);
    assert_eq!(h.run(&["APPEND", "k", ""]), int(3));
    assert_eq!(encoding(&h, "k"), Some("raw"));
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 50));
    assert!(h
        .engine
        .inner()
        .config
        .set("proto-max-bulk-len", "1mb")
        .is_ok());
    h.run(&["SET", "big", &"a".repeat(1024 * 1024 - 1)]);
    assert_eq!(h.run(&["APPEND", "big", "b"]), int(1024 * 1024));
    assert_eq!(
        h.run(&["APPEND", "big", "c"]),
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
}

#[test]
fn strlen_counts_bytes() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["STRLEN", "k"]), int(0));
    h.run(&["SET", "k", "-1234"]);
    assert_eq!(h.run(&["STRLEN", "k"]), int(5));
    h.run_bin(&[b"SET", b"b", b"\x00\xff"]);
    assert_eq!(h.run(&["STRLEN", "b"]), int(2));
}

#[test]
fn getrange_follows_redis7_index_rules() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "This is a string"]);
    let cases: &[(&str, &str, &str)] = &[
        ("0", "3", "This"),
        ("-3", "-1", "ing"),
        ("0", "-1", "This is a string"),
        ("10", "100", "string"),
        ("5", "3", ""),
        ("-1", "-5", ""),
        ("-100", "2", "Thi"),
        ("0", "-100", "T"),
        ("16", "20", ""),
        ("-100", "-50", "T"),
    ];
    for (s, e, want) in cases {
        assert_eq!(h.run(&["GETRANGE", "k", s, e]), bulk(want), "{s} {e}");
        assert_eq!(h.run(&["SUBSTR", "k", s, e]), bulk(want), "{s} {e}");
    }
    assert_eq!(h.run(&["GETRANGE", "missing", "0", "-1"]), bulk(""));
    h.run(&["SET", "n", "12345"]);
    assert_eq!(h.run(&["GETRANGE", "n", "1", "2"]), bulk("23"));
    h.run(&["SET", "empty", ""]);
    assert_eq!(h.run(&["GETRANGE", "empty", "0", "-1"]), bulk(""));
    assert_eq!(h.run(&["GETRANGE", "k", "a", "1"]), err(NOT_INT));
    assert_eq!(h.run(&["GETRANGE", "missing", "0", "b"]), err(NOT_INT));
}

#[test]
fn setrange_pads_with_zero_bytes() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SETRANGE", "k", "3", "ab"]), int(5));
    assert_eq!(h.run(&["GET", "k"]), bulk(b"\x00\x00\x00ab"));
    assert_eq!(encoding(&h, "k"), Some("raw"));
    h.run(&["SET", "s", "Hello World"]);
    assert_eq!(h.run(&["SETRANGE", "s", "6", "Redis"]), int(11));
    assert_eq!(h.run(&["GET", "s"]), bulk("Hello Redis"));
    assert_eq!(h.run(&["SETRANGE", "s", "0", "J"]), int(11));
    assert_eq!(h.run(&["GET", "s"]), bulk("Jello Redis"));
    h.run(&["SET", "n", "123"]);
    assert_eq!(h.run(&["SETRANGE", "n", "1", "9"]), int(3));
    assert_eq!(encoding(&h, "n"), Some("raw"));
    assert_eq!(h.run(&["GET", "n"]), bulk("193"));
}

#[test]
fn setrange_edge_cases() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["SETRANGE", "k", "5", ""]), int(0));
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    assert_eq!(
        h.run(&["SETRANGE", "k", "-1", "x"]),
        err("ERR offset is out of range")
    );
    assert_eq!(h.run(&["SETRANGE", "k", "x", "x"]), err(NOT_INT));
    assert_eq!(
        h.run(&["SETRANGE", "k", "536870912", "x"]),
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    assert_eq!(h.run(&["SETRANGE", "k", "536870911", ""]), int(0));
    h.run(&["SET", "t", "abc", "PX", "40"]);
    assert_eq!(h.run(&["SETRANGE", "t", "1", ""]), int(3));
    assert_eq!(encoding(&h, "t"), Some("embstr"));
    assert_eq!(h.run(&["SETRANGE", "t", "1", "X"]), int(3));
    assert_eq!(deadline_of(&h, "t"), Some(NOW + 40));
    let at = (NOW + 40).to_string();
    assert_eq!(
        effects(&rx),
        eff(&[
            &["SET", "t", "abc", "PXAT", &at],
            &["SETRANGE", "t", "1", "X"]
        ])
    );
}

#[test]
fn mget_answers_nil_for_missing() {
    let mut h = Harness::new();
    h.run(&["MSET", "a", "1", "b", "2"]);
    assert_eq!(
        h.run(&["MGET", "a", "x", "b", "a"]),
        arr(vec![bulk("1"), Frame::Null, bulk("2"), bulk("1")])
    );
    assert_eq!(
        h.run(&["MGET"]),
        err("ERR wrong number of arguments for 'mget' command")
    );
}

#[test]
fn mset_writes_all_and_clears_ttls() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "x", "EX", "10"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["MSET", "a", "1", "b", "xyz", "a", "2"]), ok());
    assert_eq!(h.run(&["GET", "a"]), bulk("2"));
    assert_eq!(deadline_of(&h, "a"), None);
    assert_eq!(encoding(&h, "a"), Some("int"));
    assert_eq!(encoding(&h, "b"), Some("embstr"));
    assert_eq!(
        effects(&rx),
        eff(&[&["MSET", "a", "1", "b", "xyz", "a", "2"]])
    );
    assert_eq!(
        h.run(&["MSET", "a", "1", "b"]),
        err("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        h.run(&["MSET", "a"]),
        err("ERR wrong number of arguments for 'mset' command")
    );
}

#[test]
fn msetnx_is_all_or_nothing() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["MSETNX", "a", "1", "b", "2"]), int(1));
    assert_eq!(h.run(&["MSETNX", "c", "3", "b", "9"]), int(0));
    assert_eq!(
        h.run(&["MGET", "a", "b", "c"]),
        arr(vec![bulk("1"), bulk("2"), Frame::Null])
    );
    assert_eq!(effects(&rx), eff(&[&["MSET", "a", "1", "b", "2"]]));
    assert_eq!(
        h.run(&["MSETNX", "a", "1", "b"]),
        err("ERR wrong number of arguments for 'msetnx' command")
    );
    h.run(&["SET", "t", "v", "PX", "5"]);
    h.advance(6);
    assert_eq!(h.run(&["MSETNX", "t", "w"]), int(1));
}

#[test]
fn writes_over_expired_keys_emit_their_del_first() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1", "PX", "5"]);
    h.run(&["SET", "b", "1", "PX", "5"]);
    h.advance(6);
    let rx = h.engine.subscribe_effects();
    h.run(&["MSET", "a", "2"]);
    h.run(&["SETEX", "b", "10", "2"]);
    let at = (NOW + 6 + 10_000).to_string();
    assert_eq!(
        effects(&rx),
        eff(&[
            &["DEL", "a"],
            &["MSET", "a", "2"],
            &["DEL", "b"],
            &["SET", "b", "2", "PXAT", &at],
        ])
    );
    assert_eq!(encoding(&h, "b"), Some("int"));
    h.run(&["PSETEX", "c", "10", &"x".repeat(45)]);
    assert_eq!(encoding(&h, "c"), Some("raw"));
    // A plain SET makes no lookup of its own: the write itself expires the old key first,
    // and KEEPTTL keeps nothing of a key past its deadline.
    h.run(&["SET", "d", "1", "PX", "5"]);
    h.run(&["SET", "e", "1", "PX", "5"]);
    h.advance(6);
    let rx = h.engine.subscribe_effects();
    h.run(&["SET", "d", "2"]);
    h.run(&["SET", "e", "2", "KEEPTTL"]);
    assert_eq!(
        effects(&rx),
        eff(&[
            &["DEL", "d"],
            &["SET", "d", "2"],
            &["DEL", "e"],
            &["SET", "e", "2", "KEEPTTL"],
        ])
    );
    assert_eq!(deadline_of(&h, "e"), None);
    assert_eq!(h.run(&["GET", "d"]), bulk("2"));
}

/// Name, arity, key positions and flags of one command.
type Decl = (&'static str, i32, (i32, i32, i32), &'static [&'static str]);

#[test]
fn declarations_match_redis() {
    let h = Harness::new();
    let t = h.engine.inner().commands();
    let spec = |n: &str| t.get(n.as_bytes()).copied();
    let expect: &[Decl] = &[
        ("get", 2, (1, 1, 1), &["readonly", "fast"]),
        ("set", -3, (1, 1, 1), &["write", "denyoom"]),
        ("setnx", 3, (1, 1, 1), &["write", "denyoom", "fast"]),
        ("setex", 4, (1, 1, 1), &["write", "denyoom"]),
        ("psetex", 4, (1, 1, 1), &["write", "denyoom"]),
        ("getset", 3, (1, 1, 1), &["write", "denyoom", "fast"]),
        ("getdel", 2, (1, 1, 1), &["write", "fast"]),
        ("getex", -2, (1, 1, 1), &["write", "fast"]),
        ("append", 3, (1, 1, 1), &["write", "denyoom"]),
        ("strlen", 2, (1, 1, 1), &["readonly", "fast"]),
        ("getrange", 4, (1, 1, 1), &["readonly"]),
        ("substr", 4, (1, 1, 1), &["readonly"]),
        ("setrange", 4, (1, 1, 1), &["write", "denyoom"]),
        ("incr", 2, (1, 1, 1), &["write", "denyoom", "fast"]),
        ("decr", 2, (1, 1, 1), &["write", "denyoom", "fast"]),
        ("incrby", 3, (1, 1, 1), &["write", "denyoom", "fast"]),
        ("decrby", 3, (1, 1, 1), &["write", "denyoom", "fast"]),
        ("incrbyfloat", 3, (1, 1, 1), &["write", "denyoom", "fast"]),
        ("mget", -2, (1, -1, 1), &["readonly", "fast"]),
        ("mset", -3, (1, -1, 2), &["write", "denyoom"]),
        ("msetnx", -3, (1, -1, 2), &["write", "denyoom"]),
        ("lcs", -3, (1, 2, 1), &["readonly"]),
    ];
    for (name, arity, keys, flags) in expect {
        let s = spec(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(s.arity, *arity, "{name}");
        assert_eq!((s.first_key, s.last_key, s.key_step), *keys, "{name}");
        let names: Vec<&str> = crate::command::flags::NAMES
            .iter()
            .filter(|(bit, _)| s.has(*bit))
            .map(|(_, n)| *n)
            .collect();
        let mut want = flags.to_vec();
        want.sort_unstable();
        let mut got = names.clone();
        got.sort_unstable();
        assert_eq!(got, want, "{name}");
        assert!(
            s.acl_categories() & crate::command::acl::STRING != 0,
            "{name}"
        );
    }
}

mod model {
    use crate::testing::*;
    use proptest::prelude::*;

    /// GETRANGE over a plain byte vector, written from the documented rules.
    fn model_getrange(v: &[u8], start: i64, end: i64) -> Vec<u8> {
        let n = v.len() as i64;
        if start < 0 && end < 0 && start > end {
            return Vec::new();
        }
        let s = if start < 0 { (n + start).max(0) } else { start };
        let mut e = if end < 0 { (n + end).max(0) } else { end };
        if e >= n {
            e = n - 1;
        }
        if n == 0 || s > e {
            return Vec::new();
        }
        v[s as usize..=e as usize].to_vec()
    }

    #[derive(Debug, Clone)]
    enum Op {
        SetRange(usize, Vec<u8>),
        GetRange(i64, i64),
        Append(Vec<u8>),
    }

    fn op() -> impl Strategy<Value = Op> {
        let bytes = proptest::collection::vec(any::<u8>(), 0..8);
        prop_oneof![
            (0usize..40, bytes.clone()).prop_map(|(o, v)| Op::SetRange(o, v)),
            (-50i64..50, -50i64..50).prop_map(|(s, e)| Op::GetRange(s, e)),
            bytes.prop_map(Op::Append),
        ]
    }

    proptest! {
        #[test]
        fn setrange_getrange_match_vec_model(ops in proptest::collection::vec(op(), 1..30)) {
            let mut h = Harness::new();
            let mut model: Option<Vec<u8>> = None;
            for op in ops {
                match op {
                    Op::SetRange(off, val) => {
                        let reply = h.run_bin(&[b"SETRANGE", b"k", off.to_string().as_bytes(), &val]);
                        if !val.is_empty() {
                            let m = model.get_or_insert_with(Vec::new);
                            if m.len() < off + val.len() {
                                m.resize(off + val.len(), 0);
                            }
                            m[off..off + val.len()].copy_from_slice(&val);
                        }
                        let len = model.as_ref().map_or(0, |m| m.len());
                        prop_assert_eq!(reply, int(len as i64));
                    }
                    Op::GetRange(s, e) => {
                        let reply = h.run(&["GETRANGE", "k", &s.to_string(), &e.to_string()]);
                        let want = model_getrange(model.as_deref().unwrap_or(&[]), s, e);
                        prop_assert_eq!(reply, bulk(want));
                    }
                    Op::Append(val) => {
                        let reply = h.run_bin(&[b"APPEND", b"k", &val]);
                        model.get_or_insert_with(Vec::new).extend_from_slice(&val);
                        let len = model.as_ref().map_or(0, |m| m.len());
                        prop_assert_eq!(reply, int(len as i64));
                    }
                }
                let stored = h.run(&["GET", "k"]);
                let want = model.as_ref().map_or(shoal_resp::Frame::Null, bulk);
                prop_assert_eq!(stored, want);
            }
        }
    }
}
