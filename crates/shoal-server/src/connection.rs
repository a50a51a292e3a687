//! One client connection: read, parse every complete request, execute, write once.

use crate::limits::{subscribed, Class, OutputTracker};
use crate::push::PushBuffer;
use crate::wake::{Waiter, Wake, CLOSE, PUSH};
use bytes::{Buf, BytesMut};
use shoal_engine::{ClientInfo, ClientKind, Config, Engine, Outcome, Pending, Session};
use shoal_resp::{encode, parse_command, Frame, Limits, Protocol};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

const READ_CHUNK: usize = 16 * 1024;

/// Replies shorter than this wait for the other ready connections (see `serve`).
const BURST_BELOW: usize = 4096;

/// Resolves once a replica's link must end (CLIENT KILL or server shutdown).
pub(crate) type Closing = Pin<Box<dyn Future<Output = ()> + Send>>;

pub(crate) struct Connection<S> {
    stream: S,
    session: Session,
    /// Raised with `CLOSE` once the connection must end (CLIENT KILL or server shutdown),
    /// with `PUSH` while pushes wait. Polled around every read and write.
    waiter: Waiter,
    /// Turns the server's shutdown into `CLOSE`; stopped with the connection.
    _shutdown: AbortOnDrop,
    push: Arc<PushBuffer>,
    /// The reply buffer against the normal class of `client-output-buffer-limit`.
    output_limit: OutputTracker,
    knobs: Knobs,
}

/// Where the parameters read for every request sit in the configuration, found once per
/// connection so a request reads each with one load instead of a search by name.
struct Knobs {
    max_bulk_len: Option<usize>,
    timeout: Option<usize>,
    query_buffer_limit: Option<usize>,
}

impl Knobs {
    fn new(config: &Config) -> Knobs {
        Knobs {
            max_bulk_len: config.index_of("proto-max-bulk-len"),
            timeout: config.index_of("timeout"),
            query_buffer_limit: config.index_of("client-query-buffer-limit"),
        }
    }

    fn read(config: &Config, at: Option<usize>, name: &str) -> i64 {
        match at {
            Some(i) => config.get_at(i),
            None => config.get_i64(name),
        }
    }
}

/// Aborts a helper task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What a connection runs over: plain TCP or TLS on top of it.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Describes an accepted TCP connection, setting its socket options on the way.
pub(crate) fn tcp_info(engine: &Engine, stream: &TcpStream, peer: SocketAddr) -> ClientInfo {
    let laddr = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let _ = stream.set_nodelay(true);
    let keepalive = engine.inner().config.get_i64("tcp-keepalive");
    if keepalive > 0 {
        let ka = socket2::TcpKeepalive::new().with_time(Duration::from_secs(keepalive as u64));
        let _ = socket2::SockRef::from(stream).set_tcp_keepalive(&ka);
    }
    ClientInfo {
        kind: ClientKind::Tcp,
        addr: peer.to_string(),
        laddr,
        fd: raw_fd(stream),
    }
}

/// What waiting for input produced.
enum Input {
    /// Bytes were read (0: the peer closed).
    Read(usize),
    /// Pushes (pub/sub messages) wait to be written.
    Pushes,
}

/// Raises `CLOSE` on `wake` once the server shuts down (or its stop channel is gone).
fn on_shutdown(wake: Arc<Wake>, mut shutdown: watch::Receiver<bool>) -> AbortOnDrop {
    AbortOnDrop(tokio::spawn(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
        wake.raise(CLOSE);
    }))
}

/// Why a connection ends.
enum Close {
    Peer,
    Quit,
    Error,
    /// Over `client-output-buffer-limit`: closed without writing what is pending.
    OutputLimit,
    /// PSYNC made it a replica's link; what the replica sent after PSYNC goes along.
    Takeover(BytesMut),
}

