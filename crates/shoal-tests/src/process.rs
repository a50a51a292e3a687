//! The `shoal-server` binary run as a child process, for what only a real process shows:
//! signals, restarts, crashes and command-line tools.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `shoal-server` binary of this build, built on first use (the test suites of one
/// package do not get another package's binaries built for them).
pub fn server_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "shoal-server",
                "--bin",
                "shoal-server",
            ])
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "cannot build shoal-server"
        );
        // Tests run from target/<profile>/deps/; the binary sits in target/<profile>/.
        let exe = std::env::current_exe().unwrap_or_default();
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        profile_dir.join("shoal-server")
    })
    .clone()
}

/// Runs `shoal-server` with `args` to completion (for tools such as `--check-rdb`).
pub fn run_server_tool(args: &[&str]) -> Output {
    match Command::new(server_binary()).args(args).output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run shoal-server: {e}"),
    }
}

/// A `shoal-server` process on a free loopback port, killed on drop.
pub struct ServerProcess {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl ServerProcess {
    /// Starts the server with `--port <free> --bind 127.0.0.1` and `args`, and waits until
    /// it accepts connections.
    pub fn start(args: &[&str]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(0);
        let child = Command::new(server_binary())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => panic!("cannot start shoal-server: {e}"),
        };
        let mut server = ServerProcess { child, port };
        let up = crate::eventually(Duration::from_secs(30), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        if !up {
            let _ = server.child.kill();
            panic!("shoal-server did not start on port {port}");
        }
        server
    }

    /// A RESP2 client.
    pub fn client(&self) -> redis::Connection {
        crate::connect(&format!("redis://127.0.0.1:{}/", self.port))
    }

    /// Sends SIGTERM and waits (up to 30 s) for the process to exit.
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait_exit(Duration::from_secs(30))
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
