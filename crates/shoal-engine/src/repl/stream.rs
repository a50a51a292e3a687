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
    /// Where a command too long for the last block is encoded before it is appended.
    scratch: Vec<u8>,
}

/// The replication stream: the backlog plus who waits on it.
pub(crate) struct Stream {
    state: Mutex<State>,
    /// Local write effects are appended (a primary); a replica appends what its primary
    /// sent instead.
    feeding: AtomicBool,
    /// Mirror of the backlog's end, for lock-free reads (`master_repl_offset`).
    end: AtomicU64,
    /// Links waiting for bytes past the end.
    data: WakeList,
    /// Counts appends that want out at once (WAIT's `REPLCONF GETACK`, PING): a link
    /// gathering writes stops gathering when it moves.
    urgent: AtomicU64,
    /// Links gathering writes.
    gathering: WakeList,
}

/// Tasks to wake, with a flag that spares wakers its lock while nobody waits.
#[derive(Default)]
struct WakeList {
    wakers: Mutex<Vec<Waker>>,
    /// Set while `wakers` may hold a waker.
    waiting: AtomicBool,
}

impl WakeList {
    /// Registers the task of `cx`; the caller checks its condition again afterwards (an
    /// event between its first check and this has already woken the list).
    fn register(&self, cx: &Context<'_>) {
        let mut wakers = self.wakers.lock();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        self.waiting.store(true, SeqCst);
    }

    /// Wakes whoever registered since the last wake.
    fn wake_all(&self) {
        // A plain load first: while nobody waits (a link busy writing what came before),
        // an append costs no read-modify-write on a line the link also touches.
        if self.waiting.load(SeqCst) && self.waiting.swap(false, SeqCst) {
            let wakers = std::mem::take(&mut *self.wakers.lock());
            for w in wakers {
                w.wake();
            }
        }
    }
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
                scratch: Vec::new(),
            }),
            feeding: AtomicBool::new(false),
            end: AtomicU64::new(0),
            data: WakeList::default(),
            urgent: AtomicU64::new(0),
            gathering: WakeList::default(),
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

    /// Appends a write effect (only while feeding), encoded once, in place, under the one
    /// lock of the stream.
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
        let mut n = itoa::Buffer::new();
        let select = if *db != Some(e.db) {
            *db = Some(e.db);
            Some(n.format(e.db).as_bytes())
        } else {
            None
        };
        let select = select.map(|index| [&b"SELECT"[..], index]);
        let len = select.as_ref().map_or(0, |s| command_len(s)) + command_len(&e.args);
        b.append_with(len, scratch, |out| {
            if let Some(s) = &select {
                put_command(out, s);
            }
            put_command(out, &e.args);
        });
        self.after_append(&mut st);
    }

    /// Appends a command that belongs to no database (PING, REPLCONF GETACK).
    pub(crate) fn append_command(&self, args: &[&[u8]]) -> bool {
        let mut st = self.state.lock();
        let State {
            backlog, scratch, ..
        } = &mut *st;
        let Some(b) = backlog.as_mut() else {
            return false;
        };
        b.append_with(command_len(args), scratch, |out| put_command(out, args));
        self.after_append(&mut st);
        self.urgent.fetch_add(1, SeqCst);
        self.gathering.wake_all();
        true
    }

    /// How many urgent appends were made so far (see [`Stream::poll_urgent`]).
    pub(crate) fn urgent(&self) -> u64 {
        self.urgent.load(SeqCst)
    }

    /// Ready once an urgent append was made since [`Stream::urgent`] returned `seen`.
    pub(crate) fn poll_urgent(&self, seen: u64, cx: &mut Context<'_>) -> Poll<()> {
        if self.urgent.load(SeqCst) != seen {
            return Poll::Ready(());
        }
        self.gathering.register(cx);
        if self.urgent.load(SeqCst) != seen {
            return Poll::Ready(());
        }
        Poll::Pending
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
        self.data.wake_all();
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
        self.data.register(cx);
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

/// Bytes of `args` encoded as a multibulk request.
pub(crate) fn command_len(args: &[impl AsRef<[u8]>]) -> usize {
    args.iter().fold(header_len(args.len()), |n, a| {
        let a = a.as_ref().len();
        n + header_len(a) + a + 2
    })
}

/// Bytes of a `*N` or `$N` line.
fn header_len(n: usize) -> usize {
    let mut digits = 1;
    let mut rest = n / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    digits + 3
}

/// Appends `args` as a multibulk request (exactly [`command_len`] bytes), as
/// `shoal_resp::encode_command` writes it.
pub(crate) fn put_command(out: &mut Vec<u8>, args: &[impl AsRef<[u8]>]) {
    put_header(out, b'*', args.len());
    for a in args {
        let a = a.as_ref();
        put_header(out, b'$', a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn put_header(out: &mut Vec<u8>, prefix: u8, n: usize) {
    // Most counts and lengths have one or two digits: written as one fixed-size copy.
    if n < 10 {
        out.extend_from_slice(&[prefix, b'0' + n as u8, b'\r', b'\n']);
    } else if n < 100 {
        let (tens, ones) = ((n / 10) as u8, (n % 10) as u8);
        out.extend_from_slice(&[prefix, b'0' + tens, b'0' + ones, b'\r', b'\n']);
    } else {
        let mut digits = itoa::Buffer::new();
        out.push(prefix);
        out.extend_from_slice(digits.format(n).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Waits until an urgent append (WAIT's `REPLCONF GETACK`) follows the point where
/// [`crate::repl::Repl::urgent_mark`] was taken.
pub struct UrgentAppend<'a> {
    pub(crate) stream: &'a Stream,
    pub(crate) seen: u64,
}

impl std::future::Future for UrgentAppend<'_> {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.stream.poll_urgent(self.seen, cx)
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
