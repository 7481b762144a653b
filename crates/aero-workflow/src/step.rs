//! The plug-in seam: a [`Step`] observes the real state, decides (a pure function) and
//! acts; a [`StepRegistry`] turns a persisted [`StepSpec`] into a runnable step.
//!
//! # The loop the engine runs for each step
//!
//! ```text
//! observe ──► decide(observed, pending) ──► Done { output }      → step Succeeded
//!    ▲                 │                  ├► Fail { reason }      → step Failed (no retry)
//!    │                 │                  ├► Wait { reason, poll } → sleep `poll`, observe again
//!    │                 ▼                  └► Act(op)
//!    │       journal the intent (synced to disk)
//!    │                 ▼
//!    └──── journal the result ◄── act(op)
//! ```
//!
//! An error from `observe` or `act` ends the attempt; the error's class decides whether the
//! step is tried again (see [`crate::retry`]).
//!
//! # Pending intents
//!
//! When a worker dies between journaling an intent and journaling its result, nobody knows
//! whether the side effect happened. The next run of the step hands the intent to `decide`
//! as a [`Pending`], with its age. `decide` must then not act blindly: if the observed state
//! already shows the effect, the step is done; if not, it waits (up to a convergence window
//! the step chooses, compared with `age`) for a change in progress to land, and only then
//! acts again.
//!
//! # Idempotence
//!
//! A step never branches on why it runs (first run, retry, resume on another worker): it
//! converges from the observed state. A completed step is never run again.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use aero_error::{Classify, ErrorClass};
use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::context::StepContext;
use crate::spec::StepSpec;
use crate::store::ActionSummary;

/// A step: observe → decide (pure) → act. See the module documentation.
#[async_trait]
pub trait Step: Send + Sync {
    /// What `observe` reads of the real state.
    type Observed: Send + Sync;
    /// A side effect `act` performs; journaled (as JSON) before it is performed.
    type Op: Serialize + DeserializeOwned + Debug + Send + Sync;

    /// Reads the real state. No side effect.
    async fn observe(&self, cx: &StepContext) -> Result<Self::Observed, StepError>;

    /// Compares the observed state with the desired one. Pure: no I/O, no clock.
    fn decide(
        &self,
        observed: &Self::Observed,
        pending: Option<&Pending<Self::Op>>,
    ) -> Decision<Self::Op>;

    /// Performs one side effect. Its output is journaled as the intent's result.
    async fn act(&self, cx: &StepContext, op: &Self::Op) -> Result<serde_json::Value, StepError>;
}

/// What a step does next.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision<Op> {
    /// The desired state holds: the step succeeded.
    Done {
        /// Output kept with the step (JSON, scrubbed), visible to its dependants.
        output: serde_json::Value,
        /// Ids of dependencies whose failure this step accepts (a gate within its success
        /// criteria). The failures they stand for are accepted with them: the action then
        /// ends `SucceededWithFailures` instead of `Failed`.
        tolerate: Vec<String>,
    },
    /// Perform this side effect, then observe again.
    Act(Op),
    /// Not there yet (a change in progress): observe again after `poll`.
    Wait {
        /// Why, for people (journaled when it changes).
        reason: String,
        /// How long until the next observation.
        poll: Duration,
    },
    /// The desired state cannot be reached: the step failed (never retried).
    Fail {
        /// Why, for people.
        reason: String,
    },
}

impl<Op> Decision<Op> {
    /// Done, with `output`.
    pub fn done(output: serde_json::Value) -> Self {
        Decision::Done {
            output,
            tolerate: Vec::new(),
        }
    }

    /// Done, accepting the failures of the dependencies `steps`.
    pub fn done_tolerating(output: serde_json::Value, steps: Vec<String>) -> Self {
        Decision::Done {
            output,
            tolerate: steps,
        }
    }

    /// Wait `poll`, then observe again.
    pub fn wait(reason: impl Into<String>, poll: Duration) -> Self {
        Decision::Wait {
            reason: reason.into(),
            poll,
        }
    }

    /// Fail for `reason`.
    pub fn fail(reason: impl Into<String>) -> Self {
        Decision::Fail {
            reason: reason.into(),
        }
    }
}

