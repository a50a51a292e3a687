//! `Pack`: the listpack encoding, every (field, value) in one byte buffer.
//!
//! Entry layout: `[field length, LEB128][field][value length, LEB128][value]`, in storage
//! order. Lookups scan linearly, which is what keeps small hashes this compact.

/// A compact sequence of (field, value) entries.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pack {
    buf: Vec<u8>,
    n: usize,
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a length at `pos`; returns it and the position after it.
fn get_len(buf: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let b = *buf.get(pos)?;
        pos += 1;
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some((n, pos));
        }
        shift += 7;
    }
}

/// One decoded entry: its byte range, field and value.
pub(crate) struct Slot<'a> {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) field: &'a [u8],
    pub(crate) value: &'a [u8],
}

/// Walks the entries of a pack.
pub(crate) struct Slots<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Slots<'a> {
    type Item = Slot<'a>;

    fn next(&mut self) -> Option<Slot<'a>> {
        let start = self.pos;
        let (flen, p) = get_len(self.buf, start)?;
        let field = self.buf.get(p..p + flen)?;
        let (vlen, p) = get_len(self.buf, p + flen)?;
        let value = self.buf.get(p..p + vlen)?;
        self.pos = p + vlen;
        Some(Slot {
            start,
            end: self.pos,
            field,
            value,
        })
    }
}

/// Encodes one entry.
fn encode(field: &[u8], value: &[u8]) -> Vec<u8> {
    let mut e = Vec::with_capacity(field.len() + value.len() + 4);
    put_len(&mut e, field.len());
    e.extend_from_slice(field);
    put_len(&mut e, value.len());
    e.extend_from_slice(value);
    e
}

impl Pack {
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    pub(crate) fn slots(&self) -> Slots<'_> {
        Slots {
            buf: &self.buf,
            pos: 0,
        }
    }

    fn find(&self, field: &[u8]) -> Option<Slot<'_>> {
        self.slots().find(|s| s.field == field)
    }

    pub(crate) fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.find(field).map(|s| s.value)
    }

    /// Sets `field`; true if it already existed (its value replaced in place).
    pub(crate) fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let entry = encode(field, value);
        match self.find(field).map(|s| (s.start, s.end)) {
            Some((start, end)) => {
                self.buf.splice(start..end, entry);
                true
            }
            None => {
                self.buf.reserve_exact(entry.len());
                self.buf.extend_from_slice(&entry);
                self.n += 1;
                false
            }
        }
    }

    /// Removes `field` and returns its encoded entry.
    pub(crate) fn take(&mut self, field: &[u8]) -> Option<Vec<u8>> {
        let (start, end) = self.find(field).map(|s| (s.start, s.end))?;
        let raw: Vec<u8> = self.buf.drain(start..end).collect();
        self.n -= 1;
        if self.buf.capacity() > 2 * self.buf.len() + 64 {
            self.buf.shrink_to_fit();
        }
        Some(raw)
    }

    /// Puts back an entry from [`Pack::take`] before the first entry whose field satisfies
    /// `before` (at the end if none does).
    pub(crate) fn put_before(&mut self, raw: Vec<u8>, before: impl Fn(&[u8]) -> bool) {
        let at = self
            .slots()
            .find(|s| before(s.field))
            .map_or(self.buf.len(), |s| s.start);
        self.buf.splice(at..at, raw);
        self.n += 1;
    }

    pub(crate) fn heap_size(&self) -> usize {
        crate::types::alloc::alloc_size(self.buf.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn entries_of_any_length_round_trip(
            items in proptest::collection::vec(
                (proptest::collection::vec(any::<u8>(), 0..300),
                 proptest::collection::vec(any::<u8>(), 0..300)),
                0..12,
            )
        ) {
            let mut p = Pack::default();
            let mut model: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            for (f, v) in &items {
                let existed = p.set(f, v);
                match model.iter_mut().find(|(mf, _)| mf == f) {
                    Some(e) => { prop_assert!(existed); e.1 = v.clone(); }
                    None => { prop_assert!(!existed); model.push((f.clone(), v.clone())); }
                }
            }
            let got: Vec<(Vec<u8>, Vec<u8>)> =
                p.slots().map(|s| (s.field.to_vec(), s.value.to_vec())).collect();
            prop_assert_eq!(&got, &model);
            prop_assert_eq!(p.len(), model.len());
            if let Some((f, v)) = model.first() {
                let raw = p.take(f);
                prop_assert!(raw.is_some());
                prop_assert_eq!(p.get(f), None);
                if let Some(raw) = raw {
                    p.put_before(raw, |_| false);
                }
                prop_assert_eq!(p.get(f), Some(v.as_slice()));
                prop_assert_eq!(p.len(), model.len());
            }
        }
    }
}
