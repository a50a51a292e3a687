//! The same command sequences against Shoal and a real `redis-server` 7, replies compared.
//! Skips (with a message) where no `redis-server` is installed.

use shoal_tests::workload::{deterministic_command, Gen};
use shoal_tests::{RedisServer, TestServer};

fn reply(con: &mut redis::Connection, args: &[String]) -> String {
    let mut cmd = redis::cmd(&args[0]);
    for a in &args[1..] {
        cmd.arg(a);
    }
    match cmd.query::<redis::Value>(con) {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("error {:?} {}", e.code(), e.detail().unwrap_or_default()),
    }
}

fn compare(sequences: &[Vec<String>], resp3: bool) {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let shoal = TestServer::start();
    let (mut a, mut b) = if resp3 {
        (redis.client3(), shoal.client3())
    } else {
        (redis.client(), shoal.client())
    };
    for args in sequences {
        let (ra, rb) = (reply(&mut a, args), reply(&mut b, args));
        assert_eq!(ra, rb, "replies differ for {args:?}");
    }
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

/// Hand-picked edge cases from the command documentation.
const CASES: &[&str] = &[
    "SET k 10",
    "GET k",
    "OBJECT ENCODING k",
    "INCR k",
    "INCRBY k -20",
    "DECRBY k 5",
    "SET big 9223372036854775807",
    "INCR big",
    "INCRBY big x",
    "SET f 10.50",
    "INCRBYFLOAT f 0.1",
    "INCRBYFLOAT f -5",
    "SET e 5.0e3",
    "INCRBYFLOAT e 2.0e2",
    "INCRBYFLOAT e abc",
    "APPEND s Hello",
    "APPEND s World",
    "STRLEN s",
    "GETRANGE s 0 3",
    "GETRANGE s -3 -1",
    "GETRANGE s 0 -1",
    "GETRANGE s 10 100",
    "SETRANGE s 6 Redis",
    "GET s",
    "SETRANGE pad 5 x",
    "GET pad",
    "SETRANGE s -1 x",
    "OBJECT ENCODING s",
    "SET n v NX XX",
    "SET n v EX 0",
    "SET n v EX 10 PX 10",
    "SET n v KEEPTTL EX 1",
    "SET n v GET",
    "SET n w GET",
    "GETDEL n",
    "GETDEL n",
    "MSET a 1 b 2 c 3",
    "MGET a b nosuch c",
    "MSET a",
    "MSETNX a 1 z 2",
    "EXISTS z",
    "MSETNX y 1 z 2",
    "SETNX y 3",
    "GETSET y 4",
    "GET y",
    "LCS s pad",
    "SET l1 ohmytext",
    "SET l2 mynewtext",
    "LCS l1 l2",
    "LCS l1 l2 LEN",
    "LCS l1 l2 IDX",
    "LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN",
    "SETBIT bits 7 1",
    "SETBIT bits 100 1",
    "GETBIT bits 7",
    "GETBIT bits 1000",
    "BITCOUNT bits",
    "BITCOUNT bits 0 0",
    "BITCOUNT bits 0 7 BIT",
    "BITPOS bits 1",
    "BITPOS bits 0",
    "SETBIT bits 4294967296 1",
    "SETBIT bits 1 2",
    "BITOP AND dest bits s",
    "BITOP NOT dest bits s",
    "BITOP NOT dest bits",
    "GET dest",
    "BITFIELD bf SET i8 0 100 INCRBY i8 0 100 GET u4 0",
    "BITFIELD bf OVERFLOW SAT INCRBY i8 0 100 OVERFLOW FAIL INCRBY i8 0 100",
    "BITFIELD bf GET u64 0",
    "BITFIELD_RO bf GET i8 0",
    "BITFIELD_RO bf SET i8 0 1",
    "DEL a b nosuch",
    "EXISTS a c c c",
    "TYPE c",
    "TYPE nosuch",
    "RENAME nosuch x",
    "RENAME c c2",
    "RENAMENX c2 s",
    "COPY c2 c3",
    "COPY c2 c3",
    "COPY c2 c2",
    "COPY c2 c3 DB 99",
    "MOVE c3 1",
    "MOVE c3 1",
    "MOVE c2 99",
    "EXPIRE c2 100 NX XX",
    "EXPIRE c2 100 GT LT",
    "EXPIRE c2 100 XX",
    "PERSIST c2",
    "EXPIREAT c2 4102444800 NX",
    "EXPIRETIME c2",
    "PEXPIRETIME c2",
    "EXPIREAT c2 4102444800 LT",
    "EXPIREAT c2 4102444900 GT",
    "EXPIRETIME c2",
    "PERSIST c2",
    "TTL c2",
    "TTL nosuch",
    "PEXPIRE c2 abc",
    "EXPIRE c2 9223372036854775807",
    "EXPIRE c2 -1",
    "EXISTS c2",
    "DBSIZE",
    "OBJECT FREQ s",
    "OBJECT REFCOUNT y",
    "OBJECT ENCODING nosuch",
    "OBJECT NOSUCH s",
    "SELECT 16",
    "SELECT x",
    "SWAPDB 0 x",
    "SWAPDB 0 99",
    "ECHO hi",
    "PING",
    "PING a b",
    "GET",
    "NOSUCHCMD a",
    "FLUSHDB",
    "DBSIZE",
    // Transactions and pub/sub introspection.
    "MULTI",
    "SET t 1",
    "INCR t",
    "LPUSH t x",
    "BLPOP emptylist 0",
    "EXEC",
    "MULTI",
    "MULTI",
    "WATCH t",
    "SET t",
    "NOSUCHCOMMAND",
    "EXEC",
    "EXEC",
    "DISCARD",
    "WATCH t",
    "SET t 5",
    "MULTI",
    "GET t",
    "EXEC",
    "WATCH t u",
    "UNWATCH",
    "SET t 6",
    "MULTI",
    "GET t",
    "EXEC",
    "PUBLISH nobody hello",
    "PUBSUB NUMSUB a b",
    "PUBSUB NUMPAT",
    "PUBSUB CHANNELS",
    "PUBSUB SHARDCHANNELS x*",
    "PUBSUB SHARDNUMSUB s",
    "PUBSUB CHANNELS a b",
    "PUBSUB NOSUCH",
    "SPUBLISH s m",
    "CONFIG SET notify-keyspace-events KEA",
    "CONFIG GET notify-keyspace-events",
    "CONFIG SET notify-keyspace-events Kq",
    "CONFIG SET notify-keyspace-events ''",
    "CONFIG SET client-output-buffer-limit pubsub",
];

#[test]
fn documented_edge_cases_match_redis_resp2() {
    let seq: Vec<Vec<String>> = CASES.iter().map(|l| words(l)).collect();
    compare(&seq, false);
}

#[test]
fn documented_edge_cases_match_redis_resp3() {
    let seq: Vec<Vec<String>> = CASES.iter().map(|l| words(l)).collect();
    compare(&seq, true);
}

/// 3,000 random commands with deterministic replies, then a read of every key. `SEED`
/// picks another sequence (for longer local hunts); the default keeps CI reproducible.
fn random_workload(default_seed: u64, resp3: bool) {
    let seed = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_seed);
    let mut g = Gen(seed);
    let mut seq: Vec<Vec<String>> = (0..3_000).map(|_| deterministic_command(&mut g)).collect();
    for db in 0..3 {
        seq.push(vec!["SELECT".into(), db.to_string()]);
        for k in 0..40 {
            for c in ["GET", "TYPE", "EXISTS", "LLEN", "SCARD", "HLEN", "ZCARD"] {
                seq.push(vec![c.into(), format!("k{k}")]);
            }
        }
    }
    compare(&seq, resp3);
}

#[test]
fn random_workload_matches_redis() {
    random_workload(0xd1ff_0000_1234_5678, false);
}

#[test]
fn random_workload_matches_redis_resp3() {
    random_workload(0x5eed_0003_0003_0003, true);
}
