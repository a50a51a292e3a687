//! The append-only file, as Redis 7 lays it out: a directory (`appenddirname` under `dir`)
//! holding a manifest, one base file (an RDB image, or commands when
//! `aof-use-rdb-preamble` is off) and incremental files of commands.
//!
//! ```text
//!   effects stream ──► writer thread ──► <appendfilename>.<n>.incr.aof   (fsync per policy)
//!                            ▲
//!   BGREWRITEAOF / auto ─────┘ switch to a new incr file at a point between commands,
//!                              then write the new base and swap the manifest
//! ```
//!
//! The writer receives every effect meant for the AOF, in execution order, writes it as
//! Redis would (RESP multibulk, a SELECT when the database changes) and syncs as
//! `appendfsync` says. With `always`, callers wait for [`Engine::when_durable`] before
//! answering: their writes are on disk first (group commit: one fsync serves everyone who
//! waited meanwhile).

pub mod check;
pub mod codec;
pub mod load;
pub mod manifest;
mod rewrite;
mod writer;

#[cfg(test)]
mod tests;

use crate::config::{Kind, Param};
use crate::effects::Effect;
use crate::engine::{Engine, Inner};
use parking_lot::Mutex;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::mpsc::Sender;

pub use load::AofError;
pub use rewrite::{start_rewrite, RewriteStart};

/// A callback run once writes are durable.
type Waiter = Box<dyn FnOnce() + Send>;

/// The AOF's state inside the engine.
#[derive(Default)]
pub(crate) struct Aof {
    /// The running writer, if the AOF is on.
    running: Mutex<Option<writer::Handle>>,
    /// Sync requests made (tickets) and the newest one served.
    requested: AtomicU64,
    synced: AtomicU64,
    waiters: Mutex<Vec<(u64, Waiter)>>,
    /// The writer syncs every batch (`appendfsync always`).
    always: AtomicBool,
    /// The manifest as last written, shared by the writer and rewrites.
    pub(crate) manifest: Mutex<manifest::Manifest>,
    /// Counters for INFO.
    pub(crate) stats: Stats,
    /// Where the writer answers a switch to a new incremental file (one rewrite at a time).
    switch_reply: Mutex<Option<Sender<Result<(), String>>>>,
    /// Set when start-up or enabling failed, so the cron does not retry in a loop.
    failed_start: AtomicBool,
}

/// What INFO reports.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) rewrite_in_progress: AtomicBool,
    /// BGREWRITEAOF came while a BGSAVE ran: the rewrite starts once it ends.
    pub(crate) rewrite_scheduled: AtomicBool,
    /// Seconds the last rewrite took, -1 before any.
    pub(crate) last_rewrite_secs: AtomicI64,
    /// Start of the running rewrite, ms.
    pub(crate) rewrite_started_ms: AtomicU64,
    pub(crate) last_rewrite_ok: AtomicBool,
    pub(crate) rewrites: AtomicU64,
    pub(crate) consecutive_failures: AtomicU64,
    pub(crate) last_write_failed: AtomicBool,
    /// The system's words for the last failed write or sync (MISCONF shows them).
    pub(crate) last_write_error: parking_lot::Mutex<String>,
    /// Bytes of the base and incremental files.
    pub(crate) current_size: AtomicU64,
    /// `current_size` right after the last rewrite (or load), for auto-rewrite growth.
    pub(crate) base_size: AtomicU64,
    /// Syncs that took over 2 s (INFO `aof_delayed_fsync`).
    pub(crate) delayed_fsync: AtomicU64,
    /// Set once stats were first written (so `last_rewrite_secs` starts at -1).
    init: AtomicBool,
}

impl Stats {
    fn ensure_init(&self) {
        if !self.init.swap(true, SeqCst) {
            self.last_rewrite_secs.store(-1, SeqCst);
            self.last_rewrite_ok.store(true, SeqCst);
        }
    }
}

/// Marks an effect carrying no command: a wake-up for the writer (no arguments) or a
/// control step (`args[0]` names it).
pub(crate) const CONTROL_DB: usize = usize::MAX;

/// Where the AOF files live: `<dir>/<appenddirname>`.
pub fn aof_dir(inner: &Inner) -> PathBuf {
    let dir = inner.config.get("dir").unwrap_or_else(|| ".".into());
    let sub = inner
        .config
        .get("appenddirname")
        .unwrap_or_else(|| "appendonlydir".into());
    PathBuf::from(dir).join(sub)
}

/// The configured `appendfilename`, prefix of every file name.
pub fn prefix(inner: &Inner) -> String {
    inner
        .config
        .get("appendfilename")
        .unwrap_or_else(|| "appendonly.aof".into())
}

