//! Exit codes and the one place where a failed command's error is printed.

use std::process::ExitCode;

use crate::context::Context;

/// Documents are invalid, or differences were found with `--exit-code`.
pub const INVALID: u8 = 1;
/// Bad flags or arguments.
pub const USAGE: u8 = 2;
/// Anything else went wrong (I/O, git, a BMC).
pub const OPERATIONAL: u8 = 3;

/// A command that failed, with the exit code it should produce.
#[derive(Debug)]
pub struct Failure {
    /// The error chain to print.
    pub error: anyhow::Error,
    /// The exit code.
    pub code: u8,
}

impl Failure {
    /// A usage error (exit 2).
    pub fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            code: USAGE,
        }
    }

    /// An operational error (exit 3).
    pub fn operational(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            code: OPERATIONAL,
        }
    }

    /// Prints the error chain once, scrubbed of secrets, and returns the exit code.
    pub fn report(self, context: Option<&Context>) -> ExitCode {
        let text = format!("aero: error: {:#}", self.error);
        let text = match context {
            Some(context) => context.redactor.scrub(&text),
            None => text,
        };
        eprintln!("{text}");
        ExitCode::from(self.code)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        // Library errors that mean "you asked for something that does not exist or
        // is malformed" are usage errors; the rest are operational.
        let usage = error.chain().any(|cause| {
            cause
                .downcast_ref::<aero_docs::collect::CollectError>()
                .is_some_and(|error| {
                    matches!(
                        error,
                        aero_docs::collect::CollectError::SiteNotFound { .. }
                            | aero_docs::collect::CollectError::BadRepoSpec(_)
                            | aero_docs::collect::CollectError::PathNotFound(_)
                            | aero_docs::collect::CollectError::RepoNotFound { .. }
                    )
                })
                || cause.downcast_ref::<clap::Error>().is_some()
        });
        Self {
            error,
            code: if usage { USAGE } else { OPERATIONAL },
        }
    }
}
