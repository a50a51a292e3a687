//! Shoal's RESP server: sockets around the engine.
//!
//! It accepts TCP and TLS (rustls) connections, runs one task per connection, parses pipelined requests in
//! one pass, executes each through the engine's [`Session`](shoal_engine::Session), and
//! flushes the replies of a batch with one write. It owns nothing a command needs: every
//! command, CONFIG and INFO included, lives in the engine.
//!
//! ```text
//!   TcpListener ──accept──► connection task ──read──► BytesMut ──parse_command──► Session::execute
//!                                  ▲                                                   │
//!                                  └──────────── write once per batch ◄── encode ◄─────┘
//! ```
//!
//! It does not daemonize, parse Redis config files (the binary does), or know any command.

mod config_file;
mod connection;
mod limits;
mod listener;
mod push;
mod rebind;
mod replication;
mod tls;
mod wake;

pub use config_file::{apply_args, apply_text, ConfigFileError};
pub use listener::{io_threads, serve, serve_tls, ServerHandle};
pub use rebind::{bind_all, Listeners};
pub use replication::LinkRuntime;
pub use tls::{install_checks, TlsContext};
