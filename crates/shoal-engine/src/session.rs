//! A session: one client's state (selected database, protocol, reply mode, ...) and the
//! handle it executes commands through.

use crate::blocking::{Deliver, Parked};
use crate::clients::ClientHandle;
use crate::engine::{Engine, Inner};
use crate::pubsub::{Kind, PushSink, QueueSink};
use crate::util::rng::Rng;
use bytes::Bytes;
use shoal_resp::{Frame, Protocol};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A transaction being queued (between MULTI and EXEC).
#[derive(Default)]
pub struct Multi {
    /// The queued commands, in order.
    pub queue: Vec<Vec<Bytes>>,
    /// A command was refused while queuing: EXEC answers EXECABORT.
    pub failed: bool,
}

/// What a session is subscribed to.
#[derive(Default)]
pub struct Subscriptions {
    /// SUBSCRIBE channels.
    pub channels: BTreeSet<Bytes>,
    /// PSUBSCRIBE patterns.
    pub patterns: BTreeSet<Bytes>,
    /// SSUBSCRIBE shard channels.
    pub shard: BTreeSet<Bytes>,
}

impl Subscriptions {
    /// The set of `kind`.
    pub fn of(&self, kind: Kind) -> &BTreeSet<Bytes> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }

    /// The set of `kind`, mutably.
    pub fn of_mut(&mut self, kind: Kind) -> &mut BTreeSet<Bytes> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// Channels plus patterns: the count SUBSCRIBE and PSUBSCRIBE replies carry.
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// True if subscribed to anything at all (RESP2 subscribed mode).
    pub fn any(&self) -> bool {
        self.count() + self.shard.len() > 0
    }
}

/// CLIENT REPLY modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    /// Replies are sent.
    On,
    /// No replies are sent.
    Off,
}

/// Per-client state that commands read and change.
pub struct SessionState {
    /// Selected database.
    pub db: usize,
    /// Protocol version of replies.
    pub protocol: Protocol,
    /// CLIENT REPLY ON/OFF.
    pub reply_mode: ReplyMode,
    /// CLIENT REPLY SKIP was given: the next command's reply is dropped.
    pub skip_next: bool,
    /// The current command's reply is dropped.
    pub skip_this: bool,
    /// In a Raft group: a command since [`SessionState::take_read_data`] read (or may
    /// have read) the data.
    pub(crate) read_data: bool,
    /// `RAFT NOFORWARD`: this connection carries commands a follower forwarded; a member
    /// that cannot run them answers `-MOVED` rather than forwarding them again.
    pub(crate) no_forward: bool,
    /// EXEC is running this session's queued commands (BGSAVE and BGREWRITEAOF are then
    /// scheduled, as in Redis, so the image never falls inside the transaction).
    pub(crate) in_exec: bool,
    /// CLIENT NO-TOUCH: reads do not update access times.
    pub no_touch: bool,
    /// Replies go straight to a socket's encoder and nowhere else, so a range reply may be
    /// built already encoded ([`Frame::Bulks`]); false for embedded handles and scripts,
    /// which read the replies they get.
    pub(crate) wire: bool,
    /// The connection closes after this reply (QUIT).
    pub close_after_reply: bool,
    /// Random source for commands of this session.
    pub rng: Rng,
    /// What other clients see of this one.
    pub handle: Arc<ClientHandle>,
    /// The transaction being queued, between MULTI and EXEC.
    pub multi: Option<Multi>,
    /// Keys this client WATCHes, with their database.
    pub watched: Vec<(usize, Bytes)>,
    /// Pub/sub subscriptions.
    pub subs: Subscriptions,
    /// Where pushes (messages, notifications) for this client go.
    pub sink: Arc<dyn PushSink>,
    /// The default sink, kept while no other is installed.
    queue: Option<Arc<QueueSink>>,
    /// Frames to send before this command's reply (one per channel of SUBSCRIBE).
    pub before_reply: Vec<Frame>,
    /// The user this client is logged in as.
    pub acl: crate::acl::AclSession,
    /// What a replica connected as this client announced (REPLCONF) and asked (PSYNC).
    pub replica_hello: Option<Box<crate::repl::Hello>>,
    /// This session applies a primary's replication stream: nothing is refused to it.
    pub master_link: bool,
}

impl SessionState {
    /// Whether a command run since the last call read (or may have read) the data; only
    /// tracked in a Raft group (see [`Engine::when_settled`](crate::Engine::when_settled)).
    pub fn take_read_data(&mut self) -> bool {
        std::mem::take(&mut self.read_data)
    }

