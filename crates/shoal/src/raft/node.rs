//! A member's running parts: the runtime its group runs on, the group, and the RESP
//! server on its client address.

use super::Leadership;
use crate::{Error, Result};
use parking_lot::Mutex;
use shoal_cluster::{Group, GroupConfig};
use shoal_engine::Engine;
use shoal_server::ServerHandle;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// How long stopping the group may take (starting may load a large snapshot: it is given
/// the time it needs).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A member of a Raft group, shared by every handle on the instance.
pub(crate) struct Node {
    id: u64,
    engine: Engine,
    leader_rx: watch::Receiver<Option<u64>>,
    running: Mutex<Option<Running>>,
}

struct Running {
    server: ServerHandle,
    group: Group,
    runtime: RuntimeThread,
}

/// Whether the engine's configuration makes it a member (`raft-node-id` set); an error
/// when [`crate::Config::raft`] asked for one with id 0, or it is also a replica.
pub(crate) fn enabled(engine: &Engine, requested: bool) -> Result<bool> {
    let inner = engine.inner();
    let member = inner.config.get_i64("raft-node-id") > 0;
    if requested && !member {
        return Err(Error::Config("a Raft member's id must be non-zero".into()));
    }
    if member && inner.repl.is_replica() {
        return Err(Error::Config(
            "a Raft member cannot also be a replica (replicaof)".into(),
        ));
    }
    Ok(member)
}

impl Node {
    /// Joins the group the `raft-*` directives describe and serves clients on the
    /// member's client address.
    pub(crate) fn start(engine: &Engine) -> Result<Node> {
        let cfg = group_config(engine)?;
        let runtime = RuntimeThread::start()?;
        let group = runtime
            .run(Group::start(engine.clone(), cfg.clone()), None)?
            .map_err(Error::Raft)?;
        let server = match ServerHandle::start(engine.clone(), &cfg.me.client) {
            Ok(s) => s,
            Err(e) => {
                let _ = runtime.run(group.shutdown(), Some(STOP_TIMEOUT));
                engine.inner().set_leading(false);
                return Err(Error::Raft(format!(
                    "client address {}: {e}",
                    cfg.me.client
                )));
            }
        };
        Ok(Node {
            id: cfg.id,
            engine: engine.clone(),
            leader_rx: group.leadership(),
            running: Mutex::new(Some(Running {
                server,
                group,
                runtime,
            })),
        })
    }

    pub(crate) fn is_leader(&self) -> bool {
        self.leader() == Some(self.id) && self.engine.inner().consensus.is_writable()
    }

    pub(crate) fn leader(&self) -> Option<u64> {
        if self.running.lock().is_none() {
            return None;
        }
        *self.leader_rx.borrow()
    }

    /// The changes of leader; after [`Node::shutdown`], one `None`, as [`Node::leader`]
    /// says.
    pub(crate) fn leadership(&self) -> Leadership {
        if self.running.lock().is_none() {
            return Leadership::none();
        }
        Leadership::new(self.leader_rx.clone())
    }

    pub(crate) fn members(&self) -> Vec<(u64, String, String)> {
        let running = self.running.lock();
        let Some(r) = running.as_ref() else {
            return Vec::new();
        };
        let mut out: Vec<_> = r
            .group
            .members()
            .into_iter()
            .map(|(id, m)| (id, m.raft, m.client))
            .collect();
        out.sort();
        out
    }

    /// Leaves the group: stops serving clients, stops this member's part in the group,
    /// then its runtime. Writes still waiting for a commit fail; later writes are refused.
    pub(crate) fn shutdown(&self) {
        let Some(Running {
            server,
            group,
            runtime,
        }) = self.running.lock().take()
        else {
            return;
        };
        // A leader hands over first, so the others need not elect one.
        let _ = runtime.run(group.step_aside(), Some(STOP_TIMEOUT));
        server.stop();
        // A group that does not stop in time is left to the runtime's shutdown; stepping
        // down again is harmless.
        let _ = runtime.run(group.shutdown(), Some(STOP_TIMEOUT));
        let inner = self.engine.inner();
        inner.set_leading(false);
        inner.consensus.set_leader(None);
        drop(runtime);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// `raft-*` as a group configuration, checked: an id, and explicit addresses.
fn group_config(engine: &Engine) -> Result<GroupConfig> {
    let cfg = GroupConfig::from_config(engine, None).map_err(Error::Config)?;
    check_addr("raft-listen", &cfg.me.raft)?;
    check_addr("raft-announce-client", &cfg.me.client)?;
    Ok(cfg)
}

/// A `host:port` with a non-zero port: peers must know it in advance.
fn check_addr(what: &str, addr: &str) -> Result<()> {
    let port = addr
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok());
    match port {
        Some(p) if p != 0 => Ok(()),
        _ => Err(Error::Config(format!(
            "{what} '{addr}': expected host:port with an explicit, non-zero port"
        ))),
    }
}

/// A small multi-threaded runtime on threads of its own, stopped when dropped.
struct RuntimeThread {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RuntimeThread {
    fn start() -> Result<RuntimeThread> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("shoal-raft")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("shoal-raft".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let _ = stopped.await;
                });
                runtime.shutdown_timeout(Duration::from_secs(2));
            })?;
        Ok(RuntimeThread {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Runs `fut` on the runtime and waits for it, at most `limit`. It runs from a thread
    /// of its own, so the caller may itself be inside a runtime.
    fn run<F: Future + Send>(&self, fut: F, limit: Option<Duration>) -> Result<F::Output>
    where
        F::Output: Send,
    {
        let handle = &self.handle;
        let waited = async {
            match limit {
                Some(limit) => tokio::time::timeout(limit, fut).await.ok(),
                None => Some(fut.await),
            }
        };
        std::thread::scope(|s| s.spawn(|| handle.block_on(waited)).join())
            .map_err(|_| Error::Raft("the group's runtime failed".into()))?
            .ok_or_else(|| Error::Raft(format!("no answer within {:?}", limit.unwrap_or_default())))
    }
}

impl Drop for RuntimeThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
