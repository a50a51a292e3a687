//! The replication stream as replicas receive it: write effects encoded as RESP commands
//! (with `SELECT` whenever the database changes), appended to the backlog, with the
//! offsets Redis's protocol counts.
//!
//! It lives in the effects bus so that appending happens in the one order effects are sent
//! in. Nothing is encoded until the first replica asks for the stream: a server that never
//! had a replica pays one relaxed load per write.

use super::backlog::Backlog;
use crate::effects::Effect;
use parking_lot::Mutex;
use shoal_resp::encode_command;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::task::{Context, Poll, Waker};

/// Who reads the stream and from where: replica links, by client id.
struct Reader {
    id: u64,
    /// Offset of the next byte it reads.
    next: u64,
}

struct State {
    backlog: Option<Backlog>,
    /// The database the stream last selected; None forces a `SELECT` before the next
    /// command (after a full sync starts, a replica knows no selection).
    db: Option<usize>,
    readers: Vec<Reader>,
    /// `repl-backlog-size`: bytes kept for partial resyncs.
    keep: usize,
    /// Bytes a slow reader may hold back beyond `keep` before it is cut off (the hard
    /// limit of `client-output-buffer-limit replica`); 0 means no limit.
    slack: usize,
    scratch: bytes::BytesMut,
}

/// The replication stream: the backlog plus who waits on it.
pub(crate) struct Stream {
    state: Mutex<State>,
    /// Local write effects are appended (a primary); a replica appends what its primary
    /// sent instead.
    feeding: AtomicBool,
    /// Mirror of the backlog's end, for lock-free reads (`master_repl_offset`).
    end: AtomicU64,
    wakers: Mutex<Vec<Waker>>,
    /// Set while `wakers` may hold a waker, so appends skip its lock otherwise.
    waiting: AtomicBool,
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            state: Mutex::new(State {
                backlog: None,
                db: None,
                readers: Vec::new(),
                keep: 1 << 20,
                slack: 256 << 20,
                scratch: bytes::BytesMut::new(),
            }),
            feeding: AtomicBool::new(false),
            end: AtomicU64::new(0),
            wakers: Mutex::new(Vec::new()),
            waiting: AtomicBool::new(false),
        }
    }
}

impl Stream {
    /// True while local writes are appended.
    pub(crate) fn is_feeding(&self) -> bool {
        self.feeding.load(Relaxed)
    }

    /// Offset of the last byte of the stream (`master_repl_offset`).
    pub(crate) fn end(&self) -> u64 {
        self.end.load(SeqCst)
    }

    /// Appends a write effect (only while feeding).
    pub(crate) fn feed(&self, e: &Effect) {
        if !self.feeding.load(Relaxed) {
            return;
        }
        let mut st = self.state.lock();
        let State {
            backlog,
            db,
            scratch,
            ..
        } = &mut *st;
        let Some(b) = backlog.as_mut() else { return };
        scratch.clear();
        if *db != Some(e.db) {
            let mut n = itoa::Buffer::new();
            encode_command(&[&b"SELECT"[..], n.format(e.db).as_bytes()], scratch);
            *db = Some(e.db);
        }
        encode_command(&e.args, scratch);
        b.append(scratch);
        self.after_append(&mut st);
    }

    /// Appends a command that belongs to no database (PING, REPLCONF GETACK).
    pub(crate) fn append_command(&self, args: &[&[u8]]) -> bool {
        let mut st = self.state.lock();
        let mut buf = std::mem::take(&mut st.scratch);
        buf.clear();
        encode_command(args, &mut buf);
        let done = match st.backlog.as_mut() {
            Some(b) => {
                b.append(&buf);
                true
            }
            None => false,
        };
        st.scratch = buf;
        if done {
            self.after_append(&mut st);
        }
        done
    }

    /// Appends bytes exactly as received from this replica's own primary, so replicas of
    /// this replica see the same stream at the same offsets.
    pub(crate) fn append_raw(&self, bytes: &[u8]) {
        let mut st = self.state.lock();
        if let Some(b) = st.backlog.as_mut() {
            b.append(bytes);
            self.after_append(&mut st);
        }
    }

