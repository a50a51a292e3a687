//! Field expiry: HEXPIRE and friends, passive and active expiry, effects.

use super::tests_util::{eff, effects};
use crate::testing::{arr, bulk, err, int, Harness, START_MS};
use shoal_resp::Frame;

fn ints(v: &[i64]) -> Frame {
    arr(v.iter().map(|&n| int(n)).collect())
}

#[test]
fn hexpire_sets_deadlines_and_reports_per_field() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    assert_eq!(
        h.run(&["HEXPIRE", "h", "100", "FIELDS", "2", "a", "x"]),
        ints(&[1, -2])
    );
    assert_eq!(
        h.run(&["HTTL", "h", "FIELDS", "3", "a", "b", "x"]),
        ints(&[100, -1, -2])
    );
    assert_eq!(h.run(&["HPTTL", "h", "FIELDS", "1", "a"]), ints(&[100_000]));
    let at = START_MS + 100_000;
    assert_eq!(
        h.run(&["HPEXPIRETIME", "h", "FIELDS", "1", "a"]),
        ints(&[at as i64])
    );
    assert_eq!(
        h.run(&["HEXPIRETIME", "h", "FIELDS", "1", "a"]),
        ints(&[(at / 1000) as i64])
    );
    h.advance(1500);
    assert_eq!(h.run(&["HTTL", "h", "FIELDS", "1", "a"]), ints(&[99]));
    assert_eq!(h.run(&["HPTTL", "h", "FIELDS", "1", "a"]), ints(&[98_500]));
    assert_eq!(h.run(&["OBJECT", "ENCODING", "h"]), bulk("listpackex"));
}

#[test]
fn hexpire_conditions() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    h.run(&["HPEXPIRE", "h", "1000", "FIELDS", "1", "a"]);
    assert_eq!(
        h.run(&["HPEXPIRE", "h", "2000", "NX", "FIELDS", "2", "a", "b"]),
        ints(&[0, 1])
    );
    h.run(&["HPERSIST", "h", "FIELDS", "1", "b"]);
    assert_eq!(
        h.run(&["HPEXPIRE", "h", "3000", "XX", "FIELDS", "2", "a", "b"]),
        ints(&[1, 0])
    );
    assert_eq!(
        h.run(&["HPEXPIRE", "h", "3000", "GT", "FIELDS", "2", "a", "b"]),
        ints(&[0, 0])
    );
    assert_eq!(
        h.run(&["HPEXPIRE", "h", "4000", "gt", "FIELDS", "1", "a"]),
        ints(&[1])
    );
    assert_eq!(
        h.run(&["HPEXPIRE", "h", "4000", "LT", "FIELDS", "2", "a", "b"]),
        ints(&[0, 1])
    );
    assert_eq!(
        h.run(&["HPEXPIRE", "h", "500", "LT", "FIELDS", "1", "a"]),
        ints(&[1])
    );
    assert_eq!(
        h.run(&["HPTTL", "h", "FIELDS", "2", "a", "b"]),
        ints(&[500, 4000])
    );
}

#[test]
fn hexpire_in_the_past_deletes_fields_and_the_emptied_key() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(
        h.run(&["HEXPIRE", "h", "0", "FIELDS", "1", "a"]),
        ints(&[2])
    );
    assert_eq!(h.run(&["HGET", "h", "a"]), Frame::Null);
    assert_eq!(
        h.run(&["HEXPIREAT", "h", "1", "NX", "FIELDS", "1", "b"]),
        ints(&[2])
    );
    assert_eq!(h.run(&["EXISTS", "h"]), int(0));
    assert_eq!(
        h.run(&["HEXPIRE", "h", "10", "FIELDS", "2", "a", "b"]),
        ints(&[-2, -2])
    );
    assert_eq!(h.run(&["EXISTS", "h"]), int(0));
    assert_eq!(
        effects(&rx),
        eff(&[&["HDEL", "h", "a"], &["HDEL", "h", "b"]])
    );
}

