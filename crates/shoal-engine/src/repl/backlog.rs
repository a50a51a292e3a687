//! The replication backlog: the tail of the replication stream, kept so a replica that lost
//! its link can continue from its offset instead of loading a whole snapshot again.
//!
//! Offsets count bytes of the stream since the replication id began, as Redis counts them:
//! `end` is the offset of the last byte appended (`master_repl_offset`), and the backlog
//! holds the bytes at offsets `first ..= end`. Bytes live in fixed-size blocks, so trimming
//! the front drops whole blocks and appending never moves what is held.

use std::collections::VecDeque;

/// Bytes per block.
const BLOCK: usize = 16 * 1024;

/// A window of the replication stream.
pub(crate) struct Backlog {
    blocks: VecDeque<Vec<u8>>,
    /// Offset of the first byte held; `end + 1` when nothing is held.
    first: u64,
    /// Offset of the last byte appended.
    end: u64,
    held: usize,
}

impl Backlog {
    /// An empty backlog whose next byte has offset `end + 1`.
    pub(crate) fn new(end: u64) -> Backlog {
        Backlog {
            blocks: VecDeque::new(),
            first: end + 1,
            end,
            held: 0,
        }
    }

    /// Offset of the last byte appended.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Offset of the first byte still held (`end + 1` when empty).
    pub(crate) fn first(&self) -> u64 {
        self.first
    }

    /// Bytes held.
    pub(crate) fn held(&self) -> usize {
        self.held
    }

    /// Appends bytes at the end of the stream.
    pub(crate) fn append(&mut self, mut bytes: &[u8]) {
        self.end += bytes.len() as u64;
        self.held += bytes.len();
        while !bytes.is_empty() {
            let room = match self.blocks.back() {
                Some(b) if b.len() < BLOCK => BLOCK - b.len(),
                _ => {
                    self.blocks.push_back(Vec::with_capacity(BLOCK));
                    BLOCK
                }
            };
            let n = room.min(bytes.len());
            if let Some(b) = self.blocks.back_mut() {
                b.extend_from_slice(&bytes[..n]);
            }
            bytes = &bytes[n..];
        }
    }

    /// Appends the `len` bytes `write` pushes onto the buffer it is given: straight into
    /// the last block when they fit there (or into a fresh block when the last one is full),
    /// else through `scratch`, so blocks stay full and a command is encoded only once.
    pub(crate) fn append_with(
        &mut self,
        len: usize,
        scratch: &mut Vec<u8>,
        write: impl FnOnce(&mut Vec<u8>),
    ) {
        let room = self
            .blocks
            .back()
            .map_or(0, |b| BLOCK.saturating_sub(b.len()));
        if room == 0 && len <= BLOCK {
            self.blocks.push_back(Vec::with_capacity(BLOCK));
        } else if room < len {
            scratch.clear();
            write(scratch);
            self.append(scratch);
            return;
        }
        if let Some(b) = self.blocks.back_mut() {
            let before = b.len();
            write(b);
            let n = b.len() - before;
            self.end += n as u64;
            self.held += n;
        }
    }

    /// Whether the stream from offset `from` on is still held (`from` may be `end + 1`:
    /// nothing to send yet).
    pub(crate) fn covers(&self, from: u64) -> bool {
        from >= self.first && from <= self.end + 1
    }

    /// Copies up to `max` bytes starting at offset `from` into `out`; None if they were
    /// trimmed away (or `from` lies past the end).
    pub(crate) fn read(&self, from: u64, max: usize, out: &mut Vec<u8>) -> Option<usize> {
        if !self.covers(from) {
            return None;
        }
        let mut skip = (from - self.first) as usize;
        let mut left = max.min((self.end + 1 - from) as usize);
        let start = out.len();
        for b in &self.blocks {
            if left == 0 {
                break;
            }
            if skip >= b.len() {
                skip -= b.len();
                continue;
            }
            let n = (b.len() - skip).min(left);
            out.extend_from_slice(&b[skip..skip + n]);
            left -= n;
            skip = 0;
        }
        Some(out.len() - start)
    }

