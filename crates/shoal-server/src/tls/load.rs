//! Building a rustls `ServerConfig` from the `tls-*` parameters: certificate chain, private
//! key (PKCS#1, SEC1, PKCS#8, or encrypted PKCS#8 with `tls-key-file-pass`), trusted CAs from
//! a file and/or a directory, client authentication, protocol versions and cipher suites
//! named the way OpenSSL (and so Redis's configuration) names them.

use rustls::crypto::{ring, CryptoProvider};
use rustls::server::WebPkiClientVerifier;
use rustls::{CipherSuite, RootCertStore, ServerConfig, SupportedCipherSuite};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::Path;
use std::sync::Arc;

/// `tls-auth-clients`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthClients {
    /// A client certificate signed by a trusted CA is required.
    Yes,
    /// No client certificate is asked for.
    No,
    /// A client certificate is checked when one is presented.
    Optional,
}

/// The values of the `tls-*` parameters that shape the server context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) cert_file: String,
    pub(crate) key_file: String,
    pub(crate) key_pass: String,
    pub(crate) ca_file: String,
    pub(crate) ca_dir: String,
    pub(crate) auth: AuthClients,
    pub(crate) protocols: String,
    pub(crate) ciphers: String,
    pub(crate) ciphersuites: String,
}

impl Settings {
    /// Reads the current values from `config`.
    pub(crate) fn of(config: &shoal_engine::Config) -> Settings {
        let get = |name: &str| config.get(name).unwrap_or_default();
        let auth = match get("tls-auth-clients").as_str() {
            "no" => AuthClients::No,
            "optional" => AuthClients::Optional,
            _ => AuthClients::Yes,
        };
        Settings {
            cert_file: get("tls-cert-file"),
            key_file: get("tls-key-file"),
            key_pass: get("tls-key-file-pass"),
            ca_file: get("tls-ca-cert-file"),
            ca_dir: get("tls-ca-cert-dir"),
            auth,
            protocols: get("tls-protocols"),
            ciphers: get("tls-ciphers"),
            ciphersuites: get("tls-ciphersuites"),
        }
    }
}

/// Builds the server context, or says (in words for the log) what is wrong.
pub(crate) fn build(s: &Settings) -> Result<ServerConfig, String> {
    if s.cert_file.is_empty() || s.key_file.is_empty() {
        return Err("tls-cert-file and tls-key-file must both be set to serve TLS".into());
    }
    let certs = load_certs(&s.cert_file)?;
    let key = load_key(&s.key_file, &s.key_pass)?;
    let provider = Arc::new(CryptoProvider {
        cipher_suites: cipher_suites(&s.ciphers, &s.ciphersuites)?,
        ..ring::default_provider()
    });
    let versions = protocol_versions(&s.protocols)?;
    let verifier = if s.auth == AuthClients::No {
        // Trusted CAs are still read when given, as Redis does: a bad file is an error.
        if !s.ca_file.is_empty() {
            add_roots(&mut RootCertStore::empty(), &s.ca_file)?;
        }
        if !s.ca_dir.is_empty() {
            add_dir(&mut RootCertStore::empty(), &s.ca_dir)?;
        }
        WebPkiClientVerifier::no_client_auth()
    } else {
        let roots = trusted_roots(s)?;
        let builder =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
        let builder = if s.auth == AuthClients::Optional {
            builder.allow_unauthenticated()
        } else {
            builder
        };
        builder
            .build()
            .map_err(|e| format!("Failed to configure client certificate checks: {e}"))?
    };
    ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| format!("Failed to configure TLS protocols: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| format!("Failed to load certificate: {}: {e}", s.cert_file))
}

/// Every certificate in a PEM file; an empty or unreadable file is an error.
pub(crate) fn load_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let fail = |e: String| format!("Failed to load certificate: {path}: {e}");
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no certificate found".into()));
    }
    Ok(certs)
}

/// The private key in a PEM file, decrypting an `ENCRYPTED PRIVATE KEY` (PKCS#8) with `pass`.
pub(crate) fn load_key(path: &str, pass: &str) -> Result<PrivateKeyDer<'static>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("Failed to load private key: {path}: {e}");
    let text = std::fs::read(path).map_err(|e| fail(&e))?;
    if let Ok(key) = PrivateKeyDer::from_pem_slice(&text) {
        return Ok(key);
    }
    let text = String::from_utf8(text).map_err(|_| fail(&"not a PEM file"))?;
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(fail(
            &"legacy OpenSSL-encrypted keys are not supported; convert with `openssl pkcs8 -topk8`",
        ));
    }
    let (label, der) = pkcs8::der::pem::decode_vec(text.trim().as_bytes())
        .map_err(|_| fail(&"no private key found"))?;
    if label != "ENCRYPTED PRIVATE KEY" {
        return Err(fail(&"no private key found"));
    }
    if pass.is_empty() {
        return Err(fail(
            &"the key is encrypted and tls-key-file-pass is not set",
        ));
    }
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|e| fail(&e))?;
    let plain = info
        .decrypt(pass)
        .map_err(|_| fail(&"bad decrypt (wrong tls-key-file-pass?)"))?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        plain.as_bytes().to_vec(),
    )))
}

