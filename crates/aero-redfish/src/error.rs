//! Errors of the Redfish client.
//!
//! Every variant is named after the step that failed. Variants that involve a request carry a
//! [`RequestFailure`], which names the BMC, the method and path, what the BMC answered (HTTP
//! status and the Redfish error message) or how the connection failed, and how many attempts
//! were made. Credentials never appear in any of them.

use std::fmt;
use std::time::Duration;

/// Result alias of this crate.
pub type Result<T, E = RedfishError> = std::result::Result<T, E>;

/// A request that did not succeed: which BMC, which request, what it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFailure {
    /// Base URL of the BMC, e.g. `https://10.0.0.1:443`.
    pub bmc: String,
    /// HTTP method, e.g. `PATCH`.
    pub method: String,
    /// Path of the request, e.g. `/redfish/v1/Systems/1`.
    pub path: String,
    /// What came back, or how the exchange failed.
    pub answer: Answer,
    /// How many times the request was sent.
    pub attempts: u32,
    /// Why the client stopped trying.
    pub gave_up: GaveUp,
}

impl RequestFailure {
    /// HTTP status of the answer, if the BMC answered at all.
    pub fn status(&self) -> Option<u16> {
        match &self.answer {
            Answer::Status { status, .. } => Some(*status),
            Answer::Transport { .. } => None,
        }
    }

    /// The Redfish error message (or text body) of the answer, empty without an answer.
    pub fn message(&self) -> &str {
        match &self.answer {
            Answer::Status { message, .. } => message,
            Answer::Transport { .. } => "",
        }
    }

    /// Whether any Redfish `MessageId` of the answer, or its text, contains `needle`.
    pub fn mentions(&self, needle: &str) -> bool {
        match &self.answer {
            Answer::Status {
                message,
                message_ids,
                ..
            } => message.contains(needle) || message_ids.iter().any(|id| id.contains(needle)),
            Answer::Transport { .. } => false,
        }
    }
}

impl fmt::Display for RequestFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{} {}{} {}",
            self.method, self.bmc, self.path, self.answer
        )?;
        let attempts = self.attempts;
        let plural = if attempts == 1 { "" } else { "s" };
        match self.gave_up {
            GaveUp::Permanent => Ok(()),
            GaveUp::RetriesExhausted => {
                write!(formatter, " (gave up after {attempts} attempt{plural})")
            }
            GaveUp::DeadlineReached(deadline) => write!(
                formatter,
                " (gave up after {attempts} attempt{plural}: the operation deadline of {} was reached)",
                human_duration(deadline)
            ),
        }
    }
}

/// What a failed request got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The BMC answered with an HTTP error status.
    Status {
        /// HTTP status code.
        status: u16,
        /// Redfish `@Message.ExtendedInfo` messages, `error.message`, or the text body.
        message: String,
        /// Redfish `MessageId`s and the `error.code` of the body.
        message_ids: Vec<String>,
    },
    /// No usable answer: connection, TLS, timeout or body failure.
    Transport {
        /// What kind of failure.
        kind: TransportFailureKind,
        /// The underlying cause, without credentials.
        detail: String,
    },
}

impl fmt::Display for Answer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Status {
                status, message, ..
            } => {
                let reason = reqwest::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|code| code.canonical_reason())
                    .unwrap_or("");
                write!(formatter, "answered HTTP {status}")?;
                if !reason.is_empty() {
                    write!(formatter, " {reason}")?;
                }
                if !message.is_empty() {
                    write!(formatter, ": {message}")?;
                }
                Ok(())
            }
            Answer::Transport { kind, detail } => write!(formatter, "failed: {kind}: {detail}"),
        }
    }
}

/// Kinds of transport failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailureKind {
    /// The TCP connection could not be opened, or was closed or reset.
    Connect,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// No answer within the request timeout.
    Timeout,
    /// The answer was cut off while reading its body.
    Body,
    /// Anything else reported by the HTTP stack.
    Other,
}

impl fmt::Display for TransportFailureKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            TransportFailureKind::Connect => "connection error",
            TransportFailureKind::Tls => "tls error",
            TransportFailureKind::Timeout => "timeout",
            TransportFailureKind::Body => "incomplete answer",
            TransportFailureKind::Other => "http error",
        };
        formatter.write_str(text)
    }
}

