//! Range replies over the wire: a client reads LRANGE exactly as the list holds it, in
//! either protocol, alone, inside a transaction and from a script.

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

fn fill(con: &mut redis::Connection, key: &str, items: &[Vec<u8>]) {
    let _: i64 = redis::cmd("RPUSH")
        .arg(key)
        .arg(items)
        .query(con)
        .unwrap_or_default();
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
