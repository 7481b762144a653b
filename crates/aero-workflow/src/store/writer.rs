//! The journal writer: one task per store handle that group-commits fenced writes.
//!
//! Requests are applied in the order they were sent. A *lazy* request (step started,
//! attempt, result, waiting, message, ...) waits at most the flush interval for company;
//! a *durable* request (an intent, a step's end, an action's state) is committed at once,
//! together with everything queued before it, and its sender waits for the commit. Since
//! every commit is synced (see the store's durability notes), a durable write is on disk
//! when `write` returns, and so is every write sent before it.
//!
//! Fencing: every request carries its worker's [`Fence`] (action, worker, token). In the
//! same transaction as the writes, a guard reads the action's lease (locking its row on
//! PostgreSQL); a request whose token is no longer current writes nothing and fails with
//! `LeaseLost`, and its fence is marked lost so the executor stops.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use aero_error::Classify;
use aero_redact::SharedRedactor;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{mpsc, oneshot, watch};

use super::Dialect;
use crate::error::StoreError;
use crate::events::EntryKind;
use crate::state::StepState;

/// Most requests in one transaction.
const MAX_BATCH: usize = 2048;

/// Whether a fence still holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FenceStatus {
    /// Every write so far went through.
    Valid,
    /// Another worker took the action over.
    Lost,
    /// A write failed for another reason (message).
    Failed(String),
}

/// A worker's lease on one action, carried by each of its writes.
#[derive(Clone)]
pub(crate) struct Fence {
    inner: Arc<FenceInner>,
}

struct FenceInner {
    action_id: String,
    worker_id: String,
    token: i64,
    status: watch::Sender<FenceStatus>,
}

impl Fence {
    pub(crate) fn new(action_id: &str, worker_id: &str, token: i64) -> Fence {
        Fence {
            inner: Arc::new(FenceInner {
                action_id: action_id.to_string(),
                worker_id: worker_id.to_string(),
                token,
                status: watch::Sender::new(FenceStatus::Valid),
            }),
        }
    }

    pub(crate) fn action_id(&self) -> &str {
        &self.inner.action_id
    }

    pub(crate) fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    pub(crate) fn token(&self) -> i64 {
        self.inner.token
    }

    pub(crate) fn status(&self) -> FenceStatus {
        self.inner.status.borrow().clone()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<FenceStatus> {
        self.inner.status.subscribe()
    }

    /// Records a failure (the first one wins).
    pub(crate) fn mark(&self, status: FenceStatus) {
        self.inner.status.send_if_modified(|current| {
            if *current == FenceStatus::Valid && status != FenceStatus::Valid {
                *current = status;
                true
            } else {
                false
            }
        });
    }

    pub(crate) fn lost_error(&self) -> StoreError {
        StoreError::LeaseLost {
            action: self.inner.action_id.clone(),
            token: self.inner.token,
        }
    }
}

/// A journal row to append (text is scrubbed by the writer).
#[derive(Clone, Debug)]
pub(crate) struct NewEntry {
    pub step_id: Option<String>,
    pub kind: EntryKind,
    pub state: Option<&'static str>,
    pub attempt: Option<u32>,
    pub ref_seq: Option<i64>,
    pub message: String,
    pub data: Option<serde_json::Value>,
}

impl NewEntry {
    pub(crate) fn new(
        kind: EntryKind,
        step_id: Option<&str>,
        message: impl Into<String>,
    ) -> NewEntry {
        NewEntry {
            step_id: step_id.map(str::to_string),
            kind,
            state: None,
            attempt: None,
            ref_seq: None,
            message: message.into(),
            data: None,
        }
    }
}

/// One write of a fenced request.
#[derive(Clone, Debug)]
pub(crate) enum WriteOp {
    /// Appends a journal entry.
    Entry(NewEntry),
    /// Appends an intent and records it as the step's open intent.
    Intent { idx: i64, entry: NewEntry },
    /// Appends a result and closes the step's open intent.
    Result { idx: i64, entry: NewEntry },
    /// The step starts (or restarts): running, start time now, previous end cleared.
    StepStarted { idx: i64 },
    /// The step's attempt count.
    StepAttempts { idx: i64, attempts: u32 },
    /// The step ended.
    StepEnded {
        idx: i64,
        state: StepState,
        output: Option<serde_json::Value>,
        error: Option<String>,
        reason: Option<String>,
    },
    /// The step's state only (cancelled, skipped, reset).
    StepState {
        idx: i64,
        state: StepState,
        reason: Option<String>,
    },
    /// A gate (`by`) accepted the failures of steps `idxs`.
    Tolerate { idxs: Vec<i64>, by: String },
    /// The action started running (first time only).
    ActionStarted,
    /// A site fact.
    Fact {
        site: String,
        domain: String,
        key: String,
        value: serde_json::Value,
    },
    /// Removes a site fact.
    DeleteFact {
        site: String,
        domain: String,
        key: String,
    },
}

struct Request {
    fence: Option<Fence>,
    ops: Vec<WriteOp>,
    durable: bool,
    reply: Option<oneshot::Sender<Result<Vec<i64>, StoreError>>>,
}

/// Sends requests to the writer task.
#[derive(Clone)]
pub(crate) struct Handle {
    sender: mpsc::UnboundedSender<Request>,
}

fn stopped() -> StoreError {
    StoreError::Write {
        message: "the journal writer stopped".to_string(),
        class: aero_error::ErrorClass::Permanent,
    }
}

impl Handle {
    /// Sends `ops` and waits for their commit; returns the journal sequence numbers of
    /// the entries appended, in order. `durable` commits at once.
    pub(crate) async fn write(
        &self,
        fence: Option<Fence>,
        ops: Vec<WriteOp>,
        durable: bool,
    ) -> Result<Vec<i64>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Request {
                fence,
                ops,
                durable,
                reply: Some(reply),
            })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Sends `ops` without waiting; a failure marks the fence.
    pub(crate) fn write_lazy(&self, fence: Fence, ops: Vec<WriteOp>) {
        let failed = fence.clone();
        if self
            .sender
            .send(Request {
                fence: Some(fence),
                ops,
                durable: false,
                reply: None,
            })
            .is_err()
        {
            failed.mark(FenceStatus::Failed(stopped().to_string()));
        }
    }
}

