//! The legacy transport: hyper's HTTP/1.1 client over an OpenSSL TLS connector
//! (`tokio-openssl`), for BMC firmware that rustls cannot talk to.
//!
//! Old BMCs (iDRAC 7/8, iLO 4, early Supermicro and AMI firmware) offer only TLS 1.0/1.1,
//! CBC or RSA-key-exchange suites, 1024-bit RSA keys and SHA-1 certificates. Debian's OpenSSL 3
//! refuses all of that at its default security level (2): TLS 1.0/1.1 handshakes are signed
//! with MD5/SHA-1, which level 1 and up reject. So this connector offers TLS 1.0 and up with
//! the cipher string `DEFAULT:@SECLEVEL=0`. That weakening is the point of this backend and
//! applies only to BMCs whose settings choose it; the rustls backend (the default) is
//! unaffected. Servers without secure renegotiation (RFC 5746), which OpenSSL 3 refuses by
//! default, are accepted too (`SSL_OP_LEGACY_SERVER_CONNECT`).
//!
//! Certificates are checked as with rustls: system roots (with host name), only the CA
//! bundle's certificates (with host name), a pinned SHA-256 fingerprint of the end-entity
//! certificate (a verify callback, checked again after the handshake; chain, name and dates
//! are not checked), or nothing.
//!
//! The HTTP side matches the rustls transport: a pool per BMC, the request timeout over the
//! whole exchange (redirects and body included), redirects followed only within the BMC's
//! origin (at most [`super::MAX_REDIRECTS`]; 301/302/303 turn into a GET without body), and
//! the same failure kinds.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use openssl::ssl::{SslConnector, SslMethod, SslOptions, SslRef, SslVerifyMode, SslVersion};
use openssl::x509::X509;
use openssl::x509::X509VerifyResult;
use openssl::x509::store::X509StoreBuilder;
use reqwest::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, LOCATION, TRANSFER_ENCODING,
    USER_AGENT as USER_AGENT_HEADER,
};
use reqwest::{Method, Url};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use crate::error::{RedfishError, TransportFailureKind, human_duration};

use super::certificates::{CertificateProblem, certificate_names, pin_mismatch_text, refusal_text};
use super::{
    Exchange, MAX_REDIRECTS, POOL_IDLE_TIMEOUT, POOL_MAX_IDLE_PER_HOST, RawResponse,
    Sha256Fingerprint, TlsVerification, TransportFailure, USER_AGENT, ca_bundle_error, ca_pem,
    error_chain, kind_from_text,
};

/// OpenSSL cipher string of the legacy backend: everything OpenSSL still implements, at
/// security level 0 (see the module documentation).
const LEGACY_CIPHERS: &str = "DEFAULT:@SECLEVEL=0";

/// The hyper client of one BMC.
pub(super) struct OpenSslClient {
    client: Client<OpenSslConnector, Full<Bytes>>,
}

