//! The `listpack` encoding: members packed back to back in one buffer, each behind a
//! variable-length size prefix, in insertion order. Small sets only: every operation is a
//! linear walk, as with Redis's listpack.

/// Members packed in one buffer.
#[derive(Clone, Debug, Default)]
pub(super) struct Pack {
    buf: Vec<u8>,
    count: usize,
}

/// Reads a size prefix at `pos`: (size, bytes the prefix took).
fn read_len(buf: &[u8], pos: usize) -> (usize, usize) {
    let mut v = 0usize;
    let mut shift = 0;
    let mut i = pos;
    while let Some(&b) = buf.get(i) {
        v |= usize::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (v, i - pos)
}

fn write_len(buf: &mut Vec<u8>, mut n: usize) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            buf.push(b);
            return;
        }
        buf.push(b | 0x80);
    }
}

impl Pack {
    pub(super) fn with_capacity(bytes: usize) -> Pack {
        Pack {
            buf: Vec::with_capacity(bytes),
            count: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// Every member with its (start, end) span in the buffer, prefix included.
    fn spans(&self) -> impl Iterator<Item = (usize, usize, &[u8])> {
        let buf = &self.buf;
        let mut pos = 0;
        std::iter::from_fn(move || {
            if pos >= buf.len() {
                return None;
            }
            let (n, w) = read_len(buf, pos);
            let start = pos;
            let data = buf.get(pos + w..pos + w + n)?;
            pos += w + n;
            Some((start, pos, data))
        })
    }

    /// Every member, in insertion order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans().map(|(_, _, m)| m)
    }

    pub(super) fn contains(&self, m: &[u8]) -> bool {
        self.iter().any(|x| x == m)
    }

    /// Appends `m` (the caller checked it is absent).
    pub(super) fn push(&mut self, m: &[u8]) {
        write_len(&mut self.buf, m.len());
        self.buf.extend_from_slice(m);
        self.count += 1;
    }

    /// Removes `m`; false if it was not there.
    pub(super) fn remove(&mut self, m: &[u8]) -> bool {
        let span = self
            .spans()
            .find(|(_, _, x)| *x == m)
            .map(|(s, e, _)| (s, e));
        match span {
            Some((s, e)) => {
                self.buf.drain(s..e);
                self.count -= 1;
                true
            }
            None => false,
        }
    }

    /// The member at position `i`.
    pub(super) fn nth(&self, i: usize) -> Option<&[u8]> {
        self.iter().nth(i)
    }

    /// Gives back memory after removals.
    pub(super) fn shrink(&mut self) {
        if self.buf.capacity() > self.buf.len() * 2 {
            self.buf.shrink_to_fit();
        }
    }

    pub(super) fn heap_size(&self) -> usize {
        crate::types::alloc::alloc_size(self.buf.capacity())
    }
}
