//! Carries commands a follower cannot run to the leader, over RESP on the leader's client
//! address, and brings the reply back. Most requests share one pipelined connection
//! ([`Pipe`]); blocking commands, RAFT requests (a membership change or a leadership
//! transfer answers only once it is done) and a joining member's request take connections
//! of their own, one request at a time, pooled per address.

use crate::pipe::Pipe;
use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use shoal_engine::{Frame, Inner};
use shoal_resp::{encode_command, parse_frame};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long connecting to the leader may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections kept per leader.
const POOL: usize = 16;
/// How many `-MOVED` replies a forwarded request follows.
const MAX_HOPS: usize = 3;

/// The client address a `-MOVED <slot> <addr>` reply points to.
pub(crate) fn moved_to(reply: &Frame) -> Option<String> {
    let Frame::Error(e) = reply else {
        return None;
    };
    let text = std::str::from_utf8(e.strip_prefix(b"MOVED ")?).ok()?;
    text.split_whitespace().nth(1).map(str::to_string)
}

/// Whether a reply is `-MOVED`: the member did not run the command.
pub(crate) fn is_moved(reply: &Frame) -> bool {
    matches!(reply, Frame::Error(e) if e.starts_with(b"MOVED "))
}

/// The pool of connections to the leader.
pub(crate) struct Forwarder {
    engine: Weak<Inner>,
    idle: Mutex<Vec<Link>>,
    /// The shared connection to the current leader.
    pipe: tokio::sync::Mutex<Option<Arc<Pipe>>>,
}

/// A connection to a member, set up (authenticated, protocol 3).
pub(crate) struct Link {
    pub(crate) addr: String,
    pub(crate) tcp: TcpStream,
    pub(crate) buf: BytesMut,
    pub(crate) db: usize,
}

/// Why a request failed, and whether it may have run.
pub(crate) enum Failure {
    /// Nothing was sent: the command did not run.
    NotSent(String),
    /// Sent, and the connection broke before the reply.
    Unknown(String),
}

impl Forwarder {
    pub(crate) fn new(engine: Weak<Inner>) -> Forwarder {
        Forwarder {
            engine,
            idle: Mutex::new(Vec::new()),
            pipe: tokio::sync::Mutex::new(None),
        }
    }

    /// Runs `commands` in database `db` on the leader and returns the last reply. A
    /// member that turns out not to lead (this member's view was out of date, or it just
    /// handed the leadership over) answers `-MOVED` to the one it knows leads, without
    /// running anything: the commands go there (a few hops at most). One that names
    /// itself was just elected and is still catching up: it is asked again shortly.
    pub(crate) async fn run(&self, db: usize, commands: Vec<Vec<Bytes>>) -> Frame {
        let Some(inner) = self.engine.upgrade() else {
            return Frame::error("ERR server shutting down");
        };
        let Some(mut addr) = inner.consensus.leader() else {
            return Frame::error("CLUSTERDOWN No leader elected in the Raft group");
        };
        let patience =
            Duration::from_millis(inner.config.get_i64("raft-election-timeout-ms").max(1) as u64);
        drop(inner);
        // Counted from the first -MOVED that names the member asked: the request may have
        // waited long before it (paused on a leader handing over).
        let mut give_up = None;
        let mut hops = 0;
        loop {
            let reply = self.run_at(&addr, db, &commands, false).await;
            match moved_to(&reply) {
                Some(next) if next != addr && hops < MAX_HOPS => {
                    hops += 1;
                    addr = next;
                }
                Some(_) => {
                    let now = tokio::time::Instant::now();
                    if now >= *give_up.get_or_insert(now + patience) {
                        return reply;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                None => return reply,
            }
        }
    }

    /// Runs `commands` in database `db` on the member whose client address is `addr`. A
    /// `relay` request may be carried on by that member to its leader (a member asking to
    /// join through any other); it gets a connection of its own, not kept.
    pub(crate) async fn run_at(
        &self,
        addr: &str,
        db: usize,
        commands: &[Vec<Bytes>],
        relay: bool,
    ) -> Frame {
        let Some(inner) = self.engine.upgrade() else {
            return Frame::error("ERR server shutting down");
        };
        // Answered only once done: a blocking command, or a RAFT request (a membership
        // change or a leadership transfer).
        let blocking = commands.iter().filter_map(|c| c.first()).any(|name| {
            name.eq_ignore_ascii_case(b"RAFT")
                || inner
                    .commands()
                    .get(name)
                    .is_some_and(|s| s.has(shoal_engine::command::flags::BLOCKING))
        });
        let timeout = (!blocking)
            .then(|| Duration::from_secs(inner.config.get_i64("repl-timeout").max(1) as u64));
        let auth = credentials(&inner);
        let local_databases = inner.config.get_i64("databases").max(1) as usize;
        drop(inner);
        if let (false, Some(timeout)) = (relay, timeout) {
            let pipe = match self.pipe_to(addr, auth, local_databases).await {
                Ok(pipe) => pipe,
                Err(why) => return unreachable(addr, &why),
            };
            return match pipe.request(db, commands, timeout).await {
                Ok(reply) => reply,
                Err(failure) => failed(addr, failure),
            };
        }
        let pooled = if relay { None } else { self.take(addr) };
        let mut link = match pooled {
            Some(link) => link,
            None => match connect(addr, auth, &self.engine, !relay).await {
                Ok(link) => link,
                Err(why) => return unreachable(addr, &why),
            },
        };
        match link.call(db, commands, timeout).await {
            Ok(reply) => {
                if !relay {
                    self.put_back(link);
                }
                reply
            }
            Err(failure) => failed(addr, failure),
        }
    }

    /// The shared connection to `addr`, opened (again) when there is none that works.
    async fn pipe_to(
        &self,
        addr: &str,
        auth: Option<(String, String)>,
        local_databases: usize,
    ) -> Result<Arc<Pipe>, String> {
        let mut slot = self.pipe.lock().await;
        if let Some(p) = slot.as_ref() {
            if p.addr == addr && p.is_usable() {
                return Ok(p.clone());
            }
            p.retire();
        }
        let mut link = connect(addr, auth, &self.engine, true).await?;
        let databases = crate::pipe::databases(&mut link)
            .await
            .unwrap_or(local_databases);
        let pipe = Pipe::start(link, databases);
        *slot = Some(pipe.clone());
        Ok(pipe)
    }

    /// An idle connection to `addr` that the leader has not closed.
    fn take(&self, addr: &str) -> Option<Link> {
        let mut idle = self.idle.lock();
        // Connections to a former leader are of no use any more.
        idle.retain(|l| l.addr == addr);
        while let Some(link) = idle.pop() {
            let mut probe = [0u8; 1];
            match link.tcp.try_read(&mut probe) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Some(link),
                _ => continue,
            }
        }
        None
    }

    fn put_back(&self, link: Link) {
        let mut idle = self.idle.lock();
        if idle.len() < POOL {
            idle.push(link);
        }
    }
}

/// The reply for a request that failed.
fn failed(addr: &str, failure: Failure) -> Frame {
    match failure {
        Failure::NotSent(why) => unreachable(addr, &why),
        Failure::Unknown(why) => Frame::error(format!(
            "ERR lost the connection to the Raft leader at {addr} ({why}): the command may or may not have run"
        )),
    }
}

fn unreachable(addr: &str, why: &str) -> Frame {
    Frame::error(format!(
        "CLUSTERDOWN The Raft leader at {addr} could not be reached: {why}"
    ))
}

/// `masteruser` / `masterauth`: the forwarding link authenticates as a replica link does.
fn credentials(inner: &Inner) -> Option<(String, String)> {
    let pass = inner.config.get("masterauth").filter(|p| !p.is_empty())?;
    let user = inner
        .config
        .get("masteruser")
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "default".into());
    Some((user, pass))
}

