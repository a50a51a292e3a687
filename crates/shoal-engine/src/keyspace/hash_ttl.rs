//! Which hashes have fields with a deadline, so the active expiry cycle can visit them
//! without walking the keyspace.
//!
//! One registry per shard, behind its own lock, which is always taken after the shard's
//! lock (never the other way around). Entries name an engine, a database and a key; an entry
//! whose key no longer holds a hash with field deadlines is dropped when visited. A hash that
//! got its field deadlines under another name (RENAME, MOVE, COPY) is found by the cycle's
//! random sampling instead, and re-registered then.

use crate::engine::Inner;
use crate::keyspace::db::Db;
use crate::keyspace::SHARDS;
use crate::types::hash::expire_fields;
use crate::types::Value;
use crate::util::rng::Rng;
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::LazyLock;

/// (engine, database) -> key -> a lower bound of its field deadlines.
type Registry = HashMap<(usize, usize), HashMap<Box<[u8]>, u64>>;

static REGISTRY: LazyLock<Vec<Mutex<Registry>>> =
    LazyLock::new(|| (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect());

/// Hashes visited per database and cycle, and fields expired per hash and visit.
const KEYS_PER_CYCLE: usize = 64;
const FIELDS_PER_KEY: usize = 1000;
/// Random keys looked at per database and cycle, for hashes the registry does not know.
const SAMPLES: usize = 5;

fn engine_id(inner: &Inner) -> usize {
    inner as *const Inner as usize
}

/// Notes that `key` (in `shard`, database `db`) has a field expiring at `at`.
pub(crate) fn register(inner: &Inner, shard: usize, db: usize, key: &[u8], at: u64) {
    if let Some(reg) = REGISTRY.get(shard) {
        let mut reg = reg.lock();
        let keys = reg.entry((engine_id(inner), db)).or_default();
        match keys.get_mut(key) {
            Some(min) => *min = (*min).min(at),
            None => {
                keys.insert(key.into(), at);
            }
        }
    }
}

/// Expires due fields of registered (and a few sampled) hashes of one shard's database.
/// The caller holds the shard's lock. Emits `HDEL key field...`; a hash left empty is
/// deleted. Returns the number of fields expired.
pub(crate) fn active_expire(
    inner: &Inner,
    shard: usize,
    db_index: usize,
    db: &mut Db,
    now: u64,
    rng: &mut Rng,
) -> usize {
    let Some(reg) = REGISTRY.get(shard) else {
        return 0;
    };
    let id = (engine_id(inner), db_index);
    let mut keys: Vec<Box<[u8]>> = reg
        .lock()
        .get(&id)
        .map(|set| {
            set.iter()
                .filter(|(_, &at)| at < now)
                .take(KEYS_PER_CYCLE)
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
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
        {
            let mut reg = reg.lock();
            let set = reg.entry(id).or_default();
            if let (Some(at), false) = (still, emptied) {
                set.insert(key.clone(), at);
            } else {
                set.remove(&key);
                if set.is_empty() {
                    reg.remove(&id);
                }
            }
        }
        if due.is_empty() {
            continue;
        }
        if emptied {
            db.remove(&key);
        }
        expired += due.len();
        inner.stats.dirty.fetch_add(1, Relaxed);
        let mut effect = vec![Bytes::from_static(b"HDEL"), Bytes::from(key.to_vec())];
        effect.extend(due);
        inner.effects.emit(db_index, effect);
    }
    expired
}
