//! Test steps over a simulated world that counts every observation and side effect.
//!
//! Kinds:
//! - `probe`: converges a boolean "applied" target per step id. Parameters (all optional):
//!   `fail_times` (act fails that often first), `fail_class` (`transient`|`permanent`),
//!   `decide_fail` (decide fails), `lag_polls` (after the act, the target shows applied only
//!   after that many more observations: `Wait` meanwhile), `block` (the first act waits
//!   for the test to open the step's gate), `apply_before_block` (the effect lands before
//!   blocking), `window_ms` (convergence window for a pending intent), `hold_ms` (each act
//!   takes that long, for concurrency measurements), `never_converges` (always `Wait`),
//!   `message` (emitted, and kept in the output), `fact` (written as fact `test/<id>`),
//!   `read_fact` (a fact key read into the output), `check_intent` (the act checks through
//!   a second store that its intent is committed and has no result yet).
//! - `gate`: counts its dependencies' outcomes: done (tolerating the failed ones) when at
//!   least `min_succeeded` succeeded, else fails.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aero_error::ErrorClass;
use aero_workflow::{
    BuildError, Decision, DynStep, LogFilter, Pending, Registry, Step, StepContext, StepError,
    StepSpec, StepState, Store, erase,
};
use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};

/// What happened to one step id.
#[derive(Debug, Default, Clone)]
pub struct Record {
    pub observes: u32,
    pub acts: u32,
    pub applied: bool,
    pub fail_left: u32,
    pub lag_left: u32,
    pub initialized: bool,
    /// The pending intents `decide` was given (op, age), one per decide call with one.
    pub pending_seen: Vec<(Value, Duration)>,
    /// For `check_intent`: whether each act found its intent committed without result.
    pub intent_visible: Vec<bool>,
}

#[derive(Default)]
struct World {
    records: HashMap<String, Record>,
    /// Steps in the order their first act happened.
    act_order: Vec<String>,
    /// Steps in the order their first observation happened.
    start_order: Vec<String>,
    /// Acts in flight now and at most, per resource key ("*" for all).
    in_flight: HashMap<String, i64>,
    max_in_flight: HashMap<String, i64>,
}

/// The gate of a blocking step: the test waits for `entered` and opens `release`.
struct Gate {
    entered: watch::Sender<u32>,
    release: Arc<Semaphore>,
}

/// The shared world of the test steps, and their registry.
#[derive(Clone, Default)]
pub struct Lab {
    world: Arc<Mutex<World>>,
    gates: Arc<Mutex<HashMap<String, Arc<Gate>>>>,
    observer: Arc<Mutex<Option<Store>>>,
}