impl OpenSslClient {
    /// A client whose connections check certificates per `verification`.
    pub(super) fn new(
        verification: &TlsVerification,
        connect_timeout: Duration,
        bmc: &str,
        port: u16,
    ) -> Result<Self, RedfishError> {
        let tls = Arc::new(TlsSetup::new(verification, bmc, port)?);
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = OpenSslConnector {
            http,
            tls,
            connect_timeout,
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Ok(OpenSslClient { client })
    }

    /// Sends one request and reads the whole answer, within `timeout`.
    pub(super) async fn send(
        &self,
        exchange: Exchange,
        timeout: Duration,
    ) -> Result<RawResponse, TransportFailure> {
        match tokio::time::timeout(timeout, self.exchange(exchange)).await {
            Ok(result) => result,
            Err(_) => Err(TransportFailure {
                kind: TransportFailureKind::Timeout,
                detail: format!(
                    "no complete answer within the request timeout of {}",
                    human_duration(timeout)
                ),
            }),
        }
    }

    async fn exchange(&self, exchange: Exchange) -> Result<RawResponse, TransportFailure> {
        let Exchange {
            mut method,
            mut url,
            mut headers,
            mut body,
        } = exchange;
        if !headers.contains_key(USER_AGENT_HEADER) {
            headers.insert(USER_AGENT_HEADER, HeaderValue::from_static(USER_AGENT));
        }
        let origin = url.origin();
        let mut redirects = 0;
        loop {
            let mut request = hyper::Request::builder()
                .method(method.clone())
                .uri(
                    url.as_str()
                        .parse::<Uri>()
                        .map_err(|error| TransportFailure {
                            kind: TransportFailureKind::Other,
                            detail: format!("invalid request URL: {error}"),
                        })?,
                )
                .body(Full::new(Bytes::from(body.clone().unwrap_or_default())))
                .map_err(|error| TransportFailure {
                    kind: TransportFailureKind::Other,
                    detail: format!("invalid request: {error}"),
                })?;
            *request.headers_mut() = headers.clone();
            let response = self
                .client
                .request(request)
                .await
                .map_err(|error| classify_client_error(&error))?;
            let status = response.status().as_u16();
            let next = matches!(status, 301 | 302 | 303 | 307 | 308)
                .then(|| redirect_target(&response, &url))
                .flatten()
                .filter(|next| next.origin() == origin && redirects < MAX_REDIRECTS);
            let (parts, incoming) = response.into_parts();
            // The body is read either way, so the connection can go back to the pool.
            let bytes = incoming.collect().await.map_err(|error| {
                let mut failure = classify_client_error(&error);
                if failure.kind == TransportFailureKind::Other {
                    failure.kind = TransportFailureKind::Body;
                }
                failure
            })?;
            let Some(next) = next else {
                return Ok(RawResponse {
                    status,
                    headers: parts.headers,
                    body: bytes.to_bytes().to_vec(),
                });
            };
            redirects += 1;
            if matches!(status, 301..=303) {
                // As browsers and reqwest do: the body is dropped, other methods become GET.
                body = None;
                for name in [
                    CONTENT_TYPE,
                    CONTENT_LENGTH,
                    CONTENT_ENCODING,
                    TRANSFER_ENCODING,
                ] {
                    headers.remove(name);
                }
                if method != Method::GET && method != Method::HEAD {
                    method = Method::GET;
                }
            }
            tracing::debug!(status, to = %next.path(), "following a redirect within the BMC");
            url = next;
        }
    }
}

/// The absolute URL a redirect points to, if its `Location` is usable.
fn redirect_target<B>(response: &hyper::Response<B>, current: &Url) -> Option<Url> {
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    current.join(location.trim()).ok()
}

/// A connection failure from the connector, with its kind decided where the cause is known.
#[derive(Debug)]
struct ConnectFailure {
    kind: TransportFailureKind,
    detail: String,
}

impl std::fmt::Display for ConnectFailure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.detail)
    }
}

impl std::error::Error for ConnectFailure {}

/// Sorts a hyper client error: the connector's own failure when it is one, else by hyper's
/// view (a connection that closed or broke is a connection error, as with reqwest).
fn classify_client_error(error: &(dyn std::error::Error + 'static)) -> TransportFailure {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(failure) = cause.downcast_ref::<ConnectFailure>() {
            return TransportFailure {
                kind: failure.kind,
                detail: failure.detail.clone(),
            };
        }
        current = cause.source();
    }
    let detail = error_chain(error);
    let kind = match error.downcast_ref::<hyper_util::client::legacy::Error>() {
        Some(client_error) if client_error.is_connect() => TransportFailureKind::Connect,
        _ => kind_from_text(&detail),
    };
    TransportFailure { kind, detail }
}

/// How the end-entity certificate is checked.
enum CertificateCheck {
    /// Chain to the context's trust store, and the host name.
    Chain,
    /// The SHA-256 fingerprint of the end-entity certificate, nothing else.
    Pinned(Sha256Fingerprint),
    /// Nothing.
    Nothing,
}

/// The OpenSSL side of a BMC's connections.
struct TlsSetup {
    connector: SslConnector,
    check: CertificateCheck,
    /// For explaining refusals.
    verification: TlsVerification,
    port: u16,
}

