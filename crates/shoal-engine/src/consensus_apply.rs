//! What a consensus group's state machine calls into: applying committed stream bytes,
//! taking a snapshot that matches an applied position, and replacing the dataset with one.

use crate::engine::Engine;
use crate::repl::applying;
use crate::session::Session;
use bytes::{Bytes, BytesMut};
use shoal_resp::{parse_command, Limits};
use std::time::Duration;

/// A point-in-time image of the dataset with the stream position it matches.
pub struct GroupImage {
    /// The snapshot in RDB format.
    pub rdb: Vec<u8>,
    /// The stream offset the image includes everything up to.
    pub offset: u64,
    /// The database the stream had selected there.
    pub db: usize,
}

impl Engine {
    /// The end of this engine's replication stream (its replication offset).
    pub fn stream_end(&self) -> u64 {
        self.inner.effects.stream.end()
    }

    /// Registers stream reader `id` at offset `next`: the backlog keeps what it has not
    /// read (up to the replica output limit), as for a replica's link.
    pub fn attach_stream_reader(&self, id: u64, next: u64) {
        self.inner.effects.stream.attach(id, next);
    }

    /// Forgets stream reader `id`.
    pub fn detach_stream_reader(&self, id: u64) {
        self.inner.effects.stream.detach(id);
    }

    /// A session that applies a group's committed stream: nothing is refused to it.
    pub fn applier_session(&self) -> Session {
        let mut s = self.session();
        s.state_mut().master_link = true;
        s.state_mut().db = self.inner.repl.stream_db();
        s
    }

    /// Applies committed stream bytes (whole RESP commands) through `session`, then
    /// appends them to this engine's own stream, under the lock that keeps snapshots from
    /// falling inside them. The caller checked that they start at [`Engine::stream_end`].
    /// `noted` runs before the lock is released: what it records (the applied position)
    /// agrees with any image [`Engine::group_image`] takes.
    pub fn apply_stream(
        &self,
        session: &mut Session,
        bytes: &[u8],
        noted: impl FnOnce(),
    ) -> Result<(), String> {
        let inner = &self.inner;
        let limits = Limits {
            max_bulk_len: usize::MAX / 2,
            ..Limits::default()
        };
        let mut work = BytesMut::from(bytes);
        let _guard = inner.repl.applying_guard();
        loop {
            match parse_command(&mut work, &limits) {
                Ok(Some(args)) if args.is_empty() => continue,
                Ok(Some(args)) => applying(|| drop(session.run(args))),
                Ok(None) => break,
                Err(e) => return Err(format!("bad entry in the log: {e}")),
            }
        }
        if !work.is_empty() {
            return Err("a log entry ends inside a command".into());
        }
        inner.effects.stream.append_raw(bytes);
        inner.repl.set_stream_db(session.state().db);
        noted();
        Ok(())
    }

    /// Takes an image of the dataset when nothing executed is left uncommitted (a leader
    /// executes before its log commits), so the image matches the committed position.
    /// `at` runs at the moment of the image, with applying held off: what it reads (the
    /// applied position) is what the image holds. Gives up (None) after `patience` of
    /// never finding such a moment.
    pub fn group_image<T>(
        &self,
        patience: Duration,
        at: impl FnOnce() -> T,
    ) -> Option<(GroupImage, T)> {
        let inner = &self.inner;
        let until = std::time::Instant::now() + patience;
        let mut at = Some(at);
        let snap = loop {
            if std::time::Instant::now() > until || self.is_stopping() {
                return None;
            }
            inner.persist.wait_idle();
            let applying = inner.repl.apply_lock.lock();
            let Ok(gate) = inner.gate.exclusive() else {
                drop(applying);
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let offset = inner.effects.stream.end();
            if offset != inner.consensus.committed() || crate::rdb::snapshot::running(inner) {
                drop(gate);
                drop(applying);
                std::thread::sleep(Duration::from_millis(2));
                continue;
            }
            let opts = crate::rdb::file::SaveOptions::from_config(inner);
            if let Some(snap) = crate::rdb::snapshot::begin(inner, opts) {
                let seen = (at.take()?)();
                break (snap, offset, inner.repl.stream_db(), seen);
            }
        };
        let (snap, offset, db, seen) = snap;
        let mut rdb = Vec::new();
        snap.write(&mut rdb).ok()?;
        Some((GroupImage { rdb, offset, db }, seen))
    }

    /// Replaces the dataset with `image` (written to a file in `scratch` to load), and
    /// moves the stream to its position.
    pub fn load_group_image(
        &self,
        image: &GroupImage,
        scratch: &std::path::Path,
    ) -> Result<(), String> {
        let inner = &self.inner;
        // Unique per load: several members may share a process and a scratch directory.
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = scratch.join(format!("group-image-{}-{seq}.rdb", std::process::id()));
        std::fs::write(&path, &image.rdb).map_err(|e| format!("{}: {e}", path.display()))?;
        let loaded = inner.repl.load_payload(self, &path);
        let _ = std::fs::remove_file(&path);
        loaded?;
        self.move_stream(image.offset, image.db);
        Ok(())
    }

    /// Empties the dataset (scripts' functions included) and puts the stream at `offset`:
    /// the start of a rebuild from nothing.
    pub fn clear_for_group(&self) {
        let inner = &self.inner;
        let _alone = loop {
            match inner.gate.exclusive() {
                Ok(g) => break g,
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        let mut s = self.applier_session();
        let _ = inner.run_inner(
            s.state_mut(),
            vec![
                Bytes::from_static(b"FUNCTION"),
                Bytes::from_static(b"FLUSH"),
            ],
            inner.now_ms(),
        );
        for i in 0..crate::keyspace::SHARDS {
            let mut shard = inner.keyspace.lock(i);
            for db in shard.dbs.iter_mut() {
                db.clear();
            }
        }
    }

    /// Puts the stream's end at `offset` with database `db` selected, and notes it as
    /// committed.
    pub fn move_stream(&self, offset: u64, db: usize) {
        let inner = &self.inner;
        inner.effects.stream.reset(offset);
        inner.repl.set_stream_db(db);
        inner.consensus.reset_committed(offset);
    }
}
