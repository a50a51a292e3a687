//! Linearizability checking for a small key-value model.
//!
//! Clients record what they did in a [`History`]: each operation is invoked
//! ([`History::invoke`]) before its request is sent and completed once its outcome is known
//! ([`PendingOp::ok`], [`PendingOp::fail`] or [`PendingOp::unknown`]). [`check`] then decides
//! whether some total order of the operations explains every observed result while respecting
//! real time (an operation that completed before another was invoked comes first).
//!
//! The model is a map from keys to string values with four operations: [`Op::Read`] (`GET`),
//! [`Op::Write`] (`SET`), [`Op::Incr`] (`INCR`, a missing key counts as 0, a value that is not
//! an integer makes it fail) and [`Op::Cas`] (compare-and-set, typically a Lua script).
//!
//! Each key is checked on its own (operations on different keys never constrain each other,
//! so a history is linearizable exactly when each key's sub-history is), by two searches
//! taking turns until one decides:
//! - Wing and Gong's depth-first search with Lowe's memoisation of (linearized set, state)
//!   pairs, as in Porcupine; it usually finds an order in a few steps per operation;
//! - Lowe's just-in-time sweep forward in time, keeping every configuration the operations so
//!   far can leave; it often refutes long histories with unknown outcomes much faster.
//!
//! An operation with an unknown outcome (a timeout, a dropped connection) may have taken effect
//! at any moment after its invocation, or never; it never constrains the operations after it.
//! Such operations are what makes checking expensive: each one stays a candidate until the
//! end of the history. Unknown writes of a value nothing observes are left out (they cannot
//! change the verdict), and identical unknown operations are interchangeable, so a test that
//! writes a distinct value each time checks quickly even with hundreds of timeouts per key;
//! failed compare-and-sets and values shared by many writes make it harder, and a search that
//! runs past [`Limits`] returns [`CheckError::Inconclusive`] instead of running on.

mod decide;
mod frontier;
mod memo;
mod model;
mod report;
mod search;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use report::{Inconclusive, Violation};

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One operation of the model, on a single key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `GET key`; completes with [`Ret::Read`].
    Read(String),
    /// `SET key value`; completes with [`Ret::Write`].
    Write(String, String),
    /// `INCR key`; completes with [`Ret::Incr`] holding the new value.
    Incr(String),
    /// Compare-and-set `(key, expected, new)`: if the key's value equals `expected` (`None`:
    /// the key is missing) it becomes `new`; completes with [`Ret::Cas`] telling whether it did.
    Cas(String, Option<String>, String),
}

impl Op {
    /// The key the operation works on.
    pub fn key(&self) -> &str {
        match self {
            Op::Read(k) | Op::Write(k, _) | Op::Incr(k) | Op::Cas(k, _, _) => k,
        }
    }
}

/// The result of an operation that completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ret {
    /// The value a [`Op::Read`] saw (`None`: the key was missing).
    Read(Option<String>),
    /// A [`Op::Write`] was acknowledged.
    Write,
    /// The value an [`Op::Incr`] produced.
    Incr(i64),
    /// Whether an [`Op::Cas`] replaced the value.
    Cas(bool),
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not completed yet; checked like [`Outcome::Unknown`].
    Pending,
    /// Completed with a result.
    Ok(Ret),
    /// Definitely had no effect (for example a write the server refused).
    Fail,
    /// May or may not have taken effect, at any moment after its invocation.
    Unknown,
}

/// One recorded operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The client that issued it; a client's operations do not overlap.
    pub client: u64,
    /// What it asked for.
    pub op: Op,
    /// Logical time of the invocation.
    pub invoked: u64,
    /// Logical time of the completion; `None` while pending or when the outcome is unknown.
    pub returned: Option<u64>,
    /// How it ended.
    pub outcome: Outcome,
}

#[derive(Default)]
struct Log {
    clock: u64,
    entries: Vec<Entry>,
}

/// A shared, thread-safe record of operations; clones share the same record.
#[derive(Clone, Default)]
pub struct History {
    log: Arc<Mutex<Log>>,
}

fn lock(log: &Mutex<Log>) -> MutexGuard<'_, Log> {
    // A client thread that panicked while holding the lock left the log consistent: every
    // change under the lock is a single push or field assignment.
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// Records that `client` is about to send `op`; complete the returned handle once the
    /// outcome is known. A handle dropped without completion leaves the outcome unknown.
    pub fn invoke(&self, client: u64, op: Op) -> PendingOp {
        let mut log = lock(&self.log);
        log.clock += 1;
        let invoked = log.clock;
        log.entries.push(Entry {
            client,
            op,
            invoked,
            returned: None,
            outcome: Outcome::Pending,
        });
        PendingOp {
            log: Arc::clone(&self.log),
            index: log.entries.len() - 1,
        }
    }

    /// A snapshot of the entries, in invocation order.
    pub fn entries(&self) -> Vec<Entry> {
        lock(&self.log).entries.clone()
    }

    /// The number of operations recorded.
    pub fn len(&self) -> usize {
        lock(&self.log).entries.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An invoked operation waiting for its outcome.
#[must_use = "complete the operation with ok, fail or unknown"]
pub struct PendingOp {
    log: Arc<Mutex<Log>>,
    index: usize,
}

impl PendingOp {
    /// The operation completed with `ret` (which must match the operation's kind).
    pub fn ok(self, ret: Ret) {
        self.finish(Outcome::Ok(ret));
    }

    /// The operation definitely had no effect.
    pub fn fail(self) {
        self.finish(Outcome::Fail);
    }

    /// The outcome is unknown: it may take effect at any later moment, or never.
    pub fn unknown(self) {
        self.finish(Outcome::Unknown);
    }

    /// The position of the operation in [`History::entries`].
    pub fn index(&self) -> usize {
        self.index
    }

    fn finish(self, outcome: Outcome) {
        let mut log = lock(&self.log);
        log.clock += 1;
        let now = log.clock;
        if let Some(entry) = log.entries.get_mut(self.index) {
            if outcome != Outcome::Unknown {
                entry.returned = Some(now);
            }
            entry.outcome = outcome;
        }
    }
}

/// Bounds on the work [`check_with`] does before giving up.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Search steps (an operation tried against a state) allowed for one key.
    pub steps_per_key: u64,
    /// Wall-clock time allowed for the whole check.
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            steps_per_key: 50_000_000,
            time: Duration::from_secs(30),
        }
    }
}

