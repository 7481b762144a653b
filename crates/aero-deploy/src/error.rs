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
}

impl Classify for DeployError {
    fn class(&self) -> ErrorClass {
        ErrorClass::InvalidInput
    }
}
