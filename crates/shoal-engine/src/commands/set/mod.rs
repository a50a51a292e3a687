//! Set commands.
//!
//! - `basic.rs`: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SMOVE.
//! - `random.rs`: SRANDMEMBER and SPOP.
//! - `algebra.rs`: SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE.
//! - `scan.rs`: SSCAN.
//! - `decl.rs`: the declarations.
//!
//! Encoding thresholds come from the `set-max-*` parameters at the time of each command.

mod algebra;
mod basic;
mod decl;
mod random;
mod scan;

#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod tests_algebra;
#[cfg(test)]
mod tests_basic;
#[cfg(test)]
mod tests_random;
#[cfg(test)]
mod tests_util;

pub use decl::COMMANDS;

use super::knob::Knob;
use crate::exec::{Access, Ctx};
use crate::types::set::Limits;
use bytes::Bytes;
use shoal_resp::Frame;

/// The encoding thresholds as currently configured.
fn limits(ctx: &Ctx<'_>) -> Limits {
    static INTSET_ENTRIES: Knob = Knob::new("set-max-intset-entries");
    static LISTPACK_ENTRIES: Knob = Knob::new("set-max-listpack-entries");
    static LISTPACK_VALUE: Knob = Knob::new("set-max-listpack-value");
    let cfg = &ctx.engine().config;
    let get = |knob: &Knob| usize::try_from(knob.get(cfg)).unwrap_or(usize::MAX);
    Limits {
        intset_entries: get(&INTSET_ENTRIES),
        listpack_entries: get(&LISTPACK_ENTRIES),
        listpack_value: get(&LISTPACK_VALUE),
    }
}

/// Locks the shards of every key in `keys` at once.
fn lock_keys<'a>(ctx: &Ctx<'a>, keys: &[Bytes]) -> Access<'a> {
    let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
    ctx.lock(&refs)
}

/// A RESP3 set (an array in RESP2) of bulk strings.
fn set_reply(members: Vec<Bytes>) -> Frame {
    Frame::Set(members.into_iter().map(Frame::Bulk).collect())
}

/// An array of bulk strings.
fn array_reply(members: Vec<Bytes>) -> Frame {
    Frame::Array(members.into_iter().map(Frame::Bulk).collect())
}

/// A command name followed by arguments, as an effect.
fn effect(name: &'static str, args: impl IntoIterator<Item = Bytes>) -> Vec<Bytes> {
    let mut v = vec![Bytes::from_static(name.as_bytes())];
    v.extend(args);
    v
}
