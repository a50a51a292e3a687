//! Accepting connections, and a handle that runs a server on its own threads.

use crate::connection::Connection;
use shoal_engine::{ClientKind, Engine};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::thread::JoinHandle;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Accepts connections on `listener` until `shutdown` turns true, then closes them all.
pub async fn serve(engine: Engine, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
    engine.on_long_script(leave_worker);
    let backlog_full = |engine: &Engine| {
        let max = engine.inner().config.get_i64("maxclients").max(1) as usize;
        engine.inner().clients.count(ClientKind::Tcp) >= max
    };
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
        let stats = &engine.inner().stats;
        stats.connections.fetch_add(1, Relaxed);
        if backlog_full(&engine) {
            stats.rejected_connections.fetch_add(1, Relaxed);
            tokio::spawn(Connection::refuse(
                stream,
                "ERR max number of clients reached",
            ));
            continue;
        }
        if let Some(refusal) = engine.inner().protected_mode_refusal(&peer) {
            stats.rejected_connections.fetch_add(1, Relaxed);
            tokio::spawn(Connection::refuse(stream, refusal));
            continue;
        }
        let conn = Connection::new(engine.clone(), stream, peer, shutdown.clone());
        tokio::spawn(conn.run());
    }
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
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Binds `addr` (port 0 picks a free port) and serves `engine` there on a runtime this
    /// handle owns, so it works whether or not the caller runs tokio.
    pub fn start(engine: Engine, addr: &str) -> io::Result<ServerHandle> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let local_addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(io_threads(&engine))
            .thread_name("shoal-net")
            .enable_all()
            .build()?;
        let (stop, stopped) = watch::channel(false);
        let hook_stop = stop.clone();
        engine.on_shutdown(move || {
            hook_stop.send_replace(true);
        });
        let thread = std::thread::Builder::new()
            .name("shoal-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(std_listener) {
                        Ok(listener) => serve(engine, listener, stopped).await,
                        Err(e) => tracing::error!("cannot listen: {e}"),
                    }
                });
                // Connection tasks end on their own once they see the stop signal.
                runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            })?;
        Ok(ServerHandle {
            local_addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
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
