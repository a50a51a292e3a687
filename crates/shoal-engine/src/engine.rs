//! `Engine`: the one object every way in shares — keyspace, command table, configuration,
//! clients, statistics and the effects stream.

use crate::clients::{ClientInfo, ClientRegistry};
use crate::clock::{Clock, SystemClock};
use crate::command::CommandTable;
use crate::config::Config;
use crate::effects::{Effect, EffectBus};
use crate::keyspace::Keyspace;
use crate::session::{Session, SessionState};
use crate::stats::Stats;
use crate::util::rng::Rng;
use parking_lot::Mutex;
use shoal_resp::Frame;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

type ShutdownHook = Box<dyn Fn() + Send + Sync>;

/// The shared state behind an [`Engine`] handle.
pub struct Inner {
    pub(crate) keyspace: Keyspace,
    pub(crate) table: CommandTable,
    /// Live configuration.
    pub config: Config,
    /// Connected clients.
    pub clients: ClientRegistry,
    /// Counters for INFO.
    pub stats: Stats,
    pub(crate) effects: EffectBus,
    pub(crate) blocking: crate::blocking::BlockingRegistry,
    pub(crate) clock: Arc<dyn Clock>,
    /// Start time, ms since the epoch.
    pub start_ms: u64,
    /// 40 hex characters identifying this run (INFO `run_id`).
    pub run_id: String,
    seed: AtomicU64,
    shutdown_hook: Mutex<Option<ShutdownHook>>,
    pub(crate) stopping: AtomicBool,
    /// Passed shared by every command, alone by EXEC and scripts.
    pub(crate) gate: crate::gate::Gate,
    /// Watched keys (WATCH).
    pub(crate) watches: crate::watch::Watches,
    /// Pub/sub subscriptions.
    pub pubsub: crate::pubsub::PubSub,
    /// Memory limit and eviction state.
    pub(crate) evict: crate::evict::EvictState,
    /// Where `notify-keyspace-events` sits in the configuration.
    pub(crate) notify_index: usize,
    /// Handlers of the application's own commands.
    pub(crate) custom: crate::custom::CustomCommands,
    /// Lua scripts and function libraries.
    pub(crate) scripting: crate::scripting::Scripting,
    /// Users and permissions.
    pub(crate) acl: crate::acl::Acl,
    /// This engine, for what must hold it beyond a borrow (a script's call state).
    pub(crate) me: std::sync::Weak<Inner>,
    /// Called on the thread of a script that has run for a while (see
    /// [`Engine::on_long_script`]).
    long_script_hook: Mutex<Option<Arc<LongScriptHook>>>,
    /// Snapshots: the one in progress and the outcome of the last.
    pub persist: crate::rdb::state::Persistence,
    /// The append-only file.
    pub(crate) aof: crate::aof::Aof,
    /// Replication: ids, offsets, replicas, the link to a primary.
    pub repl: crate::repl::Repl,
    /// Membership of a consensus group: whether this engine leads, how far it committed.
    pub consensus: crate::consensus::Consensus,
    /// What moves the listeners when `port` / `tls-port` change.
    pub(crate) listening: crate::tls_params::Listening,
}

type LongScriptHook = dyn Fn() + Send + Sync;

/// A handle to the engine; clones share it.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

/// How to build an engine.
pub struct EngineOptions {
    /// Configuration, with start-up values already applied.
    pub config: Config,
    /// Time source; the system clock by default.
    pub clock: Arc<dyn Clock>,
    /// Seed of the random source; taken from the clock by default.
    pub seed: Option<u64>,
    /// Commands the application adds to the built-in ones.
    pub commands: Vec<crate::custom::CustomCommand>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            config: Config::new(),
            clock: Arc::new(SystemClock),
            seed: None,
            commands: Vec::new(),
        }
    }
}

impl Engine {
    /// An engine with default configuration.
    pub fn new() -> Engine {
        Engine::with_options(EngineOptions::default())
    }

    /// An engine built from `opts`.
    pub fn with_options(opts: EngineOptions) -> Engine {
        let databases = opts.config.get_i64("databases").clamp(1, 1 << 20) as usize;
        let now = opts.clock.now_ms();
        let now_us = opts.clock.now_us();
        let seed = opts.seed.unwrap_or(now_us ^ 0x5DEE_CE66_D1CE_4E5B);
        let mut rng = Rng::new(seed);
        let run_id: String = (0..40)
            .map(|_| char::from_digit((rng.next_u64() % 16) as u32, 16).unwrap_or('0'))
            .collect();
        let mut id_rng = Rng::new(seed ^ 0xA076_1D64_78BD_642F);
        let replid: String = (0..40)
            .map(|_| char::from_digit((id_rng.next_u64() % 16) as u32, 16).unwrap_or('0'))
            .collect();
        let mut custom = crate::custom::CustomCommands::default();
        let mut table = crate::commands::table();
        for spec in custom.register(opts.commands) {
            table.register(spec);
        }
        let acl = crate::acl::Acl::new(&table, &opts.config);
        let notify_index = opts
            .config
            .index_of("notify-keyspace-events")
            .unwrap_or(usize::MAX);
        let evict = crate::evict::EvictState::new(&opts.config);
        let make = |me: &std::sync::Weak<Inner>| Inner {
            me: me.clone(),
            keyspace: Keyspace::new(databases),
            table,
            custom,
            config: opts.config,
            clients: ClientRegistry::default(),
            stats: Stats::default(),
            effects: EffectBus::default(),
            blocking: Default::default(),
            clock: opts.clock,
            start_ms: now,
            persist: crate::rdb::state::Persistence::new(now),
            run_id,
            seed: AtomicU64::new(rng.next_u64()),
            shutdown_hook: Mutex::new(None),
            stopping: AtomicBool::new(false),
            gate: Default::default(),
            watches: Default::default(),
            pubsub: Default::default(),
            notify_index,
            evict,
            long_script_hook: Mutex::new(None),
            scripting: Default::default(),
            aof: Default::default(),
            repl: crate::repl::Repl::new(replid),
            consensus: Default::default(),
            listening: Default::default(),
            acl,
        };
        let engine = Engine {
            inner: Arc::new_cyclic(make),
        };
        let primary = engine.inner.config.get("replicaof").unwrap_or_default();
        if let Some((host, port)) = crate::repl::parse_replicaof(&primary) {
            engine.inner.repl.follow(&engine.inner, host, port);
        }
        engine
    }

