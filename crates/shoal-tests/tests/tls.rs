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

/// A TLS client to `port` on the loopback, trusting `root`.
fn tls_client_at(port: u16, root: &str) -> redis::RedisResult<redis::Connection> {
    let certs = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(root.as_bytes().to_vec()),
    };
    let client = redis::Client::build_with_tls(format!("rediss://localhost:{port}/"), certs)?;
    let mut con = client.get_connection_with_timeout(std::time::Duration::from_secs(5))?;
    redis::cmd("PING").query::<String>(&mut con)?;
    Ok(con)
}

fn config_set(con: &mut redis::Connection, pairs: &[(&str, &str)]) -> Result<(), String> {
    let mut c = redis::cmd("CONFIG");
    c.arg("SET");
    for (name, value) in pairs {
        c.arg(*name).arg(*value);
    }
    c.query::<()>(con).map_err(|e| e.to_string())
}

fn config_get(con: &mut redis::Connection, name: &str) -> String {
    let pair: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query(con)
        .unwrap_or_default();
    pair.get(1).cloned().unwrap_or_default()
}

fn plain_ping(port: u16) -> bool {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection_with_timeout(std::time::Duration::from_secs(2)))
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
        .is_ok()
}

fn closed(port: u16) -> bool {
    shoal_tests::eventually(std::time::Duration::from_secs(5), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    })
}

const CANNOT_LISTEN: &str = "Unable to listen on this port. Check server logs.";

/// The error of CONFIG SET `name` to a port another socket holds, from `con`'s server.
fn busy_port_error(con: &mut redis::Connection, name: &str) -> String {
    let busy = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot bind a port to hold: {e}"));
    let port = busy.local_addr().map(|a| a.port()).unwrap_or_default();
    config_set(con, &[(name, &port.to_string())])
        .err()
        .unwrap_or_else(|| panic!("{name} {port} accepted while another socket holds it"))
}

#[test]
fn config_set_port_moves_the_listener_and_keeps_connections() {
    let srv = shoal_tests::TestServer::start();
    let old = srv.addr().port();
    let mut con = srv.client();
    assert_eq!(config_get(&mut con, "port"), old.to_string());
    // A port that cannot be bound is refused with Redis's words; the old one serves on.
    let err = busy_port_error(&mut con, "port");
    assert!(
        err.contains(&format!(
            "CONFIG SET failed (possibly related to argument 'port') - {CANNOT_LISTEN}"
        )),
        "{err}"
    );
    assert_eq!(config_get(&mut con, "port"), old.to_string());
    assert!(plain_ping(old));
    if let Some(redis) = shoal_tests::RedisServer::start() {
        assert_eq!(busy_port_error(&mut redis.client(), "port"), err);
    }
    // The new port is served; the connection made before stays; the old port closes.
    let new = shoal_tests::process::free_port();
    assert_eq!(config_set(&mut con, &[("port", &new.to_string())]), Ok(()));
    assert!(plain_ping(new));
    assert_eq!(ping(&mut con).ok().as_deref(), Some("PONG"));
    assert!(closed(old), "the old port still accepts");
    assert_eq!(config_get(&mut con, "port"), new.to_string());
    // 0 closes the listener, and connections stay.
    assert_eq!(config_set(&mut con, &[("port", "0")]), Ok(()));
    assert!(closed(new), "port 0 left the listener open");
    assert_eq!(ping(&mut con).ok().as_deref(), Some("PONG"));
    // And a port can be opened again.
    let again = shoal_tests::process::free_port();
    assert_eq!(
        config_set(&mut con, &[("port", &again.to_string())]),
        Ok(())
    );
    assert!(plain_ping(again));
}

#[test]
fn config_set_tls_port_moves_the_tls_listener() {
    let dir = Scratch::new("tls-port");
    let ca = Ca::new("Shoal Test CA");
    let srv = server_with(&dir, &ca, &[("tls-auth-clients", "no")]);
    let old = srv.tls_port();
    let mut plain = srv.client();
    let mut tls = match srv.tls_client(&ca.pem(), None) {
        Ok(c) => c,
        Err(e) => panic!("TLS connection refused: {e}"),
    };
    assert_eq!(config_get(&mut plain, "tls-port"), old.to_string());
    let err = busy_port_error(&mut plain, "tls-port");
    assert!(
        err.contains(&format!(
            "CONFIG SET failed (possibly related to argument 'tls-port') - {CANNOT_LISTEN}"
        )),
        "{err}"
    );
    assert!(tls_client_at(old, &ca.pem()).is_ok());
    let new = shoal_tests::process::free_port();
    assert_eq!(
        config_set(&mut tls, &[("tls-port", &new.to_string())]),
        Ok(())
    );
    assert!(tls_client_at(new, &ca.pem()).is_ok());
    assert_eq!(ping(&mut tls).ok().as_deref(), Some("PONG"));
    assert!(closed(old), "the old TLS port still accepts");
    assert_eq!(config_set(&mut plain, &[("tls-port", "0")]), Ok(()));
    assert!(closed(new), "tls-port 0 left the listener open");
    assert_eq!(ping(&mut tls).ok().as_deref(), Some("PONG"));
    // Opening a TLS port again needs a working TLS configuration.
    let err = config_set(
        &mut plain,
        &[("tls-cert-file", ""), ("tls-port", &new.to_string())],
    )
    .err()
    .unwrap_or_default();
    assert!(
        err.contains(
            "CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to \
             update TLS configuration. Check server logs."
        ),
        "{err}"
    );
    assert_eq!(config_get(&mut plain, "tls-port"), "0");
    assert_eq!(
        config_set(&mut plain, &[("tls-port", &new.to_string())]),
        Ok(())
    );
    assert!(tls_client_at(new, &ca.pem()).is_ok());
}

