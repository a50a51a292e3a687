//! Replication's sockets: a replica's link on this primary ([`primary`]) and this server's
//! link to its own primary ([`replica`]). The protocol's state lives in the engine.

pub(crate) mod primary;
pub(crate) mod replica;
