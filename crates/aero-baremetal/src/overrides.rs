//! Where a site's machines really are, when that is not where its documents say: the
//! local lab's emulated BMCs, its provisioning server port and its stand-in OS image.
//!
//! The lab never rewrites documents. It records a [`TargetOverrides`] and the deploy
//! path applies it to the model ([`HostModel::apply_overrides`]) before any step is
//! built: every BMC endpoint is looked up by the address the documents give, and a node
//! whose address has no entry is an error, never a fall-back to its real address (a lab
//! run must not reach a production BMC). Nothing above the model knows that a lab is in
//! use, except what it prints to say so.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::model::{BmcCredentials, BmcTls, HostModel, OsImage, Sha256Digest, TlsBackend};
use crate::secret::Secret;

/// Replacement targets for one site, recorded by whoever stands in for the real
/// machines (the lab).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TargetOverrides {
    /// Who recorded it, shown to the operator (`lab`).
    pub label: String,
    /// The site it is for.
    pub site: String,
    /// Per BMC endpoint as the documents give it (`https://10.23.0.11`), where the BMC
    /// really answers.
    pub bmcs: BTreeMap<String, BmcOverride>,
    /// Where the provisioning server listens and how nodes reach it.
    pub provisioning_server: Option<ServerOverride>,
    /// Per OS image name, an image to serve instead (the lab's labelled stand-in).
    pub os_images: BTreeMap<String, OsImageOverride>,
}

/// One BMC's real endpoint, credentials and TLS trust.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BmcOverride {
    /// The endpoint URL, e.g. `https://127.0.0.1:8443`.
    pub endpoint: String,
    /// User name.
    pub username: String,
    /// Password (the file holding overrides is private to its owner).
    pub password: String,
    /// A PEM certificate to trust (the emulator's self-signed one), else system roots.
    pub ca_pem: Option<String>,
    /// The system to drive, when the BMC has several.
    pub system_id: Option<String>,
}

/// The provisioning server's real listening address and base URL.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServerOverride {
    /// Where to listen, e.g. `127.0.0.1:18080`.
    pub bind_address: SocketAddr,
    /// Base URL nodes and BMCs reach it at, without a trailing `/`.
    pub public_url: String,
}

/// An OS image to serve instead of the one the documents name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OsImageOverride {
    /// Where to fetch it.
    pub url: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// What it is, for people (`lab stand-in for jammy`).
    pub description: String,
}

/// Why overrides cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    /// A node's BMC has no entry: the node would be driven at its real address.
    #[error(
        "node `{node}`: its BMC {endpoint} has no {label} mapping; refusing to fall back to the real address (run `aero lab up` again, or `aero lab down` to target the real site)"
    )]
    Unmapped {
        /// The node.
        node: String,
        /// Its endpoint in the documents.
        endpoint: String,
        /// The overrides' label.
        label: String,
    },
    /// The overrides were recorded for another site.
    #[error("the {label} targets were recorded for site `{recorded}`, not `{site}`")]
    OtherSite {
        /// The overrides' label.
        label: String,
        /// Their site.
        recorded: String,
        /// The site asked for.
        site: String,
    },
    /// An image override's checksum is not 64 hex digits.
    #[error("the {label} image for `{image}` has a malformed sha256")]
    BadChecksum {
        /// The overrides' label.
        label: String,
        /// The image name.
        image: String,
    },
}

impl aero_error::Classify for OverrideError {
    fn class(&self) -> aero_error::ErrorClass {
        aero_error::ErrorClass::InvalidInput
    }
}

