//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queuing happens in dispatch (a session in MULTI gets QUEUED, or the error that will make
//! EXEC abort). EXEC passes the keyspace gate alone (`flags::EXCLUSIVE`), so no other client
//! and no background expiry sees the keyspace between two of its commands; its writes reach
//! the effects stream as one MULTI/EXEC block.

use crate::command::{acl, flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::{Access, Ctx};
use crate::session::Multi;
use bytes::Bytes;
use shoal_resp::Frame;
use std::sync::atomic::Ordering::Relaxed;

fn multi(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.session.multi.is_some() {
        return Err(CmdError::Msg("MULTI calls can not be nested"));
    }
    ctx.session.multi = Some(Multi::default());
    ctx.session.handle.multi.store(0, Relaxed);
    Ok(Frame::ok())
}

fn discard(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.session.multi.take().is_none() {
        return Err(CmdError::Msg("DISCARD without MULTI"));
    }
    ctx.session.handle.multi.store(-1, Relaxed);
    ctx.inner.unwatch(ctx.session);
    Ok(Frame::ok())
}

fn exec(ctx: &mut Ctx<'_>) -> CmdResult {
    let Some(queued) = ctx.session.multi.take() else {
        return Err(CmdError::Msg("EXEC without MULTI"));
    };
    ctx.session.handle.multi.store(-1, Relaxed);
    let inner = ctx.inner;
    if queued.failed {
        inner.unwatch(ctx.session);
        return Err(CmdError::Coded {
            code: "EXECABORT",
            msg: "Transaction discarded because of previous errors.".into(),
        });
    }
    let touched = !ctx.session.watched.is_empty()
        && (inner.watches.is_dirty(ctx.session.id()) || watched_key_expired(ctx));
    inner.unwatch(ctx.session);
    if touched {
        return Ok(Frame::NullArray);
    }
    // (The leader's own stream, applied here, ran there already.)
    if !ctx.session.master_link
        && !ctx.session.no_forward
        && crate::consensus::forwards_transaction(inner, &queued.queue)
    {
        return forward(ctx, queued.queue);
    }
    inner.effects.begin_group();
    ctx.session.in_exec = true;
    let replies = queued
        .queue
        .into_iter()
        .map(|args| match inner.acl_exec_refusal(ctx.session, &args) {
            Some(refused) => refused,
            None => inner.run_inner(ctx.session, args, ctx.now_ms),
        })
        .collect();
    ctx.session.in_exec = false;
    inner.effects.end_group();
    Ok(Frame::Array(replies))
}

/// On a follower, the transaction runs on the leader, as one MULTI/EXEC there.
fn forward(ctx: &mut Ctx<'_>, queue: Vec<Vec<Bytes>>) -> CmdResult {
    let Some(group) = ctx.inner.consensus.control() else {
        return Err(CmdError::Msg(
            "This instance is not a member of a Raft group",
        ));
    };
    let mut commands = Vec::with_capacity(queue.len() + 2);
    commands.push(vec![Bytes::from_static(b"MULTI")]);
    commands.extend(queue);
    commands.push(vec![Bytes::from_static(b"EXEC")]);
    let db = ctx.session.db;
    ctx.defer(
        Box::new(move |deliver| group.forward(db, commands, deliver)),
        Frame::error("ERR a transaction on a follower cannot run here"),
    )
}

/// A key that was alive when watched and has logically expired since fails the EXEC, even
/// if nothing deleted it yet.
fn watched_key_expired(ctx: &Ctx<'_>) -> bool {
    let id = ctx.session.id();
    ctx.session.watched.iter().any(|(db, key)| {
        if ctx.inner.watches.watched_expired(id, *db, key) {
            return false;
        }
        let mut a = Access::lock(ctx.inner, &[key], *db, ctx.now_ms, true);
        a.expire_at(key).is_some_and(|at| at < ctx.now_ms)
    })
}

fn watch(ctx: &mut Ctx<'_>) -> CmdResult {
    if ctx.session.multi.is_some() {
        return Err(CmdError::Msg("WATCH inside MULTI is not allowed"));
    }
    let keys = ctx.args.rest();
    let db = ctx.session.db;
    let id = ctx.session.id();
    for key in keys {
        if ctx
            .session
            .watched
            .iter()
            .any(|(d, k)| *d == db && *k == key)
        {
            continue;
        }
        let expired = {
            let mut a = ctx.lock1(&key);
            a.expire_at(&key).is_some_and(|at| at < ctx.now_ms)
        };
        ctx.inner.watches.watch(id, db, key.clone(), expired);
        ctx.session.watched.push((db, key));
    }
    Ok(Frame::ok())
}

fn unwatch(ctx: &mut Ctx<'_>) -> CmdResult {
    ctx.inner.unwatch(ctx.session);
    Ok(Frame::ok())
}

const TX: u32 = flags::NOSCRIPT | flags::LOADING | flags::STALE;

/// The transaction family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("multi", multi)
        .arity(1)
        .flags(TX | flags::FAST | flags::ALLOW_BUSY)
        .acl(acl::TRANSACTION)
        .group(Group::Transactions)
        .doc("Starts a transaction.", "1.2.0", "O(1)"),
    CommandSpec::new("exec", exec)
        .arity(1)
        .flags(TX | flags::SKIP_SLOWLOG | flags::EXCLUSIVE)
        .acl(acl::TRANSACTION)
        .group(Group::Transactions)
        .doc(
            "Executes every command queued since MULTI, atomically.",
            "1.2.0",
            "Depends on the commands in the transaction",
        ),
    CommandSpec::new("discard", discard)
        .arity(1)
        .flags(TX | flags::FAST | flags::ALLOW_BUSY)
        .acl(acl::TRANSACTION)
        .group(Group::Transactions)
        .doc(
            "Drops the queued commands of a transaction.",
            "2.0.0",
            "O(N) when N is the number of queued commands",
        ),
    CommandSpec::new("watch", watch)
        .arity(-2)
        .flags(TX | flags::FAST | flags::ALLOW_BUSY)
        .keys(1, -1, 1)
        .acl(acl::TRANSACTION)
        .group(Group::Transactions)
        .doc(
            "Makes the next EXEC conditional on these keys staying unchanged.",
            "2.2.0",
            "O(1) for every key.",
        ),
    CommandSpec::new("unwatch", unwatch)
        .arity(1)
        .flags(TX | flags::FAST | flags::ALLOW_BUSY)
        .acl(acl::TRANSACTION)
        .group(Group::Transactions)
        .doc("Forgets every key watched by this client.", "2.2.0", "O(1)"),
];

#[cfg(test)]
#[path = "transaction_tests.rs"]
mod tests;
