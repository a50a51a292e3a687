//! Replication commands and state through the harness: replies and errors as Redis 7
//! gives them, the stream's encoding and offsets, PSYNC's choice, and a replica's view of
//! expired keys.

use super::Psync;
use crate::testing::*;
use bytes::Bytes;
use shoal_resp::Frame;

fn info_field(h: &mut Harness, name: &str) -> String {
    let text = match h.run(&["INFO", "replication"]) {
        Frame::Verbatim { data, .. } => String::from_utf8_lossy(&data).into_owned(),
        other => panic!("INFO gave {other:?}"),
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .to_string()
}

/// Runs `args` as the primary's stream does on a replica.
fn as_primary(h: &Harness, args: &[&str]) -> Frame {
    let mut s = h.other_session();
    s.state_mut().master_link = true;
    let args = args
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    super::applying(|| s.call(args))
}

#[test]
fn a_fresh_primary_reports_no_backlog() {
    let mut h = Harness::new();
    assert_eq!(info_field(&mut h, "role"), "master");
    assert_eq!(info_field(&mut h, "connected_slaves"), "0");
    assert_eq!(info_field(&mut h, "master_repl_offset"), "0");
    assert_eq!(info_field(&mut h, "second_repl_offset"), "-1");
    assert_eq!(info_field(&mut h, "repl_backlog_active"), "0");
    assert_eq!(info_field(&mut h, "repl_backlog_size"), "1048576");
    assert_eq!(info_field(&mut h, "master_replid").len(), 40);
    assert_eq!(info_field(&mut h, "master_replid2"), "0".repeat(40));
    assert_eq!(
        h.run(&["ROLE"]),
        arr(vec![bulk("master"), int(0), arr(vec![])])
    );
}

#[test]
fn replconf_and_wait_errors_match_redis() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["REPLCONF", "foo", "bar"]),
        err("ERR Unrecognized REPLCONF option: foo")
    );
    assert_eq!(
        h.run(&["REPLCONF", "listening-port"]),
        err("ERR syntax error")
    );
    assert_eq!(h.run(&["REPLCONF", "listening-port", "6380"]), ok());
    assert_eq!(h.run(&["REPLCONF", "capa", "eof", "capa", "psync2"]), ok());
    assert_eq!(
        h.run(&["WAIT", "a", "1"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(h.run(&["WAIT", "1", "-1"]), err("ERR timeout is negative"));
    assert_eq!(
        h.run(&["WAIT", "1", "x"]),
        err("ERR timeout is not an integer or out of range")
    );
    assert_eq!(h.run(&["WAIT", "0", "0"]), int(0));
    assert_eq!(
        h.run(&["REPLICAOF", "host", "notaport"]),
        err("ERR Invalid master port")
    );
    assert_eq!(h.run(&["REPLICAOF", "no", "one"]), ok());
}

#[test]
fn wait_inside_multi_answers_at_once() {
    let mut h = Harness::new();
    h.run(&["MULTI"]);
    assert_eq!(h.run(&["WAIT", "1", "0"]), simple("QUEUED"));
    assert_eq!(h.run(&["EXEC"]), arr(vec![int(0)]));
}

#[test]
fn the_stream_selects_the_database_and_counts_bytes() {
    let mut h = Harness::new();
    let engine = h.engine.clone();
    let inner = engine.inner();
    let stream = &inner.effects.stream;
    assert_eq!(stream.ensure(true), 0);
    inner.effects.keep_active();
    h.run(&["SET", "a", "1"]);
    h.run(&["SELECT", "3"]);
    h.run(&["SET", "b", "2"]);
    h.run(&["SET", "c", "3"]);
    let mut out = Vec::new();
    stream.read(0, 1, usize::MAX, &mut out);
    let expected = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
                    *2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n\
                    *3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n";
    assert_eq!(String::from_utf8_lossy(&out), expected);
    assert_eq!(stream.end(), expected.len() as u64);
    assert_eq!(
        info_field(&mut h, "master_repl_offset"),
        expected.len().to_string()
    );
    assert_eq!(info_field(&mut h, "repl_backlog_first_byte_offset"), "1");
}

#[test]
fn psync_continues_only_within_its_history() {
    let h = Harness::new();
    let engine = h.engine.clone();
    let inner = engine.inner();
    let repl = &inner.repl;
    inner.effects.stream.ensure(true);
    inner.effects.keep_active();
    let mut s = h.other_session();
    s.call(vec![
        Bytes::from_static(b"SET"),
        Bytes::from_static(b"k"),
        Bytes::from_static(b"v"),
    ]);
    let (id, end) = repl.position(inner);
    match repl.psync(inner, 7, id.as_bytes(), end as i64 + 1, true) {
        Psync::Continue { replid, from } => assert_eq!((replid, from), (id.clone(), end + 1)),
        _ => panic!("expected a continuation"),
    }
    match repl.psync(inner, 8, id.as_bytes(), 1, true) {
        Psync::Continue { from, .. } => assert_eq!(from, 1),
        _ => panic!("offset 1 is held"),
    }
    assert!(matches!(
        repl.psync(inner, 9, id.as_bytes(), end as i64 + 2, true),
        Psync::Full(_)
    ));
    assert!(matches!(
        repl.psync(
            inner,
            10,
            b"0123456789012345678901234567890123456789",
            1,
            true
        ),
        Psync::Full(_)
    ));
    assert_eq!(
        repl.sync_partial_ok
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    assert_eq!(
        repl.sync_partial_err
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[test]
fn promotion_keeps_the_old_history_as_the_second_id() {
    let mut h = Harness::new();
    let engine = h.engine.clone();
    let inner = engine.inner();
    inner.repl.follow(inner, "127.0.0.1".into(), 1);
    let old = info_field(&mut h, "master_replid");
    assert_eq!(info_field(&mut h, "role"), "slave");
    assert_eq!(info_field(&mut h, "master_link_status"), "down");
    assert_eq!(h.run(&["REPLICAOF", "NO", "ONE"]), ok());
    assert_eq!(info_field(&mut h, "role"), "master");
    assert_eq!(info_field(&mut h, "master_replid2"), old);
    assert_eq!(info_field(&mut h, "second_repl_offset"), "1");
    assert_ne!(info_field(&mut h, "master_replid"), old);
}

#[test]
fn a_replica_refuses_writes_and_hides_expired_keys_without_deleting_them() {
    let mut h = Harness::new();
    let engine = h.engine.clone();
    let inner = engine.inner();
    inner.repl.follow(inner, "127.0.0.1".into(), 1);
    assert_eq!(
        h.run(&["SET", "k", "v"]),
        err("READONLY You can't write against a read only replica.")
    );
    assert_eq!(as_primary(&h, &["SET", "k", "v", "PX", "100"]), ok());
    assert_eq!(h.run(&["GET", "k"]), bulk("v"));
    h.advance(200);
    // Past its deadline: hidden from clients, still there for the primary's stream.
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    assert_eq!(h.run(&["EXISTS", "k"]), int(0));
    assert_eq!(h.run(&["DBSIZE"]), int(1));
    assert_eq!(as_primary(&h, &["APPEND", "k", "w"]), int(2));
    assert_eq!(as_primary(&h, &["DEL", "k"]), int(1));
    assert_eq!(h.run(&["DBSIZE"]), int(0));
    assert_eq!(
        h.run(&["WAIT", "0", "0"]),
        err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
    );
    assert_eq!(
        h.run(&["PSYNC", "?", "-1"]),
        err("NOMASTERLINK Can't SYNC while not connected with my master")
    );
}

#[test]
fn stale_data_and_too_few_replicas_refuse_as_redis_does() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["CONFIG", "SET", "min-replicas-to-write", "1"]),
        ok()
    );
    assert_eq!(
        h.run(&["SET", "k", "v"]),
        err("NOREPLICAS Not enough good replicas to write.")
    );
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    assert_eq!(
        h.run(&["CONFIG", "SET", "min-replicas-to-write", "0"]),
        ok()
    );
    assert_eq!(
        h.run(&["CONFIG", "SET", "replica-serve-stale-data", "no"]),
        ok()
    );
    let engine = h.engine.clone();
    let inner = engine.inner();
    inner.repl.follow(inner, "127.0.0.1".into(), 1);
    assert_eq!(
        h.run(&["GET", "k"]),
        err("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
    );
    assert!(matches!(
        h.run(&["INFO", "replication"]),
        Frame::Verbatim { .. }
    ));
}

#[test]
fn failover_checks_its_arguments_and_state_as_redis_does() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["FAILOVER", "ABORT"]),
        err("ERR No failover in progress.")
    );
    assert_eq!(
        h.run(&["FAILOVER", "ABORT", "FORCE"]),
        err("ERR syntax error")
    );
    assert_eq!(h.run(&["FAILOVER", "foo"]), err("ERR syntax error"));
    assert_eq!(h.run(&["FAILOVER", "TO", "x"]), err("ERR syntax error"));
    assert_eq!(
        h.run(&["FAILOVER", "TIMEOUT", "0"]),
        err("ERR FAILOVER timeout must be greater than 0")
    );
    assert_eq!(
        h.run(&["FAILOVER", "TIMEOUT", "10", "TIMEOUT", "20"]),
        err("ERR syntax error")
    );
    assert_eq!(
        h.run(&["FAILOVER", "TO", "127.0.0.1", "abc"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run(&["FAILOVER"]),
        err("ERR FAILOVER requires connected replicas.")
    );
    assert_eq!(
        h.run(&["FAILOVER", "FORCE"]),
        err("ERR FAILOVER requires connected replicas.")
    );
    assert_eq!(info_field(&mut h, "master_failover_state"), "no-failover");
    let engine = h.engine.clone();
    let inner = engine.inner();
    inner.repl.add_replica(super::ReplicaInfo {
        id: 99,
        ip: "127.0.0.1".into(),
        port: 7000,
        state: "online",
        ack: 0,
        ack_ms: 0,
    });
    assert_eq!(
        h.run(&["FAILOVER", "FORCE"]),
        err("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
    );
    assert_eq!(
        h.run(&["FAILOVER", "TO", "127.0.0.1", "1"]),
        err("ERR FAILOVER target HOST and PORT is not a replica.")
    );
    assert_eq!(h.run(&["FAILOVER", "TO", "127.0.0.1", "7000"]), ok());
    assert_eq!(
        info_field(&mut h, "master_failover_state"),
        "waiting-for-sync"
    );
    assert_eq!(
        h.run(&["FAILOVER"]),
        err("ERR FAILOVER already in progress.")
    );
    let mut s = h.other_session();
    assert!(s.paused(&[
        Bytes::from_static(b"SET"),
        Bytes::from_static(b"k"),
        Bytes::from_static(b"v")
    ]));
    assert!(!s.paused(&[Bytes::from_static(b"GET"), Bytes::from_static(b"k")]));
    s.state_mut().master_link = true;
    assert!(!s.paused(&[Bytes::from_static(b"SET")]));
    assert_eq!(h.run(&["FAILOVER", "ABORT"]), ok());
    assert_eq!(info_field(&mut h, "master_failover_state"), "no-failover");
    assert!(!inner.repl.writes_paused());
    assert_eq!(
        h.run(&[
            "PSYNC",
            "0123456789012345678901234567890123456789",
            "1",
            "FAILOVER"
        ]),
        err("ERR PSYNC FAILOVER replid must match my replid.")
    );
}

#[test]
fn the_first_ping_waits_a_period_after_a_replica_arrives() {
    // Regression: the period used to count from start-up, so a replica attaching to a
    // primary up for a while got a PING at once; promoting that replica before it saw
    // the PING left the old primary ahead of it and forced a full sync.
    let h = Harness::new();
    h.advance(60_000);
    let engine = h.engine.clone();
    let inner = engine.inner();
    inner.effects.stream.ensure(true);
    inner.effects.keep_active();
    inner.repl.cron(inner);
    inner.repl.add_replica(super::ReplicaInfo {
        id: 5,
        ip: "127.0.0.1".into(),
        port: 7001,
        state: "online",
        ack: 0,
        ack_ms: 0,
    });
    let at_arrival = inner.repl.position(inner).1;
    inner.repl.cron(inner);
    h.advance(9_000);
    inner.repl.cron(inner);
    assert_eq!(inner.repl.position(inner).1, at_arrival, "no PING yet");
    h.advance(1_000);
    inner.repl.cron(inner);
    assert!(inner.repl.position(inner).1 > at_arrival, "PING after 10 s");
}