impl<S: Stream> Connection<S> {
    pub(crate) fn new(
        engine: Engine,
        stream: S,
        info: ClientInfo,
        shutdown: watch::Receiver<bool>,
    ) -> Connection<S> {
        let output_limit = OutputTracker::new(&engine.inner().config, Class::Normal);
        let knobs = Knobs::new(&engine.inner().config);
        let mut session = engine.session_for(info);
        let wake = Arc::new(Wake::default());
        let push = Arc::new(PushBuffer::new(
            engine.clone(),
            session.state().handle.clone(),
            wake.clone(),
        ));
        session.state_mut().set_push_sink(push.clone());
        let killed = wake.clone();
        session.state().handle.on_kill(move || killed.raise(CLOSE));
        Connection {
            stream,
            session,
            waiter: Waiter::new(wake.clone()),
            _shutdown: on_shutdown(wake, shutdown),
            push,
            output_limit,
            knobs,
        }
    }

    /// Answers a connection that may not be served (too many clients) and closes it.
    pub(crate) async fn refuse(mut stream: S, msg: &'static str) {
        let line = format!("-{msg}\r\n");
        let _ = stream.write_all(line.as_bytes()).await;
        let _ = stream.shutdown().await;
        // Whatever the client sent meanwhile is read and dropped for a moment: closing with
        // unread input would reset the connection and could lose the answer on the way.
        let mut sink = [0u8; 1024];
        let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
        let _ = tokio::time::timeout(Duration::from_millis(500), drain).await;
    }

    pub(crate) async fn run(mut self) {
        let end = self.serve().await;
        if let Close::Takeover(input) = end {
            let Connection {
                stream,
                session,
                mut waiter,
                _shutdown,
                ..
            } = self;
            let closing: Closing = Box::pin(async move {
                let _shutdown = _shutdown;
                waiter.wait(CLOSE).await;
            });
            return crate::replication::primary::serve(stream, session, closing, input).await;
        }
        match end {
            Close::Error => tracing::debug!(
                client = self.session.state().id(),
                "connection closed on error"
            ),
            Close::OutputLimit => tracing::warn!(
                client = self.session.state().id(),
                "closing client over the normal output buffer limit"
            ),
            Close::Peer | Close::Quit | Close::Takeover(_) => {}
        }
        let _ = self.stream.shutdown().await;
    }

