//! Runs an action's DAG on a claimed lease: schedules ready steps within the action's
//! parallelism and resource limits, records every step's end, applies gates'
//! tolerations, stops at boundaries when interrupted, and ends the run.
//!
//! The executor alone decides step states; step tasks report outcomes to it. Scheduling
//! and the final state are the pure functions of [`crate::dag`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::context::{DependencyView, RunHandle};
use crate::dag::{self, Graph, Scheduler};
use crate::error::{EngineError, StoreError};
use crate::events::{EntryKind, Event};
use crate::retry::BackoffFactory;
use crate::runner::{StepOutcome, StepRun};
use crate::spec::{Limits, StepSpec};
use crate::state::{ActionState, StepState};
use crate::step::StepRegistry;
use crate::store::lease::RunEnd;
use crate::store::writer::{FenceStatus, NewEntry};
use crate::store::{LoadedAction, WriteOp};

/// The in-memory state of one run.
struct Run {
    handle: Arc<RunHandle>,
    action: Arc<crate::store::ActionSummary>,
    graph: Graph,
    specs: Vec<Arc<StepSpec>>,
    states: Vec<StepState>,
    outputs: Vec<Option<serde_json::Value>>,
    errors: Vec<Option<String>>,
    attempts: Vec<u32>,
    tolerated: Vec<bool>,
    pending: Vec<Option<(serde_json::Value, Duration, Instant)>>,
    limits: Limits,
    semaphores: HashMap<String, Arc<Semaphore>>,
    registry: Arc<dyn StepRegistry>,
    backoff: Arc<dyn BackoffFactory>,
    /// The step of each running task.
    task_steps: HashMap<tokio::task::Id, usize>,
}

impl Run {
    fn step_event(
        &self,
        idx: usize,
        kind: EntryKind,
        state: Option<StepState>,
        message: String,
    ) -> Event {
        Event {
            at: SystemTime::now(),
            action_id: self.action.id.clone(),
            step_id: Some(self.specs[idx].id.clone()),
            kind,
            action_state: None,
            step_state: state,
            attempt: None,
            message,
        }
    }

    fn lazy(&self, ops: Vec<WriteOp>) {
        self.handle
            .store
            .writer()
            .write_lazy(self.handle.fence.clone(), ops);
    }

    fn entry(&self, idx: usize, kind: EntryKind, state: StepState, message: &str) -> NewEntry {
        let mut entry = NewEntry::new(kind, Some(&self.specs[idx].id), message);
        entry.state = Some(state.name());
        entry
    }

    /// Sets a step's state without running it (skipped, cancelled, reset).
    fn mark(&mut self, idx: usize, state: StepState, kind: EntryKind, reason: &str) {
        self.states[idx] = state;
        if state.is_failure() {
            self.errors[idx] = Some(reason.to_string());
        }
        let entry = self.entry(idx, kind, state, reason);
        self.handle
            .publish(self.step_event(idx, kind, Some(state), reason.to_string()));
        self.lazy(vec![
            WriteOp::StepState {
                idx: idx as i64,
                state,
                reason: Some(reason.to_string()),
            },
            WriteOp::Entry(entry),
        ]);
    }