impl Lab {
    pub fn new() -> Lab {
        Lab::default()
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A second store on the same database, used by `check_intent` steps.
    pub fn set_observer(&self, store: Store) {
        *self.observer.lock().unwrap_or_else(PoisonError::into_inner) = Some(store);
    }

    pub fn record(&self, step: &str) -> Record {
        self.world().records.get(step).cloned().unwrap_or_default()
    }

    pub fn acts(&self, step: &str) -> u32 {
        self.record(step).acts
    }

    pub fn observes(&self, step: &str) -> u32 {
        self.record(step).observes
    }

    pub fn act_order(&self) -> Vec<String> {
        self.world().act_order.clone()
    }

    pub fn start_order(&self) -> Vec<String> {
        self.world().start_order.clone()
    }

    pub fn max_in_flight(&self, key: &str) -> i64 {
        self.world().max_in_flight.get(key).copied().unwrap_or(0)
    }

    /// Changes a step's remaining failures (a "fix" between runs).
    pub fn set_fail_left(&self, step: &str, times: u32) {
        let mut world = self.world();
        let record = world.records.entry(step.to_string()).or_default();
        record.initialized = true;
        record.fail_left = times;
    }

    /// Sets whether a step's target is applied (a change made outside the engine).
    pub fn set_applied(&self, step: &str, applied: bool) {
        let mut world = self.world();
        let record = world.records.entry(step.to_string()).or_default();
        record.applied = applied;
    }

    fn gate(&self, step: &str) -> Arc<Gate> {
        self.gates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(step.to_string())
            .or_insert_with(|| {
                Arc::new(Gate {
                    entered: watch::Sender::new(0),
                    release: Arc::new(Semaphore::new(0)),
                })
            })
            .clone()
    }

    /// Waits until the blocking act of `step` has been entered `times` times.
    pub async fn wait_entered(&self, step: &str, times: u32) {
        let mut entered = self.gate(step).entered.subscribe();
        entered
            .wait_for(|count| *count >= times)
            .await
            .expect("gate open");
    }

    /// Lets one blocked act of `step` go on.
    pub fn release(&self, step: &str) {
        self.gate(step).release.add_permits(1);
    }

    /// The registry of the test step kinds.
    pub fn registry(&self) -> Registry {
        let mut registry = Registry::new();
        let lab = self.clone();
        registry.register("probe", move |spec| {
            Ok(erase(Probe {
                lab: lab.clone(),
                spec: spec.clone(),
            }))
        });
        registry.register("gate", gate);
        registry
    }
}

fn param_u32(spec: &StepSpec, name: &str) -> u32 {
    spec.params
        .get(name)
        .and_then(Value::as_u64)
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn param_bool(spec: &StepSpec, name: &str) -> bool {
    spec.params
        .get(name)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

struct Probe {
    lab: Lab,
    spec: StepSpec,
}

/// What a probe observes.
pub struct Observed {
    applied: bool,
    lagging: bool,
    extra: Value,
}

#[async_trait]
impl Step for Probe {
    type Observed = Observed;
    type Op = String;

    async fn observe(&self, cx: &StepContext) -> Result<Observed, StepError> {
        let id = &self.spec.id;
        let (applied, lagging) = {
            let mut world = self.lab.world();
            if !world.start_order.contains(id) {
                world.start_order.push(id.clone());
            }
            let record = world.records.entry(id.clone()).or_default();
            if !record.initialized {
                record.initialized = true;
                record.fail_left = param_u32(&self.spec, "fail_times");
            }
            record.observes += 1;
            let lagging = record.applied && record.lag_left > 0;
            if lagging {
                record.lag_left -= 1;
            }
            (record.applied, lagging)
        };
        let mut extra = json!({});
        if let Some(key) = self.spec.params.get("read_fact").and_then(Value::as_str) {
            extra["fact"] = cx.fact("test", key).await?.unwrap_or(Value::Null);
        }
        Ok(Observed {
            applied,
            lagging,
            extra,
        })
    }

    fn decide(&self, observed: &Observed, pending: Option<&Pending<String>>) -> Decision<String> {
        if let Some(pending) = pending {
            let mut world = self.lab.world();
            let record = world.records.entry(self.spec.id.clone()).or_default();
            record
                .pending_seen
                .push((Value::String(pending.op.clone()), pending.age));
        }
        if param_bool(&self.spec, "decide_fail") {
            return Decision::fail("the probe cannot reach its target");
        }
        if param_bool(&self.spec, "never_converges") {
            return Decision::wait(
                "waiting for something that never happens",
                Duration::from_millis(10),
            );
        }
        if observed.lagging {
            return Decision::wait("the change is landing", Duration::from_millis(5));
        }
        if observed.applied {
            let mut output = json!({"applied": true, "extra": observed.extra});
            if let Some(message) = self.spec.params.get("message") {
                output["message"] = message.clone();
            }
            return Decision::done(output);
        }
        if let Some(pending) = pending {
            let window = Duration::from_millis(u64::from(param_u32(&self.spec, "window_ms")));
            if pending.age < window {
                return Decision::wait(
                    "an earlier request may still land",
                    Duration::from_millis(5),
                );
            }
        }
        Decision::Act("apply".to_string())
    }

    async fn act(&self, cx: &StepContext, _op: &String) -> Result<Value, StepError> {
        let id = self.spec.id.clone();
        if param_bool(&self.spec, "check_intent") {
            let observer = self
                .lab
                .observer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .expect("an observer store");
            let entries = observer
                .logs(
                    cx.action_id(),
                    &LogFilter {
                        step: Some(id.clone()),
                        ..LogFilter::default()
                    },
                )
                .await
                .expect("observer reads the journal");
            let last_intent = entries
                .iter()
                .rev()
                .find(|entry| entry.kind == aero_workflow::EntryKind::Intent);
            let visible = last_intent.is_some_and(|intent| {
                !entries
                    .iter()
                    .any(|entry| entry.ref_seq == Some(intent.seq))
            });
            let mut world = self.lab.world();
            world
                .records
                .entry(id.clone())
                .or_default()
                .intent_visible
                .push(visible);
        }
        if let Some(message) = self.spec.params.get("message").and_then(Value::as_str) {
            cx.emit(message);
        }
        if let Some(value) = self.spec.params.get("fact") {
            cx.put_fact("test", &id, value.clone()).await?;
        }
        let keys: Vec<String> = std::iter::once("*".to_string())
            .chain(self.spec.resources.iter().cloned())
            .collect();
        let first_act = {
            let mut world = self.lab.world();
            let record = world.records.entry(id.clone()).or_default();
            record.acts += 1;
            let first = record.acts == 1;
            if first {
                world.act_order.push(id.clone());
            }
            for key in &keys {
                let now = {
                    let count = world.in_flight.entry(key.clone()).or_default();
                    *count += 1;
                    *count
                };
                let max = world.max_in_flight.entry(key.clone()).or_default();
                *max = (*max).max(now);
            }
            first
        };
        let hold = param_u32(&self.spec, "hold_ms");
        if hold > 0 {
            tokio::time::sleep(Duration::from_millis(u64::from(hold))).await;
        }
        let outcome = self.apply(first_act).await;
        let mut world = self.lab.world();
        for key in &keys {
            *world.in_flight.entry(key.clone()).or_default() -= 1;
        }
        outcome
    }
}

impl Probe {
    async fn apply(&self, first_act: bool) -> Result<Value, StepError> {
        let id = &self.spec.id;
        {
            let mut world = self.lab.world();
            let record = world.records.entry(id.clone()).or_default();
            if record.fail_left > 0 {
                record.fail_left -= 1;
                let class = match self.spec.params.get("fail_class").and_then(Value::as_str) {
                    Some("permanent") => ErrorClass::Permanent,
                    _ => ErrorClass::Transient,
                };
                let detail = self
                    .spec
                    .params
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                return Err(StepError::new(
                    class,
                    format!("the target refused {detail}"),
                ));
            }
        }
        let block = param_bool(&self.spec, "block") && first_act;
        if block && param_bool(&self.spec, "apply_before_block") {
            self.lab
                .world()
                .records
                .entry(id.clone())
                .or_default()
                .applied = true;
        }
        if block {
            let gate = self.lab.gate(id);
            gate.entered.send_modify(|count| *count += 1);
            let permit = gate.release.acquire().await.expect("gate");
            permit.forget();
        }
        let mut world = self.lab.world();
        let record = world.records.entry(id.clone()).or_default();
        record.applied = true;
        record.lag_left = param_u32(&self.spec, "lag_polls");
        Ok(json!({"applied": id}))
    }
}

fn gate(spec: &StepSpec) -> Result<Box<dyn DynStep>, BuildError> {
    let min = spec
        .params
        .get("min_succeeded")
        .and_then(Value::as_u64)
        .ok_or_else(|| BuildError::InvalidParams {
            step: spec.id.clone(),
            message: "min_succeeded is required".to_string(),
        })?;
    Ok(erase(GateStep { min }))
}

struct GateStep {
    min: u64,
}

#[async_trait]
impl Step for GateStep {
    type Observed = (Vec<String>, Vec<String>);
    type Op = ();

    async fn observe(&self, cx: &StepContext) -> Result<Self::Observed, StepError> {
        let mut succeeded = Vec::new();
        let mut failed = Vec::new();
        for dependency in cx.dependencies() {
            if dependency.state == StepState::Succeeded {
                succeeded.push(dependency.step.clone());
            } else {
                failed.push(dependency.step.clone());
            }
        }
        Ok((succeeded, failed))
    }

    fn decide(&self, observed: &Self::Observed, _pending: Option<&Pending<()>>) -> Decision<()> {
        let (succeeded, failed) = observed;
        if succeeded.len() as u64 >= self.min {
            Decision::done_tolerating(
                json!({"succeeded": succeeded.len(), "failed": failed.len()}),
                failed.clone(),
            )
        } else {
            Decision::fail(format!(
                "{} of {} members succeeded, {} needed",
                succeeded.len(),
                succeeded.len() + failed.len(),
                self.min
            ))
        }
    }

    async fn act(&self, _cx: &StepContext, _op: &()) -> Result<Value, StepError> {
        Ok(Value::Null)
    }
}
