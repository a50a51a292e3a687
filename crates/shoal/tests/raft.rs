//! Embedded Raft groups: three instances in this process on loopback elect one leader,
//! replicate its writes, report the same leader on every leadership stream, elect another
//! when the leader closes (keeping the data), send followers' writes to the leader or
//! refuse them as configured, serve RESP on their client addresses, and reopen from their
//! `dir`.

use shoal::{Config, Error, Frame, RaftConfig, ReadMode, Shoal};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// How long a group may take to elect a leader or to apply a write everywhere.
const DEADLINE: Duration = Duration::from_secs(10);

fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + DEADLINE;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// A loopback address with a port free right now.
fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    l.local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"))
        .to_string()
}

/// Opens an instance, trying again while one of its addresses is taken: a port picked
/// free may meanwhile be the local end of a connection another test opened.
fn open_retrying(config: impl Fn() -> Config) -> Result<Shoal, Error> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match Shoal::open(config()) {
            Err(Error::Raft(m)) if m.contains("in use") && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Three members' addresses and, optionally, directories.
struct Layout {
    raft: Vec<String>,
    client: Vec<String>,
    dirs: Option<Vec<PathBuf>>,
    mode: ReadMode,
}

impl Layout {
    fn new(with_dirs: bool, tag: &str) -> Layout {
        let dirs = with_dirs.then(|| {
            (1..=3)
                .map(|i| {
                    let d = std::env::temp_dir().join(format!(
                        "shoal-embedded-raft-{tag}-{}-{i}",
                        std::process::id()
                    ));
                    let _ = std::fs::remove_dir_all(&d);
                    d
                })
                .collect()
        });
        Layout {
            raft: (0..3).map(|_| free_addr()).collect(),
            client: (0..3).map(|_| free_addr()).collect(),
            dirs,
            mode: ReadMode::Local,
        }
    }

    fn config(&self, i: usize) -> RaftConfig {
        let mut c = RaftConfig::new(i as u64 + 1, &self.raft[i], &self.client[i])
            .heartbeat(Duration::from_millis(50))
            .election_timeout(Duration::from_millis(300))
            .read_mode(self.mode);
        for j in (0..3).filter(|&j| j != i) {
            c = c.peer(j as u64 + 1, &self.raft[j], &self.client[j]);
        }
        if let Some(dirs) = &self.dirs {
            c = c.dir(&dirs[i]);
        }
        c
    }

    fn open_all(&self) -> Vec<Option<Shoal>> {
        (0..3)
            .map(|i| {
                let db = open_retrying(|| Config::default().raft(self.config(i)));
                Some(db.unwrap_or_else(|e| panic!("member {}: {e}", i + 1)))
            })
            .collect()
    }
}

impl Drop for Layout {
    fn drop(&mut self) {
        for d in self.dirs.iter().flatten() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// The index of the member that leads once every open member agrees on it.
fn leader(members: &[Option<Shoal>]) -> usize {
    let mut found = None;
    let agreed = eventually(|| {
        let open: Vec<(usize, &Shoal)> = members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.as_ref().map(|m| (i, m)))
            .collect();
        let Some(&(i, _)) = open.iter().find(|(_, m)| m.is_leader()) else {
            return false;
        };
        found = Some(i);
        open.iter().all(|(_, m)| m.leader() == Some(i as u64 + 1))
    });
    assert!(agreed, "no leader that every member knows");
    found.unwrap_or_default()
}

fn get(db: &Shoal, key: &str) -> Option<String> {
    db.get(key)
        .ok()
        .flatten()
        .map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// Waits until `stream` reports `want` (values before it are skipped).
fn reports(stream: &mut shoal::Leadership, want: u64) -> bool {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match stream.recv_timeout(left) {
            Ok(Some(id)) if id == want => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

/// One RESP command on a fresh connection to `addr`; the reply's raw text.
fn resp(addr: &str, cmd: &[&str]) -> String {
    let mut tcp =
        std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let _ = tcp.set_read_timeout(Some(DEADLINE));
    let mut out = format!("*{}\r\n", cmd.len());
    for a in cmd {
        out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    tcp.write_all(out.as_bytes())
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut buf = [0u8; 512];
    let n = tcp.read(&mut buf).unwrap_or_else(|e| panic!("read: {e}"));
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn config_get(db: &Shoal, name: &str) -> String {
    match db.execute(&["CONFIG", "GET", name]) {
        Ok(Frame::Map(kv)) => match kv.first() {
            Some((_, Frame::Bulk(v))) => String::from_utf8_lossy(v).into_owned(),
            other => panic!("CONFIG GET {name}: {other:?}"),
        },
        other => panic!("CONFIG GET {name}: {other:?}"),
    }
}

#[test]
fn three_members_elect_one_leader_and_replicate_writes_made_on_any_member() {
    let layout = Layout::new(false, "elect");
    let members = layout.open_all();
    let l = leader(&members);
    let id = l as u64 + 1;
    for m in members.iter().flatten() {
        assert!(
            reports(&mut m.leadership(), id),
            "every stream reports {id}"
        );
    }
    let db = members[l].as_ref().unwrap_or_else(|| panic!("leader"));
    db.set("k", "v")
        .unwrap_or_else(|e| panic!("leader write: {e}"));
    assert_eq!(db.incr("n").ok(), Some(1));
    for (i, m) in members.iter().enumerate() {
        let m = m.as_ref().unwrap_or_else(|| panic!("member"));
        assert!(
            eventually(
                || get(m, "k").as_deref() == Some("v") && get(m, "n").as_deref() == Some("1")
            ),
            "member {} applies the leader's writes",
            i + 1
        );
        assert_eq!(
            m.raft_members()
                .iter()
                .map(|(id, r, c)| (*id, r.clone(), c.clone()))
                .collect::<Vec<_>>(),
            (0..3)
                .map(|j| (
                    j as u64 + 1,
                    layout.raft[j].clone(),
                    layout.client[j].clone()
                ))
                .collect::<Vec<_>>()
        );
        if i == l {
            continue;
        }
        assert!(!m.is_leader());
        // By default a follower sends writes to the leader, which commits them.
        let key = format!("via{}", i + 1);
        m.set(&key, "1")
            .unwrap_or_else(|e| panic!("a forwarded write: {e}"));
        assert_eq!(get(db, &key).as_deref(), Some("1"));
        // Refused, they fail as commands do, with the engine's error.
        m.execute(&["CONFIG", "SET", "raft-follower-writes", "readonly"])
            .unwrap_or_else(|e| panic!("{e}"));
        match m.set("k", "other") {
            Err(Error::Command { code, .. }) => assert_eq!(code, "READONLY"),
            other => panic!("a follower's refused write: {other:?}"),
        }
    }
    assert_eq!(get(db, "k").as_deref(), Some("v"));
    // The directives say what the group runs with.
    let m3 = members[2].as_ref().unwrap_or_else(|| panic!("member 3"));
    assert_eq!(config_get(m3, "raft-node-id"), "3");
    assert_eq!(config_get(m3, "raft-read-mode"), "local");
    assert_eq!(config_get(m3, "raft-heartbeat-ms"), "50");
    // Redis clients reach every member on its client address.
    for addr in &layout.client {
        assert_eq!(resp(addr, &["GET", "k"]), "$1\r\nv\r\n");
    }
}

#[test]
fn the_application_hands_the_leadership_to_the_member_it_names() {
    let mut layout = Layout::new(false, "transfer");
    layout.mode = ReadMode::Linearizable;
    let members = layout.open_all();
    let l = leader(&members);
    let (t, f) = ((l + 1) % 3, (l + 2) % 3);
    let member = |i: usize| members[i].as_ref().unwrap_or_else(|| panic!("member"));
    member(l)
        .set("before", "1")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stream = member(f).leadership();
    // Asked on a follower: it carries the request to the leader.
    member(f)
        .transfer_leadership(Some(t as u64 + 1))
        .unwrap_or_else(|e| panic!("transfer: {e}"));
    assert!(reports(&mut stream, t as u64 + 1), "the follower sees it");
    assert!(
        eventually(|| member(t).is_leader()),
        "member {} leads",
        t + 1
    );
    assert_eq!(leader(&members), t);
    assert!(!member(l).is_leader());
    // The old leader's handle goes on working: its writes go to the new leader.
    member(l)
        .set("after", "2")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get(member(t), "before").as_deref(), Some("1"));
    assert_eq!(get(member(t), "after").as_deref(), Some("2"));
    match member(t).transfer_leadership(Some(7)) {
        Err(Error::Command { message, .. }) => {
            assert!(message.contains("member 7 is not a voter"), "{message}")
        }
        other => panic!("a transfer to no member: {other:?}"),
    }
}

#[test]
fn closing_the_leader_makes_the_others_elect_another_that_keeps_the_data() {
    let mut layout = Layout::new(false, "failover");
    layout.mode = ReadMode::Linearizable;
    let mut members = layout.open_all();
    let l = leader(&members);
    let db = members[l].as_ref().unwrap_or_else(|| panic!("leader"));
    for i in 0..50 {
        db.set(format!("k{i}"), i.to_string())
            .unwrap_or_else(|e| panic!("write {i}: {e}"));
    }
    let mut streams: Vec<(usize, shoal::Leadership)> = members
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != l)
        .filter_map(|(i, m)| m.as_ref().map(|m| (i, m.leadership())))
        .collect();
    let old = members[l].take().unwrap_or_else(|| panic!("leader"));
    let stream_of_closed = &mut old.leadership();
    old.close().unwrap_or_else(|e| panic!("close: {e}"));
    let end = loop {
        match stream_of_closed.recv_timeout(DEADLINE) {
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    assert_eq!(
        end,
        RecvTimeoutError::Disconnected,
        "the closed member's stream ends"
    );
    let next = leader(&members);
    assert_ne!(next, l);
    for (i, stream) in &mut streams {
        assert!(
            reports(stream, next as u64 + 1),
            "member {} reports the new leader",
            *i + 1
        );
    }
    let db = members[next]
        .as_ref()
        .unwrap_or_else(|| panic!("new leader"));
    for i in 0..50 {
        assert_eq!(get(db, &format!("k{i}")), Some(i.to_string()));
    }
    db.set("after", "1")
        .unwrap_or_else(|e| panic!("the new leader's write: {e}"));
    // Linearizable reads: the leader confirms with the remaining member; a follower sends
    // reads of keys to the leader, or, asked to, answers where to send them.
    assert_eq!(get(db, "after").as_deref(), Some("1"));
    let follower = (0..3)
        .find(|&i| i != l && i != next)
        .and_then(|i| members[i].as_ref())
        .unwrap_or_else(|| panic!("follower"));
    assert_eq!(get(follower, "after").as_deref(), Some("1"));
    follower
        .execute(&["CONFIG", "SET", "raft-follower-writes", "moved"])
        .unwrap_or_else(|e| panic!("{e}"));
    match follower.get("after") {
        Err(Error::Command { code, message }) => {
            assert_eq!(code, "MOVED");
            assert!(message.ends_with(&layout.client[next]), "{message}");
        }
        other => panic!("a follower's linearizable read: {other:?}"),
    }
    // The closed member's address no longer answers.
    assert!(std::net::TcpStream::connect(&layout.client[l]).is_err());
}

#[test]
fn a_group_with_dirs_reopens_with_its_data() {
    let layout = Layout::new(true, "reopen");
    let mut members = layout.open_all();
    let l = leader(&members);
    let db = members[l].as_ref().unwrap_or_else(|| panic!("leader"));
    db.set("kept", "yes").unwrap_or_else(|e| panic!("{e}"));
    db.rpush("list", &["a", "b", "c"])
        .unwrap_or_else(|e| panic!("{e}"));
    for m in members.iter().flatten() {
        assert!(eventually(|| get(m, "kept").as_deref() == Some("yes")));
    }
    for m in members.iter_mut() {
        if let Some(m) = m.take() {
            m.close().unwrap_or_else(|e| panic!("close: {e}"));
        }
    }
    let members = layout.open_all();
    let l = leader(&members);
    for m in members.iter().flatten() {
        assert!(eventually(|| get(m, "kept").as_deref() == Some("yes")));
    }
    let db = members[l].as_ref().unwrap_or_else(|| panic!("leader"));
    assert_eq!(db.llen("list").ok(), Some(3));
    let dirs = layout.dirs.as_deref().unwrap_or_default();
    assert_eq!(config_get(db, "raft-dir"), dirs[l].display().to_string());
}

#[test]
fn a_group_of_one_leads_and_addresses_must_be_explicit() {
    let (raft, client) = (free_addr(), free_addr());
    let db = Shoal::open(Config::default().raft(RaftConfig::new(7, &raft, &client)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(eventually(|| db.is_leader()));
    assert_eq!(db.leader(), Some(7));
    db.set("k", "v").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get(&db, "k").as_deref(), Some("v"));
    let mut stream = db.leadership();
    assert_eq!(stream.next(), Some(Some(7)));
    db.clone().close().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stream.next(), None, "the stream ends with the membership");
    assert!(!db.is_leader());
    assert_eq!(db.leader(), None);
    assert!(db.raft_members().is_empty());
    assert_eq!(db.leadership().collect::<Vec<_>>(), vec![None]);
    assert!(db.set("k", "w").is_err(), "a closed member writes nothing");

    let zero = Shoal::open(Config::default().raft(RaftConfig::new(1, "127.0.0.1:0", &client)));
    assert!(matches!(zero, Err(Error::Config(_))), "port 0");
    let no_id = Shoal::open(Config::default().raft(RaftConfig::new(0, &raft, &client)));
    assert!(matches!(no_id, Err(Error::Config(_))), "id 0");
    let standalone = Shoal::open(Config::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!standalone.is_leader());
    assert_eq!(standalone.leadership().collect::<Vec<_>>(), vec![None]);
}

#[test]
fn leadership_is_awaited_from_a_task_and_a_member_opens_and_closes_inside_a_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let (raft, client) = (free_addr(), free_addr());
        let me = RaftConfig::new(1, &raft, &client)
            .heartbeat(Duration::from_millis(50))
            .election_timeout(Duration::from_millis(300));
        let db = Shoal::open(Config::default().raft(me)).unwrap_or_else(|e| panic!("{e}"));
        let mut stream = db.leadership();
        let led = tokio::time::timeout(DEADLINE, async {
            while stream.changed().await != Some(Some(1)) {}
        })
        .await;
        assert!(led.is_ok(), "the stream reports member 1");
        db.close().unwrap_or_else(|e| panic!("{e}"));
        let ended = tokio::time::timeout(DEADLINE, async {
            while stream.changed().await.is_some() {}
        })
        .await;
        assert!(ended.is_ok(), "the stream ends once the member closed");
    });
}

#[test]
fn an_instance_joins_a_running_group_through_any_member() {
    let layout = Layout::new(false, "join");
    let members = layout.open_all();
    let l = leader(&members);
    let Some(lead) = members[l].as_ref() else {
        panic!("the leader is closed");
    };
    assert!(lead.set("before", "1").is_ok());
    // The newcomer asks a follower, which carries the request to the leader.
    let follower = (l + 1) % 3;
    let (raft, client) = (free_addr(), free_addr());
    let newcomer = open_retrying(|| {
        Config::default().raft(
            RaftConfig::new(4, &raft, &client)
                .heartbeat(Duration::from_millis(50))
                .election_timeout(Duration::from_millis(300))
                .join(&layout.client[follower]),
        )
    })
    .unwrap_or_else(|e| panic!("member 4: {e}"));
    assert!(
        eventually(|| lead.raft_members().len() == 4),
        "{:?}",
        lead.raft_members()
    );
    assert!(eventually(|| newcomer.leader() == Some(l as u64 + 1)));
    assert!(lead.set("after", "2").is_ok());
    assert!(eventually(|| get(&newcomer, "before").as_deref()
        == Some("1")
        && get(&newcomer, "after").as_deref() == Some("2")));
    assert_eq!(config_get(&newcomer, "raft-join"), layout.client[follower]);
}
