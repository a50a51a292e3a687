//! Blocking commands over TCP: clients wait without holding a thread, are served in arrival
//! order, time out, and never take data after they hang up.

use shoal_tests::{eventually, TestServer};
use std::time::Duration;

fn blocked(c: &mut redis::Connection) -> i64 {
    let info: String = redis::cmd("INFO")
        .arg("clients")
        .query(c)
        .unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

fn wait_blocked(c: &mut redis::Connection, n: i64) {
    assert!(
        eventually(Duration::from_secs(10), || blocked(c) == n),
        "expected {n} blocked clients"
    );
}

#[test]
fn blpop_waits_until_another_client_pushes() {
    let s = TestServer::start();
    let mut waiter = s.client();
    let t = std::thread::spawn(move || {
        redis::cmd("BLPOP")
            .arg("q")
            .arg(0)
            .query::<(String, String)>(&mut waiter)
            .ok()
    });
    let mut c = s.client();
    wait_blocked(&mut c, 1);
    let _: i64 = redis::cmd("RPUSH")
        .arg("q")
        .arg("job")
        .query(&mut c)
        .unwrap_or(0);
    assert_eq!(
        t.join().ok().flatten(),
        Some(("q".to_string(), "job".to_string()))
    );
    wait_blocked(&mut c, 0);
    assert_eq!(
        redis::cmd("LLEN").arg("q").query::<i64>(&mut c).ok(),
        Some(0)
    );
}

#[test]
fn blocked_clients_are_served_in_arrival_order() {
    let s = TestServer::start();
    let mut c = s.client();
    let mut threads = Vec::new();
    for i in 0..3 {
        let mut waiter = s.client();
        threads.push(std::thread::spawn(move || {
            redis::cmd("BLPOP")
                .arg("q")
                .arg(0)
                .query::<(String, String)>(&mut waiter)
                .ok()
        }));
        wait_blocked(&mut c, i + 1);
    }
    let _: i64 = redis::cmd("RPUSH")
        .arg("q")
        .arg("a")
        .arg("b")
        .arg("c")
        .query(&mut c)
        .unwrap_or(0);
    let got: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().ok().flatten().map(|(_, v)| v).unwrap_or_default())
        .collect();
    assert_eq!(got, vec!["a", "b", "c"]);
}

#[test]
fn blpop_times_out_with_a_null_reply() {
    let s = TestServer::start();
    let mut c = s.client();
    let v: redis::Value = redis::cmd("BLPOP")
        .arg("none")
        .arg("0.05")
        .query(&mut c)
        .unwrap_or(redis::Value::Okay);
    assert_eq!(v, redis::Value::Nil);
    assert_eq!(blocked(&mut c), 0);
}

#[test]
fn a_client_that_hangs_up_while_blocked_takes_nothing() {
    let s = TestServer::start();
    let mut c = s.client();
    {
        let mut raw = s.raw();
        raw.send(b"BLPOP q 0\r\n");
        wait_blocked(&mut c, 1);
    }
    wait_blocked(&mut c, 0);
    let _: i64 = redis::cmd("RPUSH")
        .arg("q")
        .arg("x")
        .query(&mut c)
        .unwrap_or(0);
    assert_eq!(
        redis::cmd("LLEN").arg("q").query::<i64>(&mut c).ok(),
        Some(1)
    );
}

#[test]
fn blmove_moves_once_data_arrives_and_replicates_as_lmove() {
    let s = TestServer::start();
    let effects = s.engine.subscribe_effects();
    let mut waiter = s.client();
    let t = std::thread::spawn(move || {
        redis::cmd("BLMOVE")
            .arg("src")
            .arg("dst")
            .arg("LEFT")
            .arg("RIGHT")
            .arg(0)
            .query::<String>(&mut waiter)
            .ok()
    });
    let mut c = s.client();
    wait_blocked(&mut c, 1);
    let _: i64 = redis::cmd("LPUSH")
        .arg("src")
        .arg("v")
        .query(&mut c)
        .unwrap_or(0);
    assert_eq!(t.join().ok().flatten().as_deref(), Some("v"));
    assert_eq!(
        redis::cmd("LRANGE")
            .arg("dst")
            .arg(0)
            .arg(-1)
            .query::<Vec<String>>(&mut c)
            .ok(),
        Some(vec!["v".to_string()])
    );
    let names: Vec<String> = effects
        .try_iter()
        .map(|e| String::from_utf8_lossy(&e.args[0]).to_ascii_uppercase())
        .collect();
    assert_eq!(names, vec!["LPUSH", "LMOVE"]);
}

