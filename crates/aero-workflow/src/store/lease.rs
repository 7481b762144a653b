//! Workers and leases.
//!
//! * A worker claims an action with a compare-and-set on its fencing token: the claim
//!   succeeds only if the token is still the one it saw and the lease is free (never
//!   held, released, expired by the database's clock, or held by a local process known
//!   dead). The claim increments the token, so every later write of the previous holder
//!   fails its guard.
//! * The holder renews the lease (heartbeat) with the same guard; a renewal that finds a
//!   different token means the lease is lost. The renewal also reads the operator's
//!   pending pause or stop request.
//! * The run ends with one transaction that checks the fence, sets the action's state,
//!   records the deployment on success and releases the lease.

use std::time::Duration;

use sqlx::Row;

use super::writer::Fence;
use super::{Dialect, Store, db};
use crate::error::StoreError;
use crate::events::EntryKind;
use crate::identity::ProcessIdentity;
use crate::state::{ActionState, Control};

/// A registered worker process.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerRecord {
    /// Its id.
    pub id: String,
    /// Its process.
    pub identity: ProcessIdentity,
    /// When it registered (store clock).
    pub started_ms: i64,
    /// Its last heartbeat (store clock).
    pub heartbeat_ms: i64,
}

/// An action a worker might claim, with its current lease.
#[derive(Clone, Debug)]
pub(crate) struct LeaseCandidate {
    pub action_id: String,
    pub state: ActionState,
    pub token: i64,
    pub owner: Option<String>,
    /// Milliseconds the lease has left (negative: expired).
    pub remaining_ms: i64,
    pub owner_identity: Option<ProcessIdentity>,
}

/// A successful claim.
#[derive(Clone, Debug)]
pub(crate) struct Claim {
    pub token: i64,
}

