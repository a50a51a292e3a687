//! Commands the embedding application adds: declared with the same [`CommandSpec`] as
//! built-in ones, handled by a Rust closure over the same execution context.
//!
//! A custom command lives in the one command table, so it works over RESP, inside MULTI,
//! from scripts, shows in COMMAND, and carries ACL categories like any other.
//!
//! ```
//! use shoal_engine::custom::CustomCommand;
//! use shoal_engine::command::{flags, CommandSpec};
//! use shoal_engine::{Engine, EngineOptions, Frame};
//!
//! let hello = CustomCommand::new(
//!     CommandSpec::custom("hello").arity(2).flags(flags::FAST),
//!     |ctx| Ok(Frame::Bulk(ctx.args.bytes()?)),
//! );
//! let engine = Engine::with_options(EngineOptions { commands: vec![hello], ..Default::default() });
//! let mut s = engine.session();
//! assert_eq!(s.call(vec!["HELLO".into(), "x".into()]), Frame::Bulk("x".into()));
//! ```

use crate::command::{CommandSpec, Group};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The handler of a custom command.
pub type CustomHandler = Arc<dyn Fn(&mut Ctx<'_>) -> CmdResult + Send + Sync>;

/// A custom command: its declaration and its handler.
#[derive(Clone)]
pub struct CustomCommand {
    /// The declaration (name, arity, flags, keys, ACL categories, docs).
    pub spec: CommandSpec,
    /// What runs it.
    pub handler: CustomHandler,
}

impl fmt::Debug for CustomCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomCommand")
            .field("name", &self.spec.name)
            .finish()
    }
}

impl CustomCommand {
    /// A custom command declared by `spec` (made with [`CommandSpec::custom`]).
    pub fn new(
        spec: CommandSpec,
        handler: impl Fn(&mut Ctx<'_>) -> CmdResult + Send + Sync + 'static,
    ) -> CustomCommand {
        CustomCommand {
            spec,
            handler: Arc::new(handler),
        }
    }
}

impl CommandSpec {
    /// The declaration of a custom command named `name` (lower case; dots are fine, as in
    /// module commands), group `module`, to be given to [`CustomCommand::new`].
    pub const fn custom(name: &'static str) -> CommandSpec {
        CommandSpec::new(name, run_custom).group(Group::Module)
    }
}

/// Custom handlers by command name.
#[derive(Default)]
pub(crate) struct CustomCommands {
    handlers: HashMap<&'static str, CustomHandler>,
}

impl CustomCommands {
    /// Registers every command, returning their specs (names lower-cased) for the table.
    pub(crate) fn register(&mut self, commands: Vec<CustomCommand>) -> Vec<CommandSpec> {
        commands
            .into_iter()
            .map(|mut c| {
                if c.spec.name.bytes().any(|b| b.is_ascii_uppercase()) {
                    // Registered once per engine: the lower-cased name lives as long.
                    c.spec.name = Box::leak(c.spec.name.to_ascii_lowercase().into_boxed_str());
                }
                c.spec.handler = run_custom;
                self.handlers.insert(c.spec.name, c.handler);
                c.spec
            })
            .collect()
    }
}

/// The table's handler for every custom command: finds the closure by name.
fn run_custom(ctx: &mut Ctx<'_>) -> CmdResult {
    let Some(handler) = ctx.inner.custom.handlers.get(ctx.name).cloned() else {
        return Err(CmdError::text(format!("no handler for '{}'", ctx.name)));
    };
    handler(ctx)
}
