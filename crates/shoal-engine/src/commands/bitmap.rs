//! Bitmap commands over string values.

use crate::command::CommandSpec;

/// The bitmap family's declarations.
pub const COMMANDS: &[CommandSpec] = &[];
