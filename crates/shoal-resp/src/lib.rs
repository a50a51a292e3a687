//! RESP2 and RESP3 framing.
//!
//! This crate owns the wire format and nothing else: it turns bytes into [`Frame`]s and
//! commands, and [`Frame`]s back into bytes for either protocol version. It knows no
//! commands, no sockets and no other Shoal crate.
//!
//! ```text
//!   socket bytes ──► BytesMut ──► parse_command() ──► Vec<Bytes> (slices of the input, no copy)
//!                             └─► parse_frame()   ──► Frame        (replies, replication)
//!   Frame ──► encode(frame, Protocol::Resp2 | Resp3, &mut BytesMut) ──► socket
//! ```
//!
//! "Need more bytes" is never an error: parsers return `Ok(None)` and leave the buffer
//! untouched until a whole frame is buffered (only [`parse_command`] consumes the empty
//! requests Redis skips). Malformed input gives a [`ProtocolError`] whose text is the one
//! Redis replies with. [`parse_command`] applies [`Limits`] to client requests;
//! [`encode_command`] writes a request for it to read.

mod bulks;
mod encode;
mod frame;
mod parse;

pub use bulks::{Bulks, BulksWriter};
pub use encode::{encode, encode_to_vec, format_double};
pub use frame::{Frame, Protocol};
pub use parse::{
    encode_command, parse_command, parse_frame, Limits, ProtocolError, MAX_FRAME_DEPTH,
};
