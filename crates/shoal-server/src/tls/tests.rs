use super::load::{cipher_suites, protocol_versions};
use super::*;
use rustls::CipherSuite;

#[test]
fn protocols_default_to_both_and_refuse_old_versions() {
    assert_eq!(protocol_versions("").map(|v| v.len()), Ok(2));
    let only13 = protocol_versions("TLSv1.3").unwrap_or_default();
    assert_eq!(only13.len(), 1);
    assert_eq!(only13[0].version, rustls::ProtocolVersion::TLSv1_3);
    assert!(protocol_versions("tlsv1.2 TLSv1.3 TLSv1.2").is_ok_and(|v| v.len() == 2));
    assert!(protocol_versions("TLSv1.1").is_err());
    assert!(protocol_versions("SSLv3").is_err());
}

#[test]
fn cipher_lists_use_openssl_names_and_exclusions() {
    let suites =
        cipher_suites("ECDHE-RSA-AES256-GCM-SHA384", "TLS_AES_128_GCM_SHA256").unwrap_or_default();
    let names: Vec<CipherSuite> = suites.iter().map(|s| s.suite()).collect();
    assert_eq!(
        names,
        vec![
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        ]
    );
    let all_but = cipher_suites("DEFAULT:!ECDHE-RSA-CHACHA20-POLY1305", "").unwrap_or_default();
    assert_eq!(all_but.len(), 3 + 5);
    assert!(!all_but
        .iter()
        .any(|s| s.suite() == CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256));
    assert_eq!(
        cipher_suites("NOPE-CIPHER", ""),
        Err("Failed to configure tls-ciphers: no cipher match".to_string())
    );
    // A TLS 1.2 name in the TLS 1.3 list matches nothing there.
    assert!(cipher_suites("", "ECDHE-RSA-AES256-GCM-SHA384").is_err());
}

#[test]
fn the_context_check_reads_every_file_given() {
    let config = shoal_engine::Config::new();
    assert!(check_context(&config).is_err_and(|e| e.contains("tls-cert-file")));
    let _ = config.set("tls-cert-file", "/nonexistent/cert.pem");
    let _ = config.set("tls-key-file", "/nonexistent/key.pem");
    assert!(check_context(&config).is_err_and(|e| e.contains("/nonexistent/cert.pem")));
}

#[test]
fn a_configuration_without_files_does_not_build() {
    let engine = Engine::new();
    match TlsContext::new(&engine) {
        Ok(_) => panic!("built without a certificate"),
        Err(e) => assert!(e.contains("tls-cert-file"), "{e}"),
    }
}
