//! The group's side of the engine's requests: status for RAFT, ROLE and INFO; membership
//! changes; commands carried to the leader.

use crate::forward::Forwarder;
use crate::types::{Member, NodeId, Raft};
use bytes::Bytes;
use openraft::{ChangeMembers, ServerState};
use shoal_engine::consensus_admin::{Done, GroupControl, GroupStatus, MemberInfo};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Installed into the engine while the member runs.
pub(crate) struct Control {
    pub(crate) raft: Raft,
    pub(crate) rt: tokio::runtime::Handle,
    pub(crate) forwarder: Arc<Forwarder>,
    pub(crate) handover: Arc<crate::handover::Handover>,
}

impl GroupControl for Control {
    fn status(&self) -> GroupStatus {
        status(&self.raft)
    }

    fn add(&self, member: MemberInfo, done: Done) {
        let raft = self.raft.clone();
        self.rt.spawn(async move {
            let addrs = Member {
                raft: member.raft,
                client: member.client,
            };
            done(add_member(&raft, member.id, addrs, member.voter).await)
        });
    }

    fn remove(&self, id: u64, done: Done) {
        let raft = self.raft.clone();
        self.rt
            .spawn(async move { done(remove_member(&raft, id).await) });
    }

    fn transfer(&self, id: Option<u64>, done: Done) {
        let handover = self.handover.clone();
        self.rt.spawn(async move { done(handover.run(id).await) });
    }

    fn forward(&self, db: usize, commands: Vec<Vec<Bytes>>, deliver: shoal_engine::Deliver) {
        let forwarder = self.forwarder.clone();
        self.rt
            .spawn(async move { deliver(forwarder.run(db, commands).await) });
    }
}

/// This member's view of the group, from the Raft metrics.
pub(crate) fn status(raft: &Raft) -> GroupStatus {
    let m = raft.metrics().borrow().clone();
    let membership = m.membership_config.membership();
    let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
    let state = match m.state {
        ServerState::Leader => "leader",
        ServerState::Candidate => "candidate",
        ServerState::Shutdown => "shutdown",
        ServerState::Learner => "learner",
        ServerState::Follower if !voters.contains(&m.id) => "learner",
        ServerState::Follower => "follower",
    };
    let matched = |id: &NodeId| {
        m.replication
            .as_ref()
            .and_then(|r| r.get(id))
            .and_then(|l| l.map(|l| l.index))
    };
    let members = membership
        .nodes()
        .map(|(id, n)| MemberInfo {
            id: *id,
            raft: n.raft.clone(),
            client: n.client.clone(),
            voter: voters.contains(id),
            matched: if *id == m.id && m.state == ServerState::Leader {
                m.last_log_index
            } else {
                matched(id)
            },
        })
        .collect();
    GroupStatus {
        id: m.id,
        state,
        term: m.current_term,
        leader: m.current_leader,
        last_log_index: m.last_log_index.unwrap_or(0),
        applied_index: m.last_applied.map_or(0, |l| l.index),
        snapshot_index: m.snapshot.map_or(0, |l| l.index),
        quorum_ack_ms: m
            .millis_since_quorum_ack
            .filter(|_| m.state == ServerState::Leader),
        members,
    }
}

/// Adds a member: it catches up as a learner first, then (as a voter) joins the quorum.
pub(crate) async fn add_member(
    raft: &Raft,
    id: NodeId,
    member: Member,
    voter: bool,
) -> Result<(), String> {
    if id == 0 {
        return Err("node ids start at 1".into());
    }
    let known = raft
        .metrics()
        .borrow()
        .membership_config
        .membership()
        .get_node(&id)
        .cloned();
    match known {
        Some(m) if m != member => {
            return Err(format!(
                "member {id} is already in the group with other addresses ({} {}): remove it first",
                m.raft, m.client
            ))
        }
        Some(_) => {}
        None => {
            raft.add_learner(id, member, true)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    if !voter {
        return Ok(());
    }
    raft.change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([id])), false)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Removes a member (a voter or a learner) from the group.
pub(crate) async fn remove_member(raft: &Raft, id: NodeId) -> Result<(), String> {
    let (is_voter, is_node) = {
        let metrics = raft.metrics();
        let m = metrics.borrow();
        let membership = m.membership_config.membership();
        (
            membership.voter_ids().any(|v| v == id),
            membership.get_node(&id).is_some(),
        )
    };
    let change = match (is_voter, is_node) {
        (true, _) => ChangeMembers::RemoveVoters(BTreeSet::from([id])),
        (false, true) => ChangeMembers::RemoveNodes(BTreeSet::from([id])),
        (false, false) => return Err(format!("{id} is not a member of the group")),
    };
    raft.change_membership(change, false)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// `raft-join`: until this member belongs to a group, asks the member at `at` (any member:
/// a follower carries the request to the leader) to add it, once a second.
pub(crate) async fn join(
    raft: Raft,
    forwarder: Arc<Forwarder>,
    at: String,
    id: NodeId,
    me: Member,
) {
    let add = vec![
        Bytes::from_static(b"RAFT"),
        Bytes::from_static(b"ADD"),
        id.to_string().into(),
        me.raft.clone().into(),
        me.client.clone().into(),
    ];
    loop {
        let member = raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .voter_ids()
            .any(|v| v == id);
        if member {
            return;
        }
        match forwarder
            .run_at(&at, 0, std::slice::from_ref(&add), true)
            .await
        {
            shoal_resp::Frame::Error(e) => {
                tracing::warn!(
                    "raft: joining through {at}: {}",
                    String::from_utf8_lossy(&e)
                );
            }
            _ => {
                tracing::info!("raft: member {id} joined the group through {at}");
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