    async fn serve(&mut self) -> Close {
        let mut input = BytesMut::with_capacity(READ_CHUNK);
        let mut output = BytesMut::with_capacity(READ_CHUNK);
        loop {
            match self.read_more(&mut input).await {
                Ok(Input::Read(0)) | Err(_) => return Close::Peer,
                Ok(Input::Read(_)) => {}
                Ok(Input::Pushes) => {
                    // Let the publishers that are ready run first, so one write carries
                    // everything they publish in this round instead of one write each.
                    tokio::task::yield_now().await;
                    self.push.drain_into(&mut output);
                    if !self.flush(&mut output).await {
                        return Close::Peer;
                    }
                    continue;
                }
            }
            let mut mark = self.session.engine().write_mark();
            let end = loop {
                match self.execute_buffered(&mut input, &mut output) {
                    Batch::NeedMore => break None,
                    Batch::Close(Close::OutputLimit) => return Close::OutputLimit,
                    Batch::Paused => {
                        // Replies before the paused command go out once they are safe.
                        if !self.durable(mark).await {
                            return Close::Error;
                        }
                        if !self.flush(&mut output).await {
                            return Close::Peer;
                        }
                        let engine = self.session.engine().clone();
                        tokio::select! {
                            _ = engine.inner().repl.unpaused() => {}
                            _ = self.waiter.wait(CLOSE) => return Close::Peer,
                        }
                        mark = self.session.engine().write_mark();
                    }
                    Batch::Takeover => {
                        if !self.flush(&mut output).await {
                            return Close::Peer;
                        }
                        return Close::Takeover(std::mem::take(&mut input));
                    }
                    Batch::Close(close) => break Some(close),
                    Batch::Blocked(pending) => {
                        // Replies before the blocking command go out before it waits.
                        if !self.durable(mark).await {
                            return Close::Error;
                        }
                        mark = self.session.engine().write_mark();
                        if !self.flush(&mut output).await {
                            return Close::Peer;
                        }
                        match self.wait_blocked(pending, &mut input).await {
                            Some(reply) => {
                                encode(&reply, self.session.state().protocol, &mut output)
                            }
                            None => return Close::Peer,
                        }
                    }
                }
            };
            if !self.durable(mark).await {
                return Close::Error;
            }
            if output.len() < BURST_BELOW && self.session.engine().inner().clients.tcp_count() > 1 {
                // Let the other connections that are ready read and execute first, so
                // their replies leave in one burst with this one: a client reading many
                // connections then finds them waiting instead of being woken for each.
                // A large reply goes at once: its reader is kept busy by it anyway, and
                // holding it back would leave that reader idle while the others execute.
                tokio::task::yield_now().await;
            }
            self.push.drain_into(&mut output);
            if !self.flush(&mut output).await {
                return Close::Peer;
            }
            if let Some(close) = end {
                return close;
            }
            if self.session.should_close() {
                return Close::Quit;
            }
            let limit = Knobs::read(
                &self.session.engine().inner().config,
                self.knobs.query_buffer_limit,
                "client-query-buffer-limit",
            );
            if input.len() as i64 > limit {
                tracing::warn!(
                    client = self.session.state().id(),
                    "closing client that exceeded the query buffer limit"
                );
                return Close::Error;
            }
        }
    }

    /// Holds the batch begun at `mark` back until its writes are safe: on disk with
    /// `appendfsync always`, committed by the group on a Raft member (see
    /// [`Engine::when_settled`](shoal_engine::Engine::when_settled)). False when they may be
    /// lost (leadership changed first): the connection then closes unanswered, so the client
    /// knows the outcome is unknown instead of reading an acknowledgement.
    async fn durable(&mut self, mark: u64) -> bool {
        if !self.session.engine().may_wait_settled(mark) {
            return true;
        }
        let (tx, rx) = oneshot::channel();
        let read = self.session.state_mut().take_read_data();
        let waits = self.session.engine().when_settled(
            mark,
            read,
            Box::new(move |ok| {
                let _ = tx.send(ok);
            }),
        );
        !waits || rx.await.unwrap_or(false)
    }

    /// Writes what is buffered; false if the peer is gone.
    async fn flush(&mut self, output: &mut BytesMut) -> bool {
        if output.is_empty() {
            return true;
        }
        let stats = &self.session.engine().inner().stats;
        stats
            .net_output_bytes
            .fetch_add(output.len() as u64, Relaxed);
        // Nearly always the socket takes the whole reply at once: nothing to wait for.
        match self.write_now(output).await {
            Some(true) => {
                self.written(output);
                return true;
            }
            Some(false) => {}
            None => return false,
        }
        // CLIENT LIST `omem`: what waits for a slow reader while the write is pending.
        let handle = &self.session.state().handle;
        handle.omem.store(output.len(), Relaxed);
        // A reply buffer above the soft limit may wait for the peer only that long.
        let soft = if subscribed(handle) {
            None
        } else {
            let config = &self.session.engine().inner().config;
            self.output_limit.soft_deadline(config, output.len())
        };
        let over_soft = async {
            match soft {
                Some(left) => tokio::time::sleep(left).await,
                None => std::future::pending::<()>().await,
            }
        };
        // A client killed meanwhile (CLIENT KILL, or over its output limit) is not waited
        // for: a peer that never reads must not hold the task forever.
        let written = tokio::select! {
            biased;
            _ = self.waiter.wait(CLOSE) => false,
            w = self.stream.write_all(output) => w.is_ok(),
            _ = over_soft => {
                tracing::warn!(
                    client = self.session.state().id(),
                    "closing client over the normal output buffer soft limit"
                );
                false
            }
        };
        if !written {
            return false;
        }
        let handle = &self.session.state().handle;
        handle.omem.store(0, Relaxed);
        self.written(output);
        true
    }

