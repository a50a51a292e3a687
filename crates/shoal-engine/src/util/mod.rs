//! Small pure helpers shared by the command families: number parsing with Redis's exact
//! rules, and the engine's deterministic random generator.

pub(crate) mod draw;
pub mod glob;
pub mod num;
pub mod rng;
