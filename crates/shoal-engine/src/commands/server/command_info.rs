//! The COMMAND container: introspection of the command table (INFO, COUNT, LIST, GETKEYS,
//! HELP; DOCS is in `command_docs.rs`).

use super::command_docs::command_docs;
use crate::command::{acl, find_subcommand, flags, CommandSpec, CommandTable, Group};
use crate::commands::connection::help_reply;
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::util::glob::glob_match;
use shoal_resp::Frame;

/// Finds a command by name; `container|sub` names a subcommand.
pub(super) fn lookup<'t>(table: &'t CommandTable, name: &[u8]) -> Option<&'t CommandSpec> {
    match name.iter().position(|&b| b == b'|') {
        Some(bar) => find_subcommand(table.get(&name[..bar])?, &name[bar + 1..]),
        None => table.get(name),
    }
}

/// Every top-level command, by name, so replies are stable.
pub(super) fn sorted(table: &CommandTable) -> Vec<&CommandSpec> {
    let mut v: Vec<&CommandSpec> = table.iter().collect();
    v.sort_by_key(|s| s.name);
    v
}

fn simple(s: &str) -> Frame {
    Frame::Simple(s.to_string().into())
}

/// One command's COMMAND INFO entry: name, arity, flags, first/last/step, ACL categories,
/// tips, key specs, subcommands.
pub(super) fn info_entry(spec: &CommandSpec) -> Frame {
    let flag_names = flags::NAMES
        .iter()
        .filter(|(bit, _)| spec.has(*bit))
        .map(|(_, n)| simple(n))
        .collect();
    let categories = spec.acl_categories();
    let cats = acl::NAMES
        .iter()
        .filter(|(bit, _)| categories & bit != 0)
        .map(|(_, n)| simple(&format!("@{n}")))
        .collect();
    Frame::Array(vec![
        Frame::bulk(spec.name),
        Frame::Integer(spec.arity.into()),
        Frame::Set(flag_names),
        Frame::Integer(spec.first_key.into()),
        Frame::Integer(spec.last_key.into()),
        Frame::Integer(spec.key_step.into()),
        Frame::Set(cats),
        crate::command_meta::tips_frame(spec.name),
        crate::command_meta::key_specs_frame(spec.name),
        Frame::Array(spec.subcommands.iter().map(info_entry).collect()),
    ])
}

/// `COMMAND` with no arguments: every command's entry.
fn command_all(ctx: &mut Ctx<'_>) -> CmdResult {
    let table = ctx.engine().commands();
    Ok(Frame::Array(
        sorted(table).into_iter().map(info_entry).collect(),
    ))
}

/// `COMMAND INFO [name ...]`: an entry per name, null for unknown names; all without names.
fn command_info(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.args.remaining() == 0 {
        return command_all(ctx);
    }
    let table = ctx.engine().commands();
    let out = ctx
        .args
        .rest()
        .iter()
        .map(|n| lookup(table, n).map_or(Frame::Null, info_entry))
        .collect();
    Ok(Frame::Array(out))
}

/// `COMMAND COUNT`.
fn command_count(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::Integer(ctx.engine().commands().len() as i64))
}

/// Which commands COMMAND LIST keeps.
enum ListFilter {
    All,
    Module,
    AclCat(Option<u64>),
    Pattern(Vec<u8>),
}

impl ListFilter {
    fn keeps(&self, spec: &CommandSpec) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => cat.is_some_and(|c| spec.acl_categories() & c != 0),
            ListFilter::Pattern(p) => glob_match(p, spec.name.as_bytes(), true),
        }
    }
}

fn parse_list_filter(ctx: &mut Ctx<'_>) -> Result<ListFilter, CmdError> {
    match ctx.args.remaining() {
        0 => return Ok(ListFilter::All),
        3 if ctx.args.eat("FILTERBY") => {}
        _ => return Err(CmdError::Syntax),
    }
    let kind = ctx.args.bytes()?;
    let arg = ctx.args.bytes()?;
    if kind.eq_ignore_ascii_case(b"MODULE") {
        // No modules can be loaded: nothing belongs to one.
        Ok(ListFilter::Module)
    } else if kind.eq_ignore_ascii_case(b"ACLCAT") {
        let cat = acl::NAMES
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(&arg))
            .map(|(bit, _)| *bit);
        Ok(ListFilter::AclCat(cat))
    } else if kind.eq_ignore_ascii_case(b"PATTERN") {
        Ok(ListFilter::Pattern(arg.to_vec()))
    } else {
        Err(CmdError::Syntax)
    }
}