    /// A fresh state for the client behind `handle`: database `db`, RESP2, replies on.
    pub(crate) fn detached(handle: Arc<ClientHandle>, db: usize, seed: u64) -> SessionState {
        let queue = Arc::new(QueueSink::default());
        SessionState {
            multi: None,
            watched: Vec::new(),
            subs: Subscriptions::default(),
            sink: queue.clone(),
            queue: Some(queue),
            before_reply: Vec::new(),
            acl: Default::default(),
            replica_hello: None,
            master_link: false,
            db,
            protocol: Protocol::Resp2,
            reply_mode: ReplyMode::On,
            skip_next: false,
            skip_this: false,
            read_data: false,
            no_forward: false,
            in_exec: false,
            no_touch: false,
            wire: false,
            close_after_reply: false,
            rng: Rng::new(seed),
            handle,
        }
    }

    /// This client's id.
    pub fn id(&self) -> u64 {
        self.handle.id
    }

    /// True once PSYNC or SYNC made this connection a replica's link: the server hands the
    /// socket to the replication stream.
    pub fn takes_over(&self) -> bool {
        self.replica_hello
            .as_ref()
            .is_some_and(|h| h.psync.is_some())
    }

    /// Sends replies and pushes to `sink` from now on (the server's connection writer).
    pub fn set_push_sink(&mut self, sink: Arc<dyn PushSink>) {
        self.queue = None;
        self.sink = sink;
    }

    /// Takes the pushes queued for this client while no sink of its own is installed.
    pub fn take_pushes(&mut self) -> Vec<Frame> {
        self.queue.as_ref().map(|q| q.take()).unwrap_or_default()
    }
}

impl Inner {
    /// Ends what a session holds beyond its own state: its transaction, its WATCHes and its
    /// subscriptions (RESET, and a client going away).
    pub(crate) fn release_session(&self, st: &mut SessionState) {
        st.multi = None;
        st.handle
            .multi
            .store(-1, std::sync::atomic::Ordering::Relaxed);
        for n in &st.handle.subscriptions {
            n.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        self.unwatch(st);
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in std::mem::take(st.subs.of_mut(kind)) {
                self.pubsub.unsubscribe(kind, &name, st.handle.id);
            }
        }
    }

    /// Forgets every key `st` watches (UNWATCH, EXEC, DISCARD).
    pub(crate) fn unwatch(&self, st: &mut SessionState) {
        if !st.watched.is_empty() {
            self.watches.unwatch_all(st.handle.id, &st.watched);
            st.watched.clear();
        }
    }
}

/// What executing a command produced.
pub enum Outcome {
    /// A reply, or `None` when the client turned replies off (CLIENT REPLY).
    Reply(Option<Frame>),
    /// The command must wait for data (BLPOP, ...): park it with [`Session::park`].
    Blocked(Pending),
}

/// A blocking command that found nothing yet.
pub struct Pending {
    pub(crate) args: Vec<Bytes>,
    pub(crate) keys: Vec<Bytes>,
    pub(crate) db: usize,
    /// When to give up, in ms since the epoch of the engine clock; 0 waits forever.
    pub deadline_ms: u64,
    /// The reply when the deadline passes.
    pub on_timeout: Frame,
    /// Work off the keyspace that answers instead (a write sent to the group's leader, a
    /// membership change); None for a command waiting on keys.
    pub(crate) job: Option<Job>,
}

/// Work that answers a command later and elsewhere than the keyspace: it is given where to
/// deliver the reply, and must deliver one (an error if it fails).
pub type Job = Box<dyn FnOnce(Deliver) + Send>;

/// A client of the engine. Dropping it unregisters the client.
pub struct Session {
    pub(crate) engine: Engine,
    pub(crate) state: SessionState,
}

impl Session {
    /// Executes one command; a blocking command that would wait is returned as
    /// [`Outcome::Blocked`] for the caller to [`park`](Session::park).
    pub fn run(&mut self, args: Vec<Bytes>) -> Outcome {
        let Session { engine, state } = self;
        engine.inner.execute(state, args)
    }

    /// Executes one command without waiting for data: a blocking command that finds nothing
    /// answers its timeout reply at once, as inside MULTI. A write waits on this thread
    /// while writes are paused ([`Session::paused`]). Returns `None` when the client
    /// turned replies off (CLIENT REPLY).
    pub fn execute(&mut self, args: Vec<Bytes>) -> Option<Frame> {
        self.wait_unpaused(&args);
        let outcome = self.run(args);
        for f in std::mem::take(&mut self.state.before_reply) {
            self.state.sink.push(&f);
        }
        match outcome {
            Outcome::Reply(reply) => reply,
            Outcome::Blocked(p) if p.job.is_some() => Some(self.wait_parked(p)),
            Outcome::Blocked(p) => Some(p.on_timeout),
        }
    }

    /// Executes one command without waiting and always returns a reply.
    pub fn call(&mut self, args: Vec<Bytes>) -> Frame {
        self.execute(args).unwrap_or(Frame::Null)
    }