/// A link to `addr`; `no_forward` marks it as carrying forwarded commands (never to be
/// forwarded again).
async fn connect(
    addr: &str,
    auth: Option<(String, String)>,
    engine: &Weak<Inner>,
    no_forward: bool,
) -> Result<Link, String> {
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, crate::net::connect(addr, engine))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let mut link = Link {
        addr: addr.to_string(),
        tcp,
        buf: BytesMut::with_capacity(4096),
        db: 0,
    };
    let mut hello = vec![Bytes::from_static(b"HELLO"), Bytes::from_static(b"3")];
    if let Some((user, pass)) = auth {
        hello.extend([Bytes::from_static(b"AUTH"), user.into(), pass.into()]);
    }
    let mut setup = vec![hello];
    if no_forward {
        // A member that does not lead (any more) answers -MOVED instead of forwarding on.
        setup.push(vec![
            Bytes::from_static(b"RAFT"),
            Bytes::from_static(b"NOFORWARD"),
        ]);
    }
    let reply = link
        .call(0, &setup, Some(CONNECT_TIMEOUT))
        .await
        .map_err(|(Failure::NotSent(why) | Failure::Unknown(why))| why)?;
    if let Frame::Error(e) = reply {
        return Err(String::from_utf8_lossy(&e).into_owned());
    }
    Ok(link)
}

impl Link {
    /// Sends `commands` (after a SELECT when the database differs) and reads every reply,
    /// returning the last.
    pub(crate) async fn call(
        &mut self,
        db: usize,
        commands: &[Vec<Bytes>],
        timeout: Option<Duration>,
    ) -> Result<Frame, Failure> {
        if db != self.db {
            let select = vec![Bytes::from_static(b"SELECT"), db.to_string().into()];
            let reply = self.send(std::slice::from_ref(&select), timeout).await?;
            if let Frame::Error(_) = reply {
                return Ok(reply);
            }
            self.db = db;
        }
        self.send(commands, timeout).await
    }

    /// Sends `commands` at once and reads their replies, returning the last (or the first
    /// `-MOVED` among them).
    async fn send(
        &mut self,
        commands: &[Vec<Bytes>],
        timeout: Option<Duration>,
    ) -> Result<Frame, Failure> {
        let mut out = BytesMut::new();
        for c in commands {
            encode_command(c, &mut out);
        }
        self.tcp
            .write_all(&out)
            .await
            .map_err(|e| Failure::NotSent(e.to_string()))?;
        let mut last = Frame::Null;
        let mut moved = None;
        for _ in commands {
            let read = self.read_frame();
            last = match timeout {
                Some(t) => tokio::time::timeout(t, read)
                    .await
                    .map_err(|_| Failure::Unknown("no reply in time".into()))?,
                None => read.await,
            }?;
            if moved.is_none() && is_moved(&last) {
                moved = Some(last.clone());
            }
        }
        // A command of a transaction refused with -MOVED: nothing ran (EXEC aborted).
        Ok(moved.unwrap_or(last))
    }

    async fn read_frame(&mut self) -> Result<Frame, Failure> {
        loop {
            match parse_frame(&mut self.buf) {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(e) => return Err(Failure::Unknown(e.to_string())),
            }
            match self.tcp.read_buf(&mut self.buf).await {
                Ok(0) => return Err(Failure::Unknown("closed by the leader".into())),
                Ok(_) => {}
                Err(e) => return Err(Failure::Unknown(e.to_string())),
            }
        }
    }
}
