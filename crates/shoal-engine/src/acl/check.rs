//! Whether a user may run one command: its bit (or allowed first argument), its keys with
//! the access each needs, and its channels — per selector, as Redis 7 decides.

use super::ids::CommandIds;
use super::keyspecs::key_access;
use super::user::{Selector, User};
use crate::command::{flags, CommandSpec};
use crate::util::glob::glob_match;
use bytes::Bytes;

/// Why a command was refused, with the argument at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// The command itself.
    Command,
    /// The key at this argument.
    Key(usize),
    /// The channel at this argument.
    Channel(usize),
}

impl Denied {
    /// Redis's ranking: when no selector allows a command, the most specific failure is
    /// reported (command < key < channel), then the latest argument.
    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Command => (1, 0),
            Denied::Key(i) => (2, i),
            Denied::Channel(i) => (4, i),
        }
    }

    /// The argument index the log names (0 for the command).
    pub fn arg(self) -> usize {
        match self {
            Denied::Command => 0,
            Denied::Key(i) | Denied::Channel(i) => i,
        }
    }
}

/// The keys of a command with the access each needs, computed once for every selector.
struct KeyCache(Option<Vec<(usize, u8)>>);

impl KeyCache {
    fn get(&mut self, spec: &CommandSpec, args: &[Bytes]) -> &[(usize, u8)] {
        self.0.get_or_insert_with(|| key_positions(spec, args))
    }
}

/// Key argument positions with the access (`PERM_*`) each needs.
pub(crate) fn key_positions(spec: &CommandSpec, args: &[Bytes]) -> Vec<(usize, u8)> {
    let write = spec.has(flags::WRITE);
    let read_only = spec.has(flags::READONLY);
    let set_get = spec.name == "set"
        && args[3.min(args.len())..]
            .iter()
            .any(|a| a.eq_ignore_ascii_case(b"GET"));
    spec.keys_of(args)
        .into_iter()
        .filter(|&i| i < args.len())
        .map(|i| {
            let mut access = key_access(spec.name, i, write, read_only);
            if spec.name == "set" && !set_get {
                access &= !super::user::PERM_READ;
            }
            (i, access)
        })
        .collect()
}

/// Channel arguments: `(position, is a pattern)`. Only commands that publish or subscribe
/// are checked, as in Redis (unsubscribing is always allowed).
fn channel_positions(spec: &CommandSpec, args: &[Bytes]) -> Vec<(usize, bool)> {
    match spec.name {
        "publish" | "spublish" if args.len() > 1 => vec![(1, false)],
        "subscribe" | "ssubscribe" => (1..args.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..args.len()).map(|i| (i, true)).collect(),
        _ => Vec::new(),
    }
}

/// True if one of `allowed` admits `channel`: a channel name matches the patterns as globs,
/// a PSUBSCRIBE pattern must equal one of them literally.
pub(crate) fn channel_allowed(allowed: &[Bytes], channel: &[u8], is_pattern: bool) -> bool {
    allowed.iter().any(|p| {
        if is_pattern {
            p.as_ref() == channel
        } else {
            glob_match(p, channel, false)
        }
    })
}

fn key_allowed(sel: &Selector, key: &[u8], need: u8) -> bool {
    sel.all_keys
        || sel
            .keys
            .iter()
            .any(|p| p.perms & need == need && glob_match(&p.pattern, key, false))
}

fn command_allowed(sel: &Selector, id: usize, sub: bool, args: &[Bytes]) -> bool {
    if sel.bit(id) {
        return true;
    }
    let at = if sub { 2 } else { 1 };
    match (sel.first_args.get(&id), args.get(at)) {
        (Some(list), Some(arg)) => list.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(arg)),
        _ => false,
    }
}

fn check_selector(
    sel: &Selector,
    ids: &CommandIds,
    spec: &CommandSpec,
    args: &[Bytes],
    keys: &mut KeyCache,
) -> Result<(), Denied> {
    if !spec.has(flags::NO_AUTH) && !sel.all_commands {
        let Some(id) = ids.lookup(spec.name) else {
            return Err(Denied::Command);
        };
        if !command_allowed(sel, id, ids.parent(id).is_some(), args) {
            return Err(Denied::Command);
        }
    }
    if !sel.all_keys {
        for &(i, need) in keys.get(spec, args) {
            if !key_allowed(sel, &args[i], need) {
                return Err(Denied::Key(i));
            }
        }
    }
    if !sel.all_channels {
        for (i, is_pattern) in channel_positions(spec, args) {
            if !channel_allowed(&sel.channels, &args[i], is_pattern) {
                return Err(Denied::Channel(i));
            }
        }
    }
    Ok(())
}

/// Checks `spec` (the subcommand's, for a container) with `args` (name included) against
/// every selector of `user`: allowed if one selector allows it all.
pub fn check(
    user: &User,
    ids: &CommandIds,
    spec: &CommandSpec,
    args: &[Bytes],
) -> Result<(), Denied> {
    let mut keys = KeyCache(None);
    let mut worst = Denied::Command;
    for sel in &user.selectors {
        match check_selector(sel, ids, spec, args, &mut keys) {
            Ok(()) => return Ok(()),
            Err(d) if d.rank() > worst.rank() => worst = d,
            Err(_) => {}
        }
    }
    Err(worst)
}
