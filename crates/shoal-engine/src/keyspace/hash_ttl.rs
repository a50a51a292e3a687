//! Which hashes have fields with a deadline, so the active expiry cycle can visit them
//! without walking the keyspace.
//!
//! The registry lives in each shard's `Db` (`Db::hash_deadlines`), under the shard's lock.
//! An entry whose key no longer holds a hash with field deadlines is dropped when visited. A hash that
//! got its field deadlines under another name (RENAME, MOVE, COPY) is found by the cycle's
//! random sampling instead, and re-registered then.

use crate::engine::Inner;
use crate::keyspace::db::Db;
use crate::types::hash::expire_fields;
use crate::types::Value;
use crate::util::rng::Rng;
use bytes::Bytes;
use std::sync::atomic::Ordering::Relaxed;

/// Hashes visited per database and cycle, and fields expired per hash and visit.
const KEYS_PER_CYCLE: usize = 64;
const FIELDS_PER_KEY: usize = 1000;
/// Random keys looked at per database and cycle, for hashes the registry does not know.
const SAMPLES: usize = 5;

/// Notes that `key` of `db` has a field expiring at `at`.
pub(crate) fn register(db: &mut Db, key: &[u8], at: u64) {
    match db.hash_deadlines.get_mut(key) {
        Some(min) => *min = (*min).min(at),
        None => {
            db.hash_deadlines.insert(key.into(), at);
        }
    }
}

/// Expires due fields of registered (and a few sampled) hashes of one shard's database.
/// The caller holds the shard's lock. Emits `HDEL key field...`; a hash left empty is
/// deleted. Returns the number of fields expired.
pub(crate) fn active_expire(
    inner: &Inner,
    db_index: usize,
    db: &mut Db,
    now: u64,
    rng: &mut Rng,
) -> usize {
    let mut keys: Vec<Box<[u8]>> = db
        .hash_deadlines
        .iter()
        .filter(|(_, &at)| at < now)
        .take(KEYS_PER_CYCLE)
        .map(|(k, _)| k.clone())
        .collect();
    for _ in 0..SAMPLES.min(db.len()) {
        if let Some(e) = db.dict.random(rng) {
            if matches!(&e.value, Value::Hash(h) if h.volatile_len() > 0) {
                keys.push(e.key.as_slice().into());
            }
        }
    }
    let mut expired = 0;
    for key in keys {
        let visit = db.modify(&key, |v| match v {
            Value::Hash(h) => {
                let due = expire_fields(h, now, FIELDS_PER_KEY);
                (due, h.is_empty(), h.next_deadline())
            }
            _ => (Vec::new(), false, None),
        });
        let (due, emptied, still) = visit.unwrap_or_default();
        if let (Some(at), false) = (still, emptied) {
            db.hash_deadlines.insert(key.clone(), at);
        } else {
            db.hash_deadlines.remove(&key);
        }
        if due.is_empty() {
            continue;
        }
        if emptied {
            db.remove(&key);
        }
        expired += due.len();
        inner.stats.dirty.fetch_add(1, Relaxed);
        inner.watches.touch(db_index, &key, !emptied);
        inner.notify(crate::notify::HASH, "hexpired", db_index, &key);
        if emptied {
            inner.notify(crate::notify::GENERIC, "del", db_index, &key);
        }
        let mut effect = vec![Bytes::from_static(b"HDEL"), Bytes::from(key.to_vec())];
        effect.extend(due);
        inner.effects.emit(db_index, effect);
    }
    expired
}