#[test]
fn commands_pipelined_after_a_blocking_one_run_after_it_is_served() {
    let s = TestServer::start();
    let mut raw = s.raw();
    raw.send(b"BLPOP q 0\r\nPING\r\n");
    let mut c = s.client();
    wait_blocked(&mut c, 1);
    let _: i64 = redis::cmd("RPUSH")
        .arg("q")
        .arg("x")
        .query(&mut c)
        .unwrap_or(0);
    let expected = b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n+PONG\r\n";
    assert_eq!(raw.read_at_least(expected.len()), expected);
}

#[test]
fn rename_and_swapdb_onto_a_waited_key_serve_the_waiter() {
    let s = TestServer::start();
    let mut c = s.client();
    let mut w1 = s.client();
    let t1 = std::thread::spawn(move || {
        redis::cmd("BLPOP")
            .arg("dst")
            .arg(0)
            .query::<(String, String)>(&mut w1)
            .ok()
    });
    wait_blocked(&mut c, 1);
    let _: i64 = redis::cmd("RPUSH")
        .arg("src")
        .arg("r")
        .query(&mut c)
        .unwrap_or(0);
    let _: () = redis::cmd("RENAME")
        .arg("src")
        .arg("dst")
        .query(&mut c)
        .unwrap_or_default();
    assert_eq!(
        t1.join().ok().flatten().map(|(_, v)| v).as_deref(),
        Some("r")
    );

    let mut w2 = s.client();
    let t2 = std::thread::spawn(move || {
        let _: () = redis::cmd("SELECT")
            .arg(1)
            .query(&mut w2)
            .unwrap_or_default();
        redis::cmd("BLPOP")
            .arg("q")
            .arg(0)
            .query::<(String, String)>(&mut w2)
            .ok()
    });
    wait_blocked(&mut c, 1);
    let _: i64 = redis::cmd("RPUSH")
        .arg("q")
        .arg("swapped")
        .query(&mut c)
        .unwrap_or(0);
    let _: () = redis::cmd("SWAPDB")
        .arg(0)
        .arg(1)
        .query(&mut c)
        .unwrap_or_default();
    assert_eq!(
        t2.join().ok().flatten().map(|(_, v)| v).as_deref(),
        Some("swapped")
    );
}

#[test]
fn client_unblock_answers_the_timeout_reply_or_an_error() {
    let s = TestServer::start();
    let mut c = s.client();
    let mut w = s.client();
    let id: i64 = redis::cmd("CLIENT").arg("ID").query(&mut w).unwrap_or(0);
    let t = std::thread::spawn(move || {
        redis::cmd("BLPOP")
            .arg("q")
            .arg(0)
            .query::<redis::Value>(&mut w)
            .map_err(|e| e.to_string())
    });
    wait_blocked(&mut c, 1);
    let n: i64 = redis::cmd("CLIENT")
        .arg("UNBLOCK")
        .arg(id)
        .arg("ERROR")
        .query(&mut c)
        .unwrap_or(0);
    assert_eq!(n, 1);
    let reply = t.join().ok();
    assert!(
        matches!(&reply, Some(Err(e)) if e.contains("UNBLOCKED")),
        "{reply:?}"
    );
    let n: i64 = redis::cmd("CLIENT")
        .arg("UNBLOCK")
        .arg(id)
        .query(&mut c)
        .unwrap_or(-1);
    assert_eq!(n, 0);
}

#[test]
fn bzpopmin_waits_for_zadd_and_replicates_as_zpopmin() {
    let s = TestServer::start();
    let effects = s.engine.subscribe_effects();
    let mut waiter = s.client();
    let t = std::thread::spawn(move || {
        redis::cmd("BZPOPMIN")
            .arg("z")
            .arg(0)
            .query::<(String, String, f64)>(&mut waiter)
            .ok()
    });
    let mut c = s.client();
    wait_blocked(&mut c, 1);
    let _: i64 = redis::cmd("ZADD")
        .arg("z")
        .arg(2)
        .arg("b")
        .arg(1)
        .arg("a")
        .query(&mut c)
        .unwrap_or(0);
    assert_eq!(t.join().ok().flatten(), Some(("z".into(), "a".into(), 1.0)));
    let names: Vec<String> = effects
        .try_iter()
        .map(|e| String::from_utf8_lossy(&e.args[0]).to_ascii_uppercase())
        .collect();
    assert_eq!(names, vec!["ZADD", "ZPOPMIN"]);
}
