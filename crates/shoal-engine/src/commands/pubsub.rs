//! Pub/sub: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB.
//!
//! One (un)subscribe command confirms each channel with its own push frame; all but the
//! last go to `session.before_reply`, which the caller writes ahead of the reply. Messages
//! published later reach the session's push sink.

use crate::command::{flags, CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::pubsub::Kind;
use bytes::Bytes;
use shoal_resp::Frame;

fn confirm(ctx: &mut Ctx<'_>, mut frames: Vec<Frame>) -> CmdResult {
    let subs = &ctx.session.subs;
    let counts = [subs.channels.len(), subs.patterns.len(), subs.shard.len()];
    for (slot, n) in ctx.session.handle.subscriptions.iter().zip(counts) {
        slot.store(n, std::sync::atomic::Ordering::Relaxed);
    }
    let last = frames.pop().unwrap_or(Frame::Null);
    ctx.session.before_reply.extend(frames);
    Ok(last)
}

fn count_of(ctx: &Ctx<'_>, kind: Kind) -> i64 {
    let subs = &ctx.session.subs;
    let n = match kind {
        Kind::Shard => subs.shard.len(),
        _ => subs.count(),
    };
    n as i64
}

fn subscribe_kind(ctx: &mut Ctx<'_>, kind: Kind, word: &'static str) -> CmdResult {
    let names = ctx.args.rest();
    let id = ctx.session.id();
    let mut frames = Vec::with_capacity(names.len());
    for name in names {
        if ctx.session.subs.of_mut(kind).insert(name.clone()) {
            ctx.inner
                .pubsub
                .subscribe(kind, name.clone(), id, &ctx.session.sink);
        }
        frames.push(Frame::Push(vec![
            Frame::Bulk(Bytes::from_static(word.as_bytes())),
            Frame::Bulk(name),
            Frame::Integer(count_of(ctx, kind)),
        ]));
    }
    confirm(ctx, frames)
}

fn unsubscribe_kind(ctx: &mut Ctx<'_>, kind: Kind, word: &'static str) -> CmdResult {
    let mut names = ctx.args.rest();
    if names.is_empty() {
        names = ctx.session.subs.of(kind).iter().cloned().collect();
    }
    let id = ctx.session.id();
    let word = Frame::Bulk(Bytes::from_static(word.as_bytes()));
    if names.is_empty() {
        let frame = Frame::Push(vec![word, Frame::Null, Frame::Integer(count_of(ctx, kind))]);
        return confirm(ctx, vec![frame]);
    }
    let mut frames = Vec::with_capacity(names.len());
    for name in names {
        if ctx.session.subs.of_mut(kind).remove(&name) {
            ctx.inner.pubsub.unsubscribe(kind, &name, id);
        }
        frames.push(Frame::Push(vec![
            word.clone(),
            Frame::Bulk(name),
            Frame::Integer(count_of(ctx, kind)),
        ]));
    }
    confirm(ctx, frames)
}

fn subscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    subscribe_kind(ctx, Kind::Channel, "subscribe")
}

fn psubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    subscribe_kind(ctx, Kind::Pattern, "psubscribe")
}

fn ssubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    subscribe_kind(ctx, Kind::Shard, "ssubscribe")
}

fn unsubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    unsubscribe_kind(ctx, Kind::Channel, "unsubscribe")
}

fn punsubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    unsubscribe_kind(ctx, Kind::Pattern, "punsubscribe")
}

fn sunsubscribe(ctx: &mut Ctx<'_>) -> CmdResult {
    unsubscribe_kind(ctx, Kind::Shard, "sunsubscribe")
}

fn publish(ctx: &mut Ctx<'_>) -> CmdResult {
    let channel = ctx.args.bytes()?;
    let message = ctx.args.bytes()?;
    let receivers = ctx.inner.pubsub.publish(&channel, &message);
    propagate(ctx, b"PUBLISH", channel, message);
    Ok(Frame::Integer(receivers as i64))
}

fn spublish(ctx: &mut Ctx<'_>) -> CmdResult {
    let channel = ctx.args.bytes()?;
    let message = ctx.args.bytes()?;
    let receivers = ctx.inner.pubsub.spublish(&channel, &message);
    propagate(ctx, b"SPUBLISH", channel, message);
    Ok(Frame::Integer(receivers as i64))
}

/// Sends a message to the replicas (and the other members of a Raft group), whose
/// subscribers get it too, as Redis does outside cluster mode. Not to the AOF.
fn propagate(ctx: &Ctx<'_>, name: &'static [u8], channel: Bytes, message: Bytes) {
    ctx.inner.effects.emit_to(
        ctx.session.db,
        vec![Bytes::from_static(name), channel, message],
        crate::effects::TO_REPLICAS,
    );
}

fn names(ctx: &mut Ctx<'_>, kind: Kind) -> CmdResult {
    let pattern = match ctx.args.remaining() {
        0 => None,
        1 => Some(ctx.args.bytes()?),
        _ => {
            let sub = String::from_utf8_lossy(&ctx.args.all()[1]).into_owned();
            return Err(CmdError::text(format!(
                "unknown subcommand or wrong number of arguments for '{sub}'. Try PUBSUB HELP."
            )));
        }
    };
    let list = ctx.inner.pubsub.names(kind, pattern.as_deref());
    Ok(Frame::Array(list.into_iter().map(Frame::Bulk).collect()))
}

fn counts(ctx: &mut Ctx<'_>, kind: Kind) -> CmdResult {
    let mut out = Vec::new();
    for name in ctx.args.rest() {
        let n = ctx.inner.pubsub.count(kind, &name) as i64;
        out.push(Frame::Bulk(name));
        out.push(Frame::Integer(n));
    }
    Ok(Frame::Array(out))
}

