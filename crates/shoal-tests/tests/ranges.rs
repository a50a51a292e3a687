//! Range replies over the wire: a client reads LRANGE, the hash listings, SMEMBERS, the
//! sorted-set ranges and KEYS exactly as the data holds them, in either protocol, alone,
//! inside a transaction and from a script.

use redis::Value;
use shoal_tests::TestServer;

/// Elements a list may hold: text, integers (kept packed as numbers), bytes that look like
/// protocol, an empty string.
fn elements() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = ["a", "1", "-5", "12345678901", "", "007", "x y"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    out.push(b"a\r\n$3\r\nb".to_vec());
    out.push(vec![0, 255, 13]);
    out
}

/// Runs a writing command `cmd key args...` that answers an integer.
fn write<A: redis::ToRedisArgs>(con: &mut redis::Connection, cmd: &str, key: &str, args: A) {
    let _: i64 = redis::cmd(cmd)
        .arg(key)
        .arg(args)
        .query(con)
        .unwrap_or_else(|e| panic!("{cmd} {key}: {e}"));
}

fn fill(con: &mut redis::Connection, key: &str, items: &[Vec<u8>]) {
    write(con, "RPUSH", key, items);
}

fn lrange(con: &mut redis::Connection, key: &str, start: i64, stop: i64) -> Vec<Vec<u8>> {
    redis::cmd("LRANGE")
        .arg(key)
        .arg(start)
        .arg(stop)
        .query(con)
        .unwrap_or_else(|e| panic!("LRANGE {key} {start} {stop}: {e}"))
}

#[test]
fn lrange_replies_every_element_as_stored_in_both_protocols() {
    let s = TestServer::start();
    let items = elements();
    let mut c2 = s.client();
    let mut c3 = s.client3();
    fill(&mut c2, "small", &items);
    // Past list-max-listpack-size: a quicklist of several nodes.
    let big: Vec<Vec<u8>> = (0..3000)
        .map(|i| {
            if i % 3 == 0 {
                i.to_string().into_bytes()
            } else {
                format!("item-{i}").into_bytes()
            }
        })
        .collect();
    fill(&mut c2, "big", &big);
    let encoding: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("big")
        .query(&mut c2)
        .unwrap_or_default();
    assert_eq!(encoding, "quicklist");
    for con in [&mut c2, &mut c3] {
        assert_eq!(lrange(con, "small", 0, -1), items);
        assert_eq!(lrange(con, "small", 2, 4), items[2..=4].to_vec());
        assert_eq!(
            lrange(con, "small", -2, -1),
            items[items.len() - 2..].to_vec()
        );
        assert_eq!(lrange(con, "small", 5, 2), Vec::<Vec<u8>>::new());
        assert_eq!(lrange(con, "missing", 0, -1), Vec::<Vec<u8>>::new());
        assert_eq!(lrange(con, "big", 0, -1), big);
        assert_eq!(lrange(con, "big", 1000, 1999), big[1000..2000].to_vec());
    }
}

#[test]
fn lrange_reply_bytes_are_exact_on_the_wire() {
    let s = TestServer::start();
    let mut c = s.client();
    fill(&mut c, "l", &[b"ab".to_vec(), b"42".to_vec(), Vec::new()]);
    let mut raw = s.raw();
    let expected = b"*3\r\n$2\r\nab\r\n$2\r\n42\r\n$0\r\n\r\n*1\r\n$2\r\n42\r\n*0\r\n";
    assert_eq!(
        raw.roundtrip(
            b"LRANGE l 0 -1\r\nLRANGE l 1 1\r\nLRANGE l 3 9\r\n",
            expected
        ),
        expected
    );
}

#[test]
fn lrange_inside_exec_and_from_a_script_gives_the_same_elements() {
    let s = TestServer::start();
    let mut c = s.client3();
    let items = elements();
    fill(&mut c, "l", &items);
    let (in_tx,): (Vec<Vec<u8>>,) = redis::pipe()
        .atomic()
        .cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query(&mut c)
        .unwrap_or_else(|e| panic!("EXEC: {e}"));
    assert_eq!(in_tx, items);
    let from_script: Value = redis::cmd("EVAL")
        .arg("return redis.call('LRANGE', KEYS[1], 0, -1)")
        .arg(1)
        .arg("l")
        .query(&mut c)
        .unwrap_or_else(|e| panic!("EVAL: {e}"));
    let want = Value::Array(items.into_iter().map(Value::BulkString).collect());
    assert_eq!(from_script, want);
}

