//! Runs one step: attempts, the observe → decide → act loop, intents and results, retry
//! with backoff, the step's timeout, and interruption at boundaries.
//!
//! Boundaries are the points between loop iterations (before an observation, during a
//! `Wait` poll, during a backoff delay). An `act` is never interrupted by pause or stop:
//! it finishes and its result is journaled. Only the step's timeout drops an `act` in
//! flight, and then its intent stays without a result, so the next run of the step sees
//! it as [`Pending`].

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aero_error::Classify;
use tokio::sync::watch;

use crate::context::DependencyView;
use crate::context::{RunHandle, StepContext};
use crate::error::StoreError;
use crate::events::{EntryKind, Event};
use crate::retry::{Backoff, RetryDecision, error_policy};
use crate::spec::StepSpec;
use crate::state::StepState;
use crate::step::{Decision, DynStep, Pending, StepError};
use crate::store::writer::{FenceStatus, NewEntry};
use crate::store::{ActionSummary, WriteOp};

/// Most side effects in one attempt: a step whose `decide` keeps asking to act after
/// every act never converges, and fails instead of looping forever.
const MAX_ACTS_PER_ATTEMPT: u32 = 100;

/// How a step run ended.
#[derive(Debug)]
pub(crate) enum StepOutcome {
    /// The step succeeded.
    Succeeded {
        output: serde_json::Value,
        tolerate: Vec<String>,
    },
    /// The step failed.
    Failed { error: String },
    /// Interrupted at a boundary (pause, stop): runs again on resume.
    Interrupted,
    /// The lease was lost or the store failed: nothing more may be written.
    Abandoned(StoreError),
}

/// How one attempt ended.
enum AttemptEnd {
    Done {
        output: serde_json::Value,
        tolerate: Vec<String>,
    },
    Fail(String),
    Error(StepError),
    Interrupted,
    Abandoned(StoreError),
}

/// Everything a step run needs.
pub(crate) struct StepRun {
    pub idx: usize,
    pub spec: Arc<StepSpec>,
    pub step: Box<dyn DynStep>,
    pub action: Arc<ActionSummary>,
    pub dependencies: Arc<[DependencyView]>,
    pub run: Arc<RunHandle>,
    pub backoff: Box<dyn Backoff>,
    /// Attempts made by earlier runs.
    pub attempts_before: u32,
    /// An intent without result: its op, its age when loaded, and when it was loaded.
    pub pending: Option<(serde_json::Value, Duration, Instant)>,
}

impl StepRun {
    fn event(&self, kind: EntryKind, message: String, attempt: Option<u32>) -> Event {
        Event {
            at: SystemTime::now(),
            action_id: self.action.id.clone(),
            step_id: Some(self.spec.id.clone()),
            kind,
            action_state: None,
            step_state: None,
            attempt,
            message,
        }
    }

    fn entry(&self, kind: EntryKind, message: String, attempt: Option<u32>) -> NewEntry {
        let mut entry = NewEntry::new(kind, Some(&self.spec.id), message);
        entry.attempt = attempt;
        entry
    }

    fn lazy(&self, ops: Vec<WriteOp>) {
        self.run
            .store
            .writer()
            .write_lazy(self.run.fence.clone(), ops);
    }

    fn interrupted(&self) -> bool {
        *self.run.interrupt.borrow()
    }

    fn abandoned(&self) -> Option<StoreError> {
        match self.run.fence.status() {
            FenceStatus::Valid => None,
            FenceStatus::Lost => Some(self.run.fence.lost_error()),
            FenceStatus::Failed(message) => Some(StoreError::Write {
                message,
                class: aero_error::ErrorClass::Permanent,
            }),
        }
    }

