//! Membership of a consensus (Raft) group, as the engine sees it.
//!
//! The group orders the replication stream: the leader executes commands as a primary does,
//! and the bytes its stream gains are appended to the group's log; followers apply committed
//! log entries as a replica applies its primary's stream. The engine knows three things: that
//! it is a member, whether it may execute writes now (the leader, once caught up), and how far
//! its stream is committed. A client is answered once the stream holding its writes is
//! committed; if leadership is lost first, it learns that its writes' fate is unknown.

use crate::command::{flags, CommandSpec};
use crate::engine::Inner;
use parking_lot::Mutex;
use shoal_resp::Frame;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};

/// Called once the writes it waits for are committed (`true`) or may be lost (`false`).
pub type Settled = Box<dyn FnOnce(bool) + Send>;

/// What a follower does with a write (and, outside local reads, a read of keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowerWrites {
    /// Runs it on the leader and answers the leader's reply.
    Forward,
    /// `-READONLY`, as a Redis replica answers.
    Readonly,
    /// `-MOVED <slot> <leader>`, which cluster-aware clients follow.
    Moved,
}

/// The engine's view of its group.
#[derive(Default)]
pub struct Consensus {
    member: AtomicBool,
    writable: AtomicBool,
    committed: AtomicU64,
    waiters: Mutex<Vec<(u64, Settled)>>,
    leader: Mutex<Option<String>>,
    confirm: Mutex<Option<Confirm>>,
    /// The effects count when this member last stopped leading.
    stepped_down_at: AtomicU64,
    /// The leader is handing its leadership to another member.
    handover: AtomicBool,
    /// The group's side of operator commands and forwarding.
    pub(crate) control: Mutex<Option<std::sync::Arc<dyn crate::consensus_admin::GroupControl>>>,
}

impl Consensus {
    /// Makes this engine a member: its stream is kept from now on (it feeds the log), and
    /// until told it leads, it behaves as a follower.
    pub fn join(&self, inner: &Inner) {
        inner.effects.stream.ensure(false);
        inner.effects.keep_active();
        self.committed.store(inner.effects.stream.end(), SeqCst);
        self.member.store(true, SeqCst);
    }

    /// True once this engine belongs to a group.
    pub fn is_member(&self) -> bool {
        self.member.load(Relaxed)
    }

    /// True while this member leads and has applied every entry of earlier terms: it
    /// executes writes.
    pub fn is_writable(&self) -> bool {
        self.writable.load(Relaxed)
    }

    /// A member that is not the writable leader: it keeps expired keys for the leader's
    /// DEL, and refuses (or forwards) writes.
    pub fn is_follower(&self) -> bool {
        self.is_member() && !self.is_writable()
    }

    /// Starts or stops executing writes. Stopping fails every client still waiting for a
    /// commit: its writes may not survive.
    pub fn set_writable(&self, writable: bool) {
        self.writable.store(writable, SeqCst);
        if !writable {
            let waiting = std::mem::take(&mut *self.waiters.lock());
            for (_, done) in waiting {
                done(false);
            }
        }
    }

    /// The stream offset up to which the group has committed (and this member applied).
    pub fn committed(&self) -> u64 {
        self.committed.load(SeqCst)
    }

    /// Records that the stream is committed up to `offset`, answering the clients waiting
    /// for it.
    pub fn set_committed(&self, offset: u64) {
        self.committed.fetch_max(offset, SeqCst);
        let ready: Vec<Settled> = {
            let mut waiters = self.waiters.lock();
            if waiters.is_empty() {
                return;
            }
            let mut ready = Vec::new();
            let mut i = 0;
            while i < waiters.len() {
                if waiters[i].0 <= offset {
                    ready.push(waiters.swap_remove(i).1);
                } else {
                    i += 1;
                }
            }
            ready
        };
        for done in ready {
            done(true);
        }
    }

    /// Sets the committed offset (a rebuild or an installed snapshot moved the stream).
    pub fn reset_committed(&self, offset: u64) {
        self.committed.store(offset, SeqCst);
    }

    /// Calls `done` once the stream is committed up to `offset`, and returns true; returns
    /// false (without calling it) when there is nothing to wait for.
    pub fn when_committed(&self, offset: u64, done: Settled) -> bool {
        if !self.is_member() || self.committed() >= offset {
            return false;
        }
        if !self.is_writable() {
            done(false);
            return true;
        }
        self.waiters.lock().push((offset, done));
        // Committed, or leadership lost, between the check and the push.
        if self.committed() >= offset {
            self.set_committed(offset);
        } else if !self.is_writable() {
            self.set_writable(false);
        }
        true
    }

