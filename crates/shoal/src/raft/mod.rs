//! Embedded Raft groups: several instances (in as many processes or machines) hold the
//! same data; writes go through the leader and return once a majority holds them; the
//! application sees who leads and when that changes.

mod leadership;
mod node;

pub use leadership::Leadership;
pub(crate) use node::{enabled, Node};

use crate::{Config, Shoal};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The addresses of a member of a Raft group: where its peers reach it (`raft`) and where
/// Redis clients reach it (`client`).
pub use shoal_cluster::Member as RaftMember;

/// How reads are served in a Raft group (`raft-read-mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadMode {
    /// Each member reads its own copy, with no network hop: a follower may lag the leader
    /// by the time it takes to apply what was committed (a write a follower's handle sent
    /// to the leader included), and a leader that lost its leadership without knowing it
    /// yet may answer with a value the new leader replaced. Writes are committed by a
    /// majority either way. The embedded default: an application embeds the store to read
    /// from memory at memory speed, while in the other modes every read of a key through a
    /// follower's handle makes a round trip to the leader, and the leader's own reads wait
    /// for it to confirm its leadership.
    #[default]
    Local,
    /// The leader answers while a majority acknowledged it recently (within three
    /// quarters of the election timeout), else it first confirms it still leads. A
    /// follower sends reads of keys to the leader (as `raft-follower-writes` says: see
    /// [`Config::raft`]).
    Lease,
    /// The leader confirms with a majority that it still leads before each read (reads
    /// waiting at the same time share one round). A follower sends reads of keys to the
    /// leader (as `raft-follower-writes` says).
    Linearizable,
}

impl ReadMode {
    fn directive(self) -> &'static str {
        match self {
            ReadMode::Local => "local",
            ReadMode::Lease => "lease",
            ReadMode::Linearizable => "linearizable",
        }
    }
}

/// Membership in a Raft group, for [`Config::raft`].
///
/// Addresses are `host:port` with an explicit, non-zero port: the other members must
/// know them before this one starts.
#[derive(Clone, Debug)]
pub struct RaftConfig {
    /// This member's id: non-zero, unique in the group.
    pub id: u64,
    /// Where this member listens for its peers (`raft-listen`).
    pub raft_addr: String,
    /// Where this member serves Redis clients (`raft-announce-client`): the instance
    /// listens there itself, and followers send clients there when this member leads.
    pub client_addr: String,
    /// The other members the group starts with (this one is added from `raft_addr` and
    /// `client_addr`). Used only by a member with no history yet in `dir`.
    pub peers: BTreeMap<u64, RaftMember>,
    /// Where the log and snapshots are kept (`raft-dir`); `None` keeps them in memory, so
    /// the member comes back empty and catches up from the others.
    pub dir: Option<PathBuf>,
    /// How often the leader sends heartbeats (default 250 ms).
    pub heartbeat: Duration,
    /// How long followers wait without hearing from a leader before electing another
    /// (default 1500 ms; each waits a random time between this and twice this).
    pub election_timeout: Duration,
    /// How reads are served (default [`ReadMode::Local`]).
    pub read_mode: ReadMode,
    /// The client address of a running member to ask for admission (`raft-join`): this
    /// member then starts outside any group and joins that one (`peers` is not used).
    pub join: Option<String>,
}

impl RaftConfig {
    /// Member `id`, reached by its peers at `raft_addr` and by clients at `client_addr`,
    /// with the default timeouts and no peers yet (a group of one until [`RaftConfig::peer`]
    /// adds others).
    pub fn new(id: u64, raft_addr: &str, client_addr: &str) -> RaftConfig {
        RaftConfig {
            id,
            raft_addr: raft_addr.to_string(),
            client_addr: client_addr.to_string(),
            peers: BTreeMap::new(),
            dir: None,
            heartbeat: Duration::from_millis(250),
            election_timeout: Duration::from_millis(1500),
            read_mode: ReadMode::default(),
            join: None,
        }
    }

    /// Joins a running group by asking the member serving clients at `client_addr` (any
    /// member: a follower carries the request to the leader) to add this one. Until it is
    /// added, the member belongs to no group.
    pub fn join(mut self, client_addr: &str) -> RaftConfig {
        self.join = Some(client_addr.to_string());
        self
    }

    /// Adds member `id` of the group with its Raft and client addresses.
    pub fn peer(mut self, id: u64, raft_addr: &str, client_addr: &str) -> RaftConfig {
        let member = RaftMember {
            raft: raft_addr.to_string(),
            client: client_addr.to_string(),
        };
        self.peers.insert(id, member);
        self
    }

    /// Keeps the log and snapshots in `path` (created if missing): the member reopens with
    /// its data.
    pub fn dir(mut self, path: impl Into<PathBuf>) -> RaftConfig {
        self.dir = Some(path.into());
        self
    }

    /// Sets the heartbeat period.
    pub fn heartbeat(mut self, period: Duration) -> RaftConfig {
        self.heartbeat = period;
        self
    }

