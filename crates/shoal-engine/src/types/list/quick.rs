//! The large-list encoding: a deque of packed nodes, each bounded by `list-max-listpack-size`
//! the way Redis bounds its quicklist nodes, so a push or pop at either end touches one
//! small buffer.

use super::pack::{Needle, Pack};
use std::collections::VecDeque;

/// Node size limits for negative `list-max-listpack-size` values -1..-5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// With a count limit, nodes still never exceed this many bytes.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Allowance for entry overhead when estimating a node's size after an insert.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;

/// The `list-max-listpack-size` setting: negative is a byte limit per node, otherwise an
/// element count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fill(pub i64);

impl Fill {
    /// (byte limit, count limit) of one node; `usize::MAX` when that side is unbounded.
    pub fn limits(self) -> (usize, usize) {
        if self.0 >= 0 {
            let count = if self.0 == 0 {
                1
            } else {
                self.0.min(u32::MAX as i64) as usize
            };
            (usize::MAX, count)
        } else {
            (self.neg_size(), usize::MAX)
        }
    }

    fn neg_size(self) -> usize {
        let level = (self.0.unsigned_abs() - 1).min(SIZE_LEVELS.len() as u64 - 1);
        SIZE_LEVELS[level as usize]
    }

    /// True if a node of `bytes` bytes and `count` elements is over the limit.
    pub fn exceeds(self, bytes: usize, count: usize) -> bool {
        let (size, limit) = self.limits();
        if size != usize::MAX {
            bytes > size
        } else {
            bytes > SIZE_SAFETY_LIMIT || count > limit
        }
    }

    /// True if an element of `len` bytes gets a node of its own.
    pub fn is_large(self, len: usize) -> bool {
        if self.0 >= 0 {
            len > SIZE_SAFETY_LIMIT
        } else {
            len > self.neg_size()
        }
    }
}

/// One node: packed elements, or a single large element on its own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    /// The elements.
    pub pack: Pack,
    /// True for a node holding one large element, never merged or extended.
    pub plain: bool,
}

impl Node {
    fn with(s: &[u8], fill: Fill) -> Node {
        let mut pack = Pack::default();
        pack.push_back(s);
        Node {
            pack,
            plain: fill.is_large(s.len()),
        }
    }

    /// True if `s` may join this node.
    fn allows(&self, s: &[u8], fill: Fill) -> bool {
        if self.plain || fill.is_large(s.len()) {
            return false;
        }
        let bytes = self.pack.redis_bytes() + s.len() + SIZE_ESTIMATE_OVERHEAD;
        !fill.exceeds(bytes, self.pack.len() + 1)
    }
}

/// A list as a deque of nodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quick {
    /// The nodes, head first; none is empty.
    pub nodes: VecDeque<Node>,
    count: usize,
    /// Heap bytes of the node buffers, kept up to date so measuring is O(1).
    heap: usize,
    /// The node limit, fixed when the quicklist is made (as Redis fixes it).
    fill: Fill,
}

impl Quick {
    /// A quicklist with node limit `fill`, holding one node made of `pack` (if it has
    /// elements).
    pub fn from_pack(pack: Pack, fill: Fill) -> Quick {
        let count = pack.len();
        let mut nodes = VecDeque::new();
        if count > 0 {
            nodes.push_back(Node { pack, plain: false });
        }
        let heap = nodes.iter().map(|n| n.pack.heap_size()).sum();
        Quick {
            nodes,
            count,
            heap,
            fill,
        }
    }

    /// Re-measures the node buffers after an operation that touched many nodes.
    fn recount(&mut self) {
        self.heap = self.nodes.iter().map(|n| n.pack.heap_size()).sum();
    }

    /// Runs `f` on one node, keeping the heap total in step.
    fn on_node<R>(&mut self, k: usize, f: impl FnOnce(&mut Node) -> R) -> Option<R> {
        let n = self.nodes.get_mut(k)?;
        let before = n.pack.heap_size();
        let r = f(n);
        self.heap = self.heap - before + n.pack.heap_size();
        Some(r)
    }

    fn add_node(&mut self, at: usize, node: Node) {
        self.heap += node.pack.heap_size();
        self.nodes.insert(at, node);
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        crate::types::alloc::alloc_size(self.nodes.capacity() * std::mem::size_of::<Node>())
            + self.heap
    }

    /// If this is a single packed node, takes its pack out.
    pub fn single_pack(&self) -> Option<&Pack> {
        match self.nodes.front() {
            Some(n) if self.nodes.len() == 1 && !n.plain => Some(&n.pack),
            _ => None,
        }
    }

