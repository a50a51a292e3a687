//! A list: an ordered sequence of byte strings, pushed and popped at both ends.

use bytes::Bytes;

/// A list: an ordered sequence of byte strings, pushed and popped at both ends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListValue {
    items: Vec<Bytes>,
}

impl ListValue {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no elements; the key is then deleted.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The encoding name `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        "listpack"
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_size(&self) -> usize {
        self.items
            .iter()
            .map(|b| b.len() + std::mem::size_of::<Bytes>())
            .sum()
    }
}
