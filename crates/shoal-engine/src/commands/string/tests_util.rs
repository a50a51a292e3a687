//! Helpers shared by the string family's tests: stored encodings, TTLs and effects.

use crate::testing::Harness;

pub(super) use crate::testing::effect_texts as effects;

/// The encoding of `key` in db 0.
pub(super) fn encoding(h: &Harness, key: &str) -> Option<&'static str> {
    h.encoding(key)
}

/// The stored deadline of `key` in db 0 (ms since the epoch), without expiring it.
pub(super) fn deadline_of(h: &Harness, key: &str) -> Option<u64> {
    h.deadline(key)
}

pub(super) use crate::testing::expected_effects as eff;
