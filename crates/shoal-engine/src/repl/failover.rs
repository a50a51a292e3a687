//! FAILOVER: a coordinated hand-over from this primary to one of its replicas, as Redis
//! 6.2+ does it. Writes pause; once the target acknowledged everything (or the timeout
//! passed, with FORCE), this server becomes a replica of the target and asks it, with
//! `PSYNC <id> <offset> FAILOVER`, to take over; the pause ends when the target accepted.

use super::Repl;
use crate::engine::Inner;
use parking_lot::Mutex;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

/// Where a failover stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    WaitingForSync,
    InProgress,
}

/// A failover under way.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) phase: Phase,
    /// The replica to hand over to (any in sync when not given).
    pub(crate) target: Option<(String, u16)>,
    /// When waiting for sync gives up (engine ms; 0: never).
    pub(crate) deadline_ms: u64,
    pub(crate) force: bool,
}

/// The failover state.
#[derive(Default)]
pub(crate) struct Failover {
    run: Mutex<Option<Run>>,
}

impl Failover {
    pub(crate) fn phase(&self) -> Option<Phase> {
        self.run.lock().as_ref().map(|r| r.phase)
    }
}

impl Repl {
    /// INFO's `master_failover_state`.
    pub(crate) fn failover_state(&self) -> &'static str {
        match self.failover.phase() {
            None => "no-failover",
            Some(Phase::WaitingForSync) => "waiting-for-sync",
            Some(Phase::InProgress) => "failover-in-progress",
        }
    }

    /// Whether writes wait (a failover, or a Raft leadership transfer, is under way).
    pub fn writes_paused(&self) -> bool {
        self.paused.load(SeqCst)
    }

    /// Resolves once writes may run again.
    pub fn unpaused(&self) -> impl std::future::Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            if !self.writes_paused() {
                return Poll::Ready(());
            }
            self.unpause_wakers.lock().push(cx.waker().clone());
            if self.writes_paused() {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
    }

    pub(crate) fn set_paused(&self, on: bool) {
        self.paused.store(on, SeqCst);
        if !on {
            let mut wakers = self.unpause_wakers.lock();
            for w in std::mem::take(&mut *wakers) {
                w.wake();
            }
            self.unpaused_cv.notify_all();
        }
    }

    /// Blocks the calling thread until writes may run again (an embedded caller).
    pub fn wait_unpaused(&self) {
        let mut wakers = self.unpause_wakers.lock();
        while self.writes_paused() {
            self.unpaused_cv.wait(&mut wakers);
        }
    }

    /// Starts a failover (the command's checks passed).
    pub(crate) fn start_failover(&self, run: Run) {
        *self.failover.run.lock() = Some(run);
        self.set_paused(true);
    }

    /// FAILOVER ABORT, a timeout, or a target that refused: back to serving as a primary.
    pub(crate) fn abort_failover(&self, inner: &Inner, why: &str) -> bool {
        let Some(run) = self.failover.run.lock().take() else {
            return false;
        };
        tracing::warn!("FAILOVER aborted: {why}");
        if run.phase == Phase::InProgress {
            self.promote(inner);
        }
        self.set_paused(false);
        true
    }

    /// The target accepted this server as its replica: the failover is complete.
    pub fn failover_done(&self) {
        if self.failover.run.lock().take().is_some() {
            tracing::info!("FAILOVER completed");
            self.set_paused(false);
        }
    }

    /// Whether this server's next PSYNC asks its primary to take over.
    pub fn failover_in_progress(&self) -> bool {
        self.failover.phase() == Some(Phase::InProgress)
    }

    /// A failover whose link to the target failed is abandoned.
    pub fn failover_link_failed(&self, inner: &Inner) {
        if self.failover_in_progress() {
            self.abort_failover(inner, "the target could not be reached or refused");
        }
    }

    /// From the cron: hands over once the target caught up, or gives up at the deadline.
    pub(crate) fn failover_cron(&self, inner: &Inner, now: u64) {
        let Some(run) = self.failover.run.lock().clone() else {
            return;
        };
        if run.phase != Phase::WaitingForSync {
            return;
        }
        let end = inner.effects.stream.end();
        let replicas = self.replicas();
        let target = replicas.iter().find(|r| match &run.target {
            Some((host, port)) => r.ip == *host && r.port == *port,
            None => r.state == "online" && r.ack >= end,
        });
        let synced = target.is_some_and(|r| r.state == "online" && r.ack >= end);
        let late = run.deadline_ms != 0 && now >= run.deadline_ms;
        let proceed = synced || (late && run.force);
        if !proceed {
            if late {
                self.abort_failover(inner, "the replica did not sync in time");
            } else if target.is_none() && run.target.is_none() && replicas.is_empty() {
                self.abort_failover(inner, "no replica left");
            }
            return;
        }
        let Some((host, port)) = target
            .map(|r| (r.ip.clone(), r.port))
            .or(run.target.clone())
        else {
            return;
        };
        // Between commands, as REPLICAOF runs.
        let Ok(_alone) = inner.gate.exclusive() else {
            return;
        };
        tracing::info!("FAILOVER to {host}:{port}: handing over");
        if let Some(r) = self.failover.run.lock().as_mut() {
            r.phase = Phase::InProgress;
        }
        self.follow(inner, host, port);
    }
}
