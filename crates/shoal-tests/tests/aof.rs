//! The append-only file end to end, with `shoal-server` as a child process: data survives
//! restarts (every type, deadlines, transactions), BGREWRITEAOF under concurrent writes
//! loses nothing, `appendfsync always` keeps every acknowledged write across SIGKILL and
//! `everysec` loses only the last moments, the
//! `--check-aof` checker, and directories written by Redis 7 load into Shoal and the other
//! way round (skipped, with a message, where no `redis-server` is installed).

use redis::Connection;
use shoal_tests::process::{server_binary, ServerProcess};
use shoal_tests::{key_contents, query as q, words, RedisServer};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn scratch(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("shoal-aof-it-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

fn shoal_on(dir: &Path, extra: &[&str]) -> Option<ServerProcess> {
    let d = dir.display().to_string();
    let mut args = vec!["--dir", &d, "--appendonly", "yes", "--save", ""];
    args.extend_from_slice(extra);
    ServerProcess::start(&args)
}

fn started(dir: &Path, extra: &[&str]) -> ServerProcess {
    shoal_on(dir, extra).unwrap_or_else(|| panic!("shoal-server refused to start"))
}

/// Commands writing every type into databases 0, 3 and 9, with deadlines, a transaction
/// and a function library; `big` adds collections past the compact encodings.
fn fixture(big: bool) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = [
        "SELECT 0",
        "SET str hello",
        "SET num 10",
        "INCRBY num 32",
        "APPEND str _world",
        "SET ttl v PX 100000000",
        "RPUSH list a b c d",
        "LPOP list",
        "SADD set_int 1 2 3",
        "SADD set_str a b c",
        "SREM set_str b",
        "HSET hash f v g 1",
        "HINCRBY hash g 5",
        "ZADD zset 1 a 2.5 b -3 c",
        "ZINCRBY zset 2 a",
        "PEXPIREAT hash 4000000000000",
        "MULTI",
        "INCR tx_counter",
        "RPUSH tx_list one two",
        "EXEC",
        "SET gone x",
        "DEL gone",
        "SELECT 3",
        "SET other db3",
        "SELECT 9",
        "LPUSH other x y",
        "SELECT 0",
    ]
    .iter()
    .map(|s| words(s))
    .collect();
    out.push(vec![
        "FUNCTION".into(),
        "LOAD".into(),
        "#!lua name=aoflib\nredis.register_function('aoff', function() return 7 end)".into(),
    ]);
    if big {
        let mut add = |head: &str, tail: Vec<String>| {
            let mut c = words(head);
            c.extend(tail);
            out.push(c);
        };
        add(
            "RPUSH list_big",
            (0..2000).map(|i| format!("e{i}")).collect(),
        );
        add("SADD set_big", (0..600).map(|i| format!("m{i}")).collect());
        for i in 0..300 {
            add("HSET hash_big", vec![format!("f{i}"), format!("v{i}")]);
        }
        let scored = (0..300).flat_map(|i| [format!("{}", i as f64 / 4.0), format!("m{i}")]);
        add("ZADD zset_big", scored.collect());
        add("SET str_long", vec!["abcdefgh".repeat(300)]);
    }
    out
}

fn fill(con: &mut Connection, cmds: &[Vec<String>]) {
    for c in cmds {
        q(con, c);
    }
}

/// Every key of databases 0 to 15: (db, key, contents, deadline).
fn image(con: &mut Connection) -> Vec<(usize, String, String, i64)> {
    let mut out = Vec::new();
    for db in 0..16 {
        q(con, &words(&format!("SELECT {db}")));
        let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(con).unwrap_or_default();
        keys.sort();
        for k in keys {
            let c = key_contents(con, &k);
            let at: i64 = redis::cmd("PEXPIRETIME").arg(&k).query(con).unwrap_or(-3);
            out.push((db, k, c, at));
        }
    }
    q(con, &words("SELECT 0"));
    out
}

fn info_field(con: &mut Connection, name: &str) -> String {
    let info: String = redis::cmd("INFO")
        .arg("persistence")
        .query(con)
        .unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn wait_rewrite_done(con: &mut Connection) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if info_field(con, "aof_rewrite_in_progress") == "0"
            && info_field(con, "aof_rewrite_scheduled") == "0"
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the AOF rewrite did not finish");
}

#[test]
fn restart_keeps_every_type_deadlines_and_transactions() {
    let dir = scratch("restart");
    let server = started(&dir, &["--appendfsync", "always"]);
    let mut con = server.client();
    fill(&mut con, &fixture(true));
    let want = image(&mut con);
    assert!(want.len() >= 15, "{want:?}");
    server.kill();
    let server = started(&dir, &[]);
    let mut con = server.client();
    assert_eq!(image(&mut con), want);
    // A graceful stop (everysec) keeps what was written last too.
    q(&mut con, &words("SET last one"));
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").arg("NOSAVE").query(&mut con);
    let mut server = server;
    assert!(
        server.wait_exit(Duration::from_secs(20)),
        "SHUTDOWN did not end the server"
    );
    drop(server);
    let server = started(&dir, &[]);
    let mut con = server.client();
    assert_eq!(
        q(&mut con, &words("GET last")),
        redis::Value::BulkString(b"one".to_vec())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgrewriteaof_while_writes_go_on_loses_nothing() {
    let dir = scratch("rewrite");
    let server = started(&dir, &["--appendfsync", "always"]);
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let mut con = server.client();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) || n < 200 {
                    let _: i64 = redis::cmd("RPUSH")
                        .arg(format!("list{w}"))
                        .arg(n)
                        .query(&mut con)
                        .unwrap_or_else(|e| panic!("{e}"));
                    let _: i64 = redis::cmd("INCR")
                        .arg("counter")
                        .query(&mut con)
                        .unwrap_or(0);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut con = server.client();
    for _ in 0..4 {
        let started: String = redis::cmd("BGREWRITEAOF")
            .query(&mut con)
            .unwrap_or_default();
        assert_eq!(started, "Background append only file rewriting started");
        wait_rewrite_done(&mut con);
    }
    stop.store(true, Ordering::Relaxed);
    let counts: Vec<u64> = writers.into_iter().map(|t| t.join().unwrap_or(0)).collect();
    let want = image(&mut con);
    server.kill();
    let names: Vec<String> = std::fs::read_dir(dir.join("appendonlydir"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        names.len(),
        3,
        "one base, one incr, the manifest: {names:?}"
    );
    let server = started(&dir, &[]);
    let mut con = server.client();
    assert_eq!(image(&mut con), want);
    let total: i64 = redis::cmd("GET")
        .arg("counter")
        .query(&mut con)
        .unwrap_or(0);
    assert_eq!(total as u64, counts.iter().sum::<u64>());
    for (w, n) in counts.iter().enumerate() {
        let items: Vec<u64> = redis::cmd("LRANGE")
            .arg(format!("list{w}"))
            .arg(0)
            .arg(-1)
            .query(&mut con)
            .unwrap_or_default();
        assert_eq!(items, (0..*n).collect::<Vec<_>>());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `SET k<i> i` and `RPUSH log i` from `from` on until the connection breaks,
/// publishing in `acked` the index after the last write acknowledged.
fn write_until_killed(port: u16, from: u64, acked: &AtomicU64) {
    let Ok(mut con) =
        redis::Client::open(format!("redis://127.0.0.1:{port}/")).and_then(|c| c.get_connection())
    else {
        return;
    };
    for i in from.. {
        let set: redis::RedisResult<String> = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut con);
        let push: redis::RedisResult<i64> = match set {
            Ok(_) => redis::cmd("RPUSH").arg("log").arg(i).query(&mut con),
            Err(e) => Err(e),
        };
        if push.is_err() {
            return;
        }
        acked.store(i + 1, Ordering::SeqCst);
    }
}

/// Writes like [`write_until_killed`], noting when each hundredth write was acknowledged.
fn write_noting_times(port: u16, acked: &AtomicU64, times: &Mutex<Vec<(u64, Instant)>>) {
    let Ok(mut con) =
        redis::Client::open(format!("redis://127.0.0.1:{port}/")).and_then(|c| c.get_connection())
    else {
        return;
    };
    for i in 0.. {
        let pushed: redis::RedisResult<i64> = redis::cmd("RPUSH").arg("log").arg(i).query(&mut con);
        if pushed.is_err() {
            return;
        }
        acked.store(i + 1, Ordering::SeqCst);
        if i % 100 == 0 {
            times
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((i, Instant::now()));
        }
    }
}

#[test]
fn appendfsync_everysec_loses_at_most_the_last_moments_across_sigkill() {
    let dir = scratch("everysec");
    let server = started(&dir, &["--appendfsync", "everysec"]);
    let acked = Arc::new(AtomicU64::new(0));
    let times = Arc::new(Mutex::new(Vec::new()));
    let (a, t, port) = (acked.clone(), times.clone(), server.port);
    let writer = std::thread::spawn(move || write_noting_times(port, &a, &t));
    // Long enough that writes acknowledged well before the kill exist.
    assert!(shoal_tests::eventually(Duration::from_secs(30), || {
        times
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .first()
            .is_some_and(|(_, at)| at.elapsed() > Duration::from_secs(5))
    }));
    let killed_at = Instant::now();
    server.kill();
    let _ = writer.join();
    let server = started(&dir, &[]);
    let mut con = server.client();
    let log: Vec<u64> = redis::cmd("LRANGE")
        .arg("log")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap_or_default();
    // What survived is a prefix of what was sent, with nothing missing in between.
    assert_eq!(log, (0..log.len() as u64).collect::<Vec<_>>());
    // Everything acknowledged more than three seconds before the kill is there (the policy
    // allows about one second of loss; the rest is slack for a loaded machine).
    let old_enough = times
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(_, at)| killed_at.duration_since(*at) > Duration::from_secs(3))
        .map(|(i, _)| *i)
        .max();
    let old_enough = old_enough.unwrap_or(0);
    assert!(
        (log.len() as u64) > old_enough,
        "write {old_enough}, acknowledged over 3 s before the kill, is lost (kept {})",
        log.len()
    );
    assert!(log.len() as u64 <= acked.load(Ordering::SeqCst) + 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn appendfsync_always_keeps_every_acknowledged_write_across_sigkill() {
    let dir = scratch("crash");
    // A seed of its own per run, printed so a failure can be reproduced.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    eprintln!("crash test seed {seed}");
    let mut rng = seed | 1;
    let mut acked = 0u64;
    for round in 0..4 {
        let server = started(&dir, &["--appendfsync", "always"]);
        let mut con = server.client();
        for i in 0..acked {
            let v: Option<u64> = redis::cmd("GET")
                .arg(format!("k{i}"))
                .query(&mut con)
                .unwrap_or(None);
            assert_eq!(
                v,
                Some(i),
                "round {round}: acknowledged write k{i} lost (seed {seed})"
            );
        }
        let log: Vec<u64> = redis::cmd("LRANGE")
            .arg("log")
            .arg(0)
            .arg(-1)
            .query(&mut con)
            .unwrap_or_default();
        assert!(
            log.len() as u64 >= acked,
            "round {round}: log lost entries (seed {seed})"
        );
        assert_eq!(log[..acked as usize], (0..acked).collect::<Vec<_>>()[..]);
        // The next writes continue after whatever reached the file.
        let from = log.len() as u64;
        if round > 0 && round % 2 == 0 {
            let _: redis::RedisResult<String> = redis::cmd("BGREWRITEAOF").query(&mut con);
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let wait = Duration::from_millis(100 + rng % 400);
        let port = server.port;
        let progress = Arc::new(AtomicU64::new(from));
        let p = progress.clone();
        let writer = std::thread::spawn(move || write_until_killed(port, from, &p));
        // The random moment counts from the first acknowledged write.
        let first = shoal_tests::eventually(Duration::from_secs(10), || {
            progress.load(Ordering::SeqCst) > from
        });
        assert!(first, "round {round}: no write was acknowledged");
        std::thread::sleep(wait);
        server.kill();
        let _ = writer.join();
        acked = progress.load(Ordering::SeqCst);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_aof_reports_the_offset_and_fix_truncates_a_torn_tail() {
    let dir = scratch("check");
    let server = started(&dir, &["--appendfsync", "always"]);
    let mut con = server.client();
    q(&mut con, &words("SET a 1"));
    server.kill();
    let incr = dir.join("appendonlydir/appendonly.aof.1.incr.aof");
    let good = std::fs::metadata(&incr).map(|m| m.len()).unwrap_or(0);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap_or_else(|e| panic!("{e}"));
    std::io::Write::write_all(&mut f, b"*3\r\n$3\r\nSET\r\n$1\r\nb")
        .unwrap_or_else(|e| panic!("{e}"));
    drop(f);
    let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
    let run = |fix: bool| {
        let mut c = Command::new(server_binary());
        c.arg("--check-aof");
        if fix {
            c.arg("--fix");
        }
        let out = c.arg(&manifest).output().unwrap_or_else(|e| panic!("{e}"));
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, text) = run(false);
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("ok_up_to={good}")), "{text}");
    assert!(text.contains(&format!("at offset {good}")), "{text}");
    // Without aof-load-truncated the server refuses to start on it.
    assert!(shoal_on(&dir, &["--aof-load-truncated", "no"]).is_none());
    let (ok, text) = run(true);
    assert!(ok && text.contains("Successfully truncated AOF"), "{text}");
    assert_eq!(std::fs::metadata(&incr).map(|m| m.len()).unwrap_or(0), good);
    let server = started(&dir, &["--aof-load-truncated", "no"]);
    let mut con = server.client();
    assert_eq!(
        q(&mut con, &words("GET a")),
        redis::Value::BulkString(b"1".to_vec())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `redis-server` with the AOF on in `dir` (loaded at start-up).
fn redis_on(dir: &Path) -> Option<RedisServer> {
    let dir = dir.display().to_string();
    RedisServer::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        &dir,
    ])
}

fn redis_installed() -> bool {
    let ok = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("redis-server is not installed: skipping the AOF interoperability test");
    }
    ok
}

fn connect(port: u16) -> Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Fills half the fixture, rewrites (so the base holds data), fills the rest.
fn fill_with_rewrite(con: &mut Connection) {
    let all = fixture(true);
    let (first, rest) = all.split_at(all.len() / 2);
    fill(con, first);
    let _: String = redis::cmd("BGREWRITEAOF").query(con).unwrap_or_default();
    wait_rewrite_done(con);
    fill(con, rest);
}

#[test]
fn an_aof_written_by_redis_loads_into_shoal() {
    if !redis_installed() {
        return;
    }
    for preamble in ["yes", "no"] {
        let dir = scratch("from-redis");
        let redis = redis_on(&dir).unwrap_or_else(|| panic!("redis-server did not start"));
        let mut r = connect(redis.port);
        q(
            &mut r,
            &words(&format!("CONFIG SET aof-use-rdb-preamble {preamble}")),
        );
        q(&mut r, &words("CONFIG SET aof-timestamp-enabled yes"));
        fill_with_rewrite(&mut r);
        let want = image(&mut r);
        drop(redis);
        let shoal = started(&dir, &[]);
        let mut s = shoal.client();
        assert_eq!(image(&mut s), want, "preamble {preamble}");
        assert_eq!(q(&mut s, &words("FCALL aoff 0")), redis::Value::Int(7));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn an_aof_written_by_shoal_loads_into_redis() {
    if !redis_installed() {
        return;
    }
    for preamble in ["yes", "no"] {
        let dir = scratch("to-redis");
        let shoal = started(&dir, &["--appendfsync", "always"]);
        let mut s = shoal.client();
        q(
            &mut s,
            &words(&format!("CONFIG SET aof-use-rdb-preamble {preamble}")),
        );
        q(&mut s, &words("CONFIG SET aof-timestamp-enabled yes"));
        fill_with_rewrite(&mut s);
        let want = image(&mut s);
        shoal.kill();
        let redis =
            redis_on(&dir).unwrap_or_else(|| panic!("redis-server did not load Shoal's AOF"));
        let mut r = connect(redis.port);
        assert_eq!(image(&mut r), want, "preamble {preamble}");
        assert_eq!(q(&mut r, &words("FCALL aoff 0")), redis::Value::Int(7));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
