//! The `tls-*` configuration parameters. The engine only holds their values: the server
//! crate builds the TLS context from them, and installs (with [`install_check`]) the check
//! that refuses a file it could not load, so `CONFIG SET tls-cert-file /bad` fails as in
//! Redis instead of breaking the next handshake. Without a server (an embedded engine) the
//! values are kept as given.

use crate::config::{Kind, Param};
use std::sync::OnceLock;

/// Checks one `tls-*` value (parameter name, new value); `Err` carries the reason, worded
/// for the CONFIG SET error.
pub type TlsCheck = fn(&str, &str) -> Result<(), String>;

static CHECK: OnceLock<TlsCheck> = OnceLock::new();

/// Installs the check the server runs on every `tls-*` value before it is accepted. The
/// first installed check stays (it is the same function for every server in a process).
pub fn install_check(check: TlsCheck) {
    let _ = CHECK.set(check);
}

fn checked(name: &str, value: &str) -> Result<(String, i64), String> {
    if let Some(check) = CHECK.get() {
        check(name, value)?;
    }
    Ok((value.to_string(), 0))
}

fn cert_file(v: &str, _old: &str) -> Result<(String, i64), String> {
    checked("tls-cert-file", v)
}

fn key_file(v: &str, _old: &str) -> Result<(String, i64), String> {
    checked("tls-key-file", v)
}

fn ca_cert_file(v: &str, _old: &str) -> Result<(String, i64), String> {
    checked("tls-ca-cert-file", v)
}

fn ca_cert_dir(v: &str, _old: &str) -> Result<(String, i64), String> {
    checked("tls-ca-cert-dir", v)
}

fn protocols(v: &str, _old: &str) -> Result<(String, i64), String> {
    checked("tls-protocols", v)
}

fn ciphers(v: &str, _old: &str) -> Result<(String, i64), String> {
    checked("tls-ciphers", v)
}

fn ciphersuites(v: &str, _old: &str) -> Result<(String, i64), String> {
    checked("tls-ciphersuites", v)
}

const fn custom(name: &'static str, normalize: crate::config::Normalizer) -> Param {
    Param {
        name,
        kind: Kind::Custom(normalize),
        default: "",
        immutable: false,
    }
}

/// The TLS parameters, under Redis's names and defaults.
pub(crate) const CONFIG_PARAMS: &[Param] = &[
    // Like `port`, bound at start-up only (Redis can rebind it live; Shoal cannot yet).
    Param {
        name: "tls-port",
        kind: Kind::Int { min: 0, max: 65535 },
        default: "0",
        immutable: true,
    },
    custom("tls-cert-file", cert_file),
    custom("tls-key-file", key_file),
    Param {
        name: "tls-key-file-pass",
        kind: Kind::Str,
        default: "",
        immutable: false,
    },
    custom("tls-ca-cert-file", ca_cert_file),
    custom("tls-ca-cert-dir", ca_cert_dir),
    Param {
        name: "tls-auth-clients",
        kind: Kind::Enum(&["yes", "no", "optional"]),
        default: "yes",
        immutable: false,
    },
    custom("tls-protocols", protocols),
    custom("tls-ciphers", ciphers),
    custom("tls-ciphersuites", ciphersuites),
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
        assert!(c.set("tls-port", "6380").is_err());
    }
}
