//! Raft groups of real server processes on loopback: a group forms, its leader takes
//! writes, and followers redirect writes to it as configured.

use redis::Connection;
use shoal_tests::eventually;
use shoal_tests::process::{free_port, ServerProcess};
use std::time::Duration;

const ELECT: Duration = Duration::from_secs(30);

/// A group's fixed layout: client and Raft ports, data directories.
struct Layout {
    clients: Vec<u16>,
    peers: String,
    dirs: Vec<std::path::PathBuf>,
}

impl Layout {
    fn new(n: usize) -> Layout {
        static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let clients: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let peers = clients
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}@127.0.0.1:{},127.0.0.1:{c}", i + 1, free_port()))
            .collect::<Vec<_>>()
            .join(" ");
        let dirs = (0..n)
            .map(|i| {
                let d = std::env::temp_dir()
                    .join(format!("shoal-raft-it-{}-{seq}-{i}", std::process::id()));
                let _ = std::fs::remove_dir_all(&d);
                std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
                d
            })
            .collect();
        Layout {
            clients,
            peers,
            dirs,
        }
    }

    fn start(&self, i: usize, extra: &[&str]) -> ServerProcess {
        let id = (i + 1).to_string();
        let dir = self.dirs[i].display().to_string();
        let raft_dir = self.dirs[i].join("raft").display().to_string();
        let mut args = vec![
            "--save",
            "",
            "--dir",
            dir.as_str(),
            "--raft-node-id",
            id.as_str(),
            "--raft-peers",
            self.peers.as_str(),
            "--raft-dir",
            raft_dir.as_str(),
        ];
        args.extend_from_slice(extra);
        ServerProcess::start_on(self.clients[i], &args)
            .unwrap_or_else(|| panic!("member {id} exited at start-up"))
    }

    fn start_all(&self, extra: &[&str]) -> Vec<Option<ServerProcess>> {
        (0..self.clients.len())
            .map(|i| Some(self.start(i, extra)))
            .collect()
    }
}

impl Drop for Layout {
    fn drop(&mut self) {
        for d in &self.dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// The index of the member that accepts writes, once one does.
fn leader(members: &[Option<ServerProcess>]) -> usize {
    let mut found = None;
    let ok = eventually(ELECT, || {
        for (i, m) in members.iter().enumerate() {
            let Some(m) = m else { continue };
            // During an election a member may close a connection whose outcome it
            // cannot vouch for: try again.
            let Ok(mut c) = redis::Client::open(format!("redis://127.0.0.1:{}/", m.port))
                .and_then(|c| c.get_connection())
            else {
                continue;
            };
            let r: redis::RedisResult<String> = redis::cmd("SET").arg("probe").arg(i).query(&mut c);
            if r.is_ok() {
                found = Some(i);
                return true;
            }
        }
        false
    });
    assert!(ok, "no member accepted writes");
    found.unwrap_or_default()
}

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
