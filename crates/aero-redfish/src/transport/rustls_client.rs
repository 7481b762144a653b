//! The default transport: `reqwest` with rustls (TLS 1.2/1.3, modern suites), also used for
//! plain-HTTP endpoints.
//!
//! A pinned fingerprint and a CA file are custom rustls certificate verifiers: the pin
//! accepts exactly one certificate; the CA file verifier checks chains as webpki does and
//! also accepts a BMC certificate listed in the file itself (a self-signed one, even marked
//! `CA:TRUE`; see `certificates.rs` for the checks and why they are safe). Every refused
//! certificate is explained with what to configure instead. When a handshake fails the way
//! old firmware makes it fail (TLS 1.0/1.1 only, or no suite rustls accepts), the error
//! says so and names the OpenSSL backend.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::CertificateError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::{RedfishError, TransportFailureKind};

use super::certificates::{
    CertificateProblem, CertificateRefusal, Host, check_listed_certificate, refusal_text,
};
use super::{
    Exchange, MAX_REDIRECTS, POOL_IDLE_TIMEOUT, POOL_MAX_IDLE_PER_HOST, RawResponse,
    Sha256Fingerprint, TlsVerification, TransportFailure, USER_AGENT, ca_bundle_error, ca_pem,
    error_chain, kind_from_text,
};

/// The `reqwest` client of one BMC.
pub(super) struct RustlsClient {
    client: reqwest::Client,
    /// How certificates are checked, to explain refusals the system verifier reports.
    refusals: Option<RefusalContext>,
}

/// What a refusal message needs to know.
#[derive(Debug, Clone)]
struct RefusalContext {
    verification: TlsVerification,
    host: String,
    port: u16,
}

impl RefusalContext {
    fn refuse(&self, problem: &CertificateProblem, presented: Option<Sha256Fingerprint>) -> String {
        refusal_text(
            problem,
            &self.verification,
            &self.host,
            self.port,
            presented,
        )
    }
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
        let refusals = verification.map(|verification| RefusalContext {
            verification: verification.clone(),
            host: endpoint
                .host_str()
                .unwrap_or_default()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port: endpoint.port_or_known_default().unwrap_or(443),
        });
        if let Some(context) = &refusals {
            builder = configure_tls(builder.tls_backend_rustls(), context, bmc)?;
        }
        let client = builder
            .build()
            .map_err(|error| RedfishError::BuildTransport {
                bmc: bmc.to_string(),
                reason: error_chain(&error),
            })?;
        Ok(RustlsClient { client, refusals })
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
        let refusals = self.refusals.as_ref();
        let response = builder
            .send()
            .await
            .map_err(|error| classify_reqwest_error(error, refusals))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|error| {
            let mut failure = classify_reqwest_error(error, refusals);
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
    context: &RefusalContext,
    bmc: &str,
) -> Result<reqwest::ClientBuilder, RedfishError> {
    match &context.verification {
        TlsVerification::SystemRoots => {}
        TlsVerification::CaBundle(_) | TlsVerification::CaPem(_) => {
            builder = builder.tls_backend_preconfigured(ca_rustls_config(context, bmc)?);
        }
        TlsVerification::Insecure => {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        TlsVerification::Fingerprint(fingerprint) => {
            let verifier = PinnedCertificateVerifier {
                fingerprint: *fingerprint,
                context: context.clone(),
                provider: provider(),
            };
            builder = builder.tls_backend_preconfigured(rustls_config(Arc::new(verifier), bmc)?);
        }
    }
    Ok(builder)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A client configuration with `verifier` and the safe default protocol versions.
fn rustls_config(
    verifier: Arc<dyn ServerCertVerifier>,
    bmc: &str,
) -> Result<rustls::ClientConfig, RedfishError> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| RedfishError::BuildTransport {
            bmc: bmc.to_string(),
            reason: error.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

/// The configuration for a CA file (or inline CA PEM): [`CaFileVerifier`] over its
/// certificates.
fn ca_rustls_config(
    context: &RefusalContext,
    bmc: &str,
) -> Result<rustls::ClientConfig, RedfishError> {
    let Some((pem, origin)) = ca_pem(&context.verification, bmc)? else {
        return Err(RedfishError::BuildTransport {
            bmc: bmc.to_string(),
            reason: "no CA certificates configured".to_string(),
        });
    };
    let listed = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| ca_bundle_error(&origin, bmc, error.to_string()))?;
    if listed.is_empty() {
        return Err(ca_bundle_error(
            &origin,
            bmc,
            "no PEM certificate found".to_string(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for certificate in &listed {
        roots
            .add(certificate.clone())
            .map_err(|error| ca_bundle_error(&origin, bmc, error.to_string()))?;
    }
    let inner =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|error| RedfishError::BuildTransport {
                bmc: bmc.to_string(),
                reason: error.to_string(),
            })?;
    let verifier = CaFileVerifier {
        inner,
        listed,
        context: context.clone(),
    };
    rustls_config(Arc::new(verifier), bmc)
}

/// A refusal rustls carries to the client: the explained text as the certificate error.
fn refusal(text: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
        CertificateRefusal(text),
    ))))
}

fn system_time(time: UnixTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(time.as_secs())
}

/// What a rustls certificate error means.
#[allow(deprecated)]
fn problem_of(error: &CertificateError) -> CertificateProblem {
    match error {
        CertificateError::UnknownIssuer => CertificateProblem::UntrustedIssuer,
        CertificateError::NotValidForName => CertificateProblem::WrongName {
            presented: Vec::new(),
        },
        CertificateError::NotValidForNameContext { presented, .. } => {
            CertificateProblem::WrongName {
                presented: presented.clone(),
            }
        }
        CertificateError::Expired => CertificateProblem::Expired { not_after: None },
        CertificateError::ExpiredContext { not_after, .. } => CertificateProblem::Expired {
            not_after: Some(system_time(*not_after)),
        },
        CertificateError::NotValidYet => CertificateProblem::NotYetValid { not_before: None },
        CertificateError::NotValidYetContext { not_before, .. } => {
            CertificateProblem::NotYetValid {
                not_before: Some(system_time(*not_before)),
            }
        }
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            CertificateProblem::WeakSignature
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            CertificateProblem::WrongPurpose(
                "its extended key usage excludes TLS server authentication".to_string(),
            )
        }
        CertificateError::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
            CertificateProblem::CaAsEndEntity
        }
        other => CertificateProblem::Other(other.to_string()),
    }
}

