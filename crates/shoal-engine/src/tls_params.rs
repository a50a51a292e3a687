//! The `tls-*` configuration parameters. The engine only holds their values; the server
//! crate builds the TLS context from them. As in Redis, the values are not looked at while
//! TLS is off (`tls-port` 0): CONFIG SET takes any file name.
//!
//! After CONFIG SET has stored its values, `apply` does what Redis's apply step does for
//! these parameters: with TLS on, the whole TLS context is built from the new values
//! together (with the check the server installs, [`install_context_check`]), so a file that
//! cannot be read or a certificate that does not match its key is refused and the old
//! context serves on; and a new `port` / `tls-port` is bound by the hook the server installs
//! ([`Engine::on_rebind`]). Without a server (an embedded engine) the values are only stored.

use crate::config::{Config, Kind, Param};
use crate::engine::{Engine, Inner};
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};

/// Builds the TLS context from a whole configuration, to see that it works; `Err` carries
/// what is wrong, for the log.
pub type ContextCheck = fn(&Config) -> Result<(), String>;

static CONTEXT_CHECK: OnceLock<ContextCheck> = OnceLock::new();

/// Installs the check CONFIG SET runs on the TLS parameters taken together while TLS is on.
/// The first installed check stays.
pub fn install_context_check(check: ContextCheck) {
    let _ = CONTEXT_CHECK.set(check);
}

/// Moves a listener after CONFIG SET stored a new `port` or `tls-port` (parameter name, new
/// port; 0 closes it); `Err` carries Redis's reason.
pub type RebindHook = dyn Fn(&Engine, &str, u16) -> Result<(), String> + Send + Sync;

/// The hook that moves this engine's listeners, once a server installed it.
#[derive(Default)]
pub(crate) struct Listening {
    rebind: Mutex<Option<Arc<RebindHook>>>,
}

impl Engine {
    /// Installs what moves this engine's listeners when CONFIG SET changes `port` or
    /// `tls-port`. Without one (no server), the new values are only stored.
    pub fn on_rebind(
        &self,
        hook: impl Fn(&Engine, &str, u16) -> Result<(), String> + Send + Sync + 'static,
    ) {
        *self.inner.listening.rebind.lock() = Some(Arc::new(hook));
    }
}

/// Redis's reason when the TLS context cannot be built from the new values.
const UPDATE_FAILED: &str = "Unable to update TLS configuration. Check server logs.";

fn rebind(inner: &Inner, param: &str, port: i64) -> Result<(), String> {
    let hook = inner.listening.rebind.lock().clone();
    let (Some(hook), Some(engine)) = (hook, inner.me.upgrade()) else {
        return Ok(());
    };
    hook(
        &Engine { inner: engine },
        param,
        port.clamp(0, 65535) as u16,
    )
}

/// Applies what CONFIG SET changed (`(name, new value, old value)`, in the order given)
/// to TLS and listeners, after the values are stored. On failure, the parameter to name in
/// the error and Redis's reason; listeners already moved are moved back, and the caller
/// restores the old values.
pub(crate) fn apply(
    inner: &Inner,
    changed: &[(String, String, String)],
) -> Result<(), (String, String)> {
    let config = &inner.config;
    let first_tls = changed
        .iter()
        .find(|(n, _, _)| n.to_ascii_lowercase().starts_with("tls-"));
    if let (Some((name, _, _)), Some(check)) = (first_tls, CONTEXT_CHECK.get()) {
        if config.get_i64("tls-port") != 0 {
            check(config).map_err(|e| {
                tracing::warn!("{e}");
                (name.to_ascii_lowercase(), UPDATE_FAILED.to_string())
            })?;
        }
    }
    let mut moved: Vec<(&str, i64)> = Vec::new();
    for param in ["port", "tls-port"] {
        let Some((_, _, old)) = changed
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(param))
        else {
            continue;
        };
        let (old, new) = (old.parse::<i64>().unwrap_or(0), config.get_i64(param));
        if old == new {
            continue;
        }
        if let Err(reason) = rebind(inner, param, new) {
            for (p, port) in moved {
                let _ = rebind(inner, p, port);
            }
            return Err((param.to_string(), reason));
        }
        moved.push((param, old));
    }
    Ok(())
}

