//! The engine's side of a group's control: forwarding from a follower, RAFT, ROLE and INFO,
//! against a stand-in for the group.

use crate::blocking::Deliver;
use crate::consensus_admin::{Done, GroupControl, GroupStatus, MemberInfo};
use crate::testing::{err, ok, Harness};
use bytes::Bytes;
use parking_lot::Mutex;
use shoal_resp::Frame;
use std::sync::Arc;

/// Records what it is asked and answers at once.
#[derive(Default)]
struct Fake {
    forwarded: Mutex<Vec<(usize, Vec<Vec<Bytes>>)>>,
    added: Mutex<Vec<MemberInfo>>,
    removed: Mutex<Vec<u64>>,
    transfers: Mutex<Vec<Option<u64>>>,
}

fn member(id: u64, voter: bool) -> MemberInfo {
    MemberInfo {
        id,
        raft: format!("10.0.0.{id}:7000"),
        client: format!("10.0.0.{id}:6379"),
        voter,
        matched: Some(10 + id),
    }
}

impl GroupControl for Fake {
    fn status(&self) -> GroupStatus {
        GroupStatus {
            id: 2,
            state: "follower",
            term: 7,
            leader: Some(1),
            last_log_index: 12,
            applied_index: 11,
            snapshot_index: 5,
            quorum_ack_ms: None,
            members: vec![member(1, true), member(2, true), member(3, false)],
        }
    }

    fn add(&self, member: MemberInfo, done: Done) {
        self.added.lock().push(member);
        done(Ok(()))
    }

    fn remove(&self, id: u64, done: Done) {
        self.removed.lock().push(id);
        done(Err(format!("{id} is not a member of the group")))
    }

    fn transfer(&self, id: Option<u64>, done: Done) {
        self.transfers.lock().push(id);
        done(match id {
            Some(9) => Err("member 9 is not a voter of the group".into()),
            _ => Ok(()),
        })
    }

    fn forward(&self, db: usize, commands: Vec<Vec<Bytes>>, deliver: Deliver) {
        self.forwarded.lock().push((db, commands));
        deliver(Frame::simple("FROM-LEADER"))
    }
}

/// A follower of a group whose leader is at 10.0.0.1:6379.
fn follower() -> (Harness, Arc<Fake>) {
    let h = Harness::new();
    let inner = h.engine.inner();
    inner.consensus.join(inner);
    inner.set_leading(false);
    inner.consensus.set_leader(Some("10.0.0.1:6379".into()));
    let fake = Arc::new(Fake::default());
    inner.consensus.set_control(Some(fake.clone()));
    (h, fake)
}