    /// Takes every resource of step `idx` now, or none.
    fn acquire(&mut self, idx: usize) -> Option<Vec<OwnedSemaphorePermit>> {
        let mut keys = self.specs[idx].resources.clone();
        keys.sort();
        keys.dedup();
        let mut permits = Vec::with_capacity(keys.len());
        for key in keys {
            let limit = self.limits.limit_of(&key) as usize;
            let semaphore = self
                .semaphores
                .entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(limit)))
                .clone();
            permits.push(semaphore.try_acquire_owned().ok()?);
        }
        Some(permits)
    }

    fn dependency_views(&self, idx: usize) -> Arc<[DependencyView]> {
        self.graph
            .dependencies(idx)
            .iter()
            .map(|&(dependency, on)| DependencyView {
                step: self.specs[dependency].id.clone(),
                on,
                state: self.states[dependency],
                node: self.specs[dependency].node.clone(),
                group: self.specs[dependency].group.clone(),
                output: self.outputs[dependency].clone(),
                error: self.errors[dependency].clone(),
            })
            .collect()
    }

    /// Starts step `idx` (its resources held) as a task.
    fn start(
        &mut self,
        idx: usize,
        permits: Vec<OwnedSemaphorePermit>,
        tasks: &mut JoinSet<(usize, StepOutcome)>,
    ) {
        self.states[idx] = StepState::Running;
        let spec = self.specs[idx].clone();
        let step = match self.registry.build(&spec) {
            Ok(step) => step,
            Err(error) => {
                let message = error.to_string();
                let handle =
                    tasks.spawn(async move { (idx, StepOutcome::Failed { error: message }) });
                self.task_steps.insert(handle.id(), idx);
                return;
            }
        };
        let run = StepRun {
            idx,
            spec: spec.clone(),
            step,
            action: self.action.clone(),
            dependencies: self.dependency_views(idx),
            run: self.handle.clone(),
            backoff: self.backoff.backoff(&spec.retry),
            attempts_before: self.attempts[idx],
            pending: self.pending[idx].take(),
        };
        let span = tracing::info_span!("step", id = %spec.id, kind = %spec.kind);
        let handle = tasks.spawn(
            async move {
                let outcome = run.execute().await;
                drop(permits);
                (idx, outcome)
            }
            .instrument(span),
        );
        self.task_steps.insert(handle.id(), idx);
    }

    /// Records the outcome of a step task; `Err` when the run must be abandoned.
    fn finish(&mut self, idx: usize, outcome: StepOutcome) -> Result<(), StoreError> {
        match outcome {
            StepOutcome::Succeeded { output, tolerate } => {
                self.states[idx] = StepState::Succeeded;
                self.outputs[idx] = Some(output.clone());
                self.tolerate(idx, &tolerate);
                let mut entry =
                    self.entry(idx, EntryKind::StepEnded, StepState::Succeeded, "succeeded");
                entry.data = Some(output.clone());
                self.handle.publish(self.step_event(
                    idx,
                    EntryKind::StepEnded,
                    Some(StepState::Succeeded),
                    "succeeded".to_string(),
                ));
                self.lazy(vec![
                    WriteOp::StepEnded {
                        idx: idx as i64,
                        state: StepState::Succeeded,
                        output: Some(output),
                        error: None,
                        reason: None,
                    },
                    WriteOp::Entry(entry),
                ]);
            }
            StepOutcome::Failed { error } => {
                self.states[idx] = StepState::Failed;
                self.errors[idx] = Some(error.clone());
                let message = format!("failed: {error}");
                let entry = self.entry(idx, EntryKind::StepEnded, StepState::Failed, &message);
                self.handle.publish(self.step_event(
                    idx,
                    EntryKind::StepEnded,
                    Some(StepState::Failed),
                    message,
                ));
                self.lazy(vec![
                    WriteOp::StepEnded {
                        idx: idx as i64,
                        state: StepState::Failed,
                        output: None,
                        error: Some(error),
                        reason: None,
                    },
                    WriteOp::Entry(entry),
                ]);
            }
            StepOutcome::Interrupted => {
                self.mark(
                    idx,
                    StepState::Cancelled,
                    EntryKind::Interrupted,
                    "interrupted at a boundary; runs again on resume",
                );
            }
            StepOutcome::Abandoned(error) => return Err(error),
        }
        Ok(())
    }

    /// Applies a gate's toleration of the failures of `steps`.
    fn tolerate(&mut self, gate: usize, steps: &[String]) {
        let positions: Vec<usize> = steps
            .iter()
            .filter_map(|id| self.graph.position(id))
            .collect();
        let covered = dag::toleration_closure(&self.graph, &self.states, &positions);
        if covered.is_empty() {
            return;
        }
        let gate_id = self.specs[gate].id.clone();
        let mut ops = vec![WriteOp::Tolerate {
            idxs: covered.iter().map(|&p| p as i64).collect(),
            by: gate_id.clone(),
        }];
        for &position in &covered {
            self.tolerated[position] = true;
            let message = format!("failure accepted by `{gate_id}`");
            ops.push(WriteOp::Entry(self.entry(
                position,
                EntryKind::Tolerated,
                self.states[position],
                &message,
            )));
            self.handle
                .publish(self.step_event(position, EntryKind::Tolerated, None, message));
        }
        self.lazy(ops);
    }

    /// Journals and broadcasts that the run stops at its next boundaries.
    fn announce_interruption(&self) {
        let message = "pause or stop requested: no new step starts, steps in flight end \
                       at their next boundary";
        self.handle.publish(
            self.handle
                .event(None, EntryKind::Interrupted, message.to_string()),
        );
        self.lazy(vec![WriteOp::Entry(NewEntry::new(
            EntryKind::Interrupted,
            None,
            message,
        ))]);
    }

    fn final_state(&self) -> Option<ActionState> {
        let allow: Vec<bool> = self.specs.iter().map(|spec| spec.allow_failure).collect();
        dag::final_state(&self.graph, &self.states, &allow, &self.tolerated)
    }

    fn failure_summary(&self) -> Option<String> {
        let failed: Vec<String> = (0..self.states.len())
            .filter(|&p| self.states[p] == StepState::Failed && !self.tolerated[p])
            .map(|p| match &self.errors[p] {
                Some(error) => format!("{}: {error}", self.specs[p].id),
                None => self.specs[p].id.clone(),
            })
            .collect();
        match failed.len() {
            0 => None,
            1 => Some(format!("step {}", failed[0])),
            n => Some(format!("{n} steps failed; first: {}", failed[0])),
        }
    }
}

