//! Rewrites: BGREWRITEAOF, automatic rewrites, and turning the AOF on (which is a rewrite
//! that also starts the writer).
//!
//! At the rewrite point (the gate held alone, so between commands and outside any
//! MULTI or script) the writer moves to a new incremental file; the new base is the image
//! of that same point. Once the base is on disk the manifest is swapped atomically (temp
//! file + rename) and the files it no longer lists are deleted.

use super::manifest::{self, Entry, Manifest};
use super::{aof_dir, codec, prefix, writer};
use crate::engine::Inner;
use crate::gate::Exclusive;
use crate::keyspace::SHARDS;
use bytes::Bytes;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

/// How BGREWRITEAOF's request went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewriteStart {
    /// A rewrite started in the background.
    Started,
    /// One is already running.
    AlreadyRunning,
    /// No thread could be started.
    Failed,
}

/// What a rewrite does besides writing a base.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The AOF is being turned on: start the writer on a fresh incremental file.
    Enable,
    /// A rewrite of a running (or stopped) AOF.
    Rewrite,
}

/// Starts a rewrite in the background (BGREWRITEAOF, auto rewrite).
pub fn start_rewrite(inner: &Inner) -> RewriteStart {
    spawn(inner, Mode::Rewrite)
}

/// Turns the AOF on in the background (CONFIG SET appendonly yes).
pub(crate) fn enable_in_background(inner: &Inner) {
    spawn(inner, Mode::Enable);
}

fn spawn(inner: &Inner, mode: Mode) -> RewriteStart {
    let stats = &inner.aof.stats;
    stats.ensure_init();
    if stats.rewrite_in_progress.swap(true, SeqCst) {
        return RewriteStart::AlreadyRunning;
    }
    stats.rewrite_started_ms.store(inner.now_ms(), SeqCst);
    let Some(me) = inner.me.upgrade() else {
        stats.rewrite_in_progress.store(false, SeqCst);
        return RewriteStart::Failed;
    };
    let spawned = std::thread::Builder::new()
        .name("shoal-aof-rw".into())
        .spawn(move || run_and_record(&me, mode));
    match spawned {
        Ok(_) => RewriteStart::Started,
        Err(e) => {
            tracing::warn!("Can't rewrite append only file in background: {e}");
            stats.rewrite_in_progress.store(false, SeqCst);
            RewriteStart::Failed
        }
    }
}

/// Runs a rewrite on this thread (start-up: the first base).
pub(crate) fn run_now(inner: &Inner, enable: bool) -> Result<(), String> {
    let stats = &inner.aof.stats;
    stats.ensure_init();
    if stats.rewrite_in_progress.swap(true, SeqCst) {
        return Err("Background append only file rewriting already in progress".into());
    }
    stats.rewrite_started_ms.store(inner.now_ms(), SeqCst);
    let mode = if enable { Mode::Enable } else { Mode::Rewrite };
    // Like Redis, the base made at start-up is not counted as a background rewrite.
    let result = rewrite(inner, mode);
    if let Err(e) = &result {
        tracing::warn!("Creating the AOF base file failed: {e}");
    }
    stats.rewrite_in_progress.store(false, SeqCst);
    result
}

fn run_and_record(inner: &Inner, mode: Mode) -> Result<(), String> {
    let stats = &inner.aof.stats;
    let started = inner.now_ms();
    let result = rewrite(inner, mode);
    let secs = inner.now_ms().saturating_sub(started) / 1000;
    stats.last_rewrite_secs.store(secs as i64, SeqCst);
    match &result {
        Ok(()) => {
            stats.rewrites.fetch_add(1, SeqCst);
            stats.consecutive_failures.store(0, SeqCst);
            stats.last_rewrite_ok.store(true, SeqCst);
            tracing::info!("Background AOF rewrite finished successfully");
        }
        Err(e) => {
            stats.consecutive_failures.fetch_add(1, SeqCst);
            stats.last_rewrite_ok.store(false, SeqCst);
            tracing::warn!("Background AOF rewrite failed: {e}");
            if mode == Mode::Enable {
                inner.aof.failed_start.store(true, SeqCst);
                if inner.aof.is_on() {
                    writer::stop(inner);
                }
            }
        }
    }
    stats.rewrite_in_progress.store(false, SeqCst);
    result
}

