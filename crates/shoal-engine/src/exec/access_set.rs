//! Extra `Access` operations for the set family: shared views of several keys at once, for
//! the multi-key set algebra (SINTER, SUNION, SDIFF and their STORE forms).

use super::Access;
use crate::types::Value;
use bytes::Bytes;

impl<'c> Access<'c> {
    /// The values of `keys`, all borrowed at once, with no expiry, statistics or access-time
    /// effects: callers look every key up with [`Access::get`] first, which does those.
    pub(crate) fn peek_values(&self, keys: &[Bytes]) -> Vec<Option<&Value>> {
        keys.iter()
            .map(|key| {
                let pos = self.guard_index(key)?;
                self.guards[pos].1.dbs[self.db].get(key).map(|e| &e.value)
            })
            .collect()
    }
}
