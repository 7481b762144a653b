//! A node's BMC as the BMC port addresses it: the one conversion from the model's
//! [`BmcAccess`](crate::BmcAccess) to an [`aero_bmc::BmcTarget`], used by the
//! provisioning steps, the planner's power-state column and `aero bmc --site --node`.

use aero_bmc::{BmcTarget, CertificateFingerprint, Credentials, TlsTrust};

use crate::model::{BmcTls, Node, TlsBackend};

/// The target of `node`'s BMC, or `None` when the node has no Redfish BMC. The password
/// is in the target: whoever connects registers it with their redactor first.
pub fn bmc_target(node: &Node) -> Option<BmcTarget> {
    let access = node.bmc.as_ref()?;
    Some(BmcTarget {
        endpoint: access.endpoint.clone(),
        credentials: Credentials::new(
            access.credentials.username.expose(),
            access.credentials.password.expose(),
        ),
        tls: match &access.tls {
            BmcTls::SystemRoots => TlsTrust::SystemRoots,
            BmcTls::CaPem(pem) => TlsTrust::CaPem(pem.clone()),
            BmcTls::Fingerprint(digest) => TlsTrust::Fingerprint(CertificateFingerprint(digest.0)),
            BmcTls::Insecure => TlsTrust::Insecure,
        },
        tls_backend: match access.tls_backend {
            TlsBackend::Rustls => aero_bmc::TlsBackend::Rustls,
            TlsBackend::OpenSsl => aero_bmc::TlsBackend::OpenSsl,
        },
        system: access.system_id.clone(),
    })
}
