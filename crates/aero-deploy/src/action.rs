//! The actions an operator asks for, as Shipyard names them, and what this build can do
//! of each.

use std::fmt;

use crate::error::DeployError;

/// An action on a site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Deploy the site: validate, provision every node by the deployment strategy (and,
    /// in later builds, bootstrap Kubernetes, deploy and test workloads).
    DeploySite,
    /// Apply a new revision: like `deploy_site`, acting only on what changed.
    UpdateSite,
    /// Deploy workloads only.
    UpdateSoftware,
    /// Tear one node down and provision it again.
    RedeployServer,
    /// Run the workloads' tests.
    TestSite,
}

/// A phase an action may have, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Render and validate the pinned revision.
    ValidateDesign,
    /// Reach every BMC in scope, log in, compare its inventory with the documents.
    Preflight,
    /// Power off, clear boot settings and media of one node.
    Deprovision,
    /// Provision nodes over virtual media, group by group.
    Provision,
    /// Bring up Kubernetes on the nodes.
    KubernetesBootstrap,
    /// Deploy the Armada chart groups.
    Workloads,
    /// Run the workloads' tests.
    WorkloadTests,
    /// Record the revision as deployed (when the action succeeds).
    RecordRevision,
}

impl Phase {
    /// Whether this build has the drivers the phase needs. Phases without them are left
    /// out of every action, never faked.
    pub fn in_this_build(self) -> bool {
        !matches!(
            self,
            Phase::KubernetesBootstrap | Phase::Workloads | Phase::WorkloadTests
        )
    }

    /// One line for people.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::ValidateDesign => {
                "validate the design (render and validate the pinned revision)"
            }
            Phase::Preflight => {
                "preflight (every BMC reachable, credentials work, inventories match)"
            }
            Phase::Deprovision => "deprovision (power off, clear the boot override and media)",
            Phase::Provision => "provision nodes over virtual media, by deployment strategy",
            Phase::KubernetesBootstrap => "bootstrap Kubernetes",
            Phase::Workloads => "deploy workloads (Armada chart groups)",
            Phase::WorkloadTests => "run workload tests",
            Phase::RecordRevision => "record the deployed revision",
        }
    }
}

impl ActionKind {
    /// Every kind.
    pub const ALL: [ActionKind; 5] = [
        ActionKind::DeploySite,
        ActionKind::UpdateSite,
        ActionKind::UpdateSoftware,
        ActionKind::RedeployServer,
        ActionKind::TestSite,
    ];

    /// Shipyard's name, stored with the action.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::DeploySite => "deploy_site",
            ActionKind::UpdateSite => "update_site",
            ActionKind::UpdateSoftware => "update_software",
            ActionKind::RedeployServer => "redeploy_server",
            ActionKind::TestSite => "test_site",
        }
    }

    /// The kind of a stored name.
    pub fn from_name(name: &str) -> Option<ActionKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == name || kind.name().replace('_', "-") == name)
    }

    /// Every phase of the action, whether this build has it or not, in order.
    pub fn phases(self) -> &'static [Phase] {
        match self {
            ActionKind::DeploySite | ActionKind::UpdateSite => &[
                Phase::ValidateDesign,
                Phase::Preflight,
                Phase::Provision,
                Phase::KubernetesBootstrap,
                Phase::Workloads,
                Phase::WorkloadTests,
                Phase::RecordRevision,
            ],
            ActionKind::UpdateSoftware => &[
                Phase::ValidateDesign,
                Phase::Workloads,
                Phase::WorkloadTests,
                Phase::RecordRevision,
            ],
            ActionKind::RedeployServer => &[
                Phase::ValidateDesign,
                Phase::Preflight,
                Phase::Deprovision,
                Phase::Provision,
                Phase::KubernetesBootstrap,
            ],
            ActionKind::TestSite => &[Phase::ValidateDesign, Phase::WorkloadTests],
        }
    }

    /// Refuses an action whose substance this build cannot perform: doing only its
    /// validation and reporting success would pretend.
    pub fn check_supported(self) -> Result<(), DeployError> {
        let missing: Vec<Phase> = self
            .phases()
            .iter()
            .copied()
            .filter(|phase| !phase.in_this_build())
            .collect();
        let substantive = self.phases().iter().any(|phase| {
            phase.in_this_build() && !matches!(phase, Phase::ValidateDesign | Phase::RecordRevision)
        });
        if substantive {
            return Ok(());
        }
        Err(DeployError::Unsupported(format!(
            "{} needs phases this build does not have yet ({}); Kubernetes bootstrap and workloads arrive with their own drivers",
            self.name(),
            missing
                .iter()
                .map(|phase| phase.describe())
                .collect::<Vec<_>>()
                .join("; ")
        )))
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_without_a_phase_of_their_own_in_this_build_are_refused() {
        assert!(ActionKind::DeploySite.check_supported().is_ok());
        assert!(ActionKind::UpdateSite.check_supported().is_ok());
        assert!(ActionKind::RedeployServer.check_supported().is_ok());
        let refused = ActionKind::UpdateSoftware.check_supported().unwrap_err();
        assert!(
            refused.to_string().contains("deploy workloads"),
            "{refused}"
        );
        assert!(ActionKind::TestSite.check_supported().is_err());
    }

    #[test]
    fn names_round_trip_with_either_separator() {
        for kind in ActionKind::ALL {
            assert_eq!(ActionKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(
            ActionKind::from_name("redeploy-server"),
            Some(ActionKind::RedeployServer)
        );
        assert_eq!(ActionKind::from_name("deploy"), None);
    }
}
