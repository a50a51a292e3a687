//! Whole RDB snapshot files, laid out as Redis 7.0 writes them:
//!
//! ```text
//!   "REDIS0010"  AUX*  FUNCTION2*  (SELECTDB n  RESIZEDB keys expires  ([EXPIRETIME_MS t] object)*)*
//!   EOF  crc64 (8 bytes little-endian, zero when checksums are off)
//! ```
//!
//! A file holding a hash with field deadlines needs the types of RDB 12 and says
//! `REDIS0012`. Files are written to `temp-<pid>.rdb` beside the target, synced, renamed over
//! it and the directory synced, so a crash never leaves half a file under the real name.
//! Reading is in `file_load.rs`; SAVE, LASTSAVE and the save schedule build on [`save`].

use super::crc64;
use super::length::{write_len, write_string};
use super::value::write_value;
use crate::engine::Inner;
use crate::keyspace::SHARDS;
use crate::types::list::Fill;
use crate::types::Value;
use parking_lot::Mutex;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Weak;

pub use super::file_load::{load_file, LoadStats};

/// RDB opcodes outside values.
pub mod op {
    /// Start of a function library (Redis 7.0 on).
    pub const FUNCTION2: u8 = 245;
    /// Start of a function library (7.0 release candidates).
    pub const FUNCTION_PRE_GA: u8 = 246;
    /// Module auxiliary data.
    pub const MODULE_AUX: u8 = 247;
    /// LRU idle time of the next key, in seconds.
    pub const IDLE: u8 = 248;
    /// LFU counter of the next key.
    pub const FREQ: u8 = 249;
    /// A name/value field about the file.
    pub const AUX: u8 = 250;
    /// Hash table size hints of the current database.
    pub const RESIZEDB: u8 = 251;
    /// Deadline of the next key, ms.
    pub const EXPIRETIME_MS: u8 = 252;
    /// Deadline of the next key, seconds (before RDB 3).
    pub const EXPIRETIME: u8 = 253;
    /// Switches the database.
    pub const SELECTDB: u8 = 254;
    /// End of the file; the checksum follows.
    pub const EOF: u8 = 255;
    /// Cluster slot sizes (RDB 12).
    pub const SLOT_INFO: u8 = 244;
}

/// Why a snapshot could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdbError {
    /// A file system error.
    #[error("{path}: {msg}")]
    Io {
        /// The file.
        path: String,
        /// The system's description.
        msg: String,
    },
    /// The file does not parse, or holds what Shoal cannot load.
    #[error("{path}: bad RDB data at byte offset {offset}: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// Where reading stopped.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
}

impl RdbError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> RdbError {
        RdbError::Io {
            path: path.display().to_string(),
            msg: e.to_string(),
        }
    }
}

/// How a snapshot is written.
#[derive(Clone, Copy, Debug)]
pub struct SaveOptions {
    /// LZF-compress long strings (`rdbcompression`).
    pub compress: bool,
    /// Write the CRC-64 (`rdbchecksum`); else 8 zero bytes.
    pub checksum: bool,
    /// `list-max-listpack-size`, which cuts list nodes.
    pub fill: Fill,
}

impl SaveOptions {
    /// The options as configured.
    pub fn from_config(inner: &Inner) -> SaveOptions {
        let yes = |name: &str| {
            inner
                .config
                .get(name)
                .is_none_or(|v| !v.eq_ignore_ascii_case("no"))
        };
        SaveOptions {
            compress: yes("rdbcompression"),
            checksum: yes("rdbchecksum"),
            fill: Fill(inner.config.get_i64("list-max-listpack-size")),
        }
    }
}

/// A writer that keeps the CRC-64 of everything written.
struct Sink<W: Write> {
    out: W,
    crc: u64,
    buf: Vec<u8>,
}

impl<W: Write> Sink<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.crc = crc64(self.crc, bytes);
        self.out.write_all(bytes)
    }

    /// Writes and clears the scratch buffer.
    fn flush_buf(&mut self) -> std::io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let r = self.put(&buf);
        self.buf = buf;
        self.buf.clear();
        r
    }
}

/// Per database: (keys, keys with a deadline), and whether any hash has field deadlines.
fn census(inner: &Inner) -> (Vec<(usize, usize)>, bool) {
    let mut counts = vec![(0, 0); inner.keyspace.databases()];
    let mut v12 = false;
    for s in 0..SHARDS {
        let shard = inner.keyspace.lock(s);
        for (i, db) in shard.dbs.iter().enumerate() {
            counts[i].0 += db.len();
            counts[i].1 += db.expires_len();
            if !db.hash_deadlines.is_empty() && !v12 {
                v12 = db
                    .dict
                    .iter()
                    .any(|e| matches!(&e.value, Value::Hash(h) if h.volatile_len() > 0));
            }
        }
    }
    (counts, v12)
}

