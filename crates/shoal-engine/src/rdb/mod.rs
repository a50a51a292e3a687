//! Redis's RDB value codec, shared by DUMP / RESTORE, FUNCTION DUMP and (later) snapshots:
//! the CRC-64 and LZF Redis uses, RDB lengths and strings, listpacks and the legacy
//! ziplist / zipmap / intset blobs, and whole values.
//!
//! A DUMP payload is one RDB object, then the RDB version (2 bytes little-endian), then the
//! CRC-64 of everything before it (8 bytes little-endian).

mod access;
pub mod crc64;
pub mod file;
mod file_load;
pub mod hash_ttl;
pub mod legacy;
pub mod length;
pub mod listpack;
pub mod load;
pub mod lzf;
pub mod snapshot;
pub mod state;
pub mod value;

#[cfg(test)]
pub(crate) mod file_tests;
#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod tests;

pub use crc64::crc64;
pub use load::{read_value, Limits};
pub use value::write_value;

use crate::types::list::Fill;
use crate::types::Value;
use length::Reader;

/// The RDB version DUMP writes: Redis 7.0's, which every type written here fits.
pub const DUMP_VERSION: u16 = 10;
/// The newest RDB version RESTORE accepts (Redis 7.4's).
pub const MAX_VERSION: u16 = 12;

/// Why a payload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, a version newer than [`MAX_VERSION`], or a checksum mismatch.
    VersionOrChecksum,
    /// The body does not parse as a value.
    BadData(&'static str),
}

/// Appends the version and checksum trailer to `body`.
pub fn seal(mut body: Vec<u8>, version: u16) -> Vec<u8> {
    body.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(0, &body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// Checks the trailer of `payload` (versions up to `max_version`) and returns the body.
pub fn unseal(payload: &[u8], max_version: u16) -> Option<&[u8]> {
    if payload.len() < 10 {
        return None;
    }
    let (covered, crc) = payload.split_at(payload.len() - 8);
    let (body, version) = covered.split_at(covered.len() - 2);
    let version = u16::from_le_bytes([version[0], version[1]]);
    let mut want = [0u8; 8];
    want.copy_from_slice(crc);
    if version > max_version || crc64(0, covered) != u64::from_le_bytes(want) {
        return None;
    }
    Some(body)
}

/// The DUMP payload of `v`: RDB version 10, or 12 for a hash with field deadlines.
pub fn dump(v: &Value, compress: bool, fill: Fill) -> Vec<u8> {
    let mut body = Vec::new();
    let version = write_value(&mut body, v, compress, fill);
    seal(body, version)
}

/// The value in a DUMP payload.
pub fn restore(payload: &[u8], lim: &Limits) -> Result<Value, PayloadError> {
    let body = unseal(payload, MAX_VERSION).ok_or(PayloadError::VersionOrChecksum)?;
    let mut r = Reader::new(body);
    // Like Redis, bytes after the object are ignored.
    read_value(&mut r, lim).map_err(PayloadError::BadData)
}
