//! RESTORE of payloads in the older forms Redis wrote, built by hand from the documented
//! layouts, and of random bytes.

use crate::rdb::legacy::tests::{build_ziplist, build_zipmap, Zl};
use crate::rdb::length::{write_len, write_string};
use crate::rdb::seal;
use crate::rdb::value::kind;
use crate::testing::*;
use proptest::prelude::*;
use shoal_resp::Frame;

fn restore(h: &mut Harness, key: &str, body: Vec<u8>, version: u16) -> Frame {
    let p = seal(body, version);
    h.run_bin(&[b"RESTORE", key.as_bytes(), b"0", &p])
}

fn blob(t: u8, b: &[u8]) -> Vec<u8> {
    let mut out = vec![t];
    write_string(&mut out, b, false);
    out
}

#[test]
fn restore_reads_ziplist_lists_hashes_and_zsets() {
    let mut h = Harness::new();
    let zl = build_ziplist(&[Zl::S(b"a"), Zl::I(5), Zl::S(b"b")]);
    assert_eq!(restore(&mut h, "l", blob(kind::LIST_ZIPLIST, &zl), 6), ok());
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&["a", "5", "b"]));
    let zl = build_ziplist(&[Zl::S(b"f"), Zl::I(-300), Zl::S(b"g"), Zl::S(b"x")]);
    assert_eq!(restore(&mut h, "h", blob(kind::HASH_ZIPLIST, &zl), 9), ok());
    assert_eq!(h.run(&["HGET", "h", "f"]), bulk("-300"));
    assert_eq!(h.encoding("h"), Some("listpack"));
    let zl = build_ziplist(&[Zl::S(b"m"), Zl::S(b"1.5"), Zl::S(b"n"), Zl::I(-2)]);
    assert_eq!(restore(&mut h, "z", blob(kind::ZSET_ZIPLIST, &zl), 9), ok());
    assert_eq!(h.run(&["ZRANGE", "z", "0", "-1"]), bulks(&["n", "m"]));
    assert_eq!(h.encoding("z"), Some("listpack"));
}

#[test]
fn restore_reads_a_quicklist_of_ziplists() {
    let mut h = Harness::new();
    let mut body = vec![kind::LIST_QUICKLIST];
    write_len(&mut body, 3);
    write_string(&mut body, &build_ziplist(&[Zl::S(b"a"), Zl::I(1)]), false);
    write_string(&mut body, &build_ziplist(&[]), false);
    write_string(&mut body, &build_ziplist(&[Zl::I(1 << 40)]), true);
    assert_eq!(restore(&mut h, "q", body, 9), ok());
    let big = (1i64 << 40).to_string();
    assert_eq!(h.run(&["LRANGE", "q", "0", "-1"]), bulks(&["a", "1", &big]));
}

#[test]
fn restore_reads_a_zipmap_hash() {
    let mut h = Harness::new();
    let zm = build_zipmap(&[(&b"name"[..], &b"shoal"[..]), (b"n", b"7")], 3);
    assert_eq!(restore(&mut h, "h", blob(kind::HASH_ZIPMAP, &zm), 1), ok());
    assert_eq!(h.run(&["HGET", "h", "name"]), bulk("shoal"));
    assert_eq!(h.run(&["HLEN", "h"]), int(2));
}

#[test]
fn restore_reads_plain_lists_and_text_scored_zsets() {
    let mut h = Harness::new();
    let mut body = vec![kind::LIST];
    write_len(&mut body, 2);
    write_string(&mut body, b"x", false);
    write_string(&mut body, b"12", false);
    assert_eq!(restore(&mut h, "l", body, 5), ok());
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&["x", "12"]));
    let mut body = vec![kind::ZSET];
    write_len(&mut body, 3);
    for (m, score) in [
        (&b"a"[..], &b"\x032.5"[..]),
        (b"b", b"\xfe"),
        (b"c", b"\xff"),
    ] {
        write_string(&mut body, m, false);
        body.extend_from_slice(score);
    }
    assert_eq!(restore(&mut h, "z", body, 5), ok());
    assert_eq!(h.run(&["ZRANGE", "z", "0", "-1"]), bulks(&["c", "a", "b"]));
}

#[test]
fn restore_reads_a_listpack_set_of_rdb_11() {
    let mut h = Harness::new();
    let mut w = crate::rdb::listpack::Writer::default();
    w.push(b"a");
    w.push(b"7");
    assert_eq!(
        restore(&mut h, "s", blob(kind::SET_LISTPACK, &w.finish()), 11),
        ok()
    );
    assert_eq!(h.run(&["SCARD", "s"]), int(2));
    assert_eq!(h.encoding("s"), Some("listpack"));
}

#[test]
fn restore_refuses_field_ttl_hashes_and_odd_pair_lists() {
    let mut h = Harness::new();
    let bad = err("ERR Bad data format");
    assert_eq!(restore(&mut h, "h", vec![25, 0], 12), bad);
    let zl = build_ziplist(&[Zl::S(b"f")]);
    assert_eq!(restore(&mut h, "h", blob(kind::HASH_ZIPLIST, &zl), 9), bad);
    assert_eq!(h.run(&["EXISTS", "h"]), int(0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn restore_of_random_bytes_answers_an_error(t in 0u8..30, body in proptest::collection::vec(any::<u8>(), 0..80)) {
        let mut h = Harness::new();
        let mut b = vec![t];
        b.extend(body);
        let r = restore(&mut h, "k", b, 10);
        prop_assert!(r == ok() || matches!(r, Frame::Error(_)));
        let raw = h.run_bin(&[b"RESTORE", b"k2", b"0", &[t, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
        prop_assert!(matches!(raw, Frame::Error(_)));
    }
}