/// Runs a claimed action until its steps end or the run is interrupted; returns the
/// action's state. `interrupt` becomes true on pause, stop or shutdown.
pub(crate) async fn execute(
    handle: Arc<RunHandle>,
    loaded: LoadedAction,
    registry: Arc<dyn StepRegistry>,
    backoff: Arc<dyn BackoffFactory>,
    interrupt_requests: watch::Receiver<bool>,
    interrupt: watch::Sender<bool>,
) -> Result<ActionState, EngineError> {
    let action = Arc::new(loaded.summary);
    let specs: Vec<Arc<StepSpec>> = loaded
        .steps
        .iter()
        .map(|step| Arc::new(step.spec.clone()))
        .collect();
    let plain_specs: Vec<StepSpec> = loaded.steps.iter().map(|step| step.spec.clone()).collect();
    let graph = Graph::new(&plain_specs).map_err(StoreError::from)?;
    let loaded_at = Instant::now();
    let mut run = Run {
        handle: handle.clone(),
        action: action.clone(),
        graph,
        specs,
        states: loaded.steps.iter().map(|step| step.state).collect(),
        outputs: loaded
            .steps
            .iter()
            .map(|step| step.output.clone())
            .collect(),
        errors: loaded.steps.iter().map(|step| step.error.clone()).collect(),
        attempts: loaded.steps.iter().map(|step| step.attempts).collect(),
        tolerated: loaded.steps.iter().map(|step| step.tolerated).collect(),
        pending: loaded
            .steps
            .iter()
            .map(|step| {
                step.open_intent.as_ref().map(|(op, at_ms)| {
                    let age = u64::try_from(loaded.now_ms - at_ms).unwrap_or(0);
                    (op.clone(), Duration::from_millis(age), loaded_at)
                })
            })
            .collect(),
        limits: loaded.limits,
        semaphores: HashMap::new(),
        registry,
        backoff,
        task_steps: HashMap::new(),
    };

    let span =
        tracing::info_span!("action", id = %action.id, site = %action.site, kind = %action.kind);
    async move {
        let mut started = NewEntry::new(EntryKind::ActionState, None, "running");
        started.state = Some(ActionState::Running.name());
        let event = Event {
            at: SystemTime::now(),
            action_id: action.id.clone(),
            step_id: None,
            kind: EntryKind::ActionState,
            action_state: Some(ActionState::Running),
            step_state: None,
            attempt: None,
            message: "running".to_string(),
        };
        run.handle.publish(event);
        run.lazy(vec![WriteOp::ActionStarted, WriteOp::Entry(started)]);

        // Steps a previous run left running or cancelled start again, observing first.
        for idx in 0..run.states.len() {
            if matches!(run.states[idx], StepState::Running | StepState::Cancelled) {
                run.mark(
                    idx,
                    StepState::Pending,
                    EntryKind::Reset,
                    "resumed: runs again from an observation",
                );
            }
        }

        let outcome = drive(&mut run, interrupt_requests, &interrupt).await;
        // Steps must see the run end even if it ended for another reason.
        interrupt.send_replace(true);
        let end = match outcome {
            Drive::Abandoned(error) => return Err(EngineError::Store(error)),
            Drive::Interrupted => RunEnd::Interrupted,
            Drive::Finished(state) => RunEnd::Final {
                state,
                error: if state == ActionState::Failed {
                    run.failure_summary()
                } else {
                    None
                },
            },
        };
        // Everything queued before the end is committed before the lease is released.
        handle.store.flush().await?;
        if let Some(error) = abandoned(&handle) {
            return Err(EngineError::Store(error));
        }
        let state = handle.store.end_run(&handle.fence, &end).await?;
        let mut event = handle.event(None, EntryKind::ActionState, state.name().to_string());
        event.action_state = Some(state);
        handle.publish(event);
        Ok(state)
    }
    .instrument(span)
    .await
}

