//! Every command family, one file each; each file ends with its declarations, and
//! [`table`] gathers them.

pub mod acl;
pub mod bitmap;
pub mod connection;
pub mod dump;
pub mod hash;
pub mod keys;
pub(crate) mod knob;
pub mod list;
pub mod memory;
pub(crate) mod notify_util;
pub mod persistence;
pub mod pubsub;
pub mod raft;
pub mod replication;
pub(crate) mod reply;
pub mod scripting;
pub mod server;
pub mod set;
pub mod string;
pub mod transaction;
pub mod zset;

use crate::command::{CommandSpec, CommandTable};

/// Every built-in command.
pub fn builtin() -> impl Iterator<Item = CommandSpec> {
    [
        string::COMMANDS,
        bitmap::COMMANDS,
        hash::COMMANDS,
        keys::COMMANDS,
        dump::COMMANDS,
        list::COMMANDS,
        connection::COMMANDS,
        server::COMMANDS,
        scripting::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        transaction::COMMANDS,
        pubsub::COMMANDS,
        persistence::COMMANDS,
        persistence::aof::COMMANDS,
        acl::COMMANDS,
        memory::COMMANDS,
        replication::COMMANDS,
        raft::COMMANDS,
    ]
    .into_iter()
    .flat_map(|family| family.iter().copied())
}

/// The command table with every built-in command.
pub fn table() -> CommandTable {
    CommandTable::new(builtin())
}
