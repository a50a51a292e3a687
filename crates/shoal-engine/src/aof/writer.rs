//! The writer thread: drains the effects stream into the current incremental file, syncs
//! per `appendfsync`, serves durability tickets, and switches files at a rewrite point.

use super::{codec, fsync_policy, manifest, Fsync, CONTROL_DB};
use crate::effects::{Effect, TO_AOF};
use crate::engine::Inner;
use bytes::Bytes;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Weak;
use std::time::{Duration, Instant};

/// The running writer, as the engine holds it.
pub(crate) struct Handle {
    pub(crate) tx: Sender<Effect>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Control step: open the next incremental file (and list it in the manifest file when
/// the second argument is `persist`).
pub(crate) const SWITCH: &[u8] = b"switch";
/// Control step: flush, sync and end.
const STOP: &[u8] = b"stop";

/// How long the writer lets effects gather when no client waits for them.
const BATCH_WAIT: Duration = Duration::from_millis(1);

struct Writer {
    weak: Weak<Inner>,
    rx: Receiver<Effect>,
    file: File,
    path: PathBuf,
    db: Option<usize>,
    buf: Vec<u8>,
    unsynced: bool,
    last_sync: Instant,
    /// Unix second of the last `#TS:` annotation in this file (`aof-timestamp-enabled`).
    last_ts: Option<u64>,
    /// The second the current batch is written in, when annotations are on.
    batch_ts: Option<u64>,
}

/// Opens `path` for appending (creating it) and starts the writer on it. The caller holds
/// the gate exclusively, so no effect falls between the subscription and the file.
pub(crate) fn start(inner: &Inner, path: &Path) -> Result<(), String> {
    let file = open_append(path)?;
    let (tx, rx) = inner.effects.subscribe_pair();
    let w = Writer {
        weak: inner.me.clone(),
        rx,
        file,
        path: path.to_path_buf(),
        db: None,
        buf: Vec::with_capacity(1 << 16),
        unsynced: false,
        last_sync: Instant::now(),
        last_ts: None,
        batch_ts: None,
    };
    let thread = std::thread::Builder::new()
        .name("shoal-aof".into())
        .spawn(move || w.run())
        .map_err(|e| e.to_string())?;
    inner
        .aof
        .always
        .store(fsync_policy(inner) == Fsync::Always, SeqCst);
    *inner.aof.running.lock() = Some(Handle {
        tx,
        thread: Some(thread),
    });
    Ok(())
}

fn open_append(path: &Path) -> Result<File, String> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Stops the writer after it wrote and synced everything sent before (CONFIG SET
/// appendonly no, or shutdown).
pub(crate) fn stop(inner: &Inner) {
    let handle = {
        let _alone = inner.gate.exclusive();
        inner.aof.nudge(vec![Bytes::from_static(STOP)]);
        inner.aof.always.store(false, SeqCst);
        inner.aof.running.lock().take()
    };
    if let Some(mut h) = handle {
        drop(h.tx);
        if let Some(t) = h.thread.take() {
            let _ = t.join();
        }
    }
    inner.aof.release_all();
    tracing::info!("Background append only file writing stopped");
}

impl Writer {
    fn run(mut self) {
        loop {
            let timeout = if self.unsynced {
                Duration::from_millis(1000).saturating_sub(self.last_sync.elapsed())
            } else {
                Duration::from_secs(1)
            };
            let first = match self.rx.recv_timeout(timeout) {
                Ok(e) => Some(e),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let Some(inner) = self.weak.upgrade() else {
                break;
            };
            if first.is_some() && fsync_policy(&inner) != Fsync::Always {
                // Nobody waits for these writes: let a batch gather, so one write(2) (and
                // one wake-up of this thread) serves many commands, as Redis writes once
                // per event-loop turn.
                std::thread::sleep(BATCH_WAIT);
            }
            let ticket = inner.aof.requested.load(SeqCst);
            self.batch_ts = inner
                .config
                .get_bool("aof-timestamp-enabled")
                .then(|| inner.now_ms() / 1000);
            let mut stop = false;
            let mut next = first;
            while let Some(e) = next {
                if self.take(&inner, e) {
                    stop = true;
                    break;
                }
                next = self.rx.try_recv().ok();
            }
            let written = self.write_out(&inner);
            if written {
                self.sync_per_policy(&inner, stop);
                inner.aof.served(ticket);
            }
            if stop {
                break;
            }
        }
        if let Some(inner) = self.weak.upgrade() {
            inner.aof.release_all();
        }
    }

    /// Takes one effect into the buffer, or runs a control step. True to stop.
    fn take(&mut self, inner: &Inner, e: Effect) -> bool {
        if e.db == CONTROL_DB {
            match e.args.first().map(|a| a.as_ref()) {
                Some(STOP) => return true,
                Some(SWITCH) => {
                    let persist = e.args.get(1).is_some_and(|a| a.as_ref() == b"persist");
                    let result = self.switch(inner, persist);
                    if let Some(reply) = inner.aof.switch_reply.lock().take() {
                        let _ = reply.send(result);
                    }
                }
                _ => {}
            }
            return false;
        }
        if e.targets & TO_AOF == 0 {
            return false;
        }
        if let Some(ts) = self.batch_ts.filter(|&ts| self.last_ts != Some(ts)) {
            // Redis's annotation: loaders skip it, redis-check-aof can cut at it.
            self.buf
                .extend_from_slice(format!("#TS:{ts}\r\n").as_bytes());
            self.last_ts = Some(ts);
        }
        if self.db != Some(e.db) {
            codec::encode_select(&mut self.buf, e.db);
            self.db = Some(e.db);
        }
        codec::encode(&mut self.buf, &e.args);
        if self.buf.len() >= 1 << 20 {
            self.write_out(inner);
        }
        false
    }

    /// Writes the buffer; false (keeping it for a retry) if the write failed.
    fn write_out(&mut self, inner: &Inner) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        match self.file.write_all(&self.buf) {
            Ok(()) => {
                let n = self.buf.len() as u64;
                inner.aof.stats.current_size.fetch_add(n, SeqCst);
                inner.aof.stats.last_write_failed.store(false, SeqCst);
                self.buf.clear();
                self.unsynced = true;
                true
            }
            Err(e) => {
                *inner.aof.stats.last_write_error.lock() = e.to_string();
                if !inner.aof.stats.last_write_failed.swap(true, SeqCst) {
                    tracing::warn!("Error writing to the AOF file {}: {e}", self.path.display());
                }
                std::thread::sleep(Duration::from_millis(100));
                false
            }
        }
    }

    fn sync_per_policy(&mut self, inner: &Inner, force: bool) {
        if !self.unsynced {
            return;
        }
        let policy = fsync_policy(inner);
        let rewriting = inner.aof.stats.rewrite_in_progress.load(SeqCst)
            && inner.config.get_bool("no-appendfsync-on-rewrite");
        let due = match policy {
            Fsync::Always => !rewriting,
            Fsync::EverySec => !rewriting && self.last_sync.elapsed() >= Duration::from_secs(1),
            Fsync::No => false,
        };
        if due || force {
            self.sync(inner);
        }
    }

    fn sync(&mut self, inner: &Inner) {
        let started = Instant::now();
        if let Err(e) = self.file.sync_data() {
            tracing::warn!("fsync of the AOF file {} failed: {e}", self.path.display());
            *inner.aof.stats.last_write_error.lock() = e.to_string();
            inner.aof.stats.last_write_failed.store(true, SeqCst);
            return;
        }
        if started.elapsed() > Duration::from_secs(2) {
            inner.aof.stats.delayed_fsync.fetch_add(1, SeqCst);
        }
        self.unsynced = false;
        self.last_sync = Instant::now();
    }

    /// Closes the current file (synced) and opens the next incremental file; with
    /// `persist`, the manifest file lists it at once.
    fn switch(&mut self, inner: &Inner, persist: bool) -> Result<(), String> {
        self.write_out(inner);
        self.sync(inner);
        let dir = super::aof_dir(inner);
        let prefix = super::prefix(inner);
        let mut m = inner.aof.manifest.lock();
        let seq = m.next_incr_seq();
        let name = manifest::incr_name(&prefix, seq);
        let path = dir.join(&name);
        let file = open_append(&path)?;
        let mut next = m.clone();
        next.incr.push(manifest::Entry {
            name,
            seq,
            kind: manifest::Kind::Incr,
        });
        if persist {
            super::rewrite::persist_manifest(&dir, &prefix, &next)?;
        }
        *m = next;
        self.file = file;
        self.path = path;
        self.db = None;
        self.last_ts = None;
        Ok(())
    }
}
