//! How each command touches its keys, for `%R~` / `%W~` patterns: per key specification,
//! the argument where it begins and whether it reads (`R`), writes (`W`), both, or neither
//! (`N`: only looks at existence or metadata). Facts from Redis 7's key specifications
//! (`access` reads; `insert`, `delete`, `update` write).

use crate::command_meta::{kflags, Begin, KeySpec};
use std::sync::LazyLock;

/// Neither read nor write.
const N: u8 = 0;
/// Reads the value.
const R: u8 = super::user::PERM_READ;
/// Changes the key.
const W: u8 = super::user::PERM_WRITE;
/// Both.
const RW: u8 = R | W;

/// One command's `(name, [(first argument of the spec, access)])`.
type Derived = (&'static str, Vec<(usize, u8)>);

/// Sorted by name: `(command, [(first argument of the spec, access)])`, derived from the
/// command metadata table (the one declaration of key specifications): a spec beginning
/// at a keyword counts from its `startfrom`, or 0 when that counts from the end.
static KEY_SPECS: LazyLock<Vec<Derived>> = LazyLock::new(|| {
    crate::command_meta::with_key_specs()
        .map(|(name, specs)| (name, specs.iter().map(begin_and_access).collect()))
        .collect()
});

fn begin_and_access(s: &KeySpec) -> (usize, u8) {
    let begin = match s.begin {
        Begin::Index(i) | Begin::Keyword(_, i) => i.max(0) as usize,
        Begin::Unknown => 0,
    };
    let mut access = N;
    if s.flags & kflags::ACCESS != 0 {
        access |= R;
    }
    if s.flags & (kflags::INSERT | kflags::DELETE | kflags::UPDATE) != 0 {
        access |= W;
    }
    (begin, access)
}

/// The key specifications of command `name`, if Redis lists it.
pub(crate) fn specs_of(name: &str) -> Option<&'static [(usize, u8)]> {
    let specs: &'static [Derived] = &KEY_SPECS;
    specs
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| specs[i].1.as_slice())
}

/// The access a command needs on the key at argument `pos`, from its key specifications
/// (the one beginning last at or before `pos`); commands Redis does not list (custom ones)
/// fall back on their read/write flags.
pub(crate) fn access_at(
    specs: Option<&[(usize, u8)]>,
    pos: usize,
    write: bool,
    read_only: bool,
) -> u8 {
    match specs {
        Some(specs) => specs
            .iter()
            .filter(|(begin, _)| *begin <= pos)
            .max_by_key(|(begin, _)| *begin)
            .or(specs.first())
            .map_or(RW, |(_, a)| *a),
        None if read_only => R,
        None if write => W,
        None => RW,
    }
}

/// [`access_at`] for a command by name.
#[cfg(test)]
pub(crate) fn key_access(name: &str, pos: usize, write: bool, read_only: bool) -> u8 {
    access_at(specs_of(name), pos, write, read_only)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_specs_are_sorted_for_binary_search() {
        assert!(KEY_SPECS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn keyword_and_unknown_specs_begin_where_the_command_says() {
        assert_eq!(specs_of("georadius"), Some(&[(1, R), (6, W), (6, W)][..]));
        assert_eq!(specs_of("sort"), Some(&[(1, R), (0, R), (0, W)][..]));
        assert_eq!(specs_of("migrate"), Some(&[(3, RW), (0, RW)][..]));
        assert_eq!(specs_of("exists"), Some(&[(1, N)][..]));
        assert_eq!(specs_of("ping"), None);
    }

    #[test]
    fn key_access_follows_the_spec_covering_the_argument() {
        assert_eq!(key_access("lmove", 1, true, false), RW);
        assert_eq!(key_access("lmove", 2, true, false), W);
        assert_eq!(key_access("get", 1, false, true), R);
        assert_eq!(key_access("exists", 1, false, true), N);
        assert_eq!(key_access("zunionstore", 1, true, false), W);
        assert_eq!(key_access("zunionstore", 4, true, false), R);
    }
}