impl TlsSetup {
    fn new(verification: &TlsVerification, bmc: &str, port: u16) -> Result<Self, RedfishError> {
        let build_error = |error: openssl::error::ErrorStack| RedfishError::BuildTransport {
            bmc: bmc.to_string(),
            reason: format!("OpenSSL: {error}"),
        };
        let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(build_error)?;
        builder
            .set_min_proto_version(Some(SslVersion::TLS1))
            .map_err(build_error)?;
        builder
            .set_cipher_list(LEGACY_CIPHERS)
            .map_err(build_error)?;
        builder.set_options(SslOptions::from_bits_retain(
            openssl_sys::SSL_OP_LEGACY_SERVER_CONNECT as _,
        ));
        let check = match verification {
            TlsVerification::SystemRoots => CertificateCheck::Chain,
            TlsVerification::CaBundle(_) | TlsVerification::CaPem(_) => {
                let (pem, origin) = ca_pem(verification, bmc)?.unwrap_or_default();
                let certificates = X509::stack_from_pem(&pem)
                    .map_err(|error| ca_bundle_error(&origin, bmc, error.to_string()))?;
                if certificates.is_empty() {
                    return Err(ca_bundle_error(
                        &origin,
                        bmc,
                        "no PEM certificate found".to_string(),
                    ));
                }
                let mut store = X509StoreBuilder::new().map_err(build_error)?;
                for certificate in certificates {
                    store
                        .add_cert(certificate)
                        .map_err(|error| ca_bundle_error(&origin, bmc, error.to_string()))?;
                }
                // Replaces the store with the system roots: only the bundle is trusted.
                builder.set_cert_store(store.build());
                CertificateCheck::Chain
            }
            TlsVerification::Fingerprint(fingerprint) => CertificateCheck::Pinned(*fingerprint),
            TlsVerification::Insecure => {
                builder.set_verify(SslVerifyMode::NONE);
                CertificateCheck::Nothing
            }
        };
        Ok(TlsSetup {
            connector: builder.build(),
            check,
            verification: verification.clone(),
            port,
        })
    }

    /// The TLS handshake over a connected socket.
    async fn handshake(&self, host: &str, tcp: TcpStream) -> Result<OpenSslStream, ConnectFailure> {
        let tls_failure = |detail: String| ConnectFailure {
            kind: TransportFailureKind::Tls,
            detail,
        };
        let setup_failure =
            |error: openssl::error::ErrorStack| tls_failure(format!("TLS setup failed: {error}"));
        let mut configuration = self.connector.configure().map_err(setup_failure)?;
        // The end-entity certificate (depth 0) as presented, for pins and explanations.
        let presented: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
        let seen = presented.clone();
        let remember = move |context: &mut openssl::x509::X509StoreContextRef| {
            if context.error_depth() == 0
                && let Some(der) = context
                    .current_cert()
                    .and_then(|certificate| certificate.to_der().ok())
                && let Ok(mut slot) = seen.lock()
            {
                *slot = Some(der);
            }
        };
        match &self.check {
            CertificateCheck::Chain => {
                configuration.set_verify_callback(SslVerifyMode::PEER, move |verified, context| {
                    remember(context);
                    verified
                });
            }
            CertificateCheck::Pinned(pin) => {
                configuration.set_verify_hostname(false);
                let pin = *pin;
                configuration.set_verify_callback(SslVerifyMode::PEER, move |_, context| {
                    // The chain does not matter; only the end-entity certificate (depth 0).
                    if context.error_depth() > 0 {
                        return true;
                    }
                    remember(context);
                    let fingerprint = context
                        .current_cert()
                        .and_then(|certificate| certificate.to_der().ok())
                        .map(|der| Sha256Fingerprint::of_der(&der));
                    fingerprint == Some(pin)
                });
            }
            CertificateCheck::Nothing => configuration.set_verify_hostname(false),
        }
        let ssl = configuration.into_ssl(host).map_err(setup_failure)?;
        let mut stream = SslStream::new(ssl, tcp).map_err(setup_failure)?;
        if let Err(error) = Pin::new(&mut stream).connect().await {
            let presented = presented.lock().ok().and_then(|slot| slot.clone());
            return Err(tls_failure(self.describe_failure(
                &error,
                stream.ssl(),
                host,
                presented.as_deref(),
            )));
        }
        if let CertificateCheck::Pinned(pin) = &self.check {
            let fingerprint = stream
                .ssl()
                .peer_certificate()
                .and_then(|certificate| certificate.to_der().ok())
                .map(|der| Sha256Fingerprint::of_der(&der));
            if fingerprint != Some(*pin) {
                return Err(tls_failure(pin_mismatch_text(fingerprint, pin, host)));
            }
        }
        Ok(OpenSslStream(stream))
    }

    fn describe_failure(
        &self,
        error: &openssl::ssl::Error,
        ssl: &SslRef,
        host: &str,
        presented: Option<&[u8]>,
    ) -> String {
        let mut detail = format!("TLS handshake failed: {}", error_chain(error));
        let fingerprint = presented.map(Sha256Fingerprint::of_der);
        match &self.check {
            CertificateCheck::Pinned(pin) if fingerprint.is_some_and(|seen| seen != *pin) => {
                detail.push_str(": ");
                detail.push_str(&pin_mismatch_text(fingerprint, pin, host));
            }
            CertificateCheck::Chain => {
                let result = ssl.verify_result();
                if result != X509VerifyResult::OK {
                    let problem = problem_of(result, presented);
                    detail.push_str(&format!(
                        ": certificate verification failed: {}; {}",
                        result.error_string(),
                        refusal_text(&problem, &self.verification, host, self.port, fingerprint)
                    ));
                }
            }
            CertificateCheck::Pinned(_) | CertificateCheck::Nothing => {}
        }
        detail
    }
}

