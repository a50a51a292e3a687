//! What eviction keeps per shard: the memory last published to the global total, and the
//! adaptive policy's admission window and frequency sketch.

use super::sketch::Sketch;
use std::collections::VecDeque;

/// Per-shard eviction state, behind the shard's lock.
#[derive(Debug, Default)]
pub(crate) struct ShardEvict {
    /// Keyspace bytes of this shard as last added into the global total.
    pub(crate) published: usize,
    /// Keys that entered the adaptive policy's window, oldest first: (database, key).
    /// Entries whose key was since deleted or promoted are skipped when popped.
    pub(crate) window: VecDeque<(u32, Box<[u8]>)>,
    /// Bytes of keys held by `window`.
    pub(crate) window_bytes: usize,
    /// Access frequencies for the adaptive policy.
    pub(crate) sketch: Sketch,
}

impl ShardEvict {
    /// Bytes this state occupies beyond the keyspace.
    pub(crate) fn overhead(&self) -> usize {
        self.sketch.heap_size()
            + self.window.len() * std::mem::size_of::<(u32, Box<[u8]>)>()
            + self.window_bytes
    }

    /// Remembers a key that entered the window.
    pub(crate) fn push_window(&mut self, db: usize, key: &[u8]) {
        self.window_bytes += key.len();
        self.window.push_back((db as u32, key.into()));
    }

    /// The oldest key of the window.
    pub(crate) fn pop_window(&mut self) -> Option<(usize, Box<[u8]>)> {
        let (db, key) = self.window.pop_front()?;
        self.window_bytes -= key.len();
        Some((db as usize, key))
    }

    /// Forgets the adaptive policy's state (another policy was chosen).
    pub(crate) fn clear_adaptive(&mut self) {
        self.window = VecDeque::new();
        self.window_bytes = 0;
        self.sketch.clear();
    }
}
