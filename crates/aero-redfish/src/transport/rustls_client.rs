//! The default transport: `reqwest` with rustls (TLS 1.2/1.3, modern suites), also used for
//! plain-HTTP endpoints.
//!
//! A pinned fingerprint is a custom rustls certificate verifier. When a handshake fails the
//! way old firmware makes it fail (TLS 1.0/1.1 only, or no suite rustls accepts), the error
//! says so and names the OpenSSL backend.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{RedfishError, TransportFailureKind};

use super::{
    Exchange, MAX_REDIRECTS, POOL_IDLE_TIMEOUT, POOL_MAX_IDLE_PER_HOST, RawResponse,
    Sha256Fingerprint, TlsVerification, TransportFailure, USER_AGENT, ca_bundle_error, error_chain,
    kind_from_text, read_ca_pem,
};

/// The `reqwest` client of one BMC.
pub(super) struct RustlsClient {
    client: reqwest::Client,
}

impl RustlsClient {
    /// A client for `endpoint`; `verification` is `None` for plain HTTP.
    pub(super) fn new(
        endpoint: &reqwest::Url,
        verification: Option<&TlsVerification>,
        connect_timeout: Duration,
        bmc: &str,
    ) -> Result<Self, RedfishError> {
        let origin = endpoint.origin();
        let redirect_policy = reqwest::redirect::Policy::custom(move |attempt| {
            // Follow redirects only within the BMC (the emulator redirects names to UUIDs);
            // never carry credentials to another origin. `previous` holds every URL requested
            // so far, the first request included.
            if attempt.previous().len() > MAX_REDIRECTS || attempt.url().origin() != origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(redirect_policy)
            .no_proxy()
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
            .user_agent(USER_AGENT);
        if let Some(verification) = verification {
            builder = configure_tls(builder.tls_backend_rustls(), verification, bmc)?;
        }
        let client = builder
            .build()
            .map_err(|error| RedfishError::BuildTransport {
                bmc: bmc.to_string(),
                reason: error_chain(&error),
            })?;
        Ok(RustlsClient { client })
    }

    /// Sends one request and reads the whole answer, within `timeout`.
    pub(super) async fn send(
        &self,
        exchange: Exchange,
        timeout: Duration,
    ) -> Result<RawResponse, TransportFailure> {
        let mut builder = self
            .client
            .request(exchange.method, exchange.url)
            .headers(exchange.headers)
            .timeout(timeout);
        if let Some(body) = exchange.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(classify_reqwest_error)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|error| {
            let mut failure = classify_reqwest_error(error);
            if failure.kind == TransportFailureKind::Other {
                failure.kind = TransportFailureKind::Body;
            }
            failure
        })?;
        Ok(RawResponse {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

fn configure_tls(
    mut builder: reqwest::ClientBuilder,
    verification: &TlsVerification,
    bmc: &str,
) -> Result<reqwest::ClientBuilder, RedfishError> {
    match verification {
        TlsVerification::SystemRoots => {}
        TlsVerification::CaBundle(path) => {
            let pem = read_ca_pem(path, bmc)?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|error| ca_bundle_error(path, bmc, error_chain(&error)))?;
            if certificates.is_empty() {
                return Err(ca_bundle_error(
                    path,
                    bmc,
                    "no PEM certificate found".to_string(),
                ));
            }
            builder = builder.tls_certs_only(certificates);
        }
        TlsVerification::Insecure => {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        TlsVerification::Fingerprint(fingerprint) => {
            builder = builder.tls_backend_preconfigured(pinned_rustls_config(*fingerprint, bmc)?);
        }
    }
    Ok(builder)
}

fn pinned_rustls_config(
    fingerprint: Sha256Fingerprint,
    bmc: &str,
) -> Result<rustls::ClientConfig, RedfishError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedCertificateVerifier {
        fingerprint,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| RedfishError::BuildTransport {
            bmc: bmc.to_string(),
            reason: error.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

/// Accepts exactly the end-entity certificate with the pinned SHA-256 fingerprint; handshake
/// signatures are still verified against that certificate's key.
#[derive(Debug)]
struct PinnedCertificateVerifier {
    fingerprint: Sha256Fingerprint,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for PinnedCertificateVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let presented = Sha256Fingerprint::of_der(end_entity.as_ref());
        if presented == self.fingerprint {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate fingerprint {presented} does not match the pinned {}",
                self.fingerprint
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn classify_reqwest_error(error: reqwest::Error) -> TransportFailure {
    let mut detail = error_chain(&error);
    let lowered = detail.to_ascii_lowercase();
    let rustls_error = find_rustls_error(&error);
    let kind = if error.is_timeout() {
        TransportFailureKind::Timeout
    } else if rustls_error.is_some()
        || lowered.contains("certificate")
        || lowered.contains("tls")
        || lowered.contains("ssl")
        || lowered.contains("handshake")
    {
        TransportFailureKind::Tls
    } else if error.is_connect() {
        TransportFailureKind::Connect
    } else if error.is_body() || error.is_decode() {
        TransportFailureKind::Body
    } else {
        kind_from_text(&detail)
    };
    if let Some(hint) = rustls_error.and_then(legacy_tls_hint) {
        detail.push_str("; ");
        detail.push_str(hint);
    }
    TransportFailure { kind, detail }
}

/// The hint for a handshake that failed the way old BMC firmware makes it fail.
fn legacy_tls_hint(error: &rustls::Error) -> Option<&'static str> {
    use rustls::{AlertDescription, Error, PeerIncompatible};
    match error {
        Error::PeerIncompatible(
            PeerIncompatible::ServerDoesNotSupportTls12Or13
            | PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::Tls12NotOfferedOrEnabled,
        )
        | Error::AlertReceived(AlertDescription::ProtocolVersion) => Some(
            "the BMC speaks only TLS versions older than 1.2 (TLS 1.0/1.1), which rustls \
             refuses: choose the openssl TLS backend for this BMC",
        ),
        Error::PeerIncompatible(_)
        | Error::AlertReceived(
            AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity,
        ) => Some(
            "the BMC offers no cipher suite rustls accepts (old firmware offers only legacy \
             CBC or RSA key exchange suites): choose the openssl TLS backend for this BMC",
        ),
        _ => None,
    }
}

/// The rustls error among the causes: in the `source()` chain or wrapped in an `io::Error`
/// (whose `source()` skips the wrapped error), however deeply nested.
fn find_rustls_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![error];
    let mut visited = 0;
    while let Some(cause) = pending.pop() {
        visited += 1;
        if visited > 32 {
            return None;
        }
        if let Some(found) = cause.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io_error| io_error.get_ref())
        {
            pending.push(inner);
        }
        if let Some(source) = cause.source() {
            pending.push(source);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_are_found_inside_nested_io_errors() {
        let inner = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::General("bad record".to_string()),
        );
        let outer = std::io::Error::other(inner);
        assert!(find_rustls_error(&outer).is_some());
        assert!(find_rustls_error(&std::io::Error::other("connection refused")).is_none());
    }

    #[test]
    fn legacy_handshake_failures_name_the_openssl_backend() {
        use rustls::{AlertDescription, Error, PeerIncompatible};
        let old_version = legacy_tls_hint(&Error::PeerIncompatible(
            PeerIncompatible::ServerDoesNotSupportTls12Or13,
        ))
        .expect("hint");
        assert!(old_version.contains("TLS 1.0/1.1"), "{old_version}");
        assert!(old_version.contains("openssl TLS backend"), "{old_version}");
        let no_suite = legacy_tls_hint(&Error::AlertReceived(AlertDescription::HandshakeFailure))
            .expect("hint");
        assert!(no_suite.contains("cipher suite"), "{no_suite}");
        assert_eq!(
            legacy_tls_hint(&Error::General("certificate expired".to_string())),
            None
        );
    }
}
