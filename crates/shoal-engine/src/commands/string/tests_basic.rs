//! Tests of SET and its relatives: options, TTLs on the manual clock, encodings, effects.

use super::tests_util::{deadline_of, eff, effects, encoding};
use crate::testing::*;
use shoal_resp::Frame;

const NOW: u64 = START_MS;

#[test]
fn set_then_get_returns_value() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SET", "k", "v"]), ok());
    assert_eq!(h.run(&["GET", "k"]), bulk("v"));
    assert_eq!(h.run(&["GET", "missing"]), Frame::Null);
}

#[test]
fn set_with_ex_expires_after_deadline() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SET", "k", "v", "EX", "10"]), ok());
    h.advance(10_000);
    assert_eq!(h.run(&["GET", "k"]), bulk("v"));
    h.advance(1);
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
}

#[test]
fn set_options_refuse_conflicts_and_bad_times() {
    let mut h = Harness::new();
    let syntax = err("ERR syntax error");
    for args in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "EX", "1", "PX", "1"],
        &["SET", "k", "v", "EX", "1", "KEEPTTL"],
        &["SET", "k", "v", "KEEPTTL", "PXAT", "1"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "PERSIST"],
        &["SET", "k", "v", "FOO"],
        // Option words are checked before the numbers.
        &["SET", "k", "v", "EX", "abc", "NX", "XX"],
    ] {
        assert_eq!(h.run(args), syntax, "{args:?}");
    }
    assert_eq!(
        h.run(&["SET", "k", "v", "EX", "0"]),
        err("ERR invalid expire time in 'set' command")
    );
    assert_eq!(
        h.run(&["SET", "k", "v", "PX", "-5"]),
        err("ERR invalid expire time in 'set' command")
    );
    assert_eq!(
        h.run(&["SET", "k", "v", "EX", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["SET", "k", "v", "EX", "9223372036854775807"]),
        err("ERR invalid expire time in 'set' command")
    );
    assert_eq!(
        h.run(&["SET", "k", "v", "PX", "9223372036854775807"]),
        err("ERR invalid expire time in 'set' command")
    );
    assert_eq!(
        h.run(&["SET"]),
        err("ERR wrong number of arguments for 'set' command")
    );
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
}

#[test]
fn set_repeated_options_take_the_last_value() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["SET", "k", "v", "ex", "10", "EX", "20", "nx", "NX"]),
        ok()
    );
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 20_000));
    assert_eq!(
        h.run(&["SET", "k", "w", "KEEPTTL", "keepttl", "GET", "get"]),
        bulk("v")
    );
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 20_000));
}

#[test]
fn set_with_get_returns_previous_value() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SET", "k", "a", "GET"]), Frame::Null);
    assert_eq!(h.run(&["SET", "k", "b", "GET"]), bulk("a"));
    assert_eq!(h.run(&["SET", "k", "c", "NX", "GET"]), bulk("b"));
    assert_eq!(h.run(&["GET", "k"]), bulk("b"));
    assert_eq!(h.run(&["SET", "n", "c", "XX", "GET"]), Frame::Null);
    assert_eq!(h.run(&["GET", "n"]), Frame::Null);
}

#[test]
fn set_nx_and_xx_conditions() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SET", "k", "a", "XX"]), Frame::Null);
    assert_eq!(h.run(&["SET", "k", "a", "NX"]), ok());
    assert_eq!(h.run(&["SET", "k", "b", "NX"]), Frame::Null);
    assert_eq!(h.run(&["SET", "k", "c", "XX"]), ok());
    assert_eq!(h.run(&["GET", "k"]), bulk("c"));
    // An expired key does not exist for NX.
    assert_eq!(h.run(&["SET", "t", "a", "PX", "5"]), ok());
    h.advance(6);
    assert_eq!(h.run(&["SET", "t", "b", "NX"]), ok());
}

#[test]
fn set_clears_ttl_unless_keepttl() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v", "PX", "1000"]);
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 1000));
    h.run(&["SET", "k", "w", "KEEPTTL"]);
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 1000));
    h.run(&["SET", "k", "x"]);
    assert_eq!(deadline_of(&h, "k"), None);
    h.run(&["SET", "k", "y", "EXAT", &((NOW / 1000) + 100).to_string()]);
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 100_000));
    h.run(&["SET", "k", "y", "PXAT", &(NOW + 5).to_string()]);
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 5));
}

