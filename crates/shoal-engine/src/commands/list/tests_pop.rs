//! Pops, moves, LMPOP and the blocking forms.

use super::tests_util::{eff, effects, exec, set_fill};
use crate::error::CmdError;
use crate::testing::{arr, bulk, bulks, err, int, Harness, START_MS};
use bytes::Bytes;
use shoal_resp::Frame;

fn list(h: &mut Harness, key: &str, items: &[&str]) {
    let mut args = vec!["RPUSH", key];
    args.extend_from_slice(items);
    h.run(&args);
}

fn block(keys: &[&str], deadline_ms: u64, on_timeout: Frame) -> CmdError {
    CmdError::Block {
        keys: keys
            .iter()
            .map(|k| Bytes::copy_from_slice(k.as_bytes()))
            .collect(),
        deadline_ms,
        on_timeout,
    }
}

#[test]
fn lpop_rpop_single_and_with_count() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["LPOP", "l"]), Frame::Null);
    assert_eq!(h.run(&["LPOP", "l", "2"]), Frame::NullArray);
    assert_eq!(h.run(&["LPOP", "l", "0"]), Frame::NullArray);
    list(&mut h, "l", &["a", "b", "c", "d", "e"]);
    assert_eq!(h.run(&["LPOP", "l"]), bulk("a"));
    assert_eq!(h.run(&["RPOP", "l"]), bulk("e"));
    assert_eq!(h.run(&["LPOP", "l", "0"]), arr(vec![]));
    assert_eq!(h.run(&["RPOP", "l", "2"]), bulks(&["d", "c"]));
    assert_eq!(h.run(&["LPOP", "l", "10"]), bulks(&["b"]));
    assert_eq!(h.run(&["EXISTS", "l"]), int(0));
    assert_eq!(
        effects(&rx),
        eff(&[
            &["RPUSH", "l", "a", "b", "c", "d", "e"],
            &["LPOP", "l"],
            &["RPOP", "l"],
            &["RPOP", "l", "2"],
            &["LPOP", "l", "10"],
        ])
    );
}

#[test]
fn pop_count_errors() {
    let mut h = Harness::new();
    let positive = err("ERR value is out of range, must be positive");
    assert_eq!(h.run(&["LPOP", "l", "-1"]), positive);
    assert_eq!(h.run(&["RPOP", "l", "x"]), positive);
    assert_eq!(
        h.run(&["LPOP", "l", "1", "2"]),
        err("ERR wrong number of arguments for 'lpop' command")
    );
}

#[test]
fn lmove_between_lists_and_onto_itself() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["LMOVE", "s", "d", "LEFT", "RIGHT"]), Frame::Null);
    assert_eq!(
        h.run(&["LMOVE", "s", "d", "UP", "RIGHT"]),
        err("ERR syntax error")
    );
    list(&mut h, "s", &["a", "b", "c"]);
    assert_eq!(h.run(&["LMOVE", "s", "d", "left", "right"]), bulk("a"));
    assert_eq!(h.run(&["LMOVE", "s", "d", "RIGHT", "LEFT"]), bulk("c"));
    assert_eq!(h.run(&["LRANGE", "d", "0", "-1"]), bulks(&["c", "a"]));
    assert_eq!(h.run(&["RPOPLPUSH", "d", "d"]), bulk("a"));
    assert_eq!(h.run(&["LRANGE", "d", "0", "-1"]), bulks(&["a", "c"]));
    assert_eq!(h.run(&["LMOVE", "s", "s", "LEFT", "RIGHT"]), bulk("b"));
    assert_eq!(h.run(&["LRANGE", "s", "0", "-1"]), bulks(&["b"]));
    assert_eq!(h.run(&["RPOPLPUSH", "s", "d"]), bulk("b"));
    assert_eq!(h.run(&["EXISTS", "s"]), int(0));
    h.run(&["SET", "str", "v"]);
    assert_eq!(
        h.run(&["RPOPLPUSH", "d", "str"]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    assert_eq!(h.run(&["RPOPLPUSH", "nokey", "str"]), Frame::Null);
    assert_eq!(h.run(&["LLEN", "d"]), int(3));
    let effs = effects(&rx);
    assert_eq!(effs[1], vec!["LMOVE", "s", "d", "LEFT", "RIGHT"]);
    assert_eq!(effs[3], vec!["RPOPLPUSH", "d", "d"]);
    assert_eq!(effs.len(), 7); // SET str included
}

#[test]
fn lmpop_pops_from_the_first_non_empty_key() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["LMPOP", "2", "a", "b", "LEFT"]), Frame::NullArray);
    list(&mut h, "b", &["1", "2", "3"]);
    assert_eq!(
        h.run(&["LMPOP", "2", "a", "b", "LEFT"]),
        arr(vec![bulk("b"), bulks(&["1"])])
    );
    assert_eq!(
        h.run(&["LMPOP", "2", "a", "b", "right", "COUNT", "5"]),
        arr(vec![bulk("b"), bulks(&["3", "2"])])
    );
    assert_eq!(h.run(&["EXISTS", "b"]), int(0));
    assert_eq!(
        effects(&rx),
        eff(&[
            &["RPUSH", "b", "1", "2", "3"],
            &["LPOP", "b", "1"],
            &["RPOP", "b", "2"]
        ])
    );
}

