//! Reading actions, steps and the journal back: what `list`, `show` and `logs` return,
//! and what a worker loads to (re)start an action.

use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use super::{Store, db};
use crate::error::StoreError;
use crate::events::EntryKind;
use crate::spec::{Limits, StepSpec};
use crate::state::{ActionState, Control, StepState};

/// An action as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionSummary {
    /// Its id.
    pub id: String,
    /// Its kind (`deploy_site`, ...).
    pub kind: String,
    /// Its site.
    pub site: String,
    /// The pinned revision.
    pub revision_id: String,
    /// The snapshot of the pinned revision's sources.
    pub snapshot_id: String,
    /// Its parameters.
    pub params: serde_json::Value,
    /// Its state.
    pub state: ActionState,
    /// A pause or stop requested and not yet applied.
    pub control: Option<Control>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Number of steps.
    pub step_count: i64,
    /// When it was submitted (ms since the epoch, store clock).
    pub created_ms: i64,
    /// When it last changed state.
    pub updated_ms: i64,
    /// When a worker first started it.
    pub started_ms: Option<i64>,
    /// When it reached a final state.
    pub ended_ms: Option<i64>,
    /// The worker holding its lease, if any.
    pub lease_owner: Option<String>,
    /// The current fencing token.
    pub lease_token: i64,
    /// When the lease expires (store clock).
    pub lease_expires_ms: Option<i64>,
}

/// A step as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct StepSummary {
    /// Its position in the spec.
    pub idx: i64,
    /// Its id.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// Its group.
    pub group: Option<String>,
    /// Its node.
    pub node: Option<String>,
    /// Its state.
    pub state: StepState,
    /// Attempts made (over all runs).
    pub attempts: i64,
    /// When it last started.
    pub started_ms: Option<i64>,
    /// When it ended.
    pub ended_ms: Option<i64>,
    /// Its output (succeeded steps).
    pub output: Option<serde_json::Value>,
    /// Its error (failed steps).
    pub error: Option<String>,
    /// Why it was skipped or interrupted.
    pub reason: Option<String>,
    /// The gate that accepted its failure.
    pub tolerated_by: Option<String>,
    /// The journal entry of an intent without result (a side effect of unknown outcome).
    pub open_intent: Option<i64>,
}

/// An action with all its steps.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionDetail {
    /// The action.
    pub action: ActionSummary,
    /// Its steps, in spec order.
    pub steps: Vec<StepSummary>,
}

/// Which actions `list` returns.
#[derive(Clone, Debug, Default)]
pub struct ActionFilter {
    /// Only this site's.
    pub site: Option<String>,
    /// Only in these states (empty: all).
    pub states: Vec<ActionState>,
    /// At most this many, newest first.
    pub limit: Option<u32>,
}

/// Which journal entries `logs` returns.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    /// Only this step's.
    pub step: Option<String>,
    /// Only entries after this sequence number (to follow a journal).
    pub after_seq: Option<i64>,
    /// At most this many, oldest first.
    pub limit: Option<u32>,
}

/// One journal entry.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalRecord {
    /// Its sequence number (increasing).
    pub seq: i64,
    /// When (ms since the epoch, store clock).
    pub at_ms: i64,
    /// The step, for step entries.
    pub step_id: Option<String>,
    /// What happened.
    pub kind: EntryKind,
    /// The new state (action or step), for state entries.
    pub state: Option<String>,
    /// The attempt (or the fencing token of a claim).
    pub attempt: Option<i64>,
    /// For a result: its intent's sequence number.
    pub ref_seq: Option<i64>,
    /// Text for people.
    pub message: String,
    /// Data: an intent's op, a result's output, a step's output.
    pub data: Option<serde_json::Value>,
    /// The fencing token of the writer.
    pub token: Option<i64>,
}