#[test]
fn set_encodings_follow_value_shape() {
    let mut h = Harness::new();
    h.run(&["SET", "i", "12345"]);
    h.run(&["SET", "z", "0123"]);
    h.run(&["SET", "e", &"a".repeat(44)]);
    h.run(&["SET", "r", &"a".repeat(45)]);
    assert_eq!(encoding(&h, "i"), Some("int"));
    assert_eq!(encoding(&h, "z"), Some("embstr"));
    assert_eq!(encoding(&h, "e"), Some("embstr"));
    assert_eq!(encoding(&h, "r"), Some("raw"));
}

#[test]
fn set_effects_are_absolute_and_skip_failed_writes() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    h.run(&["SET", "k", "v", "EX", "10"]);
    h.run(&["SET", "k", "w", "NX"]);
    h.run(&["SET", "k", "w", "KEEPTTL"]);
    h.run(&["SET", "k", "x", "PX", "5", "GET"]);
    h.run(&["SET", "k", "y"]);
    let at = (NOW + 10_000).to_string();
    let at2 = (NOW + 5).to_string();
    assert_eq!(
        effects(&rx),
        eff(&[
            &["SET", "k", "v", "PXAT", &at],
            &["SET", "k", "w", "KEEPTTL"],
            &["SET", "k", "x", "PXAT", &at2],
            &["SET", "k", "y"],
        ])
    );
}

#[test]
fn setnx_writes_only_missing_keys() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["SETNX", "k", "1"]), int(1));
    assert_eq!(h.run(&["SETNX", "k", "2"]), int(0));
    assert_eq!(h.run(&["GET", "k"]), bulk("1"));
    assert_eq!(encoding(&h, "k"), Some("int"));
    assert_eq!(effects(&rx), eff(&[&["SET", "k", "1"]]));
    assert_eq!(
        h.run(&["SETNX", "k"]),
        err("ERR wrong number of arguments for 'setnx' command")
    );
}

#[test]
fn setex_and_psetex_set_value_and_deadline() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["SETEX", "k", "10", "v"]), ok());
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 10_000));
    assert_eq!(h.run(&["PSETEX", "p", "1500", "v"]), ok());
    assert_eq!(deadline_of(&h, "p"), Some(NOW + 1500));
    let a = (NOW + 10_000).to_string();
    let b = (NOW + 1500).to_string();
    assert_eq!(
        effects(&rx),
        eff(&[
            &["SET", "k", "v", "PXAT", &a],
            &["SET", "p", "v", "PXAT", &b]
        ])
    );
    h.advance(1501);
    assert_eq!(h.run(&["GET", "p"]), Frame::Null);
    assert_eq!(h.run(&["GET", "k"]), bulk("v"));
}

#[test]
fn setex_refuses_bad_times() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["SETEX", "k", "0", "v"]),
        err("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(
        h.run(&["SETEX", "k", "-1", "v"]),
        err("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(
        h.run(&["PSETEX", "k", "0", "v"]),
        err("ERR invalid expire time in 'psetex' command")
    );
    assert_eq!(
        h.run(&["SETEX", "k", "9223372036854775807", "v"]),
        err("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(
        h.run(&["SETEX", "k", "1.5", "v"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["SETEX", "k", "10"]),
        err("ERR wrong number of arguments for 'setex' command")
    );
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
}

#[test]
fn getset_returns_old_value_and_clears_ttl() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["GETSET", "k", "a"]), Frame::Null);
    h.run(&["SET", "k", "a", "PX", "100"]);
    assert_eq!(h.run(&["GETSET", "k", "42"]), bulk("a"));
    assert_eq!(deadline_of(&h, "k"), None);
    assert_eq!(encoding(&h, "k"), Some("int"));
    let at = (NOW + 100).to_string();
    assert_eq!(
        effects(&rx),
        eff(&[
            &["SET", "k", "a"],
            &["SET", "k", "a", "PXAT", &at],
            &["SET", "k", "42"],
        ])
    );
}

#[test]
fn getdel_returns_and_deletes() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["GETDEL", "k"]), bulk("v"));
    assert_eq!(h.run(&["GETDEL", "k"]), Frame::Null);
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    assert_eq!(effects(&rx), eff(&[&["DEL", "k"]]));
}

#[test]
fn getex_without_options_is_a_plain_read() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v", "PX", "100"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["GETEX", "k"]), bulk("v"));
    assert_eq!(h.run(&["GETEX", "missing"]), Frame::Null);
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 100));
    assert!(effects(&rx).is_empty());
}