#[test]
fn lmpop_errors() {
    let mut h = Harness::new();
    let nk = err("ERR numkeys should be greater than 0");
    let cnt = err("ERR count should be greater than 0");
    let syntax = err("ERR syntax error");
    assert_eq!(h.run(&["LMPOP", "0", "a", "LEFT"]), nk);
    assert_eq!(h.run(&["LMPOP", "x", "a", "LEFT"]), nk);
    assert_eq!(h.run(&["LMPOP", "1", "a", "LEFT", "COUNT", "0"]), cnt);
    assert_eq!(h.run(&["LMPOP", "1", "a", "LEFT", "COUNT", "x"]), cnt);
    assert_eq!(h.run(&["LMPOP", "5", "a", "LEFT"]), syntax);
    assert_eq!(h.run(&["LMPOP", "2", "a", "LEFT"]), syntax);
    assert_eq!(h.run(&["LMPOP", "1", "a", "MIDDLE"]), syntax);
    assert_eq!(h.run(&["LMPOP", "1", "a", "LEFT", "COUNT"]), syntax);
    assert_eq!(
        h.run(&["LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"]),
        syntax
    );
    assert_eq!(h.run(&["BLMPOP", "0", "0", "a", "LEFT"]), nk);
    assert_eq!(
        h.run(&["BLMPOP", "x", "1", "a", "LEFT"]),
        err("ERR timeout is not a float or out of range")
    );
}

#[test]
fn blpop_and_brpop_pop_when_data_is_there() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    list(&mut h, "b", &["1", "2"]);
    assert_eq!(h.run(&["BLPOP", "a", "b", "0"]), bulks(&["b", "1"]));
    assert_eq!(h.run(&["BRPOP", "a", "b", "1.5"]), bulks(&["b", "2"]));
    assert_eq!(h.run(&["EXISTS", "b"]), int(0));
    assert_eq!(
        effects(&rx),
        eff(&[&["RPUSH", "b", "1", "2"], &["LPOP", "b"], &["RPOP", "b"]])
    );
    assert_eq!(h.run(&["BLPOP", "a", "-1"]), err("ERR timeout is negative"));
    assert_eq!(
        h.run(&["BLPOP", "a", "x"]),
        err("ERR timeout is not a float or out of range")
    );
}

#[test]
fn blocking_forms_block_on_empty_keys() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(
        exec(&mut h, &["BLPOP", "a", "b", "0"]),
        Err(block(&["a", "b"], 0, Frame::NullArray))
    );
    assert_eq!(
        exec(&mut h, &["BRPOP", "a", "1.5"]),
        Err(block(&["a"], START_MS + 1500, Frame::NullArray))
    );
    assert_eq!(
        exec(
            &mut h,
            &["BLMPOP", "2", "2", "a", "b", "LEFT", "COUNT", "3"]
        ),
        Err(block(&["a", "b"], START_MS + 2000, Frame::NullArray))
    );
    assert_eq!(
        exec(&mut h, &["BLMOVE", "a", "d", "LEFT", "RIGHT", "0"]),
        Err(block(&["a"], 0, Frame::Null))
    );
    assert_eq!(
        exec(&mut h, &["BRPOPLPUSH", "a", "d", "0.001"]),
        Err(block(&["a"], START_MS + 1, Frame::Null))
    );
    assert!(effects(&rx).is_empty());
}

