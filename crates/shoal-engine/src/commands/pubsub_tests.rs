use crate::testing::*;
use bytes::Bytes;
use shoal_resp::Frame;

fn push(parts: &[&str], count: i64) -> Frame {
    let mut items: Vec<Frame> = parts.iter().map(bulk).collect();
    items.push(int(count));
    Frame::Push(items)
}

fn cmd(s: &mut crate::Session, args: &[&str]) -> Frame {
    s.call(
        args.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect(),
    )
}

#[test]
fn subscribe_confirms_each_channel_with_the_running_count() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["SUBSCRIBE", "a", "b"]),
        push(&["subscribe", "b"], 2)
    );
    assert_eq!(h.session.take_pushes(), vec![push(&["subscribe", "a"], 1)]);
    assert_eq!(h.run(&["PSUBSCRIBE", "p*"]), push(&["psubscribe", "p*"], 3));
    assert_eq!(h.run(&["SSUBSCRIBE", "s"]), push(&["ssubscribe", "s"], 1));
    assert_eq!(h.run(&["UNSUBSCRIBE", "a"]), push(&["unsubscribe", "a"], 2));
    assert_eq!(h.run(&["PUNSUBSCRIBE"]), push(&["punsubscribe", "p*"], 1));
    assert_eq!(h.run(&["UNSUBSCRIBE"]), push(&["unsubscribe", "b"], 0));
    assert_eq!(
        h.run(&["UNSUBSCRIBE"]),
        Frame::Push(vec![bulk("unsubscribe"), Frame::Null, int(0)])
    );
    assert_eq!(h.run(&["SUNSUBSCRIBE"]), push(&["sunsubscribe", "s"], 0));
    h.session.take_pushes();
}

#[test]
fn publish_counts_receivers_and_delivers_messages() {
    let mut h = Harness::new();
    let mut sub = h.other_session();
    cmd(&mut sub, &["SUBSCRIBE", "news"]);
    cmd(&mut sub, &["PSUBSCRIBE", "n*"]);
    sub.take_pushes();
    assert_eq!(h.run(&["PUBLISH", "news", "hello"]), int(2));
    assert_eq!(h.run(&["PUBLISH", "other", "x"]), int(0));
    assert_eq!(
        sub.take_pushes(),
        vec![
            Frame::Push(vec![bulk("message"), bulk("news"), bulk("hello")]),
            Frame::Push(vec![
                bulk("pmessage"),
                bulk("n*"),
                bulk("news"),
                bulk("hello")
            ]),
        ]
    );
    drop(sub);
    assert_eq!(h.run(&["PUBLISH", "news", "gone"]), int(0));
}

#[test]
fn spublish_reaches_only_shard_subscribers() {
    let mut h = Harness::new();
    let mut sub = h.other_session();
    cmd(&mut sub, &["SSUBSCRIBE", "s"]);
    cmd(&mut sub, &["SUBSCRIBE", "s"]);
    sub.take_pushes();
    assert_eq!(h.run(&["SPUBLISH", "s", "m"]), int(1));
    assert_eq!(
        sub.take_pushes(),
        vec![Frame::Push(vec![bulk("smessage"), bulk("s"), bulk("m")])]
    );
}

#[test]
fn pubsub_introspection_lists_and_counts() {
    let mut h = Harness::new();
    let mut sub = h.other_session();
    cmd(&mut sub, &["SUBSCRIBE", "a1", "a2", "b"]);
    cmd(&mut sub, &["PSUBSCRIBE", "x*", "y*"]);
    cmd(&mut sub, &["SSUBSCRIBE", "s1"]);
    let mut names = match h.run(&["PUBSUB", "CHANNELS", "a*"]) {
        Frame::Array(v) => v,
        other => panic!("unexpected {other:?}"),
    };
    names.sort_by_key(|f| format!("{f:?}"));
    assert_eq!(names, vec![bulk("a1"), bulk("a2")]);
    assert_eq!(
        h.run(&["PUBSUB", "NUMSUB", "a1", "zz"]),
        arr(vec![bulk("a1"), int(1), bulk("zz"), int(0)])
    );
    assert_eq!(h.run(&["PUBSUB", "NUMPAT"]), int(2));
    assert_eq!(h.run(&["PUBSUB", "SHARDCHANNELS"]), bulks(&["s1"]));
    assert_eq!(
        h.run(&["PUBSUB", "SHARDNUMSUB", "s1"]),
        arr(vec![bulk("s1"), int(1)])
    );
    assert_eq!(
        h.run(&["PUBSUB", "CHANNELS", "a", "b"]),
        err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
    );
}

