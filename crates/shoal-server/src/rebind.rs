//! Moving listeners at run time, as Redis 7 does for CONFIG SET `port` / `tls-port`: the new
//! port is bound first and only then is the old listener closed, so a port that cannot be
//! bound leaves the old one serving; connections already accepted stay; 0 closes the
//! listener.

use crate::listener::{serve, serve_tls};
use crate::tls::TlsContext;
use shoal_engine::Engine;
use std::net::TcpListener as StdListener;
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

/// Redis's reason when the new port cannot be bound.
const CANNOT_LISTEN: &str = "Unable to listen on this port. Check server logs.";
/// Redis's reason when TLS cannot be set up for a new TLS port.
const TLS_FAILED: &str = "Unable to update TLS configuration. Check server logs.";

/// The listeners of one engine (plain, then TLS), and what opening new ones takes.
pub struct Listeners {
    /// Addresses to listen on, as `bind` gives them: a leading `-` marks one that may fail.
    hosts: Vec<String>,
    runtime: Handle,
    stopped: watch::Receiver<bool>,
    open: Mutex<[Vec<AbortHandle>; 2]>,
}

impl Listeners {
    /// Listeners on `hosts`, served on `runtime` until `stopped` turns true.
    pub fn new(hosts: Vec<String>, runtime: Handle, stopped: watch::Receiver<bool>) -> Listeners {
        Listeners {
            hosts,
            runtime,
            stopped,
            open: Mutex::new([Vec::new(), Vec::new()]),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, [Vec<AbortHandle>; 2]> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes over listener tasks started elsewhere (TLS ones if `tls`), so a port change
    /// closes them.
    pub fn adopt(&self, tls: bool, tasks: &[JoinHandle<()>]) {
        self.slots()[usize::from(tls)].extend(tasks.iter().map(JoinHandle::abort_handle));
    }

    /// Serves `engine` on already bound (non-blocking) listeners.
    pub fn start(
        &self,
        engine: &Engine,
        listeners: Vec<StdListener>,
        tls: Option<Arc<TlsContext>>,
    ) {
        let slot = usize::from(tls.is_some());
        let tasks: Vec<AbortHandle> = listeners
            .into_iter()
            .map(|l| self.spawn(engine, l, tls.clone()))
            .collect();
        self.slots()[slot].extend(tasks);
    }

    /// Makes CONFIG SET of `port` / `tls-port` move these listeners.
    pub fn install(self, engine: &Engine) {
        let me = Arc::new(self);
        engine.on_rebind(move |engine, param, port| me.rebind(engine, param == "tls-port", port));
    }

    fn rebind(&self, engine: &Engine, tls: bool, port: u16) -> Result<(), String> {
        let mut open = self.slots();
        let slot = &mut open[usize::from(tls)];
        if port == 0 {
            slot.drain(..).for_each(|h| h.abort());
            return Ok(());
        }
        let ctx = if tls {
            let ctx = TlsContext::new(engine).map_err(|e| {
                tracing::warn!("{e}");
                TLS_FAILED.to_string()
            })?;
            Some(ctx)
        } else {
            None
        };
        let bound = bind_all(&self.hosts, port).map_err(|e| {
            tracing::warn!("Warning: {e}");
            CANNOT_LISTEN.to_string()
        })?;
        let new = bound
            .into_iter()
            .map(|l| self.spawn(engine, l, ctx.clone()))
            .collect();
        std::mem::replace(slot, new)
            .into_iter()
            .for_each(|h| h.abort());
        tracing::info!(
            "Listening on port {port} ({})",
            if tls { "tls" } else { "tcp" }
        );
        Ok(())
    }

    fn spawn(&self, engine: &Engine, l: StdListener, tls: Option<Arc<TlsContext>>) -> AbortHandle {
        let (engine, stopped) = (engine.clone(), self.stopped.clone());
        self.runtime
            .spawn(async move {
                match tokio::net::TcpListener::from_std(l) {
                    Ok(l) => match tls {
                        None => serve(engine, l, stopped).await,
                        Some(ctx) => serve_tls(engine, l, ctx, stopped).await,
                    },
                    Err(e) => tracing::error!("cannot listen: {e}"),
                }
            })
            .abort_handle()
    }
}

/// Binds `port` on every host (one starting with `-` may fail), non-blocking; the error
/// says which address failed and why.
pub fn bind_all(hosts: &[String], port: u16) -> Result<Vec<StdListener>, String> {
    let mut out = Vec::new();
    for host in hosts {
        let (optional, addr) = match host.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, host.as_str()),
        };
        let addr = if addr.contains(':') {
            format!("[{addr}]:{port}")
        } else {
            format!("{addr}:{port}")
        };
        let bound = StdListener::bind(&addr).and_then(|l| l.set_nonblocking(true).map(|()| l));
        match bound {
            Ok(l) => out.push(l),
            Err(e) if optional => tracing::warn!("skipping optional bind {addr}: {e}"),
            Err(e) => {
                return Err(format!(
                    "Could not create server TCP listening socket {addr}: {e}"
                ))
            }
        }
    }
    Ok(out)
}
