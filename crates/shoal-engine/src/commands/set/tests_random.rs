//! SRANDMEMBER and SPOP: counts, distribution sanity, errors, encodings and effects.

use super::tests_util::{effects, encoding, members, replay, sorted};
use crate::testing::{arr, err, int, Harness};
use shoal_resp::Frame;
use std::collections::{BTreeMap, BTreeSet};

fn filled(key: &str, n: usize) -> Harness {
    let mut h = Harness::new();
    let all: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    let mut cmd = vec!["SADD", key];
    cmd.extend(all.iter().map(String::as_str));
    h.run(&cmd);
    h
}

fn len_of(f: &Frame) -> usize {
    match f {
        Frame::Array(v) | Frame::Set(v) => v.len(),
        _ => usize::MAX,
    }
}

#[test]
fn srandmember_without_count() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SRANDMEMBER", "nokey"]), Frame::Null);
    h.run(&["SADD", "s", "only"]);
    assert_eq!(h.run(&["SRANDMEMBER", "s"]), crate::testing::bulk("only"));
    assert_eq!(h.run(&["SCARD", "s"]), int(1));
}

#[test]
fn srandmember_positive_counts_are_distinct() {
    for n in [5usize, 50, 300] {
        let mut h = filled("s", n);
        for count in [1usize, 2, n / 2, n - 1, n, n + 10] {
            let r = sorted(h.run(&["SRANDMEMBER", "s", &count.to_string()]));
            let distinct: BTreeSet<_> = r.iter().cloned().collect();
            assert_eq!(r.len(), count.min(n), "n={n} count={count}");
            assert_eq!(distinct.len(), r.len());
        }
        assert_eq!(h.run(&["SCARD", "s"]), int(n as i64));
    }
}

#[test]
fn srandmember_negative_counts_repeat_and_cover() {
    let mut h = filled("s", 4);
    let r = sorted(h.run(&["SRANDMEMBER", "s", "-1000"]));
    assert_eq!(r.len(), 1000);
    let mut hist = BTreeMap::new();
    for m in r {
        *hist.entry(m).or_insert(0) += 1;
    }
    assert_eq!(hist.len(), 4);
    assert!(hist.values().all(|&c| c > 150), "{hist:?}");
}