    /// Opens a session for an embedded client.
    pub fn session(&self) -> Session {
        self.session_for(ClientInfo::embedded())
    }

    /// Opens a session for a client described by `info`.
    pub fn session_for(&self, info: ClientInfo) -> Session {
        let now = self.inner.clock.now_ms();
        let embedded = info.kind == crate::clients::ClientKind::Embedded;
        let handle = self.inner.clients.register(info, now);
        let seed = self
            .inner
            .seed
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        let mut state = SessionState::detached(handle, 0, seed);
        state.acl = self.inner.acl.new_session(embedded);
        state.wire = !embedded;
        Session {
            engine: self.clone(),
            state,
        }
    }

    /// Subscribes to the write-effects stream from now on.
    pub fn subscribe_effects(&self) -> Receiver<Effect> {
        self.inner.effects.subscribe()
    }

    /// The shared state (configuration, clients, statistics).
    pub fn inner(&self) -> &Inner {
        &self.inner
    }

    /// Installs the function SHUTDOWN calls to stop the process or server.
    pub fn on_shutdown(&self, hook: impl Fn() + Send + Sync + 'static) {
        *self.inner.shutdown_hook.lock() = Some(Box::new(hook));
    }

    /// Installs what a script calls, on its own thread, once it has run for a few
    /// milliseconds: a server hands the thread's other connections to another thread there,
    /// so a looping script stalls no one (others get BUSY past the threshold, and SCRIPT
    /// KILL gets through). Short scripts never call it, so they pay nothing.
    pub fn on_long_script(&self, hook: impl Fn() + Send + Sync + 'static) {
        *self.inner.long_script_hook.lock() = Some(Arc::new(hook));
    }

    /// Runs one active-expiry cycle now; returns the number of keys it deleted.
    pub fn active_expire_cycle(&self) -> usize {
        crate::expire::active_expire_cycle(&self.inner)
    }

    /// Starts the engine's own background thread (active expiry at `hz`). It stops when every
    /// handle to the engine is gone.
    pub fn start_background(&self) {
        crate::expire::start_background(Arc::downgrade(&self.inner));
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Inner {
    /// The engine clock.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The engine clock in microseconds.
    pub fn now_us(&self) -> u64 {
        self.clock.now_us()
    }

    /// The command table.
    pub fn commands(&self) -> &CommandTable {
        &self.table
    }

    /// Tells the server a script on this thread is running long (see
    /// [`Engine::on_long_script`]).
    pub(crate) fn script_runs_long(&self) {
        let hook = self.long_script_hook.lock().clone();
        if let Some(hook) = hook {
            hook();
        }
    }

    /// Asks the process to stop (SHUTDOWN). Returns false if nothing listens.
    pub fn request_shutdown(&self) -> bool {
        match self.shutdown_hook.lock().as_ref() {
            Some(hook) => {
                self.stopping.store(true, Ordering::SeqCst);
                hook();
                true
            }
            None => false,
        }
    }

    /// Number of keys and keys with a TTL in database `db`.
    pub fn db_size(&self, db: usize) -> (usize, usize) {
        let mut keys = 0;
        let mut expires = 0;
        for s in 0..crate::keyspace::SHARDS {
            let shard = self.keyspace.lock(s);
            if let Some(d) = shard.dbs.get(db) {
                keys += d.len();
                expires += d.expires_len();
            }
        }
        (keys, expires)
    }

    /// Approximate bytes held by the keyspace.
    pub fn used_memory(&self) -> usize {
        (0..crate::keyspace::SHARDS)
            .map(|s| {
                let shard = self.keyspace.lock(s);
                shard.dbs.iter().map(|d| d.mem).sum::<usize>() + shard.evict.overhead()
            })
            .sum()
    }

    /// Ends the wait of blocked client `id` (CLIENT UNBLOCK): it gets its timeout reply, or
    /// the UNBLOCKED error. False if the client is not blocked.
    pub fn unblock_client(&self, id: u64, error: bool) -> bool {
        match self.blocking.cancel(id) {
            Some(p) => {
                let reply = if error {
                    Frame::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
                } else {
                    p.on_timeout
                };
                (p.deliver)(reply);
                true
            }
            None => false,
        }
    }

    /// Number of clients blocked on keys (INFO `blocked_clients`).
    pub fn blocked_clients(&self) -> usize {
        self.blocking.blocked_clients()
    }

    /// Number of databases.
    pub fn databases(&self) -> usize {
        self.keyspace.databases()
    }
}
