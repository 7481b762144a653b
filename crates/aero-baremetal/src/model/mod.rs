//! The typed host model: every node of a site as provisioning needs it, resolved from
//! Drydock's kinds and Aerostat's companion kinds.
//!
//! One model whatever the source: a site written for Airship (Drydock documents only)
//! and one with Aerostat's companion documents give the same types; what the companions
//! add has defaults. [`HostModel::from_site`] does the resolving (see [`resolve`] for
//! Drydock's inheritance rules) and reports every inconsistency, located.
//!
//! What a provisioning step reads, per [`Node`]: [`Node::bmc`] (endpoint, credentials,
//! TLS trust, backend), [`Node::expected`] (serial number, UUID) and [`Node::boot_mac`],
//! [`Node::boot_mode`], [`Node::media`] (slot preference), [`Node::os_image`] (URL and
//! SHA-256), [`Node::externally_provisioned`], [`Node::fingerprint`], and the config
//! image's inputs (the node, [`HostModel::region`], [`HostModel::provisioning_server`]).

mod documents;
mod resolve;
#[cfg(test)]
mod tests;
mod values;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use aero_site::RenderedSite;
use serde::Deserialize;

use crate::error::{ModelErrors, UnknownNode};
use crate::fingerprint::Fingerprint;
use crate::secret::Secret;

pub(crate) use values::is_interface_name;
pub use values::{Cidr, MacAddress, Sha256Digest};

/// Every node of a site, with the site-wide documents their configs need.
#[derive(Debug, Clone)]
pub struct HostModel {
    pub(crate) nodes: Vec<Node>,
    pub(crate) region: Option<Region>,
    pub(crate) provisioning_server: Option<ProvisioningServer>,
}

impl HostModel {
    /// Reads the host documents of a rendered site into the model. Every problem is
    /// reported (located), not only the first; the model is returned only without any.
    pub fn from_site(site: &RenderedSite) -> Result<HostModel, ModelErrors> {
        resolve::resolve(site)
    }

    /// The nodes, sorted by name.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node of this name.
    pub fn node(&self, name: &str) -> Result<&Node, UnknownNode> {
        self.nodes
            .iter()
            .find(|node| node.name == name)
            .ok_or_else(|| UnknownNode {
                name: name.to_string(),
                known: self.nodes.iter().map(|node| node.name.clone()).collect(),
            })
    }

    /// The site's `drydock/Region/v1` (SSH keys, package repositories), if it has one.
    pub fn region(&self) -> Option<&Region> {
        self.region.as_ref()
    }

    /// The site's `aerostat/ProvisioningServer/v1`, if it has one.
    pub fn provisioning_server(&self) -> Option<&ProvisioningServer> {
        self.provisioning_server.as_ref()
    }
}

/// One server, resolved: its document, host profile chain, hardware profile and
/// companion documents merged.
#[derive(Debug, Clone)]
pub struct Node {
    /// `metadata.name` of the `drydock/BaremetalNode/v1`; also its host name.
    pub name: String,
    /// `metadata.tags` (roles such as `genesis`, `control`, `worker`).
    pub tags: Vec<String>,
    /// `metadata.owner_data` (labels).
    pub owner_data: BTreeMap<String, String>,
    /// `metadata.rack`.
    pub rack: Option<String>,
    /// The host profile chain, the node's own profile first.
    pub host_profiles: Vec<String>,
    /// The hardware profile.
    pub hardware_profile: HardwareProfile,
    /// The network that carries the default route and names the host (`primary_network`).
    pub primary_network: Option<String>,
    /// Firmware mode of the virtual-media boot: the node's companion, else the hardware
    /// profile's `boot_mode`, else UEFI.
    pub boot_mode: BootMode,
    /// `metadata.boot_mac`: the MAC the server boots from, checked against inventory.
    pub boot_mac: Option<MacAddress>,
    /// What the BMC must report, when known.
    pub expected: ExpectedIdentity,
    /// How the BMC is driven (`oob.type`).
    pub oob_type: OobType,
    /// How to reach the BMC: `Some` for Redfish, the only type Aerostat drives.
    pub bmc: Option<BmcAccess>,
    /// Virtual media slot preference.
    pub media: MediaPreference,
    /// `platform` (image name, kernel, kernel parameters).
    pub platform: Platform,
    /// The OS image `platform.image` names, when it names one.
    pub os_image: Option<OsImage>,
    /// The host's interfaces, sorted by name.
    pub interfaces: Vec<HostInterface>,
    /// Installed by other means: never powered off, never reprovisioned.
    pub externally_provisioned: bool,
    /// Hash of the provisioning-relevant documents: a node whose fingerprint is unchanged
    /// since its last provisioning need not be provisioned again.
    pub fingerprint: Fingerprint,
}