/// Why the client stopped sending a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp {
    /// The failure is not worth retrying.
    Permanent,
    /// The retry policy allowed no more attempts.
    RetriesExhausted,
    /// The operation deadline (the value) left no time for another attempt.
    DeadlineReached(Duration),
}

/// Errors of the Redfish client, named after the step that failed.
#[derive(Debug, thiserror::Error)]
pub enum RedfishError {
    /// The endpoint is not a usable `http(s)://host[:port]` URL.
    #[error("invalid BMC endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The CA bundle file could not be read.
    #[error("reading the CA bundle {path} for {bmc} failed")]
    ReadCaBundle {
        /// BMC base URL.
        bmc: String,
        /// Path of the bundle.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The CA bundle file holds no usable PEM certificate.
    #[error("the CA bundle {path} for {bmc} holds no usable certificate: {reason}")]
    ParseCaBundle {
        /// BMC base URL.
        bmc: String,
        /// Path of the bundle.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A certificate fingerprint could not be parsed.
    #[error(
        "invalid SHA-256 certificate fingerprint {value:?}: {reason} (expected 64 hex digits, colons allowed)"
    )]
    InvalidFingerprint {
        /// The fingerprint as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client for a BMC could not be built.
    #[error("building the HTTP transport for {bmc} failed: {reason}")]
    BuildTransport {
        /// BMC base URL.
        bmc: String,
        /// The cause.
        reason: String,
    },
    /// Reading the service root (`/redfish/v1`) failed.
    #[error("reading the service root failed: {failure}")]
    ReadServiceRoot {
        /// The failed request.
        failure: Box<RequestFailure>,
    },
    /// Session login failed (or the BMC rejected the credentials).
    #[error("login failed: {failure}{hint}")]
    Login {
        /// The failed request.
        failure: Box<RequestFailure>,
        /// A hint for the operator, empty or starting with "; ".
        hint: String,
    },
    /// A GET of a resource failed.
    #[error("reading the {what} failed: {failure}")]
    Read {
        /// What was read, e.g. "system".
        what: String,
        /// The failed request.
        failure: Box<RequestFailure>,
    },
    /// A resource could not be decoded.
    #[error("decoding the {what} at {bmc}{path} failed: {reason}")]
    Decode {
        /// What was decoded.
        what: String,
        /// BMC base URL.
        bmc: String,
        /// Path of the resource.
        path: String,
        /// The decoder's message.
        reason: String,
    },
    /// A link that the operation needs is missing from a resource.
    #[error("{bmc}{resource} has no {link}: {hint}")]
    MissingLink {
        /// BMC base URL.
        bmc: String,
        /// Path of the resource that lacks the link.
        resource: String,
        /// The missing property.
        link: String,
        /// What it means for the operator.
        hint: String,
    },
    /// The requested system is not on the BMC.
    #[error("system {wanted:?} not found on {bmc}; it has: {available}")]
    SystemNotFound {
        /// BMC base URL.
        bmc: String,
        /// The requested id.
        wanted: String,
        /// Ids of the systems found.
        available: String,
    },
    /// The BMC has several systems and none was chosen.
    #[error("{bmc} has {count} systems ({available}); choose one (--system ID)")]
    AmbiguousSystem {
        /// BMC base URL.
        bmc: String,
        /// Number of systems.
        count: usize,
        /// Ids of the systems found.
        available: String,
    },
    /// The BMC does not allow a value the operation needs.
    #[error("{bmc}{path} does not allow {property} {value:?}; allowed: {allowed}")]
    NotAllowed {
        /// BMC base URL.
        bmc: String,
        /// Path of the resource that lists the allowed values.
        path: String,
        /// The property, e.g. "ResetType".
        property: String,
        /// The value that was wanted.
        value: String,
        /// The allowed values.
        allowed: String,
    },
    /// A `ComputerSystem.Reset` request failed.
    #[error("reset {reset_type} failed: {failure}")]
    Reset {
        /// The reset type sent.
        reset_type: String,
        /// The failed request.
        failure: Box<RequestFailure>,
    },
    /// Setting the boot override failed.
    #[error("setting the boot override to {target} failed: {failure}")]
    SetBootOverride {
        /// The boot target.
        target: String,
        /// The failed request.
        failure: Box<RequestFailure>,
    },
    /// No virtual media slot can take a CD/DVD image.
    #[error("{bmc}: system {system} has no virtual media slot for CD/DVD images ({detail})")]
    NoVirtualMediaSlot {
        /// BMC base URL.
        bmc: String,
        /// System id.
        system: String,
        /// What was found instead.
        detail: String,
    },
    /// The virtual media slot asked for is not on the system.
    #[error("{bmc}: system {system} has no virtual media slot {slot:?}; it has: {available}")]
    SlotNotFound {
        /// BMC base URL.
        bmc: String,
        /// System id.
        system: String,
        /// The slot asked for.
        slot: String,
        /// Ids of the slots found.
        available: String,
    },
    /// The slot holds another image (checked before inserting: eject first).
    #[error("virtual media {bmc}{slot} already holds {image}: eject it first")]
    SlotOccupied {
        /// BMC base URL.
        bmc: String,
        /// Path of the slot.
        slot: String,
        /// The image it holds.
        image: String,
    },
    /// Inserting virtual media failed.
    #[error("inserting {image} into virtual media {slot} failed: {failure}")]
    InsertMedia {
        /// The image URL.
        image: String,
        /// Path of the slot.
        slot: String,
        /// The failed request.
        failure: Box<RequestFailure>,
    },
    /// Ejecting virtual media failed.
    #[error("ejecting virtual media {slot} failed: {failure}")]
    EjectMedia {
        /// Path of the slot.
        slot: String,
        /// The failed request.
        failure: Box<RequestFailure>,
    },
    /// Writing BIOS settings failed.
    #[error("writing BIOS settings failed: {failure}")]
    SetBios {
        /// The failed request.
        failure: Box<RequestFailure>,
    },
    /// A vendor (Oem) action failed.
    #[error("{action} failed: {failure}")]
    OemAction {
        /// The action name.
        action: String,
        /// The failed request.
        failure: Box<RequestFailure>,
    },
    /// An asynchronous operation answered 202 without a task monitor location.
    #[error(
        "{bmc}: {method} {path} answered 202 Accepted without a task monitor (no Location header)"
    )]
    TaskMonitorMissing {
        /// BMC base URL.
        bmc: String,
        /// HTTP method.
        method: String,
        /// Path of the request.
        path: String,
    },
    /// Polling a task monitor failed.
    #[error("polling the task monitor failed: {failure}")]
    PollTask {
        /// The failed request.
        failure: Box<RequestFailure>,
    },
    /// A task ended in a state other than Completed.
    #[error("{bmc}: task {monitor} ended in state {state}: {message}")]
    TaskFailed {
        /// BMC base URL.
        bmc: String,
        /// Task monitor path.
        monitor: String,
        /// The final `TaskState`.
        state: String,
        /// Messages of the task.
        message: String,
        /// `MessageId`s of the task's messages.
        message_ids: Vec<String>,
    },
    /// A configuration job was still refused as busy after every retry.
    #[error(
        "{bmc}: {operation} was still refused as busy after {attempts} attempts over {}; last: {last}",
        human_duration(*waited)
    )]
    StillBusy {
        /// BMC base URL.
        bmc: String,
        /// What was attempted, e.g. "ImportSystemConfiguration".
        operation: String,
        /// Attempts made.
        attempts: u32,
        /// Time from the first attempt to giving up.
        waited: Duration,
        /// The last refusal.
        last: Box<RedfishError>,
    },
    /// A task did not finish within the operation deadline.
    #[error("{bmc}: task {monitor} did not finish within {}; last state {state}", human_duration(*waited))]
    TaskTimeout {
        /// BMC base URL.
        bmc: String,
        /// Task monitor path.
        monitor: String,
        /// The last seen `TaskState`.
        state: String,
        /// How long the client waited.
        waited: Duration,
    },
    /// A state did not converge within the operation deadline.
    #[error("{0}")]
    Converge(Box<ConvergeFailure>),
}

