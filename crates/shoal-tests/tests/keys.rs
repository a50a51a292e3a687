//! Generic key commands through a real client: SCAN, KEYS, TTLs and active expiry.

use shoal_tests::{eventually, TestServer};
use std::collections::HashSet;
use std::time::Duration;

fn scan_all(con: &mut redis::Connection, extra: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    loop {
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(&cursor);
        for a in extra {
            cmd.arg(*a);
        }
        let (next, keys): (String, Vec<String>) = cmd.query(con).unwrap_or_default();
        out.extend(keys);
        if next == "0" || next.is_empty() {
            return out;
        }
        cursor = next;
    }
}

#[test]
fn scan_returns_every_key_present_during_the_whole_iteration() {
    let s = TestServer::start();
    let mut c = s.client();
    let mut writer = s.client();
    for i in 0..2_000 {
        let _: () = redis::cmd("SET")
            .arg(format!("stable:{i}"))
            .arg(i)
            .query(&mut c)
            .unwrap_or_default();
    }
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    let mut round = 0;
    loop {
        let (next, keys): (String, Vec<String>) = redis::cmd("SCAN")
            .arg(&cursor)
            .arg("COUNT")
            .arg(50)
            .query(&mut c)
            .unwrap_or_default();
        seen.extend(keys);
        // Another client grows and shrinks the keyspace between calls.
        round += 1;
        for j in 0..100 {
            let k = format!("churn:{round}:{j}");
            let _: () = redis::cmd("SET")
                .arg(&k)
                .arg(1)
                .query(&mut writer)
                .unwrap_or_default();
            if round > 1 {
                let old = format!("churn:{}:{j}", round - 1);
                let _: i64 = redis::cmd("DEL")
                    .arg(&old)
                    .query(&mut writer)
                    .unwrap_or_default();
            }
        }
        if next == "0" {
            break;
        }
        cursor = next;
    }
    for i in 0..2_000 {
        assert!(
            seen.contains(&format!("stable:{i}")),
            "SCAN missed stable:{i}"
        );
    }
}

#[test]
fn scan_match_and_type_filter() {
    let s = TestServer::start();
    let mut c = s.client();
    for k in ["user:1", "user:2", "item:1"] {
        let _: () = redis::cmd("SET")
            .arg(k)
            .arg("v")
            .query(&mut c)
            .unwrap_or_default();
    }
    let mut users = scan_all(&mut c, &["MATCH", "user:*"]);
    users.sort();
    assert_eq!(users, vec!["user:1", "user:2"]);
    assert_eq!(scan_all(&mut c, &["TYPE", "list"]), Vec::<String>::new());
    assert_eq!(scan_all(&mut c, &["TYPE", "string"]).len(), 3);
}

#[test]
fn expired_keys_are_reclaimed_without_being_read() {
    let s = TestServer::start();
    let mut c = s.client();
    for i in 0..500 {
        let _: () = redis::cmd("SET")
            .arg(format!("tmp:{i}"))
            .arg("v")
            .arg("PX")
            .arg(50)
            .query(&mut c)
            .unwrap_or_default();
    }
    let _: () = redis::cmd("SET")
        .arg("keep")
        .arg("v")
        .query(&mut c)
        .unwrap_or_default();
    let reclaimed = eventually(Duration::from_secs(10), || {
        let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap_or(-1);
        n == 1
    });
    assert!(reclaimed, "active expiry did not reclaim the keys");
    let expired: String = redis::cmd("INFO")
        .arg("stats")
        .query(&mut c)
        .unwrap_or_default();
    assert!(expired.contains("expired_keys:500"), "{expired}");
}

#[test]
fn ttl_commands_through_the_wire() {
    let s = TestServer::start();
    let mut c = s.client();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut c)
        .unwrap_or_default();
    assert_eq!(
        redis::cmd("TTL").arg("k").query::<i64>(&mut c).ok(),
        Some(-1)
    );
    assert_eq!(
        redis::cmd("EXPIRE")
            .arg("k")
            .arg(100)
            .query::<i64>(&mut c)
            .ok(),
        Some(1)
    );
    let ttl: i64 = redis::cmd("TTL").arg("k").query(&mut c).unwrap_or(0);
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert_eq!(
        redis::cmd("EXPIRE")
            .arg("k")
            .arg(50)
            .arg("GT")
            .query::<i64>(&mut c)
            .ok(),
        Some(0)
    );
    assert_eq!(
        redis::cmd("PERSIST").arg("k").query::<i64>(&mut c).ok(),
        Some(1)
    );
    assert_eq!(
        redis::cmd("TTL").arg("nosuch").query::<i64>(&mut c).ok(),
        Some(-2)
    );
}
