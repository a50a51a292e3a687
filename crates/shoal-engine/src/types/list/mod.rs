//! A list: an ordered sequence of byte strings, pushed and popped at both ends.
//!
//! Two encodings, as `OBJECT ENCODING` names them: `listpack` (one packed buffer) while
//! the list is small, `quicklist` (a deque of packed nodes) once it outgrows
//! `list-max-listpack-size`. Conversions happen where Redis 7.2 makes them: callers run
//! [`ListValue::grow_check`] before adding and [`ListValue::shrink_check`] after removing.

mod pack;
mod quick;
#[cfg(test)]
mod tests;

pub use pack::{Elem, Needle};
pub use quick::Fill;

use bytes::Bytes;
use pack::Pack;
use quick::Quick;

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The head (LEFT).
    Front,
    /// The tail (RIGHT).
    Back,
}

#[derive(Clone, Debug, PartialEq)]
enum Enc {
    Pack(Pack),
    Quick(Box<Quick>),
}

/// A list: an ordered sequence of byte strings, pushed and popped at both ends.
#[derive(Clone, Debug, PartialEq)]
pub struct ListValue {
    enc: Enc,
}

impl Default for ListValue {
    fn default() -> Self {
        ListValue {
            enc: Enc::Pack(Pack::default()),
        }
    }
}

