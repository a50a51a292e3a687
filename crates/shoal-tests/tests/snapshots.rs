//! Background snapshots through the real server: point-in-time under concurrent writers,
//! saving on SIGTERM, loading at start-up, and `--check-rdb`.

use shoal_tests::process::{run_server_tool, ServerProcess};
use shoal_tests::{eventually, TestServer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("shoal-snap-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::create_dir_all(&d);
    d
}

fn info_field(con: &mut redis::Connection, section: &str, name: &str) -> String {
    let info: String = redis::cmd("INFO")
        .arg(section)
        .query(con)
        .unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_default()
}

fn bgsave_done(con: &mut redis::Connection) -> bool {
    info_field(con, "persistence", "rdb_bgsave_in_progress") == "0"
}

/// Loads `path` into a fresh engine.
fn load(path: &Path) -> shoal_engine::Engine {
    let config = shoal_engine::Config::new();
    let _ = config.set_startup("save", "");
    let engine = shoal_engine::Engine::with_options(shoal_engine::EngineOptions {
        config,
        ..Default::default()
    });
    let loaded = engine.load_rdb(path);
    assert!(loaded.is_ok(), "{:?}", loaded.err());
    engine
}

fn get(engine: &shoal_engine::Engine, key: &str) -> Option<String> {
    let mut s = engine.session();
    match s.execute(vec![
        bytes::Bytes::from_static(b"GET"),
        bytes::Bytes::copy_from_slice(key.as_bytes()),
    ]) {
        Some(shoal_resp::Frame::Bulk(b)) => Some(String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    }
}

/// An in-process server whose snapshots go to `dir`, and a client of it.
fn server_in(dir: &Path) -> (TestServer, redis::Connection) {
    let server = TestServer::start();
    let mut con = server.client();
    let set: redis::RedisResult<()> = redis::cmd("CONFIG")
        .arg("SET")
        .arg("dir")
        .arg(dir.display().to_string())
        .query(&mut con);
    assert!(set.is_ok(), "{set:?}");
    (server, con)
}

#[test]
fn bgsave_under_writers_keeps_every_transaction_whole() {
    let dir = scratch("pit");
    let (server, mut con) = server_in(&dir);
    let mut pipe = redis::pipe();
    for i in 0..20_000 {
        pipe.set(format!("fill:{i}"), i).ignore();
    }
    let _: () = pipe.query(&mut con).unwrap_or_default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let mut c = server.client();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) && n < 200_000 {
                    let i = (n * 7 + w) % 100;
                    // a:i and b:i always change together.
                    let _: Result<(), _> = redis::pipe()
                        .atomic()
                        .incr(format!("a:{i}"), 1)
                        .ignore()
                        .incr(format!("b:{i}"), 1)
                        .ignore()
                        .set(format!("fill:{}", n % 20_000), "changed")
                        .ignore()
                        .query(&mut c);
                    n += 1;
                }
            })
        })
        .collect();
    // Let the writers get going, then snapshot while they run.
    assert!(eventually(Duration::from_secs(10), || {
        redis::cmd("EXISTS")
            .arg("a:0")
            .query::<i64>(&mut con)
            .unwrap_or(0)
            == 1
    }));
    let started: String = redis::cmd("BGSAVE").query(&mut con).unwrap_or_default();
    assert_eq!(started, "Background saving started");
    assert!(eventually(Duration::from_secs(60), || bgsave_done(
        &mut con
    )));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.join();
    }
    assert_eq!(
        info_field(&mut con, "persistence", "rdb_last_bgsave_status"),
        "ok"
    );
    let engine = load(&dir.join("dump.rdb"));
    let mut pairs = 0;
    for i in 0..100 {
        let (a, b) = (
            get(&engine, &format!("a:{i}")),
            get(&engine, &format!("b:{i}")),
        );
        assert_eq!(a, b, "a:{i} and b:{i} differ in the image");
        pairs += usize::from(a.is_some());
    }
    assert!(pairs > 0);
    for i in 0..20_000 {
        assert!(
            get(&engine, &format!("fill:{i}")).is_some(),
            "fill:{i} missing"
        );
    }
    // Redis's own checker accepts the file, where it is installed.
    if let Ok(out) = Command::new("redis-check-rdb")
        .arg(dir.join("dump.rdb"))
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        assert!(text.contains("RDB looks OK"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_saves_and_a_restart_loads_it() {
    let dir = scratch("sigterm");
    let d = dir.display().to_string();
    let Some(mut server) = ServerProcess::start(&["--dir", &d, "--save", "3600 1"]) else {
        panic!("the server did not start");
    };
    let mut con = server.client();
    for i in 0..500 {
        let _: () = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(i)
            .query(&mut con)
            .unwrap_or_default();
    }
    let _: () = redis::cmd("RPUSH")
        .arg("list")
        .arg("a")
        .arg("b")
        .query(&mut con)
        .unwrap_or_default();
    assert!(server.terminate(), "the server did not exit on SIGTERM");
    assert!(dir.join("dump.rdb").exists());

    let Some(server) = ServerProcess::start(&["--dir", &d, "--save", ""]) else {
        panic!("the server did not restart");
    };
    let mut con = server.client();
    assert!(eventually(Duration::from_secs(30), || {
        info_field(&mut con, "persistence", "loading") == "0"
    }));
    let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap_or(0);
    assert_eq!(n, 501);
    let v: String = redis::cmd("GET")
        .arg("k42")
        .query(&mut con)
        .unwrap_or_default();
    assert_eq!(v, "42");
    assert_eq!(
        info_field(&mut con, "persistence", "rdb_last_load_keys_loaded"),
        "501"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_rdb_accepts_a_good_file_and_names_the_offset_of_damage() {
    let dir = scratch("check");
    let (_server, mut con) = server_in(&dir);
    for i in 0..200 {
        let _: () = redis::cmd("HSET")
            .arg(format!("h{i}"))
            .arg("f")
            .arg("v".repeat(i))
            .query(&mut con)
            .unwrap_or_default();
    }
    let _: () = redis::cmd("SAVE").query(&mut con).unwrap_or_default();
    let path = dir.join("dump.rdb");
    let good = path.display().to_string();
    let out = run_server_tool(&["--check-rdb", &good]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("RDB looks OK"), "{text}");
    assert!(text.contains("[info] 200 keys read"), "{text}");

    let mut bytes = std::fs::read(&path).unwrap_or_default();
    let cut = bytes.len() / 2;
    bytes.truncate(cut);
    let bad = dir.join("cut.rdb");
    let _ = std::fs::write(&bad, &bytes);
    let out = run_server_tool(&["--check-rdb", &bad.display().to_string()]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("--- RDB ERROR DETECTED ---"), "{text}");
    assert!(text.contains("unexpected end of file"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
