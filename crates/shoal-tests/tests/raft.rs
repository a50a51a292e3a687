//! Raft groups of real server processes on loopback: every write reaches every member
//! through the log, followers refuse writes as configured, a killed leader is replaced
//! without losing an acknowledged write (and catches up when it returns), and a whole
//! group killed and restarted comes back from its `raft-dir` with its data.

use redis::Connection;
use shoal_tests::group::{leader, Layout};
use shoal_tests::process::ServerProcess;
use shoal_tests::{eventually, key_contents};
use std::collections::BTreeMap;
use std::time::Duration;

const ELECT: Duration = shoal_tests::group::ELECT;

fn client(members: &[Option<ServerProcess>], i: usize) -> Connection {
    match &members[i] {
        Some(m) => m.client(),
        None => panic!("member {} is down", i + 1),
    }
}

/// The error `SET key v` gets.
fn refused_write(c: &mut Connection, key: &str) -> redis::RedisError {
    match redis::cmd("SET").arg(key).arg("v").query::<String>(c) {
        Ok(v) => panic!("the write was accepted: {v}"),
        Err(e) => e,
    }
}

fn run(c: &mut Connection, line: &str) -> redis::Value {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut cmd = redis::cmd(words[0]);
    for w in &words[1..] {
        cmd.arg(*w);
    }
    cmd.query(c).unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// Every key of databases 0 and 2 with its type, contents and whether it expires.
fn dataset(c: &mut Connection) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for db in [0, 2] {
        run(c, &format!("SELECT {db}"));
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(c).unwrap_or_default();
        for k in keys {
            let ttl: i64 = redis::cmd("PTTL").arg(&k).query(c).unwrap_or(-3);
            let contents = key_contents(c, &k);
            out.insert(format!("{db}:{k}"), format!("{contents} ttl:{}", ttl > 0));
        }
    }
    run(c, "SELECT 0");
    out
}

fn assert_converged(members: &[Option<ServerProcess>], leader: usize) {
    let Some(l) = &members[leader] else { return };
    let expected = dataset(&mut l.client());
    for m in members.iter().flatten() {
        let mut c = m.client();
        let same = eventually(ELECT, || dataset(&mut c) == expected);
        assert!(
            same,
            "member on port {} differs: {:?} vs {expected:?}",
            m.port,
            dataset(&mut c)
        );
    }
}

fn fill(c: &mut Connection, tag: &str) {
    for line in [
        format!("SET s{tag} hello"),
        format!("INCRBY n{tag} 42"),
        format!("SET ttl{tag} v PX 600000"),
        format!("RPUSH l{tag} a b c"),
        format!("HSET h{tag} f v"),
        format!("SADD set{tag} x y z"),
        format!("SPOP set{tag}"),
        format!("ZADD z{tag} 1 a 2 b"),
        "SELECT 2".to_string(),
        format!("SET other{tag} in-db-2"),
        "SELECT 0".to_string(),
    ] {
        run(c, &line);
    }
    run(c, &format!("EVAL redis.call('incr',KEYS[1]) 1 lua{tag}"));
    redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(format!("tx{tag}"))
        .arg(1)
        .cmd("INCR")
        .arg(format!("tx{tag}"))
        .query::<()>(c)
        .unwrap_or_else(|e| panic!("MULTI/EXEC: {e}"));
}

#[test]
fn a_group_applies_every_write_on_every_member_and_followers_refuse_writes() {
    let layout = Layout::new(3);
    let members = layout.start_all(&[]);
    let l = leader(&members);
    fill(&mut client(&members, l), "a");
    assert_converged(&members, l);
    for i in 0..members.len() {
        if i == l {
            continue;
        }
        let mut c = client(&members, i);
        let err = refused_write(&mut c, "k");
        assert_eq!(err.code(), Some("READONLY"), "{err}");
        // Reads are served (the members run with `raft-read-mode local`).
        let v: String = redis::cmd("GET")
            .arg("sa")
            .query(&mut c)
            .unwrap_or_default();
        assert_eq!(v, "hello");
    }
}

#[test]
fn followers_may_redirect_writes_to_the_leader() {
    let layout = Layout::new(3);
    let members = layout.start_all(&["--raft-follower-writes", "moved"]);
    let l = leader(&members);
    let follower = (l + 1) % 3;
    let mut c = client(&members, follower);
    let leader_at = format!("127.0.0.1:{}", layout.clients[l]);
    let mut text = String::new();
    // The follower learns who leads from the leader's first heartbeat.
    let redirected = eventually(ELECT, || {
        text = format!("{:?}", refused_write(&mut c, "foo"));
        text.contains("12182") && text.contains(&leader_at)
    });
    assert!(redirected, "{text}");
}

#[test]
fn a_killed_leader_is_replaced_without_losing_acknowledged_writes() {
    let layout = Layout::new(3);
    let mut members = layout.start_all(&[]);
    let l = leader(&members);
    let mut c = client(&members, l);
    for i in 0..200 {
        run(&mut c, &format!("SET acked:{i} {i}"));
    }
    if let Some(m) = members[l].take() {
        m.kill();
    }
    let next = leader(&members);
    assert_ne!(next, l);
    let mut c = client(&members, next);
    for i in 0..200 {
        let v: Option<String> = redis::cmd("GET")
            .arg(format!("acked:{i}"))
            .query(&mut c)
            .unwrap_or(None);
        assert_eq!(v, Some(i.to_string()), "acknowledged write acked:{i} lost");
    }
    fill(&mut c, "after");
    // The old leader comes back, follows, and catches up.
    members[l] = Some(layout.start(l, &[]));
    assert_converged(&members, next);
}

#[test]
fn a_restarted_group_recovers_its_data_from_raft_dir() {
    let layout = Layout::new(3);
    let mut members = layout.start_all(&[]);
    let l = leader(&members);
    fill(&mut client(&members, l), "r");
    assert_converged(&members, l);
    let mut before = dataset(&mut client(&members, l));
    for m in members.iter_mut() {
        if let Some(m) = m.take() {
            m.kill();
        }
    }
    let members = layout.start_all(&[]);
    let l = leader(&members);
    let mut after = dataset(&mut client(&members, l));
    // The probe write that found the leader differs from run to run.
    before.remove("0:probe");
    after.remove("0:probe");
    assert_eq!(after, before);
    assert_converged(&members, l);
}