#[test]
fn config_set_of_a_certificate_that_does_not_match_its_key_is_refused() {
    let dir = Scratch::new("tls-mismatch");
    let (ca1, ca2) = (Ca::new("Old CA"), Ca::new("New CA"));
    let srv = server_with(&dir, &ca1, &[("tls-auth-clients", "no")]);
    let mut tls = match srv.tls_client(&ca1.pem(), None) {
        Ok(c) => c,
        Err(e) => panic!("TLS connection refused: {e}"),
    };
    let (cert1, key1) = (
        config_get(&mut tls, "tls-cert-file"),
        config_get(&mut tls, "tls-key-file"),
    );
    let leaf = ca2.server();
    let cert2 = dir.write("other.crt", &leaf.cert);
    let key2 = dir.write("other.key", &leaf.key);
    let refused = |name: &str| {
        format!(
            "CONFIG SET failed (possibly related to argument '{name}') - Unable to update TLS \
             configuration. Check server logs."
        )
    };
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("tls-key-file", &key2)], "tls-key-file"),
        (&[("tls-cert-file", &cert2)], "tls-cert-file"),
        (
            &[("tls-cert-file", &cert2), ("tls-key-file", &key1)],
            "tls-cert-file",
        ),
        (
            &[("tls-key-file", &key1), ("tls-cert-file", &cert2)],
            "tls-key-file",
        ),
    ];
    for (pairs, named) in cases {
        let err = config_set(&mut tls, pairs).err().unwrap_or_default();
        assert!(err.contains(&refused(named)), "{pairs:?}: {err}");
        assert_eq!(config_get(&mut tls, "tls-cert-file"), cert1);
        assert_eq!(config_get(&mut tls, "tls-key-file"), key1);
    }
    // An unreadable file, alone or with a good one: the error names the first TLS
    // parameter of the command, as Redis's does.
    let missing = dir.path.join("missing.crt").to_string_lossy().into_owned();
    let err = config_set(&mut tls, &[("tls-cert-file", &missing)])
        .err()
        .unwrap_or_default();
    assert!(err.contains(&refused("tls-cert-file")), "{err}");
    let err = config_set(
        &mut tls,
        &[("tls-key-file", &key2), ("tls-cert-file", &missing)],
    )
    .err()
    .unwrap_or_default();
    assert!(err.contains(&refused("tls-key-file")), "{err}");
    assert_eq!(config_get(&mut tls, "tls-key-file"), key1);
    assert_eq!(config_get(&mut tls, "tls-cert-file"), cert1);
    // Still served with the old certificate, the old connection too.
    assert_eq!(ping(&mut tls).ok().as_deref(), Some("PONG"));
    assert!(srv.tls_client(&ca1.pem(), None).is_ok());
    assert!(srv.tls_client(&ca2.pem(), None).is_err());
    // A matching pair set together is taken.
    assert_eq!(
        config_set(
            &mut tls,
            &[("tls-cert-file", &cert2), ("tls-key-file", &key2)]
        ),
        Ok(())
    );
    assert!(srv.tls_client(&ca2.pem(), None).is_ok());
    assert_eq!(ping(&mut tls).ok().as_deref(), Some("PONG"));
}

/// CONFIG SET replies for `tls-*` values while TLS is off, then for turning it on.
fn tls_off_replies(con: &mut redis::Connection, port: u16) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in [
        ("tls-cert-file", "/nonexistent/server.crt"),
        ("tls-key-file", "/nonexistent/server.key"),
        ("tls-ca-cert-file", "/nonexistent/ca.crt"),
        ("tls-ca-cert-dir", "/nonexistent"),
        ("tls-protocols", "TLSv9"),
        ("tls-ciphers", "NOPE"),
        ("tls-port", &port.to_string()),
        ("tls-port", "0"),
    ] {
        let reply = config_set(con, &[(name, value)]);
        out.push(format!("{name}: {reply:?}"));
    }
    out
}

#[test]
fn with_tls_off_values_are_taken_as_given_until_tls_is_turned_on() {
    let srv = shoal_tests::TestServer::start();
    let port = shoal_tests::process::free_port();
    let replies = tls_off_replies(&mut srv.client(), port);
    let last = replies.len() - 1;
    assert!(
        replies[..last - 1].iter().all(|r| r.ends_with("Ok(())")),
        "{replies:?}"
    );
    assert!(
        replies[last - 1].contains(
            "CONFIG SET failed (possibly related to argument 'tls-port') - Unable to update \
             TLS configuration. Check server logs."
        ),
        "{replies:?}"
    );
    assert!(closed(port));
    if let Some(redis) = shoal_tests::RedisServer::start() {
        assert_eq!(tls_off_replies(&mut redis.client(), port), replies);
    }
}
