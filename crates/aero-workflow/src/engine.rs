//! The engine: submit, run, control and inspect actions; the worker loop.
//!
//! An [`Engine`] is one worker: it has an id, registers its process in the store, claims
//! actions with leases, renews them (heartbeat) and runs them through the executor.
//! Several engines (processes, machines) can share one store: leases and fencing tokens
//! make sure an action runs on one worker at a time and that a worker that lost its lease
//! cannot write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use crate::context::RunHandle;
use crate::error::{EngineError, StoreError};
use crate::events::Event;
use crate::identity::ProcessIdentity;
use crate::retry::{BackoffFactory, PolicyBackoff};
use crate::spec::ActionSpec;
use crate::state::ActionState;
use crate::step::{FixedRegistry, RegistryProvider, StepRegistry};
use crate::store::writer::FenceStatus;
use crate::store::{
    ActionDetail, ActionFilter, ActionSummary, Fence, JournalRecord, LeaseCandidate, LogFilter,
    Store,
};

/// How long a worker leaves alone an action whose steps it could not prepare.
const PREPARE_RETRY: Duration = Duration::from_secs(60);

/// Settings of an engine (a worker).
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// How long a lease lasts without renewal.
    pub lease_ttl: Duration,
    /// How often a held lease is renewed (and pause/stop requests from other processes
    /// are read).
    pub heartbeat_interval: Duration,
    /// Actions a worker loop runs at once.
    pub max_actions: usize,
    /// How often an idle worker loop looks for work.
    pub poll_interval: Duration,
    /// Events kept for slow subscribers.
    pub event_capacity: usize,
    /// This process, as recorded with its leases (tests may pose as another process).
    pub identity: ProcessIdentity,
}

impl Default for EngineConfig {
    /// 30 s leases renewed every 5 s, 4 actions at once, 2 s idle poll.
    fn default() -> Self {
        EngineConfig {
            lease_ttl: Duration::from_secs(30),
            heartbeat_interval: Duration::from_secs(5),
            max_actions: 4,
            poll_interval: Duration::from_secs(2),
            event_capacity: 4096,
            identity: ProcessIdentity::current(),
        }
    }
}

/// The workflow engine (one worker). Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    provider: Arc<dyn RegistryProvider>,
    backoff: Arc<dyn BackoffFactory>,
    config: EngineConfig,
    worker_id: String,
    events: broadcast::Sender<Event>,
    /// Actions running in this process: their interruption switches.
    running: Mutex<HashMap<String, watch::Sender<bool>>>,
    registered: tokio::sync::OnceCell<()>,
}

/// A fresh worker id: `w-` and 12 random hex digits.
fn new_worker_id() -> String {
    let mut bytes = [0u8; 6];
    let _ = getrandom::fill(&mut bytes);
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("w-{hex}")
}

impl Engine {
    /// An engine over `store` whose steps come from `provider`.
    pub fn new(store: Store, provider: Arc<dyn RegistryProvider>, config: EngineConfig) -> Engine {
        Engine::build(store, provider, Arc::new(PolicyBackoff), config)
    }

    /// An engine whose every action uses `registry`.
    pub fn with_registry(
        store: Store,
        registry: Arc<dyn StepRegistry>,
        config: EngineConfig,
    ) -> Engine {
        Engine::new(store, Arc::new(FixedRegistry(registry)), config)
    }

    /// The same engine with another backoff (tests inject one without delays).
    pub fn with_backoff(self, backoff: Arc<dyn BackoffFactory>) -> Engine {
        let inner = &self.inner;
        Engine::build(
            inner.store.clone(),
            inner.provider.clone(),
            backoff,
            inner.config.clone(),
        )
    }

