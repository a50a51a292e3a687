//! Client limits over real sockets: maxclients (plain and TLS), the idle timeout and who it
//! spares, proto-max-bulk-len, the normal class of client-output-buffer-limit, and CLIENT
//! KILL's filters.

use shoal_tests::tls_support::{Ca, Scratch};
use shoal_tests::{Raw, TestServer};
use std::io::Read;
use std::time::{Duration, Instant};

fn config_set(c: &mut redis::Connection, name: &str, value: &str) {
    let r: redis::RedisResult<()> = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(c);
    assert!(r.is_ok(), "CONFIG SET {name} {value}: {r:?}");
}

/// Reads everything until the server closes (or `limit` passes); (bytes, closed).
fn drain(raw: &mut Raw, limit: Duration) -> (usize, bool) {
    let deadline = Instant::now() + limit;
    let mut total = 0;
    let mut buf = vec![0u8; 64 * 1024];
    while Instant::now() < deadline {
        match raw.stream.read(&mut buf) {
            Ok(0) => return (total, true),
            Ok(n) => total += n,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return (total, true),
        }
    }
    (total, false)
}

#[test]
fn timeout_spares_subscribers_and_blocked_clients() {
    let s = TestServer::start();
    let mut c = s.client();
    config_set(&mut c, "timeout", "1");
    let mut idle = s.raw();
    let mut subscriber = s.raw();
    subscriber.send(b"SUBSCRIBE news\r\n");
    let confirmed = b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n";
    assert_eq!(subscriber.read_at_least(confirmed.len()), confirmed);
    let mut blocked = s.raw();
    blocked.send(b"BLPOP nothing-here 0\r\n");
    let (_, idle_closed) = drain(&mut idle, Duration::from_secs(4));
    assert!(idle_closed, "an idle client must be timed out");
    // By now (2+ timeouts later) the subscriber and the blocked client are still served.
    // (The idle control connection was timed out too: take a fresh one.)
    let mut c = s.client();
    let receivers: i64 = redis::cmd("PUBLISH")
        .arg("news")
        .arg("hello")
        .query(&mut c)
        .unwrap_or(0);
    assert_eq!(receivers, 1);
    let got = subscriber.read_at_least(30);
    assert!(
        String::from_utf8_lossy(&got).contains("hello"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    let _: i64 = redis::cmd("RPUSH")
        .arg("nothing-here")
        .arg("x")
        .query(&mut c)
        .unwrap_or(0);
    let got = blocked.read_at_least(20);
    assert!(String::from_utf8_lossy(&got).contains("nothing-here"));
}

#[test]
fn proto_max_bulk_len_refuses_a_larger_bulk_and_closes() {
    let s = TestServer::start();
    let mut c = s.client();
    config_set(&mut c, "proto-max-bulk-len", "1mb");
    let mut raw = s.raw();
    raw.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n");
    let expected = b"-ERR Protocol error: invalid bulk length\r\n";
    assert_eq!(raw.read_at_least(expected.len()), expected);
    assert!(raw.closed());
    // Exactly at the limit is fine.
    let mut ok = s.raw();
    let mut req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'v', 1_048_576));
    req.extend_from_slice(b"\r\n");
    ok.send(&req);
    assert_eq!(ok.read_at_least(5), b"+OK\r\n");
}

/// A client that pipelines GETs of a big value without reading replies.
fn flood_gets(s: &TestServer, count: usize) -> Raw {
    let mut raw = s.raw();
    let mut req = Vec::new();
    for _ in 0..count {
        req.extend_from_slice(b"GET big\r\n");
    }
    raw.send(&req);
    raw
}

#[test]
fn output_buffer_hard_limit_disconnects_a_client_that_does_not_read() {
    let s = TestServer::start();
    let mut c = s.client();
    let value = "v".repeat(100_000);
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&value)
        .query(&mut c)
        .unwrap_or_default();
    config_set(&mut c, "client-output-buffer-limit", "normal 1mb 0 0");
    // 200 replies of 100 kB: 20 MB, far over the 1 MB hard limit.
    let mut flood = flood_gets(&s, 200);
    std::thread::sleep(Duration::from_millis(300));
    let (got, closed) = drain(&mut flood, Duration::from_secs(5));
    assert!(closed, "the client must be disconnected");
    assert!(got < 2_000_000, "got {got} bytes");
    // Others are still served, and a reader under the limit is not cut off.
    let v: String = redis::cmd("GET")
        .arg("big")
        .query(&mut c)
        .unwrap_or_default();
    assert_eq!(v.len(), 100_000);
}

