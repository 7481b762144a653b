//! Power: on, graceful off (then forced after a timeout), forced off, restart.
//!
//! Every request is idempotent: the current state is read first (or reused when it was read
//! within the reuse window) and nothing is sent when the system is already there. Reset types
//! are checked against `ResetType@Redfish.AllowableValues` (inline or through the action's
//! `@Redfish.ActionInfo`). After a reset the system is polled until `PowerState` converges
//! (BMCs apply power changes seconds later), within the operation deadline.

use std::str::FromStr;
use std::time::Duration;

use reqwest::Method;

use crate::client::{Deadline, Resource};
use crate::error::RedfishError;
use crate::model::{ActionInfo, ComputerSystem};
use crate::system::RedfishSystem;

/// A power state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PowerState {
    /// Powered on.
    On,
    /// Powered off.
    Off,
    /// Transitioning to on.
    PoweringOn,
    /// Transitioning to off.
    PoweringOff,
    /// Paused (hypervisors, some BMCs).
    Paused,
    /// Anything else the BMC reported, or nothing.
    Unknown(String),
}

impl PowerState {
    /// The state from a `PowerState` property.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("On") => PowerState::On,
            Some("Off") => PowerState::Off,
            Some("PoweringOn") => PowerState::PoweringOn,
            Some("PoweringOff") => PowerState::PoweringOff,
            Some("Paused") => PowerState::Paused,
            Some(other) => PowerState::Unknown(other.to_string()),
            None => PowerState::Unknown("absent".to_string()),
        }
    }

    /// The Redfish spelling.
    pub fn as_str(&self) -> &str {
        match self {
            PowerState::On => "On",
            PowerState::Off => "Off",
            PowerState::PoweringOn => "PoweringOn",
            PowerState::PoweringOff => "PoweringOff",
            PowerState::Paused => "Paused",
            PowerState::Unknown(other) => other,
        }
    }
}

impl std::fmt::Display for PowerState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A power change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerRequest {
    /// Power on.
    On,
    /// Graceful shutdown; forced off when it has not finished within the graceful timeout.
    Off,
    /// Immediate power off.
    ForceOff,
    /// Off (forced) then on; just on when the system is off.
    Restart,
}

impl FromStr for PowerRequest {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "on" => Ok(PowerRequest::On),
            "off" => Ok(PowerRequest::Off),
            "force-off" | "forceoff" => Ok(PowerRequest::ForceOff),
            "restart" | "reboot" => Ok(PowerRequest::Restart),
            other => Err(format!(
                "unknown power request {other:?}; expected on, off, force-off or restart"
            )),
        }
    }
}

/// What a power request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerOutcome {
    /// State before.
    pub before: PowerState,
    /// State after convergence.
    pub after: PowerState,
    /// Reset types sent, in order (empty when nothing had to change).
    pub reset_types: Vec<String>,
    /// Time from the request to convergence.
    pub elapsed: Duration,
}

impl PowerOutcome {
    /// Whether anything was sent.
    pub fn changed(&self) -> bool {
        !self.reset_types.is_empty()
    }
}

/// What [`RedfishSystem::request_power`] did: at most one reset, without waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerRequestOutcome {
    /// State read before deciding.
    pub before: PowerState,
    /// The reset type sent; `None` when the system was already there or on its way.
    pub reset_type: Option<String>,
}

/// The reset types to send, most preferred first, for reaching `target`.
fn preferred_reset_types(target: &PowerState, graceful: bool) -> &'static [&'static str] {
    match (target, graceful) {
        (PowerState::On, _) => &["On", "ForceOn", "PushPowerButton"],
        (_, true) => &["GracefulShutdown", "ForceOff"],
        (_, false) => &["ForceOff"],
    }
}

/// The reset types of a single request for `request` from `current`, most preferred
/// first; empty when nothing needs to be sent (already there, or on its way).
fn single_request_reset_types(
    request: PowerRequest,
    current: &PowerState,
) -> &'static [&'static str] {
    let heading_to = |target: &PowerState| {
        current == target
            || matches!(
                (target, current),
                (PowerState::On, PowerState::PoweringOn)
                    | (PowerState::Off, PowerState::PoweringOff)
            )
    };
    match request {
        PowerRequest::On if heading_to(&PowerState::On) => &[],
        PowerRequest::Off | PowerRequest::ForceOff if heading_to(&PowerState::Off) => &[],
        PowerRequest::On => preferred_reset_types(&PowerState::On, false),
        PowerRequest::Off => preferred_reset_types(&PowerState::Off, true),
        PowerRequest::ForceOff => preferred_reset_types(&PowerState::Off, false),
        PowerRequest::Restart if *current == PowerState::Off => {
            preferred_reset_types(&PowerState::On, false)
        }
        // One request: a restart the BMC carries out itself (Off then On needs a wait).
        PowerRequest::Restart => &["ForceRestart", "PowerCycle", "GracefulRestart"],
    }
}

