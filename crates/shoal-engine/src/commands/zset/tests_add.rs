//! Tests of ZADD, ZINCRBY, ZREM and the point queries, plus the helpers the other test
//! files share.

use crate::testing::{arr, bulk, bulks, err, int, Harness};
use shoal_resp::Frame;

pub(super) use crate::testing::effect_texts as effects;

pub(super) use crate::testing::expected_effects as eff;

/// Runs a whitespace-separated command and flattens the reply as `redis-cli` prints it
/// raw in RESP2: one word per leaf, scores in Redis's double format.
pub(super) fn cli(h: &mut Harness, cmd: &str) -> String {
    fn walk(f: &Frame, out: &mut Vec<String>) {
        match f {
            Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
                out.push(String::from_utf8_lossy(b).into_owned())
            }
            Frame::Double(d) => out.push(shoal_resp::format_double(*d)),
            Frame::Integer(n) => out.push(n.to_string()),
            Frame::Null | Frame::NullArray => out.push(String::new()),
            Frame::Array(items) => items.iter().for_each(|i| walk(i, out)),
            other => out.push(format!("{other:?}")),
        }
    }
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let mut out = Vec::new();
    walk(&h.run(&args), &mut out);
    out.join(" ")
}

/// A harness holding `z` = {a:1, b:2, c:3}.
pub(super) fn abc() -> Harness {
    let mut h = Harness::new();
    assert_eq!(h.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]), int(3));
    h
}

/// A score reply (a bulk string on the wire in RESP2, a double in RESP3).
pub(super) fn dbl(v: f64) -> Frame {
    Frame::Double(v)
}

pub(super) const WRONGTYPE: &str =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn zadd_adds_and_updates_and_counts_only_new_members() {
    let mut h = abc();
    assert_eq!(h.run(&["ZADD", "z", "5", "a", "4", "d"]), int(1));
    assert_eq!(
        h.run(&["ZADD", "z", "CH", "6", "a", "6", "e", "6", "a"]),
        int(2)
    );
    assert_eq!(h.run(&["ZSCORE", "z", "a"]), dbl(6.0));
    assert_eq!(h.run(&["ZCARD", "z"]), int(5));
}

