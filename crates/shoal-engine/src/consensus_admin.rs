//! What the engine asks of the group it belongs to, beyond ordering the stream: its state
//! for operators (RAFT STATUS, ROLE, INFO), membership changes, and carrying a command to
//! the leader. The group (`shoal-cluster`) installs the implementation when it starts.

use crate::blocking::Deliver;
use bytes::Bytes;

/// Called with the outcome of a membership change: `Err` holds the reason in words.
pub type Done = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A member as the group knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    /// Its node id.
    pub id: u64,
    /// The address members reach it on.
    pub raft: String,
    /// The address clients reach it on (`host:port`).
    pub client: String,
    /// A voter (counts for quorums), or a learner catching up.
    pub voter: bool,
    /// On the leader: the last log index known to be on this member.
    pub matched: Option<u64>,
}

/// One member's view of its group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupStatus {
    /// This member's node id.
    pub id: u64,
    /// `leader`, `follower`, `candidate`, `learner` or `shutdown`.
    pub state: &'static str,
    /// The current term.
    pub term: u64,
    /// The leader's id, when one is known.
    pub leader: Option<u64>,
    /// The index of the last entry in this member's log.
    pub last_log_index: u64,
    /// The index of the last entry applied here.
    pub applied_index: u64,
    /// The last index of this member's snapshot.
    pub snapshot_index: u64,
    /// On the leader: milliseconds since a quorum last acknowledged it.
    pub quorum_ack_ms: Option<u64>,
    /// Every member, voters and learners, by id.
    pub members: Vec<MemberInfo>,
}

impl GroupStatus {
    /// The member with id `id`.
    pub fn member(&self, id: u64) -> Option<&MemberInfo> {
        self.members.iter().find(|m| m.id == id)
    }
}

/// The group's side of the engine's requests.
pub trait GroupControl: Send + Sync {
    /// This member's view of the group.
    fn status(&self) -> GroupStatus;
    /// Adds a member (as a voter once caught up, or as a learner only); on the leader.
    fn add(&self, member: MemberInfo, done: Done);
    /// Removes a member; on the leader.
    fn remove(&self, id: u64, done: Done);
    /// Hands the leadership to voter `id` (None: the voter furthest along the log);
    /// `done` once it leads. On the leader.
    fn transfer(&self, id: Option<u64>, done: Done);
    /// Runs `commands` in database `db` on the leader, in order on one connection,
    /// delivering the last one's reply (or an error reply when the leader cannot be
    /// reached, or the connection broke before the reply: its outcome is then unknown).
    fn forward(&self, db: usize, commands: Vec<Vec<Bytes>>, deliver: Deliver);
}

impl crate::consensus::Consensus {
    /// Installs the group's side (or removes it, when the member leaves).
    pub fn set_control(&self, control: Option<std::sync::Arc<dyn GroupControl>>) {
        *self.control.lock() = control;
    }

    /// The group's side, while this engine is a member.
    pub fn control(&self) -> Option<std::sync::Arc<dyn GroupControl>> {
        self.control.lock().clone()
    }
}

/// Splits `host:port` (the port 0 when missing or bad).
fn host_port(addr: &str) -> (String, i64) {
    match addr.rsplit_once(':') {
        Some((host, port)) => (
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port.parse().unwrap_or(0),
        ),
        None => (addr.to_string(), 0),
    }
}

/// ROLE for a member: the leader answers as a primary listing the other members (their
/// offsets are the log indexes they hold); a follower as a replica of the leader.
pub(crate) fn role_reply(inner: &crate::engine::Inner) -> Option<shoal_resp::Frame> {
    use shoal_resp::Frame;
    let status = inner.consensus.control()?.status();
    let end = inner.effects.stream.end() as i64;
    if inner.consensus.is_writable() {
        let others = status
            .members
            .iter()
            .filter(|m| m.id != status.id)
            .map(|m| {
                let (host, port) = host_port(&m.client);
                Frame::Array(vec![
                    Frame::bulk(host),
                    Frame::bulk(port.to_string()),
                    Frame::bulk(m.matched.unwrap_or(0).to_string()),
                ])
            })
            .collect();
        return Some(Frame::Array(vec![
            Frame::bulk("master"),
            Frame::Integer(end),
            Frame::Array(others),
        ]));
    }
    let leader = status.leader.and_then(|id| status.member(id));
    let (host, port) = leader.map_or((String::new(), -1), |m| host_port(&m.client));
    let state = if leader.is_some() {
        "connected"
    } else {
        "connect"
    };
    Some(Frame::Array(vec![
        Frame::bulk("slave"),
        Frame::bulk(host),
        Frame::Integer(port),
        Frame::bulk(state),
        Frame::Integer(if leader.is_some() { end } else { -1 }),
    ]))
}

/// INFO replication for a member: the role lines, then the group's state under `raft_`
/// names. False (nothing written) outside a group.
pub(crate) fn info_lines(inner: &crate::engine::Inner, out: &mut String) -> bool {
    use std::fmt::Write as _;
    let Some(group) = inner.consensus.control() else {
        return false;
    };
    let st = group.status();
    let mut line = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    let leader = st.leader.and_then(|id| st.member(id));
    if inner.consensus.is_writable() {
        line("role", &"master");
        line("connected_slaves", &st.members.len().saturating_sub(1));
        let others = st.members.iter().filter(|m| m.id != st.id);
        for (i, m) in others.enumerate() {
            let (host, port) = host_port(&m.client);
            let offset = m.matched.unwrap_or(0);
            line(
                &format!("slave{i}"),
                &format!("ip={host},port={port},state=online,offset={offset},lag=0"),
            );
        }
    } else {
        let (host, port) = leader.map_or((String::new(), -1), |m| host_port(&m.client));
        line("role", &"slave");
        line("master_host", &host);
        line("master_port", &port);
        line(
            "master_link_status",
            &if leader.is_some() { "up" } else { "down" },
        );
        line("slave_repl_offset", &inner.effects.stream.end());
        line("slave_read_only", &1);
        line("connected_slaves", &0);
    }
    line("master_repl_offset", &inner.effects.stream.end());
    line("raft_node_id", &st.id);
    line("raft_state", &st.state);
    line("raft_term", &st.term);
    line("raft_leader_id", &st.leader.unwrap_or(0));
    line("raft_applied_index", &st.applied_index);
    true
}
