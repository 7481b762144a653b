//! A node's interfaces: each merged interface's link, NICs and networks (tagged or not),
//! then the node's `addressing` put on the networks they carry.

use std::collections::BTreeMap;
use std::net::IpAddr;

use aero_site::DocumentView;

use super::merge::{Merged, MergedInterface};
use super::{Documents, Found, find, names};
use crate::error::{ModelError, Problem};
use crate::model::documents::{AddressingData, located};
use crate::model::{
    AttachedNetwork, BondingMode, HardwareProfile, HostInterface, MacAddress, NetworkLink, Nic,
    NodeAddress, TrunkingMode, is_interface_name,
};

/// The node's interfaces with their addresses, and the documents they used (for the
/// fingerprint). `None` when any interface is wrong: addresses and the primary network
/// would then only repeat the problem.
pub(super) fn interfaces<'a>(
    documents: &Documents<'a>,
    node: &DocumentView<'a>,
    merged: &Merged<'a>,
    addressing: &[AddressingData],
    hardware: &HardwareProfile,
    macs: &BTreeMap<String, MacAddress>,
    errors: &mut Vec<ModelError>,
) -> Option<(Vec<HostInterface>, Vec<DocumentView<'a>>)> {
    let mut interfaces = Vec::new();
    let mut used = Vec::new();
    for (name, interface) in &merged.interfaces {
        let (resolved, documents_used) =
            host_interface(documents, name, interface, hardware, macs, errors)?;
        interfaces.push(resolved);
        used.extend(documents_used);
    }
    assign_addresses(
        documents,
        node,
        addressing,
        merged.oob_network.as_deref(),
        &mut interfaces,
        errors,
    );
    if let Some(primary) = &merged.primary_network {
        let carried = interfaces
            .iter()
            .flat_map(|interface| &interface.networks)
            .any(|attached| attached.network.name == primary.value);
        match find(&documents.networks, &primary.value) {
            Found::Yes(..) if !carried => errors.push(located(
                &primary.view,
                ".primary_network",
                Problem::PrimaryNetworkNotAttached {
                    network: primary.value.clone(),
                },
            )),
            Found::No => errors.push(located(
                &primary.view,
                ".primary_network",
                Problem::MissingNetwork {
                    name: primary.value.clone(),
                    known: names(&documents.networks),
                },
            )),
            _ => {}
        }
    }
    Some((interfaces, used))
}

/// One interface: its link, NICs and networks (addresses come later), and the documents
/// it used.
fn host_interface<'a>(
    documents: &Documents<'a>,
    name: &str,
    interface: &MergedInterface<'a>,
    hardware: &HardwareProfile,
    macs: &BTreeMap<String, MacAddress>,
    errors: &mut Vec<ModelError>,
) -> Option<(HostInterface, Vec<DocumentView<'a>>)> {
    let path = format!(".interfaces.{name}");
    let (link_view, link) = interface_link(documents, name, interface, errors)?;
    let mut used = vec![link_view];
    let mut problems = Vec::new();
    let nics = nics(name, interface, &link, hardware, macs, &mut problems);
    if link.trunking == TrunkingMode::Disabled && interface.networks.len() > 1 {
        problems.push(Problem::UntaggedNetworks {
            interface: name.to_string(),
            link: link.name.clone(),
            count: interface.networks.len(),
        });
    }
    let mut networks = Vec::new();
    for network_name in &interface.networks {
        let (network_view, network) = match find(&documents.networks, network_name) {
            Found::Yes(network_view, network) => (*network_view, network.clone()),
            Found::Broken => return None,
            Found::No => {
                problems.push(Problem::MissingNetwork {
                    name: network_name.clone(),
                    known: names(&documents.networks),
                });
                continue;
            }
        };
        used.push(network_view);
        for target in documents
            .route_targets
            .get(network_name)
            .into_iter()
            .flatten()
        {
            if let Found::Yes(target_view, _) = find(&documents.networks, target) {
                used.push(*target_view);
            }
        }
        if let (Some(network_mtu), Some(link_mtu)) = (network.mtu, link.mtu)
            && network_mtu > link_mtu
        {
            errors.push(located(
                &network_view,
                ".mtu",
                Problem::MtuAboveLink {
                    network: network_name.clone(),
                    network_mtu,
                    link: link.name.clone(),
                    link_mtu,
                },
            ));
        }
        match vlan_on(name, &link, network_name, network.vlan) {
            Ok(vlan) => networks.push(AttachedNetwork {
                network,
                vlan,
                address: None,
            }),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        let view = &interface.view;
        errors.extend(
            problems
                .into_iter()
                .map(|problem| located(view, &path, problem)),
        );
        return None;
    }
    let interface = HostInterface {
        name: name.to_string(),
        link,
        nics,
        networks,
    };
    Some((interface, used))
}

/// The interface's link, its name checked first.
fn interface_link<'a>(
    documents: &Documents<'a>,
    name: &str,
    interface: &MergedInterface<'a>,
    errors: &mut Vec<ModelError>,
) -> Option<(DocumentView<'a>, NetworkLink)> {
    let path = format!(".interfaces.{name}");
    let problem = if !is_interface_name(name) {
        Problem::InvalidInterfaceName {
            name: name.to_string(),
        }
    } else if let Some(device_link) = &interface.device_link {
        match find(&documents.links, &device_link.value) {
            Found::Yes(link_view, link) => return Some((*link_view, link.clone())),
            Found::Broken => return None,
            Found::No => {
                errors.push(located(
                    &device_link.view,
                    &format!("{path}.device_link"),
                    Problem::MissingNetworkLink {
                        name: device_link.value.clone(),
                        known: names(&documents.links),
                    },
                ));
                return None;
            }
        }
    } else {
        Problem::NoDeviceLink {
            interface: name.to_string(),
        }
    };
    errors.push(located(&interface.view, &path, problem));
    None
}