/// A step as a worker loads it.
#[derive(Clone, Debug)]
pub(crate) struct LoadedStep {
    pub spec: StepSpec,
    pub state: StepState,
    pub attempts: u32,
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    pub tolerated: bool,
    /// The open intent: its op and when it was journaled.
    pub open_intent: Option<(serde_json::Value, i64)>,
}

/// An action as a worker loads it.
#[derive(Clone, Debug)]
pub(crate) struct LoadedAction {
    pub summary: ActionSummary,
    pub limits: Limits,
    pub steps: Vec<LoadedStep>,
    /// The store's clock when loaded.
    pub now_ms: i64,
}

const ACTION_COLUMNS: &str = "id, kind, site, revision_id, snapshot_id, params, state, control, \
     error, step_count, created_ms, updated_ms, started_ms, ended_ms, lease_owner, lease_token, \
     lease_expires_ms";

fn decode_error(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Decode {
        what: what.to_string(),
        detail: error.to_string(),
    }
}

fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    row.try_get(column)
        .map_err(|error| decode_error(&format!("column {column}"), error))
}

fn json_column(row: &AnyRow, column: &str) -> Result<Option<serde_json::Value>, StoreError> {
    let text: Option<String> = get(row, column)?;
    text.map(|text| serde_json::from_str(&text).map_err(|error| decode_error(column, error)))
        .transpose()
}

pub(super) fn action_from_row(row: &AnyRow) -> Result<ActionSummary, StoreError> {
    let state: String = get(row, "state")?;
    let control: Option<String> = get(row, "control")?;
    Ok(ActionSummary {
        id: get(row, "id")?,
        kind: get(row, "kind")?,
        site: get(row, "site")?,
        revision_id: get(row, "revision_id")?,
        snapshot_id: get(row, "snapshot_id")?,
        params: json_column(row, "params")?.unwrap_or_default(),
        state: ActionState::from_name(&state)
            .ok_or_else(|| decode_error("action state", &state))?,
        control: control.as_deref().and_then(Control::from_name),
        error: get(row, "error")?,
        step_count: get(row, "step_count")?,
        created_ms: get(row, "created_ms")?,
        updated_ms: get(row, "updated_ms")?,
        started_ms: get(row, "started_ms")?,
        ended_ms: get(row, "ended_ms")?,
        lease_owner: get(row, "lease_owner")?,
        lease_token: get(row, "lease_token")?,
        lease_expires_ms: get(row, "lease_expires_ms")?,
    })
}

fn step_state(text: &str) -> Result<StepState, StoreError> {
    StepState::from_name(text).ok_or_else(|| decode_error("step state", text))
}