    /// Writes as much of `output` as the socket takes without waiting, removing it from
    /// the buffer: Some(true) once all is written, Some(false) if some is left, None if
    /// the peer is gone.
    async fn write_now(&mut self, output: &mut BytesMut) -> Option<bool> {
        let stream = &mut self.stream;
        let wrote = std::future::poll_fn(|cx| {
            let mut done = 0;
            while done < output.len() {
                match Pin::new(&mut *stream).poll_write(cx, &output[done..]) {
                    Poll::Ready(Ok(n)) if n > 0 => done += n,
                    Poll::Ready(_) => return Poll::Ready(None),
                    Poll::Pending => break,
                }
            }
            Poll::Ready(Some(done))
        })
        .await?;
        if wrote == output.len() {
            output.clear();
            return Some(true);
        }
        output.advance(wrote);
        Some(false)
    }

    /// The reply buffer went out whole.
    fn written(&mut self, output: &mut BytesMut) {
        self.output_limit.reset();
        output.clear();
        if output.capacity() > 64 * READ_CHUNK {
            *output = BytesMut::with_capacity(READ_CHUNK);
        }
    }

    /// Parks a blocked command and waits for its reply, its deadline, or the end of the
    /// connection. Input that arrives meanwhile is buffered for after the reply, as Redis
    /// does; a peer that hangs up stops the wait so nothing is served to a dead client.
    async fn wait_blocked(&mut self, pending: Pending, input: &mut BytesMut) -> Option<Frame> {
        let (tx, mut rx) = oneshot::channel();
        let engine = self.session.engine().clone();
        let (deadline, on_timeout) = (pending.deadline_ms, pending.on_timeout.clone());
        self.session
            .park(pending, Box::new(move |f| drop(tx.send(f))));
        let timeout = async {
            if deadline == 0 {
                std::future::pending::<()>().await
            }
            let left = deadline.saturating_sub(engine.inner().now_ms());
            tokio::time::sleep(Duration::from_millis(left)).await
        };
        tokio::pin!(timeout);
        loop {
            tokio::select! {
                biased;
                reply = &mut rx => return reply.ok(),
                raised = self.waiter.wait(CLOSE | PUSH) => {
                    if raised & CLOSE != 0 {
                        self.session.cancel_block();
                        return None;
                    }
                    let mut out = BytesMut::new();
                    self.push.drain_into(&mut out);
                    if !self.flush(&mut out).await {
                        self.session.cancel_block();
                        return None;
                    }
                }
                _ = &mut timeout => {
                    if self.session.cancel_block() {
                        return Some(on_timeout);
                    }
                    // Being served right now: its reply is on the way.
                    return rx.await.ok();
                }
                read = self.stream.read_buf(input) => {
                    if matches!(read, Ok(0) | Err(_)) {
                        self.session.cancel_block();
                        return None;
                    }
                }
            }
        }
    }

