//! What the `aero node` verbs print: one typed structure per verb, serialised as is for
//! `-o json|yaml` and drawn as a table for people.

use std::collections::BTreeMap;

use aero_baremetal::Node;
use serde::Serialize;

use crate::format::Table;

/// One row of `aero node list`.
#[derive(Debug, Serialize)]
pub struct NodeRow {
    /// Node name.
    pub name: String,
    /// `metadata.tags`: its roles.
    pub tags: Vec<String>,
    /// `oob.type`.
    pub oob_type: &'static str,
    /// The BMC's Redfish endpoint.
    pub bmc: Option<String>,
    /// How the BMC's certificate is trusted: `system`, `ca`, `fingerprint` or `insecure`.
    pub bmc_tls: Option<&'static str>,
    /// The MAC the server boots from.
    pub boot_mac: Option<String>,
    /// Known NIC MACs by slave name.
    pub macs: BTreeMap<String, String>,
    /// The host profile chain, the node's own first.
    pub host_profiles: Vec<String>,
    /// The hardware profile.
    pub hardware_profile: String,
    /// `uefi` or `bios`.
    pub boot_mode: &'static str,
    /// The OS image name.
    pub os_image: Option<String>,
    /// Installed by other means: Aerostat never reprovisions it.
    pub externally_provisioned: bool,
    /// The provisioning fingerprint.
    pub fingerprint: String,
}

impl NodeRow {
    /// The row of a node.
    pub fn of(node: &Node) -> NodeRow {
        NodeRow {
            name: node.name.clone(),
            tags: node.tags.clone(),
            oob_type: node.oob_type.as_str(),
            bmc: node.bmc.as_ref().map(|bmc| bmc.endpoint.clone()),
            bmc_tls: node.bmc.as_ref().map(|bmc| match bmc.tls {
                aero_baremetal::BmcTls::SystemRoots => "system",
                aero_baremetal::BmcTls::CaPem(_) => "ca",
                aero_baremetal::BmcTls::Fingerprint(_) => "fingerprint",
                aero_baremetal::BmcTls::Insecure => "insecure",
            }),
            boot_mac: node.boot_mac.map(|mac| mac.to_string()),
            macs: node
                .interfaces
                .iter()
                .flat_map(|interface| &interface.nics)
                .filter_map(|nic| Some((nic.name.clone(), nic.mac?.to_string())))
                .collect(),
            host_profiles: node.host_profiles.clone(),
            hardware_profile: node.hardware_profile.name.clone(),
            boot_mode: node.boot_mode.as_str(),
            os_image: node.platform.image.clone(),
            externally_provisioned: node.externally_provisioned,
            fingerprint: node.fingerprint.to_string(),
        }
    }
}

/// `aero node list` as a table.
pub fn nodes_table(rows: &Vec<NodeRow>) -> String {
    let mut table = Table::new(&[
        "NAME",
        "ROLES",
        "BMC",
        "BOOT MAC",
        "HOST PROFILE",
        "HARDWARE",
        "PROVISIONED BY",
    ]);
    for row in rows {
        table.row(vec![
            row.name.clone(),
            row.tags.join(","),
            row.bmc.clone().unwrap_or_else(|| row.oob_type.to_string()),
            row.boot_mac.clone().unwrap_or_else(|| "-".into()),
            row.host_profiles
                .first()
                .cloned()
                .unwrap_or_else(|| "-".into()),
            row.hardware_profile.clone(),
            if row.externally_provisioned {
                "external".into()
            } else {
                "aerostat".into()
            },
        ]);
    }
    table.render()
}
