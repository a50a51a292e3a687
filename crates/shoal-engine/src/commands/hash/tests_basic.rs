//! HSET and the plain read/write commands, HINCRBY*, encodings, effects, declarations.

use super::tests_util::{eff, effects};
use crate::command::flags;
use crate::testing::{arr, bulk, bulks, err, int, ok, Harness};
use shoal_resp::Frame;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn enc(h: &mut Harness, key: &str) -> Frame {
    h.run(&["OBJECT", "ENCODING", key])
}

#[test]
fn hset_counts_new_fields_and_overwrites() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["HSET", "h", "a", "1", "b", "2"]), int(2));
    assert_eq!(h.run(&["HSET", "h", "a", "3", "c", "4"]), int(1));
    assert_eq!(h.run(&["HGET", "h", "a"]), bulk("3"));
    assert_eq!(h.run(&["HLEN", "h"]), int(3));
    assert_eq!(h.run(&["HGET", "h", "zz"]), Frame::Null);
    assert_eq!(h.run(&["HGET", "nokey", "a"]), Frame::Null);
}

#[test]
fn hset_and_hmset_refuse_odd_pairs() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["HSET", "h", "a", "1", "b"]),
        err("ERR wrong number of arguments for 'hset' command")
    );
    assert_eq!(
        h.run(&["HMSET", "h", "a", "1", "b"]),
        err("ERR wrong number of arguments for 'hmset' command")
    );
    assert_eq!(
        h.run(&["HSET", "h", "a"]),
        err("ERR wrong number of arguments for 'hset' command")
    );
    assert_eq!(h.run(&["EXISTS", "h"]), int(0));
    assert_eq!(h.run(&["HMSET", "h", "a", "1", "b", "2"]), ok());
    assert_eq!(
        h.run(&["HMGET", "h", "a", "x", "b"]),
        arr(vec![bulk("1"), Frame::Null, bulk("2")])
    );
    assert_eq!(h.run(&["HMGET", "nokey", "a"]), arr(vec![Frame::Null]));
}

#[test]
fn hsetnx_only_sets_missing_fields() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["HSETNX", "h", "a", "1"]), int(1));
    assert_eq!(h.run(&["HSETNX", "h", "a", "2"]), int(0));
    assert_eq!(h.run(&["HGET", "h", "a"]), bulk("1"));
    assert_eq!(effects(&rx), eff(&[&["HSET", "h", "a", "1"]]));
}

#[test]
fn hdel_removes_fields_and_deletes_the_empty_hash() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["HDEL", "h", "a", "x", "a"]), int(1));
    assert_eq!(h.run(&["HDEL", "h", "x"]), int(0));
    assert_eq!(h.run(&["HDEL", "h", "b"]), int(1));
    assert_eq!(h.run(&["EXISTS", "h"]), int(0));
    assert_eq!(h.run(&["HDEL", "h", "b"]), int(0));
    assert_eq!(
        effects(&rx),
        eff(&[&["HDEL", "h", "a"], &["HDEL", "h", "b"]])
    );
}

#[test]
fn hstrlen_hexists_hkeys_hvals_hgetall() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "hello", "b", ""]);
    assert_eq!(h.run(&["HSTRLEN", "h", "a"]), int(5));
    assert_eq!(h.run(&["HSTRLEN", "h", "b"]), int(0));
    assert_eq!(h.run(&["HSTRLEN", "h", "x"]), int(0));
    assert_eq!(h.run(&["HEXISTS", "h", "a"]), int(1));
    assert_eq!(h.run(&["HEXISTS", "h", "x"]), int(0));
    assert_eq!(h.run(&["HEXISTS", "nokey", "x"]), int(0));
    assert_eq!(h.run(&["HKEYS", "h"]), bulks(&["a", "b"]));
    assert_eq!(h.run(&["HVALS", "h"]), bulks(&["hello", ""]));
    assert_eq!(h.run(&["HKEYS", "nokey"]), arr(vec![]));
    assert_eq!(h.run(&["HVALS", "nokey"]), arr(vec![]));
    let all = Frame::Map(vec![(bulk("a"), bulk("hello")), (bulk("b"), bulk(""))]);
    assert_eq!(h.run(&["HGETALL", "h"]), all);
    assert_eq!(h.run(&["HGETALL", "nokey"]), Frame::Map(vec![]));
}

