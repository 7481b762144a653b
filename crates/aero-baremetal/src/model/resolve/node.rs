//! One node: its host data merged through its profile chain, its hardware profile and
//! companions, interfaces, BMC, OS image and identity, and its fingerprint.

use std::collections::BTreeMap;

use aero_site::DocumentView;

use super::merge::{Merged, profile_chain};
use super::{Documents, Found, bmc, find, interfaces, names};
use crate::error::{ModelError, Problem};
use crate::fingerprint;
use crate::model::documents::{
    HardwareProvisioningData, HostData, NodeProvisioningData, decode, located,
};
use crate::model::values::is_uuid;
use crate::model::{
    BootMode, DeviceAlias, ExpectedIdentity, HardwareProfile, MacAddress, Node, OobType, OsImage,
    Platform,
};

/// A node's companion documents, when it has them.
#[derive(Clone, Copy)]
struct Companions<'b, 'a> {
    /// `aerostat/NodeProvisioning/v1` named after the node.
    node: Option<(DocumentView<'a>, &'b NodeProvisioningData)>,
    /// `aerostat/HardwareProvisioning/v1` named after its hardware profile.
    hardware: Option<(DocumentView<'a>, &'b HardwareProvisioningData)>,
}

impl<'b, 'a> Companions<'b, 'a> {
    /// `None` when one exists but is broken (reported already).
    fn of(documents: &'b Documents<'a>, node: &str, hardware_profile: &str) -> Option<Self> {
        let node = match find(&documents.node_provisioning, node) {
            Found::Yes(view, companion) => Some((*view, companion)),
            Found::Broken => return None,
            Found::No => None,
        };
        let hardware = match find(&documents.hardware_provisioning, hardware_profile) {
            Found::Yes(view, companion) => Some((*view, companion)),
            Found::Broken => return None,
            Found::No => None,
        };
        Some(Companions { node, hardware })
    }

    fn views(&self) -> impl Iterator<Item = DocumentView<'a>> + '_ {
        let node = self.node.map(|(view, _)| view);
        let hardware = self.hardware.map(|(view, _)| view);
        node.into_iter().chain(hardware)
    }
}

/// Resolves one node; `None` when anything about it is wrong (every problem reported).
pub(super) fn resolve_node<'a>(
    documents: &Documents<'a>,
    view: &DocumentView<'a>,
    errors: &mut Vec<ModelError>,
) -> Option<Node> {
    let data: HostData = match decode(view) {
        Ok(data) => data,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    let chain = profile_chain(documents, view, &data, errors)?;
    let merged = Merged::of(*view, &data, &chain);
    let errors_before = errors.len();
    let (hardware_view, hardware) = hardware_profile(documents, view, &merged, errors)?;
    let companions = Companions::of(documents, view.name(), &hardware.name)?;
    let macs = companions
        .node
        .map(|(companion_view, companion)| {
            macs(&companion_view, companion, &hardware, &merged, errors)
        })
        .unwrap_or_default();
    let (interfaces, network_documents) = interfaces::interfaces(
        documents,
        view,
        &merged,
        &data.addressing,
        &hardware,
        &macs,
        errors,
    )?;
    let oob_type = merged.oob_type.unwrap_or(OobType::Manual);
    let bmc = match oob_type {
        OobType::Redfish => bmc::bmc_access(
            view,
            &merged,
            &data.addressing,
            companions.node,
            companions.hardware,
            errors,
        ),
        _ => None,
    };
    let os_image = os_image(documents, &merged, errors);
    let boot_mac = boot_mac(&merged, errors);
    let expected = expected_identity(companions.node, errors);
    let kernel_params = kernel_params(&merged, errors);
    if errors.len() > errors_before {
        return None;
    }

    let mut fingerprinted = vec![*view, hardware_view];
    fingerprinted.extend(chain.iter().map(|(profile_view, _)| *profile_view));
    fingerprinted.extend(companions.views());
    fingerprinted.extend(network_documents);
    fingerprinted.extend(os_image.as_ref().map(|(image_view, _)| *image_view));
    let own = companions.node.map(|(_, companion)| companion);
    Some(Node {
        name: view.name().to_string(),
        host_profiles: chain
            .iter()
            .map(|(profile_view, _)| profile_view.name().to_string())
            .collect(),
        boot_mode: own
            .and_then(|companion| companion.boot_mode)
            .or(hardware.boot_mode)
            .unwrap_or(BootMode::Uefi),
        hardware_profile: hardware,
        boot_mac,
        expected,
        oob_type,
        bmc,
        media: bmc::media_preference(companions.node, companions.hardware),
        platform: Platform {
            image: merged.image.as_ref().map(|image| image.value.clone()),
            kernel: merged.kernel.clone(),
            kernel_params,
        },
        os_image: os_image.map(|(_, image)| image),
        interfaces,
        externally_provisioned: own
            .and_then(|companion| companion.externally_provisioned)
            .unwrap_or(false),
        fingerprint: fingerprint::of_documents(&fingerprinted, merged.oob_network.as_deref()),
        tags: merged.tags,
        owner_data: merged.owner_data,
        rack: merged.rack,
        primary_network: merged.primary_network.map(|primary| primary.value),
    })
}

/// The OS image `platform.image` names, with its document.
fn os_image<'a>(
    documents: &Documents<'a>,
    merged: &Merged<'a>,
    errors: &mut Vec<ModelError>,
) -> Option<(DocumentView<'a>, OsImage)> {
    let image = merged.image.as_ref()?;
    match find(&documents.os_images, &image.value) {
        Found::Yes(image_view, os_image) => Some((*image_view, os_image.clone())),
        Found::Broken => None,
        Found::No => {
            errors.push(located(
                &image.view,
                ".platform.image",
                Problem::MissingOsImage {
                    name: image.value.clone(),
                    known: names(&documents.os_images),
                },
            ));
            None
        }
    }
}

