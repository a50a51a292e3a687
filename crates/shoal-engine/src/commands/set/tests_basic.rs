//! SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SMOVE, SSCAN, encodings and effects.

use super::tests_util::{effects, encoding, members, set_of, sorted, strs};
use crate::testing::{arr, bulk, err, int, ok, Harness};
use shoal_resp::Frame;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn h_with(cmds: &[&[&str]]) -> Harness {
    let mut h = Harness::new();
    for c in cmds {
        h.run(c);
    }
    h
}

#[test]
fn sadd_counts_only_new_members() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SADD", "s", "a", "b", "a"]), int(2));
    assert_eq!(h.run(&["SADD", "s", "b", "c"]), int(1));
    assert_eq!(h.run(&["SCARD", "s"]), int(3));
    assert_eq!(h.run(&["SCARD", "nokey"]), int(0));
}

#[test]
fn sadd_arity_and_wrongtype() {
    let mut h = h_with(&[&["SET", "str", "x"]]);
    assert_eq!(
        h.run(&["SADD", "s"]),
        err("ERR wrong number of arguments for 'sadd' command")
    );
    assert_eq!(h.run(&["SADD", "str", "a"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SREM", "str", "a"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SCARD", "str"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SISMEMBER", "str", "a"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SMISMEMBER", "str", "a"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SMEMBERS", "str"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SSCAN", "str", "0"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SRANDMEMBER", "str"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SPOP", "str"]), err(WRONGTYPE));
}

#[test]
fn srem_deletes_the_key_when_empty() {
    let mut h = h_with(&[&["SADD", "s", "a", "b"]]);
    assert_eq!(h.run(&["SREM", "s", "x"]), int(0));
    assert_eq!(h.run(&["SREM", "s", "a", "a", "x"]), int(1));
    assert_eq!(h.run(&["SREM", "s", "b"]), int(1));
    assert_eq!(h.run(&["EXISTS", "s"]), int(0));
    assert_eq!(h.run(&["SREM", "s", "b"]), int(0));
}

#[test]
fn membership_queries() {
    let mut h = h_with(&[&["SADD", "s", "a", "1"]]);
    assert_eq!(h.run(&["SISMEMBER", "s", "a"]), int(1));
    assert_eq!(h.run(&["SISMEMBER", "s", "b"]), int(0));
    assert_eq!(h.run(&["SISMEMBER", "nokey", "b"]), int(0));
    assert_eq!(
        h.run(&["SMISMEMBER", "s", "a", "b", "1"]),
        arr(vec![int(1), int(0), int(1)])
    );
    assert_eq!(
        h.run(&["SMISMEMBER", "nokey", "a", "b"]),
        arr(vec![int(0), int(0)])
    );
}

#[test]
fn smembers_is_a_resp3_set() {
    let mut h = h_with(&[&["SADD", "s", "3", "1", "2"]]);
    assert_eq!(h.run(&["SMEMBERS", "s"]), set_of(&["1", "2", "3"]));
    h.resp3();
    assert_eq!(h.run(&["SMEMBERS", "s"]), set_of(&["1", "2", "3"]));
    assert_eq!(h.run(&["SMEMBERS", "nokey"]), Frame::Set(vec![]));
    let wire = shoal_resp::encode_to_vec(&h.run(&["SMEMBERS", "s"]), shoal_resp::Protocol::Resp3);
    assert!(
        wire.starts_with(b"~3\r\n"),
        "{:?}",
        String::from_utf8_lossy(&wire)
    );
}

#[test]
fn intset_grows_into_hashtable_past_its_limit() {
    let mut h = h_with(&[&["CONFIG", "SET", "set-max-intset-entries", "4"]]);
    h.run(&["SADD", "s", "1", "2", "3", "4"]);
    assert_eq!(encoding(&mut h, "s"), "intset");
    h.run(&["SADD", "s", "5"]);
    assert_eq!(encoding(&mut h, "s"), "hashtable");
    h.run(&["SREM", "s", "5", "4"]);
    assert_eq!(encoding(&mut h, "s"), "hashtable");
}

