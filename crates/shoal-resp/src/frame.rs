//! The value model shared by RESP2 and RESP3.

use crate::Bulks;
use bytes::Bytes;

/// Protocol version a connection speaks; it decides how a [`Frame`] is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// RESP2, the default for every new connection.
    #[default]
    Resp2,
    /// RESP3, chosen with `HELLO 3`.
    Resp3,
}

impl Protocol {
    /// The protocol version number as `HELLO` reports it.
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// One RESP value, a superset of RESP2 and RESP3.
///
/// Replies are built once in this form; [`crate::encode`] lowers RESP3-only types to their
/// RESP2 shape (maps become flat arrays, doubles become bulk strings, ...) when the
/// connection speaks RESP2.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+OK`: a simple string, no CR or LF inside.
    Simple(Bytes),
    /// `-ERR message`: a simple error; the first word is the error code.
    Error(Bytes),
    /// `:42`.
    Integer(i64),
    /// `$3\r\nfoo`: a binary-safe string.
    Bulk(Bytes),
    /// `*N`: an array.
    Array(Vec<Frame>),
    /// An array of bulk strings already in wire form: written exactly as the `Array` of
    /// `Bulk`s it stands for ([`Bulks::to_array`]), for either protocol. Only replies bound
    /// for a socket are built this way.
    Bulks(Bulks),
    /// The null reply. RESP3 `_`; in RESP2 the null bulk string `$-1`.
    Null,
    /// The null reply where Redis sends a null *array* in RESP2 (`*-1`); RESP3 `_`.
    NullArray,
    /// RESP3 `#t` / `#f`; RESP2 `:1` / `:0`.
    Boolean(bool),
    /// RESP3 `,1.5`; RESP2 a bulk string with the same text.
    Double(f64),
    /// RESP3 `(12345678901234567890`; RESP2 a bulk string.
    BigNumber(Bytes),
    /// RESP3 `!len`: an error with a binary-safe message; RESP2 a simple error.
    BulkError(Bytes),
    /// RESP3 `=len\r\ntxt:...`: text with a three-letter format; RESP2 a bulk string of the text.
    Verbatim {
        /// Three-byte format tag, `txt` or `mkd`.
        format: [u8; 3],
        /// The text itself, without the `fmt:` prefix.
        data: Bytes,
    },
    /// RESP3 `%N`: ordered key/value pairs; RESP2 a flat array of 2N items.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~N`: an unordered collection; RESP2 an array.
    Set(Vec<Frame>),
    /// RESP3 `>N`: out-of-band data (pub/sub messages, invalidations); RESP2 an array.
    Push(Vec<Frame>),
    /// RESP3 `|N` attribute pairs followed by the value they describe; RESP2 drops the
    /// attributes and writes the value.
    Attribute {
        /// The attribute map.
        attrs: Vec<(Frame, Frame)>,
        /// The reply the attributes annotate.
        value: Box<Frame>,
    },
}

impl Frame {
    /// `+OK`.
    pub fn ok() -> Frame {
        Frame::Simple(Bytes::from_static(b"OK"))
    }

    /// A simple string from static text.
    pub fn simple(s: &'static str) -> Frame {
        Frame::Simple(Bytes::from_static(s.as_bytes()))
    }

    /// A bulk string copied from a slice.
    pub fn bulk(b: impl AsRef<[u8]>) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(b.as_ref()))
    }

    /// An error reply from its full text (`"ERR syntax error"`).
    pub fn error(msg: impl Into<String>) -> Frame {
        Frame::Error(Bytes::from(msg.into()))
    }

    /// True for `Error` and `BulkError`.
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_) | Frame::BulkError(_))
    }

    /// The bytes of a `Simple`, `Bulk` or `Verbatim` frame.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Frame::Simple(b) | Frame::Bulk(b) | Frame::Verbatim { data: b, .. } => Some(b),
            _ => None,
        }
    }
}