fn pubsub_channels(ctx: &mut Ctx<'_>) -> CmdResult {
    names(ctx, Kind::Channel)
}

fn pubsub_shardchannels(ctx: &mut Ctx<'_>) -> CmdResult {
    names(ctx, Kind::Shard)
}

fn pubsub_numsub(ctx: &mut Ctx<'_>) -> CmdResult {
    counts(ctx, Kind::Channel)
}

fn pubsub_shardnumsub(ctx: &mut Ctx<'_>) -> CmdResult {
    counts(ctx, Kind::Shard)
}

fn pubsub_numpat(ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::Integer(ctx.inner.pubsub.pattern_count() as i64))
}

fn pubsub_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    let lines = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Frame::Array(
        lines.iter().map(|l| Frame::simple(l)).collect(),
    ))
}

const SUB: u32 = flags::PUBSUB | flags::NOSCRIPT | flags::LOADING | flags::STALE;
const INFO: u32 = flags::PUBSUB | flags::LOADING | flags::STALE;

const PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("pubsub|channels", pubsub_channels)
        .arity(-2)
        .flags(INFO)
        .group(Group::PubSub)
        .doc(
            "Lists the channels with subscribers, optionally matching a pattern.",
            "2.8.0",
            "O(N) where N is the number of active channels",
        ),
    CommandSpec::new("pubsub|help", pubsub_help)
        .arity(2)
        .flags(flags::LOADING | flags::STALE)
        .group(Group::PubSub)
        .doc("Shows what PUBSUB can do.", "6.2.0", "O(1)"),
    CommandSpec::new("pubsub|numpat", pubsub_numpat)
        .arity(2)
        .flags(INFO)
        .group(Group::PubSub)
        .doc("Counts pattern subscriptions.", "2.8.0", "O(1)"),
    CommandSpec::new("pubsub|numsub", pubsub_numsub)
        .arity(-2)
        .flags(INFO)
        .group(Group::PubSub)
        .doc(
            "Counts the subscribers of channels.",
            "2.8.0",
            "O(N) for the number of requested channels",
        ),
    CommandSpec::new("pubsub|shardchannels", pubsub_shardchannels)
        .arity(-2)
        .flags(INFO)
        .group(Group::PubSub)
        .doc(
            "Lists the shard channels with subscribers, optionally matching a pattern.",
            "7.0.0",
            "O(N) where N is the number of active shard channels",
        ),
    CommandSpec::new("pubsub|shardnumsub", pubsub_shardnumsub)
        .arity(-2)
        .flags(INFO)
        .group(Group::PubSub)
        .doc(
            "Counts the subscribers of shard channels.",
            "7.0.0",
            "O(N) for the number of requested shard channels",
        ),
];

/// The pub/sub family's declarations.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("subscribe", subscribe)
        .arity(-2)
        .flags(SUB)
        .group(Group::PubSub)
        .doc(
            "Listens for messages published to channels.",
            "2.0.0",
            "O(N) where N is the number of channels to subscribe to.",
        ),
    CommandSpec::new("psubscribe", psubscribe)
        .arity(-2)
        .flags(SUB)
        .group(Group::PubSub)
        .doc(
            "Listens for messages published to channels matching glob patterns.",
            "2.0.0",
            "O(N) where N is the number of patterns to subscribe to.",
        ),
    CommandSpec::new("ssubscribe", ssubscribe)
        .arity(-2)
        .flags(SUB)
        .keys(1, -1, 1)
        .group(Group::PubSub)
        .doc(
            "Listens for messages published to shard channels.",
            "7.0.0",
            "O(N) where N is the number of shard channels to subscribe to.",
        ),
    CommandSpec::new("unsubscribe", unsubscribe)
        .arity(-1)
        .flags(SUB)
        .group(Group::PubSub)
        .doc(
            "Stops listening to channels, or to all of them.",
            "2.0.0",
            "O(N) where N is the number of channels to unsubscribe.",
        ),
    CommandSpec::new("punsubscribe", punsubscribe)
        .arity(-1)
        .flags(SUB)
        .group(Group::PubSub)
        .doc(
            "Stops listening to patterns, or to all of them.",
            "2.0.0",
            "O(N) where N is the number of patterns to unsubscribe.",
        ),
    CommandSpec::new("sunsubscribe", sunsubscribe)
        .arity(-1)
        .flags(SUB)
        .keys(1, -1, 1)
        .group(Group::PubSub)
        .doc(
            "Stops listening to shard channels, or to all of them.",
            "7.0.0",
            "O(N) where N is the number of shard channels to unsubscribe.",
        ),
    CommandSpec::new("publish", publish)
        .arity(3)
        .flags(flags::PUBSUB | flags::LOADING | flags::STALE | flags::FAST | flags::MAY_REPLICATE)
        .group(Group::PubSub)
        .doc(
            "Posts a message to a channel.",
            "2.0.0",
            "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        ),
    CommandSpec::new("spublish", spublish)
        .arity(3)
        .flags(flags::PUBSUB | flags::LOADING | flags::STALE | flags::FAST | flags::MAY_REPLICATE)
        .keys(1, 1, 1)
        .group(Group::PubSub)
        .doc(
            "Posts a message to a shard channel.",
            "7.0.0",
            "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        ),
    CommandSpec::new("pubsub", pubsub_help)
        .arity(-2)
        .group(Group::PubSub)
        .subcommands(PUBSUB_SUBCOMMANDS)
        .doc("A container for pub/sub introspection commands.", "2.8.0", "Depends on subcommand."),
];

#[cfg(test)]
#[path = "pubsub_tests.rs"]
mod tests;
