//! Tests of DEL, UNLINK, EXISTS, TYPE, TOUCH, RENAME, RENAMENX, COPY, MOVE and OBJECT.

use crate::effects::Effect;
use crate::testing::*;
use bytes::Bytes;
use shoal_resp::Frame;
use std::sync::mpsc::Receiver;

fn effects(rx: &Receiver<Effect>) -> Vec<(usize, Vec<String>)> {
    rx.try_iter()
        .map(|e| {
            let args = e
                .args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            (e.db, args)
        })
        .collect()
}

fn eff(db: usize, args: &[&str]) -> (usize, Vec<String>) {
    (db, args.iter().map(|s| s.to_string()).collect())
}

#[test]
fn del_counts_deleted_keys_and_replicates_only_those() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.run(&["SET", "b", "2"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["DEL", "a", "missing", "b", "a"]), int(2));
    assert_eq!(h.run(&["DEL", "missing"]), int(0));
    assert_eq!(effects(&rx), vec![eff(0, &["DEL", "a", "b"])]);
    assert_eq!(h.run(&["EXISTS", "a", "b"]), int(0));
}

#[test]
fn unlink_deletes_like_del() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["UNLINK", "a", "x"]), int(1));
    assert_eq!(effects(&rx), vec![eff(0, &["UNLINK", "a"])]);
    assert_eq!(h.run(&["GET", "a"]), Frame::Null);
}

#[test]
fn del_of_expired_key_counts_zero() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1", "PX", "10"]);
    h.advance(11);
    assert_eq!(h.run(&["DEL", "a"]), int(0));
}

#[test]
fn exists_counts_repeated_keys_each_time() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    assert_eq!(h.run(&["EXISTS", "a", "a", "b", "a"]), int(3));
    assert_eq!(
        h.run(&["EXISTS"]),
        err("ERR wrong number of arguments for 'exists' command")
    );
}

#[test]
fn type_names_string_and_none() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    assert_eq!(h.run(&["TYPE", "a"]), simple("string"));
    assert_eq!(h.run(&["TYPE", "nope"]), simple("none"));
}

#[test]
fn touch_counts_existing_keys_and_resets_idle_time() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.advance(5_000);
    assert_eq!(h.run(&["OBJECT", "IDLETIME", "a"]), int(5));
    assert_eq!(h.run(&["TOUCH", "a", "b", "a"]), int(2));
    assert_eq!(h.run(&["OBJECT", "IDLETIME", "a"]), int(0));
}

#[test]
fn touch_is_not_replicated() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    let rx = h.engine.subscribe_effects();
    h.run(&["TOUCH", "a"]);
    assert!(effects(&rx).is_empty());
}

#[test]
fn rename_moves_value_and_ttl_replacing_destination() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1", "PX", "5000"]);
    h.run(&["SET", "b", "2"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["RENAME", "a", "b"]), ok());
    assert_eq!(h.run(&["GET", "a"]), Frame::Null);
    assert_eq!(h.run(&["GET", "b"]), bulk("1"));
    assert_eq!(h.run(&["PTTL", "b"]), int(5000));
    assert_eq!(effects(&rx), vec![eff(0, &["RENAME", "a", "b"])]);
}

#[test]
fn rename_drops_destination_ttl_when_source_has_none() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.run(&["SET", "b", "2", "EX", "100"]);
    assert_eq!(h.run(&["RENAME", "a", "b"]), ok());
    assert_eq!(h.run(&["TTL", "b"]), int(-1));
}

#[test]
fn rename_missing_or_expired_source_is_an_error() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["RENAME", "x", "y"]), err("ERR no such key"));
    assert_eq!(h.run(&["RENAME", "x", "x"]), err("ERR no such key"));
    assert_eq!(h.run(&["RENAMENX", "x", "y"]), err("ERR no such key"));
    h.run(&["SET", "a", "1", "PX", "1"]);
    h.advance(2);
    assert_eq!(h.run(&["RENAME", "a", "b"]), err("ERR no such key"));
}

