//! MEMORY: what keys and the server hold (USAGE, STATS, DOCTOR), and the allocator
//! subcommands (MALLOC-STATS, PURGE).

use crate::command::{flags, CommandSpec};
use crate::error::{CmdError, CmdResult};
use crate::exec::Ctx;
use crate::keyspace::entry::Entry;
use shoal_resp::Frame;
use std::sync::atomic::Ordering::Relaxed;

/// Bytes the TTL index spends on a key with a deadline (its slot and key copy).
fn ttl_cost(key: &[u8]) -> usize {
    std::mem::size_of::<(crate::types::SmallBytes, u64)>() + key.len()
}

/// `MEMORY USAGE key [SAMPLES count]`: bytes the key and its value take. Values are
/// measured whole, so SAMPLES is checked but every element counts.
fn usage(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.args.key()?;
    while ctx.args.remaining() > 0 {
        if ctx.args.eat("SAMPLES") && ctx.args.remaining() > 0 {
            if ctx.args.int()? < 0 {
                return Err(CmdError::Syntax);
            }
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let mut a = ctx.lock1(&key);
    let ttl = a.expire_at(&key).is_some();
    let size = a.peek(&key).map(Entry::mem_usage);
    Ok(match size {
        Some(n) => Frame::Integer((n + if ttl { ttl_cost(&key) } else { 0 }) as i64),
        None => Frame::Null,
    })
}

/// Per-database key and TTL counts, and the bytes their tables' bookkeeping takes.
fn db_overheads(ctx: &Ctx<'_>) -> Vec<(usize, u64, u64)> {
    let inner = ctx.engine();
    (0..inner.databases())
        .filter_map(|d| {
            let (keys, expires) = inner.db_size(d);
            (keys > 0).then(|| {
                let node = std::mem::size_of::<Entry>() + 2 * std::mem::size_of::<usize>();
                (d, (keys * node) as u64, (expires * 32) as u64)
            })
        })
        .collect()
}

fn pair(k: &str, v: Frame) -> (Frame, Frame) {
    (Frame::bulk(k), v)
}

/// `MEMORY STATS`: Redis's report of where memory goes, from Shoal's accounting.
fn stats(ctx: &mut Ctx<'_>) -> CmdResult {
    let inner = ctx.engine();
    let used = inner.used_memory() as u64;
    let peak = inner.stats.peak_memory.fetch_max(used, Relaxed).max(used);
    let dbs = db_overheads(ctx);
    let keys: u64 = (0..inner.databases())
        .map(|d| inner.db_size(d).0 as u64)
        .sum();
    let overhead = crate::evict::info::overhead(inner).min(used);
    let rss = crate::evict::info::rss_bytes();
    let int = |n: u64| Frame::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    let mut m = vec![
        pair("peak.allocated", int(peak)),
        pair("total.allocated", int(used)),
        pair("startup.allocated", int(0)),
        pair("replication.backlog", int(0)),
        pair("clients.slaves", int(0)),
        pair("clients.normal", int(0)),
        pair("cluster.links", int(0)),
        pair("aof.buffer", int(0)),
        pair("lua.caches", int(0)),
        pair("functions.caches", int(0)),
    ];
    for (d, main, expires) in dbs {
        let inner_map = vec![
            pair("overhead.hashtable.main", int(main)),
            pair("overhead.hashtable.expires", int(expires)),
        ];
        m.push((Frame::bulk(format!("db.{d}")), Frame::Map(inner_map)));
    }
    let pct = |a: u64, b: u64| {
        Frame::Double(if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        })
    };
    m.extend([
        pair("overhead.total", int(overhead)),
        pair("keys.count", int(keys)),
        pair(
            "keys.bytes-per-key",
            int(used.checked_div(keys).unwrap_or(0)),
        ),
        pair("dataset.bytes", int(used - overhead)),
        pair("dataset.percentage", pct(used - overhead, used)),
        pair("peak.percentage", pct(used, peak)),
        pair(
            "fragmentation",
            Frame::Double(if used == 0 {
                0.0
            } else {
                rss as f64 / used as f64
            }),
        ),
        pair(
            "fragmentation.bytes",
            Frame::Integer(rss as i64 - used as i64),
        ),
    ]);
    Ok(Frame::Map(m))
}

/// `MEMORY DOCTOR`: a short diagnosis in words.
fn doctor(ctx: &mut Ctx<'_>) -> CmdResult {
    let inner = ctx.engine();
    let used = inner.used_memory() as u64;
    let max = inner.maxmemory();
    let rss = crate::evict::info::rss_bytes();
    let mut lines = Vec::new();
    if used < 5 * 1024 * 1024 {
        lines.push(
            "The keyspace holds under 5 MB: there is too little data to diagnose.".to_string(),
        );
    } else {
        if rss > used * 3 / 2 {
            lines.push(format!(
                "Resident memory is {:.2} times what the keyspace accounts for: memory freed by deletions may not have gone back to the system yet.",
                rss as f64 / used as f64
            ));
        }
        if max != 0 && used > max {
            lines.push(format!(
                "Memory is above maxmemory ({used} > {max}) and policy '{}' cannot bring it down.",
                inner.policy().name()
            ));
        }
        if lines.is_empty() {
            lines.push("No memory problem detected.".to_string());
        }
    }
    Ok(Frame::bulk(lines.join("\n")))
}

/// `MEMORY MALLOC-STATS`: the allocator keeps no report Shoal can read.
fn malloc_stats(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::bulk("Stats not supported for the current allocator"))
}

/// `MEMORY PURGE`: nothing to ask of the allocator; answers OK as Redis does without jemalloc.
fn purge(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::ok())
}

const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

fn help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Frame::Array(
        HELP.iter().copied().map(Frame::simple).collect(),
    ))
}

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("memory|doctor", doctor).arity(2).doc(
        "Reports memory problems in words.",
        "4.0.0",
        "O(1)",
    ),
    CommandSpec::new("memory|help", help)
        .arity(2)
        .flags(flags::LOADING | flags::STALE)
        .doc("Lists MEMORY's subcommands.", "4.0.0", "O(1)"),
    CommandSpec::new("memory|malloc-stats", malloc_stats)
        .arity(2)
        .doc(
            "The allocator's own statistics.",
            "4.0.0",
            "Depends on how much memory is allocated, could be slow",
        ),
    CommandSpec::new("memory|purge", purge).arity(2).doc(
        "Asks the allocator to return free pages.",
        "4.0.0",
        "Depends on how much memory is allocated, could be slow",
    ),
    CommandSpec::new("memory|stats", stats).arity(2).doc(
        "Where the server's memory goes.",
        "4.0.0",
        "O(1)",
    ),
    CommandSpec::new("memory|usage", usage)
        .arity(-3)
        .flags(flags::READONLY)
        .keys(2, 2, 1)
        .doc(
            "Bytes a key and its value take.",
            "4.0.0",
            "O(N) where N is the number of samples.",
        ),
];

/// The MEMORY container.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("memory", help)
    .arity(-2)
    .doc("Memory introspection.", "4.0.0", "Depends on subcommand.")
    .subcommands(SUBCOMMANDS)];
