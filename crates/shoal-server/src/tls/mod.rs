//! TLS for client connections, with rustls (ring provider) only.
//!
//! The context is built from the `tls-*` parameters at start-up and rebuilt when they change:
//! every accept compares the configuration version, and on a change re-reads the parameters
//! and the files' modification times; a new context is swapped in atomically (arc-swap), so
//! connections already open keep the session they negotiated and new ones get the new
//! certificate. A rebuild that fails is logged and the previous context stays.

mod load;

use arc_swap::ArcSwap;
use load::Settings;
use shoal_engine::Engine;
use std::sync::Arc;
use std::time::SystemTime;
use tokio_rustls::TlsAcceptor;

/// The context in use and what it was built from.
struct Loaded {
    /// Configuration version it was checked against.
    version: u64,
    /// Parameters and file times it was built from.
    fingerprint: (Settings, Vec<Option<SystemTime>>),
    acceptor: TlsAcceptor,
}

/// The server's TLS context, reloaded when the configuration changes.
pub struct TlsContext {
    engine: Engine,
    current: ArcSwap<Loaded>,
}

fn fingerprint(s: &Settings) -> (Settings, Vec<Option<SystemTime>>) {
    let mtime = |p: &str| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .filter(|_| !p.is_empty())
    };
    let times = [&s.cert_file, &s.key_file, &s.ca_file, &s.ca_dir]
        .iter()
        .map(|p| mtime(p))
        .collect();
    (s.clone(), times)
}

impl TlsContext {
    /// Builds the context from `engine`'s configuration; the error says what is wrong (the
    /// binary prints it and exits, as Redis does on a TLS setup failure).
    pub fn new(engine: &Engine) -> Result<Arc<TlsContext>, String> {
        install_checks();
        let config = &engine.inner().config;
        let version = config.version();
        let settings = Settings::of(config);
        let built = load::build(&settings)?;
        Ok(Arc::new(TlsContext {
            engine: engine.clone(),
            current: ArcSwap::from_pointee(Loaded {
                version,
                fingerprint: fingerprint(&settings),
                acceptor: TlsAcceptor::from(Arc::new(built)),
            }),
        }))
    }

    /// The acceptor for a new connection, rebuilt first if the parameters changed.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        let config = &self.engine.inner().config;
        let version = config.version();
        let loaded = self.current.load();
        if loaded.version == version {
            return loaded.acceptor.clone();
        }
        let settings = Settings::of(config);
        let print = fingerprint(&settings);
        let acceptor = if print == loaded.fingerprint {
            loaded.acceptor.clone()
        } else {
            match load::build(&settings) {
                Ok(built) => {
                    tracing::info!("TLS configuration reloaded");
                    TlsAcceptor::from(Arc::new(built))
                }
                Err(e) => {
                    tracing::warn!("TLS configuration not reloaded, keeping the previous one: {e}");
                    // Remember the version so the failure is logged once per change.
                    self.current.store(Arc::new(Loaded {
                        version,
                        fingerprint: loaded.fingerprint.clone(),
                        acceptor: loaded.acceptor.clone(),
                    }));
                    return loaded.acceptor.clone();
                }
            }
        };
        self.current.store(Arc::new(Loaded {
            version,
            fingerprint: print,
            acceptor: acceptor.clone(),
        }));
        acceptor
    }
}

/// Makes CONFIG SET refuse, while TLS is on, `tls-*` values the context cannot be built
/// from (taken together: a certificate must match its key), as Redis does.
pub fn install_checks() {
    shoal_engine::tls_params::install_context_check(check_context);
}

/// Builds the whole context from `config`, as the next connection would.
fn check_context(config: &shoal_engine::Config) -> Result<(), String> {
    load::build(&Settings::of(config)).map(drop)
}

#[cfg(test)]
mod tests;