/// `COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]`: command names,
/// subcommands included.
fn command_list(ctx: &mut Ctx<'_>) -> CmdResult {
    let filter = parse_list_filter(ctx)?;
    let mut out = Vec::new();
    for spec in sorted(ctx.engine().commands()) {
        for s in std::iter::once(spec).chain(spec.subcommands.iter()) {
            if filter.keeps(s) {
                out.push(Frame::bulk(s.name));
            }
        }
    }
    Ok(Frame::Array(out))
}

/// `COMMAND GETKEYS command [arg ...]`: the key arguments of a command line.
fn command_getkeys(ctx: &mut Ctx<'_>) -> CmdResult {
    let line = ctx.args.rest();
    let table = ctx.engine().commands();
    let invalid = CmdError::Msg("Invalid command specified");
    let top = line
        .first()
        .and_then(|name| table.get(name))
        .ok_or(invalid.clone())?;
    let spec = if top.subcommands.is_empty() || line.len() < 2 {
        top
    } else {
        find_subcommand(top, &line[1]).ok_or(invalid)?
    };
    if spec.first_key <= 0 && spec.key_finder.is_none() {
        return Err(CmdError::Msg("The command has no key arguments"));
    }
    if !spec.arity_ok(line.len()) {
        return Err(CmdError::Msg(
            "Invalid number of arguments specified for command",
        ));
    }
    let keys: Vec<Frame> = spec
        .keys_of(&line)
        .into_iter()
        .map(|i| Frame::Bulk(line[i].clone()))
        .collect();
    if keys.is_empty() {
        return Err(CmdError::Msg("Invalid arguments specified for command"));
    }
    Ok(Frame::Array(keys))
}

/// `COMMAND HELP`.
fn command_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        &[
            "(no subcommand)",
            "    Return details about all commands.",
            "COUNT",
            "    Return the total number of commands in this server.",
            "LIST",
            "    Return a list of all commands in this server.",
            "INFO [<command-name> ...]",
            "    Return details about the given commands, or all of them without a name.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about the given commands, or all of them.",
            "GETKEYS <full-command>",
            "    Return the keys from a full command.",
        ],
    ))
}

const COMMAND_FLAGS: u32 = flags::LOADING | flags::STALE;

const fn sub(name: &'static str, handler: crate::command::Handler, arity: i32) -> CommandSpec {
    CommandSpec::new(name, handler)
        .arity(arity)
        .flags(COMMAND_FLAGS)
        .acl(acl::CONNECTION)
        .group(Group::Server)
}

const SUBCOMMANDS: &[CommandSpec] = &[
    sub("command|count", command_count, 2).doc(
        "Counts the commands in the table.",
        "2.8.13",
        "O(1)",
    ),
    sub("command|docs", command_docs, -2).doc(
        "Returns documentation about one, several or all commands.",
        "7.0.0",
        "O(N) where N is the number of commands to look up",
    ),
    sub("command|getkeys", command_getkeys, -4).doc(
        "Extracts the key names from a full command line.",
        "2.8.13",
        "O(N) where N is the number of arguments to the command",
    ),
    sub("command|help", command_help, 2).doc("Lists the COMMAND subcommands.", "5.0.0", "O(1)"),
    sub("command|info", command_info, -2).doc(
        "Returns information about one, several or all commands.",
        "2.8.13",
        "O(N) where N is the number of commands to look up",
    ),
    sub("command|list", command_list, -2).doc(
        "Returns the names of the commands, optionally filtered.",
        "7.0.0",
        "O(N) where N is the total number of Redis commands",
    ),
];

/// The COMMAND container; without a subcommand it describes every command.
pub(super) const COMMAND: CommandSpec = CommandSpec::new("command", command_all)
    .arity(-1)
    .flags(COMMAND_FLAGS)
    .acl(acl::CONNECTION)
    .group(Group::Server)
    .doc(
        "Describes every command in the table.",
        "2.8.13",
        "O(N) where N is the total number of Redis commands",
    )
    .subcommands(SUBCOMMANDS);
