//! RDB snapshot interoperability with a real `redis-server` 7: Redis SAVEs a keyspace with
//! every type and encoding, deadlines, several databases and a function library, and Shoal
//! loads the file; then Shoal SAVEs and a fresh Redis starts on the file. Contents,
//! encodings (where both must agree) and deadlines are compared. Skips (with a message)
//! where no `redis-server` is installed.

use redis::Connection;
use shoal_engine::Engine;
use shoal_tests::{key_contents as contents, query as q, words, RedisServer, TestServer};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Commands filling databases 0, 2 and 9 with every type in every encoding.
fn fixtures() -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = [
        "SELECT 0",
        "SET str_int 12345",
        "SET str_neg -70000",
        "SET str_emb hello",
        "RPUSH list_small a 1 -70000 b",
        "SADD set_int 1 2 3 -5",
        "SADD set_str a b c",
        "HSET hash_small f v g 1",
        "ZADD zset_small 1 a 2.5 b -3 c",
        "SET ttl_key v PX 100000000",
        "HSET ttl_hash a b",
        "PEXPIREAT ttl_hash 4000000000000",
        "SELECT 2",
        "SET other db2",
        "SELECT 9",
        "LPUSH other x y",
    ]
    .iter()
    .map(|s| words(s))
    .collect();
    let mut add = |head: &str, tail: Vec<String>| {
        let mut c = words(head);
        c.extend(tail);
        out.push(c);
    };
    add("SELECT", vec!["0".into()]);
    add("SET str_lzf", vec!["abcdefgh".repeat(300)]);
    add("SET str_raw", vec!["x".repeat(50)]);
    add(
        "RPUSH list_big",
        (0..3000).map(|i| format!("element-{i}")).collect(),
    );
    add("RPUSH list_huge", vec!["y".repeat(20000), "z".into()]);
    add("SADD set_big", (0..600).map(|i| format!("m{i}")).collect());
    add("SADD set_bigint", (0..600).map(|i| i.to_string()).collect());
    let pairs = |n: usize| (0..n).flat_map(|i| [format!("f{i}"), format!("v{i}")]);
    // One field per command: a single big HSET's conversion differs between versions.
    // 600: beyond both servers' hash-max-listpack-entries (this Redis build says 512).
    for i in 0..600 {
        add("HSET hash_big", vec![format!("f{i}"), format!("v{i}")]);
    }
    add("HSET hash_pairs", pairs(100).collect());
    add("HSET hash_longval f", vec!["v".repeat(100)]);
    let scored = |n: usize| (0..n).flat_map(|i| [format!("{}", i as f64 / 4.0), format!("m{i}")]);
    add("ZADD zset_big", scored(300).collect());
    add(
        "FUNCTION LOAD",
        vec!["#!lua name=rdblib\nredis.register_function('rdbf', function() return 7 end)".into()],
    );
    out
}

/// Every key of databases 0 to 15: (db, key, contents, encoding, deadline).
fn image(con: &mut Connection) -> Vec<(usize, String, String, String, i64)> {
    let mut out = Vec::new();
    for db in 0..16 {
        q(con, &words(&format!("SELECT {db}")));
        let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(con).unwrap_or_default();
        keys.sort();
        for k in keys {
            let c = contents(con, &k);
            let mut enc: String = redis::cmd("OBJECT")
                .arg("ENCODING")
                .arg(&k)
                .query(con)
                .unwrap_or_default();
            // Redis 7.2 (Shoal) keeps small string sets in listpacks, 7.0 in hash tables.
            // Small lists: listpack in 7.2, quicklist in 7.0.
            if (c.starts_with("set:") && enc != "intset") || c.starts_with("list:") {
                enc = "-".into();
            }
            let at: i64 = redis::cmd("PEXPIRETIME").arg(&k).query(con).unwrap_or(-3);
            out.push((db, k, c, enc, at));
        }
    }
    q(con, &words("SELECT 0"));
    out
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "shoal-rdb-it-{tag}-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

fn connect(port: u16) -> Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn fill_and_save(con: &mut Connection, dir: &Path, set_dir: bool) {
    if set_dir {
        q(
            con,
            &[
                "CONFIG".into(),
                "SET".into(),
                "dir".into(),
                dir.display().to_string(),
            ],
        );
    }
    for c in fixtures() {
        q(con, &c);
    }
    assert_eq!(q(con, &words("SAVE")), redis::Value::Okay);
}

#[test]
fn a_file_saved_by_redis_loads_into_shoal() {
    if RedisServer::start().is_none() {
        return;
    }
    let dir = scratch("from-redis");
    // `dir` is a protected config in Redis 7: given on the command line.
    let Some(redis) = start_redis_on(&dir, "dump.rdb") else {
        panic!("redis-server did not start");
    };
    let mut r = connect(redis.port);
    fill_and_save(&mut r, &dir, false);
    let want = image(&mut r);
    assert!(want.len() >= 20);
    let engine = Engine::new();
    let st = engine.load_rdb(dir.join("dump.rdb"));
    let st = st.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((st.keys, st.expired, st.libraries), (want.len(), 0, 1));
    let shoal = TestServer::with_engine(engine);
    let mut s = shoal.client();
    assert_eq!(image(&mut s), want);
    assert_eq!(q(&mut s, &words("FCALL rdbf 0")), redis::Value::Int(7));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `redis-server` loading `dir/file` at start-up.
fn start_redis_on(dir: &Path, file: &str) -> Option<RedisServer> {
    let dir = dir.display().to_string();
    RedisServer::start_with(&["--dir", &dir, "--dbfilename", file])
}

#[test]
fn a_file_saved_by_shoal_loads_into_redis() {
    // Only to learn whether a redis-server is installed.
    if RedisServer::start().is_none() {
        return;
    }
    let dir = scratch("from-shoal");
    let shoal = TestServer::start();
    let mut s = shoal.client();
    fill_and_save(&mut s, &dir, true);
    let want = image(&mut s);
    let redis = start_redis_on(&dir, "dump.rdb");
    let Some(redis) = redis else {
        panic!("redis-server did not start on Shoal's file");
    };
    let mut r = connect(redis.port);
    // Redis may still be loading: PING answers LOADING until it is done.
    let deadline = Instant::now() + Duration::from_secs(20);
    while redis::cmd("PING").query::<String>(&mut r).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(image(&mut r), want);
    assert_eq!(q(&mut r, &words("FCALL rdbf 0")), redis::Value::Int(7));
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}