impl HostModel {
    /// Points every BMC, the provisioning server and the OS images at the targets in
    /// `overrides`. Externally provisioned nodes are never touched, so they need no
    /// mapping; every other node with a BMC must have one.
    pub fn apply_overrides(
        &mut self,
        site: &str,
        overrides: &TargetOverrides,
    ) -> Result<(), OverrideError> {
        if overrides.site != site {
            return Err(OverrideError::OtherSite {
                label: overrides.label.clone(),
                recorded: overrides.site.clone(),
                site: site.to_string(),
            });
        }
        for node in &mut self.nodes {
            if let Some(bmc) = &mut node.bmc {
                match overrides.bmcs.get(&bmc.endpoint) {
                    Some(target) => {
                        bmc.endpoint = target.endpoint.clone();
                        bmc.credentials = BmcCredentials {
                            username: Secret::new(&target.username),
                            password: Secret::new(&target.password),
                        };
                        bmc.tls = match &target.ca_pem {
                            Some(pem) => BmcTls::CaPem(pem.clone()),
                            None => BmcTls::SystemRoots,
                        };
                        bmc.tls_backend = TlsBackend::default();
                        bmc.system_id = target.system_id.clone();
                    }
                    None if node.externally_provisioned => {}
                    None => {
                        return Err(OverrideError::Unmapped {
                            node: node.name.clone(),
                            endpoint: bmc.endpoint.clone(),
                            label: overrides.label.clone(),
                        });
                    }
                }
            }
            if let Some(image) = &mut node.os_image
                && let Some(replacement) = overrides.os_images.get(&image.name)
            {
                *image = OsImage {
                    name: image.name.clone(),
                    url: replacement.url.clone(),
                    sha256: Sha256Digest::parse(&replacement.sha256).ok_or_else(|| {
                        OverrideError::BadChecksum {
                            label: overrides.label.clone(),
                            image: image.name.clone(),
                        }
                    })?,
                    kind: image.kind,
                };
            }
        }
        if let (Some(server), Some(target)) = (
            &mut self.provisioning_server,
            &overrides.provisioning_server,
        ) {
            server.bind_address = target.bind_address;
            server.public_url = target.public_url.trim_end_matches('/').to_string();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::site;

    fn lab(bmcs: &[(&str, &str)]) -> TargetOverrides {
        TargetOverrides {
            label: "lab".to_string(),
            site: "fixture".to_string(),
            bmcs: bmcs
                .iter()
                .map(|(real, emulated)| {
                    (
                        real.to_string(),
                        BmcOverride {
                            endpoint: emulated.to_string(),
                            username: "lab-user".to_string(),
                            password: "lab-password-1".to_string(),
                            ca_pem: Some("-----BEGIN CERTIFICATE-----".to_string()),
                            system_id: Some("sys-1".to_string()),
                        },
                    )
                })
                .collect(),
            provisioning_server: Some(ServerOverride {
                bind_address: "127.0.0.1:18080".parse().unwrap(),
                public_url: "http://127.0.0.1:18080/".to_string(),
            }),
            os_images: BTreeMap::new(),
        }
    }

    #[test]
    fn every_bmc_is_redirected_and_an_unmapped_one_is_refused() {
        let model = HostModel::from_site(&site()).unwrap();
        let endpoints: Vec<String> = model
            .nodes()
            .iter()
            .filter(|node| !node.externally_provisioned)
            .filter_map(|node| node.bmc.as_ref().map(|bmc| bmc.endpoint.clone()))
            .collect();
        assert!(!endpoints.is_empty());
        let mapping: Vec<(&str, &str)> = endpoints
            .iter()
            .map(|endpoint| (endpoint.as_str(), "https://127.0.0.1:9443"))
            .collect();
        let mut redirected = model.clone();
        redirected
            .apply_overrides("fixture", &lab(&mapping))
            .unwrap();
        for node in redirected
            .nodes()
            .iter()
            .filter(|node| !node.externally_provisioned)
        {
            let bmc = node.bmc.as_ref().unwrap();
            assert_eq!(bmc.endpoint, "https://127.0.0.1:9443");
            assert_eq!(bmc.credentials.username.expose(), "lab-user");
            assert_eq!(bmc.system_id.as_deref(), Some("sys-1"));
            assert!(matches!(bmc.tls, BmcTls::CaPem(_)));
        }
        let server = redirected.provisioning_server().unwrap();
        assert_eq!(server.public_url, "http://127.0.0.1:18080");

        let mut unmapped = model.clone();
        let error = unmapped
            .apply_overrides("fixture", &lab(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("has no lab mapping") && error.contains("refusing to fall back"),
            "{error}"
        );
        let mut elsewhere = model;
        assert!(matches!(
            elsewhere.apply_overrides("other", &lab(&mapping)),
            Err(OverrideError::OtherSite { .. })
        ));
    }
}
