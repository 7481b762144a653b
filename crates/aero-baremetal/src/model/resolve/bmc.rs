//! How a node's BMC is reached (endpoint, credentials, TLS) and which virtual media slots
//! it uses: the node's own companion first, then its hardware profile's.

use std::net::IpAddr;

use aero_site::DocumentView;

use super::merge::Merged;
use super::site::is_http_url;
use crate::error::{ModelError, Problem};
use crate::model::documents::{
    AddressingData, BmcData, HardwareProvisioningData, NodeProvisioningData, VirtualMediaData,
    located,
};
use crate::model::{BmcAccess, BmcCredentials, BmcTls, ConfigMedia, MediaPreference, Sha256Digest};
use crate::secret::Secret;

pub(super) fn bmc_access(
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
        system_id: None,
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

pub(super) fn bmc_tls(
    view: &DocumentView<'_>,
    bmc: &BmcData,
    errors: &mut Vec<ModelError>,
) -> Option<BmcTls> {
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

pub(super) fn media_preference(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