impl Node {
    /// The networks the node's interfaces carry, with their addresses.
    pub fn attached_networks(&self) -> impl Iterator<Item = (&HostInterface, &AttachedNetwork)> {
        self.interfaces.iter().flat_map(|interface| {
            interface
                .networks
                .iter()
                .map(move |network| (interface, network))
        })
    }

    /// The node's static address on a network, if it has one.
    pub fn static_address(&self, network: &str) -> Option<IpAddr> {
        self.attached_networks()
            .find(|(_, attached)| attached.network.name == network)
            .and_then(|(_, attached)| match attached.address {
                Some(NodeAddress::Static(address)) => Some(address),
                _ => None,
            })
    }

    /// Fully qualified name: the node name in the primary network's DNS domain.
    pub fn fqdn(&self) -> Option<String> {
        let primary = self.primary_network.as_deref()?;
        let (_, attached) = self
            .attached_networks()
            .find(|(_, attached)| attached.network.name == primary)?;
        let domain = attached.network.dns.as_ref()?.domain.as_deref()?;
        Some(format!("{}.{domain}", self.name))
    }
}

/// A `drydock/HardwareProfile/v1`.
#[derive(Debug, Clone)]
pub struct HardwareProfile {
    /// Its name.
    pub name: String,
    /// `vendor`.
    pub vendor: Option<String>,
    /// `boot_mode`.
    pub boot_mode: Option<BootMode>,
    /// `device_aliases`: names for the server's PCI/SCSI devices.
    pub device_aliases: BTreeMap<String, DeviceAlias>,
}

/// A device alias of a hardware profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAlias {
    /// Bus address, e.g. `0000:31:00.0`.
    pub address: Option<String>,
    /// Device model.
    pub dev_type: Option<String>,
    /// `pci`, `scsi`, `nvme`...
    pub bus_type: Option<String>,
}

/// Firmware boot mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BootMode {
    /// UEFI.
    Uefi,
    /// Legacy BIOS.
    Bios,
}

impl BootMode {
    /// `uefi` or `bios`, as documents write it.
    pub fn as_str(self) -> &'static str {
        match self {
            BootMode::Uefi => "uefi",
            BootMode::Bios => "bios",
        }
    }
}

/// `oob.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OobType {
    /// Redfish: the type Aerostat drives.
    Redfish,
    /// IPMI (not driven by Aerostat).
    Ipmi,
    /// libvirt (not driven by Aerostat).
    Libvirt,
    /// No BMC: powered and booted by hand.
    Manual,
}

impl OobType {
    /// As documents write it.
    pub fn as_str(self) -> &'static str {
        match self {
            OobType::Redfish => "redfish",
            OobType::Ipmi => "ipmi",
            OobType::Libvirt => "libvirt",
            OobType::Manual => "manual",
        }
    }
}

/// Serial number and UUID the BMC must report, from `aerostat/NodeProvisioning/v1`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpectedIdentity {
    /// ComputerSystem.SerialNumber.
    pub serial_number: Option<String>,
    /// ComputerSystem.UUID, lower-case.
    pub uuid: Option<String>,
}

/// Everything needed to reach one node's BMC.
#[derive(Debug, Clone)]
pub struct BmcAccess {
    /// The Redfish endpoint URL, e.g. `https://10.23.0.11` (`oob.address`, else
    /// `https://` and the node's address on the oob network).
    pub endpoint: String,
    /// User name and password, substituted from secrets.
    pub credentials: BmcCredentials,
    /// How the BMC's certificate is trusted.
    pub tls: BmcTls,
    /// Which TLS implementation talks to it.
    pub tls_backend: TlsBackend,
    /// The system to drive when the BMC has several (documents never set it: a BMC of
    /// a Drydock node has one; the lab may serve several from one endpoint).
    pub system_id: Option<String>,
}

