//! Tests of the EXPIRE family, the TTL family and PERSIST, on the manual clock.

use crate::testing::*;
use shoal_resp::Frame;

use crate::testing::effect_texts as effect_args;

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn expire_sets_ttl_and_key_vanishes_after_deadline() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["EXPIRE", "k", "10"]), int(1));
    assert_eq!(h.run(&["TTL", "k"]), int(10));
    assert_eq!(h.run(&["PTTL", "k"]), int(10_000));
    h.advance(10_000);
    assert_eq!(h.run(&["EXISTS", "k"]), int(1));
    h.advance(1);
    assert_eq!(h.run(&["EXISTS", "k"]), int(0));
    assert_eq!(h.run(&["TTL", "k"]), int(-2));
}

#[test]
fn expire_on_missing_key_answers_zero() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["EXPIRE", "nope", "10"]), int(0));
    assert_eq!(h.run(&["PEXPIREAT", "nope", "1"]), int(0));
}

#[test]
fn expire_family_replicates_as_pexpireat() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let rx = h.engine.subscribe_effects();
    let at = START_MS + 10_000;
    h.run(&["EXPIRE", "k", "10"]);
    h.run(&["PEXPIRE", "k", "10000"]);
    h.run(&["EXPIREAT", "k", &(at / 1000).to_string()]);
    h.run(&["PEXPIREAT", "k", &at.to_string()]);
    let expected = strs(&["PEXPIREAT", "k", &at.to_string()]);
    assert_eq!(effect_args(&rx), vec![expected; 4]);
}

#[test]
fn deadline_in_the_past_deletes_and_replicates_del() {
    let mut h = Harness::new();
    for args in [
        vec!["EXPIRE", "k", "0"],
        vec!["EXPIRE", "k", "-5"],
        vec!["PEXPIRE", "k", "0"],
        vec!["EXPIREAT", "k", "1"],
    ] {
        h.run(&["SET", "k", "v"]);
        let rx = h.engine.subscribe_effects();
        assert_eq!(h.run(&args), int(1), "{args:?}");
        assert_eq!(h.run(&["EXISTS", "k"]), int(0));
        assert_eq!(effect_args(&rx), vec![strs(&["DEL", "k"])]);
    }
    h.run(&["SET", "k", "v"]);
    let now = START_MS.to_string();
    assert_eq!(h.run(&["PEXPIREAT", "k", &now]), int(1));
    assert_eq!(h.run(&["EXISTS", "k"]), int(0));
}

#[test]
fn expire_nx_and_xx() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["EXPIRE", "k", "10", "XX"]), int(0));
    assert_eq!(h.run(&["TTL", "k"]), int(-1));
    assert_eq!(h.run(&["EXPIRE", "k", "10", "NX"]), int(1));
    assert_eq!(h.run(&["EXPIRE", "k", "20", "nx"]), int(0));
    assert_eq!(h.run(&["TTL", "k"]), int(10));
    assert_eq!(h.run(&["EXPIRE", "k", "20", "XX"]), int(1));
    assert_eq!(h.run(&["TTL", "k"]), int(20));
}

#[test]
fn expire_gt_and_lt_treat_no_ttl_as_infinite() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["EXPIRE", "k", "10", "GT"]), int(0));
    assert_eq!(h.run(&["EXPIRE", "k", "10", "LT"]), int(1));
    assert_eq!(h.run(&["EXPIRE", "k", "5", "GT"]), int(0));
    assert_eq!(h.run(&["EXPIRE", "k", "10", "GT"]), int(0));
    assert_eq!(h.run(&["EXPIRE", "k", "20", "GT"]), int(1));
    assert_eq!(h.run(&["EXPIRE", "k", "30", "LT"]), int(0));
    assert_eq!(h.run(&["EXPIRE", "k", "20", "LT"]), int(0));
    assert_eq!(h.run(&["EXPIRE", "k", "15", "LT"]), int(1));
    assert_eq!(h.run(&["TTL", "k"]), int(15));
    assert_eq!(h.run(&["EXPIRE", "k", "16", "XX", "GT"]), int(1));
}

