//! COMMAND DOCS: each command's summary, since, group and complexity, subcommands nested.

use super::command_info::{lookup, sorted};
use crate::command::CommandSpec;
use crate::error::CmdResult;
use crate::exec::Ctx;
use shoal_resp::Frame;

/// One command's documentation map.
fn docs_entry(spec: &CommandSpec) -> Frame {
    let mut pairs = vec![
        (Frame::bulk("summary"), Frame::bulk(spec.summary)),
        (Frame::bulk("since"), Frame::bulk(spec.since)),
        (Frame::bulk("group"), Frame::bulk(spec.group.name())),
        (Frame::bulk("complexity"), Frame::bulk(spec.complexity)),
    ];
    if !spec.subcommands.is_empty() {
        let subs = spec
            .subcommands
            .iter()
            .map(|s| (Frame::bulk(s.name), docs_entry(s)))
            .collect();
        pairs.push((Frame::bulk("subcommands"), Frame::Map(subs)));
    }
    Frame::Map(pairs)
}

/// `COMMAND DOCS [name ...]`: a map from name to documentation; unknown names are left out,
/// and without names every command is described.
pub(super) fn command_docs(ctx: &mut Ctx<'_>) -> CmdResult {
    let table = ctx.engine().commands();
    let names = ctx.args.rest();
    let specs: Vec<&CommandSpec> = if names.is_empty() {
        sorted(table)
    } else {
        names.iter().filter_map(|n| lookup(table, n)).collect()
    };
    Ok(Frame::Map(
        specs
            .into_iter()
            .map(|s| (Frame::bulk(s.name), docs_entry(s)))
            .collect(),
    ))
}
