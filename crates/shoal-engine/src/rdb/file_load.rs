//! Loading a whole RDB file (versions 1 to 12) into the keyspace. Keys already past their
//! deadline are skipped, as a master does; the checksum is checked unless it is zero.

use super::file::{op, RdbError};
use super::length::{Bad, Reader, TRUNCATED};
use super::load::{read_body, Limits};
use super::{crc64, MAX_VERSION};
use crate::engine::Engine;
use crate::engine::Inner;
use crate::keyspace::Keyspace;
use crate::types::Value;
use bytes::Bytes;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;

/// What a load did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Keys stored.
    pub keys: usize,
    /// Keys skipped because their deadline had passed.
    pub expired: usize,
    /// Function libraries loaded.
    pub libraries: usize,
    /// The file's RDB version.
    pub version: u16,
}

/// What the next key carries besides its value.
#[derive(Default)]
struct Pending {
    expire: Option<u64>,
    idle: Option<u64>,
    freq: Option<u64>,
}

struct Loader<'a> {
    inner: &'a Inner,
    lim: Limits,
    now_ms: u64,
    db: usize,
    stats: LoadStats,
    /// The replication position the file was saved at (`repl-id`, `repl-offset`,
    /// `repl-stream-db` AUX fields).
    repl: crate::repl::SavedPosition,
}

/// Reads `path` and stores its keys (and function libraries) in `inner`'s keyspace.
pub fn load_file(inner: &Inner, path: &Path, lim: Limits) -> Result<LoadStats, RdbError> {
    let file = std::fs::File::open(path).map_err(|e| RdbError::io(path, e))?;
    let mut bytes = Vec::new();
    BufReader::with_capacity(1 << 16, file)
        .read_to_end(&mut bytes)
        .map_err(|e| RdbError::io(path, e))?;
    let mut r = Reader::new(&bytes);
    let mut l = Loader {
        inner,
        lim,
        now_ms: inner.now_ms(),
        db: 0,
        stats: LoadStats::default(),
        repl: Default::default(),
    };
    let corrupt = |offset: usize, reason: String| RdbError::Corrupt {
        path: path.display().to_string(),
        offset,
        reason,
    };
    let mut progress = Progress::start(inner, bytes.len());
    l.header(&mut r).map_err(|e| corrupt(r.pos(), explain(e)))?;
    loop {
        let at = r.pos();
        match l.item(&mut r) {
            Ok(true) => progress.tick(r.pos(), &l.stats),
            Ok(false) => break,
            Err(Failure::Bad(e)) => return Err(corrupt(at.max(r.pos()), explain(e))),
            Err(Failure::Text(e)) => return Err(corrupt(at, e)),
        }
    }
    progress.done(&l.stats);
    let covered = r.pos();
    if l.stats.version >= 5 {
        let crc = u64::from_le_bytes(r.array().map_err(|e| corrupt(r.pos(), explain(e)))?);
        if crc != 0 && crc != crc64(0, &bytes[..covered]) {
            return Err(corrupt(covered, "wrong RDB checksum".into()));
        }
    }
    inner.repl.restore(inner, &l.repl);
    Ok(l.stats)
}

/// Publishes a load's progress for INFO and the log while it runs; the engine refuses
/// commands without the `loading` flag until it is dropped.
struct Progress<'a> {
    inner: &'a Inner,
    total: usize,
    items: u64,
    logged: std::time::Instant,
}

impl<'a> Progress<'a> {
    fn start(inner: &'a Inner, total: usize) -> Progress<'a> {
        let load = &inner.persist.load;
        load.start_ms.store(inner.now_ms(), Relaxed);
        load.total_bytes.store(total as u64, Relaxed);
        load.loaded_bytes.store(0, Relaxed);
        load.keys.store(0, Relaxed);
        load.expired.store(0, Relaxed);
        inner.persist.set_loading(true);
        Progress {
            inner,
            total,
            items: 0,
            logged: std::time::Instant::now(),
        }
    }

    /// After each item; publishes every 1024 items and logs every few seconds.
    fn tick(&mut self, pos: usize, stats: &LoadStats) {
        self.items += 1;
        if !self.items.is_multiple_of(1024) {
            return;
        }
        let load = &self.inner.persist.load;
        load.loaded_bytes.store(pos as u64, Relaxed);
        load.keys.store(stats.keys as u64, Relaxed);
        if self.logged.elapsed() >= std::time::Duration::from_secs(2) {
            self.logged = std::time::Instant::now();
            let perc = pos as f64 * 100.0 / self.total.max(1) as f64;
            tracing::info!(
                "Loading: {} keys so far, {perc:.1}% of the file",
                stats.keys
            );
        }
    }

    fn done(&mut self, stats: &LoadStats) {
        let load = &self.inner.persist.load;
        load.loaded_bytes.store(self.total as u64, Relaxed);
        load.keys.store(stats.keys as u64, Relaxed);
        load.expired.store(stats.expired as u64, Relaxed);
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        self.inner.persist.set_loading(false);
    }
}

/// The reason for a log line: the codec's truncation marker speaks of payloads.
fn explain(b: Bad) -> String {
    if b == TRUNCATED {
        "unexpected end of file".into()
    } else {
        b.to_string()
    }
}

/// A malformed body, or a refusal worded here.
enum Failure {
    Bad(Bad),
    Text(String),
}

impl From<Bad> for Failure {
    fn from(b: Bad) -> Failure {
        Failure::Bad(b)
    }
}

impl Loader<'_> {
    fn header(&mut self, r: &mut Reader<'_>) -> Result<(), Bad> {
        let magic = r.take(9)?;
        if &magic[..5] != b"REDIS" {
            return Err("wrong signature trying to load DB from file");
        }
        let v = std::str::from_utf8(&magic[5..])
            .ok()
            .and_then(|t| t.parse::<u16>().ok())
            .ok_or("bad RDB version")?;
        if v == 0 || v > MAX_VERSION {
            return Err("can't handle RDB format version");
        }
        self.stats.version = v;
        Ok(())
    }

