//! Tests of KEYS, SCAN and RANDOMKEY.

use crate::testing::*;
use shoal_resp::Frame;
use std::collections::BTreeSet;

fn names(f: &Frame) -> BTreeSet<String> {
    match f {
        Frame::Array(items) => items
            .iter()
            .map(|i| match i {
                Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                other => unreachable!("not a bulk: {other:?}"),
            })
            .collect(),
        other => unreachable!("not an array: {other:?}"),
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// One SCAN call: the next cursor and the keys returned.
fn scan_once(h: &mut Harness, args: &[&str]) -> (String, Vec<String>) {
    match h.run(args) {
        Frame::Array(mut parts) if parts.len() == 2 => {
            let keys = parts.pop().map(|k| names(&k)).unwrap_or_default();
            let Some(Frame::Bulk(c)) = parts.pop() else {
                unreachable!("cursor is a bulk string")
            };
            (
                String::from_utf8_lossy(&c).into_owned(),
                keys.into_iter().collect(),
            )
        }
        other => unreachable!("bad SCAN reply {other:?}"),
    }
}

/// A full SCAN iteration with extra options; every key returned.
fn scan_all(h: &mut Harness, opts: &[&str]) -> BTreeSet<String> {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(opts);
        let (next, keys) = scan_once(h, &args);
        seen.extend(keys);
        if next == "0" {
            return seen;
        }
        cursor = next;
    }
}

#[test]
fn keys_matches_glob_patterns() {
    let mut h = Harness::new();
    for k in ["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "x"] {
        h.run(&["SET", k, "1"]);
    }
    assert_eq!(names(&h.run(&["KEYS", "*"])).len(), 7);
    assert_eq!(
        names(&h.run(&["KEYS", "h?llo"])),
        set(&["hello", "hallo", "hxllo"])
    );
    assert_eq!(
        names(&h.run(&["KEYS", "h*llo"])),
        set(&["hello", "hallo", "hxllo", "hllo", "heeeello"])
    );
    assert_eq!(
        names(&h.run(&["KEYS", "h[ae]llo"])),
        set(&["hello", "hallo"])
    );
    assert_eq!(
        names(&h.run(&["KEYS", "h[^e]llo"])),
        set(&["hallo", "hxllo"])
    );
    assert_eq!(names(&h.run(&["KEYS", "h[a-b]llo"])), set(&["hallo"]));
    assert_eq!(names(&h.run(&["KEYS", "a\\*b"])), set(&["a*b"]));
    assert_eq!(names(&h.run(&["KEYS", "HELLO"])), set(&[]));
}

#[test]
fn keys_skips_expired_keys_and_other_databases() {
    let mut h = Harness::new();
    h.run(&["SET", "live", "1"]);
    h.run(&["SET", "dying", "1", "PX", "10"]);
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "elsewhere", "1"]);
    h.run(&["SELECT", "0"]);
    h.advance(11);
    assert_eq!(names(&h.run(&["KEYS", "*"])), set(&["live"]));
}

#[test]
fn scan_returns_every_key_once_over_a_full_iteration() {
    let mut h = Harness::new();
    let mut all = BTreeSet::new();
    for i in 0..500 {
        let k = format!("key:{i}");
        h.run(&["SET", &k, "v"]);
        all.insert(k);
    }
    assert_eq!(scan_all(&mut h, &[]), all);
    assert_eq!(scan_all(&mut h, &["COUNT", "1"]), all);
    assert_eq!(scan_all(&mut h, &["COUNT", "1000"]), all);
}

#[test]
fn scan_count_bounds_the_work_per_call() {
    let mut h = Harness::new();
    for i in 0..1000 {
        h.run(&["SET", &format!("k{i}"), "v"]);
    }
    let (cursor, keys) = scan_once(&mut h, &["SCAN", "0", "COUNT", "5"]);
    assert_ne!(cursor, "0");
    assert!(keys.len() < 100, "{}", keys.len());
    let (cursor, keys) = scan_once(&mut h, &["SCAN", "0", "COUNT", "100000"]);
    assert_eq!(cursor, "0");
    assert_eq!(keys.len(), 1000);
}

