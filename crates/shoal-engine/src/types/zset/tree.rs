//! The large sorted-set encoding: a treap (a binary search tree kept balanced by random
//! heap priorities) whose nodes count their subtrees, so ranks and rank ranges cost
//! O(log n), plus a member -> score hash map for O(1) score lookups.
//!
//! Nodes live in one arena (`Vec<Option<Node>>`) and link by 32-bit index, with a free list
//! for deleted slots; members are shared (`Arc<[u8]>`) between the tree and the map.
//!
//! ```text
//!              (b,2) size 4          in-order: a b c d   (score, then member bytes)
//!             /      \
//!       (a,1) 1     (d,5) 2
//!                   /
//!               (c,3) 1
//! ```

use super::{cmp_entry, Member};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Heap bytes one member's shared allocation takes (two counters, then the bytes).
fn member_cost(m: &[u8]) -> usize {
    m.len() + 16
}

/// No node.
const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    score: f64,
    member: Member,
    left: u32,
    right: u32,
    /// Nodes in this subtree, this one included.
    size: u32,
    /// Heap priority: a parent's is never below its children's.
    prio: u32,
}

/// An order-statistics treap plus a member -> score map.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    nodes: Vec<Option<Node>>,
    free: Vec<u32>,
    root: u32,
    seed: u64,
    map: HashMap<Member, f64>,
    /// Heap bytes of the members' shared allocations (kept current: memory accounting
    /// re-measures after every write and must not walk the set).
    member_bytes: usize,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Tree {
        Tree {
            root: NIL,
            seed: 0x9E37_79B9_7F4A_7C15,
            ..Tree::default()
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Heap bytes of the members themselves.
    #[cfg(test)]
    pub fn member_bytes(&self) -> usize {
        self.member_bytes
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.map.get(member).copied()
    }

    /// Heap bytes held (arena, map table and member bytes), approximately.
    pub fn heap_size(&self) -> usize {
        let arena = self.nodes.capacity() * std::mem::size_of::<Option<Node>>();
        let table = self.map.capacity() * (std::mem::size_of::<(Member, f64)>() + 1);
        arena + table + self.member_bytes + self.free.capacity() * 4
    }

    fn node(&self, i: u32) -> &Node {
        match self.nodes.get(i as usize) {
            Some(Some(n)) => n,
            // Links only ever name live slots; a broken link is a bug caught by the tests.
            _ => unreachable!("dangling treap link"),
        }
    }

    fn node_mut(&mut self, i: u32) -> &mut Node {
        match self.nodes.get_mut(i as usize) {
            Some(Some(n)) => n,
            _ => unreachable!("dangling treap link"),
        }
    }

    fn size(&self, i: u32) -> usize {
        if i == NIL {
            0
        } else {
            self.node(i).size as usize
        }
    }

    fn fix(&mut self, i: u32) {
        let n = self.node(i);
        let size = 1 + self.size(n.left) + self.size(n.right);
        self.node_mut(i).size = size as u32;
    }

    fn next_prio(&mut self) -> u32 {
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed = x;
        (x >> 32) as u32
    }

    fn alloc(&mut self, score: f64, member: Member) -> u32 {
        let prio = self.next_prio();
        let node = Node {
            score,
            member,
            left: NIL,
            right: NIL,
            size: 1,
            prio,
        };
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = Some(node);
                i
            }
            None => {
                self.nodes.push(Some(node));
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Splits `t` into the nodes before `(score, member)` and the rest.
    fn split(&mut self, t: u32, score: f64, member: &[u8]) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let n = self.node(t);
        if cmp_entry(n.score, &n.member, score, member) == Ordering::Less {
            let (l, r) = self.split(n.right, score, member);
            self.node_mut(t).right = l;
            self.fix(t);
            (t, r)
        } else {
            let (l, r) = self.split(n.left, score, member);
            self.node_mut(t).left = r;
            self.fix(t);
            (l, t)
        }
    }

    /// Splits `t` into its first `k` nodes and the rest.
    fn split_at(&mut self, t: u32, k: usize) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let n = self.node(t);
        let ls = self.size(n.left);
        if k <= ls {
            let (l, r) = self.split_at(n.left, k);
            self.node_mut(t).left = r;
            self.fix(t);
            (l, t)
        } else {
            let (l, r) = self.split_at(n.right, k - ls - 1);
            self.node_mut(t).right = l;
            self.fix(t);
            (t, r)
        }
    }

    /// Joins two trees where every node of `a` sorts before every node of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.node(a).prio >= self.node(b).prio {
            let r = self.merge(self.node(a).right, b);
            self.node_mut(a).right = r;
            self.fix(a);
            a
        } else {
            let l = self.merge(a, self.node(b).left);
            self.node_mut(b).left = l;
            self.fix(b);
            b
        }
    }

    /// Adds a member that is not present.
    fn insert_new(&mut self, member: Member, score: f64) {
        let (l, r) = self.split(self.root, score, &member);
        self.member_bytes += member_cost(&member);
        self.map.insert(member.clone(), score);
        let n = self.alloc(score, member);
        let left = self.merge(l, n);
        self.root = self.merge(left, r);
    }

    /// Unlinks the node `(score, member)`, which must be present.
    fn unlink(&mut self, score: f64, member: &[u8]) {
        let (l, r) = self.split(self.root, score, member);
        let (mid, rest) = self.split_at(r, 1);
        if mid != NIL {
            self.nodes[mid as usize] = None;
            self.free.push(mid);
        }
        self.root = self.merge(l, rest);
    }

    /// Sets `member`'s score, adding it if new; returns the previous score.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        match self.map.get_key_value(member) {
            Some((m, &old)) => {
                if old != score {
                    let m = m.clone();
                    self.unlink(old, member);
                    self.map.remove(member);
                    self.member_bytes -= member_cost(member);
                    self.insert_new(m, score);
                }
                Some(old)
            }
            None => {
                self.insert_new(Member::from(member), score);
                None
            }
        }
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.map.remove(member)?;
        self.member_bytes -= member_cost(member);
        self.unlink(score, member);
        if self.map.is_empty() {
            self.nodes.clear();
            self.free.clear();
            self.root = NIL;
        }
        Some(score)
    }

    /// How many leading entries (in order) satisfy `before`, a predicate true for a prefix.
    pub fn count_prefix(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut t = self.root;
        let mut count = 0;
        while t != NIL {
            let n = self.node(t);
            if before(n.score, &n.member) {
                count += self.size(n.left) + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        count
    }

    /// The entry at 0-based `rank`.
    pub fn at(&self, mut rank: usize) -> Option<(&Member, f64)> {
        let mut t = self.root;
        while t != NIL {
            let n = self.node(t);
            let ls = self.size(n.left);
            match rank.cmp(&ls) {
                Ordering::Less => t = n.left,
                Ordering::Equal => return Some((&n.member, n.score)),
                Ordering::Greater => {
                    rank -= ls + 1;
                    t = n.right;
                }
            }
        }
        None
    }

    /// Appends the entries with ranks in `start..=end`, in order (reversed if `rev`).
    pub fn collect(&self, start: usize, end: usize, rev: bool, out: &mut Vec<(Member, f64)>) {
        self.visit(self.root, 0, start, end, rev, out);
    }

    fn visit(
        &self,
        t: u32,
        offset: usize,
        start: usize,
        end: usize,
        rev: bool,
        out: &mut Vec<(Member, f64)>,
    ) {
        if t == NIL {
            return;
        }
        let n = self.node(t);
        let rank = offset + self.size(n.left);
        let go_left = start < rank;
        let go_right = end > rank;
        if !rev && go_left {
            self.visit(n.left, offset, start, end, rev, out);
        }
        if rev && go_right {
            self.visit(n.right, rank + 1, start, end, rev, out);
        }
        if (start..=end).contains(&rank) {
            out.push((n.member.clone(), n.score));
        }
        if !rev && go_right {
            self.visit(n.right, rank + 1, start, end, rev, out);
        }
        if rev && go_left {
            self.visit(n.left, offset, start, end, rev, out);
        }
    }
}
