//! Pushes, reads, LSET, LINSERT, LREM, LTRIM, LPOS, encodings.

use super::tests_util::{eff, effects, encoding, set_fill};
use crate::testing::{arr, bulk, bulks, err, int, ok, Harness};
use shoal_resp::Frame;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn list(h: &mut Harness, key: &str, items: &[&str]) {
    let mut args = vec!["RPUSH", key];
    args.extend_from_slice(items);
    h.run(&args);
}

#[test]
fn pushes_return_the_new_length_in_order() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["RPUSH", "l", "a", "b"]), int(2));
    assert_eq!(h.run(&["LPUSH", "l", "x", "y"]), int(4));
    assert_eq!(
        h.run(&["LRANGE", "l", "0", "-1"]),
        bulks(&["y", "x", "a", "b"])
    );
    assert_eq!(encoding(&h, "l"), Some("listpack"));
}

#[test]
fn pushx_only_on_existing_lists() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["LPUSHX", "l", "a"]), int(0));
    assert_eq!(h.run(&["RPUSHX", "l", "a", "b"]), int(0));
    assert_eq!(h.run(&["EXISTS", "l"]), int(0));
    list(&mut h, "l", &["m"]);
    assert_eq!(h.run(&["LPUSHX", "l", "a", "b"]), int(3));
    assert_eq!(h.run(&["RPUSHX", "l", "z"]), int(4));
    assert_eq!(
        h.run(&["LRANGE", "l", "0", "-1"]),
        bulks(&["b", "a", "m", "z"])
    );
}

#[test]
fn every_command_refuses_a_string_key() {
    let mut h = Harness::new();
    h.run(&["SET", "s", "v"]);
    let cmds: &[&[&str]] = &[
        &["LPUSH", "s", "a"],
        &["RPUSH", "s", "a"],
        &["LPUSHX", "s", "a"],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "0"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "-1"],
        &["LINDEX", "s", "0"],
        &["LSET", "s", "0", "x"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "d", "LEFT", "LEFT"],
        &["RPOPLPUSH", "s", "d"],
        &["LMPOP", "1", "s", "LEFT"],
        &["BLPOP", "s", "0"],
        &["BRPOP", "s", "0"],
        &["BLMOVE", "s", "d", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "s", "d", "0"],
        &["BLMPOP", "0", "1", "s", "LEFT"],
    ];
    for c in cmds {
        assert_eq!(h.run(c), err(WRONGTYPE), "{c:?}");
    }
    assert_eq!(h.run(&["GET", "s"]), bulk("v"));
    assert_eq!(h.run(&["EXISTS", "d"]), int(0));
}

#[test]
fn llen_and_lindex() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["LLEN", "l"]), int(0));
    assert_eq!(h.run(&["LINDEX", "l", "0"]), Frame::Null);
    // A missing key answers before the index is parsed.
    assert_eq!(h.run(&["LINDEX", "l", "x"]), Frame::Null);
    list(&mut h, "l", &["a", "b", "c"]);
    assert_eq!(h.run(&["LLEN", "l"]), int(3));
    assert_eq!(h.run(&["LINDEX", "l", "0"]), bulk("a"));
    assert_eq!(h.run(&["LINDEX", "l", "-1"]), bulk("c"));
    assert_eq!(h.run(&["LINDEX", "l", "3"]), Frame::Null);
    assert_eq!(h.run(&["LINDEX", "l", "-4"]), Frame::Null);
    assert_eq!(
        h.run(&["LINDEX", "l", "x"]),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn lrange_clamps_and_handles_negative_indexes() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), arr(vec![]));
    assert_eq!(
        h.run(&["LRANGE", "l", "x", "1"]),
        err("ERR value is not an integer or out of range")
    );
    list(&mut h, "l", &["a", "b", "c", "d"]);
    assert_eq!(h.run(&["LRANGE", "l", "1", "2"]), bulks(&["b", "c"]));
    assert_eq!(
        h.run(&["LRANGE", "l", "-100", "100"]),
        bulks(&["a", "b", "c", "d"])
    );
    assert_eq!(h.run(&["LRANGE", "l", "-2", "-1"]), bulks(&["c", "d"]));
    assert_eq!(h.run(&["LRANGE", "l", "3", "1"]), arr(vec![]));
    assert_eq!(h.run(&["LRANGE", "l", "4", "10"]), arr(vec![]));
    assert_eq!(h.run(&["LRANGE", "l", "0", "-5"]), arr(vec![]));
}

