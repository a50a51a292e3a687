//! Asynchronous replication with Redis's protocol: this server as a primary (replicas
//! attach with PSYNC and follow the stream of write effects) and as a replica (it follows a
//! primary's stream, Redis or Shoal).
//!
//! The engine owns the state and every decision (replication ids, offsets, the backlog,
//! which sync a PSYNC gets, what INFO and ROLE show, WAIT); the sockets that carry it live
//! in the server, which installs a [`LinkStarter`] for the replica side.

pub(crate) mod backlog;
mod failover;
pub mod link;
pub(crate) mod pipe;
pub(crate) mod stream;
pub mod sync;
mod view;
mod wait;

#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;

pub use pipe::{Chunk, SyncFeed};
pub use stream::{DataReady, UrgentAppend};
pub use view::{info_section, role_reply};

use crate::config::{param, Kind, Param};
use crate::engine::Inner;
use parking_lot::Mutex;
use std::cell::Cell;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

/// Starts the link to the primary for the given link generation (see [`Repl::generation`]).
pub type LinkStarter = Arc<dyn Fn(u64) + Send + Sync>;

/// The replication ids: the current one and the one this history continued from.
pub(crate) struct Ids {
    pub(crate) replid: String,
    pub(crate) replid2: String,
    /// Last offset valid under `replid2`, or -1.
    pub(crate) second_offset: i64,
}

/// An attached replica, as INFO and ROLE show it.
#[derive(Clone, Debug)]
pub struct ReplicaInfo {
    /// Client id of its link.
    pub id: u64,
    /// Address it announced or connected from.
    pub ip: String,
    /// Port it listens on (REPLCONF listening-port).
    pub port: u16,
    /// `wait_bgsave`, `send_bulk` or `online`.
    pub state: &'static str,
    /// Offset it acknowledged last.
    pub ack: u64,
    /// When it acknowledged last (engine ms).
    pub ack_ms: u64,
}

/// Where this replica's primary is and how the link to it stands.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// The primary's host.
    pub host: String,
    /// The primary's port.
    pub port: u16,
    /// `connect`, `connecting`, `handshake`, `sync` or `connected` (ROLE's words).
    pub state: &'static str,
    /// When the link last went down (engine ms), if it is down.
    pub down_since_ms: Option<u64>,
    /// When the last bytes came from the primary (engine ms).
    pub last_io_ms: u64,
    /// Bytes of the snapshot payload expected (-1 EOF-framed) and received, while syncing.
    pub sync_total: i64,
    /// Bytes of the snapshot payload received so far.
    pub sync_read: u64,
    /// When the current sync began (engine ms).
    pub sync_start_ms: u64,
    /// Whether this replica ever completed a sync with the current primary.
    pub synced: bool,
}

/// Replication state of one engine.
pub struct Repl {
    pub(crate) ids: Mutex<Ids>,
    replicas: Mutex<Vec<ReplicaInfo>>,
    upstream: Mutex<Option<Upstream>>,
    is_replica: AtomicBool,
    generation: AtomicU64,
    starter: Mutex<Option<LinkStarter>>,
    pub(crate) job: Mutex<Option<sync::Job>>,
    /// Held by a replica's link while it executes a command and appends it to the stream,
    /// and by a full sync while it notes its offset.
    pub(crate) apply_lock: Mutex<()>,
    pub(crate) waits: wait::Waits,
    last_ping_ms: AtomicU64,
    /// A consensus group's follower (see [`Repl::set_follower`]).
    follower: AtomicBool,
    /// When the last replica left (engine ms), for `repl-backlog-ttl`.
    alone_since_ms: AtomicU64,
    /// FAILOVER's state.
    failover: failover::Failover,
    /// Writes wait while set (FAILOVER, a Raft leadership transfer).
    paused: AtomicBool,
    unpause_wakers: Mutex<Vec<std::task::Waker>>,
    /// Wakes embedded callers waiting for the pause to end.
    unpaused_cv: parking_lot::Condvar,
    /// The database the primary's stream selected last (a replica's master client).
    stream_db: std::sync::atomic::AtomicUsize,
    /// Full syncs served (INFO `sync_full`).
    pub sync_full: AtomicU64,
    /// Partial resyncs accepted (INFO `sync_partial_ok`).
    pub sync_partial_ok: AtomicU64,
    /// Partial resyncs asked for and refused (INFO `sync_partial_err`).
    pub sync_partial_err: AtomicU64,
    /// Where `min-replicas-to-write` sits in the configuration (read on every write).
    min_replicas_index: std::sync::OnceLock<Option<usize>>,
}

