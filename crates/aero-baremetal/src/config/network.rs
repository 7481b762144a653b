//! A node's network, laid out as netplan version 2 devices for the `network-config`
//! template.
//!
//! How Drydock's documents map to netplan:
//!
//! - **NICs.** A NIC whose MAC is known (`aerostat/NodeProvisioning/v1` `mac_addresses`)
//!   is matched by that MAC and renamed (`set-name`): a bond member to its slave name (the
//!   device alias, e.g. `data_nic01`), the NIC of an unbonded interface to the
//!   interface's name (e.g. `pxe`). A NIC without a MAC is matched by its name, which then
//!   must be the kernel's name for it (`eno1`): a bond member is declared under that name,
//!   an unbonded interface's NIC is matched with `match: {name: …}` and keeps its name.
//!   Device aliases carry PCI addresses, which netplan cannot match, and predictable names
//!   cannot be derived from them reliably; hence the MAC.
//! - **Bonds.** An interface on a bonded link becomes a bond of its NICs: `802.3ad`,
//!   `active-backup` and `balanced-rr` (netplan's `balance-rr`); `hash` is the transmit
//!   hash policy, `peer_rate` the LACP rate (802.3ad only), `mon_rate` the MII monitor
//!   interval, `up_delay`/`down_delay` as given (milliseconds).
//! - **VLANs.** On a trunked (802.1q) link, the link's `default_network` is untagged on the
//!   interface and every other network is a VLAN device `<interface>.<vlan>`.
//! - **Addresses.** A static address gets the network's prefix length; `dhcp` turns on
//!   DHCPv4 (DHCPv6 on an IPv6 network).
//! - **Routes.** A network's routes go on the device holding the node's address on it. A
//!   default route (`0.0.0.0/0`, `::/0`) is kept only on the primary network when the node
//!   names one, as Drydock sets the default gateway from the primary network only.
//! - **DNS.** A network's servers and domain (as search domain) go on the same device.
//! - **MTU.** Devices of an interface (the NIC, or the bond and its members) take the
//!   link's MTU; a VLAN device takes its network's.

use serde::Serialize;

use crate::model::{AttachedNetwork, BondingMode, HostInterface, Node, NodeAddress};

