//! What kind of failure an error is.
//!
//! Every library error of Aerostat implements [`Classify`]: it says whether the caller
//! asked for something wrong ([`ErrorClass::Usage`], [`ErrorClass::NotFound`]), gave
//! documents that are wrong ([`ErrorClass::InvalidInput`]), lost a race
//! ([`ErrorClass::Conflict`]), or met a failure that may pass ([`ErrorClass::Transient`])
//! or will not ([`ErrorClass::Permanent`]).
//!
//! Two readers depend on it and on nothing else of an error: the CLI maps a class to an
//! exit code, and the workflow engine's retry policy retries transient failures only.
//! Neither downcasts to a concrete error type, so a new crate joins both by implementing
//! one method.
//!
//! ```
//! use aero_error::{Classify, ErrorClass};
//!
//! #[derive(Debug)]
//! enum FetchError {
//!     Timeout,
//!     NoSuchNode(String),
//! }
//!
//! impl Classify for FetchError {
//!     fn class(&self) -> ErrorClass {
//!         match self {
//!             FetchError::Timeout => ErrorClass::Transient,
//!             FetchError::NoSuchNode(_) => ErrorClass::NotFound,
//!         }
//!     }
//! }
//!
//! assert!(FetchError::Timeout.class().is_retryable());
//! assert!(!FetchError::NoSuchNode("wk01".into()).class().is_retryable());
//! ```

use std::fmt;

/// The kind of failure an error is, independent of where it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The request itself is wrong: a bad flag, argument or combination of them.
    Usage,
    /// What was asked for does not exist (a site, a node, an action, a document).
    NotFound,
    /// The documents (or another input the user wrote) are malformed or inconsistent.
    InvalidInput,
    /// Someone else holds what is needed: a lock, a lease, a newer version.
    Conflict,
    /// A failure that may pass if the same thing is tried again later (a timeout, a
    /// refused connection, a busy BMC).
    Transient,
    /// A failure that will not pass by retrying (a rejected request, a broken store).
    Permanent,
}

impl ErrorClass {
    /// Whether trying the same thing again may succeed.
    pub fn is_retryable(self) -> bool {
        self == ErrorClass::Transient
    }

    /// A short lower-case name, for logs and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Usage => "usage",
            ErrorClass::NotFound => "not-found",
            ErrorClass::InvalidInput => "invalid-input",
            ErrorClass::Conflict => "conflict",
            ErrorClass::Transient => "transient",
            ErrorClass::Permanent => "permanent",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// An error that knows its [`ErrorClass`].
pub trait Classify {
    /// The kind of failure this is.
    fn class(&self) -> ErrorClass;
}

impl<T: Classify + ?Sized> Classify for Box<T> {
    fn class(&self) -> ErrorClass {
        (**self).class()
    }
}

impl Classify for std::io::Error {
    /// I/O errors of reading inputs: a missing file is not found, a permission problem
    /// or anything else will not pass by retrying, except the kinds that mean the other
    /// end was slow or went away.
    fn class(&self) -> ErrorClass {
        use std::io::ErrorKind;
        match self.kind() {
            ErrorKind::NotFound => ErrorClass::NotFound,
            ErrorKind::TimedOut
            | ErrorKind::Interrupted
            | ErrorKind::WouldBlock
            | ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe => ErrorClass::Transient,
            ErrorKind::InvalidData | ErrorKind::InvalidInput => ErrorClass::InvalidInput,
            _ => ErrorClass::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retried() {
        let retried: Vec<ErrorClass> = [
            ErrorClass::Usage,
            ErrorClass::NotFound,
            ErrorClass::InvalidInput,
            ErrorClass::Conflict,
            ErrorClass::Transient,
            ErrorClass::Permanent,
        ]
        .into_iter()
        .filter(|class| class.is_retryable())
        .collect();
        assert_eq!(retried, [ErrorClass::Transient]);
    }

    #[test]
    fn io_errors_are_classified_by_kind() {
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(missing.class(), ErrorClass::NotFound);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(refused.class(), ErrorClass::Transient);
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(denied.class(), ErrorClass::Permanent);
    }
}
