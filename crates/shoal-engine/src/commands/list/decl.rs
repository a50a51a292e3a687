//! The list family's declarations (arity, flags and key positions as Redis 7 reports them).

use super::pop::{blmove, blmpop, blpop, brpop, brpoplpush, lmove, lmpop, lpop, rpop, rpoplpush};
use super::{lindex, linsert, llen, lpos, lpush, lpushx, lrange, lrem, lset, ltrim, rpush, rpushx};
use crate::command::{acl, flags, CommandSpec, Group, Handler};

const W: u32 = flags::WRITE;
const R: u32 = flags::READONLY;
const DENYOOM: u32 = flags::DENYOOM;
const FAST: u32 = flags::FAST;
const BLOCKING: u32 = flags::BLOCKING;
const NOSCRIPT: u32 = flags::NOSCRIPT;

/// A list command with keys at `first..=last` by `step`.
const fn cmd(
    name: &'static str,
    handler: Handler,
    arity: i32,
    f: u32,
    keys: (i32, i32, i32),
) -> CommandSpec {
    CommandSpec::new(name, handler)
        .arity(arity)
        .flags(f)
        .keys(keys.0, keys.1, keys.2)
        .acl(acl::LIST)
        .group(Group::List)
}

const ONE: (i32, i32, i32) = (1, 1, 1);
const TWO: (i32, i32, i32) = (1, 2, 1);
const PUSH_COMPLEXITY: &str = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";
const MPOP_COMPLEXITY: &str =
    "O(N+M) where N is the number of provided keys and M is the number of elements returned.";

/// The list family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("lpush", lpush, -3, W | DENYOOM | FAST, ONE).doc(
        "Prepends one or more elements to a list, creating it if needed.",
        "1.0.0",
        PUSH_COMPLEXITY,
    ),
    cmd("rpush", rpush, -3, W | DENYOOM | FAST, ONE).doc(
        "Appends one or more elements to a list, creating it if needed.",
        "1.0.0",
        PUSH_COMPLEXITY,
    ),
    cmd("lpushx", lpushx, -3, W | DENYOOM | FAST, ONE).doc(
        "Prepends one or more elements to a list, only if the list exists.",
        "2.2.0",
        PUSH_COMPLEXITY,
    ),
    cmd("rpushx", rpushx, -3, W | DENYOOM | FAST, ONE).doc(
        "Appends one or more elements to a list, only if the list exists.",
        "2.2.0",
        PUSH_COMPLEXITY,
    ),
    cmd("lpop", lpop, -2, W | FAST, ONE).doc(
        "Removes and returns the first elements of a list; the key goes with the last one.",
        "1.0.0",
        "O(N) where N is the number of elements returned",
    ),
    cmd("rpop", rpop, -2, W | FAST, ONE).doc(
        "Removes and returns the last elements of a list; the key goes with the last one.",
        "1.0.0",
        "O(N) where N is the number of elements returned",
    ),
    cmd("llen", llen, 2, R | FAST, ONE).doc("Returns the number of elements in a list.", "1.0.0", "O(1)"),
    cmd("lrange", lrange, 4, R, ONE).doc(
        "Returns the elements of a list between two indexes.",
        "1.0.0",
        "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
    ),
    cmd("lindex", lindex, 3, R, ONE).doc(
        "Returns the element of a list at an index.",
        "1.0.0",
        "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
    ),
    cmd("lset", lset, 4, W | DENYOOM, ONE).doc(
        "Replaces the element of a list at an index.",
        "1.0.0",
        "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
    ),
    cmd("linsert", linsert, 5, W | DENYOOM, ONE).doc(
        "Inserts an element before or after the first occurrence of another in a list.",
        "2.2.0",
        "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
    ),
    cmd("lrem", lrem, 4, W, ONE).doc(
        "Removes occurrences of an element from a list, from the head, the tail, or everywhere.",
        "1.0.0",
        "O(N+M) where N is the length of the list and M is the number of elements removed.",
    ),
    cmd("ltrim", ltrim, 4, W, ONE).doc(
        "Keeps only the elements of a list between two indexes.",
        "1.0.0",
        "O(N) where N is the number of elements to be removed by the operation.",
    ),
    cmd("lpos", lpos, -3, R, ONE).doc(
        "Returns the indexes of the elements of a list that match a value.",
        "6.0.6",
        "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
    ),
    cmd("lmove", lmove, 5, W | DENYOOM, TWO).doc(
        "Pops an element from one end of a list and pushes it to an end of another, returning it.",
        "6.2.0",
        "O(1)",
    ),
    cmd("rpoplpush", rpoplpush, 3, W | DENYOOM, TWO).doc(
        "Pops the last element of a list and pushes it at the head of another, returning it.",
        "1.2.0",
        "O(1)",
    ),
    cmd("lmpop", lmpop, -4, W, (0, 0, 0))
        .key_finder(crate::command::keys_after_numkeys_at_1)
        .doc(
        "Pops elements from the first non-empty list among several keys.",
        "7.0.0",
        MPOP_COMPLEXITY,
    ),
    cmd("blpop", blpop, -3, W | NOSCRIPT | BLOCKING, (1, -2, 1)).doc(
        "Pops the first element of the first non-empty list, waiting for one if all are empty.",
        "2.0.0",
        "O(N) where N is the number of provided keys.",
    ),
    cmd("brpop", brpop, -3, W | NOSCRIPT | BLOCKING, (1, -2, 1)).doc(
        "Pops the last element of the first non-empty list, waiting for one if all are empty.",
        "2.0.0",
        "O(N) where N is the number of provided keys.",
    ),
    cmd("blmove", blmove, 6, W | DENYOOM | NOSCRIPT | BLOCKING, TWO).doc(
        "Moves an element between lists like LMOVE, waiting for one if the source is empty.",
        "6.2.0",
        "O(1)",
    ),
    cmd("brpoplpush", brpoplpush, 4, W | DENYOOM | NOSCRIPT | BLOCKING, TWO).doc(
        "Moves an element between lists like RPOPLPUSH, waiting for one if the source is empty.",
        "2.2.0",
        "O(1)",
    ),
    cmd("blmpop", blmpop, -5, W | BLOCKING, (0, 0, 0))
        .key_finder(crate::command::keys_after_numkeys_at_2)
        .doc(
        "Pops elements from the first non-empty list among several keys, waiting if all are empty.",
        "7.0.0",
        MPOP_COMPLEXITY,
    ),
];
