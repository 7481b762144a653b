//! The bare-metal model's nodes as the strategy and the planner see them, and the
//! bare-metal domain's step specs as the planner composes them.

use aero_baremetal::{HostModel, Node, StepTiming};
use aero_workflow::StepSpec;

use crate::configuration::DeploymentConfiguration;
use crate::error::DeployError;
use crate::plan::{NodeSteps, PlannedNode};
use crate::strategy::NodeFacts;

impl NodeFacts for Node {
    fn name(&self) -> &str {
        &self.name
    }

    fn tags(&self) -> &[String] {
        &self.tags
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.owner_data.get(key).map(String::as_str)
    }

    fn rack(&self) -> Option<&str> {
        self.rack.as_deref()
    }
}

impl PlannedNode for Node {
    fn fingerprint(&self) -> String {
        self.fingerprint.as_str().to_string()
    }

    fn externally_provisioned(&self) -> bool {
        self.externally_provisioned
    }
}

/// The steps' time budgets from the site's deployment configuration: Shipyard's
/// `prepare_node_timeout` for the node's preparation (power, media, boot settings),
/// `deploy_timeout` for the wait for the installed node to report back,
/// `destroy_timeout` for tearing down. Polls and retries keep the domain's defaults.
pub fn step_timing(configuration: &DeploymentConfiguration) -> StepTiming {
    StepTiming {
        prepare_node_timeout: configuration.prepare_node_timeout,
        deploy_timeout: configuration.deploy_timeout,
        destroy_timeout: configuration.destroy_timeout,
        ..StepTiming::default()
    }
}

/// The bare-metal domain's specs for the nodes of one model.
pub struct BaremetalNodeSteps<'a> {
    /// The model (lab overrides applied).
    pub model: &'a HostModel,
    /// The budgets.
    pub timing: &'a StepTiming,
}

impl BaremetalNodeSteps<'_> {
    fn node(&self, name: &str) -> Result<&Node, DeployError> {
        self.model
            .node(name)
            .map_err(|error| DeployError::NotFound(error.to_string()))
    }
}

impl NodeSteps for BaremetalNodeSteps<'_> {
    fn preflight(&self, node: &str) -> Result<StepSpec, DeployError> {
        Ok(aero_baremetal::preflight_spec(
            self.node(node)?,
            self.timing,
        ))
    }

    fn provision(&self, node: &str) -> Result<Vec<StepSpec>, DeployError> {
        Ok(aero_baremetal::provision_specs(
            self.node(node)?,
            self.timing,
        ))
    }

    fn deprovision(&self, node: &str) -> Result<Vec<StepSpec>, DeployError> {
        Ok(aero_baremetal::deprovision_specs(
            self.node(node)?,
            self.timing,
        ))
    }
}