/// Path of the manifest as configured.
pub fn manifest_path(inner: &Inner) -> PathBuf {
    aof_dir(inner).join(manifest::manifest_name(&prefix(inner)))
}

impl Aof {
    /// True while the writer runs.
    pub(crate) fn is_on(&self) -> bool {
        self.running.lock().is_some()
    }

    /// Sends a control step or wake-up to the writer, if it runs. Returns false otherwise.
    fn nudge(&self, args: Vec<bytes::Bytes>) -> bool {
        match self.running.lock().as_ref() {
            Some(h) => {
                h.tx.send(Effect {
                    db: CONTROL_DB,
                    args,
                    targets: 0,
                })
                .is_ok()
            }
            None => false,
        }
    }

    /// Marks tickets up to `ticket` served and runs their waiters.
    fn served(&self, ticket: u64) {
        self.synced.fetch_max(ticket, SeqCst);
        let done: Vec<Waiter> = {
            let mut w = self.waiters.lock();
            let (ready, rest): (Vec<_>, Vec<_>) = w.drain(..).partition(|(t, _)| *t <= ticket);
            *w = rest;
            ready.into_iter().map(|(_, f)| f).collect()
        };
        for f in done {
            f();
        }
    }

    /// Releases every waiter (the writer stopped: nothing more will be synced).
    fn release_all(&self) {
        let t = self.requested.load(SeqCst);
        self.served(t);
    }
}

impl Engine {
    /// A mark of the effects emitted so far, taken before running a batch of commands and
    /// given to [`Engine::when_durable`] after it.
    pub fn write_mark(&self) -> u64 {
        self.inner.effects.sent()
    }

    /// Whether replies to the commands run since `mark` must wait for the disk: with
    /// `appendfsync always`, once they emitted writes. Cheap enough to ask after every batch.
    pub fn must_wait_durable(&self, mark: u64) -> bool {
        self.inner.aof.always.load(Relaxed) && self.inner.effects.sent() != mark
    }

    /// With `appendfsync always`, when the commands run since `mark` emitted writes, calls
    /// `done` once everything emitted so far is on disk (possibly at once, possibly on the
    /// writer thread) and returns true. Returns false without calling `done` when there is
    /// nothing to wait for.
    pub fn when_durable(&self, mark: u64, done: impl FnOnce() + Send + 'static) -> bool {
        if !self.must_wait_durable(mark) {
            return false;
        }
        let aof = &self.inner.aof;
        let ticket = aof.requested.fetch_add(1, SeqCst) + 1;
        aof.waiters.lock().push((ticket, Box::new(done)));
        if !aof.nudge(Vec::new()) {
            aof.release_all();
        } else if aof.synced.load(SeqCst) >= ticket {
            aof.served(ticket);
        }
        true
    }

    /// Blocks the calling thread until the writes emitted since `mark` are durable (see
    /// [`Engine::when_durable`]); for embedded callers.
    pub fn wait_durable(&self, mark: u64) {
        let (tx, rx) = std::sync::mpsc::channel();
        if self.when_durable(mark, move || {
            let _ = tx.send(());
        }) {
            let _ = rx.recv();
        }
    }

    /// Loads the AOF when `appendonly` is yes (creating its first base when there is
    /// none) and starts writing it. Returns whether the AOF is on; an error means the data
    /// could not be loaded and the process should not serve.
    pub fn open_aof(&self) -> Result<bool, AofError> {
        if !self.inner.config.get_bool("appendonly") {
            return Ok(false);
        }
        load::open(self).map(|_| true)
    }
}

/// Called by the engine's background tick: follows `appendonly` changes made by CONFIG
/// SET, and starts automatic rewrites.
pub(crate) fn cron(inner: &Inner) {
    if inner.aof.stats.rewrite_scheduled.load(SeqCst)
        && !crate::rdb::snapshot::running(inner)
        && crate::rdb::file::state(inner).bgsave_started_ms.is_none()
        && inner.aof.stats.rewrite_scheduled.swap(false, SeqCst)
    {
        let _ = start_rewrite(inner);
    }
    let want = inner.config.get_bool("appendonly");
    let on = inner.aof.is_on();
    if want && !on && !inner.aof.stats.rewrite_in_progress.load(SeqCst) {
        if !inner.aof.failed_start.load(SeqCst) {
            rewrite::enable_in_background(inner);
        }
    } else if !want && on {
        writer::stop(inner);
    } else if !want {
        inner.aof.failed_start.store(false, SeqCst);
    }
    if on && want {
        inner
            .aof
            .always
            .store(fsync_policy(inner) == Fsync::Always, SeqCst);
        rewrite::maybe_auto(inner);
    }
}

/// `appendfsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fsync {
    Always,
    EverySec,
    No,
}

