use crate::testing::*;
use shoal_resp::Frame;

/// MULTI, PING, EXEC: PONG in an array when the transaction ran, a null when WATCH failed it.
fn exec_ping(h: &mut Harness) -> Frame {
    h.run(&["MULTI"]);
    h.run(&["PING"]);
    h.run(&["EXEC"])
}

fn execabort() -> Frame {
    err("EXECABORT Transaction discarded because of previous errors.")
}

#[test]
fn exec_runs_the_queue_and_answers_every_reply() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["MULTI"]), ok());
    assert_eq!(h.run(&["SET", "a", "1"]), simple("QUEUED"));
    assert_eq!(h.run(&["INCR", "a"]), simple("QUEUED"));
    assert_eq!(h.run(&["GET", "a"]), simple("QUEUED"));
    assert_eq!(h.run(&["EXEC"]), arr(vec![ok(), int(2), bulk("2")]));
    assert_eq!(h.run(&["EXEC"]), err("ERR EXEC without MULTI"));
}

#[test]
fn an_empty_transaction_answers_an_empty_array() {
    let mut h = Harness::new();
    h.run(&["MULTI"]);
    assert_eq!(h.run(&["EXEC"]), arr(vec![]));
}

#[test]
fn discard_drops_the_queue_and_needs_multi() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["DISCARD"]), err("ERR DISCARD without MULTI"));
    h.run(&["MULTI"]);
    h.run(&["SET", "a", "1"]);
    assert_eq!(h.run(&["DISCARD"]), ok());
    assert_eq!(h.run(&["GET", "a"]), Frame::Null);
}

#[test]
fn nested_multi_and_watch_inside_multi_are_refused_without_aborting() {
    let mut h = Harness::new();
    h.run(&["MULTI"]);
    assert_eq!(h.run(&["MULTI"]), err("ERR MULTI calls can not be nested"));
    assert_eq!(
        h.run(&["WATCH", "x"]),
        err("ERR WATCH inside MULTI is not allowed")
    );
    h.run(&["SET", "a", "1"]);
    assert_eq!(h.run(&["EXEC"]), arr(vec![ok()]));
}

#[test]
fn queue_time_errors_abort_the_whole_transaction() {
    let mut h = Harness::new();
    h.run(&["MULTI"]);
    h.run(&["SET", "a", "1"]);
    assert_eq!(
        h.run(&["SET", "a"]),
        err("ERR wrong number of arguments for 'set' command")
    );
    assert_eq!(h.run(&["EXEC"]), execabort());
    assert_eq!(h.run(&["GET", "a"]), Frame::Null);

    h.run(&["MULTI"]);
    assert_eq!(
        h.run(&["NOSUCHCMD", "x"]),
        err("ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' ")
    );
    assert_eq!(h.run(&["EXEC"]), execabort());

    h.run(&["MULTI"]);
    assert!(h.run(&["CLIENT", "NOSUCH"]).is_error());
    assert_eq!(h.run(&["EXEC"]), execabort());
}

#[test]
fn run_time_errors_do_not_stop_the_other_commands() {
    let mut h = Harness::new();
    h.run(&["SET", "s", "text"]);
    h.run(&["MULTI"]);
    h.run(&["INCR", "s"]);
    h.run(&["LPUSH", "s", "x"]);
    h.run(&["SET", "b", "2"]);
    let reply = h.run(&["EXEC"]);
    assert_eq!(
        reply,
        arr(vec![
            err("ERR value is not an integer or out of range"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value"),
            ok(),
        ])
    );
    assert_eq!(h.run(&["GET", "b"]), bulk("2"));
}

#[test]
fn a_watched_key_written_by_another_client_fails_exec() {
    let mut h = Harness::new();
    let mut other = h.other_session();
    h.run(&["SET", "x", "1"]);
    assert_eq!(h.run(&["WATCH", "x"]), ok());
    other.call(vec!["SET".into(), "x".into(), "2".into()]);
    h.run(&["MULTI"]);
    h.run(&["SET", "y", "1"]);
    assert_eq!(h.run(&["EXEC"]), Frame::NullArray);
    assert_eq!(h.run(&["GET", "y"]), Frame::Null);
    // The failed EXEC unwatched everything.
    other.call(vec!["SET".into(), "x".into(), "3".into()]);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));
}