#[test]
fn rename_onto_itself_succeeds_without_effect() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["RENAME", "a", "a"]), ok());
    assert_eq!(h.run(&["RENAMENX", "a", "a"]), int(0));
    assert_eq!(h.run(&["GET", "a"]), bulk("1"));
    assert!(effects(&rx).is_empty());
}

#[test]
fn renamenx_refuses_existing_destination() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.run(&["SET", "b", "2"]);
    assert_eq!(h.run(&["RENAMENX", "a", "b"]), int(0));
    assert_eq!(h.run(&["GET", "b"]), bulk("2"));
    assert_eq!(h.run(&["RENAMENX", "a", "c"]), int(1));
    assert_eq!(h.run(&["GET", "c"]), bulk("1"));
    assert_eq!(h.run(&["EXISTS", "a"]), int(0));
}

#[test]
fn renamenx_treats_expired_destination_as_free() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.run(&["SET", "b", "2", "PX", "10"]);
    h.advance(11);
    assert_eq!(h.run(&["RENAMENX", "a", "b"]), int(1));
    assert_eq!(h.run(&["GET", "b"]), bulk("1"));
}

#[test]
fn copy_duplicates_value_and_ttl() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "hello", "PX", "3000"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["COPY", "a", "b"]), int(1));
    assert_eq!(h.run(&["GET", "b"]), bulk("hello"));
    assert_eq!(h.run(&["GET", "a"]), bulk("hello"));
    assert_eq!(h.run(&["PTTL", "b"]), int(3000));
    assert_eq!(effects(&rx), vec![eff(0, &["COPY", "a", "b"])]);
}

#[test]
fn copy_needs_replace_to_overwrite() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.run(&["SET", "b", "2", "EX", "100"]);
    assert_eq!(h.run(&["COPY", "a", "b"]), int(0));
    assert_eq!(h.run(&["GET", "b"]), bulk("2"));
    assert_eq!(h.run(&["COPY", "a", "b", "replace"]), int(1));
    assert_eq!(h.run(&["GET", "b"]), bulk("1"));
    assert_eq!(h.run(&["TTL", "b"]), int(-1));
    assert_eq!(h.run(&["COPY", "missing", "b", "REPLACE"]), int(0));
}

#[test]
fn copy_to_another_database() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["COPY", "a", "a", "DB", "1"]), int(1));
    assert_eq!(effects(&rx), vec![eff(0, &["COPY", "a", "a", "DB", "1"])]);
    assert_eq!(h.run(&["SELECT", "1"]), ok());
    assert_eq!(h.run(&["GET", "a"]), bulk("1"));
    h.run(&["SET", "a", "changed"]);
    assert_eq!(h.run(&["SELECT", "0"]), ok());
    assert_eq!(h.run(&["GET", "a"]), bulk("1"));
}

#[test]
fn copy_errors() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    let same = err("ERR source and destination objects are the same");
    assert_eq!(h.run(&["COPY", "a", "a"]), same);
    assert_eq!(h.run(&["COPY", "a", "a", "DB", "0"]), same);
    assert_eq!(
        h.run(&["COPY", "a", "b", "DB", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["COPY", "a", "b", "DB", "99"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        h.run(&["COPY", "a", "b", "DB", "-1"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        h.run(&["COPY", "a", "b", "REPLACE", "DB"]),
        err("ERR syntax error")
    );
    assert_eq!(h.run(&["COPY", "a", "b", "foo"]), err("ERR syntax error"));
}

#[test]
fn move_transfers_key_with_ttl() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1", "EX", "100"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["MOVE", "a", "2"]), int(1));
    assert_eq!(effects(&rx), vec![eff(0, &["MOVE", "a", "2"])]);
    assert_eq!(h.run(&["EXISTS", "a"]), int(0));
    h.run(&["SELECT", "2"]);
    assert_eq!(h.run(&["GET", "a"]), bulk("1"));
    assert_eq!(h.run(&["TTL", "a"]), int(100));
}

#[test]
fn move_refuses_when_missing_or_taken() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["MOVE", "a", "1"]), int(0));
    h.run(&["SET", "a", "here"]);
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "a", "there"]);
    h.run(&["SELECT", "0"]);
    assert_eq!(h.run(&["MOVE", "a", "1"]), int(0));
    assert_eq!(h.run(&["GET", "a"]), bulk("here"));
}

