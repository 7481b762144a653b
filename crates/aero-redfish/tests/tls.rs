//! TLS: the emulator over HTTPS with a CA and certificate made by the test; CA bundle,
//! pinned fingerprint, insecure mode, both backends, and verification failures. A legacy
//! server (TLS 1.2 with only a CBC/RSA-key-exchange suite) that rustls refuses and the
//! OpenSSL backend accepts.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use aero_redfish::client::BmcClient;
use aero_redfish::error::{Answer, RedfishError, TransportFailureKind};
use aero_redfish::power::PowerState;
use aero_redfish::transport::{Sha256Fingerprint, TlsBackend, TlsConfig, TlsVerification};
use support::emulator::{Emulator, EmulatorOptions, PASSWORD, USERNAME};
use support::tls::TestPki;

async fn connect_with(
    url: &str,
    backend: TlsBackend,
    verification: TlsVerification,
) -> Result<BmcClient, RedfishError> {
    let mut config = support::fast_config(url, USERNAME, PASSWORD);
    config.tls = TlsConfig {
        backend,
        verification,
    };
    BmcClient::connect(config).await
}

#[track_caller]
fn assert_tls_failure(result: Result<BmcClient, RedfishError>, expected_text: &str) {
    let error = result.expect_err("TLS verification must fail");
    let failure = error
        .request_failure()
        .unwrap_or_else(|| panic!("not a request failure: {error}"));
    assert!(
        matches!(
            failure.answer,
            Answer::Transport {
                kind: TransportFailureKind::Tls,
                ..
            }
        ),
        "{error}"
    );
    // Certificate failures are permanent: one attempt.
    assert_eq!(failure.attempts, 1, "{error}");
    let text = error.to_string().to_lowercase();
    assert!(text.contains(&expected_text.to_lowercase()), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_over_https() {
    let pki = TestPki::generate();
    let emulator = Emulator::start(EmulatorOptions {
        tls: Some((pki.server_certificate.clone(), pki.server_key.clone())),
        ..EmulatorOptions::default()
    })
    .await;
    assert!(emulator.url.starts_with("https://127.0.0.1:"));
    let url = emulator.url.clone();
    let ca = TlsVerification::CaBundle(pki.ca_certificate.clone());
    let other_ca = TlsVerification::CaBundle(pki.other_ca_certificate.clone());
    let pinned: Sha256Fingerprint = pki.server_fingerprint().parse().expect("fingerprint");
    let wrong_pin: Sha256Fingerprint = pki
        .fingerprint_of(&pki.other_ca_certificate)
        .parse()
        .expect("fingerprint");

    for (backend, verification) in [
        (TlsBackend::Rustls, ca.clone()),
        (TlsBackend::Rustls, TlsVerification::Fingerprint(pinned)),
        (TlsBackend::Rustls, TlsVerification::Insecure),
        (TlsBackend::OpenSsl, ca.clone()),
        (TlsBackend::OpenSsl, TlsVerification::Insecure),
    ] {
        let label = format!("{backend:?} {verification:?}");
        let client = connect_with(&url, backend, verification)
            .await
            .unwrap_or_else(|error| panic!("{label}: {error}"));
        let system = client
            .system(None)
            .await
            .unwrap_or_else(|error| panic!("{label}: {error}"));
        assert_eq!(
            system.power_state().await.expect("power state"),
            PowerState::Off,
            "{label}"
        );
    }

    assert_tls_failure(
        connect_with(&url, TlsBackend::Rustls, TlsVerification::SystemRoots).await,
        "certificate",
    );
    assert_tls_failure(
        connect_with(&url, TlsBackend::Rustls, other_ca.clone()).await,
        "certificate",
    );
    assert_tls_failure(
        connect_with(
            &url,
            TlsBackend::Rustls,
            TlsVerification::Fingerprint(wrong_pin),
        )
        .await,
        "does not match the pinned",
    );
    assert_tls_failure(
        connect_with(&url, TlsBackend::OpenSsl, TlsVerification::SystemRoots).await,
        "certificate",
    );
    assert_tls_failure(
        connect_with(&url, TlsBackend::OpenSsl, other_ca).await,
        "certificate",
    );

    // A CA bundle that is not PEM is a configuration error, before any request.
    let garbage = emulator.scratch().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").expect("write");
    let error = connect_with(&url, TlsBackend::Rustls, TlsVerification::CaBundle(garbage))
        .await
        .expect_err("bad bundle");
    assert!(
        matches!(error, RedfishError::ParseCaBundle { .. }),
        "{error}"
    );
    let error = connect_with(
        &url,
        TlsBackend::Rustls,
        TlsVerification::CaBundle("/nonexistent/ca.pem".into()),
    )
    .await
    .expect_err("missing bundle");
    assert!(
        matches!(error, RedfishError::ReadCaBundle { .. }),
        "{error}"
    );
}

/// A TLS 1.2 server offering only AES128-SHA (RSA key exchange, CBC), which rustls refuses,
/// that answers every request with a service root.
fn legacy_tls_server(certificate: &Path, key: &Path) -> u16 {
    use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod, SslVersion};
    let mut builder = SslAcceptor::mozilla_intermediate(SslMethod::tls()).expect("acceptor");
    builder
        .set_private_key_file(key, SslFiletype::PEM)
        .expect("key");
    builder
        .set_certificate_chain_file(certificate)
        .expect("certificate");
    builder
        .set_min_proto_version(Some(SslVersion::TLS1_2))
        .expect("min version");
    builder
        .set_max_proto_version(Some(SslVersion::TLS1_2))
        .expect("max version");
    builder.set_cipher_list("AES128-SHA").expect("cipher list");
    let acceptor = builder.build();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let acceptor = acceptor.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(mut tls) = acceptor.accept(stream) else {
                    return;
                };
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                    match tls.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let body = r#"{"@odata.id":"/redfish/v1/","RedfishVersion":"1.0.0","Vendor":"LegacyCo","Systems":{"@odata.id":"/redfish/v1/Systems"}}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes());
                let _ = tls.shutdown();
            });
        }
    });
    port
}

#[tokio::test]
async fn legacy_cipher_needs_the_openssl_backend() {
    let pki = TestPki::generate();
    let port = legacy_tls_server(&pki.server_certificate, &pki.server_key);
    let url = format!("https://127.0.0.1:{port}");
    let ca = TlsVerification::CaBundle(pki.ca_certificate.clone());

    let refused = connect_with(&url, TlsBackend::Rustls, ca.clone()).await;
    assert_tls_failure(refused, "handshake");

    let client = connect_with(&url, TlsBackend::OpenSsl, ca)
        .await
        .expect("OpenSSL speaks the legacy suite");
    assert_eq!(client.service().vendor.as_deref(), Some("LegacyCo"));
    assert_eq!(
        client.service().systems.as_deref(),
        Some("/redfish/v1/Systems")
    );
    assert!(!client.uses_session().await);
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_permanent_tls_error() {
    let server = support::fake_bmc::FakeBmc::mockup("public-telemetry").await;
    let url = server.url.replace("http://", "https://");
    for backend in [TlsBackend::Rustls, TlsBackend::OpenSsl] {
        let result = connect_with(&url, backend, TlsVerification::Insecure).await;
        let error = result.expect_err("not TLS");
        let failure = error.request_failure().expect("request failure");
        assert!(
            matches!(
                failure.answer,
                Answer::Transport {
                    kind: TransportFailureKind::Tls,
                    ..
                }
            ),
            "{backend:?}: {error}"
        );
        assert_eq!(failure.attempts, 1, "{backend:?}: {error}");
    }
}