#[test]
fn output_buffer_soft_limit_disconnects_after_its_seconds() {
    let s = TestServer::start();
    let mut c = s.client();
    let value = "v".repeat(100_000);
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&value)
        .query(&mut c)
        .unwrap_or_default();
    config_set(&mut c, "client-output-buffer-limit", "normal 0 1mb 1");
    // 40 MB of replies: more than the loopback socket buffers hold, so the write stalls
    // above the soft limit until the second passes.
    let mut flood = flood_gets(&s, 400);
    std::thread::sleep(Duration::from_millis(2_500));
    let (got, closed) = drain(&mut flood, Duration::from_secs(5));
    assert!(closed, "the client must be disconnected");
    assert!(got < 40_000_000, "got {got} bytes");
    // A client that reads its replies at once is not affected by the soft limit.
    let mut reader = s.raw();
    let mut req = Vec::new();
    for _ in 0..30 {
        req.extend_from_slice(b"GET big\r\n");
    }
    reader.send(&req);
    let got = reader.read_at_least(30 * 100_011);
    assert_eq!(got.len(), 30 * 100_011);
}

#[test]
fn maxclients_refuses_the_extra_tls_client() {
    let dir = Scratch::new("limits-tls");
    let ca = Ca::new("Shoal Test CA");
    let leaf = ca.server();
    let cert = dir.write("s.crt", &leaf.cert);
    let key = dir.write("s.key", &leaf.key);
    let s = TestServer::start_tls(&[
        ("tls-cert-file", &cert),
        ("tls-key-file", &key),
        ("tls-auth-clients", "no"),
        ("maxclients", "1"),
    ]);
    let _first = match s.tls_client(&ca.pem(), None) {
        Ok(c) => c,
        Err(e) => panic!("first client refused: {e}"),
    };
    let text = raw_tls_read(s.tls_port(), &ca.pem());
    assert_eq!(text, "-ERR max number of clients reached\r\n");
}

/// Opens a TLS session to `port` trusting `ca_pem`, reads until the server closes.
fn raw_tls_read(port: u16, ca_pem: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()).flatten() {
        let _ = roots.add(cert);
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    let config = match config {
        Ok(c) => std::sync::Arc::new(c),
        Err(e) => panic!("client config: {e}"),
    };
    let name = rustls::pki_types::ServerName::try_from("localhost").map(|n| n.to_owned());
    let conn = match name.map(|n| rustls::ClientConnection::new(config, n)) {
        Ok(Ok(c)) => c,
        _ => panic!("client connection"),
    };
    let tcp = match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(t) => t,
        Err(e) => panic!("connect: {e}"),
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn client_list_addr(raw: &mut Raw) -> (String, String) {
    let reply = raw.roundtrip(b"CLIENT INFO\r\n", b"$");
    let text = String::from_utf8_lossy(&reply).into_owned();
    let field = |name: &str| {
        text.split_whitespace()
            .find_map(|f| f.strip_prefix(&format!("{name}=")))
            .unwrap_or_default()
            .to_string()
    };
    (field("addr"), field("laddr"))
}

#[test]
fn client_kill_by_addr_laddr_type_and_maxage() {
    let s = TestServer::start();
    let mut c = s.client();
    let kill = |c: &mut redis::Connection, args: &[&str]| -> i64 {
        let mut cmd = redis::cmd("CLIENT");
        cmd.arg("KILL");
        for a in args {
            cmd.arg(*a);
        }
        cmd.query(c).unwrap_or(-1)
    };
    let mut a = s.raw();
    let (addr, laddr) = client_list_addr(&mut a);
    assert_eq!(kill(&mut c, &["ADDR", &addr]), 1);
    assert!(a.closed());
    let mut b = s.raw();
    let _ = client_list_addr(&mut b);
    // LADDR matches every client of this listener; SKIPME keeps the caller.
    assert_eq!(kill(&mut c, &["LADDR", &laddr, "SKIPME", "yes"]), 1);
    assert!(b.closed());
    let mut sub = s.raw();
    sub.send(b"SUBSCRIBE x\r\n");
    let _ = sub.read_at_least(20);
    let mut normal = s.raw();
    assert_eq!(normal.roundtrip(b"PING\r\n", b"+PONG\r\n"), b"+PONG\r\n");
    assert_eq!(kill(&mut c, &["TYPE", "pubsub"]), 1);
    assert!(sub.closed());
    assert_eq!(kill(&mut c, &["MAXAGE", "3600"]), 0);
    assert_eq!(normal.roundtrip(b"PING\r\n", b"+PONG\r\n"), b"+PONG\r\n");
}
