//! Keyspace notifications of the bitmap commands.

use crate::commands::notify_util::pairs;
use crate::testing::Harness;

#[test]
fn setbit_fires_only_when_a_bit_or_the_length_changes() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["SETBIT", "b", "3", "1"]);
    h.run(&["SETBIT", "b", "3", "1"]);
    h.run(&["SETBIT", "b", "2", "0"]);
    h.run(&["SETBIT", "b", "100", "0"]);
    h.run(&["GETBIT", "b", "3"]);
    let want = [("setbit", "b"), ("setbit", "b")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn bitfield_fires_setbit_when_a_field_changes() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["BITFIELD", "b", "SET", "u8", "0", "16"]);
    h.run(&["BITFIELD", "b", "SET", "u8", "0", "16"]);
    h.run(&["BITFIELD", "b", "INCRBY", "u8", "0", "0", "GET", "u8", "0"]);
    h.run(&["BITFIELD_RO", "b", "GET", "u8", "0"]);
    assert_eq!(ev.keyevents(), pairs(&[("setbit", "b")]));
    h.run(&["BITFIELD", "b", "INCRBY", "u8", "0", "1"]);
    assert_eq!(ev.keyevents(), pairs(&[("setbit", "b")]));
}

#[test]
fn bitop_fires_set_or_del_on_the_destination() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "x"]);
    let ev = h.events("KEA");
    h.run(&["BITOP", "AND", "d", "a", "a"]);
    h.run(&["BITOP", "AND", "d", "missing"]);
    h.run(&["BITOP", "AND", "d", "missing"]);
    assert_eq!(ev.keyevents(), pairs(&[("set", "d"), ("del", "d")]));
}

#[test]
fn bitmap_events_are_string_class() {
    let mut h = Harness::new();
    let ev = h.events("Kl");
    h.run(&["SETBIT", "b", "1", "1"]);
    assert_eq!(ev.take(), pairs(&[]));
    h.run(&["CONFIG", "SET", "notify-keyspace-events", "K$"]);
    h.run(&["SETBIT", "b", "2", "1"]);
    assert_eq!(ev.take(), pairs(&[("__keyspace@0__:b", "setbit")]));
}

#[test]
fn bitfield_whose_writes_all_fail_announces_nothing() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&[
        "BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5",
    ]);
    assert_eq!(h.run(&["EXISTS", "b"]), crate::testing::int(1));
    assert_eq!(ev.keyevents(), pairs(&[]));
    h.run(&["BITFIELD", "c", "SET", "u8", "0", "0"]);
    assert_eq!(ev.keyevents(), pairs(&[("setbit", "c")]));
}
