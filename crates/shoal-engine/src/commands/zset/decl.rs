//! The sorted-set family's declarations (arity, flags and key positions as in Redis 7.2).

use super::{add, pop, range, scan, store};
use crate::command::{acl, flags, CommandSpec, Group, Handler};

const W: u32 = flags::WRITE;
const R: u32 = flags::READONLY;
const DENYOOM: u32 = flags::DENYOOM;
const FAST: u32 = flags::FAST;
const BLOCKING: u32 = flags::BLOCKING;
const NOSCRIPT: u32 = flags::NOSCRIPT;

/// A sorted-set command with the given key positions.
const fn cmd(
    name: &'static str,
    h: Handler,
    arity: i32,
    f: u32,
    keys: (i32, i32, i32),
) -> CommandSpec {
    CommandSpec::new(name, h)
        .arity(arity)
        .flags(f)
        .keys(keys.0, keys.1, keys.2)
        .acl(acl::SORTEDSET)
        .group(Group::SortedSet)
}

/// One key at position 1.
const ONE: (i32, i32, i32) = (1, 1, 1);
/// Keys found through a `numkeys` argument.
const MOVABLE: (i32, i32, i32) = (0, 0, 0);

/// The sorted-set family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("zadd", add::zadd, -4, W | DENYOOM | FAST, ONE).doc(
        "Adds members to a sorted set or updates their scores, creating the key if needed.",
        "1.2.0",
        "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    ),
    cmd("zincrby", add::zincrby, 4, W | DENYOOM | FAST, ONE).doc(
        "Adds an increment to a member's score, adding the member if needed.",
        "1.2.0",
        "O(log(N)) where N is the number of elements in the sorted set.",
    ),
    cmd("zrem", add::zrem, -3, W | FAST, ONE).doc(
        "Removes members from a sorted set, deleting the key when it empties.",
        "1.2.0",
        "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
    ),
    cmd("zcard", add::zcard, 2, R | FAST, ONE).doc(
        "Returns the number of members of a sorted set.",
        "1.2.0",
        "O(1)",
    ),
    cmd("zcount", add::zcount, 4, R | FAST, ONE).doc(
        "Counts the members whose scores fall within a range.",
        "2.0.0",
        "O(log(N)) with N being the number of elements in the sorted set.",
    ),
    cmd("zlexcount", add::zlexcount, 4, R | FAST, ONE).doc(
        "Counts the members within a lexicographical range.",
        "2.8.9",
        "O(log(N)) with N being the number of elements in the sorted set.",
    ),
    cmd("zscore", add::zscore, 3, R | FAST, ONE).doc(
        "Returns the score of a member.",
        "1.2.0",
        "O(1)",
    ),
    cmd("zmscore", add::zmscore, -3, R | FAST, ONE).doc(
        "Returns the scores of several members.",
        "6.2.0",
        "O(N) where N is the number of members being requested.",
    ),
    cmd("zrank", add::zrank, -3, R | FAST, ONE).doc(
        "Returns a member's position in ascending score order.",
        "2.0.0",
        "O(log(N))",
    ),
    cmd("zrevrank", add::zrevrank, -3, R | FAST, ONE).doc(
        "Returns a member's position in descending score order.",
        "2.0.0",
        "O(log(N))",
    ),
    cmd("zrange", range::zrange, -4, R, ONE).doc(
        "Returns members in a range of ranks, scores or members.",
        "1.2.0",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
    ),
    cmd("zrangebyscore", range::zrangebyscore, -4, R, ONE).doc(
        "Returns members within a score range.",
        "1.0.5",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
    ),
    cmd("zrevrange", range::zrevrange, -4, R, ONE).doc(
        "Returns members in a range of ranks, highest score first.",
        "1.2.0",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
    ),
    cmd("zrevrangebyscore", range::zrevrangebyscore, -4, R, ONE).doc(
        "Returns members within a score range, highest score first.",
        "2.2.0",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
    ),
    cmd("zrangebylex", range::zrangebylex, -4, R, ONE).doc(
        "Returns members within a lexicographical range.",
        "2.8.9",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
    ),
    cmd("zrevrangebylex", range::zrevrangebylex, -4, R, ONE).doc(
        "Returns members within a lexicographical range, in reverse order.",
        "2.8.9",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
    ),
    cmd("zrangestore", range::zrangestore, -5, W | DENYOOM, (1, 2, 1)).doc(
        "Stores a range of a sorted set in another key.",
        "6.2.0",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
    ),
    cmd("zremrangebyrank", range::zremrangebyrank, 4, W, ONE).doc(
        "Removes the members within a range of ranks.",
        "2.0.0",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
    ),
    cmd("zremrangebyscore", range::zremrangebyscore, 4, W, ONE).doc(
        "Removes the members within a score range.",
        "1.2.0",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
    ),
    cmd("zremrangebylex", range::zremrangebylex, 4, W, ONE).doc(
        "Removes the members within a lexicographical range.",
        "2.8.9",
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
    ),
    cmd("zpopmin", pop::zpopmin, -2, W | FAST, ONE).doc(
        "Removes and returns the members with the lowest scores.",
        "5.0.0",
        "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
    ),
    cmd("zpopmax", pop::zpopmax, -2, W | FAST, ONE).doc(
        "Removes and returns the members with the highest scores.",
        "5.0.0",
        "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
    ),
    cmd("zmpop", pop::zmpop, -4, W, MOVABLE)
        .key_finder(crate::command::keys_after_numkeys_at_1)
        .doc(
        "Removes and returns members with the lowest or highest scores from the first non-empty sorted set.",
        "7.0.0",
        "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
    ),
    cmd("bzpopmin", pop::bzpopmin, -3, W | NOSCRIPT | BLOCKING | FAST, (1, -2, 1)).doc(
        "Removes and returns the member with the lowest score from the first non-empty sorted set, waiting for one if needed.",
        "5.0.0",
        "O(log(N)) with N being the number of elements in the sorted set.",
    ),
    cmd("bzpopmax", pop::bzpopmax, -3, W | NOSCRIPT | BLOCKING | FAST, (1, -2, 1)).doc(
        "Removes and returns the member with the highest score from the first non-empty sorted set, waiting for one if needed.",
        "5.0.0",
        "O(log(N)) with N being the number of elements in the sorted set.",
    ),
    cmd("bzmpop", pop::bzmpop, -5, W | BLOCKING, MOVABLE)
        .key_finder(crate::command::keys_after_numkeys_at_2)
        .doc(
        "Removes and returns members by score from the first non-empty sorted set, waiting for one if needed.",
        "7.0.0",
        "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
    ),
    cmd("zrandmember", pop::zrandmember, -2, R | flags::RANDOM, ONE).doc(
        "Returns random members of a sorted set, with or without repetition.",
        "6.2.0",
        "O(N) where N is the number of members returned",
    ),
    cmd("zunion", store::zunion, -3, R, MOVABLE)
        .key_finder(crate::command::keys_after_numkeys_at_1)
        .doc(
        "Returns the union of sorted sets.",
        "6.2.0",
        "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
    ),
    cmd("zinter", store::zinter, -3, R, MOVABLE)
        .key_finder(crate::command::keys_after_numkeys_at_1)
        .doc(
        "Returns the intersection of sorted sets.",
        "6.2.0",
        "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
    ),
    cmd("zdiff", store::zdiff, -3, R, MOVABLE)
        .key_finder(crate::command::keys_after_numkeys_at_1)
        .doc(
        "Returns the members of the first sorted set that are in none of the others.",
        "6.2.0",
        "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
    ),
    cmd("zunionstore", store::zunionstore, -4, W | DENYOOM, ONE)
        .key_finder(crate::command::destination_and_numkeys_keys)
        .doc(
        "Stores the union of sorted sets in a key.",
        "2.0.0",
        "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
    ),
    cmd("zinterstore", store::zinterstore, -4, W | DENYOOM, ONE)
        .key_finder(crate::command::destination_and_numkeys_keys)
        .doc(
        "Stores the intersection of sorted sets in a key.",
        "2.0.0",
        "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
    ),
    cmd("zdiffstore", store::zdiffstore, -4, W | DENYOOM, ONE)
        .key_finder(crate::command::destination_and_numkeys_keys)
        .doc(
        "Stores the difference of sorted sets in a key.",
        "6.2.0",
        "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
    ),
    cmd("zintercard", store::zintercard, -3, R, MOVABLE)
        .key_finder(crate::command::keys_after_numkeys_at_1)
        .doc(
        "Returns the number of members in the intersection of sorted sets.",
        "7.0.0",
        "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
    ),
    cmd("zscan", scan::zscan, -3, R | flags::RANDOM, ONE).doc(
        "Iterates over the members and scores of a sorted set.",
        "2.8.0",
        "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    ),
];
