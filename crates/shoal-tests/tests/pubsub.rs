//! Pub/sub over TCP: RESP2 subscribed mode, RESP3 pushes between replies, patterns, many
//! subscribers, keyspace notifications, and slow subscribers cut off by their output limit.

use shoal_tests::{eventually, Raw, TestServer};
use std::sync::mpsc;
use std::time::Duration;

fn publish(c: &mut redis::Connection, channel: &str, msg: &[u8]) -> i64 {
    redis::cmd("PUBLISH")
        .arg(channel)
        .arg(msg)
        .query(c)
        .unwrap_or(-1)
}

fn numsub(c: &mut redis::Connection, channel: &str) -> i64 {
    let v: Vec<redis::Value> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query(c)
        .unwrap_or_default();
    match v.get(1) {
        Some(redis::Value::Int(n)) => *n,
        _ => -1,
    }
}

#[test]
fn resp2_subscribers_get_channel_and_pattern_messages() {
    let s = TestServer::start();
    let mut sub_conn = s.client();
    let mut publisher = s.client();
    let mut sub = sub_conn.as_pubsub();
    assert!(sub.subscribe("news").is_ok());
    assert!(sub.psubscribe("n*").is_ok());
    assert!(sub.set_read_timeout(Some(Duration::from_secs(10))).is_ok());
    assert_eq!(publish(&mut publisher, "news", b"hello"), 2);
    let mut got = Vec::new();
    for _ in 0..2 {
        let Ok(msg) = sub.get_message() else {
            panic!("a message was expected")
        };
        let pattern: Option<String> = msg.get_pattern().ok();
        got.push((
            msg.get_channel_name().to_string(),
            msg.get_payload::<String>().unwrap_or_default(),
            pattern,
        ));
    }
    got.sort();
    assert_eq!(
        got,
        vec![
            ("news".into(), "hello".into(), None),
            ("news".into(), "hello".into(), Some("n*".into())),
        ]
    );
}

#[test]
fn every_one_of_many_subscribers_gets_each_message_once() {
    let s = TestServer::start();
    let mut conns: Vec<redis::Connection> = (0..20).map(|_| s.client()).collect();
    // Each PubSub handle unsubscribes when dropped: keep them all alive.
    let mut subs: Vec<redis::PubSub<'_>> = conns.iter_mut().map(|c| c.as_pubsub()).collect();
    for (i, p) in subs.iter_mut().enumerate() {
        let ok = if i % 2 == 0 {
            p.subscribe("room")
        } else {
            p.psubscribe("ro*")
        };
        assert!(ok.is_ok());
    }
    let mut publisher = s.client();
    for n in 0..5 {
        assert_eq!(
            publish(&mut publisher, "room", format!("m{n}").as_bytes()),
            20
        );
    }
    for p in subs.iter_mut() {
        assert!(p.set_read_timeout(Some(Duration::from_secs(10))).is_ok());
        for n in 0..5 {
            let Ok(msg) = p.get_message() else {
                panic!("a message was expected")
            };
            assert_eq!(msg.get_payload::<String>().ok(), Some(format!("m{n}")));
        }
        assert!(p.set_read_timeout(Some(Duration::from_millis(50))).is_ok());
        assert!(p.get_message().is_err(), "no duplicate deliveries");
    }
}

#[test]
fn resp3_pushes_arrive_between_ordinary_replies() {
    let s = TestServer::start();
    let mut c = s.client3();
    let (tx, rx) = mpsc::channel();
    c.set_push_sender(tx);
    assert!(c.subscribe_resp3("events").is_ok());
    let mut publisher = s.client();
    assert!(eventually(Duration::from_secs(10), || numsub(
        &mut publisher,
        "events"
    ) == 1));
    assert_eq!(publish(&mut publisher, "events", b"one"), 1);
    // An ordinary command still answers on the subscribed RESP3 connection.
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut c)
        .unwrap_or(());
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut c).unwrap_or(None);
    assert_eq!(v.as_deref(), Some("v"));
    let found = eventually(Duration::from_secs(10), || {
        rx.try_iter().any(|p| {
            p.kind == redis::PushKind::Message
                && p.data.last() == Some(&redis::Value::BulkString(b"one".to_vec()))
        })
    });
    assert!(found, "the message arrived as a push");
}

#[test]
fn keyspace_notifications_are_published_over_tcp() {
    let s = TestServer::start();
    let mut admin = s.client();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("En")
        .query(&mut admin)
        .unwrap_or(());
    let mut sub_conn = s.client();
    let mut sub = sub_conn.as_pubsub();
    assert!(sub.subscribe("__keyevent@0__:new").is_ok());
    assert!(sub.set_read_timeout(Some(Duration::from_secs(10))).is_ok());
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut admin)
        .unwrap_or(());
    let Ok(msg) = sub.get_message() else {
        panic!("an event was expected")
    };
    assert_eq!(msg.get_channel_name(), "__keyevent@0__:new");
    assert_eq!(msg.get_payload::<String>().ok().as_deref(), Some("k"));
}

#[test]
fn a_subscriber_that_does_not_read_is_cut_off_at_its_output_limit() {
    let s = TestServer::start();
    let mut publisher = s.client();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("client-output-buffer-limit")
        .arg("pubsub 256kb 0 0")
        .query(&mut publisher)
        .unwrap_or(());
    let mut lazy = Raw::connect(s.addr());
    lazy.send(b"SUBSCRIBE firehose\r\n");
    assert!(eventually(Duration::from_secs(10), || numsub(
        &mut publisher,
        "firehose"
    ) == 1));
    let payload = vec![b'x'; 16 * 1024];
    // Far more than socket buffers hold: the subscriber's buffer must pass the limit.
    let mut sent = 0;
    while sent < 8000 && numsub(&mut publisher, "firehose") == 1 {
        publish(&mut publisher, "firehose", &payload);
        sent += 1;
    }
    assert!(
        eventually(Duration::from_secs(10), || numsub(
            &mut publisher,
            "firehose"
        ) == 0),
        "the slow subscriber was disconnected"
    );
    assert!(sent < 8000);
}

#[test]
fn a_subscriber_that_hangs_up_leaves_no_subscription_behind() {
    let s = TestServer::start();
    let mut admin = s.client();
    {
        let mut raw = Raw::connect(s.addr());
        raw.send(b"SUBSCRIBE gone\r\nPSUBSCRIBE go*\r\n");
        assert!(eventually(Duration::from_secs(10), || numsub(
            &mut admin, "gone"
        ) == 1));
    }
    assert!(eventually(Duration::from_secs(10), || numsub(
        &mut admin, "gone"
    ) == 0));
    let numpat: i64 = redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query(&mut admin)
        .unwrap_or(-1);
    assert_eq!(numpat, 0);
    assert_eq!(publish(&mut admin, "gone", b"x"), 0);
}

#[test]
fn a_watched_key_changed_over_another_connection_fails_exec_and_multi_state_shows_in_client_list() {
    let s = TestServer::start();
    let mut raw = Raw::connect(s.addr());
    raw.roundtrip(b"WATCH k\r\n", b"+OK\r\n");
    raw.roundtrip(b"MULTI\r\n", b"+OK\r\n");
    raw.roundtrip(b"SET k mine\r\n", b"+QUEUED\r\n");
    let mut other = s.client();
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut other)
        .unwrap_or_default();
    assert!(list.contains("multi=1"), "{list}");
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("theirs")
        .query(&mut other)
        .unwrap_or(());
    raw.roundtrip(b"EXEC\r\n", b"*-1\r\n");
}