/// BMC credentials. Both halves come from secret documents, so neither prints.
#[derive(Debug, Clone)]
pub struct BmcCredentials {
    /// `oob.account`.
    pub username: Secret,
    /// `oob.credential`.
    pub password: Secret,
}

/// How a BMC's TLS certificate is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BmcTls {
    /// The system's trust store.
    #[default]
    SystemRoots,
    /// Only these PEM certificates.
    CaPem(String),
    /// The certificate must have this SHA-256 fingerprint.
    Fingerprint(Sha256Digest),
    /// No verification (an explicit per-node or per-profile setting).
    Insecure,
}

/// Which TLS implementation talks to a BMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsBackend {
    /// rustls (default).
    #[default]
    Rustls,
    /// OpenSSL, for old BMC firmware.
    #[serde(rename = "openssl")]
    OpenSsl,
}

impl TlsBackend {
    /// `rustls` or `openssl`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsBackend::Rustls => "rustls",
            TlsBackend::OpenSsl => "openssl",
        }
    }
}

/// Which virtual media slots to use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaPreference {
    /// The slot for the OS image; `None`: the first slot that boots CDs.
    pub os_slot: Option<String>,
    /// Where the config image goes.
    pub config: ConfigMedia,
}

/// Where a node's config image goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConfigMedia {
    /// A second slot when the BMC has one, else over HTTP.
    #[default]
    Auto,
    /// This slot.
    Slot(String),
    /// Never a slot: the installer fetches it from the provisioning server.
    Http,
}

/// `platform` of the host profile chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    /// `image`: the name of an `aerostat/OsImage/v1`.
    pub image: Option<String>,
    /// `kernel`.
    pub kernel: Option<String>,
    /// `kernel_params`, sorted by name, as they go on the command line: `name=value`, or
    /// `name` alone for `true`.
    pub kernel_params: Vec<String>,
}

/// An `aerostat/OsImage/v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsImage {
    /// Its name (what `platform.image` says).
    pub name: String,
    /// Where to fetch it.
    pub url: String,
    /// Its SHA-256.
    pub sha256: Sha256Digest,
    /// What kind of image it is.
    pub kind: OsImageKind,
}

/// What an OS image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OsImageKind {
    /// A bootable ISO whose installer writes the OS to disk.
    #[default]
    InstallerIso,
    /// A bootable ISO that runs the OS from the medium.
    LiveIso,
}

/// One host interface (`interfaces.<name>`): a NIC or a bond, and the networks on it.
#[derive(Debug, Clone)]
pub struct HostInterface {
    /// Its name: the OS interface (or bond) name.
    pub name: String,
    /// The link (`device_link`).
    pub link: NetworkLink,
    /// Its NICs (`slaves`), in order.
    pub nics: Vec<Nic>,
    /// The networks on it, in order.
    pub networks: Vec<AttachedNetwork>,
}

/// A NIC of an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    /// The slave as written: a device alias, or a kernel interface name.
    pub name: String,
    /// The hardware profile's device alias of that name, if it is one.
    pub alias: Option<DeviceAlias>,
    /// Its MAC, from `aerostat/NodeProvisioning/v1` `mac_addresses`.
    pub mac: Option<MacAddress>,
}

/// A network on an interface, with the node's address on it.
#[derive(Debug, Clone)]
pub struct AttachedNetwork {
    /// The network.
    pub network: Network,
    /// The VLAN it is tagged with on this interface; `None`: untagged.
    pub vlan: Option<u16>,
    /// The node's address (`addressing`); `None`: link only.
    pub address: Option<NodeAddress>,
}

/// A node's address on a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeAddress {
    /// A static address (its prefix length is the network's).
    Static(IpAddr),
    /// DHCP.
    Dhcp,
}

