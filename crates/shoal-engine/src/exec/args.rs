//! A typed cursor over a command's arguments.

use crate::error::CmdError;
use crate::util::num::{parse_f64, parse_i64};
use bytes::Bytes;

/// The arguments of one command, read front to back by the handler.
#[derive(Debug)]
pub struct Args {
    v: Vec<Bytes>,
    pos: usize,
}

impl Args {
    /// A cursor positioned at `pos` (just past the command, or subcommand, name).
    pub fn new(v: Vec<Bytes>, pos: usize) -> Args {
        Args { v, pos }
    }

    /// Gives the arguments back, the command name included.
    pub fn into_vec(self) -> Vec<Bytes> {
        self.v
    }

    /// Every argument, the command name included.
    pub fn all(&self) -> &[Bytes] {
        &self.v
    }

    /// Arguments not read yet.
    pub fn remaining(&self) -> usize {
        self.v.len().saturating_sub(self.pos)
    }

    /// The next argument without consuming it.
    pub fn peek(&self) -> Option<&Bytes> {
        self.v.get(self.pos)
    }

    /// Consumes and returns the next argument, if any.
    pub fn next_arg(&mut self) -> Option<Bytes> {
        let b = self.v.get(self.pos).cloned();
        if b.is_some() {
            self.pos += 1;
        }
        b
    }

    /// The next argument; a syntax error if there is none.
    pub fn bytes(&mut self) -> Result<Bytes, CmdError> {
        self.next_arg().ok_or(CmdError::Syntax)
    }

    /// The next argument as a key.
    pub fn key(&mut self) -> Result<Bytes, CmdError> {
        self.bytes()
    }

    /// The next argument as an integer.
    pub fn int(&mut self) -> Result<i64, CmdError> {
        let b = self.bytes()?;
        parse_i64(&b).ok_or(CmdError::NotInteger)
    }

    /// The next argument as a float (NaN refused).
    pub fn float(&mut self) -> Result<f64, CmdError> {
        let b = self.bytes()?;
        parse_f64(&b).ok_or(CmdError::NotFloat)
    }

    /// The next argument as a blocking timeout in seconds (fractions allowed), turned into an
    /// absolute deadline in ms; 0 means wait forever. Errors as Redis words them.
    pub fn block_timeout(&mut self, now_ms: u64) -> Result<u64, CmdError> {
        let b = self.bytes()?;
        let secs = parse_f64(&b).ok_or(CmdError::Msg("timeout is not a float or out of range"))?;
        let ms = (secs * 1000.0).ceil();
        if ms > i64::MAX as f64 {
            return Err(CmdError::Msg("timeout is out of range"));
        }
        if ms < 0.0 {
            return Err(CmdError::Msg("timeout is negative"));
        }
        let ms = ms as u64;
        Ok(if ms == 0 {
            0
        } else {
            now_ms.saturating_add(ms)
        })
    }

    /// Consumes the next argument if it equals `word`, ignoring case.
    pub fn eat(&mut self, word: &str) -> bool {
        match self.v.get(self.pos) {
            Some(b) if b.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Every argument not read yet, consumed.
    pub fn rest(&mut self) -> Vec<Bytes> {
        let out = self.v[self.pos.min(self.v.len())..].to_vec();
        self.pos = self.v.len();
        out
    }

    /// Refuses leftover arguments with a syntax error.
    pub fn finish(&self) -> Result<(), CmdError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(CmdError::Syntax)
        }
    }
}

/// True if `arg` equals `word`, ignoring ASCII case.
pub fn is_word(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}
