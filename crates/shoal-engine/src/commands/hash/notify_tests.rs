//! Keyspace notifications of the hash commands.

use crate::commands::notify_util::pairs;
use crate::testing::Harness;

#[test]
fn hset_hmset_fire_hset_even_without_new_fields() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["HSET", "h", "f", "1", "g", "2"]);
    h.run(&["HSET", "h", "f", "1"]);
    h.run(&["HMSET", "h", "x", "1"]);
    let want = [("hset", "h"), ("hset", "h"), ("hset", "h")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn hsetnx_fires_only_when_it_sets() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["HSETNX", "h", "f", "1"]);
    h.run(&["HSETNX", "h", "f", "2"]);
    assert_eq!(ev.keyevents(), pairs(&[("hset", "h")]));
}

#[test]
fn hdel_fires_hdel_then_del_when_emptied() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "f", "1", "g", "2"]);
    let ev = h.events("KEA");
    h.run(&["HDEL", "h", "nope"]);
    h.run(&["HDEL", "h", "f"]);
    h.run(&["HDEL", "h", "g", "nope"]);
    h.run(&["HDEL", "h", "g"]);
    let want = [("hdel", "h"), ("hdel", "h"), ("del", "h")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn hincrby_and_hincrbyfloat_fire_their_names() {
    let mut h = Harness::new();
    let ev = h.events("KEA");
    h.run(&["HINCRBY", "h", "n", "2"]);
    h.run(&["HINCRBYFLOAT", "h", "n", "0.5"]);
    h.run(&["HINCRBY", "h", "n", "1"]);
    let want = [("hincrby", "h"), ("hincrbyfloat", "h")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn hexpire_fires_hexpire_or_hdel_and_del() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "f", "1", "g", "2"]);
    let ev = h.events("KEA");
    h.run(&["HEXPIRE", "h", "100", "FIELDS", "2", "f", "nope"]);
    h.run(&["HEXPIRE", "h", "100", "NX", "FIELDS", "1", "f"]);
    h.run(&["HEXPIRE", "h", "100", "FIELDS", "1", "nope"]);
    h.run(&["HPEXPIREAT", "h", "1", "FIELDS", "1", "f"]);
    h.run(&["HPEXPIREAT", "h", "1", "FIELDS", "1", "g"]);
    let want = [("hexpire", "h"), ("hdel", "h"), ("hdel", "h"), ("del", "h")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn hpersist_fires_when_a_deadline_went() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "f", "1"]);
    h.run(&["HPEXPIRE", "h", "5000", "FIELDS", "1", "f"]);
    let ev = h.events("KEA");
    h.run(&["HPERSIST", "h", "FIELDS", "1", "f"]);
    h.run(&["HPERSIST", "h", "FIELDS", "1", "f"]);
    assert_eq!(ev.keyevents(), pairs(&[("hpersist", "h")]));
}

#[test]
fn lazily_expired_fields_fire_hexpired_and_del() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "f", "1"]);
    h.run(&["HPEXPIRE", "h", "100", "FIELDS", "1", "f"]);
    let ev = h.events("KEA");
    h.advance(200);
    h.run(&["HGET", "h", "f"]);
    let want = [("hexpired", "h"), ("del", "h")];
    assert_eq!(ev.keyevents(), pairs(&want));
}

#[test]
fn readers_fire_nothing() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "f", "1"]);
    let ev = h.events("KEA");
    h.run(&["HGET", "h", "f"]);
    h.run(&["HGETALL", "h"]);
    h.run(&["HTTL", "h", "FIELDS", "1", "f"]);
    h.run(&["HRANDFIELD", "h"]);
    assert_eq!(ev.keyevents(), pairs(&[]));
}

#[test]
fn hash_class_filters_on_the_keyspace_channel() {
    let mut h = Harness::new();
    let ev = h.events("Kh");
    h.run(&["HSET", "h", "f", "1"]);
    h.run(&["HDEL", "h", "f"]);
    h.run(&["RPUSH", "l", "x"]);
    let want = [("__keyspace@0__:h", "hset"), ("__keyspace@0__:h", "hdel")];
    assert_eq!(ev.take(), pairs(&want));
}