fn raw_reply(s: &TestServer, request: &[u8], expected: &[u8]) {
    let mut raw = s.raw();
    assert_eq!(
        String::from_utf8_lossy(&raw.roundtrip(request, expected)),
        String::from_utf8_lossy(expected)
    );
}

fn bulks(items: &[&str]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|s| Value::BulkString(s.as_bytes().to_vec()))
            .collect(),
    )
}

#[test]
fn hash_listings_are_exact_in_both_protocols() {
    let s = TestServer::start();
    let mut c = s.client();
    write(&mut c, "HSET", "h", &["f", "1", "g", "", "h", "x\r\ny"]);
    raw_reply(
        &s,
        b"HKEYS h\r\nHVALS h\r\nHGETALL h\r\nHKEYS nohash\r\nHGETALL nohash\r\n",
        b"*3\r\n$1\r\nf\r\n$1\r\ng\r\n$1\r\nh\r\n\
          *3\r\n$1\r\n1\r\n$0\r\n\r\n$4\r\nx\r\ny\r\n\
          *6\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$0\r\n\r\n$1\r\nh\r\n$4\r\nx\r\ny\r\n\
          *0\r\n*0\r\n",
    );
    let mut c3 = s.client3();
    let q = |con: &mut redis::Connection, cmd: &str| -> Value {
        redis::cmd(cmd)
            .arg("h")
            .query(con)
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    };
    assert_eq!(q(&mut c3, "HKEYS"), bulks(&["f", "g", "h"]));
    assert_eq!(q(&mut c3, "HVALS"), bulks(&["1", "", "x\r\ny"]));
    let pair = |k: &str, v: &str| {
        (
            Value::BulkString(k.as_bytes().to_vec()),
            Value::BulkString(v.as_bytes().to_vec()),
        )
    };
    assert_eq!(
        q(&mut c3, "HGETALL"),
        Value::Map(vec![pair("f", "1"), pair("g", ""), pair("h", "x\r\ny")])
    );
}

#[test]
fn sorted_set_ranges_and_pops_are_exact_in_both_protocols() {
    let s = TestServer::start();
    let mut c = s.client();
    write(
        &mut c,
        "ZADD",
        "z",
        &["1.5", "a", "-inf", "b", "3", "c", "0.1", "d"],
    );
    // RESP2: scores are bulk strings as Redis formats doubles.
    raw_reply(
        &s,
        b"ZRANGE z 0 -1\r\nZRANGE z 0 1 WITHSCORES\r\nZRANGEBYSCORE z (1 +inf WITHSCORES\r\n\
          ZRANGE z 5 9\r\nZRANGE noz 0 -1 WITHSCORES\r\nZUNION 1 z WITHSCORES\r\n",
        b"*4\r\n$1\r\nb\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nc\r\n\
          *4\r\n$1\r\nb\r\n$4\r\n-inf\r\n$1\r\nd\r\n$3\r\n0.1\r\n\
          *4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nc\r\n$1\r\n3\r\n\
          *0\r\n*0\r\n\
          *8\r\n$1\r\nb\r\n$4\r\n-inf\r\n$1\r\nd\r\n$3\r\n0.1\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nc\r\n$1\r\n3\r\n",
    );
    raw_reply(
        &s,
        b"ZPOPMIN z\r\nZPOPMAX z 2\r\n",
        b"*2\r\n$1\r\nb\r\n$4\r\n-inf\r\n*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\na\r\n$3\r\n1.5\r\n",
    );
    // RESP3: members alone are an array of bulk strings, scores are doubles.
    let mut c3 = s.client3();
    write(&mut c3, "ZADD", "y", &["1.5", "a", "2", "b"]);
    let members: Value = redis::cmd("ZRANGE")
        .arg("y")
        .arg(0)
        .arg(-1)
        .query(&mut c3)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(members, bulks(&["a", "b"]));
    let scored: Value = redis::cmd("ZRANGE")
        .arg("y")
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut c3)
        .unwrap_or_else(|e| panic!("{e}"));
    let entry = |m: &str, s: f64| {
        Value::Array(vec![
            Value::BulkString(m.as_bytes().to_vec()),
            Value::Double(s),
        ])
    };
    assert_eq!(scored, Value::Array(vec![entry("a", 1.5), entry("b", 2.0)]));
    let popped: Value = redis::cmd("ZPOPMIN")
        .arg("y")
        .query(&mut c3)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        popped,
        Value::Array(vec![Value::BulkString(b"a".to_vec()), Value::Double(1.5)])
    );
}

