//! Snapshots taken while writes go on hold the keyspace of their start, exactly.

use super::file::SaveOptions;
use super::file_tests::{contents, keys_of, scratch_dir};
use super::snapshot;
use crate::testing::*;
use crate::types::list::Fill;
use proptest::prelude::*;
use shoal_resp::Frame;
use std::io::Write;

/// Every key of databases 0..3 with its contents and deadline.
type Image = Vec<(usize, String, Frame, Frame)>;

fn logical_image(h: &mut Harness) -> Image {
    let mut out = Vec::new();
    for db in 0..3 {
        for k in keys_of(h, db) {
            let c = contents(h, &k);
            let ttl = h.run(&["PEXPIRETIME", &k]);
            out.push((db, k, c, ttl));
        }
    }
    h.run(&["SELECT", "0"]);
    out
}

/// A file sink that runs the next writes against the engine each time the snapshot hands
/// it bytes, so writes fall between the snapshot's steps.
struct Interleaved<'h> {
    h: &'h mut Harness,
    ops: std::vec::IntoIter<Vec<String>>,
    per_write: usize,
    bytes: Vec<u8>,
}

impl Write for Interleaved<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        for op in self.ops.by_ref().take(self.per_write) {
            let args: Vec<&str> = op.iter().map(String::as_str).collect();
            self.h.run(&args);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn options() -> SaveOptions {
    SaveOptions {
        compress: true,
        checksum: true,
        fill: Fill(-2),
    }
}

/// Takes a snapshot of `h` while running `during`, loads it into a fresh engine, and
/// returns (image at the start, image loaded).
fn snapshot_under_writes(
    h: &mut Harness,
    during: Vec<Vec<String>>,
    per_write: usize,
) -> (Image, Image) {
    let before = logical_image(h);
    let Some(snap) = snapshot::begin(h.engine.inner(), options()) else {
        panic!("a snapshot is already running");
    };
    assert!(snapshot::begin(h.engine.inner(), options()).is_none());
    let mut out = Interleaved {
        h,
        ops: during.into_iter(),
        per_write,
        bytes: Vec::new(),
    };
    assert!(snap.write(&mut out).is_ok());
    let bytes = std::mem::take(&mut out.bytes);
    assert!(!snapshot::running(h.engine.inner()));
    let dir = scratch_dir("snap");
    let path = dir.join("dump.rdb");
    assert!(std::fs::write(&path, bytes).is_ok());
    let mut fresh = Harness::new();
    let loaded = fresh.engine.load_rdb(&path);
    assert!(loaded.is_ok(), "{:?}", loaded.err());
    let _ = std::fs::remove_dir_all(&dir);
    (before, logical_image(&mut fresh))
}

fn words(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

#[test]
fn writes_during_the_walk_do_not_reach_the_image() {
    let mut h = Harness::new();
    for i in 0..500 {
        h.run(&["SET", &format!("s{i}"), &format!("v{i}")]);
        h.run(&["RPUSH", &format!("l{}", i % 20), &i.to_string()]);
    }
    h.run(&["HSET", "h", "f", "1", "g", "2"]);
    h.run(&["SELECT", "1"]);
    h.run(&["SET", "in1", "x"]);
    h.run(&["SELECT", "0"]);
    let mut during = Vec::new();
    for i in 0..500 {
        during.push(words(&format!("SET s{i} changed")));
        during.push(words(&format!("DEL l{}", i % 20)));
        during.push(words(&format!("SET new{i} fresh")));
    }
    during.push(words("HSET h f 9 z 3"));
    during.push(words("SWAPDB 0 1"));
    during.push(words("FLUSHDB"));
    let (before, after) = snapshot_under_writes(&mut h, during, 3);
    assert_eq!(before.len(), 522);
    assert_eq!(before, after);
}

#[test]
fn flushall_during_the_walk_leaves_the_image_whole() {
    let mut h = Harness::new();
    for db in 0..3 {
        h.run(&["SELECT", &db.to_string()]);
        for i in 0..300 {
            h.run(&["SET", &format!("k{i}"), &format!("{db}-{i}")]);
        }
    }
    let (before, after) = snapshot_under_writes(&mut h, vec![words("FLUSHALL")], 1);
    assert_eq!(before.len(), 900);
    assert_eq!(before, after);
    // The next snapshot starts from a consistent state again.
    h.run(&["SET", "later", "1"]);
    let (before, after) = snapshot_under_writes(&mut h, vec![words("DEL later")], 1);
    assert_eq!(before, after);
}

#[test]
fn an_abandoned_snapshot_leaves_every_database_ready_for_the_next() {
    let mut h = Harness::new();
    for i in 0..200 {
        h.run(&["SET", &format!("k{i}"), "v"]);
    }
    let snap = snapshot::begin(h.engine.inner(), options());
    assert!(snap.is_some());
    drop(snap);
    assert!(!snapshot::running(h.engine.inner()));
    let (before, after) = snapshot_under_writes(&mut h, vec![words("SET k1 w")], 1);
    assert_eq!(before, after);
}

fn op() -> impl Strategy<Value = String> {
    let key = (0..12u8).prop_map(|k| format!("k{k}"));
    prop_oneof![
        (key.clone(), 0..100u8).prop_map(|(k, v)| format!("SET {k} {v}")),
        key.clone().prop_map(|k| format!("DEL {k}")),
        (key.clone(), 0..100u8).prop_map(|(k, v)| format!("APPEND {k} {v}")),
        (key.clone(), 0..100u8).prop_map(|(k, v)| format!("RPUSH L{k} {v}")),
        key.clone().prop_map(|k| format!("LPOP L{k}")),
        (key.clone(), 0..5u8, 0..100u8).prop_map(|(k, f, v)| format!("HSET H{k} f{f} {v}")),
        (key.clone(), 0..100u8).prop_map(|(k, v)| format!("SADD S{k} {v}")),
        (key.clone(), 0..100u8).prop_map(|(k, v)| format!("ZADD Z{k} {v} m{v}")),
        key.clone()
            .prop_map(|k| format!("PEXPIREAT {k} 99999999999999")),
        key.clone().prop_map(|k| format!("PERSIST {k}")),
        (key.clone(), key.clone()).prop_map(|(a, b)| format!("RENAME {a} {b}")),
        key.clone().prop_map(|k| format!("MOVE {k} 1")),
        (0..3u8).prop_map(|db| format!("SELECT {db}")),
        Just("SWAPDB 0 2".to_string()),
        Just("FLUSHDB".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn the_image_is_the_keyspace_at_the_start(
        setup in proptest::collection::vec(op(), 0..150),
        during in proptest::collection::vec(op(), 0..150),
        per_write in 1..4usize,
    ) {
        let mut h = Harness::new();
        for o in &setup {
            h.run(&words(o).iter().map(String::as_str).collect::<Vec<_>>());
        }
        h.run(&["SELECT", "0"]);
        let during = during.iter().map(|o| words(o)).collect();
        let (before, after) = snapshot_under_writes(&mut h, during, per_write);
        prop_assert_eq!(before, after);
    }
}