/// The CAs of `tls-ca-cert-file` and every certificate file in `tls-ca-cert-dir`.
pub(crate) fn trusted_roots(s: &Settings) -> Result<RootCertStore, String> {
    if s.ca_file.is_empty() && s.ca_dir.is_empty() {
        return Err(
            "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-auth-clients is enabled"
                .into(),
        );
    }
    let mut roots = RootCertStore::empty();
    if !s.ca_file.is_empty() {
        add_roots(&mut roots, &s.ca_file)?;
    }
    if !s.ca_dir.is_empty() {
        add_dir(&mut roots, &s.ca_dir)?;
    }
    if roots.is_empty() {
        return Err("Failed to configure CA certificate(s) file/directory: no CA found".into());
    }
    Ok(roots)
}

fn add_roots(roots: &mut RootCertStore, path: &str) -> Result<(), String> {
    for cert in load_certs(path)? {
        roots
            .add(cert)
            .map_err(|e| format!("Failed to configure CA certificate(s) file: {path}: {e}"))?;
    }
    Ok(())
}

/// Loads every file of `dir` that holds PEM certificates (OpenSSL's hashed `<hash>.0`
/// names, `*.pem`, `*.crt` alike); other files are skipped.
pub(crate) fn add_dir(roots: &mut RootCertStore, dir: &str) -> Result<(), String> {
    let fail =
        |e: std::io::Error| format!("Failed to configure CA certificate(s) directory: {dir}: {e}");
    let mut entries: Vec<_> = std::fs::read_dir(Path::new(dir))
        .map_err(fail)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for path in entries {
        let Ok(iter) = CertificateDer::pem_file_iter(&path) else {
            continue;
        };
        for cert in iter.flatten() {
            // A file that is not a CA certificate is skipped, as OpenSSL's lookup would.
            let _ = roots.add(cert);
        }
    }
    Ok(())
}

/// `tls-protocols`: empty means TLS 1.2 and 1.3.
pub(crate) fn protocol_versions(
    text: &str,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let v = match word.to_ascii_lowercase().as_str() {
            "tlsv1.2" => &rustls::version::TLS12,
            "tlsv1.3" => &rustls::version::TLS13,
            "tlsv1" | "tlsv1.1" => {
                return Err(format!(
                    "{word} is not supported: Shoal's TLS (rustls) implements TLSv1.2 and TLSv1.3"
                ))
            }
            _ => return Err(format!(
                "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'. (got '{word}')"
            )),
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.is_empty() {
        out = vec![&rustls::version::TLS13, &rustls::version::TLS12];
    }
    Ok(out)
}

/// OpenSSL's names for the suites rustls offers, with rustls's.
const SUITE_NAMES: &[(&str, CipherSuite)] = &[
    (
        "TLS_AES_256_GCM_SHA384",
        CipherSuite::TLS13_AES_256_GCM_SHA384,
    ),
    (
        "TLS_AES_128_GCM_SHA256",
        CipherSuite::TLS13_AES_128_GCM_SHA256,
    ),
    (
        "TLS_CHACHA20_POLY1305_SHA256",
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    ),
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
];

fn suite_named(name: &str) -> Option<CipherSuite> {
    SUITE_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, s)| *s)
        .or_else(|| {
            // rustls's (IANA) names are accepted too.
            ring::ALL_CIPHER_SUITES
                .iter()
                .map(|s| s.suite())
                .find(|s| s.as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        })
}

/// Picks the suites of one TLS generation from an OpenSSL-style list (`a:b:!c`, with the
/// keywords DEFAULT, HIGH and ALL for every suite rustls has). Unknown names are skipped, as
/// OpenSSL skips them; a list that matches nothing is an error.
fn pick(list: &str, tls13: bool) -> Result<Vec<SupportedCipherSuite>, String> {
    let of_gen: Vec<SupportedCipherSuite> = ring::ALL_CIPHER_SUITES
        .iter()
        .copied()
        .filter(|s| matches!(s, SupportedCipherSuite::Tls13(_)) == tls13)
        .collect();
    if list.trim().is_empty() {
        return Ok(of_gen);
    }
    let mut chosen: Vec<SupportedCipherSuite> = Vec::new();
    let mut removed: Vec<CipherSuite> = Vec::new();
    for word in list.split([':', ',', ' ']).filter(|w| !w.is_empty()) {
        if let Some(name) = word.strip_prefix('!').or_else(|| word.strip_prefix('-')) {
            removed.extend(suite_named(name));
            continue;
        }
        let word = word.trim_start_matches('+');
        if ["DEFAULT", "HIGH", "ALL"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(word))
        {
            chosen.extend(of_gen.iter().copied());
        } else if let Some(s) = suite_named(word) {
            chosen.extend(of_gen.iter().copied().filter(|x| x.suite() == s));
        }
    }
    let mut out: Vec<SupportedCipherSuite> = Vec::new();
    for s in chosen {
        if !removed.contains(&s.suite()) && !out.iter().any(|o| o.suite() == s.suite()) {
            out.push(s);
        }
    }
    if out.is_empty() {
        let param = if tls13 {
            "tls-ciphersuites"
        } else {
            "tls-ciphers"
        };
        return Err(format!("Failed to configure {param}: no cipher match"));
    }
    Ok(out)
}

/// TLS 1.3 suites from `tls-ciphersuites`, then TLS 1.2 ones from `tls-ciphers`.
pub(crate) fn cipher_suites(
    ciphers: &str,
    ciphersuites: &str,
) -> Result<Vec<SupportedCipherSuite>, String> {
    let mut out = pick(ciphersuites, true)?;
    out.extend(pick(ciphers, false)?);
    Ok(out)
}
