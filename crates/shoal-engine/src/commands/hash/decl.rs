//! The hash family's declarations (arity, flags and key positions as in Redis 7.4).

use super::basic::{
    hdel, hexists, hget, hgetall, hkeys, hlen, hmget, hmset, hset, hsetnx, hstrlen, hvals,
};
use super::fieldttl::{
    hexpire, hexpireat, hexpiretime, hpersist, hpexpire, hpexpireat, hpexpiretime, hpttl, httl,
};
use super::incr::{hincrby, hincrbyfloat};
use super::walk::{hrandfield, hscan};
use crate::command::{acl, flags, CommandSpec, Group, Handler};

const W: u32 = flags::WRITE;
const R: u32 = flags::READONLY;
const DENYOOM: u32 = flags::DENYOOM;
const FAST: u32 = flags::FAST;

/// A hash command with one key at position 1.
const fn one_key(name: &'static str, handler: Handler, arity: i32, f: u32) -> CommandSpec {
    CommandSpec::new(name, handler)
        .arity(arity)
        .flags(f)
        .keys(1, 1, 1)
        .acl(acl::HASH)
        .group(Group::Hash)
}

const N: &str = "O(N) where N is the number of fields given";
const ALL: &str = "O(N) where N is the size of the hash";

/// The hash family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    one_key("hset", hset, -4, W | DENYOOM | FAST).doc(
        "Sets fields of a hash, creating it if needed; counts the new fields.",
        "2.0.0",
        N,
    ),
    one_key("hsetnx", hsetnx, 4, W | DENYOOM | FAST).doc(
        "Sets a hash field only when it does not exist yet.",
        "2.0.0",
        "O(1)",
    ),
    one_key("hmset", hmset, -4, W | DENYOOM | FAST).doc(
        "Sets fields of a hash (deprecated form of HSET).",
        "2.0.0",
        N,
    ),
    one_key("hget", hget, 3, R | FAST).doc("Returns the value of a hash field.", "2.0.0", "O(1)"),
    one_key("hmget", hmget, -3, R | FAST).doc(
        "Returns the values of several hash fields.",
        "2.0.0",
        N,
    ),
    one_key("hdel", hdel, -3, W | FAST).doc(
        "Removes fields from a hash; deletes the key when none is left.",
        "2.0.0",
        N,
    ),
    one_key("hlen", hlen, 2, R | FAST).doc(
        "Returns the number of fields of a hash.",
        "2.0.0",
        "O(1)",
    ),
    one_key("hstrlen", hstrlen, 3, R | FAST).doc(
        "Returns the length of a hash field's value.",
        "3.2.0",
        "O(1)",
    ),
    one_key("hexists", hexists, 3, R | FAST).doc(
        "Tells whether a hash field exists.",
        "2.0.0",
        "O(1)",
    ),
    one_key("hkeys", hkeys, 2, R).doc("Returns every field name of a hash.", "2.0.0", ALL),
    one_key("hvals", hvals, 2, R).doc("Returns every value of a hash.", "2.0.0", ALL),
    one_key("hgetall", hgetall, 2, R).doc("Returns every field and value of a hash.", "2.0.0", ALL),
    one_key("hincrby", hincrby, 4, W | DENYOOM | FAST).doc(
        "Adds an integer to a hash field's integer value.",
        "2.0.0",
        "O(1)",
    ),
    one_key("hincrbyfloat", hincrbyfloat, 4, W | DENYOOM | FAST).doc(
        "Adds a floating point number to a hash field's value.",
        "2.6.0",
        "O(1)",
    ),
    one_key("hrandfield", hrandfield, -2, R).doc(
        "Returns random fields of a hash, optionally with their values.",
        "6.2.0",
        "O(N) where N is the number of fields returned",
    ),
    one_key("hscan", hscan, -3, R).doc(
        "Walks the fields and values of a hash with a cursor.",
        "2.8.0",
        "O(1) for every call, O(N) for a complete iteration",
    ),
    one_key("hexpire", hexpire, -6, W | FAST).doc(
        "Sets a time to live in seconds on hash fields.",
        "7.4.0",
        N,
    ),
    one_key("hpexpire", hpexpire, -6, W | FAST).doc(
        "Sets a time to live in milliseconds on hash fields.",
        "7.4.0",
        N,
    ),
    one_key("hexpireat", hexpireat, -6, W | FAST).doc(
        "Sets a Unix time in seconds at which hash fields expire.",
        "7.4.0",
        N,
    ),
    one_key("hpexpireat", hpexpireat, -6, W | FAST).doc(
        "Sets a Unix time in milliseconds at which hash fields expire.",
        "7.4.0",
        N,
    ),
    one_key("httl", httl, -5, R | FAST).doc(
        "Returns the seconds left before hash fields expire.",
        "7.4.0",
        N,
    ),
    one_key("hpttl", hpttl, -5, R | FAST).doc(
        "Returns the milliseconds left before hash fields expire.",
        "7.4.0",
        N,
    ),
    one_key("hexpiretime", hexpiretime, -5, R | FAST).doc(
        "Returns the Unix time in seconds at which hash fields expire.",
        "7.4.0",
        N,
    ),
    one_key("hpexpiretime", hpexpiretime, -5, R | FAST).doc(
        "Returns the Unix time in milliseconds at which hash fields expire.",
        "7.4.0",
        N,
    ),
    one_key("hpersist", hpersist, -5, W | FAST).doc(
        "Removes the time to live of hash fields.",
        "7.4.0",
        N,
    ),
];