#[test]
fn intset_takes_a_string_as_listpack_then_hashtable() {
    let mut h = h_with(&[&["CONFIG", "SET", "set-max-listpack-entries", "4"]]);
    h.run(&["SADD", "s", "1", "2", "3"]);
    assert_eq!(encoding(&mut h, "s"), "intset");
    h.run(&["SADD", "s", "a"]);
    assert_eq!(encoding(&mut h, "s"), "listpack");
    h.run(&["SADD", "s", "b"]);
    assert_eq!(encoding(&mut h, "s"), "hashtable");
    // Full intset: a string goes straight to a hashtable.
    h.run(&["SADD", "t", "1", "2", "3", "4"]);
    h.run(&["SADD", "t", "x"]);
    assert_eq!(encoding(&mut h, "t"), "hashtable");
}

#[test]
fn listpack_value_limit_applies() {
    let mut h = h_with(&[&["CONFIG", "SET", "set-max-listpack-value", "5"]]);
    h.run(&["SADD", "s", "abcde"]);
    assert_eq!(encoding(&mut h, "s"), "listpack");
    h.run(&["SADD", "s", "abcdef"]);
    assert_eq!(encoding(&mut h, "s"), "hashtable");
    // Intset members wider than the value limit keep a string out of a listpack.
    h.run(&["SADD", "t", "123456"]);
    h.run(&["SADD", "t", "a"]);
    assert_eq!(encoding(&mut h, "t"), "hashtable");
}

#[test]
fn sadd_picks_the_encoding_from_its_argument_count() {
    let mut h = h_with(&[&["CONFIG", "SET", "set-max-listpack-entries", "3"]]);
    h.run(&["CONFIG", "SET", "set-max-intset-entries", "3"]);
    h.run(&["SADD", "a", "x", "x", "x", "x"]);
    assert_eq!(encoding(&mut h, "a"), "hashtable");
    h.run(&["SADD", "b", "1", "1", "1", "1"]);
    assert_eq!(encoding(&mut h, "b"), "hashtable");
    h.run(&["SADD", "c", "1"]);
    h.run(&["SADD", "c", "1", "1", "1", "1"]);
    assert_eq!(encoding(&mut h, "c"), "hashtable");
    h.run(&["SADD", "d", "1", "x"]);
    assert_eq!(encoding(&mut h, "d"), "listpack");
    h.run(&["SADD", "e", "01", "x"]);
    assert_eq!(encoding(&mut h, "e"), "listpack");
}

#[test]
fn non_canonical_integers_are_strings() {
    let mut h = h_with(&[&["SADD", "s", "1", "01", "+1", "-0"]]);
    assert_eq!(h.run(&["SCARD", "s"]), int(4));
    assert_eq!(encoding(&mut h, "s"), "listpack");
    assert_eq!(h.run(&["SISMEMBER", "s", "01"]), int(1));
}

