//! Power a node on or off: one request, then observe until the BMC reports the state.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aero_bmc::{PowerAction, PowerState};
use aero_workflow::{Decision, Pending, Step, StepContext, StepError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::Pace;
use super::bmc::NodeBmc;

/// The state a power step converges to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PowerTarget {
    On,
    Off,
}

impl PowerTarget {
    fn state(self) -> PowerState {
        match self {
            PowerTarget::On => PowerState::On,
            PowerTarget::Off => PowerState::Off,
        }
    }
}

/// The request a power step sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum PowerOp {
    On,
    /// Off at once, not gracefully: the node is about to be reinstalled or torn down, and
    /// a graceful shutdown of an unknown OS may hang for minutes or never happen.
    ForceOff,
}

/// What a power step sees.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PowerObserved {
    pub(super) state: PowerState,
    /// When it was read (worker clock).
    pub(super) at: SystemTime,
    /// How long ago this step object sent a request itself (BMCs apply power changes
    /// seconds later, and some keep reporting the old state meanwhile).
    pub(super) own_request_age: Option<Duration>,
}

pub(super) struct Power {
    node: NodeBmc,
    target: PowerTarget,
    pace: Pace,
    requested: Mutex<Option<Instant>>,
}

impl Power {
    pub(super) fn new(node: NodeBmc, target: PowerTarget, pace: Pace) -> Self {
        Power {
            node,
            target,
            pace,
            requested: Mutex::new(None),
        }
    }

    fn requested(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        match self.requested.lock() {
            Ok(requested) => requested,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[async_trait]
impl Step for Power {
    type Observed = PowerObserved;
    type Op = PowerOp;

    async fn observe(&self, _cx: &StepContext) -> Result<PowerObserved, StepError> {
        let bmc = self.node.bmc().await?;
        let state = bmc
            .power_state()
            .await
            .map_err(|error| self.node.failure(error))?;
        Ok(PowerObserved {
            state,
            at: SystemTime::now(),
            own_request_age: self.requested().map(|at| at.elapsed()),
        })
    }

    fn decide(
        &self,
        observed: &PowerObserved,
        pending: Option<&Pending<PowerOp>>,
    ) -> Decision<PowerOp> {
        decide_power(
            self.target,
            self.pace,
            observed,
            pending.map(|pending| pending.age),
        )
    }

    async fn act(&self, _cx: &StepContext, op: &PowerOp) -> Result<serde_json::Value, StepError> {
        let bmc = self.node.bmc().await?;
        let action = match op {
            PowerOp::On => PowerAction::On,
            PowerOp::ForceOff => PowerAction::ForceOff,
        };
        let requested = bmc
            .request_power(action)
            .await
            .map_err(|error| self.node.failure(error))?;
        *self.requested() = Some(Instant::now());
        Ok(serde_json::json!({
            "before": requested.before.as_str(),
            "sent": requested.sent,
        }))
    }
}

/// The power decision. Pure.
///
/// Done when the BMC reports the target; the output's `since_ms` is when the change was
/// requested if this step (or the run before a crash) requested it, else when it was
/// seen. Waits while the machine is on its way, or while a request (this step's own, or a
/// pending intent) is younger than the convergence window; only then requests again.
pub(super) fn decide_power(
    target: PowerTarget,
    pace: Pace,
    observed: &PowerObserved,
    pending_age: Option<Duration>,
) -> Decision<PowerOp> {
    let wanted = target.state();
    let request_age = match (observed.own_request_age, pending_age) {
        (Some(own), Some(pending)) => Some(own.min(pending)),
        (own, pending) => own.or(pending),
    };
    if observed.state == wanted {
        let since = request_age
            .and_then(|age| observed.at.checked_sub(age))
            .unwrap_or(observed.at);
        let since_ms = since.duration_since(UNIX_EPOCH).map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        });
        return Decision::done(serde_json::json!({
            "power": wanted.as_str(),
            "since_ms": since_ms,
        }));
    }
    if observed.state.is_at_or_heading_to(&wanted) {
        return Decision::wait(format!("powering {}", wanted.as_str()), pace.poll);
    }
    if let Some(age) = request_age
        && age < pace.convergence_window
    {
        return Decision::wait(
            format!(
                "power {} requested {}s ago; the BMC reports {}",
                wanted.as_str(),
                age.as_secs(),
                observed.state
            ),
            pace.poll,
        );
    }
    Decision::Act(match target {
        PowerTarget::On => PowerOp::On,
        PowerTarget::Off => PowerOp::ForceOff,
    })
}
