//! Errors of the BMC port, classified for the CLI's exit codes and the engine's retries.
//!
//! Each variant says what went wrong in terms a step and an operator understand, names the
//! BMC and the operation, and gives a hint; the driver's own error (with the request, the
//! HTTP status and the BMC's message) is the [`std::error::Error::source`]. No variant holds
//! credentials, and drivers must not put them in a source.
//!
//! | variant | class |
//! |---|---|
//! | [`BmcError::InvalidSettings`] | invalid input |
//! | [`BmcError::Unreachable`], [`BmcError::Unavailable`], [`BmcError::NotConverged`] | transient |
//! | [`BmcError::TlsRefused`], [`BmcError::CredentialsRefused`], [`BmcError::Rejected`], [`BmcError::NotAllowed`], [`BmcError::Failed`] | permanent |
//! | [`BmcError::NotSupported`], [`BmcError::SystemNotFound`], [`BmcError::SlotNotFound`] | not found |
//! | [`BmcError::SlotOccupied`] | conflict |

use std::time::Duration;

use aero_error::{Classify, ErrorClass};

/// The driver's error behind a [`BmcError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error of a BMC operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BmcError {
    /// The settings cannot be used: a malformed endpoint or CA certificate, a BMC with
    /// several systems and none chosen.
    #[error("invalid BMC settings for {bmc}: {reason}")]
    InvalidSettings {
        /// The BMC's endpoint as given.
        bmc: String,
        /// What is wrong and what to set instead.
        reason: String,
        /// The driver's error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// No answer: the connection was refused, reset or cut off, or the BMC did not answer in
    /// time (after the driver's own retries).
    #[error("{operation} on {bmc} failed: the BMC did not answer (a later attempt may succeed)")]
    Unreachable {
        /// The BMC's base URL.
        bmc: String,
        /// What was attempted.
        operation: String,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The BMC answered that it cannot do it now: a server error after retries, too many
    /// requests, a conflicting operation in progress (HTTP 409), a job refused while busy.
    #[error("{operation} on {bmc} failed: the BMC is busy or failing{} (a later attempt may succeed)", status_text(*status))]
    Unavailable {
        /// The BMC's base URL.
        bmc: String,
        /// What was attempted.
        operation: String,
        /// The HTTP status, when there was one.
        status: Option<u16>,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The TLS handshake or the BMC's certificate was refused.
    #[error(
        "{operation} on {bmc} failed: the BMC's TLS certificate or handshake was refused; \
         configure the BMC's CA certificate (or its own self-signed certificate), pin its \
         SHA-256 fingerprint, choose the openssl TLS backend for old firmware, or (not \
         recommended) disable verification"
    )]
    TlsRefused {
        /// The BMC's base URL.
        bmc: String,
        /// What was attempted.
        operation: String,
        /// The driver's error, which says why and what to configure.
        #[source]
        source: BoxError,
    },
    /// The BMC refused the credentials (HTTP 401), or refused them for this operation (403).
    #[error("{operation} on {bmc} failed: the BMC refused the credentials (HTTP {status}){}", credentials_hint(*status))]
    CredentialsRefused {
        /// The BMC's base URL.
        bmc: String,
        /// What was attempted.
        operation: String,
        /// 401 or 403.
        status: u16,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The BMC lacks what the operation needs (a resource, an action, a log; HTTP 404, 405
    /// or 501).
    #[error("{operation} on {bmc} failed: the BMC does not support {what}")]
    NotSupported {
        /// The BMC's base URL.
        bmc: String,
        /// What was attempted.
        operation: String,
        /// What is missing.
        what: String,
        /// The driver's error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The chosen system is not on the BMC.
    #[error("system {wanted:?} not found on {bmc}; it has: {available}")]
    SystemNotFound {
        /// The BMC's base URL.
        bmc: String,
        /// The system asked for.
        wanted: String,
        /// The systems it has.
        available: String,
    },
    /// The slot is not on the BMC.
    #[error("virtual media slot {slot:?} not found on {bmc}; it has: {available}")]
    SlotNotFound {
        /// The BMC's base URL.
        bmc: String,
        /// The slot asked for.
        slot: String,
        /// The slots it has.
        available: String,
    },
    /// The slot holds another image; it must be ejected first.
    #[error("virtual media slot {slot:?} on {bmc} already holds {image}: eject it first")]
    SlotOccupied {
        /// The BMC's base URL.
        bmc: String,
        /// The slot.
        slot: String,
        /// What it holds.
        image: String,
    },
    /// The BMC does not allow a value the operation needs (not in its allowed values).
    #[error(
        "{operation} on {bmc} failed: the BMC does not allow {property} {value:?}; allowed: {allowed}"
    )]
    NotAllowed {
        /// The BMC's base URL.
        bmc: String,
        /// What was attempted.
        operation: String,
        /// The setting, e.g. `boot target`.
        property: String,
        /// The value asked for.
        value: String,
        /// The values it allows.
        allowed: String,
    },
    /// The BMC refused the request (an HTTP 4xx other than the ones above).
    #[error("{operation} on {bmc} failed: the BMC rejected the request (HTTP {status})")]
    Rejected {
        /// The BMC's base URL.
        bmc: String,
        /// What was attempted.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The BMC accepted the request but did not reach the expected state in time.
    #[error(
        "{operation} on {bmc}: the BMC did not reach {expected} within {waited:?} (last seen: {observed})"
    )]
    NotConverged {
        /// The BMC's base URL.
        bmc: String,
        /// What was attempted.
        operation: String,
        /// What was waited for, e.g. `PowerState On`.
        expected: String,
        /// The last value seen.
        observed: String,
        /// How long it was watched.
        waited: Duration,
    },
    /// Anything else: an answer the driver cannot read, a vendor job that failed, a driver
    /// that cannot start.
    #[error("{operation} on {bmc} failed")]
    Failed {
        /// The BMC's base URL.
        bmc: String,
        /// What was attempted.
        operation: String,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
}

fn status_text(status: Option<u16>) -> String {
    status
        .map(|status| format!(" (HTTP {status})"))
        .unwrap_or_default()
}

fn credentials_hint(status: u16) -> &'static str {
    if status == 403 {
        ": the user lacks the privilege for this operation; give it the BMC's administrator or operator role"
    } else {
        ": check the user name and password of this BMC"
    }
}

