//! The Wing-Gong search with Lowe's memoisation, over one key's operations.
//!
//! The invocations and completions of the operations that completed form one list sorted by
//! time. The search walks it from the front: an invocation is a candidate to take effect next
//! (its operation is "lifted" out of the list with its completion, and the walk restarts from
//! the front); the first completion reached bounds the candidates. Operations with unknown
//! outcome have no completion; they sit in a second list by invocation time and are tried
//! only after the completed candidates, when the walk reaches a completion: those invoked
//! before it are candidates as well. When none works, the last choice is undone. A
//! configuration already explored (see [`super::memo`]) is never explored again.
//!
//! Two choices are skipped because another choice does at least as well:
//! - an unknown operation identical to an earlier-invoked one that is still unplaced (both
//!   were invoked before everything still to come, so they are interchangeable);
//! - a write right after an unknown operation: the write erases whatever that operation did,
//!   so the same write without it leaves that operation free for later.

use super::memo::{state_hash, zobrist, Memo, Placed};
use super::model::{KeyOp, Step, Val};
use std::collections::HashMap;
use std::time::Instant;

/// How much one key's search may do.
pub(super) struct Budget {
    pub(super) steps: u64,
    pub(super) deadline: Instant,
}

/// Where a search failed.
pub(super) struct Failure {
    /// Operations explained before the failure, as indices into the key's operations: the
    /// longest order found (depth-first search) or those completed before `blocker` (sweep).
    pub(super) prefix: Vec<usize>,
    /// Whether `prefix` comes from the sweep.
    pub(super) swept: bool,
    /// The possible states after `prefix`.
    pub(super) states: Vec<Val>,
    /// The operation whose completion stopped every extension of `prefix`.
    pub(super) blocker: usize,
    /// The operations not in `prefix` invoked before `blocker` completed.
    pub(super) candidates: Vec<usize>,
}

/// The search's answer.
pub(super) enum Found {
    Linearizable { steps: u64 },
    Stuck(Failure),
    GaveUp { steps: u64 },
}

/// A doubly linked list over nodes `0..n`, node 0 the head and node `n - 1` the tail, where
/// nodes can be unlinked and relinked in reverse order.
struct Links {
    next: Vec<usize>,
    prev: Vec<usize>,
}

impl Links {
    fn new(inner: usize) -> Links {
        Links {
            next: (1..=inner + 2).collect(),
            prev: (0..inner + 2).map(|i| i.saturating_sub(1)).collect(),
        }
    }
    fn tail(&self) -> usize {
        self.next.len() - 1
    }
    fn unlink(&mut self, x: usize) {
        let (p, n) = (self.prev[x], self.next[x]);
        self.next[p] = n;
        self.prev[n] = p;
    }
    fn relink(&mut self, x: usize) {
        let (p, n) = (self.prev[x], self.next[x]);
        self.next[p] = x;
        self.prev[n] = x;
    }
}

/// The two lists: completed operations' events and unknown operations' invocations.
struct Lists {
    main: Links,
    /// For each main node: the operation and whether the node is its invocation.
    main_op: Vec<(usize, bool)>,
    unknown: Links,
    /// For each unknown node: the operation.
    unknown_op: Vec<usize>,
    /// For each operation: its invocation node (in its list) and completion node (main only).
    call_node: Vec<usize>,
    ret_node: Vec<usize>,
    /// For each unknown operation: its index among them.
    unknown_index: Vec<u32>,
    /// For each unknown index: the index of the previous identical unknown operation.
    same_before: Vec<Option<u32>>,
}

