//! HTTP transport to one BMC: an HTTP client per BMC with its own TLS settings.
//!
//! Two TLS backends sit behind one boundary, [`Transport::send`] (an [`OutgoingRequest`] in,
//! a [`RawResponse`] or a classified [`TransportFailure`] out), so nothing above this module
//! knows which one talks to a BMC:
//! * rustls (default, `rustls_client`): `reqwest` with rustls, TLS 1.2/1.3 and modern suites;
//! * OpenSSL (`openssl_client`): hyper's HTTP/1.1 client over an OpenSSL connector that also
//!   speaks TLS 1.0/1.1 and legacy cipher suites, for old BMC firmware rustls refuses. Chosen
//!   per BMC ([`TlsBackend::OpenSsl`]).
//!
//! Both verify certificates by default (system roots). Per BMC they can use a CA bundle, a
//! pinned SHA-256 fingerprint of the BMC's certificate, or skip verification (logged as a
//! warning when the client is built). Both follow redirects only within the BMC (at most
//! [`MAX_REDIRECTS`]), apply the request timeout to the whole exchange, pool connections per
//! BMC, and sort failures into the same [`TransportFailureKind`]s, so retries behave the same.
//!
//! A quirk can switch a BMC to one connection per request (the `connection_close` quirk).

mod certificates;
mod openssl_client;
mod rustls_client;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use sha2::{Digest, Sha256};

use crate::error::{RedfishError, TransportFailureKind};

/// Redirects followed per request (only within the BMC's origin).
pub(crate) const MAX_REDIRECTS: usize = 5;

/// Idle connections are closed after this long.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Idle connections kept per BMC.
const POOL_MAX_IDLE_PER_HOST: usize = 2;

/// `User-Agent` of every request.
const USER_AGENT: &str = concat!("aerostat/", env!("CARGO_PKG_VERSION"));

/// Which TLS implementation talks to a BMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsBackend {
    /// rustls (default): TLS 1.2/1.3 with modern AEAD cipher suites only.
    #[default]
    Rustls,
    /// The system OpenSSL: for firmware that only speaks TLS 1.0/1.1 or legacy cipher suites.
    /// Offers TLS 1.0 and up with OpenSSL security level 0 (see `openssl_client` for why);
    /// certificates are checked exactly as with rustls.
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
    /// Against the PEM certificates in this file only. A BMC certificate listed in it
    /// itself (a self-signed one, even marked `CA:TRUE`) is accepted when it is valid and
    /// issued for the BMC's host (see `transport/certificates.rs`).
    CaBundle(PathBuf),
    /// As [`TlsVerification::CaBundle`], with the PEM text given here instead of a file.
    CaPem(String),
    /// The end-entity certificate must have this SHA-256 fingerprint (both backends). Chain,
    /// name and validity period are not checked: the pin is the trust decision.
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
    client: HttpClient,
    base: Url,
    display: String,
    close_connections: AtomicBool,
}

/// The HTTP stack behind a [`Transport`].
enum HttpClient {
    /// `reqwest` with rustls (and plain HTTP).
    Rustls(rustls_client::RustlsClient),
    /// hyper with OpenSSL.
    OpenSsl(openssl_client::OpenSslClient),
}

impl Transport {
    /// Builds the client for `endpoint` with the given TLS settings and connect timeout.
    pub fn new(
        endpoint: &Url,
        tls: &TlsConfig,
        connect_timeout: Duration,
    ) -> Result<Self, RedfishError> {
        let display = display_base(endpoint);
        let https = endpoint.scheme() == "https";
        if https && tls.verification == TlsVerification::Insecure {
            let bmc = display.as_str();
            tracing::warn!(
                bmc,
                "TLS certificate verification is disabled for this BMC by its settings"
            );
        }
        let client = match tls.backend {
            TlsBackend::OpenSsl if https => {
                HttpClient::OpenSsl(openssl_client::OpenSslClient::new(
                    &tls.verification,
                    connect_timeout,
                    &display,
                    endpoint.port_or_known_default().unwrap_or(443),
                )?)
            }
            TlsBackend::OpenSsl | TlsBackend::Rustls => {
                HttpClient::Rustls(rustls_client::RustlsClient::new(
                    endpoint,
                    https.then_some(&tls.verification),
                    connect_timeout,
                    &display,
                )?)
            }
        };
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
        let exchange = Exchange {
            method: request.method,
            url,
            headers,
            body: request.body,
        };
        match &self.client {
            HttpClient::Rustls(client) => client.send(exchange, timeout).await,
            HttpClient::OpenSsl(client) => client.send(exchange, timeout).await,
        }
    }
}

/// One request as a backend sends it: an absolute URL on the BMC, with final headers.
struct Exchange {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
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

/// The kind of a failure known only by its text: a connection closed, reset or cut off is a
/// connection error (retried), anything else is `Other` (permanent).
fn kind_from_text(detail: &str) -> TransportFailureKind {
    let lowered = detail.to_ascii_lowercase();
    if lowered.contains("connection")
        || lowered.contains("reset")
        || lowered.contains("closed")
        || lowered.contains("broken pipe")
        || lowered.contains("incomplete")
        || lowered.contains("eof")
    {
        TransportFailureKind::Connect
    } else {
        TransportFailureKind::Other
    }
}

/// The CA certificates (PEM) of a verification and where they come from (a file path, or
/// `(inline)`), for [`TlsVerification::CaBundle`] and [`TlsVerification::CaPem`]; each
/// backend parses them with its own TLS library.
fn ca_pem(
    verification: &TlsVerification,
    bmc: &str,
) -> Result<Option<(Vec<u8>, String)>, RedfishError> {
    match verification {
        TlsVerification::CaBundle(path) => std::fs::read(path)
            .map(|pem| Some((pem, path.display().to_string())))
            .map_err(|source| RedfishError::ReadCaBundle {
                bmc: bmc.to_string(),
                path: path.display().to_string(),
                source,
            }),
        TlsVerification::CaPem(pem) => Ok(Some((pem.as_bytes().to_vec(), "(inline)".to_string()))),
        _ => Ok(None),
    }
}

/// The error for a CA bundle without a usable certificate.
fn ca_bundle_error(origin: &str, bmc: &str, reason: String) -> RedfishError {
    RedfishError::ParseCaBundle {
        bmc: bmc.to_string(),
        path: origin.to_string(),
        reason,
    }
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
    fn backend_parses() {
        assert_eq!("openssl".parse::<TlsBackend>(), Ok(TlsBackend::OpenSsl));
        assert_eq!("rustls".parse::<TlsBackend>(), Ok(TlsBackend::Rustls));
        assert!("gnutls".parse::<TlsBackend>().is_err());
    }
}
