//! Shoal: an in-memory data store that Rust applications embed, and that also speaks the
//! Redis protocol.
//!
//! [`Shoal::open`] gives a typed, synchronous API with no network hop: each call runs the
//! engine's command on the calling thread. [`Shoal::execute`] runs any command by name, and
//! [`Shoal::serve`] lets `redis-cli` and every Redis client reach the same data over TCP.
//!
//! ```
//! use shoal::{Config, Shoal};
//! let db = Shoal::open(Config::default())?;
//! db.set("greeting", "hello")?;
//! assert_eq!(db.get("greeting")?.as_deref(), Some(&b"hello"[..]));
//! assert_eq!(db.incr("visits")?, 1);
//! # Ok::<(), shoal::Error>(())
//! ```
//!
//! Several instances can hold the same data as a Raft group ([`Config::raft`]): writes made
//! through the leader return once a majority holds them, and [`Shoal::leadership`] tells
//! the application which member leads, e.g. to run a job on one machine only.
//!
//! A `Shoal` handle is one client session (its selected database, its protocol). Cloning it
//! opens another session on the same data: give each thread its own clone.
//!
//! Not here: commands themselves (they live in `shoal-engine`), and socket handling (in
//! `shoal-server`).

mod cache;
mod collections;

pub use collections::ZRange;
mod config;
mod error;
mod keys;
mod options;
mod pubsub;
mod raft;
mod replica;
mod reply_future;
mod strings;
mod transaction;

pub use cache::{CacheStats, EvictionPolicy, Lookup, MemoryUsage};
pub use config::Config;
pub use error::Error;
pub use options::{Expiry, ScanOptions, SetCondition, SetOptions, Ttl};
pub use pubsub::{Message, Subscription};
pub use raft::{Leadership, RaftConfig, RaftMember, ReadMode};
pub use replica::ReplicaStatus;
pub use reply_future::ReplyFuture;
pub use shoal_engine::command::{acl, flags, CommandSpec};
pub use shoal_engine::custom::CustomCommand;
pub use shoal_engine::exec::{Access, Ctx, Ttl as KeyTtl};
pub use shoal_engine::types::{string::StrValue, Value};
pub use shoal_engine::{notify, CmdError, CmdResult};
pub use shoal_engine::{Bytes, Effect, Frame};
pub use shoal_server::ServerHandle;
pub use transaction::Transaction;

use parking_lot::Mutex;
use shoal_engine::{Engine, EngineOptions, Session};

/// An open Shoal instance, seen through one client session.
pub struct Shoal {
    engine: Engine,
    session: Mutex<Session>,
    /// This handle's cache hits and misses.
    counters: cache::Counters,
    /// The link to the primary of an embedded replica, shared by every handle.
    upstream: Option<std::sync::Arc<replica::Upstream>>,
    /// This instance's part in a Raft group, shared by every handle.
    raft: Option<std::sync::Arc<raft::Node>>,
}

/// The result of a typed call.
pub type Result<T> = std::result::Result<T, Error>;

impl Shoal {
    /// Opens an in-memory instance with `config`.
    pub fn open(config: Config) -> Result<Shoal> {
        let engine_config = config.build()?;
        let builtin = shoal_engine::commands::table();
        if let Some(c) = config
            .commands
            .iter()
            .find(|c| builtin.get(c.spec.name.as_bytes()).is_some())
        {
            return Err(Error::Config(format!(
                "command '{}' already exists",
                c.spec.name
            )));
        }
        let engine = Engine::with_options(EngineOptions {
            config: engine_config,
            commands: config.commands.clone(),
            ..EngineOptions::default()
        });
        // A Raft member's data comes from its group (and its raft-dir).
        let member = raft::enabled(&engine, config.raft)?;
        if !member {
            load_data(&engine, &config)?;
        }
        let raft = member
            .then(|| raft::Node::start(&engine).map(std::sync::Arc::new))
            .transpose()?;
        engine.start_background();
        let upstream = if engine.inner().repl.is_replica() {
            let up = replica::Upstream::start(&engine, config.read_your_writes)?;
            Some(std::sync::Arc::new(up))
        } else {
            None
        };
        let session = Mutex::new(engine.session());
        Ok(Shoal {
            engine,
            session,
            counters: Default::default(),
            upstream,
            raft,
        })
    }

    /// Closes the instance as a server stops on SIGTERM: when save points are configured
    /// (as [`Config::data_dir`] does), the data is saved first. Other handles sharing the
    /// instance keep working; dropping a handle saves nothing.
    ///
    /// A member of a Raft group leaves it first, for every handle sharing the instance: its
    /// client address and Raft address close, its writes are refused from then on, and
    /// the others elect a new leader if it led.
    pub fn close(self) -> Result<()> {
        if let Some(node) = &self.raft {
            node.shutdown();
        }
        shoal_engine::rdb::file::save_on_exit(self.engine.inner())
            .map_err(|e| Error::Persistence(e.to_string()))
    }

