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

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

use aero_site::{DocumentView, RenderedSite};

use super::documents::{
    AddressingData, BmcData, HardwareData, HardwareProvisioningData, HostData, InterfaceData,
    LinkData, NetworkData, NodeProvisioningData, OsImageData, ProvisioningServerData, RegionData,
    RepositoryData, VirtualMediaData, decode, located,
};
use super::values::is_uuid;
use super::{
    AttachedNetwork, BmcAccess, BmcCredentials, BmcTls, Bonding, BondingMode, BootMode, Cidr,
    ConfigMedia, DeviceAlias, Dns, ExpectedIdentity, HardwareProfile, HostInterface, HostModel,
    MacAddress, MediaPreference, Network, NetworkLink, Nic, Node, NodeAddress, OobType, OsImage,
    Platform, ProvisioningServer, Region, Repository, Route, ServerTls, Sha256Digest, TrunkingMode,
    is_interface_name,
};
use crate::error::{ModelError, ModelErrors, Problem};
use crate::fingerprint;
use crate::secret::Secret;

const BAREMETAL_NODE: &str = "drydock/BaremetalNode";
const HOST_PROFILE: &str = "drydock/HostProfile";
const HARDWARE_PROFILE: &str = "drydock/HardwareProfile";
const NETWORK: &str = "drydock/Network";
const NETWORK_LINK: &str = "drydock/NetworkLink";
const REGION: &str = "drydock/Region";
const NODE_PROVISIONING: &str = "aerostat/NodeProvisioning";
const HARDWARE_PROVISIONING: &str = "aerostat/HardwareProvisioning";
const OS_IMAGE: &str = "aerostat/OsImage";
const PROVISIONING_SERVER: &str = "aerostat/ProvisioningServer";

/// The shortest token key accepted: 32 characters of a generated passphrase carry well
/// over 128 bits.
const MIN_TOKEN_KEY: usize = 32;

/// Documents of one kind by name, decoded; `None` for one that failed to decode (its
/// error is reported already, so references to it stay quiet).
type Decoded<'a, T> = BTreeMap<String, Option<(DocumentView<'a>, T)>>;

/// What a lookup of a named document found.
enum Found<'b, 'a, T> {
    Yes(&'b DocumentView<'a>, &'b T),
    /// It exists but did not decode (already reported).
    Broken,
    /// No such document.
    No,
}

fn find<'b, 'a, T>(decoded: &'b Decoded<'a, T>, name: &str) -> Found<'b, 'a, T> {
    match decoded.get(name) {
        Some(Some((view, value))) => Found::Yes(view, value),
        Some(None) => Found::Broken,
        None => Found::No,
    }
}

fn names<T>(decoded: &Decoded<'_, T>) -> Vec<String> {
    decoded.keys().cloned().collect()
}

/// The site's documents, decoded once.
struct Documents<'a> {
    host_profiles: Decoded<'a, HostData>,
    hardware_profiles: Decoded<'a, HardwareData>,
    networks: Decoded<'a, Network>,
    /// For each network, the networks its routedomain routes lead to (fingerprint input).
    route_targets: BTreeMap<String, Vec<String>>,
    links: Decoded<'a, NetworkLink>,
    node_provisioning: Decoded<'a, NodeProvisioningData>,
    hardware_provisioning: Decoded<'a, HardwareProvisioningData>,
    os_images: Decoded<'a, OsImage>,
}

