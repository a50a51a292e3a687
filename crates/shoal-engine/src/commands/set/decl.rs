//! The set family's declarations (arity, flags and key positions as in Redis 7).

use super::{algebra, basic, random, scan};
use crate::command::{acl, flags, CommandSpec, Group, Handler};

const W: u32 = flags::WRITE;
const R: u32 = flags::READONLY;
const DENYOOM: u32 = flags::DENYOOM;
const FAST: u32 = flags::FAST;

/// A set command with keys from `first` to `last`.
const fn spec(
    name: &'static str,
    handler: Handler,
    arity: i32,
    f: u32,
    first: i32,
    last: i32,
) -> CommandSpec {
    CommandSpec::new(name, handler)
        .arity(arity)
        .flags(f)
        .keys(first, last, 1)
        .acl(acl::SET)
        .group(Group::Set)
}

/// The set family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    spec("sadd", basic::sadd, -3, W | DENYOOM | FAST, 1, 1).doc(
        "Adds members to a set, creating the key if needed.",
        "1.0.0",
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    ),
    spec("srem", basic::srem, -3, W | FAST, 1, 1).doc(
        "Removes members from a set, deleting the key when none are left.",
        "1.0.0",
        "O(N) where N is the number of members to be removed.",
    ),
    spec("scard", basic::scard, 2, R | FAST, 1, 1).doc(
        "Returns how many members a set has.",
        "1.0.0",
        "O(1)",
    ),
    spec("sismember", basic::sismember, 3, R | FAST, 1, 1).doc(
        "Tells whether a value is a member of a set.",
        "1.0.0",
        "O(1)",
    ),
    spec("smismember", basic::smismember, -3, R | FAST, 1, 1).doc(
        "Tells, for each of several values, whether it is a member of a set.",
        "6.2.0",
        "O(N) where N is the number of elements being checked for membership",
    ),
    spec("smembers", basic::smembers, 2, R, 1, 1).doc(
        "Returns every member of a set.",
        "1.0.0",
        "O(N) where N is the set cardinality.",
    ),
    spec("smove", basic::smove, 4, W | FAST, 1, 2).doc(
        "Moves a member from one set to another.",
        "1.0.0",
        "O(1)",
    ),
    spec("spop", random::spop, -2, W | FAST, 1, 1).doc(
        "Removes and returns one or more random members of a set, deleting the key when none are left.",
        "1.0.0",
        "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
    ),
    spec("srandmember", random::srandmember, -2, R, 1, 1).doc(
        "Returns one or more random members of a set without removing them.",
        "1.0.0",
        "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
    ),
    spec("sinter", algebra::sinter, -2, R, 1, -1).doc(
        "Returns the members common to several sets.",
        "1.0.0",
        "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    ),
    spec("sintercard", algebra::sintercard, -3, R, 0, 0)
        .key_finder(crate::command::keys_after_numkeys_at_1)
        .doc(
            "Returns how many members several sets have in common, optionally stopping at a limit.",
            "7.0.0",
            "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        ),
    spec("sinterstore", algebra::sinterstore, -3, W | DENYOOM, 1, -1).doc(
        "Stores the members common to several sets in a key.",
        "1.0.0",
        "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    ),
    spec("sunion", algebra::sunion, -2, R, 1, -1).doc(
        "Returns the members of all the given sets together.",
        "1.0.0",
        "O(N) where N is the total number of elements in all given sets.",
    ),
    spec("sunionstore", algebra::sunionstore, -3, W | DENYOOM, 1, -1).doc(
        "Stores the members of all the given sets together in a key.",
        "1.0.0",
        "O(N) where N is the total number of elements in all given sets.",
    ),
    spec("sdiff", algebra::sdiff, -2, R, 1, -1).doc(
        "Returns the members of the first set that are in none of the other sets.",
        "1.0.0",
        "O(N) where N is the total number of elements in all given sets.",
    ),
    spec("sdiffstore", algebra::sdiffstore, -3, W | DENYOOM, 1, -1).doc(
        "Stores the members of the first set that are in none of the other sets in a key.",
        "1.0.0",
        "O(N) where N is the total number of elements in all given sets.",
    ),
    spec("sscan", scan::sscan, -3, R, 1, 1).doc(
        "Iterates over the members of a set.",
        "2.8.0",
        "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    ),
];
