//! The keyspace's side of point-in-time snapshots taken while writers go on.
//!
//! Every entry carries a one-bit mark and every database a parity. Outside a snapshot each
//! entry's mark equals its database's parity. A snapshot starts between commands (the
//! keyspace gate held alone) by flipping the parity of every database: from then on an
//! entry whose mark differs belongs to the image and has not been written yet. The
//! snapshot walks each database with a SCAN cursor, a batch at a time under the shard
//! lock, writing the entries it finds unmarked and marking them. A writer about to change
//! or remove an unmarked entry first hands the entry as it was to the snapshot and marks
//! it; new entries are born marked. So every key of the image is written exactly once, as
//! it stood when the snapshot started, and no writer waits for more than its own key.
//!
//! FLUSHDB and FLUSHALL give the old table to the snapshot instead of freeing it, SWAPDB
//! moves a database with its snapshot state, so the image keeps the start's databases.

use super::db::{expire_in, Db};
use super::dict::Dict;
use crate::rdb::snapshot::Capture;
use crate::types::{SmallBytes, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A database's part in a running snapshot.
pub(crate) struct DbSnap {
    /// The snapshot.
    pub(crate) cap: Arc<Capture>,
    /// The database's number when the snapshot started (SWAPDB may move it since).
    pub(crate) db: usize,
    /// Where the walk of the table stands.
    pub(crate) cursor: u64,
}

/// A table that FLUSHDB or FLUSHALL took out of a database while a snapshot still owed
/// entries of it.
pub(crate) struct Detached {
    /// The database's number when the snapshot started.
    pub(crate) db: usize,
    dict: Dict,
    volatile: Vec<(SmallBytes, u64)>,
    parity: bool,
}

impl Detached {
    /// Writes every entry still owed to the image into `out` (nothing when `write` is
    /// false), then frees the table.
    pub(crate) fn write_owed(self, cap: &Capture, out: &mut Vec<u8>, write: bool) {
        if write {
            for e in self.dict.iter().filter(|e| e.mark() != self.parity) {
                cap.write_entry(out, e, expire_in(&self.volatile, e));
            }
        }
    }
}

impl Db {
    /// Joins the snapshot `cap` as database `db`: every entry present is now owed to it.
    pub(crate) fn snap_begin(&mut self, cap: &Arc<Capture>, db: usize) {
        self.parity = !self.parity;
        if self.len() > 0 {
            self.snap = Some(Box::new(DbSnap {
                cap: Arc::clone(cap),
                db,
                cursor: 0,
            }));
        }
    }

    /// Before `key` changes: hands its entry to the snapshot if still owed.
    pub(crate) fn snap_capture(&mut self, key: &[u8]) {
        let Some(s) = &self.snap else { return };
        let Some(e) = self.dict.get_mut(key) else {
            return;
        };
        if e.mark() == self.parity {
            return;
        }
        e.set_mark(self.parity);
        s.cap.record(s.db, e, expire_in(&self.volatile, e));
    }

    /// Hands the whole table to the snapshot and leaves the database empty.
    pub(crate) fn snap_detach(&mut self) {
        let Some(s) = self.snap.take() else { return };
        let detached = Detached {
            db: s.db,
            dict: self.dict.take(),
            volatile: std::mem::take(&mut self.volatile),
            parity: self.parity,
        };
        self.mem = 0;
        self.hash_deadlines = HashMap::new();
        s.cap.detach(detached);
    }

    /// Walks on through the table until about `budget` entries were seen, writing those
    /// still owed into `out` (only marking them when `write` is false). Returns the
    /// database's number at the snapshot's start, and true when the walk is complete;
    /// None when the database owes nothing.
    pub(crate) fn snap_step(
        &mut self,
        budget: usize,
        out: &mut Vec<u8>,
        write: bool,
    ) -> Option<(usize, bool)> {
        let s = self.snap.as_mut()?;
        let parity = self.parity;
        let volatile = &self.volatile;
        let cap = &s.cap;
        let mut seen = 0;
        loop {
            s.cursor = self.dict.scan_mut(s.cursor, |e| {
                seen += 1;
                if e.mark() != parity {
                    e.set_mark(parity);
                    if write {
                        cap.write_entry(out, e, expire_in(volatile, e));
                    }
                }
            });
            if s.cursor == 0 {
                let db = s.db;
                self.snap = None;
                return Some((db, true));
            }
            if seen >= budget {
                return Some((s.db, false));
            }
        }
    }

    /// Whether any hash of this database has field deadlines (the image then needs the
    /// RDB 12 types).
    pub(crate) fn has_field_ttls(&self) -> bool {
        self.hash_deadlines.keys().any(|k| {
            matches!(self.dict.get(k), Some(e) if matches!(&e.value, Value::Hash(h) if h.volatile_len() > 0))
        })
    }
}