    /// Drops whole blocks from the front while more than `keep` bytes stay held and no
    /// reader still needs them (`needed`: the lowest offset a reader has yet to read).
    pub(crate) fn trim(&mut self, keep: usize, needed: u64) {
        while let Some(front) = self.blocks.front() {
            let len = front.len();
            let after = self.first + len as u64;
            if self.held - len < keep || after > needed || self.blocks.len() == 1 {
                break;
            }
            self.blocks.pop_front();
            self.first = after;
            self.held -= len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_backlog_covers_only_the_next_byte() {
        let b = Backlog::new(10);
        assert_eq!((b.first(), b.end()), (11, 10));
        assert!(b.covers(11));
        assert!(!b.covers(10));
        assert!(!b.covers(12));
        let mut out = Vec::new();
        assert_eq!(b.read(11, 100, &mut out), Some(0));
    }

    #[test]
    fn trim_keeps_what_a_reader_still_needs() {
        let mut b = Backlog::new(0);
        b.append(&vec![7u8; BLOCK * 4]);
        b.trim(BLOCK, 1);
        assert_eq!(b.first(), 1, "a reader at offset 1 keeps everything");
        b.trim(BLOCK, u64::MAX);
        assert_eq!(b.held(), BLOCK);
        assert_eq!(b.first(), (BLOCK * 3) as u64 + 1);
        let mut out = Vec::new();
        assert_eq!(b.read(1, 10, &mut out), None);
    }

    #[test]
    fn append_with_fills_blocks_before_starting_new_ones() {
        let mut b = Backlog::new(0);
        let mut scratch = Vec::new();
        b.append(&vec![1u8; BLOCK - 3]);
        // Four bytes do not fit the three left: they go through `scratch`, split.
        b.append_with(4, &mut scratch, |out| out.extend_from_slice(b"abcd"));
        assert_eq!(b.blocks.len(), 2);
        assert_eq!(b.blocks[0].len(), BLOCK);
        assert_eq!(&b.blocks[1][..], b"d");
        // Bytes that fit go straight into the last block.
        b.append_with(2, &mut scratch, |out| out.extend_from_slice(b"ef"));
        assert_eq!(&b.blocks[1][..], b"def");
        assert_eq!((b.end(), b.held()), ((BLOCK + 3) as u64, BLOCK + 3));
    }

    proptest! {
        /// Whatever `append_with` wrote reads back as the model stream has it, whether it
        /// went in place, into a fresh block or through the scratch buffer.
        #[test]
        fn append_with_matches_append(
            chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40_000), 1..12),
        ) {
            let mut b = Backlog::new(0);
            let mut scratch = Vec::new();
            let mut model = Vec::new();
            for c in &chunks {
                b.append_with(c.len(), &mut scratch, |out| out.extend_from_slice(c));
                model.extend_from_slice(c);
            }
            prop_assert_eq!(b.end(), model.len() as u64);
            prop_assert!(b.blocks.iter().rev().skip(1).all(|k| k.len() == BLOCK));
            let mut out = Vec::new();
            prop_assert_eq!(b.read(1, usize::MAX, &mut out), Some(model.len()));
            prop_assert_eq!(out, model);
        }

        /// Whatever is held reads back exactly as the model stream has it.
        #[test]
        fn reads_match_the_stream(
            chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40_000), 1..12),
            keep in 0usize..100_000,
            from_frac in 0.0f64..1.0,
        ) {
            let mut b = Backlog::new(99);
            let mut model = Vec::new();
            for c in &chunks {
                b.append(c);
                model.extend_from_slice(c);
                b.trim(keep, u64::MAX);
            }
            prop_assert_eq!(b.end(), 99 + model.len() as u64);
            prop_assert!(b.held() >= keep.min(model.len()) || b.held() == model.len());
            let span = b.end() + 1 - b.first();
            let from = b.first() + (span as f64 * from_frac) as u64;
            let mut out = Vec::new();
            let n = b.read(from, usize::MAX, &mut out);
            prop_assert_eq!(n, Some(out.len()));
            let at = (from - 100) as usize;
            prop_assert_eq!(&out[..], &model[at..]);
        }
    }
}