#[test]
fn a_subscribed_resp2_client_may_only_run_subscription_commands() {
    let mut h = Harness::new();
    h.run(&["SUBSCRIBE", "a"]);
    assert_eq!(
        h.run(&["GET", "x"]),
        err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
    assert_eq!(
        h.run(&["CONFIG", "GET", "x"]),
        err("ERR Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
    assert_eq!(h.run(&["PING"]), bulks(&["pong", ""]));
    assert_eq!(h.run(&["PING", "hi"]), bulks(&["pong", "hi"]));
    h.run(&["UNSUBSCRIBE"]);
    assert_eq!(h.run(&["GET", "x"]), Frame::Null);
}

#[test]
fn a_subscribed_resp3_client_runs_any_command() {
    let mut h = Harness::new();
    h.resp3();
    h.run(&["SUBSCRIBE", "a"]);
    assert_eq!(h.run(&["GET", "x"]), Frame::Null);
    assert_eq!(h.run(&["PING"]), simple("PONG"));
}

#[test]
fn reset_drops_every_subscription() {
    let mut h = Harness::new();
    h.run(&["SUBSCRIBE", "a"]);
    h.run(&["PSUBSCRIBE", "b*"]);
    assert_eq!(h.run(&["RESET"]), simple("RESET"));
    assert_eq!(h.run(&["PUBLISH", "a", "x"]), int(0));
    assert_eq!(h.run(&["PUBSUB", "NUMPAT"]), int(0));
}

#[test]
fn keyspace_notifications_reach_subscribers() {
    let mut h = Harness::new();
    let mut sub = h.other_session();
    h.run(&["CONFIG", "SET", "notify-keyspace-events", "KEx"]);
    cmd(&mut sub, &["PSUBSCRIBE", "__key*__:*"]);
    sub.take_pushes();
    h.run(&["SET", "k", "v", "PX", "5"]);
    h.advance(10);
    h.run(&["GET", "k"]);
    assert_eq!(
        sub.take_pushes(),
        vec![
            Frame::Push(vec![
                bulk("pmessage"),
                bulk("__key*__:*"),
                bulk("__keyspace@0__:k"),
                bulk("expired")
            ]),
            Frame::Push(vec![
                bulk("pmessage"),
                bulk("__key*__:*"),
                bulk("__keyevent@0__:expired"),
                bulk("k")
            ]),
        ]
    );
    assert_eq!(
        h.run(&["CONFIG", "GET", "notify-keyspace-events"]),
        Frame::Map(vec![(bulk("notify-keyspace-events"), bulk("xKE"))])
    );
}

#[test]
fn publish_reaches_replicas_but_not_the_aof() {
    // Replicas' (and other group members') subscribers get what is published on the
    // primary, as Redis propagates PUBLISH outside cluster mode.
    let mut h = Harness::new();
    let rx = h.engine.subscribe_effects();
    assert_eq!(h.run(&["PUBLISH", "news", "hello"]), int(0));
    assert_eq!(h.run(&["SPUBLISH", "shard", "hi"]), int(0));
    let got: Vec<(Vec<Bytes>, u8)> = rx.try_iter().map(|e| (e.args, e.targets)).collect();
    let words = |w: &[&str]| {
        w.iter()
            .map(|a| Bytes::from(a.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        got,
        vec![
            (
                words(&["PUBLISH", "news", "hello"]),
                crate::effects::TO_REPLICAS
            ),
            (
                words(&["SPUBLISH", "shard", "hi"]),
                crate::effects::TO_REPLICAS
            ),
        ]
    );
}