    fn after_append(&self, st: &mut State) {
        let Some(b) = st.backlog.as_mut() else { return };
        self.end.store(b.end(), SeqCst);
        if b.held() > st.keep + (64 << 10) {
            let needed = st.readers.iter().map(|r| r.next).min().unwrap_or(u64::MAX);
            let needed = if st.slack > 0 && b.held() > st.keep + st.slack {
                // Readers this far behind are cut off: their next read finds the bytes gone.
                u64::MAX
            } else {
                needed
            };
            b.trim(st.keep, needed);
        }
        if self.waiting.swap(false, SeqCst) {
            let wakers = std::mem::take(&mut *self.wakers.lock());
            for w in wakers {
                w.wake();
            }
        }
    }

    /// Creates the backlog if there is none (its first byte will follow offset `end`), and
    /// starts appending local writes when `feed` is set. Returns the current end.
    pub(crate) fn ensure(&self, feed: bool) -> u64 {
        let mut st = self.state.lock();
        let end = self.end.load(SeqCst);
        if st.backlog.is_none() {
            st.backlog = Some(Backlog::new(end));
            st.db = None;
        }
        if feed {
            self.feeding.store(true, SeqCst);
        }
        end
    }

    /// Stops appending local writes (this server becomes a replica).
    pub(crate) fn stop_feeding(&self) {
        self.feeding.store(false, SeqCst);
    }

    /// Starts over at offset `end` with an empty backlog (a full sync from a primary).
    pub(crate) fn reset(&self, end: u64) {
        let mut st = self.state.lock();
        st.backlog = Some(Backlog::new(end));
        st.db = None;
        self.end.store(end, SeqCst);
    }

    /// Frees the backlog (`repl-backlog-ttl` passed without replicas); the offset stays.
    pub(crate) fn drop_backlog(&self) {
        let mut st = self.state.lock();
        st.backlog = None;
        st.readers.clear();
        self.feeding.store(false, SeqCst);
    }

    /// Makes the next appended command select its database again (a full sync begins here).
    pub(crate) fn forget_db(&self) {
        self.state.lock().db = None;
    }

    /// Sets `repl-backlog-size` and the slow-reader allowance.
    pub(crate) fn set_limits(&self, keep: usize, slack: usize) {
        let mut st = self.state.lock();
        st.keep = keep.max(16 << 10);
        st.slack = slack;
    }

    /// Whether the bytes from offset `from` on are still held.
    pub(crate) fn covers(&self, from: u64) -> bool {
        self.state
            .lock()
            .backlog
            .as_ref()
            .is_some_and(|b| b.covers(from))
    }

    /// Registers reader `id` at offset `next` (kept from trimming until read).
    pub(crate) fn attach(&self, id: u64, next: u64) {
        let mut st = self.state.lock();
        st.readers.retain(|r| r.id != id);
        st.readers.push(Reader { id, next });
    }

    /// Forgets reader `id`.
    pub(crate) fn detach(&self, id: u64) {
        self.state.lock().readers.retain(|r| r.id != id);
    }

    /// Copies up to `max` bytes from offset `from` for reader `id` into `out` and records
    /// its progress. None if those bytes are gone (the reader fell too far behind).
    pub(crate) fn read(&self, id: u64, from: u64, max: usize, out: &mut Vec<u8>) -> Option<usize> {
        let mut st = self.state.lock();
        let n = st.backlog.as_ref()?.read(from, max, out)?;
        if let Some(r) = st.readers.iter_mut().find(|r| r.id == id) {
            r.next = from + n as u64;
        }
        Some(n)
    }

    /// Ready once the stream holds a byte at offset `from`.
    pub(crate) fn poll_data(&self, from: u64, cx: &mut Context<'_>) -> Poll<()> {
        if self.end.load(SeqCst) >= from {
            return Poll::Ready(());
        }
        {
            let mut wakers = self.wakers.lock();
            if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                wakers.push(cx.waker().clone());
            }
            self.waiting.store(true, SeqCst);
        }
        // An append between the check and the registration has already woken everyone.
        if self.end.load(SeqCst) >= from {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// INFO's view: (active, first byte offset, bytes held).
    pub(crate) fn info(&self) -> (bool, u64, usize) {
        let st = self.state.lock();
        match st.backlog.as_ref() {
            Some(b) => (true, b.first(), b.held()),
            None => (false, 0, 0),
        }
    }
}

/// Waits until the stream holds a byte at offset `from`.
pub struct DataReady<'a> {
    pub(crate) stream: &'a Stream,
    pub(crate) from: u64,
}

impl std::future::Future for DataReady<'_> {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.stream.poll_data(self.from, cx)
    }
}