#[test]
fn srandmember_edge_counts_and_errors() {
    let mut h = filled("s", 3);
    assert_eq!(h.run(&["SRANDMEMBER", "s", "0"]), arr(vec![]));
    assert_eq!(h.run(&["SRANDMEMBER", "nokey", "5"]), arr(vec![]));
    assert_eq!(h.run(&["SRANDMEMBER", "nokey", "-5"]), arr(vec![]));
    assert_eq!(
        h.run(&["SRANDMEMBER", "s", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["SRANDMEMBER", "s", "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        h.run(&["SRANDMEMBER", "s", "1", "2"]),
        err("ERR syntax error")
    );
    h.resp3();
    assert!(matches!(h.run(&["SRANDMEMBER", "s", "2"]), Frame::Array(_)));
}

#[test]
fn srandmember_is_fair_enough() {
    let mut h = filled("s", 10);
    let mut hist = BTreeMap::new();
    for _ in 0..2000 {
        for m in sorted(h.run(&["SRANDMEMBER", "s", "3"])) {
            *hist.entry(m).or_insert(0) += 1;
        }
    }
    assert_eq!(hist.len(), 10);
    assert!(hist.values().all(|&c| (400..800).contains(&c)), "{hist:?}");
}

#[test]
fn spop_one_removes_and_deletes_when_empty() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SPOP", "nokey"]), Frame::Null);
    h.run(&["SADD", "s", "a", "b"]);
    let mut got = BTreeSet::new();
    for _ in 0..2 {
        let Frame::Bulk(b) = h.run(&["SPOP", "s"]) else {
            panic!("not a bulk")
        };
        got.insert(b);
    }
    assert_eq!(got.len(), 2);
    assert_eq!(h.run(&["EXISTS", "s"]), int(0));
}

#[test]
fn spop_count_sizes_and_errors() {
    let mut h = filled("s", 20);
    assert_eq!(h.run(&["SPOP", "s", "0"]), Frame::Set(vec![]));
    assert_eq!(h.run(&["SPOP", "nokey", "3"]), Frame::Set(vec![]));
    assert_eq!(
        h.run(&["SPOP", "s", "-1"]),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(
        h.run(&["SPOP", "s", "x"]),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(h.run(&["SPOP", "s", "1", "2"]), err("ERR syntax error"));
    let before = members(&mut h, "s");
    let got = sorted(h.run(&["SPOP", "s", "3"]));
    assert_eq!(got.len(), 3);
    let after = members(&mut h, "s");
    assert_eq!(after.len(), 17);
    for m in &got {
        assert!(before.contains(m) && !after.contains(m));
    }
    let got = h.run(&["SPOP", "s", "15"]);
    assert_eq!(len_of(&got), 15);
    assert!(matches!(got, Frame::Set(_)));
    let rest = h.run(&["SPOP", "s", "100"]);
    assert_eq!(len_of(&rest), 2);
    assert_eq!(h.run(&["EXISTS", "s"]), int(0));
}

#[test]
fn spop_effects_replay_to_the_same_set() {
    for (n, count) in [(10usize, 2usize), (10, 9), (200, 190), (3000, 1500), (5, 5)] {
        let mut h = Harness::new();
        let rx = h.engine.subscribe_effects();
        let all: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let mut cmd = vec!["SADD", "s"];
        cmd.extend(all.iter().map(String::as_str));
        h.run(&cmd);
        h.run(&["SPOP", "s", &count.to_string()]);
        h.run(&["SPOP", "s"]);
        let eff = effects(&rx);
        assert!(eff.iter().all(|e| e[0] != "SPOP"));
        assert!(eff.iter().all(|e| e[0] != "SREM" || e.len() <= 2 + 1024));
        let mut r = replay(&eff);
        assert_eq!(members(&mut r, "s"), members(&mut h, "s"), "n={n}");
    }
}

#[test]
fn spop_taking_everything_replicates_as_del() {
    let mut h = filled("s", 3);
    let rx = h.engine.subscribe_effects();
    h.run(&["SPOP", "s", "3"]);
    assert_eq!(effects(&rx), vec![vec!["DEL".to_string(), "s".to_string()]]);
}

#[test]
fn spop_most_of_a_hashtable_rebuilds_it_compact() {
    let mut h = filled("s", 200);
    assert_eq!(encoding(&mut h, "s"), "hashtable");
    h.run(&["SPOP", "s", "190"]);
    assert_eq!(encoding(&mut h, "s"), "listpack");
    assert_eq!(h.run(&["SCARD", "s"]), int(10));
    let mut h = filled("t", 200);
    h.run(&["SPOP", "t", "10"]);
    assert_eq!(encoding(&mut h, "t"), "hashtable");
}

#[test]
fn spop_keeps_an_intset_an_intset() {
    let mut h = Harness::new();
    h.run(&[
        "SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
    ]);
    h.run(&["SPOP", "s", "9"]);
    assert_eq!(encoding(&mut h, "s"), "intset");
    assert_eq!(h.run(&["SCARD", "s"]), int(1));
}

#[test]
fn srandmember_is_fair_on_a_hashtable() {
    let mut h = filled("s", 200);
    assert_eq!(encoding(&mut h, "s"), "hashtable");
    let mut hist = BTreeMap::new();
    for m in sorted(h.run(&["SRANDMEMBER", "s", "-100000"])) {
        *hist.entry(m).or_insert(0u32) += 1;
    }
    assert_eq!(hist.len(), 200);
    // Expected 500 each; a chi-square over 199 degrees of freedom stays well under 300
    // for a fair draw, while a bucket-then-link draw lands far above.
    let chi: f64 = hist
        .values()
        .map(|&c| (f64::from(c) - 500.0).powi(2) / 500.0)
        .sum();
    assert!(chi < 300.0, "chi-square {chi}");
}

#[test]
fn spop_of_everything_answers_like_a_union() {
    let mut h = Harness::new();
    h.run(&["SADD", "s", "3", "x", "1"]);
    h.run(&["SADD", "t", "3", "1", "x"]);
    assert_eq!(encoding(&mut h, "s"), "listpack");
    assert_eq!(
        h.run(&["SPOP", "s", "3"]),
        super::tests_util::set_of(&["3", "x", "1"])
    );
    assert_eq!(
        h.run(&["SPOP", "t", "5"]),
        super::tests_util::set_of(&["1", "3", "x"])
    );
}
