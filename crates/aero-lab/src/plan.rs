//! What a lab stands in for, read from a site's host model: one emulated BMC per node
//! Aerostat provisions, with the identity the preflight checks (system UUID, NIC MACs),
//! the OS images to replace with the stand-in, and whether the site has a provisioning
//! server to move to a local port. Pure: no I/O.

use std::collections::BTreeMap;
use std::time::Duration;

use aero_baremetal::{HostModel, Node};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::LabError;
use crate::files::is_folder_name;

/// How to run a lab.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Seed of every emulator's random generator, which draws the simulated power
    /// delays (1 to 11 s): the same seed gives the same sequence of delays, so runs
    /// can be compared. Recorded in the lab's status.
    pub seed: u64,
    /// How long a node simulator takes to "boot" before it phones home.
    pub boot_delay: Duration,
    /// Faults to play, by node (`aero lab up --fault NODE=FAULT`).
    pub faults: BTreeMap<String, Vec<Fault>>,
}

/// A fault the lab plays for one node, to rehearse what a deployment does when a
/// machine is not what the documents say or never comes up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// The node boots its CD but never phones home (an installer that hangs, a network
    /// that does not come up).
    NoPhoneHome,
    /// The emulated BMC reports this serial number instead of the documented one (the
    /// documents point at another machine).
    Serial(String),
}

impl Fault {
    /// Whether a node playing `faults` phones home after booting.
    pub fn lets_phone_home(faults: &[Fault]) -> bool {
        !faults.contains(&Fault::NoPhoneHome)
    }

    /// Reads `no-phone-home` or `serial=VALUE`.
    pub fn parse(text: &str) -> Result<Fault, String> {
        match text.split_once('=') {
            None if text == "no-phone-home" => Ok(Fault::NoPhoneHome),
            Some(("serial", value)) if is_serial_number(value) => {
                Ok(Fault::Serial(value.to_string()))
            }
            Some(("serial", value)) => Err(format!(
                "the serial number {value:?} is not 1 to 64 letters, digits, '-', '_' or '.'"
            )),
            _ => Err(format!(
                "unknown fault {text:?}: the lab plays `no-phone-home` and `serial=VALUE`"
            )),
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::NoPhoneHome => f.write_str("no-phone-home"),
            Fault::Serial(value) => write!(f, "serial={value}"),
        }
    }
}

fn is_serial_number(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// What `aero lab up` starts for a site: built from its host model, written for the
/// lab's background process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabPlan {
    /// The site.
    pub site: String,
    /// The emulators' seed.
    pub seed: u64,
    /// The simulated boot time, in milliseconds.
    pub boot_delay_ms: u64,
    /// One per emulated BMC, sorted by node name.
    pub nodes: Vec<PlannedNode>,
    /// The OS images the emulated nodes' host profiles name, replaced by the stand-in.
    pub os_images: Vec<PlannedImage>,
    /// The site's provisioning server, moved to a local port; `None` when the site has
    /// none.
    pub provisioning_server: Option<PlannedServer>,
}

/// One node the lab emulates a BMC for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedNode {
    /// The node's name (also the emulated system's name).
    pub name: String,
    /// The BMC endpoint the documents give: the key of its lab mapping.
    pub documented_bmc: String,
    /// The UUID the emulated system reports.
    pub system_uuid: String,
    /// Where the UUID comes from.
    pub uuid_source: UuidSource,
    /// The NIC MACs the emulated system reports, the boot MAC first.
    pub macs: Vec<String>,
    /// The serial number the emulated system reports: the documented one
    /// (`aerostat/NodeProvisioning/v1` `serial_number`), or a fault's; `None`: none
    /// (sushy's fake driver reports none of its own).
    #[serde(default)]
    pub serial_number: Option<String>,
    /// The faults the lab plays for this node.
    #[serde(default)]
    pub faults: Vec<Fault>,
}

impl PlannedNode {
    /// Whether its simulator phones home after booting.
    pub fn phones_home(&self) -> bool {
        Fault::lets_phone_home(&self.faults)
    }
}

/// Where an emulated system's UUID comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UuidSource {
    /// The node's expected UUID (`aerostat/NodeProvisioning/v1` `uuid`).
    Documented,
    /// Derived from the node name ([`derived_system_uuid`]): the documents give none.
    Derived,
}

/// An OS image the lab replaces with its stand-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedImage {
    /// The `aerostat/OsImage/v1` name.
    pub name: String,
    /// Its URL in the documents (named in the stand-in's README).
    pub documented_url: String,
}

