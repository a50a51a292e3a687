//! Asynchronous replication between real processes on loopback: full and partial resyncs,
//! the backlog, chains, promotion, WAIT, the replica's refusals, and interoperation with a
//! real Redis in both directions (skipped where redis-server is not installed). Every
//! scenario ends with a convergence check of every key on primary and replicas.

use redis::Connection;
use shoal_tests::dataset::{dataset, fill_every_type, run};
use shoal_tests::process::ServerProcess;
use shoal_tests::proxy::Proxy;
use shoal_tests::{eventually, RedisServer};
use std::time::Duration;

const SYNC: Duration = Duration::from_secs(30);

/// A server process with a data directory of its own, removed with it.
struct Node {
    process: ServerProcess,
    dir: std::path::PathBuf,
}

impl std::ops::Deref for Node {
    type Target = ServerProcess;
    fn deref(&self) -> &ServerProcess {
        &self.process
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh directory under the system's temporary one.
fn scratch() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("shoal-repl-it-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

fn shoal(extra: &[&str]) -> Node {
    let dir = scratch();
    let d = dir.display().to_string();
    let mut args = vec![
        "--dir",
        d.as_str(),
        "--save",
        "",
        "--repl-diskless-sync-delay",
        "0",
    ];
    args.extend_from_slice(extra);
    let process =
        ServerProcess::start(&args).unwrap_or_else(|| panic!("shoal-server exited at start-up"));
    Node { process, dir }
}

fn replica_of(port: u16, extra: &[&str]) -> Node {
    let p = port.to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", p.as_str()];
    args.extend_from_slice(extra);
    shoal(&args)
}

/// A Redis with a data directory of its own (a Redis replica writes the payload it
/// receives there).
fn redis_with(extra: &[&str]) -> Option<(RedisServer, Scratch)> {
    let dir = Scratch(scratch());
    let d = dir.0.display().to_string();
    let mut args = vec!["--dir", d.as_str()];
    args.extend_from_slice(extra);
    RedisServer::start_with(&args).map(|r| (r, dir))
}

/// A directory removed on drop.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cmd(con: &mut Connection, args: &[&str]) -> redis::RedisResult<redis::Value> {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con)
}

/// The error of a command expected to fail.
fn refused(r: redis::RedisResult<redis::Value>, what: &str) -> redis::RedisError {
    match r {
        Err(e) => e,
        Ok(v) => panic!("{what}: expected an error, got {v:?}"),
    }
}

/// CLIENT KILL TYPE `kind`: how many links were cut.
fn kill(con: &mut Connection, kind: &str) -> i64 {
    redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg(kind)
        .query(con)
        .unwrap_or(0)
}

/// Writes while the replica follows, cuts its link on the primary, writes again: the
/// replica converges each time, the second time through a partial resync.
fn follow_then_resume(p: &mut Connection, r: &mut Connection) {
    assert_converged(p, r);
    fill_every_type(p, "post");
    assert_converged(p, r);
    assert_eq!(kill(p, "replica"), 1);
    fill_every_type(p, "resumed");
    assert_converged(p, r);
    assert_eq!(info_field(p, "stats", "sync_partial_ok"), "1");
}

fn info_field(con: &mut Connection, section: &str, name: &str) -> String {
    let text: String = redis::cmd("INFO")
        .arg(section)
        .query(con)
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn offset(con: &mut Connection) -> u64 {
    info_field(con, "replication", "master_repl_offset")
        .parse()
        .unwrap_or(0)
}

/// Waits until `replica` is linked and at the primary's offset, then compares every key.
fn assert_converged(primary: &mut Connection, replica: &mut Connection) {
    let caught_up = eventually(SYNC, || {
        let target = offset(primary);
        info_field(replica, "replication", "master_link_status") == "up"
            && info_field(replica, "replication", "slave_repl_offset").parse() == Ok(target)
    });
    assert!(
        caught_up,
        "replica did not catch up: primary at {}, replica {}",
        offset(primary),
        info_field(replica, "replication", "slave_repl_offset")
    );
    assert_eq!(dataset(primary), dataset(replica));
}

#[test]
fn full_sync_copies_every_type_then_follows_the_stream() {
    let primary = shoal(&[]);
    let mut p = primary.client();
    fill_every_type(&mut p, "before");
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    assert_converged(&mut p, &mut r);
    fill_every_type(&mut p, "after");
    run(&mut p, "SELECT 2");
    run(&mut p, "FLUSHDB");
    run(&mut p, "SELECT 0");
    run(&mut p, "DEL sbefore");
    assert_converged(&mut p, &mut r);
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut p, "replication", "connected_slaves"), "1");
    let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut r).unwrap_or_default();
    assert_eq!(role.len(), 5);
    assert_eq!(role[0], redis::Value::BulkString(b"slave".to_vec()));
    assert_eq!(role[3], redis::Value::BulkString(b"connected".to_vec()));
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .arg("TYPE")
        .arg("replica")
        .query(&mut p)
        .unwrap_or_default();
    assert!(clients.contains("flags=S"), "{clients}");
}