    /// Notes the client address (`host:port`) of the current leader, for redirections.
    pub fn set_leader(&self, addr: Option<String>) {
        *self.leader.lock() = addr;
    }

    /// Installs how the leader confirms it still leads before answering reads.
    pub fn set_confirm(&self, confirm: Confirm) {
        *self.confirm.lock() = Some(confirm);
    }

    /// The client address of the current leader, if known.
    pub fn leader(&self) -> Option<String> {
        self.leader.lock().clone()
    }

    /// True while this leader hands its leadership to another member: commands that
    /// would need it to lead wait (see [`Inner::set_handover`]).
    pub fn is_handing_over(&self) -> bool {
        self.handover.load(SeqCst)
    }
}

/// Asks the group whether this member still leads (a ReadIndex round, or a valid lease),
/// answering through the callback.
pub type Confirm = std::sync::Arc<dyn Fn(Settled) + Send + Sync>;

/// How reads are served in a group (`raft-read-mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// The leader confirms it still leads with a quorum before answering; followers send
    /// reads to it.
    Linearizable,
    /// The leader answers while its lease (a quorum heard from within the election
    /// timeout) holds; followers send reads to it.
    Lease,
    /// Every member answers from its own copy: fastest, possibly stale.
    Local,
}

/// The read mode from `raft-read-mode`.
pub fn read_mode(inner: &Inner) -> ReadMode {
    match inner.config.get("raft-read-mode").as_deref() {
        Some("lease") => ReadMode::Lease,
        Some("local") => ReadMode::Local,
        _ => ReadMode::Linearizable,
    }
}

impl Inner {
    /// Starts or ends a leadership transfer on the leader. Meanwhile commands that write,
    /// and (outside `raft-read-mode local`) commands that read data, wait as under a
    /// FAILOVER pause, and keys past their deadline stay: the log stops growing, so the
    /// new leader can be given all of it. When the pause ends, the waiting commands run,
    /// or are forwarded to the new leader.
    pub fn set_handover(&self, on: bool) {
        self.consensus.handover.store(on, SeqCst);
        self.repl.set_paused(on);
    }

    /// Leads (executes writes) or follows (leaves them, and expired keys, to the leader).
    pub fn set_leading(&self, leading: bool) {
        let stream = &self.effects.stream;
        if !leading && self.consensus.is_writable() {
            // Batches that wrote before this point may have lost their writes.
            // A step of its own in the effects count: every batch begun before this point
            // holds a smaller mark, even one that emitted nothing (a read).
            let at = self.effects.sent.fetch_add(1, SeqCst) + 1;
            self.consensus.stepped_down_at.store(at, SeqCst);
        }
        if leading {
            // Raw bytes from other leaders may have changed the database: select again.
            stream.forget_db();
            stream.ensure(true);
            // A follower with no other listener stopped emitting effects at all.
            self.effects.keep_active();
        } else {
            // A follower's stream grows only by what it applies.
            stream.stop_feeding();
        }
        self.consensus.set_writable(leading);
        self.repl
            .set_follower(self.consensus.is_member() && !leading);
    }
}

impl crate::engine::Engine {
    /// Whether [`Engine::when_settled`](crate::engine::Engine::when_settled) may have
    /// anything to wait for: cheap enough to ask after every batch, so batches of a server
    /// that is neither in a group nor on `appendfsync always` allocate nothing.
    pub fn may_wait_settled(&self, mark: u64) -> bool {
        self.inner().consensus.is_member() || self.must_wait_durable(mark)
    }