fn aux(sink: &mut Sink<impl Write>, name: &str, value: &str) -> std::io::Result<()> {
    sink.buf.push(op::AUX);
    write_string(&mut sink.buf, name.as_bytes(), false);
    write_string(&mut sink.buf, value.as_bytes(), false);
    sink.flush_buf()
}

/// The function libraries' code, without starting a script engine when there are none.
fn library_codes(inner: &Inner) -> Vec<Vec<u8>> {
    if inner.scripting.counts.lock().0 == 0 {
        return Vec::new();
    }
    inner
        .scripting
        .with_vm(|vm| vm.libs.libs.values().map(|l| l.code.to_vec()).collect())
        .unwrap_or_default()
}

/// Writes the whole snapshot to `out`, locking one shard at a time. Returns the RDB version.
fn write_rdb(inner: &Inner, out: impl Write, o: &SaveOptions) -> std::io::Result<u16> {
    let (counts, v12) = census(inner);
    let version: u16 = if v12 { 12 } else { 10 };
    let mut sink = Sink {
        out,
        crc: 0,
        buf: Vec::new(),
    };
    sink.put(format!("REDIS{version:04}").as_bytes())?;
    let now = inner.now_ms();
    aux(
        &mut sink,
        "redis-ver",
        crate::commands::connection::REDIS_VERSION,
    )?;
    aux(&mut sink, "redis-bits", &(usize::BITS).to_string())?;
    aux(&mut sink, "ctime", &(now / 1000).to_string())?;
    aux(&mut sink, "used-mem", &inner.used_memory().to_string())?;
    aux(&mut sink, "aof-base", "0")?;
    for code in library_codes(inner) {
        sink.buf.push(op::FUNCTION2);
        write_string(&mut sink.buf, &code, o.compress);
        sink.flush_buf()?;
    }
    for (db, &(keys, expires)) in counts.iter().enumerate() {
        if keys == 0 {
            continue;
        }
        sink.buf.push(op::SELECTDB);
        write_len(&mut sink.buf, db as u64);
        sink.buf.push(op::RESIZEDB);
        write_len(&mut sink.buf, keys as u64);
        write_len(&mut sink.buf, expires as u64);
        sink.flush_buf()?;
        write_db(inner, &mut sink, db, o)?;
    }
    sink.put(&[op::EOF])?;
    let crc = if o.checksum { sink.crc } else { 0 };
    sink.out.write_all(&crc.to_le_bytes())?;
    sink.out.flush()?;
    Ok(version)
}

fn write_db(
    inner: &Inner,
    sink: &mut Sink<impl Write>,
    db: usize,
    o: &SaveOptions,
) -> std::io::Result<()> {
    for s in 0..SHARDS {
        let shard = inner.keyspace.lock(s);
        let d = &shard.dbs[db];
        for e in d.dict.iter() {
            if let Some(at) = d.expire_of(e) {
                sink.buf.push(op::EXPIRETIME_MS);
                sink.buf.extend_from_slice(&at.to_le_bytes());
            }
            // Value type byte, then key, then body: write_value puts the type first.
            let mut obj = Vec::new();
            write_value(&mut obj, &e.value, o.compress, o.fill);
            if let Some((&kind, body)) = obj.split_first() {
                sink.buf.push(kind);
                write_string(&mut sink.buf, e.key.as_slice(), o.compress);
                sink.buf.extend_from_slice(body);
            }
            if sink.buf.len() >= 64 * 1024 {
                sink.flush_buf()?;
            }
        }
        sink.flush_buf()?;
    }
    Ok(())
}