impl Lists {
    fn new(ops: &[KeyOp]) -> Lists {
        let mut events: Vec<(u64, bool, usize)> = Vec::new();
        let mut unknowns: Vec<(u64, usize)> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            if op.certain {
                // Invocations sort before completions at equal times.
                events.push((op.call, false, i));
                events.push((op.ret, true, i));
            } else {
                unknowns.push((op.call, i));
            }
        }
        events.sort_unstable();
        unknowns.sort_unstable();
        let mut l = Lists {
            main: Links::new(events.len()),
            main_op: vec![(usize::MAX, false); events.len() + 2],
            unknown: Links::new(unknowns.len()),
            unknown_op: vec![usize::MAX; unknowns.len() + 2],
            call_node: vec![0; ops.len()],
            ret_node: vec![0; ops.len()],
            unknown_index: vec![u32::MAX; ops.len()],
            same_before: vec![None; unknowns.len()],
        };
        let mut last: HashMap<Step, u32> = HashMap::new();
        for (k, &(_, is_ret, op)) in events.iter().enumerate() {
            l.main_op[k + 1] = (op, !is_ret);
            if is_ret {
                l.ret_node[op] = k + 1;
            } else {
                l.call_node[op] = k + 1;
            }
        }
        for (k, &(_, op)) in unknowns.iter().enumerate() {
            l.unknown_op[k + 1] = op;
            l.call_node[op] = k + 1;
            l.unknown_index[op] = k as u32;
            l.same_before[k] = last.insert(ops[op].step, k as u32);
        }
        l
    }
}

/// Where the walk is: in the main list, or among the unknown operations invoked before the
/// completion `block`.
#[derive(Clone, Copy)]
enum Cursor {
    Main(usize),
    Unknown { node: usize, block: usize },
}

/// A choice made: the operation placed, the state before it, and where to resume when undone.
struct Frame {
    op: usize,
    prev: Val,
    resume: Cursor,
}

/// The depth-first search's state; it can pause and resume.
pub(super) struct Search<'a> {
    ops: &'a [KeyOp],
    lists: Lists,
    zobrist: Vec<u128>,
    memo: Memo,
    placed: Placed,
    stack: Vec<Frame>,
    state: Val,
    set: u128,
    steps: u64,
    best: Option<Failure>,
    cursor: Cursor,
}

impl<'a> Search<'a> {
    /// Places `op` if its result fits the state and the configuration is new.
    fn try_place(&mut self, op: usize, resume: Cursor) -> bool {
        if self.dominated(op) {
            return false;
        }
        let Some(next) = self.ops[op].step.apply(self.state) else {
            return false;
        };
        let certain = self.ops[op].certain;
        let set = if certain {
            self.set ^ self.zobrist[op]
        } else {
            self.placed.push(self.lists.unknown_index[op]);
            self.set
        };
        if !self.memo.visit(set ^ state_hash(next), &self.placed) {
            if !certain {
                self.placed.pop();
            }
            return false;
        }
        let prev = std::mem::replace(&mut self.state, next);
        self.stack.push(Frame { op, prev, resume });
        self.set = set;
        if certain {
            self.lists.main.unlink(self.lists.call_node[op]);
            self.lists.main.unlink(self.lists.ret_node[op]);
        } else {
            self.lists.unknown.unlink(self.lists.call_node[op]);
        }
        true
    }

    /// Whether placing `op` now is no better than another choice (see the module comment).
    fn dominated(&self, op: usize) -> bool {
        let after_unknown = self.stack.last().is_some_and(|f| !self.ops[f.op].certain);
        if after_unknown && matches!(self.ops[op].step, Step::Write { .. }) {
            return true;
        }
        if self.ops[op].certain {
            return false;
        }
        let index = self.lists.unknown_index[op] as usize;
        self.lists.same_before[index].is_some_and(|twin| !self.placed.has(twin))
    }

    /// Undoes the last choice; where to resume, or `None` when there is none.
    fn undo(&mut self) -> Option<Cursor> {
        let frame = self.stack.pop()?;
        let op = frame.op;
        self.state = frame.prev;
        if self.ops[op].certain {
            self.set ^= self.zobrist[op];
            self.lists.main.relink(self.lists.ret_node[op]);
            self.lists.main.relink(self.lists.call_node[op]);
        } else {
            self.placed.pop();
            self.lists.unknown.relink(self.lists.call_node[op]);
        }
        Some(frame.resume)
    }

