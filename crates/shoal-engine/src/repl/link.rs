//! What the sockets of replication call into: reading the stream for a replica's link, and
//! on a replica, replacing the dataset with the primary's payload and applying its stream.

use super::Repl;
use crate::engine::{Engine, Inner};
use std::path::Path;

impl Repl {
    /// Copies up to `max` bytes of the stream from offset `from` for replica `id`. None if
    /// they are no longer held (the replica fell too far behind and must resync).
    pub fn read_stream(
        &self,
        inner: &Inner,
        id: u64,
        from: u64,
        max: usize,
        out: &mut Vec<u8>,
    ) -> Option<usize> {
        inner.effects.stream.read(id, from, max, out)
    }

    /// A mark to pass to [`Repl::urgent_append`]: take it before reading the stream.
    pub fn urgent_mark(&self, inner: &Inner) -> u64 {
        inner.effects.stream.urgent()
    }

    /// Resolves once a command that must reach replicas at once (WAIT's `REPLCONF
    /// GETACK`) was appended after `mark` was taken: a link gathering writes sends now.
    pub fn urgent_append<'a>(&self, inner: &'a Inner, mark: u64) -> super::UrgentAppend<'a> {
        super::UrgentAppend {
            stream: &inner.effects.stream,
            seen: mark,
        }
    }

    /// The replication offset: the last byte of the stream.
    pub fn offset(&self, inner: &Inner) -> u64 {
        inner.effects.stream.end()
    }

    /// Resolves once the stream holds a byte at offset `from`.
    pub fn data_ready<'a>(&self, inner: &'a Inner, from: u64) -> super::DataReady<'a> {
        super::DataReady {
            stream: &inner.effects.stream,
            from,
        }
    }

    /// Replaces the whole dataset with the snapshot at `path` (a full sync's payload).
    /// Clients get `-LOADING` meanwhile, as on a Redis replica.
    pub fn load_payload(&self, engine: &Engine, path: &Path) -> Result<u64, String> {
        let inner = engine.inner();
        {
            let _alone = loop {
                match inner.gate.exclusive() {
                    Ok(g) => break g,
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            };
            let mut session = engine.session();
            let st = session.state_mut();
            st.master_link = true;
            // FUNCTION FLUSH and the keys: the payload brings its own.
            let _ = inner.run_inner(
                st,
                vec![
                    bytes::Bytes::from_static(b"FUNCTION"),
                    bytes::Bytes::from_static(b"FLUSH"),
                ],
                inner.now_ms(),
            );
            for s in 0..crate::keyspace::SHARDS {
                let mut shard = inner.keyspace.lock(s);
                for db in shard.dbs.iter_mut() {
                    db.clear();
                }
            }
            inner.persist.set_loading(true);
        }
        let loaded = engine.load_rdb(path);
        inner.persist.set_loading(false);
        let stats = loaded.map_err(|e| e.to_string())?;
        if inner.aof.is_on() {
            // The file must now describe the new dataset: rewrite it from a snapshot.
            let _ = crate::aof::start_rewrite(inner);
        }
        Ok(stats.keys as u64)
    }

    /// Holds off a full sync of this server's own replicas while one command of the
    /// primary's stream is applied and appended (see [`Repl::proxy`]).
    pub fn applying_guard(&self) -> parking_lot::MutexGuard<'_, ()> {
        self.apply_lock.lock()
    }

    /// Appends bytes received from the primary to this server's own stream, for its
    /// replicas (chained replication keeps the primary's offsets).
    pub fn proxy(&self, inner: &Inner, bytes: &[u8]) {
        inner.effects.stream.append_raw(bytes);
    }

    /// Starts a backlog at the current offset if none exists (a replica that completed a
    /// sync keeps one, so its replicas can continue from it).
    pub fn ensure_backlog(&self, inner: &Inner) {
        inner.effects.stream.ensure(false);
    }
}

impl Engine {
    /// True once the engine is shutting down.
    pub fn is_stopping(&self) -> bool {
        self.inner
            .stopping
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A handle that does not keep the engine alive (for tasks the engine itself starts).
    pub fn downgrade(&self) -> std::sync::Weak<Inner> {
        std::sync::Arc::downgrade(&self.inner)
    }

    /// The engine behind `weak`, if it still exists.
    pub fn upgrade(weak: &std::sync::Weak<Inner>) -> Option<Engine> {
        weak.upgrade().map(|inner| Engine { inner })
    }
}