#[test]
fn getex_sets_deadlines_and_emits_pexpireat() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let rx = h.engine.subscribe_effects();
    let exat = ((NOW / 1000) + 50).to_string();
    let pxat = (NOW + 7).to_string();
    assert_eq!(h.run(&["GETEX", "k", "EX", "10"]), bulk("v"));
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 10_000));
    assert_eq!(h.run(&["GETEX", "k", "px", "20"]), bulk("v"));
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 20));
    assert_eq!(h.run(&["GETEX", "k", "EXAT", &exat]), bulk("v"));
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 50_000));
    assert_eq!(h.run(&["GETEX", "k", "PXAT", &pxat]), bulk("v"));
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 7));
    let e = |ms: u64| ms.to_string();
    assert_eq!(
        effects(&rx),
        eff(&[
            &["PEXPIREAT", "k", &e(NOW + 10_000)],
            &["PEXPIREAT", "k", &e(NOW + 20)],
            &["PEXPIREAT", "k", &e(NOW + 50_000)],
            &["PEXPIREAT", "k", &e(NOW + 7)],
        ])
    );
    h.advance(8);
    assert_eq!(h.run(&["GETEX", "k"]), Frame::Null);
}

#[test]
fn getex_persist_removes_ttl_once() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v", "EX", "100"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["GETEX", "k", "PERSIST"]), bulk("v"));
    assert_eq!(deadline_of(&h, "k"), None);
    assert_eq!(h.run(&["GETEX", "k", "persist", "PERSIST"]), bulk("v"));
    assert_eq!(effects(&rx), eff(&[&["PERSIST", "k"]]));
    h.advance(200_000);
    assert_eq!(h.run(&["GET", "k"]), bulk("v"));
}

#[test]
fn getex_past_absolute_deadline_deletes_key() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["GETEX", "k", "PXAT", &NOW.to_string()]), bulk("v"));
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["GETEX", "k", "EXAT", "1"]), bulk("v"));
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    assert_eq!(
        effects(&rx),
        eff(&[&["DEL", "k"], &["SET", "k", "v"], &["DEL", "k"]])
    );
}

#[test]
fn getex_refuses_bad_options() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let syntax = err("ERR syntax error");
    for args in [
        &["GETEX", "k", "EX", "10", "PX", "10"][..],
        &["GETEX", "k", "EX", "10", "PERSIST"],
        &["GETEX", "k", "PERSIST", "EXAT", "10"],
        &["GETEX", "k", "EX"],
        &["GETEX", "k", "KEEPTTL"],
        &["GETEX", "k", "NX"],
        &["GETEX", "k", "GET"],
    ] {
        assert_eq!(h.run(args), syntax, "{args:?}");
    }
    let invalid = err("ERR invalid expire time in 'getex' command");
    assert_eq!(h.run(&["GETEX", "k", "EX", "0"]), invalid);
    assert_eq!(h.run(&["GETEX", "k", "PXAT", "-1"]), invalid);
    assert_eq!(h.run(&["GETEX", "k", "EX", "9223372036854775807"]), invalid);
    assert_eq!(
        h.run(&["GETEX", "k", "EX", "ten"]),
        err("ERR value is not an integer or out of range")
    );
    // A missing key answers nil before the time is checked.
    assert_eq!(h.run(&["GETEX", "missing", "EX", "ten"]), Frame::Null);
    assert_eq!(h.run(&["GETEX", "k", "EX", "10", "EX", "20"]), bulk("v"));
    assert_eq!(deadline_of(&h, "k"), Some(NOW + 20_000));
}

#[test]
fn values_are_binary_safe() {
    let mut h = Harness::new();
    let v: &[u8] = b"a\x00b\r\n\xff";
    assert_eq!(h.run_bin(&[b"SET", b"k\x00", v]), ok());
    assert_eq!(h.run_bin(&[b"GET", b"k\x00"]), bulk(v));
    assert_eq!(h.run_bin(&[b"GETSET", b"k\x00", b"\x01"]), bulk(v));
    assert_eq!(h.run_bin(&[b"APPEND", b"k\x00", v]), int(7));
    assert_eq!(
        h.run_bin(&[b"GETDEL", b"k\x00"]),
        bulk(b"\x01a\x00b\r\n\xff")
    );
    assert_eq!(h.run_bin(&[b"MSET", b"\xfe", v]), ok());
    assert_eq!(h.run_bin(&[b"MGET", b"\xfe"]), arr(vec![bulk(v)]));
}
