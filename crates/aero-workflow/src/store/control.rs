//! Operators' writes: submit an action, request pause or stop, resume, retry from a step.
//!
//! These are not fenced (no worker writes them) but each runs in one transaction that
//! first locks the action's row, and each is a compare-and-set on the action's state, so
//! they compose with a worker's fenced writes: a request lands either before the worker's
//! next boundary (which then applies it) or after the run ended (and then acts on the
//! state the run left).

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{Dialect, Store, db};
use crate::dag::{self, Graph};
use crate::error::StoreError;
use crate::events::EntryKind;
use crate::spec::ActionSpec;
use crate::state::{ActionState, Control, StepState};

/// The current state and request of an action, its row locked until the transaction
/// ends.
async fn lock_action(
    store: &Store,
    transaction: &mut Transaction<'static, Any>,
    id: &str,
) -> Result<(ActionState, Option<Control>, String), StoreError> {
    let sql = match store.dialect() {
        Dialect::Sqlite => "SELECT state, control, site FROM actions WHERE id = $1",
        Dialect::Postgres => "SELECT state, control, site FROM actions WHERE id = $1 FOR UPDATE",
    };
    let row: AnyRow = sqlx::query(sql)
        .bind(id)
        .fetch_optional(&mut **transaction)
        .await
        .map_err(db(store, "reading an action"))?
        .ok_or_else(|| StoreError::ActionNotFound(id.to_string()))?;
    let state: String = row
        .try_get("state")
        .map_err(db(store, "reading an action"))?;
    let control: Option<String> = row
        .try_get("control")
        .map_err(db(store, "reading an action"))?;
    let site: String = row
        .try_get("site")
        .map_err(db(store, "reading an action"))?;
    let state = ActionState::from_name(&state).ok_or_else(|| StoreError::Decode {
        what: "action state".to_string(),
        detail: state.clone(),
    })?;
    Ok((state, control.as_deref().and_then(Control::from_name), site))
}

/// Appends an unfenced journal entry.
pub(super) async fn journal(
    store: &Store,
    transaction: &mut Transaction<'static, Any>,
    action_id: &str,
    step_id: Option<&str>,
    kind: EntryKind,
    state: Option<&str>,
    message: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO journal (action_id, step_id, at_ms, kind, state, message) \
         VALUES ($1, $2, (SELECT now_ms FROM aero_clock), $3, $4, $5)",
    )
    .bind(action_id)
    .bind(step_id)
    .bind(kind.name())
    .bind(state)
    .bind(store.scrub(message))
    .execute(&mut **transaction)
    .await
    .map_err(db(store, "appending to the journal"))?;
    Ok(())
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(database_error)
        if database_error.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// A new action id: the kind and 8 random hex digits.
fn new_action_id(kind: &str) -> String {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        bytes = nanos.to_le_bytes();
    }
    let suffix: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let safe_kind: String = kind
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe_kind}-{suffix}")
}

impl Store {
    /// The action holding `site`, if any, as a `SiteBusy` error.
    async fn site_holder(&self, site: &str) -> Result<Option<StoreError>, StoreError> {
        let holder = sqlx::query("SELECT id, state FROM actions WHERE site = $1 AND active = 1")
            .bind(self.scrub(site))
            .fetch_optional(self.pool())
            .await
            .map_err(db(self, "finding the site's holder"))?;
        Ok(holder.map(|row| StoreError::SiteBusy {
            site: site.to_string(),
            holder: row.try_get("id").unwrap_or_default(),
            state: row.try_get("state").unwrap_or_default(),
        }))
    }

    /// The `SiteBusy` error after a unique violation on `site`.
    async fn site_busy(&self, site: &str) -> StoreError {
        match self.site_holder(site).await {
            Ok(Some(busy)) => busy,
            Ok(None) => StoreError::SiteBusy {
                site: site.to_string(),
                holder: "(another action, released meanwhile: try again)".to_string(),
                state: String::new(),
            },
            Err(error) => error,
        }
    }

