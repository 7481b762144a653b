//! From a rendered site to the host model, with Drydock's semantics.
//!
//! Documents are first layered and substituted by the document engine (Deckhand's rules);
//! what remains is Drydock's own inheritance, which this module applies:
//!
//! - A node names a host profile (`host_profile`), which may name a parent profile, and
//!   so on. Values are merged from the farthest profile to the node; the nearer wins.
//! - Scalars (`hardware_profile`, `primary_network`, each `oob` field, `platform.image`,
//!   `platform.kernel`, `metadata.rack`, `metadata.boot_mac`): the nearest value.
//! - Maps (`platform.kernel_params`, `metadata.owner_data`): merged key by key.
//! - Lists (`metadata.tags`, an interface's `slaves` and `networks`): the parent's items,
//!   minus those the child names as `!item`, then the child's other items (Drydock's
//!   `merge_lists`; duplicates are dropped).
//! - `interfaces`: merged by name as above (`device_link` is a scalar). An interface set
//!   to `null`, or named `!name` (Drydock's form), removes the inherited interface.
//!
//! Companion documents (`aerostat/NodeProvisioning/v1` named after the node,
//! `aerostat/HardwareProvisioning/v1` named after its hardware profile) add what Drydock
//! lacks; each setting of the node's companion wins over its hardware profile's (`bmc.tls`
//! and the config-media pair `virtual_media.config_slot`/`config_over_http` as a whole).
//!
//! Every inconsistency becomes a located [`ModelError`]; a document that cannot be
//! decoded is reported once and then skipped by everything that refers to it, so one typo
//! does not bury the report under consequences.

mod bmc;
mod interfaces;
mod merge;
mod node;
mod site;

use std::collections::BTreeMap;

use aero_site::{DocumentView, RenderedSite};

use super::documents::{
    BmcData, HardwareData, HardwareProvisioningData, HostData, NodeProvisioningData,
    VirtualMediaData, decode, located,
};
use super::{HostModel, Network, NetworkLink, Node, OsImage};
use crate::error::{ModelError, ModelErrors, Problem};

const BAREMETAL_NODE: &str = "drydock/BaremetalNode";
const HOST_PROFILE: &str = "drydock/HostProfile";
const HARDWARE_PROFILE: &str = "drydock/HardwareProfile";
pub(super) const NETWORK: &str = "drydock/Network";
const NETWORK_LINK: &str = "drydock/NetworkLink";
const REGION: &str = "drydock/Region";
const NODE_PROVISIONING: &str = "aerostat/NodeProvisioning";
const HARDWARE_PROVISIONING: &str = "aerostat/HardwareProvisioning";
const OS_IMAGE: &str = "aerostat/OsImage";
const PROVISIONING_SERVER: &str = "aerostat/ProvisioningServer";

/// The shortest token key accepted: 32 characters of a generated passphrase carry well
/// over 128 bits.
pub(super) const MIN_TOKEN_KEY: usize = 32;

/// Documents of one kind by name, decoded; `None` for one that failed to decode (its
/// error is reported already, so references to it stay quiet).
pub(super) type Decoded<'a, T> = BTreeMap<String, Option<(DocumentView<'a>, T)>>;

/// What a lookup of a named document found.
pub(super) enum Found<'b, 'a, T> {
    Yes(&'b DocumentView<'a>, &'b T),
    /// It exists but did not decode (already reported).
    Broken,
    /// No such document.
    No,
}

pub(super) fn find<'b, 'a, T>(decoded: &'b Decoded<'a, T>, name: &str) -> Found<'b, 'a, T> {
    match decoded.get(name) {
        Some(Some((view, value))) => Found::Yes(view, value),
        Some(None) => Found::Broken,
        None => Found::No,
    }
}

pub(super) fn names<T>(decoded: &Decoded<'_, T>) -> Vec<String> {
    decoded.keys().cloned().collect()
}

/// The site's documents, decoded once.
pub(super) struct Documents<'a> {
    pub(super) host_profiles: Decoded<'a, HostData>,
    pub(super) hardware_profiles: Decoded<'a, HardwareData>,
    pub(super) networks: Decoded<'a, Network>,
    /// For each network, the networks its routedomain routes lead to (fingerprint input).
    pub(super) route_targets: BTreeMap<String, Vec<String>>,
    pub(super) links: Decoded<'a, NetworkLink>,
    pub(super) node_provisioning: Decoded<'a, NodeProvisioningData>,
    pub(super) hardware_provisioning: Decoded<'a, HardwareProvisioningData>,
    pub(super) os_images: Decoded<'a, OsImage>,
}