/// The last side effect of a step whose run was cut short: its intent was journaled, and
/// either no result (the effect may or may not have happened) or a result but not the
/// step's end (it happened, and may not show yet: a BMC applies a power change seconds
/// later). Either way the step must observe, and wait for convergence, before acting
/// again.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending<Op> {
    /// The side effect that was about to be performed.
    pub op: Op,
    /// Time since the intent was journaled (by the store's clock, growing while the step
    /// waits): compare it with the step's convergence window.
    pub age: Duration,
}

/// Why a step attempt failed, with the [`ErrorClass`] that decides whether it is retried.
///
/// The message is scrubbed of registered secrets before it is journaled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    class: ErrorClass,
    message: String,
}

impl StepError {
    /// An error of `class`.
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        StepError {
            class,
            message: message.into(),
        }
    }

    /// A failure that may pass on retry.
    pub fn transient(message: impl Into<String>) -> Self {
        StepError::new(ErrorClass::Transient, message)
    }

    /// A failure that will not pass on retry.
    pub fn permanent(message: impl Into<String>) -> Self {
        StepError::new(ErrorClass::Permanent, message)
    }

    /// The error of a driver or library: its class, and its message with its sources
    /// (`outer: inner: innermost`).
    pub fn from_error<E>(error: &E) -> Self
    where
        E: std::error::Error + Classify + ?Sized,
    {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        StepError::new(error.class(), message)
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl Classify for StepError {
    fn class(&self) -> ErrorClass {
        self.class
    }
}

/// A step with its types erased, as the engine stores and runs it. Made by [`erase`].
#[async_trait]
pub trait DynStep: Send + Sync {
    /// Observes, then decides; the op of an `Act` decision is JSON.
    async fn evaluate(
        &self,
        cx: &StepContext,
        pending: Option<&Pending<serde_json::Value>>,
    ) -> Result<Decision<serde_json::Value>, StepError>;

    /// Performs the side effect `op` (JSON made by `evaluate`).
    async fn act(
        &self,
        cx: &StepContext,
        op: &serde_json::Value,
    ) -> Result<serde_json::Value, StepError>;
}

/// Erases the types of `step` so a registry can return it.
pub fn erase<S: Step + 'static>(step: S) -> Box<dyn DynStep> {
    Box::new(Erased(step))
}

struct Erased<S>(S);

#[async_trait]
impl<S: Step> DynStep for Erased<S> {
    async fn evaluate(
        &self,
        cx: &StepContext,
        pending: Option<&Pending<serde_json::Value>>,
    ) -> Result<Decision<serde_json::Value>, StepError> {
        let observed = self.0.observe(cx).await?;
        let pending = match pending {
            Some(pending) => Some(Pending {
                op: serde_json::from_value::<S::Op>(pending.op.clone()).map_err(|error| {
                    StepError::permanent(format!(
                        "the journaled intent of step `{}` cannot be read by this version of \
                         step kind `{}`: {error}",
                        cx.spec().id,
                        cx.spec().kind
                    ))
                })?,
                age: pending.age,
            }),
            None => None,
        };
        Ok(match self.0.decide(&observed, pending.as_ref()) {
            Decision::Act(op) => Decision::Act(serde_json::to_value(&op).map_err(|error| {
                StepError::permanent(format!("cannot journal the intent {op:?}: {error}"))
            })?),
            Decision::Done { output, tolerate } => Decision::Done { output, tolerate },
            Decision::Wait { reason, poll } => Decision::Wait { reason, poll },
            Decision::Fail { reason } => Decision::Fail { reason },
        })
    }

    async fn act(
        &self,
        cx: &StepContext,
        op: &serde_json::Value,
    ) -> Result<serde_json::Value, StepError> {
        let op: S::Op = serde_json::from_value(op.clone()).map_err(|error| {
            StepError::permanent(format!("cannot read the intent to perform: {error}"))
        })?;
        self.0.act(cx, &op).await
    }
}

