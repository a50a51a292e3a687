//! TLS end to end: rustls on the server, redis-rs (rustls) and redis-cli as clients, with
//! certificates made by rcgen for each test.

use shoal_tests::tls_support::{bundle, encrypt_key, Ca, Scratch};
use shoal_tests::TestServer;

/// A server with `ca`'s server certificate and the given extra settings.
fn server_with(dir: &Scratch, ca: &Ca, extra: &[(&str, &str)]) -> TestServer {
    let leaf = ca.server();
    let cert = dir.write("server.crt", &leaf.cert);
    let key = dir.write("server.key", &leaf.key);
    let mut settings = vec![
        ("tls-cert-file", cert.as_str()),
        ("tls-key-file", key.as_str()),
    ];
    settings.extend_from_slice(extra);
    TestServer::start_tls(&settings)
}

fn ping(con: &mut redis::Connection) -> redis::RedisResult<String> {
    redis::cmd("PING").query(con)
}

#[test]
fn tls_without_client_certificates_serves_commands() {
    let dir = Scratch::new("tls-noauth");
    let ca = Ca::new("Shoal Test CA");
    let srv = server_with(&dir, &ca, &[("tls-auth-clients", "no")]);
    let mut con = match srv.tls_client(&ca.pem(), None) {
        Ok(c) => c,
        Err(e) => panic!("TLS connection refused: {e}"),
    };
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("over tls")
        .query(&mut con)
        .unwrap_or_default();
    let got: String = redis::cmd("GET")
        .arg("k")
        .query(&mut con)
        .unwrap_or_default();
    assert_eq!(got, "over tls");
    // The plain listener serves the same data.
    let mut plain = srv.client();
    let got: String = redis::cmd("GET")
        .arg("k")
        .query(&mut plain)
        .unwrap_or_default();
    assert_eq!(got, "over tls");
    // A client that does not trust the server's CA refuses it.
    let other = Ca::new("Other CA");
    assert!(srv.tls_client(&other.pem(), None).is_err());
}

#[test]
fn client_certificate_required_by_default() {
    let dir = Scratch::new("tls-mtls");
    let ca = Ca::new("Shoal Test CA");
    let ca_file = dir.write("ca.crt", &ca.pem());
    let srv = server_with(&dir, &ca, &[("tls-ca-cert-file", &ca_file)]);
    let good = ca.client(false);
    let mut con = match srv.tls_client(&ca.pem(), Some(&good)) {
        Ok(c) => c,
        Err(e) => panic!("trusted client certificate refused: {e}"),
    };
    assert_eq!(ping(&mut con).ok().as_deref(), Some("PONG"));
    assert!(
        srv.tls_client(&ca.pem(), None).is_err(),
        "a client without a certificate must be refused"
    );
    let expired = ca.client(true);
    assert!(
        srv.tls_client(&ca.pem(), Some(&expired)).is_err(),
        "an expired client certificate must be refused"
    );
    let stranger = Ca::new("Untrusted CA").client(false);
    assert!(
        srv.tls_client(&ca.pem(), Some(&stranger)).is_err(),
        "a client certificate from an untrusted CA must be refused"
    );
    // The connection that was accepted still works.
    assert_eq!(ping(&mut con).ok().as_deref(), Some("PONG"));
}

#[test]
fn optional_client_certificates_are_checked_when_presented() {
    let dir = Scratch::new("tls-optional");
    let ca = Ca::new("Shoal Test CA");
    let ca_file = dir.write("ca.crt", &ca.pem());
    let srv = server_with(
        &dir,
        &ca,
        &[
            ("tls-ca-cert-file", &ca_file),
            ("tls-auth-clients", "optional"),
        ],
    );
    assert!(srv.tls_client(&ca.pem(), None).is_ok());
    assert!(srv.tls_client(&ca.pem(), Some(&ca.client(false))).is_ok());
    let stranger = Ca::new("Untrusted CA").client(false);
    assert!(srv.tls_client(&ca.pem(), Some(&stranger)).is_err());
}

#[test]
fn several_cas_from_a_bundle_and_a_directory() {
    let dir = Scratch::new("tls-cas");
    let server_ca = Ca::new("Server CA");
    let (a, b, c, d) = (
        Ca::new("CA A"),
        Ca::new("CA B"),
        Ca::new("CA C"),
        Ca::new("CA D"),
    );
    let ca_file = dir.write("bundle.crt", &bundle(&[&a, &b]));
    dir.write("cadir/c.pem", &c.pem());
    dir.write("cadir/README", "not a certificate");
    let ca_dir = dir.path.join("cadir").to_string_lossy().into_owned();
    let srv = server_with(
        &dir,
        &server_ca,
        &[("tls-ca-cert-file", &ca_file), ("tls-ca-cert-dir", &ca_dir)],
    );
    for ca in [&a, &b, &c] {
        assert!(
            srv.tls_client(&server_ca.pem(), Some(&ca.client(false)))
                .is_ok(),
            "a client of a configured CA must be accepted"
        );
    }
    assert!(srv
        .tls_client(&server_ca.pem(), Some(&d.client(false)))
        .is_err());
}