#[test]
fn smove_moves_and_creates_destination() {
    let mut h = h_with(&[&["SADD", "src", "a", "b"], &["SET", "str", "x"]]);
    assert_eq!(h.run(&["SMOVE", "src", "dst", "a"]), int(1));
    assert_eq!(h.run(&["SMOVE", "src", "dst", "zz"]), int(0));
    assert_eq!(h.run(&["SMOVE", "src", "dst", "b"]), int(1));
    assert_eq!(h.run(&["EXISTS", "src"]), int(0));
    assert_eq!(sorted(h.run(&["SMEMBERS", "dst"])), strs(&["a", "b"]));
    assert_eq!(h.run(&["SMOVE", "nokey", "str", "a"]), int(0));
    assert_eq!(h.run(&["SMOVE", "dst", "str", "a"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SMOVE", "str", "dst", "a"]), err(WRONGTYPE));
    assert_eq!(h.run(&["SMOVE", "dst", "dst", "a"]), int(1));
    assert_eq!(h.run(&["SMOVE", "dst", "dst", "q"]), int(0));
    h.run(&["SADD", "n", "5"]);
    assert_eq!(h.run(&["SMOVE", "n", "m", "5"]), int(1));
    assert_eq!(encoding(&mut h, "m"), "intset");
}

#[test]
fn smove_into_a_set_that_has_the_member_still_removes_it() {
    let mut h = h_with(&[&["SADD", "a", "x", "y"], &["SADD", "b", "x"]]);
    assert_eq!(h.run(&["SMOVE", "a", "b", "x"]), int(1));
    assert_eq!(members(&mut h, "a").len(), 1);
    assert_eq!(members(&mut h, "b").len(), 1);
}

#[test]
fn effects_of_basic_writes() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    h.run(&["SADD", "s", "a", "b"]);
    h.run(&["SADD", "s", "a"]);
    h.run(&["SREM", "s", "zz"]);
    h.run(&["SREM", "s", "a", "zz"]);
    h.run(&["SMOVE", "s", "t", "zz"]);
    h.run(&["SMOVE", "s", "t", "b"]);
    h.run(&["SMOVE", "t", "t", "b"]);
    let want: Vec<Vec<String>> = [
        vec!["SADD", "s", "a", "b"],
        vec!["SREM", "s", "a", "zz"],
        vec!["SMOVE", "s", "t", "b"],
    ]
    .iter()
    .map(|v| v.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(effects(&rx), want);
}

#[test]
fn expired_set_is_gone_for_set_commands() {
    let mut h = h_with(&[&["SADD", "s", "a"], &["PEXPIRE", "s", "10"]]);
    h.advance(20);
    assert_eq!(h.run(&["SCARD", "s"]), int(0));
    assert_eq!(h.run(&["SADD", "s", "b"]), int(1));
    assert_eq!(h.run(&["TTL", "s"]), int(-1));
}

#[test]
fn sscan_small_sets_come_back_whole() {
    let mut h = h_with(&[&["SADD", "s", "a", "b", "c"]]);
    let r = h.run(&["SSCAN", "s", "0"]);
    let Frame::Array(parts) = r else {
        panic!("not an array")
    };
    assert_eq!(parts[0], bulk("0"));
    assert_eq!(sorted(parts[1].clone()), strs(&["a", "b", "c"]));
    assert_eq!(
        h.run(&["SSCAN", "s", "0", "MATCH", "a*"]),
        arr(vec![bulk("0"), arr(vec![bulk("a")])])
    );
    assert_eq!(
        h.run(&["SSCAN", "nokey", "0", "COUNT", "0"]),
        arr(vec![bulk("0"), arr(vec![])])
    );
}

#[test]
fn sscan_errors() {
    let mut h = h_with(&[&["SADD", "s", "a"]]);
    assert_eq!(h.run(&["SSCAN", "s", "x"]), err("ERR invalid cursor"));
    assert_eq!(
        h.run(&["SSCAN", "s", "0", "COUNT", "0"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["SSCAN", "s", "0", "COUNT", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["SSCAN", "s", "0", "TYPE", "set"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["SSCAN", "s", "0", "MATCH"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["SSCAN", "s", "-1"]),
        arr(vec![bulk("0"), arr(vec![bulk("a")])])
    );
}

#[test]
fn sscan_walks_a_hashtable_completely() {
    let mut h = Harness::new();
    let all: Vec<String> = (0..500).map(|i| format!("m{i}")).collect();
    let mut cmd = vec!["SADD", "s"];
    cmd.extend(all.iter().map(String::as_str));
    h.run(&cmd);
    assert_eq!(encoding(&mut h, "s"), "hashtable");
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let Frame::Array(parts) = h.run(&["SSCAN", "s", &cursor, "COUNT", "20"]) else {
            panic!("not an array")
        };
        let Frame::Bulk(c) = &parts[0] else {
            panic!("no cursor")
        };
        cursor = String::from_utf8_lossy(c).into_owned();
        seen.extend(sorted(parts[1].clone()));
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 5, "{calls}");
    assert_eq!(seen.len(), 500);
}

#[test]
fn config_thresholds_are_read_per_command() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["CONFIG", "SET", "set-max-intset-entries", "2"]),
        ok()
    );
    h.run(&["SADD", "s", "1", "2"]);
    assert_eq!(encoding(&mut h, "s"), "intset");
    h.run(&["SADD", "s", "3"]);
    assert_eq!(encoding(&mut h, "s"), "hashtable");
}