    /// Runs the step to its end.
    pub(crate) async fn execute(mut self) -> StepOutcome {
        let idx = self.idx as i64;
        let message = if self.pending.is_some() {
            "started (an earlier intent has no result: observing before acting)".to_string()
        } else {
            "started".to_string()
        };
        let mut started = self.entry(EntryKind::StepStarted, message.clone(), None);
        started.state = Some(StepState::Running.name());
        let mut event = self.event(EntryKind::StepStarted, message, None);
        event.step_state = Some(StepState::Running);
        self.run.publish(event);
        self.lazy(vec![WriteOp::StepStarted { idx }, WriteOp::Entry(started)]);

        let timeout = self.spec.timeout();
        let deadline = timeout.map(|limit| tokio::time::Instant::now() + limit);
        let attempts = async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                match self.attempt(attempt).await {
                    AttemptEnd::Done { output, tolerate } => {
                        return StepOutcome::Succeeded { output, tolerate };
                    }
                    AttemptEnd::Fail(reason) => return StepOutcome::Failed { error: reason },
                    AttemptEnd::Interrupted => return StepOutcome::Interrupted,
                    AttemptEnd::Abandoned(error) => return StepOutcome::Abandoned(error),
                    AttemptEnd::Error(error) => {
                        let class = error.class();
                        let delay = match error_policy(&error, attempt, &self.spec.retry) {
                            RetryDecision::Retry => self.backoff.next_delay(),
                            RetryDecision::GiveUp => None,
                        };
                        let Some(delay) = delay else {
                            let detail = if class.is_retryable() {
                                format!("{error} (gave up after {attempt} attempts)")
                            } else {
                                format!("{error} ({class})")
                            };
                            return StepOutcome::Failed { error: detail };
                        };
                        let message = format!(
                            "attempt {attempt} failed ({class}): {error}; retrying in {} ms",
                            delay.as_millis()
                        );
                        let mut entry =
                            self.entry(EntryKind::Retrying, message.clone(), Some(attempt));
                        entry.data = Some(serde_json::json!({
                            "error": error.message(),
                            "class": class.name(),
                            "delay_ms": u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        }));
                        self.run
                            .publish(self.event(EntryKind::Retrying, message, Some(attempt)));
                        self.lazy(vec![WriteOp::Entry(entry)]);
                        if !self.pause(delay).await {
                            return StepOutcome::Interrupted;
                        }
                    }
                }
            }
        };
        match deadline {
            None => attempts.await,
            Some(deadline) => match tokio::time::timeout_at(deadline, attempts).await {
                Ok(outcome) => outcome,
                Err(_) => StepOutcome::Failed {
                    error: format!(
                        "timed out after {} s",
                        timeout.map_or(0, |limit| limit.as_secs())
                    ),
                },
            },
        }
    }

    /// Sleeps `delay` unless the run is interrupted first; `false` if it was.
    async fn pause(&self, delay: Duration) -> bool {
        let mut interrupt = self.run.interrupt.clone();
        tokio::select! {
            _ = tokio::time::sleep(delay) => !self.interrupted(),
            _ = wait_interrupt(&mut interrupt) => false,
        }
    }

    async fn attempt(&mut self, attempt: u32) -> AttemptEnd {
        let idx = self.idx as i64;
        let total = self.attempts_before.saturating_add(attempt);
        let message = format!("attempt {attempt}");
        self.lazy(vec![
            WriteOp::StepAttempts {
                idx,
                attempts: total,
            },
            WriteOp::Entry(self.entry(EntryKind::Attempt, message.clone(), Some(attempt))),
        ]);
        self.run
            .publish(self.event(EntryKind::Attempt, message, Some(attempt)));
        let cx = StepContext::new(
            self.action.clone(),
            self.spec.clone(),
            self.dependencies.clone(),
            attempt,
            self.run.clone(),
        );
        let mut acts = 0;
        let mut last_wait: Option<String> = None;
        // Right after an act, the step observes once more whatever happens: a step whose
        // act converged it completes even when a pause or stop came meanwhile.
        let mut just_acted = false;
        loop {
            if let Some(error) = self.abandoned() {
                return AttemptEnd::Abandoned(error);
            }
            if self.interrupted() && !just_acted {
                return AttemptEnd::Interrupted;
            }
            let pending = self.pending.as_ref().map(|(op, age, loaded)| Pending {
                op: op.clone(),
                age: *age + loaded.elapsed(),
            });
            let decision = if just_acted {
                self.step.evaluate(&cx, pending.as_ref()).await
            } else {
                let mut interrupt = self.run.interrupt.clone();
                tokio::select! {
                    decision = self.step.evaluate(&cx, pending.as_ref()) => decision,
                    _ = wait_interrupt(&mut interrupt) => return AttemptEnd::Interrupted,
                }
            };
            just_acted = false;
            match decision {
                Err(error) => return AttemptEnd::Error(error),
                Ok(Decision::Done { output, tolerate }) => {
                    return AttemptEnd::Done { output, tolerate };
                }
                Ok(Decision::Fail { reason }) => return AttemptEnd::Fail(reason),
                Ok(Decision::Wait { reason, poll }) => {
                    if last_wait.as_deref() != Some(reason.as_str()) {
                        self.run.publish(self.event(
                            EntryKind::Waiting,
                            reason.clone(),
                            Some(attempt),
                        ));
                        self.lazy(vec![WriteOp::Entry(self.entry(
                            EntryKind::Waiting,
                            reason.clone(),
                            Some(attempt),
                        ))]);
                        last_wait = Some(reason);
                    }
                    if !self.pause(poll).await {
                        return AttemptEnd::Interrupted;
                    }
                }
                Ok(Decision::Act(op)) => {
                    // No new side effect once an interruption is requested.
                    if self.interrupted() {
                        return AttemptEnd::Interrupted;
                    }
                    acts += 1;
                    if acts > MAX_ACTS_PER_ATTEMPT {
                        return AttemptEnd::Fail(format!(
                            "did not converge: still acting after {MAX_ACTS_PER_ATTEMPT} side effects"
                        ));
                    }
                    last_wait = None;
                    if let Err(error) = self.act(&cx, idx, attempt, op).await {
                        return error;
                    }
                    just_acted = true;
                }
            }
        }
    }

    /// Journals the intent (durably), performs the act, journals the result.
    async fn act(
        &mut self,
        cx: &StepContext,
        idx: i64,
        attempt: u32,
        op: serde_json::Value,
    ) -> Result<(), AttemptEnd> {
        let summary = summarize(&op);
        let mut intent = self.entry(EntryKind::Intent, summary.clone(), Some(attempt));
        intent.data = Some(op.clone());
        let sequence = self
            .run
            .store
            .writer()
            .write(
                Some(self.run.fence.clone()),
                vec![WriteOp::Intent { idx, entry: intent }],
                true,
            )
            .await
            .map_err(AttemptEnd::Abandoned)?;
        let Some(&intent_seq) = sequence.first() else {
            return Err(AttemptEnd::Abandoned(self.run.fence.lost_error()));
        };
        // The intent is on disk: the side effect may happen now.
        self.pending = None;
        self.run
            .publish(self.event(EntryKind::Intent, summary, Some(attempt)));
        let result = self.step.act(cx, &op).await;
        let (message, data, outcome) = match result {
            Ok(output) => ("done".to_string(), output, Ok(())),
            Err(error) => (
                format!("failed ({}): {error}", error.class()),
                serde_json::json!({"error": error.message(), "class": error.class().name()}),
                Err(AttemptEnd::Error(error)),
            ),
        };
        let mut entry = self.entry(EntryKind::Result, message.clone(), Some(attempt));
        entry.ref_seq = Some(intent_seq);
        entry.data = Some(data);
        self.run
            .publish(self.event(EntryKind::Result, message, Some(attempt)));
        self.lazy(vec![WriteOp::Result { idx, entry }]);
        outcome
    }
}

async fn wait_interrupt(interrupt: &mut watch::Receiver<bool>) {
    if interrupt.wait_for(|value| *value).await.is_err() {
        // The executor is gone: nothing will interrupt this step.
        std::future::pending::<()>().await;
    }
}

/// A one-line description of an op for the journal's message (the full op is its data).
fn summarize(op: &serde_json::Value) -> String {
    let text = op.to_string();
    if text.len() <= 200 {
        text
    } else {
        let mut end = 200;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &text[..end])
    }
}
