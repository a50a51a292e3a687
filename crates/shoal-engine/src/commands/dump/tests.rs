//! DUMP and RESTORE through the command table: options, errors, TTLs, effects, events.

use crate::effects::Effect;
use crate::testing::*;
use bytes::Bytes;
use shoal_resp::Frame;
use std::sync::mpsc::Receiver;

fn payload(h: &mut Harness, key: &str) -> Bytes {
    match h.run(&["DUMP", key]) {
        Frame::Bulk(b) => b,
        other => panic!("DUMP {key}: {other:?}"),
    }
}

fn restore(h: &mut Harness, key: &str, ttl: &str, p: &[u8], opts: &[&str]) -> Frame {
    let mut args: Vec<&[u8]> = vec![b"RESTORE", key.as_bytes(), ttl.as_bytes(), p];
    args.extend(opts.iter().map(|o| o.as_bytes()));
    h.run_bin(&args)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn effects(rx: &Receiver<Effect>) -> Vec<Vec<Bytes>> {
    rx.try_iter().map(|e| e.args).collect()
}

#[test]
fn dump_of_a_missing_key_is_null() {
    let mut h = Harness::new();
    assert_eq!(h.run(&["DUMP", "nope"]), Frame::Null);
}

#[test]
fn dump_is_byte_for_byte_what_redis_writes() {
    // Payloads taken from Redis 7.0.15 for the same commands.
    let mut h = Harness::new();
    h.run(&["SET", "s", "hello"]);
    h.run(&["RPUSH", "l", "a", "1"]);
    h.run(&["SADD", "si", "1", "2", "3"]);
    h.run(&["HSET", "h", "f", "v"]);
    h.run(&["ZADD", "z", "1.5", "a", "2", "b"]);
    h.run(&["SET", "lz", &"abc".repeat(100)]);
    let want = [
        ("s", "000568656c6c6f0a006372df766534200a"),
        ("l", "1201020c0c00000002008161020101ff0a0094962b23ac17aa85"),
        ("si", "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b"),
        ("h", "100d0d0000000200816602817602ff0a0020f13d442354089d"),
        (
            "z",
            "111414000000040081610283312e35048162020201ff0a00fa02b425af188763",
        ),
    ];
    for (k, p) in want {
        assert_eq!(payload(&mut h, k).to_vec(), hex(p), "{k}");
    }
    // Redis's own LZF output for the long string loads here.
    let redis_lz = hex("00c30e412c0361626361e0ff02e115070162630a00d25733cec044e12b");
    assert_eq!(restore(&mut h, "lz2", "0", &redis_lz, &[]), ok());
    assert_eq!(h.run(&["GET", "lz2"]), bulk("abc".repeat(100)));
}

#[test]
fn restore_recreates_each_type() {
    let mut h = Harness::new();
    h.run(&["SET", "s", "12"]);
    h.run(&["RPUSH", "l", "a", "b", "c"]);
    h.run(&["SADD", "t", "x", "y"]);
    h.run(&["HSET", "h", "f", "v", "g", "w"]);
    h.run(&["ZADD", "z", "1", "a", "2", "b"]);
    for k in ["s", "l", "t", "h", "z"] {
        let p = payload(&mut h, k);
        let copy = format!("{k}2");
        assert_eq!(restore(&mut h, &copy, "0", &p, &[]), ok());
        assert_eq!(payload(&mut h, &copy), p);
        assert_eq!(h.encoding(&copy), h.encoding(k));
    }
    assert_eq!(h.run(&["LRANGE", "l2", "0", "-1"]), bulks(&["a", "b", "c"]));
    assert_eq!(h.run(&["HGET", "h2", "g"]), bulk("w"));
    assert_eq!(h.run(&["ZSCORE", "z2", "b"]), Frame::Double(2.0));
}

#[test]
fn restore_refuses_an_existing_key_without_replace() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "old"]);
    let p = payload(&mut h, "k");
    h.run(&["SET", "k", "new"]);
    let busy = err("BUSYKEY Target key name already exists.");
    assert_eq!(restore(&mut h, "k", "0", &p, &[]), busy);
    // The existence check comes before the TTL and payload checks, as in Redis.
    assert_eq!(restore(&mut h, "k", "-1", b"junk", &[]), busy);
    assert_eq!(restore(&mut h, "k", "0", &p, &["REPLACE"]), ok());
    assert_eq!(h.run(&["GET", "k"]), bulk("old"));
}