fn abandoned(handle: &RunHandle) -> Option<StoreError> {
    match handle.fence.status() {
        FenceStatus::Valid => None,
        FenceStatus::Lost => Some(handle.fence.lost_error()),
        FenceStatus::Failed(message) => Some(StoreError::Write {
            message,
            class: aero_error::ErrorClass::Permanent,
        }),
    }
}

enum Drive {
    Finished(ActionState),
    Interrupted,
    Abandoned(StoreError),
}

async fn drive(
    run: &mut Run,
    mut requests: watch::Receiver<bool>,
    interrupt: &watch::Sender<bool>,
) -> Drive {
    let mut tasks: JoinSet<(usize, StepOutcome)> = JoinSet::new();
    let mut fence_status = run.handle.fence.subscribe();
    let mut lost: Option<StoreError> = None;
    let max_parallel = run.limits.max_parallel.max(1) as usize;
    let mut requests_open = true;
    let (mut scheduler, skipped) = Scheduler::new(&run.graph, &mut run.states);
    for (idx, reason) in &skipped {
        // The scheduler set the state; record it.
        run.mark(*idx, StepState::Skipped, EntryKind::Skipped, reason);
    }
    loop {
        let stopping = *requests.borrow() || lost.is_some();
        if stopping {
            if !*interrupt.borrow() {
                interrupt.send_replace(true);
                if lost.is_none() {
                    run.announce_interruption();
                }
            }
        } else if tasks.len() < max_parallel {
            let mut starting = Vec::new();
            for idx in scheduler.ready_iter() {
                if tasks.len() + starting.len() >= max_parallel {
                    break;
                }
                if let Some(permits) = run.acquire(idx) {
                    starting.push((idx, permits));
                }
            }
            for (idx, permits) in starting {
                scheduler.started(idx);
                run.start(idx, permits, &mut tasks);
            }
        }
        if tasks.is_empty() {
            if let Some(error) = lost {
                return Drive::Abandoned(error);
            }
            if stopping {
                return Drive::Interrupted;
            }
            return match run.final_state() {
                Some(state) => Drive::Finished(state),
                None => Drive::Abandoned(StoreError::Write {
                    message: "the scheduler found no runnable step while steps were pending"
                        .to_string(),
                    class: aero_error::ErrorClass::Permanent,
                }),
            };
        }
        tokio::select! {
            joined = tasks.join_next_with_id() => {
                let (idx, outcome) = match joined {
                    Some(Ok((id, (idx, outcome)))) => {
                        run.task_steps.remove(&id);
                        (idx, outcome)
                    }
                    Some(Err(join_error)) => {
                        // A step panicked: it fails; the rest of the action goes on.
                        let Some(idx) = run.task_steps.remove(&join_error.id()) else {
                            continue;
                        };
                        let error = format!("the step implementation panicked: {join_error}");
                        (idx, StepOutcome::Failed { error })
                    }
                    None => continue,
                };
                if let Err(error) = run.finish(idx, outcome) {
                    lost.get_or_insert(error);
                } else if run.states[idx].is_terminal() {
                    for (skipped, reason) in scheduler.ended(&run.graph, &mut run.states, idx) {
                        run.mark(skipped, StepState::Skipped, EntryKind::Skipped, &reason);
                    }
                }
            }
            changed = requests.changed(), if requests_open && !*requests.borrow() => {
                if changed.is_err() {
                    // Nobody can request an interruption any more.
                    requests_open = false;
                }
            }
            _ = fence_status.changed(), if lost.is_none() => {
                if let Some(error) = abandoned(&run.handle) {
                    lost = Some(error);
                }
            }
        }
    }
}
