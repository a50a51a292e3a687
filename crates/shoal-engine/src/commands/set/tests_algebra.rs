//! SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms.

use super::tests_util::{effects, encoding, members, replay, sorted, strs};
use crate::testing::{err, int, Harness};
use shoal_resp::Frame;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn sample() -> Harness {
    let mut h = Harness::new();
    h.run(&["SADD", "a", "1", "2", "3", "x"]);
    h.run(&["SADD", "b", "2", "3", "4", "x", "y"]);
    h.run(&["SADD", "c", "3", "x", "z"]);
    h.run(&["SET", "str", "v"]);
    h
}

#[test]
fn sinter_sunion_sdiff() {
    let mut h = sample();
    assert_eq!(sorted(h.run(&["SINTER", "a", "b", "c"])), strs(&["3", "x"]));
    assert_eq!(
        sorted(h.run(&["SUNION", "a", "c"])),
        strs(&["1", "2", "3", "x", "z"])
    );
    assert_eq!(sorted(h.run(&["SDIFF", "a", "b"])), strs(&["1"]));
    assert_eq!(
        sorted(h.run(&["SDIFF", "a", "nokey"])),
        strs(&["1", "2", "3", "x"])
    );
    assert_eq!(sorted(h.run(&["SDIFF", "a", "a"])), strs(&[]));
    assert_eq!(sorted(h.run(&["SDIFF", "nokey", "a"])), strs(&[]));
    assert_eq!(sorted(h.run(&["SINTER", "a", "nokey"])), strs(&[]));
    assert_eq!(sorted(h.run(&["SUNION", "nokey"])), strs(&[]));
    assert_eq!(sorted(h.run(&["SINTER", "a"])), strs(&["1", "2", "3", "x"]));
}

#[test]
fn algebra_replies_are_resp3_sets() {
    let mut h = sample();
    h.resp3();
    assert!(matches!(h.run(&["SINTER", "a", "b"]), Frame::Set(_)));
    assert!(matches!(h.run(&["SUNION", "a", "b"]), Frame::Set(_)));
    assert!(matches!(h.run(&["SDIFF", "a", "b"]), Frame::Set(_)));
    assert_eq!(h.run(&["SINTER", "a", "nokey"]), Frame::Set(vec![]));
}

#[test]
fn any_non_set_key_is_wrongtype_even_after_a_missing_one() {
    let mut h = sample();
    for cmd in ["SINTER", "SUNION", "SDIFF"] {
        assert_eq!(h.run(&[cmd, "nokey", "str"]), err(WRONGTYPE), "{cmd}");
        assert_eq!(h.run(&[cmd, "a", "str"]), err(WRONGTYPE), "{cmd}");
    }
    for cmd in ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"] {
        assert_eq!(h.run(&[cmd, "d", "nokey", "str"]), err(WRONGTYPE), "{cmd}");
    }
    assert_eq!(h.run(&["SINTERCARD", "2", "nokey", "str"]), err(WRONGTYPE));
    // The destination may hold anything: it is replaced.
    assert_eq!(h.run(&["SUNIONSTORE", "str", "a"]), int(4));
    assert_eq!(h.run(&["TYPE", "str"]), crate::testing::simple("set"));
}

#[test]
fn store_forms_write_replace_and_delete() {
    let mut h = sample();
    h.run(&["SADD", "d", "old"]);
    h.run(&["EXPIRE", "d", "100"]);
    assert_eq!(h.run(&["SINTERSTORE", "d", "a", "b"]), int(3));
    assert_eq!(members(&mut h, "d").len(), 3);
    assert_eq!(h.run(&["TTL", "d"]), int(-1));
    assert_eq!(h.run(&["SUNIONSTORE", "d", "a", "c"]), int(5));
    assert_eq!(h.run(&["SDIFFSTORE", "d", "b", "a"]), int(2));
    assert_eq!(sorted(h.run(&["SMEMBERS", "d"])), strs(&["4", "y"]));
    assert_eq!(h.run(&["SINTERSTORE", "d", "a", "nokey"]), int(0));
    assert_eq!(h.run(&["EXISTS", "d"]), int(0));
    h.run(&["SADD", "d", "q"]);
    assert_eq!(h.run(&["SDIFFSTORE", "d", "a", "a"]), int(0));
    assert_eq!(h.run(&["EXISTS", "d"]), int(0));
    assert_eq!(h.run(&["SUNIONSTORE", "d", "nokey"]), int(0));
    assert_eq!(h.run(&["SINTERSTORE", "a", "a", "b"]), int(3));
    assert_eq!(sorted(h.run(&["SMEMBERS", "a"])), strs(&["2", "3", "x"]));
}

#[test]
fn store_results_get_the_smallest_fitting_encoding() {
    let mut h = Harness::new();
    h.run(&["SADD", "ints", "1", "2", "3"]);
    h.run(&["SADD", "mixed", "1", "2", "a"]);
    h.run(&["SADD", "wide", "1", "2", "3"]);
    let big: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
    let mut cmd = vec!["SADD", "wide"];
    cmd.extend(big.iter().map(String::as_str));
    h.run(&cmd);
    assert_eq!(encoding(&mut h, "wide"), "hashtable");
    h.run(&["SINTERSTORE", "d1", "wide", "mixed"]);
    assert_eq!(encoding(&mut h, "d1"), "intset");
    h.run(&["SINTERSTORE", "d2", "mixed", "mixed"]);
    assert_eq!(encoding(&mut h, "d2"), "listpack");
    h.run(&["SUNIONSTORE", "d3", "ints", "ints"]);
    assert_eq!(encoding(&mut h, "d3"), "intset");
    h.run(&["SUNIONSTORE", "d4", "ints", "mixed"]);
    assert_eq!(encoding(&mut h, "d4"), "listpack");
    h.run(&["SDIFFSTORE", "d5", "wide", "ints"]);
    assert_eq!(encoding(&mut h, "d5"), "hashtable");
    h.run(&["SDIFFSTORE", "d6", "wide", "mixed"]);
    assert_eq!(h.run(&["SCARD", "d6"]), int(201));
}