/// The devices of `network-config`, each list sorted by id.
#[derive(Debug, Serialize)]
pub(crate) struct NetworkView {
    pub ethernets: Vec<EthernetView>,
    pub bonds: Vec<BondView>,
    pub vlans: Vec<VlanView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct EthernetView {
    pub id: String,
    pub match_mac: Option<String>,
    pub match_name: Option<String>,
    pub set_name: Option<String>,
    pub settings: Settings,
}

#[derive(Debug, Serialize)]
pub(crate) struct BondView {
    pub id: String,
    pub interfaces: Vec<String>,
    pub parameters: BondParameters,
    pub settings: Settings,
}

#[derive(Debug, Serialize)]
pub(crate) struct BondParameters {
    pub mode: &'static str,
    pub transmit_hash_policy: Option<String>,
    pub lacp_rate: Option<String>,
    pub mii_monitor_interval: Option<u32>,
    pub up_delay: Option<u32>,
    pub down_delay: Option<u32>,
}

#[derive(Debug, Serialize)]
pub(crate) struct VlanView {
    pub id: String,
    pub vlan: u16,
    pub link: String,
    pub settings: Settings,
}

/// What any device may carry.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Settings {
    pub mtu: Option<u32>,
    pub dhcp4: bool,
    pub dhcp6: bool,
    pub addresses: Vec<String>,
    pub routes: Vec<RouteView>,
    pub nameservers: Option<NameserversView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RouteView {
    pub to: String,
    pub via: String,
    pub metric: Option<u32>,
}

#[derive(Debug, Serialize)]
pub(crate) struct NameserversView {
    pub addresses: Vec<String>,
    pub search: Vec<String>,
}

/// The node's devices.
pub(crate) fn network_view(node: &Node) -> NetworkView {
    let mut view = NetworkView {
        ethernets: Vec::new(),
        bonds: Vec::new(),
        vlans: Vec::new(),
    };
    for interface in &node.interfaces {
        add_interface(node, interface, &mut view);
    }
    view.ethernets.sort_by(|left, right| left.id.cmp(&right.id));
    view.bonds.sort_by(|left, right| left.id.cmp(&right.id));
    view.vlans.sort_by(|left, right| left.id.cmp(&right.id));
    view
}

fn add_interface(node: &Node, interface: &HostInterface, view: &mut NetworkView) {
    let link = &interface.link;
    let mut settings = interface
        .networks
        .iter()
        .find(|attached| attached.vlan.is_none())
        .map(|attached| network_settings(node, attached))
        .unwrap_or_default();
    settings.mtu = link.mtu;
    match bond_mode(link.bonding.mode) {
        Some(mode) => {
            for nic in &interface.nics {
                view.ethernets.push(EthernetView {
                    id: nic.name.clone(),
                    match_mac: nic.mac.map(|mac| mac.to_string()),
                    match_name: None,
                    set_name: nic.mac.map(|_| nic.name.clone()),
                    settings: Settings {
                        mtu: link.mtu,
                        ..Settings::default()
                    },
                });
            }
            let bonding = &link.bonding;
            let lacp = link.bonding.mode == BondingMode::Lacp;
            view.bonds.push(BondView {
                id: interface.name.clone(),
                interfaces: interface.nics.iter().map(|nic| nic.name.clone()).collect(),
                parameters: BondParameters {
                    mode,
                    transmit_hash_policy: bonding.hash.clone(),
                    lacp_rate: bonding.peer_rate.clone().filter(|_| lacp),
                    mii_monitor_interval: bonding.mon_rate,
                    up_delay: bonding.up_delay,
                    down_delay: bonding.down_delay,
                },
                settings,
            });
        }
        None => {
            // The model guarantees exactly one NIC on an unbonded interface.
            let Some(nic) = interface.nics.first() else {
                return;
            };
            let (match_mac, match_name, set_name) = match nic.mac {
                Some(mac) => (Some(mac.to_string()), None, Some(interface.name.clone())),
                None if nic.name == interface.name => (None, None, None),
                None => (None, Some(nic.name.clone()), None),
            };
            view.ethernets.push(EthernetView {
                id: interface.name.clone(),
                match_mac,
                match_name,
                set_name,
                settings,
            });
        }
    }
    for attached in &interface.networks {
        if let Some(vlan) = attached.vlan {
            let mut settings = network_settings(node, attached);
            settings.mtu = attached.network.mtu;
            view.vlans.push(VlanView {
                id: format!("{}.{vlan}", interface.name),
                vlan,
                link: interface.name.clone(),
                settings,
            });
        }
    }
}

/// netplan's name of a bonding mode; `None` for no bond.
fn bond_mode(mode: BondingMode) -> Option<&'static str> {
    match mode {
        BondingMode::Disabled => None,
        BondingMode::Lacp => Some("802.3ad"),
        BondingMode::ActiveBackup => Some("active-backup"),
        BondingMode::BalanceRr => Some("balance-rr"),
    }
}

/// Address, routes and DNS of the node on one network.
fn network_settings(node: &Node, attached: &AttachedNetwork) -> Settings {
    let network = &attached.network;
    let Some(address) = attached.address else {
        return Settings::default();
    };
    let ipv6 = network.cidr.is_some_and(|cidr| cidr.address.is_ipv6());
    let mut settings = Settings::default();
    match address {
        NodeAddress::Static(ip) => {
            if let Some(cidr) = network.cidr {
                settings.addresses.push(format!("{ip}/{}", cidr.prefix));
            }
        }
        NodeAddress::Dhcp if ipv6 => settings.dhcp6 = true,
        NodeAddress::Dhcp => settings.dhcp4 = true,
    }
    let default_allowed = node
        .primary_network
        .as_deref()
        .is_none_or(|primary| primary == network.name);
    for route in &network.routes {
        let to = if route.to.is_default() {
            if !default_allowed {
                continue;
            }
            "default".to_string()
        } else {
            route.to.to_string()
        };
        settings.routes.push(RouteView {
            to,
            via: route.via.to_string(),
            metric: route.metric,
        });
    }
    if let Some(dns) = &network.dns
        && (!dns.servers.is_empty() || dns.domain.is_some())
    {
        settings.nameservers = Some(NameserversView {
            addresses: dns.servers.iter().map(ToString::to_string).collect(),
            search: dns.domain.iter().cloned().collect(),
        });
    }
    settings
}
