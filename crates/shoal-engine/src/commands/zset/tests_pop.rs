//! Tests of ZPOPMIN/ZPOPMAX, ZMPOP, the blocking pops and ZRANDMEMBER, checked against
//! replies a Redis 7 server gave for the same commands.

use super::tests_add::{cli, eff, effects};
use crate::testing::{arr, bulk, int, Harness};
use shoal_resp::Frame;

fn setup() -> Harness {
    let mut h = Harness::new();
    h.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    h
}

#[test]
fn zpop_pops_from_either_end_and_deletes_the_emptied_key() {
    let mut h = setup();
    let rx = h.engine.subscribe_effects();
    assert_eq!(cli(&mut h, "zpopmin z"), "a 1");
    assert_eq!(cli(&mut h, "zpopmax z 2"), "d 4 c 3");
    assert_eq!(cli(&mut h, "zpopmin z 10"), "b 2");
    assert_eq!(h.run(&["EXISTS", "z"]), int(0));
    assert_eq!(h.run(&["ZPOPMIN", "nokey"]), arr(vec![]));
    assert_eq!(h.run(&["ZPOPMIN", "nokey", "2"]), arr(vec![]));
    assert_eq!(
        effects(&rx),
        eff(&[
            &["ZPOPMIN", "z"],
            &["ZPOPMAX", "z", "2"],
            &["ZPOPMIN", "z", "1"]
        ])
    );
}

#[test]
fn zpop_count_errors() {
    let mut h = setup();
    let positive = "ERR value is out of range, must be positive";
    assert_eq!(cli(&mut h, "zpopmin z -1"), positive);
    assert_eq!(cli(&mut h, "zpopmin z x"), positive);
    assert_eq!(cli(&mut h, "zpopmin z 1 2"), "ERR syntax error");
    assert_eq!(h.run(&["ZPOPMIN", "z", "0"]), arr(vec![]));
    assert_eq!(cli(&mut h, "zcard z"), "4");
}

#[test]
fn zpop_nests_pairs_in_resp3_only_with_a_count() {
    let mut h = setup();
    h.resp3();
    assert_eq!(
        h.run(&["ZPOPMIN", "z"]),
        arr(vec![bulk("a"), Frame::Double(1.0)])
    );
    assert_eq!(
        h.run(&["ZPOPMIN", "z", "1"]),
        arr(vec![arr(vec![bulk("b"), Frame::Double(2.0)])])
    );
}

#[test]
fn zmpop_takes_from_the_first_non_empty_key() {
    let mut h = setup();
    let rx = h.engine.subscribe_effects();
    assert_eq!(cli(&mut h, "zmpop 2 nokey z max count 3"), "z d 4 c 3 b 2");
    assert_eq!(cli(&mut h, "zmpop 2 nokey z min count 5"), "z a 1");
    assert_eq!(h.run(&["ZMPOP", "1", "z", "MIN"]), Frame::NullArray);
    assert_eq!(
        effects(&rx),
        eff(&[&["ZPOPMAX", "z", "3"], &["ZPOPMIN", "z", "1"]])
    );
    h.run(&["ZADD", "z", "1", "a"]);
    assert_eq!(
        h.run(&["ZMPOP", "1", "z", "MIN"]),
        arr(vec![
            bulk("z"),
            arr(vec![arr(vec![bulk("a"), Frame::Double(1.0)])])
        ])
    );
}

#[test]
fn zmpop_errors() {
    let mut h = setup();
    let cases = [
        ("zmpop 0 z min", "ERR numkeys should be greater than 0"),
        ("zmpop x z min", "ERR numkeys should be greater than 0"),
        ("zmpop 2 z min", "ERR syntax error"),
        ("zmpop 1 z foo", "ERR syntax error"),
        (
            "zmpop 1 z min count 0",
            "ERR count should be greater than 0",
        ),
        (
            "zmpop 1 z min count x",
            "ERR count should be greater than 0",
        ),
        ("zmpop 1 z min count 1 count 1", "ERR syntax error"),
        ("bzmpop 0 0 z min", "ERR numkeys should be greater than 0"),
        ("bzpopmin z -1", "ERR timeout is negative"),
        ("bzpopmin z x", "ERR timeout is not a float or out of range"),
    ];
    for (cmd, want) in cases {
        assert_eq!(cli(&mut h, cmd), want, "{cmd}");
    }
    h.run(&["SET", "s", "v"]);
    assert_eq!(
        cli(&mut h, "zmpop 2 nokey s min"),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

#[test]
fn blocking_pops_answer_at_once_when_data_is_there() {
    let mut h = setup();
    h.run(&["ZADD", "y", "5", "e"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(cli(&mut h, "bzpopmax nokey y 0"), "y e 5");
    assert_eq!(cli(&mut h, "bzpopmin nokey z 0"), "z a 1");
    assert_eq!(cli(&mut h, "bzmpop 1 2 nokey z max count 2"), "z d 4 c 3");
    assert_eq!(
        effects(&rx),
        eff(&[&["ZPOPMAX", "y"], &["ZPOPMIN", "z"], &["ZPOPMAX", "z", "2"]])
    );
    h.resp3();
    assert_eq!(
        h.run(&["BZPOPMIN", "z", "0"]),
        arr(vec![bulk("z"), bulk("b"), Frame::Double(2.0)])
    );
}

#[test]
fn blocking_pops_block_when_every_key_is_empty() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    for cmd in ["bzpopmin a b 0", "bzpopmax a 1.5", "bzmpop 0 2 a b min"] {
        let reply = h.run(&cmd.split(' ').collect::<Vec<_>>());
        assert!(!matches!(reply, Frame::Array(_)), "{cmd}: {reply:?}");
    }
    assert!(effects(&rx).is_empty());
}

#[test]
fn zrandmember_counts() {
    let mut h = setup();
    assert_eq!(h.run(&["ZRANDMEMBER", "nokey"]), Frame::Null);
    assert_eq!(h.run(&["ZRANDMEMBER", "nokey", "3"]), arr(vec![]));
    assert_eq!(h.run(&["ZRANDMEMBER", "z", "0"]), arr(vec![]));
    assert_eq!(cli(&mut h, "zrandmember z 9 withscores"), "a 1 b 2 c 3 d 4");
    let Frame::Array(many) = h.run(&["ZRANDMEMBER", "z", "-20"]) else {
        panic!("not an array")
    };
    assert_eq!(many.len(), 20);
    for n in 1..4 {
        let Frame::Array(some) = h.run(&["ZRANDMEMBER", "z", &n.to_string()]) else {
            panic!("not an array")
        };
        let mut names: Vec<_> = some.iter().filter_map(|f| f.as_bytes().cloned()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
    }
    assert_eq!(
        cli(&mut h, "zrandmember z x"),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        cli(&mut h, "zrandmember z 1 withscores x"),
        "ERR syntax error"
    );
    assert_eq!(
        cli(&mut h, "zrandmember z 9223372036854775807 withscores"),
        "ERR value is out of range"
    );
    h.resp3();
    assert_eq!(
        h.run(&["ZRANDMEMBER", "z", "-1", "WITHSCORES"]).as_bytes(),
        None,
        "RESP3 pairs are nested arrays"
    );
}
