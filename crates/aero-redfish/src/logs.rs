//! BMC logs: the entries of the system's log services (the SEL) and of its managers' (the
//! BMC's event logs), created since a given time, newest first.
//!
//! Log services are found by links: `Systems/<id>/LogServices` and, for each manager in
//! `Links.ManagedBy`, `Managers/<id>/LogServices`. A system or manager without the link,
//! or a collection the BMC does not implement (404, 405, 501), has no logs: that is not an
//! error (sushy-emulator has none). Entries come inline in the collection on most BMCs
//! (iDRAC, OpenBMC, the DMTF mockups) and are read one by one otherwise. Pages
//! (`Members@odata.nextLink`) are followed up to [`MAX_PAGES`] per log, and no further once
//! a page of a newest-first log is older than the time asked for; a later page that cannot
//! be read ends that log's listing (logs wrap while they are read). Entries without a
//! readable `Created` time are left out.

use std::time::SystemTime;

use serde_json::Value;

use crate::client::{Deadline, Resource};
use crate::discovery::last_segment;
use crate::error::RedfishError;
use crate::model::{Collection, LogEntry, LogService, Manager};
use crate::system::RedfishSystem;

/// Pages read per log at most.
pub const MAX_PAGES: usize = 20;

/// Entries read one by one (not inline in their collection) per log at most.
const MAX_SINGLE_READS: usize = 200;

/// Which part of the BMC keeps a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// The system's log services (the SEL).
    System,
    /// A manager's log services (the BMC's own logs).
    Manager,
}

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// The entry's id.
    pub id: String,
    /// When it was logged.
    pub created: SystemTime,
    /// `OK`, `Warning`, `Critical`, as reported.
    pub severity: Option<String>,
    /// The message (or, without one, the entry code and sensor, or the name).
    pub message: String,
    /// The message registry id.
    pub message_id: Option<String>,
    /// Which part of the BMC keeps the log.
    pub source: LogSource,
    /// The log service's id, e.g. `SEL`.
    pub service: String,
}

/// Parses an RFC 3339 time (`2012-03-07T14:44:00Z`, `2015-03-13T04:14:33+06:00`).
pub(crate) fn parse_time(text: &str) -> Option<SystemTime> {
    let parsed =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    Some(SystemTime::from(parsed))
}

/// Whether an error answer means "the BMC has no such thing" rather than a failure.
fn absent(error: &RedfishError) -> bool {
    error
        .request_failure()
        .and_then(|failure| failure.status())
        .is_some_and(|status| matches!(status, 404 | 405 | 501))
}