impl ListValue {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Pack(p) => p.len(),
            Enc::Quick(q) => q.len(),
        }
    }

    /// True when there are no elements; the key is then deleted.
    pub fn is_empty(&self) -> bool {
        match &self.enc {
            Enc::Pack(p) => p.is_empty(),
            Enc::Quick(q) => q.is_empty(),
        }
    }

    /// The encoding name `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        match &self.enc {
            Enc::Pack(_) => "listpack",
            Enc::Quick(_) => "quicklist",
        }
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_size(&self) -> usize {
        match &self.enc {
            Enc::Pack(p) => p.heap_size(),
            Enc::Quick(q) => q.heap_size() + std::mem::size_of::<Quick>(),
        }
    }

    /// Converts a listpack to a quicklist if adding `add_count` elements totalling
    /// `add_bytes` bytes would take it past the limit (Redis's check before any addition).
    pub fn grow_check(&mut self, add_bytes: usize, add_count: usize, fill: Fill) {
        if let Enc::Pack(p) = &mut self.enc {
            if fill.exceeds(p.redis_bytes() + add_bytes, p.len() + add_count) {
                let pack = std::mem::take(p);
                self.enc = Enc::Quick(Box::new(Quick::from_pack(pack, fill)));
            }
        }
    }

    /// Converts a quicklist back to a listpack once it is a single node within half the
    /// limits (Redis's check after removals).
    pub fn shrink_check(&mut self, fill: Fill) {
        let Enc::Quick(q) = &mut self.enc else {
            return;
        };
        let Some(p) = q.single_pack() else {
            return;
        };
        let (size, count) = fill.limits();
        if p.redis_bytes() > size / 2 || p.len() > count / 2 {
            return;
        }
        let q = std::mem::take(q);
        self.enc = Enc::Pack(q.into_pack());
    }

    /// Adds `s` at `end`.
    pub fn push(&mut self, end: End, s: &[u8]) {
        match (&mut self.enc, end) {
            (Enc::Pack(p), End::Front) => p.push_front(s),
            (Enc::Pack(p), End::Back) => p.push_back(s),
            (Enc::Quick(q), End::Front) => q.push_front(s),
            (Enc::Quick(q), End::Back) => q.push_back(s),
        }
    }

    /// Removes and returns the element at `end`.
    pub fn pop(&mut self, end: End) -> Option<Bytes> {
        match (&mut self.enc, end) {
            (Enc::Pack(p), End::Front) => p.pop_front(),
            (Enc::Pack(p), End::Back) => p.pop_back(),
            (Enc::Quick(q), End::Front) => q.pop_front(),
            (Enc::Quick(q), End::Back) => q.pop_back(),
        }
    }

    /// The element at `i` (0 is the head).
    pub fn get(&self, i: usize) -> Option<Elem<'_>> {
        self.cursor(i).map(|c| self.elem_at(c))
    }

    /// Replaces element `i`; false if out of range.
    pub fn set(&mut self, i: usize, s: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Pack(p) => match p.seek(i) {
                Some(off) => {
                    p.replace_at(off, s);
                    true
                }
                None => false,
            },
            Enc::Quick(q) => q.set(i, s),
        }
    }

    /// Inserts `s` so it becomes element `i` (`i >= len` appends).
    pub fn insert(&mut self, i: usize, s: &[u8]) {
        match &mut self.enc {
            Enc::Pack(p) => match p.seek(i) {
                Some(off) => p.insert_at(off, s),
                None => p.push_back(s),
            },
            Enc::Quick(q) => q.insert(i, s),
        }
    }

    /// Inserts `s` just before (or, with `after`, just after) element `pivot`.
    pub fn insert_next_to(&mut self, pivot: usize, after: bool, s: &[u8]) {
        match &mut self.enc {
            Enc::Pack(_) => self.insert(pivot + usize::from(after), s),
            Enc::Quick(q) => q.insert_next_to(pivot, after, s),
        }
    }

    /// Removes `n` elements starting at element `start`.
    pub fn remove_range(&mut self, start: usize, n: usize) {
        if n == 0 {
            return;
        }
        match &mut self.enc {
            Enc::Pack(p) => {
                if let Some(off) = p.seek(start) {
                    let n = n.min(p.len() - start);
                    p.remove_at(off, n);
                }
            }
            Enc::Quick(q) => q.remove_range(start, n),
        }
    }

    /// Removes up to `limit` elements equal to `needle` (0: all), from the tail when
    /// `from_back`; returns how many went.
    pub fn remove_matching(&mut self, needle: &Needle<'_>, limit: usize, from_back: bool) -> usize {
        match &mut self.enc {
            Enc::Pack(p) => p.remove_matching(needle, limit, from_back),
            Enc::Quick(q) => q.remove_matching(needle, limit, from_back),
        }
    }

    /// Index of the first element equal to `needle`, from the head.
    pub fn position(&self, needle: &Needle<'_>) -> Option<usize> {
        self.iter(0, false).position(|e| e.matches(needle))
    }

    /// Elements from index `start`, towards the tail, or towards the head when `reverse`.
    pub fn iter(&self, start: usize, reverse: bool) -> Iter<'_> {
        Iter {
            list: self,
            at: self.cursor(start),
            reverse,
        }
    }

    /// Up to `n` elements from `start` as bytes (towards the head when `reverse`).
    pub fn range(&self, start: usize, n: usize, reverse: bool) -> Vec<Bytes> {
        let mut out = Vec::with_capacity(n.min(self.len()));
        out.extend(self.iter(start, reverse).take(n).map(|e| e.to_bytes()));
        out
    }

    /// The pack holding segment `seg` (the only one for a listpack).
    fn seg(&self, seg: usize) -> Option<&Pack> {
        match &self.enc {
            Enc::Pack(p) => (seg == 0).then_some(p),
            Enc::Quick(q) => q.nodes.get(seg).map(|n| &n.pack),
        }
    }

    fn cursor(&self, i: usize) -> Option<(usize, usize)> {
        match &self.enc {
            Enc::Pack(p) => p.seek(i).map(|off| (0, off)),
            Enc::Quick(q) => {
                let (k, local) = q.locate(i)?;
                q.nodes[k].pack.seek(local).map(|off| (k, off))
            }
        }
    }

    fn elem_at(&self, (seg, off): (usize, usize)) -> Elem<'_> {
        match self.seg(seg) {
            Some(p) => p.get(off),
            None => Elem::Str(b""),
        }
    }

    fn step(&self, (seg, off): (usize, usize), reverse: bool) -> Option<(usize, usize)> {
        let p = self.seg(seg)?;
        if reverse {
            if let Some(o) = p.prev(off) {
                return Some((seg, o));
            }
            let s = seg.checked_sub(1)?;
            self.seg(s)?.last().map(|o| (s, o))
        } else {
            if let Some(o) = p.next(off) {
                return Some((seg, o));
            }
            self.seg(seg + 1)?.first().map(|o| (seg + 1, o))
        }
    }
}

/// An iterator over list elements in one direction.
pub struct Iter<'a> {
    list: &'a ListValue,
    at: Option<(usize, usize)>,
    reverse: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    fn next(&mut self) -> Option<Elem<'a>> {
        let at = self.at?;
        let e = self.list.elem_at(at);
        self.at = self.list.step(at, self.reverse);
        Some(e)
    }
}