    /// Consumes the quicklist into its single node's pack.
    pub fn into_pack(mut self) -> Pack {
        self.nodes.pop_front().map(|n| n.pack).unwrap_or_default()
    }

    /// Adds `s` at the head.
    pub fn push_front(&mut self, s: &[u8]) {
        let fill = self.fill;
        if self.nodes.front().is_some_and(|n| n.allows(s, fill)) {
            self.on_node(0, |n| n.pack.push_front(s));
        } else {
            self.add_node(0, Node::with(s, fill));
        }
        self.count += 1;
    }

    /// Adds `s` at the tail.
    pub fn push_back(&mut self, s: &[u8]) {
        let fill = self.fill;
        if self.nodes.back().is_some_and(|n| n.allows(s, fill)) {
            self.on_node(self.nodes.len() - 1, |n| n.pack.push_back(s));
        } else {
            self.add_node(self.nodes.len(), Node::with(s, fill));
        }
        self.count += 1;
    }

    /// Removes the head element.
    pub fn pop_front(&mut self) -> Option<bytes::Bytes> {
        let v = self.on_node(0, |n| n.pack.pop_front())??;
        if self.nodes.front().is_some_and(|n| n.pack.is_empty()) {
            self.nodes.pop_front();
        }
        self.count -= 1;
        Some(v)
    }

    /// Removes the tail element.
    pub fn pop_back(&mut self) -> Option<bytes::Bytes> {
        let last = self.nodes.len().checked_sub(1)?;
        let v = self.on_node(last, |n| n.pack.pop_back())??;
        if self.nodes.back().is_some_and(|n| n.pack.is_empty()) {
            self.nodes.pop_back();
        }
        self.count -= 1;
        Some(v)
    }

    /// (node, index within the node) of element `i`, walking from the nearer end.
    pub fn locate(&self, i: usize) -> Option<(usize, usize)> {
        if i >= self.count {
            return None;
        }
        if i < self.count / 2 {
            let mut rest = i;
            for (k, n) in self.nodes.iter().enumerate() {
                if rest < n.pack.len() {
                    return Some((k, rest));
                }
                rest -= n.pack.len();
            }
            None
        } else {
            let mut from_end = self.count - i;
            for (k, n) in self.nodes.iter().enumerate().rev() {
                if from_end <= n.pack.len() {
                    return Some((k, n.pack.len() - from_end));
                }
                from_end -= n.pack.len();
            }
            None
        }
    }

    /// Replaces element `i` with `s`; false if out of range. As in Redis, a small value
    /// replaces in place in a packed node (whatever its size), a large one in a large-value
    /// node; otherwise the value goes in next to the old one, which is then deleted.
    pub fn set(&mut self, i: usize, s: &[u8]) -> bool {
        let fill = self.fill;
        let Some((k, local)) = self.locate(i) else {
            return false;
        };
        let plain = self.nodes[k].plain;
        let large = fill.is_large(s.len());
        if plain == large {
            self.on_node(k, |n| {
                if let Some(off) = n.pack.seek(local) {
                    n.pack.replace_at(off, s);
                }
            });
        } else if plain {
            self.insert_next_to(i, true, s);
            self.remove_range(i, 1);
        } else {
            self.remove_range(i, 1);
            self.insert(i, s);
        }
        true
    }