#[test]
fn config_set_of_the_certificate_reloads_without_dropping_connections() {
    let dir = Scratch::new("tls-reload");
    let (ca1, ca2) = (Ca::new("Old CA"), Ca::new("New CA"));
    let srv = server_with(&dir, &ca1, &[("tls-auth-clients", "no")]);
    let mut old = match srv.tls_client(&ca1.pem(), None) {
        Ok(c) => c,
        Err(e) => panic!("first connection refused: {e}"),
    };
    let leaf = ca2.server();
    let cert = dir.write("new.crt", &leaf.cert);
    let key = dir.write("new.key", &leaf.key);
    let reply: redis::RedisResult<()> = redis::cmd("CONFIG")
        .arg("SET")
        .arg("tls-cert-file")
        .arg(&cert)
        .arg("tls-key-file")
        .arg(&key)
        .query(&mut old);
    assert!(reply.is_ok(), "{reply:?}");
    // The connection opened before keeps working.
    assert_eq!(ping(&mut old).ok().as_deref(), Some("PONG"));
    // New connections get the new certificate.
    assert!(srv.tls_client(&ca2.pem(), None).is_ok());
    assert!(srv.tls_client(&ca1.pem(), None).is_err());
    assert_eq!(ping(&mut old).ok().as_deref(), Some("PONG"));
}

#[test]
fn config_set_of_a_bad_file_is_refused_as_redis_words_it() {
    let dir = Scratch::new("tls-bad");
    let ca = Ca::new("Shoal Test CA");
    let srv = server_with(&dir, &ca, &[("tls-auth-clients", "no")]);
    let mut con = srv.client();
    let junk = dir.write("junk.pem", "this is not a certificate\n");
    for (name, value) in [
        ("tls-cert-file", "/nonexistent/server.crt"),
        ("tls-cert-file", junk.as_str()),
        ("tls-key-file", junk.as_str()),
        ("tls-ca-cert-file", junk.as_str()),
        ("tls-protocols", "TLSv9"),
        ("tls-ciphers", "NOPE"),
    ] {
        let reply: redis::RedisResult<()> = redis::cmd("CONFIG")
            .arg("SET")
            .arg(name)
            .arg(value)
            .query(&mut con);
        let err = match reply {
            Ok(()) => panic!("{name} {value} accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(&format!(
                "CONFIG SET failed (possibly related to argument '{name}') - Unable to update TLS configuration. Check server logs."
            )),
            "{err}"
        );
    }
    // TLS still works with the old configuration.
    assert!(srv.tls_client(&ca.pem(), None).is_ok());
}

#[test]
fn encrypted_private_key_with_tls_key_file_pass() {
    let dir = Scratch::new("tls-pass");
    let ca = Ca::new("Shoal Test CA");
    let leaf = ca.server();
    let cert = dir.write("server.crt", &leaf.cert);
    let key = dir.write("server.key", &encrypt_key(&leaf.key, "s3cret"));
    let srv = TestServer::start_tls(&[
        ("tls-cert-file", &cert),
        ("tls-key-file", &key),
        ("tls-key-file-pass", "s3cret"),
        ("tls-auth-clients", "no"),
    ]);
    assert!(srv.tls_client(&ca.pem(), None).is_ok());
    // A wrong password does not build.
    let config = shoal_engine::Config::new();
    let _ = config.set_startup("tls-cert-file", &cert);
    let _ = config.set_startup("tls-key-file", &key);
    let _ = config.set_startup("tls-key-file-pass", "wrong");
    let _ = config.set_startup("tls-auth-clients", "no");
    let engine = shoal_engine::Engine::with_options(shoal_engine::EngineOptions {
        config,
        ..Default::default()
    });
    match shoal_server::TlsContext::new(&engine) {
        Ok(_) => panic!("built with a wrong key password"),
        Err(e) => assert!(e.contains("bad decrypt"), "{e}"),
    }
}

#[test]
fn protocols_and_suites_limit_what_is_negotiated() {
    let dir = Scratch::new("tls-proto");
    let ca = Ca::new("Shoal Test CA");
    let srv = server_with(
        &dir,
        &ca,
        &[
            ("tls-auth-clients", "no"),
            ("tls-protocols", "TLSv1.2"),
            ("tls-ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"),
        ],
    );
    // rcgen's default keys are ECDSA P-256: the one allowed TLS 1.2 suite fits them.
    assert!(srv.tls_client(&ca.pem(), None).is_ok());
    let mut plain = srv.client();
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("tls-protocols")
        .query(&mut plain)
        .unwrap_or_default();
    assert_eq!(got, vec!["tls-protocols", "TLSv1.2"]);
}

#[test]
fn redis_cli_connects_with_tls() {
    let supported = std::process::Command::new("redis-cli")
        .arg("--help")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).contains("--tls")
                || String::from_utf8_lossy(&o.stderr).contains("--tls")
        })
        .unwrap_or(false);
    if !supported {
        eprintln!("redis-cli with --tls is not installed: skipping");
        return;
    }
    let dir = Scratch::new("tls-cli");
    let ca = Ca::new("Shoal Test CA");
    let ca_file = dir.write("ca.crt", &ca.pem());
    let client = ca.client(false);
    let cert = dir.write("client.crt", &client.cert);
    let key = dir.write("client.key", &client.key);
    let srv = server_with(&dir, &ca, &[("tls-ca-cert-file", &ca_file)]);
    let port = srv.tls_port().to_string();
    let run = |args: &[&str]| {
        std::process::Command::new("redis-cli")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "--tls",
                "--cacert",
                &ca_file,
                "--sni",
                "localhost",
            ])
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(run(&["--cert", &cert, "--key", &key, "PING"]), "PONG");
    assert_eq!(
        run(&["--cert", &cert, "--key", &key, "ECHO", "hello"]),
        "hello"
    );
    // Without a client certificate the server ends the session.
    assert_ne!(run(&["PING"]), "PONG");
}