/// Writes a snapshot of the whole keyspace to `path` through a temporary file in the same
/// directory. The caller makes the image point-in-time (the gate held exclusively).
pub fn save_to(inner: &Inner, path: &Path, o: &SaveOptions) -> Result<u16, RdbError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = dir.join(format!("temp-{}.rdb", std::process::id()));
    let _one_at_a_time = SAVING.lock();
    let result = (|| {
        let file = File::create(&temp).map_err(|e| RdbError::io(&temp, e))?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let version = write_rdb(inner, &mut w, o).map_err(|e| RdbError::io(&temp, e))?;
        let file = w
            .into_inner()
            .map_err(|e| RdbError::io(&temp, e.into_error()))?;
        file.sync_all().map_err(|e| RdbError::io(&temp, e))?;
        std::fs::rename(&temp, path).map_err(|e| RdbError::io(path, e))?;
        if let Ok(d) = File::open(&dir) {
            // Makes the rename durable; not every platform lets a directory be synced.
            let _ = d.sync_all();
        }
        Ok(version)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The snapshot file as configured: `<dir>/<dbfilename>`.
pub fn configured_path(inner: &Inner) -> PathBuf {
    let dir = inner.config.get("dir").unwrap_or_else(|| ".".into());
    let name = inner
        .config
        .get("dbfilename")
        .unwrap_or_else(|| "dump.rdb".into());
    Path::new(&dir).join(name)
}

/// What the engine remembers of its saves.
#[derive(Clone, Copy, Debug)]
pub struct SaveState {
    /// Unix seconds of the last successful save (start-up time before any).
    pub last_save: u64,
    /// Whether the last attempt succeeded.
    pub last_ok: bool,
    /// Ms of the last attempt, to space retries after a failure.
    pub last_try_ms: u64,
}

/// Save states by engine (the engine has no field of its own for them). Entries of
/// dropped engines are pruned; holding a `Weak` keeps each engine's address unique.
static STATES: Mutex<Vec<(Weak<Inner>, SaveState)>> = Mutex::new(Vec::new());

/// The save state of `inner`.
pub fn state(inner: &Inner) -> SaveState {
    let mut g = STATES.lock();
    g.retain(|(w, _)| w.strong_count() > 0);
    if let Some((_, st)) = g.iter().find(|(w, _)| Weak::ptr_eq(w, &inner.me)) {
        return *st;
    }
    let st = SaveState {
        last_save: inner.start_ms / 1000,
        last_ok: true,
        last_try_ms: 0,
    };
    g.push((inner.me.clone(), st));
    st
}

fn set_state(inner: &Inner, s: SaveState) {
    let mut g = STATES.lock();
    match g.iter_mut().find(|(w, _)| Weak::ptr_eq(w, &inner.me)) {
        Some((_, st)) => *st = s,
        None => g.push((inner.me.clone(), s)),
    }
}

/// Saves in one process never overlap: they share the temp file name `temp-<pid>.rdb`.
static SAVING: Mutex<()> = Mutex::new(());

/// Saves to the configured file now, recording the outcome as Redis does: on success the
/// write counter restarts and LASTSAVE moves. Logs failures.
pub fn save(inner: &Inner) -> Result<(), RdbError> {
    let path = configured_path(inner);
    let now = inner.now_ms();
    let dirty = inner.stats.dirty.load(Relaxed);
    let result = save_to(inner, &path, &SaveOptions::from_config(inner));
    let mut st = state(inner);
    st.last_try_ms = now;
    st.last_ok = result.is_ok();
    match &result {
        Ok(_) => {
            st.last_save = now / 1000;
            // Writes that raced with a save not under the gate (SHUTDOWN) still count.
            let _ = inner
                .stats
                .dirty
                .fetch_update(Relaxed, Relaxed, |d| Some(d.saturating_sub(dirty)));
            tracing::info!("DB saved on disk");
        }
        Err(e) => tracing::warn!("failed saving the DB: {e}"),
    }
    set_state(inner, st);
    result.map(|_| ())
}

/// The save points of `save` as (seconds, changes).
pub fn save_points(inner: &Inner) -> Vec<(u64, u64)> {
    let text = inner.config.get("save").unwrap_or_default();
    let nums: Vec<u64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    nums.chunks_exact(2).map(|c| (c[0], c[1])).collect()
}

/// After a failed save, the schedule waits this long before trying again.
const RETRY_MS: u64 = 5000;

/// Called once per background tick: saves when a save point is reached (enough writes and
/// enough time since the last save). Takes the gate exclusively; answers whether it saved.
pub fn maybe_save(inner: &Inner) -> bool {
    let dirty = inner.stats.dirty.load(Relaxed);
    if dirty == 0 {
        return false;
    }
    let now = inner.now_ms();
    let st = state(inner);
    let elapsed = (now / 1000).saturating_sub(st.last_save);
    let due = save_points(inner)
        .iter()
        .any(|&(secs, changes)| dirty >= changes && elapsed >= secs);
    if !due || (!st.last_ok && now.saturating_sub(st.last_try_ms) < RETRY_MS) {
        return false;
    }
    let Ok(_gate) = inner.gate.exclusive() else {
        return false;
    };
    save(inner).is_ok()
}
