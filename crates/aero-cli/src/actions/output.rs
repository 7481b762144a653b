//! What `aero actions` prints: typed rows, serialised as is for `-o json|yaml`, drawn as
//! tables for people. Times are RFC 3339 in UTC.

use aero_workflow::{ActionDetail, ActionSummary, JournalRecord, StepSummary};
use serde::Serialize;

use crate::format::Table;

/// An action as listed and shown.
#[derive(Debug, Serialize)]
pub struct ActionView {
    /// Its id.
    pub id: String,
    /// `deploy_site`, ...
    pub kind: String,
    /// Its site.
    pub site: String,
    /// Its state.
    pub state: String,
    /// A pause or stop requested and not yet applied.
    pub control: Option<String>,
    /// The pinned revision.
    pub revision: String,
    /// The pinned snapshot.
    pub snapshot: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Number of steps.
    pub steps: i64,
    /// When it was submitted.
    pub created: String,
    /// When it reached a final state.
    pub ended: Option<String>,
    /// The worker holding its lease.
    pub worker: Option<String>,
}

impl From<&ActionSummary> for ActionView {
    fn from(action: &ActionSummary) -> Self {
        ActionView {
            id: action.id.clone(),
            kind: action.kind.clone(),
            site: action.site.clone(),
            state: action.state.to_string(),
            control: action.control.map(|control| control.name().to_string()),
            revision: action.revision_id.clone(),
            snapshot: action.snapshot_id.clone(),
            error: action.error.clone(),
            steps: action.step_count,
            created: time_text(action.created_ms),
            ended: action.ended_ms.map(time_text),
            worker: action.lease_owner.clone(),
        }
    }
}

/// A step as shown.
#[derive(Debug, Serialize)]
pub struct StepView {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its deployment group.
    pub group: Option<String>,
    /// Its node.
    pub node: Option<String>,
    /// Its state.
    pub state: String,
    /// Attempts over all runs.
    pub attempts: i64,
    /// When it last started.
    pub started: Option<String>,
    /// When it ended.
    pub ended: Option<String>,
    /// Its error, or why it was skipped or interrupted.
    pub reason: Option<String>,
    /// The gate that accepted its failure.
    pub tolerated_by: Option<String>,
    /// Whether a side effect of unknown outcome is open (resume observes first).
    pub open_intent: bool,
    /// Its output.
    pub output: Option<serde_json::Value>,
}

impl From<&StepSummary> for StepView {
    fn from(step: &StepSummary) -> Self {
        StepView {
            id: step.id.clone(),
            title: step.title.clone(),
            group: step.group.clone(),
            node: step.node.clone(),
            state: step.state.to_string(),
            attempts: step.attempts,
            started: step.started_ms.map(time_text),
            ended: step.ended_ms.map(time_text),
            reason: step.error.clone().or_else(|| step.reason.clone()),
            tolerated_by: step.tolerated_by.clone(),
            open_intent: step.open_intent.is_some(),
            output: step.output.clone(),
        }
    }
}

/// `aero actions show`.
#[derive(Debug, Serialize)]
pub struct ActionShow {
    /// The action.
    pub action: ActionView,
    /// Its steps, in plan order.
    pub steps: Vec<StepView>,
}

impl From<&ActionDetail> for ActionShow {
    fn from(detail: &ActionDetail) -> Self {
        ActionShow {
            action: ActionView::from(&detail.action),
            steps: detail.steps.iter().map(StepView::from).collect(),
        }
    }
}

/// A journal entry as printed.
#[derive(Debug, Serialize)]
pub struct LogView {
    /// Sequence number.
    pub seq: i64,
    /// When.
    pub at: String,
    /// The step.
    pub step: Option<String>,
    /// What happened.
    pub kind: String,
    /// New state.
    pub state: Option<String>,
    /// Attempt (or fencing token of a claim).
    pub attempt: Option<i64>,
    /// Text.
    pub message: String,
    /// Data (op, output).
    pub data: Option<serde_json::Value>,
}

impl From<&JournalRecord> for LogView {
    fn from(record: &JournalRecord) -> Self {
        LogView {
            seq: record.seq,
            at: time_text(record.at_ms),
            step: record.step_id.clone(),
            kind: record.kind.name().to_string(),
            state: record.state.clone(),
            attempt: record.attempt,
            message: record.message.clone(),
            data: record.data.clone(),
        }
    }
}

/// Actions as a table.
pub fn action_table(actions: &Vec<ActionView>) -> String {
    let mut table = Table::new(&["ID", "KIND", "SITE", "STATE", "STEPS", "CREATED", "ENDED"]);
    for action in actions {
        let state = match &action.control {
            Some(control) => format!("{} ({control} requested)", action.state),
            None => action.state.clone(),
        };
        table.row(vec![
            action.id.clone(),
            action.kind.clone(),
            action.site.clone(),
            state,
            action.steps.to_string(),
            action.created.clone(),
            action.ended.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    table.render()
}

/// `aero actions show` for people: the action, then its steps.
pub fn show_text(show: &ActionShow) -> String {
    let action = &show.action;
    let mut text = format!(
        "action {}  {} of site {}: {}\nrevision {}\ncreated {}{}\n",
        action.id,
        action.kind,
        action.site,
        action.state,
        action.revision,
        action.created,
        action
            .ended
            .as_ref()
            .map(|ended| format!(", ended {ended}"))
            .unwrap_or_default()
    );
    if let Some(error) = &action.error {
        text.push_str(&format!("error: {error}\n"));
    }
    text.push('\n');
    text.push_str(&step_rows_table(&show.steps));
    text
}

/// Steps as a table.
pub fn step_rows_table(steps: &[StepView]) -> String {
    let mut table = Table::new(&["STEP", "STATE", "ATTEMPTS", "ENDED", "REASON"]);
    for step in steps {
        let mut state = step.state.clone();
        if step.open_intent {
            state.push_str(" (intent open)");
        }
        if let Some(gate) = &step.tolerated_by {
            state.push_str(&format!(" (accepted by {gate})"));
        }
        table.row(vec![
            step.id.clone(),
            state,
            step.attempts.to_string(),
            step.ended.clone().unwrap_or_else(|| "-".into()),
            step.reason.clone().unwrap_or_default(),
        ]);
    }
    table.render()
}

/// Journal entries, one line each.
pub fn log_lines(entries: &Vec<LogView>) -> String {
    let mut text = String::new();
    for entry in entries {
        text.push_str(&log_line(entry));
    }
    text
}

/// One journal entry as a line.
pub fn log_line(entry: &LogView) -> String {
    let mut line = format!("{} #{} {}", entry.at, entry.seq, entry.kind);
    if let Some(step) = &entry.step {
        line.push_str(&format!(" {step}"));
    }
    if let Some(state) = &entry.state {
        line.push_str(&format!(" -> {state}"));
    }
    if let Some(attempt) = entry.attempt {
        line.push_str(&format!(" (attempt {attempt})"));
    }
    if !entry.message.is_empty() {
        line.push_str(&format!(": {}", entry.message));
    }
    line.push('\n');
    line
}

/// Milliseconds since the epoch as RFC 3339 (UTC, seconds).
pub fn time_text(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|moment| {
            moment
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(time_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(time_text(1_780_000_000_999), "2026-05-28T20:26:40Z");
    }
}