#[test]
fn move_errors() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    assert_eq!(
        h.run(&["MOVE", "a", "0"]),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(
        h.run(&["MOVE", "a", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["MOVE", "a", "99"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        h.run(&["MOVE", "a", "4294967296"]),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn object_encoding_and_refcount() {
    let mut h = Harness::new();
    h.run(&["SET", "small", "100"]);
    h.run(&["SET", "big", "10000"]);
    h.run(&["SET", "neg", "-1"]);
    h.run(&["SET", "s", "hello"]);
    h.run(&["SET", "long", &"x".repeat(50)]);
    assert_eq!(h.run(&["OBJECT", "ENCODING", "small"]), bulk("int"));
    assert_eq!(h.run(&["object", "encoding", "s"]), bulk("embstr"));
    assert_eq!(h.run(&["OBJECT", "ENCODING", "long"]), bulk("raw"));
    assert_eq!(h.run(&["OBJECT", "ENCODING", "nope"]), Frame::Null);
    assert_eq!(h.run(&["OBJECT", "REFCOUNT", "small"]), int(2147483647));
    assert_eq!(h.run(&["OBJECT", "REFCOUNT", "big"]), int(1));
    assert_eq!(h.run(&["OBJECT", "REFCOUNT", "neg"]), int(1));
    assert_eq!(h.run(&["OBJECT", "REFCOUNT", "s"]), int(1));
    assert_eq!(h.run(&["OBJECT", "REFCOUNT", "nope"]), Frame::Null);
}

#[test]
fn object_idletime_does_not_touch_the_key() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    h.advance(3_000);
    assert_eq!(h.run(&["OBJECT", "IDLETIME", "a"]), int(3));
    assert_eq!(h.run(&["TYPE", "a"]), simple("string"));
    assert_eq!(h.run(&["TTL", "a"]), int(-1));
    h.advance(2_000);
    assert_eq!(h.run(&["OBJECT", "IDLETIME", "a"]), int(5));
    h.run(&["GET", "a"]);
    assert_eq!(h.run(&["OBJECT", "IDLETIME", "a"]), int(0));
    assert_eq!(h.run(&["OBJECT", "IDLETIME", "nope"]), Frame::Null);
}

#[test]
fn object_freq_needs_an_lfu_policy() {
    let mut h = Harness::new();
    h.run(&["SET", "a", "1"]);
    assert_eq!(
        h.run(&["OBJECT", "FREQ", "a"]),
        err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    );
    assert_eq!(h.run(&["OBJECT", "FREQ", "nope"]), Frame::Null);
}

#[test]
fn object_help_and_bad_subcommands() {
    let mut h = Harness::new();
    let Frame::Array(lines) = h.run(&["OBJECT", "HELP"]) else {
        unreachable!("OBJECT HELP answers an array")
    };
    assert_eq!(
        lines[0],
        Frame::Simple(Bytes::from_static(
            b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
        ))
    );
    assert_eq!(lines.len(), 15);
    assert_eq!(
        h.run(&["OBJECT", "FOO", "a"]),
        err("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
    );
    assert_eq!(
        h.run(&["OBJECT", "ENCODING"]),
        err("ERR wrong number of arguments for 'object|encoding' command")
    );
    assert_eq!(
        h.run(&["OBJECT"]),
        err("ERR wrong number of arguments for 'object' command")
    );
}
