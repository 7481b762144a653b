//! A site at its pinned revision, ready to plan and to run: the typed host model (with
//! any recorded target overrides applied), the deployment configuration and strategy.
//!
//! Everything here is computed from the rendered revision alone; what the site looks
//! like now comes in separately as [`Observed`], so planning stays a pure function.

use std::sync::Arc;

use aero_baremetal::{HostModel, StepTiming, TargetOverrides};
use aero_site::RenderedSite;

use crate::action::ActionKind;
use crate::configuration::DeploymentConfiguration;
use crate::error::DeployError;
use crate::nodes::{BaremetalNodeSteps, step_timing};
use crate::plan::{Observed, Plan, Request, plan};
use crate::strategy::DeploymentStrategy;

/// A site's pinned revision, prepared for planning and for its steps.
#[derive(Clone)]
pub struct DeploySite {
    /// The site's name.
    pub site: String,
    /// The rendered revision.
    pub revision_id: String,
    /// Its servers, with the overrides applied.
    pub model: Arc<HostModel>,
    /// `shipyard/DeploymentConfiguration/v1` (or Shipyard's defaults).
    pub configuration: DeploymentConfiguration,
    /// The strategy the configuration names (or Shipyard's default).
    pub strategy: DeploymentStrategy,
    /// Who recorded the overrides applied (`lab`), if any.
    pub overrides: Option<String>,
}

impl DeploySite {
    /// Prepares a cleanly rendered site. `overrides` (the lab's) are applied to the model
    /// before anything is planned, so no step is ever built for a real address by
    /// mistake.
    pub fn prepare(
        site: &str,
        rendered: &RenderedSite,
        overrides: Option<&TargetOverrides>,
    ) -> Result<DeploySite, DeployError> {
        let revision_id = rendered
            .revision_id()
            .filter(|_| rendered.is_valid())
            .ok_or_else(|| {
                DeployError::Usage(format!(
                    "site `{site}` does not render cleanly: an action needs a valid revision"
                ))
            })?
            .to_string();
        let mut model = HostModel::from_site(rendered)?;
        if let Some(overrides) = overrides {
            model.apply_overrides(site, overrides)?;
        }
        let configuration = DeploymentConfiguration::from_site(rendered)?;
        let strategy = DeploymentStrategy::from_site(rendered, &configuration)?;
        Ok(DeploySite {
            site: site.to_string(),
            revision_id,
            model: Arc::new(model),
            configuration,
            strategy,
            overrides: overrides.map(|overrides| overrides.label.clone()),
        })
    }

    /// The steps' budgets from the deployment configuration.
    pub fn timing(&self) -> StepTiming {
        step_timing(&self.configuration)
    }

    /// What `kind` would do now, given what is `observed`.
    pub fn plan(
        &self,
        kind: ActionKind,
        request: &Request,
        observed: &Observed,
    ) -> Result<Plan, DeployError> {
        let timing = self.timing();
        let steps = BaremetalNodeSteps {
            model: &self.model,
            timing: &timing,
        };
        plan(
            kind,
            &self.site,
            &self.revision_id,
            self.model.nodes(),
            &self.strategy,
            request,
            observed,
            &steps,
        )
    }
}
