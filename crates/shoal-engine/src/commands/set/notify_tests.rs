//! Keyspace notifications of the set commands.

use crate::commands::notify_util::pairs;
use crate::testing::Harness;

#[test]
fn sadd_fires_only_when_it_added() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["SADD", "s", "a", "b"]);
    h.run(&["SADD", "s", "a"]);
    assert_eq!(ev.keyevents(), pairs(&[("sadd", "s")]));
}

#[test]
fn srem_fires_srem_then_del_when_emptied() {
    let mut h = Harness::new();
    h.run(&["SADD", "s", "a", "b"]);
    let ev = h.events("KEA");
    h.run(&["SREM", "s", "nope"]);
    h.run(&["SREM", "s", "a"]);
    h.run(&["SREM", "s", "b", "c"]);
    let want = [("srem", "s"), ("srem", "s"), ("del", "s")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn smove_fires_srem_del_then_sadd() {
    let mut h = Harness::new();
    h.run(&["SADD", "s", "a", "b", "x"]);
    h.run(&["SADD", "t", "x"]);
    let ev = h.events("KEAn");
    h.run(&["SMOVE", "s", "u", "a"]);
    let want = [("srem", "s"), ("new", "u"), ("sadd", "u")];
    assert_eq!(ev.keyevents(), pairs(&want));
    h.run(&["SMOVE", "s", "t", "x"]);
    assert_eq!(ev.keyevents(), pairs(&[("srem", "s")]));
    h.run(&["SMOVE", "s", "t", "b"]);
    let want = [("srem", "s"), ("del", "s"), ("sadd", "t")];
    assert_eq!(ev.keyevents(), pairs(&want));
    h.run(&["SMOVE", "t", "t", "b"]);
    h.run(&["SMOVE", "t", "u", "nope"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
}

#[test]
fn spop_fires_spop_and_del_when_emptied() {
    let mut h = Harness::new();
    h.run(&["SADD", "s", "a", "b", "c", "d"]);
    let ev = h.events("KEA");
    h.run(&["SPOP", "s"]);
    h.run(&["SPOP", "s", "0"]);
    h.run(&["SPOP", "s", "1"]);
    h.run(&["SPOP", "s", "9"]);
    h.run(&["SPOP", "s"]);
    h.run(&["SPOP", "s", "2"]);
    let want = [("spop", "s"), ("spop", "s"), ("spop", "s"), ("del", "s")];
    assert_eq!(ev.keyevents(), pairs(&want));
    h.run(&["SADD", "t", "a"]);
    ev.take();
    h.run(&["SPOP", "t"]);
    assert_eq!(ev.keyevents(), pairs(&[("spop", "t"), ("del", "t")]));
}

#[test]
fn store_forms_fire_their_names_or_del() {
    let mut h = Harness::new();
    h.run(&["SADD", "a", "1", "2"]);
    let ev = h.events("KEA");
    h.run(&["SINTERSTORE", "d", "a", "a"]);
    h.run(&["SUNIONSTORE", "d", "a"]);
    h.run(&["SDIFFSTORE", "d", "a"]);
    h.run(&["SDIFFSTORE", "d", "a", "a"]);
    h.run(&["SINTERSTORE", "d", "a", "missing"]);
    h.run(&["SUNIONSTORE", "d", "missing"]);
    let want = [
        ("sinterstore", "d"),
        ("sunionstore", "d"),
        ("sdiffstore", "d"),
        ("del", "d"),
    ];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn readers_fire_nothing() {
    let mut h = Harness::new();
    h.run(&["SADD", "s", "a"]);
    let ev = h.events("KEA");
    h.run(&["SMEMBERS", "s"]);
    h.run(&["SINTER", "s", "s"]);
    h.run(&["SRANDMEMBER", "s", "2"]);
    h.run(&["SINTERCARD", "1", "s"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
}

#[test]
fn set_class_filters_on_the_keyspace_channel() {
    let mut h = Harness::new();
    let ev = h.events("Ks");
    h.run(&["SADD", "s", "a"]);
    h.run(&["SREM", "s", "a"]);
    let want = [("__keyspace@0__:s", "sadd"), ("__keyspace@0__:s", "srem")];
    assert_eq!(ev.take(), pairs(&want));
}
