//! The FUNCTION DUMP payload, laid out as Redis lays it out: each library as the RDB
//! function opcode (245) followed by its code as an RDB string, then the RDB trailer
//! (version and CRC-64, see [`crate::rdb`]). Reading accepts the length encodings and
//! LZF-compressed strings Redis writes.

use crate::rdb::length::{write_len, Reader};
use crate::rdb::{seal, unseal};

/// The RDB opcode of a function library.
const OPCODE_FUNCTION2: u8 = 245;
/// The RDB version written, Redis 7.2's.
const RDB_VERSION: u16 = 11;

/// The payload holding `codes`.
pub(crate) fn encode(codes: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(OPCODE_FUNCTION2);
        write_len(&mut out, code.len() as u64);
        out.extend_from_slice(code);
    }
    seal(out, RDB_VERSION)
}

/// Why a payload is refused: the text after `ERR `.
pub(crate) const BAD_PAYLOAD: &str = "DUMP payload version or checksum are wrong";

/// The library codes in a payload.
pub(crate) fn decode(payload: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    let body = unseal(payload, RDB_VERSION).ok_or(BAD_PAYLOAD)?;
    let mut r = Reader::new(body);
    let mut codes = Vec::new();
    while !r.at_end() {
        if r.byte()? != OPCODE_FUNCTION2 {
            return Err("given type is not a function");
        }
        codes.push(r.string()?);
    }
    Ok(codes)
}
