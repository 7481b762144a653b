//! TLS: the emulator over HTTPS with a CA and certificate made by the test; CA bundle,
//! pinned fingerprint, insecure mode, both backends, and verification failures. Legacy
//! servers (only TLS 1.0, only TLS 1.1, or TLS 1.2 with only a CBC/RSA-key-exchange suite, at
//! OpenSSL security level 0) in front of the fixture server: rustls refuses them and says
//! to choose the OpenSSL backend, which discovers, inventories and drives them with the same
//! certificate checks, pooling, redirects and failure kinds as rustls.

mod support;

use std::path::Path;
use std::time::Duration;

use aero_bmc::{BmcConnector, BmcError, BmcTarget, Credentials, TlsTrust};
use aero_error::{Classify, ErrorClass};

use aero_redfish::client::BmcClient;
use aero_redfish::config::BmcConfig;
use aero_redfish::error::{Answer, RedfishError, TransportFailureKind};
use aero_redfish::power::PowerState;
use aero_redfish::retry::RetryPolicy;
use aero_redfish::transport::{Sha256Fingerprint, TlsBackend, TlsConfig, TlsVerification};
use openssl::ssl::SslVersion;
use support::emulator::{Emulator, EmulatorOptions, PASSWORD, USERNAME};
use support::fake_bmc::{Behaviour, FakeBmc, Reply};
use support::tls::{
    LEGACY_ECDHE_CIPHER, LEGACY_RSA_CIPHER, LegacyTlsFront, MODERN_ECDHE_CIPHER, TestPki,
    basic_constraints, expired_self_signed, self_signed,
};
use support::vendors;

fn config_with(url: &str, backend: TlsBackend, verification: TlsVerification) -> BmcConfig {
    let mut config = support::fast_config(url, USERNAME, PASSWORD);
    config.tls = TlsConfig {
        backend,
        verification,
    };
    config
}

