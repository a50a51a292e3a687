//! CLIENT KILL's MAXAGE and TYPE filters, and CLIENT LIST TYPE, against several sessions.

use crate::testing::*;
use bytes::Bytes;
use shoal_resp::Frame;

fn args(words: &[&str]) -> Vec<Bytes> {
    words.iter().map(|w| Bytes::from(w.to_string())).collect()
}

#[test]
fn client_kill_maxage_kills_only_clients_at_least_that_old() {
    let mut h = Harness::new();
    let old = h.other_session();
    h.advance(10_000);
    let young = h.other_session();
    h.advance(2_000);
    // `old` is 12 s old, `young` 2 s, the caller is skipped.
    assert_eq!(h.run(&["CLIENT", "KILL", "MAXAGE", "5"]), int(1));
    assert!(old.should_close());
    assert!(!young.should_close());
    drop(old);
    assert_eq!(
        h.run(&["CLIENT", "KILL", "MAXAGE", "1", "SKIPME", "yes"]),
        int(1)
    );
    assert!(young.should_close());
    assert_eq!(
        h.run(&["CLIENT", "KILL", "MAXAGE", "soon"]),
        err("ERR maxage is not an integer or out of range")
    );
}

#[test]
fn client_type_pubsub_is_a_subscribed_client() {
    let mut h = Harness::new();
    let mut sub = h.other_session();
    let plain = h.other_session();
    let _ = sub.execute(args(&["SUBSCRIBE", "news"]));
    let sub_id = sub.state().id();
    let listed = |f: Frame| match f {
        Frame::Verbatim { data, .. } => String::from_utf8_lossy(&data).into_owned(),
        other => panic!("not verbatim: {other:?}"),
    };
    let pubsub = listed(h.run(&["CLIENT", "LIST", "TYPE", "pubsub"]));
    assert_eq!(pubsub.lines().count(), 1, "{pubsub}");
    assert!(pubsub.starts_with(&format!("id={sub_id} ")), "{pubsub}");
    let normal = listed(h.run(&["CLIENT", "LIST", "TYPE", "normal"]));
    assert_eq!(normal.lines().count(), 2, "{normal}");
    assert_eq!(h.run(&["CLIENT", "KILL", "TYPE", "pubsub"]), int(1));
    assert!(sub.should_close());
    assert!(!plain.should_close());
    assert_eq!(h.run(&["CLIENT", "KILL", "TYPE", "replica"]), int(0));
}