#[test]
fn hgetall_is_a_map_in_resp3() {
    let mut h = Harness::new();
    h.resp3();
    h.run(&["HSET", "h", "f", "v"]);
    let reply = h.run(&["HGETALL", "h"]);
    assert_eq!(reply, Frame::Map(vec![(bulk("f"), bulk("v"))]));
    let wire = shoal_resp::encode_to_vec(&reply, shoal_resp::Protocol::Resp3);
    assert_eq!(&wire[..], b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    let wire2 = shoal_resp::encode_to_vec(&reply, shoal_resp::Protocol::Resp2);
    assert_eq!(&wire2[..], b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
}

#[test]
fn every_command_refuses_other_types() {
    let mut h = Harness::new();
    h.run(&["SET", "s", "x"]);
    let cmds: &[&[&str]] = &[
        &["HSET", "s", "a", "1"],
        &["HSETNX", "s", "a", "1"],
        &["HMSET", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HDEL", "s", "a"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HGETALL", "s"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "0"],
        &["HSCAN", "s", "0"],
        &["HEXPIRE", "s", "10", "FIELDS", "1", "a"],
        &["HPEXPIREAT", "s", "10", "FIELDS", "1", "a"],
        &["HTTL", "s", "FIELDS", "1", "a"],
        &["HPEXPIRETIME", "s", "FIELDS", "1", "a"],
        &["HPERSIST", "s", "FIELDS", "1", "a"],
    ];
    for c in cmds {
        assert_eq!(h.run(c), err(WRONGTYPE), "{c:?}");
    }
    assert_eq!(h.run(&["GET", "s"]), bulk("x"));
}

#[test]
fn encoding_converts_at_the_thresholds_and_never_back() {
    let mut h = Harness::new();
    h.run(&["CONFIG", "SET", "hash-max-listpack-entries", "4"]);
    h.run(&["CONFIG", "SET", "hash-max-listpack-value", "8"]);
    h.run(&["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"]);
    assert_eq!(enc(&mut h, "h"), bulk("listpack"));
    h.run(&["HSET", "h", "e", "5"]);
    assert_eq!(enc(&mut h, "h"), bulk("hashtable"));
    h.run(&["HDEL", "h", "a", "b", "c", "d"]);
    assert_eq!(enc(&mut h, "h"), bulk("hashtable"));
    // A long value converts, and so does a long field.
    h.run(&["HSET", "v", "a", "12345678"]);
    assert_eq!(enc(&mut h, "v"), bulk("listpack"));
    h.run(&["HSET", "v", "a", "123456789"]);
    assert_eq!(enc(&mut h, "v"), bulk("hashtable"));
    h.run(&["HSET", "f", "123456789", "a"]);
    assert_eq!(enc(&mut h, "f"), bulk("hashtable"));
    // More pairs than the limit in one HSET converts even if fields repeat, as Redis does.
    h.run(&[
        "HSET", "r", "a", "1", "a", "1", "a", "1", "a", "1", "a", "1",
    ]);
    assert_eq!(enc(&mut h, "r"), bulk("hashtable"));
    // HINCRBYFLOAT results are checked too.
    h.run(&["HSET", "g", "x", "1"]);
    h.run(&["HINCRBYFLOAT", "g", "x", "0.0000001"]);
    assert_eq!(enc(&mut h, "g"), bulk("hashtable"));
}

#[test]
fn hincrby_adds_and_checks_types_and_overflow() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["HINCRBY", "h", "n", "5"]), int(5));
    assert_eq!(h.run(&["HINCRBY", "h", "n", "-7"]), int(-2));
    h.run(&["HSET", "h", "s", "abc", "big", "9223372036854775807"]);
    assert_eq!(
        h.run(&["HINCRBY", "h", "s", "1"]),
        err("ERR hash value is not an integer")
    );
    assert_eq!(
        h.run(&["HINCRBY", "h", "big", "1"]),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(
        h.run(&["HINCRBY", "h", "n", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(h.run(&["HGET", "h", "n"]), bulk("-2"));
    assert_eq!(
        effects(&rx),
        eff(&[
            &["HINCRBY", "h", "n", "5"],
            &["HINCRBY", "h", "n", "-7"],
            &["HSET", "h", "s", "abc", "big", "9223372036854775807"],
        ])
    );
}

#[test]
fn hincrbyfloat_uses_long_double_and_replicates_as_hset() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["HINCRBYFLOAT", "h", "f", "10.5"]), bulk("10.5"));
    assert_eq!(h.run(&["HINCRBYFLOAT", "h", "f", "0.1"]), bulk("10.6"));
    h.run(&["HSET", "h", "g", "0.1"]);
    assert_eq!(h.run(&["HINCRBYFLOAT", "h", "g", "0.2"]), bulk("0.3"));
    assert_eq!(h.run(&["HINCRBYFLOAT", "h", "i", "5.0e3"]), bulk("5000"));
    h.run(&["HSET", "h", "s", "abc", "inf", "inf"]);
    assert_eq!(
        h.run(&["HINCRBYFLOAT", "h", "s", "1"]),
        err("ERR hash value is not a float")
    );
    assert_eq!(
        h.run(&["HINCRBYFLOAT", "h", "inf", "1"]),
        err("ERR increment would produce NaN or Infinity")
    );
    assert_eq!(
        h.run(&["HINCRBYFLOAT", "h", "f", "inf"]),
        err("ERR value is NaN or Infinity")
    );
    assert_eq!(
        h.run(&["HINCRBYFLOAT", "h", "f", "nan"]),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        h.run(&["HINCRBYFLOAT", "h", "f", "x"]),
        err("ERR value is not a valid float")
    );
    let got = effects(&rx);
    assert_eq!(got[0], vec!["HSET", "h", "f", "10.5"]);
    assert_eq!(got[1], vec!["HSET", "h", "f", "10.6"]);
}