#[test]
fn expire_option_errors() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    assert_eq!(
        h.run(&["EXPIRE", "k", "10", "NX", "XX"]),
        err("ERR NX and XX, GT or LT options at the same time are not compatible")
    );
    assert_eq!(
        h.run(&["EXPIRE", "k", "10", "NX", "GT"]),
        err("ERR NX and XX, GT or LT options at the same time are not compatible")
    );
    assert_eq!(
        h.run(&["EXPIRE", "k", "10", "GT", "LT"]),
        err("ERR GT and LT options at the same time are not compatible")
    );
    assert_eq!(
        h.run(&["EXPIRE", "k", "10", "foo"]),
        err("ERR Unsupported option foo")
    );
    // Options are checked before the time argument.
    assert_eq!(
        h.run(&["EXPIRE", "k", "x", "foo"]),
        err("ERR Unsupported option foo")
    );
    assert_eq!(
        h.run(&["EXPIRE", "k", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["EXPIRE", "k"]),
        err("ERR wrong number of arguments for 'expire' command")
    );
}

#[test]
fn expire_overflow_is_invalid_expire_time() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let max = i64::MAX.to_string();
    let min = (i64::MIN + 1).to_string();
    assert_eq!(
        h.run(&["EXPIRE", "k", &max]),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        h.run(&["EXPIRE", "k", &min]),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        h.run(&["PEXPIRE", "k", &max]),
        err("ERR invalid expire time in 'pexpire' command")
    );
    assert_eq!(
        h.run(&["EXPIREAT", "k", &max]),
        err("ERR invalid expire time in 'expireat' command")
    );
    assert_eq!(h.run(&["PEXPIREAT", "k", &max]), int(1));
    assert_eq!(h.run(&["PEXPIRETIME", "k"]), int(i64::MAX));
}

#[test]
fn ttl_family_answers_minus_two_and_minus_one() {
    let mut h = Harness::new();
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(h.run(&[cmd, "nope"]), int(-2));
    }
    h.run(&["SET", "k", "v"]);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(h.run(&[cmd, "k"]), int(-1));
    }
}

#[test]
fn ttl_rounds_to_nearest_second() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v", "PX", "1499"]);
    assert_eq!(h.run(&["TTL", "k"]), int(1));
    h.run(&["SET", "k", "v", "PX", "1500"]);
    assert_eq!(h.run(&["TTL", "k"]), int(2));
    h.advance(1000);
    assert_eq!(h.run(&["PTTL", "k"]), int(500));
    assert_eq!(h.run(&["TTL", "k"]), int(1));
}

#[test]
fn expiretime_reports_absolute_deadline() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let at = START_MS + 12_345;
    h.run(&["PEXPIREAT", "k", &at.to_string()]);
    assert_eq!(h.run(&["PEXPIRETIME", "k"]), int(at as i64));
    assert_eq!(h.run(&["EXPIRETIME", "k"]), int(((at + 500) / 1000) as i64));
    h.advance(5_000);
    assert_eq!(h.run(&["PEXPIRETIME", "k"]), int(at as i64));
}

#[test]
fn persist_removes_ttl_once() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["PERSIST", "nope"]), int(0));
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["PERSIST", "k"]), int(0));
    h.run(&["EXPIRE", "k", "10"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["PERSIST", "k"]), int(1));
    assert_eq!(h.run(&["PERSIST", "k"]), int(0));
    assert_eq!(effect_args(&rx), vec![strs(&["PERSIST", "k"])]);
    h.advance(20_000);
    assert_eq!(h.run(&["GET", "k"]), bulk("v"));
}

#[test]
fn expired_key_is_reported_missing_and_replicated_as_del() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v", "PX", "100"]);
    let rx = h.engine.subscribe_effects();
    h.advance(101);
    assert_eq!(h.run(&["PTTL", "k"]), int(-2));
    assert_eq!(h.run(&["EXPIRE", "k", "10"]), int(0));
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    assert_eq!(effect_args(&rx), vec![strs(&["DEL", "k"])]);
}