/// How a run ended, for [`Store::end_run`].
#[derive(Clone, Debug)]
pub(crate) enum RunEnd {
    /// Every step ended: the action's final state.
    Final {
        state: ActionState,
        error: Option<String>,
    },
    /// The run stopped at a boundary (pause or stop requested).
    Interrupted,
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Registers (or refreshes) a worker process.
    pub(crate) async fn register_worker(
        &self,
        id: &str,
        identity: &ProcessIdentity,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO workers (id, hostname, boot_id, pid_ns, pid, process_start, started_ms, heartbeat_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, (SELECT now_ms FROM aero_clock), (SELECT now_ms FROM aero_clock)) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms",
        )
        .bind(id)
        .bind(self.scrub(&identity.hostname))
        .bind(&identity.boot_id)
        .bind(&identity.pid_ns)
        .bind(i64::from(identity.pid))
        .bind(i64::try_from(identity.start_time).unwrap_or(i64::MAX))
        .execute(self.pool())
        .await
        .map_err(db(self, "registering the worker"))?;
        Ok(())
    }

    /// Records a worker's heartbeat.
    pub(crate) async fn worker_heartbeat(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE workers SET heartbeat_ms = (SELECT now_ms FROM aero_clock) WHERE id = $1",
        )
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(db(self, "recording a worker heartbeat"))?;
        Ok(())
    }

    /// Registered workers.
    pub async fn workers(&self) -> Result<Vec<WorkerRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, hostname, boot_id, pid_ns, pid, process_start, started_ms, heartbeat_ms \
             FROM workers ORDER BY started_ms",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db(self, "listing workers"))?;
        rows.iter()
            .map(|row| {
                Ok(WorkerRecord {
                    id: row.try_get("id").map_err(db(self, "reading a worker"))?,
                    identity: identity_from_row(row, "")?,
                    started_ms: row
                        .try_get("started_ms")
                        .map_err(db(self, "reading a worker"))?,
                    heartbeat_ms: row
                        .try_get("heartbeat_ms")
                        .map_err(db(self, "reading a worker"))?,
                })
            })
            .collect()
    }

    /// Actions in a claimable state (one, or all), oldest first, with their leases.
    pub(crate) async fn lease_candidates(
        &self,
        action: Option<&str>,
    ) -> Result<Vec<LeaseCandidate>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.state, a.lease_token, a.lease_owner, \
             COALESCE(a.lease_expires_ms - (SELECT now_ms FROM aero_clock), -1) AS remaining_ms, \
             w.hostname AS w_hostname, w.boot_id AS w_boot_id, w.pid_ns AS w_pid_ns, \
             w.pid AS w_pid, w.process_start AS w_process_start \
             FROM actions a LEFT JOIN workers w ON w.id = a.lease_owner \
             WHERE a.state IN ('pending', 'running', 'stopping') AND ($1 IS NULL OR a.id = $1) \
             ORDER BY a.created_ms, a.id",
        )
        .bind(action)
        .fetch_all(self.pool())
        .await
        .map_err(db(self, "finding claimable actions"))?;
        let mut candidates = Vec::with_capacity(rows.len());
        for row in &rows {
            let state: String = row.try_get("state").map_err(db(self, "reading a lease"))?;
            let hostname: Option<String> = row
                .try_get("w_hostname")
                .map_err(db(self, "reading a lease"))?;
            candidates.push(LeaseCandidate {
                action_id: row.try_get("id").map_err(db(self, "reading a lease"))?,
                state: ActionState::from_name(&state).unwrap_or(ActionState::Running),
                token: row
                    .try_get("lease_token")
                    .map_err(db(self, "reading a lease"))?,
                owner: row
                    .try_get("lease_owner")
                    .map_err(db(self, "reading a lease"))?,
                remaining_ms: row
                    .try_get("remaining_ms")
                    .map_err(db(self, "reading a lease"))?,
                owner_identity: match hostname {
                    Some(_) => Some(identity_from_row(row, "w_")?),
                    None => None,
                },
            });
        }
        Ok(candidates)
    }

    /// Claims `candidate` for `worker_id` if its lease is still as seen and free;
    /// `dead_owner` is the owner this process found dead. `None` when another worker won.
    pub(crate) async fn claim(
        &self,
        candidate: &LeaseCandidate,
        worker_id: &str,
        ttl: Duration,
        dead_owner: Option<&str>,
    ) -> Result<Option<Claim>, StoreError> {
        let mut transaction = self.begin().await?;
        let token: Option<i64> = sqlx::query_scalar(
            "UPDATE actions SET lease_owner = $2, lease_token = lease_token + 1, \
             lease_expires_ms = (SELECT now_ms FROM aero_clock) + $3, \
             state = CASE WHEN state = 'pending' THEN 'running' ELSE state END, \
             updated_ms = (SELECT now_ms FROM aero_clock) \
             WHERE id = $1 AND lease_token = $4 AND state IN ('pending', 'running', 'stopping') \
             AND (lease_owner IS NULL OR lease_expires_ms < (SELECT now_ms FROM aero_clock) \
                  OR lease_owner = $5) \
             RETURNING lease_token",
        )
        .bind(&candidate.action_id)
        .bind(worker_id)
        .bind(millis(ttl))
        .bind(candidate.token)
        .bind(dead_owner.unwrap_or(""))
        .fetch_optional(&mut *transaction)
        .await
        .map_err(db(self, "claiming an action"))?;
        let Some(token) = token else {
            let _ = transaction.rollback().await;
            return Ok(None);
        };
        let how = match (&candidate.owner, dead_owner) {
            (None, _) => String::new(),
            (Some(owner), Some(_)) => format!(" from dead worker {owner}"),
            (Some(owner), None) => format!(" from worker {owner} (lease expired)"),
        };
        sqlx::query(
            "INSERT INTO journal (action_id, at_ms, kind, state, attempt, message, token) \
             VALUES ($1, (SELECT now_ms FROM aero_clock), $2, 'running', $3, $4, $3)",
        )
        .bind(&candidate.action_id)
        .bind(EntryKind::Claimed.name())
        .bind(token)
        .bind(self.scrub(&format!(
            "claimed by worker {worker_id}{how} (fencing token {token})"
        )))
        .execute(&mut *transaction)
        .await
        .map_err(db(self, "journaling a claim"))?;
        transaction
            .commit()
            .await
            .map_err(db(self, "claiming an action"))?;
        Ok(Some(Claim { token }))
    }

    /// Renews a lease; `Ok(None)` when it was lost, else the pending operator request.
    pub(crate) async fn renew(
        &self,
        fence: &Fence,
        ttl: Duration,
    ) -> Result<Option<Option<Control>>, StoreError> {
        let row = sqlx::query(
            "UPDATE actions SET lease_expires_ms = (SELECT now_ms FROM aero_clock) + $4 \
             WHERE id = $1 AND lease_owner = $2 AND lease_token = $3 RETURNING control",
        )
        .bind(fence.action_id())
        .bind(fence.worker_id())
        .bind(fence.token())
        .bind(millis(ttl))
        .fetch_optional(self.pool())
        .await
        .map_err(db(self, "renewing a lease"))?;
        match row {
            None => Ok(None),
            Some(row) => {
                let control: Option<String> = row
                    .try_get("control")
                    .map_err(db(self, "renewing a lease"))?;
                Ok(Some(control.as_deref().and_then(Control::from_name)))
            }
        }
    }

    /// Releases a lease without changing the action (another worker may claim it at once).
    pub(crate) async fn release(&self, fence: &Fence) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE actions SET lease_owner = NULL, lease_expires_ms = NULL \
             WHERE id = $1 AND lease_owner = $2 AND lease_token = $3",
        )
        .bind(fence.action_id())
        .bind(fence.worker_id())
        .bind(fence.token())
        .execute(self.pool())
        .await
        .map_err(db(self, "releasing a lease"))?;
        Ok(())
    }

    /// Ends a run: checks the fence, sets the action's state (for an interrupted run, from
    /// the operator's request: stop → Stopped, pause → Paused, none → Pending), records the
    /// deployment of a successful action, and releases the lease; one transaction.
    /// Call after flushing the journal.
    pub(crate) async fn end_run(
        &self,
        fence: &Fence,
        end: &RunEnd,
    ) -> Result<ActionState, StoreError> {
        let mut transaction = self.begin().await?;
        let guard = match self.dialect() {
            Dialect::Sqlite => {
                "SELECT control, site, kind, revision_id, snapshot_id FROM actions \
                 WHERE id = $1 AND lease_owner = $2 AND lease_token = $3"
            }
            Dialect::Postgres => {
                "SELECT control, site, kind, revision_id, snapshot_id FROM actions \
                 WHERE id = $1 AND lease_owner = $2 AND lease_token = $3 FOR UPDATE"
            }
        };
        let row = sqlx::query(guard)
            .bind(fence.action_id())
            .bind(fence.worker_id())
            .bind(fence.token())
            .fetch_optional(&mut *transaction)
            .await
            .map_err(db(self, "ending a run"))?
            .ok_or_else(|| fence.lost_error())?;
        let read = |column: &str| -> Result<Option<String>, StoreError> {
            row.try_get(column).map_err(db(self, "ending a run"))
        };
        let control = read("control")?.as_deref().and_then(Control::from_name);
        let (state, error) = match end {
            RunEnd::Final { state, error } => (*state, error.clone()),
            RunEnd::Interrupted => match control {
                Some(Control::Stop) => (ActionState::Stopped, None),
                Some(Control::Pause) => (ActionState::Paused, None),
                None => (ActionState::Pending, None),
            },
        };
        let release_site = !state.holds_site();
        sqlx::query(
            "UPDATE actions SET state = $2, error = $3, control = NULL, \
             active = CASE WHEN $4 = 1 THEN 0 ELSE active END, \
             ended_ms = CASE WHEN $5 = 1 THEN (SELECT now_ms FROM aero_clock) ELSE NULL END, \
             updated_ms = (SELECT now_ms FROM aero_clock), \
             lease_owner = NULL, lease_expires_ms = NULL WHERE id = $1",
        )
        .bind(fence.action_id())
        .bind(state.name())
        .bind(error.as_deref().map(|text| self.scrub(text)))
        .bind(i64::from(release_site))
        .bind(i64::from(state.is_final()))
        .execute(&mut *transaction)
        .await
        .map_err(db(self, "ending a run"))?;
        if matches!(
            state,
            ActionState::Succeeded | ActionState::SucceededWithFailures
        ) {
            sqlx::query(
                "INSERT INTO deployments (site, action_kind, action_id, revision_id, \
                 snapshot_id, state, finished_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, (SELECT now_ms FROM aero_clock)) \
                 ON CONFLICT (site, action_kind) DO UPDATE SET action_id = excluded.action_id, \
                 revision_id = excluded.revision_id, snapshot_id = excluded.snapshot_id, \
                 state = excluded.state, finished_ms = excluded.finished_ms",
            )
            .bind(read("site")?)
            .bind(read("kind")?)
            .bind(fence.action_id())
            .bind(read("revision_id")?)
            .bind(read("snapshot_id")?)
            .bind(state.name())
            .execute(&mut *transaction)
            .await
            .map_err(db(self, "recording the deployment"))?;
        }
        let message = match &error {
            Some(error) => format!("{state}: {error}"),
            None => state.name().to_string(),
        };
        sqlx::query(
            "INSERT INTO journal (action_id, at_ms, kind, state, message, token) \
             VALUES ($1, (SELECT now_ms FROM aero_clock), $2, $3, $4, $5)",
        )
        .bind(fence.action_id())
        .bind(EntryKind::ActionState.name())
        .bind(state.name())
        .bind(self.scrub(&message))
        .bind(fence.token())
        .execute(&mut *transaction)
        .await
        .map_err(db(self, "ending a run"))?;
        transaction
            .commit()
            .await
            .map_err(db(self, "ending a run"))?;
        Ok(state)
    }
}

fn identity_from_row(row: &sqlx::any::AnyRow, prefix: &str) -> Result<ProcessIdentity, StoreError> {
    let column = |name: &str| format!("{prefix}{name}");
    let decode = |error: sqlx::Error| StoreError::Decode {
        what: "worker identity".to_string(),
        detail: error.to_string(),
    };
    let pid: i64 = row.try_get(column("pid").as_str()).map_err(decode)?;
    let start: i64 = row
        .try_get(column("process_start").as_str())
        .map_err(decode)?;
    Ok(ProcessIdentity {
        hostname: row.try_get(column("hostname").as_str()).map_err(decode)?,
        boot_id: row.try_get(column("boot_id").as_str()).map_err(decode)?,
        pid_ns: row.try_get(column("pid_ns").as_str()).map_err(decode)?,
        pid: u32::try_from(pid).unwrap_or(0),
        start_time: u64::try_from(start).unwrap_or(0),
    })
}
