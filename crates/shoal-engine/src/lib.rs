//! Shoal's engine: everything that is not a socket.
//!
//! It owns the keyspace (sharded by hash slot, with expiry and memory accounting), the value
//! types and their encodings, the command table and every command family, and the stream of
//! write effects. The RESP server and the embedded API are thin shells over [`Engine`] and
//! [`Session`]: neither re-implements a command.
//!
//! ```text
//!   Session::execute(args) ──► command table ──► handler(Ctx) ──► Access (shard locks)
//!                                                    │                 │
//!                                                    ▼                 ▼
//!                                                  Frame          effects stream
//! ```
//!
//! What it deliberately does not do: network I/O, an async runtime (an embedded call runs on
//! the caller's thread), or global allocator and logging set-up; those belong to binaries.

pub mod acl;
pub mod aof;
pub mod blocking;
pub mod clients;
pub mod clock;
pub mod command;
pub(crate) mod command_meta;
pub mod commands;
pub mod config;
pub mod consensus;
pub mod consensus_admin;
#[cfg(test)]
mod consensus_admin_tests;
mod consensus_apply;
pub mod custom;
pub mod effects;
mod engine;
pub mod error;
pub(crate) mod evict;
pub mod exec;
mod expire;
mod gate;
pub mod keyspace;
pub mod notify;
pub mod output_limits;
pub mod pubsub;
pub mod rdb;
pub mod repl;
pub mod scripting;
pub mod session;
pub mod stats;
pub mod testing;
pub mod tls_params;
pub mod types;
pub mod util;
mod watch;

pub use blocking::Deliver;
pub use bytes::Bytes;
pub use clients::{ClientInfo, ClientKind};
pub use clock::{Clock, ManualClock, SystemClock};
pub use command::{CommandSpec, CommandTable};
pub use config::Config;
pub use consensus_apply::GroupImage;
pub use effects::Effect;
pub use engine::{Engine, EngineOptions, Inner};
pub use error::{CmdError, CmdResult};
pub use gate::Busy;
pub use pubsub::{PushSink, QueueSink};
pub use session::{Outcome, Pending, Session};
pub use shoal_resp::{Frame, Protocol};