/// Starts the writer task of a store.
pub(crate) fn spawn(
    pool: AnyPool,
    dialect: Dialect,
    flush_interval: Duration,
    redactor: SharedRedactor,
) -> Handle {
    let (sender, receiver) = mpsc::unbounded_channel();
    let writer = Writer {
        pool,
        dialect,
        redactor,
    };
    tokio::spawn(writer.run(receiver, flush_interval));
    Handle { sender }
}

struct Writer {
    pool: AnyPool,
    dialect: Dialect,
    redactor: SharedRedactor,
}

impl Writer {
    async fn run(self, mut receiver: mpsc::UnboundedReceiver<Request>, flush_interval: Duration) {
        while let Some(first) = receiver.recv().await {
            let mut batch = vec![first];
            if !batch[0].durable {
                let deadline = tokio::time::Instant::now() + flush_interval;
                while batch.len() < MAX_BATCH && !batch.last().is_some_and(|r| r.durable) {
                    match tokio::time::timeout_at(deadline, receiver.recv()).await {
                        Ok(Some(request)) => batch.push(request),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            self.commit(batch).await;
        }
    }

    async fn commit(&self, batch: Vec<Request>) {
        match self.apply(&batch).await {
            Ok(outcomes) => {
                for (request, outcome) in batch.into_iter().zip(outcomes) {
                    if let (Err(_), Some(fence)) = (&outcome, &request.fence) {
                        fence.mark(FenceStatus::Lost);
                    }
                    if let Some(reply) = request.reply {
                        let _ = reply.send(outcome);
                    }
                }
            }
            Err(error) => {
                let message = error.to_string();
                let class = error.class();
                tracing::error!(error = %message, "journal batch failed");
                for request in batch {
                    if let Some(fence) = &request.fence {
                        fence.mark(FenceStatus::Failed(message.clone()));
                    }
                    if let Some(reply) = request.reply {
                        let _ = reply.send(Err(StoreError::Write {
                            message: message.clone(),
                            class,
                        }));
                    }
                }
            }
        }
    }

    /// Applies a batch in one transaction: per request, its sequence numbers or
    /// `LeaseLost`.
    ///
    /// Round trips are what a batch costs (sqlx's SQLite driver runs each statement on
    /// the connection's own thread), so journal entries are inserted many rows per
    /// statement, and the changes to one step's row are folded into one `UPDATE`.
    async fn apply(
        &self,
        batch: &[Request],
    ) -> Result<Vec<Result<Vec<i64>, StoreError>>, StoreError> {
        if batch.iter().all(|request| request.ops.is_empty()) {
            // Only barriers: everything before them is committed already.
            return Ok(batch.iter().map(|_| Ok(Vec::new())).collect());
        }
        let mut transaction = self
            .pool
            .begin_with(self.dialect.begin_write())
            .await
            .map_err(|error| StoreError::database("beginning a journal batch", error))?;
        let mut valid: HashMap<(String, i64), bool> = HashMap::new();
        let mut fences: Vec<&Fence> = batch.iter().filter_map(|r| r.fence.as_ref()).collect();
        fences.sort_by(|a, b| a.action_id().cmp(b.action_id()));
        for fence in fences {
            let key = (fence.action_id().to_string(), fence.token());
            if valid.contains_key(&key) {
                continue;
            }
            let holds = sqlx::query(self.dialect.fence_guard())
                .bind(fence.action_id())
                .bind(fence.worker_id())
                .bind(fence.token())
                .fetch_optional(&mut *transaction)
                .await
                .map_err(|error| StoreError::database("checking the lease", error))?
                .is_some();
            valid.insert(key, holds);
        }
        let mut folded = Folded::default();
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut kinds = Vec::new();
        for request in batch {
            let fence = match &request.fence {
                Some(fence) => fence,
                None => {
                    outcomes.push(Ok(Vec::new()));
                    continue;
                }
            };
            if !valid[&(fence.action_id().to_string(), fence.token())] {
                outcomes.push(Err(fence.lost_error()));
                continue;
            }
            let mut sequence_numbers = Vec::new();
            for op in &request.ops {
                if let WriteOp::Entry(entry)
                | WriteOp::Intent { entry, .. }
                | WriteOp::Result { entry, .. } = op
                {
                    kinds.push(entry.kind);
                }
                if let Some(seq) = self
                    .apply_op(&mut transaction, &mut folded, fence, op)
                    .await?
                {
                    sequence_numbers.push(seq);
                }
            }
            outcomes.push(Ok(sequence_numbers));
        }
        self.insert_entries(&mut transaction, &mut folded.entries)
            .await?;
        for ((action, idx), change) in &folded.steps {
            self.update_step(&mut transaction, action, *idx, change)
                .await?;
        }
        transaction
            .commit()
            .await
            .map_err(|error| StoreError::database("committing a journal batch", error))?;
        crate::crash::after_commit(&kinds);
        Ok(outcomes)
    }

    /// Inserts the buffered journal entries, in order, many rows per statement.
    async fn insert_entries(
        &self,
        transaction: &mut Transaction<'static, Any>,
        entries: &mut Vec<(String, i64, NewEntry)>,
    ) -> Result<(), StoreError> {
        let mut rest: &[(String, i64, NewEntry)] = entries;
        while !rest.is_empty() {
            let (rows, sql) = bulk_insert_sql(self.dialect, rest.len());
            let (chunk, tail) = rest.split_at(rows);
            let mut query = sqlx::query(sql);
            for (action, token, entry) in chunk {
                query = query
                    .bind(action.as_str())
                    .bind(entry.step_id.as_deref())
                    .bind(entry.kind.name())
                    .bind(entry.state)
                    .bind(entry.attempt.map(i64::from))
                    .bind(entry.ref_seq)
                    .bind(crate::scrub::text(&self.redactor, &entry.message))
                    .bind(
                        entry
                            .data
                            .as_ref()
                            .map(|data| crate::scrub::json_text(&self.redactor, data)),
                    )
                    .bind(*token);
            }
            query
                .execute(&mut **transaction)
                .await
                .map_err(|error| StoreError::database("appending to the journal", error))?;
            rest = tail;
        }
        entries.clear();
        Ok(())
    }

    /// Appends one entry at once and returns its sequence number (for intents).
    async fn append(
        &self,
        transaction: &mut Transaction<'static, Any>,
        fence: &Fence,
        entry: &NewEntry,
    ) -> Result<i64, StoreError> {
        let scrub = |text: &str| crate::scrub::text(&self.redactor, text);
        sqlx::query_scalar::<Any, i64>(
            "INSERT INTO journal (action_id, step_id, at_ms, kind, state, attempt, ref_seq, \
             message, data, token) \
             VALUES ($1, $2, (SELECT now_ms FROM aero_clock), $3, $4, $5, $6, $7, $8, $9) \
             RETURNING seq",
        )
        .bind(fence.action_id())
        .bind(entry.step_id.as_deref())
        .bind(entry.kind.name())
        .bind(entry.state)
        .bind(entry.attempt.map(i64::from))
        .bind(entry.ref_seq)
        .bind(scrub(&entry.message))
        .bind(
            entry
                .data
                .as_ref()
                .map(|data| crate::scrub::json_text(&self.redactor, data)),
        )
        .bind(fence.token())
        .fetch_one(&mut **transaction)
        .await
        .map_err(|error| StoreError::database("appending to the journal", error))
    }

    /// Applies the folded changes of one step's row.
    async fn update_step(
        &self,
        transaction: &mut Transaction<'static, Any>,
        action: &str,
        idx: i64,
        change: &StepChange,
    ) -> Result<(), StoreError> {
        let scrub = |text: &Option<String>| {
            text.as_deref()
                .map(|text| crate::scrub::text(&self.redactor, text))
        };
        let flag = |value: bool| i64::from(value);
        sqlx::query(
            "UPDATE steps SET state = COALESCE($3, state), attempts = COALESCE($4, attempts), \
             started_ms = CASE WHEN $5 = 1 THEN (SELECT now_ms FROM aero_clock) ELSE started_ms END, \
             ended_ms = CASE WHEN $6 = 1 THEN (SELECT now_ms FROM aero_clock) \
                             WHEN $6 = 2 THEN NULL ELSE ended_ms END, \
             output = CASE WHEN $7 = 1 THEN $8 ELSE output END, \
             error = CASE WHEN $9 = 1 THEN $10 ELSE error END, \
             reason = CASE WHEN $11 = 1 THEN $12 ELSE reason END, \
             tolerated_by = COALESCE($13, tolerated_by), \
             open_intent = CASE WHEN $14 = 1 THEN $15 ELSE open_intent END \
             WHERE action_id = $1 AND idx = $2",
        )
        .bind(action)
        .bind(idx)
        .bind(change.state.map(StepState::name))
        .bind(change.attempts.map(i64::from))
        .bind(flag(change.started))
        .bind(match change.ended {
            None => 0i64,
            Some(true) => 1,
            Some(false) => 2,
        })
        .bind(flag(change.output.is_some()))
        .bind(change.output.clone().flatten())
        .bind(flag(change.error.is_some()))
        .bind(change.error.as_ref().and_then(scrub))
        .bind(flag(change.reason.is_some()))
        .bind(change.reason.as_ref().and_then(scrub))
        .bind(change.tolerated_by.as_ref().map(|by| crate::scrub::text(&self.redactor, by)))
        .bind(flag(change.open_intent.is_some()))
        .bind(change.open_intent.flatten())
        .execute(&mut **transaction)
        .await
        .map_err(|error| StoreError::database("updating a step", error))?;
        Ok(())
    }

    async fn apply_op(
        &self,
        transaction: &mut Transaction<'static, Any>,
        folded: &mut Folded,
        fence: &Fence,
        op: &WriteOp,
    ) -> Result<Option<i64>, StoreError> {
        let action = fence.action_id();
        let scrub = |text: &str| crate::scrub::text(&self.redactor, text);
        let scrub_json = |value: &serde_json::Value| crate::scrub::json_text(&self.redactor, value);
        let failed = |operation| move |error| StoreError::database(operation, error);
        let buffer = |folded: &mut Folded, entry: &NewEntry| {
            folded
                .entries
                .push((action.to_string(), fence.token(), entry.clone()));
        };
        match op {
            WriteOp::Entry(entry) => buffer(folded, entry),
            WriteOp::Intent { idx, entry } => {
                // Its sequence number is needed now: what was buffered goes first.
                self.insert_entries(transaction, &mut folded.entries)
                    .await?;
                let seq = self.append(transaction, fence, entry).await?;
                folded.step(action, *idx).open_intent = Some(Some(seq));
                return Ok(Some(seq));
            }
            WriteOp::Result { idx, entry } => {
                buffer(folded, entry);
                folded.step(action, *idx).open_intent = Some(None);
            }
            WriteOp::StepStarted { idx } => {
                let change = folded.step(action, *idx);
                change.state = Some(StepState::Running);
                change.started = true;
                change.ended = Some(false);
                change.output = Some(None);
                change.error = Some(None);
                change.reason = Some(None);
            }
            WriteOp::StepAttempts { idx, attempts } => {
                folded.step(action, *idx).attempts = Some(*attempts);
            }
            WriteOp::StepEnded {
                idx,
                state,
                output,
                error,
                reason,
            } => {
                let change = folded.step(action, *idx);
                change.state = Some(*state);
                change.ended = Some(true);
                change.output = Some(output.as_ref().map(scrub_json));
                change.error = Some(error.clone());
                change.reason = Some(reason.clone());
                if *state == StepState::Succeeded {
                    change.open_intent = Some(None);
                }
            }
            WriteOp::StepState { idx, state, reason } => {
                let change = folded.step(action, *idx);
                change.state = Some(*state);
                if reason.is_some() {
                    change.reason = Some(reason.clone());
                }
            }
            WriteOp::Tolerate { idxs, by } => {
                for idx in idxs {
                    folded.step(action, *idx).tolerated_by = Some(by.clone());
                }
            }
            WriteOp::ActionStarted => {
                sqlx::query(
                    "UPDATE actions SET started_ms = COALESCE(started_ms, (SELECT now_ms FROM aero_clock)) \
                     WHERE id = $1",
                )
                .bind(action)
                .execute(&mut **transaction)
                .await
                .map_err(failed("starting the action"))?;
            }
            WriteOp::Fact {
                site,
                domain,
                key,
                value,
            } => {
                sqlx::query(
                    "INSERT INTO site_facts (site, domain, key, value, action_id, updated_ms) \
                     VALUES ($1, $2, $3, $4, $5, (SELECT now_ms FROM aero_clock)) \
                     ON CONFLICT (site, domain, key) DO UPDATE SET value = excluded.value, \
                     action_id = excluded.action_id, updated_ms = excluded.updated_ms",
                )
                .bind(scrub(site))
                .bind(scrub(domain))
                .bind(scrub(key))
                .bind(scrub_json(value))
                .bind(action)
                .execute(&mut **transaction)
                .await
                .map_err(failed("writing a site fact"))?;
            }
            WriteOp::DeleteFact { site, domain, key } => {
                sqlx::query("DELETE FROM site_facts WHERE site = $1 AND domain = $2 AND key = $3")
                    .bind(scrub(site))
                    .bind(scrub(domain))
                    .bind(scrub(key))
                    .execute(&mut **transaction)
                    .await
                    .map_err(failed("deleting a site fact"))?;
            }
        }
        Ok(None)
    }
}

/// The changes of one batch not yet sent: journal entries (in order) and, per step, its
/// row's changes folded in order.
#[derive(Default)]
struct Folded {
    entries: Vec<(String, i64, NewEntry)>,
    steps: BTreeMap<(String, i64), StepChange>,
}

impl Folded {
    fn step(&mut self, action: &str, idx: i64) -> &mut StepChange {
        self.steps.entry((action.to_string(), idx)).or_default()
    }
}

/// The folded changes of one step's row: `None` keeps a column.
#[derive(Default)]
struct StepChange {
    state: Option<StepState>,
    attempts: Option<u32>,
    /// Sets `started_ms` to now.
    started: bool,
    /// `Some(true)`: `ended_ms` to now; `Some(false)`: cleared.
    ended: Option<bool>,
    /// Already scrubbed JSON text.
    output: Option<Option<String>>,
    error: Option<Option<String>>,
    reason: Option<Option<String>>,
    tolerated_by: Option<String>,
    open_intent: Option<Option<i64>>,
}

/// Rows per multi-row journal insert: a few fixed sizes, so that each connection keeps
/// a handful of prepared statements.
const BULK_ROWS: [usize; 5] = [256, 64, 16, 4, 1];

/// The largest bulk size not above `remaining`, and its statement in `dialect`.
///
/// SQLite gets anonymous `?` parameters: sqlx looks up every parameter's name, and
/// SQLite finds a name by a linear scan of the named ones, which made numbered
/// parameters quadratic in the size of a bulk insert.
fn bulk_insert_sql(dialect: Dialect, remaining: usize) -> (usize, &'static str) {
    fn build(numbered: bool) -> Vec<String> {
        BULK_ROWS
            .iter()
            .map(|&rows| {
                let values: Vec<String> = (0..rows)
                    .map(|row| {
                        let parameter = |n: usize| {
                            if numbered {
                                format!("${}", row * 9 + n)
                            } else {
                                "?".to_string()
                            }
                        };
                        format!(
                            "({}, {}, (SELECT now_ms FROM aero_clock), {}, {}, {}, {}, {}, {}, {})",
                            parameter(1),
                            parameter(2),
                            parameter(3),
                            parameter(4),
                            parameter(5),
                            parameter(6),
                            parameter(7),
                            parameter(8),
                            parameter(9)
                        )
                    })
                    .collect();
                format!(
                    "INSERT INTO journal (action_id, step_id, at_ms, kind, state, attempt, ref_seq, \
                     message, data, token) VALUES {}",
                    values.join(", ")
                )
            })
            .collect()
    }
    static SQLITE: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| build(false));
    static POSTGRES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| build(true));
    let statements = match dialect {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
    };
    let position = BULK_ROWS
        .iter()
        .position(|&rows| rows <= remaining)
        .unwrap_or(BULK_ROWS.len() - 1);
    (BULK_ROWS[position], statements[position].as_str())
}
