//! One client connection: read, parse every complete request, execute, write once.

use bytes::BytesMut;
use shoal_engine::{ClientInfo, ClientKind, Engine, Session};
use shoal_resp::{encode, parse_command, Limits, Protocol};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};

const READ_CHUNK: usize = 16 * 1024;

pub(crate) struct Connection {
    stream: TcpStream,
    session: Session,
    killed: Arc<Notify>,
    shutdown: watch::Receiver<bool>,
}

/// Why a connection ends.
enum Close {
    Peer,
    Quit,
    Error,
}

impl Connection {
    pub(crate) fn new(
        engine: Engine,
        stream: TcpStream,
        peer: SocketAddr,
        shutdown: watch::Receiver<bool>,
    ) -> Connection {
        let laddr = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let fd = raw_fd(&stream);
        let _ = stream.set_nodelay(true);
        let keepalive = engine.inner().config.get_i64("tcp-keepalive");
        if keepalive > 0 {
            let ka = socket2::TcpKeepalive::new().with_time(Duration::from_secs(keepalive as u64));
            let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&ka);
        }
        let info = ClientInfo {
            kind: ClientKind::Tcp,
            addr: peer.to_string(),
            laddr,
            fd,
        };
        let session = engine.session_for(info);
        let killed = Arc::new(Notify::new());
        let waker = killed.clone();
        session.state().handle.on_kill(move || waker.notify_one());
        Connection {
            stream,
            session,
            killed,
            shutdown,
        }
    }

    /// Answers a connection that may not be served (too many clients) and closes it.
    pub(crate) async fn refuse(mut stream: TcpStream, msg: &'static str) {
        let line = format!("-{msg}\r\n");
        let _ = stream.write_all(line.as_bytes()).await;
    }

    pub(crate) async fn run(mut self) {
        let end = self.serve().await;
        if let Close::Error = end {
            tracing::debug!(
                client = self.session.state().id(),
                "connection closed on error"
            );
        }
        let _ = self.stream.shutdown().await;
    }

    async fn serve(&mut self) -> Close {
        let mut input = BytesMut::with_capacity(READ_CHUNK);
        let mut output = BytesMut::with_capacity(READ_CHUNK);
        loop {
            match self.read_more(&mut input).await {
                Ok(0) | Err(_) => return Close::Peer,
                Ok(_) => {}
            }
            let outcome = self.execute_buffered(&mut input, &mut output);
            if !output.is_empty() {
                let stats = &self.session.engine().inner().stats;
                stats
                    .net_output_bytes
                    .fetch_add(output.len() as u64, Relaxed);
                if self.stream.write_all(&output).await.is_err() {
                    return Close::Peer;
                }
                output.clear();
                if output.capacity() > 4 * READ_CHUNK * 16 {
                    output = BytesMut::with_capacity(READ_CHUNK);
                }
            }
            if let Some(close) = outcome {
                return close;
            }
            if self.session.should_close() {
                return Close::Quit;
            }
            let limit = self
                .session
                .engine()
                .inner()
                .config
                .get_i64("client-query-buffer-limit");
            if input.len() as i64 > limit {
                tracing::warn!(
                    client = self.session.state().id(),
                    "closing client that exceeded the query buffer limit"
                );
                return Close::Error;
            }
        }
    }

    /// Reads at least one byte (0 means the peer closed), honouring kill, shutdown and the
    /// idle `timeout`.
    async fn read_more(&mut self, input: &mut BytesMut) -> std::io::Result<usize> {
        if input.capacity() - input.len() < READ_CHUNK / 4 {
            input.reserve(READ_CHUNK);
        }
        let idle = self.session.engine().inner().config.get_i64("timeout");
        let read = self.stream.read_buf(input);
        let timeout = async {
            if idle > 0 {
                tokio::time::sleep(Duration::from_secs(idle as u64)).await
            } else {
                std::future::pending::<()>().await
            }
        };
        let n = tokio::select! {
            r = read => r?,
            _ = self.killed.notified() => 0,
            _ = self.shutdown.changed() => 0,
            _ = timeout => 0,
        };
        let stats = &self.session.engine().inner().stats;
        stats.net_input_bytes.fetch_add(n as u64, Relaxed);
        self.session.state().handle.qbuf.store(input.len(), Relaxed);
        Ok(n)
    }

    /// Executes every complete request in `input`, encoding replies into `output`.
    fn execute_buffered(&mut self, input: &mut BytesMut, output: &mut BytesMut) -> Option<Close> {
        let config = &self.session.engine().inner().config;
        let limits = Limits {
            max_bulk_len: config.get_i64("proto-max-bulk-len").max(0) as usize,
            ..Limits::default()
        };
        loop {
            match parse_command(input, &limits) {
                Ok(Some(args)) => {
                    if args.is_empty() {
                        continue;
                    }
                    if let Some(reply) = self.session.execute(args) {
                        encode(&reply, self.session.state().protocol, output);
                    }
                    if self.session.should_close() {
                        return Some(Close::Quit);
                    }
                }
                Ok(None) => return None,
                Err(e) => {
                    let reply = shoal_resp::Frame::error(format!("ERR {e}"));
                    encode(&reply, Protocol::Resp2, output);
                    return Some(Close::Error);
                }
            }
        }
    }
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