    /// Reads at least one byte (0 means the peer closed), honouring kill, shutdown and the
    /// idle `timeout`.
    async fn read_more(&mut self, input: &mut BytesMut) -> std::io::Result<Input> {
        if input.capacity() - input.len() < READ_CHUNK / 4 {
            input.reserve(READ_CHUNK);
        }
        let idle = if subscribed(&self.session.state().handle) {
            0
        } else {
            let config = &self.session.engine().inner().config;
            Knobs::read(config, self.knobs.timeout, "timeout")
        };
        let read = self.stream.read_buf(input);
        let timeout = async {
            if idle > 0 {
                tokio::time::sleep(Duration::from_secs(idle as u64)).await
            } else {
                std::future::pending::<()>().await
            }
        };
        // Input first, so a stream of pushes cannot hold back the client's own requests;
        // an end raised meanwhile is seen here at the latest, however busy the client is.
        let n = if self.waiter.is_raised(CLOSE) {
            0
        } else {
            tokio::select! {
                biased;
                r = read => r?,
                raised = self.waiter.wait(CLOSE | PUSH) => {
                    if raised & CLOSE == 0 {
                        return Ok(Input::Pushes);
                    }
                    0
                }
                _ = timeout => 0,
            }
        };
        let stats = &self.session.engine().inner().stats;
        stats.net_input_bytes.fetch_add(n as u64, Relaxed);
        self.session.state().handle.qbuf.store(input.len(), Relaxed);
        Ok(Input::Read(n))
    }

    /// Executes every complete request in `input`, encoding replies into `output`, until the
    /// input runs out, the connection must close, or a command blocks.
    fn execute_buffered(&mut self, input: &mut BytesMut, output: &mut BytesMut) -> Batch {
        let config = &self.session.engine().inner().config;
        let max_bulk = Knobs::read(config, self.knobs.max_bulk_len, "proto-max-bulk-len");
        let limits = Limits {
            max_bulk_len: max_bulk.max(0) as usize,
            ..Limits::default()
        };
        loop {
            match parse_command(input, &limits) {
                Ok(Some(args)) => {
                    if args.is_empty() {
                        continue;
                    }
                    if self.session.paused(&args) {
                        // A failover pauses writes: this one runs once it ends.
                        let mut again = BytesMut::new();
                        shoal_resp::encode_command(&args, &mut again);
                        again.extend_from_slice(input);
                        *input = again;
                        return Batch::Paused;
                    }
                    let outcome = self.session.run(args);
                    let before = std::mem::take(&mut self.session.state_mut().before_reply);
                    let proto = self.session.state().protocol;
                    for frame in &before {
                        encode(frame, proto, output);
                    }
                    match outcome {
                        Outcome::Reply(Some(reply)) => encode(&reply, proto, output),
                        Outcome::Reply(None) => {}
                        Outcome::Blocked(pending) => return Batch::Blocked(pending),
                    }
                    if self.over_output_limit(output.len()) {
                        return Batch::Close(Close::OutputLimit);
                    }
                    if self.session.should_close() {
                        return Batch::Close(Close::Quit);
                    }
                    if self.session.state().takes_over() {
                        return Batch::Takeover;
                    }
                }
                Ok(None) => return Batch::NeedMore,
                Err(e) => {
                    let reply = Frame::error(format!("ERR {e}"));
                    encode(&reply, Protocol::Resp2, output);
                    return Batch::Close(Close::Error);
                }
            }
        }
    }
}

impl<S> Connection<S> {
    /// True once the pending replies pass the normal class's output buffer limit.
    fn over_output_limit(&mut self, pending: usize) -> bool {
        let handle = &self.session.state().handle;
        if subscribed(handle) {
            return false;
        }
        let config = &self.session.engine().inner().config;
        self.output_limit.exceeded(config, pending)
    }
}

/// How far a batch of buffered requests got.
enum Batch {
    /// Every complete request ran; more input is needed.
    NeedMore,
    /// The connection must close after what was written.
    Close(Close),
    /// A command blocked; the rest of the input waits for its reply.
    Blocked(Pending),
    /// PSYNC or SYNC: the connection becomes a replica's link.
    Takeover,
    /// A write waits for a failover's pause to end (it is back at the head of the input).
    Paused,
}

#[cfg(unix)]
fn raw_fd(stream: &TcpStream) -> i64 {
    use std::os::fd::AsRawFd;
    i64::from(stream.as_raw_fd())
}

#[cfg(not(unix))]
fn raw_fd(_stream: &TcpStream) -> i64 {
    -1
}
