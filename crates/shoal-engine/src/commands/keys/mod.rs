//! Generic key commands: deletion, existence, renaming, copying and moving keys, TTLs,
//! iteration (KEYS, SCAN, RANDOMKEY), OBJECT introspection, and the keyspace-wide
//! DBSIZE, FLUSHDB, FLUSHALL and SWAPDB.
//!
//! Handlers live in the sub-files by theme; this file holds the shared helpers and the one
//! declaration list, [`COMMANDS`].

mod basic;
mod db;
mod expire;
mod object;
mod scan;

#[cfg(test)]
mod basic_tests;
#[cfg(test)]
mod db_tests;
#[cfg(test)]
mod expire_tests;
#[cfg(test)]
mod notify_tests;
#[cfg(test)]
mod scan_tests;

use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::CmdError;
use crate::exec::{Access, Ctx};
use crate::util::num::parse_i64;
use bytes::Bytes;

/// Locks the shards of every key in `keys` at once.
fn lock_keys<'a>(ctx: &Ctx<'a>, keys: &[Bytes]) -> Access<'a> {
    let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
    ctx.lock(&refs)
}

/// Parses a database index the way Redis reads an `int` argument: a 32-bit integer, else
/// `err`; then checks it names an existing database.
fn db_index(ctx: &Ctx<'_>, arg: &[u8], err: CmdError) -> Result<usize, CmdError> {
    let n = parse_int32(arg, err)?;
    check_db(ctx, n)
}

/// Parses a 32-bit integer argument, answering `err` otherwise.
fn parse_int32(arg: &[u8], err: CmdError) -> Result<i64, CmdError> {
    parse_i64(arg)
        .filter(|n| i32::try_from(*n).is_ok())
        .ok_or(err)
}

/// Checks that `n` names an existing database.
fn check_db(ctx: &Ctx<'_>, n: i64) -> Result<usize, CmdError> {
    usize::try_from(n)
        .ok()
        .filter(|&n| n < ctx.databases())
        .ok_or(CmdError::DbIndexOutOfRange)
}

/// The error MOVE and COPY answer when asked to copy a key onto itself.
const SAME_OBJECT: CmdError = CmdError::Msg("source and destination objects are the same");

const KS: u64 = acl::KEYSPACE;
const W: u32 = flags::WRITE;
const WF: u32 = flags::WRITE | flags::FAST;
const R: u32 = flags::READONLY;
const RF: u32 = flags::READONLY | flags::FAST;