impl BmcError {
    /// The BMC the error is about (its base URL, or the endpoint as given).
    pub fn bmc(&self) -> &str {
        match self {
            BmcError::InvalidSettings { bmc, .. }
            | BmcError::Unreachable { bmc, .. }
            | BmcError::Unavailable { bmc, .. }
            | BmcError::TlsRefused { bmc, .. }
            | BmcError::CredentialsRefused { bmc, .. }
            | BmcError::NotSupported { bmc, .. }
            | BmcError::SystemNotFound { bmc, .. }
            | BmcError::SlotNotFound { bmc, .. }
            | BmcError::SlotOccupied { bmc, .. }
            | BmcError::NotAllowed { bmc, .. }
            | BmcError::Rejected { bmc, .. }
            | BmcError::NotConverged { bmc, .. }
            | BmcError::Failed { bmc, .. } => bmc,
        }
    }

    /// The HTTP status behind the error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            BmcError::Unavailable { status, .. } => *status,
            BmcError::CredentialsRefused { status, .. } | BmcError::Rejected { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The message with every cause, joined by `: ` (what a log line or a journal entry
    /// should show).
    pub fn report(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            let part = error.to_string();
            if !text.contains(&part) {
                text.push_str(": ");
                text.push_str(&part);
            }
            cause = error.source();
        }
        text
    }
}

impl Classify for BmcError {
    fn class(&self) -> ErrorClass {
        match self {
            BmcError::InvalidSettings { .. } => ErrorClass::InvalidInput,
            BmcError::Unreachable { .. }
            | BmcError::Unavailable { .. }
            | BmcError::NotConverged { .. } => ErrorClass::Transient,
            BmcError::TlsRefused { .. }
            | BmcError::CredentialsRefused { .. }
            | BmcError::NotAllowed { .. }
            | BmcError::Rejected { .. }
            | BmcError::Failed { .. } => ErrorClass::Permanent,
            BmcError::NotSupported { .. }
            | BmcError::SystemNotFound { .. }
            | BmcError::SlotNotFound { .. } => ErrorClass::NotFound,
            BmcError::SlotOccupied { .. } => ErrorClass::Conflict,
        }
    }
}

/// A plain-text cause, for errors without a driver error behind them (fakes, checks made
/// before any request).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Cause(pub String);

impl Cause {
    /// A boxed cause with this text.
    pub fn boxed(text: impl Into<String>) -> BoxError {
        Box::new(Cause(text.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bmc() -> String {
        "https://10.0.0.5:443".to_string()
    }

    #[test]
    fn classes_follow_the_table() {
        let source = || Cause::boxed("GET /redfish/v1/Systems/1 answered HTTP 401");
        let cases = [
            (
                BmcError::Unreachable {
                    bmc: bmc(),
                    operation: "power state".to_string(),
                    source: source(),
                },
                ErrorClass::Transient,
            ),
            (
                BmcError::Unavailable {
                    bmc: bmc(),
                    operation: "power on".to_string(),
                    status: Some(409),
                    source: source(),
                },
                ErrorClass::Transient,
            ),
            (
                BmcError::CredentialsRefused {
                    bmc: bmc(),
                    operation: "inventory".to_string(),
                    status: 401,
                    source: source(),
                },
                ErrorClass::Permanent,
            ),
            (
                BmcError::NotSupported {
                    bmc: bmc(),
                    operation: "log entries".to_string(),
                    what: "log services".to_string(),
                    source: None,
                },
                ErrorClass::NotFound,
            ),
            (
                BmcError::SlotOccupied {
                    bmc: bmc(),
                    slot: "Cd".to_string(),
                    image: "http://x/a.iso".to_string(),
                },
                ErrorClass::Conflict,
            ),
            (
                BmcError::InvalidSettings {
                    bmc: "ftp://bmc".to_string(),
                    reason: "the scheme must be http or https".to_string(),
                    source: None,
                },
                ErrorClass::InvalidInput,
            ),
        ];
        for (error, class) in cases {
            assert_eq!(error.class(), class, "{error}");
        }
    }

    #[test]
    fn messages_name_the_bmc_and_give_a_hint() {
        let refused = BmcError::CredentialsRefused {
            bmc: bmc(),
            operation: "inventory".to_string(),
            status: 401,
            source: Cause::boxed(
                "GET https://10.0.0.5:443/redfish/v1/Systems/1 answered HTTP 401 Unauthorized",
            ),
        };
        assert_eq!(
            refused.to_string(),
            "inventory on https://10.0.0.5:443 failed: the BMC refused the credentials (HTTP 401): \
             check the user name and password of this BMC"
        );
        assert_eq!(refused.status(), Some(401));
        assert!(refused.report().ends_with(
            ": GET https://10.0.0.5:443/redfish/v1/Systems/1 answered HTTP 401 Unauthorized"
        ));
        let busy = BmcError::Unavailable {
            bmc: bmc(),
            operation: "power on".to_string(),
            status: Some(503),
            source: Cause::boxed("busy"),
        };
        assert!(
            busy.to_string().contains("busy or failing (HTTP 503)"),
            "{busy}"
        );
        assert_eq!(busy.bmc(), "https://10.0.0.5:443");
    }
}
