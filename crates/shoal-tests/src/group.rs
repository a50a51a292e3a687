//! Raft groups of real processes on loopback for tests: a fixed layout of client and Raft
//! ports and data directories, members started and restarted on it, and the leader found.

use crate::eventually;
use crate::process::{free_port, ServerProcess};
use crate::proxy::Proxy;
use std::time::Duration;

/// How long a group may take to elect a leader or converge.
pub const ELECT: Duration = Duration::from_secs(30);

/// A group's fixed layout: client and Raft ports, data directories.
pub struct Layout {
    /// Client ports, by member index (member id is index + 1).
    pub clients: Vec<u16>,
    /// Raft ports, by member index.
    pub rafts: Vec<u16>,
    /// How many members the group starts with; the others join later.
    pub initial: usize,
    /// With [`Layout::proxied`]: a proxy in front of each member's Raft port.
    proxies: Vec<Proxy>,
    peers: String,
    dirs: Vec<std::path::PathBuf>,
}

impl Layout {
    /// `n` members' ports and fresh directories.
    pub fn new(n: usize) -> Layout {
        Layout::with_spares(n, 0)
    }

    /// `n` founding members and `spares` more that start outside the group, to be added
    /// with `RAFT ADD` ([`Layout::add_args`]).
    pub fn with_spares(n: usize, spares: usize) -> Layout {
        Layout::build(n, spares, false)
    }

    /// `n` members whose Raft traffic passes through proxies, so the test can partition
    /// them ([`Layout::partition`]). Member `i` sends from 127.0.0.(10 + i)
    /// (`bind-source-addr`), which is how the proxies tell the senders apart.
    pub fn proxied(n: usize) -> Layout {
        Layout::build(n, 0, true)
    }

    fn build(n: usize, spares: usize, proxied: bool) -> Layout {
        static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let clients: Vec<u16> = (0..n + spares).map(|_| free_port()).collect();
        let rafts: Vec<u16> = (0..n + spares).map(|_| free_port()).collect();
        let proxies: Vec<Proxy> = if proxied {
            rafts.iter().map(|r| Proxy::start(*r)).collect()
        } else {
            Vec::new()
        };
        let advertised = |i: usize| proxies.get(i).map_or(rafts[i], |p| p.port);
        let peers = (0..n)
            .map(|i| {
                format!(
                    "{}@127.0.0.1:{},127.0.0.1:{}",
                    i + 1,
                    advertised(i),
                    clients[i]
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        let n = n + spares;
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
            rafts,
            initial: n - spares,
            proxies,
            peers,
            dirs,
        }
    }

    /// The address member `i` sends its Raft traffic from.
    fn source(i: usize) -> std::net::IpAddr {
        std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 10 + i as u8))
    }

    /// Splits a proxied group: members on different sides stop hearing each other (their
    /// messages are dropped, as a network partition does). Members in no side keep
    /// hearing everyone.
    pub fn partition(&self, sides: &[&[usize]]) {
        let side_of = |i: usize| sides.iter().position(|s| s.contains(&i));
        for (to, proxy) in self.proxies.iter().enumerate() {
            for from in 0..self.proxies.len() {
                let apart = matches!((side_of(from), side_of(to)), (Some(a), Some(b)) if a != b);
                proxy.drop_from(Layout::source(from), apart);
            }
        }
    }

    /// Puts member `i` of a proxied group behind a slow network: what reaches it, and its
    /// answers, are held back by `delay` (zero ends it).
    pub fn slow_down(&self, i: usize, delay: Duration) {
        self.proxies[i].delay(delay);
    }

    /// Ends every partition.
    pub fn heal(&self) {
        self.partition(&[]);
    }

    /// `RAFT ADD` for member `i`: its id and addresses.
    pub fn add_args(&self, i: usize) -> Vec<String> {
        let raft = self.proxies.get(i).map_or(self.rafts[i], |p| p.port);
        vec![
            "ADD".into(),
            (i + 1).to_string(),
            format!("127.0.0.1:{raft}"),
            format!("127.0.0.1:{}", self.clients[i]),
        ]
    }

    /// Starts member `i` (again, after a kill: same ports, same `raft-dir`).
    pub fn start(&self, i: usize, extra: &[&str]) -> ServerProcess {
        let id = (i + 1).to_string();
        let dir = self.dirs[i].display().to_string();
        let raft_dir = self.dirs[i].join("raft").display().to_string();
        let listen = format!("127.0.0.1:{}", self.rafts[i]);
        let source = Layout::source(i).to_string();
        // Local reads by default, so every member's copy can be compared; a test may ask
        // for another mode.
        let mut args = vec![
            "--raft-read-mode",
            "local",
            "--save",
            "",
            "--dir",
            dir.as_str(),
            "--raft-node-id",
            id.as_str(),
            "--raft-listen",
            listen.as_str(),
            "--raft-dir",
            raft_dir.as_str(),
        ];
        // A founding member finds itself in `raft-peers`; a later one waits to be added.
        if i < self.initial {
            args.extend(["--raft-peers", self.peers.as_str()]);
        }
        if !self.proxies.is_empty() {
            args.extend(["--bind-source-addr", source.as_str()]);
        }
        args.extend_from_slice(extra);
        ServerProcess::start_on(self.clients[i], &args)
            .unwrap_or_else(|| panic!("member {id} exited at start-up"))
    }

    /// Starts every founding member.
    pub fn start_all(&self, extra: &[&str]) -> Vec<Option<ServerProcess>> {
        (0..self.initial)
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

/// The index of the member that leads and accepts writes, once one does (it writes
/// `probe`). Followers forward writes, so the leader is the one whose ROLE says master.
pub fn leader(members: &[Option<ServerProcess>]) -> usize {
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
            let role: redis::RedisResult<Vec<redis::Value>> = redis::cmd("ROLE").query(&mut c);
            let master =
                matches!(role.as_deref(), Ok([redis::Value::BulkString(r), ..]) if r == b"master");
            if !master {
                continue;
            }
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