pub(crate) fn resolve(site: &RenderedSite) -> Result<HostModel, ModelErrors> {
    let mut errors = Vec::new();
    let documents = Documents {
        host_profiles: decode_all(site, HOST_PROFILE, &mut errors, |_, data| Ok(data)),
        hardware_profiles: decode_all(site, HARDWARE_PROFILE, &mut errors, |_, data| Ok(data)),
        networks: BTreeMap::new(),
        route_targets: BTreeMap::new(),
        links: decode_all(site, NETWORK_LINK, &mut errors, site::link),
        node_provisioning: decode_all(
            site,
            NODE_PROVISIONING,
            &mut errors,
            |view, data: NodeProvisioningData| {
                check_settings(view, data.bmc.as_ref(), data.virtual_media.as_ref())?;
                Ok(data)
            },
        ),
        hardware_provisioning: decode_all(
            site,
            HARDWARE_PROVISIONING,
            &mut errors,
            |view, data: HardwareProvisioningData| {
                check_settings(view, data.bmc.as_ref(), data.virtual_media.as_ref())?;
                Ok(data)
            },
        ),
        os_images: decode_all(site, OS_IMAGE, &mut errors, site::os_image),
    };
    let (networks, route_targets) = site::networks(site, &mut errors);
    let documents = Documents {
        networks,
        route_targets,
        ..documents
    };
    let node_views: Vec<DocumentView<'_>> = site.documents_of_kind(BAREMETAL_NODE).collect();
    check_companions(&documents, &node_views, &mut errors);
    let region = single(site, REGION, &mut errors, site::region);
    let provisioning_server = single(
        site,
        PROVISIONING_SERVER,
        &mut errors,
        site::provisioning_server,
    );
    let mut nodes: Vec<Node> = node_views
        .iter()
        .filter_map(|view| node::resolve_node(&documents, view, &mut errors))
        .collect();
    nodes.sort_by(|left, right| left.name.cmp(&right.name));
    if errors.is_empty() {
        Ok(HostModel {
            nodes,
            region,
            provisioning_server,
        })
    } else {
        Err(ModelErrors::new(errors))
    }
}

/// Decodes every document of a kind and converts it.
fn decode_all<'a, Raw, T>(
    site: &'a RenderedSite,
    kind: &'a str,
    errors: &mut Vec<ModelError>,
    convert: impl Fn(&DocumentView<'a>, Raw) -> Result<T, Vec<ModelError>>,
) -> Decoded<'a, T>
where
    Raw: serde::de::DeserializeOwned,
{
    let mut decoded = BTreeMap::new();
    for view in site.documents_of_kind(kind) {
        if decoded.contains_key(view.name()) {
            continue;
        }
        let value = match decode::<Raw>(&view) {
            Ok(raw) => match convert(&view, raw) {
                Ok(value) => Some((view, value)),
                Err(found) => {
                    errors.extend(found);
                    None
                }
            },
            Err(error) => {
                errors.push(error);
                None
            }
        };
        decoded.insert(view.name().to_string(), value);
    }
    decoded
}

/// The one document of a kind a site holds at most once.
fn single<'a, Raw, T>(
    site: &'a RenderedSite,
    kind: &'static str,
    errors: &mut Vec<ModelError>,
    convert: impl Fn(&DocumentView<'a>, Raw) -> Result<T, Vec<ModelError>>,
) -> Option<T>
where
    Raw: serde::de::DeserializeOwned,
{
    let views: Vec<DocumentView<'a>> = site.documents_of_kind(kind).collect();
    let first = views.first()?;
    for extra in &views[1..] {
        errors.push(located(
            extra,
            ".",
            Problem::Duplicate {
                schema: kind,
                first: first.name().to_string(),
            },
        ));
    }
    match decode::<Raw>(first) {
        Ok(raw) => match convert(first, raw) {
            Ok(value) => Some(value),
            Err(found) => {
                errors.extend(found);
                None
            }
        },
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

/// A companion's BMC and media settings must make sense whether or not a node uses them
/// (a node's own setting may hide its hardware profile's today, not tomorrow).
fn check_settings(
    view: &DocumentView<'_>,
    bmc: Option<&BmcData>,
    media: Option<&VirtualMediaData>,
) -> Result<(), Vec<ModelError>> {
    let mut errors = Vec::new();
    if let Some(bmc) = bmc {
        bmc::bmc_tls(view, bmc, &mut errors);
    }
    if let Some(media) = media
        && media.config_slot.is_some()
        && media.config_over_http == Some(true)
    {
        errors.push(located(
            view,
            ".virtual_media",
            Problem::ConflictingConfigMedia,
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A companion document must name something that exists: a typo would otherwise
/// silently leave a node on defaults.
fn check_companions(
    documents: &Documents<'_>,
    nodes: &[DocumentView<'_>],
    errors: &mut Vec<ModelError>,
) {
    let node_names: Vec<String> = nodes.iter().map(|node| node.name().to_string()).collect();
    for (name, entry) in &documents.node_provisioning {
        if let Some((view, _)) = entry
            && !node_names.contains(name)
        {
            errors.push(located(
                view,
                ".",
                Problem::CompanionOfNothing {
                    kind: "node",
                    name: name.clone(),
                    known: node_names.clone(),
                },
            ));
        }
    }
    for (name, entry) in &documents.hardware_provisioning {
        if let Some((view, _)) = entry
            && !documents.hardware_profiles.contains_key(name)
        {
            errors.push(located(
                view,
                ".",
                Problem::CompanionOfNothing {
                    kind: "hardware profile",
                    name: name.clone(),
                    known: names(&documents.hardware_profiles),
                },
            ));
        }
    }
}
