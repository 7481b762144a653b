//! What a running step sees of its action and of the engine: [`StepContext`].

use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{broadcast, watch};

use crate::events::{EntryKind, Event};
use crate::spec::{DependencyOn, StepSpec};
use crate::state::StepState;
use crate::step::StepError;
use crate::store::writer::{FenceStatus, NewEntry};
use crate::store::{ActionSummary, Fence, PhoneHomeRecord, Store, WriteOp};

/// The outcome of one of a step's dependencies, as the step sees it when it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct DependencyView {
    /// The dependency's step id.
    pub step: String,
    /// The edge.
    pub on: DependencyOn,
    /// Its state (terminal: succeeded, failed or skipped).
    pub state: StepState,
    /// Its node, if any.
    pub node: Option<String>,
    /// Its group, if any.
    pub group: Option<String>,
    /// Its output, if it succeeded.
    pub output: Option<serde_json::Value>,
    /// Its error or skip reason, if it did not.
    pub error: Option<String>,
}

/// What the engine shares with every step of one run.
pub(crate) struct RunHandle {
    pub store: Store,
    pub fence: Fence,
    pub events: broadcast::Sender<Event>,
    /// Becomes `true` when the run must stop at the next boundary.
    pub interrupt: watch::Receiver<bool>,
}

impl RunHandle {
    /// Journals lazily, broadcasts and traces an event.
    pub(crate) fn record(&self, entry: NewEntry, event: Event) {
        self.publish(event);
        self.store
            .writer()
            .write_lazy(self.fence.clone(), vec![WriteOp::Entry(entry)]);
    }

    /// Broadcasts and traces an event (the caller journals it).
    pub(crate) fn publish(&self, mut event: Event) {
        event.message = self.store.scrub(&event.message);
        tracing::info!(
            action = %event.action_id,
            step = event.step_id.as_deref().unwrap_or(""),
            kind = event.kind.name(),
            "{}",
            event.message
        );
        let _ = self.events.send(event);
    }

    pub(crate) fn event(&self, step_id: Option<&str>, kind: EntryKind, message: String) -> Event {
        Event {
            at: SystemTime::now(),
            action_id: self.fence.action_id().to_string(),
            step_id: step_id.map(str::to_string),
            kind,
            action_state: None,
            step_state: None,
            attempt: None,
            message,
        }
    }
}

/// What a running step sees: its action, its spec, its dependencies' outcomes, an event
/// emitter, the run's interruption signal, and fenced access to site facts.
#[derive(Clone)]
pub struct StepContext {
    action: Arc<ActionSummary>,
    spec: Arc<StepSpec>,
    dependencies: Arc<[DependencyView]>,
    attempt: u32,
    run: Arc<RunHandle>,
}

fn store_failure(error: crate::error::StoreError) -> StepError {
    StepError::from_error(&error)
}

impl StepContext {
    pub(crate) fn new(
        action: Arc<ActionSummary>,
        spec: Arc<StepSpec>,
        dependencies: Arc<[DependencyView]>,
        attempt: u32,
        run: Arc<RunHandle>,
    ) -> StepContext {
        StepContext {
            action,
            spec,
            dependencies,
            attempt,
            run,
        }
    }

    /// The action's id.
    pub fn action_id(&self) -> &str {
        &self.action.id
    }

    /// The action's kind.
    pub fn action_kind(&self) -> &str {
        &self.action.kind
    }

    /// The site.
    pub fn site(&self) -> &str {
        &self.action.site
    }

    /// The pinned revision.
    pub fn revision_id(&self) -> &str {
        &self.action.revision_id
    }

    /// The snapshot of the pinned revision.
    pub fn snapshot_id(&self) -> &str {
        &self.action.snapshot_id
    }

    /// The action's parameters.
    pub fn action_params(&self) -> &serde_json::Value {
        &self.action.params
    }

    /// This step's spec.
    pub fn spec(&self) -> &StepSpec {
        &self.spec
    }