    /// Keeps a snapshot of the dead end at completion node `block` if it is the deepest yet.
    fn note_dead_end(&mut self, block: usize) {
        if self
            .best
            .as_ref()
            .is_some_and(|b| b.prefix.len() >= self.stack.len())
        {
            return;
        }
        let (l, ops) = (&self.lists, self.ops);
        let blocker = l.main_op[block].0;
        let mut candidates = Vec::new();
        let mut node = l.main.next[0];
        while node != block && node != l.main.tail() {
            let (op, is_call) = l.main_op[node];
            if is_call {
                candidates.push(op);
            }
            node = l.main.next[node];
        }
        let mut node = l.unknown.next[0];
        while node != l.unknown.tail() && ops[l.unknown_op[node]].call <= ops[blocker].ret {
            candidates.push(l.unknown_op[node]);
            node = l.unknown.next[node];
        }
        self.best = Some(Failure {
            prefix: self.stack.iter().map(|f| f.op).collect(),
            swept: false,
            states: vec![self.state],
            blocker,
            candidates,
        });
    }

    /// Runs until a verdict, or `None` once `budget.steps` steps are done in all (the search
    /// can then be resumed). Running past the deadline gives up.
    pub(super) fn advance(&mut self, budget: &Budget) -> Option<Found> {
        let ops = self.ops;
        loop {
            if self.steps >= budget.steps {
                return None;
            }
            self.steps += 1;
            if self.steps & 0x3fff == 0 && Instant::now() > budget.deadline {
                return Some(Found::GaveUp { steps: self.steps });
            }
            match self.cursor {
                Cursor::Main(node) if node == self.lists.main.tail() => {
                    // Every completed operation is placed; the unknown ones can be left out.
                    return Some(Found::Linearizable { steps: self.steps });
                }
                Cursor::Main(node) => {
                    let next = self.lists.main.next[node];
                    let (op, is_call) = self.lists.main_op[node];
                    self.cursor = if !is_call {
                        let first = self.lists.unknown.next[0];
                        Cursor::Unknown {
                            node: first,
                            block: node,
                        }
                    } else if self.try_place(op, Cursor::Main(next)) {
                        Cursor::Main(self.lists.main.next[0])
                    } else {
                        Cursor::Main(next)
                    };
                }
                Cursor::Unknown { node, block } => {
                    let limit = ops[self.lists.main_op[block].0].ret;
                    let tail = self.lists.unknown.tail();
                    if node != tail && ops[self.lists.unknown_op[node]].call <= limit {
                        let next = self.lists.unknown.next[node];
                        let resume = Cursor::Unknown { node: next, block };
                        self.cursor = if self.try_place(self.lists.unknown_op[node], resume) {
                            Cursor::Main(self.lists.main.next[0])
                        } else {
                            resume
                        };
                        continue;
                    }
                    self.note_dead_end(block);
                    match self.undo() {
                        Some(c) => self.cursor = c,
                        None => return Some(self.exhausted()),
                    }
                }
            }
        }
    }

    fn exhausted(&mut self) -> Found {
        match self.best.take() {
            Some(f) => Found::Stuck(f),
            None => Found::GaveUp { steps: self.steps },
        }
    }

    /// Steps taken so far.
    pub(super) fn steps(&self) -> u64 {
        self.steps
    }

    /// A search of `ops` from the start.
    pub(super) fn new(ops: &'a [KeyOp]) -> Search<'a> {
        let lists = Lists::new(ops);
        let unknown_ops = lists.unknown_op.len() - 2;
        let cursor = Cursor::Main(lists.main.next[0]);
        Search {
            ops,
            lists,
            zobrist: zobrist(ops.len()),
            memo: Memo::default(),
            placed: Placed::new(unknown_ops),
            stack: Vec::new(),
            state: Val::Absent,
            set: 0,
            steps: 0,
            best: None,
            cursor,
        }
    }
}

/// Searches `ops` depth-first for an order that explains every result.
#[cfg(test)]
pub(super) fn run(ops: &[KeyOp], budget: &Budget) -> Found {
    let mut search = Search::new(ops);
    let found = search.advance(budget);
    found.unwrap_or(Found::GaveUp {
        steps: search.steps(),
    })
}
