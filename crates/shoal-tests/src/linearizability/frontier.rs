//! Lowe's just-in-time linearization: a forward sweep over time keeping every distinct
//! configuration the operations so far can leave.
//!
//! A configuration is the state, the operations still running that already took effect, and
//! the unknown-outcome operations that took effect. When an operation completes, every
//! configuration is extended by orders of running (and unknown) operations ending with it;
//! when no configuration survives, that completion is where the history fails. Unlike the
//! depth-first search, this never goes back in time, which pays off where unknown outcomes
//! make the depth-first search explore the same stretch of history again and again.
//! Configurations with the same state and running set keep only the minimal sets of placed
//! unknown operations (placing one is never required), and the same two pruning rules as the
//! depth-first search apply.

use super::model::{KeyOp, Step, Val};
use super::search::{Budget, Failure, Found};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// A configuration: sorted operation indices for `running` (placed, not yet completed) and
/// sorted unknown indices for `placed`.
#[derive(Clone)]
struct Config {
    state: Val,
    running: Vec<u32>,
    placed: Vec<u32>,
    /// Whether the last operation placed had an unknown outcome.
    after_unknown: bool,
}

/// `a ⊆ b` for sorted slices.
fn subset(a: &[u32], b: &[u32]) -> bool {
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j == b.len() || b[j] != x {
            return false;
        }
        j += 1;
    }
    true
}

fn with(sorted: &[u32], x: u32) -> Vec<u32> {
    let mut v = sorted.to_vec();
    let at = v.partition_point(|&y| y < x);
    v.insert(at, x);
    v
}

/// Configurations by (state, running set), each with its minimal placed sets.
#[derive(Default)]
struct Antichains {
    map: HashMap<(Val, Vec<u32>), Vec<Vec<u32>>>,
}

impl Antichains {
    /// Adds the configuration; false if one with a subset of its placed set is there.
    fn insert(&mut self, c: &Config) -> bool {
        let sets = self.map.entry((c.state, c.running.clone())).or_default();
        if sets.iter().any(|s| subset(s, &c.placed)) {
            return false;
        }
        sets.retain(|s| !subset(&c.placed, s));
        sets.push(c.placed.clone());
        true
    }

    fn into_configs(self) -> Vec<Config> {
        let mut out = Vec::new();
        for ((state, running), sets) in self.map {
            for placed in sets {
                out.push(Config {
                    state,
                    running: running.clone(),
                    placed,
                    after_unknown: false,
                });
            }
        }
        out
    }
}

/// The sweep's state between events; it can pause and resume.
pub(super) struct Sweep<'a> {
    ops: &'a [KeyOp],
    /// (time, is a completion, operation), sorted.
    events: Vec<(u64, bool, usize)>,
    next_event: usize,
    /// The last unknown index of each distinct unknown operation.
    last_unknown: HashMap<Step, u32>,
    /// Completed operations invoked and not yet completed.
    running: Vec<usize>,
    /// Unknown operations invoked so far, by unknown index.
    unknown: Vec<usize>,
    /// For each unknown index, the previous identical one.
    same_before: Vec<Option<u32>>,
    frontier: Vec<Config>,
    completed: Vec<usize>,
    steps: u64,
}

