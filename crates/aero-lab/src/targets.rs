//! The lab's address mapping: the [`TargetOverrides`] a running lab records in
//! `<state_dir>/lab/<site>/targets.json`, and [`active_targets`], which every command on
//! a site asks before it reaches a machine.
//!
//! This is the only way the deploy path learns of the lab: it applies the overrides to
//! the host model (`HostModel::apply_overrides`), which points each documented BMC
//! endpoint at its emulator (credentials and the lab's certificate included), the
//! provisioning server at a local port, and each OS image at its stand-in. A node whose
//! BMC has no mapping is an error there, never a fall-back to its real address.

use std::collections::BTreeMap;
use std::path::Path;

use aero_baremetal::{BmcOverride, OsImageOverride, ServerOverride, TargetOverrides};

use crate::error::LabError;
use crate::files::{LabPaths, read_json};
use crate::plan::LabPlan;
use crate::record::{EmulatorRecord, ProvisioningRecord, StandInRecord};
use crate::standin::STANDIN_LABEL;

/// The label the overrides carry, which commands print (`targeting the lab`).
pub const LABEL: &str = "lab";

/// The lab's overrides of `site`, when a lab of it is up (from `aero lab up` until
/// `aero lab down`); `None` when there is none. Every command on the site calls it and,
/// when it returns `Some`, applies it and says on stderr that it targets the lab.
///
/// The file is there until `aero lab down`, even if the lab's processes died: commands
/// then fail to reach the lab rather than reach the real machines.
pub fn active_targets(state_dir: &Path, site: &str) -> Result<Option<TargetOverrides>, LabError> {
    let paths = LabPaths::new(state_dir, site)?;
    let path = paths.targets();
    let Some(targets) = read_json::<TargetOverrides>(&path)? else {
        return Ok(None);
    };
    if targets.site != site {
        return Err(LabError::OtherSite {
            path,
            recorded: targets.site,
            site: site.to_string(),
        });
    }
    Ok(Some(targets))
}

/// An emulator's credentials (kept out of the record).
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password: String,
}

