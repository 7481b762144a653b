//! Engine overhead on SQLite, with the store's durability settings (WAL, `synchronous =
//! FULL`, group commit): journaling step transitions, synced intents, and `show`.
//!
//! `cargo bench -p aero-workflow --bench engine`
//!
//! - `run/10000_noop_steps`: one action of 10,000 independent steps that observe and are
//!   done (no side effect): 30,000 journaled step transitions (started, attempt, ended),
//!   each with its step-state update, plus the action's start and end.
//! - `run/1000_acting_steps`: 1,000 steps that each perform one side effect: 1,000 intents
//!   synced before their acts (16 steps at once share group commits), 1,000 results.
//! - `show/1000_steps`: `Store::show` of a finished action of 1,000 steps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aero_redact::{RedactionKey, SharedRedactor};
use aero_workflow::{
    ActionSpec, ActionState, Decision, Engine, EngineConfig, Limits, Pending, Registry, Step,
    StepContext, StepError, StepSpec, Store, StoreOptions, erase,
};
use async_trait::async_trait;
use criterion::Criterion;

/// Done at once, or after one act when `acts`.
struct Probe {
    acts: bool,
    applied: AtomicBool,
}

#[async_trait]
impl Step for Probe {
    type Observed = bool;
    type Op = String;

    async fn observe(&self, _cx: &StepContext) -> Result<bool, StepError> {
        Ok(!self.acts || self.applied.load(Ordering::SeqCst))
    }

    fn decide(&self, applied: &bool, _pending: Option<&Pending<String>>) -> Decision<String> {
        if *applied {
            Decision::done(serde_json::json!({"ok": true}))
        } else {
            Decision::Act("apply".to_string())
        }
    }

    async fn act(&self, _cx: &StepContext, _op: &String) -> Result<serde_json::Value, StepError> {
        self.applied.store(true, Ordering::SeqCst);
        Ok(serde_json::Value::Null)
    }
}

fn registry() -> Arc<Registry> {
    let mut registry = Registry::new();
    registry.register("noop", |_| {
        Ok(erase(Probe {
            acts: false,
            applied: AtomicBool::new(false),
        }))
    });
    registry.register("act", |_| {
        Ok(erase(Probe {
            acts: true,
            applied: AtomicBool::new(false),
        }))
    });
    Arc::new(registry)
}

fn spec(kind: &str, steps: usize) -> ActionSpec {
    ActionSpec {
        kind: "bench".to_string(),
        site: "bench".to_string(),
        revision_id: "rev".to_string(),
        snapshot_id: "sha256:0".to_string(),
        params: serde_json::Value::Null,
        steps: (0..steps)
            .map(|n| {
                let mut step = StepSpec::new(
                    &format!("group-{}/node-{n:05}/step", n % 10),
                    kind,
                    "bench step",
                );
                step.node = Some(format!("node-{n:05}"));
                step
            })
            .collect(),
        limits: Limits::default(),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    engine: Engine,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("dir");
    let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([1; 32]));
    redactor.add_secret("a-registered-secret-value");
    let store = Store::open(
        dir.path().join("workflow.db").to_str().expect("utf-8"),
        StoreOptions::new(redactor),
    )
    .await
    .expect("open");
    let engine = Engine::with_registry(store, registry(), EngineConfig::default());
    Fixture { _dir: dir, engine }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Times `engine.run` of a freshly submitted action (store creation and submission are
/// not timed).
fn time_runs(
    runtime: &tokio::runtime::Runtime,
    kind: &str,
    steps: usize,
    iterations: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iterations {
        total += runtime.block_on(async {
            let fixture = fixture().await;
            let id = fixture
                .engine
                .submit(&spec(kind, steps))
                .await
                .expect("submit");
            let started = Instant::now();
            let state = fixture.engine.run(&id).await.expect("run");
            let elapsed = started.elapsed();
            assert_eq!(state, ActionState::Succeeded);
            elapsed
        });
    }
    total
}

fn engine_overhead(criterion: &mut Criterion) {
    let runtime = runtime();
    let mut group = criterion.benchmark_group("run");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("10000_noop_steps", |bencher| {
        bencher.iter_custom(|iterations| time_runs(&runtime, "noop", 10_000, iterations));
    });
    group.bench_function("1000_acting_steps", |bencher| {
        bencher.iter_custom(|iterations| time_runs(&runtime, "act", 1_000, iterations));
    });
    group.finish();

    let (fixture, id) = runtime.block_on(async {
        let fixture = fixture().await;
        let id = fixture
            .engine
            .submit(&spec("noop", 1_000))
            .await
            .expect("submit");
        fixture.engine.run(&id).await.expect("run");
        (fixture, id)
    });
    let mut group = criterion.benchmark_group("show");
    group.sample_size(20);
    group.bench_function("1000_steps", |bencher| {
        bencher.iter(|| {
            let detail = runtime.block_on(fixture.engine.show(&id)).expect("show");
            assert_eq!(detail.steps.len(), 1_000);
        });
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    engine_overhead(&mut criterion);
    criterion.final_summary();
}
