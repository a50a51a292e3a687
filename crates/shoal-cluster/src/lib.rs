//! Raft replication groups (openraft): every member holds the same data, a minority of
//! failures loses nothing acknowledged, and the application sees who leads.
//!
//! The log orders the replication stream. The leader executes commands as a primary does;
//! what its stream gains is cut at command (and transaction) boundaries into log entries;
//! a client is answered once the entry holding its writes is committed. Followers apply
//! committed entries as a replica applies its primary's stream, so expiry and randomness
//! need no agreement: the stream already says `PEXPIREAT`, `DEL`, `SREM`.

// openraft's storage traits fix the error type (`StorageError`, ~200 bytes); helpers
// returning it keep the same shape.
#![allow(clippy::result_large_err)]

mod control;
mod forward;
mod handover;
mod log;
mod net;
mod pipe;
mod proposer;
mod sm;
mod types;

pub use log::LogStore;
pub use net::connect;
pub use sm::StateMachine;
pub use types::{Chunk, Member, NodeId, Raft, TypeConfig};

use openraft::ServerState;
use shoal_engine::Engine;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How a member joins its group.
#[derive(Clone, Debug)]
pub struct GroupConfig {
    /// This member's id (non-zero).
    pub id: NodeId,
    /// This member's addresses.
    pub me: Member,
    /// The members a new group starts with (this one included); empty to wait to be added.
    pub peers: BTreeMap<NodeId, Member>,
    /// Where the log and snapshots are kept; None keeps them in memory.
    pub dir: Option<PathBuf>,
    /// Leader heartbeat period.
    pub heartbeat: Duration,
    /// Elections start after this long without a leader (randomised up to twice it).
    pub election_timeout: Duration,
    /// A running member's client address (`raft-join`): a member not yet in any group asks
    /// it to add this one.
    pub join: Option<String>,
}

impl GroupConfig {
    /// The group `engine`'s `raft-*` parameters describe. This member's Raft address is
    /// `raft-listen` or its `raft-peers` entry; its client address `raft-announce-client`,
    /// its entry, or `default_client`.
    pub fn from_config(engine: &Engine, default_client: Option<String>) -> Result<Self, String> {
        let cfg = &engine.inner().config;
        let text = |name: &str| cfg.get(name).unwrap_or_default();
        let id = cfg.get_i64("raft-node-id") as u64;
        let peers = GroupConfig::parse_peers(&text("raft-peers"))?;
        let listed = peers.get(&id).cloned().unwrap_or_default();
        let or = |a: String, b: String| if a.is_empty() { b } else { a };
        let raft = or(text("raft-listen"), listed.raft);
        let client = or(
            or(text("raft-announce-client"), listed.client),
            default_client.unwrap_or_default(),
        );
        if raft.is_empty() {
            return Err(
                "raft-node-id is set but raft-listen is not (nor this member in raft-peers)".into(),
            );
        }
        if client.is_empty() {
            return Err("raft-announce-client is not set (nor this member in raft-peers)".into());
        }
        let dir = text("raft-dir");
        let join = text("raft-join");
        let ms = |name: &str| Duration::from_millis(cfg.get_i64(name).max(0) as u64);
        Ok(GroupConfig {
            join: (!join.is_empty()).then_some(join),
            id,
            me: Member { raft, client },
            peers,
            dir: (!dir.is_empty()).then(|| dir.into()),
            heartbeat: ms("raft-heartbeat-ms"),
            election_timeout: ms("raft-election-timeout-ms"),
        })
    }

    /// Parses `raft-peers`: `<id>@<raft host:port>,<client host:port>` separated by spaces.
    pub fn parse_peers(text: &str) -> Result<BTreeMap<NodeId, Member>, String> {
        let mut out = BTreeMap::new();
        for item in text.split_whitespace() {
            let bad = || {
                format!("bad raft-peers entry '{item}': expected <id>@<raft-addr>,<client-addr>")
            };
            let (id, addrs) = item.split_once('@').ok_or_else(bad)?;
            let id: NodeId = id.parse().map_err(|_| bad())?;
            let (raft, client) = addrs.split_once(',').ok_or_else(bad)?;
            if id == 0 || raft.is_empty() || client.is_empty() {
                return Err(bad());
            }
            out.insert(
                id,
                Member {
                    raft: raft.to_string(),
                    client: client.to_string(),
                },
            );
        }
        Ok(out)
    }
}

