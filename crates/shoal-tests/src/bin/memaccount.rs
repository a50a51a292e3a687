//! Accounting check: how `used_memory` compares with the growth of the server's resident
//! set size as data is loaded, for each data shape the memory limit has to hold.
//!
//! ```text
//! memaccount table SERVER_BINARY PORT [NAME]
//!     starts SERVER_BINARY on 127.0.0.1:PORT afresh for every scenario (an allocator keeps
//!     freed pages, so scenarios must not share a process), loads it, and prints a Markdown
//!     table: growth of used_memory, growth of used_memory_rss (read once it stops
//!     falling, up to 16 s after the load), and their ratio
//! memaccount PORT [NAME]
//!     runs the scenarios against a server already listening on PORT (one after another,
//!     FLUSHALL between them: only the first is measured on a fresh process)
//! ```
//! NAME keeps the scenarios whose label contains it (e.g. `hashes`, `sorted`, `small lists`).

#![allow(clippy::print_stdout)] // A benchmark tool reports on stdout.

use shoal_tests::cachetrace::Conn;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A data shape: its label, how many commands load it, and the command number `i`.
struct Scenario {
    label: &'static str,
    commands: usize,
    make: fn(usize) -> Vec<String>,
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        label: "1,000,000 keys, 10-byte values",
        commands: 1_000_000,
        make: |i| s(&["SET", &format!("key:{i:010}"), &format!("v{i:09}")]),
    },
    Scenario {
        label: "1,000 hashes x 1,000 fields",
        commands: 1_000_000,
        make: |i| {
            let (h, f) = (i % 1000, i / 1000);
            s(&[
                "HSET",
                &format!("h{h}"),
                &format!("field:{f}"),
                &format!("value:{i}"),
            ])
        },
    },
    Scenario {
        label: "100,000 small hashes (10 fields)",
        commands: 100_000,
        make: |i| {
            let mut v = s(&["HSET", &format!("sh{i}")]);
            for f in 0..10 {
                v.push(format!("f{f}"));
                v.push(format!("value:{i}"));
            }
            v
        },
    },
    Scenario {
        label: "1 sorted set x 1,000,000 members",
        commands: 1_000_000,
        make: |i| s(&["ZADD", "z", &i.to_string(), &format!("member:{i}")]),
    },
    Scenario {
        label: "100,000 small sorted sets (10)",
        commands: 100_000,
        make: |i| {
            let mut v = s(&["ZADD", &format!("sz{i}")]);
            for m in 0..10 {
                v.push(m.to_string());
                v.push(format!("m{m}"));
            }
            v
        },
    },
    Scenario {
        label: "100,000 small lists (10 elements)",
        commands: 100_000,
        make: |i| {
            let mut v = s(&["RPUSH", &format!("sl{i}")]);
            v.extend((0..10).map(|e| format!("element:{e}")));
            v
        },
    },
    Scenario {
        label: "10 lists x 100,000 elements",
        commands: 1_000_000,
        make: |i| s(&["RPUSH", &format!("l{}", i % 10), &format!("element:{i}")]),
    },
    Scenario {
        label: "10 sets x 100,000 members",
        commands: 1_000_000,
        make: |i| s(&["SADD", &format!("s{}", i % 10), &format!("member:{i}")]),
    },
    Scenario {
        label: "100,000 small sets (10 members)",
        commands: 100_000,
        make: |i| {
            let mut v = s(&["SADD", &format!("ss{i}")]);
            v.extend((0..10).map(|m| format!("m{m}")));
            v
        },
    },
    Scenario {
        label: "1,000 strings of 100 KB",
        commands: 1000,
        make: |i| s(&["SET", &format!("big:{i}"), &"x".repeat(100_000)]),
    },
];

fn mem(c: &mut Conn) -> std::io::Result<(i64, i64)> {
    let used = c.info_field("memory", "used_memory")?.parse().unwrap_or(0);
    let rss = c
        .info_field("memory", "used_memory_rss")?
        .parse()
        .unwrap_or(0);
    Ok((used, rss))
}

/// Sends the scenario's commands, pipelined 1,000 at a time.
fn load(c: &mut Conn, sc: &Scenario) -> std::io::Result<()> {
    let mut i = 0;
    while i < sc.commands {
        let end = (i + 1000).min(sc.commands);
        let mut buf = Vec::new();
        for j in i..end {
            let args = (sc.make)(j);
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
            Conn::encode(&mut buf, &refs);
        }
        c.send(&buf)?;
        for _ in i..end {
            c.read()?;
        }
        i = end;
    }
    Ok(())
}

/// Growth of (used_memory, RSS) as the scenario loads. RSS is read once it stops
/// falling: tables that grew by reallocation leave freed pages the allocator returns to
/// the system within about ten seconds (jemalloc's dirty-page decay), and those are not
/// memory the data holds.
fn measure(c: &mut Conn, sc: &Scenario) -> std::io::Result<(i64, i64)> {
    c.call(&["FLUSHALL"])?;
    let (u0, r0) = mem(c)?;
    load(c, sc)?;
    let (u1, mut r1) = mem(c)?;
    let deadline = Instant::now() + Duration::from_secs(SETTLE_SECS);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(2));
        let (_, r) = mem(c)?;
        if r >= r1 {
            break;
        }
        r1 = r;
    }
    Ok((u1 - u0, r1 - r0))
}

/// The longest wait for RSS to settle after a load.
const SETTLE_SECS: u64 = 16;

fn mb(n: i64) -> String {
    format!("{:.1} MB", n as f64 / 1e6)
}

fn row(label: &str, (du, dr): (i64, i64)) {
    println!(
        "| {label} | {} | {} | {:.3} |",
        mb(du),
        mb(dr),
        du as f64 / dr.max(1) as f64
    );
}

fn header() {
    println!("| data | used_memory growth | RSS growth | used/RSS |");
    println!("|---|---:|---:|---:|");
}

fn selected(only: &str) -> impl Iterator<Item = &'static Scenario> + '_ {
    SCENARIOS.iter().filter(move |sc| sc.label.contains(only))
}

/// A server started for one scenario, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(binary: &str, port: u16) -> std::io::Result<(Server, Conn)> {
    let child = Command::new(binary)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Conn::connect(port) {
            Ok(c) => return Ok((server, c)),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    header();
    if arg(1) == "table" {
        let port: u16 = arg(3).parse().unwrap_or(6399);
        let only = arg(4);
        for sc in selected(&only) {
            let (_server, mut c) = start(&arg(2), port)?;
            row(sc.label, measure(&mut c, sc)?);
        }
        return Ok(());
    }
    let port: u16 = arg(1).parse().unwrap_or(6379);
    let only = arg(2);
    let mut c = Conn::connect(port)?;
    for sc in selected(&only) {
        row(sc.label, measure(&mut c, sc)?);
    }
    c.call(&["FLUSHALL"])?;
    Ok(())
}
