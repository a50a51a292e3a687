//! `Pair`: a field and its value in one heap allocation, the hashtable encoding's slot.
//!
//! Layout: `[field length, LEB128][field][value]`. A slot costs a fat pointer in the table
//! plus one allocation, instead of two inline strings per slot.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// A field and its value; hashed and compared by the field alone, so a set of pairs is a
/// map from field to value that can be looked up with `&[u8]`.
#[derive(Clone)]
pub(crate) struct Pair(Box<[u8]>);

impl Pair {
    pub(crate) fn new(field: &[u8], value: &[u8]) -> Pair {
        // Exactly the bytes needed, so the boxed slice keeps the allocation as it is.
        let header = (usize::BITS - (field.len() | 1).leading_zeros()).div_ceil(7) as usize;
        let mut buf = Vec::with_capacity(header + field.len() + value.len());
        let mut n = field.len();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                buf.push(byte);
                break;
            }
            buf.push(byte | 0x80);
        }
        buf.extend_from_slice(field);
        buf.extend_from_slice(value);
        Pair(buf.into_boxed_slice())
    }

    /// (header length, field length).
    fn split(&self) -> (usize, usize) {
        let mut len = 0usize;
        let mut shift = 0;
        for (i, &b) in self.0.iter().enumerate() {
            len |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return (i + 1, len);
            }
            shift += 7;
        }
        (self.0.len(), 0)
    }

    pub(crate) fn field(&self) -> &[u8] {
        let (h, n) = self.split();
        &self.0[h..h + n]
    }

    pub(crate) fn value(&self) -> &[u8] {
        let (h, n) = self.split();
        &self.0[h + n..]
    }

    /// Heap bytes held.
    pub(crate) fn heap_size(&self) -> usize {
        crate::types::alloc::alloc_size(self.0.len())
    }
}

impl Borrow<[u8]> for Pair {
    fn borrow(&self) -> &[u8] {
        self.field()
    }
}

impl PartialEq for Pair {
    fn eq(&self, other: &Self) -> bool {
        self.field() == other.field()
    }
}

impl Eq for Pair {}

impl Hash for Pair {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must hash exactly as `[u8]` does, for lookups by `&[u8]`.
        self.field().hash(state)
    }
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?}={:?}",
            String::from_utf8_lossy(self.field()),
            String::from_utf8_lossy(self.value())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn keeps_field_and_value_apart(
            f in proptest::collection::vec(any::<u8>(), 0..300),
            v in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let p = Pair::new(&f, &v);
            prop_assert_eq!(p.field(), &f[..]);
            prop_assert_eq!(p.value(), &v[..]);
            // The header is as long as the LEB128 length, not more.
            let header = p.0.len() - f.len() - v.len();
            prop_assert_eq!(header, if f.len() < 128 { 1 } else { 2 });
        }
    }
}
