//! INFO: `# Section` headers and `field:value` lines, `\r\n`-terminated, under Redis's names.

use crate::commands::connection::REDIS_VERSION;
use crate::engine::Inner;
use crate::error::CmdResult;
use crate::exec::Ctx;
use bytes::Bytes;
use shoal_resp::Frame;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

/// Writes one section's lines.
type SectionWriter = fn(&mut Ctx<'_>, &mut String);

/// The sections Shoal reports, in output order, with their headers.
const SECTIONS: &[(&str, &str, SectionWriter)] = &[
    ("server", "Server", server),
    ("clients", "Clients", clients),
    ("memory", "Memory", memory),
    ("persistence", "Persistence", persistence),
    ("stats", "Stats", stats),
    ("replication", "Replication", replication),
    ("cpu", "CPU", cpu),
    ("keyspace", "Keyspace", keyspace),
];

/// `INFO [section ...]`: the named sections (`default`, `all`, `everything`: every one);
/// unknown names add nothing.
pub(super) fn info(ctx: &mut Ctx<'_>) -> CmdResult {
    let names: Vec<String> = ctx
        .args
        .rest()
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let every = names.is_empty()
        || names
            .iter()
            .any(|n| matches!(n.as_str(), "default" | "all" | "everything"));
    let mut out = String::new();
    for (name, header, write) in SECTIONS {
        if every || names.iter().any(|n| n == name) {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            let _ = write!(out, "# {header}\r\n");
            write(&mut *ctx, &mut out);
        }
    }
    Ok(Frame::Verbatim {
        format: *b"txt",
        data: Bytes::from(out),
    })
}

/// Role, replicas, ids and offsets, the backlog.
fn replication(ctx: &mut Ctx<'_>, out: &mut String) {
    crate::repl::info_section(ctx.engine(), out);
}

/// The snapshot fields. Snapshots do not fork, so the copy-on-write fields stay 0.
fn persistence(ctx: &mut Ctx<'_>, out: &mut String) {
    let inner = ctx.engine();
    let st = crate::rdb::file::state(inner);
    let now = inner.now_ms();
    let load = &inner.persist.load;
    let loading = inner.persist.is_loading();
    field(out, "loading", u8::from(loading));
    field(out, "async_loading", 0);
    if loading {
        let start = load.start_ms.load(Relaxed);
        let total = load.total_bytes.load(Relaxed);
        let done = load.loaded_bytes.load(Relaxed);
        let elapsed = now.saturating_sub(start) as f64 / 1000.0;
        let perc = if total == 0 {
            0.0
        } else {
            done as f64 * 100.0 / total as f64
        };
        let eta = if done == 0 {
            1
        } else {
            ((total.saturating_sub(done)) as f64 * elapsed / done as f64) as u64
        };
        field(out, "loading_start_time", start / 1000);
        field(out, "loading_total_bytes", total);
        field(out, "loading_rdb_used_mem", 0);
        field(out, "loading_loaded_bytes", done);
        field(out, "loading_loaded_perc", format!("{perc:.2}"));
        field(out, "loading_eta_seconds", eta);
    }
    for name in [
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
    ] {
        field(out, name, 0);
    }
    field(out, "current_fork_perc", "0.00");
    field(out, "current_save_keys_processed", 0);
    field(out, "current_save_keys_total", 0);
    field(
        out,
        "rdb_changes_since_last_save",
        inner.stats.dirty.load(Relaxed),
    );
    field(
        out,
        "rdb_bgsave_in_progress",
        u8::from(st.bgsave_started_ms.is_some()),
    );
    field(out, "rdb_last_save_time", st.last_save);
    field(
        out,
        "rdb_last_bgsave_status",
        if st.last_ok { "ok" } else { "err" },
    );
    field(out, "rdb_last_bgsave_time_sec", st.last_bgsave_secs);
    let current = st
        .bgsave_started_ms
        .map_or(-1, |t| (now.saturating_sub(t) / 1000) as i64);
    field(out, "rdb_current_bgsave_time_sec", current);
    field(out, "rdb_saves", st.saves);
    field(out, "rdb_last_cow_size", 0);
    field(
        out,
        "rdb_last_load_keys_expired",
        load.expired.load(Relaxed),
    );
    field(out, "rdb_last_load_keys_loaded", load.keys.load(Relaxed));
    crate::aof::info_fields(inner, out);
}

/// Appends `field:value\r\n`.
fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{name}:{value}\r\n");
}

