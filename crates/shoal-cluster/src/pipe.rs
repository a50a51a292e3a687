//! One connection to the leader that carries the forwarded requests of many clients at
//! once: requests are written in turn, the leader answers in the same order, and a reader
//! hands each reply to the request at the head of the queue. Blocking commands, which
//! would hold up everyone behind them, go on connections of their own.

use crate::forward::{Failure, Link};
use bytes::{Bytes, BytesMut};
use shoal_engine::Frame;
use shoal_resp::{encode_command, parse_frame};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::oneshot;

/// A pipelined connection to one member.
pub(crate) struct Pipe {
    /// The member's client address.
    pub(crate) addr: String,
    /// How many databases the member has: a request for another is refused unsent (a
    /// failed SELECT would leave the commands behind it in the wrong database).
    databases: usize,
    writer: tokio::sync::Mutex<Writer>,
    waiting: parking_lot::Mutex<VecDeque<Waiting>>,
    broken: AtomicBool,
}

struct Writer {
    half: OwnedWriteHalf,
    /// The database the requests written so far leave the connection in.
    db: usize,
}

/// A request waiting for its reply: `skip` replies before it belong to it too (SELECT,
/// MULTI, QUEUED), the last one is its answer.
struct Waiting {
    skip: usize,
    reply: oneshot::Sender<Frame>,
    /// A `-MOVED` among the skipped replies (a queued command refused: nothing ran), which
    /// answers in place of the last.
    moved: Option<Frame>,
}

impl Pipe {
    /// Takes over `link` (connected and set up), and starts reading its replies.
    pub(crate) fn start(link: Link, databases: usize) -> Arc<Pipe> {
        let Link {
            addr, tcp, buf, db, ..
        } = link;
        let (read, write) = tcp.into_split();
        let pipe = Arc::new(Pipe {
            addr,
            databases,
            writer: tokio::sync::Mutex::new(Writer { half: write, db }),
            waiting: parking_lot::Mutex::new(VecDeque::new()),
            broken: AtomicBool::new(false),
        });
        tokio::spawn(read_replies(pipe.clone(), read, buf));
        pipe
    }

    /// False once the connection failed: open another.
    pub(crate) fn is_usable(&self) -> bool {
        !self.broken.load(Ordering::SeqCst)
    }

    /// Sends `commands` in database `db` and returns the last one's reply (waiting at most
    /// `timeout` for it).
    pub(crate) async fn request(
        &self,
        db: usize,
        commands: &[Vec<Bytes>],
        timeout: Duration,
    ) -> Result<Frame, Failure> {
        if db >= self.databases {
            return Ok(Frame::error(
                "ERR DB index is out of range on the Raft leader",
            ));
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut w = self.writer.lock().await;
            if !self.is_usable() {
                return Err(Failure::NotSent(
                    "the connection to the leader broke".into(),
                ));
            }
            let mut out = BytesMut::new();
            let select = db != w.db;
            if select {
                encode_command(&[b"SELECT".as_slice(), db.to_string().as_bytes()], &mut out);
            }
            for c in commands {
                encode_command(c, &mut out);
            }
            let skip = commands.len() - 1 + usize::from(select);
            // Queued before it is written, so the reader always finds it.
            self.waiting.lock().push_back(Waiting {
                skip,
                reply: tx,
                moved: None,
            });
            if let Err(e) = w.half.write_all(&out).await {
                self.break_off();
                return Err(Failure::Unknown(e.to_string()));
            }
            w.db = db;
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) => Err(Failure::Unknown("closed by the leader".into())),
            // Its reply, if it comes, goes to no one; the queue keeps its order.
            Err(_) => Err(Failure::Unknown("no reply in time".into())),
        }
    }

    /// Stops sending on it (the leader changed): the requests already sent are still
    /// answered, then the member closes the connection and the reader ends.
    pub(crate) fn retire(self: &Arc<Self>) {
        let pipe = self.clone();
        tokio::spawn(async move {
            let mut w = pipe.writer.lock().await;
            pipe.broken.store(true, Ordering::SeqCst);
            let _ = w.half.shutdown().await;
        });
    }

    /// Marks the connection broken and fails every waiting request (dropping their
    /// senders: the outcome is unknown).
    fn break_off(&self) {
        self.broken.store(true, Ordering::SeqCst);
        self.waiting.lock().clear();
    }
}

async fn read_replies(pipe: Arc<Pipe>, mut read: OwnedReadHalf, mut buf: BytesMut) {
    loop {
        match parse_frame(&mut buf) {
            Ok(Some(frame)) => {
                let mut waiting = pipe.waiting.lock();
                match waiting.front_mut() {
                    Some(w) if w.skip > 0 => {
                        w.skip -= 1;
                        if w.moved.is_none() && crate::forward::is_moved(&frame) {
                            w.moved = Some(frame);
                        }
                    }
                    Some(_) => {
                        if let Some(w) = waiting.pop_front() {
                            let _ = w.reply.send(w.moved.unwrap_or(frame));
                        }
                    }
                    // A reply nobody asked for: the stream is out of step.
                    None => break,
                }
                continue;
            }
            Ok(None) => {}
            Err(_) => break,
        }
        match read.read_buf(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    pipe.break_off();
}

/// The member's `databases`, asked on `link` (None if it cannot be read, e.g. the
/// forwarding user may not run CONFIG).
pub(crate) async fn databases(link: &mut Link) -> Option<usize> {
    let ask = vec![
        Bytes::from_static(b"CONFIG"),
        Bytes::from_static(b"GET"),
        Bytes::from_static(b"databases"),
    ];
    let reply = link
        .call(link.db, &[ask], Some(Duration::from_secs(5)))
        .await
        .ok()?;
    let value = match reply {
        Frame::Map(pairs) => pairs.into_iter().next().map(|(_, v)| v),
        Frame::Array(items) => items.into_iter().nth(1),
        _ => None,
    }?;
    match value {
        Frame::Bulk(b) => std::str::from_utf8(&b).ok()?.parse().ok(),
        _ => None,
    }
}
