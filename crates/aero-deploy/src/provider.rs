//! How a worker prepares an action's steps: load the action's pinned sources from the
//! store, render them with this worker's own key, check the result is the pinned
//! revision, and register the steps of every domain this build has.
//!
//! This is where the data path turns: documents → rendered revision → typed model →
//! steps that hold only typed values (the model's nodes, never documents) → drivers.

use std::path::PathBuf;
use std::sync::Arc;

use aero_baremetal::{BaremetalEnvironment, BaremetalSteps, TargetOverrides};
use aero_bmc::BmcConnector;
use aero_docs::diagnostic::Severity;
use aero_error::ErrorClass;
use aero_redact::SharedRedactor;
use aero_site::{KeyPolicy, Mode, RenderOptions, RenderedSite, Snapshot};
use aero_workflow::{
    ActionSummary, BuildError, Registry, RegistryProvider, StepRegistry, Store, erase,
};
use async_trait::async_trait;

use crate::gate::{GroupGate, ValidateDesign};
use crate::plan::{GATE_KIND, VALIDATE_KIND};
use crate::site::DeploySite;

/// Where a site's machines really are when a stand-in (the lab) is recorded for it.
pub trait OverridesSource: Send + Sync {
    /// The overrides recorded for `site`, if any.
    fn overrides(&self, site: &str) -> Result<Option<TargetOverrides>, String>;
}

/// No overrides: the site's documents say where its machines are.
pub struct NoOverrides;

impl OverridesSource for NoOverrides {
    fn overrides(&self, _site: &str) -> Result<Option<TargetOverrides>, String> {
        Ok(None)
    }
}

/// Serves a site's artifacts (OS image, config images) and takes its nodes' phone-home
/// while its actions run.
#[async_trait]
pub trait ArtifactHost: Send + Sync {
    /// Makes sure `site`'s artifacts are served for `action` (idempotent: a second call for
    /// the same site and revision changes nothing).
    async fn serve(&self, site: &DeploySite, action: &ActionSummary) -> Result<(), BuildError>;
}

/// What a worker brings to every action it runs.
pub struct WorkerSetup {
    /// Its keys: which identities open the site's secrets.
    pub key_policy: KeyPolicy,
    /// Manifests repositories that may hold the demo key.
    pub key_roots: Vec<PathBuf>,
    /// Registers every secret the render finds, so nothing written holds one.
    pub redactor: SharedRedactor,
    /// Recorded stand-ins (the lab).
    pub overrides: Arc<dyn OverridesSource>,
    /// How BMCs are reached.
    pub connector: Arc<dyn BmcConnector>,
    /// Serves artifacts and takes phone-homes.
    pub artifacts: Arc<dyn ArtifactHost>,
}

/// The [`RegistryProvider`] of the deploy actions.
pub struct DeployProvider {
    store: Store,
    setup: WorkerSetup,
    /// The bare-metal steps of every action prepared, whose BMC sessions stay open for
    /// the action's steps.
    prepared: std::sync::Mutex<Vec<BaremetalSteps>>,
}