/// A running member.
pub struct Group {
    engine: Engine,
    handover: Arc<handover::Handover>,
    raft: Raft,
    id: NodeId,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    leader_rx: watch::Receiver<Option<NodeId>>,
}

impl Group {
    /// Starts this member on the current tokio runtime: opens the log and snapshot in
    /// `dir`, loads the snapshot into `engine`, listens for peers, and bootstraps the group
    /// from `peers` when it has no history yet. Needs a multi-threaded tokio runtime
    /// (applying a snapshot blocks in place).
    pub async fn start(engine: Engine, cfg: GroupConfig) -> Result<Group, String> {
        let inner = engine.inner();
        inner.consensus.join(inner);
        inner.set_leading(false);
        let log = match &cfg.dir {
            Some(d) => LogStore::open(d).map_err(|e| format!("raft-dir {}: {e}", d.display()))?,
            None => LogStore::in_memory(),
        };
        let sm_engine = engine.clone();
        let sm_log = log.clone();
        let sm_dir = cfg.dir.clone();
        let sm = tokio::task::spawn_blocking(move || StateMachine::open(sm_engine, sm_log, sm_dir))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("loading the raft snapshot: {e}"))?;
        let hb = cfg.heartbeat.as_millis().max(10) as u64;
        let et = cfg.election_timeout.as_millis().max(3 * hb as u128) as u64;
        let config = openraft::Config {
            cluster_name: "shoal".into(),
            heartbeat_interval: hb,
            election_timeout_min: et,
            election_timeout_max: 2 * et,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(20_000),
            max_in_snapshot_log_to_keep: 1_000,
            ..Default::default()
        }
        .validate()
        .map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind(&cfg.me.raft)
            .await
            .map_err(|e| format!("raft-listen {}: {e}", cfg.me.raft))?;
        let raft = Raft::new(
            cfg.id,
            Arc::new(config),
            net::Network {
                engine: engine.downgrade(),
            },
            log,
            sm.clone(),
        )
        .await
        .map_err(|e| e.to_string())?;
        let mut tasks = vec![tokio::spawn(net::serve(listener, raft.clone()))];
        let handover = Arc::new(handover::Handover::new(
            raft.clone(),
            engine.downgrade(),
            Duration::from_millis(hb),
            Duration::from_millis(2 * et),
        ));
        let bootstraps = cfg.peers.keys().next() == Some(&cfg.id);
        if bootstraps && !raft.is_initialized().await.map_err(|e| e.to_string())? {
            // The member with the smallest id proposes the first membership; the others
            // learn it from its first message (several proposing at once only makes
            // competing elections).
            if let Err(e) = raft.initialize(cfg.peers.clone()).await {
                tracing::debug!("raft: initialize: {e}");
            }
        }
        let (leader_tx, leader_rx) = watch::channel(None);
        let confirmer = install_confirm(&raft, &engine, et);
        tasks.push(tokio::spawn(watch_role(
            raft.clone(),
            engine.clone(),
            leader_tx,
            confirmer,
            handover.clone(),
        )));
        tasks.push(tokio::spawn(proposer::run(raft.clone(), engine.clone())));
        let forwarder = Arc::new(forward::Forwarder::new(engine.downgrade()));
        inner.consensus.set_control(Some(Arc::new(control::Control {
            raft: raft.clone(),
            rt: tokio::runtime::Handle::current(),
            forwarder: forwarder.clone(),
            handover: handover.clone(),
        })));
        if let Some(at) = cfg.join.clone() {
            let me = cfg.me.clone();
            let join = control::join(raft.clone(), forwarder, at, cfg.id, me);
            tasks.push(tokio::spawn(join));
        }
        Ok(Group {
            engine: engine.clone(),
            handover,
            raft,
            id: cfg.id,
            tasks,
            leader_rx,
        })
    }

    /// The Raft handle.
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// True while this member leads and executes writes (it has applied every entry of
    /// earlier terms).
    pub fn is_leader(&self) -> bool {
        *self.leader_rx.borrow() == Some(self.id) && self.engine.inner().consensus.is_writable()
    }

    /// The current leader's id, if one is known.
    pub fn leader(&self) -> Option<NodeId> {
        *self.leader_rx.borrow()
    }

    /// Changes of leader, as they are seen here.
    pub fn leadership(&self) -> watch::Receiver<Option<NodeId>> {
        self.leader_rx.clone()
    }

    /// Adds a member: it first catches up as a learner, then becomes a voter (unless
    /// `voter` is false). On the leader.
    pub async fn add_member(&self, id: NodeId, member: Member, voter: bool) -> Result<(), String> {
        control::add_member(&self.raft, id, member, voter).await
    }

    /// Hands the leadership to voter `id` (None: the voter furthest along the log),
    /// returning once it leads. On the leader; writes wait meanwhile.
    pub async fn transfer_leader(&self, id: Option<NodeId>) -> Result<(), String> {
        self.handover.run(id).await
    }

    /// Before this member stops: if it leads a group with other voters, hands the
    /// leadership to the one furthest along, so the group need not wait for an election
    /// (a lease and an election timeout without a leader). Gives up after a few election
    /// timeouts; a member that does not lead does nothing.
    pub async fn step_aside(&self) {
        if !self.is_leader() || self.voters().len() < 2 {
            return;
        }
        let limit = self.handover.lease * 3 + Duration::from_secs(1);
        match tokio::time::timeout(limit, self.handover.run(None)).await {
            // A heartbeat period more of serving: members whose requests still come here
            // learn of the new leader from its first message meanwhile.
            Ok(Ok(())) => tokio::time::sleep(self.handover.heartbeat).await,
            Ok(Err(why)) => tracing::warn!("raft: could not hand the leadership over: {why}"),
            Err(_) => tracing::warn!("raft: handing the leadership over took too long"),
        }
    }

    /// Removes a member (a voter or a learner) from the group. On the leader.
    pub async fn remove_member(&self, id: NodeId) -> Result<(), String> {
        control::remove_member(&self.raft, id).await
    }

    /// This member's view of the group: its state, term, leader, log indexes, members.
    pub fn status(&self) -> shoal_engine::consensus_admin::GroupStatus {
        control::status(&self.raft)
    }

    /// The voting members.
    pub fn voters(&self) -> std::collections::BTreeSet<NodeId> {
        self.raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .voter_ids()
            .collect()
    }

    /// Every member (voters and learners) with its addresses.
    pub fn members(&self) -> Vec<(NodeId, Member)> {
        self.raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .nodes()
            .map(|(id, m)| (*id, m.clone()))
            .collect()
    }

    /// Stops this member's part in the group (the engine stays).
    pub async fn shutdown(self) {
        let inner = self.engine.inner();
        inner.consensus.set_control(None);
        let _ = self.raft.shutdown().await;
        for t in &self.tasks {
            t.abort();
        }
        // The task that followed the role is gone: step down here, which answers every
        // client still waiting for a commit (their writes' fate is unknown).
        inner.set_leading(false);
        inner.consensus.set_leader(None);
    }
}

