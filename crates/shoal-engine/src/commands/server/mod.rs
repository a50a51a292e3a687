//! Server commands.

use crate::command::CommandSpec;

/// The server family's declarations.
pub const COMMANDS: &[CommandSpec] = &[];
