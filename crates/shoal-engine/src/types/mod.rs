//! Value types and their encodings. Nothing here knows RESP, clocks or I/O: a type offers
//! operations over its data, and command handlers shape replies from them.

pub mod bits;
pub mod small;
pub mod string;

pub use small::SmallBytes;
pub use string::StrValue;

use crate::error::CmdError;

/// A value stored under a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string (also integers and bitmaps).
    Str(StrValue),
}

/// The type names `TYPE` answers and `SCAN ... TYPE` filters on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// `string`
    String,
    /// `list`
    List,
    /// `set`
    Set,
    /// `zset`
    ZSet,
    /// `hash`
    Hash,
    /// `stream`
    Stream,
}

impl ValueType {
    /// The name as Redis spells it.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
        }
    }

    /// Parses a type name (case-insensitive), as `SCAN ... TYPE` accepts it.
    pub fn from_name(name: &[u8]) -> Option<ValueType> {
        let all = [
            ValueType::String,
            ValueType::List,
            ValueType::Set,
            ValueType::ZSet,
            ValueType::Hash,
            ValueType::Stream,
        ];
        all.into_iter()
            .find(|t| t.name().as_bytes().eq_ignore_ascii_case(name))
    }
}

impl Value {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Str(_) => ValueType::String,
        }
    }

    /// The encoding name `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
        }
    }

    /// Bytes this value holds on the heap beyond its inline size, for memory accounting.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
        }
    }

    /// The string inside, or WRONGTYPE.
    pub fn as_str(&self) -> Result<&StrValue, CmdError> {
        match self {
            Value::Str(s) => Ok(s),
        }
    }

    /// The string inside, mutably, or WRONGTYPE.
    pub fn as_str_mut(&mut self) -> Result<&mut StrValue, CmdError> {
        match self {
            Value::Str(s) => Ok(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        // Every key pays for this size; growing it is a memory regression.
        assert!(
            std::mem::size_of::<Value>() <= 24,
            "{}",
            std::mem::size_of::<Value>()
        );
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
    }
}
