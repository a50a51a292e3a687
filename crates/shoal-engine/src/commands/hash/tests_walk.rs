//! HRANDFIELD and HSCAN.

use crate::testing::{arr, bulk, err, Harness};
use shoal_resp::Frame;
use std::collections::HashSet;

fn strings(f: &Frame) -> Vec<String> {
    match f {
        Frame::Array(items) => items.iter().flat_map(strings).collect(),
        Frame::Bulk(b) => vec![String::from_utf8_lossy(b).into_owned()],
        other => unreachable!("unexpected {other:?}"),
    }
}

fn filled(h: &mut Harness, key: &str, n: usize) {
    for i in 0..n {
        h.run(&["HSET", key, &format!("f{i}"), &format!("v{i}")]);
    }
}

#[test]
fn hrandfield_without_count_returns_one_field() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["HRANDFIELD", "nokey"]), Frame::Null);
    h.run(&["HSET", "h", "a", "1"]);
    assert_eq!(h.run(&["HRANDFIELD", "h"]), bulk("a"));
}

#[test]
fn hrandfield_positive_counts_are_unique() {
    for n in [5usize, 200] {
        let mut h = Harness::new();
        filled(&mut h, "h", n);
        for count in [1usize, 3, 5, 150, 300] {
            let got = strings(&h.run(&["HRANDFIELD", "h", &count.to_string()]));
            assert_eq!(got.len(), count.min(n), "n={n} count={count}");
            let set: HashSet<_> = got.iter().collect();
            assert_eq!(set.len(), got.len());
        }
    }
}

#[test]
fn hrandfield_negative_counts_repeat() {
    let mut h = Harness::new();
    filled(&mut h, "h", 3);
    let got = strings(&h.run(&["HRANDFIELD", "h", "-100"]));
    assert_eq!(got.len(), 100);
    let set: HashSet<_> = got.iter().collect();
    assert_eq!(set.len(), 3);
}

#[test]
fn hrandfield_withvalues_pairs_fields_and_values() {
    let mut h = Harness::new();
    filled(&mut h, "h", 10);
    let got = strings(&h.run(&["HRANDFIELD", "h", "4", "WITHVALUES"]));
    assert_eq!(got.len(), 8);
    for pair in got.chunks(2) {
        assert_eq!(pair[1], pair[0].replace('f', "v"));
    }
    h.resp3();
    match h.run(&["HRANDFIELD", "h", "-3", "withvalues"]) {
        Frame::Array(items) => {
            assert_eq!(items.len(), 3);
            for item in items {
                let p = strings(&item);
                assert_eq!(p.len(), 2);
                assert_eq!(p[1], p[0].replace('f', "v"));
            }
        }
        other => unreachable!("{other:?}"),
    }
}

#[test]
fn hrandfield_counts_edge_cases_and_errors() {
    let mut h = Harness::new();
    filled(&mut h, "h", 3);
    assert_eq!(h.run(&["HRANDFIELD", "h", "0"]), arr(vec![]));
    assert_eq!(h.run(&["HRANDFIELD", "nokey", "5"]), arr(vec![]));
    assert_eq!(
        h.run(&["HRANDFIELD", "nokey", "-5", "WITHVALUES"]),
        arr(vec![])
    );
    assert_eq!(
        h.run(&["HRANDFIELD", "h", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["HRANDFIELD", "h", "1", "foo"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["HRANDFIELD", "h", "1", "WITHVALUES", "x"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["HRANDFIELD", "h", "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        h.run(&["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"]),
        err("ERR value is out of range")
    );
    assert_eq!(
        h.run(&["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"]),
        err("ERR value is out of range")
    );
    assert_eq!(
        h.run(&["HRANDFIELD", "h", "-9223372036854775807"]),
        err("ERR value is out of range")
    );
    let all = strings(&h.run(&["HRANDFIELD", "h", "9223372036854775807"]));
    assert_eq!(all.len(), 3);
}

#[test]
fn hscan_returns_a_listpack_whole() {
    let mut h = Harness::new();
    filled(&mut h, "h", 20);
    let reply = h.run(&["HSCAN", "h", "0", "COUNT", "2"]);
    let got = strings(&reply);
    assert_eq!(got[0], "0");
    assert_eq!(got.len(), 41);
    let keys = strings(&h.run(&["HSCAN", "h", "0", "MATCH", "f1*", "NOVALUES"]));
    assert_eq!(keys.len(), 1 + 11);
    assert!(keys[1..].iter().all(|k| k.starts_with("f1")));
}

#[test]
fn hscan_iterates_a_hashtable_fully() {
    let mut h = Harness::new();
    filled(&mut h, "h", 500);
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    let mut calls = 0;
    loop {
        let got = strings(&h.run(&["HSCAN", "h", &cursor, "COUNT", "17"]));
        for pair in got[1..].chunks(2) {
            assert_eq!(pair[1], pair[0].replace('f', "v"));
            seen.insert(pair[0].clone());
        }
        cursor = got[0].clone();
        calls += 1;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
    assert!(calls > 1);
}

#[test]
fn hscan_errors_and_missing_keys() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1"]);
    assert_eq!(
        h.run(&["HSCAN", "nokey", "0"]),
        arr(vec![bulk("0"), arr(vec![])])
    );
    assert_eq!(h.run(&["HSCAN", "h", "abc"]), err("ERR invalid cursor"));
    assert_eq!(
        h.run(&["HSCAN", "h", "0", "COUNT", "0"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["HSCAN", "h", "0", "COUNT", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["HSCAN", "h", "0", "MATCH"]),
        err("ERR syntax error")
    );
    assert_eq!(h.run(&["HSCAN", "h", "0", "FOO"]), err("ERR syntax error"));
    assert_eq!(
        h.run(&["HSCAN", "h", "0", "NOVALUES"]),
        arr(vec![bulk("0"), arr(vec![bulk("a")])])
    );
}

#[test]
fn hscan_of_a_hashtable_filters_by_pattern_and_drops_values() {
    let mut h = Harness::new();
    filled(&mut h, "h", 300);
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    loop {
        let got = strings(&h.run(&["HSCAN", "h", &cursor, "MATCH", "f1?", "NOVALUES"]));
        seen.extend(got[1..].iter().cloned());
        cursor = got[0].clone();
        if cursor == "0" {
            break;
        }
    }
    seen.sort();
    let want: Vec<String> = (10..20).map(|i| format!("f{i}")).collect();
    assert_eq!(seen, want);
}
