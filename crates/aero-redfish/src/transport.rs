//! HTTP transport to one BMC: a `reqwest` client per BMC with its own TLS settings.
//!
//! TLS verification is on by default (system roots). Per BMC it can use a CA bundle, a pinned
//! SHA-256 certificate fingerprint (rustls only, through a custom certificate verifier), or
//! skip verification (logged as a warning on every connect). The OpenSSL backend
//! ([`TlsBackend::OpenSsl`], reqwest's `native-tls`) is for old firmware that offers only
//! protocol versions or cipher suites rustls refuses (TLS 1.0/1.1, CBC or RSA key exchange).
//!
//! Connections are pooled per BMC. A quirk can switch a BMC to one connection per request
//! (the `connection_close` quirk).

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use sha2::{Digest, Sha256};

use crate::error::{RedfishError, TransportFailureKind};

/// Which TLS implementation talks to a BMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsBackend {
    /// rustls (default): TLS 1.2/1.3 with modern AEAD cipher suites only.
    #[default]
    Rustls,
    /// The system OpenSSL: for firmware that only speaks TLS 1.0/1.1 or legacy cipher suites.
    /// Protocol versions down to TLS 1.0 are offered; the system OpenSSL security level still
    /// applies.
    OpenSsl,
}

impl FromStr for TlsBackend {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "rustls" => Ok(TlsBackend::Rustls),
            "openssl" | "native" | "native-tls" => Ok(TlsBackend::OpenSsl),
            other => Err(format!(
                "unknown TLS backend {other:?}; expected rustls or openssl"
            )),
        }
    }
}

/// How the BMC's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TlsVerification {
    /// Against the system's trust store (default).
    #[default]
    SystemRoots,
    /// Against the PEM certificates in this file only.
    CaBundle(PathBuf),
    /// The end-entity certificate must have this SHA-256 fingerprint (rustls backend only).
    /// Chain, name and validity period are not checked: the pin is the trust decision.
    Fingerprint(Sha256Fingerprint),
    /// No verification at all. Only by an explicit per-BMC setting; logged as a warning.
    Insecure,
}

/// TLS settings of one BMC.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsConfig {
    /// TLS implementation.
    pub backend: TlsBackend,
    /// Certificate verification.
    pub verification: TlsVerification,
}

/// A SHA-256 certificate fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Fingerprint(pub [u8; 32]);

impl Sha256Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        let digest = Sha256::digest(der);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&digest);
        Sha256Fingerprint(bytes)
    }
}

impl FromStr for Sha256Fingerprint {
    type Err = RedfishError;

    /// Parses 64 hex digits, optionally separated by colons and prefixed with `sha256:`
    /// (the `openssl x509 -fingerprint -sha256` format is accepted as printed).
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: &str| RedfishError::InvalidFingerprint {
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = value.trim();
        let without_label = trimmed
            .rsplit_once('=')
            .map(|(_, rest)| rest)
            .unwrap_or(trimmed);
        let without_prefix = without_label
            .strip_prefix("sha256:")
            .or_else(|| without_label.strip_prefix("SHA256:"))
            .unwrap_or(without_label);
        let digits: String = without_prefix
            .chars()
            .filter(|character| *character != ':')
            .collect();
        if digits.len() != 64 {
            return Err(invalid(&format!("{} hex digits", digits.len())));
        }
        let mut bytes = [0u8; 32];
        for (index, byte) in bytes.iter_mut().enumerate() {
            let pair = digits
                .get(index * 2..index * 2 + 2)
                .ok_or_else(|| invalid("not ASCII"))?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid("not hexadecimal"))?;
        }
        Ok(Sha256Fingerprint(bytes))
    }
}

