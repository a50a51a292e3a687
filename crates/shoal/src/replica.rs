//! An embedded read replica: the instance follows a primary (Shoal or Redis) in the
//! background, reads are served from the local copy, and writes made through the handle are
//! sent to the primary, optionally waiting until the local copy has them (read your writes).

use crate::{Error, Result};
use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use shoal_engine::{Engine, Frame};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How an embedded replica stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// The primary, `host:port`.
    pub primary: String,
    /// Whether the link is up and streaming.
    pub link_up: bool,
    /// Whether a full sync is being received.
    pub syncing: bool,
    /// The replication offset applied locally.
    pub offset: u64,
    /// Milliseconds since the primary last sent anything (None before the first byte).
    pub last_io_ms_ago: Option<u64>,
}

/// The link's runtime and the connection writes are forwarded on.
pub(crate) struct Upstream {
    _links: shoal_server::LinkRuntime,
    forward: Mutex<Option<Forward>>,
    read_your_writes: bool,
}

struct Forward {
    tcp: TcpStream,
    buf: BytesMut,
    db: usize,
}

impl Upstream {
    pub(crate) fn start(engine: &Engine, read_your_writes: bool) -> Result<Upstream> {
        Ok(Upstream {
            _links: shoal_server::LinkRuntime::start(engine)?,
            forward: Mutex::new(None),
            read_your_writes,
        })
    }

    /// Whether `args` is a write this handle must send to the primary.
    pub(crate) fn forwards(engine: &Engine, args: &[Bytes]) -> bool {
        let inner = engine.inner();
        inner.repl.is_replica()
            && inner.config.get_bool("replica-read-only")
            && args
                .first()
                .and_then(|n| inner.commands().get(n))
                .is_some_and(|spec| spec.has(shoal_engine::command::flags::WRITE))
    }

    /// Runs a write on the primary, in database `db`; with read-your-writes, returns once
    /// the local copy holds it.
    pub(crate) fn forward(&self, engine: &Engine, db: usize, args: &[Bytes]) -> Result<Frame> {
        let inner = engine.inner();
        let timeout = Duration::from_secs(inner.config.get_i64("repl-timeout").max(1) as u64);
        let mut guard = self.forward.lock();
        if guard.is_none() {
            *guard = Some(Forward::connect(engine, timeout)?);
        }
        let Some(f) = guard.as_mut() else {
            return Err(Error::Replication("no connection to the primary".into()));
        };
        let result = f.run(db, args, self.read_your_writes);
        let (reply, offset) = match result {
            Ok(done) => done,
            Err(e) => {
                *guard = None;
                return Err(e);
            }
        };
        drop(guard);
        if let Some(target) = offset {
            let deadline = Instant::now() + timeout;
            while inner.repl.offset(inner) < target {
                if Instant::now() >= deadline {
                    return Err(Error::Replication(format!(
                        "the local copy did not reach offset {target} within {timeout:?}"
                    )));
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        Error::check(reply)
    }
}

impl Forward {
    fn connect(engine: &Engine, timeout: Duration) -> Result<Forward> {
        let inner = engine.inner();
        let Some(up) = inner.repl.upstream() else {
            return Err(Error::Replication("not a replica".into()));
        };
        let tcp = TcpStream::connect((up.host.as_str(), up.port))?;
        tcp.set_read_timeout(Some(timeout))?;
        tcp.set_write_timeout(Some(timeout))?;
        let _ = tcp.set_nodelay(true);
        let mut f = Forward {
            tcp,
            buf: BytesMut::with_capacity(4096),
            db: 0,
        };
        let pass = inner.config.get("masterauth").unwrap_or_default();
        if !pass.is_empty() {
            let user = inner.config.get("masteruser").unwrap_or_default();
            let mut auth = vec![Bytes::from_static(b"AUTH")];
            if !user.is_empty() {
                auth.push(Bytes::from(user));
            }
            auth.push(Bytes::from(pass));
            Error::check(f.roundtrip(&auth)?)?;
        }
        Ok(f)
    }

    /// The write's reply and, when asked, the primary's offset right after it.
    fn run(&mut self, db: usize, args: &[Bytes], offset: bool) -> Result<(Frame, Option<u64>)> {
        if db != self.db {
            Error::check(
                self.roundtrip(&[Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())])?,
            )?;
            self.db = db;
        }
        let reply = self.roundtrip(args)?;
        if !offset {
            return Ok((reply, None));
        }
        // ROLE's offset is at least that of the write just made on this connection.
        match self.roundtrip(&[Bytes::from_static(b"ROLE")])? {
            Frame::Array(items) => match items.get(1) {
                Some(Frame::Integer(n)) => Ok((reply, Some(*n as u64))),
                _ => Err(Error::Replication(
                    "the primary's ROLE has no offset".into(),
                )),
            },
            other => Err(Error::UnexpectedReply(other)),
        }
    }

    fn roundtrip(&mut self, args: &[Bytes]) -> Result<Frame> {
        let mut out = BytesMut::new();
        shoal_resp::encode_command(args, &mut out);
        self.tcp.write_all(&out)?;
        loop {
            match shoal_resp::parse_frame(&mut self.buf) {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(e) => {
                    return Err(Error::Replication(format!(
                        "bad reply from the primary: {e}"
                    )))
                }
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.tcp.read(&mut chunk)?;
            if n == 0 {
                return Err(Error::Replication(
                    "the primary closed the connection".into(),
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The status of `engine` as a replica, if it is one.
pub(crate) fn status(engine: &Engine) -> Option<ReplicaStatus> {
    let inner = engine.inner();
    let up = inner.repl.upstream()?;
    let now = inner.now_ms();
    Some(ReplicaStatus {
        primary: format!("{}:{}", up.host, up.port),
        link_up: up.state == "connected",
        syncing: up.state == "sync",
        offset: inner.repl.offset(inner),
        last_io_ms_ago: (up.last_io_ms > 0).then(|| now.saturating_sub(up.last_io_ms)),
    })
}