#[test]
fn scan_keeps_keys_present_throughout_despite_concurrent_changes() {
    let mut h = Harness::new();
    let mut stable = BTreeSet::new();
    for i in 0..300 {
        let k = format!("stable:{i}");
        h.run(&["SET", &k, "v"]);
        stable.insert(k);
    }
    let mut other = h.other_session();
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    let mut step = 0;
    loop {
        let (next, keys) = scan_once(&mut h, &["SCAN", &cursor, "COUNT", "7"]);
        seen.extend(keys);
        step += 1;
        // Grow the tables a lot, then shrink them again, between calls.
        let (word, batch) = if step % 2 == 1 {
            ("SET", step)
        } else {
            ("DEL", step - 1)
        };
        for i in 0..200 {
            let k = format!("tmp:{batch}:{i}");
            let args: Vec<bytes::Bytes> = [word, k.as_str(), "v"]
                [..if word == "SET" { 3 } else { 2 }]
                .iter()
                .map(|a| bytes::Bytes::copy_from_slice(a.as_bytes()))
                .collect();
            other.call(args);
        }
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert!(
        stable.is_subset(&seen),
        "missed {:?}",
        stable.difference(&seen).next()
    );
}

#[test]
fn scan_match_and_type_filter() {
    let mut h = Harness::new();
    for i in 0..50 {
        h.run(&["SET", &format!("user:{i}"), "v"]);
        h.run(&["SET", &format!("item:{i}"), "v"]);
    }
    let users = scan_all(&mut h, &["MATCH", "user:*"]);
    assert_eq!(users.len(), 50);
    assert!(users.iter().all(|k| k.starts_with("user:")));
    assert_eq!(
        scan_all(&mut h, &["MATCH", "user:1?", "COUNT", "3"]).len(),
        10
    );
    assert_eq!(scan_all(&mut h, &["TYPE", "string"]).len(), 100);
    assert_eq!(
        scan_all(&mut h, &["TYPE", "STRING", "MATCH", "item:*"]).len(),
        50
    );
    assert!(scan_all(&mut h, &["TYPE", "list"]).is_empty());
    assert!(scan_all(&mut h, &["TYPE", "nosuchtype"]).is_empty());
}

#[test]
fn scan_skips_and_deletes_expired_keys() {
    let mut h = Harness::new();
    h.run(&["SET", "live", "1"]);
    for i in 0..20 {
        h.run(&["SET", &format!("dying{i}"), "1", "PX", "10"]);
    }
    h.advance(11);
    assert_eq!(h.run(&["DBSIZE"]), int(21));
    assert_eq!(scan_all(&mut h, &[]), set(&["live"]));
    assert_eq!(h.run(&["DBSIZE"]), int(1));
}

#[test]
fn scan_errors() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SCAN", "x"]), err("ERR invalid cursor"));
    assert_eq!(h.run(&["SCAN", " 0"]), err("ERR invalid cursor"));
    assert_eq!(
        h.run(&["SCAN", "18446744073709551616"]),
        err("ERR invalid cursor")
    );
    assert_eq!(h.run(&["SCAN", "0", "COUNT", "0"]), err("ERR syntax error"));
    assert_eq!(
        h.run(&["SCAN", "0", "COUNT", "-1"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["SCAN", "0", "COUNT", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(h.run(&["SCAN", "0", "MATCH"]), err("ERR syntax error"));
    assert_eq!(h.run(&["SCAN", "0", "FOO", "bar"]), err("ERR syntax error"));
}

#[test]
fn scan_accepts_signed_and_huge_cursors() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    for c in ["-1", "+0", "-0", "18446744073709551615"] {
        let (next, _) = scan_once(&mut h, &["SCAN", c]);
        assert!(next.parse::<u64>().is_ok(), "{c}");
    }
    assert_eq!(scan_once(&mut h, &["SCAN", "+0"]).1, vec!["a".to_string()]);
}

#[test]
fn scan_reply_shape_on_empty_database() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SCAN", "0"]), arr(vec![bulk("0"), arr(vec![])]));
}

#[test]
fn randomkey_answers_nil_when_empty_and_a_key_otherwise() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["RANDOMKEY"]), Frame::Null);
    let mut all = BTreeSet::new();
    for i in 0..40 {
        let k = format!("k{i}");
        h.run(&["SET", &k, "v"]);
        all.insert(k);
    }
    let mut seen = BTreeSet::new();
    for _ in 0..400 {
        let Frame::Bulk(b) = h.run(&["RANDOMKEY"]) else {
            unreachable!("RANDOMKEY answers a bulk")
        };
        seen.insert(String::from_utf8_lossy(&b).into_owned());
    }
    assert!(seen.is_subset(&all));
    assert!(seen.len() > 30, "poor spread: {}", seen.len());
}

#[test]
fn randomkey_never_returns_an_expired_key() {
    let mut h = Harness::new();
    for i in 0..30 {
        h.run(&["SET", &format!("dying{i}"), "v", "PX", "5"]);
    }
    h.run(&["SET", "live", "v"]);
    h.advance(6);
    for _ in 0..10 {
        assert_eq!(h.run(&["RANDOMKEY"]), bulk("live"));
    }
    h.run(&["DEL", "live"]);
    assert_eq!(h.run(&["RANDOMKEY"]), Frame::Null);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Model check of SCAN's guarantee: with random SETs and DELs between calls, every
        /// key present from start to end is returned, and nothing that never existed is.
        #[test]
        fn scan_returns_keys_present_throughout(
            initial in 0usize..200,
            ops in proptest::collection::vec((any::<bool>(), 0u16..400), 0..300),
            count in 1usize..20,
        ) {
            let mut h = Harness::new();
            let mut ever = BTreeSet::new();
            for i in 0..initial {
                let k = format!("k{i}");
                h.run(&["SET", &k, "v"]);
                ever.insert(k);
            }
            let mut touched = BTreeSet::new();
            let mut ops = ops.into_iter();
            let count = count.to_string();
            let mut cursor = "0".to_string();
            let mut seen = BTreeSet::new();
            loop {
                let (next, keys) = scan_once(&mut h, &["SCAN", &cursor, "COUNT", &count]);
                seen.extend(keys);
                for (add, n) in ops.by_ref().take(5) {
                    let k = format!("k{n}");
                    if add {
                        h.run(&["SET", &k, "v"]);
                        ever.insert(k);
                    } else {
                        h.run(&["DEL", &k]);
                        touched.insert(k);
                    }
                }
                if next == "0" {
                    break;
                }
                cursor = next;
            }
            for i in 0..initial {
                let k = format!("k{i}");
                prop_assert!(touched.contains(&k) || seen.contains(&k), "missed {}", k);
            }
            prop_assert!(seen.is_subset(&ever));
        }

        /// Every 64-bit cursor, and its negative spelling, is accepted.
        #[test]
        fn scan_accepts_any_u64_cursor(c in any::<u64>(), n in any::<i64>()) {
            let mut h = Harness::new();
            h.run(&["SET", "a", "1"]);
            for arg in [c.to_string(), n.to_string()] {
                let (next, _) = scan_once(&mut h, &["SCAN", &arg]);
                prop_assert!(next.parse::<u64>().is_ok());
            }
        }
    }
}
