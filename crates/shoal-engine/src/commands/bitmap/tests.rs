//! Command tests for the bitmap family (BITFIELD's are in `field_tests.rs`).

use crate::testing::*;
use shoal_resp::Frame;

pub(super) use crate::testing::effect_texts as effects;

/// The encoding of `key` in db 0, or "none".
pub(super) fn encoding(h: &Harness, key: &str) -> &'static str {
    h.encoding(key).unwrap_or("none")
}

/// The length of the string under `key` in db 0 (0 if missing).
pub(super) fn strlen(h: &Harness, key: &str) -> usize {
    let ks = &h.engine.inner().keyspace;
    let shard = ks.lock(crate::keyspace::Keyspace::shard_of(key.as_bytes()));
    shard.dbs[0]
        .get(key.as_bytes())
        .and_then(|e| e.value.as_str().ok().map(|s| s.len()))
        .unwrap_or(0)
}

pub(super) fn words(s: &[&str]) -> Vec<String> {
    s.iter().map(|w| w.to_string()).collect()
}

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";

#[test]
fn setbit_returns_old_bit_and_grows_with_zero_bytes() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SETBIT", "k", "7", "1"]), int(0));
    assert_eq!(h.run(&["SETBIT", "k", "7", "0"]), int(1));
    assert_eq!(h.run(&["GET", "k"]), bulk("\x00"));
    assert_eq!(h.run(&["SETBIT", "k", "1", "1"]), int(0));
    assert_eq!(h.run(&["SETBIT", "k", "23", "1"]), int(0));
    assert_eq!(h.run_bin(&[b"GET", b"k"]), bulk(b"\x40\x00\x01"));
}

#[test]
fn setbit_makes_the_value_raw_and_keeps_its_ttl() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "12", "EX", "100"]);
    assert_eq!(h.run(&["SETBIT", "k", "6", "1"]), int(0));
    assert_eq!(h.run(&["GET", "k"]), bulk("32"));
    assert_eq!(encoding(&h, "k"), "raw");
    h.advance(100_001);
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    h.run(&["SET", "s", "a"]);
    assert_eq!(encoding(&h, "s"), "embstr");
    assert_eq!(h.run(&["SETBIT", "s", "0", "0"]), int(0));
    assert_eq!(encoding(&h, "s"), "raw");
    h.run(&["SETBIT", "new", "0", "1"]);
    assert_eq!(encoding(&h, "new"), "raw");
}

#[test]
fn setbit_refuses_bad_offsets_and_bits() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["SETBIT", "k", "-1", "1"]), err(BAD_OFFSET));
    assert_eq!(h.run(&["SETBIT", "k", "x", "1"]), err(BAD_OFFSET));
    assert_eq!(h.run(&["SETBIT", "k", "4294967296", "1"]), err(BAD_OFFSET));
    assert_eq!(h.run(&["GETBIT", "k", "4294967296"]), err(BAD_OFFSET));
    let bad_bit = err("ERR bit is not an integer or out of range");
    assert_eq!(h.run(&["SETBIT", "k", "0", "2"]), bad_bit);
    assert_eq!(h.run(&["SETBIT", "k", "0", "x"]), bad_bit);
    assert_eq!(h.run(&["SETBIT", "k", "x", "2"]), err(BAD_OFFSET));
    assert_eq!(
        h.run(&["SETBIT", "k", "0"]),
        err("ERR wrong number of arguments for 'setbit' command")
    );
    assert_eq!(encoding(&h, "k"), "none");
}

#[test]
fn setbit_offset_limit_follows_proto_max_bulk_len() {
    let mut h = Harness::new();
    assert!(h
        .engine
        .inner()
        .config
        .set("proto-max-bulk-len", "1mb")
        .is_ok());
    let last = (1024 * 1024 * 8 - 1).to_string();
    let past = (1024 * 1024 * 8).to_string();
    assert_eq!(h.run(&["SETBIT", "k", &past, "1"]), err(BAD_OFFSET));
    assert_eq!(h.run(&["SETBIT", "k", &last, "1"]), int(0));
    assert_eq!(strlen(&h, "k"), 1024 * 1024);
    assert_eq!(h.run(&["GETBIT", "k", &last]), int(1));
}

