use super::file::{op, RdbError};
use super::length::Reader;
use crate::testing::*;
use shoal_resp::Frame;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh empty directory under the system's temp dir.
pub(crate) fn scratch_dir(tag: &str) -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("shoal-rdb-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::create_dir_all(&d);
    d
}

/// A harness whose snapshots go to a scratch dir.
fn harness_in(dir: &Path) -> Harness {
    let mut h = Harness::new();
    let d = dir.display().to_string();
    assert_eq!(h.run(&["CONFIG", "SET", "dir", &d]), ok());
    h
}

pub(crate) fn keys_of(h: &mut Harness, db: usize) -> Vec<String> {
    h.run(&["SELECT", &db.to_string()]);
    let mut keys: Vec<String> = match h.run(&["KEYS", "*"]) {
        Frame::Array(items) => items
            .into_iter()
            .filter_map(|f| match f {
                Frame::Bulk(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                _ => None,
            })
            .collect(),
        other => panic!("KEYS answered {other:?}"),
    };
    keys.sort();
    keys
}

/// A key's contents in an order-free form.
pub(crate) fn contents(h: &mut Harness, k: &str) -> Frame {
    let sorted = |f: Frame| match f {
        Frame::Array(mut items) | Frame::Set(mut items) => {
            items.sort_by_key(|i| format!("{i:?}"));
            Frame::Array(items)
        }
        Frame::Map(mut pairs) => {
            pairs.sort_by_key(|p| format!("{p:?}"));
            Frame::Map(pairs)
        }
        other => other,
    };
    match h.run(&["TYPE", k]) {
        Frame::Simple(t) if t.as_ref() == b"string" => h.run(&["GET", k]),
        Frame::Simple(t) if t.as_ref() == b"list" => h.run(&["LRANGE", k, "0", "-1"]),
        Frame::Simple(t) if t.as_ref() == b"set" => sorted(h.run(&["SMEMBERS", k])),
        Frame::Simple(t) if t.as_ref() == b"hash" => sorted(h.run(&["HGETALL", k])),
        _ => h.run(&["ZRANGE", k, "0", "-1", "WITHSCORES"]),
    }
}

/// Every key of every database, with its contents, encoding and deadline.
fn image(h: &mut Harness) -> Vec<(usize, String, Frame, Frame, Frame)> {
    let mut out = Vec::new();
    for db in 0..16 {
        for k in keys_of(h, db) {
            let c = contents(h, &k);
            let enc = h.run(&["OBJECT", "ENCODING", &k]);
            let ttl = h.run(&["PEXPIRETIME", &k]);
            out.push((db, k, c, enc, ttl));
        }
    }
    h.run(&["SELECT", "0"]);
    out
}

fn fill_every_type(h: &mut Harness) {
    h.run(&["SET", "s", "hello"]);
    h.run(&["SET", "n", "12345"]);
    h.run(&["SET", "big", &"abc".repeat(100)]);
    h.run(&["RPUSH", "l", "a", "b", "1"]);
    h.run(&["SADD", "si", "1", "2", "3"]);
    h.run(&["SADD", "sl", "a", "b"]);
    h.run(&["HSET", "h", "f", "v"]);
    h.run(&["ZADD", "z", "1", "a", "2.5", "b"]);
    for i in 0..300 {
        let (m, v) = (format!("m{i}"), i.to_string());
        h.run(&["HSET", "hbig", &m, &v]);
        h.run(&["ZADD", "zbig", &v, &m]);
        h.run(&["SADD", "sbig", &m]);
        h.run(&["RPUSH", "lbig", &m]);
    }
    h.run(&["SET", "t", "v", "PX", "100000"]);
    h.run(&["SELECT", "3"]);
    h.run(&["SET", "x", "y", "EX", "50"]);
    h.run(&["SELECT", "15"]);
    h.run(&["LPUSH", "q", "1"]);
    h.run(&["SELECT", "0"]);
}

#[test]
fn snapshot_round_trips_every_type_ttls_and_databases() {
    let dir = scratch_dir("roundtrip");
    let mut h = harness_in(&dir);
    fill_every_type(&mut h);
    assert_eq!(h.run(&["SAVE"]), ok());
    let want = image(&mut h);
    assert_eq!(want.len(), 15);
    let mut h2 = Harness::new();
    let st = h2
        .engine
        .load_rdb(dir.join("dump.rdb"))
        .map_err(|e| e.to_string());
    assert_eq!(st.map(|s| (s.keys, s.expired, s.version)), Ok((15, 0, 10)));
    assert_eq!(image(&mut h2), want);
    assert_eq!(h2.encoding("hbig"), Some("hashtable"));
    assert_eq!(h2.encoding("si"), Some("intset"));
    assert!(!dir
        .join(format!("temp-{}.rdb", std::process::id()))
        .exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hash_field_deadlines_make_an_rdb_12_file() {
    let dir = scratch_dir("v12");
    let mut h = harness_in(&dir);
    h.run(&["HSET", "h", "a", "1", "b", "2"]);
    h.run(&["HPEXPIRE", "h", "100000", "FIELDS", "1", "a"]);
    assert_eq!(h.run(&["SAVE"]), ok());
    let bytes = std::fs::read(dir.join("dump.rdb")).unwrap_or_default();
    assert_eq!(&bytes[..9], b"REDIS0012");
    let mut h2 = Harness::new();
    assert!(h2.engine.load_rdb(dir.join("dump.rdb")).is_ok());
    assert_eq!(
        h2.run(&["HPEXPIRETIME", "h", "FIELDS", "2", "a", "b"]),
        h.run(&["HPEXPIRETIME", "h", "FIELDS", "2", "a", "b"])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn empty_databases_are_not_written() {
    let dir = scratch_dir("emptydb");
    let mut h = harness_in(&dir);
    h.run(&["SELECT", "5"]);
    h.run(&["SET", "k", "v"]);
    h.run(&["SET", "e", "v", "PX", "5000"]);
    assert_eq!(h.run(&["SAVE"]), ok());
    let bytes = std::fs::read(dir.join("dump.rdb")).unwrap_or_default();
    let mut r = Reader::new(&bytes);
    assert_eq!(r.take(9), Ok(&b"REDIS0010"[..]));
    let mut aux = Vec::new();
    let mut t = r.byte();
    while t == Ok(op::AUX) {
        let k = r.string().unwrap_or_default();
        let _ = r.string();
        aux.push(String::from_utf8_lossy(&k).into_owned());
        t = r.byte();
    }
    assert_eq!(
        aux,
        ["redis-ver", "redis-bits", "ctime", "used-mem", "aof-base"]
    );
    assert_eq!(t, Ok(op::SELECTDB));
    assert_eq!(r.length(), Ok(5));
    assert_eq!(r.byte(), Ok(op::RESIZEDB));
    assert_eq!((r.length(), r.length()), (Ok(2), Ok(1)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_expired_by_load_time_are_skipped() {
    let dir = scratch_dir("expired");
    let mut h = harness_in(&dir);
    h.run(&["SET", "gone", "v", "PX", "1000"]);
    h.run(&["SET", "kept", "v"]);
    assert_eq!(h.run(&["SAVE"]), ok());
    let mut h2 = Harness::new();
    h2.advance(2000);
    let st = h2
        .engine
        .load_rdb(dir.join("dump.rdb"))
        .map_err(|e| e.to_string());
    assert_eq!(st.map(|s| (s.keys, s.expired)), Ok((1, 1)));
    assert_eq!(h2.run(&["DBSIZE"]), int(1));
    let _ = std::fs::remove_dir_all(&dir);
}

fn corrupt_offset(e: Result<super::file::LoadStats, RdbError>) -> Option<(usize, String)> {
    match e {
        Err(RdbError::Corrupt { offset, reason, .. }) => Some((offset, reason)),
        _ => None,
    }
}

#[test]
fn truncated_or_damaged_files_are_errors_with_offsets() {
    let dir = scratch_dir("corrupt");
    let mut h = harness_in(&dir);
    fill_every_type(&mut h);
    assert_eq!(h.run(&["SAVE"]), ok());
    let good = std::fs::read(dir.join("dump.rdb")).unwrap_or_default();
    let bad = dir.join("bad.rdb");
    // Every cut, checked with a stride to keep the test quick: an error, never a panic.
    for cut in (0..good.len()).step_by(37).chain([good.len() - 1]) {
        let _ = std::fs::write(&bad, &good[..cut]);
        let e = Harness::new().engine.load_rdb(&bad);
        let (offset, _) = corrupt_offset(e).unwrap_or((usize::MAX, String::new()));
        assert!(offset <= cut, "cut at {cut}: offset {offset}");
    }
    let mut flipped = good.clone();
    let mid = good.len() / 2;
    flipped[mid] ^= 0x01;
    let _ = std::fs::write(&bad, &flipped);
    assert!(corrupt_offset(Harness::new().engine.load_rdb(&bad)).is_some());
    let mut wrong_crc = good.clone();
    let n = wrong_crc.len();
    wrong_crc[n - 1] ^= 0xff;
    let _ = std::fs::write(&bad, &wrong_crc);
    let e = Harness::new().engine.load_rdb(&bad);
    assert_eq!(
        corrupt_offset(e),
        Some((n - 8, "wrong RDB checksum".into()))
    );
    let _ = std::fs::write(&bad, b"REDIX0010\xff");
    let text = Harness::new()
        .engine
        .load_rdb(&bad)
        .map_err(|e| e.to_string());
    assert!(text.is_err_and(|t| t.contains("bad.rdb") && t.contains("offset")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checksum_off_writes_zeros_and_loads() {
    let dir = scratch_dir("nocrc");
    let mut h = harness_in(&dir);
    assert!(h
        .engine
        .inner()
        .config
        .set_startup("rdbchecksum", "no")
        .is_ok());
    h.run(&["SET", "k", "v"]);
    assert_eq!(h.run(&["SAVE"]), ok());
    let bytes = std::fs::read(dir.join("dump.rdb")).unwrap_or_default();
    assert_eq!(&bytes[bytes.len() - 8..], &[0u8; 8]);
    let mut h2 = Harness::new();
    assert!(h2.engine.load_rdb(dir.join("dump.rdb")).is_ok());
    assert_eq!(h2.run(&["GET", "k"]), bulk("v"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A version-9 file with IDLE, FREQ and second-precision deadlines, no checksum.
#[test]
fn old_opcodes_load() {
    let dir = scratch_dir("opcodes");
    let mut f = b"REDIS0009".to_vec();
    f.extend_from_slice(&[op::SELECTDB, 0, op::IDLE, 10, 0, 1, b'a', 1, b'b']);
    f.extend_from_slice(&[op::EXPIRETIME]);
    f.extend_from_slice(&4_000_000_000u32.to_le_bytes());
    f.extend_from_slice(&[
        0,
        1,
        b'c',
        1,
        b'd',
        op::FREQ,
        5,
        0,
        1,
        b'e',
        1,
        b'f',
        op::EOF,
    ]);
    f.extend_from_slice(&[0; 8]);
    let path = dir.join("old.rdb");
    let _ = std::fs::write(&path, &f);
    let mut h = Harness::new();
    let st = h.engine.load_rdb(&path).map_err(|e| e.to_string());
    assert_eq!(st.map(|s| s.keys), Ok(3));
    assert_eq!(h.run(&["OBJECT", "IDLETIME", "a"]), int(10));
    assert_eq!(h.run(&["EXPIRETIME", "c"]), int(4_000_000_000));
    assert_eq!(h.run(&["GET", "e"]), bulk("f"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn module_data_and_duplicate_keys_are_refused() {
    let dir = scratch_dir("refused");
    let path = dir.join("m.rdb");
    let _ = std::fs::write(&path, b"REDIS0010\xf7\x01\x02");
    let e = Harness::new()
        .engine
        .load_rdb(&path)
        .map_err(|e| e.to_string());
    assert!(e.is_err_and(|t| t.contains("MODULE_AUX") && t.contains("offset 9")));
    let dup = b"REDIS0010\xfe\x00\x00\x01a\x01b\x00\x01a\x01c\xff\x00\x00\x00\x00\x00\x00\x00\x00";
    let _ = std::fs::write(&path, dup);
    let e = Harness::new()
        .engine
        .load_rdb(&path)
        .map_err(|e| e.to_string());
    assert!(e.is_err_and(|t| t.contains("duplicate key 'a'")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn function_libraries_are_saved_and_loaded() {
    let dir = scratch_dir("functions");
    let mut h = harness_in(&dir);
    let code = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)";
    assert_eq!(h.run(&["FUNCTION", "LOAD", code]), bulk("mylib"));
    assert_eq!(h.run(&["SAVE"]), ok());
    let mut h2 = Harness::new();
    let st = h2
        .engine
        .load_rdb(dir.join("dump.rdb"))
        .map_err(|e| e.to_string());
    assert_eq!(st.map(|s| s.libraries), Ok(1));
    assert_eq!(h2.run(&["FCALL", "f", "0"]), int(1));
    let _ = std::fs::remove_dir_all(&dir);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// (db, key, value, ttl in ms or none) written by commands.
    type Model = Vec<(usize, String, Vec<String>, Option<u64>)>;

    fn model() -> impl Strategy<Value = Model> {
        prop::collection::vec(
            (
                0usize..4,
                "[a-c]{1,3}",
                prop::collection::vec("[a-z0-9]{0,30}", 1..5),
                prop::option::of(1u64..1_000_000),
            ),
            0..12,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn random_keyspaces_round_trip(m in model()) {
            let dir = scratch_dir("prop");
            let mut h = harness_in(&dir);
            for (db, key, items, ttl) in &m {
                h.run(&["SELECT", &db.to_string()]);
                h.run(&["DEL", key]);
                let mut args = vec!["RPUSH", key.as_str()];
                args.extend(items.iter().map(String::as_str));
                if items.len() == 1 {
                    h.run(&["SET", key, &items[0]]);
                } else {
                    h.run(&args);
                }
                if let Some(ms) = ttl {
                    h.run(&["PEXPIRE", key, &ms.to_string()]);
                }
            }
            h.run(&["SELECT", "0"]);
            prop_assert_eq!(h.run(&["SAVE"]), ok());
            let want = image(&mut h);
            let mut h2 = Harness::new();
            prop_assert!(h2.engine.load_rdb(dir.join("dump.rdb")).is_ok());
            prop_assert_eq!(image(&mut h2), want);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
