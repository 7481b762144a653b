//! `shipyard/DeploymentConfiguration/v1`: how long each phase of a deployment may take
//! and which deployment strategy to use.
//!
//! Shipyard reads the document named `deployment-configuration`; so does Aerostat. Values
//! left out take Shipyard's defaults (its `deployment_configuration_operator`).

use std::time::Duration;

use aero_site::{DocumentView, RenderedSite};

use crate::error::DeployError;

/// The schema prefix of the document.
pub const SCHEMA: &str = "shipyard/DeploymentConfiguration";
/// The name Shipyard looks the document up by.
pub const NAME: &str = "deployment-configuration";

/// Timeouts and polling intervals of the physical provisioner, and the strategy's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentConfiguration {
    /// `physical_provisioner.deployment_strategy`: the DeploymentStrategy document's
    /// name; `None` means Shipyard's default strategy (every node, one critical group).
    pub strategy: Option<String>,
    /// How often a deploying node is checked (`deploy_interval`).
    pub deploy_interval: Duration,
    /// How long a node may take to deploy, until it reports back (`deploy_timeout`).
    pub deploy_timeout: Duration,
    /// How often a node being destroyed is checked (`destroy_interval`).
    pub destroy_interval: Duration,
    /// How long tearing a node down may take (`destroy_timeout`).
    pub destroy_timeout: Duration,
    /// How often a node being prepared is checked (`prepare_node_interval`).
    pub prepare_node_interval: Duration,
    /// How long preparing a node (power, media, boot settings) may take
    /// (`prepare_node_timeout`).
    pub prepare_node_timeout: Duration,
    /// How long site-wide preparation may take (`prepare_site_timeout`).
    pub prepare_site_timeout: Duration,
    /// How often verification is retried (`verify_interval`).
    pub verify_interval: Duration,
    /// How long verification of the site and its BMCs may take (`verify_timeout`).
    pub verify_timeout: Duration,
    /// Where the document is, for messages.
    pub place: String,
}

/// Shipyard's defaults, in seconds, by field.
const DEFAULTS: [(&str, u64); 9] = [
    ("deploy_interval", 30),
    ("deploy_timeout", 3600),
    ("destroy_interval", 30),
    ("destroy_timeout", 900),
    ("prepare_node_interval", 30),
    ("prepare_node_timeout", 1800),
    ("prepare_site_timeout", 300),
    ("verify_interval", 10),
    ("verify_timeout", 60),
];

impl DeploymentConfiguration {
    /// Reads the site's `deployment-configuration`.
    pub fn from_site(site: &RenderedSite) -> Result<Self, DeployError> {
        let document = site.find(SCHEMA, NAME).ok_or_else(|| {
            DeployError::MissingDocument(format!(
                "the site has no {SCHEMA}/v1 document named `{NAME}`: it says how long each deployment phase may take and which deployment strategy to use"
            ))
        })?;
        Self::from_document(&document)
    }

    fn from_document(document: &DocumentView<'_>) -> Result<Self, DeployError> {
        let data = document.data();
        let provisioner = data.get("physical_provisioner");
        let seconds = |field: &str| -> Result<Duration, DeployError> {
            let default = DEFAULTS
                .iter()
                .find(|(name, _)| *name == field)
                .map_or(0, |(_, seconds)| *seconds);
            match provisioner.and_then(|section| section.get(field)) {
                None | Some(serde_json::Value::Null) => Ok(Duration::from_secs(default)),
                Some(value) => value.as_u64().map(Duration::from_secs).ok_or_else(|| {
                    invalid(
                        document,
                        &format!(".physical_provisioner.{field}"),
                        "must be a whole number of seconds",
                    )
                }),
            }
        };
        let strategy = match provisioner.and_then(|section| section.get("deployment_strategy")) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(name)) => Some(name.clone()),
            Some(_) => {
                return Err(invalid(
                    document,
                    ".physical_provisioner.deployment_strategy",
                    "must be the name of a shipyard/DeploymentStrategy/v1 document",
                ));
            }
        };
        Ok(Self {
            strategy,
            deploy_interval: seconds("deploy_interval")?,
            deploy_timeout: seconds("deploy_timeout")?,
            destroy_interval: seconds("destroy_interval")?,
            destroy_timeout: seconds("destroy_timeout")?,
            prepare_node_interval: seconds("prepare_node_interval")?,
            prepare_node_timeout: seconds("prepare_node_timeout")?,
            prepare_site_timeout: seconds("prepare_site_timeout")?,
            verify_interval: seconds("verify_interval")?,
            verify_timeout: seconds("verify_timeout")?,
            place: document.place(),
        })
    }
}

/// A located error about a value of a document.
pub(crate) fn invalid(document: &DocumentView<'_>, path: &str, message: &str) -> DeployError {
    DeployError::InvalidDocument {
        place: document.value_place(path),
        document: format!("{}/{}", document.schema(), document.name()),
        message: format!("{path}: {message}"),
    }
}
