//! The large sorted-set encoding: a treap (a binary search tree kept balanced by random
//! heap priorities) whose nodes count their subtrees, so ranks and rank ranges cost
//! O(log n), plus a hash index for O(1) member lookups.
//!
//! Nodes live in one arena (`Vec<Option<Node>>`) and link by 32-bit index, with a free list
//! for deleted slots. Each member's bytes are stored once, in its node. The index maps a
//! keyed 64-bit hash of the member (std `RandomState`) to the first node with that hash;
//! nodes sharing a hash chain through `next`. A node's heap priority is derived from its
//! slot number by a mixing function, so it needs no field of its own.
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
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// No node.
const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    score: f64,
    member: Box<[u8]>,
    left: u32,
    right: u32,
    /// Nodes in this subtree, this one included.
    size: u32,
    /// The next node whose member has the same hash.
    next: u32,
}

/// The heap priority of slot `i`: a parent's is never below its children's.
fn prio(i: u32) -> u32 {
    let mut x = u64::from(i).wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((x ^ (x >> 31)) >> 32) as u32
}

/// Hashes the index's keys, which are keyed hashes already: they are used as they are.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Index = HashMap<u64, u32, BuildHasherDefault<Prehashed>>;

/// Where a subtree hangs: from the root, or from a node's left or right link.
#[derive(Clone, Copy)]
enum Link {
    Root,
    Left(u32),
    Right(u32),
}

/// An order-statistics treap plus a hash index of its members.
#[derive(Clone, Debug)]
pub struct Tree {
    nodes: Vec<Option<Node>>,
    free: Vec<u32>,
    root: u32,
    /// Member hash -> first node with that hash.
    index: Index,
    hasher: RandomState,
    /// Bits of the member hash kept; tests shrink it to force shared hashes.
    hash_mask: u64,
    len: usize,
    /// Heap bytes of the members (kept current: memory accounting
    /// re-measures after every write and must not walk the set).
    member_bytes: usize,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Tree {
        Tree {
            nodes: Vec::new(),
            free: Vec::new(),
            root: NIL,
            index: Index::default(),
            hasher: RandomState::new(),
            hash_mask: u64::MAX,
            len: 0,
            member_bytes: 0,
        }
    }

    /// An empty tree whose member hashes keep only `bits` bits, so that many members share
    /// one (for testing the chains).
    #[cfg(test)]
    pub fn with_hash_bits(bits: u32) -> Tree {
        Tree {
            hash_mask: (1u64 << bits) - 1,
            ..Tree::new()
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.len
    }

    fn hash(&self, member: &[u8]) -> u64 {
        self.hasher.hash_one(member) & self.hash_mask
    }

    /// The node holding `member`.
    fn find(&self, member: &[u8]) -> Option<u32> {
        self.find_hashed(member, self.hash(member))
    }

    /// The node holding `member`, whose hash is `h`.
    fn find_hashed(&self, member: &[u8], h: u64) -> Option<u32> {
        let mut i = *self.index.get(&h)?;
        while i != NIL {
            let n = self.node(i);
            if n.member.as_ref() == member {
                return Some(i);
            }
            i = n.next;
        }
        None
    }

    /// Heap bytes of the members themselves.
    #[cfg(test)]
    pub fn member_bytes(&self) -> usize {
        self.member_bytes
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|i| self.node(i).score)
    }