#[test]
fn full_sync_of_a_large_dataset_while_writes_go_on() {
    let primary = shoal(&[]);
    let mut p = primary.client();
    for batch in 0..50 {
        let mut pipe = redis::pipe();
        for i in 0..2000 {
            let k = batch * 2000 + i;
            pipe.cmd("SET")
                .arg(format!("key:{k}"))
                .arg(format!("value-{k}"))
                .ignore();
        }
        pipe.query::<()>(&mut p)
            .unwrap_or_else(|e| panic!("load: {e}"));
    }
    let port = primary.port;
    let writer = std::thread::spawn(move || {
        let mut w = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .and_then(|c| c.get_connection())
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..20_000u32 {
            let k = format!("key:{}", i * 7 % 100_000);
            let _: () = redis::cmd("APPEND")
                .arg(&k)
                .arg("+")
                .query(&mut w)
                .unwrap_or(());
            let _: () = redis::cmd("INCR")
                .arg("counter")
                .query(&mut w)
                .unwrap_or(());
        }
    });
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    writer.join().unwrap_or_else(|_| panic!("writer panicked"));
    let caught_up = eventually(SYNC, || {
        info_field(&mut r, "replication", "slave_repl_offset").parse() == Ok(offset(&mut p))
    });
    assert!(caught_up, "replica did not catch up");
    let size = |c: &mut Connection| -> i64 { redis::cmd("DBSIZE").query(c).unwrap_or(-1) };
    assert_eq!(size(&mut p), size(&mut r));
    let get = |c: &mut Connection, keys: &[String]| -> Vec<Option<String>> {
        redis::cmd("MGET").arg(keys).query(c).unwrap_or_default()
    };
    for chunk in 0..100 {
        let keys: Vec<String> = (0..1000)
            .map(|i| format!("key:{}", chunk * 1000 + i))
            .collect();
        assert_eq!(get(&mut p, &keys), get(&mut r, &keys), "chunk {chunk}");
    }
    let counter =
        |c: &mut Connection| -> i64 { redis::cmd("GET").arg("counter").query(c).unwrap_or(0) };
    assert_eq!(counter(&mut r), 20_000);
}

#[test]
fn a_killed_link_resumes_with_a_partial_resync() {
    let primary = shoal(&[]);
    let mut p = primary.client();
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    fill_every_type(&mut p, "a");
    assert_converged(&mut p, &mut r);
    let killed = kill(&mut p, "replica");
    assert_eq!(killed, 1);
    fill_every_type(&mut p, "b");
    assert_converged(&mut p, &mut r);
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut p, "stats", "sync_partial_ok"), "1");
    // The other way round: the replica drops its link to the primary.
    let killed = kill(&mut r, "master");
    assert_eq!(killed, 1);
    fill_every_type(&mut p, "c");
    assert_converged(&mut p, &mut r);
    assert_eq!(info_field(&mut p, "stats", "sync_partial_ok"), "2");
}

#[test]
fn a_backlog_overflow_forces_a_full_sync() {
    let primary = shoal(&["--repl-backlog-size", "16384"]);
    let mut p = primary.client();
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    run(&mut p, "SET first 1");
    assert_converged(&mut p, &mut r);
    kill(&mut p, "replica");
    // Far more than the backlog holds, before the replica is back (it retries each second).
    let big = "x".repeat(4096);
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("SET").arg(format!("big:{i}")).arg(&big).ignore();
    }
    pipe.query::<()>(&mut p).unwrap_or_else(|e| panic!("{e}"));
    assert_converged(&mut p, &mut r);
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "2");
    assert_eq!(info_field(&mut p, "stats", "sync_partial_err"), "1");
}

#[test]
fn a_chain_of_replicas_keeps_the_primary_offsets() {
    let a = shoal(&[]);
    let b = replica_of(a.port, &[]);
    let c = replica_of(b.port, &[]);
    let (mut ca, mut cb, mut cc) = (a.client(), b.client(), c.client());
    fill_every_type(&mut ca, "chain");
    assert_converged(&mut ca, &mut cb);
    assert_converged(&mut ca, &mut cc);
    assert_eq!(
        info_field(&mut ca, "replication", "master_replid"),
        info_field(&mut cc, "replication", "master_replid")
    );
}