#[test]
fn blocking_moves_and_mpop_replicate_as_plain_commands() {
    let mut h = Harness::new();
    list(&mut h, "s", &["a", "b", "c", "d"]);
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["BLMOVE", "s", "d", "left", "left", "0"]), bulk("a"));
    assert_eq!(h.run(&["BRPOPLPUSH", "s", "d", "0"]), bulk("d"));
    assert_eq!(
        h.run(&["BLMPOP", "0", "1", "s", "LEFT", "COUNT", "9"]),
        arr(vec![bulk("s"), bulks(&["b", "c"])])
    );
    assert_eq!(h.run(&["LRANGE", "d", "0", "-1"]), bulks(&["d", "a"]));
    assert_eq!(
        effects(&rx),
        eff(&[
            &["LMOVE", "s", "d", "LEFT", "LEFT"],
            &["RPOPLPUSH", "s", "d"],
            &["LPOP", "s", "2"],
        ])
    );
}

#[test]
fn pops_convert_back_to_listpack() {
    let mut h = Harness::new();
    set_fill(&mut h, 4);
    list(&mut h, "l", &["1", "2", "3", "4", "5", "6"]);
    assert_eq!(super::tests_util::encoding(&h, "l"), Some("quicklist"));
    assert_eq!(h.run(&["LPOP", "l", "4"]), bulks(&["1", "2", "3", "4"]));
    assert_eq!(super::tests_util::encoding(&h, "l"), Some("listpack"));
}

/// Keys marked ready for blocked clients by running `args`, with one client parked on every
/// key in `watch` (its command never finds data, so it stays parked and consumes nothing).
fn ready_after(h: &mut Harness, watch: &[&str], args: &[&str]) -> Vec<String> {
    let keys: Vec<Bytes> = watch
        .iter()
        .map(|k| Bytes::copy_from_slice(k.as_bytes()))
        .collect();
    let blocking = &h.engine.inner().blocking;
    blocking.park(crate::blocking::Parked {
        id: 999,
        db: 0,
        args: ["BLPOP", "never-filled", "0"]
            .iter()
            .map(|a| Bytes::from(*a))
            .collect(),
        keys,
        handle: h.session.state().handle.clone(),
        on_timeout: Frame::Null,
        deliver: Box::new(|_| {}),
    });
    blocking.take_ready();
    blocking.signalled.lock().clear();
    h.run(args);
    let blocking = &h.engine.inner().blocking;
    let ready = std::mem::take(&mut *blocking.signalled.lock());
    blocking.cancel(999);
    ready
        .into_iter()
        .map(|k| String::from_utf8_lossy(&k).into_owned())
        .collect()
}

#[test]
fn additions_signal_blocked_clients_and_removals_do_not() {
    let mut h = Harness::new();
    assert_eq!(ready_after(&mut h, &["l"], &["LPUSH", "l", "a"]), vec!["l"]);
    assert_eq!(ready_after(&mut h, &["l"], &["RPUSH", "l", "b"]), vec!["l"]);
    assert_eq!(
        ready_after(&mut h, &["l"], &["LPUSHX", "l", "c"]),
        vec!["l"]
    );
    assert_eq!(
        ready_after(&mut h, &["l"], &["RPUSHX", "l", "d"]),
        vec!["l"]
    );
    assert_eq!(
        ready_after(&mut h, &["l"], &["LINSERT", "l", "AFTER", "a", "e"]),
        vec!["l"]
    );
    assert!(ready_after(&mut h, &["l"], &["LINSERT", "l", "AFTER", "zz", "e"]).is_empty());
    assert!(ready_after(&mut h, &["x"], &["LPUSHX", "x", "a"]).is_empty());
    assert_eq!(
        ready_after(&mut h, &["l", "d"], &["LMOVE", "l", "d", "LEFT", "LEFT"]),
        vec!["d"]
    );
    assert_eq!(
        ready_after(&mut h, &["l", "d"], &["RPOPLPUSH", "l", "d"]),
        vec!["d"]
    );
    assert!(ready_after(&mut h, &["l"], &["LPOP", "l"]).is_empty());
    assert!(ready_after(&mut h, &["l"], &["LSET", "l", "0", "z"]).is_empty());
}
