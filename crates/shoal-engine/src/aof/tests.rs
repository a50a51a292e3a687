use super::check;
use super::codec::encode;
use super::load;
use crate::engine::{Engine, EngineOptions};
use crate::session::Session;
use bytes::Bytes;
use proptest::prelude::*;
use shoal_resp::Frame;
use std::path::{Path, PathBuf};

fn scratch(tag: &str) -> PathBuf {
    crate::rdb::file_tests::scratch_dir(&format!("aof-{tag}"))
}

/// An engine on `dir` with the AOF on (fsync always unless `extra` says otherwise), opened.
fn open(dir: &Path, extra: &[(&str, &str)]) -> Result<Engine, load::AofError> {
    let config = crate::config::Config::new();
    let set = |n: &str, v: &str| assert!(config.set_startup(n, v).is_ok(), "{n} {v}");
    set("dir", &dir.display().to_string());
    set("appendonly", "yes");
    set("appendfsync", "always");
    set("save", "");
    for (n, v) in extra {
        set(n, v);
    }
    let engine = Engine::with_options(EngineOptions {
        config,
        ..EngineOptions::default()
    });
    engine.open_aof().map(|_| engine)
}

fn opened(dir: &Path, extra: &[(&str, &str)]) -> Engine {
    match open(dir, extra) {
        Ok(e) => e,
        Err(e) => panic!("open: {e}"),
    }
}

fn run(s: &mut Session, args: &[&str]) -> Frame {
    let mark = s.engine().write_mark();
    let reply = s.call(args.iter().map(|a| Bytes::from(a.to_string())).collect());
    s.engine().wait_durable(mark);
    reply
}

fn words(f: Frame) -> Vec<String> {
    match f {
        Frame::Array(items) | Frame::Set(items) => items.into_iter().flat_map(words).collect(),
        Frame::Map(pairs) => pairs
            .into_iter()
            .flat_map(|(k, v)| words(k).into_iter().chain(words(v)))
            .collect(),
        Frame::Bulk(b) | Frame::Simple(b) => vec![String::from_utf8_lossy(&b).into_owned()],
        Frame::Integer(n) => vec![n.to_string()],
        Frame::Double(d) => vec![d.to_string()],
        other => vec![format!("{other:?}")],
    }
}

/// Every key of databases 0 and 1 with its type, contents (order-independent where the
/// type is) and deadline.
fn image(engine: &Engine) -> Vec<String> {
    let mut s = engine.session();
    let mut out = Vec::new();
    for db in ["0", "1"] {
        run(&mut s, &["SELECT", db]);
        let mut keys = words(run(&mut s, &["KEYS", "*"]));
        keys.sort();
        for k in keys {
            let t = words(run(&mut s, &["TYPE", &k])).join("");
            let mut body = match t.as_str() {
                "string" => words(run(&mut s, &["GET", &k])),
                "list" => words(run(&mut s, &["LRANGE", &k, "0", "-1"])),
                "set" => words(run(&mut s, &["SMEMBERS", &k])),
                "hash" => words(run(&mut s, &["HGETALL", &k])),
                "zset" => words(run(&mut s, &["ZRANGE", &k, "0", "-1", "WITHSCORES"])),
                _ => Vec::new(),
            };
            if t == "set" {
                body.sort();
            }
            if t == "hash" {
                let mut pairs: Vec<String> = body.chunks(2).map(|c| c.join("=")).collect();
                pairs.sort();
                body = pairs;
            }
            let at = words(run(&mut s, &["PEXPIRETIME", &k])).join("");
            out.push(format!("{db}/{k}:{t}:{}:{at}", body.join(",")));
        }
    }
    out
}

fn stop(engine: &Engine) {
    super::writer::stop(engine.inner());
}