/// Waits for the gate alone, even behind a long script.
fn gate_alone(inner: &Inner) -> Exclusive<'_> {
    loop {
        if let Ok(g) = inner.gate.exclusive() {
            return g;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn rewrite(inner: &Inner, mode: Mode) -> Result<(), String> {
    let dir = aof_dir(inner);
    let prefix = prefix(inner);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // One snapshot at a time: a BGSAVE in progress finishes first.
    inner.persist.wait_idle();
    let gate = gate_alone(inner);
    let on = match mode {
        Mode::Enable => {
            let on_disk = read_manifest(&dir.join(manifest::manifest_name(&prefix)))
                .ok()
                .flatten()
                .unwrap_or_default();
            let seq = on_disk.next_incr_seq();
            let name = manifest::incr_name(&prefix, seq);
            writer::start(inner, &dir.join(&name))?;
            let mut m = on_disk;
            m.incr.push(Entry {
                name,
                seq,
                kind: manifest::Kind::Incr,
            });
            *inner.aof.manifest.lock() = m;
            true
        }
        Mode::Rewrite if inner.aof.is_on() => {
            switch_incr(inner)?;
            true
        }
        Mode::Rewrite => {
            let on_disk = read_manifest(&dir.join(manifest::manifest_name(&prefix)))
                .ok()
                .flatten()
                .unwrap_or_default();
            *inner.aof.manifest.lock() = on_disk;
            false
        }
    };
    let rdb = inner.config.get_bool("aof-use-rdb-preamble");
    let base_seq = inner.aof.manifest.lock().next_base_seq();
    let base = manifest::base_name(&prefix, base_seq, rdb);
    let temp = dir.join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
    let written = write_base(inner, &temp, rdb, gate).and_then(|_| {
        std::fs::rename(&temp, dir.join(&base)).map_err(|e| format!("{}: {e}", base))
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    finish(inner, &dir, &prefix, base, base_seq, on)
}

/// Asks the running writer to move to a new incremental file, listed in the manifest
/// file at once, and waits until it did.
fn switch_incr(inner: &Inner) -> Result<(), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    *inner.aof.switch_reply.lock() = Some(tx);
    let args = vec![
        Bytes::from_static(writer::SWITCH),
        Bytes::from_static(b"persist"),
    ];
    if !inner.aof.nudge(args) {
        return Err("the AOF writer is not running".into());
    }
    rx.recv()
        .unwrap_or_else(|_| Err("the AOF writer stopped".into()))
}

/// Swaps the manifest to the new base (plus the incremental file opened at the rewrite
/// point), deletes the files it replaced, and resets the size counters.
fn finish(
    inner: &Inner,
    dir: &Path,
    prefix: &str,
    base: String,
    base_seq: u64,
    on: bool,
) -> Result<(), String> {
    let mut m = inner.aof.manifest.lock();
    let keep: Vec<Entry> = if on {
        m.incr.last().cloned().into_iter().collect()
    } else {
        Vec::new()
    };
    let next = Manifest {
        base: Some(Entry {
            name: base,
            seq: base_seq,
            kind: manifest::Kind::Base,
        }),
        history: Vec::new(),
        incr: keep,
    };
    persist_manifest(dir, prefix, &next)?;
    let old: Vec<Entry> = m
        .base
        .iter()
        .chain(&m.history)
        .chain(&m.incr)
        .filter(|e| !next.load_order().any(|n| n.name == e.name))
        .cloned()
        .collect();
    *m = next.clone();
    drop(m);
    for e in old {
        let _ = std::fs::remove_file(dir.join(&e.name));
    }
    let size: u64 = next
        .load_order()
        .filter_map(|e| std::fs::metadata(dir.join(&e.name)).ok())
        .map(|md| md.len())
        .sum();
    inner.aof.stats.current_size.store(size, SeqCst);
    inner.aof.stats.base_size.store(size, SeqCst);
    Ok(())
}

/// Reads the manifest at `path`: None if there is none.
pub(crate) fn read_manifest(path: &Path) -> Result<Option<Manifest>, String> {
    match std::fs::read(path) {
        Ok(bytes) => Manifest::parse(&String::from_utf8_lossy(&bytes)).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes the manifest through a temporary file renamed over the real one, synced.
pub(crate) fn persist_manifest(dir: &Path, prefix: &str, m: &Manifest) -> Result<(), String> {
    let name = manifest::manifest_name(prefix);
    let temp = dir.join(format!("temp-{name}"));
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let mut f = File::create(&temp).map_err(|e| err(&temp, e))?;
    f.write_all(m.format().as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| err(&temp, e))?;
    std::fs::rename(&temp, dir.join(&name)).map_err(|e| err(&temp, e))?;
    sync_dir(dir);
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        // Makes renames durable; not every platform lets a directory be synced.
        let _ = d.sync_all();
    }
}

/// Writes the base image of the keyspace at the rewrite point to `path`: an RDB file, or
/// commands. `gate` holds every command out; it is released as soon as the image no
/// longer depends on the live keyspace: at once for an RDB base (a point-in-time
/// snapshot), after the dump for a base of commands.
pub(crate) fn write_base(
    inner: &Inner,
    path: &Path,
    rdb: bool,
    gate: Exclusive<'_>,
) -> Result<u64, String> {
    let result = if rdb {
        // The point in time is taken under the gate; the file is written after it is
        // released, while clients go on writing (see `rdb::snapshot`).
        let o = crate::rdb::file::SaveOptions::from_config(inner);
        let snap = crate::rdb::snapshot::begin(inner, o);
        drop(gate);
        match snap {
            Some(snap) => crate::rdb::file::save_to(snap, path)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Err("a background save started before the rewrite point".into()),
        }
    } else {
        // The same point-in-time snapshot, read back into a scratch engine from which the
        // commands are written, so writers go on here too.
        let o = crate::rdb::file::SaveOptions::from_config(inner);
        let snap = crate::rdb::snapshot::begin(inner, o);
        drop(gate);
        match snap {
            Some(snap) => command_base_from(inner, snap, path),
            None => Err("a background save started before the rewrite point".into()),
        }
    };
    result?;
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// What the scratch engine of a command base takes from the live one: its databases and
/// the encodings values load into.
const SCRATCH_PARAMS: &[&str] = &[
    "databases",
    "list-max-listpack-size",
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "set-max-intset-entries",
    "set-max-listpack-entries",
    "set-max-listpack-value",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
];

/// Writes `snap` to a temporary RDB file beside `path`, loads it into a scratch engine
/// with `inner`'s databases and encodings, and writes that engine's base of commands.
fn command_base_from(
    inner: &Inner,
    snap: crate::rdb::snapshot::Snapshot,
    path: &Path,
) -> Result<(), String> {
    let image = path.with_extension("image.rdb");
    let result = (|| {
        crate::rdb::file::save_to(snap, &image).map_err(|e| e.to_string())?;
        let config = crate::config::Config::new();
        config.set_startup("save", "").map_err(|e| e.to_string())?;
        for name in SCRATCH_PARAMS {
            let value = inner.config.get(name).unwrap_or_default();
            config
                .set_startup(name, &value)
                .map_err(|e| e.to_string())?;
        }
        let scratch = crate::engine::Engine::with_options(crate::engine::EngineOptions {
            config,
            ..Default::default()
        });
        scratch.load_rdb(&image).map_err(|e| e.to_string())?;
        write_command_base(scratch.inner(), path).map_err(|e| format!("{}: {e}", path.display()))
    })();
    let _ = std::fs::remove_file(&image);
    result
}

/// A base of commands: the function libraries (FUNCTION LOAD), then per database a
/// SELECT and one RESTORE per key (with its deadline, ABSTTL), which rebuilds every type
/// exactly, encodings included.
fn write_command_base(inner: &Inner, path: &Path) -> std::io::Result<()> {
    let file = File::create(path)?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let o = crate::rdb::file::SaveOptions::from_config(inner);
    let mut buf = Vec::new();
    for code in library_codes(inner) {
        codec::encode(
            &mut buf,
            &[
                Bytes::from_static(b"FUNCTION"),
                Bytes::from_static(b"LOAD"),
                code,
            ],
        );
    }
    w.write_all(&buf)?;
    for db in 0..inner.keyspace.databases() {
        let mut selected = false;
        for s in 0..SHARDS {
            buf.clear();
            let shard = inner.keyspace.lock(s);
            let Some(d) = shard.dbs.get(db) else { continue };
            for e in d.dict.iter() {
                if !selected {
                    codec::encode_select(&mut buf, db);
                    selected = true;
                }
                let payload = crate::rdb::dump(&e.value, o.compress, o.fill);
                let at = d.expire_of(e);
                let mut args = vec![
                    Bytes::from_static(b"RESTORE"),
                    Bytes::copy_from_slice(e.key.as_slice()),
                    Bytes::from(at.unwrap_or(0).to_string()),
                    Bytes::from(payload),
                ];
                if at.is_some() {
                    args.push(Bytes::from_static(b"ABSTTL"));
                }
                codec::encode(&mut buf, &args);
            }
            drop(shard);
            w.write_all(&buf)?;
        }
    }
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// The function libraries' source code.
fn library_codes(inner: &Inner) -> Vec<Bytes> {
    if inner.scripting.counts.lock().0 == 0 {
        return Vec::new();
    }
    inner
        .scripting
        .with_vm(|vm| {
            vm.libs
                .libs
                .values()
                .map(|l| Bytes::copy_from_slice(&l.code))
                .collect()
        })
        .unwrap_or_default()
}

/// Starts a rewrite when the AOF grew past `auto-aof-rewrite-percentage` of its size after
/// the last rewrite, and past `auto-aof-rewrite-min-size`.
pub(crate) fn maybe_auto(inner: &Inner) {
    let pct = inner.config.get_i64("auto-aof-rewrite-percentage");
    let min = inner.config.get_i64("auto-aof-rewrite-min-size").max(0) as u64;
    let stats = &inner.aof.stats;
    if pct <= 0 || stats.rewrite_in_progress.load(SeqCst) {
        return;
    }
    let current = stats.current_size.load(SeqCst);
    if current <= min {
        return;
    }
    let base = stats.base_size.load(SeqCst).max(1);
    let growth = (current.saturating_mul(100) / base).saturating_sub(100);
    if growth >= pct as u64 {
        tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
        start_rewrite(inner);
    }
}