#[test]
fn declarations_match_redis() {
    let h = Harness::new();
    let t = h.engine.inner().commands();
    let cases: &[(&str, i32, u32)] = &[
        ("hset", -4, flags::WRITE | flags::DENYOOM | flags::FAST),
        ("hsetnx", 4, flags::WRITE | flags::DENYOOM | flags::FAST),
        ("hmset", -4, flags::WRITE | flags::DENYOOM | flags::FAST),
        ("hget", 3, flags::READONLY | flags::FAST),
        ("hmget", -3, flags::READONLY | flags::FAST),
        ("hdel", -3, flags::WRITE | flags::FAST),
        ("hlen", 2, flags::READONLY | flags::FAST),
        ("hstrlen", 3, flags::READONLY | flags::FAST),
        ("hexists", 3, flags::READONLY | flags::FAST),
        ("hkeys", 2, flags::READONLY),
        ("hvals", 2, flags::READONLY),
        ("hgetall", 2, flags::READONLY),
        ("hincrby", 4, flags::WRITE | flags::DENYOOM | flags::FAST),
        (
            "hincrbyfloat",
            4,
            flags::WRITE | flags::DENYOOM | flags::FAST,
        ),
        ("hrandfield", -2, flags::READONLY),
        ("hscan", -3, flags::READONLY),
        ("hexpire", -6, flags::WRITE | flags::FAST),
        ("hpexpire", -6, flags::WRITE | flags::FAST),
        ("hexpireat", -6, flags::WRITE | flags::FAST),
        ("hpexpireat", -6, flags::WRITE | flags::FAST),
        ("httl", -5, flags::READONLY | flags::FAST),
        ("hpttl", -5, flags::READONLY | flags::FAST),
        ("hexpiretime", -5, flags::READONLY | flags::FAST),
        ("hpexpiretime", -5, flags::READONLY | flags::FAST),
        ("hpersist", -5, flags::WRITE | flags::FAST),
    ];
    for &(name, arity, fl) in cases {
        let s = t.get(name.as_bytes()).copied();
        let s = s.unwrap_or_else(|| unreachable!("{name} missing"));
        assert_eq!((s.arity, s.flags), (arity, fl), "{name}");
        assert_eq!((s.first_key, s.last_key, s.key_step), (1, 1, 1), "{name}");
        assert!(
            s.acl_categories() & crate::command::acl::HASH != 0,
            "{name}"
        );
        assert_eq!(s.group.name(), "hash");
    }
}

#[test]
fn increments_parse_like_redis() {
    // Replies checked against a real Redis 7.0.
    let mut h = Harness::new();
    h.run(&[
        "HSET", "h", "a", "1", "sp", " 1", "f", " 12", "z", "0x10", "e", "1e3",
    ]);
    assert_eq!(
        h.run(&["HINCRBYFLOAT", "h", "a", " 1"]),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        h.run(&["HINCRBYFLOAT", "h", "a", "1 "]),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        h.run(&["HINCRBYFLOAT", "h", "sp", "1"]),
        err("ERR hash value is not a float")
    );
    assert_eq!(
        h.run(&["HINCRBY", "h", "f", "1"]),
        err("ERR hash value is not an integer")
    );
    assert_eq!(h.run(&["HINCRBYFLOAT", "h", "z", "1"]), bulk("17"));
    assert_eq!(
        h.run(&["HINCRBY", "h", "e", "1"]),
        err("ERR hash value is not an integer")
    );
    assert_eq!(h.run(&["HINCRBYFLOAT", "h", "e", "1"]), bulk("1001"));
    h.run(&["HSET", "h", "ib", "10"]);
    assert_eq!(
        h.run(&["HINCRBY", "h", "ib", "9223372036854775807"]),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(
        h.run(&["HINCRBY", "h", "ib", "-9223372036854775808"]),
        int(-9223372036854775798)
    );
}
