//! BMC log entries (Redfish: the system's and the manager's log services, e.g. the SEL and
//! the event log), for diagnosing a machine that did not do what a step expected.

use std::fmt;
use std::time::SystemTime;

/// How serious a log entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Not reported, or a value the driver does not know.
    Unknown,
    /// Informational.
    Ok,
    /// Needs attention.
    Warning,
    /// A failure.
    Critical,
}

impl Severity {
    /// `unknown`, `ok`, `warning` or `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Which part of the BMC kept the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogOrigin {
    /// The machine's own logs (Redfish: the system's log services; the SEL).
    System,
    /// The BMC's logs (Redfish: the manager's log services).
    Manager,
}

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The entry's id within its log.
    pub id: String,
    /// When it was logged.
    pub created: SystemTime,
    /// How serious it is.
    pub severity: Severity,
    /// The message.
    pub message: String,
    /// The registry id of the message, when the BMC gives one (e.g. `Event.1.0.TempWayTooHot`).
    pub message_id: Option<String>,
    /// Which part of the BMC kept the log.
    pub origin: LogOrigin,
    /// The log's id (e.g. `SEL`, `Log1`).
    pub log: String,
}

/// Keeps the entries created at or after `since`, newest first (ties by log and id, so the
/// order is stable). Pure: drivers and fakes share it.
pub fn newest_since(
    entries: impl IntoIterator<Item = LogEntry>,
    since: SystemTime,
) -> Vec<LogEntry> {
    let mut kept: Vec<LogEntry> = entries
        .into_iter()
        .filter(|entry| entry.created >= since)
        .collect();
    kept.sort_by(|left, right| {
        right
            .created
            .cmp(&left.created)
            .then_with(|| left.log.cmp(&right.log))
            .then_with(|| right.id.cmp(&left.id))
    });
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn entry(id: &str, seconds: u64) -> LogEntry {
        LogEntry {
            id: id.to_string(),
            created: UNIX_EPOCH + Duration::from_secs(seconds),
            severity: Severity::Ok,
            message: format!("entry {id}"),
            message_id: None,
            origin: LogOrigin::System,
            log: "SEL".to_string(),
        }
    }

    #[test]
    fn newest_first_since_the_time() {
        let kept = newest_since(
            [
                entry("1", 10),
                entry("2", 30),
                entry("3", 20),
                entry("4", 5),
            ],
            UNIX_EPOCH + Duration::from_secs(10),
        );
        let ids: Vec<&str> = kept.iter().map(|entry| entry.id.as_str()).collect();
        assert_eq!(ids, ["2", "3", "1"]);
    }
}
