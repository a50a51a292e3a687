//! Linearizability of a Raft group under faults: clients write, read and increment a few
//! keys on every member while the leader is paused (SIGSTOP) long enough for another to be
//! elected, then resumed; or while the leader and one follower of five are cut off from the
//! other three, then healed. The recorded history must be linearizable with
//! `raft-read-mode linearizable`, and the same workload with `local` reads, which serve
//! followers' (and a resumed or cut-off old leader's) own copies, must be caught by the
//! checker.

use shoal_tests::group::{leader, Layout};
use shoal_tests::linearizability::{check, CheckError, History, Op, PendingOp, Ret};
use shoal_tests::process::ServerProcess;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const KEYS: [&str; 2] = ["k0", "k1"];
const COUNTERS: [&str; 2] = ["n0", "n1"];

fn connect(port: u16) -> Option<redis::Connection> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).ok()?;
    let con = client
        .get_connection_with_timeout(Duration::from_secs(1))
        .ok()?;
    con.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    con.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    Some(con)
}

/// A refusal: the member did not run the command (a follower, or no leader yet).
fn refused(e: &redis::RedisError) -> bool {
    matches!(e.code(), Some("MOVED" | "READONLY" | "CLUSTERDOWN"))
}

/// Completes `op` with the outcome of its request: a result, a refusal (not run), or
/// unknown (a timeout or a lost connection). False when the connection must be replaced.
fn record(op: PendingOp, result: redis::RedisResult<Ret>) -> bool {
    match result {
        Ok(ret) => op.ok(ret),
        Err(e) if refused(&e) => op.fail(),
        Err(_) => {
            op.unknown();
            return false;
        }
    }
    true
}

/// One client: random operations on random members until `until`.
fn client(history: &History, id: u64, ports: &[u16], until: Instant) {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ (id + 1).wrapping_mul(0x2545_f491_4f6c_dd1d);
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut cons: HashMap<u16, redis::Connection> = HashMap::new();
    let mut n = 0;
    while Instant::now() < until {
        let port = ports[(next() % ports.len() as u64) as usize];
        let con = match cons.entry(port) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => match connect(port) {
                Some(c) => v.insert(c),
                None => continue,
            },
        };
        n += 1;
        let roll = next() % 10;
        let kept = if roll < 4 {
            let key = KEYS[(next() % 2) as usize].to_string();
            let value = format!("{id}-{n}");
            let op = history.invoke(id, Op::Write(key.clone(), value.clone()));
            let r = redis::cmd("SET").arg(&key).arg(&value).query::<()>(con);
            record(op, r.map(|()| Ret::Write))
        } else if roll < 6 {
            let key = COUNTERS[(next() % 2) as usize].to_string();
            let op = history.invoke(id, Op::Incr(key.clone()));
            record(op, redis::cmd("INCR").arg(&key).query(con).map(Ret::Incr))
        } else {
            let all = [KEYS[0], KEYS[1], COUNTERS[0], COUNTERS[1]];
            let key = all[(next() % 4) as usize].to_string();
            let op = history.invoke(id, Op::Read(key.clone()));
            record(op, redis::cmd("GET").arg(&key).query(con).map(Ret::Read))
        };
        if !kept {
            // The connection's state is unknown after an error other than a refusal.
            cons.remove(&port);
        }
    }
}

/// Runs the workload on a fresh group in `mode` while its leader is paused and resumed.
fn history_under_a_paused_leader(mode: &str) -> History {
    let layout = Layout::new(3);
    let members = layout.start_all(&["--raft-read-mode", mode]);
    let l = leader(&members);
    let pid = members[l]
        .as_ref()
        .map(ServerProcess::pid)
        .unwrap_or_default();
    let history = History::new();
    let start = Instant::now();
    let until = start + Duration::from_secs(8);
    std::thread::scope(|s| {
        for id in 0..4u64 {
            let (h, ports) = (&history, &layout.clients);
            s.spawn(move || client(h, id, ports, until));
        }
        std::thread::sleep(Duration::from_secs(1));
        let _ = std::process::Command::new("kill")
            .args(["-STOP", &pid.to_string()])
            .status();
        // Long enough for the others to elect a leader (election timeout 1.5-3 s).
        std::thread::sleep(Duration::from_secs(4));
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &pid.to_string()])
            .status();
    });
    drop(members);
    history
}

/// Enough operations completed, and the history is linearizable.
fn assert_linearizable(history: &History) {
    let done = history
        .entries()
        .iter()
        .filter(|e| matches!(e.outcome, shoal_tests::linearizability::Outcome::Ok(_)))
        .count();
    assert!(done > 100, "too few operations completed: {done}");
    if let Err(e) = check(history) {
        panic!("{e}");
    }
}

#[test]
fn linearizable_reads_keep_the_history_linearizable_across_a_paused_leader() {
    let history = history_under_a_paused_leader("linearizable");
    assert_linearizable(&history);
}

/// The checker finds a violation in a history `workload` records: a few attempts, in case
/// one run happens to read nothing stale.
fn assert_caught(workload: impl Fn() -> History) {
    for _ in 0..3 {
        match check(&workload()) {
            Err(CheckError::Violation(_)) => return,
            Err(e) => panic!("the check did not decide: {e}"),
            Ok(()) => continue,
        }
    }
    panic!("local reads never produced a violation the checker found");
}

#[test]
fn local_reads_are_caught_by_the_checker() {
    // Followers (and a resumed old leader) answer from their own copies: stale reads the
    // checker must find.
    assert_caught(|| history_under_a_paused_leader("local"));
}

/// Runs the workload on a fresh group of five in `mode` while its leader and one follower
/// are cut off from the other three, then healed.
fn history_across_a_partition(mode: &str) -> History {
    let layout = Layout::proxied(5);
    let members = layout.start_all(&["--raft-read-mode", mode]);
    let l = leader(&members);
    let minority = [l, (l + 1) % 5];
    let majority: Vec<usize> = (0..5).filter(|i| !minority.contains(i)).collect();
    let history = History::new();
    let until = Instant::now() + Duration::from_secs(10);
    std::thread::scope(|s| {
        for id in 0..5u64 {
            let (h, ports) = (&history, &layout.clients);
            s.spawn(move || client(h, id, ports, until));
        }
        std::thread::sleep(Duration::from_secs(1));
        layout.partition(&[&minority, &majority]);
        // Long enough for the majority to elect a leader (election timeout 1.5-3 s).
        std::thread::sleep(Duration::from_secs(5));
        layout.heal();
    });
    drop(members);
    history
}

#[test]
fn linearizable_reads_keep_the_history_linearizable_across_a_partition() {
    let history = history_across_a_partition("linearizable");
    assert_linearizable(&history);
}

#[test]
fn local_reads_on_a_partitioned_old_leader_are_caught_by_the_checker() {
    // The cut-off old leader and its follower go on answering reads from copies the
    // majority has moved past.
    assert_caught(|| history_across_a_partition("local"));
}