/// The overrides of a started lab: each documented BMC endpoint → its emulator, the
/// provisioning server → its local port, each OS image → its stand-in. Pure.
pub(crate) fn overrides(
    plan: &LabPlan,
    emulators: &[(EmulatorRecord, &Credentials)],
    certificate_pem: &str,
    provisioning: Option<&ProvisioningRecord>,
    standins: &[StandInRecord],
) -> Result<TargetOverrides, LabError> {
    let bmcs = emulators
        .iter()
        .map(|(emulator, credentials)| {
            (
                emulator.documented_bmc.clone(),
                BmcOverride {
                    endpoint: emulator.url.clone(),
                    username: credentials.username.clone(),
                    password: credentials.password.clone(),
                    ca_pem: Some(certificate_pem.to_string()),
                    system_id: Some(emulator.system_uuid.clone()),
                },
            )
        })
        .collect();
    let provisioning_server = match provisioning {
        Some(record) => Some(ServerOverride {
            bind_address: record.bind_address.parse().map_err(|_| LabError::Corrupt {
                path: "lab.json".into(),
                reason: format!("bad bind address {}", record.bind_address),
            })?,
            public_url: record.public_url.clone(),
        }),
        None => None,
    };
    let os_images: BTreeMap<String, OsImageOverride> = standins
        .iter()
        .map(|standin| {
            (
                standin.name.clone(),
                OsImageOverride {
                    url: standin.url.clone(),
                    sha256: standin.sha256.clone(),
                    description: format!(
                        "lab stand-in for `{}` ({STANDIN_LABEL}: a small labelled image, not an installer)",
                        standin.name
                    ),
                },
            )
        })
        .collect();
    Ok(TargetOverrides {
        label: LABEL.to_string(),
        site: plan.site.clone(),
        bmcs,
        provisioning_server,
        os_images,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::write_json;
    use crate::plan::{PlannedNode, UuidSource};

    fn plan() -> LabPlan {
        LabPlan {
            site: "edge-lon1".into(),
            seed: 7,
            boot_delay_ms: 1000,
            nodes: vec![PlannedNode {
                name: "lon1-wk01".into(),
                documented_bmc: "https://10.23.0.21".into(),
                system_uuid: "4c4c4544-0038-5a4b-8051-314734000000".into(),
                uuid_source: UuidSource::Documented,
                macs: vec!["b4:96:91:3a:17:15".into()],
                serial_number: None,
                faults: vec![],
            }],
            os_images: vec![],
            provisioning_server: None,
        }
    }

    fn emulator() -> EmulatorRecord {
        EmulatorRecord {
            node: "lon1-wk01".into(),
            documented_bmc: "https://10.23.0.21".into(),
            url: "https://127.0.0.1:40001".into(),
            port: 40001,
            pid: 5,
            system_uuid: "4c4c4544-0038-5a4b-8051-314734000000".into(),
            uuid_source: UuidSource::Documented,
            macs: vec![],
            serial_number: None,
            faults: vec![],
            username: "lab-1".into(),
        }
    }

    #[test]
    fn every_emulator_maps_its_documented_endpoint() {
        let credentials = Credentials {
            username: "lab-1".into(),
            password: "pw".into(),
        };
        let provisioning = ProvisioningRecord {
            bind_address: "127.0.0.1:41000".into(),
            public_url: "http://127.0.0.1:41000".into(),
        };
        let standin = StandInRecord {
            name: "jammy".into(),
            documented_url: "http://mirror/jammy.iso".into(),
            url: "http://127.0.0.1:42000/standin/jammy-standin.iso".into(),
            sha256: "ab".repeat(32),
            size: 1,
        };
        let targets = overrides(
            &plan(),
            &[(emulator(), &credentials)],
            "PEM",
            Some(&provisioning),
            &[standin],
        )
        .unwrap();
        assert_eq!(targets.label, "lab");
        assert_eq!(targets.site, "edge-lon1");
        let bmc = &targets.bmcs["https://10.23.0.21"];
        assert_eq!(bmc.endpoint, "https://127.0.0.1:40001");
        assert_eq!(
            (bmc.username.as_str(), bmc.password.as_str()),
            ("lab-1", "pw")
        );
        assert_eq!(bmc.ca_pem.as_deref(), Some("PEM"));
        assert_eq!(
            bmc.system_id.as_deref(),
            Some("4c4c4544-0038-5a4b-8051-314734000000")
        );
        let server = targets.provisioning_server.unwrap();
        assert_eq!(server.bind_address.to_string(), "127.0.0.1:41000");
        let image = &targets.os_images["jammy"];
        assert!(
            image.description.contains("stand-in"),
            "{}",
            image.description
        );
        assert_eq!(image.sha256, "ab".repeat(32));
    }

    #[test]
    fn active_targets_are_read_for_their_site_only() {
        let state = tempfile::tempdir().unwrap();
        assert!(active_targets(state.path(), "edge-lon1").unwrap().is_none());
        let credentials = Credentials {
            username: "u".into(),
            password: "p".into(),
        };
        let targets = overrides(&plan(), &[(emulator(), &credentials)], "PEM", None, &[]).unwrap();
        let paths = LabPaths::new(state.path(), "edge-lon1").unwrap();
        crate::files::create_private_dir(paths.root()).unwrap();
        write_json(&paths.targets(), &targets).unwrap();
        let read = active_targets(state.path(), "edge-lon1").unwrap().unwrap();
        assert_eq!(read.bmcs.len(), 1);
        // A file that names another site (copied by hand) is refused, not applied.
        let other = LabPaths::new(state.path(), "edge-fra1").unwrap();
        crate::files::create_private_dir(other.root()).unwrap();
        write_json(&other.targets(), &targets).unwrap();
        assert!(matches!(
            active_targets(state.path(), "edge-fra1"),
            Err(LabError::OtherSite { .. })
        ));
        assert!(matches!(
            active_targets(state.path(), "../x"),
            Err(LabError::BadName { .. })
        ));
    }
}
