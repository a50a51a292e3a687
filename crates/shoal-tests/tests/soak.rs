//! Hostile-but-legal traffic, bounded in count and time, all on loopback:
//! - a soak: many clients send random commands from the server's own command table
//!   (COMMAND) with random arguments of every shape, while a watchdog checks PING answers
//!   throughout and the server never stops serving;
//! - slow-loris: clients that send one byte at a time and hundreds of idle connections do
//!   not keep another client from being served promptly.

use shoal_tests::workload::Gen;
use shoal_tests::{Raw, TestServer};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Commands left out of the soak: they stop or reconfigure the server, write files, reach
/// other hosts, change the connection's mode or protocol, or block by design.
const SKIP: &[&str] = &[
    "shutdown",
    "debug",
    "config",
    "save",
    "bgsave",
    "bgrewriteaof",
    "replicaof",
    "slaveof",
    "sync",
    "psync",
    "replconf",
    "failover",
    "migrate",
    "module",
    "acl",
    "auth",
    "hello",
    "quit",
    "reset",
    "monitor",
    "client",
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
    "eval",
    "evalsha",
    "eval_ro",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
    "function",
    "script",
    "wait",
    "waitaof",
    "cluster",
];

/// A command the soak may send: its name, arity and subcommand names.
struct Spec {
    name: String,
    arity: i64,
    subs: Vec<String>,
}

fn command_table(con: &mut redis::Connection) -> Vec<Spec> {
    let table: redis::Value = match redis::cmd("COMMAND").query(con) {
        Ok(v) => v,
        Err(e) => panic!("COMMAND: {e}"),
    };
    let redis::Value::Array(entries) = table else {
        panic!("COMMAND did not answer an array");
    };
    let text = |v: &redis::Value| match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).to_lowercase(),
        redis::Value::SimpleString(s) => s.to_lowercase(),
        _ => String::new(),
    };
    let mut out = Vec::new();
    for e in entries {
        let redis::Value::Array(f) = e else { continue };
        let (name, arity) = match (f.first(), f.get(1)) {
            (Some(n), Some(redis::Value::Int(a))) => (text(n), *a),
            _ => continue,
        };
        let blocking = matches!(f.get(2), Some(redis::Value::Array(flags) | redis::Value::Set(flags))
            if flags.iter().any(|x| text(x) == "blocking"));
        if blocking || SKIP.contains(&name.as_str()) {
            continue;
        }
        let subs = match f.get(9) {
            Some(redis::Value::Array(subs)) => subs
                .iter()
                .filter_map(|s| match s {
                    redis::Value::Array(sf) => sf.first().map(text),
                    _ => None,
                })
                .filter_map(|full| full.split('|').nth(1).map(str::to_string))
                .filter(|sub| !["pause", "kill", "reset"].contains(&sub.as_str()))
                .collect(),
            _ => Vec::new(),
        };
        out.push(Spec { name, arity, subs });
    }
    out
}

const WORDS: &[&str] = &[
    "EX",
    "PX",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "WITHSCORES",
    "LIMIT",
    "COUNT",
    "MATCH",
    "TYPE",
    "BY",
    "GET",
    "STORE",
    "ASC",
    "DESC",
    "ALPHA",
    "KEEPTTL",
    "REPLACE",
    "ABSTTL",
    "IDLETIME",
    "FREQ",
    "*",
    "-",
    "+",
    "$",
    ">",
    "0-1",
    "[a",
    "(1",
    "+inf",
    "-inf",
    "nan",
    "BYSCORE",
    "BYLEX",
    "REV",
    "MAXLEN",
    "~",
    "MINID",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "MIN",
    "MAX",
    "IDX",
    "LEN",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "FIELDS",
    "FNX",
    "FXX",
    "u8",
    "i16",
    "#1",
    "OVERFLOW",
    "SAT",
    "WRAP",
    "FAIL",
    "BIT",
    "BYTE",
];

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "10",
    "100",
    "-100",
    "1000",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "4294967296",
    "1.5",
    "-0.0",
    "1e3",
];

fn random_arg(g: &mut Gen) -> Vec<u8> {
    match g.below(10) {
        0..=3 => format!("k{}", g.below(8)).into_bytes(),
        4..=5 => g.pick(INTS).as_bytes().to_vec(),
        6..=7 => g.pick(WORDS).as_bytes().to_vec(),
        8 => Vec::new(),
        _ => (0..g.below(40)).map(|_| g.below(256) as u8).collect(),
    }
}

fn random_command(g: &mut Gen, table: &[Spec]) -> redis::Cmd {
    let spec = &table[g.below(table.len() as u64) as usize];
    let mut cmd = redis::cmd(&spec.name);
    let mut argc = if spec.arity > 0 {
        spec.arity - 1
    } else {
        spec.arity.abs() - 1 + g.below(5) as i64
    };
    if !spec.subs.is_empty() {
        cmd.arg(&spec.subs[g.below(spec.subs.len() as u64) as usize]);
        argc -= 1;
    }
    for _ in 0..argc.max(0) {
        cmd.arg(random_arg(g));
    }
    cmd
}

