//! Point-in-time RDB images written while clients go on writing (see `keyspace::snap` for
//! how entries are owed and captured).
//!
//! [`begin`] runs between commands, with the keyspace gate held alone: it counts the keys,
//! copies the function libraries and puts every database on the snapshot, which costs a
//! lock of each shard and no copy of data. [`Snapshot::write`] then produces the file from
//! any thread. Entries arrive in two streams, the walk's and the writers' captures, so the
//! file may select a database more than once; Redis's loader and Shoal's accept that.

use super::file::{self, SaveOptions, Sink};
use super::length::write_len;
use crate::engine::Inner;
use crate::keyspace::entry::Entry;
use crate::keyspace::snap::Detached;
use crate::keyspace::SHARDS;
use parking_lot::Mutex;
use std::io::Write;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;

/// Entries looked at per shard lock: short enough that a writer waiting on the shard is
/// not held up noticeably.
const STEP: usize = 128;

/// What writers hand to a running snapshot.
pub(crate) struct Capture {
    /// When the snapshot started (ms); keys already past their deadline then are left out.
    pub(crate) at_ms: u64,
    opts: SaveOptions,
    /// The access record each key gets (from the eviction policy at the start).
    access: super::access::AccessSave,
    /// Entries captured from writers, encoded, by database at the start.
    pending: Mutex<Vec<Vec<u8>>>,
    /// Tables emptied by FLUSHDB/FLUSHALL before the walk reached them.
    detached: Mutex<Vec<Detached>>,
}

impl Capture {
    /// Appends the RDB record of `e` (with its deadline) to `out`, unless it had expired
    /// when the snapshot started.
    pub(crate) fn write_entry(&self, out: &mut Vec<u8>, e: &Entry, expire: Option<u64>) {
        if expire.is_some_and(|at| at < self.at_ms) {
            return;
        }
        let access = (self.access, e.lru, self.at_ms);
        file::write_record(out, e.key.as_slice(), &e.value, expire, access, &self.opts);
    }

    /// Keeps the record of `e`, about to change, for database `db` of the image.
    pub(crate) fn record(&self, db: usize, e: &Entry, expire: Option<u64>) {
        let mut buf = Vec::new();
        self.write_entry(&mut buf, e, expire);
        if buf.is_empty() {
            return;
        }
        let mut pending = self.pending.lock();
        if pending.len() <= db {
            pending.resize_with(db + 1, Vec::new);
        }
        pending[db].extend_from_slice(&buf);
    }

    pub(crate) fn detach(&self, d: Detached) {
        self.detached.lock().push(d);
    }
}

/// A started snapshot: write it with [`Snapshot::write`]. Dropping it unwritten still
/// walks the keyspace (without writing) so every database leaves the snapshot.
pub struct Snapshot {
    inner: Arc<Inner>,
    cap: Arc<Capture>,
    /// (keys, keys with a deadline) by database at the start.
    census: Vec<(usize, usize)>,
    version: u16,
    libraries: Vec<Vec<u8>>,
    finished: bool,
    /// The replication position at the snapshot's point, saved as AUX fields.
    repl: crate::repl::SavedPosition,
}

/// Starts a snapshot of the whole keyspace as it is now. The caller holds the keyspace
/// gate alone, so the image falls between commands (all or none of an EXEC's writes).
/// None if a snapshot is already running: there is one at a time.
pub fn begin(inner: &Inner, opts: SaveOptions) -> Option<Snapshot> {
    let me = inner.me.upgrade()?;
    if inner.persist.snapshot_running.swap(true, SeqCst) {
        return None;
    }
    let cap = Arc::new(Capture {
        at_ms: inner.now_ms(),
        opts,
        access: super::access::AccessSave::configured(inner),
        pending: Mutex::new(Vec::new()),
        detached: Mutex::new(Vec::new()),
    });
    let mut census = vec![(0, 0); inner.keyspace.databases()];
    let mut v12 = false;
    for s in 0..SHARDS {
        let mut shard = inner.keyspace.lock(s);
        for (i, db) in shard.dbs.iter_mut().enumerate() {
            census[i].0 += db.len();
            census[i].1 += db.expires_len();
            v12 = v12 || db.has_field_ttls();
            db.snap_begin(&cap, i);
        }
    }
    Some(Snapshot {
        libraries: file::library_codes(inner),
        repl: inner.repl.saved_position(inner),
        inner: me,
        cap,
        census,
        version: if v12 { 12 } else { 10 },
        finished: false,
    })
}

/// Whether a snapshot is being written.
pub fn running(inner: &Inner) -> bool {
    inner.persist.snapshot_running.load(SeqCst)
}

