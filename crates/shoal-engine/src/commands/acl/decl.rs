//! The ACL container's declarations (arity, flags and categories as Redis 7 has them).

use crate::command::{flags, CommandSpec, Group};
use crate::exec::Ctx;

const OPEN: u32 = flags::NOSCRIPT | flags::LOADING | flags::STALE;
const ADMIN: u32 = OPEN | flags::ADMIN;

const fn sub(
    name: &'static str,
    handler: fn(&mut Ctx<'_>) -> crate::error::CmdResult,
    arity: i32,
    flags: u32,
    summary: &'static str,
    since: &'static str,
) -> CommandSpec {
    CommandSpec::new(name, handler)
        .arity(arity)
        .flags(flags)
        .group(Group::Server)
        .doc(summary, since, "O(1)")
}

const SUBCOMMANDS: &[CommandSpec] = &[
    sub(
        "acl|cat",
        super::cat,
        -2,
        OPEN,
        "Lists the ACL categories, or the commands of one.",
        "6.0.0",
    )
    .doc(
        "Lists the ACL categories, or the commands of one.",
        "6.0.0",
        "O(1) since the categories and commands are a fixed set.",
    ),
    sub(
        "acl|deluser",
        super::deluser,
        -3,
        ADMIN,
        "Deletes users and closes their connections.",
        "6.0.0",
    )
    .doc(
        "Deletes users and closes their connections.",
        "6.0.0",
        "O(1) amortized time considering the typical user.",
    ),
    sub(
        "acl|dryrun",
        super::dryrun,
        -4,
        ADMIN,
        "Tells whether a user may run a command, without running it.",
        "7.0.0",
    ),
    sub(
        "acl|genpass",
        super::genpass,
        -2,
        OPEN,
        "Generates a random password for ACL users.",
        "6.0.0",
    ),
    sub(
        "acl|getuser",
        super::getuser,
        3,
        ADMIN,
        "Shows a user's rules.",
        "6.0.0",
    )
    .doc(
        "Shows a user's rules.",
        "6.0.0",
        "O(N). Where N is the number of password, command and pattern rules that the user has.",
    ),
    sub(
        "acl|help",
        super::help,
        2,
        flags::LOADING | flags::STALE,
        "Lists the ACL subcommands.",
        "6.0.0",
    ),
    sub(
        "acl|list",
        super::list,
        2,
        ADMIN,
        "Shows every user in configuration-file form.",
        "6.0.0",
    )
    .doc(
        "Shows every user in configuration-file form.",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
    ),
    sub(
        "acl|load",
        super::load,
        2,
        ADMIN,
        "Reloads the users from the ACL file.",
        "6.0.0",
    )
    .doc(
        "Reloads the users from the ACL file.",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
    ),
    sub(
        "acl|log",
        super::log,
        -2,
        ADMIN,
        "Lists recent refusals of commands, keys, channels and logins.",
        "6.0.0",
    )
    .doc(
        "Lists recent refusals of commands, keys, channels and logins.",
        "6.0.0",
        "O(N) with N being the number of entries shown.",
    ),
    sub(
        "acl|save",
        super::save,
        2,
        ADMIN,
        "Writes the users to the ACL file.",
        "6.0.0",
    )
    .doc(
        "Writes the users to the ACL file.",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
    ),
    sub(
        "acl|setuser",
        super::setuser,
        -3,
        ADMIN,
        "Creates a user or changes its rules.",
        "6.0.0",
    )
    .doc(
        "Creates a user or changes its rules.",
        "6.0.0",
        "O(N). Where N is the number of rules provided.",
    ),
    sub(
        "acl|users",
        super::users,
        2,
        ADMIN,
        "Lists the user names.",
        "6.0.0",
    )
    .doc(
        "Lists the user names.",
        "6.0.0",
        "O(N). Where N is the number of configured users.",
    ),
    sub(
        "acl|whoami",
        super::whoami,
        2,
        OPEN,
        "Returns the user the connection is logged in as.",
        "6.0.0",
    ),
];

/// The ACL container.
pub const ACL: CommandSpec = CommandSpec::new("acl", super::help)
    .arity(-2)
    .group(Group::Server)
    .doc(
        "Groups the subcommands that manage users and their permissions.",
        "6.0.0",
        "Depends on subcommand.",
    )
    .subcommands(SUBCOMMANDS);

/// ACL HELP's lines.
pub(super) const HELP: &[&str] = &[
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
];