pub(crate) fn resolve(site: &RenderedSite) -> Result<HostModel, ModelErrors> {
    let mut errors = Vec::new();
    let documents = Documents {
        host_profiles: decode_all(site, HOST_PROFILE, &mut errors, |_, data| Ok(data)),
        hardware_profiles: decode_all(site, HARDWARE_PROFILE, &mut errors, |_, data| Ok(data)),
        networks: BTreeMap::new(),
        route_targets: BTreeMap::new(),
        links: decode_all(site, NETWORK_LINK, &mut errors, link),
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
        os_images: decode_all(site, OS_IMAGE, &mut errors, os_image),
    };
    let (networks, route_targets) = networks(site, &mut errors);
    let documents = Documents {
        networks,
        route_targets,
        ..documents
    };
    let node_views: Vec<DocumentView<'_>> = site.documents_of_kind(BAREMETAL_NODE).collect();
    check_companions(&documents, &node_views, &mut errors);
    let region = single(site, REGION, &mut errors, region);
    let provisioning_server = single(site, PROVISIONING_SERVER, &mut errors, provisioning_server);
    let mut nodes: Vec<Node> = node_views
        .iter()
        .filter_map(|view| resolve_node(&documents, view, &mut errors))
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
        bmc_tls(view, bmc, &mut errors);
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

/// Networks, their routedomain routes expanded (which needs every network's data).
fn networks<'a>(
    site: &'a RenderedSite,
    errors: &mut Vec<ModelError>,
) -> (Decoded<'a, Network>, BTreeMap<String, Vec<String>>) {
    let raw: Decoded<'a, NetworkData> = decode_all(site, NETWORK, errors, |_, data| Ok(data));
    let domains: Vec<(String, Option<String>, Option<Cidr>)> = raw
        .iter()
        .filter_map(|(name, entry)| {
            let (_, data) = entry.as_ref()?;
            Some((
                name.clone(),
                data.routedomain.clone(),
                data.cidr.as_deref().and_then(Cidr::parse),
            ))
        })
        .collect();
    let mut networks = BTreeMap::new();
    let mut route_targets = BTreeMap::new();
    for (name, entry) in raw {
        let Some((view, data)) = entry else {
            networks.insert(name, None);
            continue;
        };
        let mut found = Vec::new();
        let network = network(&view, &name, data, &domains, &mut found);
        if found.is_empty() {
            let (network, targets) = network;
            route_targets.insert(name.clone(), targets);
            networks.insert(name, Some((view, network)));
        } else {
            errors.extend(found);
            networks.insert(name, None);
        }
    }
    (networks, route_targets)
}

fn network(
    view: &DocumentView<'_>,
    name: &str,
    data: NetworkData,
    domains: &[(String, Option<String>, Option<Cidr>)],
    errors: &mut Vec<ModelError>,
) -> (Network, Vec<String>) {
    let cidr = data.cidr.as_deref().and_then(|text| {
        let cidr = Cidr::parse(text);
        if cidr.is_none() {
            errors.push(located(
                view,
                ".cidr",
                Problem::InvalidCidr {
                    value: text.to_string(),
                },
            ));
        }
        cidr
    });
    let vlan = data.vlan.as_ref().and_then(|value| {
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let vlan = text.trim().parse::<u16>().ok().filter(|vlan| *vlan <= 4094);
        if vlan.is_none() {
            errors.push(located(view, ".vlan", Problem::InvalidVlan { value: text }));
        }
        vlan
    });
    let mut routes = Vec::new();
    let mut targets = Vec::new();
    for (index, route) in data.routes.iter().enumerate() {
        let path = format!(".routes[{index}]");
        let Some(gateway) = route.gateway.as_deref() else {
            errors.push(located(
                view,
                &path,
                Problem::Malformed {
                    message: "a route needs a gateway".into(),
                },
            ));
            continue;
        };
        let Ok(via) = gateway.trim().parse::<IpAddr>() else {
            errors.push(located(
                view,
                &format!("{path}.gateway"),
                Problem::InvalidAddress {
                    value: gateway.to_string(),
                    dhcp_allowed: false,
                },
            ));
            continue;
        };
        match (&route.subnet, &route.routedomain) {
            (Some(subnet), _) => match Cidr::parse(subnet) {
                Some(to) => routes.push(Route {
                    to,
                    via,
                    metric: route.metric,
                }),
                None => errors.push(located(
                    view,
                    &format!("{path}.subnet"),
                    Problem::InvalidCidr {
                        value: subnet.clone(),
                    },
                )),
            },
            (None, Some(domain)) => {
                for (other, other_domain, other_cidr) in domains {
                    if other != name
                        && other_domain.as_deref() == Some(domain.as_str())
                        && let Some(to) = other_cidr
                    {
                        routes.push(Route {
                            to: *to,
                            via,
                            metric: route.metric,
                        });
                        targets.push(other.clone());
                    }
                }
            }
            (None, None) => errors.push(located(
                view,
                &path,
                Problem::Malformed {
                    message: "a route needs a subnet or a routedomain".into(),
                },
            )),
        }
    }
    let dns = data.dns.map(|dns| {
        let mut servers = Vec::new();
        for server in dns
            .servers
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|server| !server.is_empty())
        {
            match server.parse::<IpAddr>() {
                Ok(address) => servers.push(address),
                Err(_) => errors.push(located(
                    view,
                    ".dns.servers",
                    Problem::InvalidAddress {
                        value: server.to_string(),
                        dhcp_allowed: false,
                    },
                )),
            }
        }
        Dns {
            domain: dns.domain.filter(|domain| !domain.is_empty()),
            servers,
        }
    });
    (
        Network {
            name: name.to_string(),
            cidr,
            vlan,
            mtu: data.mtu,
            routedomain: data.routedomain,
            routes,
            dns,
        },
        targets,
    )
}