#[test]
fn sintercard_counts_with_limit() {
    let mut h = sample();
    assert_eq!(h.run(&["SINTERCARD", "2", "a", "b"]), int(3));
    assert_eq!(h.run(&["SINTERCARD", "2", "a", "b", "LIMIT", "2"]), int(2));
    assert_eq!(h.run(&["SINTERCARD", "2", "a", "b", "limit", "0"]), int(3));
    assert_eq!(h.run(&["SINTERCARD", "2", "a", "b", "LIMIT", "9"]), int(3));
    assert_eq!(h.run(&["SINTERCARD", "2", "a", "nokey"]), int(0));
    assert_eq!(h.run(&["SINTERCARD", "1", "a"]), int(4));
}

#[test]
fn sintercard_errors() {
    let mut h = sample();
    let numkeys = err("ERR numkeys should be greater than 0");
    assert_eq!(h.run(&["SINTERCARD", "0", "a"]), numkeys);
    assert_eq!(h.run(&["SINTERCARD", "-1", "a"]), numkeys);
    assert_eq!(h.run(&["SINTERCARD", "x", "a"]), numkeys);
    assert_eq!(
        h.run(&["SINTERCARD", "3", "a", "b"]),
        err("ERR Number of keys can't be greater than number of args")
    );
    let neg = err("ERR LIMIT can't be negative");
    assert_eq!(h.run(&["SINTERCARD", "1", "a", "LIMIT", "-1"]), neg);
    assert_eq!(h.run(&["SINTERCARD", "1", "a", "LIMIT", "x"]), neg);
    assert_eq!(
        h.run(&["SINTERCARD", "1", "a", "LIMIT"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["SINTERCARD", "1", "a", "FOO", "1"]),
        err("ERR syntax error")
    );
}

#[test]
fn store_effects_replay_and_empty_results_emit_del() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    h.run(&["SADD", "a", "1", "2", "x"]);
    h.run(&["SADD", "b", "2", "x", "y"]);
    h.run(&["SINTERSTORE", "i", "a", "b"]);
    h.run(&["SUNIONSTORE", "u", "a", "b"]);
    h.run(&["SDIFFSTORE", "d", "a", "b"]);
    h.run(&["SINTERSTORE", "none", "a", "nokey"]);
    h.run(&["SINTERSTORE", "i", "a", "nokey"]);
    let eff = effects(&rx);
    assert_eq!(
        eff.last().cloned(),
        Some(vec!["DEL".to_string(), "i".to_string()])
    );
    assert!(!eff.iter().any(|e| e.contains(&"none".to_string())));
    let mut r = replay(&eff);
    for k in ["a", "b", "i", "u", "d"] {
        assert_eq!(members(&mut r, k), members(&mut h, k), "{k}");
    }
}

#[test]
fn sdiffstore_encoding_follows_the_chosen_algorithm() {
    let mut h = Harness::new();
    let big: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
    let mut cmd = vec!["SADD", "big"];
    cmd.extend(big.iter().map(String::as_str));
    h.run(&cmd);
    let mut cmd = vec!["SADD", "most"];
    cmd.extend(big[10..].iter().map(String::as_str));
    h.run(&cmd);
    for k in ["p", "q", "r"] {
        h.run(&["SADD", k, "other"]);
    }
    // Two sets: walking the first is cheaper; the small result is built compact.
    assert_eq!(h.run(&["SDIFFSTORE", "d1", "big", "most"]), int(10));
    assert_eq!(encoding(&mut h, "d1"), "listpack");
    // Five sets: copying the first and removing is cheaper; the copy was a hashtable.
    assert_eq!(
        h.run(&["SDIFFSTORE", "d2", "big", "most", "p", "q", "r"]),
        int(10)
    );
    assert_eq!(encoding(&mut h, "d2"), "hashtable");
    assert_eq!(members(&mut h, "d1"), members(&mut h, "d2"));
}

#[test]
fn sinter_replies_in_the_smallest_sets_order() {
    let mut h = Harness::new();
    h.run(&["SADD", "a", "b", "3", "1"]);
    h.run(&["SADD", "c", "1", "3", "b", "z"]);
    assert_eq!(
        h.run(&["SINTER", "a", "c"]),
        super::tests_util::set_of(&["b", "3", "1"])
    );
    h.run(&["SINTERSTORE", "d", "a", "c"]);
    assert_eq!(encoding(&mut h, "d"), "listpack");
    h.run(&["SREM", "a", "b"]);
    h.run(&["SINTERSTORE", "d", "a", "c"]);
    assert_eq!(encoding(&mut h, "d"), "intset");
    assert_eq!(
        h.run(&["SMEMBERS", "d"]),
        super::tests_util::set_of(&["1", "3"])
    );
}