impl Store {
    /// One action.
    pub async fn action(&self, id: &str) -> Result<ActionSummary, StoreError> {
        let sql = format!("SELECT {ACTION_COLUMNS} FROM actions WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(db(self, "reading an action"))?
            .ok_or_else(|| StoreError::ActionNotFound(id.to_string()))?;
        action_from_row(&row)
    }

    /// Actions, newest first.
    pub async fn list(&self, filter: &ActionFilter) -> Result<Vec<ActionSummary>, StoreError> {
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE ($1 IS NULL OR site = $1) \
             ORDER BY created_ms DESC, id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(filter.site.as_deref())
            .fetch_all(self.pool())
            .await
            .map_err(db(self, "listing actions"))?;
        let mut actions = Vec::new();
        for row in &rows {
            let action = action_from_row(row)?;
            if filter.states.is_empty() || filter.states.contains(&action.state) {
                actions.push(action);
                if filter
                    .limit
                    .is_some_and(|limit| actions.len() >= limit as usize)
                {
                    break;
                }
            }
        }
        Ok(actions)
    }

    /// An action with all its steps (one query each).
    pub async fn show(&self, id: &str) -> Result<ActionDetail, StoreError> {
        let action = self.action(id).await?;
        let rows = sqlx::query(
            "SELECT idx, step_id, kind, title, grp, node, state, attempts, started_ms, \
             ended_ms, output, error, reason, tolerated_by, open_intent \
             FROM steps WHERE action_id = $1 ORDER BY idx",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(db(self, "reading steps"))?;
        let mut steps = Vec::with_capacity(rows.len());
        for row in &rows {
            let state: String = get(row, "state")?;
            steps.push(StepSummary {
                idx: get(row, "idx")?,
                id: get(row, "step_id")?,
                kind: get(row, "kind")?,
                title: get(row, "title")?,
                group: get(row, "grp")?,
                node: get(row, "node")?,
                state: step_state(&state)?,
                attempts: get(row, "attempts")?,
                started_ms: get(row, "started_ms")?,
                ended_ms: get(row, "ended_ms")?,
                output: json_column(row, "output")?,
                error: get(row, "error")?,
                reason: get(row, "reason")?,
                tolerated_by: get(row, "tolerated_by")?,
                open_intent: get(row, "open_intent")?,
            });
        }
        Ok(ActionDetail { action, steps })
    }

    /// Journal entries of an action, oldest first.
    pub async fn logs(
        &self,
        id: &str,
        filter: &LogFilter,
    ) -> Result<Vec<JournalRecord>, StoreError> {
        self.action(id).await?;
        let rows = sqlx::query(
            "SELECT seq, at_ms, step_id, kind, state, attempt, ref_seq, message, data, token \
             FROM journal WHERE action_id = $1 AND ($2 IS NULL OR step_id = $2) \
             AND seq > $3 ORDER BY seq LIMIT $4",
        )
        .bind(id)
        .bind(filter.step.as_deref())
        .bind(filter.after_seq.unwrap_or(0))
        .bind(filter.limit.map_or(i64::MAX, i64::from))
        .fetch_all(self.pool())
        .await
        .map_err(db(self, "reading the journal"))?;
        rows.iter().map(journal_from_row).collect()
    }

    /// The full spec of every step of an action, in order.
    pub async fn step_specs(&self, id: &str) -> Result<Vec<StepSpec>, StoreError> {
        let texts: Vec<String> =
            sqlx::query_scalar("SELECT spec FROM steps WHERE action_id = $1 ORDER BY idx")
                .bind(id)
                .fetch_all(self.pool())
                .await
                .map_err(db(self, "reading step specs"))?;
        texts
            .iter()
            .map(|text| {
                serde_json::from_str(text).map_err(|error| decode_error("step spec", error))
            })
            .collect()
    }

    /// The last intent journaled for step `step` of action `id`: its op and when.
    async fn last_intent(
        &self,
        id: &str,
        step: &str,
    ) -> Result<Option<(serde_json::Value, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT data, at_ms FROM journal WHERE action_id = $1 AND step_id = $2 \
             AND kind = $3 ORDER BY seq DESC LIMIT 1",
        )
        .bind(id)
        .bind(step)
        .bind(EntryKind::Intent.name())
        .fetch_optional(self.pool())
        .await
        .map_err(db(self, "reading a step's last intent"))?;
        match row {
            Some(row) => Ok(Some((
                json_column(&row, "data")?.unwrap_or_default(),
                get(&row, "at_ms")?,
            ))),
            None => Ok(None),
        }
    }

    /// Everything a worker needs to (re)start an action.
    pub(crate) async fn load(&self, id: &str) -> Result<LoadedAction, StoreError> {
        let summary = self.action(id).await?;
        let limits_text: String = sqlx::query_scalar("SELECT limits FROM actions WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await
            .map_err(db(self, "reading limits"))?;
        let limits: Limits =
            serde_json::from_str(&limits_text).map_err(|error| decode_error("limits", error))?;
        let rows = sqlx::query(
            "SELECT s.spec, s.state, s.attempts, s.output, s.error, s.tolerated_by, \
             j.data AS intent_data, j.at_ms AS intent_at \
             FROM steps s LEFT JOIN journal j ON j.seq = s.open_intent \
             WHERE s.action_id = $1 ORDER BY s.idx",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(db(self, "loading steps"))?;
        let mut steps = Vec::with_capacity(rows.len());
        for row in &rows {
            let spec_text: String = get(row, "spec")?;
            let state: String = get(row, "state")?;
            let tolerated: Option<String> = get(row, "tolerated_by")?;
            let intent_at: Option<i64> = get(row, "intent_at")?;
            let spec: StepSpec = serde_json::from_str(&spec_text)
                .map_err(|error| decode_error("step spec", error))?;
            let state = step_state(&state)?;
            let open_intent = match intent_at {
                Some(at) => Some((json_column(row, "intent_data")?.unwrap_or_default(), at)),
                // A step cut short after a side effect was acknowledged (its result is
                // journaled, its end is not): the effect may not show yet (a BMC applies
                // power changes seconds later), so the step gets it as pending too and
                // waits for it to converge instead of requesting it again.
                None if state == StepState::Running => self.last_intent(id, &spec.id).await?,
                None => None,
            };
            steps.push(LoadedStep {
                spec,
                state,
                attempts: u32::try_from(get::<i64>(row, "attempts")?).unwrap_or(u32::MAX),
                output: json_column(row, "output")?,
                error: get(row, "error")?,
                tolerated: tolerated.is_some(),
                open_intent,
            });
        }
        let now_ms = self.now_ms().await?;
        Ok(LoadedAction {
            summary,
            limits,
            steps,
            now_ms,
        })
    }
}

fn journal_from_row(row: &AnyRow) -> Result<JournalRecord, StoreError> {
    let kind: String = get(row, "kind")?;
    Ok(JournalRecord {
        seq: get(row, "seq")?,
        at_ms: get(row, "at_ms")?,
        step_id: get(row, "step_id")?,
        kind: EntryKind::from_name(&kind)
            .ok_or_else(|| decode_error("journal entry kind", &kind))?,
        state: get(row, "state")?,
        attempt: get(row, "attempt")?,
        ref_seq: get(row, "ref_seq")?,
        message: get(row, "message")?,
        data: json_column(row, "data")?,
        token: get(row, "token")?,
    })
}

/// Every table of the schema.
const TABLES: [&str; 10] = [
    "aero_meta",
    "_sqlx_migrations",
    "workers",
    "actions",
    "steps",
    "journal",
    "snapshots",
    "site_facts",
    "deployments",
    "phone_home",
];

/// Every value of every row of every table, as `(table, text)`.
pub(super) async fn dump_all_text(store: &Store) -> Result<Vec<(String, String)>, StoreError> {
    use sqlx::Column;
    let mut out = Vec::new();
    for table in TABLES {
        let sql = if table == "_sqlx_migrations" {
            // Its timestamp column has no portable decoding: read it as text.
            "SELECT version, description, CAST(installed_on AS TEXT) AS installed_on, \
             CAST(success AS TEXT) AS success, \
             checksum, execution_time FROM _sqlx_migrations"
                .to_string()
        } else {
            format!("SELECT * FROM {table}")
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(store.pool())
            .await
            .map_err(db(store, "dumping a table"))?;
        for row in &rows {
            for column in row.columns() {
                let index = column.ordinal();
                let text = if let Ok(value) = row.try_get::<Option<String>, _>(index) {
                    value.unwrap_or_default()
                } else if let Ok(value) = row.try_get::<Option<i64>, _>(index) {
                    value.map(|n| n.to_string()).unwrap_or_default()
                } else if let Ok(value) = row.try_get::<Option<Vec<u8>>, _>(index) {
                    String::from_utf8_lossy(&value.unwrap_or_default()).into_owned()
                } else if let Ok(value) = row.try_get::<Option<bool>, _>(index) {
                    value.map(|b| b.to_string()).unwrap_or_default()
                } else {
                    return Err(decode_error(
                        &format!("{table}.{}", column.name()),
                        "unexpected column type",
                    ));
                };
                out.push((table.to_string(), text));
            }
        }
    }
    Ok(out)
}