    /// The current attempt (1-based).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The outcomes of this step's dependencies, in the spec's order.
    pub fn dependencies(&self) -> &[DependencyView] {
        &self.dependencies
    }

    /// The outcome of dependency `step`.
    pub fn dependency(&self, step: &str) -> Option<&DependencyView> {
        self.dependencies.iter().find(|view| view.step == step)
    }

    /// Emits a message: journaled (scrubbed), broadcast and traced.
    pub fn emit(&self, message: impl Into<String>) {
        let message = message.into();
        let mut entry = NewEntry::new(EntryKind::Message, Some(&self.spec.id), message.clone());
        entry.attempt = Some(self.attempt);
        let mut event = self
            .run
            .event(Some(&self.spec.id), EntryKind::Message, message);
        event.attempt = Some(self.attempt);
        self.run.record(entry, event);
    }

    /// Whether the run is being interrupted (pause, stop, lost lease): a long `observe`
    /// may give up early; `act` should finish what it started.
    pub fn is_interrupted(&self) -> bool {
        *self.run.interrupt.borrow()
    }

    /// Resolves when the run is being interrupted.
    pub async fn interrupted(&self) {
        let mut receiver = self.run.interrupt.clone();
        let _ = receiver.wait_for(|interrupt| *interrupt).await;
    }

    fn check_lease(&self) -> Result<(), StepError> {
        match self.run.fence.status() {
            FenceStatus::Valid => Ok(()),
            FenceStatus::Lost => Err(store_failure(self.run.fence.lost_error())),
            FenceStatus::Failed(message) => Err(StepError::permanent(message)),
        }
    }

    /// A fact of this site, read together with a check that this worker still holds the
    /// action's lease.
    pub async fn fact(
        &self,
        domain: &str,
        key: &str,
    ) -> Result<Option<serde_json::Value>, StepError> {
        self.check_lease()?;
        let (holds, value) = self
            .run
            .store
            .fenced_fact(&self.run.fence, self.site(), domain, key)
            .await
            .map_err(store_failure)?;
        if !holds {
            self.run.fence.mark(FenceStatus::Lost);
            return Err(store_failure(self.run.fence.lost_error()));
        }
        Ok(value)
    }

    /// Writes a fact of this site (scrubbed), fenced and durable: on disk when this
    /// returns, or an error if this worker lost the lease.
    pub async fn put_fact(
        &self,
        domain: &str,
        key: &str,
        value: serde_json::Value,
    ) -> Result<(), StepError> {
        self.check_lease()?;
        let op = WriteOp::Fact {
            site: self.site().to_string(),
            domain: domain.to_string(),
            key: key.to_string(),
            value,
        };
        self.run
            .store
            .writer()
            .write(Some(self.run.fence.clone()), vec![op], true)
            .await
            .map(|_| ())
            .map_err(store_failure)
    }

    /// Removes a fact of this site, fenced and durable.
    pub async fn delete_fact(&self, domain: &str, key: &str) -> Result<(), StepError> {
        self.check_lease()?;
        let op = WriteOp::DeleteFact {
            site: self.site().to_string(),
            domain: domain.to_string(),
            key: key.to_string(),
        };
        self.run
            .store
            .writer()
            .write(Some(self.run.fence.clone()), vec![op], true)
            .await
            .map(|_| ())
            .map_err(store_failure)
    }

    /// What `node` of this site reported since the action was submitted, oldest first.
    pub async fn phone_home(&self, node: &str) -> Result<Vec<PhoneHomeRecord>, StepError> {
        self.check_lease()?;
        self.run
            .store
            .phone_home_records(self.site(), node, self.action.created_ms)
            .await
            .map_err(store_failure)
    }
}

impl std::fmt::Debug for StepContext {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StepContext")
            .field("action", &self.action.id)
            .field("step", &self.spec.id)
            .field("attempt", &self.attempt)
            .finish()
    }
}