/// The generic family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", basic::del)
        .arity(-2)
        .flags(W)
        .keys(1, -1, 1)
        .acl(KS)
        .doc(
            "Deletes one or more keys.",
            "1.0.0",
            "O(N) for N keys; O(M) for a key holding M elements",
        ),
    CommandSpec::new("unlink", basic::unlink)
        .arity(-2)
        .flags(WF)
        .keys(1, -1, 1)
        .acl(KS)
        .doc(
            "Deletes keys, reclaiming their memory in the background.",
            "4.0.0",
            "O(1) per key removed",
        ),
    CommandSpec::new("exists", basic::exists)
        .arity(-2)
        .flags(RF)
        .keys(1, -1, 1)
        .acl(KS)
        .doc(
            "Counts how many of the given keys exist.",
            "1.0.0",
            "O(N) for N keys",
        ),
    CommandSpec::new("type", basic::type_cmd)
        .arity(2)
        .flags(RF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc("Names the type of the value at a key.", "1.0.0", "O(1)"),
    CommandSpec::new("touch", basic::touch)
        .arity(-2)
        .flags(RF)
        .keys(1, -1, 1)
        .acl(KS)
        .doc(
            "Refreshes the access time of keys; counts the existing ones.",
            "3.2.1",
            "O(N) for N keys",
        ),
    CommandSpec::new("rename", basic::rename)
        .arity(3)
        .flags(W)
        .keys(1, 2, 1)
        .acl(KS)
        .doc(
            "Gives a key a new name, replacing any key already there.",
            "1.0.0",
            "O(1)",
        ),
    CommandSpec::new("renamenx", basic::renamenx)
        .arity(3)
        .flags(WF)
        .keys(1, 2, 1)
        .acl(KS)
        .doc(
            "Renames a key only if the new name is free.",
            "1.0.0",
            "O(1)",
        ),
    CommandSpec::new("copy", basic::copy)
        .arity(-3)
        .flags(W | flags::DENYOOM)
        .keys(1, 2, 1)
        .acl(KS)
        .doc(
            "Duplicates a key's value under another name, possibly in another database.",
            "6.2.0",
            "O(N) for N nested values",
        ),
    CommandSpec::new("move", basic::move_cmd)
        .arity(3)
        .flags(WF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc("Transfers a key to another database.", "1.0.0", "O(1)"),
    CommandSpec::new("keys", scan::keys)
        .arity(2)
        .flags(R)
        .acl(KS | acl::DANGEROUS)
        .doc(
            "Lists every key matching a glob pattern.",
            "1.0.0",
            "O(N) for N keys in the database",
        ),
    CommandSpec::new("scan", scan::scan)
        .arity(-2)
        .flags(R)
        .acl(KS)
        .doc(
            "Walks the keyspace incrementally with a cursor.",
            "2.8.0",
            "O(1) per call, O(N) for a full iteration",
        ),
    CommandSpec::new("randomkey", scan::randomkey)
        .arity(1)
        .flags(R)
        .acl(KS)
        .doc("Picks a key at random.", "1.0.0", "O(1)"),
    CommandSpec::new("expire", expire::expire)
        .arity(-3)
        .flags(WF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc("Gives a key a time to live in seconds.", "1.0.0", "O(1)"),
    CommandSpec::new("pexpire", expire::pexpire)
        .arity(-3)
        .flags(WF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc(
            "Gives a key a time to live in milliseconds.",
            "2.6.0",
            "O(1)",
        ),
    CommandSpec::new("expireat", expire::expireat)
        .arity(-3)
        .flags(WF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc(
            "Makes a key expire at a Unix time in seconds.",
            "1.2.0",
            "O(1)",
        ),
    CommandSpec::new("pexpireat", expire::pexpireat)
        .arity(-3)
        .flags(WF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc(
            "Makes a key expire at a Unix time in milliseconds.",
            "2.6.0",
            "O(1)",
        ),
    CommandSpec::new("ttl", expire::ttl)
        .arity(2)
        .flags(RF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc("Seconds a key has left to live.", "1.0.0", "O(1)"),
    CommandSpec::new("pttl", expire::pttl)
        .arity(2)
        .flags(RF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc("Milliseconds a key has left to live.", "2.6.0", "O(1)"),
    CommandSpec::new("expiretime", expire::expiretime)
        .arity(2)
        .flags(RF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc(
            "The Unix time in seconds at which a key expires.",
            "7.0.0",
            "O(1)",
        ),
    CommandSpec::new("pexpiretime", expire::pexpiretime)
        .arity(2)
        .flags(RF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc(
            "The Unix time in milliseconds at which a key expires.",
            "7.0.0",
            "O(1)",
        ),
    CommandSpec::new("persist", expire::persist)
        .arity(2)
        .flags(WF)
        .keys(1, 1, 1)
        .acl(KS)
        .doc("Drops a key's time to live.", "2.2.0", "O(1)"),
    CommandSpec::new("object", object::help)
        .arity(-2)
        .doc(
            "Introspection of the values stored at keys.",
            "2.2.3",
            "Depends on subcommand.",
        )
        .subcommands(object::SUBCOMMANDS),
    CommandSpec::new("dbsize", db::dbsize)
        .arity(1)
        .flags(RF)
        .acl(KS)
        .group(Group::Server)
        .doc("Counts the keys in the selected database.", "1.0.0", "O(1)"),
    CommandSpec::new("flushdb", db::flushdb)
        .arity(-1)
        .flags(W)
        .acl(KS | acl::DANGEROUS)
        .group(Group::Server)
        .doc(
            "Deletes every key of the selected database.",
            "1.0.0",
            "O(N) for N keys in the database",
        ),
    // Runs alone: with save points, the empty image it saves is point-in-time.
    CommandSpec::new("flushall", db::flushall)
        .arity(-1)
        .flags(W | flags::EXCLUSIVE)
        .acl(KS | acl::DANGEROUS)
        .group(Group::Server)
        .doc(
            "Deletes every key of every database.",
            "1.0.0",
            "O(N) for N keys in all databases",
        ),
    CommandSpec::new("swapdb", db::swapdb)
        .arity(3)
        .flags(WF)
        .acl(KS | acl::DANGEROUS)
        .group(Group::Server)
        .doc(
            "Exchanges the contents of two databases.",
            "4.0.0",
            "O(N) for N clients watching or blocked on keys of either database",
        ),
];
