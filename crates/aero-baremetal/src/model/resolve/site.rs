//! The site-wide documents every node refers to: networks (their routedomain routes
//! expanded), links, OS images, the region and the provisioning server.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use aero_site::{DocumentView, RenderedSite};

use super::{Decoded, MIN_TOKEN_KEY, NETWORK, decode_all};
use crate::error::{ModelError, Problem};
use crate::model::documents::{
    LinkData, NetworkData, OsImageData, ProvisioningServerData, RegionData, RepositoryData,
    RouteData, located,
};
use crate::model::{
    Bonding, Cidr, Dns, Network, NetworkLink, OsImage, ProvisioningServer, Region, Repository,
    Route, ServerTls, Sha256Digest,
};
use crate::secret::Secret;

/// A network's name, routedomain and CIDR: what routedomain routes are expanded with.
type RouteDomain = (String, Option<String>, Option<Cidr>);

/// A route and, when it came from a routedomain, the network it leads to.
type ExpandedRoute = (Route, Option<String>);

/// Networks, their routedomain routes expanded (which needs every network's data).
pub(super) fn networks<'a>(
    site: &'a RenderedSite,
    errors: &mut Vec<ModelError>,
) -> (Decoded<'a, Network>, BTreeMap<String, Vec<String>>) {
    let raw: Decoded<'a, NetworkData> = decode_all(site, NETWORK, errors, |_, data| Ok(data));
    let domains: Vec<RouteDomain> = raw
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
    domains: &[RouteDomain],
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
        match expand_route(name, route, domains) {
            Ok(expanded) => {
                for (to, target) in expanded {
                    routes.push(to);
                    targets.extend(target);
                }
            }
            Err((field, problem)) => {
                errors.push(located(view, &format!(".routes[{index}]{field}"), problem));
            }
        }
    }
    let dns = data.dns.map(|dns| Dns {
        domain: dns.domain.filter(|domain| !domain.is_empty()),
        servers: dns_servers(view, dns.servers.as_deref().unwrap_or(""), errors),
    });
    let network = Network {
        name: name.to_string(),
        cidr,
        vlan,
        mtu: data.mtu,
        routedomain: data.routedomain,
        routes,
        dns,
    };
    (network, targets)
}

/// A route as the routes it stands for: one to its subnet, or one to each other network
/// of its routedomain (with that network's name). On a problem, the field at fault.
fn expand_route(
    network: &str,
    route: &RouteData,
    domains: &[RouteDomain],
) -> Result<Vec<ExpandedRoute>, (&'static str, Problem)> {
    let Some(gateway) = route.gateway.as_deref() else {
        return Err((
            "",
            Problem::Malformed {
                message: "a route needs a gateway".into(),
            },
        ));
    };
    let Ok(via) = gateway.trim().parse::<IpAddr>() else {
        return Err((
            ".gateway",
            Problem::InvalidAddress {
                value: gateway.to_string(),
                dhcp_allowed: false,
            },
        ));
    };
    let route_to = |to: Cidr| Route {
        to,
        via,
        metric: route.metric,
    };
    match (&route.subnet, &route.routedomain) {
        (Some(subnet), _) => match Cidr::parse(subnet) {
            Some(to) => Ok(vec![(route_to(to), None)]),
            None => Err((
                ".subnet",
                Problem::InvalidCidr {
                    value: subnet.clone(),
                },
            )),
        },
        (None, Some(domain)) => Ok(domains
            .iter()
            .filter(|(other, other_domain, _)| {
                other != network && other_domain.as_deref() == Some(domain.as_str())
            })
            .filter_map(|(other, _, cidr)| Some((route_to((*cidr)?), Some(other.clone()))))
            .collect()),
        (None, None) => Err((
            "",
            Problem::Malformed {
                message: "a route needs a subnet or a routedomain".into(),
            },
        )),
    }
}

/// Drydock's comma-separated DNS servers.
fn dns_servers(
    view: &DocumentView<'_>,
    servers: &str,
    errors: &mut Vec<ModelError>,
) -> Vec<IpAddr> {
    let mut parsed = Vec::new();
    for server in servers
        .split(',')
        .map(str::trim)
        .filter(|server| !server.is_empty())
    {
        match server.parse::<IpAddr>() {
            Ok(address) => parsed.push(address),
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
    parsed
}

pub(super) fn link(
    view: &DocumentView<'_>,
    data: LinkData,
) -> Result<NetworkLink, Vec<ModelError>> {
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

pub(super) fn os_image(
    view: &DocumentView<'_>,
    data: OsImageData,
) -> Result<OsImage, Vec<ModelError>> {
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

pub(super) fn region(view: &DocumentView<'_>, data: RegionData) -> Result<Region, Vec<ModelError>> {
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

pub(super) fn provisioning_server(
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
pub(super) fn is_http_url(url: &str, query_allowed: bool) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
