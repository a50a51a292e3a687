//! Tests of ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD and ZSCAN, checked
//! against replies a Redis 7 server gave for the same commands.

use super::tests_add::{cli, effects, WRONGTYPE};
use crate::testing::{arr, bulk, int, Harness};
use shoal_resp::Frame;

/// `a` = x:1 y:2 z:3, `b` = y:10 z:20 w:30, `i` = x:-inf y:+inf.
fn setup(entries: &str) -> Harness {
    let mut h = Harness::new();
    h.run(&["CONFIG", "SET", "zset-max-listpack-entries", entries]);
    h.run(&["ZADD", "a", "1", "x", "2", "y", "3", "z"]);
    h.run(&["ZADD", "b", "10", "y", "20", "z", "30", "w"]);
    h.run(&["ZADD", "i", "-inf", "x", "+inf", "y"]);
    h
}

const CASES: &[(&str, &str)] = &[
    ("zunion 2 a b withscores", "x 1 y 12 z 23 w 30"),
    (
        "zunion 2 a b weights 2 0.5 aggregate max withscores",
        "x 2 y 5 z 10 w 15",
    ),
    ("zinter 2 a b withscores", "y 12 z 23"),
    ("zinter 2 a b aggregate min withscores", "y 2 z 3"),
    ("zdiff 2 a b withscores", "x 1"),
    ("zdiff 2 b a", "w"),
    ("zunion 2 a nokey withscores", "x 1 y 2 z 3"),
    ("zinter 2 a nokey", ""),
    ("zunion 2 i i weights 1 -1 withscores", "x 0 y 0"),
    ("zunion 1 i weights 0 withscores", "x 0 y 0"),
    ("zunionstore d 2 a b weights 1 2", "4"),
    ("zinterstore d 2 a b aggregate max", "2"),
    ("zdiffstore d 2 a b", "1"),
    ("zintercard 2 a b", "2"),
    ("zintercard 2 a b limit 1", "1"),
    ("zintercard 2 a b limit 0", "2"),
    ("zunion 2 a b aggregate", "ERR syntax error"),
    ("zunion 2 a b weights 1", "ERR syntax error"),
    ("zinterstore d 1 a withscores", "ERR syntax error"),
    ("zdiff 1 a weights 1", "ERR syntax error"),
    ("zunion 1 a weights x", "ERR weight value is not a float"),
    ("zunion 1 a aggregate foo", "ERR syntax error"),
    ("zunion 2 a", "ERR syntax error"),
    (
        "zunion 0 a",
        "ERR at least 1 input key is needed for 'zunion' command",
    ),
    (
        "zunionstore d 0 a",
        "ERR at least 1 input key is needed for 'zunionstore' command",
    ),
    (
        "zintercard 0 a",
        "ERR at least 1 input key is needed for 'zintercard' command",
    ),
    (
        "zintercard x a",
        "ERR value is not an integer or out of range",
    ),
    ("zintercard 1 a limit -1", "ERR LIMIT can't be negative"),
    ("zintercard 1 a limit x", "ERR LIMIT can't be negative"),
];

#[test]
fn set_operations_match_redis_in_both_encodings() {
    for entries in ["128", "0"] {
        for (cmd, want) in CASES {
            let mut h = setup(entries);
            assert_eq!(cli(&mut h, cmd), *want, "{cmd} ({entries})");
        }
    }
}

#[test]
fn store_forms_write_sorted_results_and_delete_empty_ones() {
    let mut h = setup("128");
    let rx = h.engine.subscribe_effects();
    cli(&mut h, "zunionstore d 2 a b weights 1 2");
    assert_eq!(
        cli(&mut h, "zrange d 0 -1 withscores"),
        "x 1 y 22 z 43 w 60"
    );
    assert_eq!(cli(&mut h, "zdiffstore d 2 a a"), "0");
    assert_eq!(h.run(&["EXISTS", "d"]), int(0));
    let e = effects(&rx);
    assert_eq!(
        e[0],
        ["ZUNIONSTORE", "d", "2", "a", "b", "weights", "1", "2"]
    );
    assert_eq!(e[1], ["DEL", "d"]);
}

#[test]
fn wrong_type_inputs_win_over_option_errors() {
    let mut h = setup("128");
    h.run(&["SET", "s", "v"]);
    assert_eq!(cli(&mut h, "zunion 1 s weights x"), WRONGTYPE);
    assert_eq!(cli(&mut h, "zinterstore d 2 a s"), WRONGTYPE);
}

#[test]
fn set_operation_scores_nest_in_resp3() {
    let mut h = setup("128");
    h.resp3();
    assert_eq!(
        h.run(&["ZDIFF", "2", "a", "b", "WITHSCORES"]),
        arr(vec![arr(vec![bulk("x"), Frame::Double(1.0)])])
    );
}

#[test]
fn zscan_returns_a_compact_set_whole() {
    let mut h = setup("128");
    assert_eq!(cli(&mut h, "zscan a 0"), "0 x 1 y 2 z 3");
    assert_eq!(cli(&mut h, "zscan a 0 match y*"), "0 y 2");
    assert_eq!(cli(&mut h, "zscan nokey 0"), "0");
    assert_eq!(cli(&mut h, "zscan a x"), "ERR invalid cursor");
    assert_eq!(cli(&mut h, "zscan a 0 count 0"), "ERR syntax error");
    assert_eq!(cli(&mut h, "zscan a 0 type zset"), "ERR syntax error");
    assert_eq!(cli(&mut h, "zscan a 0 count"), "ERR syntax error");
}

#[test]
fn zscan_walks_a_large_set_completely() {
    let mut h = setup("0");
    for i in 0..300 {
        let (s, m) = ((i % 37).to_string(), format!("m{i}"));
        h.run(&["ZADD", "big", &s, &m]);
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let reply = h.run(&["ZSCAN", "big", &cursor, "COUNT", "20"]);
        let Frame::Array(parts) = reply else {
            panic!("not an array")
        };
        let (Frame::Bulk(c), Frame::Array(items)) = (&parts[0], &parts[1]) else {
            panic!("bad shape")
        };
        for pair in items.chunks(2) {
            if let Frame::Bulk(m) = &pair[0] {
                seen.insert(m.clone());
            }
        }
        calls += 1;
        cursor = String::from_utf8_lossy(c).into_owned();
        if cursor == "0" {
            break;
        }
        // Removing members meanwhile never hides the ones that stay.
        h.run(&["ZREM", "big", &format!("m{}", calls * 7)]);
    }
    assert!(calls > 5);
    for i in 0..300 {
        if i % 7 != 0 || i / 7 > calls {
            assert!(seen.contains(format!("m{i}").as_bytes()), "m{i}");
        }
    }
}