/// Why a step (or the steps of an action) could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No implementation of the step's kind.
    #[error("step `{step}`: no step implementation of kind `{kind}`")]
    UnknownKind {
        /// The step.
        step: String,
        /// Its kind.
        kind: String,
    },
    /// The step's parameters are wrong.
    #[error("step `{step}`: invalid parameters: {message}")]
    InvalidParams {
        /// The step.
        step: String,
        /// What is wrong.
        message: String,
    },
    /// The action's steps cannot be prepared on this worker (its revision cannot be
    /// loaded or rendered here, a key is missing, ...).
    #[error("action `{action}`: cannot prepare its steps: {message}")]
    Prepare {
        /// The action.
        action: String,
        /// What went wrong.
        message: String,
        /// Its class (a transient failure leaves the action to another try).
        class: ErrorClass,
    },
}

impl Classify for BuildError {
    fn class(&self) -> ErrorClass {
        match self {
            BuildError::UnknownKind { .. } | BuildError::InvalidParams { .. } => {
                ErrorClass::InvalidInput
            }
            BuildError::Prepare { class, .. } => *class,
        }
    }
}

/// Turns a persisted step spec into a runnable step. Domains implement it (or fill a
/// [`Registry`]).
pub trait StepRegistry: Send + Sync {
    /// The runnable step of `spec`.
    fn build(&self, spec: &StepSpec) -> Result<Box<dyn DynStep>, BuildError>;
}

/// Gives the registry for one action, each time a worker (re)starts it: the place where a
/// domain loads the action's pinned revision (from its snapshot) and renders it with the
/// worker's own key.
#[async_trait]
pub trait RegistryProvider: Send + Sync {
    /// The registry that builds the steps of `action`.
    async fn registry(&self, action: &ActionSummary) -> Result<Arc<dyn StepRegistry>, BuildError>;
}

/// A provider that gives the same registry to every action.
pub struct FixedRegistry(pub Arc<dyn StepRegistry>);

#[async_trait]
impl RegistryProvider for FixedRegistry {
    async fn registry(&self, _action: &ActionSummary) -> Result<Arc<dyn StepRegistry>, BuildError> {
        Ok(self.0.clone())
    }
}

/// A builder of one step kind.
pub type BuildFn = dyn Fn(&StepSpec) -> Result<Box<dyn DynStep>, BuildError> + Send + Sync;

/// A registry by step kind, which domains fill and compose.
///
/// ```
/// use aero_workflow::{Registry, StepRegistry, StepSpec};
///
/// let mut registry = Registry::new();
/// registry.register("noop", |_spec| Err(aero_workflow::BuildError::InvalidParams {
///     step: "x".into(),
///     message: "example".into(),
/// }));
/// assert!(registry.kinds().any(|kind| kind == "noop"));
/// assert!(registry.build(&StepSpec::new("a", "other", "A")).is_err());
/// ```
#[derive(Default)]
pub struct Registry {
    builders: BTreeMap<String, Arc<BuildFn>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers the builder of step kind `kind` (replacing any earlier one).
    pub fn register<F>(&mut self, kind: &str, builder: F) -> &mut Self
    where
        F: Fn(&StepSpec) -> Result<Box<dyn DynStep>, BuildError> + Send + Sync + 'static,
    {
        self.builders.insert(kind.to_string(), Arc::new(builder));
        self
    }

    /// Adds every kind of `other`.
    pub fn merge(&mut self, other: Registry) -> &mut Self {
        self.builders.extend(other.builders);
        self
    }

    /// The registered kinds.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.builders.keys().map(String::as_str)
    }
}

impl StepRegistry for Registry {
    fn build(&self, spec: &StepSpec) -> Result<Box<dyn DynStep>, BuildError> {
        match self.builders.get(&spec.kind) {
            Some(builder) => builder(spec),
            None => Err(BuildError::UnknownKind {
                step: spec.id.clone(),
                kind: spec.kind.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("bmc unreachable")]
    struct Outer(#[source] std::io::Error);

    impl Classify for Outer {
        fn class(&self) -> ErrorClass {
            ErrorClass::Transient
        }
    }

    #[test]
    fn step_errors_keep_class_and_source_chain() {
        let error = Outer(std::io::Error::other("connection refused"));
        let step_error = StepError::from_error(&error);
        assert_eq!(step_error.class(), ErrorClass::Transient);
        assert_eq!(step_error.message(), "bmc unreachable: connection refused");
    }
}