impl Sweep<'_> {
    /// The configurations after `op` also took effect, in any order with other running and
    /// unknown operations before it; `None` past `hard` steps or the deadline.
    fn complete(&mut self, op: usize, hard: u64, budget: &Budget) -> Option<Vec<Config>> {
        let mut out = Antichains::default();
        let mut seen = Antichains::default();
        let mut queue: BTreeMap<usize, Vec<Config>> = BTreeMap::new();
        for c in &self.frontier {
            queue.entry(c.placed.len()).or_default().push(c.clone());
        }
        while let Some(mut level) = queue.first_entry() {
            let Some(c) = level.get_mut().pop() else {
                level.remove();
                continue;
            };
            if let Ok(at) = c.running.binary_search(&(op as u32)) {
                let mut done = c;
                done.running.remove(at);
                out.insert(&done);
                continue;
            }
            for next in self.successors(&c) {
                self.steps += 1;
                if self.steps > hard
                    || (self.steps & 0xfff == 0 && Instant::now() > budget.deadline)
                {
                    return None;
                }
                if next.running.binary_search(&(op as u32)).is_ok() {
                    let mut done = next;
                    done.running.retain(|&r| r != op as u32);
                    out.insert(&done);
                } else if seen.insert(&next) {
                    queue.entry(next.placed.len()).or_default().push(next);
                }
            }
        }
        Some(out.into_configs())
    }

    /// The configurations one placement away from `c`.
    fn successors(&self, c: &Config) -> Vec<Config> {
        let mut out = Vec::new();
        let blind = |o: usize| matches!(self.ops[o].step, Step::Write { .. });
        for &r in &self.running {
            if c.running.binary_search(&(r as u32)).is_ok() || (c.after_unknown && blind(r)) {
                continue;
            }
            if let Some(state) = self.ops[r].step.apply(c.state) {
                out.push(Config {
                    state,
                    running: with(&c.running, r as u32),
                    placed: c.placed.clone(),
                    after_unknown: false,
                });
            }
        }
        for (u, &o) in self.unknown.iter().enumerate() {
            let u = u as u32;
            let placed = |x: u32| c.placed.binary_search(&x).is_ok();
            if placed(u) || (c.after_unknown && blind(o)) {
                continue;
            }
            if self.same_before[u as usize].is_some_and(|twin| !placed(twin)) {
                continue;
            }
            if let Some(state) = self.ops[o].step.apply(c.state) {
                out.push(Config {
                    state,
                    running: c.running.clone(),
                    placed: with(&c.placed, u),
                    after_unknown: true,
                });
            }
        }
        out
    }

    fn failure(&self, op: usize) -> Failure {
        let mut states: Vec<Val> = self.frontier.iter().map(|c| c.state).collect();
        states.sort_unstable_by_key(|v| format!("{v:?}"));
        states.dedup();
        let mut candidates: Vec<usize> =
            self.running.iter().copied().filter(|&r| r != op).collect();
        candidates.extend(&self.unknown);
        Failure {
            prefix: self.completed.clone(),
            swept: true,
            states,
            blocker: op,
            candidates,
        }
    }
}

impl<'a> Sweep<'a> {
    /// A sweep of `ops` from the start.
    pub(super) fn new(ops: &'a [KeyOp]) -> Sweep<'a> {
        let mut events: Vec<(u64, bool, usize)> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            events.push((op.call, false, i));
            if op.certain {
                events.push((op.ret, true, i));
            }
        }
        events.sort_unstable();
        Sweep {
            ops,
            events,
            next_event: 0,
            last_unknown: HashMap::new(),
            running: Vec::new(),
            unknown: Vec::new(),
            same_before: Vec::new(),
            frontier: vec![Config {
                state: Val::Absent,
                running: Vec::new(),
                placed: Vec::new(),
                after_unknown: false,
            }],
            completed: Vec::new(),
            steps: 0,
        }
    }

    /// Steps taken so far.
    pub(super) fn steps(&self) -> u64 {
        self.steps
    }

    /// Runs until a verdict, or `None` once `budget.steps` steps are done in all (checked
    /// between events; the sweep can then be resumed). Past `hard` steps or the deadline it
    /// gives up.
    pub(super) fn advance(&mut self, budget: &Budget, hard: u64) -> Option<Found> {
        while self.steps < budget.steps {
            let Some(&(_, is_ret, op)) = self.events.get(self.next_event) else {
                return Some(Found::Linearizable { steps: self.steps });
            };
            self.next_event += 1;
            if !is_ret && self.ops[op].certain {
                self.running.push(op);
            } else if !is_ret {
                let u = self.unknown.len() as u32;
                let twin = self.last_unknown.insert(self.ops[op].step, u);
                self.same_before.push(twin);
                self.unknown.push(op);
            } else {
                let Some(next) = self.complete(op, hard, budget) else {
                    return Some(Found::GaveUp { steps: self.steps });
                };
                if next.is_empty() {
                    return Some(Found::Stuck(self.failure(op)));
                }
                self.frontier = next;
                self.running.retain(|&r| r != op);
                self.completed.push(op);
            }
        }
        None
    }
}

/// Sweeps `ops` forward in time.
#[cfg(test)]
pub(super) fn run(ops: &[KeyOp], budget: &Budget) -> Found {
    let mut sweep = Sweep::new(ops);
    let found = sweep.advance(budget, budget.steps);
    found.unwrap_or(Found::GaveUp {
        steps: sweep.steps(),
    })
}
