//! What an action is made of: [`ActionSpec`] and its [`StepSpec`]s, persisted when the
//! action is submitted and never changed afterwards.
//!
//! These are the only engine types that serialize: the store keeps them as JSON so that a
//! resuming worker (another process, another machine, another day) rebuilds exactly the
//! steps that were planned. Durations are whole milliseconds (`*_ms` fields).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An action on a site: a DAG of steps, pinned to one rendered revision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionSpec {
    /// What the action does: `deploy_site`, `update_site`, `redeploy_server`, ...
    pub kind: String,
    /// The site it acts on; the store runs at most one action per site at a time.
    pub site: String,
    /// The rendered revision the action started from (never changes afterwards).
    pub revision_id: String,
    /// The content-addressed snapshot of the revision's (encrypted) source files, from
    /// which a resuming worker renders the revision again with its own key.
    pub snapshot_id: String,
    /// Parameters of the action (JSON, no secrets; scrubbed before they are stored).
    #[serde(default)]
    pub params: serde_json::Value,
    /// The steps, in a stable order (the order ready steps start in).
    pub steps: Vec<StepSpec>,
    /// Concurrency limits.
    #[serde(default)]
    pub limits: Limits,
}

/// How much of an action runs at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Steps running at once, across the whole action.
    pub max_parallel: u32,
    /// Steps holding one resource key at once, per resource class. The class of a key is
    /// the text before its first `:` (`bmc:https://10.23.0.11` is of class `bmc`); every
    /// distinct key has its own semaphore with its class's limit. A class not listed here
    /// has limit 1: its keys are mutexes.
    #[serde(default)]
    pub resource_limits: BTreeMap<String, u32>,
}

impl Default for Limits {
    /// 16 steps at once; every resource key a mutex.
    fn default() -> Self {
        Limits {
            max_parallel: 16,
            resource_limits: BTreeMap::new(),
        }
    }
}

impl Limits {
    /// How many steps may hold `key` at once.
    pub fn limit_of(&self, key: &str) -> u32 {
        let class = key.split_once(':').map_or(key, |(class, _)| class);
        self.resource_limits.get(class).copied().unwrap_or(1).max(1)
    }
}

/// One step of an action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepSpec {
    /// Stable id, unique in the action, like `provision/lon1-cp01/power-on`.
    pub id: String,
    /// Which step implementation runs it (looked up in the domain's registry).
    pub kind: String,
    /// One line for people.
    pub title: String,
    /// The deployment group it belongs to, if any (for display and `retry --from GROUP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The node it acts on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Steps that must end before this one starts.
    #[serde(default)]
    pub after: Vec<Dependency>,
    /// Semaphore keys held while the step runs, e.g. `bmc:https://10.23.0.11`.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Parameters for the step implementation (JSON, no secrets).
    #[serde(default)]
    pub params: serde_json::Value,
    /// Retries of transient failures.
    #[serde(default)]
    pub retry: RetryPolicy,
    /// Budget of the whole step (all attempts, waits and backoff) in one run, in
    /// milliseconds; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Whether the action may still succeed (as `SucceededWithFailures`) when this step
    /// fails.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_failure: bool,
}

impl StepSpec {
    /// A step with no dependency, resource or parameter, the default retry policy and no
    /// timeout.
    pub fn new(id: &str, kind: &str, title: &str) -> Self {
        StepSpec {
            id: id.to_string(),
            kind: kind.to_string(),
            title: title.to_string(),
            group: None,
            node: None,
            after: Vec::new(),
            resources: Vec::new(),
            params: serde_json::Value::Null,
            retry: RetryPolicy::default(),
            timeout_ms: None,
            allow_failure: false,
        }
    }

    /// The step's time budget.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(Duration::from_millis)
    }
}

/// An edge of the DAG: this step waits for `step`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// The step waited for.
    pub step: String,
    /// What it must end in.
    pub on: DependencyOn,
}

impl Dependency {
    /// Runs only after `step` succeeded; skipped if it failed or was skipped.
    pub fn success(step: &str) -> Self {
        Dependency {
            step: step.to_string(),
            on: DependencyOn::Success,
        }
    }

    /// Runs after `step` ended, whatever its outcome (gates counting members' outcomes).
    pub fn completion(step: &str) -> Self {
        Dependency {
            step: step.to_string(),
            on: DependencyOn::Completion,
        }
    }
}

/// What a dependency must end in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependencyOn {
    /// Succeeded.
    Success,
    /// Any end: succeeded, failed or skipped.
    Completion,
}

/// Retries of a step's transient failures: exponential, capped, jittered backoff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: never retry).
    pub max_attempts: u32,
    /// Delay before the first retry, in milliseconds.
    pub initial_delay_ms: u64,
    /// Upper bound of any delay, in milliseconds.
    pub max_delay_ms: u64,
    /// Growth factor between retries.
    pub multiplier: f64,
    /// Relative jitter, 0.0 to 1.0: each delay is scaled by a random factor in
    /// `[1 - jitter, 1 + jitter]`.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    /// 3 attempts, 2 s doubling to at most 60 s, ±20 % jitter.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_delay_ms: 2_000,
            max_delay_ms: 60_000,
            multiplier: 2.0,
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_limits_are_per_class() {
        let limits = Limits {
            max_parallel: 4,
            resource_limits: BTreeMap::from([("site".to_string(), 3)]),
        };
        assert_eq!(limits.limit_of("site:lon1"), 3);
        assert_eq!(limits.limit_of("site"), 3);
        assert_eq!(limits.limit_of("bmc:https://10.23.0.11"), 1);
    }

    #[test]
    fn specs_round_trip_with_defaults() {
        let text = r#"{"id": "a", "kind": "noop", "title": "A", "after": [{"step": "b", "on": "completion"}]}"#;
        let spec: StepSpec = serde_json::from_str(text).expect("parse");
        assert_eq!(spec.after, vec![Dependency::completion("b")]);
        assert_eq!(spec.retry, RetryPolicy::default());
        assert!(!spec.allow_failure);
        let again: StepSpec =
            serde_json::from_str(&serde_json::to_string(&spec).expect("write")).expect("parse");
        assert_eq!(again, spec);
    }
}