/// The first preferred reset type the BMC allows (any when it lists none).
fn choose_reset_type(
    preferred: &[&'static str],
    allowed: Option<&[String]>,
) -> Option<&'static str> {
    match allowed {
        None => preferred.first().copied(),
        Some(allowed) => preferred
            .iter()
            .copied()
            .find(|candidate| allowed.iter().any(|value| value == candidate)),
    }
}

impl RedfishSystem {
    /// Reads the current power state.
    pub async fn power_state(&self) -> Result<PowerState, RedfishError> {
        let deadline = self.deadline();
        let system = self.fetch(&deadline).await?;
        Ok(PowerState::parse(system.value.power_state.as_deref()))
    }

    /// Sends at most one reset for `request` and returns without waiting for the state to
    /// change: nothing when the system is already there (or on its way), a restart the BMC
    /// performs itself (`ForceRestart`, `PowerCycle` or `GracefulRestart`, as allowed) for
    /// [`PowerRequest::Restart`], `On` for a restart of a system that is off. The state is
    /// read first (or reused within the reuse window).
    pub async fn request_power(
        &self,
        request: PowerRequest,
    ) -> Result<PowerRequestOutcome, RedfishError> {
        let deadline = self.deadline();
        let system = self.recent(&deadline).await?;
        let before = PowerState::parse(system.value.power_state.as_deref());
        let preferred = single_request_reset_types(request, &before);
        if preferred.is_empty() {
            return Ok(PowerRequestOutcome {
                before,
                reset_type: None,
            });
        }
        let allowed = self.allowed_reset_types(&system, &deadline).await?;
        let Some(reset_type) = choose_reset_type(preferred, allowed.as_deref()) else {
            let wanted = preferred.first().copied().unwrap_or("On");
            return Err(not_allowed(self, &system, wanted, allowed.as_deref()));
        };
        self.reset(&system, reset_type, &deadline).await?;
        Ok(PowerRequestOutcome {
            before,
            reset_type: Some(reset_type.to_string()),
        })
    }

    /// Changes the power state and waits until it has converged.
    pub async fn set_power(&self, request: PowerRequest) -> Result<PowerOutcome, RedfishError> {
        let deadline = self.deadline();
        let system = self.recent(&deadline).await?;
        let before = PowerState::parse(system.value.power_state.as_deref());
        let mut outcome = PowerOutcome {
            before: before.clone(),
            after: before.clone(),
            reset_types: Vec::new(),
            elapsed: Duration::ZERO,
        };
        match request {
            PowerRequest::On => {
                self.power_to(&system, PowerState::On, false, &mut outcome, &deadline)
                    .await?;
            }
            PowerRequest::ForceOff => {
                self.power_to(&system, PowerState::Off, false, &mut outcome, &deadline)
                    .await?;
            }
            PowerRequest::Off => {
                self.power_to(&system, PowerState::Off, true, &mut outcome, &deadline)
                    .await?;
            }
            PowerRequest::Restart => {
                if before != PowerState::Off {
                    self.power_to(&system, PowerState::Off, false, &mut outcome, &deadline)
                        .await?;
                }
                let system = self.recent(&deadline).await?;
                self.power_to(&system, PowerState::On, false, &mut outcome, &deadline)
                    .await?;
            }
        }
        outcome.elapsed = deadline.elapsed();
        Ok(outcome)
    }