    /// Like [`Engine::when_durable`](crate::engine::Engine::when_durable), for a member of
    /// a group as well: `done(true)` once the writes of the batch begun at `mark` are
    /// committed by the group (and, with `appendfsync always`, on disk), and, outside
    /// `raft-read-mode local`, once a batch that only read is confirmed to come from the
    /// leader. `done(false)` when leadership was lost first: the writes may be gone.
    /// `read` says whether the batch read data ([`SessionState::take_read_data`]): one
    /// that neither read nor wrote (PING, HELLO, CLIENT ...) has nothing to wait for.
    /// Returns false without calling `done` when there is nothing to wait for.
    ///
    /// [`SessionState::take_read_data`]: crate::session::SessionState::take_read_data
    pub fn when_settled(&self, mark: u64, read: bool, done: Settled) -> bool {
        let inner = self.inner();
        let c = &inner.consensus;
        if !c.is_member() {
            return self.when_durable(mark, move || done(true));
        }
        let wrote = inner.effects.sent() != mark;
        if !wrote && !read {
            return false;
        }
        if !c.is_writable() {
            // A follower's own stream holds only committed entries: nothing to wait for,
            // unless this member stopped leading while the batch ran: then its writes may
            // be lost and its reads may be stale (run as leader, never confirmed). A batch
            // that touched no data (`read` covers writes too) has nothing to lose: RAFT
            // TRANSFER-LEADER answers after the step-down it asked for.
            if read && mark < c.stepped_down_at.load(SeqCst) {
                done(false);
                return true;
            }
            return self.when_durable(mark, move || done(true));
        }
        let mode = read_mode(inner);
        let end = inner.effects.stream.end();
        let confirm = if !wrote && mode != ReadMode::Local {
            c.confirm.lock().clone()
        } else {
            None
        };
        let must_commit = end > c.committed() && (wrote || mode != ReadMode::Local);
        if !must_commit && confirm.is_none() && !self.must_wait_durable(mark) {
            return false;
        }
        // The commit, then the disk, then the confirmation.
        let engine = self.clone();
        let after_commit: Settled = Box::new(move |ok| {
            if !ok {
                return done(false);
            }
            let last: Settled = match confirm {
                Some(confirm) => Box::new(move |ok| if ok { confirm(done) } else { done(false) }),
                None => done,
            };
            run_or_wait(|f| engine.when_durable(mark, move || f(true)), last);
        });
        if must_commit {
            run_or_wait(|f| c.when_committed(end, f), after_commit);
        } else {
            after_commit(true);
        }
        true
    }

    /// Blocks the calling thread until [`Engine::when_settled`](crate::engine::Engine::when_settled) would answer; false if the
    /// writes may be lost. For embedded callers.
    pub fn wait_settled(&self, mark: u64, read: bool) -> bool {
        if !self.may_wait_settled(mark) {
            return true;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        if !self.when_settled(
            mark,
            read,
            Box::new(move |ok| {
                let _ = tx.send(ok);
            }),
        ) {
            return true;
        }
        rx.recv().unwrap_or(false)
    }
}

/// Registers `next` through `register`, or runs it at once (with `true`) when `register`
/// says there is nothing to wait for.
fn run_or_wait(register: impl FnOnce(Settled) -> bool, next: Settled) {
    let slot = std::sync::Arc::new(Mutex::new(Some(next)));
    let later = slot.clone();
    let waits = register(Box::new(move |ok| {
        if let Some(next) = later.lock().take() {
            next(ok);
        }
    }));
    if !waits {
        if let Some(next) = slot.lock().take() {
            next(true);
        }
    }
}

/// What a follower does with writes, from `raft-follower-writes`.
pub fn follower_writes(inner: &Inner) -> FollowerWrites {
    match inner.config.get("raft-follower-writes").as_deref() {
        Some("moved") => FollowerWrites::Moved,
        Some("readonly") => FollowerWrites::Readonly,
        _ => FollowerWrites::Forward,
    }
}

/// The first key `runs` (the spec that runs) names in `args`, if it takes keys.
pub(crate) fn first_key<'a>(runs: &CommandSpec, args: &'a [bytes::Bytes]) -> Option<&'a [u8]> {
    (runs.first_key > 0)
        .then(|| args.get(runs.first_key as usize))
        .flatten()
        .map(|k| &k[..])
}

/// Whether running `spec` (the subcommand's, for a container) reads or may read the data:
/// it has keys, reads or writes, runs scripts, or is EXEC (whose queued commands may).
/// Batches of commands that do not (PING, HELLO, CLIENT, SELECT) need no confirmation
/// that this member still leads.
pub(crate) fn reads_data(spec: &CommandSpec) -> bool {
    spec.first_key > 0
        || spec.has(flags::READONLY | flags::WRITE | flags::MAY_REPLICATE)
        || spec.name == "exec"
}

/// Whether `spec` must run on the leader: it writes, or may write (scripts, functions,
/// PUBLISH, which reaches every member through the log).
pub fn runs_on_leader(spec: &CommandSpec) -> bool {
    spec.has(flags::WRITE) || spec.has(flags::MAY_REPLICATE)
}