#[test]
fn promotion_lets_the_other_replicas_continue() {
    // No PING from A between B's promotion and A following B: A's history must stay a
    // prefix of B's for A to continue (a PING there would rightly force a full sync).
    let a = shoal(&["--repl-ping-replica-period", "3600"]);
    let b = replica_of(a.port, &[]);
    let c = replica_of(a.port, &[]);
    let (mut ca, mut cb, mut cc) = (a.client(), b.client(), c.client());
    fill_every_type(&mut ca, "one");
    assert_converged(&mut ca, &mut cb);
    assert_converged(&mut ca, &mut cc);
    let old_id = info_field(&mut ca, "replication", "master_replid");
    run(&mut cb, "REPLICAOF NO ONE");
    assert_eq!(info_field(&mut cb, "replication", "role"), "master");
    assert_eq!(info_field(&mut cb, "replication", "master_replid2"), old_id);
    run(&mut cc, &format!("REPLICAOF 127.0.0.1 {}", b.port));
    run(&mut ca, &format!("REPLICAOF 127.0.0.1 {}", b.port));
    fill_every_type(&mut cb, "two");
    assert_converged(&mut cb, &mut cc);
    assert_converged(&mut cb, &mut ca);
    // Both continued from their offsets under the old id: no full sync on B.
    assert_eq!(info_field(&mut cb, "stats", "sync_full"), "0");
    assert_eq!(info_field(&mut cb, "stats", "sync_partial_ok"), "2");
}

#[test]
fn wait_counts_the_replicas_that_acknowledged() {
    let primary = shoal(&[]);
    let mut p = primary.client();
    let none: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(50)
        .query(&mut p)
        .unwrap_or(-1);
    assert_eq!(none, 0);
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    assert_converged(&mut p, &mut r);
    run(&mut p, "SET k v");
    let one: i64 = redis::cmd("WAIT").arg(1).arg(0).query(&mut p).unwrap_or(-1);
    assert_eq!(one, 1);
    let still_one: i64 = redis::cmd("WAIT")
        .arg(2)
        .arg(100)
        .query(&mut p)
        .unwrap_or(-1);
    assert_eq!(still_one, 1);
    let err = refused(cmd(&mut r, &["WAIT", "0", "0"]), "WAIT on a replica");
    assert!(
        err.to_string()
            .contains("WAIT cannot be used with replica instances"),
        "{err}"
    );
}

/// A link gathers what is written shortly after its last write into one write: the last
/// write of a quick succession must still go out without waiting for another one.
#[test]
fn each_of_quick_successive_writes_reaches_the_replica_without_a_later_one() {
    let primary = shoal(&[]);
    let mut p = primary.client();
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    assert_converged(&mut p, &mut r);
    for i in 0..200 {
        run(&mut p, &format!("SET k {i}"));
        let acked: i64 = redis::cmd("WAIT")
            .arg(1)
            .arg(2000)
            .query(&mut p)
            .unwrap_or(-1);
        assert_eq!(acked, 1, "write {i} was held back");
        let got: String = redis::cmd("GET").arg("k").query(&mut r).unwrap_or_default();
        assert_eq!(got, i.to_string());
    }
    assert_converged(&mut p, &mut r);
}

#[test]
fn a_replica_refuses_writes_and_may_refuse_stale_reads() {
    let primary = shoal(&[]);
    let mut p = primary.client();
    run(&mut p, "SET k v");
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    assert_converged(&mut p, &mut r);
    let err = refused(cmd(&mut r, &["SET", "k", "other"]), "write on a replica");
    assert_eq!(err.code(), Some("READONLY"));
    run(&mut r, "CONFIG SET replica-read-only no");
    run(&mut r, "SET local 1");
    // A replica of a primary that is not there, told not to serve stale data.
    let dead = shoal_tests::process::free_port().to_string();
    let lonely = replica_of(
        dead.parse().unwrap_or(1),
        &["--replica-serve-stale-data", "no"],
    );
    let mut l = lonely.client();
    let err = refused(cmd(&mut l, &["GET", "k"]), "stale read");
    assert_eq!(err.code(), Some("MASTERDOWN"));
    assert_eq!(
        info_field(&mut l, "replication", "master_link_status"),
        "down"
    );
}

#[test]
fn min_replicas_to_write_needs_acknowledging_replicas() {
    let primary = shoal(&["--min-replicas-to-write", "1"]);
    let mut p = primary.client();
    let err = refused(cmd(&mut p, &["SET", "k", "v"]), "no replicas");
    assert_eq!(err.code(), Some("NOREPLICAS"));
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    assert!(eventually(SYNC, || cmd(&mut p, &["SET", "k", "v"]).is_ok()));
    assert_converged(&mut p, &mut r);
}

#[test]
fn a_redis_replica_follows_shoal() {
    let primary = shoal(&[]);
    let mut p = primary.client();
    fill_every_type(&mut p, "pre");
    let port = primary.port.to_string();
    let Some((redis, _dir)) = redis_with(&["--replicaof", "127.0.0.1", &port]) else {
        return;
    };
    let mut r = redis.client();
    follow_then_resume(&mut p, &mut r);
}