/// Redis's human-readable byte counts: `512B`, `1.50K`, `2.00M`, ...
pub(super) fn human_bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (1 << 50, "P"),
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{:.2}{unit}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

fn os_name() -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string());
    match (
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
    ) {
        (Ok(kind), Ok(release)) => format!("{kind} {release} {}", std::env::consts::ARCH),
        _ => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

fn server(ctx: &mut Ctx<'_>, out: &mut String) {
    let e = ctx.engine();
    let uptime = ctx.now_ms.saturating_sub(e.start_ms) / 1000;
    field(out, "redis_version", REDIS_VERSION);
    field(out, "redis_git_sha1", "00000000");
    field(out, "redis_git_dirty", 0);
    field(out, "redis_mode", "standalone");
    field(out, "os", os_name());
    field(out, "arch_bits", usize::BITS);
    field(out, "process_id", std::process::id());
    field(out, "process_supervised", "no");
    field(out, "run_id", &e.run_id);
    field(out, "tcp_port", e.config.get_i64("port"));
    field(out, "server_time_usec", e.now_us());
    field(out, "uptime_in_seconds", uptime);
    field(out, "uptime_in_days", uptime / 86_400);
    field(out, "hz", e.config.get_i64("hz"));
    field(out, "configured_hz", e.config.get_i64("hz"));
    field(
        out,
        "config_file",
        e.config.get("config-file").unwrap_or_default(),
    );
}

fn clients(ctx: &mut Ctx<'_>, out: &mut String) {
    let e = ctx.engine();
    let all = e.clients.all();
    let max_of = |f: fn(&crate::clients::ClientHandle) -> usize| all.iter().map(|c| f(c)).max();
    field(out, "connected_clients", all.len());
    field(out, "cluster_connections", 0);
    field(out, "maxclients", e.config.get_i64("maxclients"));
    field(
        out,
        "client_recent_max_input_buffer",
        max_of(|c| c.qbuf.load(Relaxed)).unwrap_or(0),
    );
    field(
        out,
        "client_recent_max_output_buffer",
        max_of(|c| c.omem.load(Relaxed)).unwrap_or(0),
    );
    field(out, "blocked_clients", e.blocked_clients());
    field(out, "tracking_clients", 0);
}

/// Resident set size of this process, from `/proc/self/status` (Linux only).
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Current keyspace memory, raising the recorded peak if it is higher.
fn sample_memory(e: &Inner) -> (u64, u64) {
    let used = e.used_memory() as u64;
    let peak = e.stats.peak_memory.fetch_max(used, Relaxed).max(used);
    (used, peak)
}

fn memory(ctx: &mut Ctx<'_>, out: &mut String) {
    let (used, peak) = sample_memory(ctx.engine());
    let rss = rss_bytes().unwrap_or(0);
    field(out, "used_memory", used);
    field(out, "used_memory_human", human_bytes(used));
    field(out, "used_memory_rss", rss);
    field(out, "used_memory_rss_human", human_bytes(rss));
    field(out, "used_memory_peak", peak);
    field(out, "used_memory_peak_human", human_bytes(peak));
    let peak_perc = if peak == 0 {
        100.0
    } else {
        used as f64 * 100.0 / peak as f64
    };
    field(out, "used_memory_peak_perc", format!("{peak_perc:.2}%"));
    let mut emit = |k: &str, v: String| field(out, k, v);
    crate::evict::info::memory_fields(ctx.engine(), used, rss, human_bytes, &mut emit);
}

fn stats(ctx: &mut Ctx<'_>, out: &mut String) {
    let s = &ctx.engine().stats;
    let get = |c: &std::sync::atomic::AtomicU64| c.load(Relaxed);
    field(out, "total_connections_received", get(&s.connections));
    field(out, "total_commands_processed", get(&s.commands));
    field(out, "instantaneous_ops_per_sec", get(&s.ops_per_sec));
    field(out, "total_net_input_bytes", get(&s.net_input_bytes));
    field(out, "total_net_output_bytes", get(&s.net_output_bytes));
    field(out, "rejected_connections", get(&s.rejected_connections));
    let repl = &ctx.engine().repl;
    field(out, "sync_full", get(&repl.sync_full));
    field(out, "sync_partial_ok", get(&repl.sync_partial_ok));
    field(out, "sync_partial_err", get(&repl.sync_partial_err));
    field(out, "expired_keys", get(&s.expired_keys));
    field(
        out,
        "expire_cycle_cpu_milliseconds",
        get(&s.expire_cycle_us) / 1000,
    );
    field(out, "evicted_keys", get(&s.evicted_keys));
    field(out, "keyspace_hits", get(&s.keyspace_hits));
    field(out, "keyspace_misses", get(&s.keyspace_misses));
    let hub = &ctx.engine().pubsub;
    field(
        out,
        "pubsub_channels",
        hub.len(crate::pubsub::Kind::Channel),
    );
    field(out, "pubsub_patterns", hub.pattern_count());
    field(
        out,
        "pubsubshard_channels",
        hub.len(crate::pubsub::Kind::Shard),
    );
    field(out, "total_error_replies", get(&s.error_replies));
    crate::acl::info_stats(ctx.engine(), out);
}

/// Keys sampled per shard for `avg_ttl`.
const TTL_SAMPLES: usize = 16;

/// Estimated mean remaining TTL (ms) of the keys with one in database `db`: a few random
/// volatile keys per shard, weighted by the shard's count. Exact when a shard holds at most
/// one such key; like Redis's figure, an estimate otherwise.
fn avg_ttl(ctx: &mut Ctx<'_>, db: usize) -> u64 {
    let inner = ctx.engine();
    let now = ctx.now_ms;
    let (mut weighted, mut total) = (0u128, 0u128);
    for s in 0..crate::keyspace::SHARDS {
        let shard = inner.keyspace.lock(s);
        let Some(d) = shard.dbs.get(db) else {
            continue;
        };
        let n = d.expires_len();
        if n == 0 {
            continue;
        }
        let samples = n.min(TTL_SAMPLES);
        let sum: u128 = (0..samples)
            .filter_map(|_| d.random_volatile(ctx.rng()))
            .map(|(_, at)| u128::from(at.saturating_sub(now)))
            .sum();
        weighted += sum * n as u128 / samples as u128;
        total += n as u128;
    }
    weighted.checked_div(total).unwrap_or(0) as u64
}

fn keyspace(ctx: &mut Ctx<'_>, out: &mut String) {
    let e = ctx.engine();
    for db in 0..e.databases() {
        let (keys, expires) = e.db_size(db);
        if keys > 0 {
            let ttl = avg_ttl(ctx, db);
            let _ = write!(
                out,
                "db{db}:keys={keys},expires={expires},avg_ttl={ttl}\r\n"
            );
        }
    }
}

/// User and system CPU seconds of this process, from `/proc/self/stat` (Linux only; the
/// kernel reports them in ticks of 1/100 s).
fn cpu_seconds() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name, which may itself hold spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    Some((ticks(11)? / 100.0, ticks(12)? / 100.0))
}

fn cpu(_ctx: &mut Ctx<'_>, out: &mut String) {
    let (user, sys) = cpu_seconds().unwrap_or((0.0, 0.0));
    field(out, "used_cpu_sys", format!("{sys:.6}"));
    field(out, "used_cpu_user", format!("{user:.6}"));
    field(out, "used_cpu_sys_children", "0.000000");
    field(out, "used_cpu_user_children", "0.000000");
}
