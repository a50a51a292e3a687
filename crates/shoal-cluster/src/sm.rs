//! The state machine: the engine itself. A committed entry's stream bytes are applied as
//! a replica applies its primary's stream, unless this member executed them as leader
//! already. Snapshots are RDB images taken at a committed position.

use crate::log::LogStore;
use crate::types::{
    io_error, Entry, LogId, SnapshotMeta, StorageError, StoredMembership, TypeConfig,
};
use openraft::storage::RaftStateMachine;
use openraft::{EntryPayload, ErrorSubject, RaftSnapshotBuilder, Snapshot};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use shoal_engine::{Engine, GroupImage, Session};
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the applied state stands: the last applied log id and the membership then.
#[derive(Clone, Default)]
struct Position {
    applied: Option<LogId>,
    membership: StoredMembership,
}

/// A snapshot as kept on disk and sent to members.
#[derive(Clone, Serialize, Deserialize)]
struct Stored {
    meta: SnapshotMeta,
    offset: u64,
    db: usize,
    rdb: Vec<u8>,
}

pub(crate) struct Shared {
    engine: Engine,
    log: LogStore,
    dir: Option<PathBuf>,
    scratch: PathBuf,
    pos: Mutex<Position>,
    session: Mutex<Session>,
    current: Mutex<Option<Stored>>,
}

/// The state machine handle openraft drives; clones share it.
#[derive(Clone)]
pub struct StateMachine {
    shared: Arc<Shared>,
}

fn sm_error(e: impl std::fmt::Display) -> StorageError {
    io_error(
        std::io::Error::other(e.to_string()),
        ErrorSubject::StateMachine,
    )
}

impl StateMachine {
    /// The engine as state machine. With `dir`, the last snapshot is read from it and
    /// loaded into the engine.
    pub fn open(engine: Engine, log: LogStore, dir: Option<PathBuf>) -> std::io::Result<Self> {
        let scratch = dir.clone().unwrap_or_else(std::env::temp_dir);
        let session = engine.applier_session();
        let sm = StateMachine {
            shared: Arc::new(Shared {
                engine,
                log,
                dir,
                scratch,
                pos: Mutex::new(Position::default()),
                session: Mutex::new(session),
                current: Mutex::new(None),
            }),
        };
        if let Some(stored) = sm.read_stored() {
            sm.load(&stored).map_err(std::io::Error::other)?;
            *sm.shared.current.lock() = Some(stored);
        }
        Ok(sm)
    }

    fn read_stored(&self) -> Option<Stored> {
        let path = self.shared.dir.as_ref()?.join("snapshot.bin");
        let bytes = std::fs::read(path).ok()?;
        postcard::from_bytes(&bytes).ok()
    }

