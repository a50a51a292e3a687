//! Whole RDB snapshot files, laid out as Redis 7.0 writes them:
//!
//! ```text
//!   "REDIS0010"  AUX*  FUNCTION2*  (SELECTDB n  RESIZEDB keys expires
//!                                   ([EXPIRETIME_MS t] [IDLE secs | FREQ counter] object)*)*
//!   EOF  crc64 (8 bytes little-endian, zero when checksums are off)
//! ```
//!
//! A file holding a hash with field deadlines needs the types of RDB 12 and says
//! `REDIS0012`. Files are written to `temp-<pid>-<n>.rdb` beside the target, synced, renamed
//! over it and the directory synced, so a crash never leaves half a file under the real
//! name. The image comes from a [`Snapshot`], which lets writers go on meanwhile: BGSAVE
//! and the save schedule write from a thread of their own, SAVE and SHUTDOWN in place.
//! Reading is in `file_load.rs`.

use super::crc64;
use super::length::write_string;
use super::snapshot::{self, Snapshot};
pub use super::state::SaveState;
use super::value::write_value;
use crate::engine::Inner;
use crate::types::list::Fill;
use crate::types::Value;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

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
    /// Another snapshot is being written.
    #[error("a snapshot is already being written")]
    Busy,
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
pub(crate) struct Sink<W: Write> {
    out: W,
    crc: u64,
    /// Scratch space for the next records.
    pub(crate) buf: Vec<u8>,
}

impl<W: Write> Sink<W> {
    pub(crate) fn new(out: W) -> Sink<W> {
        Sink {
            out,
            crc: 0,
            buf: Vec::new(),
        }
    }

    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.crc = crc64(self.crc, bytes);
        self.out.write_all(bytes)
    }

    /// Writes and clears the scratch buffer.
    pub(crate) fn flush_buf(&mut self) -> std::io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let r = self.put(&buf);
        self.buf = buf;
        self.buf.clear();
        r
    }
}

fn aux(sink: &mut Sink<impl Write>, name: &str, value: &str) -> std::io::Result<()> {
    sink.buf.push(op::AUX);
    write_string(&mut sink.buf, name.as_bytes(), false);
    write_string(&mut sink.buf, value.as_bytes(), false);
    sink.flush_buf()
}

/// The function libraries' code, without starting a script engine when there are none.
pub(crate) fn library_codes(inner: &Inner) -> Vec<Vec<u8>> {
    if inner.scripting.counts.lock().0 == 0 {
        return Vec::new();
    }
    inner
        .scripting
        .with_vm(|vm| vm.libs.libs.values().map(|l| l.code.to_vec()).collect())
        .unwrap_or_default()
}

/// The magic, version and AUX fields.
pub(crate) fn write_header(
    inner: &Inner,
    sink: &mut Sink<impl Write>,
    version: u16,
    _o: &SaveOptions,
) -> std::io::Result<()> {
    sink.put(format!("REDIS{version:04}").as_bytes())?;
    aux(
        sink,
        "redis-ver",
        crate::commands::connection::REDIS_VERSION,
    )?;
    aux(sink, "redis-bits", &(usize::BITS).to_string())?;
    aux(sink, "ctime", &(inner.now_ms() / 1000).to_string())?;
    aux(sink, "used-mem", &inner.used_memory().to_string())?;
    aux(sink, "aof-base", "0")
}

/// The replication position, so a replica restarted from this file can continue from its
/// primary's backlog (Redis's `repl-stream-db`, `repl-id`, `repl-offset`).
pub(crate) fn write_repl_aux(
    sink: &mut Sink<impl Write>,
    at: &crate::repl::SavedPosition,
) -> std::io::Result<()> {
    let (Some(id), Some(offset)) = (&at.replid, at.offset) else {
        return Ok(());
    };
    aux(sink, "repl-stream-db", &at.db.to_string())?;
    aux(sink, "repl-id", id)?;
    aux(sink, "repl-offset", &offset.to_string())
}