#[test]
fn hexpire_replicates_as_absolute_hpexpireat() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    let rx = h.engine.subscribe_effects();
    h.run(&["HEXPIRE", "h", "10", "FIELDS", "3", "a", "b", "x"]);
    h.run(&["HEXPIRE", "h", "10", "NX", "FIELDS", "1", "a"]);
    h.run(&["HPERSIST", "h", "FIELDS", "2", "a", "x"]);
    h.run(&["HPERSIST", "h", "FIELDS", "1", "a"]);
    let at = (START_MS + 10_000).to_string();
    assert_eq!(
        effects(&rx),
        eff(&[
            &["HPEXPIREAT", "h", &at, "FIELDS", "2", "a", "b"],
            &["HPERSIST", "h", "FIELDS", "1", "a"],
        ])
    );
}

#[test]
fn hexpire_argument_errors() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["HEXPIRE", "h", "x", "FIELDS", "1", "a"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["HEXPIRE", "h", "-1", "FIELDS", "1", "a"],
            "ERR invalid expire time, must be >= 0",
        ),
        (
            &["HEXPIRE", "h", "70368744177664", "FIELDS", "1", "a"],
            "ERR invalid expire time in 'hexpire' command",
        ),
        (
            &["HPEXPIREAT", "h", "70368744177664", "FIELDS", "1", "a"],
            "ERR invalid expire time in 'hpexpireat' command",
        ),
        (
            &["HEXPIRE", "h", "10", "BAD", "FIELDS", "1", "a"],
            "ERR Mandatory argument FIELDS is missing or not at the right position",
        ),
        (
            &["HEXPIRE", "h", "10", "FIELDS", "0", "a"],
            "ERR Parameter `numFields` should be greater than 0",
        ),
        (
            &["HEXPIRE", "h", "10", "FIELDS", "x", "a"],
            "ERR Parameter `numFields` should be greater than 0",
        ),
        (
            &["HEXPIRE", "h", "10", "FIELDS", "2", "a"],
            "ERR The `numfields` parameter must match the number of arguments",
        ),
        (
            &["HEXPIRE", "h", "10", "FIELDS", "1", "a", "b"],
            "ERR The `numfields` parameter must match the number of arguments",
        ),
        (
            &["HTTL", "h", "NOTFIELDS", "1", "a"],
            "ERR Mandatory argument FIELDS is missing or not at the right position",
        ),
        (
            &["HTTL", "h", "FIELDS", "0", "a"],
            "ERR Number of fields must be a positive integer",
        ),
        (
            &["HPERSIST", "h", "FIELDS", "x", "a"],
            "ERR Number of fields must be a positive integer",
        ),
        (
            &["HPTTL", "h", "FIELDS", "1", "a", "b"],
            "ERR The `numfields` parameter must match the number of arguments",
        ),
        (
            &["HEXPIRE", "h", "10", "FIELDS", "1"],
            "ERR wrong number of arguments for 'hexpire' command",
        ),
        (
            &["HTTL", "h", "FIELDS", "1"],
            "ERR wrong number of arguments for 'httl' command",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(h.run(args), err(want), "{args:?}");
    }
    // Errors on a missing key too; otherwise -2 per field.
    assert_eq!(
        h.run(&["HEXPIRE", "nokey", "-1", "FIELDS", "1", "a"]),
        err("ERR invalid expire time, must be >= 0")
    );
    assert_eq!(
        h.run(&["HTTL", "nokey", "FIELDS", "2", "a", "b"]),
        ints(&[-2, -2])
    );
    assert_eq!(
        h.run(&["HPERSIST", "nokey", "FIELDS", "1", "a"]),
        ints(&[-2])
    );
}

