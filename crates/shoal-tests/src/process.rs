//! A `shoal-server` running as a child process, for tests that must signal it (SIGTERM,
//! SIGKILL), restart it on the same data directory, or run its command-line tools.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A `shoal-server` child process on a loopback port, killed on drop.
pub struct ServerProcess {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

/// The `shoal-server` binary of this build, built once per test run with the same profile
/// and target directory as the running test (it is not a dependency cargo builds for us).
pub fn server_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
        // <target>/<profile>/deps/<test binary>
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .unwrap_or_else(|| panic!("unexpected test binary location {}", exe.display()))
            .to_path_buf();
        let target = profile_dir.parent().map(PathBuf::from).unwrap_or_default();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args([
                "build",
                "--quiet",
                "-p",
                "shoal-server",
                "--bin",
                "shoal-server",
            ])
            .arg("--target-dir")
            .arg(&target);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        match build.status() {
            Ok(s) if s.success() => {}
            other => panic!("building shoal-server failed: {other:?}"),
        }
        profile_dir.join("shoal-server")
    })
    .clone()
}

/// Runs `shoal-server` with `args` to completion (tools such as `--check-rdb`).
pub fn run_server_tool(args: &[&str]) -> std::process::Output {
    Command::new(server_binary())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run shoal-server: {e}"))
}

/// A free port on 127.0.0.1 (free when asked; a race with other processes is unlikely).
pub fn free_port() -> u16 {
    // Below the kernel's ephemeral range (32768 and up), so no outgoing connection can
    // take the port between now and the server binding it; each port handed out once per
    // process, starting from a place that differs between processes.
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        (std::process::id().wrapping_mul(7919) ^ now_nanos()) % SPAN,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..SPAN {
        let port = (LOW + NEXT.fetch_add(1, Ordering::SeqCst) % SPAN) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

fn now_nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

impl ServerProcess {
    /// Starts `shoal-server --port <free> --bind 127.0.0.1 <args>` and waits until it
    /// accepts connections. None if it exited first (start-up refused, e.g. a bad AOF).
    pub fn start(args: &[&str]) -> Option<ServerProcess> {
        ServerProcess::start_on(free_port(), args)
    }

    /// Like [`ServerProcess::start`], on a port chosen by the caller (a member of a group
    /// whose peers must know it in advance, or a restart on the same port).
    pub fn start_on(port: u16, args: &[&str]) -> Option<ServerProcess> {
        let child = Command::new(server_binary())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(args)
            // SHOAL_TEST_RUST_LOG=debug (or a filter) raises the servers' log level.
            .env(
                "RUST_LOG",
                std::env::var("SHOAL_TEST_RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::null())
            // SHOAL_TEST_SERVER_LOG=1 shows the servers' logs.
            .stderr(if std::env::var_os("SHOAL_TEST_SERVER_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start shoal-server: {e}"));
        let mut server = ServerProcess { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() && server.loaded(deadline) {
                return Some(server);
            }
            if let Ok(Some(_)) = server.child.try_wait() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("shoal-server did not start on port {port}");
    }

    /// Waits (until `deadline`) for the data to be loaded: the server listens while it
    /// loads and answers -LOADING meanwhile.
    fn loaded(&self, deadline: Instant) -> bool {
        let Ok(mut con) = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .and_then(|c| c.get_connection())
        else {
            return false;
        };
        while Instant::now() < deadline {
            match redis::cmd("PING").query::<String>(&mut con) {
                Err(e) if e.code() == Some("LOADING") => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => return true,
            }
        }
        false
    }

    /// The process id (to pause it with SIGSTOP, say).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A RESP2 client.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .and_then(|c| c.get_connection())
            .unwrap_or_else(|e| panic!("connect to port {}: {e}", self.port))
    }

    /// Waits up to `timeout` for the process to exit by itself (after SHUTDOWN); true if
    /// it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Sends SIGTERM and waits up to 30 s for the process to exit; true if it did.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait_exit(Duration::from_secs(30))
    }

    /// Kills the process with SIGKILL (no chance to flush anything) and reaps it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