    fn build(
        store: Store,
        provider: Arc<dyn RegistryProvider>,
        backoff: Arc<dyn BackoffFactory>,
        config: EngineConfig,
    ) -> Engine {
        let (events, _) = broadcast::channel(config.event_capacity.max(16));
        Engine {
            inner: Arc::new(Inner {
                store,
                provider,
                backoff,
                config,
                worker_id: new_worker_id(),
                events,
                running: Mutex::new(HashMap::new()),
                registered: tokio::sync::OnceCell::new(),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// This worker's id (as recorded in leases).
    pub fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    /// Live events of the actions this engine runs.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Persists a new action (pending) and takes its site; see [`Store::submit`].
    pub async fn submit(&self, spec: &ActionSpec) -> Result<String, EngineError> {
        Ok(self.inner.store.submit(spec).await?)
    }

    /// Claims action `id` and runs it in this process until it ends, pauses or stops;
    /// returns its state then. A final action returns its state at once; a paused or
    /// stopped one must be resumed first; one leased by a live worker gives
    /// `ActionBusy` (class Conflict).
    pub async fn run(&self, id: &str) -> Result<ActionState, EngineError> {
        self.register().await?;
        let candidates = self.inner.store.lease_candidates(Some(id)).await?;
        let Some(candidate) = candidates.into_iter().next() else {
            let action = self.inner.store.action(id).await?;
            if action.state.is_final() {
                return Ok(action.state);
            }
            return Err(StoreError::InvalidState {
                action: id.to_string(),
                state: action.state.name().to_string(),
                operation: "run it (resume it first)",
            }
            .into());
        };
        let dead_owner = self.dead_owner(&candidate);
        if !Self::is_free(&candidate) && dead_owner.is_none() {
            return Err(busy(&candidate).into());
        }
        let claim = self
            .inner
            .store
            .claim(
                &candidate,
                &self.inner.worker_id,
                self.inner.config.lease_ttl,
                dead_owner.as_deref(),
            )
            .await?;
        let Some(claim) = claim else {
            // Another worker won the race.
            let fresh = self.inner.store.lease_candidates(Some(id)).await?;
            return Err(match fresh.first() {
                Some(candidate) => busy(candidate).into(),
                None => StoreError::InvalidState {
                    action: id.to_string(),
                    state: self.inner.store.action(id).await?.state.name().to_string(),
                    operation: "run it",
                }
                .into(),
            });
        };
        self.execute_claimed(id, claim.token).await
    }

    /// Claims and runs every interrupted action: running or stopping, with no live lease
    /// (its worker died or lost it). Returns each action with the outcome of its run.
    pub async fn resume_all_interrupted(
        &self,
    ) -> Result<Vec<(String, Result<ActionState, EngineError>)>, EngineError> {
        self.register().await?;
        let candidates = self.inner.store.lease_candidates(None).await?;
        let mut runs = JoinSet::new();
        for candidate in candidates {
            if !matches!(
                candidate.state,
                ActionState::Running | ActionState::Stopping
            ) {
                continue;
            }
            let dead_owner = self.dead_owner(&candidate);
            if !Self::is_free(&candidate) && dead_owner.is_none() {
                continue;
            }
            if let Some(claim) = self
                .inner
                .store
                .claim(
                    &candidate,
                    &self.inner.worker_id,
                    self.inner.config.lease_ttl,
                    dead_owner.as_deref(),
                )
                .await?
            {
                let engine = self.clone();
                let id = candidate.action_id.clone();
                runs.spawn(async move {
                    let outcome = engine.execute_claimed(&id, claim.token).await;
                    (id, outcome)
                });
            }
        }
        let mut outcomes = Vec::new();
        while let Some(joined) = runs.join_next().await {
            if let Ok(outcome) = joined {
                outcomes.push(outcome);
            }
        }
        outcomes.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(outcomes)
    }

    /// Asks action `id` to pause at its next step boundary; see [`Store::request_pause`].
    pub async fn pause(&self, id: &str) -> Result<ActionState, EngineError> {
        let state = self.inner.store.request_pause(id).await?;
        self.interrupt_local(id);
        Ok(state)
    }

    /// Asks action `id` to stop at its next step boundary; see [`Store::request_stop`].
    pub async fn stop(&self, id: &str) -> Result<ActionState, EngineError> {
        let state = self.inner.store.request_stop(id).await?;
        self.interrupt_local(id);
        Ok(state)
    }

    /// Makes a paused or stopped action runnable again; see [`Store::resume`]. Call
    /// [`Engine::run`] to run it here, or leave it to a worker.
    pub async fn resume(&self, id: &str) -> Result<ActionState, EngineError> {
        Ok(self.inner.store.resume(id).await?)
    }

    /// Resets failed steps and their dependants; see [`Store::retry_from`].
    pub async fn retry_from(&self, id: &str, steps: &[&str]) -> Result<ActionState, EngineError> {
        Ok(self.inner.store.retry_from(id, steps).await?)
    }

    /// Actions, newest first.
    pub async fn list(&self, filter: &ActionFilter) -> Result<Vec<ActionSummary>, EngineError> {
        Ok(self.inner.store.list(filter).await?)
    }

    /// An action with its steps.
    pub async fn show(&self, id: &str) -> Result<ActionDetail, EngineError> {
        Ok(self.inner.store.show(id).await?)
    }

    /// Journal entries of an action.
    pub async fn logs(
        &self,
        id: &str,
        filter: &LogFilter,
    ) -> Result<Vec<JournalRecord>, EngineError> {
        Ok(self.inner.store.logs(id, filter).await?)
    }

    /// Waits until action `id` (run by any worker) is no longer pending, running or
    /// stopping, reading the store every `poll`; returns its state.
    pub async fn follow(&self, id: &str, poll: Duration) -> Result<ActionState, EngineError> {
        loop {
            let action = self.inner.store.action(id).await?;
            if !action.state.is_claimable() {
                return Ok(action.state);
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// The worker loop: claims available actions (pending, or running with a lapsed
    /// lease) and runs up to `max_actions` at once, until `shutdown` becomes true; then
    /// interrupts its runs at their next boundary (they go back to pending for another
    /// worker) and returns.
    pub async fn work(&self, mut shutdown: watch::Receiver<bool>) -> Result<(), EngineError> {
        self.register().await?;
        let mut runs: JoinSet<(String, bool)> = JoinSet::new();
        // Actions this worker could not prepare (their revision cannot be rendered here,
        // say), left to other workers for a while.
        let mut skip_until: HashMap<String, Instant> = HashMap::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            skip_until.retain(|_, until| *until > Instant::now());
            while runs.len() < self.inner.config.max_actions.max(1) {
                let claimed = match self.claim_next(&skip_until).await {
                    Ok(Some(claimed)) => claimed,
                    Ok(None) => break,
                    Err(error) => {
                        // The store may come back: try again at the next poll.
                        tracing::warn!(error = %error, "cannot look for work");
                        break;
                    }
                };
                let (id, token) = claimed;
                let engine = self.clone();
                runs.spawn(async move {
                    match engine.execute_claimed(&id, token).await {
                        Ok(state) => {
                            tracing::info!(action = %id, state = %state, "run ended");
                            (id, false)
                        }
                        Err(error) => {
                            tracing::warn!(action = %id, error = %error, "run ended with an error");
                            let unprepared = matches!(error, EngineError::Build(_));
                            (id, unprepared)
                        }
                    }
                });
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                Some(joined) = runs.join_next(), if !runs.is_empty() => {
                    if let Ok((id, true)) = joined {
                        skip_until.insert(id, Instant::now() + PREPARE_RETRY);
                    }
                }
                _ = tokio::time::sleep(self.inner.config.poll_interval) => {}
            }
        }
        let running: Vec<String> = self.running_ids();
        for id in running {
            self.interrupt_local(&id);
        }
        while runs.join_next().await.is_some() {}
        Ok(())
    }

    /// Claims the oldest available action, if any.
    async fn claim_next(
        &self,
        skip: &HashMap<String, Instant>,
    ) -> Result<Option<(String, i64)>, EngineError> {
        let candidates = self.inner.store.lease_candidates(None).await?;
        let running = self.running_ids();
        for candidate in candidates {
            if running.contains(&candidate.action_id)
                || skip
                    .get(&candidate.action_id)
                    .is_some_and(|until| *until > Instant::now())
            {
                continue;
            }
            let dead_owner = self.dead_owner(&candidate);
            if !Self::is_free(&candidate) && dead_owner.is_none() {
                continue;
            }
            if let Some(claim) = self
                .inner
                .store
                .claim(
                    &candidate,
                    &self.inner.worker_id,
                    self.inner.config.lease_ttl,
                    dead_owner.as_deref(),
                )
                .await?
            {
                return Ok(Some((candidate.action_id, claim.token)));
            }
        }
        Ok(None)
    }

    fn running_ids(&self) -> Vec<String> {
        self.inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    fn interrupt_local(&self, id: &str) {
        if let Some(switch) = self
            .inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
        {
            switch.send_replace(true);
        }
    }

    async fn register(&self) -> Result<(), EngineError> {
        self.inner
            .registered
            .get_or_try_init(|| async {
                self.inner
                    .store
                    .register_worker(&self.inner.worker_id, &self.inner.config.identity)
                    .await
            })
            .await?;
        Ok(())
    }

    /// Whether nobody holds the candidate's lease.
    fn is_free(candidate: &LeaseCandidate) -> bool {
        candidate.owner.is_none() || candidate.remaining_ms < 0
    }

    /// The candidate's owner, if it is a process of this machine that is dead.
    fn dead_owner(&self, candidate: &LeaseCandidate) -> Option<String> {
        let owner = candidate.owner.as_ref()?;
        let identity = candidate.owner_identity.as_ref()?;
        if owner == &self.inner.worker_id {
            return None;
        }
        self.inner
            .config
            .identity
            .is_dead_local(identity)
            .then(|| owner.clone())
    }

    /// Runs an action this worker just claimed with `token`.
    async fn execute_claimed(&self, id: &str, token: i64) -> Result<ActionState, EngineError> {
        let fence = Fence::new(id, &self.inner.worker_id, token);
        let (requests, requests_receiver) = watch::channel(false);
        self.inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_string(), requests.clone());
        let result = self
            .execute_fenced(fence, requests, requests_receiver)
            .await;
        self.inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        result
    }

    async fn execute_fenced(
        &self,
        fence: Fence,
        requests: watch::Sender<bool>,
        requests_receiver: watch::Receiver<bool>,
    ) -> Result<ActionState, EngineError> {
        let store = &self.inner.store;
        let heartbeat = tokio::spawn(heartbeat(
            store.clone(),
            fence.clone(),
            requests.clone(),
            self.inner.config.clone(),
            self.inner.worker_id.clone(),
        ));
        let _stop_heartbeat = AbortOnDrop(heartbeat);
        let loaded = store.load(fence.action_id()).await?;
        if loaded.summary.control.is_some() {
            requests.send_replace(true);
        }
        let registry = match self.inner.provider.registry(&loaded.summary).await {
            Ok(registry) => registry,
            Err(error) => {
                // Leave the action to a worker that can prepare it.
                store.release(&fence).await?;
                return Err(error.into());
            }
        };
        let (interrupt, interrupt_receiver) = watch::channel(false);
        let handle = Arc::new(RunHandle {
            store: store.clone(),
            fence,
            events: self.inner.events.clone(),
            interrupt: interrupt_receiver,
        });
        crate::executor::execute(
            handle,
            loaded,
            registry,
            self.inner.backoff.clone(),
            requests_receiver,
            interrupt,
        )
        .await
    }
}

fn busy(candidate: &LeaseCandidate) -> StoreError {
    StoreError::ActionBusy {
        action: candidate.action_id.clone(),
        worker: candidate.owner.clone().unwrap_or_default(),
        remaining_ms: candidate.remaining_ms.max(0),
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews the lease every heartbeat interval and forwards pause/stop requests. Marks the
/// fence lost when the store says another worker holds the lease, or failed when the
/// lease could not be renewed for a whole TTL (by the local clock: the store may have
/// let it expire, so this worker must not act any more).
async fn heartbeat(
    store: Store,
    fence: Fence,
    requests: watch::Sender<bool>,
    config: EngineConfig,
    worker_id: String,
) {
    let mut renewed_at = Instant::now();
    loop {
        tokio::time::sleep(config.heartbeat_interval).await;
        match store.renew(&fence, config.lease_ttl).await {
            Ok(Some(control)) => {
                renewed_at = Instant::now();
                if control.is_some() {
                    requests.send_replace(true);
                }
                let _ = store.worker_heartbeat(&worker_id).await;
            }
            Ok(None) => {
                tracing::warn!(action = %fence.action_id(), "lease lost to another worker");
                fence.mark(FenceStatus::Lost);
                return;
            }
            Err(error) => {
                tracing::warn!(action = %fence.action_id(), error = %error, "cannot renew the lease");
                if renewed_at.elapsed() >= config.lease_ttl {
                    fence.mark(FenceStatus::Failed(format!(
                        "the lease could not be renewed for {} s: {error}",
                        config.lease_ttl.as_secs()
                    )));
                    return;
                }
            }
        }
    }
}
