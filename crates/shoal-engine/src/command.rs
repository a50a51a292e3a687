//! The command table: each command declared once, as data.
//!
//! A [`CommandSpec`] drives dispatch, arity errors, `COMMAND` replies, ACL categories and
//! key extraction. Families declare theirs at the end of their file; custom commands use the
//! same type.

use crate::error::CmdResult;
use crate::exec::Ctx;
use bytes::Bytes;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// A command handler: reads its arguments from the context and returns the reply.
pub type Handler = fn(&mut Ctx<'_>) -> CmdResult;

/// Finds the key arguments of a command whose keys move with its arguments (`numkeys`):
/// given every argument (the name included), the indexes of the keys.
pub type KeyFinder = fn(&[Bytes]) -> Vec<usize>;

/// Keys counted by a `numkeys` argument at `at`, followed by that many keys; `also` lists
/// fixed key positions before it (ZUNIONSTORE's destination).
fn numkeys_keys(args: &[Bytes], at: usize, also: &[usize]) -> Vec<usize> {
    let n = args
        .get(at)
        .and_then(|b| crate::util::num::parse_i64(b))
        .filter(|&n| n > 0)
        .unwrap_or(0) as usize;
    let mut out: Vec<usize> = also.iter().copied().filter(|&i| i < args.len()).collect();
    out.extend((at + 1..at + 1 + n).take_while(|&i| i < args.len()));
    out
}

/// `CMD numkeys key...` (SINTERCARD, LMPOP, ZMPOP, ZUNION, ZINTERCARD, EVAL-like).
pub fn keys_after_numkeys_at_1(args: &[Bytes]) -> Vec<usize> {
    numkeys_keys(args, 1, &[])
}

/// `CMD x numkeys key...` (BLMPOP and BZMPOP with their timeout first).
pub fn keys_after_numkeys_at_2(args: &[Bytes]) -> Vec<usize> {
    numkeys_keys(args, 2, &[])
}

/// `CMD destination numkeys key...` (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE).
pub fn destination_and_numkeys_keys(args: &[Bytes]) -> Vec<usize> {
    numkeys_keys(args, 2, &[1])
}

/// Command flags, as Redis names them in `COMMAND INFO`.
pub mod flags {
    /// May modify the keyspace.
    pub const WRITE: u32 = 1 << 0;
    /// Only reads data.
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory: refused under OOM.
    pub const DENYOOM: u32 = 1 << 2;
    /// Administrative.
    pub const ADMIN: u32 = 1 << 3;
    /// Pub/sub related.
    pub const PUBSUB: u32 = 1 << 4;
    /// Not allowed in scripts.
    pub const NOSCRIPT: u32 = 1 << 5;
    /// Allowed while loading data.
    pub const LOADING: u32 = 1 << 6;
    /// Allowed on a replica with stale data.
    pub const STALE: u32 = 1 << 7;
    /// O(1) or O(log N), never blocks for long.
    pub const FAST: u32 = 1 << 8;
    /// May block the client.
    pub const BLOCKING: u32 = 1 << 9;
    /// Allowed before authentication.
    pub const NO_AUTH: u32 = 1 << 10;
    /// Not counted in the slowlog or monitor.
    pub const SKIP_SLOWLOG: u32 = 1 << 11;
    /// Not allowed inside MULTI.
    pub const NO_MULTI: u32 = 1 << 12;
    /// Allowed in a busy script context.
    pub const ALLOW_BUSY: u32 = 1 << 13;
    /// Sent to the monitor feed without arguments.
    pub const SKIP_MONITOR: u32 = 1 << 14;
    /// Has no key arguments even if positional data looks like keys.
    pub const MAY_REPLICATE: u32 = 1 << 15;
    /// Random output.
    pub const RANDOM: u32 = 1 << 16;
    /// Key positions depend on the arguments (`numkeys`); a key finder locates them.
    pub const MOVABLE_KEYS: u32 = 1 << 17;
    /// May be called without any key even though it declares key positions (EVAL, FCALL).
    pub const NO_MANDATORY_KEYS: u32 = 1 << 18;
    /// Runs alone: passes the keyspace gate exclusively (EXEC, scripts, functions). Not a
    /// Redis flag: never listed by `COMMAND INFO`.
    pub const EXCLUSIVE: u32 = 1 << 31;

    /// Names as `COMMAND INFO` lists them, in order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_MULTI, "no_multi"),
        (ALLOW_BUSY, "allow_busy"),
        (MOVABLE_KEYS, "movablekeys"),
    ];
}

