//! Command tests for BITFIELD and BITFIELD_RO.

use super::tests::{effects, encoding, strlen, words};
use crate::testing::*;
use shoal_resp::Frame;

const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";

fn ints(v: &[i64]) -> Frame {
    arr(v.iter().map(|&n| int(n)).collect())
}

#[test]
fn bitfield_doc_example_incrby_and_get() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["BITFIELD", "mykey", "INCRBY", "i5", "100", "1", "GET", "u4", "0"]),
        ints(&[1, 0])
    );
    assert_eq!(strlen(&h, "mykey"), 14);
    assert_eq!(encoding(&h, "mykey"), "raw");
}

#[test]
fn bitfield_overflow_policies_apply_to_later_ops() {
    let mut h = Harness::new();
    let cmd = [
        "BITFIELD", "mykey", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102",
        "1",
    ];
    assert_eq!(h.run(&cmd), ints(&[1, 1]));
    assert_eq!(h.run(&cmd), ints(&[2, 2]));
    assert_eq!(h.run(&cmd), ints(&[3, 3]));
    assert_eq!(h.run(&cmd), ints(&[0, 3]));
    assert_eq!(
        h.run(&["BITFIELD", "mykey", "OVERFLOW", "FAIL", "INCRBY", "u2", "102", "1"]),
        arr(vec![Frame::Null])
    );
    assert_eq!(
        h.run(&["BITFIELD", "mykey", "OVERFLOW", "fail", "INCRBY", "u2", "102", "-1"]),
        ints(&[2])
    );
}

#[test]
fn bitfield_set_returns_old_value_and_wraps_or_saturates() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["BITFIELD", "k", "SET", "i8", "0", "200"]),
        ints(&[0])
    );
    assert_eq!(h.run(&["BITFIELD", "k", "GET", "i8", "0"]), ints(&[-56]));
    assert_eq!(h.run(&["BITFIELD", "k", "GET", "u8", "0"]), ints(&[200]));
    assert_eq!(
        h.run(&["BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "0", "-1"]),
        ints(&[200])
    );
    assert_eq!(h.run(&["BITFIELD", "k", "GET", "u8", "0"]), ints(&[255]));
    assert_eq!(
        h.run(&["BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", "0", "-1000"]),
        ints(&[-1])
    );
    assert_eq!(h.run(&["BITFIELD", "k", "GET", "i8", "0"]), ints(&[-128]));
    assert_eq!(
        h.run(&["BITFIELD", "k", "SET", "u8", "0", "257", "GET", "u8", "0"]),
        ints(&[128, 1])
    );
}

#[test]
fn bitfield_positional_offsets_multiply_by_width() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["BITFIELD", "k", "SET", "u8", "#1", "65", "SET", "u8", "#0", "66"]),
        ints(&[0, 0])
    );
    assert_eq!(h.run(&["GET", "k"]), bulk("BA"));
    assert_eq!(h.run(&["BITFIELD", "k", "GET", "u4", "#3"]), ints(&[1]));
}

#[test]
fn bitfield_64_bit_signed_fields() {
    let mut h = Harness::new();
    let max = i64::MAX.to_string();
    assert_eq!(
        h.run(&["BITFIELD", "k", "SET", "i64", "3", &max]),
        ints(&[0])
    );
    assert_eq!(
        h.run(&["BITFIELD", "k", "GET", "i64", "3"]),
        ints(&[i64::MAX])
    );
    assert_eq!(
        h.run(&["BITFIELD", "k", "INCRBY", "i64", "3", "1"]),
        ints(&[i64::MIN])
    );
    assert_eq!(
        h.run(&["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "3", "-1"]),
        ints(&[i64::MIN])
    );
    assert_eq!(
        h.run(&["BITFIELD", "u", "SET", "u63", "0", &max, "GET", "u63", "0"]),
        ints(&[0, i64::MAX])
    );
}

#[test]
fn bitfield_get_reads_missing_keys_and_bits_past_the_end_as_zero() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["BITFIELD", "missing", "GET", "u8", "0", "GET", "i4", "100"]),
        ints(&[0, 0])
    );
    assert_eq!(encoding(&h, "missing"), "none");
    assert_eq!(h.run(&["BITFIELD", "missing"]), arr(vec![]));
    h.run(&["SET", "k", "A"]);
    assert_eq!(
        h.run(&["BITFIELD", "k", "GET", "u16", "0"]),
        ints(&[0x4100])
    );
    assert_eq!(h.run(&["BITFIELD_RO", "k", "GET", "u8", "0"]), ints(&[65]));
}

#[test]
fn bitfield_refuses_bad_types_offsets_and_subcommands() {
    let mut h = Harness::new();
    for t in ["u64", "i65", "i0", "U8", "x8", "i", "u-1"] {
        assert_eq!(
            h.run(&["BITFIELD", "k", "GET", t, "0"]),
            err(BAD_TYPE),
            "{t}"
        );
    }
    for o in ["-1", "#-1", "x", "#", "4294967296", "#536870912"] {
        assert_eq!(
            h.run(&["BITFIELD", "k", "GET", "u8", o]),
            err(BAD_OFFSET),
            "{o}"
        );
    }
    assert_eq!(
        h.run(&["BITFIELD", "k", "GET", "u8"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["BITFIELD", "k", "SET", "u8", "0"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["BITFIELD", "k", "FOO", "u8", "0"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["BITFIELD", "k", "OVERFLOW"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["BITFIELD", "k", "OVERFLOW", "BAD", "GET", "u8", "0"]),
        err("ERR Invalid OVERFLOW type specified")
    );
    assert_eq!(
        h.run(&["BITFIELD", "k", "SET", "u8", "0", "x"]),
        err("ERR value is not an integer or out of range")
    );
    // A later error refuses the whole command: nothing is written.
    assert_eq!(
        h.run(&["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u99", "0"]),
        err(BAD_TYPE)
    );
    assert_eq!(encoding(&h, "k"), "none");
}

#[test]
fn bitfield_ro_accepts_only_get() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["BITFIELD_RO", "k", "GET", "u8", "0", "SET", "u8", "0", "1"]),
        err("ERR BITFIELD_RO only supports the GET subcommand")
    );
    assert_eq!(
        h.run(&["BITFIELD_RO", "k", "SET", "u99", "0", "1"]),
        err(BAD_TYPE)
    );
    assert_eq!(
        h.run(&["BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"]),
        ints(&[0])
    );
    assert_eq!(encoding(&h, "k"), "none");
}

#[test]
fn bitfield_failing_writes_still_grow_the_string() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "8", "1000"]),
        arr(vec![Frame::Null])
    );
    assert_eq!(strlen(&h, "k"), 2);
}

#[test]
fn bitfield_replicates_only_when_the_string_changes() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "A"]);
    let rx = h.engine.subscribe_effects();
    h.run(&["BITFIELD", "k", "GET", "u8", "0"]);
    h.run(&[
        "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000",
    ]);
    h.run(&["BITFIELD", "k", "SET", "u8", "0", "65"]);
    h.run(&["BITFIELD", "k", "SET", "u8", "0", "66", "GET", "u8", "0"]);
    h.run(&[
        "BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "8", "1000",
    ]);
    assert_eq!(
        effects(&rx),
        vec![
            words(&["BITFIELD", "k", "SET", "u8", "0", "66", "GET", "u8", "0"]),
            words(&["BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "8", "1000"]),
        ]
    );
}