/// Follows the metrics: the engine executes writes only while this member leads and has
/// applied the entry that opened its term (so every earlier entry is applied too).
async fn watch_role(
    raft: Raft,
    engine: Engine,
    leader_tx: watch::Sender<Option<NodeId>>,
    confirmer: Arc<Confirmer>,
    handover: Arc<handover::Handover>,
) {
    let mut metrics = raft.metrics();
    loop {
        let m = metrics.borrow_and_update().clone();
        confirmer.note(&m);
        let inner = engine.inner();
        // A member restarted as leader of its old term (openraft restores that from its
        // vote) leads only once a quorum acknowledged it since: until then another may
        // have been elected meanwhile.
        let ready = m.state == ServerState::Leader
            && m.last_applied.map(|l| l.leader_id.term) == Some(m.current_term)
            && m.millis_since_quorum_ack.is_some();
        if ready != inner.consensus.is_writable() {
            if ready {
                tracing::info!("raft: member {} leads (term {})", m.id, m.current_term);
                *handover.led_since.lock() = Some(std::time::Instant::now());
            }
            inner.set_leading(ready);
        }
        let leader_addr = m.current_leader.and_then(|id| {
            m.membership_config
                .membership()
                .get_node(&id)
                .map(|n| n.client.clone())
        });
        inner.consensus.set_leader(leader_addr);
        leader_tx.send_if_modified(|cur| {
            let changed = *cur != m.current_leader;
            *cur = m.current_leader;
            changed
        });
        if metrics.changed().await.is_err() {
            inner.set_leading(false);
            return;
        }
    }
}