    /// Runs any command, e.g. `db.execute(&["SET", "k", "v"])`, and returns its reply in the
    /// RESP3 shape (maps, sets, doubles). An error reply becomes [`Error::Command`].
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// use shoal::Frame;
    /// db.execute(&["SET", "k", "1"])?;
    /// assert_eq!(db.execute(&["INCRBY", "k", "41"])?, Frame::Integer(42));
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn execute<A: AsRef<[u8]>>(&self, args: &[A]) -> Result<Frame> {
        let args = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_ref()))
            .collect();
        self.call(args)
    }

    /// This handle's session, speaking RESP3 so replies keep their maps, sets and doubles
    /// (set on every call: `HELLO 2` or `RESET` through `execute` would switch it back).
    fn session(&self) -> parking_lot::MutexGuard<'_, Session> {
        let mut session = self.session.lock();
        session.state_mut().protocol = shoal_engine::Protocol::Resp3;
        session
    }

    pub(crate) fn call(&self, args: Vec<Bytes>) -> Result<Frame> {
        if let Some(reply) = self.forwarded(&args) {
            return reply;
        }
        let mark = self.engine.write_mark();
        let reply = self.session().call(args);
        // With `appendfsync always`, a write returns once it is on disk; in a Raft group,
        // once the group committed it.
        self.settled(mark)?;
        Error::check(reply)
    }

    /// Waits until what ran since `mark` is safe (see [`Engine::when_settled`]).
    fn settled(&self, mark: u64) -> Result<()> {
        let read = self.session.lock().state_mut().take_read_data();
        if self.engine.wait_settled(mark, read) {
            return Ok(());
        }
        Err(Error::Replication(
            "leadership changed before the write was committed: it may or may not have taken effect"
                .into(),
        ))
    }

    /// Runs a command that may block (BLPOP, ...), waiting on this thread for its reply.
    pub(crate) fn call_blocking(&self, args: Vec<Bytes>) -> Result<Frame> {
        if let Some(reply) = self.forwarded(&args) {
            return reply;
        }
        let mark = self.engine.write_mark();
        let reply = self.session().call_blocking(args);
        self.settled(mark)?;
        Error::check(reply)
    }

    /// Runs a command that may block (BLPOP, ...) without blocking a thread: the returned
    /// future completes when the command is served or its timeout passes. Issue nothing
    /// else on this handle until it completes (use a clone meanwhile).
    pub(crate) fn call_async(&self, args: Vec<Bytes>) -> ReplyFuture {
        let mut session = self.session();
        let pending = match session.run(args) {
            shoal_engine::Outcome::Reply(reply) => {
                return ReplyFuture::ready(reply.unwrap_or(Frame::Null))
            }
            shoal_engine::Outcome::Blocked(p) => p,
        };
        let slot = std::sync::Arc::new(parking_lot::Mutex::new(reply_future::Slot::default()));
        let filled = slot.clone();
        let deadline = pending.deadline_ms;
        session.park(pending, Box::new(move |f| reply_future::fill(&filled, f)));
        if deadline != 0 {
            // No runtime to set a timer on: a short-lived thread ends the wait at the deadline
            // (a no-op if the command was served first).
            let engine = self.engine.clone();
            let id = session.state().id();
            let wait = deadline.saturating_sub(engine.inner().now_ms());
            let _ = std::thread::Builder::new()
                .name("shoal-block-timer".into())
                .spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(wait));
                    engine.inner().unblock_client(id, false);
                });
        }
        ReplyFuture { slot }
    }

    /// Serves this instance to Redis clients on `addr` (`"127.0.0.1:6379"`, or port 0 for
    /// any free port) until the returned handle is dropped.
    ///
    /// ```
    /// # let db = shoal::Shoal::open(shoal::Config::default())?;
    /// let server = db.serve("127.0.0.1:0")?;
    /// println!("redis-cli -p {}", server.local_addr().port());
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn serve(&self, addr: &str) -> Result<ServerHandle> {
        Ok(ServerHandle::start(self.engine.clone(), addr)?)
    }

    /// On a read replica, a write goes to the primary.
    fn forwarded(&self, args: &[Bytes]) -> Option<Result<Frame>> {
        let up = self.upstream.as_ref()?;
        if !replica::Upstream::forwards(&self.engine, args) {
            return None;
        }
        let db = self.session.lock().state().db;
        Some(up.forward(&self.engine, db, args))
    }

    /// How this instance follows its primary, if it is a read replica
    /// ([`Config::replica_of`]): whether the link is up, the offset applied, the time since
    /// the primary was last heard from.
    pub fn replica_status(&self) -> Option<ReplicaStatus> {
        replica::status(&self.engine)
    }

    /// Switches this handle to database `index` (SELECT).
    pub fn select(&self, index: usize) -> Result<()> {
        self.execute(&["SELECT", &index.to_string()]).map(drop)
    }

    /// Receives every write from now on, in replication form (what an AOF or a replica
    /// would apply). Replaying them into an empty instance rebuilds the same data.
    pub fn subscribe_effects(&self) -> std::sync::mpsc::Receiver<Effect> {
        self.engine.subscribe_effects()
    }
}

/// The AOF when `appendonly` is on (it takes precedence, as in Redis), else the snapshot in
/// a directory the application named.
fn load_data(engine: &Engine, config: &Config) -> Result<()> {
    let from_aof = engine
        .open_aof()
        .map_err(|e| Error::Persistence(e.to_string()))?;
    let snapshot = shoal_engine::rdb::file::configured_path(engine.inner());
    if !from_aof && config.sets("dir") && snapshot.exists() {
        engine
            .load_rdb(&snapshot)
            .map_err(|e| Error::Persistence(e.to_string()))?;
    }
    Ok(())
}

impl Clone for Shoal {
    /// Another session on the same data, starting in database 0.
    fn clone(&self) -> Shoal {
        Shoal {
            engine: self.engine.clone(),
            session: Mutex::new(self.engine.session()),
            counters: Default::default(),
            upstream: self.upstream.clone(),
            raft: self.raft.clone(),
        }
    }
}
