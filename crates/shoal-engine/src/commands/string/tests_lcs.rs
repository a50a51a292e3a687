//! LCS tests: replies observed on Redis 7, errors, and a model check.

use crate::testing::*;
use shoal_resp::Frame;

const NOT_INT: &str = "ERR value is not an integer or out of range";

fn lcs_setup(h: &mut Harness) {
    h.run(&["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
}

#[test]
fn lcs_returns_string_and_length() {
    let mut h = Harness::new();
    lcs_setup(&mut h);
    assert_eq!(h.run(&["LCS", "key1", "key2"]), bulk("mytext"));
    assert_eq!(h.run(&["LCS", "key1", "key2", "LEN"]), int(6));
    assert_eq!(h.run(&["LCS", "key1", "nokey"]), bulk(""));
    assert_eq!(h.run(&["LCS", "nokey", "nokey", "len"]), int(0));
}

#[test]
fn lcs_idx_reports_blocks_from_the_end() {
    let mut h = Harness::new();
    lcs_setup(&mut h);
    let pair = |a: i64, b: i64| arr(vec![int(a), int(b)]);
    let expect = Frame::Map(vec![
        (
            bulk("matches"),
            arr(vec![
                arr(vec![pair(4, 7), pair(5, 8)]),
                arr(vec![pair(2, 3), pair(0, 1)]),
            ]),
        ),
        (bulk("len"), int(6)),
    ]);
    assert_eq!(h.run(&["LCS", "key1", "key2", "IDX"]), expect);
    let expect = Frame::Map(vec![
        (
            bulk("matches"),
            arr(vec![arr(vec![pair(4, 7), pair(5, 8), int(4)])]),
        ),
        (bulk("len"), int(6)),
    ]);
    assert_eq!(
        h.run(&[
            "LCS",
            "key1",
            "key2",
            "IDX",
            "MINMATCHLEN",
            "4",
            "WITHMATCHLEN"
        ]),
        expect
    );
    let all = h.run(&["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-3"]);
    assert_eq!(all, h.run(&["LCS", "key1", "key2", "IDX"]));
}

#[test]
fn lcs_idx_breaks_blocks_where_redis_does() {
    let mut h = Harness::new();
    h.run(&[
        "MSET",
        "a",
        "abcdefgxyzabcdefg",
        "b",
        "xabcdefgyyyyabcdef",
        "e",
        "",
    ]);
    assert_eq!(h.run(&["LCS", "a", "b"]), bulk("abcdefgyabcdef"));
    let block = |a0: i64, a1: i64, b0: i64, b1: i64| {
        arr(vec![
            arr(vec![int(a0), int(a1)]),
            arr(vec![int(b0), int(b1)]),
            int(a1 - a0 + 1),
        ])
    };
    let expect = Frame::Map(vec![
        (
            bulk("matches"),
            arr(vec![
                block(10, 15, 12, 17),
                block(8, 8, 8, 8),
                block(0, 6, 1, 7),
            ]),
        ),
        (bulk("len"), int(14)),
    ]);
    assert_eq!(h.run(&["LCS", "a", "b", "IDX", "WITHMATCHLEN"]), expect);
    let whole = Frame::Map(vec![
        (bulk("matches"), arr(vec![block(0, 16, 0, 16)])),
        (bulk("len"), int(17)),
    ]);
    assert_eq!(h.run(&["LCS", "a", "a", "IDX", "WITHMATCHLEN"]), whole);
    let empty = Frame::Map(vec![(bulk("matches"), arr(vec![])), (bulk("len"), int(0))]);
    assert_eq!(h.run(&["LCS", "e", "e", "IDX"]), empty);
    assert_eq!(h.run(&["LCS", "e", "a"]), bulk(""));
}

#[test]
fn lcs_idx_is_a_flat_array_in_resp2_and_a_map_in_resp3() {
    use shoal_resp::{encode_to_vec, Protocol};
    let mut h = Harness::new();
    h.run(&["MSET", "a", "ab", "b", "ab"]);
    let reply = h.run(&["LCS", "a", "b", "IDX"]);
    let resp2 = encode_to_vec(&reply, Protocol::Resp2);
    assert!(resp2.starts_with(b"*4\r\n$7\r\nmatches\r\n"));
    let resp3 = encode_to_vec(&reply, Protocol::Resp3);
    assert!(resp3.starts_with(b"%2\r\n$7\r\nmatches\r\n"));
}

#[test]
fn lcs_refuses_bad_options() {
    let mut h = Harness::new();
    lcs_setup(&mut h);
    assert_eq!(
        h.run(&["LCS", "key1", "key2", "IDX", "LEN"]),
        err("ERR If you want both the length and indexes, please just use IDX.")
    );
    assert_eq!(
        h.run(&["LCS", "key1", "key2", "FOO"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["LCS", "key1", "key2", "MINMATCHLEN"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["LCS", "key1", "key2", "MINMATCHLEN", "x"]),
        err(NOT_INT)
    );
    assert_eq!(
        h.run(&["LCS", "key1"]),
        err("ERR wrong number of arguments for 'lcs' command")
    );
    assert!(h
        .engine
        .inner()
        .config
        .set("proto-max-bulk-len", "1mb")
        .is_ok());
    h.run(&["SET", "big", &"a".repeat(2000)]);
    assert_eq!(
        h.run(&["LCS", "big", "big", "LEN"]),
        err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    );
}

mod model {
    use crate::testing::*;
    use proptest::prelude::*;
    use shoal_resp::Frame;

    fn is_subsequence(s: &[u8], of: &[u8]) -> bool {
        let mut it = of.iter();
        s.iter().all(|c| it.any(|x| x == c))
    }

    /// Plain O(n*m) LCS length.
    fn lcs_len(a: &[u8], b: &[u8]) -> usize {
        let mut row = vec![0usize; b.len() + 1];
        for &x in a {
            let mut diag = 0;
            for j in 1..=b.len() {
                let up = row[j];
                row[j] = if x == b[j - 1] {
                    diag + 1
                } else {
                    up.max(row[j - 1])
                };
                diag = up;
            }
        }
        row[b.len()]
    }

    fn ints(f: &Frame) -> Vec<i64> {
        match f {
            Frame::Integer(n) => vec![*n],
            Frame::Array(v) => v.iter().flat_map(ints).collect(),
            _ => Vec::new(),
        }
    }

    proptest! {
        #[test]
        fn lcs_agrees_with_model(a in "[abc]{0,12}", b in "[abc]{0,12}") {
            let mut h = Harness::new();
            h.run(&["MSET", "a", &a, "b", &b]);
            let want = lcs_len(a.as_bytes(), b.as_bytes());
            let Frame::Bulk(s) = h.run(&["LCS", "a", "b"]) else {
                return Err(TestCaseError::fail("not a bulk reply"));
            };
            prop_assert_eq!(s.len(), want);
            prop_assert!(is_subsequence(&s, a.as_bytes()) && is_subsequence(&s, b.as_bytes()));
            prop_assert_eq!(h.run(&["LCS", "a", "b", "LEN"]), int(want as i64));
            let Frame::Map(pairs) = h.run(&["LCS", "a", "b", "IDX", "WITHMATCHLEN"]) else {
                return Err(TestCaseError::fail("not a map reply"));
            };
            prop_assert_eq!(&pairs[1], &(bulk("len"), int(want as i64)));
            let Frame::Array(blocks) = &pairs[0].1 else {
                return Err(TestCaseError::fail("matches is not an array"));
            };
            let mut total = 0;
            for block in blocks {
                let n = ints(block);
                prop_assert_eq!(n[1] - n[0] + 1, n[4]);
                prop_assert_eq!(n[3] - n[2] + 1, n[4]);
                prop_assert_eq!(&a.as_bytes()[n[0] as usize..=n[1] as usize], &b.as_bytes()[n[2] as usize..=n[3] as usize]);
                total += n[4];
            }
            prop_assert_eq!(total, want as i64);
        }
    }
}