    /// One opcode and what follows it, or a key; false at EOF.
    fn item(&mut self, r: &mut Reader<'_>) -> Result<bool, Failure> {
        let mut p = Pending::default();
        loop {
            let t = r.byte()?;
            match t {
                op::EOF => return Ok(false),
                op::SELECTDB => {
                    let db = r.length()?;
                    if db >= self.inner.keyspace.databases() as u64 {
                        return Err(Failure::Text(format!(
                            "the file uses database {db}, more than the {} configured",
                            self.inner.keyspace.databases()
                        )));
                    }
                    self.db = db as usize;
                }
                op::RESIZEDB => {
                    r.length()?;
                    r.length()?;
                }
                op::SLOT_INFO => {
                    for _ in 0..3 {
                        r.length()?;
                    }
                }
                op::AUX => {
                    let (k, v) = (r.string()?, r.string()?);
                    self.repl_aux(&k, &v);
                    tracing::debug!(
                        "RDB aux field {}: {}",
                        String::from_utf8_lossy(&k),
                        String::from_utf8_lossy(&v)
                    );
                }
                op::EXPIRETIME_MS => p.expire = Some(u64::from_le_bytes(r.array()?)),
                op::EXPIRETIME => {
                    p.expire = Some(u64::from(u32::from_le_bytes(r.array()?)) * 1000)
                }
                op::IDLE => p.idle = Some(r.length()?),
                op::FREQ => p.freq = Some(u64::from(r.byte()?)),
                op::FUNCTION2 => self.library(r.string()?)?,
                op::FUNCTION_PRE_GA => {
                    return Err(Failure::Text(
                        "function libraries of Redis 7.0 release candidates (opcode 246) are not supported".into(),
                    ))
                }
                op::MODULE_AUX => {
                    return Err(Failure::Text(
                        "the file holds module data (MODULE_AUX opcode), and Shoal has no modules".into(),
                    ))
                }
                _ => {
                    self.key(r, t, p)?;
                    return Ok(true);
                }
            }
            if !matches!(t, op::EXPIRETIME_MS | op::EXPIRETIME | op::IDLE | op::FREQ) {
                return Ok(true);
            }
        }
    }

    fn library(&mut self, code: Vec<u8>) -> Result<(), Failure> {
        let scripting = &self.inner.scripting;
        let loaded = scripting
            .with_vm(|vm| {
                let r = vm.load_library(&Bytes::from(code), false);
                *scripting.counts.lock() = vm.libs.counts();
                r
            })
            .and_then(|r| r);
        match loaded {
            Ok(_) => {
                self.stats.libraries += 1;
                Ok(())
            }
            Err(e) => Err(Failure::Text(format!(
                "cannot load a function library: {e}"
            ))),
        }
    }

    /// A key of object type `t`: its name, then its value.
    fn key(&mut self, r: &mut Reader<'_>, t: u8, p: Pending) -> Result<(), Failure> {
        let key = r.string()?;
        let value = read_body(r, t, &self.lim)?;
        if p.expire.is_some_and(|at| at < self.now_ms) {
            self.stats.expired += 1;
            return Ok(());
        }
        let lru = self.inner.toucher(self.now_ms).restored(p.idle, p.freq);
        let field_deadline = match &value {
            Value::Hash(h) => h.next_deadline(),
            _ => None,
        };
        let mut shard = self.inner.keyspace.lock(Keyspace::shard_of(&key));
        let db = &mut shard.dbs[self.db];
        if db.get(&key).is_some() {
            return Err(Failure::Text(format!(
                "duplicate key '{}' in database {}",
                String::from_utf8_lossy(&key),
                self.db
            )));
        }
        db.insert_new(&key, value, p.expire, lru);
        if let Some(next) = field_deadline {
            crate::keyspace::hash_ttl::register(db, &key, next);
        }
        self.stats.keys += 1;
        Ok(())
    }
}

impl Loader<'_> {
    fn repl_aux(&mut self, k: &[u8], v: &[u8]) {
        let text = String::from_utf8_lossy(v);
        match k {
            b"repl-id" if v.len() == 40 => self.repl.replid = Some(text.into_owned()),
            b"repl-offset" => self.repl.offset = text.parse().ok(),
            b"repl-stream-db" => self.repl.db = text.parse().unwrap_or(0),
            _ => {}
        }
    }
}

impl Engine {
    /// Loads the RDB file at `path` into the keyspace (meant for an empty one, at start-up):
    /// values take the configured encodings, keys past their deadline are skipped. A key
    /// already present, a corrupt or truncated file is an error naming the file and offset.
    pub fn load_rdb(&self, path: impl AsRef<Path>) -> Result<LoadStats, RdbError> {
        let inner = self.inner();
        load_file(inner, path.as_ref(), Limits::configured(&inner.config))
    }
}