/// The message of an entry: its text, else its SEL code and sensor, else its name.
fn message_of(entry: &LogEntry) -> String {
    if let Some(message) = entry
        .message
        .as_ref()
        .filter(|text| !text.trim().is_empty())
    {
        return message.trim().to_string();
    }
    let code: Vec<&str> = [entry.sensor_type.as_deref(), entry.entry_code.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !code.is_empty() {
        return code.join(": ");
    }
    entry
        .name
        .clone()
        .or_else(|| entry.message_id.clone())
        .unwrap_or_default()
}

/// The record of an entry, if it has a readable time.
fn record(entry: LogEntry, path: &str, source: LogSource, service: &str) -> Option<LogRecord> {
    let created = parse_time(entry.created.as_deref()?)?;
    Some(LogRecord {
        id: entry.id.clone().unwrap_or_else(|| last_segment(path)),
        created,
        severity: entry.severity.clone(),
        message: message_of(&entry),
        message_id: entry.message_id.clone(),
        source,
        service: service.to_string(),
    })
}

/// Whether a collection member carries the entry itself (not only a link).
fn is_inline(member: &Value) -> bool {
    ["Created", "Message", "Severity", "EntryType"]
        .iter()
        .any(|key| member.get(key).is_some())
}

/// The next page of a collection, if any.
fn next_link(page: &Value) -> Option<String> {
    ["Members@odata.nextLink", "@odata.nextLink"]
        .iter()
        .find_map(|key| page.get(key).and_then(Value::as_str))
        .map(str::to_string)
}

impl RedfishSystem {
    /// The log entries of the system's and its managers' log services created at or after
    /// `since`, newest first.
    pub async fn log_entries(&self, since: SystemTime) -> Result<Vec<LogRecord>, RedfishError> {
        let deadline = self.deadline();
        let system = self.structure(&deadline).await?;
        let mut collections = Vec::new();
        if let Some(link) = &system.value.log_services {
            collections.push((LogSource::System, link.odata_id.clone()));
        }
        let managers = system
            .value
            .links
            .as_ref()
            .map(|links| links.managed_by.clone())
            .unwrap_or_default();
        for manager_link in managers {
            let manager: Resource<Manager> = self
                .client()
                .get(&manager_link.odata_id, "manager", &deadline)
                .await?;
            if let Some(link) = manager.value.log_services {
                collections.push((LogSource::Manager, link.odata_id));
            }
        }
        let mut records = Vec::new();
        for (source, collection_path) in collections {
            let collection = match self
                .client()
                .get_optional::<Collection>(&collection_path, "log service collection", &deadline)
                .await
            {
                Ok(collection) => collection,
                Err(error) if absent(&error) => continue,
                Err(error) => return Err(error),
            };
            for member in collection.value.members {
                let service = match self
                    .client()
                    .get_optional::<LogService>(&member.odata_id, "log service", &deadline)
                    .await
                {
                    Ok(service) => service,
                    Err(error) if absent(&error) => continue,
                    Err(error) => return Err(error),
                };
                let Some(entries) = service.value.entries else {
                    continue;
                };
                let service_id = service
                    .value
                    .id
                    .unwrap_or_else(|| last_segment(&member.odata_id));
                self.read_log(
                    &entries.odata_id,
                    source,
                    &service_id,
                    since,
                    &deadline,
                    &mut records,
                )
                .await?;
            }
        }
        records.sort_by(|left, right| {
            right
                .created
                .cmp(&left.created)
                .then_with(|| left.service.cmp(&right.service))
                .then_with(|| right.id.cmp(&left.id))
        });
        Ok(records)
    }

    /// Reads the entries of one log into `records`.
    async fn read_log(
        &self,
        entries_path: &str,
        source: LogSource,
        service: &str,
        since: SystemTime,
        deadline: &Deadline,
        records: &mut Vec<LogRecord>,
    ) -> Result<(), RedfishError> {
        let mut next = Some(entries_path.to_string());
        let mut single_reads = 0;
        for page_number in 0..MAX_PAGES {
            let Some(page_path) = next.take() else {
                return Ok(());
            };
            let page = match self
                .client()
                .get_optional::<Value>(&page_path, "log entries", deadline)
                .await
            {
                Ok(page) => page,
                Err(error) if page_number == 0 && absent(&error) => return Ok(()),
                Err(error) if page_number == 0 => return Err(error),
                Err(error) => {
                    tracing::warn!(bmc = self.client().bmc(), error = %error, "a later page of a BMC log could not be read; listing what was read");
                    return Ok(());
                }
            };
            let members = page
                .raw
                .get("Members")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut page_times = Vec::new();
            for member in members {
                let entry_path = member
                    .get("@odata.id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let entry = if is_inline(&member) {
                    serde_json::from_value::<LogEntry>(member).unwrap_or_default()
                } else if !entry_path.is_empty() && single_reads < MAX_SINGLE_READS {
                    single_reads += 1;
                    match self
                        .client()
                        .get_optional::<LogEntry>(&entry_path, "log entry", deadline)
                        .await
                    {
                        Ok(entry) => entry.value,
                        Err(error) if absent(&error) => continue,
                        Err(error) => return Err(error),
                    }
                } else {
                    continue;
                };
                if let Some(record) = record(entry, &entry_path, source, service) {
                    page_times.push(record.created);
                    if record.created >= since {
                        records.push(record);
                    }
                }
            }
            let newest_first = page_times.windows(2).all(|pair| pair[0] >= pair[1]);
            let all_older = !page_times.is_empty() && page_times.iter().all(|time| *time < since);
            if newest_first && all_older {
                return Ok(());
            }
            next = next_link(&page.raw);
        }
        tracing::warn!(
            bmc = self.client().bmc(),
            log = service,
            pages = MAX_PAGES,
            "stopped reading a long BMC log"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn times_parse_with_offsets() {
        assert_eq!(
            parse_time("2012-03-07T14:44:00Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_331_131_440))
        );
        assert_eq!(
            parse_time("2012-03-07T20:44:00+06:00"),
            parse_time("2012-03-07T14:44:00Z")
        );
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }

    #[test]
    fn messages_fall_back_to_sel_codes_and_names() {
        let entry = |json: Value| serde_json::from_value::<LogEntry>(json).unwrap();
        assert_eq!(
            message_of(&entry(serde_json::json!({"Message": " Fan 1 failed "}))),
            "Fan 1 failed"
        );
        assert_eq!(
            message_of(&entry(serde_json::json!({
                "SensorType": "Temperature", "EntryCode": "Upper Critical - going high"
            }))),
            "Temperature: Upper Critical - going high"
        );
        assert_eq!(
            message_of(&entry(serde_json::json!({"Name": "Log Entry 1"}))),
            "Log Entry 1"
        );
        let untimed = entry(serde_json::json!({"Id": "3", "Message": "no time"}));
        assert_eq!(record(untimed, "/x/3", LogSource::System, "SEL"), None);
    }

    #[test]
    fn pages_and_inline_members_are_recognised() {
        assert!(is_inline(
            &serde_json::json!({"@odata.id": "/e/1", "Created": "x"})
        ));
        assert!(!is_inline(&serde_json::json!({"@odata.id": "/e/1"})));
        assert_eq!(
            next_link(&serde_json::json!({"Members@odata.nextLink": "/e?$skip=50"})).as_deref(),
            Some("/e?$skip=50")
        );
        assert_eq!(
            next_link(&serde_json::json!({"@odata.nextLink": "/e?$skiptoken=2"})).as_deref(),
            Some("/e?$skiptoken=2")
        );
        assert_eq!(next_link(&serde_json::json!({})), None);
    }
}
