//! OBJECT: introspection of stored values. Looking a key up here never refreshes its
//! access time, so OBJECT IDLETIME reads what other commands left.

use crate::command::{acl, flags, CommandSpec};
use crate::error::{CmdError, CmdResult};
use crate::evict::bits::Mode;
use crate::exec::Ctx;
use crate::keyspace::entry::Entry;
use crate::types::{StrValue, Value};
use shoal_resp::Frame;

/// Integers Redis keeps as shared objects (0 to 9999); their refcount reads as `i32::MAX`.
const SHARED_INTEGERS: i64 = 10_000;

/// Looks `key` up without touching it and maps the entry; nil when missing.
fn with_entry(ctx: &mut Ctx<'_>, f: impl FnOnce(&Entry, u32) -> CmdResult) -> CmdResult {
    let key = ctx.args.key()?;
    let mut a = ctx.lock1(&key);
    let lru_now = a.lru_now();
    match a.peek(&key) {
        Some(e) => f(e, lru_now),
        None => Ok(Frame::Null),
    }
}

/// `OBJECT ENCODING key`.
fn encoding(ctx: &mut Ctx<'_>) -> CmdResult {
    with_entry(ctx, |e, _| Ok(Frame::bulk(e.value.encoding_name())))
}

/// `OBJECT IDLETIME key`: seconds since the key was last accessed; not tracked under an
/// LFU policy.
fn idletime(ctx: &mut Ctx<'_>) -> CmdResult {
    let mode = ctx.engine().policy().mode();
    let now_ms = ctx.now_ms;
    with_entry(ctx, |e, _| {
        if mode == Mode::Lfu {
            return Err(CmdError::Msg(
                "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
            ));
        }
        let idle = crate::evict::bits::idle_secs(mode, e.lru, now_ms);
        Ok(Frame::Integer(i64::try_from(idle).unwrap_or(i64::MAX)))
    })
}

/// `OBJECT REFCOUNT key`: values are never shared here, but small integers answer as
/// Redis's shared integers do.
fn refcount(ctx: &mut Ctx<'_>) -> CmdResult {
    with_entry(ctx, |e, _| {
        let shared =
            matches!(&e.value, Value::Str(StrValue::Int(n)) if (0..SHARED_INTEGERS).contains(n));
        Ok(Frame::Integer(if shared { i64::from(i32::MAX) } else { 1 }))
    })
}

/// `OBJECT FREQ key`: the logarithmic access counter, after decay; tracked only under an
/// LFU eviction policy.
fn freq(ctx: &mut Ctx<'_>) -> CmdResult {
    let lfu = ctx.engine().policy().mode() == Mode::Lfu;
    let decay = ctx.engine().config.get_i64("lfu-decay-time");
    let now_ms = ctx.now_ms;
    with_entry(ctx, |e, _| {
        if !lfu {
            return Err(CmdError::Msg(
                "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
            ));
        }
        let counter = crate::evict::bits::lfu_decayed(e.lru, now_ms, decay);
        Ok(Frame::Integer(i64::from(counter)))
    })
}

const HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// `OBJECT HELP`: the subcommands, one status line each.
pub(super) fn help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::Array(
        HELP.iter().copied().map(Frame::simple).collect(),
    ))
}

const KS: u64 = acl::KEYSPACE;

/// OBJECT's subcommands.
pub(super) const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("object|encoding", encoding)
        .arity(3)
        .flags(flags::READONLY)
        .keys(2, 2, 1)
        .acl(KS)
        .doc(
            "Names the internal encoding of a key's value.",
            "2.2.3",
            "O(1)",
        ),
    CommandSpec::new("object|freq", freq)
        .arity(3)
        .flags(flags::READONLY)
        .keys(2, 2, 1)
        .acl(KS)
        .doc(
            "The logarithmic access frequency of a key.",
            "4.0.0",
            "O(1)",
        ),
    CommandSpec::new("object|idletime", idletime)
        .arity(3)
        .flags(flags::READONLY)
        .keys(2, 2, 1)
        .acl(KS)
        .doc("Seconds since a key was last accessed.", "2.2.3", "O(1)"),
    CommandSpec::new("object|refcount", refcount)
        .arity(3)
        .flags(flags::READONLY)
        .keys(2, 2, 1)
        .acl(KS)
        .doc("The reference count of a key's value.", "2.2.3", "O(1)"),
    CommandSpec::new("object|help", help)
        .arity(2)
        .flags(flags::LOADING | flags::STALE)
        .acl(KS)
        .doc("Lists OBJECT's subcommands.", "6.2.0", "O(1)"),
];