async fn connect_with(
    url: &str,
    backend: TlsBackend,
    verification: TlsVerification,
) -> Result<BmcClient, RedfishError> {
    BmcClient::connect(config_with(url, backend, verification)).await
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
        (TlsBackend::OpenSsl, TlsVerification::Fingerprint(pinned)),
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
    assert_tls_failure(
        connect_with(
            &url,
            TlsBackend::OpenSsl,
            TlsVerification::Fingerprint(wrong_pin),
        )
        .await,
        "does not match the pinned",
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

/// The DMTF rackmount mockup behind a legacy TLS front speaking only `version` and `cipher`.
async fn legacy_bmc(version: SslVersion, cipher: &str, pki: &TestPki) -> (FakeBmc, LegacyTlsFront) {
    let server = FakeBmc::mockup("public-rackmount1").await;
    let front = LegacyTlsFront::start(
        &server.url,
        version,
        cipher,
        &pki.server_certificate,
        &pki.server_key,
    )
    .await;
    (server, front)
}

#[tokio::test]
async fn tls_1_0_and_1_1_only_bmcs_need_the_openssl_backend() {
    let pki = TestPki::generate();
    let ca = TlsVerification::CaBundle(pki.ca_certificate.clone());
    let pinned: Sha256Fingerprint = pki.server_fingerprint().parse().expect("fingerprint");
    let wrong_pin: Sha256Fingerprint = pki
        .fingerprint_of(&pki.other_ca_certificate)
        .parse()
        .expect("fingerprint");
    for (version, label) in [
        (SslVersion::TLS1, "TLS 1.0"),
        (SslVersion::TLS1_1, "TLS 1.1"),
    ] {
        let (server, front) = legacy_bmc(version, LEGACY_ECDHE_CIPHER, &pki).await;

        // rustls cannot: the error names the version problem and the way out.
        let refused = connect_with(&front.url, TlsBackend::Rustls, ca.clone()).await;
        assert_tls_failure(refused, "only TLS versions older than 1.2");
        let refused = connect_with(&front.url, TlsBackend::Rustls, ca.clone())
            .await
            .expect_err("rustls refuses")
            .to_string();
        assert!(
            refused.contains("openssl TLS backend"),
            "{label}: {refused}"
        );

        // OpenSSL can, with the CA bundle and with a pinned fingerprint.
        for verification in [ca.clone(), TlsVerification::Fingerprint(pinned)] {
            let context = format!("{label} {verification:?}");
            let client = connect_with(&front.url, TlsBackend::OpenSsl, verification)
                .await
                .unwrap_or_else(|error| panic!("{context}: {error}"));
            assert_eq!(
                client.service().systems.as_deref(),
                Some("/redfish/v1/Systems"),
                "{context}"
            );
            assert!(client.uses_session().await, "{context}");
            let system = client
                .system(None)
                .await
                .unwrap_or_else(|error| panic!("{context}: {error}"));
            let inventory = system
                .inventory()
                .await
                .unwrap_or_else(|error| panic!("{context}: {error}"));
            assert_eq!(inventory.system_id, "437XR1138R2", "{context}");
            assert_eq!(inventory.manufacturer.as_deref(), Some("Contoso"));
            assert_eq!(inventory.processor_count, Some(2));
            assert_eq!(inventory.memory_gib, Some(96.0));
            assert_eq!(inventory.power_state, PowerState::On);
            client.close().await.expect("logout");
        }
        assert!(
            server.requests_to("GET", "/Systems/437XR1138R2").len() >= 2,
            "{label}: the requests went through the front"
        );

        // A wrong pin and an untrusted certificate are refused, clearly and at once.
        assert_tls_failure(
            connect_with(
                &front.url,
                TlsBackend::OpenSsl,
                TlsVerification::Fingerprint(wrong_pin),
            )
            .await,
            &format!("certificate fingerprint {pinned} does not match the pinned {wrong_pin}"),
        );
        assert_tls_failure(
            connect_with(
                &front.url,
                TlsBackend::OpenSsl,
                TlsVerification::CaBundle(pki.other_ca_certificate.clone()),
            )
            .await,
            "certificate verification failed: unable to get local issuer certificate",
        );
        assert_tls_failure(
            connect_with(
                &front.url,
                TlsBackend::OpenSsl,
                TlsVerification::SystemRoots,
            )
            .await,
            "certificate verification failed",
        );
    }
}

#[tokio::test]
async fn legacy_cipher_suites_need_the_openssl_backend() {
    let pki = TestPki::generate();
    let ca = TlsVerification::CaBundle(pki.ca_certificate.clone());
    let (_server, front) = legacy_bmc(SslVersion::TLS1_2, LEGACY_RSA_CIPHER, &pki).await;
    let refused = connect_with(&front.url, TlsBackend::Rustls, ca.clone()).await;
    assert_tls_failure(refused, "no cipher suite rustls accepts");
    let refused = connect_with(&front.url, TlsBackend::Rustls, ca.clone())
        .await
        .expect_err("rustls refuses")
        .to_string();
    assert!(refused.contains("openssl TLS backend"), "{refused}");

    let client = connect_with(&front.url, TlsBackend::OpenSsl, ca)
        .await
        .expect("OpenSSL speaks the legacy suite");
    let system = client.system(None).await.expect("system");
    assert_eq!(system.id(), "437XR1138R2");
}

#[tokio::test]
async fn openssl_backend_pools_connections_unless_a_quirk_says_otherwise() {
    let pki = TestPki::generate();
    let ca = TlsVerification::CaBundle(pki.ca_certificate.clone());
    for (manufacturer, closes) in [("Contoso", false), ("Sushy Emulator", true)] {
        let mut shape = vendors::contoso();
        shape.manufacturer = manufacturer;
        let server = FakeBmc::start(shape.resources(), Behaviour::bmc(USERNAME, PASSWORD)).await;
        let front = LegacyTlsFront::start(
            &server.url,
            SslVersion::TLS1,
            LEGACY_ECDHE_CIPHER,
            &pki.server_certificate,
            &pki.server_key,
        )
        .await;
        let client = connect_with(&front.url, TlsBackend::OpenSsl, ca.clone())
            .await
            .expect("connect");
        let system = client.system(None).await.expect("system");
        system.power_state().await.expect("state");
        let before = front.handshakes();
        for _ in 0..5 {
            system.power_state().await.expect("state");
        }
        let last = server.requests().pop().expect("request");
        if closes {
            // The sushy-emulator rule: one connection (and TLS handshake) per request.
            assert_eq!(front.handshakes() - before, 5, "{manufacturer}");
            assert_eq!(last.header("connection"), Some("close"));
        } else {
            assert_eq!(front.handshakes(), 1, "keep-alive reuses one connection");
            assert_eq!(last.header("connection"), None);
        }
        assert_eq!(last.header("odata-version"), Some("4.0"));
        assert_eq!(last.header("accept-encoding"), Some("identity"));
        assert!(
            last.header("user-agent")
                .is_some_and(|agent| agent.starts_with("aerostat/")),
            "{:?}",
            last.header("user-agent")
        );
    }
}

/// Both backends follow redirects the same way: within the BMC only, at most 5 in a row,
/// and a redirect they do not follow is handed up as the answer.
#[tokio::test]
async fn both_backends_follow_redirects_within_the_bmc_only() {
    let pki = TestPki::generate();
    let shape = vendors::contoso();
    let server = FakeBmc::start(shape.resources(), Behaviour::bmc(USERNAME, PASSWORD)).await;
    server.hook(|request, _| {
        let path = request.path.as_str();
        if path == "/redfish/v1/Systems/System" {
            // The emulator's name -> id redirect.
            return Some(Reply::empty(307).header("Location", "/redfish/v1/Systems/1"));
        }
        if path == "/redfish/v1/Systems/loop" {
            return Some(Reply::empty(307).header("Location", "/redfish/v1/Systems/loop"));
        }
        if path == "/redfish/v1/Systems/elsewhere" {
            return Some(
                Reply::empty(302).header("Location", "http://127.0.0.2:9/redfish/v1/Systems/1"),
            );
        }
        None
    });
    let front = LegacyTlsFront::start(
        &server.url,
        SslVersion::TLS1,
        LEGACY_RSA_CIPHER,
        &pki.server_certificate,
        &pki.server_key,
    )
    .await;
    let ca = TlsVerification::CaBundle(pki.ca_certificate.clone());
    for (url, backend) in [
        (server.url.clone(), TlsBackend::Rustls),
        (front.url.clone(), TlsBackend::OpenSsl),
    ] {
        let before = server.requests().len();
        let client = connect_with(&url, backend, ca.clone())
            .await
            .expect("connect");
        let system = client
            .system(Some("System"))
            .await
            .unwrap_or_else(|error| panic!("{backend:?}: {error}"));
        assert_eq!(system.id(), "1", "{backend:?}");
        let error = client
            .system(Some("loop"))
            .await
            .expect_err("no such system");
        assert!(
            matches!(error, RedfishError::SystemNotFound { .. }),
            "{backend:?}: {error}"
        );
        client
            .system(Some("elsewhere"))
            .await
            .expect_err("no such system");
        let requests = server.requests()[before..].to_vec();
        let count = |path: &str| {
            requests
                .iter()
                .filter(|request| request.path == path)
                .count()
        };
        assert_eq!(count("/redfish/v1/Systems/System"), 1, "{backend:?}");
        // The first request and five redirects, then the 307 is the answer.
        assert_eq!(count("/redfish/v1/Systems/loop"), 6, "{backend:?}");
        // Not followed to another origin.
        assert_eq!(count("/redfish/v1/Systems/elsewhere"), 1, "{backend:?}");
    }
}

/// A BMC that accepts TCP connections but never answers the handshake: both backends give
/// up after the connect timeout with a (retried) timeout.
#[tokio::test]
async fn both_backends_time_out_a_silent_handshake_and_retry() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("address"));
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    for backend in [TlsBackend::Rustls, TlsBackend::OpenSsl] {
        let mut config = config_with(&url, backend, TlsVerification::Insecure);
        config.timing.connect_timeout = Duration::from_millis(300);
        config.timing.request_timeout = Duration::from_secs(1);
        config.retry = RetryPolicy {
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(10),
            multiplier: 1.0,
            max_retries: 1,
            jitter: 0.0,
        };
        let error = BmcClient::connect(config).await.expect_err("no handshake");
        let failure = error.request_failure().expect("request failure");
        assert!(
            matches!(
                failure.answer,
                Answer::Transport {
                    kind: TransportFailureKind::Timeout,
                    ..
                }
            ),
            "{backend:?}: {error}"
        );
        assert_eq!(failure.attempts, 2, "{backend:?}: retried once: {error}");
    }
    silent.abort();
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

/// The DMTF rackmount mockup behind TLS 1.2 with `certificate`.
async fn bmc_with_certificate(certificate: &Path, key: &Path) -> (FakeBmc, LegacyTlsFront) {
    let server = FakeBmc::mockup("public-rackmount1").await;
    let front = LegacyTlsFront::start(
        &server.url,
        SslVersion::TLS1_2,
        MODERN_ECDHE_CIPHER,
        certificate,
        key,
    )
    .await;
    (server, front)
}

/// Issue 10 item 1: many BMCs ship a self-signed certificate marked CA:TRUE, which rustls
/// refused as an end entity (`CaUsedAsEndEntity`) although the operator listed exactly it.
#[tokio::test]
async fn a_self_signed_ca_certificate_in_the_ca_file_works_with_both_backends() {
    let directory = tempfile::tempdir().expect("dir");
    let (certificate, key) =
        self_signed(directory.path(), "bmc", "127.0.0.1", Some("IP:127.0.0.1"));
    assert!(
        basic_constraints(&certificate).contains("CA:TRUE"),
        "{}",
        basic_constraints(&certificate)
    );
    let pem = std::fs::read_to_string(&certificate).expect("pem");
    let (_server, front) = bmc_with_certificate(&certificate, &key).await;
    for backend in [TlsBackend::Rustls, TlsBackend::OpenSsl] {
        for verification in [
            TlsVerification::CaBundle(certificate.clone()),
            TlsVerification::CaPem(pem.clone()),
        ] {
            let label = format!("{backend:?} {verification:?}");
            let client = connect_with(&front.url, backend, verification)
                .await
                .unwrap_or_else(|error| panic!("{label}: {error}"));
            let system = client.system(None).await.expect("system");
            assert_eq!(system.id(), "437XR1138R2", "{label}");
        }
    }

    // Through the port, as a node's settings give it: inline PEM, default backend.
    let mut target = BmcTarget::new(&front.url, Credentials::new(USERNAME, PASSWORD));
    target.tls = TlsTrust::CaPem(pem);
    let bmc = support::fast_connector()
        .connect(&target)
        .await
        .unwrap_or_else(|error| panic!("{}", error.report()));
    let inventory = bmc.inventory().await.expect("inventory");
    assert_eq!(inventory.serial_number.as_deref(), Some("437XR1138R2"));

    // A certificate with only a common name (no subjectAltName), as many BMCs have: the
    // listed certificate is matched on its common name.
    let (common_name_only, key) = self_signed(directory.path(), "cn-only", "127.0.0.1", None);
    let (_server, front) = bmc_with_certificate(&common_name_only, &key).await;
    let client = connect_with(
        &front.url,
        TlsBackend::Rustls,
        TlsVerification::CaBundle(common_name_only.clone()),
    )
    .await
    .expect("common name of a listed certificate");
    client.system(None).await.expect("system");
}

#[tokio::test]
async fn refused_certificates_say_what_to_configure_instead() {
    let directory = tempfile::tempdir().expect("dir");
    let (certificate, key) =
        self_signed(directory.path(), "bmc", "127.0.0.1", Some("IP:127.0.0.1"));
    let (other, _) = self_signed(directory.path(), "other", "127.0.0.1", Some("IP:127.0.0.1"));
    let presented: Sha256Fingerprint = TestPki::fingerprint_in(&certificate).parse().expect("fp");
    let (_server, front) = bmc_with_certificate(&certificate, &key).await;

    // Another CA:TRUE certificate in the CA file: refused, with the way out.
    let result = connect_with(
        &front.url,
        TlsBackend::Rustls,
        TlsVerification::CaBundle(other.clone()),
    )
    .await;
    assert_tls_failure(result, "presented a CA certificate (CA:TRUE");
    let text = connect_with(
        &front.url,
        TlsBackend::Rustls,
        TlsVerification::CaBundle(other.clone()),
    )
    .await
    .expect_err("refused")
    .to_string();
    assert!(
        text.contains(&format!("the CA file {}", other.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("pin its SHA-256 fingerprint {presented}")),
        "{text}"
    );
    assert!(text.contains("exactly this certificate"), "{text}");
    assert!(text.contains("insecure"), "{text}");
    assert!(!text.contains("CaUsedAsEndEntity"), "{text}");

    // The OpenSSL backend refuses it too, and says the same.
    let text = connect_with(
        &front.url,
        TlsBackend::OpenSsl,
        TlsVerification::CaBundle(other),
    )
    .await
    .expect_err("refused")
    .to_string();
    assert!(text.contains("self-signed certificate"), "{text}");
    assert!(
        text.contains(&format!("pin its SHA-256 fingerprint {presented}")),
        "{text}"
    );

    // System roots: set a CA file, or pin (rustls's system verifier does not hand out the
    // certificate, so its message gives the command that shows the fingerprint).
    let port = front.url.rsplit(':').next().expect("port");
    for (backend, pin) in [
        (
            TlsBackend::Rustls,
            format!("openssl s_client -connect 127.0.0.1:{port}"),
        ),
        (
            TlsBackend::OpenSsl,
            format!("pin its SHA-256 fingerprint {presented}"),
        ),
    ] {
        let text = connect_with(&front.url, backend, TlsVerification::SystemRoots)
            .await
            .expect_err("untrusted")
            .to_string();
        assert!(
            text.contains("set the BMC's CA file"),
            "{backend:?}: {text}"
        );
        assert!(text.contains(&pin), "{backend:?}: {text}");
    }

    // A listed certificate for another name, and an expired one.
    let (misnamed, key) = self_signed(
        directory.path(),
        "misnamed",
        "bmc.other.example",
        Some("DNS:bmc.other.example"),
    );
    let (_server, front) = bmc_with_certificate(&misnamed, &key).await;
    let result = connect_with(
        &front.url,
        TlsBackend::Rustls,
        TlsVerification::CaBundle(misnamed),
    )
    .await;
    assert_tls_failure(
        result,
        "issued for bmc.other.example, not 127.0.0.1; reissue it on the BMC with subjectAltName 127.0.0.1, or pin",
    );
    let (expired, key) = expired_self_signed(directory.path(), "expired");
    let (_server, front) = bmc_with_certificate(&expired, &key).await;
    let result = connect_with(
        &front.url,
        TlsBackend::Rustls,
        TlsVerification::CaBundle(expired.clone()),
    )
    .await;
    assert_tls_failure(result, "the BMC's certificate expired on ");

    // A real CA certificate (key usage: certificate and CRL signing only) served as the
    // BMC's own and listed: its key usage excludes a TLS server.
    let pki = TestPki::generate();
    let (_ca_server, ca_front) =
        bmc_with_certificate(&pki.ca_certificate, &pki.directory.path().join("ca.key")).await;
    let result = connect_with(
        &ca_front.url,
        TlsBackend::Rustls,
        TlsVerification::CaBundle(pki.ca_certificate.clone()),
    )
    .await;
    assert_tls_failure(
        result,
        "may not be used by a TLS server (its key usage is only",
    );

    // Through the port: a permanent TLS refusal whose report carries the explanation.
    let mut target = BmcTarget::new(&front.url, Credentials::new(USERNAME, PASSWORD));
    target.tls = TlsTrust::CaPem(std::fs::read_to_string(&expired).expect("pem"));
    let error = match support::fast_connector().connect(&target).await {
        Ok(_) => panic!("an expired certificate was accepted"),
        Err(error) => error,
    };
    assert!(
        matches!(error, BmcError::TlsRefused { .. }),
        "{}",
        error.report()
    );
    assert_eq!(error.class(), ErrorClass::Permanent);
    let report = error.report();
    assert!(report.contains("renew it on the BMC"), "{report}");
    assert!(
        report.contains("the BMC's certificate expired on "),
        "{report}"
    );
}
