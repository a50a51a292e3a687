//! Test support for Shoal's integration suites: start a real server on an ephemeral loopback
//! port, connect real clients to it, talk raw RESP, and find a reference `redis-server`.

pub mod cachetrace;
pub mod dataset;
pub mod group;
pub mod linearizability;
pub mod process;
pub mod proxy;
pub mod tls_support;
pub mod workload;

use shoal_engine::Engine;
use shoal_server::ServerHandle;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Shoal server on `127.0.0.1:0` with default configuration.
pub struct TestServer {
    /// The running server; dropped last.
    pub handle: ServerHandle,
    /// The engine it serves.
    pub engine: Engine,
}

impl TestServer {
    /// Starts a server with default configuration.
    pub fn start() -> TestServer {
        // No save points: a long test must not leave a dump.rdb in the working directory.
        let config = shoal_engine::Config::new();
        let _ = config.set_startup("save", "");
        Self::with_engine(Engine::with_options(shoal_engine::EngineOptions {
            config,
            ..Default::default()
        }))
    }

    /// Starts a server for `engine`.
    pub fn with_engine(engine: Engine) -> TestServer {
        engine.start_background();
        let handle = match ServerHandle::start(engine.clone(), "127.0.0.1:0") {
            Ok(h) => h,
            Err(e) => panic!("cannot start the test server: {e}"),
        };
        TestServer { handle, engine }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// A redis-rs client speaking RESP2.
    pub fn client(&self) -> redis::Connection {
        connect(&format!("redis://{}/", self.addr()))
    }

    /// A redis-rs client speaking RESP3.
    pub fn client3(&self) -> redis::Connection {
        connect(&format!("redis://{}/?protocol=resp3", self.addr()))
    }

    /// A raw TCP connection for protocol-level tests.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.addr())
    }
}

fn connect(url: &str) -> redis::Connection {
    let client = match redis::Client::open(url) {
        Ok(c) => c,
        Err(e) => panic!("bad url {url}: {e}"),
    };
    match client.get_connection() {
        Ok(c) => c,
        Err(e) => panic!("cannot connect to {url}: {e}"),
    }
}

/// A raw socket with a read deadline.
pub struct Raw {
    /// The socket.
    pub stream: TcpStream,
}

impl Raw {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = match TcpStream::connect(addr) {
            Ok(s) => s,
            Err(e) => panic!("connect {addr}: {e}"),
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
        Raw { stream }
    }

    /// Sends bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        if let Err(e) = self.stream.write_all(bytes) {
            panic!("send: {e}");
        }
    }

    /// Writes bytes, reporting failure (the server may have closed the connection).
    pub fn stream_write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads until `expected` bytes arrived, the peer closed, or 5 s passed.
    pub fn read_at_least(&mut self, expected: usize) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while out.len() < expected && Instant::now() < deadline {
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => break,
            }
        }
        out
    }

    /// Sends `request` and reads the reply up to the expected length.
    pub fn roundtrip(&mut self, request: &[u8], expected: &[u8]) -> Vec<u8> {
        self.send(request);
        self.read_at_least(expected.len())
    }

    /// True once the server closed the connection (polls up to 5 s).
    pub fn closed(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return true,
            }
        }
        false
    }
}

/// A `redis-server` started for differential tests, killed on drop.
pub struct RedisServer {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port without persistence, or returns None
    /// (with a message) when it is not installed.
    pub fn start() -> Option<RedisServer> {
        Self::start_with(&[])
    }

    /// Like [`RedisServer::start`], with more arguments after the defaults (a later
    /// directive overrides an earlier one, e.g. `--appendonly yes`, `--dir`). Waits until
    /// it answers PING (not LOADING); None if it is not installed or exits first.
    pub fn start_with(extra: &[&str]) -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(_) => {
                eprintln!("redis-server is not installed: skipping the differential test");
                return None;
            }
        };
        let mut server = RedisServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let ping = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
                .and_then(|c| c.get_connection())
                .and_then(|mut con| redis::cmd("PING").query::<String>(&mut con));
            if ping.is_ok() {
                return Some(server);
            }
            if let Ok(Some(_)) = server.child.try_wait() {
                eprintln!("redis-server exited at start-up");
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("redis-server did not start: skipping the differential test");
        None
    }

    /// A RESP2 client.
    pub fn client(&self) -> redis::Connection {
        connect(&format!("redis://127.0.0.1:{}/", self.port))
    }

    /// A RESP3 client.
    pub fn client3(&self) -> redis::Connection {
        connect(&format!("redis://127.0.0.1:{}/?protocol=resp3", self.port))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command given as words, panicking (with the command) on an error reply.
pub fn query(con: &mut redis::Connection, args: &[String]) -> redis::Value {
    let mut c = redis::cmd(&args[0]);
    for a in &args[1..] {
        c.arg(a.as_str());
    }
    c.query(con)
        .unwrap_or_else(|e| panic!("{:?}: {e}", args.join(" ")))
}

/// A command line split on single spaces.
pub fn words(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

/// Polls `cond` until it holds or `timeout` passes; returns whether it held.
pub fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The contents of `key` (its type, then its value in an order-independent form), to
/// compare one key across two servers.
pub fn key_contents(con: &mut redis::Connection, key: &str) -> String {
    let t: String = redis::cmd("TYPE").arg(key).query(con).unwrap_or_default();
    let mut q = |c: &[&str]| -> redis::Value {
        let mut q = redis::cmd(c[0]);
        c[1..].iter().for_each(|a| {
            q.arg(*a);
        });
        q.query(con).unwrap_or(redis::Value::Nil)
    };
    let sorted = |v: redis::Value| {
        let mut items: Vec<String> = match v {
            redis::Value::Array(a) | redis::Value::Set(a) => {
                a.iter().map(|x| format!("{x:?}")).collect()
            }
            other => vec![format!("{other:?}")],
        };
        items.sort();
        items.join(",")
    };
    let body = match t.as_str() {
        "string" => format!("{:?}", q(&["GET", key])),
        "list" => format!("{:?}", q(&["LRANGE", key, "0", "-1"])),
        "set" => sorted(q(&["SMEMBERS", key])),
        "hash" => sorted(q(&["HGETALL", key])),
        "zset" => {
            let flat: Vec<String> = redis::cmd("ZRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES")
                .query(con)
                .unwrap_or_default();
            // Redis 7.0 prints scores with 17 digits, Shoal (as 7.2) the shortest form.
            let norm: Vec<String> = flat
                .chunks(2)
                .map(|p| format!("{}={:?}", p[0], p[1].parse::<f64>().ok()))
                .collect();
            norm.join(",")
        }
        "none" => String::new(),
        other => panic!("unexpected type {other} for {key}"),
    };
    format!("{t}:{body}")
}
