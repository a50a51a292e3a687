//! DUMP / RESTORE interoperability with a real `redis-server` 7: every type in every
//! encoding is dumped by Redis and restored into Shoal, and dumped by Shoal and restored
//! into Redis; contents (and encodings where both servers must agree) are compared.
//! Skips (with a message) where no `redis-server` is installed.

use redis::Connection;
use shoal_tests::{key_contents as contents, RedisServer, TestServer};

type Cmd = Vec<Vec<u8>>;

fn cmd(parts: &[&[u8]]) -> Cmd {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// A command with a fixed head and generated tail.
fn bulk_cmd(head: &[&str], tail: impl IntoIterator<Item = String>) -> Cmd {
    head.iter()
        .map(|h| h.as_bytes().to_vec())
        .chain(tail.into_iter().map(String::into_bytes))
        .collect()
}

fn run(con: &mut Connection, c: &Cmd) -> redis::Value {
    let mut q = redis::cmd(&String::from_utf8_lossy(&c[0]));
    for a in &c[1..] {
        q.arg(a.as_slice());
    }
    q.query(con)
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(&c[0])))
}

/// The keys and the commands that fill them, one key per type and encoding.
fn fixtures() -> Vec<(&'static str, Vec<Cmd>)> {
    let n = |k: usize, f: fn(usize) -> String| (0..k).map(f).collect::<Vec<_>>();
    let pairs =
        |k: usize, vlen: usize| (0..k).flat_map(move |i| [format!("f{i}"), format!("{i:0vlen$}v")]);
    let scored =
        |k: usize| (0..k).flat_map(|i| [format!("{}", i as f64 / 4.0 - 3.0), format!("m{i}")]);
    vec![
        ("str_int", vec![cmd(&[b"SET", b"str_int", b"12345"])]),
        (
            "str_bigint",
            vec![cmd(&[b"SET", b"str_bigint", b"-9223372036854775808"])],
        ),
        ("str_emb", vec![cmd(&[b"SET", b"str_emb", b"hello world"])]),
        (
            "str_raw",
            vec![bulk_cmd(
                &["SET", "str_raw"],
                [n(60, |i| format!("{}", (i * 37) % 10)).concat()],
            )],
        ),
        (
            "str_lzf",
            vec![bulk_cmd(&["SET", "str_lzf"], ["abcdefgh".repeat(500)])],
        ),
        (
            "str_bin",
            vec![cmd(&[b"SET", b"str_bin", b"\x00\xff\x01binary\r\n"])],
        ),
        (
            "list_small",
            vec![cmd(&[b"RPUSH", b"list_small", b"a", b"1", b"-70000", b"b"])],
        ),
        (
            "list_big",
            vec![bulk_cmd(
                &["RPUSH", "list_big"],
                n(3000, |i| {
                    if i % 3 == 0 {
                        i.to_string()
                    } else {
                        format!("element-{i}")
                    }
                }),
            )],
        ),
        (
            "list_huge_elem",
            vec![bulk_cmd(
                &["RPUSH", "list_huge_elem"],
                ["x".into(), "y".repeat(20000), "z".into()],
            )],
        ),
        (
            "set_int",
            vec![cmd(&[
                b"SADD",
                b"set_int",
                b"1",
                b"-5",
                b"70000",
                b"9000000000",
            ])],
        ),
        (
            "set_int_big",
            vec![bulk_cmd(
                &["SADD", "set_int_big"],
                n(1000, |i| i.to_string()),
            )],
        ),
        (
            "set_str",
            vec![cmd(&[b"SADD", b"set_str", b"a", b"b", b"7"])],
        ),
        (
            "set_str_big",
            vec![bulk_cmd(
                &["SADD", "set_str_big"],
                n(300, |i| format!("member:{i}")),
            )],
        ),
        (
            "hash_small",
            vec![bulk_cmd(&["HSET", "hash_small"], pairs(5, 2))],
        ),
        (
            "hash_big",
            vec![bulk_cmd(&["HSET", "hash_big"], pairs(300, 30))],
        ),
        (
            "hash_long",
            vec![bulk_cmd(
                &["HSET", "hash_long"],
                ["f".into(), "v".repeat(100)],
            )],
        ),
        (
            "zset_small",
            vec![bulk_cmd(&["ZADD", "zset_small"], scored(5))],
        ),
        (
            "zset_big",
            vec![bulk_cmd(&["ZADD", "zset_big"], scored(300))],
        ),
        (
            "zset_inf",
            vec![cmd(&[
                b"ZADD",
                b"zset_inf",
                b"inf",
                b"a",
                b"-inf",
                b"b",
                b"0.1",
                b"c",
            ])],
        ),
    ]
}

fn encoding(con: &mut Connection, key: &str) -> String {
    redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(key)
        .query(con)
        .unwrap_or_default()
}

fn dump(con: &mut Connection, key: &str) -> Vec<u8> {
    redis::cmd("DUMP").arg(key).query(con).unwrap_or_default()
}

fn restore(con: &mut Connection, key: &str, payload: &[u8]) -> String {
    match redis::cmd("RESTORE")
        .arg(key)
        .arg(0)
        .arg(payload)
        .query::<String>(con)
    {
        Ok(s) => s,
        Err(e) => format!("error {e}"),
    }
}

fn setup() -> Option<(RedisServer, TestServer, Connection, Connection)> {
    let redis = RedisServer::start()?;
    let shoal = TestServer::start();
    let (mut r, mut s) = (redis.client(), shoal.client());
    for (_, cmds) in fixtures() {
        for c in &cmds {
            run(&mut r, c);
            run(&mut s, c);
        }
    }
    Some((redis, shoal, r, s))
}