#[test]
fn a_write_by_the_watching_client_itself_also_fails_exec() {
    let mut h = Harness::new();
    h.run(&["WATCH", "x"]);
    h.run(&["SET", "x", "1"]);
    assert_eq!(exec_ping(&mut h), Frame::NullArray);
}

#[test]
fn a_write_that_changes_nothing_does_not_fail_exec() {
    let mut h = Harness::new();
    h.run(&["WATCH", "x"]);
    h.run(&["DEL", "x"]);
    h.run(&["SREM", "x", "m"]);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));
}

#[test]
fn unwatch_and_discard_forget_watched_keys() {
    let mut h = Harness::new();
    let mut other = h.other_session();
    h.run(&["WATCH", "x"]);
    assert_eq!(h.run(&["UNWATCH"]), ok());
    other.call(vec!["SET".into(), "x".into(), "2".into()]);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));

    h.run(&["WATCH", "x"]);
    h.run(&["MULTI"]);
    h.run(&["DISCARD"]);
    other.call(vec!["SET".into(), "x".into(), "3".into()]);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));
}

#[test]
fn a_watched_key_that_expires_fails_exec_even_before_deletion() {
    let mut h = Harness::new();
    h.run(&["SET", "x", "1", "PX", "100"]);
    h.run(&["WATCH", "x"]);
    h.advance(200);
    assert_eq!(exec_ping(&mut h), Frame::NullArray);
}

#[test]
fn a_key_already_expired_when_watched_does_not_fail_exec_when_deleted() {
    let mut h = Harness::new();
    h.run(&["SET", "x", "1", "PX", "100"]);
    h.advance(200);
    h.run(&["WATCH", "x"]);
    // A read deletes it: logically nothing changed.
    assert_eq!(h.run(&["GET", "x"]), Frame::Null);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));
}

#[test]
fn watch_remembers_the_database_of_a_key() {
    let mut h = Harness::new();
    h.run(&["SELECT", "5"]);
    h.run(&["WATCH", "x"]);
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "x", "1"]);
    h.run(&["SELECT", "5"]);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));
    h.run(&["WATCH", "x"]);
    h.run(&["SET", "x", "1"]);
    assert_eq!(exec_ping(&mut h), Frame::NullArray);
}

#[test]
fn flushall_and_flushdb_touch_only_watched_keys_that_exist() {
    let mut h = Harness::new();
    h.run(&["WATCH", "missing"]);
    h.run(&["FLUSHALL"]);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));

    h.run(&["SET", "x", "1"]);
    h.run(&["WATCH", "x"]);
    h.run(&["FLUSHDB"]);
    assert_eq!(exec_ping(&mut h), Frame::NullArray);

    h.run(&["SET", "x", "1"]);
    h.run(&["WATCH", "x"]);
    h.run(&["FLUSHALL"]);
    assert_eq!(exec_ping(&mut h), Frame::NullArray);
}

#[test]
fn flushdb_of_stale_watched_keys_does_not_fail_exec() {
    let mut h = Harness::new();
    h.run(&["SET", "x", "1", "PX", "10"]);
    h.advance(20);
    h.run(&["WATCH", "x"]);
    h.run(&["FLUSHDB"]);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));
}

#[test]
fn swapdb_touches_watched_keys_whose_existence_changes() {
    let mut h = Harness::new();
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "x", "1"]);
    h.run(&["SELECT", "0"]);
    h.run(&["WATCH", "x"]);
    h.run(&["SWAPDB", "0", "1"]);
    assert_eq!(exec_ping(&mut h), Frame::NullArray);

    // Neither database holds the key: nothing changes.
    h.run(&["FLUSHALL"]);
    h.run(&["WATCH", "y"]);
    h.run(&["SWAPDB", "0", "1"]);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));
}

#[test]
fn swapdb_replacing_a_missing_key_by_a_stale_one_does_not_fail_exec() {
    let mut h = Harness::new();
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "x", "1", "PX", "10"]);
    h.advance(20);
    h.run(&["SELECT", "0"]);
    h.run(&["WATCH", "x"]);
    h.run(&["SWAPDB", "0", "1"]);
    assert_eq!(exec_ping(&mut h), arr(vec![simple("PONG")]));
}