#[test]
fn getbit_reads_bits_past_the_end_and_missing_keys_as_zero() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["GETBIT", "missing", "0"]), int(0));
    h.run(&["SET", "k", "`"]); // 0x60
    assert_eq!(h.run(&["GETBIT", "k", "0"]), int(0));
    assert_eq!(h.run(&["GETBIT", "k", "1"]), int(1));
    assert_eq!(h.run(&["GETBIT", "k", "2"]), int(1));
    assert_eq!(h.run(&["GETBIT", "k", "100"]), int(0));
    h.run(&["SET", "n", "1"]); // int encoded, text "1" = 0x31
    assert_eq!(h.run(&["GETBIT", "n", "2"]), int(1));
    assert_eq!(h.run(&["GETBIT", "n", "7"]), int(1));
    assert_eq!(h.run(&["GETBIT", "n", "6"]), int(0));
}

#[test]
fn setbit_replicates_only_when_the_string_changes() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    h.run(&["SETBIT", "k", "3", "1"]);
    h.run(&["SETBIT", "k", "3", "1"]);
    h.run(&["SETBIT", "k", "2", "0"]);
    h.run(&["SETBIT", "k", "9", "0"]);
    assert_eq!(
        effects(&rx),
        vec![
            words(&["SETBIT", "k", "3", "1"]),
            words(&["SETBIT", "k", "9", "0"])
        ]
    );
}

#[test]
fn bitcount_counts_whole_string_and_byte_ranges() {
    let mut h = Harness::new();
    h.run(&["SET", "mykey", "foobar"]);
    assert_eq!(h.run(&["BITCOUNT", "mykey"]), int(26));
    assert_eq!(h.run(&["BITCOUNT", "mykey", "0", "0"]), int(4));
    assert_eq!(h.run(&["BITCOUNT", "mykey", "1", "1"]), int(6));
    assert_eq!(h.run(&["BITCOUNT", "mykey", "1", "1", "BYTE"]), int(6));
    assert_eq!(h.run(&["BITCOUNT", "mykey", "5", "30", "BIT"]), int(17));
    assert_eq!(h.run(&["BITCOUNT", "mykey", "-2", "-1"]), int(7));
    assert_eq!(h.run(&["BITCOUNT", "mykey", "0", "-1", "bit"]), int(26));
    assert_eq!(h.run(&["BITCOUNT", "mykey", "2", "1"]), int(0));
    assert_eq!(h.run(&["BITCOUNT", "mykey", "0", "1000"]), int(26));
    assert_eq!(h.run(&["BITCOUNT", "missing"]), int(0));
    assert_eq!(h.run(&["BITCOUNT", "missing", "0", "-1"]), int(0));
}

#[test]
fn bitcount_crossed_negative_range_is_empty_before_clamping() {
    let mut h = Harness::new();
    h.run(&["SET", "t", "abc"]);
    assert_eq!(h.run(&["BITCOUNT", "t", "-5", "-10"]), int(0));
    assert_eq!(h.run(&["BITCOUNT", "t", "-100", "-10"]), int(3));
    h.run(&["SET", "e", ""]);
    assert_eq!(h.run(&["BITCOUNT", "e"]), int(0));
    assert_eq!(h.run(&["BITCOUNT", "e", "0", "-1", "BIT"]), int(0));
}

