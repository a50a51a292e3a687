//! Keyspace notifications of the list commands.

use crate::commands::notify_util::{pairs, park};
use crate::testing::Harness;

#[test]
fn pushes_fire_one_event_per_command() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["LPUSH", "l", "a", "b", "c"]);
    h.run(&["RPUSH", "l", "d"]);
    h.run(&["LPUSHX", "l", "e"]);
    h.run(&["RPUSHX", "l", "f", "g"]);
    h.run(&["LPUSHX", "missing", "x"]);
    h.run(&["RPUSHX", "missing", "x"]);
    let want = [
        ("lpush", "l"),
        ("rpush", "l"),
        ("lpush", "l"),
        ("rpush", "l"),
    ];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn new_precedes_the_push_that_creates_the_list() {
    let mut h = Harness::new();
    let ev = h.events("KEAn");
    h.run(&["LPUSH", "l", "a"]);
    h.run(&["LPUSH", "l", "b"]);
    let want = [("new", "l"), ("lpush", "l"), ("lpush", "l")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn pops_fire_pop_then_del_when_emptied() {
    let mut h = Harness::new();
    h.run(&["RPUSH", "l", "a", "b", "c"]);
    let ev = h.events("KEA");
    h.run(&["LPOP", "l"]);
    h.run(&["RPOP", "l", "1"]);
    h.run(&["LPOP", "l", "0"]);
    h.run(&["RPOP", "l", "5"]);
    h.run(&["LPOP", "l"]);
    let want = [("lpop", "l"), ("rpop", "l"), ("rpop", "l"), ("del", "l")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn lmpop_and_blocking_pops_fire_like_plain_pops() {
    let mut h = Harness::new();
    h.run(&["RPUSH", "l", "a", "b", "c", "d"]);
    let ev = h.events("KEA");
    h.run(&["LMPOP", "2", "missing", "l", "RIGHT", "COUNT", "1"]);
    h.run(&["BLPOP", "missing", "l", "0"]);
    h.run(&["BRPOP", "l", "0"]);
    h.run(&["BLMPOP", "0", "1", "l", "LEFT", "COUNT", "9"]);
    h.run(&["LMPOP", "1", "l", "LEFT"]);
    let want = [
        ("rpop", "l"),
        ("lpop", "l"),
        ("rpop", "l"),
        ("lpop", "l"),
        ("del", "l"),
    ];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn lmove_fires_push_on_destination_then_pop_on_source() {
    let mut h = Harness::new();
    h.run(&["RPUSH", "s", "a", "b"]);
    let ev = h.events("KEAn");
    h.run(&["LMOVE", "s", "d", "LEFT", "RIGHT"]);
    let want = [("new", "d"), ("rpush", "d"), ("lpop", "s")];
    assert_eq!(ev.keyevents(), pairs(&want));
    h.run(&["RPOPLPUSH", "s", "d"]);
    let want = [("lpush", "d"), ("rpop", "s"), ("del", "s")];
    assert_eq!(ev.keyevents(), pairs(&want));
    h.run(&["BLMOVE", "d", "d", "RIGHT", "LEFT", "0"]);
    assert_eq!(ev.keyevents(), pairs(&[("lpush", "d"), ("rpop", "d")]));
    h.run(&["BRPOPLPUSH", "d", "e", "0"]);
    let want = [("new", "e"), ("lpush", "e"), ("rpop", "d")];
    assert_eq!(ev.keyevents(), pairs(&want));
    h.run(&["LMOVE", "missing", "d", "LEFT", "LEFT"]);
    h.run(&["SET", "str", "x"]);
    ev.take();
    h.run(&["LMOVE", "d", "str", "LEFT", "LEFT"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
}

#[test]
fn lset_linsert_fire_when_they_write() {
    let mut h = Harness::new();
    h.run(&["RPUSH", "l", "a", "b"]);
    let ev = h.events("KEA");
    h.run(&["LSET", "l", "0", "z"]);
    h.run(&["LSET", "l", "9", "z"]);
    h.run(&["LSET", "missing", "0", "z"]);
    h.run(&["LINSERT", "l", "BEFORE", "b", "y"]);
    h.run(&["LINSERT", "l", "BEFORE", "nope", "y"]);
    h.run(&["LINSERT", "missing", "BEFORE", "b", "y"]);
    assert_eq!(ev.keyevents(), pairs(&[("lset", "l"), ("linsert", "l")]));
}

#[test]
fn lrem_fires_when_it_removed_and_del_when_emptied() {
    let mut h = Harness::new();
    h.run(&["RPUSH", "l", "a", "b", "a"]);
    let ev = h.events("KEA");
    h.run(&["LREM", "l", "0", "nope"]);
    h.run(&["LREM", "l", "1", "a"]);
    h.run(&["LREM", "l", "0", "a"]);
    h.run(&["LREM", "l", "0", "b"]);
    let want = [("lrem", "l"), ("lrem", "l"), ("lrem", "l"), ("del", "l")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn ltrim_fires_on_any_existing_list_and_del_when_emptied() {
    let mut h = Harness::new();
    h.run(&["RPUSH", "l", "a", "b", "c"]);
    let ev = h.events("KEA");
    h.run(&["LTRIM", "l", "0", "-1"]);
    h.run(&["LTRIM", "l", "0", "1"]);
    h.run(&["LTRIM", "missing", "0", "1"]);
    h.run(&["LTRIM", "l", "5", "6"]);
    let want = [("ltrim", "l"), ("ltrim", "l"), ("ltrim", "l"), ("del", "l")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn readers_fire_nothing() {
    let mut h = Harness::new();
    h.run(&["RPUSH", "l", "a", "b"]);
    let ev = h.events("KEA");
    h.run(&["LRANGE", "l", "0", "-1"]);
    h.run(&["LLEN", "l"]);
    h.run(&["LINDEX", "l", "0"]);
    h.run(&["LPOS", "l", "a"]);
    h.run(&["LPOP", "missing"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
}

#[test]
fn list_class_goes_to_the_keyspace_channel_only() {
    let mut h = Harness::new();
    let ev = h.events("Kl");
    h.run(&["RPUSH", "l", "a"]);
    h.run(&["LPOP", "l"]);
    h.run(&["SET", "s", "x"]);
    let want = [("__keyspace@0__:l", "rpush"), ("__keyspace@0__:l", "lpop")];
    assert_eq!(ev.take(), pairs(&want));
    h.run(&["CONFIG", "SET", "notify-keyspace-events", "Elg"]);
    h.run(&["RPUSH", "l", "a"]);
    h.run(&["RPOP", "l"]);
    let want = [
        ("__keyevent@0__:rpush", "l"),
        ("__keyevent@0__:rpop", "l"),
        ("__keyevent@0__:del", "l"),
    ];
    assert_eq!(ev.take(), pairs(&want));
}

#[test]
fn a_served_blocked_pop_fires_after_the_push_that_woke_it() {
    let mut h = Harness::new();
    park(&h, &["BLPOP", "l", "0"], &["l"]);
    let ev = h.events("KEA");
    h.run(&["RPUSH", "l", "a"]);
    let want = [("rpush", "l"), ("lpop", "l"), ("del", "l")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn a_served_blocked_move_fires_push_then_pop() {
    let mut h = Harness::new();
    park(&h, &["BLMOVE", "l", "d", "LEFT", "RIGHT", "0"], &["l"]);
    let ev = h.events("KEA");
    h.run(&["LPUSH", "l", "a"]);
    let want = [("lpush", "l"), ("rpush", "d"), ("lpop", "l"), ("del", "l")];
    assert_eq!(ev.keyevents(), pairs(&want));
}
