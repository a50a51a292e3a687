//! Accepting connections, and a handle that runs a server on its own threads.

use crate::connection::{tcp_info, Connection};
use crate::rebind::Listeners;
use crate::tls::TlsContext;
use shoal_engine::Engine;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Redis's answer to a client over `maxclients`.
const MAX_CLIENTS: &str = "ERR max number of clients reached";

/// How long a TLS client may take to complete its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// True when `maxclients` clients are connected already.
fn clients_full(engine: &Engine) -> bool {
    let max = engine.inner().config.get_i64("maxclients").max(1) as usize;
    engine.inner().clients.tcp_count() >= max
}

/// Accepts connections on `listener` until `shutdown` turns true, then closes them all.
pub async fn serve(engine: Engine, listener: TcpListener, shutdown: watch::Receiver<bool>) {
    serve_inner(engine, listener, None, shutdown).await
}

/// Accepts TLS connections on `listener` until `shutdown` turns true, then closes them all.
pub async fn serve_tls(
    engine: Engine,
    listener: TcpListener,
    tls: Arc<TlsContext>,
    shutdown: watch::Receiver<bool>,
) {
    serve_inner(engine, listener, Some(tls), shutdown).await
}

async fn serve_inner(
    engine: Engine,
    listener: TcpListener,
    tls: Option<Arc<TlsContext>>,
    mut shutdown: watch::Receiver<bool>,
) {
    engine.on_long_script(leave_worker);
    crate::tls::install_checks();
    crate::replication::replica::install(&engine);
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of descriptors and similar: back off briefly instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        engine.inner().stats.connections.fetch_add(1, Relaxed);
        match &tls {
            None => start_plain(&engine, stream, peer, &shutdown),
            Some(tls) => {
                let acceptor = tls.acceptor();
                tokio::spawn(start_tls(
                    engine.clone(),
                    acceptor,
                    stream,
                    peer,
                    shutdown.clone(),
                ));
            }
        }
    }
}

/// Why a new client is turned away, if it is (`maxclients`, then protected mode), counted
/// in `rejected_connections`.
fn refusal(engine: &Engine, peer: &SocketAddr) -> Option<&'static str> {
    let why = if clients_full(engine) {
        Some(MAX_CLIENTS)
    } else {
        engine.inner().protected_mode_refusal(peer)
    };
    if why.is_some() {
        engine
            .inner()
            .stats
            .rejected_connections
            .fetch_add(1, Relaxed);
    }
    why
}

fn start_plain(
    engine: &Engine,
    stream: TcpStream,
    peer: SocketAddr,
    shutdown: &watch::Receiver<bool>,
) {
    if let Some(why) = refusal(engine, &peer) {
        tokio::spawn(Connection::refuse(stream, why));
        return;
    }
    let info = tcp_info(engine, &stream, peer);
    let conn = Connection::new(engine.clone(), stream, info, shutdown.clone());
    tokio::spawn(conn.run());
}

/// Completes the TLS handshake (bounded in time), then serves the client like any other;
/// over `maxclients`, the refusal is sent inside the TLS session.
async fn start_tls(
    engine: Engine,
    acceptor: tokio_rustls::TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
    shutdown: watch::Receiver<bool>,
) {
    let info = tcp_info(&engine, &stream, peer);
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!("Error accepting a client connection: {e} (addr={peer})");
            return;
        }
        Err(_) => {
            tracing::debug!("TLS handshake timed out (addr={peer})");
            return;
        }
    };
    if let Some(why) = refusal(&engine, &peer) {
        Connection::refuse(tls, why).await;
        return;
    }
    Connection::new(engine, tls, info, shutdown).run().await;
}

/// The number of threads serving clients: `io-threads`, or for 0 one less than the number
/// of cores (at least one).
pub fn io_threads(engine: &Engine) -> usize {
    match engine.inner().config.get_i64("io-threads") {
        n if n > 0 => n as usize,
        _ => {
            let cores = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1);
            cores.saturating_sub(1).max(1)
        }
    }
}

/// A server running on threads of its own, for embedding and tests. Dropping the handle
/// stops it.
pub struct ServerHandle {
    local_addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Binds `addr` (port 0 picks a free port) and serves `engine` there on a runtime this
    /// handle owns, so it works whether or not the caller runs tokio.
    pub fn start(engine: Engine, addr: &str) -> io::Result<ServerHandle> {
        Self::start_with(engine, Some(addr), None)
    }

    /// Like [`ServerHandle::start`], with a plain listener, a TLS listener (configured by
    /// the engine's `tls-*` parameters), or both; at least one address must be given.
    pub fn start_with(
        engine: Engine,
        plain: Option<&str>,
        tls: Option<&str>,
    ) -> io::Result<ServerHandle> {
        let bind = |addr: &str| -> io::Result<std::net::TcpListener> {
            let l = std::net::TcpListener::bind(addr)?;
            l.set_nonblocking(true)?;
            Ok(l)
        };
        let plain = plain.map(bind).transpose()?;
        let tls = match tls {
            Some(addr) => {
                let ctx = TlsContext::new(&engine).map_err(io::Error::other)?;
                Some((bind(addr)?, ctx))
            }
            None => None,
        };
        let tls_addr = tls.as_ref().map(|(l, _)| l.local_addr()).transpose()?;
        let local_addr = match (&plain, tls_addr) {
            (Some(l), _) => l.local_addr()?,
            (None, Some(a)) => a,
            (None, None) => return Err(io::Error::other("no address to listen on")),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(io_threads(&engine))
            .thread_name("shoal-net")
            .enable_all()
            .build()?;
        let (stop, mut stopped) = watch::channel(false);
        let hook_stop = stop.clone();
        engine.on_shutdown(move || {
            hook_stop.send_replace(true);
        });
        let listeners = Listeners::new(
            vec![local_addr.ip().to_string()],
            runtime.handle().clone(),
            stopped.clone(),
        );
        // The ports really bound, so CONFIG GET and a later CONFIG SET see them.
        let config = &engine.inner().config;
        let port_of = |l: &Option<std::net::TcpListener>| {
            l.as_ref()
                .and_then(|l| l.local_addr().ok())
                .map_or(0, |a| a.port())
        };
        let _ = config.set_startup("port", &port_of(&plain).to_string());
        let _ = config.set_startup("tls-port", &tls_addr.map_or(0, |a| a.port()).to_string());
        listeners.start(&engine, plain.into_iter().collect(), None);
        if let Some((l, ctx)) = tls {
            listeners.start(&engine, vec![l], Some(ctx));
        }
        listeners.install(&engine);
        let thread = std::thread::Builder::new()
            .name("shoal-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let _ = stopped.wait_for(|v| *v).await;
                });
                // Listener and connection tasks end on their own once they see the signal.
                runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            })?;
        Ok(ServerHandle {
            local_addr,
            tls_addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address of the TLS listener, if one was started.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// Stops accepting, closes every connection and waits for the server thread.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        self.stop.send_replace(true);
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("server thread panicked");
            }
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// Called on the thread of a script that runs long: hands the runtime's work on this thread
/// to another, so the other connections are served (and answered BUSY past the threshold,
/// which lets SCRIPT KILL through) while the script keeps this thread.
fn leave_worker() {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        // The runtime hands this thread's scheduler to a thread it starts, and takes it back
        // when the closure returns if that thread has not picked it up yet: wait long enough
        // for it to. Paid once per script, only by scripts already running this long.
        tokio::task::block_in_place(|| std::thread::sleep(std::time::Duration::from_millis(5)));
    }
}
