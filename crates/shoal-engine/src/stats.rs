//! Counters INFO reports, under Redis's field names.

use std::sync::atomic::AtomicU64;

/// Engine-wide counters; relaxed atomics, read by INFO.
#[derive(Default, Debug)]
pub struct Stats {
    /// `total_commands_processed`
    pub commands: AtomicU64,
    /// `total_connections_received`
    pub connections: AtomicU64,
    /// `rejected_connections`
    pub rejected_connections: AtomicU64,
    /// `keyspace_hits`
    pub keyspace_hits: AtomicU64,
    /// `keyspace_misses`
    pub keyspace_misses: AtomicU64,
    /// `expired_keys`
    pub expired_keys: AtomicU64,
    /// `evicted_keys`
    pub evicted_keys: AtomicU64,
    /// `rdb_changes_since_last_save`: writes since start.
    pub dirty: AtomicU64,
    /// `total_net_input_bytes`
    pub net_input_bytes: AtomicU64,
    /// `total_net_output_bytes`
    pub net_output_bytes: AtomicU64,
    /// `total_error_replies`
    pub error_replies: AtomicU64,
    /// `instantaneous_ops_per_sec`, kept by the background thread.
    pub ops_per_sec: AtomicU64,
    /// `expire_cycle_cpu_milliseconds`
    pub expire_cycle_us: AtomicU64,
    /// `used_memory_peak`: the largest `used_memory` seen (raised when INFO samples it).
    pub peak_memory: AtomicU64,
}
