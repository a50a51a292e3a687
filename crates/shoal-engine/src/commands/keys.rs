//! Generic key commands.

use crate::command::CommandSpec;

/// The generic family's declarations.
pub const COMMANDS: &[CommandSpec] = &[];