#[test]
fn shoal_follows_a_redis_primary() {
    let Some((redis, _dir)) = redis_with(&["--repl-diskless-sync-delay", "0"]) else {
        return;
    };
    let mut p = redis.client();
    fill_every_type(&mut p, "pre");
    let replica = replica_of(redis.port, &[]);
    let mut r = replica.client();
    follow_then_resume(&mut p, &mut r);
}

#[test]
fn a_link_cut_by_the_network_resumes_with_a_partial_resync() {
    let primary = shoal(&[]);
    let mut p = primary.client();
    let proxy = Proxy::start(primary.port);
    let replica = replica_of(proxy.port, &[]);
    let mut r = replica.client();
    fill_every_type(&mut p, "a");
    assert_converged(&mut p, &mut r);
    // A cut, then the primary unreachable while writes go on, then healed.
    proxy.refuse(true);
    fill_every_type(&mut p, "b");
    assert!(eventually(SYNC, || info_field(
        &mut r,
        "replication",
        "master_link_status"
    ) == "down"));
    proxy.refuse(false);
    assert_converged(&mut p, &mut r);
    proxy.cut();
    fill_every_type(&mut p, "c");
    assert_converged(&mut p, &mut r);
    assert_eq!(info_field(&mut p, "stats", "sync_full"), "1");
    assert_eq!(info_field(&mut p, "stats", "sync_partial_ok"), "2");
}

#[test]
fn a_disk_based_sync_and_the_old_sync_command_carry_the_same_data() {
    let primary = shoal(&["--repl-diskless-sync", "no"]);
    let mut p = primary.client();
    fill_every_type(&mut p, "disk");
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    assert_converged(&mut p, &mut r);
    // SYNC: the payload with its length, then the stream, without a +FULLRESYNC line.
    let mut raw =
        std::net::TcpStream::connect(("127.0.0.1", primary.port)).unwrap_or_else(|e| panic!("{e}"));
    use std::io::{Read, Write};
    raw.write_all(b"SYNC\r\n").unwrap_or_else(|e| panic!("{e}"));
    let _ = raw.set_read_timeout(Some(SYNC));
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got
        .windows(9)
        .any(|w| w == b"REDIS0010" || w == b"REDIS0012")
    {
        let n = raw.read(&mut buf).unwrap_or(0);
        assert!(n > 0, "SYNC sent {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    assert!(
        got.starts_with(b"$"),
        "{:?}",
        String::from_utf8_lossy(&got[..got.len().min(40)])
    );
}

#[test]
fn failover_hands_the_primary_role_to_a_replica() {
    let a = shoal(&[]);
    let b = replica_of(a.port, &[]);
    let c = replica_of(a.port, &[]);
    let (mut ca, mut cb, mut cc) = (a.client(), b.client(), c.client());
    fill_every_type(&mut ca, "before");
    assert_converged(&mut ca, &mut cb);
    assert_converged(&mut ca, &mut cc);
    run(
        &mut ca,
        &format!("FAILOVER TO 127.0.0.1 {} TIMEOUT 20000", b.port),
    );
    assert!(eventually(SYNC, || {
        info_field(&mut cb, "replication", "role") == "master"
            && info_field(&mut ca, "replication", "master_link_status") == "up"
            && info_field(&mut ca, "replication", "master_failover_state") == "no-failover"
    }));
    assert_eq!(
        info_field(&mut ca, "replication", "master_port"),
        b.port.to_string()
    );
    // A write sent to the old primary now meets a replica.
    let err = refused(cmd(&mut ca, &["SET", "k", "v"]), "write on the old primary");
    assert_eq!(err.code(), Some("READONLY"));
    fill_every_type(&mut cb, "after");
    assert_converged(&mut cb, &mut ca);
    // C followed A, now a replica of B: it continues through A.
    assert_converged(&mut cb, &mut cc);
    assert_eq!(info_field(&mut cb, "stats", "sync_full"), "0");
}

#[test]
fn a_replicas_subscribers_get_what_is_published_on_the_primary() {
    let primary = shoal(&[]);
    let mut p = primary.client();
    let replica = replica_of(primary.port, &[]);
    let mut r = replica.client();
    run(&mut p, "SET ready 1");
    assert_converged(&mut p, &mut r);
    let mut sub_conn = replica.client();
    let mut sub = sub_conn.as_pubsub();
    assert!(sub.subscribe("news").is_ok());
    assert!(sub.set_read_timeout(Some(Duration::from_secs(10))).is_ok());
    run(&mut p, "PUBLISH news hello");
    let got = sub
        .get_message()
        .map(|m| m.get_payload::<String>().unwrap_or_default());
    assert_eq!(got.ok().as_deref(), Some("hello"));
}