/// The site's provisioning server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedServer {
    /// Whether it serves HTTPS (its public URL keeps the scheme).
    pub tls: bool,
}

impl LabPlan {
    /// The lab of `site` from its host model: an emulated BMC for every node with a
    /// Redfish BMC that is not externally provisioned.
    pub fn from_model(
        site: &str,
        model: &HostModel,
        options: &LabOptions,
    ) -> Result<LabPlan, LabError> {
        let mut nodes = Vec::new();
        let mut by_endpoint: BTreeMap<&str, &str> = BTreeMap::new();
        let mut os_images = BTreeMap::new();
        for node in model.nodes() {
            let Some(bmc) = &node.bmc else { continue };
            if node.externally_provisioned {
                continue;
            }
            if let Some(first) = by_endpoint.insert(&bmc.endpoint, &node.name) {
                return Err(LabError::SharedBmc {
                    endpoint: bmc.endpoint.clone(),
                    first: first.to_string(),
                    second: node.name.clone(),
                });
            }
            if !is_folder_name(&node.name) {
                return Err(LabError::BadName {
                    what: "node",
                    name: node.name.clone(),
                });
            }
            let (system_uuid, uuid_source) = match &node.expected.uuid {
                Some(uuid) => (uuid.to_ascii_lowercase(), UuidSource::Documented),
                None => (derived_system_uuid(&node.name), UuidSource::Derived),
            };
            let faults = options.faults.get(&node.name).cloned().unwrap_or_default();
            let serial_number = faults
                .iter()
                .rev()
                .find_map(|fault| match fault {
                    Fault::Serial(value) => Some(value.clone()),
                    Fault::NoPhoneHome => None,
                })
                .or_else(|| node.expected.serial_number.clone());
            nodes.push(PlannedNode {
                name: node.name.clone(),
                documented_bmc: bmc.endpoint.clone(),
                system_uuid,
                uuid_source,
                macs: macs(node),
                serial_number,
                faults,
            });
            if let Some(image) = &node.os_image {
                os_images.insert(
                    image.name.clone(),
                    PlannedImage {
                        name: image.name.clone(),
                        documented_url: image.url.clone(),
                    },
                );
            }
        }
        if nodes.is_empty() {
            return Err(LabError::NothingToEmulate {
                site: site.to_string(),
            });
        }
        if let Some(unknown) = options
            .faults
            .keys()
            .find(|name| !nodes.iter().any(|node| &node.name == *name))
        {
            return Err(LabError::FaultOfUnknownNode {
                node: unknown.clone(),
                emulated: nodes.iter().map(|node| node.name.clone()).collect(),
            });
        }
        Ok(LabPlan {
            site: site.to_string(),
            seed: options.seed,
            boot_delay_ms: u64::try_from(options.boot_delay.as_millis()).unwrap_or(u64::MAX),
            nodes,
            os_images: os_images.into_values().collect(),
            provisioning_server: model.provisioning_server().map(|server| PlannedServer {
                tls: server.tls.is_some(),
            }),
        })
    }
}

/// The MACs a node's BMC should report: the boot MAC, then every NIC MAC the model
/// knows, in interface order, each once.
fn macs(node: &Node) -> Vec<String> {
    let mut macs: Vec<String> = Vec::new();
    let known = node.boot_mac.into_iter().chain(
        node.interfaces
            .iter()
            .flat_map(|interface| &interface.nics)
            .filter_map(|nic| nic.mac),
    );
    for mac in known {
        let mac = mac.to_string();
        if !macs.contains(&mac) {
            macs.push(mac);
        }
    }
    macs
}

/// The UUID of a node's emulated system when the documents give none: a name-based
/// UUID (RFC 9562 version 8) of SHA-256 over `aerostat-lab-system`, a NUL and the node
/// name. The same name gives the same UUID on every machine and in every run.
pub fn derived_system_uuid(node: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"aerostat-lab-system\0")
        .chain_update(node.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10
    let hex: String = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_uuids_are_stable_version_8_and_distinct() {
        let uuid = derived_system_uuid("lon1-wk01");
        assert_eq!(uuid, derived_system_uuid("lon1-wk01"));
        assert_ne!(uuid, derived_system_uuid("lon1-wk02"));
        let groups: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            groups.iter().map(|group| group.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('8'), "{uuid}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"), "{uuid}");
        // A known value (computed independently with Python's hashlib): a change of the
        // derivation changes every lab's systems.
        assert_eq!(uuid, "a62f2078-2b69-8018-b145-df1572793dc2");
    }
}