    /// Persists a new action (state `Pending`) and takes its site. Fails with
    /// `SiteBusy` (class Conflict) if another action holds the site.
    pub async fn submit(&self, spec: &ActionSpec) -> Result<String, StoreError> {
        dag::validate(spec)?;
        let limits = serde_json::to_string(&spec.limits).map_err(|error| StoreError::Decode {
            what: "limits".to_string(),
            detail: error.to_string(),
        })?;
        for _ in 0..5 {
            let id = new_action_id(&spec.kind);
            let mut transaction = self.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO actions (id, kind, site, revision_id, snapshot_id, params, limits, \
                 state, active, step_count, created_ms, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 1, $8, \
                 (SELECT now_ms FROM aero_clock), (SELECT now_ms FROM aero_clock))",
            )
            .bind(&id)
            .bind(self.scrub(&spec.kind))
            .bind(self.scrub(&spec.site))
            .bind(self.scrub(&spec.revision_id))
            .bind(self.scrub(&spec.snapshot_id))
            .bind(self.scrub_json(&spec.params))
            .bind(self.scrub(&limits))
            .bind(spec.steps.len() as i64)
            .execute(&mut *transaction)
            .await;
            match inserted {
                Ok(_) => {}
                Err(error) if is_unique_violation(&error) => {
                    let _ = transaction.rollback().await;
                    match self.site_holder(&spec.site).await? {
                        Some(busy) => return Err(busy),
                        // The id collided (the site is free): draw another one.
                        None => continue,
                    }
                }
                Err(error) => return Err(db(self, "submitting an action")(error)),
            }
            for (idx, step) in spec.steps.iter().enumerate() {
                let spec_json = serde_json::to_value(step).map_err(|error| StoreError::Decode {
                    what: "step spec".to_string(),
                    detail: error.to_string(),
                })?;
                sqlx::query(
                    "INSERT INTO steps (action_id, idx, step_id, kind, title, grp, node, spec, state) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending')",
                )
                .bind(&id)
                .bind(idx as i64)
                .bind(self.scrub(&step.id))
                .bind(self.scrub(&step.kind))
                .bind(self.scrub(&step.title))
                .bind(step.group.as_deref().map(|group| self.scrub(group)))
                .bind(step.node.as_deref().map(|node| self.scrub(node)))
                .bind(self.scrub_json(&spec_json))
                .execute(&mut *transaction)
                .await
                .map_err(db(self, "submitting a step"))?;
            }
            let message = format!(
                "{} of site {} at revision {} ({} steps)",
                spec.kind,
                spec.site,
                spec.revision_id,
                spec.steps.len()
            );
            journal(
                self,
                &mut transaction,
                &id,
                None,
                EntryKind::Submitted,
                Some(ActionState::Pending.name()),
                &message,
            )
            .await?;
            transaction
                .commit()
                .await
                .map_err(db(self, "submitting an action"))?;
            return Ok(id);
        }
        Err(StoreError::Write {
            message: "could not draw a free action id".to_string(),
            class: aero_error::ErrorClass::Transient,
        })
    }

    /// Asks a running action to pause at its next step boundary (a pending one pauses at
    /// once). Returns the action's state after the request.
    pub async fn request_pause(&self, id: &str) -> Result<ActionState, StoreError> {
        let mut transaction = self.begin().await?;
        let (state, control, _) = lock_action(self, &mut transaction, id).await?;
        let after = match state {
            ActionState::Pending => {
                self.set_state(&mut transaction, id, ActionState::Paused, false)
                    .await?;
                ActionState::Paused
            }
            ActionState::Running => {
                if control.is_none() {
                    self.set_control(&mut transaction, id, Control::Pause)
                        .await?;
                }
                ActionState::Running
            }
            ActionState::Paused => return Ok(ActionState::Paused),
            other => {
                return Err(StoreError::InvalidState {
                    action: id.to_string(),
                    state: other.name().to_string(),
                    operation: "pause",
                });
            }
        };
        journal(
            self,
            &mut transaction,
            id,
            None,
            EntryKind::Control,
            None,
            "pause requested",
        )
        .await?;
        transaction.commit().await.map_err(db(self, "pausing"))?;
        Ok(after)
    }

    /// Asks an action to stop at its next step boundary (a pending or paused one stops at
    /// once, releasing its site). Returns the action's state after the request.
    pub async fn request_stop(&self, id: &str) -> Result<ActionState, StoreError> {
        let mut transaction = self.begin().await?;
        let (state, _, _) = lock_action(self, &mut transaction, id).await?;
        let after = match state {
            ActionState::Pending | ActionState::Paused => {
                self.set_state(&mut transaction, id, ActionState::Stopped, true)
                    .await?;
                ActionState::Stopped
            }
            ActionState::Running => {
                // The state first: setting a state clears any earlier request.
                self.set_state(&mut transaction, id, ActionState::Stopping, false)
                    .await?;
                self.set_control(&mut transaction, id, Control::Stop)
                    .await?;
                ActionState::Stopping
            }
            ActionState::Stopping | ActionState::Stopped => return Ok(state),
            other => {
                return Err(StoreError::InvalidState {
                    action: id.to_string(),
                    state: other.name().to_string(),
                    operation: "stop",
                });
            }
        };
        journal(
            self,
            &mut transaction,
            id,
            None,
            EntryKind::Control,
            None,
            "stop requested",
        )
        .await?;
        transaction.commit().await.map_err(db(self, "stopping"))?;
        Ok(after)
    }

    /// Makes a paused or stopped action runnable again (`Pending`; a stopped one takes its
    /// site again, or fails with `SiteBusy`). An interrupted running action (its worker
    /// died) needs nothing: any worker may claim it. Returns the state after.
    pub async fn resume(&self, id: &str) -> Result<ActionState, StoreError> {
        let mut transaction = self.begin().await?;
        let (state, _, site) = lock_action(self, &mut transaction, id).await?;
        match state {
            ActionState::Paused | ActionState::Stopped => {}
            ActionState::Pending | ActionState::Running | ActionState::Stopping => {
                return Ok(state);
            }
            other => {
                return Err(StoreError::InvalidState {
                    action: id.to_string(),
                    state: other.name().to_string(),
                    operation: "resume (use retry to run failed steps again)",
                });
            }
        }
        let updated = sqlx::query(
            "UPDATE actions SET state = 'pending', control = NULL, active = 1, \
             updated_ms = (SELECT now_ms FROM aero_clock) WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *transaction)
        .await;
        match updated {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                let _ = transaction.rollback().await;
                return Err(self.site_busy(&site).await);
            }
            Err(error) => return Err(db(self, "resuming")(error)),
        }
        journal(
            self,
            &mut transaction,
            id,
            None,
            EntryKind::Control,
            Some(ActionState::Pending.name()),
            "resume requested",
        )
        .await?;
        transaction.commit().await.map_err(db(self, "resuming"))?;
        Ok(ActionState::Pending)
    }

    /// Resets `steps` (failed, skipped or cancelled ones) and every step that depends on
    /// them to `Pending`, withdraws the tolerations the reset gates had given, and makes
    /// the action runnable again (taking its site). The action must not be running.
    pub async fn retry_from(&self, id: &str, steps: &[&str]) -> Result<ActionState, StoreError> {
        let specs = self.step_specs(id).await?;
        let graph = Graph::new(&specs)?;
        let mut transaction = self.begin().await?;
        let (state, _, site) = lock_action(self, &mut transaction, id).await?;
        if matches!(
            state,
            ActionState::Running | ActionState::Stopping | ActionState::Succeeded
        ) {
            return Err(StoreError::InvalidState {
                action: id.to_string(),
                state: state.name().to_string(),
                operation: "retry steps (pause or stop it first; a succeeded action has none to retry)",
            });
        }
        let states: Vec<String> =
            sqlx::query_scalar("SELECT state FROM steps WHERE action_id = $1 ORDER BY idx")
                .bind(id)
                .fetch_all(&mut *transaction)
                .await
                .map_err(db(self, "reading steps"))?;
        let mut roots = Vec::new();
        for step in steps {
            let position = graph
                .position(step)
                .ok_or_else(|| StoreError::StepNotFound {
                    action: id.to_string(),
                    step: step.to_string(),
                })?;
            let step_state = StepState::from_name(&states[position]).unwrap_or(StepState::Pending);
            if step_state == StepState::Succeeded || step_state == StepState::Running {
                return Err(StoreError::InvalidStep {
                    action: id.to_string(),
                    step: step.to_string(),
                    detail: format!(
                        "is {step_state}: only failed, skipped or cancelled steps are retried"
                    ),
                });
            }
            roots.push(position);
        }
        let reset = graph.with_dependants(&roots);
        for &position in &reset {
            sqlx::query(
                "UPDATE steps SET state = 'pending', output = NULL, error = NULL, reason = NULL, \
                 tolerated_by = NULL, started_ms = NULL, ended_ms = NULL \
                 WHERE action_id = $1 AND idx = $2",
            )
            .bind(id)
            .bind(position as i64)
            .execute(&mut *transaction)
            .await
            .map_err(db(self, "resetting a step"))?;
            sqlx::query(
                "UPDATE steps SET tolerated_by = NULL WHERE action_id = $1 AND tolerated_by = $2",
            )
            .bind(id)
            .bind(self.scrub(graph.id(position)))
            .execute(&mut *transaction)
            .await
            .map_err(db(self, "withdrawing a toleration"))?;
            journal(
                self,
                &mut transaction,
                id,
                Some(graph.id(position)),
                EntryKind::Reset,
                Some(StepState::Pending.name()),
                "reset by retry",
            )
            .await?;
        }
        let updated = sqlx::query(
            "UPDATE actions SET state = 'pending', control = NULL, error = NULL, active = 1, \
             ended_ms = NULL, updated_ms = (SELECT now_ms FROM aero_clock) WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *transaction)
        .await;
        match updated {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                let _ = transaction.rollback().await;
                return Err(self.site_busy(&site).await);
            }
            Err(error) => return Err(db(self, "retrying")(error)),
        }
        journal(
            self,
            &mut transaction,
            id,
            None,
            EntryKind::Control,
            Some(ActionState::Pending.name()),
            &format!("retry from {}", steps.join(", ")),
        )
        .await?;
        transaction.commit().await.map_err(db(self, "retrying"))?;
        Ok(ActionState::Pending)
    }

    async fn set_state(
        &self,
        transaction: &mut Transaction<'static, Any>,
        id: &str,
        state: ActionState,
        release_site: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE actions SET state = $2, control = NULL, \
             active = CASE WHEN $3 = 1 THEN 0 ELSE active END, \
             updated_ms = (SELECT now_ms FROM aero_clock) WHERE id = $1",
        )
        .bind(id)
        .bind(state.name())
        .bind(i64::from(release_site))
        .execute(&mut **transaction)
        .await
        .map_err(db(self, "updating an action"))?;
        journal(
            self,
            transaction,
            id,
            None,
            EntryKind::ActionState,
            Some(state.name()),
            state.name(),
        )
        .await
    }

    async fn set_control(
        &self,
        transaction: &mut Transaction<'static, Any>,
        id: &str,
        control: Control,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE actions SET control = $2 WHERE id = $1")
            .bind(id)
            .bind(control.name())
            .execute(&mut **transaction)
            .await
            .map_err(db(self, "requesting"))?;
        Ok(())
    }
}