/// One FUNCTION2 record per library.
pub(crate) fn write_libraries(
    sink: &mut Sink<impl Write>,
    libraries: &[Vec<u8>],
    o: &SaveOptions,
) -> std::io::Result<()> {
    for code in libraries {
        sink.buf.push(op::FUNCTION2);
        write_string(&mut sink.buf, code, o.compress);
        sink.flush_buf()?;
    }
    Ok(())
}

/// EOF and the checksum.
pub(crate) fn write_trailer(sink: &mut Sink<impl Write>, o: &SaveOptions) -> std::io::Result<()> {
    sink.put(&[op::EOF])?;
    let crc = if o.checksum { sink.crc } else { 0 };
    sink.out.write_all(&crc.to_le_bytes())?;
    sink.out.flush()
}

/// Appends one key's record: its deadline if any, its access data (IDLE or FREQ, as the
/// policy asks: `access` with the key's `lru` stamp and the snapshot's time), the value's
/// type, the key, the body.
pub(crate) fn write_record(
    out: &mut Vec<u8>,
    key: &[u8],
    value: &Value,
    expire: Option<u64>,
    access: (super::access::AccessSave, u32, u64),
    o: &SaveOptions,
) {
    if let Some(at) = expire {
        out.push(op::EXPIRETIME_MS);
        out.extend_from_slice(&at.to_le_bytes());
    }
    let (save, lru, now_ms) = access;
    save.write(out, lru, now_ms);
    // write_value puts the type byte first; the key goes between it and the body.
    let mut obj = Vec::new();
    write_value(&mut obj, value, o.compress, o.fill);
    if let Some((&kind, body)) = obj.split_first() {
        out.push(kind);
        write_string(out, key, o.compress);
        out.extend_from_slice(body);
    }
}

