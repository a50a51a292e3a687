//! The Wing-Gong search with Lowe's memoisation, over one key's operations.
//!
//! The operations' invocations and completions form one list sorted by time. The search walks
//! it from the front: an invocation is a candidate to take effect next (its operation is
//! "lifted" out of the list with its completion, and the walk restarts from the front); a
//! completion means every order tried so far misses that operation, so the last choice is
//! undone. A (set of linearized operations, state) pair already explored is never explored
//! again. Sets are identified by a 128-bit Zobrist hash (the XOR of a random number per
//! operation), updated in constant time per step; a false match has odds of about 2^-100 even
//! for billions of visited pairs.

use super::model::{KeyOp, Val};
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

/// How much one key's search may do.
pub(super) struct Budget {
    pub(super) steps: u64,
    pub(super) deadline: Instant,
}

/// The deepest dead end the search reached.
pub(super) struct Failure {
    /// The longest order found, as indices into the key's operations.
    pub(super) prefix: Vec<usize>,
    /// The state after `prefix`.
    pub(super) state: Val,
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

/// The doubly linked list of events, with lifting and restoring of an operation's two events.
/// Node 0 is the head and node `2n + 1` the tail; node `1 + k` is the k-th event in time order.
struct Events {
    next: Vec<usize>,
    prev: Vec<usize>,
    /// For each node: the operation and whether the node is its invocation.
    node_op: Vec<(usize, bool)>,
    call_node: Vec<usize>,
    ret_node: Vec<usize>,
}

impl Events {
    fn new(ops: &[KeyOp]) -> Events {
        // Invocations before completions at equal times; certain completions before unknown.
        let mut events: Vec<(u64, u8, usize)> = Vec::with_capacity(ops.len() * 2);
        for (i, op) in ops.iter().enumerate() {
            events.push((op.call, 0, i));
            events.push((op.ret, if op.certain { 1 } else { 2 }, i));
        }
        events.sort_unstable();
        let n = events.len();
        let mut ev = Events {
            next: (1..=n + 2).collect(),
            prev: (0..n + 2).map(|i| i.saturating_sub(1)).collect(),
            node_op: vec![(usize::MAX, false); n + 2],
            call_node: vec![0; ops.len()],
            ret_node: vec![0; ops.len()],
        };
        for (k, &(_, kind, op)) in events.iter().enumerate() {
            let node = k + 1;
            ev.node_op[node] = (op, kind == 0);
            if kind == 0 {
                ev.call_node[op] = node;
            } else {
                ev.ret_node[op] = node;
            }
        }
        ev
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

    fn lift(&mut self, op: usize) {
        self.unlink(self.call_node[op]);
        self.unlink(self.ret_node[op]);
    }

    fn unlift(&mut self, op: usize) {
        self.relink(self.ret_node[op]);
        self.relink(self.call_node[op]);
    }
}

/// A hasher for keys that are already uniformly random: it keeps the low 64 bits.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | self.0 >> 56) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

type Seen = HashSet<u128, BuildHasherDefault<Passthrough>>;

/// A splitmix64 sequence: good, cheap, deterministic randomness for the Zobrist numbers.
fn splitmix(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn random128(seed: &mut u64) -> u128 {
    u128::from(splitmix(seed)) << 64 | u128::from(splitmix(seed))
}

/// A 128-bit fingerprint of a state, mixed into the set's hash.
fn state_hash(v: Val) -> u128 {
    let mut seed = match v {
        Val::Absent => 0x5bd1_e995,
        Val::Int(n) => (n as u64).rotate_left(7) ^ 0x1000_0000_0000_0001,
        Val::Str(id) => u64::from(id) ^ 0x2000_0000_0000_0002,
    };
    random128(&mut seed)
}

/// Searches for an order of `ops` that explains every result.
pub(super) fn run(ops: &[KeyOp], budget: &Budget) -> Found {
    let mut ev = Events::new(ops);
    let mut seed = 0x243f_6a88_85a3_08d3;
    let zobrist: Vec<u128> = ops.iter().map(|_| random128(&mut seed)).collect();
    let mut seen = Seen::default();
    let mut stack: Vec<(usize, Val)> = Vec::new();
    let (mut state, mut set) = (Val::Absent, 0u128);
    let mut steps = 0u64;
    let mut best: Option<Failure> = None;
    let tail = ev.tail();
    let mut cur = ev.next[0];
    loop {
        if cur == tail {
            return Found::Linearizable { steps };
        }
        let (op, is_call) = ev.node_op[cur];
        if !is_call && !ops[op].certain {
            // Only unknown outcomes remain: leaving them out is an order that works.
            return Found::Linearizable { steps };
        }
        steps += 1;
        if steps > budget.steps || (steps & 0x3fff == 0 && Instant::now() > budget.deadline) {
            return Found::GaveUp { steps };
        }
        if is_call {
            if let Some(next) = ops[op].step.apply(state) {
                let next_set = set ^ zobrist[op];
                if seen.insert(next_set ^ state_hash(next)) {
                    stack.push((op, state));
                    (state, set) = (next, next_set);
                    ev.lift(op);
                    cur = ev.next[0];
                    continue;
                }
            }
            cur = ev.next[cur];
            continue;
        }
        if best.as_ref().is_none_or(|b| stack.len() > b.prefix.len()) {
            best = Some(failure(&ev, &stack, state, cur));
        }
        let Some((undo, prev)) = stack.pop() else {
            return match best {
                Some(f) => Found::Stuck(f),
                None => Found::GaveUp { steps },
            };
        };
        state = prev;
        set ^= zobrist[undo];
        ev.unlift(undo);
        cur = ev.next[ev.call_node[undo]];
    }
}

/// A snapshot of the search stopped at completion node `at`.
fn failure(ev: &Events, stack: &[(usize, Val)], state: Val, at: usize) -> Failure {
    let mut candidates = Vec::new();
    let mut node = ev.next[0];
    while node != at && node != ev.tail() {
        let (op, is_call) = ev.node_op[node];
        if is_call {
            candidates.push(op);
        }
        node = ev.next[node];
    }
    Failure {
        prefix: stack.iter().map(|&(op, _)| op).collect(),
        state,
        blocker: ev.node_op[at].0,
        candidates,
    }
}
