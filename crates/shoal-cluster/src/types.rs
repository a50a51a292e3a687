//! The group's type configuration: what a log entry carries and what a member is.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Cursor;

/// A piece of the leader's replication stream: whole RESP commands, from stream offset
/// `start`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Stream offset of the first byte.
    pub start: u64,
    /// The commands, as the stream encodes them.
    pub bytes: Vec<u8>,
}

/// A member's addresses: where its Raft peers and its Redis clients reach it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// `host:port` of its Raft listener.
    pub raft: String,
    /// `host:port` clients use (redirections and forwarded writes go there).
    pub client: String,
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (clients {})", self.raft, self.client)
    }
}

openraft::declare_raft_types!(
    /// Shoal's Raft types.
    pub TypeConfig:
        D = Chunk,
        R = (),
        NodeId = u64,
        Node = Member,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// A member's id.
pub type NodeId = u64;
/// A log entry.
pub type Entry = openraft::Entry<TypeConfig>;
/// A log id.
pub type LogId = openraft::LogId<NodeId>;
/// A vote.
pub type Vote = openraft::Vote<NodeId>;
/// Storage errors.
pub type StorageError = openraft::StorageError<NodeId>;
/// Snapshot metadata.
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, Member>;
/// A membership with its log id.
pub type StoredMembership = openraft::StoredMembership<NodeId, Member>;
/// The Raft handle.
pub type Raft = openraft::Raft<TypeConfig>;

/// A storage error from an I/O error.
pub(crate) fn io_error(
    e: impl std::error::Error + 'static,
    what: openraft::ErrorSubject<NodeId>,
) -> StorageError {
    StorageError::from_io_error(
        what,
        openraft::ErrorVerb::Write,
        std::io::Error::other(e.to_string()),
    )
}