#[test]
fn bitcount_refuses_bad_arguments_even_for_missing_keys() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "foobar"]);
    for key in ["k", "missing"] {
        assert_eq!(h.run(&["BITCOUNT", key, "1"]), err("ERR syntax error"));
        assert_eq!(
            h.run(&["BITCOUNT", key, "0", "1", "WORD"]),
            err("ERR syntax error")
        );
        assert_eq!(
            h.run(&["BITCOUNT", key, "0", "1", "BIT", "x"]),
            err("ERR syntax error")
        );
        assert_eq!(
            h.run(&["BITCOUNT", key, "x", "1"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run(&["BITCOUNT", key, "1", "x", "foo"]),
            err("ERR value is not an integer or out of range")
        );
    }
}

#[test]
fn bitpos_finds_set_and_clear_bits_in_ranges() {
    let mut h = Harness::new();
    h.run_bin(&[b"SET", b"mykey", b"\xff\xf0\x00"]);
    assert_eq!(h.run(&["BITPOS", "mykey", "0"]), int(12));
    h.run_bin(&[b"SET", b"mykey", b"\x00\xff\xf0"]);
    assert_eq!(h.run(&["BITPOS", "mykey", "1", "0"]), int(8));
    assert_eq!(h.run(&["BITPOS", "mykey", "1", "2"]), int(16));
    assert_eq!(h.run(&["BITPOS", "mykey", "1", "2", "-1", "BYTE"]), int(16));
    assert_eq!(h.run(&["BITPOS", "mykey", "1", "7", "15", "BIT"]), int(8));
    assert_eq!(h.run(&["BITPOS", "mykey", "1", "7", "-3", "BIT"]), int(8));
    assert_eq!(h.run(&["BITPOS", "mykey", "0", "9", "-1", "bit"]), int(20));
    assert_eq!(h.run(&["BITPOS", "mykey", "1", "2", "1"]), int(-1));
    h.run_bin(&[b"SET", b"mykey", b"\x00\x00\x00"]);
    assert_eq!(h.run(&["BITPOS", "mykey", "1"]), int(-1));
    h.run(&["SET", "t", "abc"]);
    assert_eq!(h.run(&["BITPOS", "t", "1", "-5", "-10"]), int(1));
}

#[test]
fn bitpos_clear_bit_in_all_ones_depends_on_explicit_end() {
    let mut h = Harness::new();
    h.run_bin(&[b"SET", b"ones", b"\xff\xff\xff"]);
    assert_eq!(h.run(&["BITPOS", "ones", "0"]), int(24));
    assert_eq!(h.run(&["BITPOS", "ones", "0", "1"]), int(24));
    assert_eq!(h.run(&["BITPOS", "ones", "0", "0", "-1"]), int(-1));
    assert_eq!(h.run(&["BITPOS", "ones", "0", "0", "-1", "BIT"]), int(-1));
    assert_eq!(h.run(&["BITPOS", "ones", "1", "3", "2"]), int(-1));
    assert_eq!(h.run(&["BITPOS", "ones", "0", "5"]), int(-1));
    h.run(&["SET", "e", ""]);
    assert_eq!(h.run(&["BITPOS", "e", "0"]), int(-1));
    assert_eq!(h.run(&["BITPOS", "e", "1"]), int(-1));
}

#[test]
fn bitpos_on_missing_key_reads_an_endless_zero_string() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["BITPOS", "missing", "1"]), int(-1));
    assert_eq!(h.run(&["BITPOS", "missing", "0"]), int(0));
    assert_eq!(h.run(&["BITPOS", "missing", "0", "5", "10"]), int(0));
}