/// What a follower does instead of running a command itself.
pub(crate) enum Refusal {
    /// Answers this error.
    Error(Frame),
    /// Sends the command to the leader and answers its reply; `Frame` is the refusal where
    /// the caller cannot wait.
    Forward(
        std::sync::Arc<dyn crate::consensus_admin::GroupControl>,
        Frame,
    ),
}

/// Whether a follower cannot answer `spec` itself: it must run on the leader, or, outside
/// `raft-read-mode local`, it reads keys this member cannot vouch for.
fn leader_only(inner: &Inner, spec: &CommandSpec, key: Option<&[u8]>) -> bool {
    runs_on_leader(spec) || (key.is_some() && read_mode(inner) != ReadMode::Local)
}

/// A follower's answer to a command it cannot run itself: forwarded to the leader
/// (`raft-follower-writes forward`), or refused with `-MOVED` (which cluster-aware clients
/// follow, as from a Redis Cluster replica) or `-READONLY`. Inside MULTI, forwarding waits
/// for EXEC, which carries the whole transaction. A command that was itself forwarded here
/// (`RAFT NOFORWARD` on its connection) is never forwarded again: it gets `-MOVED`.
pub(crate) fn refusal(
    inner: &Inner,
    spec: &CommandSpec,
    key: Option<&[u8]>,
    session: &crate::session::SessionState,
) -> Option<Refusal> {
    let c = &inner.consensus;
    if !c.is_follower() {
        return None;
    }
    let in_multi = session.multi.is_some();
    let mode = match follower_writes(inner) {
        FollowerWrites::Forward if session.no_forward => FollowerWrites::Moved,
        mode => mode,
    };
    if mode == FollowerWrites::Forward && spec.name == "watch" {
        return Some(Refusal::Error(Frame::error(
            "ERR WATCH needs the group's leader: connect to it, or use a script",
        )));
    }
    if !leader_only(inner, spec, key) {
        return None;
    }
    let Some(leader) = c.leader() else {
        return Some(Refusal::Error(Frame::error(
            "CLUSTERDOWN No leader elected in the Raft group",
        )));
    };
    let writes = runs_on_leader(spec);
    let refused = if !writes || mode != FollowerWrites::Readonly {
        let slot = key.map_or(0, crate::keyspace::slot::key_slot);
        Frame::error(format!("MOVED {slot} {leader}"))
    } else {
        Frame::error("READONLY You can't write against a read only replica.")
    };
    match (mode, c.control()) {
        (FollowerWrites::Forward, _) if in_multi => None,
        (FollowerWrites::Forward, Some(control)) => Some(Refusal::Forward(control, refused)),
        _ => Some(Refusal::Error(refused)),
    }
}

/// Whether EXEC on a follower must carry its transaction to the leader: it forwards, and a
/// queued command could not run here.
pub(crate) fn forwards_transaction(inner: &Inner, queue: &[Vec<bytes::Bytes>]) -> bool {
    if !inner.consensus.is_follower() || follower_writes(inner) != FollowerWrites::Forward {
        return false;
    }
    queue.iter().any(|args| {
        args.first()
            .and_then(|n| inner.table.get(n))
            .is_some_and(|spec| {
                let runs = crate::exec::dispatch::target(spec, args);
                leader_only(inner, runs, first_key(runs, args))
            })
    })
}

