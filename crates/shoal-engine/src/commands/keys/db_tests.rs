//! Tests of DBSIZE, FLUSHDB, FLUSHALL, SWAPDB and the family's declarations.

use crate::command::{acl, flags, Group};
use crate::testing::*;

fn effect_list(rx: &std::sync::mpsc::Receiver<crate::effects::Effect>) -> Vec<(usize, String)> {
    rx.try_iter()
        .map(|e| {
            let words: Vec<String> = e
                .args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            (e.db, words.join(" "))
        })
        .collect()
}

#[test]
fn dbsize_counts_keys_of_the_selected_database() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["DBSIZE"]), int(0));
    h.run(&["SET", "a", "1"]);
    h.run(&["SET", "b", "1"]);
    h.run(&["SELECT", "3"]);
    h.run(&["SET", "c", "1"]);
    assert_eq!(h.run(&["DBSIZE"]), int(1));
    h.run(&["SELECT", "0"]);
    assert_eq!(h.run(&["DBSIZE"]), int(2));
}

#[test]
fn dbsize_counts_expired_keys_until_reclaimed() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1", "PX", "10"]);
    h.run(&["SET", "b", "1"]);
    h.advance(11);
    assert_eq!(h.run(&["DBSIZE"]), int(2));
    assert_eq!(h.run(&["EXISTS", "a"]), int(0));
    assert_eq!(h.run(&["DBSIZE"]), int(1));
}

#[test]
fn active_expiry_reclaims_keys_counted_by_dbsize() {
    let mut h = Harness::new();
    for i in 0..10 {
        h.run(&["SET", &format!("k{i}"), "1", "PX", "10"]);
    }
    h.advance(11);
    assert_eq!(h.run(&["DBSIZE"]), int(10));
    while h.engine.active_expire_cycle() > 0 {}
    assert_eq!(h.run(&["DBSIZE"]), int(0));
}

#[test]
fn flushdb_empties_only_the_selected_database() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "b", "1", "EX", "100"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["FLUSHDB"]), ok());
    assert_eq!(h.run(&["DBSIZE"]), int(0));
    assert_eq!(h.run(&["TTL", "b"]), int(-2));
    h.run(&["SELECT", "0"]);
    assert_eq!(h.run(&["DBSIZE"]), int(1));
    assert_eq!(h.run(&["FLUSHDB", "async"]), ok());
    assert_eq!(h.run(&["FLUSHDB", "SYNC"]), ok());
    assert_eq!(h.run(&["DBSIZE"]), int(0));
    assert_eq!(
        effect_list(&rx),
        vec![
            (1, "FLUSHDB".to_string()),
            (0, "FLUSHDB".to_string()),
            (0, "FLUSHDB".to_string())
        ]
    );
}

#[test]
fn flush_commands_refuse_bad_options() {
    let mut h = Harness::new();
    for cmd in ["FLUSHDB", "FLUSHALL"] {
        assert_eq!(h.run(&[cmd, "foo"]), err("ERR syntax error"));
        assert_eq!(h.run(&[cmd, "ASYNC", "SYNC"]), err("ERR syntax error"));
    }
}

#[test]
fn flushall_empties_every_database() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.run(&["SELECT", "5"]);
    h.run(&["SET", "b", "1"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["FLUSHALL", "ASYNC"]), ok());
    assert_eq!(h.run(&["DBSIZE"]), int(0));
    h.run(&["SELECT", "0"]);
    assert_eq!(h.run(&["DBSIZE"]), int(0));
    assert_eq!(effect_list(&rx), vec![(5, "FLUSHALL".to_string())]);
    h.run(&["SET", "c", "1"]);
    assert_eq!(h.run(&["GET", "c"]), bulk("1"));
}

#[test]
fn swapdb_exchanges_databases_for_every_session() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "in0", "EX", "100"]);
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "b", "in1"]);
    let mut other = h.other_session();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["SWAPDB", "0", "1"]), ok());
    assert_eq!(effect_list(&rx), vec![(1, "SWAPDB 0 1".to_string())]);
    assert_eq!(h.run(&["GET", "a"]), bulk("in0"));
    assert_eq!(h.run(&["TTL", "a"]), int(100));
    assert_eq!(h.run(&["EXISTS", "b"]), int(0));
    let got = other.call(vec!["GET".into(), "b".into()]);
    assert_eq!(got, bulk("in1"));
    assert_eq!(h.run(&["SWAPDB", "1", "1"]), ok());
    assert_eq!(h.run(&["GET", "a"]), bulk("in0"));
}