#[test]
fn hpersist_codes_and_plain_listpack() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    assert_eq!(
        h.run(&["HPERSIST", "h", "FIELDS", "2", "a", "x"]),
        ints(&[-1, -2])
    );
    assert_eq!(h.run(&["OBJECT", "ENCODING", "h"]), bulk("listpack"));
    h.run(&["HEXPIRE", "h", "10", "FIELDS", "1", "a"]);
    assert_eq!(
        h.run(&["HPERSIST", "h", "FIELDS", "2", "a", "b"]),
        ints(&[1, -1])
    );
    assert_eq!(h.run(&["HTTL", "h", "FIELDS", "1", "a"]), ints(&[-1]));
}

#[test]
fn hset_clears_a_field_ttl_and_hincrby_keeps_it() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "n", "1"]);
    h.run(&["HEXPIRE", "h", "10", "FIELDS", "2", "a", "n"]);
    h.run(&["HSET", "h", "a", "2"]);
    h.run(&["HINCRBY", "h", "n", "1"]);
    h.run(&["HINCRBYFLOAT", "h", "n", "1"]);
    assert_eq!(
        h.run(&["HTTL", "h", "FIELDS", "2", "a", "n"]),
        ints(&[-1, 10])
    );
}

#[test]
fn expired_fields_vanish_on_read_with_an_hdel_effect() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    h.run(&["HPEXPIRE", "h", "100", "FIELDS", "2", "a", "b"]);
    let rx = h.engine.subscribe_effects();
    h.advance(100);
    assert_eq!(h.run(&["HGET", "h", "a"]), bulk("1"));
    h.advance(1);
    assert_eq!(h.run(&["HGET", "h", "a"]), Frame::Null);
    assert_eq!(h.run(&["HLEN", "h"]), int(1));
    assert_eq!(
        h.run(&["HGETALL", "h"]),
        Frame::Map(vec![(bulk("c"), bulk("3"))])
    );
    let got = effects(&rx);
    assert_eq!(got.len(), 1);
    let mut fields = got[0][2..].to_vec();
    fields.sort();
    assert_eq!(&got[0][..2], &["HDEL".to_string(), "h".to_string()]);
    assert_eq!(fields, vec!["a", "b"]);
    // The last field going deletes the key.
    h.run(&["HPEXPIRE", "h", "10", "FIELDS", "1", "c"]);
    h.advance(11);
    assert_eq!(h.run(&["HLEN", "h"]), int(0));
    assert_eq!(h.run(&["EXISTS", "h"]), int(0));
}

#[test]
fn active_expiry_removes_due_fields_and_empty_hashes() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    h.run(&["HSET", "g", "x", "1"]);
    h.run(&["HPEXPIRE", "h", "100", "FIELDS", "1", "a"]);
    h.run(&["HPEXPIRE", "g", "100", "FIELDS", "1", "x"]);
    let rx = h.engine.subscribe_effects();
    h.advance(50);
    h.engine.active_expire_cycle();
    assert!(effects(&rx).is_empty());
    h.advance(100);
    h.engine.active_expire_cycle();
    let mut got = effects(&rx);
    got.sort();
    assert_eq!(got, eff(&[&["HDEL", "g", "x"], &["HDEL", "h", "a"]]));
    assert_eq!(h.run(&["DBSIZE"]), int(1));
    assert_eq!(
        h.run(&["HGETALL", "h"]),
        Frame::Map(vec![(bulk("b"), bulk("2"))])
    );
}

#[test]
fn active_expiry_works_on_hashtables() {
    let mut h = Harness::new();
    h.run(&["CONFIG", "SET", "hash-max-listpack-entries", "4"]);
    for i in 0..50 {
        h.run(&["HSET", "h", &format!("f{i}"), "v"]);
    }
    let mut args = vec!["HPEXPIRE", "h", "10", "FIELDS", "25"];
    let names: Vec<String> = (0..25).map(|i| format!("f{i}")).collect();
    args.extend(names.iter().map(String::as_str));
    assert_eq!(h.run(&args), ints(&[1; 25]));
    assert_eq!(h.run(&["OBJECT", "ENCODING", "h"]), bulk("hashtable"));
    h.advance(20);
    h.engine.active_expire_cycle();
    assert_eq!(h.run(&["HLEN", "h"]), int(25));
}

