//! Keyspace notifications of the string commands.

use crate::commands::notify_util::pairs;
use crate::testing::Harness;

#[test]
fn set_fires_set_and_expire_only_with_a_ttl() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["SET", "k", "v"]);
    assert_eq!(ev.keyevents(), pairs(&[("set", "k")]));
    h.run(&["SET", "k", "v", "EX", "100"]);
    assert_eq!(ev.keyevents(), pairs(&[("set", "k"), ("expire", "k")]));
    h.run(&["SET", "k", "v", "PXAT", "99999999999999"]);
    assert_eq!(ev.keyevents(), pairs(&[("set", "k"), ("expire", "k")]));
    h.run(&["SET", "k", "w", "KEEPTTL", "GET"]);
    assert_eq!(ev.keyevents(), pairs(&[("set", "k")]));
}

#[test]
fn set_that_writes_nothing_fires_nothing() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let ev = h.events("KEA");
    h.run(&["SET", "k", "v", "NX"]);
    h.run(&["SET", "other", "v", "XX", "GET"]);
    h.run(&["SETNX", "k", "x"]);
    h.run(&["MSETNX", "k", "1", "fresh", "2"]);
    h.run(&["GET", "k"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
}

#[test]
fn setex_psetex_setnx_getset_fire_set() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["SETEX", "a", "10", "v"]);
    h.run(&["PSETEX", "b", "10", "v"]);
    h.run(&["SETNX", "c", "v"]);
    h.run(&["GETSET", "c", "w"]);
    let want = [
        ("set", "a"),
        ("expire", "a"),
        ("set", "b"),
        ("expire", "b"),
        ("set", "c"),
        ("set", "c"),
    ];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn getex_fires_expire_persist_or_del() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let ev = h.events("KEA");
    h.run(&["GETEX", "k"]);
    h.run(&["GETEX", "k", "PERSIST"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
    h.run(&["GETEX", "k", "EX", "100"]);
    h.run(&["GETEX", "k", "PERSIST"]);
    h.run(&["GETEX", "k", "PXAT", "1"]);
    h.run(&["GETEX", "k", "EX", "100"]);
    let want = [("expire", "k"), ("persist", "k"), ("del", "k")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn getdel_fires_del_only_when_the_key_existed() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let ev = h.events("KEA");
    h.run(&["GETDEL", "k"]);
    h.run(&["GETDEL", "k"]);
    assert_eq!(ev.keyevents(), pairs(&[("del", "k")]));
}

#[test]
fn counters_fire_incrby_and_incrbyfloat() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    for cmd in [
        &["INCR", "n"][..],
        &["DECR", "n"],
        &["INCRBY", "n", "5"],
        &["DECRBY", "n", "2"],
    ] {
        h.run(cmd);
    }
    h.run(&["INCRBYFLOAT", "n", "1.5"]);
    let want = [
        ("incrby", "n"),
        ("incrby", "n"),
        ("incrby", "n"),
        ("incrby", "n"),
        ("incrbyfloat", "n"),
    ];
    assert_eq!(ev.keyevents(), pairs(&want));
    h.run(&["SET", "s", "abc"]);
    ev.take();
    h.run(&["INCR", "s"]);
    h.run(&["INCRBYFLOAT", "s", "1"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
}

#[test]
fn append_and_setrange_fire_when_they_write() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["APPEND", "k", "ab"]);
    h.run(&["SETRANGE", "k", "1", "xy"]);
    h.run(&["SETRANGE", "k", "0", ""]);
    h.run(&["SETRANGE", "missing", "0", ""]);
    assert_eq!(ev.keyevents(), pairs(&[("append", "k"), ("setrange", "k")]));
}

#[test]
fn mset_fires_one_set_per_key_in_order() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["MSET", "a", "1", "b", "2", "a", "3"]);
    h.run(&["MSETNX", "c", "1", "d", "2"]);
    let want = [
        ("set", "a"),
        ("set", "b"),
        ("set", "a"),
        ("set", "c"),
        ("set", "d"),
    ];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn new_comes_before_set_when_enabled() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["SET", "k", "v"]);
    assert_eq!(ev.keyevents(), pairs(&[("set", "k")]));
    h.run(&["CONFIG", "SET", "notify-keyspace-events", "KEAn"]);
    h.run(&["SET", "j", "v"]);
    h.run(&["SET", "j", "w"]);
    let want = [("new", "j"), ("set", "j"), ("set", "j")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn string_class_on_the_keyspace_channel_only() {
    let mut h = Harness::new();
    let ev = h.events("K$");
    h.run(&["SET", "k", "v", "EX", "10"]);
    h.run(&["DEL", "k"]);
    let want = [("__keyspace@0__:k", "set")];
    assert_eq!(ev.take(), pairs(&want));
    h.run(&["CONFIG", "SET", "notify-keyspace-events", "Eg"]);
    h.run(&["SET", "k", "v", "EX", "10"]);
    assert_eq!(ev.take(), pairs(&[("__keyevent@0__:expire", "k")]));
}
