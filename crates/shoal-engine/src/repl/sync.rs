//! Full synchronisation: a point-in-time snapshot of the keyspace sent to one or more
//! replicas, in RDB format, followed by the stream from the snapshot's offset on.
//!
//! Diskless, replicas asking within `repl-diskless-sync-delay` seconds of each other share one
//! snapshot. Diskless (the default, for replicas that announced `capa eof`), the snapshot
//! streams straight into the links with Redis's `$EOF:<mark>` framing; otherwise it is
//! written to a file in `dir` first and sent with its length. No fork: the snapshot is taken
//! as BGSAVE takes it, while clients go on writing.

use super::pipe::{Chunk, Pipe, SyncFeed};
use crate::engine::Inner;
use crate::rdb::snapshot::{self, Snapshot};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

/// A full sync waiting for its snapshot, with the replicas that will share it.
pub(crate) struct Job {
    diskless: bool,
    members: Vec<Member>,
}

struct Member {
    id: u64,
    pipe: Arc<Pipe>,
}

/// Joins (or starts) a full sync for replica `id`; `eof` says whether it takes the
/// diskless framing. The feed yields the `+FULLRESYNC` line, the payload, then `Done`.
pub fn request(inner: &Inner, id: u64, eof: bool) -> SyncFeed {
    let pipe = Arc::new(Pipe::default());
    let feed = SyncFeed { pipe: pipe.clone() };
    let diskless = eof && inner.config.get_bool("repl-diskless-sync");
    let member = Member { id, pipe };
    if !diskless {
        // Written to a file first: no reason to wait for others.
        spawn(
            inner,
            0,
            Some(Job {
                diskless,
                members: vec![member],
            }),
        );
        return feed;
    }
    let mut gathering = inner.repl.job.lock();
    if let Some(job) = gathering.as_mut() {
        job.members.push(member);
        return feed;
    }
    *gathering = Some(Job {
        diskless,
        members: vec![member],
    });
    drop(gathering);
    let delay = inner.config.get_i64("repl-diskless-sync-delay").max(0) as u64;
    spawn(inner, delay, None);
    feed
}

/// Starts the thread that runs `job`, or after `delay` seconds the diskless job gathering
/// in `inner.repl.job` (with every replica that joined it meanwhile).
fn spawn(inner: &Inner, delay: u64, job: Option<Job>) {
    let Some(me) = inner.me.upgrade() else { return };
    let run = move || {
        wait_delay(&me, delay);
        if let Some(job) = job.or_else(|| me.repl.job.lock().take()) {
            run_job(&me, job);
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("shoal-sync".into())
        .spawn(run)
    {
        tracing::error!("cannot start a full sync: {e}");
    }
}

/// Sleeps `secs` seconds, in short steps so a shutdown is not held up.
fn wait_delay(inner: &Inner, secs: u64) {
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < until {
        if inner.stopping.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Takes the snapshot at a point between commands, noting the stream offset there.
fn begin(inner: &Inner, members: &[Member]) -> (Snapshot, u64, String) {
    loop {
        inner.persist.wait_idle();
        // A replica applying its primary's stream appends after executing: hold that
        // off so the offset and the image agree (taken before the gate, as the link does).
        let applying = inner.repl.apply_lock.lock();
        let Ok(gate) = inner.gate.exclusive() else {
            drop(applying);
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        if snapshot::running(inner) {
            drop(gate);
            drop(applying);
            continue;
        }
        let feed = !inner.repl.is_replica();
        let stream = &inner.effects.stream;
        let offset = stream.ensure(feed);
        stream.forget_db();
        for m in members {
            stream.attach(m.id, offset + 1);
        }
        inner.effects.keep_active();
        let replid = inner.repl.ids.lock().replid.clone();
        let opts = crate::rdb::file::SaveOptions::from_config(inner);
        if let Some(snap) = snapshot::begin(inner, opts) {
            return (snap, offset, replid);
        }
    }
}

fn run_job(inner: &Arc<Inner>, mut job: Job) {
    let (snap, offset, replid) = begin(inner, &job.members);
    let line = format!("+FULLRESYNC {replid} {offset}\r\n").into_bytes();
    for m in &job.members {
        inner.repl.set_state(m.id, "wait_bgsave");
        m.pipe.send(Chunk::Begin {
            offset,
            bytes: line.clone(),
        });
    }
    let ok = if job.diskless {
        send_diskless(inner, snap, &mut job.members)
    } else {
        send_from_disk(inner, snap, &mut job.members)
    };
    for m in &job.members {
        m.pipe.send(if ok { Chunk::Done } else { Chunk::Failed });
    }
}

/// Sends to every member still listening.
fn broadcast(members: &mut Vec<Member>, bytes: &[u8]) {
    members.retain(|m| m.pipe.send(Chunk::Bytes(bytes.to_vec())));
}

fn send_diskless(inner: &Inner, snap: Snapshot, members: &mut Vec<Member>) -> bool {
    let mark = super::random_hex(inner, 40);
    for m in members.iter() {
        inner.repl.set_state(m.id, "send_bulk");
    }
    broadcast(members, format!("$EOF:{mark}\r\n").as_bytes());
    let mut out = std::io::BufWriter::with_capacity(64 << 10, FanOut { members });
    let written = snap.write(&mut out).and_then(|_| out.flush());
    drop(out);
    if let Err(e) = written {
        tracing::warn!("diskless sync failed: {e}");
        return false;
    }
    broadcast(members, mark.as_bytes());
    true
}

fn send_from_disk(inner: &Inner, snap: Snapshot, members: &mut Vec<Member>) -> bool {
    let target = crate::rdb::file::configured_path(inner);
    let dir = target.parent().unwrap_or(std::path::Path::new("."));
    let path = dir.join(format!(
        "temp-repl-{}-{}.rdb",
        std::process::id(),
        members.first().map_or(0, |m| m.id)
    ));
    let written = std::fs::File::create(&path).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        snap.write(&mut w)?;
        w.flush()?;
        Ok(())
    });
    let sent = written.and_then(|_| {
        let mut f = std::fs::File::open(&path)?;
        let len = f.metadata()?.len();
        for m in members.iter() {
            inner.repl.set_state(m.id, "send_bulk");
        }
        broadcast(members, format!("${len}\r\n").as_bytes());
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            broadcast(members, &buf[..n]);
        }
    });
    let _ = std::fs::remove_file(&path);
    if let Err(e) = sent {
        tracing::warn!("disk-based sync failed: {e}");
        return false;
    }
    true
}

/// Writes the snapshot to every member at once.
struct FanOut<'a> {
    members: &'a mut Vec<Member>,
}

impl Write for FanOut<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        broadcast(self.members, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