fn boot_mac(merged: &Merged<'_>, errors: &mut Vec<ModelError>) -> Option<MacAddress> {
    let mac = merged.boot_mac.as_ref()?;
    let parsed = MacAddress::parse(&mac.value);
    if parsed.is_none() {
        errors.push(located(
            &mac.view,
            ".metadata.boot_mac",
            Problem::InvalidMac {
                value: mac.value.clone(),
            },
        ));
    }
    parsed
}

/// The node's hardware profile (named by the node or its profiles).
fn hardware_profile<'a>(
    documents: &Documents<'a>,
    node: &DocumentView<'a>,
    merged: &Merged<'a>,
    errors: &mut Vec<ModelError>,
) -> Option<(DocumentView<'a>, HardwareProfile)> {
    let Some(name) = &merged.hardware_profile else {
        errors.push(located(node, ".", Problem::NoHardwareProfile));
        return None;
    };
    match find(&documents.hardware_profiles, &name.value) {
        Found::Yes(view, data) => Some((
            *view,
            HardwareProfile {
                name: name.value.clone(),
                vendor: data.vendor.clone(),
                boot_mode: data.boot_mode,
                device_aliases: data
                    .device_aliases
                    .iter()
                    .map(|(alias, device)| {
                        (
                            alias.clone(),
                            DeviceAlias {
                                address: device.address.clone(),
                                dev_type: device.dev_type.clone(),
                                bus_type: device.bus_type.clone(),
                            },
                        )
                    })
                    .collect(),
            },
        )),
        Found::Broken => None,
        Found::No => {
            errors.push(located(
                &name.view,
                ".hardware_profile",
                Problem::MissingHardwareProfile {
                    name: name.value.clone(),
                    known: names(&documents.hardware_profiles),
                },
            ));
            None
        }
    }
}

/// The node's NIC MACs by slave name, each key checked against the NICs it could name.
fn macs(
    view: &DocumentView<'_>,
    companion: &NodeProvisioningData,
    hardware: &HardwareProfile,
    merged: &Merged<'_>,
    errors: &mut Vec<ModelError>,
) -> BTreeMap<String, MacAddress> {
    let mut macs = BTreeMap::new();
    for (name, text) in &companion.mac_addresses {
        let path = format!(".mac_addresses.{name}");
        let known = hardware.device_aliases.contains_key(name)
            || merged
                .interfaces
                .values()
                .any(|interface| interface.slaves.contains(name));
        if !known {
            errors.push(located(
                view,
                &path,
                Problem::UnknownNic {
                    name: name.clone(),
                    hardware_profile: hardware.name.clone(),
                },
            ));
            continue;
        }
        match MacAddress::parse(text) {
            Some(mac) => {
                macs.insert(name.clone(), mac);
            }
            None => errors.push(located(
                view,
                &path,
                Problem::InvalidMac {
                    value: text.clone(),
                },
            )),
        }
    }
    macs
}

/// Serial number and UUID from the node's companion, the UUID lower-cased.
fn expected_identity(
    node_companion: Option<(DocumentView<'_>, &NodeProvisioningData)>,
    errors: &mut Vec<ModelError>,
) -> ExpectedIdentity {
    let Some((view, companion)) = node_companion else {
        return ExpectedIdentity::default();
    };
    let uuid = companion.uuid.as_ref().and_then(|uuid| {
        let uuid = uuid.trim();
        if is_uuid(uuid) {
            Some(uuid.to_ascii_lowercase())
        } else {
            errors.push(located(
                &view,
                ".uuid",
                Problem::InvalidUuid {
                    value: uuid.to_string(),
                },
            ));
            None
        }
    });
    ExpectedIdentity {
        serial_number: companion
            .serial_number
            .as_ref()
            .map(|serial| serial.trim().to_string())
            .filter(|serial| !serial.is_empty()),
        uuid,
    }
}

/// Kernel parameters as they go on the command line: `name=value`, `name` alone for
/// `true` (or Drydock's string `'true'`), nothing for `false`.
fn kernel_params(merged: &Merged<'_>, errors: &mut Vec<ModelError>) -> Vec<String> {
    let mut params = Vec::new();
    for (name, value) in &merged.kernel_params {
        match &value.value {
            serde_json::Value::Bool(true) => params.push(name.clone()),
            serde_json::Value::String(text) if text == "true" => params.push(name.clone()),
            serde_json::Value::Bool(false) | serde_json::Value::Null => {}
            serde_json::Value::String(text) => params.push(format!("{name}={text}")),
            serde_json::Value::Number(number) => params.push(format!("{name}={number}")),
            _ => errors.push(located(
                &value.view,
                &format!(".platform.kernel_params.{name}"),
                Problem::InvalidKernelParameter { name: name.clone() },
            )),
        }
    }
    params
}
