//! Accounting check: how `used_memory` compares with the growth of the server's resident
//! set size as data is loaded. `memaccount PORT [KEYS]` loads KEYS small string keys
//! (default 1,000,000), then large collections (hashes, sets, lists, sorted sets of 100,000
//! elements), into an empty server and prints, for each, the growth of `used_memory` and
//! of `used_memory_rss` and their ratio. `memaccount PORT KEYS NAME` runs only the scenario
//! whose label contains NAME (`keys`, `hashes`, `sets`, `lists`, `sorted`, `strings`): an
//! allocator keeps freed pages, so each scenario is measured on a freshly started server.

#![allow(clippy::print_stdout)] // A benchmark tool reports on stdout.

use shoal_tests::cachetrace::Conn;

fn mem(c: &mut Conn) -> std::io::Result<(i64, i64)> {
    let used = c.info_field("memory", "used_memory")?.parse().unwrap_or(0);
    let rss = c
        .info_field("memory", "used_memory_rss")?
        .parse()
        .unwrap_or(0);
    Ok((used, rss))
}

/// Sends `n` commands made by `make`, pipelined 1,000 at a time.
fn load(c: &mut Conn, n: usize, make: impl Fn(usize) -> Vec<String>) -> std::io::Result<()> {
    let mut i = 0;
    while i < n {
        let end = (i + 1000).min(n);
        let mut buf = Vec::new();
        for j in i..end {
            let args = make(j);
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

fn measure(
    c: &mut Conn,
    only: &str,
    label: &str,
    n: usize,
    make: impl Fn(usize) -> Vec<String>,
) -> std::io::Result<()> {
    if !label.contains(only) {
        return Ok(());
    }
    c.call(&["FLUSHALL"])?;
    let (u0, r0) = mem(c)?;
    load(c, n, make)?;
    let (u1, r1) = mem(c)?;
    let (du, dr) = (u1 - u0, r1 - r0);
    println!(
        "{label:<34} used_memory +{:>11}  rss +{:>11}  used/rss {:.3}",
        du,
        dr,
        du as f64 / dr.max(1) as f64
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(6379);
    let keys: usize = args
        .get(2)
        .and_then(|k| k.parse().ok())
        .unwrap_or(1_000_000);
    let only = args.get(3).cloned().unwrap_or_default();
    let mut c = Conn::connect(port)?;
    measure(
        &mut c,
        &only,
        &format!("{keys} keys, 10-byte values"),
        keys,
        |i| vec!["SET".into(), format!("key:{i:010}"), format!("v{i:09}")],
    )?;
    let big = 100_000;
    measure(&mut c, &only, "10 hashes x 100k fields", 10 * big, |i| {
        vec![
            "HSET".into(),
            format!("h{}", i % 10),
            format!("field:{i}"),
            format!("value:{i}"),
        ]
    })?;
    measure(&mut c, &only, "10 sets x 100k members", 10 * big, |i| {
        vec!["SADD".into(), format!("s{}", i % 10), format!("member:{i}")]
    })?;
    measure(&mut c, &only, "10 lists x 100k elements", 10 * big, |i| {
        vec![
            "RPUSH".into(),
            format!("l{}", i % 10),
            format!("element:{i}"),
        ]
    })?;
    measure(
        &mut c,
        &only,
        "10 sorted sets x 100k members",
        10 * big,
        |i| {
            vec![
                "ZADD".into(),
                format!("z{}", i % 10),
                i.to_string(),
                format!("member:{i}"),
            ]
        },
    )?;
    measure(&mut c, &only, "1000 strings of 100 KB", 1000, |i| {
        vec!["SET".into(), format!("big:{i}"), "x".repeat(100_000)]
    })?;
    c.call(&["FLUSHALL"])?;
    Ok(())
}