fn link(view: &DocumentView<'_>, data: LinkData) -> Result<NetworkLink, Vec<ModelError>> {
    Ok(NetworkLink {
        name: view.name().to_string(),
        bonding: Bonding {
            mode: data.bonding.mode.unwrap_or_default(),
            hash: data.bonding.hash,
            peer_rate: data.bonding.peer_rate,
            mon_rate: data.bonding.mon_rate,
            up_delay: data.bonding.up_delay,
            down_delay: data.bonding.down_delay,
        },
        mtu: data.mtu,
        trunking: data.trunking.mode.unwrap_or_default(),
        default_network: data.trunking.default_network,
        allowed_networks: data.allowed_networks,
    })
}

fn os_image(view: &DocumentView<'_>, data: OsImageData) -> Result<OsImage, Vec<ModelError>> {
    let mut errors = Vec::new();
    if !is_http_url(&data.url, true) {
        errors.push(located(
            view,
            ".url",
            Problem::InvalidUrl {
                value: data.url.clone(),
                expected: "an http:// or https:// URL",
            },
        ));
    }
    let sha256 = Sha256Digest::parse(&data.sha256);
    if sha256.is_none() {
        errors.push(located(
            view,
            ".sha256",
            Problem::InvalidSha256 {
                value: data.sha256.clone(),
            },
        ));
    }
    match sha256 {
        Some(sha256) if errors.is_empty() => Ok(OsImage {
            name: view.name().to_string(),
            url: data.url,
            sha256,
            kind: data.kind.unwrap_or_default(),
        }),
        _ => Err(errors),
    }
}

fn region(view: &DocumentView<'_>, data: RegionData) -> Result<Region, Vec<ModelError>> {
    let mut errors = Vec::new();
    let mut remove_unlisted = false;
    let mut repositories = Vec::new();
    for (name, value) in data.repositories {
        if name == "remove_unlisted" {
            match value {
                serde_json::Value::Bool(flag) => remove_unlisted = flag,
                _ => errors.push(located(
                    view,
                    ".repositories.remove_unlisted",
                    Problem::Malformed {
                        message: "remove_unlisted must be true or false".into(),
                    },
                )),
            }
            continue;
        }
        match serde_path_to_error::deserialize::<_, RepositoryData>(value) {
            Ok(repository) => repositories.push(Repository {
                name,
                kind: repository.repo_type,
                url: repository.url,
                distributions: repository.distributions,
                components: repository.components,
                arches: repository.arches,
                gpgkey: repository.gpgkey,
            }),
            Err(error) => {
                let inner = error.path().to_string();
                let path = if inner == "." || inner.is_empty() {
                    format!(".repositories.{name}")
                } else {
                    format!(".repositories.{name}.{inner}")
                };
                errors.push(located(
                    view,
                    &path,
                    Problem::Malformed {
                        message: error.into_inner().to_string(),
                    },
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Region {
        name: view.name().to_string(),
        authorized_keys: data
            .authorized_keys
            .into_iter()
            .map(|key| key.trim().to_string())
            .filter(|key| !key.is_empty())
            .collect(),
        remove_unlisted,
        repositories,
    })
}

fn provisioning_server(
    view: &DocumentView<'_>,
    data: ProvisioningServerData,
) -> Result<ProvisioningServer, Vec<ModelError>> {
    let mut errors = Vec::new();
    let bind_address = data.bind_address.trim().parse::<SocketAddr>().ok();
    if bind_address.is_none() {
        errors.push(located(
            view,
            ".bind_address",
            Problem::InvalidBindAddress {
                value: data.bind_address.clone(),
            },
        ));
    }
    let public_url = data.public_url.trim().trim_end_matches('/').to_string();
    if !is_http_url(&public_url, false) {
        errors.push(located(
            view,
            ".public_url",
            Problem::InvalidUrl {
                value: data.public_url.clone(),
                expected: "an http:// or https:// URL without query or fragment",
            },
        ));
    } else {
        let https = public_url.starts_with("https://");
        if https != data.tls.is_some() {
            errors.push(located(
                view,
                ".public_url",
                Problem::TlsSchemeMismatch {
                    scheme: if https { "https" } else { "http" }.into(),
                    tls: data.tls.is_some(),
                },
            ));
        }
    }
    if data.token_key.chars().count() < MIN_TOKEN_KEY {
        errors.push(located(
            view,
            ".token_key",
            Problem::ShortTokenKey {
                length: data.token_key.chars().count(),
            },
        ));
    }
    match bind_address {
        Some(bind_address) if errors.is_empty() => Ok(ProvisioningServer {
            name: view.name().to_string(),
            bind_address,
            public_url,
            tls: data.tls.map(|tls| ServerTls {
                certificate: tls.certificate,
                key: Secret::new(tls.key),
                ca: tls.ca,
            }),
            token_key: Secret::new(data.token_key),
        }),
        _ => Err(errors),
    }
}

/// `http(s)://host[...]`; with `query_allowed` false, no `?` or `#`.
fn is_http_url(url: &str, query_allowed: bool) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && !url.chars().any(char::is_whitespace)
        && (query_allowed || !url.contains(['?', '#']))
}

/// A value of the merged host data and the document that set it (for error places).
#[derive(Clone)]
struct Sourced<'a, T> {
    value: T,
    view: DocumentView<'a>,
}

/// An interface while profiles are merged.
#[derive(Clone)]
struct MergedInterface<'a> {
    device_link: Option<Sourced<'a, String>>,
    slaves: Vec<String>,
    networks: Vec<String>,
    /// The last document that set any of it.
    view: DocumentView<'a>,
}

/// The host data of a node merged through its host profile chain.
#[derive(Default)]
struct Merged<'a> {
    hardware_profile: Option<Sourced<'a, String>>,
    primary_network: Option<Sourced<'a, String>>,
    oob_type: Option<OobType>,
    oob_network: Option<String>,
    oob_account: Option<String>,
    oob_credential: Option<String>,
    oob_address: Option<Sourced<'a, String>>,
    interfaces: BTreeMap<String, MergedInterface<'a>>,
    image: Option<Sourced<'a, String>>,
    kernel: Option<String>,
    kernel_params: BTreeMap<String, Sourced<'a, serde_json::Value>>,
    tags: Vec<String>,
    owner_data: BTreeMap<String, String>,
    rack: Option<String>,
    boot_mac: Option<Sourced<'a, String>>,
}

