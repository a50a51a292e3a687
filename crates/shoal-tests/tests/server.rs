//! Connection and server behaviour over TCP: QUIT, CLIENT KILL, SHUTDOWN, limits, RESP3.

use shoal_engine::Engine;
use shoal_tests::{eventually, TestServer};
use std::time::Duration;

#[test]
fn quit_replies_ok_then_closes() {
    let s = TestServer::start();
    let mut raw = s.raw();
    assert_eq!(raw.roundtrip(b"QUIT\r\n", b"+OK\r\n"), b"+OK\r\n");
    assert!(raw.closed());
}

#[test]
fn client_kill_by_id_closes_the_other_connection() {
    let s = TestServer::start();
    let mut victim = s.raw();
    let id_reply = victim.roundtrip(b"CLIENT ID\r\n", b":1\r\n");
    let id = String::from_utf8_lossy(&id_reply)
        .trim()
        .trim_start_matches(':')
        .to_string();
    let mut c = s.client();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(&id)
        .query(&mut c)
        .unwrap_or(0);
    assert_eq!(killed, 1);
    assert!(victim.closed());
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut c)
        .unwrap_or_default();
    assert!(!list.contains(&format!("id={id} ")), "{list}");
}

#[test]
fn client_list_shows_the_peer_address_and_name() {
    let s = TestServer::start();
    let mut c = s.client();
    let _: () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("worker-1")
        .query(&mut c)
        .unwrap_or_default();
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut c)
        .unwrap_or_default();
    assert!(list.contains("name=worker-1"), "{list}");
    assert!(list.contains("addr=127.0.0.1:"), "{list}");
    assert!(list.contains(&format!("laddr={}", s.addr())), "{list}");
}

#[test]
fn shutdown_stops_the_server() {
    let s = TestServer::with_engine(Engine::new());
    let mut raw = s.raw();
    raw.send(b"SHUTDOWN NOSAVE\r\n");
    assert!(raw.closed());
    let addr = s.addr();
    let stopped = eventually(Duration::from_secs(5), || {
        std::net::TcpStream::connect(addr).is_err()
    });
    assert!(stopped, "server still accepts connections after SHUTDOWN");
}

#[test]
fn maxclients_refuses_the_extra_client_with_redis_error() {
    let s = TestServer::start();
    let mut c = s.client();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxclients")
        .arg(1)
        .query(&mut c)
        .unwrap_or_default();
    let mut extra = s.raw();
    let expected = b"-ERR max number of clients reached\r\n";
    assert_eq!(extra.read_at_least(expected.len()), expected);
    assert!(extra.closed());
}

#[test]
fn query_buffer_limit_closes_a_flooding_client() {
    let s = TestServer::start();
    let mut c = s.client();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("client-query-buffer-limit")
        .arg("1mb")
        .query(&mut c)
        .unwrap_or_default();
    let mut flood = s.raw();
    flood.send(b"*2\r\n$3\r\nGET\r\n$4000000\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..24 {
        if flood.stream_write(&chunk).is_err() {
            break;
        }
    }
    assert!(flood.closed());
    let pong: String = redis::cmd("PING").query(&mut c).unwrap_or_default();
    assert_eq!(pong, "PONG");
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let s = TestServer::start();
    let mut c = s.client();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("timeout")
        .arg(1)
        .query(&mut c)
        .unwrap_or_default();
    let mut idle = s.raw();
    assert!(eventually(Duration::from_secs(5), || idle.closed()));
}

#[test]
fn hello_3_switches_to_resp3_maps() {
    let s = TestServer::start();
    let mut raw = s.raw();
    let reply = raw.roundtrip(b"HELLO 3\r\n", b"%7\r\n");
    assert!(
        reply.starts_with(b"%7\r\n"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    let reply = raw.roundtrip(b"CONFIG GET hz\r\n", b"%1\r\n$2\r\nhz\r\n$2\r\n10\r\n");
    assert_eq!(reply, b"%1\r\n$2\r\nhz\r\n$2\r\n10\r\n");
    let mut c3 = s.client3();
    let v: redis::Value = redis::cmd("CONFIG")
        .arg("GET")
        .arg("port")
        .query(&mut c3)
        .unwrap_or(redis::Value::Nil);
    assert!(matches!(v, redis::Value::Map(_)), "{v:?}");
}

#[test]
fn info_reports_the_instantaneous_command_rate() {
    let s = TestServer::start();
    let mut c = s.client();
    let busy = eventually(Duration::from_secs(10), || {
        for _ in 0..200 {
            let _: String = redis::cmd("PING").query(&mut c).unwrap_or_default();
        }
        let info: String = redis::cmd("INFO")
            .arg("stats")
            .query(&mut c)
            .unwrap_or_default();
        info.lines()
            .find_map(|l| l.strip_prefix("instantaneous_ops_per_sec:"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|v| v > 0)
    });
    assert!(busy, "instantaneous_ops_per_sec stayed at 0 under load");
}

#[test]
fn the_server_binary_serves_clients_on_io_threads_threads() {
    // Regression: the binary ran one worker per core, whatever `io-threads` said.
    let s = shoal_tests::process::ServerProcess::start(&["--io-threads", "3"])
        .unwrap_or_else(|| panic!("the server did not start"));
    let mut c = s.client();
    let pong: String = redis::cmd("PING").query(&mut c).unwrap_or_default();
    assert_eq!(pong, "PONG");
    let named = std::fs::read_dir(format!("/proc/{}/task", s.pid()))
        .map(|tasks| {
            tasks
                .flatten()
                .filter(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|name| name.trim() == "shoal-net")
                })
                .count()
        })
        .unwrap_or(0);
    // Its blocking threads carry the name too.
    assert!(named >= 3, "{named} threads named shoal-net");
}