#[test]
fn redis_payloads_restore_into_shoal() {
    let Some((_redis, _shoal, mut r, mut s)) = setup() else {
        return;
    };
    for (key, _) in fixtures() {
        let payload = dump(&mut r, key);
        assert!(!payload.is_empty(), "{key}");
        let copy = format!("from_redis:{key}");
        assert_eq!(restore(&mut s, &copy, &payload), "OK", "{key}");
        assert_eq!(
            contents(&mut s, &copy).replace(&copy, key),
            contents(&mut r, key),
            "{key}"
        );
        // Restored like Shoal builds it itself.
        assert_eq!(encoding(&mut s, &copy), encoding(&mut s, key), "{key}");
    }
}

#[test]
fn shoal_payloads_restore_into_redis() {
    let Some((_redis, _shoal, mut r, mut s)) = setup() else {
        return;
    };
    for (key, _) in fixtures() {
        let payload = dump(&mut s, key);
        assert!(!payload.is_empty(), "{key}");
        let copy = format!("from_shoal:{key}");
        assert_eq!(restore(&mut r, &copy, &payload), "OK", "{key}");
        assert_eq!(contents(&mut r, &copy), contents(&mut s, key), "{key}");
        assert_eq!(encoding(&mut r, &copy), encoding(&mut r, key), "{key}");
    }
}

#[test]
fn both_servers_agree_on_restore_errors() {
    let Some((_redis, _shoal, mut r, mut s)) = setup() else {
        return;
    };
    let good = dump(&mut r, "str_emb");
    let mut corrupt = good.clone();
    corrupt[1] ^= 0x40;
    let cases: Vec<Vec<&[u8]>> = vec![
        vec![b"str_emb", b"0", &good],
        vec![b"n", b"-1", &good],
        vec![b"n", b"x", &good],
        vec![b"n", b"0", b"garbage"],
        vec![b"n", b"0", &corrupt],
        vec![b"n", b"0", &good, b"IDLETIME", b"-1"],
        vec![b"n", b"0", &good, b"FREQ", b"300"],
        vec![b"n", b"0", &good, b"IDLETIME", b"1", b"FREQ", b"1"],
        vec![b"n", b"0", &good, b"REPLACE", b"ABSTTL", b"BOGUS"],
        vec![b"n", b"1", &good, b"ABSTTL"],
        vec![b"n", b"0", &good, b"IDLETIME"],
        vec![b"n", b"0", &good, b"FREQ", b"x"],
        vec![b"n", b"0", &good, b"FREQ", b"3", b"REPLACE"],
        vec![b"str_int", b"1", &good, b"ABSTTL", b"REPLACE"],
        vec![b"n", b"0", &good],
    ];
    for args in cases {
        let mut c = cmd(&[b"RESTORE"]);
        c.extend(args.iter().map(|a| a.to_vec()));
        let reply = |con: &mut Connection| {
            let mut q = redis::cmd("RESTORE");
            c[1..].iter().for_each(|a| {
                q.arg(a.as_slice());
            });
            match q.query::<redis::Value>(con) {
                Ok(v) => format!("{v:?}"),
                Err(e) => format!("{:?} {}", e.code(), e.detail().unwrap_or_default()),
            }
        };
        assert_eq!(
            reply(&mut s),
            reply(&mut r),
            "{:?}",
            String::from_utf8_lossy(args[1])
        );
    }
    for key in ["n", "str_int"] {
        assert_eq!(contents(&mut s, key), contents(&mut r, key), "{key}");
    }
}

#[test]
fn shoal_writes_the_same_bytes_as_redis() {
    let Some((_redis, _shoal, mut r, mut s)) = setup() else {
        return;
    };
    // Keys whose payload has one valid form (no LZF choice, no hashtable order).
    let same = [
        "str_int",
        "str_bigint",
        "str_emb",
        "str_bin",
        "list_small",
        "hash_small",
        "zset_small",
    ];
    for key in same {
        assert_eq!(dump(&mut s, key), dump(&mut r, key), "{key}");
    }
}

#[test]
fn idletime_is_restored_like_redis() {
    let Some((_redis, _shoal, mut r, mut s)) = setup() else {
        return;
    };
    let payload = dump(&mut r, "str_emb");
    for con in [&mut r, &mut s] {
        let reply: String = redis::cmd("RESTORE")
            .arg("idle")
            .arg(0)
            .arg(payload.as_slice())
            .arg("IDLETIME")
            .arg(1000)
            .query(con)
            .unwrap_or_default();
        assert_eq!(reply, "OK");
        let idle: i64 = redis::cmd("OBJECT")
            .arg("IDLETIME")
            .arg("idle")
            .query(con)
            .unwrap_or_default();
        assert!((1000..1003).contains(&idle), "{idle}");
    }
}

#[test]
fn compressed_quicklist_nodes_from_redis_restore_into_shoal() {
    let Some((_redis, _shoal, mut r, mut s)) = setup() else {
        return;
    };
    let set = |con: &mut Connection, name: &str, v: &str| {
        let _: redis::Value = redis::cmd("CONFIG")
            .arg("SET")
            .arg(name)
            .arg(v)
            .query(con)
            .unwrap_or(redis::Value::Nil);
    };
    set(&mut r, "list-compress-depth", "1");
    set(&mut r, "list-max-listpack-size", "16");
    let items: Vec<String> = (0..200)
        .map(|i| format!("compressible-{:04}", i % 7))
        .collect();
    run(&mut r, &bulk_cmd(&["RPUSH", "lc"], items));
    let payload = dump(&mut r, "lc");
    assert_eq!(restore(&mut s, "lc", &payload), "OK");
    assert_eq!(contents(&mut s, "lc"), contents(&mut r, "lc"));
}