fn connect(s: &TestServer) -> redis::Connection {
    let con = s.client();
    let _ = con.set_read_timeout(Some(Duration::from_secs(10)));
    con
}

#[test]
fn random_commands_from_the_table_never_stop_the_server() {
    let s = TestServer::start();
    let mut admin = connect(&s);
    let table = Arc::new(command_table(&mut admin));
    assert!(table.len() > 150, "only {} commands", table.len());
    let stop = Arc::new(AtomicBool::new(false));
    let worst_ping_ms = Arc::new(AtomicU64::new(0));
    let watchdog = {
        let (stop, worst) = (stop.clone(), worst_ping_ms.clone());
        let mut con = connect(&s);
        std::thread::spawn(move || {
            let mut pings = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let t = Instant::now();
                let pong: redis::RedisResult<String> = redis::cmd("PING").query(&mut con);
                assert_eq!(
                    pong.ok().as_deref(),
                    Some("PONG"),
                    "PING failed during the soak"
                );
                worst.fetch_max(t.elapsed().as_millis() as u64, Ordering::SeqCst);
                pings += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            pings
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let workers: Vec<_> = (0..8u64)
        .map(|w| {
            let table = table.clone();
            let mut con = connect(&s);
            std::thread::spawn(move || {
                let mut g = Gen(0x9E37_79B9_7F4A_7C15 ^ ((w + 1) * 0x1000_0001));
                let mut sent = 0u32;
                while sent < 2_500 && Instant::now() < deadline {
                    let cmd = random_command(&mut g, &table);
                    match cmd.query::<redis::Value>(&mut con) {
                        Ok(_) => {}
                        // Errors are expected; a broken connection is not.
                        Err(e) if e.is_io_error() || e.is_connection_dropped() => {
                            panic!("worker {w}: connection lost after {cmd:?}: {e}")
                        }
                        Err(_) => {}
                    }
                    sent += 1;
                }
                sent
            })
        })
        .collect();
    let mut total = 0;
    for w in workers {
        match w.join() {
            Ok(n) => total += n,
            Err(_) => panic!("a soak worker failed"),
        }
    }
    stop.store(true, Ordering::SeqCst);
    let pings = match watchdog.join() {
        Ok(n) => n,
        Err(_) => panic!("the PING watchdog failed"),
    };
    assert!(total > 1_000, "only {total} commands sent");
    assert!(pings > 10, "only {pings} pings");
    let pong: String = redis::cmd("PING")
        .query(&mut connect(&s))
        .unwrap_or_default();
    assert_eq!(pong, "PONG");
    eprintln!(
        "soak: {total} random commands, {pings} pings, worst PING {} ms",
        worst_ping_ms.load(Ordering::SeqCst)
    );
}

#[test]
fn slow_loris_and_idle_connections_do_not_starve_other_clients() {
    let s = TestServer::start();
    let idle: Vec<Raw> = (0..300).map(|_| s.raw()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let slow: Vec<_> = (0..20)
        .map(|i| {
            let mut raw = s.raw();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let value = format!("slow-{i}");
                let req = format!(
                    "*3\r\n$3\r\nSET\r\n$6\r\nloris{}\r\n${}\r\n{value}\r\n",
                    i % 10,
                    value.len()
                );
                for b in req.as_bytes() {
                    if stop.load(Ordering::SeqCst) {
                        return false;
                    }
                    raw.send(&[*b]);
                    std::thread::sleep(Duration::from_millis(15));
                }
                raw.read_at_least(5) == b"+OK\r\n"
            })
        })
        .collect();
    let mut con = connect(&s);
    let mut worst = Duration::ZERO;
    for i in 0..300 {
        let t = Instant::now();
        let _: () = redis::cmd("SET")
            .arg(format!("fast{i}"))
            .arg(i)
            .query(&mut con)
            .unwrap_or_default();
        let v: i64 = redis::cmd("GET")
            .arg(format!("fast{i}"))
            .query(&mut con)
            .unwrap_or(-1);
        assert_eq!(v, i);
        worst = worst.max(t.elapsed());
    }
    assert!(
        worst < Duration::from_secs(2),
        "a fast client waited {worst:?} behind slow ones"
    );
    for (i, t) in slow.into_iter().enumerate() {
        match t.join() {
            Ok(ok) => assert!(ok, "slow client {i} was not answered"),
            Err(_) => panic!("slow client {i} failed"),
        }
    }
    stop.store(true, Ordering::SeqCst);
    // The idle connections are all still open and usable.
    let mut last = idle.into_iter().last().map(|r| r.stream);
    if let Some(stream) = last.take() {
        let mut raw = Raw { stream };
        assert_eq!(raw.roundtrip(b"PING\r\n", b"+PONG\r\n"), b"+PONG\r\n");
    }
}
