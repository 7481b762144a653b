//! Errors of the artifact server, classified for the CLI's exit codes.

use std::net::SocketAddr;

use aero_error::{Classify, ErrorClass};

/// Why the server could not start, or an OS image could not be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArtifactError {
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {source} (is another server bound to it?)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The provisioning server's certificate or key cannot be used.
    #[error("the provisioning server's TLS settings cannot be used: {reason}")]
    Tls {
        /// What is wrong (never the key itself).
        reason: String,
    },
    /// The OS image could not be fetched from its document's URL.
    #[error("cannot fetch OS image `{image}` from {url}: {reason}")]
    Fetch {
        /// The image's name.
        image: String,
        /// Its URL (without user information).
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The fetched OS image is not the one its document names.
    #[error(
        "OS image `{image}` from {url} has SHA-256 {actual}, its document says {expected}: \
         refusing to serve it (fix the document's sha256 or the file)"
    )]
    ChecksumMismatch {
        /// The image's name.
        image: String,
        /// Its URL (without user information).
        url: String,
        /// The document's digest.
        expected: String,
        /// The fetched file's digest.
        actual: String,
    },
    /// The cache folder cannot be written or read.
    #[error("OS image cache {path}: {source}")]
    Cache {
        /// The file or folder.
        path: std::path::PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Classify for ArtifactError {
    fn class(&self) -> ErrorClass {
        match self {
            ArtifactError::Bind { .. } | ArtifactError::Cache { .. } => ErrorClass::Permanent,
            ArtifactError::Tls { .. } | ArtifactError::ChecksumMismatch { .. } => {
                ErrorClass::InvalidInput
            }
            ArtifactError::Fetch { .. } => ErrorClass::Transient,
        }
    }
}