    /// Inserts `s` so that it becomes element `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, s: &[u8]) {
        if i == 0 {
            self.push_front(s);
        } else if i >= self.count {
            self.push_back(s);
        } else {
            self.insert_next_to(i, false, s);
        }
    }

    /// Inserts `s` just before or after element `pivot`, placing it the way Redis's
    /// quicklist does: in the pivot's node if it has room, else at the near end of the
    /// neighbouring node, else in a node of its own, splitting the pivot's node when the
    /// pivot sits inside it (then merging small neighbours).
    pub fn insert_next_to(&mut self, pivot: usize, after: bool, s: &[u8]) {
        let fill = self.fill;
        let Some((k, local)) = self.locate(pivot) else {
            return;
        };
        let node = &self.nodes[k];
        let full = !node.allows(s, fill);
        let at_tail = after && local + 1 == node.pack.len();
        let at_head = !after && local == 0;
        let plain = node.plain;
        let large = fill.is_large(s.len());
        let allows = |j: Option<usize>| {
            j.and_then(|j| self.nodes.get(j))
                .is_some_and(|n| n.allows(s, fill))
        };
        let avail_next = at_tail && allows(Some(k + 1));
        let avail_prev = at_head && allows(k.checked_sub(1));
        self.count += 1;
        let at = if after { local + 1 } else { local };
        if large && (plain || at_tail || at_head) {
            self.add_node(if after { k + 1 } else { k }, Node::with(s, fill));
        } else if !large && !full {
            self.on_node(k, |n| match n.pack.seek(at) {
                Some(off) => n.pack.insert_at(off, s),
                None => n.pack.push_back(s),
            });
        } else if !large && avail_next {
            self.on_node(k + 1, |n| n.pack.push_front(s));
        } else if !large && avail_prev {
            self.on_node(k - 1, |n| n.pack.push_back(s));
        } else if at_tail || at_head {
            self.add_node(if after { k + 1 } else { k }, Node::with(s, fill));
        } else {
            self.split_insert(k, at, after, s, fill);
        }
    }

    /// Splits node `k` before its element `at` and puts `s` between the halves: appended to
    /// the left half when inserting before the pivot, prepended to the right half when
    /// inserting after it. Then merges neighbours around the half without `s`, as Redis does.
    fn split_insert(&mut self, k: usize, at: usize, after: bool, s: &[u8], fill: Fill) {
        let tail = self.nodes[k].pack.split_off(at);
        let plain = self.nodes[k].plain;
        let mut right = Node { pack: tail, plain };
        if fill.is_large(s.len()) {
            self.add_node(k + 1, Node::with(s, fill));
            self.add_node(k + 2, right);
            self.recount();
            return;
        }
        if after {
            right.pack.push_front(s);
        } else {
            self.nodes[k].pack.push_back(s);
        }
        self.add_node(k + 1, right);
        self.merge_around(if after { k } else { k + 1 }, fill);
        self.recount();
    }

    /// Merges node `j` and `j + 1` if both are packed and fit in one node.
    fn try_merge(&mut self, j: usize, fill: Fill) -> bool {
        let (Some(a), Some(b)) = (self.nodes.get(j), self.nodes.get(j + 1)) else {
            return false;
        };
        if a.plain || b.plain {
            return false;
        }
        let bytes = a.pack.redis_bytes() + b.pack.redis_bytes() - 7;
        if fill.exceeds(bytes, a.pack.len() + b.pack.len()) {
            return false;
        }
        if let Some(b) = self.nodes.remove(j + 1) {
            self.nodes[j].pack.append(b.pack);
        }
        true
    }

    /// Redis's merge pass after a split: the pair before `center`, the pair after it,
    /// then `center` with each neighbour.
    fn merge_around(&mut self, mut center: usize, fill: Fill) {
        if center >= 2 && self.try_merge(center - 2, fill) {
            center -= 1;
        }
        self.try_merge(center + 1, fill);
        if center >= 1 && self.try_merge(center - 1, fill) {
            center -= 1;
        }
        self.try_merge(center, fill);
    }

    /// Removes `n` elements starting at element `start`.
    pub fn remove_range(&mut self, start: usize, n: usize) {
        let Some((mut k, mut local)) = self.locate(start) else {
            return;
        };
        let mut left = n.min(self.count - start);
        self.count -= left;
        // The heap total follows the nodes touched: recounting every node would make a
        // pop from a long list cost as much as the list is long.
        while left > 0 && k < self.nodes.len() {
            let node = &mut self.nodes[k];
            let before = node.pack.heap_size();
            let take = left.min(node.pack.len() - local);
            if let Some(off) = node.pack.seek(local) {
                node.pack.remove_at(off, take);
            }
            left -= take;
            self.heap -= before;
            if node.pack.is_empty() {
                self.nodes.remove(k);
            } else {
                self.heap += node.pack.heap_size();
                k += 1;
            }
            local = 0;
        }
    }

    /// Removes up to `limit` elements equal to `needle` (0: all), scanning from the tail
    /// when `from_back`; returns how many went.
    pub fn remove_matching(&mut self, needle: &Needle<'_>, limit: usize, from_back: bool) -> usize {
        let mut removed = 0;
        let order: Vec<usize> = if from_back {
            (0..self.nodes.len()).rev().collect()
        } else {
            (0..self.nodes.len()).collect()
        };
        for k in order {
            let want = if limit == 0 { 0 } else { limit - removed };
            removed += self.nodes[k].pack.remove_matching(needle, want, from_back);
            if limit != 0 && removed >= limit {
                break;
            }
        }
        self.nodes.retain(|n| !n.pack.is_empty());
        self.count -= removed;
        self.recount();
        removed
    }
}

#[cfg(test)]
impl Quick {
    /// True if the running heap total equals a fresh measurement.
    pub fn heap_is_consistent(&self) -> bool {
        self.heap == self.nodes.iter().map(|n| n.pack.heap_size()).sum::<usize>()
    }
}