    fn write_stored(&self, stored: &Stored) -> Result<(), StorageError> {
        let Some(dir) = &self.shared.dir else {
            return Ok(());
        };
        let bytes = postcard::to_stdvec(stored).map_err(sm_error)?;
        let temp = dir.join("snapshot.tmp");
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&temp)?;
            std::io::Write::write_all(&mut f, &bytes)?;
            f.sync_all()?;
            std::fs::rename(&temp, dir.join("snapshot.bin"))
        };
        write().map_err(|e| io_error(e, ErrorSubject::Snapshot(None)))
    }

    /// Replaces the engine's dataset with `stored` and takes its position.
    fn load(&self, stored: &Stored) -> Result<(), String> {
        let sh = &self.shared;
        let image = GroupImage {
            rdb: stored.rdb.clone(),
            offset: stored.offset,
            db: stored.db,
        };
        sh.engine.load_group_image(&image, &sh.scratch)?;
        *sh.session.lock() = sh.engine.applier_session();
        *sh.pos.lock() = Position {
            applied: stored.meta.last_log_id,
            membership: stored.meta.last_membership.clone(),
        };
        Ok(())
    }

    /// The engine executed writes as leader that the group never committed (it lost
    /// leadership first): start again from the last snapshot and the committed log.
    fn rebuild(&self) -> Result<(), String> {
        let sh = &self.shared;
        tracing::warn!("raft: discarding writes this member executed but the group did not commit");
        let before = sh.pos.lock().clone();
        let applied = before.applied;
        let stored = sh.current.lock().clone();
        sh.engine.clear_for_group();
        let from = match &stored {
            Some(s) => {
                self.load(s)?;
                s.meta.last_log_id.map_or(0, |l| l.index + 1)
            }
            None => {
                sh.engine.move_stream(0, 0);
                *sh.session.lock() = sh.engine.applier_session();
                0
            }
        };
        let Some(to) = applied else {
            *sh.pos.lock() = before;
            return Ok(());
        };
        for e in sh.log.entries(from..=to.index) {
            if let EntryPayload::Normal(chunk) = &e.payload {
                let end = chunk.start + chunk.bytes.len() as u64;
                let engine = &sh.engine;
                engine.apply_stream(&mut sh.session.lock(), &chunk.bytes, || {
                    engine.inner().consensus.reset_committed(end)
                })?;
            }
        }
        *sh.pos.lock() = before;
        Ok(())
    }

    fn apply_one(&self, e: &Entry) -> Result<(), String> {
        let sh = &self.shared;
        let engine = &sh.engine;
        let consensus = &engine.inner().consensus;
        match &e.payload {
            EntryPayload::Blank => *sh.pos.lock() = self.advanced(e.log_id, None),
            EntryPayload::Membership(m) => {
                let membership = StoredMembership::new(Some(e.log_id), m.clone());
                *sh.pos.lock() = self.advanced(e.log_id, Some(membership));
            }
            EntryPayload::Normal(chunk) => {
                if !consensus.is_writable() && engine.stream_end() > consensus.committed() {
                    self.rebuild()?;
                }
                let end = chunk.start + chunk.bytes.len() as u64;
                let have = engine.stream_end();
                let pos = self.advanced(e.log_id, None);
                if end <= have {
                    // Executed here as leader: only the commit is news.
                    let _guard = engine.inner().repl.applying_guard();
                    consensus.set_committed(end);
                    *sh.pos.lock() = pos;
                } else if chunk.start == have {
                    engine.apply_stream(&mut sh.session.lock(), &chunk.bytes, || {
                        consensus.set_committed(end);
                        *sh.pos.lock() = pos;
                    })?;
                } else {
                    return Err(format!(
                        "log entry {} starts at stream offset {} but this member is at {have}",
                        e.log_id.index, chunk.start
                    ));
                }
            }
        }
        Ok(())
    }

    fn advanced(&self, id: LogId, membership: Option<StoredMembership>) -> Position {
        let old = self.shared.pos.lock().clone();
        Position {
            applied: Some(id),
            membership: membership.unwrap_or(old.membership),
        }
    }

    /// Last applied log id.
    pub fn applied(&self) -> Option<LogId> {
        self.shared.pos.lock().applied
    }

    fn build(&self) -> Result<Stored, StorageError> {
        let sh = &self.shared;
        let (image, pos) = sh
            .engine
            .group_image(Duration::from_secs(30), || sh.pos.lock().clone())
            .ok_or_else(|| sm_error("no moment without uncommitted writes to take a snapshot"))?;
        let last = pos.applied;
        let id = format!(
            "{}-{}-{}",
            last.map_or(0, |l| l.leader_id.term),
            last.map_or(0, |l| l.index),
            sh.engine.inner().now_ms()
        );
        Ok(Stored {
            meta: SnapshotMeta {
                last_log_id: last,
                last_membership: pos.membership,
                snapshot_id: id,
            },
            offset: image.offset,
            db: image.db,
            rdb: image.rdb,
        })
    }
}

fn to_snapshot(s: &Stored) -> Result<Snapshot<TypeConfig>, StorageError> {
    let data = postcard::to_stdvec(s).map_err(sm_error)?;
    Ok(Snapshot {
        meta: s.meta.clone(),
        snapshot: Box::new(Cursor::new(data)),
    })
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let me = self.clone();
        let stored = tokio::task::spawn_blocking(move || me.build())
            .await
            .map_err(sm_error)??;
        self.write_stored(&stored)?;
        let snap = to_snapshot(&stored)?;
        *self.shared.current.lock() = Some(stored);
        Ok(snap)
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let pos = self.shared.pos.lock().clone();
        Ok((pos.applied, pos.membership))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<()>, StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let n = entries.len();
        let me = self.clone();
        tokio::task::block_in_place(move || {
            for e in &entries {
                me.apply_one(e).map_err(sm_error)?;
            }
            Ok::<_, StorageError>(())
        })?;
        Ok(vec![(); n])
    }

    async fn get_snapshot_builder(&mut self) -> StateMachine {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let mut stored: Stored = postcard::from_bytes(snapshot.get_ref()).map_err(sm_error)?;
        stored.meta = meta.clone();
        let me = self.clone();
        let loaded = stored.clone();
        tokio::task::spawn_blocking(move || me.load(&loaded))
            .await
            .map_err(sm_error)?
            .map_err(sm_error)?;
        self.write_stored(&stored)?;
        *self.shared.current.lock() = Some(stored);
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        match self.shared.current.lock().as_ref() {
            Some(s) => Ok(Some(to_snapshot(s)?)),
            None => Ok(None),
        }
    }
}
