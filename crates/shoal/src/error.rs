//! The typed error of the embedded API.

use shoal_engine::Frame;

/// What a typed call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command answered an error (`WRONGTYPE ...`, `ERR ...`).
    #[error("{code} {message}")]
    Command {
        /// The error code: `ERR`, `WRONGTYPE`, ...
        code: String,
        /// The rest of the message.
        message: String,
    },
    /// A reply of a shape the typed method did not expect.
    #[error("unexpected reply: {0:?}")]
    UnexpectedReply(Frame),
    /// Configuration refused at open.
    #[error("configuration: {0}")]
    Config(String),
    /// The data on disk (the append-only file) could not be loaded at open.
    #[error("persistence: {0}")]
    Persistence(String),
    /// An embedded replica could not forward a write or see it applied.
    #[error("replication: {0}")]
    Replication(String),
    /// A Raft member could not join its group (its Raft or client address, its `dir`).
    #[error("raft: {0}")]
    Raft(String),
    /// A socket error (serve).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Turns an error reply into `Err`, passing every other reply through.
    pub(crate) fn check(frame: Frame) -> Result<Frame, Error> {
        match frame {
            Frame::Error(b) | Frame::BulkError(b) => {
                let text = String::from_utf8_lossy(&b);
                let (code, message) = text.split_once(' ').unwrap_or((&text, ""));
                Err(Error::Command {
                    code: code.to_string(),
                    message: message.to_string(),
                })
            }
            other => Ok(other),
        }
    }

    /// True for a WRONGTYPE error.
    pub fn is_wrong_type(&self) -> bool {
        matches!(self, Error::Command { code, .. } if code == "WRONGTYPE")
    }
}