#[test]
fn zadd_option_errors_are_redis_texts() {
    let mut h = abc();
    assert_eq!(
        h.run(&["ZADD", "z", "NX", "XX", "1"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["ZADD", "z", "1", "a", "2"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["ZADD", "z", "NX", "XX", "1", "a"]),
        err("ERR XX and NX options at the same time are not compatible")
    );
    for opts in [["GT", "LT"], ["NX", "GT"], ["LT", "NX"]] {
        assert_eq!(
            h.run(&["ZADD", "z", opts[0], opts[1], "1", "a"]),
            err("ERR GT, LT, and/or NX options at the same time are not compatible")
        );
    }
    assert_eq!(
        h.run(&["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        err("ERR INCR option supports a single increment-element pair")
    );
    assert_eq!(
        h.run(&["ZADD", "z", "1", "a", "x", "b"]),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        h.run(&["ZADD", "z", "nan", "a"]),
        err("ERR value is not a valid float")
    );
}

#[test]
fn zadd_nx_xx_gt_lt() {
    let mut h = abc();
    assert_eq!(h.run(&["ZADD", "z", "NX", "9", "a", "4", "d"]), int(1));
    assert_eq!(h.run(&["ZSCORE", "z", "a"]), dbl(1.0));
    assert_eq!(
        h.run(&["ZADD", "z", "XX", "CH", "9", "a", "5", "e"]),
        int(1)
    );
    assert_eq!(h.run(&["ZSCORE", "z", "e"]), Frame::Null);
    assert_eq!(
        h.run(&["ZADD", "z", "GT", "CH", "1", "a", "10", "b"]),
        int(1)
    );
    assert_eq!(h.run(&["ZSCORE", "z", "a"]), dbl(9.0));
    assert_eq!(
        h.run(&["ZADD", "z", "LT", "CH", "0", "a", "20", "b", "1", "n"]),
        int(2)
    );
    assert_eq!(h.run(&["ZSCORE", "z", "a"]), dbl(0.0));
    assert_eq!(h.run(&["ZSCORE", "z", "b"]), dbl(10.0));
    assert_eq!(h.run(&["ZADD", "missing", "XX", "1", "a"]), int(0));
    assert_eq!(h.run(&["EXISTS", "missing"]), int(0));
}

#[test]
fn zadd_incr_answers_the_score_or_null() {
    let mut h = abc();
    assert_eq!(h.run(&["ZADD", "z", "INCR", "2.5", "a"]), dbl(3.5));
    assert_eq!(h.run(&["ZADD", "z", "INCR", "0", "a"]), dbl(3.5));
    assert_eq!(h.run(&["ZADD", "z", "NX", "INCR", "1", "a"]), Frame::Null);
    assert_eq!(h.run(&["ZADD", "z", "XX", "INCR", "1", "new"]), Frame::Null);
    assert_eq!(h.run(&["ZADD", "z", "GT", "INCR", "-1", "a"]), Frame::Null);
    assert_eq!(
        h.run(&["ZADD", "z", "INCR", "+inf", "a"]),
        dbl(f64::INFINITY)
    );
    assert_eq!(
        h.run(&["ZADD", "z", "INCR", "-inf", "a"]),
        err("ERR resulting score is not a number (NaN)")
    );
    h.resp3();
    assert_eq!(h.run(&["ZADD", "z", "INCR", "1", "b"]), Frame::Double(3.0));
}

#[test]
fn zadd_replicates_final_scores_of_what_changed() {
    let mut h = abc();
    let rx = h.engine.subscribe_effects();
    h.run(&["ZADD", "z", "1", "a", "7", "b", "1.5", "x"]);
    h.run(&["ZADD", "z", "INCR", "1", "x"]);
    h.run(&["ZADD", "z", "NX", "1", "a"]);
    assert_eq!(
        effects(&rx),
        eff(&[
            &["ZADD", "z", "7", "b", "1.5", "x"],
            &["ZADD", "z", "2.5", "x"]
        ])
    );
}

#[test]
fn zincrby_adds_and_refuses_nan() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["ZINCRBY", "z", "1.5", "a"]), dbl(1.5));
    assert_eq!(h.run(&["ZINCRBY", "z", "0.1", "a"]), dbl(1.6));
    assert_eq!(
        h.run(&["ZINCRBY", "z", "x", "a"]),
        err("ERR value is not a valid float")
    );
    h.run(&["ZINCRBY", "z", "inf", "a"]);
    assert_eq!(
        h.run(&["ZINCRBY", "z", "-inf", "a"]),
        err("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(effects(&rx)[0], ["ZINCRBY", "z", "1.5", "a"]);
    h.run(&["SET", "s", "v"]);
    assert_eq!(h.run(&["ZINCRBY", "s", "1", "a"]), err(WRONGTYPE));
}

#[test]
fn zrem_removes_and_deletes_the_emptied_key() {
    let mut h = abc();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["ZREM", "z", "a", "x", "b"]), int(2));
    assert_eq!(h.run(&["ZREM", "z", "x"]), int(0));
    assert_eq!(h.run(&["ZREM", "z", "c"]), int(1));
    assert_eq!(h.run(&["EXISTS", "z"]), int(0));
    assert_eq!(h.run(&["ZREM", "z", "c"]), int(0));
    assert_eq!(
        effects(&rx),
        eff(&[&["ZREM", "z", "a", "b"], &["ZREM", "z", "c"]])
    );
}

#[test]
fn point_queries() {
    let mut h = abc();
    assert_eq!(h.run(&["ZCARD", "nokey"]), int(0));
    assert_eq!(h.run(&["ZSCORE", "z", "x"]), Frame::Null);
    assert_eq!(
        h.run(&["ZMSCORE", "z", "a", "x", "c"]),
        arr(vec![dbl(1.0), Frame::Null, dbl(3.0)])
    );
    assert_eq!(h.run(&["ZMSCORE", "nokey", "a"]), arr(vec![Frame::Null]));
    assert_eq!(h.run(&["ZRANK", "z", "c"]), int(2));
    assert_eq!(h.run(&["ZREVRANK", "z", "c"]), int(0));
    assert_eq!(h.run(&["ZRANK", "z", "x"]), Frame::Null);
    assert_eq!(
        h.run(&["ZRANK", "z", "b", "WITHSCORE"]),
        arr(vec![int(1), dbl(2.0)])
    );
    assert_eq!(h.run(&["ZRANK", "z", "x", "WITHSCORE"]), Frame::NullArray);
    assert_eq!(
        h.run(&["ZRANK", "z", "b", "WITHSCORES"]),
        err("ERR syntax error")
    );
    h.resp3();
    assert_eq!(h.run(&["ZSCORE", "z", "a"]), Frame::Double(1.0));
    assert_eq!(
        h.run(&["ZREVRANK", "z", "a", "WITHSCORE"]),
        arr(vec![int(2), Frame::Double(1.0)])
    );
}

#[test]
fn zcount_and_zlexcount_bounds() {
    let mut h = abc();
    assert_eq!(h.run(&["ZCOUNT", "z", "-inf", "+inf"]), int(3));
    assert_eq!(h.run(&["ZCOUNT", "z", "(1", "3"]), int(2));
    assert_eq!(h.run(&["ZCOUNT", "z", "(1", "(3"]), int(1));
    assert_eq!(h.run(&["ZCOUNT", "z", "3", "1"]), int(0));
    assert_eq!(
        h.run(&["ZCOUNT", "z", "x", "1"]),
        err("ERR min or max is not a float")
    );
    assert_eq!(
        h.run(&["ZCOUNT", "z", "(", "1"]),
        err("ERR min or max is not a float")
    );
    h.run(&["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"]);
    assert_eq!(h.run(&["ZLEXCOUNT", "l", "-", "+"]), int(4));
    assert_eq!(h.run(&["ZLEXCOUNT", "l", "[b", "(d"]), int(2));
    assert_eq!(h.run(&["ZLEXCOUNT", "l", "(a", "[c"]), int(2));
    assert_eq!(h.run(&["ZLEXCOUNT", "l", "+", "-"]), int(0));
    assert_eq!(
        h.run(&["ZLEXCOUNT", "l", "a", "+"]),
        err("ERR min or max not valid string range item")
    );
    assert_eq!(h.run(&["ZCOUNT", "nokey", "0", "1"]), int(0));
}

#[test]
fn wrong_type_is_refused_by_every_reader_and_writer() {
    let mut h = Harness::new();
    h.run(&["SET", "s", "v"]);
    for cmd in [
        &["ZADD", "s", "1", "a"][..],
        &["ZSCORE", "s", "a"],
        &["ZCARD", "s"],
        &["ZREM", "s", "a"],
        &["ZRANGE", "s", "0", "-1"],
        &["ZPOPMIN", "s"],
        &["ZRANDMEMBER", "s"],
        &["ZSCAN", "s", "0"],
        &["ZUNION", "1", "s"],
        &["ZMSCORE", "s", "a"],
        &["ZRANK", "s", "a"],
    ] {
        assert_eq!(h.run(cmd), err(WRONGTYPE), "{cmd:?}");
    }
}

#[test]
fn encoding_converts_past_the_configured_limits() {
    let mut h = Harness::new();
    h.run(&["CONFIG", "SET", "zset-max-listpack-entries", "4"]);
    h.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(h.run(&["OBJECT", "ENCODING", "z"]), bulk("listpack"));
    h.run(&["ZADD", "z", "5", "e"]);
    assert_eq!(h.run(&["OBJECT", "ENCODING", "z"]), bulk("skiplist"));
    h.run(&["ZREM", "z", "a", "b", "c"]);
    assert_eq!(h.run(&["OBJECT", "ENCODING", "z"]), bulk("skiplist"));
    assert_eq!(h.run(&["ZRANGE", "z", "0", "-1"]), bulks(&["d", "e"]));
    h.run(&["CONFIG", "SET", "zset-max-listpack-value", "3"]);
    h.run(&["ZADD", "y", "1", "abcd"]);
    assert_eq!(h.run(&["OBJECT", "ENCODING", "y"]), bulk("skiplist"));
}

#[test]
fn scores_are_bulk_strings_in_resp2_and_doubles_in_resp3() {
    use shoal_resp::{encode_to_vec, Protocol};
    let mut h = abc();
    h.run(&["ZADD", "z", "0.1", "f"]);
    let reply = h.run(&["ZSCORE", "z", "f"]);
    assert_eq!(encode_to_vec(&reply, Protocol::Resp2), b"$3\r\n0.1\r\n");
    assert_eq!(encode_to_vec(&reply, Protocol::Resp3), b",0.1\r\n");
}