#[test]
fn hincrbyfloat_replicates_the_field_deadline_it_keeps() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "n", "1"]);
    h.run(&["HPEXPIRE", "h", "5000", "FIELDS", "1", "n"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["HINCRBYFLOAT", "h", "n", "1.5"]), bulk("2.5"));
    let at = (START_MS + 5000).to_string();
    assert_eq!(
        effects(&rx),
        eff(&[
            &["HSET", "h", "n", "2.5"],
            &["HPEXPIREAT", "h", &at, "FIELDS", "1", "n"],
        ])
    );
}

#[test]
fn active_expiry_finds_a_renamed_hash_by_sampling() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    h.run(&["HPEXPIRE", "h", "10", "FIELDS", "1", "a"]);
    h.run(&["RENAME", "h", "h2"]);
    h.advance(20);
    let rx = h.engine.subscribe_effects();
    for _ in 0..5 {
        h.engine.active_expire_cycle();
    }
    assert_eq!(effects(&rx), eff(&[&["HDEL", "h2", "a"]]));
    assert_eq!(h.run(&["HLEN", "h2"]), int(1));
}

#[test]
fn field_deadlines_survive_conversion_to_hashtable() {
    let mut h = Harness::new();
    h.run(&["CONFIG", "SET", "hash-max-listpack-entries", "4"]);
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    h.run(&["HPEXPIRE", "h", "1000", "FIELDS", "1", "a"]);
    assert_eq!(h.run(&["OBJECT", "ENCODING", "h"]), bulk("listpackex"));
    h.run(&["HSET", "h", "c", "3", "d", "4", "e", "5"]);
    assert_eq!(h.run(&["OBJECT", "ENCODING", "h"]), bulk("hashtable"));
    assert_eq!(
        h.run(&["HPTTL", "h", "FIELDS", "2", "a", "b"]),
        ints(&[1000, -1])
    );
    h.advance(1001);
    assert_eq!(h.run(&["HEXISTS", "h", "a"]), int(0));
    assert_eq!(h.run(&["HLEN", "h"]), int(4));
}

#[test]
fn every_read_hides_expired_fields() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    h.run(&["HPEXPIRE", "h", "10", "FIELDS", "1", "a"]);
    h.advance(11);
    let reads: &[(&[&str], Frame)] = &[
        (&["HEXISTS", "h", "a"], int(0)),
        (&["HSTRLEN", "h", "a"], int(0)),
        (&["HMGET", "h", "a", "b"], arr(vec![Frame::Null, bulk("2")])),
        (&["HKEYS", "h"], arr(vec![bulk("b")])),
        (&["HVALS", "h"], arr(vec![bulk("2")])),
        (&["HRANDFIELD", "h", "5"], arr(vec![bulk("b")])),
        (
            &["HSCAN", "h", "0"],
            arr(vec![bulk("0"), arr(vec![bulk("b"), bulk("2")])]),
        ),
        (&["HTTL", "h", "FIELDS", "1", "a"], ints(&[-2])),
        (&["HPERSIST", "h", "FIELDS", "1", "a"], ints(&[-2])),
    ];
    for (args, want) in reads {
        assert_eq!(&h.run(args), want, "{args:?}");
    }
    // A write over an expired field creates it afresh.
    h.run(&["HSET", "h", "c", "3"]);
    h.run(&["HPEXPIRE", "h", "10", "FIELDS", "1", "c"]);
    h.advance(11);
    assert_eq!(h.run(&["HSETNX", "h", "c", "new"]), int(1));
    assert_eq!(h.run(&["HTTL", "h", "FIELDS", "1", "c"]), ints(&[-1]));
    h.run(&["HPEXPIRE", "h", "10", "FIELDS", "1", "c"]);
    h.advance(11);
    assert_eq!(h.run(&["HINCRBY", "h", "c", "7"]), int(7));
}
