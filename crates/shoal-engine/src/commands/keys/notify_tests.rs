//! Keyspace notifications of the generic key commands.

use crate::commands::notify_util::pairs;
use crate::testing::Harness;

#[test]
fn del_and_unlink_fire_del_per_deleted_key() {
    let mut h = Harness::new();
    h.run(&["MSET", "a", "1", "b", "2", "c", "3"]);
    let ev = h.events("KEA");
    h.run(&["DEL", "a", "missing", "b"]);
    h.run(&["UNLINK", "c", "a"]);
    h.run(&["DEL", "nothing"]);
    let want = [("del", "a"), ("del", "b"), ("del", "c")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn rename_fires_from_then_to() {
    let mut h = Harness::new();
    h.run(&["MSET", "a", "1", "b", "2"]);
    let ev = h.events("KEAn");
    h.run(&["RENAME", "a", "b"]);
    let want = [("new", "b"), ("rename_from", "a"), ("rename_to", "b")];
    assert_eq!(ev.keyevents(), pairs(&want));
    h.run(&["RENAME", "b", "b"]);
    h.run(&["SET", "c", "3"]);
    ev.take();
    h.run(&["RENAMENX", "b", "c"]);
    h.run(&["RENAME", "missing", "x"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
    h.run(&["RENAMENX", "b", "d"]);
    let want = [("new", "d"), ("rename_from", "b"), ("rename_to", "d")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn copy_fires_copy_to_in_the_destination_db() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    let ev = h.events("KEA");
    h.run(&["COPY", "a", "b"]);
    h.run(&["COPY", "a", "b"]);
    h.run(&["COPY", "missing", "c"]);
    assert_eq!(ev.keyevents(), pairs(&[("copy_to", "b")]));
    h.run(&["COPY", "a", "b", "DB", "3", "REPLACE"]);
    assert_eq!(
        ev.take(),
        pairs(&[
            ("__keyspace@3__:b", "copy_to"),
            ("__keyevent@3__:copy_to", "b")
        ])
    );
}

#[test]
fn move_fires_from_in_the_source_db_and_to_in_the_target() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "1"]);
    let ev = h.events("EA");
    h.run(&["MOVE", "k", "2"]);
    h.run(&["MOVE", "k", "2"]);
    let want = [
        ("__keyevent@0__:move_from", "k"),
        ("__keyevent@2__:move_to", "k"),
    ];
    assert_eq!(ev.take(), pairs(&want));
}

#[test]
fn expire_family_fires_expire_or_del_in_the_past() {
    let mut h = Harness::new();
    h.run(&["MSET", "a", "1", "b", "2", "c", "3"]);
    let ev = h.events("KEA");
    h.run(&["EXPIRE", "a", "100"]);
    h.run(&["PEXPIRE", "a", "100", "NX"]);
    h.run(&["EXPIREAT", "b", "99999999999"]);
    h.run(&["PEXPIREAT", "c", "1"]);
    h.run(&["EXPIRE", "missing", "10"]);
    h.run(&["EXPIRE", "a", "-1"]);
    let want = [("expire", "a"), ("expire", "b"), ("del", "c"), ("del", "a")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn persist_fires_only_when_a_ttl_went() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "1", "EX", "100"]);
    let ev = h.events("KEA");
    h.run(&["PERSIST", "k"]);
    h.run(&["PERSIST", "k"]);
    h.run(&["PERSIST", "missing"]);
    assert_eq!(ev.keyevents(), pairs(&[("persist", "k")]));
}

#[test]
fn readers_fire_no_generic_events() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "1", "EX", "100"]);
    let ev = h.events("KEA");
    for cmd in [
        &["EXISTS", "k"][..],
        &["TYPE", "k"],
        &["TOUCH", "k"],
        &["TTL", "k"],
        &["PEXPIRETIME", "k"],
        &["KEYS", "*"],
    ] {
        h.run(cmd);
    }
    assert_eq!(ev.keyevents(), pairs(&[]));
}

#[test]
fn generic_class_off_silences_key_commands() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "1"]);
    let ev = h.events("KE$lshz");
    h.run(&["EXPIRE", "k", "100"]);
    h.run(&["RENAME", "k", "j"]);
    h.run(&["DEL", "j"]);
    assert_eq!(ev.take(), pairs(&[]));
}
