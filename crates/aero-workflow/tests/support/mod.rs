//! Shared support of the integration tests: stores on both backends, test steps, specs.
#![allow(dead_code)]

pub mod postgres;
pub mod steps;

use std::sync::Arc;
use std::time::Duration;

use aero_redact::{RedactionKey, SharedRedactor};
use aero_workflow::retry::NoDelay;
use aero_workflow::{
    ActionSpec, Dependency, Engine, EngineConfig, Limits, RetryPolicy, StepSpec, Store,
    StoreOptions,
};
use serde_json::Value;

pub use steps::Lab;

/// Where a test's store lives.
pub struct Backend {
    /// The location given to `Store::open`.
    pub location: String,
    /// Keeps a SQLite store's directory alive.
    pub dir: Option<tempfile::TempDir>,
    pub redactor: SharedRedactor,
}

impl Backend {
    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> Backend {
        let dir = tempfile::tempdir().expect("temp dir");
        let location = dir.path().join("state").join("workflow.db");
        Backend {
            location: location.display().to_string(),
            dir: Some(dir),
            redactor: redactor(),
        }
    }

    /// A new database on the test PostgreSQL server.
    pub async fn postgres() -> Backend {
        Backend {
            location: postgres::fresh_database().await,
            dir: None,
            redactor: redactor(),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.dir.is_some()
    }

    /// Opens (another handle on) the store.
    pub async fn open(&self) -> Store {
        Store::open(&self.location, self.options())
            .await
            .unwrap_or_else(|error| panic!("open {}: {error}", self.location))
    }

    pub fn options(&self) -> StoreOptions {
        let mut options = StoreOptions::new(self.redactor.clone());
        options.flush_interval = Duration::from_millis(5);
        options
    }
}

pub fn redactor() -> SharedRedactor {
    SharedRedactor::with_key(RedactionKey::from_bytes([42; 32]))
}

/// Fast leases and heartbeats for tests.
pub fn config() -> EngineConfig {
    EngineConfig {
        lease_ttl: Duration::from_secs(10),
        heartbeat_interval: Duration::from_millis(100),
        poll_interval: Duration::from_millis(50),
        ..EngineConfig::default()
    }
}

/// An engine over `store` running the lab's steps without backoff delays.
pub fn engine(store: &Store, lab: &Lab) -> Engine {
    engine_with(store, lab, config())
}

pub fn engine_with(store: &Store, lab: &Lab, config: EngineConfig) -> Engine {
    Engine::with_registry(store.clone(), Arc::new(lab.registry()), config)
        .with_backoff(Arc::new(NoDelay))
}

/// A probe step with `params` (an object) and `after` dependencies (`"a"` on success,
/// `"~a"` on completion).
pub fn probe(id: &str, after: &[&str], params: Value) -> StepSpec {
    step(id, "probe", after, params)
}

pub fn step(id: &str, kind: &str, after: &[&str], params: Value) -> StepSpec {
    let mut spec = StepSpec::new(id, kind, &format!("{kind} {id}"));
    spec.params = params;
    spec.retry = RetryPolicy {
        max_attempts: 3,
        initial_delay_ms: 1,
        max_delay_ms: 1,
        multiplier: 1.0,
        jitter: 0.0,
    };
    spec.after = after
        .iter()
        .map(|dependency| match dependency.strip_prefix('~') {
            Some(on_completion) => Dependency::completion(on_completion),
            None => Dependency::success(dependency),
        })
        .collect();
    spec
}

/// An action on `site` with `steps`.
pub fn action(site: &str, steps: Vec<StepSpec>) -> ActionSpec {
    ActionSpec {
        kind: "test_site".to_string(),
        site: site.to_string(),
        revision_id: "rev-1".to_string(),
        snapshot_id: "sha256:0".to_string(),
        params: serde_json::json!({}),
        steps,
        limits: Limits::default(),
    }
}
