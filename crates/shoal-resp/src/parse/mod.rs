//! Reading frames (replies, replication streams) and commands (client requests).
//!
//! Both parsers work in two passes over the buffered bytes: a first pass walks the
//! lengths without allocating anything and finds where the request or frame ends (or that
//! it is not complete yet); only then is that prefix split off and frozen once, and a
//! second pass hands out zero-copy slices of it.

mod command;
mod frame;

pub use command::{encode_command, parse_command};
pub use frame::parse_frame;

/// How deeply aggregates (arrays, maps, sets, pushes, attributes) may nest in one frame.
///
/// Deeper input is refused with [`ProtocolError::TooDeep`], so hostile input cannot
/// exhaust the stack.
pub const MAX_FRAME_DEPTH: usize = 512;

/// Aggregate lengths come from the peer; never reserve more than this many slots up front.
const MAX_PREALLOC: usize = 1024;

/// Bounds applied to client requests by [`parse_command`].
///
/// The defaults are Redis's: `proto-max-bulk-len` 512 MiB, at most `i32::MAX` arguments,
/// and 64 KiB for an inline request or a header line.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest bulk string argument accepted, in bytes (Redis's `proto-max-bulk-len`).
    pub max_bulk_len: usize,
    /// Largest argument count a multibulk request may announce.
    pub max_multibulk: usize,
    /// How many bytes may be buffered while looking for the end of an inline request or
    /// of a `*`/`$` header line before the request is refused.
    pub max_inline: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk: i32::MAX as usize,
            max_inline: 64 * 1024,
        }
    }
}

/// Malformed input. Once a parser has returned one of these the stream cannot be
/// resynchronised; the connection should be closed (after replying, for a server).
///
/// `Display` gives the text Redis sends for the same fault, without the `ERR ` code, e.g.
/// `Protocol error: invalid multibulk length`; a server replies `-ERR {error}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// An inline request grew past [`Limits::max_inline`] without a newline.
    #[error("Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// A `*N` header grew past [`Limits::max_inline`] without a CR.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// A `*N` count that is not an integer or exceeds [`Limits::max_multibulk`].
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// A `$N` header grew past [`Limits::max_inline`] without a CR.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// A multibulk request item that does not start with `$`; holds the byte found.
    ///
    /// A CR or LF byte is shown as a space so the text stays on one line.
    #[error("Protocol error: expected '$', got '{}'", printable(*.0))]
    ExpectedDollar(u8),
    /// A `$N` length that is not an integer, is negative or exceeds
    /// [`Limits::max_bulk_len`].
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// An inline request whose quotes do not close, or close without whitespace after.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A frame starting with a byte that is no RESP2/RESP3 type; holds the byte found.
    #[error("Protocol error: invalid frame type '{}'", printable(*.0))]
    InvalidFrameType(u8),
    /// A `:` frame whose text is not a 64-bit integer.
    #[error("Protocol error: invalid integer")]
    InvalidInteger,
    /// An aggregate or blob length that is not an integer or is negative.
    #[error("Protocol error: invalid length")]
    InvalidLength,
    /// A `,` frame whose text is not a double.
    #[error("Protocol error: invalid double")]
    InvalidDouble,
    /// A `#` frame other than `#t` or `#f`.
    #[error("Protocol error: invalid boolean")]
    InvalidBoolean,
    /// A `(` frame whose text is not an integer.
    #[error("Protocol error: invalid big number")]
    InvalidBigNumber,
    /// A `_` frame with text before its CRLF.
    #[error("Protocol error: invalid null")]
    InvalidNull,
    /// A `=` frame shorter than four bytes or without `:` after its format.
    #[error("Protocol error: invalid verbatim string")]
    InvalidVerbatim,
    /// A CR not followed by LF, or a blob not followed by CRLF.
    #[error("Protocol error: expected CRLF")]
    ExpectedCrlf,
    /// Aggregates nested deeper than [`MAX_FRAME_DEPTH`].
    #[error("Protocol error: nesting deeper than {} levels", MAX_FRAME_DEPTH)]
    TooDeep,
}

/// One byte as a character for an error message, with CR and LF shown as spaces.
fn printable(b: u8) -> char {
    match b {
        b'\r' | b'\n' => ' ',
        _ => char::from(b),
    }
}

/// Reads a length or count the way Redis's `string2ll` does: an optional `-`, then
/// digits without a leading zero (`0` alone is fine), nothing else, no overflow.
fn parse_strict_i64(s: &[u8]) -> Option<i64> {
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    accumulate(negative, digits)
}

/// Reads the value of a `:` frame: an optional sign, then decimal digits, no overflow.
fn parse_lenient_i64(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    accumulate(negative, digits)
}

/// Sums decimal digits, growing toward negative for negative numbers so that `i64::MIN`
/// reads back.
fn accumulate(negative: bool, digits: &[u8]) -> Option<i64> {
    let mut value: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = i64::from(c - b'0');
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(d)?
        } else {
            value.checked_add(d)?
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_integers_match_string2ll() {
        assert_eq!(parse_strict_i64(b"0"), Some(0));
        assert_eq!(parse_strict_i64(b"3"), Some(3));
        assert_eq!(parse_strict_i64(b"-1"), Some(-1));
        assert_eq!(parse_strict_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_strict_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b"01",
            b"-0",
            b"00",
            b" 1",
            b"1 ",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_strict_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn lenient_integers_take_a_sign_and_zeros() {
        assert_eq!(parse_lenient_i64(b"+5"), Some(5));
        assert_eq!(parse_lenient_i64(b"-0"), Some(0));
        assert_eq!(parse_lenient_i64(b"007"), Some(7));
        assert_eq!(parse_lenient_i64(b"+"), None);
        assert_eq!(parse_lenient_i64(b""), None);
        assert_eq!(parse_lenient_i64(b"1e3"), None);
        assert_eq!(parse_lenient_i64(b"9223372036854775808"), None);
    }

    #[test]
    fn error_texts_are_redis_texts() {
        let cases = [
            (
                ProtocolError::TooBigInlineRequest,
                "Protocol error: too big inline request",
            ),
            (
                ProtocolError::TooBigMultibulkCount,
                "Protocol error: too big mbulk count string",
            ),
            (
                ProtocolError::InvalidMultibulkLength,
                "Protocol error: invalid multibulk length",
            ),
            (
                ProtocolError::TooBigBulkCount,
                "Protocol error: too big bulk count string",
            ),
            (
                ProtocolError::ExpectedDollar(b'x'),
                "Protocol error: expected '$', got 'x'",
            ),
            (
                ProtocolError::ExpectedDollar(b'\r'),
                "Protocol error: expected '$', got ' '",
            ),
            (
                ProtocolError::InvalidBulkLength,
                "Protocol error: invalid bulk length",
            ),
            (
                ProtocolError::UnbalancedQuotes,
                "Protocol error: unbalanced quotes in request",
            ),
        ];
        for (err, text) in cases {
            assert_eq!(err.to_string(), text);
        }
        assert_eq!(
            ProtocolError::TooDeep.to_string(),
            "Protocol error: nesting deeper than 512 levels"
        );
    }
}
