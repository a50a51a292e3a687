//! Access data in snapshots: under an LRU policy each key's idle time (IDLE), under an LFU
//! policy its counter (FREQ), written as Redis 7 writes them, restored on load when the
//! policy in force tracks them, and read by a real Redis (where one is installed).

use redis::Connection;
use shoal_tests::{query as q, words, RedisServer, TestServer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "shoal-rdb-access-{tag}-{}-{:?}",
        std::process::id(),
        Instant::now()
    ));
    let d = PathBuf::from(d.display().to_string().replace(
        |c: char| !c.is_ascii_alphanumeric() && c != '/' && c != '-',
        "",
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

fn int(con: &mut Connection, cmd: &str) -> i64 {
    match q(con, &words(cmd)) {
        redis::Value::Int(n) => n,
        other => panic!("{cmd}: {other:?}"),
    }
}

fn set_dir(con: &mut Connection, dir: &Path) {
    let args = ["CONFIG", "SET", "dir", &dir.display().to_string()].map(String::from);
    q(con, &args);
}

/// Keys `a` (idle 5000 s or counter 100, per `opt`) and `b` (fresh), restored from a DUMP.
fn fill(con: &mut Connection, policy: &str, opt: &str) {
    q(
        con,
        &words(&format!("CONFIG SET maxmemory-policy {policy}")),
    );
    q(con, &words("SET src v"));
    let payload: Vec<u8> = redis::cmd("DUMP")
        .arg("src")
        .query(con)
        .unwrap_or_else(|e| panic!("{e}"));
    let restored: String = redis::cmd("RESTORE")
        .arg("a")
        .arg(0)
        .arg(payload)
        .arg(opt.split(' ').collect::<Vec<_>>())
        .query(con)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(restored, "OK");
    q(con, &words("SET b v"));
    q(con, &words("DEL src"));
}

fn save_in(con: &mut Connection, dir: &Path) {
    set_dir(con, dir);
    assert_eq!(q(con, &words("SAVE")), redis::Value::Okay);
}

fn shoal_loading(dir: &Path, policy: &str) -> TestServer {
    let engine = shoal_engine::Engine::new();
    engine
        .inner()
        .config
        .set("maxmemory-policy", policy)
        .unwrap_or_else(|e| panic!("{e}"));
    engine
        .load_rdb(dir.join("dump.rdb"))
        .unwrap_or_else(|e| panic!("{e}"));
    TestServer::with_engine(engine)
}

#[test]
fn idle_times_survive_a_save_and_load_under_lru() {
    let dir = scratch("lru");
    let s = TestServer::start();
    let mut c = s.client();
    fill(&mut c, "allkeys-lru", "IDLETIME 5000");
    save_in(&mut c, &dir);
    let loaded = shoal_loading(&dir, "allkeys-lru");
    let mut l = loaded.client();
    let idle = int(&mut l, "OBJECT IDLETIME a");
    assert!((5000..5010).contains(&idle), "idle {idle}");
    assert!(int(&mut l, "OBJECT IDLETIME b") < 10);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn counters_survive_a_save_and_load_under_lfu() {
    let dir = scratch("lfu");
    let s = TestServer::start();
    let mut c = s.client();
    fill(&mut c, "allkeys-lfu", "FREQ 100");
    save_in(&mut c, &dir);
    let loaded = shoal_loading(&dir, "allkeys-lfu");
    let mut l = loaded.client();
    assert_eq!(int(&mut l, "OBJECT FREQ a"), 100);
    assert!(int(&mut l, "OBJECT FREQ b") <= 6);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until a Redis started on a file answers PING (it says LOADING before).
fn redis_loading(dir: &Path, policy: &str) -> Option<(RedisServer, Connection)> {
    let d = dir.display().to_string();
    let redis = RedisServer::start_with(&[
        "--dir",
        &d,
        "--dbfilename",
        "dump.rdb",
        "--maxmemory-policy",
        policy,
    ])?;
    let mut r = redis.client();
    let deadline = Instant::now() + Duration::from_secs(20);
    while redis::cmd("PING").query::<String>(&mut r).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((redis, r))
}

fn redis_check_accepts(file: &Path) {
    let Ok(out) = Command::new("redis-check-rdb").arg(file).output() else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("RDB looks OK"),
        "{text}"
    );
}

#[test]
fn redis_reads_the_idle_and_freq_records_shoal_writes() {
    if RedisServer::start().is_none() {
        return;
    }
    for (policy, opt) in [
        ("allkeys-lru", "IDLETIME 5000"),
        ("allkeys-lfu", "FREQ 100"),
    ] {
        let dir = scratch(policy);
        let s = TestServer::start();
        let mut c = s.client();
        fill(&mut c, policy, opt);
        save_in(&mut c, &dir);
        redis_check_accepts(&dir.join("dump.rdb"));
        let Some((_redis, mut r)) = redis_loading(&dir, policy) else {
            panic!("redis-server did not start on Shoal's file");
        };
        if policy == "allkeys-lru" {
            let idle = int(&mut r, "OBJECT IDLETIME a");
            assert!((5000..5010).contains(&idle), "idle {idle}");
        } else {
            assert_eq!(int(&mut r, "OBJECT FREQ a"), 100);
        }
        assert_eq!(int(&mut r, "DBSIZE"), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn shoal_reads_the_idle_and_freq_records_redis_writes() {
    for (policy, opt) in [
        ("allkeys-lru", "IDLETIME 5000"),
        ("allkeys-lfu", "FREQ 100"),
    ] {
        let dir = scratch(&format!("r-{policy}"));
        let d = dir.display().to_string();
        let Some(redis) = RedisServer::start_with(&["--dir", &d, "--maxmemory-policy", policy])
        else {
            return;
        };
        let mut r = redis.client();
        fill(&mut r, policy, opt);
        assert_eq!(q(&mut r, &words("SAVE")), redis::Value::Okay);
        let loaded = shoal_loading(&dir, policy);
        let mut l = loaded.client();
        if policy == "allkeys-lru" {
            let idle = int(&mut l, "OBJECT IDLETIME a");
            assert!((5000..5010).contains(&idle), "idle {idle}");
        } else {
            assert_eq!(int(&mut l, "OBJECT FREQ a"), 100);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