/// Verifies against the certificates of a CA file: chains as webpki checks them, and a BMC
/// certificate listed in the file itself (byte-identical) by
/// [`check_listed_certificate`]. Refusals are explained ([`refusal_text`]). Handshake
/// signatures are always verified against the presented certificate's key.
#[derive(Debug)]
struct CaFileVerifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    listed: Vec<CertificateDer<'static>>,
    context: RefusalContext,
}

impl ServerCertVerifier for CaFileVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = || Some(Sha256Fingerprint::of_der(end_entity.as_ref()));
        let host = Host::parse(&server_name.to_str());
        if self
            .listed
            .iter()
            .any(|listed| listed.as_ref() == end_entity.as_ref())
        {
            return check_listed_certificate(end_entity.as_ref(), &host, system_time(now))
                .map(|()| ServerCertVerified::assertion())
                .map_err(|problem| refusal(self.context.refuse(&problem, presented())));
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|error| match error {
                rustls::Error::InvalidCertificate(certificate_error) => refusal(
                    self.context
                        .refuse(&problem_of(&certificate_error), presented()),
                ),
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

/// Accepts exactly the end-entity certificate with the pinned SHA-256 fingerprint; handshake
/// signatures are still verified against that certificate's key.
#[derive(Debug)]
struct PinnedCertificateVerifier {
    fingerprint: Sha256Fingerprint,
    context: RefusalContext,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertificateVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Sha256Fingerprint::of_der(end_entity.as_ref());
        if presented == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(refusal(super::certificates::pin_mismatch_text(
                Some(presented),
                &self.fingerprint,
                &self.context.host,
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
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
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
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

fn classify_reqwest_error(
    error: reqwest::Error,
    refusals: Option<&RefusalContext>,
) -> TransportFailure {
    let mut detail = error_chain(&error);
    let lowered = detail.to_ascii_lowercase();
    let rustls_error = find_rustls_error(&error);
    if let Some(rustls::Error::InvalidCertificate(certificate_error)) = rustls_error {
        // A refusal: say why and what to configure, without the HTTP stack's wrapping.
        let explained = match certificate_error {
            CertificateError::Other(other) => other
                .0
                .downcast_ref::<CertificateRefusal>()
                .map(|refusal| refusal.0.clone()),
            _ => None,
        };
        let text = explained.or_else(|| {
            refusals.map(|context| context.refuse(&problem_of(certificate_error), None))
        });
        if let Some(text) = text {
            return TransportFailure {
                kind: TransportFailureKind::Tls,
                detail: format!("TLS certificate refused: {text}"),
            };
        }
    }
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
