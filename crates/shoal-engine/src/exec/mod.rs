//! Execution: the context a handler runs in, its argument cursor, key access under shard
//! locks, and dispatch from raw arguments to a handler.
//!
//! ```text
//!   Vec<Bytes> ──lookup──► CommandSpec ──arity──► Ctx { args, now, session } ──► handler
//!                                                      │ lock(keys) ──► Access (shard guards)
//!                                                      └─► Frame (reply) / CmdError
//! ```

mod access;
mod access_evict;
pub(crate) mod access_keys;
mod access_set;
mod access_watch;
mod args;
pub(crate) mod dispatch;

pub use access::{Access, Ttl};
pub use args::{is_word, Args};

use crate::engine::Inner;
use crate::error::{CmdError, CmdResult};
use crate::session::SessionState;
use crate::util::rng::Rng;
use shoal_resp::Frame;

/// What a handler sees: its arguments, the session, the engine, and the command's `now`.
pub struct Ctx<'a> {
    pub(crate) inner: &'a Inner,
    /// The calling session.
    pub session: &'a mut SessionState,
    /// The arguments, positioned after the (sub)command name.
    pub args: Args,
    /// Milliseconds since the Unix epoch, fixed for the whole command.
    pub now_ms: u64,
    /// The command's full name (`get`, `client|list`) for error messages.
    pub name: &'static str,
    /// Work that answers this command later, set by [`Ctx::defer`].
    pub(crate) job: Option<crate::session::Job>,
}

impl<'a> Ctx<'a> {
    /// Answers later through `job`, off the keyspace (which stays free meanwhile). Where
    /// the caller cannot wait (inside MULTI, a script), the reply is `otherwise`.
    pub(crate) fn defer(&mut self, job: crate::session::Job, otherwise: Frame) -> CmdResult {
        self.job = Some(job);
        Err(CmdError::Block {
            keys: Vec::new(),
            deadline_ms: 0,
            on_timeout: otherwise,
        })
    }

    /// Locks the shards holding `keys`, in ascending order, for the session's database.
    pub fn lock(&self, keys: &[&[u8]]) -> Access<'a> {
        Access::lock(
            self.inner,
            keys,
            self.session.db,
            self.now_ms,
            self.session.no_touch,
        )
    }

    /// Locks one key's shard.
    pub fn lock1(&self, key: &[u8]) -> Access<'a> {
        self.lock(&[key])
    }

    /// Locks every shard (FLUSHDB, SWAPDB, RANDOMKEY and other whole-keyspace work).
    pub fn lock_all(&self) -> Access<'a> {
        Access::lock_all(
            self.inner,
            self.session.db,
            self.now_ms,
            self.session.no_touch,
        )
    }

    /// Locks the single shard number `shard` (SCAN walks shards one at a time).
    pub fn lock_shard(&self, shard: usize) -> Access<'a> {
        Access::lock_shards(
            self.inner,
            &[shard],
            self.session.db,
            self.now_ms,
            self.session.no_touch,
        )
    }

    /// The session's random generator.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.session.rng
    }

    /// The engine handle, for commands about the engine itself (INFO, CONFIG, CLIENT).
    pub fn engine(&self) -> &'a Inner {
        self.inner
    }

    /// Number of databases.
    pub fn databases(&self) -> usize {
        self.inner.keyspace.databases()
    }
}
