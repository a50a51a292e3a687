//! Leadership transfer (`RAFT TRANSFER-LEADER`).
//!
//! openraft 0.9 has no transfer of its own, and a voter refuses to vote while its lease
//! from the leader (the longest election timeout) runs. What it does allow: the leader's
//! own lease dates from its election, so a leader that has led longer than that votes for a
//! member whose log is at least as long as its own. The transfer therefore:
//!
//! 1. waits, if it was elected moments ago, until its own lease has run out;
//! 2. pauses commands that need the leader here (writes, and reads outside `local` mode:
//!    they run, or go to the new leader, once it ends), so the log stops growing;
//! 3. waits until what already ran is committed and the target holds the whole log;
//! 4. asks the target to stand for election. This leader votes for it and stops leading:
//!    in a group of three those two votes elect it at once. In a larger group the other
//!    voters' leases must run out first (no more heartbeats come), and the target stands
//!    again then; this member does not stand meanwhile.
//!
//! The reply comes once the target leads, or says who does instead.

use crate::types::{NodeId, Raft};
use openraft::ServerState;
use parking_lot::Mutex;
use shoal_engine::{Engine, Inner};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Weak;
use std::time::{Duration, Instant};

/// How often conditions are looked at while waiting for them.
const POLL: Duration = Duration::from_millis(2);
/// How long the log must stay whole on the target before it is asked to stand.
const QUIET: Duration = Duration::from_millis(10);

/// One member's side of leadership transfers.
pub(crate) struct Handover {
    pub(crate) raft: Raft,
    pub(crate) engine: Weak<Inner>,
    pub(crate) heartbeat: Duration,
    /// openraft's longest election timeout: how long a voter's lease from its leader lasts.
    pub(crate) lease: Duration,
    /// When this member last began to lead (its vote dates from just before).
    pub(crate) led_since: Mutex<Option<Instant>>,
    busy: AtomicBool,
}

/// Ends a transfer however it ends: the pause lifts, and this member may stand again.
struct Ending<'a> {
    handover: &'a Handover,
    engine: Engine,
}

impl Drop for Ending<'_> {
    fn drop(&mut self) {
        self.engine.inner().set_handover(false);
        self.handover.raft.runtime_config().elect(true);
        self.handover.busy.store(false, SeqCst);
    }
}

/// Polls `ready` until it holds (true) or `deadline` passes (false).
async fn until(deadline: Instant, mut ready: impl FnMut() -> bool) -> bool {
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Handover {
    pub(crate) fn new(
        raft: Raft,
        engine: Weak<Inner>,
        heartbeat: Duration,
        lease: Duration,
    ) -> Self {
        Handover {
            raft,
            engine,
            heartbeat,
            lease,
            led_since: Mutex::new(None),
            busy: AtomicBool::new(false),
        }
    }

    /// Hands the leadership to voter `target` (None: the voter furthest along the log).
    pub(crate) async fn run(&self, target: Option<NodeId>) -> Result<(), String> {
        let engine = Engine::upgrade(&self.engine).ok_or("the server is shutting down")?;
        let m = self.raft.metrics().borrow().clone();
        let me = m.id;
        if m.state != ServerState::Leader || !engine.inner().consensus.is_writable() {
            return Err("this member does not lead the group".into());
        }
        let membership = m.membership_config.membership().clone();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        let matched = |m: &openraft::RaftMetrics<NodeId, crate::Member>, id: NodeId| {
            m.replication
                .as_ref()
                .and_then(|r| r.get(&id).cloned().flatten())
                .map(|l| l.index)
        };
        let target = match target {
            Some(id) if id == me => return Ok(()),
            Some(id) if !voters.contains(&id) => {
                return Err(format!("member {id} is not a voter of the group"))
            }
            Some(id) => id,
            None => voters
                .iter()
                .copied()
                .filter(|&v| v != me)
                .max_by_key(|&v| matched(&m, v))
                .ok_or("the group has no other voter")?,
        };
        let Some(node) = membership.get_node(&target).cloned() else {
            return Err(format!("member {target} is not a voter of the group"));
        };
        if self.busy.swap(true, SeqCst) {
            return Err("a leadership transfer is already under way".into());
        }
        let ending = Ending {
            handover: self,
            engine: engine.clone(),
        };
        // This member's own lease must have run out, or it would refuse its vote too
        // (only a leader elected moments ago waits here, still serving meanwhile).
        let since = self.led_since.lock().unwrap_or_else(Instant::now);
        tokio::time::sleep_until((since + self.lease + self.heartbeat).into()).await;

        engine.inner().set_handover(true);
        let leads = || {
            let m = self.raft.metrics().borrow().clone();
            m.state == ServerState::Leader && m.current_leader == Some(me)
        };
        // What ran before the pause is committed, and the target holds the whole log
        // (the voters' log check would refuse it otherwise), and this holds for a moment:
        // a command that was already past the pause when it began has finished too.
        let consensus = &engine.inner().consensus;
        let settled = || {
            let m = self.raft.metrics().borrow().clone();
            consensus.committed() >= engine.stream_end()
                && m.last_log_index.is_some()
                && matched(&m, target) >= m.last_log_index
        };
        let give_up = Instant::now() + self.lease;
        let mut since_settled = None;
        let quiet = until(give_up, || {
            if !leads() {
                return true;
            }
            match (settled(), since_settled) {
                (false, _) => since_settled = None,
                (true, None) => since_settled = Some(Instant::now()),
                (true, Some(t)) => return t.elapsed() >= QUIET,
            }
            false
        })
        .await;
        if !leads() {
            return Err("the transfer was abandoned: this member stopped leading".into());
        }
        if !quiet {
            return Err(format!(
                "the transfer was abandoned: member {target} did not catch up with the log in time"
            ));
        }

        self.raft.runtime_config().elect(false);
        let asked = crate::net::ask_to_elect(
            &node.raft,
            &self.engine,
            self.lease + self.heartbeat,
            self.heartbeat * 4,
        )
        .await;
        match asked {
            Ok(true) => {}
            Ok(false) => return Err(format!("member {target} cannot stand for election")),
            Err(e) => return Err(format!("member {target} could not be reached: {e}")),
        }

        // The outcome: another member leads, and this one has taken note.
        let settle = Instant::now() + self.lease * 2 + self.heartbeat * 4 + Duration::from_secs(1);
        let elected = || {
            let m = self.raft.metrics().borrow().clone();
            let leader = m.current_leader.filter(|&l| l != me)?;
            let addr = m
                .membership_config
                .membership()
                .get_node(&leader)?
                .client
                .clone();
            (!consensus.is_writable() && consensus.leader().as_deref() == Some(addr.as_str()))
                .then_some(leader)
        };
        let mut winner = None;
        until(settle, || {
            winner = elected();
            winner.is_some()
        })
        .await;
        drop(ending);
        match winner {
            Some(l) if l == target => {
                tracing::info!("raft: member {me} handed the leadership to member {target}");
                Ok(())
            }
            Some(l) => Err(format!("member {l} was elected instead of member {target}")),
            None if leads() => Err(format!(
                "member {target} did not take the leadership in time; member {me} still leads"
            )),
            None => Err("no leader was elected in time".into()),
        }
    }
}
