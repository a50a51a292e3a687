//! What the engine remembers of its snapshots, for LASTSAVE, INFO persistence and the save
//! schedule.

use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};

/// The outcome of past saves and the one in progress.
#[derive(Clone, Copy, Debug)]
pub struct SaveState {
    /// Unix seconds of the last successful save (start-up time before any).
    pub last_save: u64,
    /// Whether the last background save succeeded (a successful SAVE also sets it).
    pub last_ok: bool,
    /// Ms when the last attempt started, to space retries after a failure.
    pub last_try_ms: u64,
    /// When the background save in progress started (ms), if one is.
    pub bgsave_started_ms: Option<u64>,
    /// Seconds the last background save took, -1 before any.
    pub last_bgsave_secs: i64,
    /// A background save waits for the one in progress (BGSAVE SCHEDULE).
    pub bgsave_scheduled: bool,
    /// Saves tried since start-up, successful or not (INFO `rdb_saves`).
    pub saves: u64,
}

/// Progress of a load in progress, and the outcome of the last one (INFO's `loading_*` and
/// `rdb_last_load_*` fields).
#[derive(Default)]
pub struct LoadProgress {
    /// When the load started (ms).
    pub start_ms: AtomicU64,
    /// Bytes of the file.
    pub total_bytes: AtomicU64,
    /// Bytes read so far.
    pub loaded_bytes: AtomicU64,
    /// Keys stored so far (by the last load, once it ended).
    pub keys: AtomicU64,
    /// Keys skipped as expired by the last load.
    pub expired: AtomicU64,
}

/// The engine's persistence state.
pub struct Persistence {
    /// A snapshot is being written (there is one at a time).
    pub(crate) snapshot_running: AtomicBool,
    /// Loads in progress (they nest: an AOF's RDB base inside the AOF): commands without
    /// the `loading` flag are refused meanwhile.
    loading: AtomicUsize,
    /// The load in progress or the last one.
    pub load: LoadProgress,
    /// The last save failed (writes may be refused: `stop-writes-on-bgsave-error`).
    save_failed: AtomicBool,
    state: Mutex<SaveState>,
    idle: Condvar,
}

impl Persistence {
    /// The state of an engine started at `start_ms`.
    pub(crate) fn new(start_ms: u64) -> Persistence {
        Persistence {
            snapshot_running: AtomicBool::new(false),
            loading: AtomicUsize::new(0),
            load: LoadProgress::default(),
            save_failed: AtomicBool::new(false),
            state: Mutex::new(SaveState {
                last_save: start_ms / 1000,
                last_ok: true,
                last_try_ms: 0,
                bgsave_started_ms: None,
                last_bgsave_secs: -1,
                bgsave_scheduled: false,
                saves: 0,
            }),
            idle: Condvar::new(),
        }
    }

    /// Whether a file is being loaded.
    #[inline]
    pub fn is_loading(&self) -> bool {
        self.loading.load(Relaxed) != 0
    }

    /// Enters (`true`) or leaves (`false`) a loading state; calls pair up and nest.
    pub fn set_loading(&self, on: bool) {
        if on {
            self.loading.fetch_add(1, SeqCst);
        } else {
            let _ = self
                .loading
                .fetch_update(SeqCst, SeqCst, |n| Some(n.saturating_sub(1)));
        }
    }

    /// A copy of the state.
    pub fn state(&self) -> SaveState {
        *self.state.lock()
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut SaveState)) {
        let mut st = self.state.lock();
        f(&mut st);
        self.save_failed.store(!st.last_ok, Relaxed);
        self.idle.notify_all();
    }

    /// Whether the last background save failed; cheap enough for every command.
    #[inline]
    pub fn save_failed(&self) -> bool {
        self.save_failed.load(Relaxed)
    }

    /// Waits until no snapshot is being written and no background save is finishing.
    pub(crate) fn wait_idle(&self) {
        let mut st = self.state.lock();
        while self.snapshot_running.load(SeqCst) || st.bgsave_started_ms.is_some() {
            self.idle.wait(&mut st);
        }
    }

    /// Marks the snapshot done and wakes those waiting in [`Persistence::wait_idle`].
    pub(crate) fn snapshot_done(&self) {
        self.snapshot_running.store(false, SeqCst);
        let _st = self.state.lock();
        self.idle.notify_all();
    }
}
