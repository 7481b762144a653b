//! Bare metal as a domain: what a rendered site says about its servers, and what each
//! server is given to install itself.
//!
//! An Airship site describes its servers with Drydock's kinds (`drydock/BaremetalNode/v1`,
//! `HostProfile`, `HardwareProfile`, `Network`, `NetworkLink`, `Region`); Aerostat reads
//! them unchanged and adds what Redfish virtual-media provisioning needs in companion
//! documents of its own (`aerostat/NodeProvisioning/v1`, `HardwareProvisioning`,
//! `OsImage`, `ProvisioningServer`; see `schemas/README.md`), because Drydock's schemas
//! are closed. This crate:
//!
//! 1. resolves those documents into one typed model, [`HostModel`] of [`Node`]s, with
//!    Drydock's inheritance (host profile chains, interface removal, node overrides) and
//!    every inconsistency reported as a located [`ModelError`] (document, `file:line`,
//!    JSON path);
//! 2. gives each node a provisioning [`Fingerprint`]: a hash of the documents that decide
//!    what it becomes, which says whether it must be provisioned again;
//! 3. renders each node's NoCloud config ([`NodeConfig`]: `user-data`, `meta-data`,
//!    `network-config`) with a per-node phone-home [`NodeToken`];
//! 4. writes it as a reproducible `cidata` ISO 9660 image ([`ConfigImage`]) and reads such
//!    images back ([`IsoImage`]).
//!
//! Provisioning steps (over the BMC port and the workflow engine) build on the model;
//! they read everything they need from a [`Node`], never from documents.
//!
//! ```no_run
//! use aero_baremetal::{ConfigImage, HostModel, ImageTime, NodeConfig};
//! # fn demo(site: &aero_site::RenderedSite) -> Result<(), Box<dyn std::error::Error>> {
//! let revision = site.revision_id().ok_or("the site does not render cleanly")?;
//! let model = HostModel::from_site(site)?;
//! let node = model.node("lon1-wk01")?;
//! let config = NodeConfig::render(&model, node, revision)?;
//! let image = ConfigImage::build(&config, ImageTime::DEFAULT)?;
//! println!("{} {} {}", node.name, node.fingerprint, image.file_name());
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
mod fingerprint;
#[cfg(test)]
mod fixture;
mod iso;
mod model;
mod overrides;
mod secret;
pub mod steps;
mod target;

pub use config::{ConfigPart, NodeConfig, NodeToken, RedactedConfig, TokenPurpose, os_image_url};
pub use error::{ConfigError, ImageError, ModelError, ModelErrors, Problem, UnknownNode};
pub use fingerprint::Fingerprint;
pub use iso::{
    CIDATA_LABEL, ConfigImage, ImageTime, IsoEntry, IsoImage, IsoReadError, NameSource, write_image,
};
pub use model::{
    AttachedNetwork, BmcAccess, BmcCredentials, BmcTls, Bonding, BondingMode, BootMode, Cidr,
    ConfigMedia, DeviceAlias, Dns, ExpectedIdentity, HardwareProfile, HostInterface, HostModel,
    MacAddress, MediaPreference, Network, NetworkLink, Nic, Node, NodeAddress, OobType, OsImage,
    OsImageKind, Platform, ProvisioningServer, Region, Repository, RepositoryKind, Route,
    ServerTls, Sha256Digest, TlsBackend, TrunkingMode,
};
pub use overrides::{BmcOverride, OsImageOverride, OverrideError, ServerOverride, TargetOverrides};
pub use secret::Secret;
pub use steps::{
    BaremetalEnvironment, BaremetalSteps, FACT_DOMAIN, NodeRecord, STEP_KINDS, StepTiming,
    deprovision_specs, preflight_spec, provision_specs,
};
pub use target::bmc_target;
