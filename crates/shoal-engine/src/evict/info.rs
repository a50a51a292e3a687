//! The memory fields of INFO and MEMORY STATS that come from accounting and the limit.

use crate::engine::Inner;

/// Resident set size of this process, from `/proc/self/status` (Linux only; 0 elsewhere).
pub(crate) fn rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Total physical memory of the machine, from `/proc/meminfo` (Linux only).
pub(crate) fn total_system_memory() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/meminfo") else {
        return 0;
    };
    text.lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Bytes the keyspace spends on keys' bookkeeping rather than values: per-key nodes and
/// buckets, TTL index, eviction state.
pub(crate) fn overhead(inner: &Inner) -> u64 {
    let mut sum = 0usize;
    for s in 0..crate::keyspace::SHARDS {
        let shard = inner.keyspace.lock(s);
        for db in &shard.dbs {
            let per_key = std::mem::size_of::<crate::keyspace::entry::Entry>()
                + 2 * std::mem::size_of::<usize>();
            sum += db.len() * per_key + db.expires_len() * 32;
        }
        sum += shard.evict.overhead();
    }
    sum as u64
}

/// INFO memory's fields after the peak ones, given `used_memory` and the RSS.
pub(crate) fn memory_fields(
    inner: &Inner,
    used: u64,
    rss: u64,
    human: fn(u64) -> String,
    emit: &mut dyn FnMut(&str, String),
) {
    let over = overhead(inner).min(used);
    let dataset = used - over;
    emit("used_memory_overhead", over.to_string());
    emit("used_memory_startup", "0".into());
    emit("used_memory_dataset", dataset.to_string());
    let perc = if used == 0 {
        0.0
    } else {
        dataset as f64 * 100.0 / used as f64
    };
    emit("used_memory_dataset_perc", format!("{perc:.2}%"));
    let total = total_system_memory();
    emit("total_system_memory", total.to_string());
    emit("total_system_memory_human", human(total));
    let max = inner.maxmemory();
    emit("maxmemory", max.to_string());
    emit("maxmemory_human", human(max));
    emit("maxmemory_policy", inner.policy().name().to_string());
    let ratio = if used == 0 {
        0.0
    } else {
        rss as f64 / used as f64
    };
    emit("mem_fragmentation_ratio", format!("{ratio:.2}"));
    emit(
        "mem_fragmentation_bytes",
        (rss as i64 - used as i64).to_string(),
    );
    emit("mem_not_counted_for_evict", "0".into());
    emit("mem_allocator", "rust".into());
    emit("lazyfree_pending_objects", "0".into());
}
