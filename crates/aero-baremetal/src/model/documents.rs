//! The data of the host documents as written (after rendering), decoded with serde:
//! Drydock's kinds and Aerostat's companion kinds. These mirror the documents field by
//! field and are private; [`super::resolve`] turns them into the public model.
//!
//! Unknown fields are ignored here: the kinds' JSON Schemas (closed for Drydock's kinds)
//! reject them at validation, and the model reads only what provisioning uses.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ModelError, Problem};
use crate::model::{BondingMode, BootMode, OobType, OsImageKind, TlsBackend, TrunkingMode};

use aero_site::DocumentView;

/// Decodes a document's rendered data, or says where it does not fit.
// A located error is large, but it is made once per bad document and collected, never
// passed up a hot path.
#[allow(clippy::result_large_err)]
pub(crate) fn decode<T: DeserializeOwned>(view: &DocumentView<'_>) -> Result<T, ModelError> {
    let data = match view.data() {
        serde_json::Value::Null => serde_json::Value::Object(serde_json::Map::new()),
        data => data,
    };
    serde_path_to_error::deserialize(data).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." || path.is_empty() {
            ".".to_string()
        } else {
            format!(".{path}")
        };
        located(
            view,
            &path,
            Problem::Malformed {
                message: error.into_inner().to_string(),
            },
        )
    })
}

/// A problem at `path` of a document.
pub(crate) fn located(view: &DocumentView<'_>, path: &str, problem: Problem) -> ModelError {
    ModelError {
        document: format!("{}/{}", view.schema(), view.name()),
        place: view.value_place(path),
        path: path.to_string(),
        problem,
    }
}

/// `drydock/BaremetalNode/v1` and `drydock/HostProfile/v1` data (a node is a host profile
/// with addressing).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct HostData {
    pub host_profile: Option<String>,
    pub hardware_profile: Option<String>,
    pub primary_network: Option<String>,
    #[serde(default)]
    pub oob: OobData,
    /// `null` removes an inherited interface.
    #[serde(default)]
    pub interfaces: BTreeMap<String, Option<InterfaceData>>,
    #[serde(default)]
    pub platform: PlatformData,
    #[serde(default)]
    pub metadata: MetadataData,
    #[serde(default)]
    pub addressing: Vec<AddressingData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct OobData {
    #[serde(rename = "type")]
    pub kind: Option<OobType>,
    pub network: Option<String>,
    pub account: Option<String>,
    pub credential: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct InterfaceData {
    pub device_link: Option<String>,
    #[serde(default)]
    pub slaves: Vec<String>,
    #[serde(default)]
    pub networks: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct PlatformData {
    pub image: Option<String>,
    pub kernel: Option<String>,
    #[serde(default)]
    pub kernel_params: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct MetadataData {
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub owner_data: BTreeMap<String, String>,
    pub rack: Option<String>,
    pub boot_mac: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AddressingData {
    pub network: String,
    pub address: String,
}

/// `drydock/HardwareProfile/v1` data.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct HardwareData {
    pub vendor: Option<String>,
    pub boot_mode: Option<BootMode>,
    #[serde(default)]
    pub device_aliases: BTreeMap<String, DeviceAliasData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct DeviceAliasData {
    pub address: Option<String>,
    pub dev_type: Option<String>,
    pub bus_type: Option<String>,
}

/// `drydock/Network/v1` data.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct NetworkData {
    pub cidr: Option<String>,
    /// A string in Drydock's schema; a number is accepted too.
    pub vlan: Option<serde_json::Value>,
    pub mtu: Option<u32>,
    pub routedomain: Option<String>,
    #[serde(default)]
    pub routes: Vec<RouteData>,
    pub dns: Option<DnsData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RouteData {
    pub subnet: Option<String>,
    pub routedomain: Option<String>,
    pub gateway: Option<String>,
    pub metric: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct DnsData {
    pub domain: Option<String>,
    /// Comma-separated, as Drydock writes them.
    pub servers: Option<String>,
}

/// `drydock/NetworkLink/v1` data.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct LinkData {
    #[serde(default)]
    pub bonding: BondingData,
    pub mtu: Option<u32>,
    #[serde(default)]
    pub trunking: TrunkingData,
    #[serde(default)]
    pub allowed_networks: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct BondingData {
    pub mode: Option<BondingMode>,
    pub hash: Option<String>,
    pub peer_rate: Option<String>,
    pub mon_rate: Option<u32>,
    pub up_delay: Option<u32>,
    pub down_delay: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct TrunkingData {
    pub mode: Option<TrunkingMode>,
    pub default_network: Option<String>,
}

/// `drydock/Region/v1` data. `repositories` mixes `remove_unlisted` with named
/// repositories, so it is read as a map.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RegionData {
    #[serde(default)]
    pub authorized_keys: Vec<String>,
    #[serde(default)]
    pub repositories: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RepositoryData {
    pub repo_type: crate::model::RepositoryKind,
    pub url: String,
    #[serde(default)]
    pub distributions: Vec<String>,
    #[serde(default)]
    pub components: Vec<String>,
    #[serde(default)]
    pub arches: Vec<String>,
    pub gpgkey: Option<String>,
}

/// `aerostat/NodeProvisioning/v1` data.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct NodeProvisioningData {
    pub serial_number: Option<String>,
    pub uuid: Option<String>,
    #[serde(default)]
    pub mac_addresses: BTreeMap<String, String>,
    pub boot_mode: Option<BootMode>,
    pub bmc: Option<BmcData>,
    pub virtual_media: Option<VirtualMediaData>,
    pub externally_provisioned: Option<bool>,
}

/// `aerostat/HardwareProvisioning/v1` data.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct HardwareProvisioningData {
    pub bmc: Option<BmcData>,
    pub virtual_media: Option<VirtualMediaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct BmcData {
    pub tls: Option<TlsData>,
    pub tls_backend: Option<TlsBackend>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct TlsData {
    pub ca_pem: Option<String>,
    pub fingerprint: Option<String>,
    pub insecure: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct VirtualMediaData {
    pub os_slot: Option<String>,
    pub config_slot: Option<String>,
    pub config_over_http: Option<bool>,
}

/// `aerostat/OsImage/v1` data.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OsImageData {
    pub url: String,
    pub sha256: String,
    pub kind: Option<OsImageKind>,
}

/// `aerostat/ProvisioningServer/v1` data.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ProvisioningServerData {
    pub bind_address: String,
    pub public_url: String,
    pub tls: Option<ServerTlsData>,
    pub token_key: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ServerTlsData {
    pub certificate: String,
    pub key: String,
    pub ca: Option<String>,
}