#[test]
fn bitpos_refuses_bad_arguments() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "abc"]);
    for key in ["k", "missing"] {
        assert_eq!(
            h.run(&["BITPOS", key, "2"]),
            err("ERR The bit argument must be 1 or 0.")
        );
        assert_eq!(
            h.run(&["BITPOS", key, "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run(&["BITPOS", key, "0", "1", "x", "foo"]),
            err("ERR syntax error")
        );
        assert_eq!(
            h.run(&["BITPOS", key, "0", "1", "x", "bit"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            h.run(&["BITPOS", key, "1", "1", "2", "BIT", "4"]),
            err("ERR syntax error")
        );
    }
}

#[test]
fn bitop_combines_sources_zero_padding_shorter_ones() {
    let mut h = Harness::new();
    h.run(&["SET", "key1", "foobar"]);
    h.run(&["SET", "key2", "abcdef"]);
    assert_eq!(h.run(&["BITOP", "AND", "dest", "key1", "key2"]), int(6));
    assert_eq!(h.run(&["GET", "dest"]), bulk("`bc`ab"));
    h.run_bin(&[b"SET", b"a", b"\xf0\x0f"]);
    h.run_bin(&[b"SET", b"b", b"\x0f"]);
    assert_eq!(h.run(&["BITOP", "or", "d", "a", "b"]), int(2));
    assert_eq!(h.run_bin(&[b"GET", b"d"]), bulk(b"\xff\x0f"));
    assert_eq!(h.run(&["BITOP", "XOR", "d", "a", "b", "a"]), int(2));
    assert_eq!(h.run_bin(&[b"GET", b"d"]), bulk(b"\x0f\x00"));
    assert_eq!(h.run(&["BITOP", "AND", "d", "a", "b"]), int(2));
    assert_eq!(h.run_bin(&[b"GET", b"d"]), bulk(b"\x00\x00"));
    assert_eq!(h.run(&["BITOP", "AND", "d", "a", "nope"]), int(2));
    assert_eq!(h.run_bin(&[b"GET", b"d"]), bulk(b"\x00\x00"));
    assert_eq!(h.run(&["BITOP", "NOT", "d", "a"]), int(2));
    assert_eq!(h.run_bin(&[b"GET", b"d"]), bulk(b"\x0f\xf0"));
    assert_eq!(encoding(&h, "d"), "raw");
}

#[test]
fn bitop_result_replaces_destination_and_clears_its_ttl() {
    let mut h = Harness::new();
    h.run(&["SET", "d", "old", "EX", "10"]);
    h.run(&["SET", "a", "x"]);
    assert_eq!(h.run(&["BITOP", "OR", "d", "a"]), int(1));
    h.advance(20_000);
    assert_eq!(h.run(&["GET", "d"]), bulk("x"));
}

#[test]
fn bitop_with_empty_result_deletes_destination() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    h.run(&["SET", "d", "old"]);
    assert_eq!(h.run(&["BITOP", "NOT", "d", "missing"]), int(0));
    assert_eq!(encoding(&h, "d"), "none");
    assert_eq!(h.run(&["BITOP", "AND", "d", "m1", "m2"]), int(0));
    h.run(&["SET", "a", "x"]);
    h.run(&["BITOP", "AND", "d", "a", "m1"]);
    assert_eq!(
        effects(&rx),
        vec![
            words(&["SET", "d", "old"]),
            words(&["DEL", "d"]),
            words(&["SET", "a", "x"]),
            words(&["BITOP", "AND", "d", "a", "m1"]),
        ]
    );
}

#[test]
fn bitop_refuses_unknown_ops_and_not_with_several_keys() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["BITOP", "NAND", "d", "a"]), err("ERR syntax error"));
    let single = err("ERR BITOP NOT must be called with a single source key.");
    assert_eq!(h.run(&["BITOP", "NOT", "d", "a", "b"]), single);
    assert_eq!(
        h.run(&["BITOP", "AND", "d"]),
        err("ERR wrong number of arguments for 'bitop' command")
    );
}

#[test]
fn bitmap_declarations_match_redis() {
    use crate::command::{acl, flags, Group};
    let h = Harness::new();
    let table = h.engine.inner().commands();
    let expect = [
        ("setbit", 4, flags::WRITE | flags::DENYOOM, (1, 1, 1)),
        ("getbit", 3, flags::READONLY | flags::FAST, (1, 1, 1)),
        ("bitcount", -2, flags::READONLY, (1, 1, 1)),
        ("bitpos", -3, flags::READONLY, (1, 1, 1)),
        ("bitop", -4, flags::WRITE | flags::DENYOOM, (2, -1, 1)),
        ("bitfield", -2, flags::WRITE | flags::DENYOOM, (1, 1, 1)),
        ("bitfield_ro", -2, flags::READONLY | flags::FAST, (1, 1, 1)),
    ];
    for (name, arity, fl, (first, last, step)) in expect {
        let spec = table.get(name.as_bytes());
        assert!(spec.is_some(), "{name}");
        if let Some(s) = spec {
            assert_eq!((s.arity, s.flags), (arity, fl), "{name}");
            assert_eq!((s.first_key, s.last_key, s.key_step), (first, last, step));
            assert_eq!(s.group, Group::Bitmap);
            assert!(s.acl_categories() & acl::BITMAP != 0);
        }
    }
}