fn fixture(s: &mut Session) {
    for c in [
        &["SET", "s", "hello"][..],
        &["SET", "n", "41"],
        &["INCR", "n"],
        &["SET", "t", "v", "EX", "1000"],
        &["RPUSH", "l", "a", "b", "c"],
        &["LPOP", "l"],
        &["SADD", "set", "x", "y", "z"],
        &["SREM", "set", "y"],
        &["HSET", "h", "f1", "v1", "f2", "v2"],
        &["ZADD", "z", "1.5", "m1", "2", "m2"],
        &["SELECT", "1"],
        &["SET", "other", "db1"],
        &["MULTI"],
        &["INCR", "counter"],
        &["LPUSH", "tx", "1"],
        &["EXEC"],
        &["SELECT", "0"],
    ] {
        run(s, c);
    }
}

#[test]
fn restart_replays_every_write() {
    let dir = scratch("restart");
    let engine = opened(&dir, &[]);
    let mut s = engine.session();
    fixture(&mut s);
    let want = image(&engine);
    assert_eq!(want.len(), 10, "{want:?}");
    stop(&engine);
    let again = opened(&dir, &[]);
    assert_eq!(image(&again), want);
    let manifest = std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest"));
    assert_eq!(
        manifest.unwrap_or_default(),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
}

#[test]
fn incr_file_holds_select_and_multi_exec_as_redis_writes_them() {
    let dir = scratch("format");
    let engine = opened(&dir, &[]);
    let mut s = engine.session();
    run(&mut s, &["SET", "k", "v"]);
    run(&mut s, &["SELECT", "2"]);
    run(&mut s, &["MULTI"]);
    run(&mut s, &["SET", "a", "1"]);
    run(&mut s, &["SET", "b", "2"]);
    run(&mut s, &["EXEC"]);
    let bytes = std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof"));
    let text = String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned();
    assert_eq!(
        text,
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
         *2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$5\r\nMULTI\r\n\
         *3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n\
         *1\r\n$4\r\nEXEC\r\n"
    );
    stop(&engine);
}

fn cmd(words: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let args: Vec<Bytes> = words.iter().map(|w| Bytes::from(w.to_string())).collect();
    encode(&mut out, &args);
    out
}

/// A directory holding an AOF-format base and one incremental file with `incr`.
fn hand_made(tag: &str, incr: &[u8]) -> (PathBuf, PathBuf) {
    let dir = scratch(tag);
    let aof = dir.join("appendonlydir");
    let _ = std::fs::create_dir_all(&aof);
    let _ = std::fs::write(
        aof.join("appendonly.aof.1.base.aof"),
        cmd(&["SET", "base", "1"]),
    );
    let _ = std::fs::write(aof.join("appendonly.aof.1.incr.aof"), incr);
    let _ = std::fs::write(
        aof.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    (dir, aof.join("appendonly.aof.1.incr.aof"))
}

#[test]
fn torn_tail_is_cut_off_when_aof_load_truncated_is_yes() {
    let mut incr = cmd(&["SET", "a", "1"]);
    let good = incr.len();
    incr.extend_from_slice(&cmd(&["SET", "b", "2"])[..9]);
    let (dir, file) = hand_made("torn", &incr);
    let engine = opened(&dir, &[]);
    assert_eq!(
        image(&engine),
        vec!["0/a:string:1:-1", "0/base:string:1:-1"]
    );
    let len = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    // Cut back to the last whole command; new writes follow it.
    assert!(len >= good as u64);
    let mut s = engine.session();
    run(&mut s, &["SET", "c", "3"]);
    stop(&engine);
    let again = opened(&dir, &[]);
    assert_eq!(image(&again).len(), 3);
}

#[test]
fn torn_tail_refuses_to_start_when_aof_load_truncated_is_no() {
    let mut incr = cmd(&["SET", "a", "1"]);
    let good = incr.len();
    incr.extend_from_slice(b"*3\r\n$3\r\nSET");
    let (dir, _) = hand_made("torn-no", &incr);
    let err = open(&dir, &[("aof-load-truncated", "no")]).err();
    let msg = err.map(|e| e.0).unwrap_or_default();
    assert!(
        msg.starts_with("Unexpected end of file reading the append only file"),
        "{msg}"
    );
    assert!(msg.contains("appendonly.aof.1.incr.aof"), "{msg}");
    assert!(msg.contains(&format!("at offset {good}")), "{msg}");
}

#[test]
fn corruption_in_the_middle_refuses_with_file_and_offset() {
    let mut incr = cmd(&["SET", "a", "1"]);
    let at = incr.len();
    incr.extend_from_slice(b"garbage\r\n");
    incr.extend_from_slice(&cmd(&["SET", "b", "2"]));
    let (dir, _) = hand_made("corrupt", &incr);
    let msg = open(&dir, &[]).err().map(|e| e.0).unwrap_or_default();
    assert!(
        msg.starts_with("Bad file format reading the append only file"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("appendonly.aof.1.incr.aof at offset {at}")),
        "{msg}"
    );
}

#[test]
fn a_multi_without_exec_at_the_end_is_dropped() {
    let mut incr = cmd(&["SET", "a", "1"]);
    let good = incr.len();
    incr.extend_from_slice(&cmd(&["MULTI"]));
    incr.extend_from_slice(&cmd(&["SET", "b", "2"]));
    let (dir, file) = hand_made("multi", &incr);
    let engine = opened(&dir, &[]);
    assert_eq!(
        image(&engine),
        vec!["0/a:string:1:-1", "0/base:string:1:-1"]
    );
    stop(&engine);
    let len = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    assert_eq!(len, good as u64);
}

#[test]
fn a_single_file_aof_of_older_redis_is_upgraded_to_a_base() {
    let dir = scratch("legacy");
    let mut old = cmd(&["SET", "a", "1"]);
    old.extend_from_slice(&cmd(&["RPUSH", "l", "x"]));
    let _ = std::fs::write(dir.join("appendonly.aof"), &old);
    let engine = opened(&dir, &[]);
    assert_eq!(image(&engine), vec!["0/a:string:1:-1", "0/l:list:x:-1"]);
    let mut s = engine.session();
    run(&mut s, &["SET", "b", "2"]);
    stop(&engine);
    let manifest = std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest"));
    assert_eq!(
        manifest.unwrap_or_default(),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert_eq!(image(&opened(&dir, &[])).len(), 3);
}

#[test]
fn a_single_file_aof_with_an_rdb_preamble_is_refused() {
    let dir = scratch("legacy-rdb");
    let _ = std::fs::write(dir.join("appendonly.aof"), b"REDIS0010...");
    let msg = open(&dir, &[]).err().map(|e| e.0).unwrap_or_default();
    assert!(msg.contains("RDB preamble"), "{msg}");
}

#[test]
fn a_torn_tail_in_a_file_that_is_not_the_last_is_fatal() {
    let dir = scratch("torn-middle");
    let aof = dir.join("appendonlydir");
    let _ = std::fs::create_dir_all(&aof);
    let mut first = cmd(&["SET", "a", "1"]);
    first.extend_from_slice(b"*2\r\n$3\r\nDEL");
    let _ = std::fs::write(aof.join("appendonly.aof.1.incr.aof"), first);
    let _ = std::fs::write(
        aof.join("appendonly.aof.2.incr.aof"),
        cmd(&["SET", "b", "2"]),
    );
    let _ = std::fs::write(
        aof.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    );
    let msg = open(&dir, &[]).err().map(|e| e.0).unwrap_or_default();
    assert!(msg.contains("appendonly.aof.1.incr.aof at offset"), "{msg}");
}

fn wait_rewrite(engine: &Engine) {
    let stats = &engine.inner().aof.stats;
    for _ in 0..500 {
        if !stats
            .rewrite_in_progress
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("rewrite did not finish");
}

#[test]
fn bgrewriteaof_swaps_base_and_incr_and_deletes_history() {
    for preamble in ["yes", "no"] {
        let dir = scratch("rewrite");
        let engine = opened(&dir, &[("aof-use-rdb-preamble", preamble)]);
        let mut s = engine.session();
        fixture(&mut s);
        assert_eq!(
            run(&mut s, &["BGREWRITEAOF"]),
            Frame::simple("Background append only file rewriting started")
        );
        wait_rewrite(&engine);
        run(&mut s, &["SET", "after", "rewrite"]);
        let want = image(&engine);
        stop(&engine);
        let ext = if preamble == "yes" { "rdb" } else { "aof" };
        let aof = dir.join("appendonlydir");
        let manifest = std::fs::read_to_string(aof.join("appendonly.aof.manifest"));
        assert_eq!(
            manifest.unwrap_or_default(),
            format!("file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
        );
        let mut names: Vec<String> = std::fs::read_dir(&aof)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        assert_eq!(names.len(), 3, "{names:?}");
        let again = opened(&dir, &[]);
        assert_eq!(image(&again), want, "preamble {preamble}");
    }
}

#[test]
fn aof_timestamp_enabled_annotates_the_file_and_loading_skips_the_annotations() {
    let dir = scratch("ts");
    let engine = opened(&dir, &[("aof-timestamp-enabled", "yes")]);
    let mut s = engine.session();
    run(&mut s, &["SET", "a", "1"]);
    run(&mut s, &["SET", "b", "2"]);
    stop(&engine);
    let bytes = std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof"));
    let text = String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned();
    assert!(text.starts_with("#TS:"), "{text}");
    assert_eq!(image(&opened(&dir, &[])).len(), 2);
}

#[test]
fn the_aof_is_rewritten_automatically_once_it_doubled_past_the_minimum_size() {
    let dir = scratch("auto");
    let engine = opened(
        &dir,
        &[
            ("auto-aof-rewrite-min-size", "1kb"),
            ("auto-aof-rewrite-percentage", "100"),
        ],
    );
    let mut s = engine.session();
    run(&mut s, &["SET", "k", "v"]);
    super::cron(engine.inner());
    wait_rewrite(&engine);
    assert!(words(run(&mut s, &["INFO", "persistence"]))
        .join("")
        .contains("aof_rewrites:0"));
    let big = "x".repeat(600);
    for i in 0..4 {
        run(&mut s, &["SET", &format!("k{i}"), &big]);
    }
    super::cron(engine.inner());
    wait_rewrite(&engine);
    let info = words(run(&mut s, &["INFO", "persistence"])).join("");
    assert!(info.contains("aof_rewrites:1"), "{info}");
    stop(&engine);
    let manifest = std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest"));
    assert!(manifest
        .unwrap_or_default()
        .contains("appendonly.aof.2.base.rdb"));
}

#[test]
fn info_reports_aof_fields() {
    let dir = scratch("info");
    let engine = opened(&dir, &[]);
    let mut s = engine.session();
    run(&mut s, &["SET", "k", "v"]);
    let info = words(run(&mut s, &["INFO", "persistence"])).join("");
    for f in [
        "aof_enabled:1",
        "aof_rewrite_in_progress:0",
        "aof_rewrite_scheduled:0",
        "aof_last_bgrewrite_status:ok",
        "aof_last_write_status:ok",
        "aof_rewrites:0",
        "aof_current_size:",
        "aof_base_size:",
    ] {
        assert!(info.contains(f), "{f} missing from {info}");
    }
    stop(&engine);
}

#[test]
fn config_set_appendonly_turns_the_aof_on_with_a_base_and_off() {
    let dir = scratch("config");
    let config = crate::config::Config::new();
    let _ = config.set_startup("dir", &dir.display().to_string());
    let engine = Engine::with_options(EngineOptions {
        config,
        ..EngineOptions::default()
    });
    let mut s = engine.session();
    run(&mut s, &["SET", "before", "1"]);
    assert_eq!(
        run(&mut s, &["CONFIG", "SET", "appendonly", "yes"]),
        Frame::ok()
    );
    super::cron(engine.inner());
    wait_rewrite(&engine);
    assert!(engine.inner().aof.is_on());
    run(&mut s, &["SET", "after", "2"]);
    assert_eq!(
        run(&mut s, &["CONFIG", "SET", "appendonly", "no"]),
        Frame::ok()
    );
    super::cron(engine.inner());
    assert!(!engine.inner().aof.is_on());
    let again = opened(&dir, &[]);
    assert_eq!(
        image(&again),
        vec!["0/after:string:2:-1", "0/before:string:1:-1"]
    );
}

#[test]
fn checker_reports_offset_and_fixes_a_torn_tail() {
    let mut incr = cmd(&["SET", "a", "1"]);
    let good = incr.len();
    incr.extend_from_slice(b"*3\r\n$3\r\nSE");
    let (dir, file) = hand_made("check", &incr);
    let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
    let r = check::check(&manifest, false);
    assert!(!r.ok);
    assert!(r.text.contains(&format!("ok_up_to={good}")), "{}", r.text);
    assert!(
        r.text.contains("is not valid. Use the --fix option"),
        "{}",
        r.text
    );
    let r = check::check(&manifest, true);
    assert!(r.ok, "{}", r.text);
    assert!(r.text.contains("Successfully truncated AOF"), "{}", r.text);
    assert_eq!(
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0),
        good as u64
    );
    let r = check::check(&manifest, false);
    assert!(
        r.ok && r.text.contains("All AOF files and manifest are valid"),
        "{}",
        r.text
    );
    let r = check::check(&file, false);
    assert!(r.ok && r.text.contains("diff=0"), "{}", r.text);
}

#[test]
fn checker_does_not_fix_a_file_that_is_not_the_last() {
    let mut bad = cmd(&["SET", "a", "1"]);
    bad.extend_from_slice(b"?junk");
    let dir = scratch("check-mid");
    let aof = dir.join("appendonlydir");
    let _ = std::fs::create_dir_all(&aof);
    let _ = std::fs::write(aof.join("x.1.incr.aof"), &bad);
    let _ = std::fs::write(aof.join("x.2.incr.aof"), cmd(&["SET", "b", "2"]));
    let m = aof.join("x.manifest");
    let _ = std::fs::write(
        &m,
        "file x.1.incr.aof seq 1 type i\nfile x.2.incr.aof seq 2 type i\n",
    );
    let r = check::check(&m, true);
    assert!(!r.ok, "{}", r.text);
    assert!(r.text.contains("x.1.incr.aof at offset 27"), "{}", r.text);
}

/// A random write drawn from a small key space, so writes overlap.
fn op() -> impl Strategy<Value = Vec<String>> {
    let key = prop::sample::select(vec!["a", "b", "c"]);
    let val = "[a-z0-9]{0,6}";
    prop_oneof![
        (key.clone(), val).prop_map(|(k, v)| vec!["SET".into(), k.into(), v]),
        key.clone()
            .prop_map(|k| vec!["INCR".into(), format!("n{k}")]),
        (key.clone(), val).prop_map(|(k, v)| vec!["RPUSH".into(), format!("l{k}"), v]),
        key.clone()
            .prop_map(|k| vec!["LPOP".into(), format!("l{k}")]),
        (key.clone(), val).prop_map(|(k, v)| vec!["SADD".into(), format!("s{k}"), v]),
        (key.clone(), val).prop_map(|(k, v)| vec!["HSET".into(), format!("h{k}"), v.clone(), v]),
        (key.clone(), 0..100i32, val).prop_map(|(k, n, v)| vec![
            "ZADD".into(),
            format!("z{k}"),
            n.to_string(),
            v
        ]),
        key.clone().prop_map(|k| vec!["DEL".into(), k.into()]),
        (key.clone(), 100..100000i64).prop_map(|(k, ms)| vec![
            "PEXPIRE".into(),
            k.into(),
            ms.to_string()
        ]),
        prop::sample::select(vec!["0", "1"]).prop_map(|d| vec!["SELECT".into(), d.into()]),
        Just(vec!["BGREWRITEAOF".into()]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn random_writes_replayed_from_the_aof_give_the_same_keyspace(ops in prop::collection::vec(op(), 1..60)) {
        let dir = scratch("prop");
        let engine = opened(&dir, &[]);
        let mut s = engine.session();
        for o in &ops {
            let args: Vec<&str> = o.iter().map(|a| a.as_str()).collect();
            run(&mut s, &args);
            if args[0] == "BGREWRITEAOF" {
                wait_rewrite(&engine);
            }
        }
        let want = image(&engine);
        stop(&engine);
        let again = opened(&dir, &[]);
        prop_assert_eq!(image(&again), want);
        stop(&again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn function_libraries_survive_a_restart_through_the_incr_file() {
    let dir = scratch("functions");
    let engine = opened(&dir, &[]);
    let mut s = engine.session();
    let lib = "#!lua name=lib\nredis.register_function('seven', function() return 7 end)";
    let gone = "#!lua name=gone\nredis.register_function('eight', function() return 8 end)";
    assert_eq!(run(&mut s, &["FUNCTION", "LOAD", lib]), Frame::bulk("lib"));
    assert_eq!(
        run(&mut s, &["FUNCTION", "LOAD", gone]),
        Frame::bulk("gone")
    );
    assert_eq!(run(&mut s, &["FUNCTION", "DELETE", "gone"]), Frame::ok());
    stop(&engine);
    let again = opened(&dir, &[]);
    let mut s = again.session();
    assert_eq!(run(&mut s, &["FCALL", "seven", "0"]), Frame::Integer(7));
    assert!(matches!(
        run(&mut s, &["FCALL", "eight", "0"]),
        Frame::Error(_)
    ));
}

#[test]
fn bgrewriteaof_beside_a_bgsave_is_scheduled_and_starts_when_it_ends() {
    let dir = scratch("scheduled");
    let engine = opened(&dir, &[]);
    let mut s = engine.session();
    run(&mut s, &["SET", "k", "v"]);
    // A BGSAVE in progress, as the persistence state shows it.
    let persist = &engine.inner().persist;
    persist.update(|st| st.bgsave_started_ms = Some(1));
    assert_eq!(
        run(&mut s, &["BGREWRITEAOF"]),
        Frame::Simple(bytes::Bytes::from_static(
            b"Background append only file rewriting scheduled"
        ))
    );
    let info = words(run(&mut s, &["INFO", "persistence"])).join("");
    assert!(info.contains("aof_rewrite_scheduled:1"), "{info}");
    // Not while the BGSAVE runs.
    super::cron(engine.inner());
    let info = words(run(&mut s, &["INFO", "persistence"])).join("");
    assert!(info.contains("aof_rewrite_scheduled:1"), "{info}");
    assert!(info.contains("aof_rewrites:0"), "{info}");
    persist.update(|st| st.bgsave_started_ms = None);
    super::cron(engine.inner());
    wait_rewrite(&engine);
    let info = words(run(&mut s, &["INFO", "persistence"])).join("");
    assert!(info.contains("aof_rewrite_scheduled:0"), "{info}");
    assert!(info.contains("aof_rewrites:1"), "{info}");
    stop(&engine);
}

#[test]
fn a_failed_aof_write_refuses_writes_with_misconf() {
    let dir = scratch("misconf");
    let engine = opened(&dir, &[]);
    let mut s = engine.session();
    run(&mut s, &["SET", "k", "v"]);
    let stats = &engine.inner().aof.stats;
    *stats.last_write_error.lock() = "No space left on device".into();
    stats
        .last_write_failed
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let misconf = Frame::error("MISCONF Errors writing to the AOF file: No space left on device");
    assert_eq!(
        s.call(vec![Bytes::from("SET"), Bytes::from("k"), Bytes::from("w")]),
        misconf
    );
    assert_eq!(s.call(vec![Bytes::from("PING")]), misconf);
    assert_eq!(
        s.call(vec![Bytes::from("GET"), Bytes::from("k")]),
        Frame::bulk("v")
    );
    stats
        .last_write_failed
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(run(&mut s, &["SET", "k", "w"]), Frame::ok());
    stop(&engine);
}

#[test]
fn bgrewriteaof_inside_exec_is_scheduled() {
    let dir = scratch("exec-scheduled");
    let engine = opened(&dir, &[]);
    let mut s = engine.session();
    run(&mut s, &["MULTI"]);
    run(&mut s, &["BGREWRITEAOF"]);
    assert_eq!(
        run(&mut s, &["EXEC"]),
        Frame::Array(vec![Frame::Simple(bytes::Bytes::from_static(
            b"Background append only file rewriting scheduled"
        ))])
    );
    super::cron(engine.inner());
    wait_rewrite(&engine);
    let info = words(run(&mut s, &["INFO", "persistence"])).join("");
    assert!(info.contains("aof_rewrite_scheduled:0"), "{info}");
    assert!(info.contains("aof_rewrites:1"), "{info}");
    stop(&engine);
}