#[test]
fn restore_validates_ttl_options_and_payload() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let p = payload(&mut h, "k");
    let cases: [(&str, &[&str], &[u8], &str); 9] = [
        ("-1", &[], &p, "ERR Invalid TTL value, must be >= 0"),
        ("x", &[], &p, "ERR value is not an integer or out of range"),
        (
            "0",
            &["IDLETIME", "-1"],
            &p,
            "ERR Invalid IDLETIME value, must be >= 0",
        ),
        (
            "0",
            &["FREQ", "256"],
            &p,
            "ERR Invalid FREQ value, must be >= 0 and <= 255",
        ),
        ("0", &["IDLETIME", "1", "FREQ", "2"], &p, "ERR syntax error"),
        ("0", &["FREQ", "2", "IDLETIME", "1"], &p, "ERR syntax error"),
        ("0", &["IDLETIME"], &p, "ERR syntax error"),
        (
            "0",
            &[],
            b"x",
            "ERR DUMP payload version or checksum are wrong",
        ),
        ("0", &["BOGUS"], &p, "ERR syntax error"),
    ];
    for (ttl, opts, body, e) in cases {
        assert_eq!(
            restore(&mut h, "n", ttl, body, opts),
            err(e),
            "{ttl} {opts:?}"
        );
    }
    let bad = crate::rdb::seal(vec![2, 0], 10);
    assert_eq!(
        restore(&mut h, "n", "0", &bad, &[]),
        err("ERR Bad data format")
    );
    assert_eq!(h.run(&["EXISTS", "n"]), int(0));
}

#[test]
fn restore_sets_relative_and_absolute_ttls() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let p = payload(&mut h, "k");
    assert_eq!(restore(&mut h, "a", "5000", &p, &[]), ok());
    assert_eq!(h.deadline("a"), Some(START_MS + 5000));
    let at = (START_MS + 9000).to_string();
    assert_eq!(restore(&mut h, "b", &at, &p, &["ABSTTL"]), ok());
    assert_eq!(h.deadline("b"), Some(START_MS + 9000));
    assert_eq!(restore(&mut h, "c", "0", &p, &[]), ok());
    assert_eq!(h.run(&["TTL", "c"]), int(-1));
    h.advance(5001);
    assert_eq!(h.run(&["EXISTS", "a", "b"]), int(1));
}

#[test]
fn restore_with_a_past_absolute_ttl_leaves_no_key() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let p = payload(&mut h, "k");
    let rx = h.engine.subscribe_effects();
    let past = (START_MS - 1).to_string();
    assert_eq!(restore(&mut h, "n", &past, &p, &["ABSTTL"]), ok());
    assert_eq!(h.run(&["EXISTS", "n"]), int(0));
    assert!(effects(&rx).is_empty());
    // Over an existing key with REPLACE, the old key is deleted and DEL replicated.
    let ev = h.events("KEA");
    assert_eq!(
        restore(&mut h, "k", &past, &p, &["ABSTTL", "REPLACE"]),
        ok()
    );
    assert_eq!(h.run(&["EXISTS", "k"]), int(0));
    assert_eq!(
        effects(&rx),
        vec![vec![Bytes::from("DEL"), Bytes::from("k")]]
    );
    assert_eq!(ev.keyevents(), vec![("del".to_string(), "k".to_string())]);
}

#[test]
fn restore_replicates_an_absolute_replace() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let p = payload(&mut h, "k");
    let rx = h.engine.subscribe_effects();
    assert_eq!(restore(&mut h, "n", "1000", &p, &["IDLETIME", "5"]), ok());
    let at = (START_MS + 1000).to_string();
    let want: Vec<Bytes> = ["RESTORE", "n", &at]
        .iter()
        .map(|s| Bytes::from(s.to_string()))
        .chain([p.clone()])
        .chain(["REPLACE", "ABSTTL", "IDLETIME", "5"].map(Bytes::from))
        .collect();
    assert_eq!(effects(&rx), vec![want]);
}