const fn text(name: &'static str) -> Param {
    Param {
        name,
        kind: Kind::Str,
        default: "",
        immutable: false,
    }
}

/// The TLS parameters, under Redis's names and defaults.
pub(crate) const CONFIG_PARAMS: &[Param] = &[
    // Rebound at run time by the server's hook (see `apply`).
    Param {
        name: "tls-port",
        kind: Kind::Int { min: 0, max: 65535 },
        default: "0",
        immutable: false,
    },
    text("tls-cert-file"),
    text("tls-key-file"),
    text("tls-key-file-pass"),
    text("tls-ca-cert-file"),
    text("tls-ca-cert-dir"),
    Param {
        name: "tls-auth-clients",
        kind: Kind::Enum(&["yes", "no", "optional"]),
        default: "yes",
        immutable: false,
    },
    text("tls-protocols"),
    text("tls-ciphers"),
    text("tls-ciphersuites"),
];

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn tls_parameters_have_redis_defaults() {
        let c = Config::new();
        assert_eq!(c.get("tls-port").as_deref(), Some("0"));
        assert_eq!(c.get("tls-auth-clients").as_deref(), Some("yes"));
        assert_eq!(c.get("tls-cert-file").as_deref(), Some(""));
        assert!(c.set("tls-auth-clients", "OPTIONAL").is_ok());
        assert_eq!(c.get("tls-auth-clients").as_deref(), Some("optional"));
        assert!(c.set("tls-auth-clients", "maybe").is_err());
        assert!(c.set("tls-port", "70000").is_err());
    }

    use crate::testing::{err, ok, Harness};
    use std::sync::{Arc, Mutex};

    #[test]
    fn without_a_server_a_new_port_is_only_stored() {
        let mut h = Harness::new();
        assert_eq!(
            h.run(&["CONFIG", "SET", "port", "7000", "tls-port", "7001"]),
            ok()
        );
        assert_eq!(h.engine.inner().config.get_i64("port"), 7000);
        assert_eq!(h.engine.inner().config.get_i64("tls-port"), 7001);
    }

    #[test]
    fn port_changes_go_through_the_hook_and_failures_restore_everything() {
        let mut h = Harness::new();
        let calls: Arc<Mutex<Vec<(String, u16)>>> = Arc::default();
        let seen = calls.clone();
        h.engine.on_rebind(move |_, param, port| {
            seen.lock()
                .map(|mut v| v.push((param.to_string(), port)))
                .ok();
            if port == 9999 {
                Err("Unable to listen on this port. Check server logs.".into())
            } else {
                Ok(())
            }
        });
        let taken = |calls: &Arc<Mutex<Vec<(String, u16)>>>| {
            calls
                .lock()
                .map(|mut v| std::mem::take(&mut *v))
                .unwrap_or_default()
        };
        assert_eq!(h.run(&["CONFIG", "SET", "port", "7000"]), ok());
        assert_eq!(taken(&calls), vec![("port".to_string(), 7000)]);
        // Unchanged: nothing to bind.
        assert_eq!(h.run(&["CONFIG", "SET", "port", "7000"]), ok());
        assert!(taken(&calls).is_empty());
        // The TLS port cannot be bound: the plain one moves back, every value is restored.
        assert_eq!(
            h.run(&["CONFIG", "SET", "hz", "20", "port", "7002", "tls-port", "9999"]),
            err(
                "ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to \
                 listen on this port. Check server logs."
            )
        );
        assert_eq!(
            taken(&calls),
            vec![
                ("port".to_string(), 7002),
                ("tls-port".to_string(), 9999),
                ("port".to_string(), 7000)
            ]
        );
        let config = &h.engine.inner().config;
        assert_eq!(config.get_i64("port"), 7000);
        assert_eq!(config.get_i64("tls-port"), 0);
        assert_eq!(config.get_i64("hz"), 10);
    }
}
