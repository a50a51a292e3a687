//! The string family's declarations (arity, flags and key positions as in Redis 7).

use super::{getdel, getex, getset, incr, lcs, multi, psetex, range, set, setex, setnx};
use crate::command::{acl, flags, CommandSpec, Group};

const STR: u64 = acl::STRING;
const W: u32 = flags::WRITE;
const R: u32 = flags::READONLY;
const DENYOOM: u32 = flags::DENYOOM;
const FAST: u32 = flags::FAST;

/// A string command with one key at position 1.
const fn one_key(
    name: &'static str,
    handler: crate::command::Handler,
    arity: i32,
    f: u32,
) -> CommandSpec {
    CommandSpec::new(name, handler)
        .arity(arity)
        .flags(f)
        .keys(1, 1, 1)
        .acl(STR)
        .group(Group::String)
}

/// The string family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    one_key("get", super::get, 2, R | FAST).doc(
        "Returns the string value of a key.",
        "1.0.0",
        "O(1)",
    ),
    one_key("set", set, -3, W | DENYOOM).doc(
        "Sets the string value of a key, optionally only if it exists or not, with a TTL, returning the old value.",
        "1.0.0",
        "O(1)",
    ),
    one_key("setnx", setnx, 3, W | DENYOOM | FAST).doc(
        "Sets the string value of a key only when the key does not exist.",
        "1.0.0",
        "O(1)",
    ),
    one_key("setex", setex, 4, W | DENYOOM).doc(
        "Sets the string value and the time to live in seconds of a key.",
        "2.0.0",
        "O(1)",
    ),
    one_key("psetex", psetex, 4, W | DENYOOM).doc(
        "Sets the string value and the time to live in milliseconds of a key.",
        "2.6.0",
        "O(1)",
    ),
    one_key("getset", getset, 3, W | DENYOOM | FAST).doc(
        "Sets a new string value for a key and returns the one it replaced.",
        "1.0.0",
        "O(1)",
    ),
    one_key("getdel", getdel, 2, W | FAST).doc(
        "Returns the string value of a key and deletes the key.",
        "6.2.0",
        "O(1)",
    ),
    one_key("getex", getex, -2, W | FAST).doc(
        "Returns the string value of a key and sets or removes its time to live.",
        "6.2.0",
        "O(1)",
    ),
    one_key("append", range::append, 3, W | DENYOOM).doc(
        "Appends bytes to the string value of a key, creating the key if needed.",
        "2.0.0",
        "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
    ),
    one_key("strlen", range::strlen, 2, R | FAST).doc(
        "Returns the length of a string value.",
        "2.2.0",
        "O(1)",
    ),
    one_key("getrange", range::getrange, 4, R).doc(
        "Returns the bytes of a string value between two offsets.",
        "2.4.0",
        "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
    ),
    one_key("substr", range::getrange, 4, R).doc(
        "Returns the bytes of a string value between two offsets (old name of GETRANGE).",
        "1.0.0",
        "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
    ),
    one_key("setrange", range::setrange, 4, W | DENYOOM).doc(
        "Overwrites part of a string value from an offset, padding with zero bytes; creates the key if needed.",
        "2.2.0",
        "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
    ),
    one_key("incr", incr::incr, 2, W | DENYOOM | FAST).doc(
        "Adds one to the integer value of a key, treating a missing key as 0.",
        "1.0.0",
        "O(1)",
    ),
    one_key("decr", incr::decr, 2, W | DENYOOM | FAST).doc(
        "Subtracts one from the integer value of a key, treating a missing key as 0.",
        "1.0.0",
        "O(1)",
    ),
    one_key("incrby", incr::incrby, 3, W | DENYOOM | FAST).doc(
        "Adds an integer to the integer value of a key, treating a missing key as 0.",
        "1.0.0",
        "O(1)",
    ),
    one_key("decrby", incr::decrby, 3, W | DENYOOM | FAST).doc(
        "Subtracts an integer from the integer value of a key, treating a missing key as 0.",
        "1.0.0",
        "O(1)",
    ),
    one_key("incrbyfloat", incr::incrbyfloat, 3, W | DENYOOM | FAST).doc(
        "Adds a floating point number to the value of a key, treating a missing key as 0.",
        "2.6.0",
        "O(1)",
    ),
    CommandSpec::new("mget", multi::mget)
        .arity(-2)
        .flags(R | FAST)
        .keys(1, -1, 1)
        .acl(STR)
        .group(Group::String)
        .doc(
            "Returns the string values of one or more keys.",
            "1.0.0",
            "O(N) where N is the number of keys to retrieve.",
        ),
    CommandSpec::new("mset", multi::mset)
        .arity(-3)
        .flags(W | DENYOOM)
        .keys(1, -1, 2)
        .acl(STR)
        .group(Group::String)
        .doc(
            "Sets the string values of one or more keys.",
            "1.0.1",
            "O(N) where N is the number of keys to set.",
        ),
    CommandSpec::new("msetnx", multi::msetnx)
        .arity(-3)
        .flags(W | DENYOOM)
        .keys(1, -1, 2)
        .acl(STR)
        .group(Group::String)
        .doc(
            "Sets the string values of one or more keys only when none of them exist.",
            "1.0.1",
            "O(N) where N is the number of keys to set.",
        ),
    CommandSpec::new("lcs", lcs::lcs)
        .arity(-3)
        .flags(R)
        .keys(1, 2, 1)
        .acl(STR)
        .group(Group::String)
        .doc(
            "Finds the longest common subsequence of two string values.",
            "7.0.0",
            "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        ),
];