/// How the leader confirms it still leads before answering reads: a heartbeat round
/// (ReadIndex) shared by every read that asked before it began, or in `lease` mode a quorum
/// heard from recently enough.
struct Confirmer {
    raft: Raft,
    engine: std::sync::Weak<shoal_engine::Inner>,
    /// Reads stay served from the lease for this long after the last quorum
    /// acknowledgement: well inside the election timeout, so no other leader can have been
    /// elected meanwhile.
    lease: Duration,
    /// When a quorum last acknowledged this leader, as the metrics last said.
    last_ack: parking_lot::Mutex<Option<std::time::Instant>>,
    /// Reads waiting for the next round, and whether a round runs.
    queue: parking_lot::Mutex<(Vec<shoal_engine::consensus::Settled>, bool)>,
    rt: tokio::runtime::Handle,
}

impl Confirmer {
    fn note(&self, m: &openraft::RaftMetrics<NodeId, Member>) {
        let ack = m
            .millis_since_quorum_ack
            .filter(|_| m.state == ServerState::Leader)
            .and_then(|ms| std::time::Instant::now().checked_sub(Duration::from_millis(ms)));
        *self.last_ack.lock() = ack;
    }

    fn confirm(self: &Arc<Self>, done: shoal_engine::consensus::Settled) {
        let lease = Engine::upgrade(&self.engine).is_some_and(|e| {
            shoal_engine::consensus::read_mode(e.inner())
                == shoal_engine::consensus::ReadMode::Lease
        });
        if lease
            && self
                .last_ack
                .lock()
                .is_some_and(|t| t.elapsed() < self.lease)
        {
            return done(true);
        }
        let mut q = self.queue.lock();
        q.0.push(done);
        if q.1 {
            return;
        }
        q.1 = true;
        let me = self.clone();
        self.rt.spawn(async move { me.rounds().await });
    }

    /// Confirms leadership for everything queued, round after round, until nothing waits.
    async fn rounds(&self) {
        loop {
            let batch = {
                let mut q = self.queue.lock();
                if q.0.is_empty() {
                    q.1 = false;
                    return;
                }
                std::mem::take(&mut q.0)
            };
            let ok = match self.raft.ensure_linearizable().await {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!("raft: reads could not be confirmed: {e}");
                    false
                }
            };
            for done in batch {
                done(ok);
            }
        }
    }
}

fn install_confirm(raft: &Raft, engine: &Engine, election_ms: u64) -> Arc<Confirmer> {
    let confirmer = Arc::new(Confirmer {
        raft: raft.clone(),
        engine: engine.downgrade(),
        lease: Duration::from_millis(election_ms * 3 / 4),
        last_ack: parking_lot::Mutex::new(None),
        queue: parking_lot::Mutex::new((Vec::new(), false)),
        rt: tokio::runtime::Handle::current(),
    });
    let c = confirmer.clone();
    engine
        .inner()
        .consensus
        .set_confirm(Arc::new(move |done| c.confirm(done)));
    confirmer
}