impl<'a> Merged<'a> {
    /// Lays `data` (of `view`) over what is merged so far.
    fn apply(&mut self, view: DocumentView<'a>, data: &HostData) {
        let from = |value: &String| Sourced {
            value: value.clone(),
            view,
        };
        if let Some(name) = &data.hardware_profile {
            self.hardware_profile = Some(from(name));
        }
        if let Some(name) = &data.primary_network {
            self.primary_network = Some(from(name));
        }
        let oob = &data.oob;
        self.oob_type = oob.kind.or(self.oob_type);
        override_with(&mut self.oob_network, &oob.network);
        override_with(&mut self.oob_account, &oob.account);
        override_with(&mut self.oob_credential, &oob.credential);
        if let Some(address) = &oob.address {
            self.oob_address = Some(from(address));
        }
        for (name, interface) in &data.interfaces {
            if let Some(removed) = name.strip_prefix('!') {
                self.interfaces.remove(removed);
                continue;
            }
            let Some(interface) = interface else {
                self.interfaces.remove(name);
                continue;
            };
            self.merge_interface(name, interface, view);
        }
        if let Some(image) = &data.platform.image {
            self.image = Some(from(image));
        }
        override_with(&mut self.kernel, &data.platform.kernel);
        for (name, value) in &data.platform.kernel_params {
            self.kernel_params.insert(
                name.clone(),
                Sourced {
                    value: value.clone(),
                    view,
                },
            );
        }
        self.tags = merge_lists(&self.tags, &data.metadata.tags);
        self.owner_data.extend(
            data.metadata
                .owner_data
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
        override_with(&mut self.rack, &data.metadata.rack);
        if let Some(mac) = &data.metadata.boot_mac {
            self.boot_mac = Some(from(mac));
        }
    }

    fn merge_interface(&mut self, name: &str, child: &InterfaceData, view: DocumentView<'a>) {
        let device_link = child.device_link.as_ref().map(|link| Sourced {
            value: link.clone(),
            view,
        });
        let merged = match self.interfaces.get(name) {
            Some(parent) => MergedInterface {
                device_link: device_link.or_else(|| parent.device_link.clone()),
                slaves: merge_lists(&parent.slaves, &child.slaves),
                networks: merge_lists(&parent.networks, &child.networks),
                view,
            },
            None => MergedInterface {
                device_link,
                slaves: merge_lists(&[], &child.slaves),
                networks: merge_lists(&[], &child.networks),
                view,
            },
        };
        self.interfaces.insert(name.to_string(), merged);
    }
}

fn override_with(target: &mut Option<String>, value: &Option<String>) {
    if value.is_some() {
        target.clone_from(value);
    }
}

/// Drydock's list inheritance: the parent's items the child does not remove (`!item`),
/// then the child's items; each item once.
fn merge_lists(parent: &[String], child: &[String]) -> Vec<String> {
    let removed: BTreeSet<&str> = child
        .iter()
        .filter_map(|item| item.strip_prefix('!'))
        .collect();
    let mut merged: Vec<String> = Vec::new();
    for item in parent
        .iter()
        .filter(|item| !removed.contains(item.as_str()))
        .chain(child.iter().filter(|item| !item.starts_with('!')))
    {
        if !merged.contains(item) {
            merged.push(item.clone());
        }
    }
    merged
}

/// The host profile chain of a node: `(view, data)` of each profile, the node's own
/// first. `None` when a profile is missing, broken or in a loop (reported).
fn profile_chain<'a>(
    documents: &Documents<'a>,
    node: &DocumentView<'a>,
    data: &HostData,
    errors: &mut Vec<ModelError>,
) -> Option<Vec<(DocumentView<'a>, HostData)>> {
    let mut chain: Vec<(DocumentView<'a>, HostData)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut next = data.host_profile.clone().map(|name| (name, *node));
    while let Some((name, referrer)) = next {
        if seen.contains(&name) {
            seen.push(name);
            errors.push(located(
                &referrer,
                ".host_profile",
                Problem::HostProfileCycle { chain: seen },
            ));
            return None;
        }
        seen.push(name.clone());
        match find(&documents.host_profiles, &name) {
            Found::Yes(view, profile) => {
                next = profile.host_profile.clone().map(|parent| (parent, *view));
                chain.push((*view, profile.clone()));
            }
            Found::Broken => return None,
            Found::No => {
                errors.push(located(
                    &referrer,
                    ".host_profile",
                    Problem::MissingHostProfile {
                        name,
                        known: names(&documents.host_profiles),
                    },
                ));
                return None;
            }
        }
    }
    Some(chain)
}

/// Resolves one node; `None` when anything about it is wrong (every problem reported).
fn resolve_node<'a>(
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
    let mut merged = Merged::default();
    for (profile_view, profile) in chain.iter().rev() {
        merged.apply(*profile_view, profile);
    }
    merged.apply(*view, &data);
    let errors_before = errors.len();
    let mut fingerprinted: Vec<DocumentView<'a>> = vec![*view];
    fingerprinted.extend(chain.iter().map(|(profile_view, _)| *profile_view));

    let (hardware_view, hardware) = hardware_profile(documents, view, &merged, errors)?;
    fingerprinted.push(hardware_view);
    let node_companion = match find(&documents.node_provisioning, view.name()) {
        Found::Yes(companion_view, companion) => Some((*companion_view, companion)),
        Found::Broken => return None,
        Found::No => None,
    };
    let hardware_companion = match find(&documents.hardware_provisioning, &hardware.name) {
        Found::Yes(companion_view, companion) => Some((*companion_view, companion)),
        Found::Broken => return None,
        Found::No => None,
    };
    fingerprinted.extend(
        node_companion
            .iter()
            .map(|(companion_view, _)| *companion_view),
    );
    fingerprinted.extend(
        hardware_companion
            .iter()
            .map(|(companion_view, _)| *companion_view),
    );
    let macs = node_companion
        .map(|(companion_view, companion)| {
            macs(&companion_view, companion, &hardware, &merged, errors)
        })
        .unwrap_or_default();

    let mut interfaces = Vec::new();
    for (name, interface) in &merged.interfaces {
        match host_interface(documents, name, interface, &hardware, &macs, errors) {
            Some((resolved, used)) => {
                interfaces.push(resolved);
                fingerprinted.extend(used);
            }
            // Addresses and the primary network would only repeat the problem.
            None => return None,
        }
    }
    assign_addresses(
        documents,
        view,
        &data.addressing,
        merged.oob_network.as_deref(),
        &mut interfaces,
        errors,
    );
    if let Some(primary) = &merged.primary_network {
        let carried = interfaces.iter().any(|interface| {
            interface
                .networks
                .iter()
                .any(|n| n.network.name == primary.value)
        });
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

    let oob_type = merged.oob_type.unwrap_or(OobType::Manual);
    let bmc = if oob_type == OobType::Redfish {
        bmc_access(
            view,
            &merged,
            &data.addressing,
            node_companion,
            hardware_companion,
            errors,
        )
    } else {
        None
    };
    let media = media_preference(node_companion, hardware_companion);
    let os_image = match &merged.image {
        None => None,
        Some(image) => match find(&documents.os_images, &image.value) {
            Found::Yes(image_view, os_image) => {
                fingerprinted.push(*image_view);
                Some(os_image.clone())
            }
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
        },
    };
    let boot_mac = merged.boot_mac.as_ref().and_then(|mac| {
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
    });
    let expected = expected_identity(node_companion, errors);
    let kernel_params = kernel_params(&merged, errors);
    if errors.len() > errors_before {
        return None;
    }
    let (_, companion) = node_companion.unzip();
    Some(Node {
        name: view.name().to_string(),
        tags: merged.tags,
        owner_data: merged.owner_data,
        rack: merged.rack,
        host_profiles: chain
            .iter()
            .map(|(profile_view, _)| profile_view.name().to_string())
            .collect(),
        boot_mode: companion
            .and_then(|companion| companion.boot_mode)
            .or(hardware.boot_mode)
            .unwrap_or(BootMode::Uefi),
        hardware_profile: hardware,
        primary_network: merged.primary_network.map(|primary| primary.value),
        boot_mac,
        expected,
        oob_type,
        bmc,
        media,
        platform: Platform {
            image: merged.image.map(|image| image.value),
            kernel: merged.kernel,
            kernel_params,
        },
        os_image,
        interfaces,
        externally_provisioned: companion
            .and_then(|companion| companion.externally_provisioned)
            .unwrap_or(false),
        fingerprint: fingerprint::of_documents(&fingerprinted, merged.oob_network.as_deref()),
    })
}

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

/// One interface: its link, NICs and networks (addresses come later). Also returns the
/// documents it used, for the fingerprint.
fn host_interface<'a>(
    documents: &Documents<'a>,
    name: &str,
    interface: &MergedInterface<'a>,
    hardware: &HardwareProfile,
    macs: &BTreeMap<String, MacAddress>,
    errors: &mut Vec<ModelError>,
) -> Option<(HostInterface, Vec<DocumentView<'a>>)> {
    let path = format!(".interfaces.{name}");
    let view = &interface.view;
    if !is_interface_name(name) {
        errors.push(located(
            view,
            &path,
            Problem::InvalidInterfaceName {
                name: name.to_string(),
            },
        ));
        return None;
    }
    let Some(device_link) = &interface.device_link else {
        errors.push(located(
            view,
            &path,
            Problem::NoDeviceLink {
                interface: name.to_string(),
            },
        ));
        return None;
    };
    let (link_view, link) = match find(&documents.links, &device_link.value) {
        Found::Yes(link_view, link) => (*link_view, link.clone()),
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
    };
    let mut used = vec![link_view];
    let mut problems = Vec::new();
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
        // Bond members become netplan devices of their own name.
        for nic in &nics {
            if !is_interface_name(&nic.name) {
                problems.push(Problem::InvalidInterfaceName {
                    name: nic.name.clone(),
                });
            }
        }
    }
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
        if !link.allowed_networks.is_empty() && !link.allowed_networks.contains(network_name) {
            problems.push(Problem::NetworkNotAllowed {
                network: network_name.clone(),
                link: link.name.clone(),
            });
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
        let untagged = link.trunking == TrunkingMode::Disabled
            || link.default_network.as_deref() == Some(network_name.as_str());
        let vlan = if untagged {
            None
        } else {
            match network.vlan {
                Some(vlan) => {
                    let device = format!("{name}.{vlan}");
                    if !is_interface_name(&device) {
                        problems.push(Problem::InvalidInterfaceName { name: device });
                    }
                    Some(vlan)
                }
                None => {
                    problems.push(Problem::NoVlan {
                        network: network_name.clone(),
                        link: link.name.clone(),
                        untagged: link.default_network.clone().unwrap_or_else(|| "-".into()),
                    });
                    None
                }
            }
        };
        networks.push(AttachedNetwork {
            network,
            vlan,
            address: None,
        });
    }
    if !problems.is_empty() {
        errors.extend(
            problems
                .into_iter()
                .map(|problem| located(view, &path, problem)),
        );
        return None;
    }
    Some((
        HostInterface {
            name: name.to_string(),
            link,
            nics,
            networks,
        },
        used,
    ))
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
        let network = match find(&documents.networks, &entry.network) {
            Found::Yes(_, network) => network,
            Found::Broken => continue,
            Found::No => {
                errors.push(located(
                    node,
                    &format!("{path}.network"),
                    Problem::MissingNetwork {
                        name: entry.network.clone(),
                        known: names(&documents.networks),
                    },
                ));
                continue;
            }
        };
        let address = match entry.address.trim() {
            "dhcp" => NodeAddress::Dhcp,
            text => match text.parse::<IpAddr>() {
                Ok(address) => NodeAddress::Static(address),
                Err(_) => {
                    errors.push(located(
                        node,
                        &format!("{path}.address"),
                        Problem::InvalidAddress {
                            value: entry.address.clone(),
                            dhcp_allowed: true,
                        },
                    ));
                    continue;
                }
            },
        };
        if let NodeAddress::Static(ip) = address {
            match network.cidr {
                None => {
                    errors.push(located(
                        node,
                        &format!("{path}.address"),
                        Problem::StaticAddressWithoutCidr {
                            network: entry.network.clone(),
                        },
                    ));
                    continue;
                }
                Some(cidr) if !cidr.contains(ip) => {
                    errors.push(located(
                        node,
                        &format!("{path}.address"),
                        Problem::AddressOutsideNetwork {
                            address: ip.to_string(),
                            network: entry.network.clone(),
                            cidr: cidr.to_string(),
                        },
                    ));
                    continue;
                }
                Some(_) => {}
            }
        }
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

