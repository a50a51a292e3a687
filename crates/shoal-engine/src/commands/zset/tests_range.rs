//! Tests of the ZRANGE family, ZRANGESTORE and ZREMRANGEBY*, checked against replies a
//! Redis 7 server gave for the same commands.

use super::tests_add::{cli, eff, effects};
use crate::testing::{arr, bulk, err, int, Harness};
use shoal_resp::Frame;

/// `z` = a:1 .. e:5 and `l` = a..e all at score 0.
fn setup() -> Harness {
    let mut h = Harness::new();
    h.run(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
    h.run(&[
        "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e",
    ]);
    h
}

const CASES: &[(&str, &str)] = &[
    ("zrange z 1 -2", "b c d"),
    ("zrange z -100 100", "a b c d e"),
    ("zrange z 3 1", ""),
    ("zrange z 0 -1 rev", "e d c b a"),
    ("zrange z 1 2 rev withscores", "d 4 c 3"),
    ("zrange z (1 4 byscore", "b c d"),
    ("zrange z 4 (1 byscore rev limit 1 2", "c b"),
    (
        "zrange z -inf +inf byscore limit 2 -1 withscores",
        "c 3 d 4 e 5",
    ),
    ("zrange z -inf +inf byscore limit -1 2", ""),
    ("zrange z -inf +inf byscore limit 1 0", ""),
    ("zrange z 0 -1 limit 0 -1", "a b c d e"),
    ("zrange l [b (d bylex", "b c"),
    ("zrange l + - bylex rev limit 1 10", "d c b a"),
    ("zrangebyscore z (2 +inf withscores limit 0 2", "c 3 d 4"),
    ("zrevrangebyscore z +inf (2", "e d c"),
    ("zrevrange z 0 1 withscores", "e 5 d 4"),
    ("zrangebylex l - [c limit 1 1", "b"),
    ("zrevrangebylex l [c -", "c b a"),
    ("zrange z 0 -1 BYSCORE", ""),
    ("zrange nokey 0 -1", ""),
];

#[test]
fn range_replies_match_redis() {
    for (cmd, want) in CASES {
        let mut h = setup();
        assert_eq!(cli(&mut h, cmd), *want, "{cmd}");
    }
}

#[test]
fn range_replies_match_redis_in_the_large_encoding() {
    for (cmd, want) in CASES {
        let mut h = Harness::new();
        h.run(&["CONFIG", "SET", "zset-max-listpack-entries", "0"]);
        h.run(&[
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ]);
        h.run(&[
            "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e",
        ]);
        assert_eq!(h.run(&["OBJECT", "ENCODING", "z"]), bulk("skiplist"));
        assert_eq!(cli(&mut h, cmd), *want, "{cmd}");
    }
}

#[test]
fn range_option_errors() {
    let mut h = setup();
    let cases = [
        (
            "zrange z 0 -1 bylex withscores limit 0 1",
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        (
            "zrange z a b limit 0 1",
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
        (
            "zrange z a b",
            "ERR value is not an integer or out of range",
        ),
        ("zrange z 0 1 limit", "ERR syntax error"),
        (
            "zrangebylex z - + withscores",
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        ("zrangebyscore z 0 1 limit 0", "ERR syntax error"),
        (
            "zrangebyscore z 0 1 limit x 1",
            "ERR value is not an integer or out of range",
        ),
        ("zrange z 0 -1 rev rev", "ERR syntax error"),
        ("zrange z 0 -1 byscore byscore", "ERR syntax error"),
        ("zrange z 0 -1 byscore bylex", "ERR syntax error"),
        ("zrevrange z 0 -1 rev", "ERR syntax error"),
        ("zrangestore d z 0 -1 withscores", "ERR syntax error"),
        ("zrangebyscore z 1 x", "ERR min or max is not a float"),
        ("zrangebyscore z x 1 withscores foo", "ERR syntax error"),
        (
            "zrangebylex z a b",
            "ERR min or max not valid string range item",
        ),
        ("zrangebyscore z 1 nan", "ERR min or max is not a float"),
    ];
    for (cmd, want) in cases {
        assert_eq!(cli(&mut h, cmd), want, "{cmd}");
    }
    h.run(&["SET", "s", "v"]);
    assert_eq!(
        cli(&mut h, "zrangebyscore s x y"),
        "ERR min or max is not a float"
    );
}

#[test]
fn withscores_nests_pairs_in_resp3() {
    let mut h = setup();
    h.resp3();
    assert_eq!(
        h.run(&["ZRANGE", "z", "0", "1", "WITHSCORES"]),
        arr(vec![
            arr(vec![bulk("a"), Frame::Double(1.0)]),
            arr(vec![bulk("b"), Frame::Double(2.0)]),
        ])
    );
}

#[test]
fn infinite_scores_and_exclusive_bounds() {
    let mut h = Harness::new();
    h.run(&["ZADD", "z", "-inf", "lo", "0", "mid", "+inf", "hi"]);
    assert_eq!(
        cli(&mut h, "zrangebyscore z -inf +inf withscores"),
        "lo -inf mid 0 hi inf"
    );
    assert_eq!(cli(&mut h, "zrangebyscore z (-inf (+inf"), "mid");
    assert_eq!(cli(&mut h, "zcount z (0 +inf"), "1");
}

#[test]
fn zrangestore_stores_and_deletes_when_empty() {
    let mut h = setup();
    let rx = h.engine.subscribe_effects();
    assert_eq!(cli(&mut h, "zrangestore d z 0 1 rev"), "2");
    assert_eq!(cli(&mut h, "zrange d 0 -1 withscores"), "d 4 e 5");
    assert_eq!(cli(&mut h, "zrangestore d z (2 4 byscore limit 1 5"), "1");
    assert_eq!(cli(&mut h, "zrange d 0 -1"), "d");
    assert_eq!(cli(&mut h, "zrangestore d nokey 0 -1"), "0");
    assert_eq!(h.run(&["EXISTS", "d"]), int(0));
    let e = effects(&rx);
    assert_eq!(e[0], ["ZRANGESTORE", "d", "z", "0", "1", "rev"]);
    assert_eq!(e.last().map(|x| x[0].as_str()), Some("DEL"));
    h.run(&["SET", "s", "v"]);
    assert_eq!(
        h.run(&["ZRANGESTORE", "d", "s", "0", "1"]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn zremrange_commands_remove_and_replicate_as_themselves() {
    let mut h = setup();
    let rx = h.engine.subscribe_effects();
    assert_eq!(cli(&mut h, "zremrangebyrank z -2 -1"), "2");
    assert_eq!(cli(&mut h, "zremrangebyscore z (1 2"), "1");
    assert_eq!(cli(&mut h, "zremrangebylex l [a (c"), "2");
    assert_eq!(cli(&mut h, "zremrangebyscore z 10 20"), "0");
    assert_eq!(cli(&mut h, "zrange z 0 -1"), "a c");
    assert_eq!(cli(&mut h, "zrange l 0 -1"), "c d e");
    assert_eq!(cli(&mut h, "zremrangebyrank z 0 -1"), "2");
    assert_eq!(h.run(&["EXISTS", "z"]), int(0));
    assert_eq!(
        cli(&mut h, "zremrangebyrank z x 1"),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        cli(&mut h, "zremrangebylex l a b"),
        "ERR min or max not valid string range item"
    );
    assert_eq!(
        effects(&rx),
        eff(&[
            &["ZREMRANGEBYRANK", "z", "-2", "-1"],
            &["ZREMRANGEBYSCORE", "z", "(1", "2"],
            &["ZREMRANGEBYLEX", "l", "[a", "(c"],
            &["ZREMRANGEBYRANK", "z", "0", "-1"],
        ])
    );
}