#[test]
fn integers_come_back_as_sent() {
    let mut h = Harness::new();
    let items = [
        "0",
        "-1",
        "127",
        "128",
        "4095",
        "-4096",
        "70000",
        "-9223372036854775808",
        "007",
        "+5",
        "-0",
        "1e3",
    ];
    list(&mut h, "l", &items);
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&items));
    assert_eq!(h.run(&["LPOS", "l", "007"]), int(8));
    assert_eq!(h.run(&["LPOS", "l", "7"]), Frame::Null);
    assert_eq!(h.run(&["LREM", "l", "0", "-0"]), int(1));
}

#[test]
fn lset_replaces_and_reports_errors() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["LSET", "l", "0", "x"]), err("ERR no such key"));
    assert_eq!(h.run(&["LSET", "l", "nope", "x"]), err("ERR no such key"));
    list(&mut h, "l", &["a", "b"]);
    assert_eq!(
        h.run(&["LSET", "l", "nope", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["LSET", "l", "2", "x"]),
        err("ERR index out of range")
    );
    assert_eq!(
        h.run(&["LSET", "l", "-3", "x"]),
        err("ERR index out of range")
    );
    assert_eq!(h.run(&["LSET", "l", "-1", "z"]), ok());
    assert_eq!(h.run(&["LSET", "l", "0", "y"]), ok());
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&["y", "z"]));
    assert_eq!(
        effects(&rx),
        eff(&[
            &["RPUSH", "l", "a", "b"],
            &["LSET", "l", "-1", "z"],
            &["LSET", "l", "0", "y"]
        ])
    );
}

#[test]
fn linsert_before_and_after_the_first_pivot() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["LINSERT", "l", "BEFORE", "a", "x"]), int(0));
    list(&mut h, "l", &["a", "b", "a"]);
    assert_eq!(h.run(&["LINSERT", "l", "before", "a", "x"]), int(4));
    assert_eq!(h.run(&["LINSERT", "l", "AFTER", "a", "y"]), int(5));
    assert_eq!(h.run(&["LINSERT", "l", "AFTER", "nope", "y"]), int(-1));
    assert_eq!(
        h.run(&["LINSERT", "l", "MIDDLE", "a", "y"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["LRANGE", "l", "0", "-1"]),
        bulks(&["x", "a", "y", "b", "a"])
    );
    assert_eq!(
        effects(&rx),
        eff(&[
            &["RPUSH", "l", "a", "b", "a"],
            &["LINSERT", "l", "before", "a", "x"],
            &["LINSERT", "l", "AFTER", "a", "y"],
        ])
    );
}

#[test]
fn lrem_count_sign_picks_the_direction() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["LREM", "l", "0", "a"]), int(0));
    assert_eq!(
        h.run(&["LREM", "l", "x", "a"]),
        err("ERR value is not an integer or out of range")
    );
    list(&mut h, "l", &["a", "b", "a", "c", "a"]);
    assert_eq!(h.run(&["LREM", "l", "-1", "a"]), int(1));
    assert_eq!(
        h.run(&["LRANGE", "l", "0", "-1"]),
        bulks(&["a", "b", "a", "c"])
    );
    assert_eq!(h.run(&["LREM", "l", "1", "a"]), int(1));
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&["b", "a", "c"]));
    assert_eq!(h.run(&["LREM", "l", "0", "zz"]), int(0));
    list(&mut h, "l", &["a", "a"]);
    assert_eq!(h.run(&["LREM", "l", "0", "a"]), int(3));
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&["b", "c"]));
    assert_eq!(h.run(&["LREM", "l", "0", "b"]), int(1));
    assert_eq!(h.run(&["LREM", "l", "5", "c"]), int(1));
    assert_eq!(h.run(&["EXISTS", "l"]), int(0));
    let effs = effects(&rx);
    assert_eq!(effs[1], vec!["LREM", "l", "-1", "a"]);
    assert_eq!(effs.len(), 7);
}

