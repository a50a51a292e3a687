//! The Raft log and vote: in memory, and with `raft-dir` also in a journal file that is
//! replayed at start-up. Every change is a record appended to the journal and synced before
//! openraft is told it is durable; the journal is rewritten when purged entries dominate it.

use crate::types::{io_error, Entry, LogId, StorageError, TypeConfig, Vote};
use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{ErrorSubject, LogState, RaftLogReader};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::ops::RangeBounds;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One change of the log, as the journal records it.
#[derive(Serialize, Deserialize)]
enum Record {
    Append(Entry),
    TruncateFrom(u64),
    PurgeTo(LogId),
    Vote(Vote),
    Committed(Option<LogId>),
}

#[derive(Default)]
struct State {
    vote: Option<Vote>,
    committed: Option<LogId>,
    purged: Option<LogId>,
    entries: BTreeMap<u64, Entry>,
    journal: Option<Journal>,
}

struct Journal {
    path: PathBuf,
    file: File,
    records: u64,
}

/// The log store; clones share it (the reader openraft asks for, the state machine's
/// rebuild).
#[derive(Clone, Default)]
pub struct LogStore {
    state: Arc<Mutex<State>>,
}

fn write_record(file: &mut File, r: &Record) -> std::io::Result<()> {
    let body = postcard::to_stdvec(r).map_err(std::io::Error::other)?;
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    file.write_all(&out)
}

impl LogStore {
    /// A log kept in memory only.
    pub fn in_memory() -> LogStore {
        LogStore::default()
    }

    /// The log journaled in `dir/raft.log`, with what the journal holds replayed.
    pub fn open(dir: &Path) -> std::io::Result<LogStore> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("raft.log");
        let mut st = State::default();
        let mut records = 0;
        if let Ok(f) = File::open(&path) {
            let mut r = BufReader::new(f);
            loop {
                let mut len = [0u8; 4];
                if r.read_exact(&mut len).is_err() {
                    break;
                }
                let mut body = vec![0u8; u32::from_le_bytes(len) as usize];
                // A torn last record (a crash mid-write) was never acknowledged: drop it.
                if r.read_exact(&mut body).is_err() {
                    break;
                }
                let Ok(rec) = postcard::from_bytes::<Record>(&body) else {
                    break;
                };
                st.replay(rec);
                records += 1;
            }
        }
        let store = LogStore {
            state: Arc::new(Mutex::new(st)),
        };
        let mut st = store.state.lock();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        st.journal = Some(Journal {
            path,
            file,
            records,
        });
        // Start from a clean journal holding exactly the replayed state.
        st.rewrite()?;
        drop(st);
        Ok(store)
    }

    /// The entries with index in `range`, in order.
    pub fn entries(&self, range: impl RangeBounds<u64>) -> Vec<Entry> {
        self.state
            .lock()
            .entries
            .range(range)
            .map(|(_, e)| e.clone())
            .collect()
    }

    fn record(&self, rec: Record) -> Result<(), StorageError> {
        let mut st = self.state.lock();
        st.journal_write(&rec)
            .map_err(|e| io_error(e, ErrorSubject::Logs))?;
        st.replay(rec);
        Ok(())
    }
}

impl State {
    fn replay(&mut self, rec: Record) {
        match rec {
            Record::Append(e) => {
                self.entries.insert(e.log_id.index, e);
            }
            Record::TruncateFrom(i) => {
                self.entries.split_off(&i);
            }
            Record::PurgeTo(id) => {
                self.entries = self.entries.split_off(&(id.index + 1));
                self.purged = Some(id);
            }
            Record::Vote(v) => self.vote = Some(v),
            Record::Committed(c) => self.committed = c,
        }
    }

    fn journal_write(&mut self, rec: &Record) -> std::io::Result<()> {
        let Some(j) = self.journal.as_mut() else {
            return Ok(());
        };
        write_record(&mut j.file, rec)?;
        j.records += 1;
        j.file.sync_data()
    }

    /// Rewrites the journal as the current state alone (after a purge made most of it
    /// dead), through a temporary file renamed over it.
    fn rewrite(&mut self) -> std::io::Result<()> {
        let Some(j) = self.journal.as_mut() else {
            return Ok(());
        };
        let temp = j.path.with_extension("log.tmp");
        let mut f = File::create(&temp)?;
        let mut n = 0;
        let mut put = |f: &mut File, r: &Record| {
            n += 1;
            write_record(f, r)
        };
        if let Some(v) = &self.vote {
            put(&mut f, &Record::Vote(*v))?;
        }
        if let Some(p) = &self.purged {
            put(&mut f, &Record::PurgeTo(*p))?;
        }
        put(&mut f, &Record::Committed(self.committed))?;
        for e in self.entries.values() {
            put(&mut f, &Record::Append(e.clone()))?;
        }
        f.sync_all()?;
        std::fs::rename(&temp, &j.path)?;
        if let Some(dir) = j.path.parent() {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        j.file = std::fs::OpenOptions::new().append(true).open(&j.path)?;
        j.records = n;
        Ok(())
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        Ok(self.entries(range))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let st = self.state.lock();
        let last = st
            .entries
            .values()
            .next_back()
            .map(|e| e.log_id)
            .or(st.purged);
        Ok(LogState {
            last_purged_log_id: st.purged,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        self.record(Record::Vote(*vote))
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        Ok(self.state.lock().vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        // Kept in memory and journaled without a sync of its own: losing it only means
        // re-learning it from the leader.
        let mut st = self.state.lock();
        if let Some(j) = st.journal.as_mut() {
            write_record(&mut j.file, &Record::Committed(committed))
                .map_err(|e| io_error(e, ErrorSubject::Logs))?;
            j.records += 1;
        }
        st.committed = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        Ok(self.state.lock().committed)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let mut st = self.state.lock();
        let mut written = Ok(());
        for e in entries {
            if let Some(j) = st.journal.as_mut() {
                if let Err(e) = write_record(&mut j.file, &Record::Append(e.clone())) {
                    written = Err(e);
                    break;
                }
                j.records += 1;
            }
            st.entries.insert(e.log_id.index, e);
        }
        if written.is_ok() {
            if let Some(j) = st.journal.as_mut() {
                written = j.file.sync_data();
            }
        }
        drop(st);
        let failed = written
            .as_ref()
            .err()
            .map(|e| io_error(std::io::Error::other(e.to_string()), ErrorSubject::Logs));
        callback.log_io_completed(written);
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.record(Record::TruncateFrom(log_id.index))
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.record(Record::PurgeTo(log_id))?;
        let mut st = self.state.lock();
        let live = st.entries.len() as u64 + 4;
        if st
            .journal
            .as_ref()
            .is_some_and(|j| j.records > 2 * live + 1024)
        {
            st.rewrite().map_err(|e| io_error(e, ErrorSubject::Logs))?;
        }
        Ok(())
    }
}
