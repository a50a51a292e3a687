//! Helpers shared by the hash family's tests.

pub(super) use crate::testing::effect_texts as effects;

pub(super) use crate::testing::expected_effects as eff;
