//! Helpers shared by the string family's tests: stored encodings, TTLs and effects.

use crate::effects::Effect;
use crate::keyspace::Keyspace;
use crate::testing::Harness;
use std::sync::mpsc::Receiver;

/// The stored encoding of `key` in db 0, as `OBJECT ENCODING` would name it.
pub(super) fn encoding(h: &Harness, key: &str) -> Option<&'static str> {
    let inner = h.engine.inner();
    let shard = inner.keyspace.lock(Keyspace::shard_of(key.as_bytes()));
    shard.dbs[0]
        .get(key.as_bytes())
        .map(|e| e.value.encoding_name())
}

/// The stored deadline of `key` in db 0 (ms since the epoch), without expiring it.
pub(super) fn deadline_of(h: &Harness, key: &str) -> Option<u64> {
    let inner = h.engine.inner();
    let shard = inner.keyspace.lock(Keyspace::shard_of(key.as_bytes()));
    shard.dbs[0].expire_of_key(key.as_bytes())
}

/// Every effect emitted since the last call, as lossy text.
pub(super) fn effects(rx: &Receiver<Effect>) -> Vec<Vec<String>> {
    rx.try_iter()
        .map(|e| {
            e.args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .collect()
}

/// Builds an expected effect list from text.
pub(super) fn eff(items: &[&[&str]]) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|e| e.iter().map(|s| s.to_string()).collect())
        .collect()
}