#[test]
fn ltrim_keeps_the_range_and_deletes_when_empty() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["LTRIM", "l", "0", "1"]), ok());
    assert_eq!(
        h.run(&["LTRIM", "l", "a", "1"]),
        err("ERR value is not an integer or out of range")
    );
    list(&mut h, "l", &["a", "b", "c", "d", "e"]);
    assert_eq!(h.run(&["LTRIM", "l", "1", "-2"]), ok());
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&["b", "c", "d"]));
    assert_eq!(h.run(&["LTRIM", "l", "0", "100"]), ok());
    assert_eq!(h.run(&["LTRIM", "l", "2", "1"]), ok());
    assert_eq!(h.run(&["EXISTS", "l"]), int(0));
    assert_eq!(
        effects(&rx),
        eff(&[
            &["RPUSH", "l", "a", "b", "c", "d", "e"],
            &["LTRIM", "l", "1", "-2"],
            &["LTRIM", "l", "2", "1"],
        ])
    );
}

#[test]
fn lpos_rank_count_and_maxlen() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["LPOS", "l", "a"]), Frame::Null);
    assert_eq!(h.run(&["LPOS", "l", "a", "COUNT", "0"]), arr(vec![]));
    list(&mut h, "l", &["a", "b", "c", "1", "2", "3", "c", "c"]);
    assert_eq!(h.run(&["LPOS", "l", "c"]), int(2));
    assert_eq!(h.run(&["LPOS", "l", "c", "RANK", "2"]), int(6));
    assert_eq!(h.run(&["LPOS", "l", "c", "RANK", "-1"]), int(7));
    assert_eq!(h.run(&["LPOS", "l", "c", "RANK", "4"]), Frame::Null);
    assert_eq!(
        h.run(&["LPOS", "l", "c", "COUNT", "0"]),
        arr(vec![int(2), int(6), int(7)])
    );
    assert_eq!(
        h.run(&["LPOS", "l", "c", "COUNT", "2"]),
        arr(vec![int(2), int(6)])
    );
    assert_eq!(
        h.run(&["LPOS", "l", "c", "COUNT", "2", "RANK", "-1"]),
        arr(vec![int(7), int(6)])
    );
    assert_eq!(
        h.run(&["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"]),
        arr(vec![int(2)])
    );
    assert_eq!(h.run(&["LPOS", "l", "c", "MAXLEN", "2"]), Frame::Null);
    assert_eq!(h.run(&["LPOS", "l", "z", "COUNT", "1"]), arr(vec![]));
    assert_eq!(h.run(&["LPOS", "l", "2"]), int(4));
    assert_eq!(
        h.run(&["LPOS", "l", "c", "RANK", "0"]),
        err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
    );
    assert_eq!(
        h.run(&["LPOS", "l", "c", "RANK", "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        h.run(&["LPOS", "l", "c", "RANK", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["LPOS", "l", "c", "COUNT", "-1"]),
        err("ERR COUNT can't be negative")
    );
    assert_eq!(
        h.run(&["LPOS", "l", "c", "COUNT", "x"]),
        err("ERR COUNT can't be negative")
    );
    assert_eq!(
        h.run(&["LPOS", "l", "c", "MAXLEN", "-1"]),
        err("ERR MAXLEN can't be negative")
    );
    assert_eq!(h.run(&["LPOS", "l", "c", "RANK"]), err("ERR syntax error"));
    assert_eq!(
        h.run(&["LPOS", "l", "c", "FOO", "1"]),
        err("ERR syntax error")
    );
    // Options are checked before the key is.
    assert!(h.run(&["LPOS", "nokey", "c", "RANK", "0"]).is_error());
}

#[test]
fn encoding_converts_both_ways_by_count() {
    let mut h = Harness::new();
    set_fill(&mut h, 4);
    list(&mut h, "l", &["1", "2", "3", "4"]);
    assert_eq!(encoding(&h, "l"), Some("listpack"));
    h.run(&["RPUSH", "l", "5"]);
    assert_eq!(encoding(&h, "l"), Some("quicklist"));
    assert_eq!(h.run(&["OBJECT", "ENCODING", "l"]), bulk("quicklist"));
    // Trimming to one node within half the limit converts back.
    h.run(&["LTRIM", "l", "0", "1"]);
    assert_eq!(encoding(&h, "l"), Some("listpack"));
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&["1", "2"]));
}