    async fn power_to(
        &self,
        system: &Resource<ComputerSystem>,
        target: PowerState,
        graceful: bool,
        outcome: &mut PowerOutcome,
        deadline: &Deadline,
    ) -> Result<(), RedfishError> {
        let current = PowerState::parse(system.value.power_state.as_deref());
        let transitioning_there = matches!(
            (&target, &current),
            (PowerState::On, PowerState::PoweringOn) | (PowerState::Off, PowerState::PoweringOff)
        );
        if current == target {
            outcome.after = current;
            return Ok(());
        }
        if !transitioning_there {
            let allowed = self.allowed_reset_types(system, deadline).await?;
            let reset_type =
                choose_reset_type(preferred_reset_types(&target, graceful), allowed.as_deref());
            match reset_type {
                Some("GracefulShutdown") => {
                    self.reset(system, "GracefulShutdown", deadline).await?;
                    outcome.reset_types.push("GracefulShutdown".to_string());
                    let graceful_deadline = Deadline::after(
                        self.client()
                            .timing()
                            .graceful_shutdown_timeout
                            .min(deadline.remaining()),
                    );
                    match self.wait_for_power(&target, &graceful_deadline).await {
                        Ok(state) => {
                            outcome.after = state;
                            return Ok(());
                        }
                        Err(RedfishError::Converge(failure)) => {
                            let observed = &failure.observed;
                            tracing::warn!(
                                bmc = self.client().bmc(),
                                system = self.id(),
                                observed = %observed,
                                "graceful shutdown did not finish in time, forcing power off"
                            );
                            let forced = choose_reset_type(&["ForceOff"], allowed.as_deref());
                            let Some(forced) = forced else {
                                return Err(not_allowed(
                                    self,
                                    system,
                                    "ForceOff",
                                    allowed.as_deref(),
                                ));
                            };
                            self.reset(system, forced, deadline).await?;
                            outcome.reset_types.push(forced.to_string());
                        }
                        Err(other) => return Err(other),
                    }
                }
                Some(reset_type) => {
                    self.reset(system, reset_type, deadline).await?;
                    outcome.reset_types.push(reset_type.to_string());
                }
                None => {
                    let wanted = preferred_reset_types(&target, graceful)
                        .first()
                        .copied()
                        .unwrap_or("On");
                    return Err(not_allowed(self, system, wanted, allowed.as_deref()));
                }
            }
        }
        outcome.after = self.wait_for_power(&target, deadline).await?;
        Ok(())
    }

    /// Allowed reset types: inline, or from the action's ActionInfo; `None` when not listed.
    async fn allowed_reset_types(
        &self,
        system: &Resource<ComputerSystem>,
        deadline: &Deadline,
    ) -> Result<Option<Vec<String>>, RedfishError> {
        let Some(reset) = system
            .value
            .actions
            .as_ref()
            .and_then(|actions| actions.reset.as_ref())
        else {
            return Ok(None);
        };
        if let Some(allowed) = &reset.allowed {
            return Ok(Some(allowed.clone()));
        }
        let Some(info_path) = &reset.action_info else {
            return Ok(None);
        };
        let info: Resource<ActionInfo> = self
            .client()
            .get(info_path, "reset action info", deadline)
            .await?;
        Ok(info
            .value
            .parameters
            .into_iter()
            .find(|parameter| parameter.name.as_deref() == Some("ResetType"))
            .and_then(|parameter| parameter.allowable_values))
    }

    /// POSTs `ComputerSystem.Reset` and waits for its task, if the BMC answers 202.
    async fn reset(
        &self,
        system: &Resource<ComputerSystem>,
        reset_type: &str,
        deadline: &Deadline,
    ) -> Result<(), RedfishError> {
        let target = system
            .value
            .actions
            .as_ref()
            .and_then(|actions| actions.reset.as_ref())
            .and_then(|reset| reset.target.clone())
            .ok_or_else(|| RedfishError::MissingLink {
                bmc: self.client().bmc().to_string(),
                resource: self.path().to_string(),
                link: "Actions/#ComputerSystem.Reset/target".to_string(),
                hint: "the BMC offers no reset action for this system".to_string(),
            })?;
        tracing::info!(
            bmc = self.client().bmc(),
            system = self.id(),
            reset_type,
            "resetting system"
        );
        let body = serde_json::json!({ "ResetType": reset_type });
        let response = self
            .client()
            .post(&target, Some(&body), deadline)
            .await
            .map_err(|failure| RedfishError::Reset {
                reset_type: reset_type.to_string(),
                failure: Box::new(failure),
            })?;
        self.forget_state();
        self.client()
            .finish_task(&Method::POST, &target, response, deadline)
            .await?;
        Ok(())
    }

