//! Whether a user may run one command: its bit (or allowed first argument), its keys with
//! the access each needs, and its channels — per selector, as Redis 7 decides.

use super::ids::CommandIds;
use super::keyspecs::access_at;
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

/// Where a command's keys are: a range of positions, or a list a key finder made.
enum KeyList {
    Range {
        first: usize,
        last: usize,
        step: usize,
    },
    Listed(Vec<usize>),
}

/// A command's keys with the access each needs, found once for every selector, without
/// allocating for commands with fixed key positions.
struct Keys {
    list: KeyList,
    specs: Option<&'static [(usize, u8)]>,
    write: bool,
    read_only: bool,
    /// SET without GET writes without reading.
    write_only_set: bool,
}

impl Keys {
    fn new(spec: &CommandSpec, args: &[Bytes], specs: Option<&'static [(usize, u8)]>) -> Keys {
        let argc = args.len();
        let list = match spec.key_finder {
            Some(find) => KeyList::Listed(find(args)),
            None if spec.first_key <= 0 => KeyList::Listed(Vec::new()),
            None => {
                let last = if spec.last_key < 0 {
                    argc as i64 + i64::from(spec.last_key)
                } else {
                    i64::from(spec.last_key)
                };
                KeyList::Range {
                    first: spec.first_key as usize,
                    last: last.clamp(-1, argc as i64 - 1).max(0) as usize,
                    step: spec.key_step.max(1) as usize,
                }
            }
        };
        let write_only_set =
            spec.name == "set" && !args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"GET"));
        Keys {
            list,
            specs,
            write: spec.has(flags::WRITE),
            read_only: spec.has(flags::READONLY),
            write_only_set,
        }
    }

    fn positions(&self, argc: usize) -> impl Iterator<Item = usize> + '_ {
        let (range, listed) = match &self.list {
            KeyList::Range { first, last, step } if *first < argc && first <= last => {
                (Some((*first..=*last).step_by(*step)), &[][..])
            }
            KeyList::Range { .. } => (None, &[][..]),
            KeyList::Listed(v) => (None, v.as_slice()),
        };
        range
            .into_iter()
            .flatten()
            .chain(listed.iter().copied())
            .filter(move |&i| i < argc)
    }

    fn need(&self, pos: usize) -> u8 {
        let access = access_at(self.specs, pos, self.write, self.read_only);
        if self.write_only_set {
            access & !super::user::PERM_READ
        } else {
            access
        }
    }
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
    cmd: (&CommandSpec, Option<usize>),
    args: &[Bytes],
    keys: &Keys,
) -> Result<(), Denied> {
    let (spec, id) = cmd;
    if !spec.has(flags::NO_AUTH) && !sel.all_commands {
        let Some(id) = id else {
            return Err(Denied::Command);
        };
        if !command_allowed(sel, id, ids.parent(id).is_some(), args) {
            return Err(Denied::Command);
        }
    }
    if !sel.all_keys {
        for i in keys.positions(args.len()) {
            if !key_allowed(sel, &args[i], keys.need(i)) {
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
    let id = ids.lookup(spec.name);
    let keys = Keys::new(spec, args, id.and_then(|i| ids.key_specs(i)));
    let mut worst = Denied::Command;
    for sel in &user.selectors {
        match check_selector(sel, ids, (spec, id), args, &keys) {
            Ok(()) => return Ok(()),
            Err(d) if d.rank() > worst.rank() => worst = d,
            Err(_) => {}
        }
    }
    Err(worst)
}
