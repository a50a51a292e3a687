//! Value types and their encodings. Nothing here knows RESP, clocks or I/O: a type offers
//! operations over its data, and command handlers shape replies from them.

pub mod alloc;
pub mod bits;
pub mod hash;
pub mod list;
pub mod set;
pub mod small;
pub mod string;
pub mod zset;

pub use hash::HashValue;
pub use list::ListValue;
pub use set::SetValue;
pub use small::SmallBytes;
pub use string::StrValue;
pub use zset::ZSetValue;

use crate::error::CmdError;

/// A value stored under a key.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string (also integers and bitmaps).
    Str(StrValue),
    /// A list.
    List(Box<ListValue>),
    /// A hash.
    Hash(Box<HashValue>),
    /// A set.
    Set(Box<SetValue>),
    /// A sorted set.
    ZSet(Box<ZSetValue>),
}

/// Generates the accessor pair (`as_x`, `as_x_mut`) that yields a variant or WRONGTYPE.
macro_rules! accessors {
    ($($variant:ident, $ty:ty, $get:ident, $get_mut:ident);* $(;)?) => {
        impl Value {
            $(
                /// The value as this type, or WRONGTYPE.
                pub fn $get(&self) -> Result<&$ty, CmdError> {
                    match self {
                        Value::$variant(v) => Ok(v),
                        _ => Err(CmdError::WrongType),
                    }
                }

                /// The value as this type, mutably, or WRONGTYPE.
                pub fn $get_mut(&mut self) -> Result<&mut $ty, CmdError> {
                    match self {
                        Value::$variant(v) => Ok(v),
                        _ => Err(CmdError::WrongType),
                    }
                }
            )*
        }
    };
}

accessors! {
    Str, StrValue, as_str, as_str_mut;
    List, ListValue, as_list, as_list_mut;
    Hash, HashValue, as_hash, as_hash_mut;
    Set, SetValue, as_set, as_set_mut;
    ZSet, ZSetValue, as_zset, as_zset_mut;
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
            Value::List(_) => ValueType::List,
            Value::Hash(_) => ValueType::Hash,
            Value::Set(_) => ValueType::Set,
            Value::ZSet(_) => ValueType::ZSet,
        }
    }

    /// The encoding name `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::List(v) => v.encoding_name(),
            Value::Hash(v) => v.encoding_name(),
            Value::Set(v) => v.encoding_name(),
            Value::ZSet(v) => v.encoding_name(),
        }
    }

    /// Bytes this value holds on the heap beyond its inline size, for memory accounting.
    pub fn heap_size(&self) -> usize {
        use alloc::alloc_size;
        match self {
            Value::Str(s) => s.heap_size(),
            Value::List(v) => v.heap_size() + alloc_size(std::mem::size_of::<ListValue>()),
            Value::Hash(v) => v.heap_size() + alloc_size(std::mem::size_of::<HashValue>()),
            Value::Set(v) => v.heap_size() + alloc_size(std::mem::size_of::<SetValue>()),
            Value::ZSet(v) => v.heap_size() + alloc_size(std::mem::size_of::<ZSetValue>()),
        }
    }

    /// True for a collection with no elements left: its key must be deleted.
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(v) => v.is_empty(),
            Value::Hash(v) => v.is_empty(),
            Value::Set(v) => v.is_empty(),
            Value::ZSet(v) => v.is_empty(),
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