#[test]
fn a_blocking_command_inside_multi_acts_as_its_non_blocking_form() {
    let mut h = Harness::new();
    h.run(&["MULTI"]);
    h.run(&["BLPOP", "empty", "0"]);
    h.run(&["BZPOPMIN", "empty", "0"]);
    h.run(&["RPUSH", "l", "a"]);
    h.run(&["BLPOP", "l", "0"]);
    assert_eq!(
        h.run(&["EXEC"]),
        arr(vec![
            Frame::NullArray,
            Frame::NullArray,
            int(1),
            bulks(&["l", "a"])
        ])
    );
}

#[test]
fn exec_effects_are_wrapped_in_multi_exec_when_more_than_one() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    h.run(&["MULTI"]);
    h.run(&["SET", "a", "1"]);
    h.run(&["GET", "a"]);
    h.run(&["INCR", "a"]);
    h.run(&["EXEC"]);
    let got = effect_texts(&rx);
    assert_eq!(got.first().map(|e| e[0].as_str()), Some("MULTI"));
    assert_eq!(got.last().map(|e| e[0].as_str()), Some("EXEC"));
    assert_eq!(got.len(), 4);

    h.run(&["MULTI"]);
    h.run(&["SET", "b", "1"]);
    h.run(&["GET", "b"]);
    h.run(&["EXEC"]);
    assert_eq!(effect_texts(&rx), expected_effects(&[&["SET", "b", "1"]]));
}

#[test]
fn exec_replies_follow_the_session_protocol() {
    let mut h = Harness::new();
    h.resp3();
    h.run(&["HSET", "h", "f", "v"]);
    h.run(&["MULTI"]);
    h.run(&["HGETALL", "h"]);
    assert_eq!(
        h.run(&["EXEC"]),
        arr(vec![Frame::Map(vec![(bulk("f"), bulk("v"))])])
    );
}

#[test]
fn client_list_shows_the_transaction_and_subscriptions() {
    let mut h = Harness::new();
    h.run(&["MULTI"]);
    h.run(&["SET", "a", "1"]);
    h.run(&["SET", "b", "1"]);
    let mut other = h.other_session();
    let list = other.call(vec!["CLIENT".into(), "LIST".into()]);
    let text = match list {
        Frame::Bulk(b) | Frame::Verbatim { data: b, .. } => {
            String::from_utf8_lossy(&b).into_owned()
        }
        other => panic!("unexpected {other:?}"),
    };
    assert!(text.contains("flags=x "), "{text}");
    assert!(text.contains("multi=2 "), "{text}");
    h.run(&["DISCARD"]);
    h.run(&["SUBSCRIBE", "a", "b"]);
    h.run(&["PSUBSCRIBE", "p*"]);
    let list = other.call(vec!["CLIENT".into(), "LIST".into()]);
    let text = match list {
        Frame::Bulk(b) | Frame::Verbatim { data: b, .. } => {
            String::from_utf8_lossy(&b).into_owned()
        }
        other => panic!("unexpected {other:?}"),
    };
    assert!(text.contains("flags=P "), "{text}");
    assert!(text.contains("sub=2 psub=1 ssub=0 multi=-1 "), "{text}");
}

#[test]
fn a_script_inside_exec_keeps_the_transaction_effects_in_one_block() {
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    h.run(&["MULTI"]);
    h.run(&["SET", "a", "1"]);
    h.run(&[
        "EVAL",
        "redis.call('SET', KEYS[1], 'x'); return redis.call('INCR', KEYS[2])",
        "2",
        "b",
        "c",
    ]);
    h.run(&["SET", "d", "1"]);
    assert_eq!(h.run(&["EXEC"]), arr(vec![ok(), int(1), ok()]));
    let names: Vec<String> = effect_texts(&rx)
        .into_iter()
        .map(|e| e[0].clone())
        .collect();
    assert_eq!(names, vec!["MULTI", "SET", "SET", "INCR", "SET", "EXEC"]);
}
