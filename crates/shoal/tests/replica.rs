//! An embedded read replica of an embedded primary served on loopback: the copy, local
//! reads, writes forwarded with read-your-writes, the status, and a restart that continues
//! from the primary's backlog.

use shoal::{Config, Frame, Shoal};
use std::time::{Duration, Instant};

fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

fn stat(db: &Shoal, section: &str, name: &str) -> String {
    let text = match db.execute(&["INFO", section]) {
        Ok(Frame::Verbatim { data, .. }) | Ok(Frame::Bulk(data)) => {
            String::from_utf8_lossy(&data).into_owned()
        }
        other => panic!("INFO: {other:?}"),
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn an_embedded_replica_reads_locally_forwards_writes_and_resumes_after_a_restart() {
    let primary = Shoal::open(Config::default().set("repl-diskless-sync-delay", "0"))
        .unwrap_or_else(|e| panic!("{e}"));
    let server = primary
        .serve("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = server.local_addr().to_string();
    primary.set("a", "1").unwrap_or_else(|e| panic!("{e}"));

    let dir = std::env::temp_dir().join(format!("shoal-embedded-replica-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let open_replica = || {
        Shoal::open(
            Config::default()
                .data_dir(&dir)
                .replica_of(&addr)
                .read_your_writes(true),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let replica = open_replica();
    assert!(eventually(|| replica
        .replica_status()
        .is_some_and(|s| s.link_up)));
    assert_eq!(replica.get("a").ok().flatten().as_deref(), Some(&b"1"[..]));

    // A write goes to the primary and is visible here as soon as it returns.
    replica.set("b", "2").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replica.get("b").ok().flatten().as_deref(), Some(&b"2"[..]));
    assert_eq!(primary.get("b").ok().flatten().as_deref(), Some(&b"2"[..]));
    replica.select(3).unwrap_or_else(|e| panic!("{e}"));
    replica.set("c", "3").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replica.get("c").ok().flatten().as_deref(), Some(&b"3"[..]));
    primary.select(3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(primary.get("c").ok().flatten().as_deref(), Some(&b"3"[..]));
    primary.select(0).unwrap_or_else(|e| panic!("{e}"));

    let status = replica
        .replica_status()
        .unwrap_or_else(|| panic!("no status"));
    assert_eq!(status.primary, addr);
    assert!(status.offset > 0);
    assert!(status.last_io_ms_ago.is_some());

    // Saved on close with its replication position; the primary writes meanwhile; the
    // reopened replica continues from the primary's backlog instead of a full copy.
    replica.close().unwrap_or_else(|e| panic!("{e}"));
    primary.set("d", "4").unwrap_or_else(|e| panic!("{e}"));
    let replica = open_replica();
    assert!(eventually(
        || replica.get("d").ok().flatten().as_deref() == Some(&b"4"[..])
    ));
    assert_eq!(stat(&primary, "stats", "sync_full"), "1");
    assert_eq!(stat(&primary, "stats", "sync_partial_ok"), "1");
    drop(replica);
    let _ = std::fs::remove_dir_all(&dir);
}
