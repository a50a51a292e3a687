//! Replication's sockets: a replica's link on this primary ([`primary`]) and this server's
//! link to its own primary ([`replica`]). The protocol's state lives in the engine.

pub(crate) mod primary;
pub(crate) mod replica;

use shoal_engine::Engine;

/// Runs the replication link of an engine that has no server around it (an embedded
/// replica): a thread with a small runtime, stopped when this is dropped.
pub struct LinkRuntime {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LinkRuntime {
    /// Starts the runtime and, if the engine follows a primary, its link.
    pub fn start(engine: &Engine) -> std::io::Result<LinkRuntime> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let engine = engine.clone();
        let thread = std::thread::Builder::new()
            .name("shoal-replica".into())
            .spawn(move || {
                runtime.block_on(async move {
                    replica::install(&engine);
                    drop(engine);
                    let _ = stopped.await;
                });
            })?;
        Ok(LinkRuntime {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for LinkRuntime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
