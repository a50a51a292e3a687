use crate::rdb::file::maybe_save;
use crate::testing::*;
use std::path::Path;

fn harness_in(dir: &Path) -> Harness {
    let mut h = Harness::new();
    let d = dir.display().to_string();
    assert_eq!(h.run(&["CONFIG", "SET", "dir", &d]), ok());
    h
}

fn map1(k: &str, v: &str) -> shoal_resp::Frame {
    shoal_resp::Frame::Map(vec![(bulk(k), bulk(v))])
}

/// Polls until no background save is in progress.
fn wait_bgsave(h: &Harness) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while crate::rdb::file::state(h.engine.inner())
        .bgsave_started_ms
        .is_some()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "BGSAVE never finished"
        );
        std::thread::yield_now();
    }
}

fn info_persistence(h: &mut Harness) -> String {
    match h.run(&["INFO", "persistence"]) {
        shoal_resp::Frame::Verbatim { data, .. } | shoal_resp::Frame::Bulk(data) => {
            String::from_utf8_lossy(&data).into_owned()
        }
        other => panic!("INFO answered {other:?}"),
    }
}

#[test]
fn bgsave_writes_the_file_in_the_background_and_reports_it() {
    let dir = scratch("bgsave");
    let mut h = harness_in(&dir);
    for i in 0..1000 {
        h.run(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(h.run(&["BGSAVE"]), simple("Background saving started"));
    wait_bgsave(&h);
    let info = info_persistence(&mut h);
    assert!(info.contains("rdb_bgsave_in_progress:0\r\n"), "{info}");
    assert!(info.contains("rdb_last_bgsave_status:ok\r\n"), "{info}");
    assert!(info.contains("rdb_changes_since_last_save:0\r\n"), "{info}");
    assert!(info.contains("rdb_saves:1\r\n"), "{info}");
    assert!(info.contains("rdb_last_bgsave_time_sec:0\r\n"), "{info}");
    let mut fresh = Harness::new();
    let st = fresh.engine.load_rdb(dir.join("dump.rdb"));
    assert_eq!(st.map(|st| st.keys).ok(), Some(1000));
    assert_eq!(fresh.run(&["DBSIZE"]), int(1000));
    assert_eq!(
        h.run(&["BGSAVE", "SCHEDULE"]),
        simple("Background saving started")
    );
    wait_bgsave(&h);
    assert_eq!(h.run(&["BGSAVE", "NOW"]), err("ERR syntax error"));
    assert_eq!(h.run(&["BGSAVE", "SCHEDULE", "x"]), err("ERR syntax error"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgsave_beside_another_snapshot_is_refused_or_scheduled() {
    let dir = scratch("bgsave-busy");
    let mut h = harness_in(&dir);
    h.run(&["SET", "k", "v"]);
    let opts = crate::rdb::file::SaveOptions::from_config(h.engine.inner());
    // A snapshot that is not a BGSAVE (as an AOF rewrite takes) holds the one slot.
    let Some(snap) = crate::rdb::snapshot::begin(h.engine.inner(), opts) else {
        panic!("a snapshot is already running");
    };
    assert_eq!(
        h.run(&["BGSAVE"]),
        err("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
    );
    assert_eq!(
        h.run(&["BGSAVE", "SCHEDULE"]),
        simple("Background saving scheduled")
    );
    assert!(!maybe_save(h.engine.inner()));
    drop(snap);
    assert!(maybe_save(h.engine.inner()));
    wait_bgsave(&h);
    assert!(dir.join("dump.rdb").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn save_and_bgsave_refuse_while_a_bgsave_runs() {
    let dir = scratch("bgsave-twice");
    let mut h = harness_in(&dir);
    // A bgsave into a directory that vanished fails, and says so.
    let _ = std::fs::remove_dir_all(&dir);
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["BGSAVE"]), simple("Background saving started"));
    wait_bgsave(&h);
    let info = info_persistence(&mut h);
    assert!(info.contains("rdb_last_bgsave_status:err\r\n"), "{info}");
    // Redis counts every save tried, the failed one too.
    assert!(info.contains("rdb_saves:1\r\n"), "{info}");
    h.engine
        .inner()
        .persist
        .update(|st| st.bgsave_started_ms = Some(1));
    assert_eq!(
        h.run(&["BGSAVE"]),
        err("ERR Background save already in progress")
    );
    assert_eq!(
        h.run(&["SAVE"]),
        err("ERR Background save already in progress")
    );
}

fn scratch(tag: &str) -> std::path::PathBuf {
    crate::rdb::file_tests::scratch_dir(tag)
}

#[test]
fn save_writes_the_file_and_moves_lastsave() {
    let dir = scratch("save");
    let mut h = harness_in(&dir);
    let start = (h.engine.inner().start_ms / 1000) as i64;
    assert_eq!(h.run(&["LASTSAVE"]), int(start));
    let now = (h.engine.inner().now_ms() / 1000) as i64;
    h.run(&["SET", "k", "v"]);
    h.advance(5000);
    assert_eq!(h.run(&["SAVE"]), ok());
    assert_eq!(h.run(&["LASTSAVE"]), int(now + 5));
    assert!(dir.join("dump.rdb").exists());
    assert_eq!(h.run(&["CONFIG", "SET", "dbfilename", "other.rdb"]), ok());
    assert_eq!(h.run(&["SAVE"]), ok());
    assert!(dir.join("other.rdb").exists());
    assert_eq!(
        h.run(&["SAVE", "x"]),
        err("ERR wrong number of arguments for 'save' command")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn save_into_a_vanished_dir_fails_and_keeps_lastsave() {
    let dir = scratch("vanished");
    let mut h = harness_in(&dir);
    let before = h.run(&["LASTSAVE"]);
    let _ = std::fs::remove_dir_all(&dir);
    h.advance(3000);
    assert!(matches!(h.run(&["SAVE"]), shoal_resp::Frame::Error(_)));
    assert_eq!(h.run(&["LASTSAVE"]), before);
}

#[test]
fn persistence_config_is_checked_and_normalized() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["CONFIG", "SET", "dir", "/no/such/dir/anywhere"]),
        err("ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory")
    );
    assert_eq!(
        h.run(&["CONFIG", "SET", "dbfilename", "a/b.rdb"]),
        err("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename")
    );
    assert_eq!(
        h.run(&["CONFIG", "SET", "save", "10 1 20"]),
        err(
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
        )
    );
    // Refused values leave the old one (the harness runs without save points).
    assert_eq!(h.run(&["CONFIG", "GET", "save"]), map1("save", ""));
    for bad in [" 10  2 ", "0 1", "10 -1", "a b", "10 2 "] {
        assert_eq!(
            h.run(&["CONFIG", "SET", "save", bad]),
            err("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"),
            "{bad:?}"
        );
    }
    assert_eq!(h.run(&["CONFIG", "SET", "save", "10 2"]), ok());
    assert_eq!(h.run(&["CONFIG", "GET", "save"]), map1("save", "10 2"));
    assert_eq!(h.run(&["CONFIG", "SET", "save", ""]), ok());
    assert_eq!(h.run(&["CONFIG", "GET", "save"]), map1("save", ""));
    assert_eq!(
        h.run(&["CONFIG", "GET", "rdbcompression"]),
        map1("rdbcompression", "yes")
    );
    assert_eq!(
        h.run(&["CONFIG", "GET", "dbfilename"]),
        map1("dbfilename", "dump.rdb")
    );
}

#[test]
fn save_points_fire_after_enough_writes_and_time() {
    let dir = scratch("schedule");
    let mut h = harness_in(&dir);
    assert_eq!(h.run(&["CONFIG", "SET", "save", "10 2"]), ok());
    let dirty = |h: &Harness| {
        h.engine
            .inner()
            .stats
            .dirty
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let base = dirty(&h);
    h.run(&["SET", "k", "1"]);
    h.advance(11_000);
    if base + 1 < 2 {
        assert!(!maybe_save(h.engine.inner()));
    }
    h.run(&["SET", "k", "2"]);
    assert!(maybe_save(h.engine.inner()));
    wait_bgsave(&h);
    assert!(dir.join("dump.rdb").exists());
    assert_eq!(dirty(&h), 0);
    let info = match h.run(&["INFO", "persistence"]) {
        shoal_resp::Frame::Verbatim { data, .. } | shoal_resp::Frame::Bulk(data) => data,
        _ => bytes::Bytes::new(),
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(info.contains("rdb_changes_since_last_save:0\r\n"), "{info}");
    assert!(info.contains("rdb_last_bgsave_status:ok\r\n"), "{info}");
    h.run(&["SET", "k", "3"]);
    h.run(&["SET", "k", "4"]);
    h.advance(5_000);
    assert!(!maybe_save(h.engine.inner()));
    h.advance(5_000);
    assert!(maybe_save(h.engine.inner()));
    wait_bgsave(&h);
    assert_eq!(h.run(&["CONFIG", "SET", "save", ""]), ok());
    h.run(&["SET", "k", "5"]);
    h.advance(100_000);
    assert!(!maybe_save(h.engine.inner()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shutdown_saves_and_a_failed_save_keeps_the_server_up() {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    let dir = scratch("shutdown-save");
    let h = harness_in(&dir);
    let fired = std::sync::Arc::new(AtomicUsize::new(0));
    let flag = fired.clone();
    h.engine.on_shutdown(move || {
        flag.fetch_add(1, Relaxed);
    });
    let run = |args: &[&str]| {
        let mut s = h.other_session();
        s.execute(
            args.iter()
                .map(|a| bytes::Bytes::copy_from_slice(a.as_bytes()))
                .collect(),
        )
    };
    assert_eq!(
        run(&["CONFIG", "SET", "save", "3600 1 300 100 60 10000"]),
        Some(ok())
    );
    assert_eq!(run(&["SET", "k", "v"]), Some(ok()));
    // Save points: SHUTDOWN saves.
    assert_eq!(run(&["SHUTDOWN"]), None);
    assert!(dir.join("dump.rdb").exists());
    assert_eq!(fired.load(Relaxed), 1);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        run(&["SHUTDOWN", "SAVE"]),
        Some(err("ERR Errors trying to SHUTDOWN. Check logs."))
    );
    assert_eq!(fired.load(Relaxed), 1);
    assert_eq!(run(&["SHUTDOWN", "SAVE", "FORCE"]), None);
    assert_eq!(run(&["SHUTDOWN", "NOSAVE"]), None);
    assert_eq!(fired.load(Relaxed), 3);
}

#[test]
fn while_loading_only_loading_commands_run() {
    let mut h = Harness::new();
    h.engine.inner().persist.set_loading(true);
    let loading = err("LOADING Redis is loading the dataset in memory");
    assert_eq!(h.run(&["GET", "k"]), loading);
    assert_eq!(h.run(&["SET", "k", "v"]), loading);
    assert_eq!(h.run(&["DBSIZE"]), loading);
    let info = info_persistence(&mut h);
    assert!(info.contains("loading:1\r\n"), "{info}");
    assert!(info.contains("loading_loaded_perc:"), "{info}");
    assert_eq!(
        h.run(&["LASTSAVE"]),
        int((h.engine.inner().start_ms / 1000) as i64)
    );
    h.engine.inner().persist.set_loading(false);
    assert_eq!(h.run(&["SET", "k", "v"]), ok());
    assert!(info_persistence(&mut h).contains("loading:0\r\n"));
}

#[test]
fn a_load_reports_its_counts_in_info() {
    let dir = scratch("load-info");
    let mut h = harness_in(&dir);
    for i in 0..10 {
        h.run(&["SET", &format!("k{i}"), "v"]);
    }
    h.run(&["SET", "gone", "v", "PX", "10"]);
    assert_eq!(h.run(&["SAVE"]), ok());
    let mut fresh = Harness::new();
    fresh.advance(1000);
    assert!(fresh.engine.load_rdb(dir.join("dump.rdb")).is_ok());
    let info = info_persistence(&mut fresh);
    assert!(info.contains("rdb_last_load_keys_loaded:10\r\n"), "{info}");
    assert!(info.contains("rdb_last_load_keys_expired:1\r\n"), "{info}");
    assert!(info.contains("loading:0\r\n"), "{info}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flushall_with_save_points_saves_the_empty_dataset() {
    let dir = scratch("flushall");
    let mut h = harness_in(&dir);
    for i in 0..100 {
        h.run(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(h.run(&["FLUSHALL"]), ok());
    assert!(!dir.join("dump.rdb").exists(), "no save points, no save");
    assert_eq!(h.run(&["CONFIG", "SET", "save", "3600 1"]), ok());
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["BGSAVE"]), simple("Background saving started"));
    assert_eq!(h.run(&["FLUSHALL"]), ok());
    // As Redis 7.0 shows it: nothing unsaved, and FLUSHALL's save not counted.
    let info = info_persistence(&mut h);
    assert!(info.contains("rdb_changes_since_last_save:0\r\n"), "{info}");
    assert!(info.contains("rdb_saves:1\r\n"), "{info}");
    let fresh = Harness::new();
    let st = fresh.engine.load_rdb(dir.join("dump.rdb"));
    assert_eq!(st.map(|s| s.keys).ok(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_default_save_points_are_redis_ones() {
    let c = crate::config::Config::new();
    assert_eq!(c.get("save").as_deref(), Some("3600 1 300 100 60 10000"));
}

#[test]
fn a_failed_save_stops_writes_until_one_succeeds() {
    let dir = scratch("misconf");
    let mut h = harness_in(&dir);
    assert_eq!(h.run(&["CONFIG", "SET", "save", "3600 1"]), ok());
    h.run(&["SET", "k", "v"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(h.run(&["BGSAVE"]), simple("Background saving started"));
    wait_bgsave(&h);
    let misconf = err("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.");
    assert_eq!(h.run(&["SET", "k", "w"]), misconf);
    assert_eq!(h.run(&["PING"]), misconf);
    assert_eq!(h.run(&["GET", "k"]), bulk("v"));
    assert_eq!(h.run(&["MULTI"]), ok());
    assert_eq!(h.run(&["DEL", "k"]), misconf);
    assert_eq!(
        h.run(&["EXEC"]),
        err("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(
        h.run(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]),
        ok()
    );
    assert_eq!(h.run(&["SET", "k", "w"]), ok());
    assert_eq!(
        h.run(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"]),
        ok()
    );
    assert_eq!(h.run(&["SET", "k", "x"]), misconf);
    let _ = std::fs::create_dir_all(&dir);
    assert_eq!(h.run(&["SAVE"]), ok());
    assert_eq!(h.run(&["SET", "k", "x"]), ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgsave_inside_exec_is_scheduled_so_the_image_is_not_inside_the_transaction() {
    let dir = scratch("bgsave-exec");
    let mut h = harness_in(&dir);
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["MULTI"]), ok());
    h.run(&["BGSAVE"]);
    h.run(&["SET", "k", "w"]);
    assert_eq!(
        h.run(&["EXEC"]),
        arr(vec![simple("Background saving scheduled"), ok()])
    );
    assert!(!dir.join("dump.rdb").exists());
    assert!(maybe_save(h.engine.inner()));
    wait_bgsave(&h);
    let mut fresh = Harness::new();
    assert!(fresh.engine.load_rdb(dir.join("dump.rdb")).is_ok());
    assert_eq!(fresh.run(&["GET", "k"]), bulk("w"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_save_stops_no_writes_and_counts_as_tried() {
    let dir = scratch("save-fail");
    let mut h = harness_in(&dir);
    assert_eq!(h.run(&["CONFIG", "SET", "save", "3600 1"]), ok());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matches!(h.run(&["SAVE"]), shoal_resp::Frame::Error(_)));
    assert_eq!(h.run(&["SET", "k", "v"]), ok());
    let info = info_persistence(&mut h);
    assert!(info.contains("rdb_last_bgsave_status:ok\r\n"), "{info}");
    assert!(info.contains("rdb_saves:1\r\n"), "{info}");
}
