//! An embedded instance that keeps its data in a directory.

use shoal::{Config, Shoal};

fn scratch(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("shoal-embedded-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn a_data_dir_keeps_every_type_across_close_and_open() {
    let dir = scratch("types");
    let db = Shoal::open(Config::default().data_dir(&dir)).unwrap_or_else(|e| panic!("{e}"));
    assert!(db.set("s", "v").is_ok());
    assert!(db.rpush("l", &["a", "b"]).is_ok());
    assert!(db.hset("h", &[("f", "1")]).is_ok());
    assert!(db.sadd("set", &["x"]).is_ok());
    assert!(db.zadd("z", &[(1.5, "m")]).is_ok());
    assert!(db.close().is_ok());
    assert!(dir.join("dump.rdb").exists());
    let db = Shoal::open(Config::default().data_dir(&dir)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(db.dbsize().ok(), Some(5));
    assert_eq!(db.lrange("l", 0, -1).ok().map(|v| v.len()), Some(2));
    assert_eq!(db.zscore("z", "m").ok().flatten(), Some(1.5));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_snapshot_stops_open_with_the_offset() {
    let dir = scratch("damaged");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("dump.rdb"), b"REDIS0010\xfa\x03bad");
    let opened = Shoal::open(Config::default().data_dir(&dir));
    let msg = opened.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("offset"), "{msg}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_data_dir_close_writes_nothing() {
    let db = Shoal::open(Config::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(db.set("k", "v").is_ok());
    assert!(db.close().is_ok());
    assert!(!std::path::Path::new("dump.rdb").exists());
}