/// What an OpenSSL verification result means.
fn problem_of(result: X509VerifyResult, presented: Option<&[u8]>) -> CertificateProblem {
    use openssl_sys as ffi;
    match result.as_raw() {
        ffi::X509_V_ERR_CERT_HAS_EXPIRED => CertificateProblem::Expired { not_after: None },
        ffi::X509_V_ERR_CERT_NOT_YET_VALID => CertificateProblem::NotYetValid { not_before: None },
        ffi::X509_V_ERR_HOSTNAME_MISMATCH | ffi::X509_V_ERR_IP_ADDRESS_MISMATCH => {
            CertificateProblem::WrongName {
                presented: presented.map(certificate_names).unwrap_or_default(),
            }
        }
        ffi::X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        | ffi::X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
        | ffi::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
        | ffi::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        | ffi::X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE => CertificateProblem::UntrustedIssuer,
        ffi::X509_V_ERR_INVALID_PURPOSE => CertificateProblem::WrongPurpose(
            "its key usages exclude TLS server authentication".to_string(),
        ),
        _ => CertificateProblem::Other(result.error_string().to_string()),
    }
}

/// Connects TCP, then TLS, within the connect timeout.
#[derive(Clone)]
struct OpenSslConnector {
    http: HttpConnector,
    tls: Arc<TlsSetup>,
    connect_timeout: Duration,
}

impl tower_service::Service<Uri> for OpenSslConnector {
    type Response = TokioIo<OpenSslStream>;
    type Error = ConnectFailure;
    type Future =
        Pin<Box<dyn Future<Output = Result<TokioIo<OpenSslStream>, ConnectFailure>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), ConnectFailure>> {
        self.http
            .poll_ready(context)
            .map_err(|error| ConnectFailure {
                kind: TransportFailureKind::Connect,
                detail: error_chain(&error),
            })
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let tls = self.tls.clone();
        let connect_timeout = self.connect_timeout;
        Box::pin(async move {
            let host = uri
                .host()
                .unwrap_or_default()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let connect = async {
                let tcp = http.call(uri).await.map_err(|error| ConnectFailure {
                    kind: TransportFailureKind::Connect,
                    detail: error_chain(&error),
                })?;
                tls.handshake(&host, tcp.into_inner()).await
            };
            match tokio::time::timeout(connect_timeout, connect).await {
                Ok(result) => result.map(TokioIo::new),
                Err(_) => Err(ConnectFailure {
                    kind: TransportFailureKind::Timeout,
                    detail: format!(
                        "no TLS connection within the connect timeout of {}",
                        human_duration(connect_timeout)
                    ),
                }),
            }
        })
    }
}

/// An established TLS connection (tokio I/O), as hyper's pool tracks it.
struct OpenSslStream(SslStream<TcpStream>);

impl Connection for OpenSslStream {
    fn connected(&self) -> Connected {
        self.0.get_ref().connected()
    }
}

impl AsyncRead for OpenSslStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(context, buffer)
    }
}

impl AsyncWrite for OpenSslStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(context, buffer)
    }

    fn poll_flush(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(context)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error whose source is the connector's failure, as hyper's client error is.
    #[derive(Debug)]
    struct Wrapper(ConnectFailure);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("client error (Connect)")
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn connector_failures_keep_their_kind_through_hyper() {
        let wrapped = Wrapper(ConnectFailure {
            kind: TransportFailureKind::Tls,
            detail: "TLS handshake failed: certificate verify failed".to_string(),
        });
        let classified = classify_client_error(&wrapped);
        assert_eq!(classified.kind, TransportFailureKind::Tls, "{classified:?}");
        assert_eq!(
            classified.detail,
            "TLS handshake failed: certificate verify failed"
        );
        let closed = classify_client_error(&std::io::Error::other(
            "connection closed before message completed",
        ));
        assert_eq!(closed.kind, TransportFailureKind::Connect);
    }

    #[test]
    fn legacy_setup_runs_at_security_level_0() {
        let setup =
            TlsSetup::new(&TlsVerification::SystemRoots, "https://bmc:443", 443).expect("setup");
        assert_eq!(setup.connector.context().security_level(), 0);
    }
}