/// ACL categories (`@string`, `@keyspace`, ...).
pub mod acl {
    /// `@keyspace`
    pub const KEYSPACE: u64 = 1 << 0;
    /// `@read`
    pub const READ: u64 = 1 << 1;
    /// `@write`
    pub const WRITE: u64 = 1 << 2;
    /// `@set`
    pub const SET: u64 = 1 << 3;
    /// `@sortedset`
    pub const SORTEDSET: u64 = 1 << 4;
    /// `@list`
    pub const LIST: u64 = 1 << 5;
    /// `@hash`
    pub const HASH: u64 = 1 << 6;
    /// `@string`
    pub const STRING: u64 = 1 << 7;
    /// `@bitmap`
    pub const BITMAP: u64 = 1 << 8;
    /// `@hyperloglog`
    pub const HYPERLOGLOG: u64 = 1 << 9;
    /// `@geo`
    pub const GEO: u64 = 1 << 10;
    /// `@stream`
    pub const STREAM: u64 = 1 << 11;
    /// `@pubsub`
    pub const PUBSUB: u64 = 1 << 12;
    /// `@admin`
    pub const ADMIN: u64 = 1 << 13;
    /// `@fast`
    pub const FAST: u64 = 1 << 14;
    /// `@slow`
    pub const SLOW: u64 = 1 << 15;
    /// `@blocking`
    pub const BLOCKING: u64 = 1 << 16;
    /// `@dangerous`
    pub const DANGEROUS: u64 = 1 << 17;
    /// `@connection`
    pub const CONNECTION: u64 = 1 << 18;
    /// `@transaction`
    pub const TRANSACTION: u64 = 1 << 19;
    /// `@scripting`
    pub const SCRIPTING: u64 = 1 << 20;

    /// Names in Redis's order.
    pub const NAMES: &[(u64, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}

/// The documentation group of a command (`COMMAND DOCS` "group").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// `generic`: key commands.
    Generic,
    /// `string`.
    String,
    /// `bitmap`.
    Bitmap,
    /// `connection`.
    Connection,
    /// `server`.
    Server,
    /// `list`.
    List,
    /// `set`.
    Set,
    /// `hash`.
    Hash,
    /// `sorted-set`.
    SortedSet,
    /// `transactions`.
    Transactions,
    /// `pubsub`.
    PubSub,
    /// `scripting`.
    Scripting,
    /// `module`: commands the embedding application added.
    Module,
}

impl Group {
    /// The group name as `COMMAND DOCS` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::Bitmap => "bitmap",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::List => "list",
            Group::Set => "set",
            Group::Hash => "hash",
            Group::SortedSet => "sorted-set",
            Group::Transactions => "transactions",
            Group::PubSub => "pubsub",
            Group::Scripting => "scripting",
            Group::Module => "module",
        }
    }
}

/// One command, declared once.
#[derive(Clone, Copy)]
pub struct CommandSpec {
    /// Lower-case name; a subcommand's is its full name (`client|list`).
    pub name: &'static str,
    /// Redis arity: positive means exactly, negative means at least (counting the name).
    pub arity: i32,
    /// `flags::*` bits.
    pub flags: u32,
    /// Position of the first key argument (0: none).
    pub first_key: i32,
    /// Position of the last key argument (negative counts from the end).
    pub last_key: i32,
    /// Step between keys.
    pub key_step: i32,
    /// `acl::*` bits beyond those implied by the flags.
    pub acl: u64,
    /// Documentation group.
    pub group: Group,
    /// One-line summary, in our own words.
    pub summary: &'static str,
    /// Redis version that introduced the command.
    pub since: &'static str,
    /// Time complexity.
    pub complexity: &'static str,
    /// The handler; for a container command, the handler runs only when it has no subcommand
    /// table (so containers set it to a function answering their HELP).
    pub handler: Handler,
    /// Subcommands (`CLIENT LIST`, ...), empty for plain commands.
    pub subcommands: &'static [CommandSpec],
    /// Locates the keys of a command with `MOVABLE_KEYS`.
    pub key_finder: Option<KeyFinder>,
}

impl CommandSpec {
    /// A command with defaults: arity 1, no flags, no keys.
    pub const fn new(name: &'static str, handler: Handler) -> CommandSpec {
        CommandSpec {
            name,
            arity: 1,
            flags: 0,
            first_key: 0,
            last_key: 0,
            key_step: 0,
            acl: 0,
            group: Group::Generic,
            summary: "",
            since: "1.0.0",
            complexity: "O(1)",
            handler,
            subcommands: &[],
            key_finder: None,
        }
    }

    /// Declares keys located by `finder` (and sets `MOVABLE_KEYS`); the legacy first/last/step
    /// positions stay as Redis reports them.
    pub const fn key_finder(mut self, finder: KeyFinder) -> Self {
        self.key_finder = Some(finder);
        self.flags |= flags::MOVABLE_KEYS;
        self
    }

    /// Indexes of the key arguments of this invocation (`args` includes the name).
    pub fn keys_of(&self, args: &[Bytes]) -> Vec<usize> {
        match self.key_finder {
            Some(find) => find(args),
            None => self.key_indexes(args.len()),
        }
    }

    /// Sets the arity.
    pub const fn arity(mut self, arity: i32) -> Self {
        self.arity = arity;
        self
    }

    /// Sets the flags.
    pub const fn flags(mut self, flags: u32) -> Self {
        self.flags = flags;
        self
    }

    /// Sets the key positions.
    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Self {
        self.first_key = first;
        self.last_key = last;
        self.key_step = step;
        self
    }

    /// Sets the extra ACL categories.
    pub const fn acl(mut self, acl: u64) -> Self {
        self.acl = acl;
        self
    }

