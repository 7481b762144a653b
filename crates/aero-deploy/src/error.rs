//! Why an action cannot be planned.

use aero_error::{Classify, ErrorClass};

/// Why an action cannot be planned from a site's documents.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A deployment document is inconsistent; the message names the document, its
    /// `file:line` and the path.
    #[error("{place}: {document}: {message}")]
    InvalidDocument {
        /// `file:line:column` of the value (or the document).
        place: String,
        /// `schema/name` of the document.
        document: String,
        /// What is wrong, with the JSON path.
        message: String,
    },
    /// A document the site needs is missing.
    #[error("{0}")]
    MissingDocument(String),
    /// The action cannot be done by this build.
    #[error("{0}")]
    Unsupported(String),
    /// The request names something that does not exist (a node, an action).
    #[error("{0}")]
    NotFound(String),
    /// The request is contradictory or incomplete.
    #[error("{0}")]
    Usage(String),
    /// The site's host documents do not make a consistent model (each error located).
    #[error(transparent)]
    Model(#[from] aero_baremetal::ModelErrors),
    /// Recorded target overrides (the lab's) do not fit the site.
    #[error(transparent)]
    Overrides(#[from] aero_baremetal::OverrideError),
}

impl Classify for DeployError {
    fn class(&self) -> ErrorClass {
        match self {
            DeployError::InvalidDocument { .. } | DeployError::MissingDocument(_) => {
                ErrorClass::InvalidInput
            }
            DeployError::Unsupported(_) | DeployError::Usage(_) => ErrorClass::Usage,
            DeployError::NotFound(_) => ErrorClass::NotFound,
            DeployError::Model(error) => error.class(),
            DeployError::Overrides(error) => error.class(),
        }
    }
}