#[test]
fn restore_notifies_and_sets_idle_time() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let p = payload(&mut h, "k");
    h.advance(100_000);
    let ev = h.events("KEA");
    assert_eq!(restore(&mut h, "n", "0", &p, &["IDLETIME", "30"]), ok());
    assert_eq!(h.run(&["OBJECT", "IDLETIME", "n"]), int(30));
    assert_eq!(
        ev.keyevents(),
        vec![("restore".to_string(), "n".to_string())]
    );
    assert_eq!(restore(&mut h, "m", "0", &p, &["FREQ", "7"]), ok());
    assert_eq!(h.run(&["GET", "m"]), bulk("v"));
}

#[test]
fn restore_wakes_a_blocked_list_reader() {
    let mut h = Harness::new();
    h.run(&["RPUSH", "src", "x"]);
    let p = payload(&mut h, "src");
    crate::commands::notify_util::park(&h, &["BLPOP", "dst", "0"], &["dst"]);
    assert_eq!(restore(&mut h, "dst", "0", &p, &[]), ok());
    // The parked BLPOP took the element, so the key is gone.
    assert_eq!(h.run(&["EXISTS", "dst"]), int(0));
}

#[test]
fn field_ttls_survive_dump_and_restore_and_then_expire() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "f", "v", "g", "w"]);
    h.run(&["HPEXPIRE", "h", "100000", "FIELDS", "1", "f"]);
    let p = payload(&mut h, "h");
    assert_eq!(p[0], 25);
    assert_eq!(restore(&mut h, "h2", "0", &p, &[]), ok());
    assert_eq!(
        h.run(&["HPTTL", "h2", "FIELDS", "1", "f"]),
        h.run(&["HPTTL", "h", "FIELDS", "1", "f"])
    );
    assert_eq!(
        h.run(&["HTTL", "h2", "FIELDS", "1", "g"]),
        arr(vec![int(-1)])
    );
    h.advance(100_001);
    assert_eq!(h.run(&["HKEYS", "h2"]), bulks(&["g"]));
}

#[test]
fn dump_leaves_out_fields_past_their_deadline() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "f", "v", "g", "w"]);
    h.run(&["HPEXPIRE", "h", "100", "FIELDS", "1", "f"]);
    h.advance(101);
    let p = payload(&mut h, "h");
    assert_eq!(restore(&mut h, "h2", "0", &p, &[]), ok());
    assert_eq!(h.run(&["HKEYS", "h2"]), bulks(&["g"]));
}

#[test]
fn restored_values_take_the_configured_encodings() {
    let mut h = Harness::new();
    h.run(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    h.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    h.run(&["SADD", "s", "1", "2", "3"]);
    h.run(&["RPUSH", "l", "a", "b", "c"]);
    let payloads: Vec<_> = ["h", "z", "s", "l"]
        .iter()
        .map(|k| payload(&mut h, k))
        .collect();
    for (name, v) in [
        ("hash-max-listpack-entries", "2"),
        ("zset-max-listpack-entries", "2"),
        ("set-max-intset-entries", "2"),
        ("list-max-listpack-size", "2"),
    ] {
        assert_eq!(h.run(&["CONFIG", "SET", name, v]), ok());
    }
    let want = ["hashtable", "skiplist", "hashtable", "quicklist"];
    for ((k, p), enc) in ["h2", "z2", "s2", "l2"].iter().zip(&payloads).zip(want) {
        assert_eq!(restore(&mut h, k, "0", p, &[]), ok());
        assert_eq!(h.encoding(k), Some(enc), "{k}");
    }
}

#[test]
fn restore_touches_watched_keys() {
    let mut h = Harness::new();
    h.run(&["SET", "k", "v"]);
    let p = payload(&mut h, "k");
    let mut other = h.other_session();
    let call = |s: &mut crate::Session, args: &[&str]| {
        s.call(args.iter().map(|a| Bytes::from(a.to_string())).collect())
    };
    assert_eq!(call(&mut other, &["WATCH", "n"]), ok());
    assert_eq!(restore(&mut h, "n", "0", &p, &[]), ok());
    call(&mut other, &["MULTI"]);
    call(&mut other, &["GET", "n"]);
    assert_eq!(call(&mut other, &["EXEC"]), Frame::NullArray);
}