/// The configuration parameters of group membership the engine reads.
pub(crate) const CONFIG_PARAMS: &[crate::config::Param] = {
    use crate::config::{fixed, int, param, Kind};
    &[
        param(
            "raft-follower-writes",
            Kind::Enum(&["forward", "readonly", "moved"]),
            "forward",
        ),
        // Outgoing Raft, forwarding and replication connections leave from this address.
        param("bind-source-addr", Kind::Str, ""),
        fixed(int("raft-node-id", 0, i64::MAX, "0")),
        fixed(param("raft-listen", Kind::Str, "")),
        fixed(param("raft-peers", Kind::Str, "")),
        fixed(param("raft-dir", Kind::Str, "")),
        fixed(param("raft-announce-client", Kind::Str, "")),
        fixed(param("raft-join", Kind::Str, "")),
        fixed(int("raft-heartbeat-ms", 10, 60_000, "250")),
        fixed(int("raft-election-timeout-ms", 50, 600_000, "1500")),
        param(
            "raft-read-mode",
            Kind::Enum(&["linearizable", "lease", "local"]),
            "linearizable",
        ),
    ]
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn waiters_are_answered_in_offset_order_of_commit() {
        let c = Consensus::default();
        c.member.store(true, SeqCst);
        c.set_writable(true);
        let seen = Arc::new(Mutex::new(Vec::new()));
        for at in [30u64, 10, 20] {
            let s = seen.clone();
            assert!(c.when_committed(at, Box::new(move |ok| s.lock().push((at, ok)))));
        }
        c.set_committed(20);
        let mut got = seen.lock().clone();
        got.sort();
        assert_eq!(got, vec![(10, true), (20, true)]);
        assert!(!c.when_committed(15, Box::new(|_| {})), "already committed");
        c.set_writable(false);
        assert_eq!(seen.lock().len(), 3);
        assert!(
            seen.lock().contains(&(30, false)),
            "lost leadership fails it"
        );
    }

    #[test]
    fn a_follower_that_becomes_leader_feeds_its_stream() {
        // Regression: a follower without listeners stopped emitting effects, and kept not
        // emitting once it led, so its writes were acknowledged and never replicated.
        let mut h = crate::testing::Harness::new();
        let engine = h.engine.clone();
        let inner = engine.inner();
        inner.consensus.join(inner);
        inner.set_leading(false);
        let mut applier = engine.applier_session();
        let set = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";
        let end = engine.stream_end() + set.len() as u64;
        engine
            .apply_stream(&mut applier, set, || inner.consensus.set_committed(end))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(engine.stream_end(), end);
        assert_eq!(
            h.run(&["SET", "b", "2"]),
            crate::testing::err("CLUSTERDOWN No leader elected in the Raft group")
        );
        inner.consensus.set_leader(Some("127.0.0.1:7000".into()));
        h.run(&["CONFIG", "SET", "raft-follower-writes", "readonly"]);
        assert_eq!(
            h.run(&["SET", "b", "2"]),
            crate::testing::err("READONLY You can't write against a read only replica.")
        );
        inner.set_leading(true);
        assert_eq!(h.run(&["SET", "b", "2"]), crate::testing::ok());
        assert!(
            engine.stream_end() > end,
            "the leader's write is in its stream"
        );
    }

    #[test]
    fn a_batch_that_ran_while_leading_fails_once_leadership_is_lost() {
        // Regression: a read run by a leader that then stepped down was answered as a
        // follower's (no confirmation), so it could return a value the group had replaced.
        let mut h = crate::testing::Harness::new();
        let engine = h.engine.clone();
        let inner = engine.inner();
        inner.consensus.join(inner);
        inner.set_leading(true);
        let mark = engine.write_mark();
        h.run(&["GET", "k"]);
        inner.set_leading(false);
        assert!(!engine.wait_settled(mark, true), "its read may be stale");
        let after = engine.write_mark();
        assert!(
            engine.wait_settled(after, true),
            "a later follower batch is fine"
        );
        // One that touched no data (RAFT TRANSFER-LEADER, answered after the step-down it
        // asked for) loses nothing.
        inner.set_leading(true);
        let mark = engine.write_mark();
        h.run(&["PING"]);
        inner.set_leading(false);
        assert!(engine.wait_settled(mark, false));
    }

    #[test]
    fn only_batches_that_read_data_wait_for_the_leadership_confirmation() {
        let mut h = crate::testing::Harness::new();
        let engine = h.engine.clone();
        let inner = engine.inner();
        inner.consensus.join(inner);
        inner.set_leading(true);
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = asked.clone();
        // A confirmation that never comes: a leader cut off from its quorum.
        inner.consensus.set_confirm(Arc::new(move |_done| {
            count.fetch_add(1, SeqCst);
        }));
        let settles = |h: &mut crate::testing::Harness, line: &[&str]| {
            let mark = h.engine.write_mark();
            h.run(line);
            let read = h.session.state_mut().take_read_data();
            h.engine.when_settled(mark, read, Box::new(|_| {}))
        };
        assert!(!settles(&mut h, &["PING"]), "PING reads nothing");
        assert!(!settles(&mut h, &["CLIENT", "SETNAME", "x"]));
        assert_eq!(asked.load(SeqCst), 0);
        assert!(
            settles(&mut h, &["GET", "k"]),
            "GET waits for the confirmation"
        );
        assert!(settles(&mut h, &["DBSIZE"]), "so does DBSIZE");
        assert_eq!(asked.load(SeqCst), 2);
    }

    #[test]
    fn a_non_member_never_waits() {
        let c = Consensus::default();
        assert!(!c.when_committed(100, Box::new(|_| {})));
        assert!(!c.is_follower());
    }
}
