//! The string type and its three encodings, as `OBJECT ENCODING` names them:
//! `int` (a 64-bit integer), `embstr` (short, as written by SET) and `raw` (long, or
//! modified in place by APPEND/SETRANGE/SETBIT).
//!
//! A string written whole is one allocation whatever its length (or none, up to 22
//! bytes), with its length beside the pointer, so reading its size never touches its
//! bytes; only a string modified in place keeps a growable buffer.

use super::small::SmallBytes;
use crate::util::num::parse_i64;
use std::borrow::Cow;

/// Strings up to this length are `embstr` when created whole (Redis's limit).
pub const EMBSTR_MAX: usize = 44;

/// A string value.
#[derive(Clone, Debug)]
pub enum StrValue {
    /// A decimal integer, kept as a number.
    Int(i64),
    /// A string created whole: `embstr` up to [`EMBSTR_MAX`] bytes, `raw` beyond.
    Emb(SmallBytes),
    /// A string modified in place (always `raw`): a growable buffer, boxed to keep `Value`
    /// small.
    Raw(Box<Vec<u8>>),
}

impl PartialEq for StrValue {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl StrValue {
    /// The encoding a freshly written string gets (SET, MSET, GETSET, ...): `int` when the
    /// text is a canonical 64-bit integer, `embstr` up to 44 bytes, else `raw`.
    pub fn from_bytes(b: &[u8]) -> StrValue {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return StrValue::Int(n);
            }
        }
        Self::from_bytes_no_int(b)
    }

    /// Like [`StrValue::from_bytes`] but never `int` (INCRBYFLOAT results, for instance).
    pub fn from_bytes_no_int(b: &[u8]) -> StrValue {
        StrValue::Emb(SmallBytes::new(b))
    }

    /// A `raw` string owning `v`.
    pub fn raw(v: Vec<u8>) -> StrValue {
        StrValue::Raw(Box::new(v))
    }

    /// The text of the value (integers are formatted on demand).
    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            StrValue::Int(n) => Cow::Owned(itoa::Buffer::new().format(*n).as_bytes().to_vec()),
            StrValue::Emb(s) => Cow::Borrowed(s.as_slice()),
            StrValue::Raw(v) => Cow::Borrowed(v.as_slice()),
        }
    }

    /// Length of the text.
    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(n) => itoa::Buffer::new().format(*n).len(),
            StrValue::Emb(s) => s.len(),
            StrValue::Raw(v) => v.len(),
        }
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as an integer, if its text is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            StrValue::Int(n) => Some(*n),
            other => parse_i64(&other.as_bytes()),
        }
    }

    /// Turns the value into a `raw` buffer for in-place modification and returns it.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrValue::Raw(_)) {
            *self = StrValue::raw(self.as_bytes().into_owned());
        }
        match self {
            StrValue::Raw(v) => v,
            // The branch above converted every other encoding to `Raw`.
            _ => unreachable!("string was just converted to raw"),
        }
    }

    /// The encoding name.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Emb(s) if s.len() <= EMBSTR_MAX => "embstr",
            StrValue::Emb(_) => "raw",
            StrValue::Raw(_) => "raw",
        }
    }

    /// Heap bytes beyond the inline value.
    pub fn heap_size(&self) -> usize {
        match self {
            StrValue::Int(_) => 0,
            StrValue::Emb(s) => s.heap_size(),
            StrValue::Raw(v) => {
                crate::types::alloc::alloc_size(v.capacity()) + std::mem::size_of::<Vec<u8>>()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(StrValue::from_bytes(b"123").encoding_name(), "int");
        assert_eq!(
            StrValue::from_bytes(b"-9223372036854775808").encoding_name(),
            "int"
        );
        assert_eq!(StrValue::from_bytes(b"0123").encoding_name(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 45]).encoding_name(), "raw");
        let mut v = StrValue::from_bytes(b"12");
        v.make_raw().push(b'3');
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(v.as_bytes().as_ref(), b"123");
    }

    #[test]
    fn a_long_string_written_whole_is_one_allocation_until_modified() {
        let mut v = StrValue::from_bytes(&[b'x'; 100]);
        assert_eq!(v.heap_size(), crate::types::alloc::alloc_size(100));
        v.make_raw().extend_from_slice(b"yz");
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(v.len(), 102);
        assert_eq!(&v.as_bytes()[98..], b"xxyz");
    }
}