impl DeployProvider {
    /// A provider reading snapshots from `store`.
    pub fn new(store: Store, setup: WorkerSetup) -> Self {
        DeployProvider {
            store,
            setup,
            prepared: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Ends the BMC sessions the prepared actions' steps opened (BMCs allow few at a
    /// time): call it when the actions run here have ended.
    pub async fn close_sessions(&self) {
        let prepared: Vec<BaremetalSteps> = match self.prepared.lock() {
            Ok(mut prepared) => prepared.drain(..).collect(),
            Err(poisoned) => poisoned.into_inner().drain(..).collect(),
        };
        for steps in prepared {
            steps.close_sessions().await;
        }
    }
}

/// How every action's revision is rendered: Aerostat's rules, validated, secrets
/// registered with `redactor`.
pub fn render_options(redactor: &SharedRedactor) -> RenderOptions {
    RenderOptions {
        mode: Mode::Aerostat,
        validate: true,
        validate_metadata: true,
        allow_encrypted: false,
        redactor: Some(redactor.clone()),
    }
}

/// The errors of a render, one per line with their places, for the design step.
pub fn render_errors(rendered: &RenderedSite) -> String {
    let mut lines: Vec<String> = rendered
        .diagnostics()
        .iter()
        .filter(|diagnostic| diagnostic.severity >= Severity::Error)
        .map(|diagnostic| match &diagnostic.location {
            Some(location) => format!("{}: {}", rendered.place(location), diagnostic.message),
            None => diagnostic.message.clone(),
        })
        .collect();
    if lines.is_empty() {
        lines.push("the site renders no revision".to_string());
    }
    lines.join("; ")
}

fn prepare_error(action: &ActionSummary, class: ErrorClass, message: String) -> BuildError {
    BuildError::Prepare {
        action: action.id.clone(),
        message,
        class,
    }
}

#[async_trait]
impl RegistryProvider for DeployProvider {
    async fn registry(&self, action: &ActionSummary) -> Result<Arc<dyn StepRegistry>, BuildError> {
        let bytes = self
            .store
            .snapshot(&action.snapshot_id)
            .await
            .map_err(|error| {
                prepare_error(
                    action,
                    aero_error::Classify::class(&error),
                    format!(
                        "cannot read its pinned sources {}: {error}",
                        action.snapshot_id
                    ),
                )
            })?;
        // The store names snapshots `sha256:<hex>`; the snapshot's own id is the hex.
        let content_id = action
            .snapshot_id
            .strip_prefix("sha256:")
            .unwrap_or(&action.snapshot_id);
        let snapshot = Snapshot::from_bytes(content_id, &bytes).map_err(|error| {
            prepare_error(
                action,
                ErrorClass::Permanent,
                format!("its pinned sources cannot be read: {error}"),
            )
        })?;
        let keys = self
            .setup
            .key_policy
            .resolve(&self.setup.key_roots)
            .map_err(|error| {
                prepare_error(
                    action,
                    aero_error::Classify::class(&error),
                    format!("this worker's keys: {error}"),
                )
            })?;
        let rendered = snapshot.render(&keys, &render_options(&self.setup.redactor));
        let design = match rendered.revision_id() {
            Some(revision) if rendered.is_valid() => Ok(revision.to_string()),
            _ => Err(render_errors(&rendered)),
        };

        let mut registry = Registry::new();
        let validated = design.clone();
        registry.register(VALIDATE_KIND, move |_spec| {
            Ok(erase(ValidateDesign {
                rendered: validated.clone(),
            }))
        });
        registry.register(GATE_KIND, |spec| Ok(erase(GroupGate::build(spec)?)));
        // Only a render of the pinned revision may drive machines; otherwise the design
        // step fails the action (with the reason) and nothing else is built.
        if design.as_deref() == Ok(action.revision_id.as_str()) {
            let overrides = self
                .setup
                .overrides
                .overrides(&action.site)
                .map_err(|message| prepare_error(action, ErrorClass::InvalidInput, message))?;
            let site = DeploySite::prepare(&action.site, &rendered, overrides.as_ref()).map_err(
                |error| {
                    prepare_error(
                        action,
                        aero_error::Classify::class(&error),
                        error.to_string(),
                    )
                },
            )?;
            self.setup.artifacts.serve(&site, action).await?;
            let steps = BaremetalSteps::new(BaremetalEnvironment {
                site: site.site.clone(),
                revision_id: site.revision_id.clone(),
                model: site.model.clone(),
                connector: self.setup.connector.clone(),
                redactor: self.setup.redactor.clone(),
            });
            steps.register(&mut registry);
            match self.prepared.lock() {
                Ok(mut prepared) => prepared.push(steps),
                Err(poisoned) => poisoned.into_inner().push(steps),
            }
        }
        Ok(Arc::new(registry))
    }
}