    /// Parks a blocked command: `deliver` receives its reply when a write gives one of its
    /// keys data, possibly on another thread and possibly before this returns. The caller
    /// waits for that, and at `p.deadline_ms` calls [`Session::cancel_block`].
    pub fn park(&self, p: Pending, deliver: Deliver) {
        if let Some(job) = p.job {
            return job(deliver);
        }
        let inner = &self.engine.inner;
        if let Some((offset, need)) = crate::repl::wait_target(&p) {
            inner
                .repl
                .waits
                .park(&inner.repl, self.state.handle.id, offset, need, deliver);
            return;
        }
        inner.blocking.park(Parked {
            id: self.state.handle.id,
            db: p.db,
            args: p.args,
            keys: p.keys,
            handle: self.state.handle.clone(),
            on_timeout: p.on_timeout,
            deliver,
        });
        // Data may have arrived between the command's attempt and the parking. Behind a busy
        // script, leave it: the next write to the key serves the waiters.
        if let Ok(_shared) = inner.gate.shared() {
            inner.serve_blocked();
        }
    }

    /// Stops waiting. True if the command was still parked (the caller answers the timeout
    /// reply); false if it was served or is being served (its reply is on the way).
    pub fn cancel_block(&self) -> bool {
        let repl = &self.engine.inner.repl;
        if repl.waits.cancel(repl, self.state.handle.id) {
            // WAIT answers its count at the deadline: delivered just now.
            return false;
        }
        self.engine
            .inner
            .blocking
            .cancel(self.state.handle.id)
            .is_some()
    }

    /// Runs one command and, if it blocks, waits on this thread until it is served or its
    /// deadline passes (measured on the engine clock). For embedded callers.
    pub fn call_blocking(&mut self, args: Vec<Bytes>) -> Frame {
        self.wait_unpaused(&args);
        match self.run(args) {
            Outcome::Reply(reply) => reply.unwrap_or(Frame::Null),
            Outcome::Blocked(p) => self.wait_parked(p),
        }
    }

    /// Parks `p` and waits on this thread for its reply, or its deadline.
    fn wait_parked(&self, p: Pending) -> Frame {
        use std::sync::mpsc::RecvTimeoutError;
        let (deadline, on_timeout) = (p.deadline_ms, p.on_timeout.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        self.park(p, Box::new(move |f| drop(tx.send(f))));
        loop {
            match rx.recv_timeout(std::time::Duration::from_millis(10)) {
                Ok(reply) => return reply,
                // Dropped unanswered: nothing will come.
                Err(RecvTimeoutError::Disconnected) => return on_timeout,
                Err(RecvTimeoutError::Timeout) => {}
            }
            if deadline != 0 && self.engine.inner.now_ms() >= deadline && self.cancel_block() {
                return on_timeout;
            }
        }
    }

    /// Frames pushed to this session (pub/sub messages, keyspace notifications, extra
    /// SUBSCRIBE confirmations) since last taken, when no sink of its own is installed.
    pub fn take_pushes(&mut self) -> Vec<Frame> {
        self.state.take_pushes()
    }

    /// The session's state.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// The session's state, mutably.
    pub fn state_mut(&mut self) -> &mut SessionState {
        &mut self.state
    }

    /// The engine this session belongs to.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether `args` must wait while writes are paused (a FAILOVER, a Raft leadership
    /// transfer): writes, commands that may write (scripts, functions, PUBLISH) and EXEC
    /// of a transaction holding any, except on the primary's own link. During a leadership
    /// transfer, outside `raft-read-mode local`, commands that read data wait too: this
    /// member cannot confirm it leads while it hands the leadership over.
    pub fn paused(&self, args: &[Bytes]) -> bool {
        let inner = &self.engine.inner;
        if !inner.repl.writes_paused() || self.state.master_link {
            return false;
        }
        // The spec that runs: a container's subcommand (FUNCTION LOAD writes, FUNCTION
        // LIST does not).
        let runs = |args: &[Bytes]| {
            let spec = inner.table.get(args.first()?)?;
            Some(crate::exec::dispatch::target(spec, args))
        };
        let writes = |args: &[Bytes]| runs(args).is_some_and(crate::consensus::runs_on_leader);
        let Some(spec) = runs(args) else {
            return false;
        };
        if writes(args) {
            return true;
        }
        if spec.name == "exec"
            && self
                .state
                .multi
                .as_ref()
                .is_some_and(|m| m.queue.iter().any(|q| writes(q)))
        {
            return true;
        }
        inner.consensus.is_handing_over()
            && crate::consensus::read_mode(inner) != crate::consensus::ReadMode::Local
            && crate::consensus::reads_data(spec)
    }

    /// Waits on this thread while `args` must wait (see [`Session::paused`]).
    fn wait_unpaused(&self, args: &[Bytes]) {
        while self.paused(args) {
            self.engine.inner.repl.wait_unpaused();
        }
    }

    /// True once CLIENT KILL targeted this session or QUIT asked to close.
    pub fn should_close(&self) -> bool {
        self.state.close_after_reply || self.state.handle.is_killed()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.engine.inner.release_session(&mut self.state);
        self.engine.inner.clients.unregister(self.state.handle.id);
    }
}