fn words(commands: &[Vec<Bytes>]) -> Vec<String> {
    commands
        .iter()
        .map(|c| {
            c.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn a_follower_forwards_writes_with_their_database_and_answers_the_leaders_reply() {
    let (mut h, fake) = follower();
    h.run(&["SELECT", "3"]);
    assert_eq!(h.run(&["SET", "k", "v"]), Frame::simple("FROM-LEADER"));
    let sent = fake.forwarded.lock().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, 3);
    assert_eq!(words(&sent[0].1), vec!["SET k v"]);
    // Nothing ran here.
    h.run(&["CONFIG", "SET", "raft-read-mode", "local"]);
    assert_eq!(h.run(&["EXISTS", "k"]), Frame::Integer(0));
}

#[test]
fn a_follower_forwards_keyed_reads_unless_reads_are_local() {
    let (mut h, fake) = follower();
    assert_eq!(h.run(&["GET", "k"]), Frame::simple("FROM-LEADER"));
    h.run(&["CONFIG", "SET", "raft-read-mode", "local"]);
    assert_eq!(h.run(&["GET", "k"]), Frame::Null);
    assert_eq!(fake.forwarded.lock().len(), 1);
    // Commands without keys that do not write run here.
    assert_eq!(h.run(&["PING"]), Frame::simple("PONG"));
}

#[test]
fn a_follower_carries_a_transaction_to_the_leader_whole() {
    let (mut h, fake) = follower();
    h.run(&["CONFIG", "SET", "raft-read-mode", "local"]);
    assert_eq!(h.run(&["MULTI"]), ok());
    assert_eq!(h.run(&["SET", "a", "1"]), Frame::simple("QUEUED"));
    assert_eq!(h.run(&["INCR", "a"]), Frame::simple("QUEUED"));
    assert_eq!(h.run(&["EXEC"]), Frame::simple("FROM-LEADER"));
    let sent = fake.forwarded.lock().clone();
    assert_eq!(
        words(&sent[0].1),
        vec!["MULTI", "SET a 1", "INCR a", "EXEC"]
    );
    // A transaction that only reads, with local reads, runs here.
    h.run(&["MULTI"]);
    h.run(&["GET", "a"]);
    assert_eq!(h.run(&["EXEC"]), Frame::Array(vec![Frame::Null]));
    assert_eq!(fake.forwarded.lock().len(), 1);
    assert!(matches!(h.run(&["WATCH", "a"]), Frame::Error(_)));
}

#[test]
fn refusal_modes_answer_moved_or_readonly_without_forwarding() {
    let (mut h, fake) = follower();
    h.run(&["CONFIG", "SET", "raft-follower-writes", "moved"]);
    assert_eq!(
        h.run(&["SET", "foo", "v"]),
        err("MOVED 12182 10.0.0.1:6379")
    );
    h.run(&["CONFIG", "SET", "raft-follower-writes", "readonly"]);
    assert_eq!(
        h.run(&["SET", "foo", "v"]),
        err("READONLY You can't write against a read only replica.")
    );
    assert!(fake.forwarded.lock().is_empty());
}

#[test]
fn raft_status_and_members_describe_the_group() {
    let (mut h, _fake) = follower();
    let Frame::Verbatim { data, .. } = h.run(&["RAFT", "STATUS"]) else {
        panic!("RAFT STATUS is text");
    };
    let text = String::from_utf8_lossy(&data);
    for line in [
        "raft_node_id:2",
        "raft_state:follower",
        "raft_term:7",
        "raft_leader_id:1",
        "raft_leader_addr:10.0.0.1:6379",
        "raft_voters:2",
        "raft_learners:1",
        "raft_follower_writes:forward",
    ] {
        assert!(text.contains(&format!("{line}\r\n")), "{line} in {text}");
    }
    let Frame::Array(members) = h.run(&["RAFT", "MEMBERS"]) else {
        panic!("RAFT MEMBERS is an array");
    };
    assert_eq!(members.len(), 3);
    let Frame::Map(third) = &members[2] else {
        panic!("a member is a map");
    };
    assert!(third.contains(&(Frame::bulk("role"), Frame::bulk("learner"))));
    assert!(third.contains(&(Frame::bulk("myself"), Frame::Boolean(false))));
}

#[test]
fn role_and_info_show_a_follower_as_a_replica_of_the_leader() {
    let (mut h, _fake) = follower();
    let Frame::Array(role) = h.run(&["ROLE"]) else {
        panic!("ROLE is an array");
    };
    assert_eq!(
        role[..4],
        [
            Frame::bulk("slave"),
            Frame::bulk("10.0.0.1"),
            Frame::Integer(6379),
            Frame::bulk("connected"),
        ]
    );
    let Frame::Verbatim { data, .. } = h.run(&["INFO", "replication"]) else {
        panic!("INFO is text");
    };
    let text = String::from_utf8_lossy(&data);
    assert!(
        text.contains("role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\n"),
        "{text}"
    );
    assert!(text.contains("raft_term:7\r\n"), "{text}");
}

#[test]
fn membership_changes_on_a_follower_go_to_the_leader_and_answer_on_the_leader() {
    let (mut h, fake) = follower();
    assert_eq!(
        h.run(&["RAFT", "ADD", "4", "10.0.0.4:7000", "10.0.0.4:6379"]),
        Frame::simple("FROM-LEADER")
    );
    assert_eq!(
        words(&fake.forwarded.lock()[0].1),
        vec!["RAFT ADD 4 10.0.0.4:7000 10.0.0.4:6379"]
    );
    h.engine.inner().set_leading(true);
    assert_eq!(
        h.run(&[
            "RAFT",
            "ADD",
            "4",
            "10.0.0.4:7000",
            "10.0.0.4:6379",
            "learner"
        ]),
        ok()
    );
    let added = fake.added.lock().clone();
    assert_eq!(added.len(), 1);
    assert!(!added[0].voter);
    assert_eq!(
        h.run(&["RAFT", "REMOVE", "9"]),
        err("ERR 9 is not a member of the group")
    );
    assert_eq!(
        h.run(&["RAFT", "ADD", "0", "a:1", "b:2"]),
        err("ERR Invalid node id: it must be a positive integer")
    );
    assert_eq!(
        h.run(&["RAFT", "ADD", "5", "nohost", "b:2"]),
        err("ERR Invalid address 'nohost': expected host:port")
    );
    assert_eq!(
        h.run(&["RAFT", "ADD", "5", "a:1"]),
        err("ERR wrong number of arguments for 'raft|add' command")
    );
}

#[test]
fn a_leadership_transfer_on_a_follower_goes_to_the_leader() {
    let (mut h, fake) = follower();
    assert_eq!(
        h.run(&["RAFT", "TRANSFER-LEADER", "3"]),
        Frame::simple("FROM-LEADER")
    );
    assert_eq!(
        words(&fake.forwarded.lock()[0].1),
        vec!["RAFT TRANSFER-LEADER 3"]
    );
    h.engine.inner().set_leading(true);
    assert_eq!(h.run(&["RAFT", "TRANSFER-LEADER"]), ok());
    assert_eq!(h.run(&["RAFT", "transfer-leader", "3"]), ok());
    assert_eq!(
        h.run(&["RAFT", "TRANSFER-LEADER", "9"]),
        err("ERR member 9 is not a voter of the group")
    );
    assert_eq!(*fake.transfers.lock(), vec![None, Some(3), Some(9)]);
    assert_eq!(
        h.run(&["RAFT", "TRANSFER-LEADER", "-1"]),
        err("ERR Invalid node id: it must be a positive integer")
    );
    assert!(matches!(
        h.run(&["RAFT", "TRANSFER-LEADER", "2", "3"]),
        Frame::Error(_)
    ));
    assert_eq!(fake.transfers.lock().len(), 3);
}

#[test]
fn a_leadership_transfer_holds_what_needs_the_leader() {
    let (mut h, _fake) = follower();
    let engine = h.engine.clone();
    let inner = engine.inner();
    inner.set_leading(true);
    inner.set_handover(true);
    let args = |words: &[&str]| -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    };
    let s = &h.session;
    assert!(s.paused(&args(&["SET", "k", "v"])));
    assert!(s.paused(&args(&["EVAL", "return 1", "0"])));
    assert!(s.paused(&args(&["GET", "k"])), "a read needs the leader");
    assert!(s.paused(&args(&["OBJECT", "ENCODING", "k"])));
    assert!(!s.paused(&args(&["PING"])));
    // A container's subcommand decides.
    assert!(s.paused(&args(&["FUNCTION", "LOAD", "x"])));
    assert!(!s.paused(&args(&["FUNCTION", "LIST"])));
    assert!(!s.paused(&args(&["RAFT", "STATUS"])));
    h.run(&["CONFIG", "SET", "raft-read-mode", "local"]);
    let s = &h.session;
    assert!(!s.paused(&args(&["GET", "k"])), "local reads go on");
    assert!(s.paused(&args(&["SET", "k", "v"])));
    // EXEC waits when its transaction writes (a write queued during the pause would
    // itself wait, as in Redis: it is queued before).
    inner.set_handover(false);
    h.run(&["MULTI"]);
    h.run(&["GET", "k"]);
    inner.set_handover(true);
    assert!(!h.session.paused(&args(&["EXEC"])));
    inner.set_handover(false);
    h.run(&["SET", "k", "v"]);
    inner.set_handover(true);
    assert!(h.session.paused(&args(&["EXEC"])));
    h.run(&["DISCARD"]);

    // An embedded caller's write waits on its thread until the transfer ends.
    let mut other = h.engine.session();
    let writer = std::thread::spawn(move || other.call(args(&["SET", "k", "v"])));
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(
        h.run(&["EXISTS", "k"]),
        Frame::Integer(0),
        "ran while paused"
    );
    inner.set_handover(false);
    assert_eq!(writer.join().ok(), Some(ok()));
    assert_eq!(h.run(&["EXISTS", "k"]), Frame::Integer(1));
    assert!(!h.session.paused(&args(&["SET", "k", "v"])));
}

#[test]
fn raft_outside_a_group_and_inside_multi() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(&["RAFT", "STATUS"]),
        err("ERR This instance is not a member of a Raft group")
    );
    let (mut h, _fake) = follower();
    h.engine.inner().set_leading(true);
    h.run(&["MULTI"]);
    h.run(&["RAFT", "REMOVE", "3"]);
    assert_eq!(
        h.run(&["EXEC"]),
        Frame::Array(vec![err(
            "ERR RAFT REMOVE cannot run inside MULTI or scripts"
        )])
    );
}

#[test]
fn a_forwarded_connection_is_never_forwarded_again() {
    // A member that took this follower for the leader says so first: its commands get
    // -MOVED rather than travelling on (two members with stale views would bounce them).
    let (mut h, fake) = follower();
    assert_eq!(h.run(&["RAFT", "NOFORWARD"]), ok());
    assert_eq!(
        h.run(&["SET", "foo", "v"]),
        err("MOVED 12182 10.0.0.1:6379")
    );
    h.run(&["MULTI"]);
    assert_eq!(
        h.run(&["SET", "foo", "v"]),
        err("MOVED 12182 10.0.0.1:6379")
    );
    h.run(&["DISCARD"]);
    assert_eq!(
        h.run(&["RAFT", "ADD", "4", "10.0.0.4:7000", "10.0.0.4:6379"]),
        err("ERR This member does not lead the Raft group (the leader is at '10.0.0.1:6379')")
    );
    assert!(fake.forwarded.lock().is_empty());
}
