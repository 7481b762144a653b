//! The boot override: once from the virtual CD in the node's boot mode (provisioning), or
//! none (teardown).

use std::sync::Mutex;

use aero_bmc::{BootMode, BootOverride, BootPersistence, BootSettings, BootTarget};
use aero_workflow::{Decision, Pending, Step, StepContext, StepError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::bmc::NodeBmc;

/// The override a boot step converges to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BootWanted {
    CdOnce,
    Cleared,
}

/// The override to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum BootOp {
    CdOnce { mode: BootModeName },
    Clear,
}

/// A boot mode, as journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum BootModeName {
    Uefi,
    Legacy,
}

impl BootModeName {
    fn mode(self) -> BootMode {
        match self {
            BootModeName::Uefi => BootMode::Uefi,
            BootModeName::Legacy => BootMode::Legacy,
        }
    }
}

/// What the step sees: the BMC's settings, and what this step's own request did.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BootObserved {
    pub(super) settings: BootSettings,
    pub(super) own_request: OwnRequest,
}

/// Whether this step object set the override, and whether the BMC reads it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OwnRequest {
    /// Not yet (or set by a worker that crashed: it is set again, which is harmless).
    None,
    /// Set and read back: the BMC's settings show the target, though some BMCs report
    /// their own persistence (sushy's fake driver keeps `Continuous` after a `Once`).
    ReadsBack,
    /// Set through another mechanism (iDRAC's one-time virtual CD boot through a
    /// configuration job): the settings never show it.
    Unreadable,
}

pub(super) struct Boot {
    node: NodeBmc,
    wanted: BootWanted,
    own_request: Mutex<OwnRequest>,
}

impl Boot {
    pub(super) fn new(node: NodeBmc, wanted: BootWanted) -> Self {
        Boot {
            node,
            wanted,
            own_request: Mutex::new(OwnRequest::None),
        }
    }

    fn own_request(&self) -> OwnRequest {
        match self.own_request.lock() {
            Ok(own_request) => *own_request,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    fn mode(&self) -> BootModeName {
        match self.node.node.boot_mode {
            crate::model::BootMode::Uefi => BootModeName::Uefi,
            crate::model::BootMode::Bios => BootModeName::Legacy,
        }
    }
}

#[async_trait]
impl Step for Boot {
    type Observed = BootObserved;
    type Op = BootOp;

    async fn observe(&self, _cx: &StepContext) -> Result<BootObserved, StepError> {
        let bmc = self.node.bmc().await?;
        let settings = bmc
            .boot_override()
            .await
            .map_err(|error| self.node.failure(error))?;
        Ok(BootObserved {
            settings,
            own_request: self.own_request(),
        })
    }

    fn decide(
        &self,
        observed: &BootObserved,
        _pending: Option<&Pending<BootOp>>,
    ) -> Decision<BootOp> {
        // Setting the override again is harmless: a pending intent is decided from the
        // observed settings alone.
        decide_boot(self.wanted, self.mode(), observed)
    }

    async fn act(&self, _cx: &StepContext, op: &BootOp) -> Result<serde_json::Value, StepError> {
        let bmc = self.node.bmc().await?;
        let request = match op {
            BootOp::CdOnce { mode } => BootOverride {
                target: BootTarget::Cd,
                persistence: BootPersistence::Once,
                mode: Some(mode.mode()),
            },
            BootOp::Clear => BootOverride {
                target: BootTarget::None,
                persistence: BootPersistence::Once,
                mode: None,
            },
        };
        let applied = bmc
            .set_boot_override(&request)
            .await
            .map_err(|error| self.node.failure(error))?;
        let own = if applied.reads_back {
            OwnRequest::ReadsBack
        } else {
            OwnRequest::Unreadable
        };
        match self.own_request.lock() {
            Ok(mut own_request) => *own_request = own,
            Err(poisoned) => *poisoned.into_inner() = own,
        }
        Ok(serde_json::json!({
            "target": applied.target,
            "persistence": applied.persistence.as_str(),
            "mode": applied.mode.map(BootMode::as_str),
            "reads_back": applied.reads_back,
            "notes": applied.notes,
        }))
    }
}

/// The boot decision. Pure.
pub(super) fn decide_boot(
    wanted: BootWanted,
    mode: BootModeName,
    observed: &BootObserved,
) -> Decision<BootOp> {
    let settings = &observed.settings;
    match wanted {
        BootWanted::Cleared => {
            let cleared = matches!(settings.target, None | Some(BootTarget::None))
                || settings.persistence.is_none();
            if cleared || observed.own_request == OwnRequest::Unreadable {
                Decision::done(serde_json::json!({ "boot": "none" }))
            } else {
                Decision::Act(BootOp::Clear)
            }
        }
        BootWanted::CdOnce => {
            let wanted_mode = mode.mode();
            if !settings.allowed_modes.is_empty() && !settings.allowed_modes.contains(&wanted_mode)
            {
                let allowed: Vec<&str> = settings
                    .allowed_modes
                    .iter()
                    .map(|mode| mode.as_str())
                    .collect();
                return Decision::fail(format!(
                    "the documents ask for boot mode {wanted_mode}, the BMC allows {}",
                    allowed.join(", ")
                ));
            }
            let target_shown = settings.target == Some(BootTarget::Cd)
                && settings.mode.is_none_or(|reported| reported == wanted_mode);
            // Another persistence is accepted only after this step's own request: an
            // override found set to CD continuously is set again, once.
            let shown = target_shown
                && (settings.persistence == Some(BootPersistence::Once)
                    || observed.own_request == OwnRequest::ReadsBack);
            if shown || observed.own_request == OwnRequest::Unreadable {
                Decision::done(serde_json::json!({
                    "boot": "cd",
                    "persistence_reported": settings.persistence.map(BootPersistence::as_str),
                    "mode": wanted_mode.as_str(),
                    "reads_back": observed.own_request != OwnRequest::Unreadable,
                }))
            } else {
                Decision::Act(BootOp::CdOnce { mode })
            }
        }
    }
}
