//! The scripting family's declarations (arity, flags and key positions as in Redis 7).

use super::function::{
    function_delete, function_dump, function_flush, function_help, function_kill, function_list,
    function_load, function_restore, function_stats,
};
use super::script::{script_exists, script_flush, script_help, script_kill, script_load};
use super::{eval, eval_ro, evalsha, evalsha_ro, fcall, fcall_ro};
use crate::command::{acl, flags, keys_after_numkeys_at_2, CommandSpec, Group};

const ACL: u64 = acl::SCRIPTING | acl::SLOW;
const ACL_W: u64 = ACL | acl::WRITE;
const NOSCRIPT: u32 = flags::NOSCRIPT;
/// EVAL and FCALL flags; EXCLUSIVE makes them run alone.
const RUN: u32 = flags::NOSCRIPT
    | flags::SKIP_MONITOR
    | flags::STALE
    | flags::NO_MANDATORY_KEYS
    | flags::EXCLUSIVE;

const fn run(name: &'static str, handler: crate::command::Handler, f: u32) -> CommandSpec {
    CommandSpec::new(name, handler)
        .arity(-3)
        .flags(RUN | f)
        .key_finder(keys_after_numkeys_at_2)
        .acl(ACL)
        .group(Group::Scripting)
}

const fn sub(
    name: &'static str,
    handler: crate::command::Handler,
    arity: i32,
    f: u32,
    a: u64,
) -> CommandSpec {
    CommandSpec::new(name, handler)
        .arity(arity)
        .flags(f)
        .acl(a)
        .group(Group::Scripting)
}

const SCRIPT_SUBS: &[CommandSpec] = &[
    sub("script|load", script_load, 3, NOSCRIPT | flags::STALE, ACL).doc(
        "Loads a Lua script into the script cache without running it.",
        "2.6.0",
        "O(N) with N being the length in bytes of the script body.",
    ),
    sub("script|exists", script_exists, -3, NOSCRIPT, ACL).doc(
        "Tells which of the given SHA1 digests are in the script cache.",
        "2.6.0",
        "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
    ),
    sub("script|flush", script_flush, -2, NOSCRIPT, ACL).doc(
        "Empties the script cache.",
        "2.6.0",
        "O(N) with N being the number of scripts in cache",
    ),
    sub("script|kill", script_kill, 2, NOSCRIPT | flags::ALLOW_BUSY, ACL).doc(
        "Stops the running script if it has not written yet.",
        "2.6.0",
        "O(1)",
    ),
    sub("script|help", script_help, 2, flags::LOADING | flags::STALE, ACL).doc(
        "Lists the SCRIPT subcommands.",
        "5.0.0",
        "O(1)",
    ),
];

const FUNCTION_SUBS: &[CommandSpec] = &[
    sub(
        "function|load",
        function_load,
        -3,
        NOSCRIPT | flags::WRITE | flags::DENYOOM,
        ACL_W,
    )
    .doc(
        "Loads a function library.",
        "7.0.0",
        "O(1) (considering compilation time is redundant)",
    ),
    sub(
        "function|delete",
        function_delete,
        3,
        NOSCRIPT | flags::WRITE,
        ACL_W,
    )
    .doc(
        "Deletes a function library and its functions.",
        "7.0.0",
        "O(1)",
    ),
    sub(
        "function|flush",
        function_flush,
        -2,
        NOSCRIPT | flags::WRITE,
        ACL_W,
    )
    .doc(
        "Deletes every function library.",
        "7.0.0",
        "O(N) where N is the number of functions deleted",
    ),
    sub("function|dump", function_dump, 2, NOSCRIPT, ACL).doc(
        "Serializes every function library into a payload.",
        "7.0.0",
        "O(N) where N is the number of functions",
    ),
    sub(
        "function|restore",
        function_restore,
        -3,
        NOSCRIPT | flags::WRITE | flags::DENYOOM,
        ACL_W,
    )
    .doc(
        "Loads the function libraries of a payload made by FUNCTION DUMP.",
        "7.0.0",
        "O(N) where N is the number of functions on the payload",
    ),
    sub("function|list", function_list, -2, NOSCRIPT, ACL).doc(
        "Describes the loaded function libraries.",
        "7.0.0",
        "O(N) where N is the number of functions",
    ),
    sub(
        "function|stats",
        function_stats,
        2,
        NOSCRIPT | flags::ALLOW_BUSY,
        ACL,
    )
    .doc(
        "Tells which function runs now and how many libraries and functions are loaded.",
        "7.0.0",
        "O(1)",
    ),
    sub(
        "function|kill",
        function_kill,
        2,
        NOSCRIPT | flags::ALLOW_BUSY,
        ACL,
    )
    .doc(
        "Stops the running function if it has not written yet.",
        "7.0.0",
        "O(1)",
    ),
    sub(
        "function|help",
        function_help,
        2,
        flags::LOADING | flags::STALE,
        ACL,
    )
    .doc("Lists the FUNCTION subcommands.", "7.0.0", "O(1)"),
];

/// The scripting family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    run("eval", eval, flags::MAY_REPLICATE).doc(
        "Runs a Lua script on the server.",
        "2.6.0",
        "Depends on the script that is executed.",
    ),
    run("evalsha", evalsha, flags::MAY_REPLICATE).doc(
        "Runs a cached Lua script by its SHA1 digest.",
        "2.6.0",
        "Depends on the script that is executed.",
    ),
    run("eval_ro", eval_ro, flags::READONLY).doc(
        "Runs a Lua script that may only read data.",
        "7.0.0",
        "Depends on the script that is executed.",
    ),
    run("evalsha_ro", evalsha_ro, flags::READONLY).doc(
        "Runs a cached read-only Lua script by its SHA1 digest.",
        "7.0.0",
        "Depends on the script that is executed.",
    ),
    run("fcall", fcall, flags::MAY_REPLICATE).doc(
        "Calls a function of a loaded library.",
        "7.0.0",
        "Depends on the function that is executed.",
    ),
    run("fcall_ro", fcall_ro, flags::READONLY).doc(
        "Calls a read-only function of a loaded library.",
        "7.0.0",
        "Depends on the function that is executed.",
    ),
    CommandSpec::new("script", script_help)
        .arity(-2)
        .group(Group::Scripting)
        .doc(
            "Groups the subcommands that manage the Lua script cache.",
            "2.6.0",
            "Depends on subcommand.",
        )
        .subcommands(SCRIPT_SUBS),
    CommandSpec::new("function", function_help)
        .arity(-2)
        .group(Group::Scripting)
        .doc(
            "Groups the subcommands that manage function libraries.",
            "7.0.0",
            "Depends on subcommand.",
        )
        .subcommands(FUNCTION_SUBS),
];