    /// Sets the group.
    pub const fn group(mut self, group: Group) -> Self {
        self.group = group;
        self
    }

    /// Sets summary, since and complexity.
    pub const fn doc(
        mut self,
        summary: &'static str,
        since: &'static str,
        complexity: &'static str,
    ) -> Self {
        self.summary = summary;
        self.since = since;
        self.complexity = complexity;
        self
    }

    /// Sets the subcommand table.
    pub const fn subcommands(mut self, subs: &'static [CommandSpec]) -> Self {
        self.subcommands = subs;
        self
    }

    /// True if `flag` is set.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// All ACL categories: explicit ones plus those implied by the flags, as Redis derives.
    pub fn acl_categories(&self) -> u64 {
        let mut c = self.acl;
        if self.has(flags::WRITE) {
            c |= acl::WRITE;
        }
        if self.has(flags::READONLY) && self.acl & acl::SCRIPTING == 0 {
            c |= acl::READ;
        }
        if self.has(flags::ADMIN) {
            c |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.has(flags::PUBSUB) {
            c |= acl::PUBSUB;
        }
        if self.has(flags::FAST) {
            c |= acl::FAST;
        }
        if self.has(flags::BLOCKING) {
            c |= acl::BLOCKING;
        }
        if c & acl::FAST == 0 {
            c |= acl::SLOW;
        }
        c
    }

    /// Indexes of the key arguments in `args` (which includes the command name, and for a
    /// subcommand the container name too).
    pub fn key_indexes(&self, argc: usize) -> Vec<usize> {
        if self.first_key <= 0 {
            return Vec::new();
        }
        let first = self.first_key as usize;
        let last = if self.last_key < 0 {
            argc as i64 + i64::from(self.last_key)
        } else {
            i64::from(self.last_key)
        };
        let step = self.key_step.max(1) as usize;
        let mut out = Vec::new();
        let mut i = first;
        while (i as i64) <= last && i < argc {
            out.push(i);
            i += step;
        }
        out
    }

    /// True if `argc` (name included) satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let a = i64::from(self.arity);
        if a >= 0 {
            argc == a
        } else {
            argc >= -a
        }
    }
}

/// FNV-1a over command names. Every command looks its name up here, and the table holds only
/// names Shoal chose, so a keyed hash (SipHash) buys nothing but time: a client sending odd
/// names cannot make any lookup slower than a few probes of a ~250-entry table.
#[derive(Default)]
pub struct NameHasher(u64);

impl std::hash::Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Every command by lower-case name.
pub struct CommandTable {
    by_name: HashMap<String, CommandSpec, BuildHasherDefault<NameHasher>>,
}

impl CommandTable {
    /// Builds a table from declarations.
    pub fn new(specs: impl IntoIterator<Item = CommandSpec>) -> CommandTable {
        let by_name = specs.into_iter().map(|s| (s.name.to_string(), s)).collect();
        CommandTable { by_name }
    }

    /// Looks a command up by name, ignoring case.
    pub fn get(&self, name: &[u8]) -> Option<&CommandSpec> {
        if name.len() > 64 {
            return None;
        }
        let mut buf = [0u8; 64];
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        std::str::from_utf8(lower)
            .ok()
            .and_then(|n| self.by_name.get(n))
    }

    /// Every top-level command.
    pub fn iter(&self) -> impl Iterator<Item = &CommandSpec> {
        self.by_name.values()
    }

    /// Number of top-level commands.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True if the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Adds or replaces a command.
    pub fn register(&mut self, spec: CommandSpec) {
        self.by_name.insert(spec.name.to_string(), spec);
    }
}

/// Finds the subcommand named `name` of `container`.
pub fn find_subcommand<'a>(container: &'a CommandSpec, name: &[u8]) -> Option<&'a CommandSpec> {
    container.subcommands.iter().find(|s| {
        let own = s.name.rsplit('|').next().unwrap_or(s.name);
        own.as_bytes().eq_ignore_ascii_case(name)
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    #[test]
    fn getkeys_follows_numkeys_for_movable_key_commands() {
        let mut h = Harness::new();
        assert_eq!(
            h.run(&[
                "COMMAND",
                "GETKEYS",
                "SINTERCARD",
                "2",
                "a",
                "b",
                "LIMIT",
                "1"
            ]),
            bulks(&["a", "b"])
        );
        assert_eq!(
            h.run(&["COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"]),
            bulks(&["a", "b"])
        );
        assert_eq!(
            h.run(&["COMMAND", "GETKEYS", "BLMPOP", "0", "1", "a", "LEFT"]),
            bulks(&["a"])
        );
        assert_eq!(
            h.run(&["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"]),
            bulks(&["a", "b"])
        );
    }

    #[test]
    fn numkeys_beyond_the_arguments_stops_at_the_end() {
        let args: Vec<bytes::Bytes> = ["ZUNIONSTORE", "d", "5", "a"]
            .iter()
            .map(|s| bytes::Bytes::from(*s))
            .collect();
        assert_eq!(super::destination_and_numkeys_keys(&args), vec![1, 3]);
    }
}