#[test]
fn swapdb_errors() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["SWAPDB", "x", "1"]),
        err("ERR invalid first DB index")
    );
    assert_eq!(
        h.run(&["SWAPDB", "0", "x"]),
        err("ERR invalid second DB index")
    );
    assert_eq!(
        h.run(&["SWAPDB", "99", "x"]),
        err("ERR invalid second DB index")
    );
    assert_eq!(
        h.run(&["SWAPDB", "0", "99"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        h.run(&["SWAPDB", "-1", "0"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        h.run(&["SWAPDB", "0"]),
        err("ERR wrong number of arguments for 'swapdb' command")
    );
}

/// Name, arity, flags and key positions.
type Decl = (&'static str, i32, u32, (i32, i32, i32));

#[test]
fn declarations_match_redis() {
    let h = Harness::new();
    let t = h.engine.inner().commands();
    let spec = |n: &str| *t.get(n.as_bytes()).unwrap_or_else(|| unreachable!("{n}"));
    let cases: &[Decl] = &[
        ("del", -2, flags::WRITE, (1, -1, 1)),
        ("unlink", -2, flags::WRITE | flags::FAST, (1, -1, 1)),
        ("exists", -2, flags::READONLY | flags::FAST, (1, -1, 1)),
        ("type", 2, flags::READONLY | flags::FAST, (1, 1, 1)),
        ("rename", 3, flags::WRITE, (1, 2, 1)),
        ("renamenx", 3, flags::WRITE | flags::FAST, (1, 2, 1)),
        ("copy", -3, flags::WRITE | flags::DENYOOM, (1, 2, 1)),
        ("move", 3, flags::WRITE | flags::FAST, (1, 1, 1)),
        ("keys", 2, flags::READONLY, (0, 0, 0)),
        ("scan", -2, flags::READONLY, (0, 0, 0)),
        ("randomkey", 1, flags::READONLY, (0, 0, 0)),
        ("touch", -2, flags::READONLY | flags::FAST, (1, -1, 1)),
        ("expire", -3, flags::WRITE | flags::FAST, (1, 1, 1)),
        ("pexpireat", -3, flags::WRITE | flags::FAST, (1, 1, 1)),
        ("ttl", 2, flags::READONLY | flags::FAST, (1, 1, 1)),
        ("pexpiretime", 2, flags::READONLY | flags::FAST, (1, 1, 1)),
        ("persist", 2, flags::WRITE | flags::FAST, (1, 1, 1)),
        ("object", -2, 0, (0, 0, 0)),
        ("dbsize", 1, flags::READONLY | flags::FAST, (0, 0, 0)),
        ("flushdb", -1, flags::WRITE, (0, 0, 0)),
        ("flushall", -1, flags::WRITE | flags::EXCLUSIVE, (0, 0, 0)),
        ("swapdb", 3, flags::WRITE | flags::FAST, (0, 0, 0)),
    ];
    for &(name, arity, fl, keys) in cases {
        let s = spec(name);
        assert_eq!((s.arity, s.flags), (arity, fl), "{name}");
        assert_eq!((s.first_key, s.last_key, s.key_step), keys, "{name}");
    }
    for name in ["keys", "flushdb", "flushall", "swapdb"] {
        assert!(spec(name).acl_categories() & acl::DANGEROUS != 0, "{name}");
    }
    for name in ["dbsize", "flushdb", "flushall", "swapdb"] {
        assert_eq!(spec(name).group, Group::Server, "{name}");
    }
    assert_eq!(spec("del").group, Group::Generic);
    assert_eq!(spec("object").acl_categories(), acl::SLOW);
    let subs: Vec<&str> = spec("object").subcommands.iter().map(|s| s.name).collect();
    assert_eq!(
        subs,
        [
            "object|encoding",
            "object|freq",
            "object|idletime",
            "object|refcount",
            "object|help"
        ]
    );
}

#[test]
fn the_background_pass_finishes_resizes_writes_stopped_driving() {
    use crate::keyspace::SHARDS;
    let mut h = Harness::new();
    // About 1,100 keys a shard: past the doubling at 1,024, and before the few buckets
    // each later insert moves can have drained the old table.
    for i in 0..70_400 {
        h.run(&["SET", &format!("k{i}"), "1"]);
    }
    let rehashing = |h: &Harness| {
        (0..SHARDS)
            .filter(|&s| h.engine.inner.keyspace.lock(s).dbs[0].dict.is_rehashing())
            .count()
    };
    let before = rehashing(&h);
    assert!(before > 0, "some resize still under way");
    h.run(&["CONFIG", "SET", "activerehashing", "no"]);
    crate::expire::active_rehash(&h.engine.inner);
    assert_eq!(
        rehashing(&h),
        before,
        "switched off, the pass moves nothing"
    );
    h.run(&["CONFIG", "SET", "activerehashing", "yes"]);
    for _ in 0..10_000 {
        if rehashing(&h) == 0 {
            break;
        }
        crate::expire::active_rehash(&h.engine.inner);
    }
    assert_eq!(rehashing(&h), 0);
    assert_eq!(h.run(&["DBSIZE"]), int(70_400));
    assert_eq!(h.run(&["GET", "k70399"]), bulk("1"));
}