pub(crate) fn fsync_policy(inner: &Inner) -> Fsync {
    match inner.config.get("appendfsync").as_deref() {
        Some("always") => Fsync::Always,
        Some("no") => Fsync::No,
        _ => Fsync::EverySec,
    }
}

/// Checks `appendfilename`: a plain file name.
fn normalize_filename(v: &str, _cur: &str) -> Result<(String, i64), String> {
    if v.is_empty() || v.contains('/') || v.contains(std::path::MAIN_SEPARATOR) {
        return Err("appendfilename can't be a path, just a filename".into());
    }
    Ok((v.to_string(), 0))
}

/// Checks `appenddirname`: a plain directory name.
fn normalize_dirname(v: &str, _cur: &str) -> Result<(String, i64), String> {
    if v.is_empty() || v.contains('/') || v.contains(std::path::MAIN_SEPARATOR) {
        return Err("appenddirname can't be a path, just a dirname".into());
    }
    Ok((v.to_string(), 0))
}

const fn flag(name: &'static str, default: &'static str) -> Param {
    Param {
        name,
        kind: Kind::Bool,
        default,
        immutable: false,
    }
}

/// The AOF's parameters.
pub(crate) const CONFIG_PARAMS: &[Param] = &[
    flag("appendonly", "no"),
    Param {
        name: "appendfilename",
        kind: Kind::Custom(normalize_filename),
        default: "appendonly.aof",
        immutable: true,
    },
    Param {
        name: "appenddirname",
        kind: Kind::Custom(normalize_dirname),
        default: "appendonlydir",
        immutable: true,
    },
    Param {
        name: "appendfsync",
        kind: Kind::Enum(&["always", "everysec", "no"]),
        default: "everysec",
        immutable: false,
    },
    flag("no-appendfsync-on-rewrite", "no"),
    flag("aof-use-rdb-preamble", "yes"),
    flag("aof-load-truncated", "yes"),
    flag("aof-timestamp-enabled", "no"),
    Param {
        name: "auto-aof-rewrite-percentage",
        kind: Kind::Int {
            min: 0,
            max: i32::MAX as i64,
        },
        default: "100",
        immutable: false,
    },
    Param {
        name: "auto-aof-rewrite-min-size",
        kind: Kind::Memory {
            min: 0,
            max: i64::MAX as u64,
        },
        default: "67108864",
        immutable: false,
    },
];

/// The `aof_*` lines of INFO persistence, under Redis 7's names and in its order.
pub fn info_fields(inner: &Inner, out: &mut String) {
    use std::fmt::Write as _;
    let s = &inner.aof.stats;
    s.ensure_init();
    let on = inner.aof.is_on();
    let now = inner.now_ms();
    let running = s.rewrite_in_progress.load(SeqCst);
    let current = if running {
        (now.saturating_sub(s.rewrite_started_ms.load(SeqCst)) / 1000) as i64
    } else {
        -1
    };
    let ok = |b: bool| if b { "ok" } else { "err" };
    let mut f = |name: &str, v: &dyn std::fmt::Display| {
        let _ = write!(out, "{name}:{v}\r\n");
    };
    f("aof_enabled", &u8::from(on));
    f("aof_rewrite_in_progress", &u8::from(running));
    // Rewrites never wait for another background job, so none is ever scheduled.
    f(
        "aof_rewrite_scheduled",
        &u8::from(inner.aof.stats.rewrite_scheduled.load(SeqCst)),
    );
    f(
        "aof_last_rewrite_time_sec",
        &s.last_rewrite_secs.load(SeqCst),
    );
    f("aof_current_rewrite_time_sec", &current);
    f(
        "aof_last_bgrewrite_status",
        &ok(s.last_rewrite_ok.load(SeqCst)),
    );
    f("aof_rewrites", &s.rewrites.load(SeqCst));
    f(
        "aof_rewrites_consecutive_failures",
        &s.consecutive_failures.load(SeqCst),
    );
    f(
        "aof_last_write_status",
        &ok(!s.last_write_failed.load(SeqCst)),
    );
    f("aof_last_cow_size", &0);
    f("module_fork_in_progress", &0);
    f("module_fork_last_cow_size", &0);
    if on {
        f("aof_current_size", &s.current_size.load(SeqCst));
        f("aof_base_size", &s.base_size.load(SeqCst));
        f("aof_pending_rewrite", &0);
        f("aof_buffer_length", &0);
        f("aof_pending_bio_fsync", &0);
        f("aof_delayed_fsync", &s.delayed_fsync.load(SeqCst));
    }
}

impl Engine {
    /// Writes and syncs what the AOF writer holds and stops it (process exit).
    pub fn close_aof(&self) {
        if self.inner.aof.is_on() {
            writer::stop(&self.inner);
        }
    }
}
