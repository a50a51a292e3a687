//! Cache hit ratio of eviction policies on reproducible traces, against any RESP server.
//!
//! ```text
//! cachetrace replay PORT TRACE [KEYS REQUESTS VALUE_SIZE SEED]
//!     replays one trace (cache-aside GET, SET on miss) and prints its hit ratio
//! cachetrace table SHOAL_PORT [REDIS_PORT]
//!     every trace at every cache size against Shoal (each allkeys policy) and Redis
//!     (allkeys-lru, allkeys-lfu), printed as a table
//! ```
//! `table` reads `KEYS` (population, default 50000), `REQUESTS` (default 300000),
//! `VALUE` (bytes, default 4096), `SIZES` (percent of the population, default `1,10,30`),
//! `TRACES` (comma-separated, default all) and `SHOAL_POLICIES` from the environment.
//! Each server's limit is found by bisection so that, filled with distinct keys, it holds
//! a target number of keys: for the first server the wanted share of the population, for
//! the others the number of keys the first held at the end of its first replay (a limit
//! rarely lands on the exact share, and a server's bytes per key under a replay can differ
//! from a plain fill), so every server holds the same number of keys: the table compares
//! policies, not bytes per key (the DBSIZE each ended with is printed alongside).

#![allow(clippy::print_stdout)] // A benchmark tool reports on stdout.

use shoal_tests::cachetrace::{generate, replay, Conn, Reply, TRACES};
use std::time::Instant;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn num(s: &str) -> u64 {
    s.parse().unwrap_or(0)
}

/// Bytes per key this server spends on the trace's keys, and its empty `used_memory`.
fn calibrate(conn: &mut Conn, value: usize) -> std::io::Result<(u64, u64)> {
    conn.call(&["CONFIG", "SET", "maxmemory", "0"])?;
    conn.call(&["FLUSHALL"])?;
    let base = num(&conn.info_field("memory", "used_memory")?);
    let n = 20_000u64;
    let trace: Vec<u64> = (0..n).collect();
    replay(conn, &trace, value)?;
    let full = num(&conn.info_field("memory", "used_memory")?);
    conn.call(&["FLUSHALL"])?;
    Ok(((full.saturating_sub(base)) / n, base))
}

