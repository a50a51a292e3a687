//! Per-field deadlines of a hash.

use super::{table_bytes, Enc, HashValue};
use crate::types::SmallBytes;
use bytes::Bytes;
use std::collections::HashMap;

const SLOT: usize = std::mem::size_of::<SmallBytes>() + std::mem::size_of::<u64>();

/// The deadlines of the fields that have one.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Ttls {
    at: HashMap<SmallBytes, u64>,
    /// A lower bound of every deadline (`u64::MAX` when there is none), so a lookup that
    /// finds nothing due costs one comparison.
    min: u64,
    /// Heap bytes of long field names kept here.
    heap: usize,
}

impl Ttls {
    fn new() -> Ttls {
        Ttls {
            at: HashMap::new(),
            min: u64::MAX,
            heap: 0,
        }
    }

    pub(crate) fn heap_size(&self) -> usize {
        std::mem::size_of::<Ttls>() + table_bytes(self.at.capacity(), SLOT) + self.heap
    }
}

impl HashValue {
    /// The deadline of `field`, if it has one.
    pub fn field_ttl(&self, field: &[u8]) -> Option<u64> {
        self.ttl.as_ref().and_then(|t| t.at.get(field).copied())
    }

    /// True once a field TTL command touched the hash (the `listpackex` state).
    pub fn has_ttl_table(&self) -> bool {
        self.ttl.is_some()
    }

    /// Number of fields with a deadline.
    pub fn volatile_len(&self) -> usize {
        self.ttl.as_ref().map_or(0, |t| t.at.len())
    }

    /// Prepares the hash for field deadlines (Redis converts a listpack to `listpackex`).
    pub fn enable_ttl(&mut self) {
        if self.ttl.is_none() {
            self.ttl = Some(Box::new(Ttls::new()));
        }
    }

    /// Sets the deadline of an existing `field`; false if there is no such field.
    pub fn set_field_ttl(&mut self, field: &[u8], at: u64) -> bool {
        if !self.contains(field) {
            return false;
        }
        self.enable_ttl();
        if let Some(t) = self.ttl.as_mut() {
            match t.at.get_mut(field) {
                Some(slot) => *slot = at,
                None => {
                    let f = SmallBytes::new(field);
                    t.heap += f.heap_size();
                    t.at.insert(f, at);
                }
            }
            t.min = t.min.min(at);
        }
        self.reposition(field, Some(at));
        true
    }

    /// Keeps a listpack in Redis's `listpackex` order: fields with a deadline first, by
    /// deadline (a field goes after those with the same deadline), then the others; a field
    /// that loses its deadline moves to the end.
    fn reposition(&mut self, field: &[u8], at: Option<u64>) {
        let Enc::Pack(v) = &mut self.enc else { return };
        let Some(raw) = v.take(field) else { return };
        match (at, self.ttl.as_ref()) {
            (Some(at), Some(t)) => {
                v.put_before(raw, |f| t.at.get(f).is_none_or(|&other| other > at));
            }
            _ => v.put_before(raw, |_| false),
        }
    }

    /// Drops the deadline of `field`; true if it had one.
    pub fn persist(&mut self, field: &[u8]) -> bool {
        let Some(t) = self.ttl.as_mut() else {
            return false;
        };
        match t.at.remove_entry(field) {
            Some((f, _)) => {
                t.heap -= f.heap_size();
                if t.at.is_empty() {
                    t.min = u64::MAX;
                    t.at.shrink_to(0);
                }
                self.reposition(field, None);
                true
            }
            None => false,
        }
    }

    /// A lower bound of the field deadlines (exact after `expire_fields`); None if no
    /// field has one.
    pub fn next_deadline(&self) -> Option<u64> {
        self.ttl
            .as_ref()
            .filter(|t| !t.at.is_empty())
            .map(|t| t.min)
    }

    /// True if some field's deadline is before `now_ms`.
    pub fn has_due(&self, now_ms: u64) -> bool {
        self.ttl.as_ref().is_some_and(|t| t.min < now_ms)
    }
}

/// Deletes up to `max` fields of `value` whose deadline is before `now_ms` and returns their
/// names (for the `HDEL` effect). The key must be deleted by the caller if the hash emptied.
pub(crate) fn expire_fields(value: &mut HashValue, now_ms: u64, max: usize) -> Vec<Bytes> {
    let Some(t) = value.ttl.as_mut() else {
        return Vec::new();
    };
    if t.min >= now_ms {
        return Vec::new();
    }
    let mut due: Vec<Bytes> = Vec::new();
    let mut min = u64::MAX;
    for (f, &at) in &t.at {
        if at < now_ms && due.len() < max {
            due.push(Bytes::copy_from_slice(f));
        } else {
            min = min.min(at);
        }
    }
    t.min = min;
    for f in &due {
        value.remove(f);
    }
    due
}
