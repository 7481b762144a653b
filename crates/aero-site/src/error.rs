//! Why a site could not be collected, checked out or given keys.

use std::path::PathBuf;

use aero_error::{Classify, ErrorClass};

/// Why a site could not be collected, checked out or given keys. Problems inside the
/// documents are not errors here: they are diagnostics of the [`crate::RenderedSite`].
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The site's files could not be collected.
    #[error(transparent)]
    Collect(#[from] aero_docs::collect::CollectError),
    /// The keys could not be loaded.
    #[error(transparent)]
    Keys(#[from] aero_secrets::keys::KeyError),
    /// No manifests repository was given and none was found.
    #[error(
        "no manifests repository found in {} or any folder above it (looked for a `site-manifests` folder, or a folder with site/*/site-definition.yaml); give one with --repo PATH",
        start.display()
    )]
    NoRepository {
        /// Where the search started.
        start: PathBuf,
    },
    /// A revision asked for is neither a folder nor a commit of the repository.
    #[error("`{reference}` is neither a folder nor a git revision of {}: {reason}", repo.display())]
    UnknownRevision {
        /// What was asked for.
        reference: String,
        /// The repository.
        repo: PathBuf,
        /// What git said, or why it could not be asked.
        reason: String,
    },
    /// A repository named in a pin does not exist among the repositories.
    #[error("no repository named `{name}` (repositories: {})", known.join(", "))]
    UnknownRepository {
        /// Name asked for.
        name: String,
        /// Names that exist.
        known: Vec<String>,
    },
    /// git or tar failed in a way that is not the user's input.
    #[error("cannot check out `{reference}`: {reason}")]
    Checkout {
        /// What was asked for.
        reference: String,
        /// What failed.
        reason: String,
    },
    /// A stored snapshot cannot be read back.
    #[error("snapshot {id} is unreadable: {reason}")]
    BadSnapshot {
        /// The id it was stored under, or `?`.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A document reference given by the user is malformed or names nothing.
    #[error("{0}")]
    Document(String),
}

impl Classify for SiteError {
    fn class(&self) -> ErrorClass {
        match self {
            SiteError::Collect(error) => error.class(),
            SiteError::Keys(error) => error.class(),
            SiteError::NoRepository { .. }
            | SiteError::UnknownRevision { .. }
            | SiteError::UnknownRepository { .. } => ErrorClass::NotFound,
            SiteError::Document(_) => ErrorClass::Usage,
            SiteError::Checkout { .. } => ErrorClass::Permanent,
            SiteError::BadSnapshot { .. } => ErrorClass::InvalidInput,
        }
    }
}
