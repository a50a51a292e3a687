//! RAFT: the operator's view of this member's group, and membership changes.
//!
//! `RAFT STATUS` and `RAFT MEMBERS` answer from this member's view. `RAFT ADD` and
//! `RAFT REMOVE` change the membership through the log, and `RAFT TRANSFER-LEADER` hands
//! the leadership to another member: on a follower they are carried to the leader, and the
//! reply comes once the change is committed (or the new leader leads).

use crate::command::{acl, flags, CommandSpec, Group};
use crate::consensus_admin::{GroupControl, GroupStatus, MemberInfo};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use bytes::Bytes;
use shoal_resp::Frame;
use std::fmt::Write as _;
use std::sync::Arc;

/// The group's side, or the error a server outside any group answers.
fn control(ctx: &Ctx<'_>) -> Result<Arc<dyn GroupControl>, CmdError> {
    ctx.engine().consensus.control().ok_or(CmdError::Msg(
        "This instance is not a member of a Raft group",
    ))
}

/// `RAFT STATUS`: `field:value` lines, as CLUSTER INFO gives them.
fn status(ctx: &mut Ctx<'_>) -> CmdResult {
    let st = control(ctx)?.status();
    let inner = ctx.engine();
    let mut out = String::new();
    let mut line = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    line("raft_node_id", &st.id);
    line("raft_state", &st.state);
    line("raft_term", &st.term);
    line("raft_leader_id", &st.leader.unwrap_or(0));
    let leader_addr = st
        .leader
        .and_then(|id| st.member(id))
        .map_or("", |m| m.client.as_str());
    line("raft_leader_addr", &leader_addr);
    line("raft_last_log_index", &st.last_log_index);
    line("raft_applied_index", &st.applied_index);
    line("raft_snapshot_index", &st.snapshot_index);
    let voters = st.members.iter().filter(|m| m.voter).count();
    line("raft_voters", &voters);
    line("raft_learners", &(st.members.len() - voters));
    if let Some(ms) = st.quorum_ack_ms {
        line("raft_quorum_ack_ms_ago", &ms);
    }
    line("raft_stream_committed", &inner.consensus.committed());
    for name in ["raft-read-mode", "raft-follower-writes"] {
        let value = inner.config.get(name).unwrap_or_default();
        line(&name.replace('-', "_"), &value);
    }
    Ok(Frame::Verbatim {
        format: *b"txt",
        data: Bytes::from(out),
    })
}

/// `RAFT MEMBERS`: one map per member.
fn members(ctx: &mut Ctx<'_>) -> CmdResult {
    let st = control(ctx)?.status();
    Ok(Frame::Array(
        st.members.iter().map(|m| member_frame(&st, m)).collect(),
    ))
}

fn member_frame(st: &GroupStatus, m: &MemberInfo) -> Frame {
    let state = if st.leader == Some(m.id) {
        "leader"
    } else if m.voter {
        "follower"
    } else {
        "learner"
    };
    Frame::Map(vec![
        (Frame::bulk("id"), Frame::Integer(m.id as i64)),
        (Frame::bulk("raft-addr"), Frame::bulk(m.raft.clone())),
        (Frame::bulk("client-addr"), Frame::bulk(m.client.clone())),
        (
            Frame::bulk("role"),
            Frame::bulk(if m.voter { "voter" } else { "learner" }),
        ),
        (Frame::bulk("state"), Frame::bulk(state)),
        (
            Frame::bulk("match-index"),
            m.matched.map_or(Frame::Null, |i| Frame::Integer(i as i64)),
        ),
        (Frame::bulk("myself"), Frame::Boolean(m.id == st.id)),
    ])
}

/// A node id: a positive integer.
fn node_id(ctx: &mut Ctx<'_>) -> Result<u64, CmdError> {
    match ctx.args.int()? {
        id if id > 0 => Ok(id as u64),
        _ => Err(CmdError::Msg(
            "Invalid node id: it must be a positive integer",
        )),
    }
}

/// An address `host:port`.
fn address(ctx: &mut Ctx<'_>) -> Result<String, CmdError> {
    let text = String::from_utf8(ctx.args.bytes()?.to_vec())
        .map_err(|_| CmdError::Msg("Invalid address"))?;
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(text),
        _ => Err(CmdError::Text(format!(
            "Invalid address '{text}': expected host:port"
        ))),
    }
}

/// `RAFT NOFORWARD`: the connection of a member forwarding commands to the one it takes
/// for the leader says so; if that member does not lead (any more), it answers `-MOVED`
/// instead of forwarding them on, so requests never travel in circles.
fn noforward(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.args.finish()?;
    ctx.session.no_forward = true;
    Ok(Frame::ok())
}

/// `RAFT ADD id raft-addr client-addr [LEARNER]`.
fn add(ctx: &mut Ctx<'_>) -> CmdResult {
    let id = node_id(ctx)?;
    let raft = address(ctx)?;
    let client = address(ctx)?;
    let voter = !ctx.args.eat("LEARNER");
    ctx.args.finish()?;
    let group = control(ctx)?;
    let member = MemberInfo {
        id,
        raft,
        client,
        voter,
        matched: None,
    };
    change(ctx, group, move |g, done| g.add(member, done))
}

