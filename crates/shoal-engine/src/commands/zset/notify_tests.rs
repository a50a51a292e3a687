//! Keyspace notifications of the sorted-set commands.

use crate::commands::notify_util::pairs;
use crate::testing::Harness;

#[test]
fn zadd_fires_zadd_or_zincr_when_something_changed() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["ZADD", "z", "1", "a", "2", "b"]);
    h.run(&["ZADD", "z", "1", "a"]);
    h.run(&["ZADD", "z", "5", "a"]);
    h.run(&["ZADD", "z", "NX", "9", "a"]);
    h.run(&["ZADD", "z", "INCR", "0", "a"]);
    h.run(&["ZADD", "z", "INCR", "1", "a"]);
    h.run(&["ZADD", "missing", "XX", "1", "a"]);
    let want = [("zadd", "z"), ("zadd", "z"), ("zincr", "z")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn zincrby_fires_zincr_unless_the_score_stays() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["ZINCRBY", "z", "1", "a"]);
    h.run(&["ZINCRBY", "z", "0", "a"]);
    h.run(&["ZINCRBY", "z", "2", "a"]);
    assert_eq!(ev.keyevents(), pairs(&[("zincr", "z"), ("zincr", "z")]));
}

#[test]
fn zrem_fires_zrem_then_del_when_emptied() {
    let mut h = Harness::new();
    h.run(&["ZADD", "z", "1", "a", "2", "b"]);
    let ev = h.events("KEA");
    h.run(&["ZREM", "z", "nope"]);
    h.run(&["ZREM", "z", "a"]);
    h.run(&["ZREM", "z", "b"]);
    let want = [("zrem", "z"), ("zrem", "z"), ("del", "z")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn zremrangeby_fire_their_names_when_they_removed() {
    let mut h = Harness::new();
    h.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    let ev = h.events("KEA");
    h.run(&["ZREMRANGEBYRANK", "z", "5", "6"]);
    h.run(&["ZREMRANGEBYRANK", "z", "0", "0"]);
    h.run(&["ZREMRANGEBYSCORE", "z", "2", "2"]);
    h.run(&["ZREMRANGEBYLEX", "z", "[c", "[c"]);
    h.run(&["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]);
    let want = [
        ("zremrangebyrank", "z"),
        ("zremrangebyscore", "z"),
        ("zremrangebylex", "z"),
        ("zremrangebyscore", "z"),
        ("del", "z"),
    ];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn pops_fire_zpopmin_zpopmax_and_del() {
    let mut h = Harness::new();
    h.run(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
    let ev = h.events("KEA");
    h.run(&["ZPOPMIN", "z"]);
    h.run(&["ZPOPMAX", "z", "0"]);
    h.run(&["ZPOPMAX", "z", "1"]);
    h.run(&["ZMPOP", "2", "missing", "z", "MIN"]);
    h.run(&["BZPOPMAX", "z", "0"]);
    h.run(&["BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"]);
    h.run(&["ZPOPMIN", "z"]);
    let want = [
        ("zpopmin", "z"),
        ("zpopmax", "z"),
        ("zpopmin", "z"),
        ("zpopmax", "z"),
        ("zpopmin", "z"),
        ("del", "z"),
    ];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn store_forms_fire_their_names_or_del() {
    let mut h = Harness::new();
    h.run(&["ZADD", "z", "1", "a", "2", "b"]);
    let ev = h.events("KEA");
    h.run(&["ZUNIONSTORE", "d", "1", "z"]);
    h.run(&["ZINTERSTORE", "d", "1", "z"]);
    h.run(&["ZDIFFSTORE", "d", "1", "z"]);
    h.run(&["ZRANGESTORE", "d", "z", "0", "0"]);
    h.run(&["ZRANGESTORE", "d", "z", "5", "6"]);
    h.run(&["ZINTERSTORE", "d", "2", "z", "missing"]);
    let want = [
        ("zunionstore", "d"),
        ("zinterstore", "d"),
        ("zdiffstore", "d"),
        ("zrangestore", "d"),
        ("del", "d"),
    ];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn readers_fire_nothing() {
    let mut h = Harness::new();
    h.run(&["ZADD", "z", "1", "a"]);
    let ev = h.events("KEA");
    h.run(&["ZRANGE", "z", "0", "-1"]);
    h.run(&["ZUNION", "1", "z"]);
    h.run(&["ZSCORE", "z", "a"]);
    h.run(&["ZRANDMEMBER", "z"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
}

#[test]
fn zset_class_filters_on_the_keyspace_channel() {
    let mut h = Harness::new();
    let ev = h.events("Kz");
    h.run(&["ZADD", "z", "1", "a"]);
    h.run(&["ZPOPMIN", "z"]);
    h.run(&["SADD", "s", "a"]);
    let want = [
        ("__keyspace@0__:z", "zadd"),
        ("__keyspace@0__:z", "zpopmin"),
    ];
    assert_eq!(ev.take(), pairs(&want));
}

#[test]
fn a_served_blocked_pop_fires_after_the_add_that_woke_it() {
    let mut h = Harness::new();
    crate::commands::notify_util::park(&h, &["BZPOPMIN", "z", "0"], &["z"]);
    let ev = h.events("KEA");
    h.run(&["ZADD", "z", "1", "a"]);
    let want = [("zadd", "z"), ("zpopmin", "z"), ("del", "z")];
    assert_eq!(ev.keyevents(), pairs(&want));
}
