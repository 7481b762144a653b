//! Exit codes and the one place where a failed command's error is printed.
//!
//! A failure's exit code comes from its error's [`ErrorClass`], never from its type:
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success |
//! | 1 | invalid input (documents), a failed action, or `--exit-code` found differences |
//! | 2 | usage error or not found (bad flags, unknown site, node, document or action) |
//! | 3 | any other failure (I/O, git, a BMC, the store) |
//! | 4 | the plan was declined at the prompt |
//! | 5 | the action finished with failures its success criteria accept |
//! | 6 | conflict: the site is locked by another action or worker |

use std::fmt::Display;
use std::process::ExitCode;

use aero_error::{Classify, ErrorClass};

use crate::context::Context;

/// Documents are invalid, an action failed, or differences were found with `--exit-code`.
pub const INVALID: u8 = 1;
/// Bad flags or arguments, or what was named does not exist.
pub const USAGE: u8 = 2;
/// Anything else went wrong (I/O, git, a BMC, the store).
pub const OPERATIONAL: u8 = 3;
/// The operator declined the plan.
#[allow(dead_code)] // returned by `aero deploy`, which lands next
pub const DECLINED: u8 = 4;
/// Finished with failures within the success criteria.
#[allow(dead_code)] // returned by `aero deploy`, which lands next
pub const PARTIAL: u8 = 5;
/// Another action or worker holds the site.
pub const CONFLICT: u8 = 6;

/// The exit code of a failure of this class.
pub fn code_of(class: ErrorClass) -> u8 {
    match class {
        ErrorClass::Usage | ErrorClass::NotFound => USAGE,
        ErrorClass::InvalidInput => INVALID,
        ErrorClass::Conflict => CONFLICT,
        ErrorClass::Transient | ErrorClass::Permanent => OPERATIONAL,
    }
}

/// A command that failed, with the exit code it should produce.
#[derive(Debug)]
pub struct Failure {
    /// The error chain to print.
    pub error: anyhow::Error,
    /// The exit code.
    pub code: u8,
}

impl Failure {
    /// A failure of a library error, its exit code taken from the error's class.
    pub fn of<E>(error: E) -> Self
    where
        E: Classify + std::error::Error + Send + Sync + 'static,
    {
        let code = code_of(error.class());
        Self {
            error: anyhow::Error::new(error),
            code,
        }
    }

    /// A usage error (exit 2) found by the CLI itself.
    pub fn usage(message: impl Display) -> Self {
        Self {
            error: anyhow::anyhow!("{message}"),
            code: USAGE,
        }
    }

    /// An operational error (exit 3) found by the CLI itself.
    pub fn operational(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            code: OPERATIONAL,
        }
    }

    /// The same failure with a line of context in front of its message.
    pub fn context(self, context: impl Display + Send + Sync + 'static) -> Self {
        Self {
            error: self.error.context(context),
            code: self.code,
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

/// `?` on a library result in a command: the error keeps its class.
pub trait OrFail<T> {
    /// The result, its error turned into a [`Failure`] by its class.
    fn or_fail(self) -> Result<T, Failure>;
}

impl<T, E> OrFail<T> for Result<T, E>
where
    E: Classify + std::error::Error + Send + Sync + 'static,
{
    fn or_fail(self) -> Result<T, Failure> {
        self.map_err(Failure::of)
    }
}

/// A failure to write the command's output.
pub fn output_failure(error: std::io::Error) -> Failure {
    Failure::operational(anyhow::Error::new(error).context("cannot write the output"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_map_to_the_documented_codes() {
        let table = [
            (ErrorClass::Usage, 2),
            (ErrorClass::NotFound, 2),
            (ErrorClass::InvalidInput, 1),
            (ErrorClass::Conflict, 6),
            (ErrorClass::Transient, 3),
            (ErrorClass::Permanent, 3),
        ];
        for (class, code) in table {
            assert_eq!(code_of(class), code, "{class}");
        }
    }

    #[test]
    fn a_library_error_keeps_its_class_through_context() {
        let missing = aero_docs::collect::CollectError::SiteNotFound {
            site: "x".into(),
            known: vec![],
        };
        let failure = Failure::of(missing).context("while planning");
        assert_eq!(failure.code, USAGE);
        assert!(format!("{:#}", failure.error).starts_with("while planning: site `x`"));
    }
}