/// `RAFT REMOVE id`.
fn remove(ctx: &mut Ctx<'_>) -> CmdResult {
    let id = node_id(ctx)?;
    ctx.args.finish()?;
    let group = control(ctx)?;
    change(ctx, group, move |g, done| g.remove(id, done))
}

/// `RAFT TRANSFER-LEADER [id]`: the member `id` (by default the voter furthest along the
/// log) becomes the leader; the reply comes once it leads.
fn transfer_leader(ctx: &mut Ctx<'_>) -> CmdResult {
    let id = if ctx.args.remaining() == 0 {
        None
    } else {
        Some(node_id(ctx)?)
    };
    ctx.args.finish()?;
    let group = control(ctx)?;
    change(ctx, group, move |g, done| g.transfer(id, done))
}

/// Runs a membership change on the leader (carrying the command there from a follower),
/// answering once it is committed.
fn change(
    ctx: &mut Ctx<'_>,
    group: Arc<dyn GroupControl>,
    run: impl FnOnce(&dyn GroupControl, crate::consensus_admin::Done) + Send + 'static,
) -> CmdResult {
    let otherwise = Frame::error(format!(
        "ERR RAFT {} cannot run inside MULTI or scripts",
        ctx.name
            .split('|')
            .nth(1)
            .unwrap_or("")
            .to_ascii_uppercase()
    ));
    let consensus = &ctx.engine().consensus;
    if !consensus.is_writable() && ctx.session.no_forward {
        // Carried here by a member that took this one for the leader: it is not.
        let leader = consensus.leader().unwrap_or_default();
        return Err(CmdError::Text(format!(
            "This member does not lead the Raft group (the leader is at '{leader}')"
        )));
    }
    if !consensus.is_writable() {
        let (db, args) = (ctx.session.db, ctx.args.all().to_vec());
        return ctx.defer(
            Box::new(move |deliver| group.forward(db, vec![args], deliver)),
            otherwise,
        );
    }
    ctx.defer(
        Box::new(move |deliver| {
            run(
                group.as_ref(),
                Box::new(move |outcome| {
                    deliver(match outcome {
                        Ok(()) => Frame::ok(),
                        Err(why) => Frame::error(format!("ERR {why}")),
                    })
                }),
            )
        }),
        otherwise,
    )
}

const HELP: &[&str] = &[
    "ADD <id> <raft-addr> <client-addr> [LEARNER]",
    "    Add a member: it catches up as a learner, then votes (unless LEARNER).",
    "MEMBERS",
    "    List the members with their addresses, roles and replication progress.",
    "NOFORWARD",
    "    Commands on this connection that need the leader are never forwarded: -MOVED.",
    "REMOVE <id>",
    "    Remove a member from the group.",
    "STATUS",
    "    This member's state, term, leader and log indexes.",
    "TRANSFER-LEADER [<id>]",
    "    Hand the leadership to member <id> (default: the voter furthest along the log);",
    "    writes wait meanwhile. Answers once it leads.",
];

fn help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(crate::commands::connection::help_reply(
        "RAFT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        HELP,
    ))
}

const RAFT_FLAGS: u32 = flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE;
const RAFT_ACL: u64 = acl::ADMIN | acl::SLOW | acl::DANGEROUS;

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("raft|add", add)
        .arity(-5)
        .flags(RAFT_FLAGS)
        .acl(RAFT_ACL)
        .doc(
            "Adds a member to the group once it has caught up.",
            "1.0.0",
            "O(N) where N is the log the new member must catch up on.",
        ),
    CommandSpec::new("raft|help", help)
        .arity(2)
        .flags(flags::LOADING | flags::STALE)
        .acl(acl::SLOW)
        .doc("Lists RAFT's subcommands.", "1.0.0", "O(1)"),
    CommandSpec::new("raft|members", members)
        .arity(2)
        .flags(RAFT_FLAGS)
        .acl(RAFT_ACL)
        .doc(
            "Lists the group's members.",
            "1.0.0",
            "O(N) where N is the number of members.",
        ),
    CommandSpec::new("raft|noforward", noforward)
        .arity(2)
        .flags(flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST)
        .acl(acl::SLOW | acl::CONNECTION)
        .doc(
            "Never forwards this connection's commands to the leader.",
            "1.0.0",
            "O(1)",
        ),
    CommandSpec::new("raft|remove", remove)
        .arity(3)
        .flags(RAFT_FLAGS)
        .acl(RAFT_ACL)
        .doc("Removes a member from the group.", "1.0.0", "O(1)"),
    CommandSpec::new("raft|transfer-leader", transfer_leader)
        .arity(-2)
        .flags(RAFT_FLAGS)
        .acl(RAFT_ACL)
        .doc(
            "Hands the leadership to another member.",
            "1.0.0",
            "O(N) where N is the log the new leader must catch up on.",
        ),
    CommandSpec::new("raft|status", status)
        .arity(2)
        .flags(RAFT_FLAGS)
        .acl(RAFT_ACL)
        .doc("This member's view of its group.", "1.0.0", "O(1)"),
];

/// The RAFT container.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("raft", help)
    .arity(-2)
    .group(Group::Server)
    .doc(
        "Raft group administration.",
        "1.0.0",
        "Depends on subcommand.",
    )
    .subcommands(SUBCOMMANDS)];