    /// Sets the election timeout (at least three heartbeats).
    pub fn election_timeout(mut self, timeout: Duration) -> RaftConfig {
        self.election_timeout = timeout;
        self
    }

    /// Sets how reads are served.
    pub fn read_mode(mut self, mode: ReadMode) -> RaftConfig {
        self.read_mode = mode;
        self
    }

    /// `raft-peers`: every member, this one included.
    fn peers_directive(&self) -> String {
        let mut all = self.peers.clone();
        all.insert(
            self.id,
            RaftMember {
                raft: self.raft_addr.clone(),
                client: self.client_addr.clone(),
            },
        );
        all.iter()
            .map(|(id, m)| format!("{id}@{},{}", m.raft, m.client))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Config {
    /// Makes the instance a member of a Raft group. [`Shoal::open`] then loads no snapshot
    /// or append-only file (the data comes from the group, and from `dir` when one is
    /// given), joins the group on a small runtime of its own, and serves Redis clients on
    /// the client address. Writes made through the leader's handles return once a
    /// majority holds them. A follower sends them to the leader on its client address
    /// (`raft-follower-writes forward`, the default) and returns its reply; with
    /// `set("raft-follower-writes", "readonly")` (or `"moved"`) it refuses them with
    /// [`crate::Error::Command`] (`READONLY`, or `MOVED <slot> <leader client address>`);
    /// `CLUSTERDOWN` while no leader is known. [`Shoal::is_leader`], [`Shoal::leader`] and
    /// [`Shoal::leadership`] tell who leads.
    ///
    /// The settings become the `raft-*` directives, so `CONFIG GET raft-*` shows them.
    ///
    /// ```no_run
    /// use shoal::{Config, RaftConfig, Shoal};
    /// let me = RaftConfig::new(1, "10.0.0.1:7100", "10.0.0.1:6379")
    ///     .peer(2, "10.0.0.2:7100", "10.0.0.2:6379")
    ///     .peer(3, "10.0.0.3:7100", "10.0.0.3:6379")
    ///     .dir("/var/lib/app/raft");
    /// let db = Shoal::open(Config::default().raft(me))?;
    /// for leader in db.leadership() {
    ///     if leader == Some(1) {
    ///         db.set("leader-since", "now")?; // committed by a majority when it returns
    ///         break;
    ///     }
    /// }
    /// # Ok::<(), shoal::Error>(())
    /// ```
    pub fn raft(mut self, raft: RaftConfig) -> Config {
        self.raft = true;
        let mut out = self
            .set("raft-node-id", &raft.id.to_string())
            .set("raft-listen", &raft.raft_addr)
            .set("raft-announce-client", &raft.client_addr)
            .set("raft-heartbeat-ms", &raft.heartbeat.as_millis().to_string())
            .set(
                "raft-election-timeout-ms",
                &raft.election_timeout.as_millis().to_string(),
            )
            .set("raft-read-mode", raft.read_mode.directive());
        if let Some(dir) = &raft.dir {
            out = out.set("raft-dir", &dir.to_string_lossy());
        }
        match &raft.join {
            Some(at) => out.set("raft-join", at),
            None => out.set("raft-peers", &raft.peers_directive()),
        }
    }
}

impl Shoal {
    /// True while this member leads its Raft group and executes writes (it has caught
    /// up with every earlier leader's entries). False outside a group.
    pub fn is_leader(&self) -> bool {
        self.raft.as_ref().is_some_and(|n| n.is_leader())
    }

    /// The id of the group's current leader, as this member knows it (None during an
    /// election, after [`Shoal::close`], and outside a group).
    pub fn leader(&self) -> Option<u64> {
        self.raft.as_ref().and_then(|n| n.leader())
    }

    /// The changes of leader as this member sees them, starting with the current one.
    /// The stream ends when the member leaves the group ([`Shoal::close`]); outside a
    /// group, and once closed, it holds one `None`.
    pub fn leadership(&self) -> Leadership {
        match &self.raft {
            Some(n) => n.leadership(),
            None => Leadership::none(),
        }
    }

    /// Hands the group's leadership to member `to` (None: the voter furthest along the
    /// log) and returns once it leads; callable on any member (a follower asks the
    /// leader). Writes wait meanwhile: in a group of three for about a round trip, in a
    /// larger one until the other voters' leases from the old leader run out (up to twice
    /// the election timeout). Before a leader's planned shutdown this spares the group an
    /// election.
    pub fn transfer_leadership(&self, to: Option<u64>) -> crate::Result<()> {
        let mut args = vec!["RAFT".to_string(), "TRANSFER-LEADER".to_string()];
        args.extend(to.map(|id| id.to_string()));
        self.execute(&args).map(drop)
    }

    /// Every member of the group (voters and learners) as `(id, raft address, client
    /// address)`, ordered by id. Empty outside a group and after [`Shoal::close`].
    pub fn raft_members(&self) -> Vec<(u64, String, String)> {
        self.raft.as_ref().map(|n| n.members()).unwrap_or_default()
    }
}