/// The interface's NICs: device aliases resolved, MACs attached. An unbonded link takes
/// one NIC; bond members become netplan devices of their own names, so those must be
/// interface names.
fn nics(
    name: &str,
    interface: &MergedInterface<'_>,
    link: &NetworkLink,
    hardware: &HardwareProfile,
    macs: &BTreeMap<String, MacAddress>,
    problems: &mut Vec<Problem>,
) -> Vec<Nic> {
    let bonded = link.bonding.mode != BondingMode::Disabled;
    if interface.slaves.is_empty() {
        problems.push(Problem::NoSlaves {
            interface: name.to_string(),
        });
    } else if !bonded && interface.slaves.len() > 1 {
        problems.push(Problem::SlavesWithoutBond {
            interface: name.to_string(),
            link: link.name.clone(),
            count: interface.slaves.len(),
        });
    }
    let nics: Vec<Nic> = interface
        .slaves
        .iter()
        .map(|slave| Nic {
            name: slave.clone(),
            alias: hardware.device_aliases.get(slave).cloned(),
            mac: macs.get(slave).copied(),
        })
        .collect();
    if bonded {
        for nic in nics.iter().filter(|nic| !is_interface_name(&nic.name)) {
            problems.push(Problem::InvalidInterfaceName {
                name: nic.name.clone(),
            });
        }
    }
    nics
}

/// The VLAN a network is tagged with on an interface: none on an untrunked link or for
/// the trunk's default network; the network's own VLAN otherwise.
fn vlan_on(
    interface: &str,
    link: &NetworkLink,
    network: &str,
    vlan: Option<u16>,
) -> Result<Option<u16>, Problem> {
    if !link.allowed_networks.is_empty() && !link.allowed_networks.iter().any(|n| n == network) {
        return Err(Problem::NetworkNotAllowed {
            network: network.to_string(),
            link: link.name.clone(),
        });
    }
    let untagged =
        link.trunking == TrunkingMode::Disabled || link.default_network.as_deref() == Some(network);
    if untagged {
        return Ok(None);
    }
    let Some(vlan) = vlan else {
        return Err(Problem::NoVlan {
            network: network.to_string(),
            link: link.name.clone(),
            untagged: link.default_network.clone().unwrap_or_else(|| "-".into()),
        });
    };
    let device = format!("{interface}.{vlan}");
    if !is_interface_name(&device) {
        return Err(Problem::InvalidInterfaceName { name: device });
    }
    Ok(Some(vlan))
}

/// Puts each `addressing` entry on the interface network it belongs to.
fn assign_addresses(
    documents: &Documents<'_>,
    node: &DocumentView<'_>,
    addressing: &[AddressingData],
    oob_network: Option<&str>,
    interfaces: &mut [HostInterface],
    errors: &mut Vec<ModelError>,
) {
    for (index, entry) in addressing.iter().enumerate() {
        let path = format!(".addressing[{index}]");
        let address = match node_address(documents, entry) {
            Ok(Some(address)) => address,
            Ok(None) => continue,
            Err((field, problem)) => {
                errors.push(located(node, &format!("{path}.{field}"), problem));
                continue;
            }
        };
        let attached = interfaces
            .iter_mut()
            .flat_map(|interface| interface.networks.iter_mut())
            .find(|attached| attached.network.name == entry.network);
        match attached {
            Some(attached) if attached.address.is_some() => errors.push(located(
                node,
                &path,
                Problem::DuplicateAddress {
                    network: entry.network.clone(),
                },
            )),
            Some(attached) => attached.address = Some(address),
            // The BMC's address: used for the endpoint, not by the host.
            None if oob_network == Some(entry.network.as_str()) => {}
            None => errors.push(located(
                node,
                &format!("{path}.network"),
                Problem::AddressOnUnattachedNetwork {
                    network: entry.network.clone(),
                    carried: interfaces
                        .iter()
                        .flat_map(|interface| interface.networks.iter())
                        .map(|attached| attached.network.name.clone())
                        .collect(),
                },
            )),
        }
    }
}

/// One addressing entry's address, checked against its network; `None` when the network
/// is broken (reported already), else the field at fault and the problem.
fn node_address(
    documents: &Documents<'_>,
    entry: &AddressingData,
) -> Result<Option<NodeAddress>, (&'static str, Problem)> {
    let network = match find(&documents.networks, &entry.network) {
        Found::Yes(_, network) => network,
        Found::Broken => return Ok(None),
        Found::No => {
            return Err((
                "network",
                Problem::MissingNetwork {
                    name: entry.network.clone(),
                    known: names(&documents.networks),
                },
            ));
        }
    };
    let text = entry.address.trim();
    if text == "dhcp" {
        return Ok(Some(NodeAddress::Dhcp));
    }
    let Ok(ip) = text.parse::<IpAddr>() else {
        return Err((
            "address",
            Problem::InvalidAddress {
                value: entry.address.clone(),
                dhcp_allowed: true,
            },
        ));
    };
    match network.cidr {
        None => Err((
            "address",
            Problem::StaticAddressWithoutCidr {
                network: entry.network.clone(),
            },
        )),
        Some(cidr) if !cidr.contains(ip) => Err((
            "address",
            Problem::AddressOutsideNetwork {
                address: ip.to_string(),
                network: entry.network.clone(),
                cidr: cidr.to_string(),
            },
        )),
        Some(_) => Ok(Some(NodeAddress::Static(ip))),
    }
}