fn bmc_access(
    node: &DocumentView<'_>,
    merged: &Merged<'_>,
    addressing: &[AddressingData],
    node_companion: Option<(DocumentView<'_>, &NodeProvisioningData)>,
    hardware_companion: Option<(DocumentView<'_>, &HardwareProvisioningData)>,
    errors: &mut Vec<ModelError>,
) -> Option<BmcAccess> {
    let before = errors.len();
    let endpoint = match &merged.oob_address {
        Some(address) => {
            let endpoint = bmc_endpoint(&address.value);
            if endpoint.is_none() {
                errors.push(located(
                    &address.view,
                    ".oob.address",
                    Problem::InvalidBmcAddress {
                        value: address.value.clone(),
                    },
                ));
            }
            endpoint
        }
        None => {
            let on_oob_network = merged.oob_network.as_ref().and_then(|network| {
                addressing
                    .iter()
                    .find(|entry| &entry.network == network)
                    .and_then(|entry| entry.address.trim().parse::<IpAddr>().ok())
            });
            match on_oob_network {
                Some(IpAddr::V4(address)) => Some(format!("https://{address}")),
                Some(IpAddr::V6(address)) => Some(format!("https://[{address}]")),
                None => {
                    errors.push(located(
                        node,
                        ".oob",
                        Problem::NoBmcAddress {
                            network: merged.oob_network.clone(),
                        },
                    ));
                    None
                }
            }
        }
    };
    let username = merged.oob_account.clone();
    let password = merged.oob_credential.clone();
    for (field, value) in [("account", &username), ("credential", &password)] {
        if value.as_deref().is_none_or(str::is_empty) {
            errors.push(located(node, ".oob", Problem::NoBmcCredentials { field }));
        }
    }
    let node_bmc = node_companion.and_then(|(view, data)| Some((view, data.bmc.as_ref()?)));
    let hardware_bmc = hardware_companion.and_then(|(view, data)| Some((view, data.bmc.as_ref()?)));
    let tls_source = node_bmc
        .filter(|(_, bmc)| bmc.tls.is_some())
        .or(hardware_bmc.filter(|(_, bmc)| bmc.tls.is_some()));
    let tls = match tls_source {
        Some((view, bmc)) => bmc_tls(&view, bmc, errors),
        None => Some(BmcTls::SystemRoots),
    };
    let tls_backend = node_bmc
        .and_then(|(_, bmc)| bmc.tls_backend)
        .or(hardware_bmc.and_then(|(_, bmc)| bmc.tls_backend))
        .unwrap_or_default();
    if errors.len() > before {
        return None;
    }
    Some(BmcAccess {
        endpoint: endpoint?,
        credentials: BmcCredentials {
            username: Secret::new(username?),
            password: Secret::new(password?),
        },
        tls: tls?,
        tls_backend,
    })
}

/// `https://10.23.0.11` for `https://10.23.0.11/`, `10.23.0.11` or `http://…` as given.
fn bmc_endpoint(address: &str) -> Option<String> {
    let address = address.trim();
    let endpoint = if address.contains("://") {
        address.to_string()
    } else {
        format!("https://{address}")
    };
    let (scheme, rest) = endpoint.split_once("://")?;
    let endpoint = format!("{scheme}://{}", rest.trim_end_matches('/'));
    is_http_url(&endpoint, false).then_some(endpoint)
}

fn bmc_tls(view: &DocumentView<'_>, bmc: &BmcData, errors: &mut Vec<ModelError>) -> Option<BmcTls> {
    let tls = bmc.tls.as_ref()?;
    let mut settings = Vec::new();
    if tls.ca_pem.is_some() {
        settings.push("ca_pem".to_string());
    }
    if tls.fingerprint.is_some() {
        settings.push("fingerprint".to_string());
    }
    if tls.insecure == Some(true) {
        settings.push("insecure".to_string());
    }
    if settings.len() > 1 {
        errors.push(located(
            view,
            ".bmc.tls",
            Problem::ConflictingTls { settings },
        ));
        return None;
    }
    if let Some(pem) = &tls.ca_pem {
        return Some(BmcTls::CaPem(pem.clone()));
    }
    if let Some(fingerprint) = &tls.fingerprint {
        return match Sha256Digest::parse(fingerprint) {
            Some(digest) => Some(BmcTls::Fingerprint(digest)),
            None => {
                errors.push(located(
                    view,
                    ".bmc.tls.fingerprint",
                    Problem::InvalidSha256 {
                        value: fingerprint.clone(),
                    },
                ));
                None
            }
        };
    }
    Some(if tls.insecure == Some(true) {
        BmcTls::Insecure
    } else {
        BmcTls::SystemRoots
    })
}

fn media_preference(
    node_companion: Option<(DocumentView<'_>, &NodeProvisioningData)>,
    hardware_companion: Option<(DocumentView<'_>, &HardwareProvisioningData)>,
) -> MediaPreference {
    let node = node_companion.and_then(|(view, data)| Some((view, data.virtual_media.as_ref()?)));
    let hardware =
        hardware_companion.and_then(|(view, data)| Some((view, data.virtual_media.as_ref()?)));
    let os_slot = node
        .and_then(|(_, media)| media.os_slot.clone())
        .or_else(|| hardware.and_then(|(_, media)| media.os_slot.clone()));
    let sets_config =
        |media: &VirtualMediaData| media.config_slot.is_some() || media.config_over_http.is_some();
    let config = match node
        .filter(|(_, media)| sets_config(media))
        .or(hardware.filter(|(_, media)| sets_config(media)))
    {
        None => ConfigMedia::Auto,
        // A slot together with config_over_http was refused when the document was read.
        Some((_, media)) => match (&media.config_slot, media.config_over_http) {
            (Some(slot), _) => ConfigMedia::Slot(slot.clone()),
            (None, Some(true)) => ConfigMedia::Http,
            (None, _) => ConfigMedia::Auto,
        },
    };
    MediaPreference { os_slot, config }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn lists_inherit_minus_removals_plus_own_items_once() {
        let merged = merge_lists(
            &strings(&["ksn", "storage", "n2"]),
            &strings(&["!storage", "n2", "oam"]),
        );
        assert_eq!(merged, strings(&["ksn", "n2", "oam"]));
        assert_eq!(merge_lists(&strings(&["a"]), &[]), strings(&["a"]));
        assert_eq!(merge_lists(&[], &strings(&["!a", "b"])), strings(&["b"]));
    }

    #[test]
    fn bmc_endpoints_default_to_https_and_lose_a_trailing_slash() {
        assert_eq!(
            bmc_endpoint("10.23.0.11").as_deref(),
            Some("https://10.23.0.11")
        );
        assert_eq!(
            bmc_endpoint("https://10.23.0.11/").as_deref(),
            Some("https://10.23.0.11")
        );
        assert_eq!(
            bmc_endpoint("http://127.0.0.1:8000").as_deref(),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(bmc_endpoint("https://"), None);
        assert_eq!(bmc_endpoint("bmc 1"), None);
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(is_http_url("http://10.23.2.5:8080", false));
        assert!(is_http_url("https://a.example/base", false));
        assert!(!is_http_url("https://a.example/?x=1", false));
        assert!(is_http_url("https://a.example/img.iso?sig=1", true));
        assert!(!is_http_url("ftp://a.example", true));
        assert!(!is_http_url("http:///path", true));
    }
}
