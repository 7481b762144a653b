//! The lab's image server: a small HTTP/1.1 server on 127.0.0.1 that serves the
//! stand-in OS images from memory (GET and HEAD, nothing else). The emulators download
//! from it when the deploy path inserts the stand-in, and so does the node simulator.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::error::LabError;

/// Files by URL path (`/standin/jammy-standin.iso`).
pub(crate) type Files = BTreeMap<String, Bytes>;

/// Binds 127.0.0.1 on a free port and serves `files` until the returned task is aborted.
pub(crate) async fn serve(files: Files) -> Result<(SocketAddr, JoinHandle<()>), LabError> {
    let failed = |error: std::io::Error| LabError::Network {
        action: "start the lab's image server on 127.0.0.1".to_string(),
        reason: error.to_string(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(failed)?;
    let address = listener.local_addr().map_err(failed)?;
    let files = Arc::new(files);
    let task = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::warn!(error = %error, "image server: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let files = files.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let files = files.clone();
                    async move { Ok::<_, Infallible>(answer(&files, &request)) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((address, task))
}

fn answer(files: &Files, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let head = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    }
    let Some(content) = files.get(request.uri().path()) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let body = if head { Bytes::new() } else { content.clone() };
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/octet-stream")
        .header("content-length", content.len())
        .body(Full::new(body))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "\n"))
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn it_serves_its_files_and_nothing_else() {
        let mut files = Files::new();
        files.insert("/standin/a.iso".to_string(), Bytes::from_static(b"ISO"));
        let (address, task) = serve(files).await.unwrap();
        assert!(address.ip().is_loopback());
        let client = reqwest::Client::new();
        let base = format!("http://{address}");
        let got = client
            .get(format!("{base}/standin/a.iso"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().as_ref(), b"ISO");
        let head = client
            .head(format!("{base}/standin/a.iso"))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["content-length"], "3");
        let missing = client.get(format!("{base}/other")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        let post = client
            .post(format!("{base}/standin/a.iso"))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 405);
        task.abort();
    }
}