impl std::fmt::Display for Sha256Fingerprint {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, byte) in self.0.iter().enumerate() {
            if index > 0 {
                formatter.write_str(":")?;
            }
            write!(formatter, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Sha256Fingerprint {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Sha256Fingerprint({self})")
    }
}

/// One request as the transport sends it.
pub(crate) struct OutgoingRequest {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
}

/// One answer as the transport received it.
#[derive(Debug, Clone)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A transport-level failure (no HTTP answer).
#[derive(Debug, Clone)]
pub(crate) struct TransportFailure {
    pub kind: TransportFailureKind,
    pub detail: String,
}

/// The HTTP client of one BMC.
pub(crate) struct Transport {
    client: reqwest::Client,
    base: Url,
    display: String,
    close_connections: AtomicBool,
}

impl Transport {
    /// Builds the client for `endpoint` with the given TLS settings and connect timeout.
    pub fn new(
        endpoint: &Url,
        tls: &TlsConfig,
        connect_timeout: Duration,
    ) -> Result<Self, RedfishError> {
        let display = display_base(endpoint);
        let build_error = |reason: String| RedfishError::BuildTransport {
            bmc: display.clone(),
            reason,
        };
        let origin = endpoint.origin();
        let redirect_policy = reqwest::redirect::Policy::custom(move |attempt| {
            // Follow redirects only within the BMC (the emulator redirects names to UUIDs);
            // never carry credentials to another origin.
            if attempt.previous().len() >= 5 || attempt.url().origin() != origin {
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(redirect_policy)
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(2)
            .user_agent(concat!("aerostat/", env!("CARGO_PKG_VERSION")));
        if endpoint.scheme() == "https" {
            builder = configure_tls(builder, tls, &display)?;
        }
        let client = builder
            .build()
            .map_err(|error| build_error(error_chain(&error)))?;
        Ok(Transport {
            client,
            base: endpoint.clone(),
            display,
            close_connections: AtomicBool::new(false),
        })
    }

    /// The base URL for messages, e.g. `https://10.0.0.1:443`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// Sends `Connection: close` on every request (no keep-alive) when `close` is true.
    pub fn set_close_connections(&self, close: bool) {
        self.close_connections.store(close, Ordering::Relaxed);
    }

    /// Whether connections are closed after every request.
    pub fn closes_connections(&self) -> bool {
        self.close_connections.load(Ordering::Relaxed)
    }

    /// Absolute URL of a path (or of an absolute URL on the same BMC).
    pub fn url_for(&self, path: &str) -> Result<Url, TransportFailure> {
        self.base.join(path).map_err(|error| TransportFailure {
            kind: TransportFailureKind::Other,
            detail: format!("invalid path {path:?}: {error}"),
        })
    }

    /// Sends one request and reads the whole answer, within `timeout`.
    pub async fn send(
        &self,
        request: OutgoingRequest,
        timeout: Duration,
    ) -> Result<RawResponse, TransportFailure> {
        let url = self.url_for(&request.path)?;
        if url.origin() != self.base.origin() {
            return Err(TransportFailure {
                kind: TransportFailureKind::Other,
                detail: format!(
                    "refusing to follow {url} outside of the BMC {}",
                    self.display
                ),
            });
        }
        let mut headers = request.headers;
        if self.closes_connections() {
            headers.insert(
                reqwest::header::CONNECTION,
                HeaderValue::from_static("close"),
            );
        }
        let mut builder = self
            .client
            .request(request.method, url)
            .headers(headers)
            .timeout(timeout);
        if let Some(body) = request.body {
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

/// `scheme://host:port` of a URL, used in every message.
pub(crate) fn display_base(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    match url.port_or_known_default() {
        Some(port) => format!("{}://{}:{}", url.scheme(), host, port),
        None => format!("{}://{}", url.scheme(), host),
    }
}

fn configure_tls(
    builder: reqwest::ClientBuilder,
    tls: &TlsConfig,
    bmc: &str,
) -> Result<reqwest::ClientBuilder, RedfishError> {
    let mut builder = match tls.backend {
        TlsBackend::Rustls => builder.tls_backend_rustls(),
        TlsBackend::OpenSsl => builder
            .tls_backend_native()
            .tls_version_min(reqwest::tls::Version::TLS_1_0),
    };
    match &tls.verification {
        TlsVerification::SystemRoots => {}
        TlsVerification::CaBundle(path) => {
            let certificates = read_ca_bundle(path, bmc)?;
            builder = builder.tls_certs_only(certificates);
        }
        TlsVerification::Insecure => {
            tracing::warn!(
                bmc,
                "TLS certificate verification is disabled for this BMC by its settings"
            );
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        TlsVerification::Fingerprint(fingerprint) => match tls.backend {
            TlsBackend::Rustls => {
                builder = builder.tls_backend_preconfigured(pinned_rustls_config(*fingerprint)?);
            }
            TlsBackend::OpenSsl => {
                return Err(RedfishError::BuildTransport {
                    bmc: bmc.to_string(),
                    reason:
                        "a pinned fingerprint needs the rustls backend; with OpenSSL, pass the \
                             BMC's certificate as the CA bundle instead"
                            .to_string(),
                });
            }
        },
    }
    Ok(builder)
}

fn read_ca_bundle(
    path: &std::path::Path,
    bmc: &str,
) -> Result<Vec<reqwest::Certificate>, RedfishError> {
    let pem = std::fs::read(path).map_err(|source| RedfishError::ReadCaBundle {
        bmc: bmc.to_string(),
        path: path.display().to_string(),
        source,
    })?;
    let parse_error = |reason: String| RedfishError::ParseCaBundle {
        bmc: bmc.to_string(),
        path: path.display().to_string(),
        reason,
    };
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|error| parse_error(error_chain(&error)))?;
    if certificates.is_empty() {
        return Err(parse_error("no PEM certificate found".to_string()));
    }
    Ok(certificates)
}

fn pinned_rustls_config(
    fingerprint: Sha256Fingerprint,
) -> Result<rustls::ClientConfig, RedfishError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedCertificateVerifier {
        fingerprint,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| RedfishError::BuildTransport {
            bmc: String::new(),
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
    let detail = error_chain(&error);
    let lowered = detail.to_ascii_lowercase();
    let kind = if error.is_timeout() {
        TransportFailureKind::Timeout
    } else if caused_by_rustls(&error)
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
    } else if lowered.contains("connection")
        || lowered.contains("reset")
        || lowered.contains("closed")
        || lowered.contains("broken pipe")
        || lowered.contains("incomplete")
        || lowered.contains("eof")
    {
        TransportFailureKind::Connect
    } else {
        TransportFailureKind::Other
    };
    TransportFailure { kind, detail }
}

/// Whether a rustls error is among the causes: in the `source()` chain or wrapped in an
/// `io::Error` (whose `source()` skips the wrapped error), however deeply nested.
fn caused_by_rustls(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![error];
    let mut visited = 0;
    while let Some(cause) = pending.pop() {
        visited += 1;
        if visited > 32 {
            return false;
        }
        if cause.is::<rustls::Error>() {
            return true;
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
    false
}

/// The error and its sources, joined with ": ", without the URL (it may carry user info).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        let text = cause.to_string();
        let text = match text.find(" for url (") {
            Some(index) => text[..index].to_string(),
            None => text,
        };
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = cause.source();
    }
    parts.join(": ")
}

/// A header value for a token; marked sensitive so the HTTP stack never prints it.
pub(crate) fn sensitive_header(value: &str) -> Option<HeaderValue> {
    let mut header = HeaderValue::from_str(value).ok()?;
    header.set_sensitive(true);
    Some(header)
}

/// `X-Auth-Token`.
pub(crate) const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_parses_common_spellings() {
        let colon = "AB:".repeat(31) + "AB";
        let plain = "ab".repeat(32);
        let openssl = format!("sha256 Fingerprint={colon}");
        for text in [colon.as_str(), plain.as_str(), openssl.as_str()] {
            let parsed: Sha256Fingerprint = text.parse().expect("valid fingerprint");
            assert_eq!(parsed.0, [0xAB; 32], "{text}");
        }
        assert_eq!(
            Sha256Fingerprint([0xAB; 32]).to_string(),
            "AB:".repeat(31) + "AB"
        );
    }

    #[test]
    fn fingerprint_rejects_bad_input() {
        let error = "abcd".parse::<Sha256Fingerprint>().unwrap_err();
        assert!(error.to_string().contains("4 hex digits"), "{error}");
        let error = "zz".repeat(32).parse::<Sha256Fingerprint>().unwrap_err();
        assert!(error.to_string().contains("not hexadecimal"), "{error}");
    }

    #[test]
    fn display_base_has_port() {
        let url = Url::parse("https://bmc.example/redfish").unwrap();
        assert_eq!(display_base(&url), "https://bmc.example:443");
        let url = Url::parse("http://[::1]:8000").unwrap();
        assert_eq!(display_base(&url), "http://[::1]:8000");
    }

    #[test]
    fn rustls_errors_are_found_inside_nested_io_errors() {
        let inner = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::General("bad record".to_string()),
        );
        let outer = std::io::Error::other(inner);
        assert!(caused_by_rustls(&outer));
        assert!(!caused_by_rustls(&std::io::Error::other(
            "connection refused"
        )));
    }

    #[test]
    fn backend_parses() {
        assert_eq!("openssl".parse::<TlsBackend>(), Ok(TlsBackend::OpenSsl));
        assert_eq!("rustls".parse::<TlsBackend>(), Ok(TlsBackend::Rustls));
        assert!("gnutls".parse::<TlsBackend>().is_err());
    }

    #[test]
    fn openssl_with_fingerprint_is_refused() {
        let url = Url::parse("https://127.0.0.1:1").unwrap();
        let tls = TlsConfig {
            backend: TlsBackend::OpenSsl,
            verification: TlsVerification::Fingerprint(Sha256Fingerprint([1; 32])),
        };
        let error = Transport::new(&url, &tls, Duration::from_secs(1))
            .err()
            .expect("refused");
        assert!(error.to_string().contains("CA bundle instead"), "{error}");
    }
}
