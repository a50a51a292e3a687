//! A write of every data type (in two databases, with a script and a transaction), and a
//! snapshot of every key to compare two servers' copies: what replication and Raft tests
//! check convergence with.

use crate::key_contents;
use redis::Connection;
use std::collections::BTreeMap;

/// Runs one command given as space-separated words; panics on an error reply.
pub fn run(con: &mut Connection, line: &str) -> redis::Value {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut cmd = redis::cmd(words[0]);
    for w in &words[1..] {
        cmd.arg(*w);
    }
    cmd.query(con).unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// Writes keys of every type whose names end in `tag`: strings (`s`, `n` = 42, `ttl` with
/// a TTL), a list, a hash with a TTL, a set after SPOP, a sorted set, a bitmap, a key in
/// database 2, a key set by a script (`lua`) and a transaction (`tx` = 2).
pub fn fill_every_type(con: &mut Connection, tag: &str) {
    for line in [
        format!("SET s{tag} hello"),
        format!("SET n{tag} 12"),
        format!("INCRBY n{tag} 30"),
        format!("SET ttl{tag} v PX 600000"),
        format!("RPUSH l{tag} a b c d"),
        format!("LPOP l{tag}"),
        format!("HSET h{tag} f1 v1 f2 v2"),
        format!("HINCRBY h{tag} f3 5"),
        format!("SADD set{tag} x y z"),
        format!("SPOP set{tag}"),
        format!("ZADD z{tag} 1 a 2.5 b 3 c"),
        format!("ZINCRBY z{tag} 10 a"),
        format!("SETBIT bits{tag} 77 1"),
        format!("EXPIRE h{tag} 500"),
        "SELECT 2".to_string(),
        format!("SET other{tag} in-db-2"),
        "SELECT 0".to_string(),
    ] {
        run(con, &line);
    }
    run(
        con,
        &format!("EVAL redis.call('set',KEYS[1],ARGV[1]) 1 lua{tag} scripted"),
    );
    redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(format!("tx{tag}"))
        .arg(1)
        .cmd("INCR")
        .arg(format!("tx{tag}"))
        .query::<()>(con)
        .unwrap_or_else(|e| panic!("MULTI/EXEC: {e}"));
}

/// Every key of databases 0..4 with its contents and whether it has a TTL.
pub fn dataset(con: &mut Connection) -> BTreeMap<(u8, String), String> {
    let mut all = BTreeMap::new();
    for db in 0..4u8 {
        run(con, &format!("SELECT {db}"));
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(con).unwrap_or_default();
        for k in keys {
            let ttl: i64 = redis::cmd("PTTL").arg(&k).query(con).unwrap_or(-2);
            let body = key_contents(con, &k);
            all.insert((db, k), format!("{body} ttl:{}", ttl >= 0));
        }
    }
    run(con, "SELECT 0");
    all
}
