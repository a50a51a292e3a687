//! An array of bulk strings kept in wire form.
//!
//! A range reply of many short elements (LRANGE and the like) built as `Frame::Array` of
//! `Frame::Bulk` costs an allocation per element and a second pass to encode it. Written
//! once as RESP instead, with the array's header left to the encoder, it is one buffer; an
//! array of bulk strings is spelled the same in RESP2 and RESP3, so the bytes suit either.

use crate::Frame;
use bytes::{BufMut, Bytes, BytesMut};

/// An array of bulk strings, its elements already in wire form (`$len\r\n...\r\n` each).
#[derive(Clone, Debug, PartialEq)]
pub struct Bulks {
    count: usize,
    body: Bytes,
}

/// Writes the elements of a [`Bulks`], in order.
#[derive(Debug, Default)]
pub struct BulksWriter {
    count: usize,
    body: BytesMut,
}

impl BulksWriter {
    /// A writer with room for `bytes` bytes of elements (their text alone; each element's
    /// framing is added to it).
    pub fn with_capacity(elements: usize, bytes: usize) -> BulksWriter {
        BulksWriter {
            count: 0,
            body: BytesMut::with_capacity(bytes + elements * 7),
        }
    }

    /// Appends one element.
    pub fn push(&mut self, b: &[u8]) {
        let mut digits = itoa::Buffer::new();
        let len = digits.format(b.len()).as_bytes();
        self.body.reserve(len.len() + b.len() + 5);
        self.body.put_u8(b'$');
        self.body.put_slice(len);
        self.body.put_slice(b"\r\n");
        self.body.put_slice(b);
        self.body.put_slice(b"\r\n");
        self.count += 1;
    }

    /// Appends an integer as its decimal text (a bulk string, as list elements stored as
    /// integers are replied).
    pub fn push_int(&mut self, n: i64) {
        self.push(itoa::Buffer::new().format(n).as_bytes());
    }

    /// The array written.
    pub fn finish(self) -> Bulks {
        Bulks {
            count: self.count,
            body: self.body.freeze(),
        }
    }
}

impl Bulks {
    /// How many elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The elements, in wire form, without the array's header.
    pub fn wire(&self) -> &[u8] {
        &self.body
    }

    /// The elements' bytes, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { rest: &self.body }
    }

    /// The same reply as an array of bulk-string frames.
    pub fn to_array(&self) -> Frame {
        Frame::Array(
            self.iter()
                .map(|b| Frame::Bulk(self.body.slice_ref(b)))
                .collect(),
        )
    }
}

/// The elements of a [`Bulks`].
pub struct Iter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        // Each element is `$<len>\r\n<bytes>\r\n`, as `BulksWriter::push` wrote it.
        let rest = self.rest.strip_prefix(b"$")?;
        let cr = memchr::memchr(b'\r', rest)?;
        let len: usize = std::str::from_utf8(&rest[..cr]).ok()?.parse().ok()?;
        let start = cr + 2;
        let item = rest.get(start..start + len)?;
        self.rest = rest.get(start + len + 2..).unwrap_or_default();
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode_to_vec, Protocol};
    use proptest::prelude::*;

    fn written(items: &[Vec<u8>]) -> Bulks {
        let mut w = BulksWriter::with_capacity(items.len(), 0);
        for item in items {
            w.push(item);
        }
        w.finish()
    }

    #[test]
    fn empty_array() {
        let b = BulksWriter::default().finish();
        assert!(b.is_empty());
        assert_eq!(b.iter().count(), 0);
        for proto in [Protocol::Resp2, Protocol::Resp3] {
            assert_eq!(encode_to_vec(&Frame::Bulks(b.clone()), proto), b"*0\r\n");
        }
    }

    #[test]
    fn integers_are_their_decimal_text() {
        let mut w = BulksWriter::default();
        w.push_int(-12);
        w.push_int(i64::MAX);
        let b = w.finish();
        assert_eq!(
            b.iter().collect::<Vec<_>>(),
            vec![b"-12".as_slice(), b"9223372036854775807".as_slice()]
        );
    }

    proptest! {
        #[test]
        fn same_wire_and_items_as_an_array_of_bulks(
            items in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..50)
        ) {
            let b = written(&items);
            prop_assert_eq!(b.len(), items.len());
            let got: Vec<Vec<u8>> = b.iter().map(<[u8]>::to_vec).collect();
            prop_assert_eq!(&got, &items);
            let array = Frame::Array(items.iter().map(Frame::bulk).collect());
            prop_assert_eq!(&b.to_array(), &array);
            for proto in [Protocol::Resp2, Protocol::Resp3] {
                prop_assert_eq!(
                    encode_to_vec(&Frame::Bulks(b.clone()), proto),
                    encode_to_vec(&array, proto)
                );
            }
        }
    }
}