#[test]
fn smembers_lists_every_member_in_each_encoding_and_protocol() {
    let s = TestServer::start();
    let mut c = s.client();
    write(&mut c, "SADD", "ints", &["3", "-1", "20"]);
    // An intset keeps its members sorted: the exact bytes are known.
    raw_reply(
        &s,
        b"SMEMBERS ints\r\nSMEMBERS noset\r\n",
        b"*3\r\n$2\r\n-1\r\n$1\r\n3\r\n$2\r\n20\r\n*0\r\n",
    );
    write(&mut c, "SADD", "small", &["a", "", "x\r\ny"]);
    let big: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    write(&mut c, "SADD", "big", &big);
    let mut c3 = s.client3();
    for (key, n) in [("ints", 3), ("small", 3), ("big", 1000)] {
        let mut want: Vec<Vec<u8>> = redis::cmd("SMEMBERS")
            .arg(key)
            .query(&mut c3)
            .unwrap_or_else(|e| panic!("SMEMBERS {key}: {e}"));
        let mut got: Vec<Vec<u8>> = redis::cmd("SMEMBERS")
            .arg(key)
            .query(&mut c)
            .unwrap_or_else(|e| panic!("SMEMBERS {key}: {e}"));
        got.sort();
        want.sort();
        assert_eq!(got.len(), n, "{key}");
        assert_eq!(got, want, "{key}");
    }
    let mut small: Vec<Vec<u8>> = redis::cmd("SMEMBERS")
        .arg("small")
        .query(&mut c)
        .unwrap_or_default();
    small.sort();
    assert_eq!(small, vec![b"".to_vec(), b"a".to_vec(), b"x\r\ny".to_vec()]);
    let typed: Value = redis::cmd("SMEMBERS")
        .arg("ints")
        .query(&mut c3)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(typed, Value::Set(ref m) if m.len() == 3),
        "{typed:?}"
    );
}

#[test]
fn keys_lists_every_matching_key_in_both_protocols() {
    let s = TestServer::start();
    let mut c = s.client();
    let mut names: Vec<Vec<u8>> = (0..500).map(|i| format!("k:{i}").into_bytes()).collect();
    names.push(b"k:\r\n\x00".to_vec());
    for name in &names {
        let _: () = redis::cmd("SET")
            .arg(name)
            .arg(1)
            .query(&mut c)
            .unwrap_or_else(|e| panic!("SET: {e}"));
    }
    let _: () = redis::cmd("SET")
        .arg("other")
        .arg(1)
        .query(&mut c)
        .unwrap_or_else(|e| panic!("SET: {e}"));
    names.sort();
    let mut c3 = s.client3();
    for con in [&mut c, &mut c3] {
        let mut got: Vec<Vec<u8>> = redis::cmd("KEYS")
            .arg("k:*")
            .query(con)
            .unwrap_or_else(|e| panic!("KEYS: {e}"));
        got.sort();
        assert_eq!(got, names);
        let none: Vec<Vec<u8>> = redis::cmd("KEYS")
            .arg("nothing*")
            .query(con)
            .unwrap_or_else(|e| panic!("KEYS: {e}"));
        assert!(none.is_empty());
    }
    raw_reply(&s, b"KEYS oth*\r\n", b"*1\r\n$5\r\nother\r\n");
}