/// The file being produced: which database it last selected and which it sized.
struct Out<W: Write> {
    sink: Sink<W>,
    current: Option<usize>,
    sized: Vec<bool>,
    census: Vec<(usize, usize)>,
    failed: Option<std::io::Error>,
}

impl<W: Write> Out<W> {
    /// Writes records of database `db`, selecting it first if needed.
    fn records(&mut self, db: usize, bytes: &[u8]) {
        if bytes.is_empty() || self.failed.is_some() {
            return;
        }
        if self.current != Some(db) {
            self.sink.buf.push(file::op::SELECTDB);
            write_len(&mut self.sink.buf, db as u64);
            if !self.sized.get(db).copied().unwrap_or(true) {
                self.sized[db] = true;
                let (keys, expires) = self.census[db];
                self.sink.buf.push(file::op::RESIZEDB);
                write_len(&mut self.sink.buf, keys as u64);
                write_len(&mut self.sink.buf, expires as u64);
            }
            self.current = Some(db);
        }
        self.sink.buf.extend_from_slice(bytes);
        if let Err(e) = self.sink.flush_buf() {
            self.failed = Some(e);
        }
    }
}

impl Snapshot {
    /// Writes the image to `out`: the header, the libraries, every owed entry, EOF and
    /// the checksum. Returns the RDB version written.
    pub fn write(mut self, out: impl Write) -> std::io::Result<u16> {
        let mut o = Out {
            sink: Sink::new(out),
            current: None,
            sized: vec![false; self.census.len()],
            census: std::mem::take(&mut self.census),
            failed: None,
        };
        if let Err(e) = file::write_header(&self.inner, &mut o.sink, self.version, &self.cap.opts)
            .and_then(|()| file::write_repl_aux(&mut o.sink, &self.repl))
            .and_then(|()| file::write_libraries(&mut o.sink, &self.libraries, &self.cap.opts))
        {
            o.failed = Some(e);
        }
        self.walk(&mut o);
        if let Some(e) = o.failed.take() {
            return Err(e);
        }
        file::write_trailer(&mut o.sink, &self.cap.opts)?;
        Ok(self.version)
    }

    /// Walks every database until none owes entries, then the detached tables and the
    /// captures, writing into `o` (only marking once `o` failed).
    fn walk<W: Write>(&mut self, o: &mut Out<W>) {
        let dbs = self.inner.keyspace.databases();
        let mut buf = Vec::new();
        // Database by database for a file with few SELECTs, then once more over every
        // position, for tables SWAPDB moved behind the first pass.
        for db in 0..dbs {
            for s in 0..SHARDS {
                self.drain(s, db, &mut buf, o);
            }
            self.flush_captures(o);
        }
        for s in 0..SHARDS {
            for db in 0..dbs {
                self.drain(s, db, &mut buf, o);
            }
        }
        // No database owes anything now, so nothing more is captured or detached.
        let detached = std::mem::take(&mut *self.cap.detached.lock());
        for d in detached {
            let db = d.db;
            d.write_owed(&self.cap, &mut buf, o.failed.is_none());
            o.records(db, &buf);
            buf.clear();
        }
        self.flush_captures(o);
        self.finished = true;
    }

    /// Walks the table at position `db` of shard `s` to its end, a step per lock.
    fn drain<W: Write>(&self, s: usize, db: usize, buf: &mut Vec<u8>, o: &mut Out<W>) {
        let mut steps = 0u32;
        loop {
            let step = {
                let mut shard = self.inner.keyspace.lock(s);
                match shard.dbs.get_mut(db) {
                    Some(d) => d.snap_step(STEP, buf, o.failed.is_none()),
                    None => None,
                }
            };
            let Some((origin, done)) = step else { return };
            o.records(origin, buf);
            buf.clear();
            steps += 1;
            // A background snapshot gives way to the threads serving clients between steps:
            // on a small machine it would otherwise compete with them for the same cores.
            std::thread::yield_now();
            if steps.is_multiple_of(64) {
                self.flush_captures(o);
            }
            if done {
                return;
            }
        }
    }

    /// Writes what writers captured so far.
    fn flush_captures<W: Write>(&self, o: &mut Out<W>) {
        let pending = std::mem::take(&mut *self.cap.pending.lock());
        for (db, bytes) in pending.iter().enumerate() {
            o.records(db, bytes);
        }
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        if !self.finished {
            let mut o = Out {
                sink: Sink::new(std::io::sink()),
                current: None,
                sized: Vec::new(),
                census: Vec::new(),
                failed: Some(std::io::Error::other("snapshot abandoned")),
            };
            self.walk(&mut o);
        }
        self.inner.persist.snapshot_done();
    }
}