    /// Heap bytes held (arena, map table and member bytes), approximately.
    pub fn heap_size(&self) -> usize {
        use crate::types::alloc::{alloc_size, table_alloc};
        let arena = alloc_size(self.nodes.capacity() * std::mem::size_of::<Option<Node>>());
        let table = table_alloc(self.index.capacity(), std::mem::size_of::<(u64, u32)>());
        arena + table + self.member_bytes + alloc_size(self.free.capacity() * 4)
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

    fn alloc(&mut self, score: f64, member: Box<[u8]>, next: u32) -> u32 {
        let node = Node {
            score,
            member,
            left: NIL,
            right: NIL,
            size: 1,
            next,
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

    /// Joins two trees where every node of `a` sorts before every node of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if prio(a) >= prio(b) {
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

    /// Points `link` at `to`.
    fn set_link(&mut self, link: Link, to: u32) {
        match link {
            Link::Root => self.root = to,
            Link::Left(p) => self.node_mut(p).left = to,
            Link::Right(p) => self.node_mut(p).right = to,
        }
    }

    /// Adds a member that is not present, whose hash is `h`.
    ///
    /// Walks down from the root while the nodes passed outrank the new one's priority
    /// (counting it into their sizes), then splits the subtree found there around the new
    /// node, which takes its place: a small subtree on average, so an insert costs one
    /// descent instead of a split and two merges of the whole tree.
    fn insert_new(&mut self, member: Box<[u8]>, score: f64, h: u64) {
        let slot = self.free.last().copied().unwrap_or(self.nodes.len() as u32);
        let p = prio(slot);
        let mut link = Link::Root;
        let mut t = self.root;
        while t != NIL && prio(t) >= p {
            let n = self.node_mut(t);
            n.size += 1;
            if cmp_entry(n.score, &n.member, score, &member) == Ordering::Less {
                link = Link::Right(t);
                t = n.right;
            } else {
                link = Link::Left(t);
                t = n.left;
            }
        }
        let (l, r) = self.split(t, score, &member);
        self.member_bytes += crate::types::alloc::alloc_size(member.len());
        let next = self.index.get(&h).copied().unwrap_or(NIL);
        let n = self.alloc(score, member, next);
        debug_assert_eq!(n, slot);
        self.index.insert(h, n);
        self.len += 1;
        let node = self.node_mut(n);
        node.left = l;
        node.right = r;
        self.fix(n);
        self.set_link(link, n);
    }

    /// Takes node `i` out of the tree: walks down to it from the root (counting it out of
    /// the sizes on the way), and puts the merge of its two subtrees in its place.
    fn detach(&mut self, i: u32) {
        let mut link = Link::Root;
        let mut t = self.root;
        while t != i && t != NIL {
            let below = {
                let (n, x) = (self.node(t), self.node(i));
                cmp_entry(n.score, &n.member, x.score, &x.member) == Ordering::Less
            };
            let n = self.node_mut(t);
            n.size -= 1;
            if below {
                link = Link::Right(t);
                t = n.right;
            } else {
                link = Link::Left(t);
                t = n.left;
            }
        }
        let (l, r) = {
            let x = self.node(i);
            (x.left, x.right)
        };
        let joined = self.merge(l, r);
        self.set_link(link, joined);
    }

    /// Takes node `i` out of the tree, its hash chain and the arena; returns its member.
    /// `h` is the member's hash.
    fn unlink(&mut self, i: u32, h: u64) -> Box<[u8]> {
        self.detach(i);
        self.forget(i, h)
    }

    /// Takes detached node `i` out of its hash chain and the arena; returns its member.
    fn forget(&mut self, i: u32, h: u64) -> Box<[u8]> {
        let next = self.node(i).next;
        let member = std::mem::take(&mut self.node_mut(i).member);
        if self.index.get(&h) == Some(&i) {
            if next == NIL {
                self.index.remove(&h);
            } else {
                self.index.insert(h, next);
            }
        } else if let Some(&head) = self.index.get(&h) {
            let mut p = head;
            while self.node(p).next != i {
                p = self.node(p).next;
            }
            self.node_mut(p).next = next;
        }
        self.nodes[i as usize] = None;
        self.free.push(i);
        self.len -= 1;
        self.member_bytes -= crate::types::alloc::alloc_size(member.len());
        member
    }

    /// The hash `member` has in this tree, for the `_hashed` forms.
    pub fn hash_of(&self, member: &[u8]) -> u64 {
        self.hash(member)
    }

    /// The score of `member`, whose hash is `h`.
    pub fn score_hashed(&self, member: &[u8], h: u64) -> Option<f64> {
        self.find_hashed(member, h).map(|i| self.node(i).score)
    }

    /// Sets `member`'s score, adding it if new; returns the previous score.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let h = self.hash(member);
        self.insert_hashed(member, score, h)
    }

    /// Like [`Tree::insert`], for a member whose hash is `h`.
    pub fn insert_hashed(&mut self, member: &[u8], score: f64, h: u64) -> Option<f64> {
        match self.find_hashed(member, h) {
            Some(i) => {
                let old = self.node(i).score;
                if old != score {
                    let m = self.unlink(i, h);
                    self.insert_new(m, score, h);
                }
                Some(old)
            }
            None => {
                self.insert_new(Box::from(member), score, h);
                None
            }
        }
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let h = self.hash(member);
        let i = self.find_hashed(member, h)?;
        let score = self.node(i).score;
        self.unlink(i, h);
        self.release_if_empty();
        Some(score)
    }

    /// Removes the entry at 0-based `rank` and returns it. One descent guided by the subtree
    /// sizes finds and detaches the node, comparing no members (ZPOPMIN, ZPOPMAX, and
    /// ZREMRANGEBYRANK take entries this way).
    pub fn remove_at(&mut self, mut rank: usize) -> Option<(Box<[u8]>, f64)> {
        if rank >= self.len {
            return None;
        }
        let mut link = Link::Root;
        let mut t = self.root;
        loop {
            let left = self.node(t).left;
            let ls = self.size(left);
            let n = self.node_mut(t);
            match rank.cmp(&ls) {
                Ordering::Equal => break,
                Ordering::Less => {
                    n.size -= 1;
                    link = Link::Left(t);
                    t = left;
                }
                Ordering::Greater => {
                    rank -= ls + 1;
                    n.size -= 1;
                    link = Link::Right(t);
                    t = n.right;
                }
            }
        }
        let (l, r, score) = {
            let x = self.node(t);
            (x.left, x.right, x.score)
        };
        let joined = self.merge(l, r);
        self.set_link(link, joined);
        let h = self.hash(&self.node(t).member);
        let member = self.forget(t, h);
        self.release_if_empty();
        Some((member, score))
    }

    /// Frees the arena and index once the last member is gone.
    fn release_if_empty(&mut self) {
        if self.len == 0 {
            self.nodes = Vec::new();
            self.free = Vec::new();
            self.index = Index::default();
            self.root = NIL;
        }
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
    pub fn at(&self, mut rank: usize) -> Option<(&[u8], f64)> {
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
            out.push((Member::from(&n.member[..]), n.score));
        }
        if !rev && go_right {
            self.visit(n.right, rank + 1, start, end, rev, out);
        }
        if rev && go_left {
            self.visit(n.left, offset, start, end, rev, out);
        }
    }
}
