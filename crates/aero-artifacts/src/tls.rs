//! The accept loop, over TCP or TLS (rustls), one task per connection; and the rustls
//! configuration of the provisioning server's certificate.
//!
//! The loop is ours rather than `axum::serve` so that plain and TLS connections share one
//! path (nothing above knows which carried a request), and so that a TLS handshake runs in
//! its connection's task: a slow or stuck client never holds up the next accept.

use std::sync::Arc;

use aero_baremetal::ServerTls;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

use crate::error::ArtifactError;

/// The acceptor of the server's certificate chain and key.
pub(crate) fn acceptor(tls: &ServerTls) -> Result<TlsAcceptor, ArtifactError> {
    let failed = |reason: String| ArtifactError::Tls { reason };
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(tls.certificate.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|error| failed(format!("the certificate is not PEM: {error}")))?;
    if certificates.is_empty() {
        return Err(failed(
            "the certificate holds no PEM certificate".to_string(),
        ));
    }
    // The key's parse error is not shown: it could quote the key.
    let key = PrivateKeyDer::from_pem_slice(tls.key.expose().as_bytes()).map_err(|_| {
        failed("the key is not a PEM private key (PKCS#8, PKCS#1 or SEC1)".to_string())
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| failed(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .map_err(|error| {
            failed(format!(
                "the certificate and key do not go together: {error}"
            ))
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts until `stopped` turns true, then ends every open connection.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    router: Router,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.wait_for(|stop| *stop) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: pass, and accept again.
                tracing::warn!(error = %error, "artifact server: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let router = router.clone();
        let acceptor = acceptor.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let mut router = router.clone();
                async move { router.call(request).await }
            });
            let http = hyper::server::conn::http1::Builder::new();
            let served = match acceptor {
                None => http.serve_connection(TokioIo::new(stream), service).await,
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(tls) => http.serve_connection(TokioIo::new(tls), service).await,
                    Err(error) => {
                        tracing::info!(peer = %peer, error = %error, "artifact server: TLS handshake failed");
                        return;
                    }
                },
            };
            if let Err(error) = served {
                tracing::debug!(peer = %peer, error = %error, "artifact server: connection ended");
            }
        });
    }
    connections.shutdown().await;
}