/// Keys this server holds after filling it with distinct keys under limit `max`.
fn held_under(conn: &mut Conn, max: u64, target: u64, value: usize) -> std::io::Result<u64> {
    conn.call(&["CONFIG", "SET", "maxmemory", "0"])?;
    conn.call(&["FLUSHALL"])?;
    conn.call(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"])?;
    conn.call(&["CONFIG", "SET", "maxmemory", &max.to_string()])?;
    let fill: Vec<u64> = (0..target * 3 / 2 + 100).collect();
    replay(conn, &fill, value)?;
    Ok(match conn.call(&["DBSIZE"])? {
        Reply::Value(v) => num(&String::from_utf8_lossy(&v)),
        _ => 0,
    })
}

/// A `maxmemory` under which this server holds about `target` keys of the trace's size,
/// found by bisection (a server's fixed overhead moves by more than a small cache holds,
/// so a single estimate from bytes per key is not enough), and the keys it holds there.
fn fit_maxmemory(
    conn: &mut Conn,
    target: u64,
    per_key: u64,
    base: u64,
    value: usize,
) -> std::io::Result<(u64, u64)> {
    let slack = 300_000 + target * per_key;
    let (mut lo, mut hi) = (
        base.saturating_sub(slack),
        base + target * per_key * 2 + slack,
    );
    let mut best = (u64::MAX, base + target * per_key, 0);
    for _ in 0..14 {
        let mid = lo + (hi - lo) / 2;
        let held = held_under(conn, mid, target, value)?;
        if std::env::var("FIT_DEBUG").is_ok() {
            eprintln!("fit target {target}: maxmemory {mid} holds {held}");
        }
        if held.abs_diff(target) < best.0 {
            best = (held.abs_diff(target), mid, held);
        }
        if held.abs_diff(target) <= target / 1000 {
            break;
        }
        if held < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok((best.1, best.2))
}

struct Cell {
    ratio: f64,
    dbsize: u64,
}

#[allow(clippy::too_many_arguments)]
fn run_one(
    conn: &mut Conn,
    policy: &str,
    maxmemory: u64,
    trace: &[u64],
    value: usize,
) -> std::io::Result<Cell> {
    conn.call(&["CONFIG", "SET", "maxmemory", "0"])?;
    conn.call(&["FLUSHALL"])?;
    conn.call(&["CONFIG", "SET", "maxmemory-policy", policy])?;
    conn.call(&["CONFIG", "SET", "maxmemory", &maxmemory.to_string()])?;
    conn.call(&["CONFIG", "RESETSTAT"])?;
    let o = replay(conn, trace, value)?;
    let dbsize = match conn.call(&["DBSIZE"])? {
        Reply::Value(v) => num(&String::from_utf8_lossy(&v)),
        _ => 0,
    };
    Ok(Cell {
        ratio: o.ratio(),
        dbsize,
    })
}

struct Server {
    label: &'static str,
    port: u16,
    policies: Vec<String>,
}

fn table(shoal: u16, redis: Option<u16>) -> std::io::Result<()> {
    let keys = num(&env_or("KEYS", "50000")) as usize;
    let requests = num(&env_or("REQUESTS", "300000")) as usize;
    let value = num(&env_or("VALUE", "4096")) as usize;
    let sizes: Vec<u64> = env_or("SIZES", "1,10,30").split(',').map(num).collect();
    let traces: Vec<String> = env_or("TRACES", &TRACES.join(","))
        .split(',')
        .map(str::to_string)
        .collect();
    let shoal_policies = env_or(
        "SHOAL_POLICIES",
        "allkeys-lru,allkeys-lfu,allkeys-random,allkeys-adaptive",
    );
    let mut servers = Vec::new();
    if let Some(port) = redis {
        let policies = vec!["allkeys-lru".to_string(), "allkeys-lfu".to_string()];
        servers.push(Server {
            label: "redis",
            port,
            policies,
        });
    }
    let policies = shoal_policies.split(',').map(str::to_string).collect();
    servers.push(Server {
        label: "shoal",
        port: shoal,
        policies,
    });
    println!("keys {keys}, requests {requests}, value {value} B, cache sizes {sizes:?} % of keys");
    let mut header = format!("{:<10} {:>5}", "trace", "size");
    let mut conns = Vec::new();
    for s in &servers {
        let mut c = Conn::connect(s.port)?;
        let (per_key, base) = calibrate(&mut c, value)?;
        println!("{}: {per_key} bytes per key, {base} bytes empty", s.label);
        for p in &s.policies {
            let short = p.trim_start_matches("allkeys-");
            header.push_str(&format!(" {:>16}", format!("{}-{short}", s.label)));
        }
        conns.push((c, per_key, base));
    }
    println!("(each cell: hit ratio % / keys held at the end)\n{header}");
    let started = Instant::now();
    for t in &traces {
        let Some(trace) = generate(t, keys, requests, 42) else {
            println!("unknown trace {t}");
            continue;
        };
        for &size in &sizes {
            let mut line = format!("{t:<10} {:>4}%", size);
            let mut held: Option<u64> = None;
            for (s, (c, per_key, base)) in servers.iter().zip(conns.iter_mut()) {
                // The first server's cache is fitted to the share asked for, the others to
                // the number of keys it held at the end of its first replay (its memory
                // per key under the replay need not be what filling it showed), so every
                // column has the same room.
                let target = held.unwrap_or(keys as u64 * size / 100);
                let (maxmemory, _) = fit_maxmemory(c, target, *per_key, *base, value)?;
                for p in &s.policies {
                    let cell = run_one(c, p, maxmemory, &trace, value)?;
                    held.get_or_insert(cell.dbsize);
                    line.push_str(&format!(
                        " {:>16}",
                        format!("{:.2} /{:>6}", cell.ratio * 100.0, cell.dbsize)
                    ));
                }
            }
            println!("{line}");
        }
    }
    println!("\n({:.0} s)", started.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| args.get(i).cloned().unwrap_or_else(|| d.to_string());
    match args.get(1).map(String::as_str) {
        Some("replay") => {
            let port = num(&arg(2, "6379")) as u16;
            let name = arg(3, "zipf-0.9");
            let Some(trace) = generate(
                &name,
                num(&arg(4, "50000")) as usize,
                num(&arg(5, "300000")) as usize,
                num(&arg(7, "42")),
            ) else {
                eprintln!("unknown trace {name}; known: {}", TRACES.join(", "));
                std::process::exit(2);
            };
            let mut c = Conn::connect(port)?;
            let o = replay(&mut c, &trace, num(&arg(6, "64")) as usize)?;
            println!(
                "{name}: hit ratio {:.4} ({} of {}, {} SETs refused)",
                o.ratio(),
                o.hits,
                o.requests,
                o.refused
            );
        }
        Some("table") => {
            let shoal = num(&arg(2, "6380")) as u16;
            let redis = args.get(3).map(|p| num(p) as u16);
            table(shoal, redis)?;
        }
        _ => {
            eprintln!("usage: cachetrace replay PORT TRACE [KEYS REQUESTS VALUE SEED] | table SHOAL_PORT [REDIS_PORT]");
            std::process::exit(2);
        }
    }
    Ok(())
}