impl RedfishError {
    /// The request failure behind this error, if it came from a request.
    pub fn request_failure(&self) -> Option<&RequestFailure> {
        match self {
            RedfishError::ReadServiceRoot { failure }
            | RedfishError::Login { failure, .. }
            | RedfishError::Read { failure, .. }
            | RedfishError::Reset { failure, .. }
            | RedfishError::SetBootOverride { failure, .. }
            | RedfishError::InsertMedia { failure, .. }
            | RedfishError::EjectMedia { failure, .. }
            | RedfishError::SetBios { failure }
            | RedfishError::OemAction { failure, .. }
            | RedfishError::PollTask { failure } => Some(failure),
            _ => None,
        }
    }

    /// Whether the messages behind this error contain `needle`: the Redfish `MessageId`s or
    /// text of the failed request's answer, or of a failed task.
    pub fn mentions(&self, needle: &str) -> bool {
        match self {
            RedfishError::TaskFailed {
                message,
                message_ids,
                ..
            } => message.contains(needle) || message_ids.iter().any(|id| id.contains(needle)),
            RedfishError::StillBusy { last, .. } => last.mentions(needle),
            other => other
                .request_failure()
                .is_some_and(|failure| failure.mentions(needle)),
        }
    }
}

/// A state that did not converge in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvergeFailure {
    /// BMC base URL.
    pub bmc: String,
    /// Path of the polled resource.
    pub path: String,
    /// The polled property.
    pub property: String,
    /// The value waited for.
    pub expected: String,
    /// The last value seen.
    pub observed: String,
    /// How long the client waited.
    pub waited: Duration,
}