    /// Polls `PowerState` until it equals `target` or the deadline passes.
    async fn wait_for_power(
        &self,
        target: &PowerState,
        deadline: &Deadline,
    ) -> Result<PowerState, RedfishError> {
        let poll_interval = self.client().timing().poll_interval;
        let mut observed = PowerState::Unknown("not read yet".to_string());
        loop {
            if !self.client().pause(poll_interval, deadline).await {
                return Err(RedfishError::Converge(Box::new(
                    crate::error::ConvergeFailure {
                        bmc: self.client().bmc().to_string(),
                        path: self.path().to_string(),
                        property: "PowerState".to_string(),
                        expected: target.to_string(),
                        observed: observed.to_string(),
                        waited: deadline.elapsed(),
                    },
                )));
            }
            let system = self.fetch(deadline).await?;
            observed = PowerState::parse(system.value.power_state.as_deref());
            if &observed == target {
                return Ok(observed);
            }
        }
    }
}

fn not_allowed(
    system: &RedfishSystem,
    resource: &Resource<ComputerSystem>,
    wanted: &str,
    allowed: Option<&[String]>,
) -> RedfishError {
    RedfishError::NotAllowed {
        bmc: system.client().bmc().to_string(),
        path: resource.path.clone(),
        property: "ResetType".to_string(),
        value: wanted.to_string(),
        allowed: allowed.map(|values| values.join(", ")).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| value.to_string()).collect()
    }

    #[test]
    fn reset_type_follows_allowable_values() {
        let on = preferred_reset_types(&PowerState::On, false);
        assert_eq!(choose_reset_type(on, None), Some("On"));
        assert_eq!(
            choose_reset_type(on, Some(&strings(&["ForceOn", "ForceOff"]))),
            Some("ForceOn")
        );
        assert_eq!(
            choose_reset_type(on, Some(&strings(&["PushPowerButton"]))),
            Some("PushPowerButton")
        );
        assert_eq!(choose_reset_type(on, Some(&strings(&["ForceOff"]))), None);
        let graceful = preferred_reset_types(&PowerState::Off, true);
        assert_eq!(
            choose_reset_type(graceful, Some(&strings(&["ForceOff"]))),
            Some("ForceOff")
        );
        assert_eq!(choose_reset_type(graceful, Some(&strings(&["On"]))), None);
        assert_eq!(
            choose_reset_type(graceful, Some(&strings(&["GracefulShutdown", "ForceOff"]))),
            Some("GracefulShutdown")
        );
    }

    #[test]
    fn single_requests_send_one_reset_or_none() {
        use PowerRequest::*;
        assert!(single_request_reset_types(On, &PowerState::On).is_empty());
        assert!(single_request_reset_types(On, &PowerState::PoweringOn).is_empty());
        assert!(single_request_reset_types(ForceOff, &PowerState::PoweringOff).is_empty());
        assert!(single_request_reset_types(Off, &PowerState::Off).is_empty());
        assert_eq!(single_request_reset_types(On, &PowerState::Off)[0], "On");
        assert_eq!(
            single_request_reset_types(Off, &PowerState::On),
            ["GracefulShutdown", "ForceOff"]
        );
        assert_eq!(
            single_request_reset_types(ForceOff, &PowerState::On),
            ["ForceOff"]
        );
        assert_eq!(
            single_request_reset_types(Restart, &PowerState::Off)[0],
            "On"
        );
        let restart = single_request_reset_types(Restart, &PowerState::On);
        assert_eq!(
            choose_reset_type(restart, Some(&strings(&["On", "ForceOff", "ForceRestart"]))),
            Some("ForceRestart")
        );
        assert_eq!(
            choose_reset_type(restart, Some(&strings(&["On", "PowerCycle"]))),
            Some("PowerCycle")
        );
        assert_eq!(
            choose_reset_type(restart, Some(&strings(&["On", "ForceOff"]))),
            None
        );
    }

    #[test]
    fn power_states_parse() {
        assert_eq!(PowerState::parse(Some("On")), PowerState::On);
        assert_eq!(
            PowerState::parse(Some("PoweringOff")),
            PowerState::PoweringOff
        );
        assert_eq!(PowerState::parse(Some("Weird")).as_str(), "Weird");
        assert_eq!(PowerState::parse(None).as_str(), "absent");
    }

    #[test]
    fn power_requests_parse() {
        assert_eq!(
            "force-off".parse::<PowerRequest>(),
            Ok(PowerRequest::ForceOff)
        );
        assert_eq!("Restart".parse::<PowerRequest>(), Ok(PowerRequest::Restart));
        assert!("cycle".parse::<PowerRequest>().is_err());
    }
}
