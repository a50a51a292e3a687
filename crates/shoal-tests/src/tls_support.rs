//! TLS test support: certificate authorities and leaf certificates made with rcgen, written
//! to a scratch directory, a Shoal server with a TLS listener, and TLS clients.

use crate::TestServer;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Installs ring as the process's rustls provider (the redis client asks for the default).
pub fn init_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A scratch directory removed on drop.
pub struct Scratch {
    /// Its path.
    pub path: PathBuf,
}

impl Scratch {
    /// A fresh directory under the system temp dir.
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("shoal-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        if let Err(e) = std::fs::create_dir_all(&path) {
            panic!("cannot create {}: {e}", path.display());
        }
        Scratch { path }
    }

    /// Writes `text` to `name` in the directory and returns the full path as text.
    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if let Err(e) = std::fs::write(&p, text) {
            panic!("cannot write {}: {e}", p.display());
        }
        p.to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A certificate authority.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its private key, in PEM.
pub struct Leaf {
    /// The certificate.
    pub cert: String,
    /// Its private key (PKCS#8).
    pub key: String,
}

fn must<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

impl Ca {
    /// A self-signed CA named `name`.
    pub fn new(name: &str) -> Ca {
        let mut params = must(CertificateParams::new(Vec::<String>::new()), "ca params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = must(KeyPair::generate(), "ca key");
        Ca {
            issuer: must(CertifiedIssuer::self_signed(params, key), "ca cert"),
        }
    }

    /// The CA certificate in PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `localhost` and 127.0.0.1.
    pub fn server(&self) -> Leaf {
        self.leaf("localhost", false, false)
    }

    /// A client certificate; `expired` makes one whose validity ended in 2002.
    pub fn client(&self, expired: bool) -> Leaf {
        self.leaf("shoal-client", true, expired)
    }

    fn leaf(&self, name: &str, client: bool, expired: bool) -> Leaf {
        let sans = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let mut params = must(CertificateParams::new(sans), "leaf params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        if expired {
            params.not_before = rcgen::date_time_ymd(2001, 1, 1);
            params.not_after = rcgen::date_time_ymd(2002, 1, 1);
        }
        let key = must(KeyPair::generate(), "leaf key");
        let cert = must(params.signed_by(&key, &self.issuer), "leaf cert");
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

/// Encrypts a PKCS#8 PEM key with `pass` (PBES2: PBKDF2-SHA256 and AES-256-CBC), as
/// `openssl pkcs8 -topk8 -v2 aes-256-cbc` would.
pub fn encrypt_key(key_pem: &str, pass: &str) -> String {
    use pkcs8::der::pem::LineEnding;
    let (_, der) = must(pkcs8::der::pem::decode_vec(key_pem.as_bytes()), "key pem");
    let info = must(pkcs8::PrivateKeyInfo::try_from(der.as_slice()), "pkcs8");
    let params = must(
        pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, b"shoal-salt", &[7u8; 16]),
        "pbes2",
    );
    let doc = must(info.encrypt_with_params(params, pass), "encrypt");
    must(doc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF), "pem").to_string()
}

impl TestServer {
    /// Starts a server with a plain and a TLS listener, after setting `settings`
    /// (`tls-*` and others) at start-up.
    pub fn start_tls(settings: &[(&str, &str)]) -> TestServer {
        init_crypto();
        let config = shoal_engine::Config::new();
        let _ = config.set_startup("save", "");
        shoal_server::install_checks();
        for (name, value) in settings {
            if let Err(e) = config.set_startup(name, value) {
                panic!("{name} {value}: {e}");
            }
        }
        let engine = shoal_engine::Engine::with_options(shoal_engine::EngineOptions {
            config,
            ..Default::default()
        });
        engine.start_background();
        let handle = match shoal_server::ServerHandle::start_with(
            engine.clone(),
            Some("127.0.0.1:0"),
            Some("127.0.0.1:0"),
        ) {
            Ok(h) => h,
            Err(e) => panic!("cannot start the TLS test server: {e}"),
        };
        TestServer { handle, engine }
    }

    /// The TLS listener's port.
    pub fn tls_port(&self) -> u16 {
        match self.handle.tls_addr() {
            Some(a) => a.port(),
            None => panic!("no TLS listener"),
        }
    }

    /// A redis-rs TLS connection trusting `root` (PEM), presenting `client` if given; the
    /// error if the handshake or the first PING fails.
    pub fn tls_client(
        &self,
        root: &str,
        client: Option<&Leaf>,
    ) -> redis::RedisResult<redis::Connection> {
        let url = format!("rediss://localhost:{}/", self.tls_port());
        let certs = redis::TlsCertificates {
            client_tls: client.map(|c| redis::ClientTlsConfig {
                client_cert: c.cert.as_bytes().to_vec(),
                client_key: c.key.as_bytes().to_vec(),
            }),
            root_cert: Some(root.as_bytes().to_vec()),
        };
        let client = redis::Client::build_with_tls(url, certs)?;
        let mut con = client.get_connection_with_timeout(std::time::Duration::from_secs(5))?;
        redis::cmd("PING").query::<String>(&mut con)?;
        Ok(con)
    }
}

/// Writes a CA bundle made of several CAs' certificates.
pub fn bundle(cas: &[&Ca]) -> String {
    cas.iter().map(|c| c.pem()).collect::<Vec<_>>().join("")
}