/// A `drydock/Network/v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// Its name.
    pub name: String,
    /// `cidr`.
    pub cidr: Option<Cidr>,
    /// `vlan`.
    pub vlan: Option<u16>,
    /// `mtu`.
    pub mtu: Option<u32>,
    /// `routedomain`.
    pub routedomain: Option<String>,
    /// `routes`, a route to a routedomain expanded to one route per network of that
    /// domain.
    pub routes: Vec<Route>,
    /// `dns`.
    pub dns: Option<Dns>,
}

/// A static route of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Destination.
    pub to: Cidr,
    /// Gateway.
    pub via: IpAddr,
    /// Metric.
    pub metric: Option<u32>,
}

/// DNS settings of a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dns {
    /// Search domain.
    pub domain: Option<String>,
    /// Servers.
    pub servers: Vec<IpAddr>,
}

/// A `drydock/NetworkLink/v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkLink {
    /// Its name.
    pub name: String,
    /// Bonding.
    pub bonding: Bonding,
    /// `mtu`.
    pub mtu: Option<u32>,
    /// `trunking.mode`.
    pub trunking: TrunkingMode,
    /// `trunking.default_network`: the untagged network of a trunk.
    pub default_network: Option<String>,
    /// `allowed_networks` (empty: any).
    pub allowed_networks: Vec<String>,
}

/// Bonding settings of a link.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bonding {
    /// Mode.
    pub mode: BondingMode,
    /// `hash`: transmit hash policy, e.g. `layer3+4`.
    pub hash: Option<String>,
    /// `peer_rate`: LACP rate, `fast` or `slow`.
    pub peer_rate: Option<String>,
    /// `mon_rate`: MII monitor interval in milliseconds.
    pub mon_rate: Option<u32>,
    /// `up_delay` in milliseconds.
    pub up_delay: Option<u32>,
    /// `down_delay` in milliseconds.
    pub down_delay: Option<u32>,
}

/// `bonding.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum BondingMode {
    /// No bond: one NIC.
    #[default]
    #[serde(rename = "disabled")]
    Disabled,
    /// LACP.
    #[serde(rename = "802.3ad")]
    Lacp,
    /// Active-backup.
    #[serde(rename = "active-backup")]
    ActiveBackup,
    /// Round robin (Drydock spells it `balanced-rr`; `balance-rr` is accepted too).
    #[serde(rename = "balanced-rr", alias = "balance-rr")]
    BalanceRr,
}

/// `trunking.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum TrunkingMode {
    /// One untagged network.
    #[default]
    #[serde(rename = "disabled")]
    Disabled,
    /// 802.1Q: the default network untagged, the others on VLANs.
    #[serde(rename = "802.1q")]
    Dot1q,
}

/// The site's `drydock/Region/v1`.
#[derive(Debug, Clone)]
pub struct Region {
    /// Its name.
    pub name: String,
    /// `authorized_keys`: SSH keys of every deployed node.
    pub authorized_keys: Vec<String>,
    /// `repositories.remove_unlisted`.
    pub remove_unlisted: bool,
    /// The named repositories, sorted by name.
    pub repositories: Vec<Repository>,
}

/// A package repository of the region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Its name.
    pub name: String,
    /// `repo_type`.
    pub kind: RepositoryKind,
    /// `url`.
    pub url: String,
    /// `distributions`.
    pub distributions: Vec<String>,
    /// `components`.
    pub components: Vec<String>,
    /// `arches`.
    pub arches: Vec<String>,
    /// `gpgkey` (ASCII-armoured).
    pub gpgkey: Option<String>,
}

/// `repo_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepositoryKind {
    /// Debian/Ubuntu.
    Apt,
    /// RPM.
    Rpm,
}

/// The site's `aerostat/ProvisioningServer/v1`.
#[derive(Debug, Clone)]
pub struct ProvisioningServer {
    /// Its document name.
    pub name: String,
    /// Where it listens.
    pub bind_address: SocketAddr,
    /// Base URL BMCs and nodes reach it at, without a trailing `/`.
    pub public_url: String,
    /// Its TLS, when it serves HTTPS.
    pub tls: Option<ServerTls>,
    /// Key of the per-node tokens.
    pub token_key: Secret,
}

/// TLS of the provisioning server.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// PEM certificate chain.
    pub certificate: String,
    /// PEM private key.
    pub key: Secret,
    /// PEM CA the nodes must trust.
    pub ca: Option<String>,
}