/// What a successful check looked at.
#[derive(Clone, Debug, Default)]
pub struct CheckStats {
    /// Keys checked.
    pub keys: usize,
    /// Operations considered (failed operations, reads with unknown outcome and unknown writes
    /// nothing can observe are left out).
    pub ops: usize,
    /// The most operations on one key.
    pub max_key_ops: usize,
    /// Search steps over all keys.
    pub steps: u64,
    /// Time taken.
    pub elapsed: Duration,
}

/// Why a check did not succeed.
#[derive(Clone, Debug)]
pub enum CheckError {
    /// No order of the operations explains the results.
    Violation(Box<Violation>),
    /// The search ran out of steps or time before deciding.
    Inconclusive(Inconclusive),
    /// An entry's result does not fit its operation (for example [`Ret::Incr`] for a read), or
    /// it completes before it is invoked.
    Malformed {
        /// The entry's position in the history.
        index: usize,
        /// The entry.
        entry: Box<Entry>,
    },
}

impl CheckError {
    /// Whether the history was shown not to be linearizable.
    pub fn is_violation(&self) -> bool {
        matches!(self, CheckError::Violation(_))
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Violation(v) => v.fmt(f),
            CheckError::Inconclusive(i) => i.fmt(f),
            CheckError::Malformed { index, entry } => {
                write!(f, "entry #{index} is malformed (result of another kind, or completion before invocation): {entry}")
            }
        }
    }
}

impl std::error::Error for CheckError {}

/// Checks `history` with the default [`Limits`].
pub fn check(history: &History) -> Result<(), CheckError> {
    check_with(history, &Limits::default()).map(|_| ())
}

/// Checks `history` within `limits`.
pub fn check_with(history: &History, limits: &Limits) -> Result<CheckStats, CheckError> {
    check_entries(&history.entries(), limits)
}

/// Checks a list of entries (for example a mutated copy of [`History::entries`]) key by key.
pub fn check_entries(entries: &[Entry], limits: &Limits) -> Result<CheckStats, CheckError> {
    let start = Instant::now();
    let deadline = start + limits.time;
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        by_key.entry(e.op.key()).or_default().push(i);
    }
    let mut stats = CheckStats {
        keys: by_key.len(),
        ..CheckStats::default()
    };
    for (key, indices) in by_key {
        let prepared = model::prepare(entries, &indices)?;
        stats.ops += prepared.ops.len();
        stats.max_key_ops = stats.max_key_ops.max(prepared.ops.len());
        match decide::decide(&prepared.ops, limits.steps_per_key, deadline) {
            search::Found::Linearizable { steps } => stats.steps += steps,
            search::Found::Stuck(failure) => {
                let v = report::violation(key, entries, &prepared, &failure);
                return Err(CheckError::Violation(Box::new(v)));
            }
            search::Found::GaveUp { steps } => {
                return Err(CheckError::Inconclusive(Inconclusive {
                    key: key.to_string(),
                    ops: prepared.ops.len(),
                    steps,
                    elapsed: start.elapsed(),
                }));
            }
        }
    }
    stats.elapsed = start.elapsed();
    Ok(stats)
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Read(k) => write!(f, "read {k:?}"),
            Op::Write(k, v) => write!(f, "write {k:?} = {v:?}"),
            Op::Incr(k) => write!(f, "incr {k:?}"),
            Op::Cas(k, Some(old), new) => write!(f, "cas {k:?} {old:?} -> {new:?}"),
            Op::Cas(k, None, new) => write!(f, "cas {k:?} (missing) -> {new:?}"),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Pending => f.write_str("pending"),
            Outcome::Unknown => f.write_str("unknown"),
            Outcome::Fail => f.write_str("failed"),
            Outcome::Ok(Ret::Read(Some(v))) => write!(f, "{v:?}"),
            Outcome::Ok(Ret::Read(None)) => f.write_str("(missing)"),
            Outcome::Ok(Ret::Write) => f.write_str("ok"),
            Outcome::Ok(Ret::Incr(n)) => write!(f, "{n}"),
            Outcome::Ok(Ret::Cas(done)) => f.write_str(if *done { "swapped" } else { "unchanged" }),
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = match self.returned {
            Some(t) => t.to_string(),
            None => "inf".to_string(),
        };
        let span = format!("[{}..{}]", self.invoked, end);
        write!(
            f,
            "client {:<3} {:<13} {} => {}",
            self.client, span, self.op, self.outcome
        )
    }
}