#[test]
fn encoding_converts_by_bytes_and_back_on_pops() {
    let mut h = Harness::new();
    set_fill(&mut h, -1);
    let big = "x".repeat(3000);
    list(&mut h, "l", &[&big]);
    assert_eq!(encoding(&h, "l"), Some("listpack"));
    h.run(&["RPUSH", "l", &big]);
    assert_eq!(encoding(&h, "l"), Some("quicklist"));
    assert_eq!(h.run(&["LLEN", "l"]), int(2));
    h.run(&["RPOP", "l"]);
    // One node of about 3000 bytes: above half of 4096, so it stays a quicklist.
    assert_eq!(encoding(&h, "l"), Some("quicklist"));
    h.run(&["LSET", "l", "0", "small"]);
    assert_eq!(encoding(&h, "l"), Some("listpack"));
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&["small"]));
}

#[test]
fn a_large_element_gets_its_own_node_and_keeps_the_quicklist() {
    let mut h = Harness::new();
    let huge = "y".repeat(10_000);
    list(&mut h, "l", &["a", &huge, "b"]);
    assert_eq!(encoding(&h, "l"), Some("quicklist"));
    assert_eq!(h.run(&["LINDEX", "l", "1"]), bulk(&huge));
    h.run(&["LREM", "l", "0", &huge]);
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&["a", "b"]));
}

#[test]
fn linsert_and_lset_work_across_quicklist_nodes() {
    let mut h = Harness::new();
    set_fill(&mut h, 2);
    let items: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
    list(&mut h, "l", &refs);
    assert_eq!(encoding(&h, "l"), Some("quicklist"));
    assert_eq!(h.run(&["LINSERT", "l", "AFTER", "9", "x"]), int(21));
    assert_eq!(h.run(&["LINSERT", "l", "BEFORE", "0", "y"]), int(22));
    assert_eq!(h.run(&["LSET", "l", "15", "z"]), ok());
    let mut want: Vec<&str> = vec!["y"];
    want.extend(&refs[..10]);
    want.push("x");
    want.extend(&refs[10..]);
    want[15] = "z";
    assert_eq!(h.run(&["LRANGE", "l", "0", "-1"]), bulks(&want));
    assert_eq!(h.run(&["LINDEX", "l", "-1"]), bulk("19"));
}

#[test]
fn default_limit_is_eight_kilobytes_and_shrinking_needs_half() {
    let mut h = Harness::new();
    // A 62-byte string takes 64 listpack bytes; the header and terminator take 7.
    let v = "v".repeat(62);
    for _ in 0..127 {
        h.run(&["RPUSH", "l", &v]);
    }
    assert_eq!(encoding(&h, "l"), Some("listpack"));
    h.run(&["RPUSH", "l", &v]);
    assert_eq!(encoding(&h, "l"), Some("quicklist"));
    // Back to one node, but 64 elements (4103 bytes) is above half the limit.
    h.run(&["RPOP", "l", "64"]);
    assert_eq!(h.run(&["LLEN", "l"]), int(64));
    assert_eq!(encoding(&h, "l"), Some("quicklist"));
    h.run(&["RPOP", "l"]);
    assert_eq!(encoding(&h, "l"), Some("listpack"));
}

#[test]
fn resp3_null_replies() {
    let mut h = Harness::new();
    h.resp3();
    assert_eq!(h.run(&["LPOP", "l"]), Frame::Null);
    assert_eq!(h.run(&["LPOP", "l", "1"]), Frame::NullArray);
    assert_eq!(h.run(&["LMPOP", "1", "l", "LEFT"]), Frame::NullArray);
}
