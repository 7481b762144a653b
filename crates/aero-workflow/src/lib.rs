//! The workflow engine: actions on a site as DAGs of journaled, resumable steps, over a
//! durable store (an embedded SQLite file, or PostgreSQL for teams).
//!
//! When step 37 of 50 fails, the operator fixes the cause and resumes from step 37; when
//! the machine running an action reboots, the action resumes from its journal. The engine
//! knows no driver and no document: domains plug steps in through a [`StepRegistry`].
//!
//! # Main types
//!
//! - [`ActionSpec`] / [`StepSpec`]: what an action is (persisted at submission, never
//!   changed): steps, [`Dependency`] edges (`Success` or `Completion`), resource keys,
//!   [`RetryPolicy`], timeouts, [`Limits`].
//! - [`Step`]: observe → decide (pure) → act, with [`Decision`] and [`Pending`] (an intent
//!   journaled without a result). [`erase`] makes a [`DynStep`] a registry can return;
//!   [`Registry`] maps step kinds to builders; a [`RegistryProvider`] gives each action its
//!   registry (where a domain renders the action's pinned revision).
//! - [`StepContext`]: the action, the step's spec, its dependencies' outcomes (for gates),
//!   events, interruption, fenced site facts, phone-home records.
//! - [`Store`]: the durable store. [`Engine`]: one worker (submit, run, pause, stop,
//!   resume, retry, list, show, logs, the worker loop) and its [`Event`]s.
//!
//! # Guarantees
//!
//! - An intent is synced to disk before its side effect; a step whose last intent has no
//!   result observes the real state (and waits for convergence) before acting again.
//! - A completed step is never run again (except by an explicit `retry_from`).
//! - One action per site at a time, enforced by the store (a unique index).
//! - One worker per action at a time: leases with a heartbeat and a fencing token that
//!   every write checks in its own transaction; a worker that lost its lease gets
//!   `LeaseLost` (class Conflict) on its next write and stops.
//! - Nothing written to the store holds a registered secret: every text and JSON value
//!   passes through the [`aero_redact::SharedRedactor`] of the store.
//! - The journal is group-committed: only intents (and run ends, claims and operator
//!   requests) force a commit; other transitions wait at most the flush interval and are
//!   always committed before any later durable write, so a crash loses at most the last
//!   few milliseconds of transitions, never one that precedes a durable write.
//!
//! # Why not a job library
//!
//! `apalis` (SQLite/PostgreSQL/MySQL storages) and `underway` (PostgreSQL only) were
//! evaluated first. Both run *jobs*: a queue of independent units (underway: a linear
//! chain of steps) leased by workers, retried by the library. Neither fits the journal's
//! contract: no DAG with `Completion` edges and skip propagation, no intent/result pair
//! with a synced intent and a pending intent handed to the next run, no fencing token
//! checked by every write (their leases are heartbeats without fencing), and no "one
//! running action per site". apalis' SQL backends also build their queries with sqlx's
//! compile-time macros against its own schema, and underway is tied to PostgreSQL and
//! to sqlx 0.8. Adopting either would mean running our own journal beside theirs. So
//! the engine uses sqlx directly (0.9, runtime-checked queries through the `Any` driver,
//! embedded migrations per dialect) and keeps its queue, leases and journal in its own
//! tables.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use aero_redact::{RedactionKey, SharedRedactor};
//! use aero_workflow::{
//!     ActionSpec, ActionState, Decision, Dependency, Engine, EngineConfig, Registry, Step,
//!     StepContext, StepError, StepSpec, Store, StoreOptions, erase,
//! };
//! use async_trait::async_trait;
//!
//! /// Makes sure a file exists.
//! struct Touch(std::path::PathBuf);
//!
//! #[async_trait]
//! impl Step for Touch {
//!     type Observed = bool;
//!     type Op = String;
//!
//!     async fn observe(&self, _cx: &StepContext) -> Result<bool, StepError> {
//!         Ok(self.0.exists())
//!     }
//!
//!     fn decide(&self, exists: &bool, _pending: Option<&aero_workflow::Pending<String>>) -> Decision<String> {
//!         if *exists {
//!             Decision::done(serde_json::json!({"path": self.0}))
//!         } else {
//!             Decision::Act("create".to_string())
//!         }
//!     }
//!
//!     async fn act(&self, _cx: &StepContext, _op: &String) -> Result<serde_json::Value, StepError> {
//!         std::fs::write(&self.0, b"").map_err(|error| StepError::from_error(&error))?;
//!         Ok(serde_json::Value::Null)
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([7; 32]));
//! let store = Store::open(dir.path().join("workflow.db").to_str().unwrap(), StoreOptions::new(redactor))
//!     .await
//!     .unwrap();
//!
//! // A domain registers its step kinds.
//! let mut registry = Registry::new();
//! let root = dir.path().to_path_buf();
//! registry.register("touch", move |spec| Ok(erase(Touch(root.join(&spec.params["file"].as_str().unwrap_or("x"))))));
//!
//! // The CLI submits an action and runs it to the end.
//! let mut first = StepSpec::new("a", "touch", "create a");
//! first.params = serde_json::json!({"file": "a"});
//! let mut second = StepSpec::new("b", "touch", "create b");
//! second.params = serde_json::json!({"file": "b"});
//! second.after = vec![Dependency::success("a")];
//! let spec = ActionSpec {
//!     kind: "example".into(),
//!     site: "lab".into(),
//!     revision_id: "rev-1".into(),
//!     snapshot_id: "sha256:none".into(),
//!     params: serde_json::Value::Null,
//!     steps: vec![first, second],
//!     limits: Default::default(),
//! };
//! let engine = Engine::with_registry(store, Arc::new(registry), EngineConfig::default());
//! let id = engine.submit(&spec).await.unwrap();
//! assert_eq!(engine.run(&id).await.unwrap(), ActionState::Succeeded);
//! assert!(dir.path().join("b").exists());
//! # });
//! ```

mod context;
pub mod crash;
mod dag;
mod engine;
mod error;
mod events;
mod executor;
mod identity;
pub mod retry;
mod runner;
mod scrub;
mod spec;
mod state;
mod step;
mod store;

pub use context::{DependencyView, StepContext};
pub use dag::{Graph, SpecError, validate};
pub use engine::{Engine, EngineConfig};
pub use error::{EngineError, StoreError};
pub use events::{EntryKind, Event};
pub use identity::ProcessIdentity;
pub use spec::{ActionSpec, Dependency, DependencyOn, Limits, RetryPolicy, StepSpec};
pub use state::{ActionState, Control, StepState};
pub use step::{
    BuildError, BuildFn, Decision, DynStep, FixedRegistry, Pending, Registry, RegistryProvider,
    Step, StepError, StepRegistry, erase,
};
pub use store::{
    ActionDetail, ActionFilter, ActionSummary, Deployment, Dialect, JournalRecord, LogFilter,
    PhoneHome, PhoneHomeRecord, SCHEMA_VERSION, SiteFact, StepSummary, Store, StoreOptions,
    WorkerRecord, snapshot_id,
};
