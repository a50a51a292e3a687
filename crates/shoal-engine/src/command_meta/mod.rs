//! What Redis 7 publishes about each command beyond its arity and flags: its tips
//! (`nondeterministic_output`, `request_policy:all_shards`, ...) and its key
//! specifications (how to find each key argument and what the command does to it).
//!
//! One table ([`table::TABLE`]) holds both, keyed by full command name (`"memory|usage"`);
//! `COMMAND INFO` renders it and ACL key permissions (`%R~`, `%W~`) are derived from it.

mod table;

use shoal_resp::Frame;

/// Key specification flags, as `COMMAND INFO` names them.
pub(crate) mod kflags {
    /// Reads and writes the key (or its value).
    pub const RW: u16 = 1 << 0;
    /// Only reads.
    pub const RO: u16 = 1 << 1;
    /// Overwrites the key without reading it.
    pub const OW: u16 = 1 << 2;
    /// Removes the key.
    pub const RM: u16 = 1 << 3;
    /// Returns or uses the value.
    pub const ACCESS: u16 = 1 << 4;
    /// Updates the value in place.
    pub const UPDATE: u16 = 1 << 5;
    /// Adds data to the value.
    pub const INSERT: u16 = 1 << 6;
    /// Deletes data from the value.
    pub const DELETE: u16 = 1 << 7;
    /// The argument is not a key (only hashed for the slot).
    pub const NOT_KEY: u16 = 1 << 8;
    /// The specification may not find every key.
    pub const INCOMPLETE: u16 = 1 << 9;
    /// The flags depend on other arguments.
    pub const VARIABLE_FLAGS: u16 = 1 << 10;

    /// Every flag and its name, in the order Redis lists them.
    pub const NAMES: &[(u16, &str)] = &[
        (RW, "RW"),
        (RO, "RO"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}

/// Where the search for a specification's first key begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Begin {
    /// At this argument.
    Index(i32),
    /// After this keyword, searched from `startfrom` (negative: from the end, backwards).
    Keyword(&'static str, i32),
    /// Only the command itself knows.
    Unknown,
}

/// How the keys run on from where the search began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Find {
    /// `(lastkey, keystep, limit)`: up to `lastkey` (negative: from the end), every
    /// `keystep`th argument; `limit` divides the rest when `lastkey` is -1.
    Range(i32, i32, i32),
    /// `(keynumidx, firstkey, keystep)`: the number of keys at `keynumidx`, the first key at
    /// `firstkey`, both relative to where the search began.
    Keynum(i32, i32, i32),
    /// Only the command itself knows.
    Unknown,
}

/// One key specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeySpec {
    /// [`kflags`] bits.
    pub(crate) flags: u16,
    pub(crate) begin: Begin,
    pub(crate) find: Find,
}

/// A key specification (the table's shorthand).
const fn spec(flags: u16, begin: Begin, find: Find) -> KeySpec {
    KeySpec { flags, begin, find }
}

/// `(full name, tips, key specifications)`.
type Row = (&'static str, &'static [&'static str], &'static [KeySpec]);

fn row(name: &str) -> Option<&'static Row> {
    table::TABLE
        .binary_search_by(|(n, _, _)| (*n).cmp(name))
        .ok()
        .map(|i| &table::TABLE[i])
}

/// The tips of command `name` (full name, lower case).
pub(crate) fn tips(name: &str) -> &'static [&'static str] {
    row(name).map_or(&[], |r| r.1)
}

/// The key specifications of command `name` (full name, lower case); `None` for a command
/// Redis does not have.
pub(crate) fn key_specs(name: &str) -> Option<&'static [KeySpec]> {
    row(name).map(|r| r.2)
}

/// Every command with at least one key specification, in name order.
pub(crate) fn with_key_specs() -> impl Iterator<Item = (&'static str, &'static [KeySpec])> {
    table::TABLE
        .iter()
        .filter(|r| !r.2.is_empty())
        .map(|r| (r.0, r.2))
}

fn map(pairs: Vec<(&'static str, Frame)>) -> Frame {
    Frame::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Frame::bulk(k), v))
            .collect(),
    )
}

/// The tips as `COMMAND INFO` shows them.
pub(crate) fn tips_frame(name: &str) -> Frame {
    Frame::Set(tips(name).iter().map(Frame::bulk).collect())
}

/// One key specification as `COMMAND INFO` shows it (a map; RESP2 flattens it).
pub(crate) fn key_spec_frame(s: &KeySpec) -> Frame {
    let flags = kflags::NAMES
        .iter()
        .filter(|(bit, _)| s.flags & bit != 0)
        .map(|(_, n)| Frame::Simple(bytes::Bytes::from_static(n.as_bytes())))
        .collect();
    let int = |n: i32| Frame::Integer(n.into());
    let (kind, search) = match s.begin {
        Begin::Index(i) => ("index", map(vec![("index", int(i))])),
        Begin::Keyword(k, from) => (
            "keyword",
            map(vec![("keyword", Frame::bulk(k)), ("startfrom", int(from))]),
        ),
        Begin::Unknown => ("unknown", Frame::Map(Vec::new())),
    };
    let begin = map(vec![("type", Frame::bulk(kind)), ("spec", search)]);
    let (kind, keys) = match s.find {
        Find::Range(last, step, limit) => (
            "range",
            map(vec![
                ("lastkey", int(last)),
                ("keystep", int(step)),
                ("limit", int(limit)),
            ]),
        ),
        Find::Keynum(idx, first, step) => (
            "keynum",
            map(vec![
                ("keynumidx", int(idx)),
                ("firstkey", int(first)),
                ("keystep", int(step)),
            ]),
        ),
        Find::Unknown => ("unknown", Frame::Map(Vec::new())),
    };
    let find = map(vec![("type", Frame::bulk(kind)), ("spec", keys)]);
    map(vec![
        ("flags", Frame::Set(flags)),
        ("begin_search", begin),
        ("find_keys", find),
    ])
}

/// The key specifications as `COMMAND INFO` shows them.
pub(crate) fn key_specs_frame(name: &str) -> Frame {
    Frame::Array(
        key_specs(name)
            .unwrap_or(&[])
            .iter()
            .map(key_spec_frame)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(table::TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn set_has_one_read_write_spec_at_its_first_argument() {
        let specs = key_specs("set").unwrap_or(&[]);
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].begin, Begin::Index(1));
        assert_eq!(specs[0].find, Find::Range(0, 1, 0));
        assert_ne!(specs[0].flags & kflags::RW, 0);
        assert!(tips("set").is_empty());
    }

    #[test]
    fn keys_carries_its_tips_and_no_key_spec() {
        assert_eq!(
            tips("keys"),
            &["request_policy:all_shards", "nondeterministic_output_order"]
        );
        assert_eq!(key_specs("keys"), Some(&[][..]));
    }

    #[test]
    fn migrate_finds_its_keys_after_the_keys_keyword() {
        let specs = key_specs("migrate").unwrap_or(&[]);
        assert_eq!(specs[1].begin, Begin::Keyword("KEYS", -2));
        assert_eq!(specs[1].find, Find::Range(-1, 1, 0));
    }
}