/// Distinguishes the temporary files of saves in one process.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// Writes `snap` to `path` through a temporary file in the same directory.
pub fn save_to(snap: Snapshot, path: &Path) -> Result<u16, RdbError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let seq = TEMP_SEQ.fetch_add(1, Relaxed);
    let temp = dir.join(format!("temp-{}-{seq}.rdb", std::process::id()));
    let result = (|| {
        let file = File::create(&temp).map_err(|e| RdbError::io(&temp, e))?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let version = snap.write(&mut w).map_err(|e| RdbError::io(&temp, e))?;
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

/// The save state of `inner`.
pub fn state(inner: &Inner) -> SaveState {
    inner.persist.state()
}

/// Saves to the configured file now, in this thread, recording the outcome as Redis does:
/// on success the write counter restarts and LASTSAVE moves. The caller holds the keyspace
/// gate alone. A background save in progress is waited for first.
pub fn save(inner: &Inner) -> Result<(), RdbError> {
    save_as(inner, How::Foreground)
}

/// The save FLUSHALL makes with save points configured: like [`save`], but Redis does not
/// count it in `rdb_saves`.
pub fn save_after_flush(inner: &Inner) -> Result<(), RdbError> {
    save_as(inner, How::AfterFlush)
}

/// Which save an outcome belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    Foreground,
    AfterFlush,
    Background,
}

fn save_as(inner: &Inner, how: How) -> Result<(), RdbError> {
    inner.persist.wait_idle();
    let now = inner.now_ms();
    let dirty = inner.stats.dirty.load(Relaxed);
    let Some(snap) = snapshot::begin(inner, SaveOptions::from_config(inner)) else {
        return Err(RdbError::Busy);
    };
    let result = save_to(snap, &configured_path(inner));
    finish(inner, now, dirty, result.is_ok(), how);
    if let Err(e) = &result {
        tracing::warn!("failed saving the DB: {e}");
    }
    result.map(|_| ())
}

/// Records a save's outcome.
fn finish(inner: &Inner, started_ms: u64, dirty: u64, ok: bool, how: How) {
    let now = inner.now_ms();
    let background = how == How::Background;
    inner.persist.update(|st| {
        // As Redis counts them: every save tried but FLUSHALL's; the status follows
        // background saves, and a foreground one only clears it (a failed SAVE alone
        // stops no writes).
        if how != How::AfterFlush {
            st.saves += 1;
        }
        if background {
            st.last_try_ms = started_ms;
            st.last_ok = ok;
            st.bgsave_started_ms = None;
            st.last_bgsave_secs = (now.saturating_sub(started_ms) / 1000) as i64;
        } else if ok {
            st.last_ok = true;
        }
        if ok {
            st.last_save = now / 1000;
        }
    });
    if ok {
        // Writes made while the image was written are still unsaved.
        let _ = inner
            .stats
            .dirty
            .fetch_update(Relaxed, Relaxed, |d| Some(d.saturating_sub(dirty)));
        if background {
            tracing::info!("Background saving terminated with success");
        } else {
            tracing::info!("DB saved on disk");
        }
    }
}

/// Starts a background save to the configured file. The caller holds the keyspace gate
/// alone (the image's point in time); the file is written by a thread of its own while
/// clients go on. Fails when a snapshot is already being written.
pub fn bgsave(inner: &Inner) -> Result<(), RdbError> {
    let now = inner.now_ms();
    let dirty = inner.stats.dirty.load(Relaxed);
    let Some(snap) = snapshot::begin(inner, SaveOptions::from_config(inner)) else {
        return Err(RdbError::Busy);
    };
    let path = configured_path(inner);
    inner.persist.update(|st| {
        st.bgsave_started_ms = Some(now);
        st.bgsave_scheduled = false;
    });
    let weak = inner.me.clone();
    let spawned = std::thread::Builder::new()
        .name("shoal-bgsave".into())
        .spawn(move || {
            let result = save_to(snap, &path);
            if let Err(e) = &result {
                tracing::warn!("Background saving error: {e}");
            }
            if let Some(inner) = weak.upgrade() {
                finish(&inner, now, dirty, result.is_ok(), How::Background);
            }
        });
    if let Err(e) = spawned {
        inner.persist.update(|st| st.bgsave_started_ms = None);
        return Err(RdbError::io(&configured_path(inner), e));
    }
    tracing::info!("Background saving started");
    Ok(())
}

/// Before the process exits on a signal, as SHUTDOWN without arguments would: saves when
/// save points are configured (waiting for a background save in progress first). A busy
/// script leaves no consistent point to save at, so nothing is saved then.
pub fn save_on_exit(inner: &Inner) -> Result<(), RdbError> {
    if save_points(inner).is_empty() {
        return Ok(());
    }
    let Ok(_alone) = inner.gate.exclusive() else {
        tracing::warn!("a script is running: exiting without saving");
        return Err(RdbError::Busy);
    };
    tracing::info!("Saving the final RDB snapshot before exiting.");
    save(inner)
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

/// Called once per background tick: starts a background save when a save point is reached
/// (enough writes and enough time since the last save) or one was scheduled (BGSAVE
/// SCHEDULE). Answers whether it started one.
pub fn maybe_save(inner: &Inner) -> bool {
    if snapshot::running(inner) {
        return false;
    }
    let st = state(inner);
    let dirty = inner.stats.dirty.load(Relaxed);
    let now = inner.now_ms();
    let elapsed = (now / 1000).saturating_sub(st.last_save);
    let due = dirty > 0
        && save_points(inner)
            .iter()
            .any(|&(secs, changes)| dirty >= changes && elapsed >= secs)
        && (st.last_ok || now.saturating_sub(st.last_try_ms) >= RETRY_MS);
    if !due && !st.bgsave_scheduled {
        return false;
    }
    let Ok(_gate) = inner.gate.exclusive() else {
        return false;
    };
    bgsave(inner).is_ok()
}