thread_local! {
    /// Set while this thread applies the primary's stream: keys past their deadline are
    /// still there for it (the primary's DEL removes them).
    static APPLYING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` as the primary's stream being applied.
pub fn applying<R>(f: impl FnOnce() -> R) -> R {
    APPLYING.with(|a| a.set(true));
    let r = f();
    APPLYING.with(|a| a.set(false));
    r
}

impl Repl {
    pub(crate) fn new(replid: String) -> Repl {
        Repl {
            ids: Mutex::new(Ids {
                replid,
                replid2: "0".repeat(40),
                second_offset: -1,
            }),
            replicas: Mutex::new(Vec::new()),
            upstream: Mutex::new(None),
            is_replica: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            starter: Mutex::new(None),
            job: Mutex::new(None),
            apply_lock: Mutex::new(()),
            waits: Default::default(),
            last_ping_ms: AtomicU64::new(0),
            follower: AtomicBool::new(false),
            alone_since_ms: AtomicU64::new(0),
            min_replicas_index: std::sync::OnceLock::new(),
            stream_db: std::sync::atomic::AtomicUsize::new(0),
            failover: Default::default(),
            paused: AtomicBool::new(false),
            unpause_wakers: Mutex::new(Vec::new()),
            unpaused_cv: parking_lot::Condvar::new(),
            sync_full: AtomicU64::new(0),
            sync_partial_ok: AtomicU64::new(0),
            sync_partial_err: AtomicU64::new(0),
        }
    }

    /// True while this server follows a primary.
    pub fn is_replica(&self) -> bool {
        self.is_replica.load(Relaxed)
    }

    /// Whether a read of a key past its deadline must hide it without deleting it (a
    /// replica, outside the primary's stream).
    pub(crate) fn hides_expired(&self) -> bool {
        ((self.is_replica() || self.follower.load(Relaxed)) && !APPLYING.with(Cell::get))
            || self.writes_paused()
    }

    /// Whether keys past their deadline stay in place: on a replica (its primary's DEL
    /// removes them) and while writes are paused (a failover: the stream must not grow).
    pub(crate) fn keeps_expired(&self) -> bool {
        self.is_replica() || self.follower.load(Relaxed) || self.writes_paused()
    }

    /// Marks this server as a consensus group's follower: like a replica, it leaves
    /// expired keys to the leader's DEL.
    pub fn set_follower(&self, follower: bool) {
        self.follower.store(follower, Relaxed);
    }

    /// The current link generation: a link whose generation is older must end.
    pub fn generation(&self) -> u64 {
        self.generation.load(SeqCst)
    }

    /// Installs what REPLICAOF calls to start a link (the server does, at start). False if
    /// one was installed already (it stays).
    pub fn set_link_starter(&self, f: LinkStarter) -> bool {
        let mut starter = self.starter.lock();
        if starter.is_some() {
            return false;
        }
        *starter = Some(f);
        true
    }

    /// True while the link to the primary is up (and this server is a replica).
    pub fn link_up(&self) -> bool {
        self.upstream
            .lock()
            .as_ref()
            .is_some_and(|u| u.state == "connected")
    }

    /// The primary this server follows and the link's state.
    pub fn upstream(&self) -> Option<Upstream> {
        self.upstream.lock().clone()
    }

    /// Changes the link's state (and what INFO shows of it).
    pub fn update_upstream(&self, gen: u64, f: impl FnOnce(&mut Upstream)) {
        if self.generation() != gen {
            return;
        }
        if let Some(u) = self.upstream.lock().as_mut() {
            f(u);
        }
    }

    /// The current replication id and offset.
    pub fn position(&self, inner: &Inner) -> (String, u64) {
        (self.ids.lock().replid.clone(), inner.effects.stream.end())
    }

    /// The attached replicas.
    pub fn replicas(&self) -> Vec<ReplicaInfo> {
        self.replicas.lock().clone()
    }

    /// Registers an attaching replica.
    pub fn add_replica(&self, r: ReplicaInfo) {
        let mut all = self.replicas.lock();
        all.retain(|x| x.id != r.id);
        all.push(r);
    }

    /// Forgets replica `id` and its place in the stream.
    pub fn remove_replica(&self, inner: &Inner, id: u64) {
        let mut all = self.replicas.lock();
        all.retain(|x| x.id != id);
        if all.is_empty() {
            self.alone_since_ms.store(inner.now_ms(), Relaxed);
        }
        drop(all);
        inner.effects.stream.detach(id);
    }

    pub(crate) fn set_state(&self, id: u64, state: &'static str) {
        if let Some(r) = self.replicas.lock().iter_mut().find(|r| r.id == id) {
            r.state = state;
        }
    }

    /// Records a replica's REPLCONF ACK, which may complete WAITs.
    pub fn ack(&self, inner: &Inner, id: u64, offset: u64) {
        let now = inner.now_ms();
        if let Some(r) = self.replicas.lock().iter_mut().find(|r| r.id == id) {
            r.ack = r.ack.max(offset);
            r.ack_ms = now;
        }
        self.waits.serve(self);
    }

    /// Marks replica `id` online (its payload went out).
    pub fn set_online(&self, inner: &Inner, id: u64) {
        if let Some(r) = self.replicas.lock().iter_mut().find(|r| r.id == id) {
            r.state = "online";
            r.ack_ms = inner.now_ms();
        }
    }

    /// Replicas that acknowledged at least `offset`.
    pub(crate) fn acked(&self, offset: u64) -> usize {
        self.replicas
            .lock()
            .iter()
            .filter(|r| r.state == "online" && r.ack >= offset)
            .count()
    }

    /// Replicas online whose last ack is at most `max_lag_s` seconds old.
    pub(crate) fn good_replicas(&self, now_ms: u64, max_lag_s: i64) -> usize {
        self.replicas
            .lock()
            .iter()
            .filter(|r| {
                r.state == "online" && now_ms.saturating_sub(r.ack_ms) <= max_lag_s as u64 * 1000
            })
            .count()
    }

    /// Follows `host:port` from now on (REPLICAOF): the old link ends, a new one starts.
    pub fn follow(&self, inner: &Inner, host: String, port: u16) {
        self.generation.fetch_add(1, SeqCst);
        *self.upstream.lock() = Some(Upstream {
            host,
            port,
            state: "connect",
            down_since_ms: None,
            last_io_ms: 0,
            sync_total: 0,
            sync_read: 0,
            sync_start_ms: 0,
            synced: false,
        });
        self.is_replica.store(true, SeqCst);
        inner.effects.stream.stop_feeding();
        // The attached replicas resync with this server's new history.
        for r in self.replicas.lock().iter() {
            if let Some(h) = inner.clients.get(r.id) {
                h.kill();
            }
        }
        self.start_link();
    }

    /// Starts the link for the current generation, if a starter is installed.
    pub(crate) fn start_link(&self) {
        let starter = self.starter.lock().clone();
        if let Some(start) = starter {
            start(self.generation());
        }
    }

    /// Stops following (REPLICAOF NO ONE): this server becomes a primary that continues
    /// its history under a new id, remembering the old one so replicas of the same
    /// primary can continue from it.
    pub fn promote(&self, inner: &Inner) {
        self.generation.fetch_add(1, SeqCst);
        if !self.is_replica.swap(false, SeqCst) {
            return;
        }
        *self.upstream.lock() = None;
        let end = inner.effects.stream.ensure(true);
        inner.effects.keep_active();
        inner.effects.stream.forget_db();
        let mut ids = self.ids.lock();
        ids.replid2 = std::mem::replace(&mut ids.replid, random_hex(inner, 40));
        ids.second_offset = end as i64 + 1;
    }

    /// Takes the primary's id and offset after a full sync (`+FULLRESYNC <id> <offset>`).
    pub fn adopt(&self, inner: &Inner, replid: &str, offset: u64) {
        let mut ids = self.ids.lock();
        ids.replid = replid.to_string();
        ids.replid2 = "0".repeat(40);
        ids.second_offset = -1;
        inner.effects.stream.reset(offset);
    }

    /// After `+CONTINUE <id>`: the primary's history moved to a new id; the old one stays
    /// valid up to here.
    pub fn continue_with(&self, inner: &Inner, replid: &str) {
        let mut ids = self.ids.lock();
        if ids.replid != replid {
            ids.replid2 = std::mem::replace(&mut ids.replid, replid.to_string());
            ids.second_offset = inner.effects.stream.end() as i64 + 1;
        }
    }

    /// What a replica's PSYNC gets: a continuation from `offset` when this server's
    /// history contains it, else a full sync.
    pub fn psync(&self, inner: &Inner, id: u64, replid: &[u8], offset: i64, eof: bool) -> Psync {
        if self.is_replica() && !self.link_up() {
            return Psync::Refused(
                "NOMASTERLINK Can't SYNC while not connected with my master".into(),
            );
        }
        let stream = &inner.effects.stream;
        let (mine, second, second_offset) = {
            let ids = self.ids.lock();
            (ids.replid.clone(), ids.replid2.clone(), ids.second_offset)
        };
        let same_history =
            replid == mine.as_bytes() || (replid == second.as_bytes() && offset <= second_offset);
        if same_history && offset > 0 && stream.covers(offset as u64) {
            stream.attach(id, offset as u64);
            self.sync_partial_ok.fetch_add(1, Relaxed);
            return Psync::Continue {
                replid: mine,
                from: offset as u64,
            };
        }
        if replid != b"?" {
            self.sync_partial_err.fetch_add(1, Relaxed);
        }
        self.sync_full.fetch_add(1, Relaxed);
        Psync::Full(sync::request(inner, id, eof))
    }

    /// Background upkeep, from the engine's cron: PINGs into the stream, the backlog's size
    /// and time to live.
    pub(crate) fn cron(&self, inner: &Inner) {
        let now = inner.now_ms();
        let stream = &inner.effects.stream;
        let keep = inner.config.get_i64("repl-backlog-size").max(1) as usize;
        let slack = crate::output_limits::OutputLimits::of(&inner.config)
            .replica
            .hard as usize;
        stream.set_limits(keep, slack);
        let has_replicas = !self.replicas.lock().is_empty();
        let period = inner.config.get_i64("repl-ping-replica-period").max(1) as u64 * 1000;
        self.failover_cron(inner, now);
        if !has_replicas {
            // The period counts from the first replica's arrival, not from start-up: a
            // PING right after a replica attaches would put the primary one command
            // ahead of a replica promoted in the meantime.
            self.last_ping_ms.store(now, Relaxed);
        }
        // No PING while writes are paused: a failover's target must catch up to a still
        // stream.
        if has_replicas
            && !self.is_replica()
            && !self.writes_paused()
            && now.saturating_sub(self.last_ping_ms.load(Relaxed)) >= period
        {
            self.last_ping_ms.store(now, Relaxed);
            stream.append_command(&[b"PING"]);
        }
        let ttl = inner.config.get_i64("repl-backlog-ttl");
        let alone = self.alone_since_ms.load(Relaxed);
        if !has_replicas
            && !self.is_replica()
            && !inner.consensus.is_member()
            && ttl > 0
            && alone > 0
            && now.saturating_sub(alone) > ttl as u64 * 1000
            && stream.is_feeding()
        {
            // Redis frees the backlog of a primary left without replicas this long, and
            // changes its id, since the history it held is gone.
            self.alone_since_ms.store(0, Relaxed);
            stream.drop_backlog();
            let mut ids = self.ids.lock();
            ids.replid = random_hex(inner, 40);
            ids.replid2 = "0".repeat(40);
            ids.second_offset = -1;
        }
    }
}

impl Repl {
    /// The PSYNC a replica of this server sends: continue its own history when it holds a
    /// backlog (a primary demoted, or a replica reconnecting), else ask for everything.
    pub fn psync_request(&self, inner: &Inner) -> (String, i64) {
        let (active, _, _) = inner.effects.stream.info();
        if active {
            let replid = self.ids.lock().replid.clone();
            (replid, inner.effects.stream.end() as i64 + 1)
        } else {
            ("?".into(), -1)
        }
    }
}

/// A failover run starting to wait for its target.
pub(crate) fn failover_run(
    target: Option<(String, u16)>,
    deadline_ms: u64,
    force: bool,
) -> failover::Run {
    failover::Run {
        phase: failover::Phase::WaitingForSync,
        target,
        deadline_ms,
        force,
    }
}

/// A replication position as a snapshot records it.
#[derive(Clone, Debug, Default)]
pub struct SavedPosition {
    /// The replication id.
    pub replid: Option<String>,
    /// The offset of the last byte of the stream in the snapshot.
    pub offset: Option<u64>,
    /// The database the primary's stream had selected.
    pub db: usize,
}

impl Repl {
    /// Where the stream stands, for a snapshot taken now (nothing without a backlog).
    pub(crate) fn saved_position(&self, inner: &Inner) -> SavedPosition {
        let (active, _, _) = inner.effects.stream.info();
        if !active {
            return SavedPosition::default();
        }
        SavedPosition {
            replid: Some(self.ids.lock().replid.clone()),
            offset: Some(inner.effects.stream.end()),
            db: self.stream_db.load(Relaxed),
        }
    }

    /// After loading a snapshot at start-up: a replica takes the position it records as
    /// its own, so its first PSYNC can continue from the primary's backlog.
    pub(crate) fn restore(&self, inner: &Inner, at: &SavedPosition) {
        let (Some(id), Some(offset)) = (&at.replid, at.offset) else {
            return;
        };
        if !self.is_replica() || self.link_up() {
            return;
        }
        self.ids.lock().replid = id.clone();
        inner.effects.stream.reset(offset);
        self.stream_db.store(at.db, Relaxed);
    }

    /// Notes the database the primary's stream has selected (saved with snapshots).
    pub fn set_stream_db(&self, db: usize) {
        self.stream_db.store(db, Relaxed);
    }

    /// The database the primary's stream had selected when last noted.
    pub fn stream_db(&self) -> usize {
        self.stream_db.load(Relaxed)
    }
}

/// What a replica announced on its link before PSYNC.
#[derive(Clone, Debug, Default)]
pub struct Hello {
    /// REPLCONF listening-port.
    pub port: u16,
    /// REPLCONF ip-address.
    pub ip: Option<String>,
    /// REPLCONF capa eof: it reads EOF-framed (diskless) payloads.
    pub eof: bool,
    /// PSYNC's replication id and offset (SYNC: `?` and -1, with `sync` set).
    pub psync: Option<(bytes::Bytes, i64)>,
    /// The old SYNC command: no `+FULLRESYNC` line, payload only.
    pub sync: bool,
}

/// The target of a parked WAIT: (offset, replicas needed).
pub(crate) fn wait_target(p: &crate::session::Pending) -> Option<(u64, usize)> {
    if !p.keys.is_empty() || p.args.len() != 3 || p.args[0].as_ref() != b"WAIT" {
        return None;
    }
    let offset = crate::util::num::parse_i64(&p.args[1])?;
    let need = crate::util::num::parse_i64(&p.args[2])?;
    Some((offset as u64, need as usize))
}

/// Why `spec` may not run given this server's role: too few good replicas for a write
/// (`min-replicas-to-write`), a write on a read-only replica, or stale data refused while
/// the link to the primary is down (`replica-serve-stale-data no`).
pub(crate) fn refusal(
    inner: &Inner,
    spec: &crate::command::CommandSpec,
) -> Option<shoal_resp::Frame> {
    use crate::command::flags;
    use shoal_resp::Frame;
    let repl = &inner.repl;
    let write = spec.has(flags::WRITE);
    if !repl.is_replica() {
        if !write {
            return None;
        }
        let at = *repl
            .min_replicas_index
            .get_or_init(|| inner.config.index_of("min-replicas-to-write"));
        let min = at.map_or(0, |i| inner.config.get_at(i));
        if min <= 0 {
            return None;
        }
        let lag = inner.config.get_i64("min-replicas-max-lag");
        if lag > 0 && repl.good_replicas(inner.now_ms(), lag) < min as usize {
            return Some(Frame::error(
                "NOREPLICAS Not enough good replicas to write.",
            ));
        }
        return None;
    }
    if write && inner.config.get_bool("replica-read-only") {
        return Some(Frame::error(
            "READONLY You can't write against a read only replica.",
        ));
    }
    if !spec.has(flags::STALE)
        && !inner.config.get_bool("replica-serve-stale-data")
        && !repl.link_up()
    {
        return Some(Frame::error(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        ));
    }
    None
}

/// What a PSYNC gets.
pub enum Psync {
    /// `+CONTINUE <replid>`, then the stream from offset `from`.
    Continue {
        /// The id to announce.
        replid: String,
        /// Offset of the first byte to send.
        from: u64,
    },
    /// A full sync: the feed carries the `+FULLRESYNC` line and the payload.
    Full(SyncFeed),
    /// An error line to send before closing.
    Refused(String),
}

/// `n` random lowercase hex digits.
pub(crate) fn random_hex(inner: &Inner, n: usize) -> String {
    let mut rng = crate::util::rng::Rng::new(
        inner.now_us() ^ inner.stats.commands.load(Relaxed).rotate_left(17) ^ (n as u64),
    );
    (0..n)
        .map(|_| char::from_digit((rng.next_u64() % 16) as u32, 16).unwrap_or('0'))
        .collect()
}

/// Checks `replicaof`: `<host> <port>`, or empty.
fn normalize_replicaof(v: &str, _old: &str) -> Result<(String, i64), String> {
    if v.trim().is_empty() {
        return Ok((String::new(), 0));
    }
    match parse_replicaof(v) {
        Some((host, port)) => Ok((format!("{host} {port}"), 0)),
        None => Err("Invalid master port".into()),
    }
}

/// `host port` of `replicaof`.
pub(crate) fn parse_replicaof(v: &str) -> Option<(String, u16)> {
    let mut words = v.split_whitespace();
    let host = words.next()?.to_string();
    let port = words.next()?.parse().ok()?;
    words.next().is_none().then_some((host, port))
}

/// A count or duration of zero or more.
const COUNT: Kind = Kind::Int {
    min: 0,
    max: i32::MAX as i64,
};
/// A duration of at least one.
const POSITIVE: Kind = Kind::Int {
    min: 1,
    max: i32::MAX as i64,
};

/// Replication parameters.
pub(crate) const CONFIG_PARAMS: &[Param] = &[
    Param {
        name: "replicaof",
        kind: Kind::Custom(normalize_replicaof),
        default: "",
        immutable: true,
    },
    param("masterauth", Kind::Str, ""),
    param("masteruser", Kind::Str, ""),
    param("replica-read-only", Kind::Bool, "yes"),
    // A replica leaves eviction to its primary and applies the primary's DELs.
    param("replica-ignore-maxmemory", Kind::Bool, "yes"),
    param("replica-serve-stale-data", Kind::Bool, "yes"),
    param(
        "repl-backlog-size",
        Kind::Memory {
            min: 1,
            max: i64::MAX as u64,
        },
        "1048576",
    ),
    param("repl-backlog-ttl", COUNT, "3600"),
    param("repl-timeout", POSITIVE, "60"),
    param("repl-ping-replica-period", POSITIVE, "10"),
    param("min-replicas-to-write", COUNT, "0"),
    param("min-replicas-max-lag", COUNT, "10"),
    param("repl-diskless-sync", Kind::Bool, "yes"),
    param("repl-diskless-sync-delay", COUNT, "5"),
    param("replica-priority", COUNT, "100"),
    param("replica-announce-ip", Kind::Str, ""),
    param(
        "replica-announce-port",
        Kind::Int { min: 0, max: 65535 },
        "0",
    ),
    param("replica-announced", Kind::Bool, "yes"),
];