impl fmt::Display for ConvergeFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}{}: {} did not become {} within {} (last seen: {})",
            self.bmc,
            self.path,
            self.property,
            self.expected,
            human_duration(self.waited),
            self.observed
        )
    }
}

/// Formats a duration for messages: `1.5s`, `250ms`, `2m30s`.
pub(crate) fn human_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else if millis < 60_000 {
        let seconds = duration.as_secs_f64();
        if millis.is_multiple_of(1000) {
            format!("{}s", millis / 1000)
        } else {
            format!("{seconds:.1}s")
        }
    } else {
        let seconds = duration.as_secs();
        format!("{}m{}s", seconds / 60, seconds % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(answer: Answer, gave_up: GaveUp, attempts: u32) -> RequestFailure {
        RequestFailure {
            bmc: "https://bmc1:443".to_string(),
            method: "POST".to_string(),
            path: "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset".to_string(),
            answer,
            attempts,
            gave_up,
        }
    }

    #[test]
    fn request_failure_names_bmc_request_and_answer() {
        let text = failure(
            Answer::Status {
                status: 503,
                message: "try later".to_string(),
                message_ids: vec![],
            },
            GaveUp::DeadlineReached(Duration::from_secs(5)),
            3,
        )
        .to_string();
        assert_eq!(
            text,
            "POST https://bmc1:443/redfish/v1/Systems/1/Actions/ComputerSystem.Reset answered HTTP 503 \
             Service Unavailable: try later (gave up after 3 attempts: the operation deadline of 5s was reached)"
        );
    }

    #[test]
    fn transport_failure_is_described() {
        let text = failure(
            Answer::Transport {
                kind: TransportFailureKind::Connect,
                detail: "connection refused".to_string(),
            },
            GaveUp::RetriesExhausted,
            1,
        )
        .to_string();
        assert!(
            text.ends_with(
                "failed: connection error: connection refused (gave up after 1 attempt)"
            ),
            "{text}"
        );
    }

    #[test]
    fn mentions_checks_message_and_ids() {
        let failure = failure(
            Answer::Status {
                status: 400,
                message: "The system is in POST".to_string(),
                message_ids: vec!["iLO.2.14.UnableToModifyDuringSystemPOST".to_string()],
            },
            GaveUp::Permanent,
            1,
        );
        assert!(failure.mentions("UnableToModifyDuringSystemPOST"));
        assert!(failure.mentions("in POST"));
        assert!(!failure.mentions("SYS518"));
        assert_eq!(failure.status(), Some(400));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(human_duration(Duration::from_secs(2)), "2s");
        assert_eq!(human_duration(Duration::from_secs(150)), "2m30s");
    }
}
