//! Command errors: one enum, carrying data; its wire text lives here and nowhere else.

use bytes::Bytes;
use shoal_resp::Frame;

/// The result of a command handler.
pub type CmdResult = Result<Frame, CmdError>;

/// Everything a command can answer with an error reply.
///
/// [`CmdError::code`] gives the error code (the first word on the wire) and `Display` the
/// message after it, exactly as Redis 7 words them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CmdError {
    /// A command name that is not in the table.
    #[error("unknown command '{name}', with args beginning with: {args}")]
    UnknownCommand {
        /// The name as sent (already truncated).
        name: String,
        /// The first arguments, quoted, as Redis lists them.
        args: String,
    },
    /// A subcommand a container command does not have.
    #[error("unknown subcommand '{sub}'. Try {container} HELP.")]
    UnknownSubcommand {
        /// The subcommand as sent.
        sub: String,
        /// The container, upper-case.
        container: String,
    },
    /// Arity mismatch.
    #[error("wrong number of arguments for '{0}' command")]
    WrongArity(String),
    /// Generic syntax error.
    #[error("syntax error")]
    Syntax,
    /// An argument that must be an integer.
    #[error("value is not an integer or out of range")]
    NotInteger,
    /// An argument that must be a float.
    #[error("value is not a valid float")]
    NotFloat,
    /// A type mismatch against the stored value.
    #[error("Operation against a key holding the wrong kind of value")]
    WrongType,
    /// INCR family overflow.
    #[error("increment or decrement would overflow")]
    Overflow,
    /// INCRBYFLOAT producing NaN or infinity.
    #[error("increment would produce NaN or Infinity")]
    NanOrInfinity,
    /// A missing key where one is required (RENAME).
    #[error("no such key")]
    NoSuchKey,
    /// SELECT / MOVE / SWAPDB with a bad index.
    #[error("DB index is out of range")]
    DbIndexOutOfRange,
    /// An invalid TTL given to a command (`set`, `expire`, ...).
    #[error("invalid expire time in '{0}' command")]
    InvalidExpireTime(&'static str),
    /// A string would exceed `proto-max-bulk-len`.
    #[error("string exceeds maximum allowed size (proto-max-bulk-len)")]
    StringTooLong,
    /// A generic `ERR` with a fixed message.
    #[error("{0}")]
    Msg(&'static str),
    /// A generic `ERR` with a composed message.
    #[error("{0}")]
    Text(String),
    /// Not an error: the command found nothing and must wait (BLPOP, BZPOPMIN, ...).
    /// Dispatch parks the client on `keys` and runs the same command again when one of them
    /// receives data, or answers `on_timeout` once `deadline_ms` passes (0: wait forever).
    #[error("blocked")]
    Block {
        /// Keys whose writes wake the client, in the session's database.
        keys: Vec<Bytes>,
        /// Absolute deadline in ms since the epoch; 0 waits forever.
        deadline_ms: u64,
        /// The reply when the deadline passes (a null, or a null array).
        on_timeout: Frame,
    },
    /// An error with its own code and message (`NOPERM ...`, `BUSYKEY ...`).
    #[error("{msg}")]
    Coded {
        /// The error code, first word on the wire.
        code: &'static str,
        /// The message after the code.
        msg: String,
    },
}

impl CmdError {
    /// The error code Redis puts first on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            CmdError::WrongType => "WRONGTYPE",
            CmdError::Coded { code, .. } => code,
            _ => "ERR",
        }
    }

    /// The reply frame: `-CODE message`. Line breaks in the message (from arguments echoed
    /// back) become spaces so the reply stays one protocol line.
    pub fn to_frame(&self) -> Frame {
        let text = format!("{} {}", self.code(), self).replace(['\r', '\n'], " ");
        Frame::Error(Bytes::from(text))
    }

    /// An `ERR` error with a composed message.
    pub fn text(msg: impl Into<String>) -> CmdError {
        CmdError::Text(msg.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(e: CmdError) -> String {
        match e.to_frame() {
            Frame::Error(b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("not an error frame: {other:?}"),
        }
    }

    #[test]
    fn every_variant_has_redis_wire_text() {
        let table = [
            (CmdError::Syntax, "ERR syntax error"),
            (
                CmdError::NotInteger,
                "ERR value is not an integer or out of range",
            ),
            (CmdError::NotFloat, "ERR value is not a valid float"),
            (
                CmdError::WrongType,
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            (
                CmdError::Overflow,
                "ERR increment or decrement would overflow",
            ),
            (
                CmdError::NanOrInfinity,
                "ERR increment would produce NaN or Infinity",
            ),
            (CmdError::NoSuchKey, "ERR no such key"),
            (CmdError::DbIndexOutOfRange, "ERR DB index is out of range"),
            (
                CmdError::InvalidExpireTime("set"),
                "ERR invalid expire time in 'set' command",
            ),
            (
                CmdError::StringTooLong,
                "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            ),
            (
                CmdError::WrongArity("get".into()),
                "ERR wrong number of arguments for 'get' command",
            ),
            (
                CmdError::UnknownSubcommand {
                    sub: "foo".into(),
                    container: "CLIENT".into(),
                },
                "ERR unknown subcommand 'foo'. Try CLIENT HELP.",
            ),
            (
                CmdError::UnknownCommand {
                    name: "foo".into(),
                    args: "'a' ".into(),
                },
                "ERR unknown command 'foo', with args beginning with: 'a' ",
            ),
            (
                CmdError::Coded {
                    code: "BUSYKEY",
                    msg: "Target key name already exists.".into(),
                },
                "BUSYKEY Target key name already exists.",
            ),
        ];
        for (err, text) in table {
            assert_eq!(wire(err), text);
        }
    }
}
