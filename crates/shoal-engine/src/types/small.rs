//! `SmallBytes`: an immutable byte string that keeps up to 22 bytes inline.
//!
//! Keys and short string values are mostly short; keeping them inline saves an allocation
//! and a pointer chase per key.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

const INLINE: usize = 22;

/// An immutable byte string stored inline when it is at most 22 bytes long.
#[derive(Clone)]
pub enum SmallBytes {
    /// Up to 22 bytes, in place.
    Inline {
        /// Number of bytes used in `buf`.
        len: u8,
        /// The bytes; only `..len` are meaningful.
        buf: [u8; INLINE],
    },
    /// Longer strings, on the heap.
    Heap(Box<[u8]>),
}

impl SmallBytes {
    /// Copies `b` into a new value.
    pub fn new(b: &[u8]) -> SmallBytes {
        if b.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..b.len()].copy_from_slice(b);
            SmallBytes::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            SmallBytes::Heap(b.into())
        }
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, buf } => &buf[..usize::from(*len)],
            SmallBytes::Heap(b) => b,
        }
    }

    /// Heap bytes used beyond the inline size.
    pub fn heap_size(&self) -> usize {
        match self {
            SmallBytes::Inline { .. } => 0,
            SmallBytes::Heap(b) => crate::types::alloc::alloc_size(b.len()),
        }
    }
}

impl Deref for SmallBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SmallBytes {}

impl Hash for SmallBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn holds_any_bytes(v in proptest::collection::vec(any::<u8>(), 0..64)) {
            let s = SmallBytes::new(&v);
            prop_assert_eq!(s.as_slice(), &v[..]);
            prop_assert_eq!(s.heap_size() > 0, v.len() > INLINE);
        }
    }
}
