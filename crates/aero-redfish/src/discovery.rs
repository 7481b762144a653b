//! Discovery: from the service root to systems, managers, chassis, the session service and
//! virtual media, following links instead of assuming paths.
//!
//! The only constructed paths are the sessions collection when the root links only the
//! session service (`<SessionService>/Sessions`), and a system member when an id is given
//! (`<Systems>/<id>`, tried once before listing the collection). Both honour the
//! trailing-slash quirk.

use serde_json::Value;

use crate::client::{BmcClient, Deadline, Resource};
use crate::error::RedfishError;
use crate::model::{Collection, ComputerSystem, Manager, ServiceRoot};
use crate::quirks::{BmcIdentity, Quirks, VirtualMediaPreference};
use crate::system::RedfishSystem;

/// What the service root links to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceMap {
    /// Redfish protocol version.
    pub redfish_version: Option<String>,
    /// Vendor named by the root (Redfish 1.5+), or its first Oem section.
    pub vendor: Option<String>,
    /// Product named by the root.
    pub product: Option<String>,
    /// Systems collection.
    pub systems: Option<String>,
    /// Managers collection.
    pub managers: Option<String>,
    /// Chassis collection.
    pub chassis: Option<String>,
    /// Session service.
    pub session_service: Option<String>,
    /// Sessions collection (where to log in).
    pub sessions: Option<String>,
}

impl ServiceMap {
    /// The map of a service root.
    pub(crate) fn from_root(root: ServiceRoot, quirks: &Quirks) -> Self {
        let session_service = root.session_service.map(|link| link.odata_id);
        let sessions = root
            .links
            .and_then(|links| links.sessions)
            .map(|link| link.odata_id)
            .or_else(|| {
                session_service.as_ref().map(|service| {
                    quirks.constructed_path(&format!("{}/Sessions", service.trim_end_matches('/')))
                })
            });
        let vendor = root
            .vendor
            .or_else(|| root.oem.as_ref().and_then(|oem| oem.keys().next().cloned()));
        ServiceMap {
            redfish_version: root.redfish_version,
            vendor,
            product: root.product,
            systems: root.systems.map(|link| link.odata_id),
            managers: root.managers.map(|link| link.odata_id),
            chassis: root.chassis.map(|link| link.odata_id),
            session_service,
            sessions,
        }
    }
}

/// A system listed by the BMC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemEntry {
    /// The last segment of its path (its id on every BMC seen).
    pub id: String,
    /// Its path.
    pub path: String,
}

/// The last non-empty segment of a path.
pub(crate) fn last_segment(path: &str) -> String {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_string()
}

impl BmcClient {
    fn systems_path(&self) -> Result<String, RedfishError> {
        self.service()
            .systems
            .clone()
            .ok_or_else(|| RedfishError::MissingLink {
                bmc: self.bmc().to_string(),
                resource: "/redfish/v1/".to_string(),
                link: "Systems".to_string(),
                hint: "the BMC exposes no computer systems".to_string(),
            })
    }

    /// The systems of the BMC.
    pub async fn systems(&self) -> Result<Vec<SystemEntry>, RedfishError> {
        let deadline = Deadline::after(self.timing().operation_deadline);
        self.list_systems(&deadline).await
    }

    async fn list_systems(&self, deadline: &Deadline) -> Result<Vec<SystemEntry>, RedfishError> {
        let path = self.systems_path()?;
        let collection: Resource<Collection> =
            self.get(&path, "systems collection", deadline).await?;
        Ok(collection
            .value
            .members
            .into_iter()
            .map(|member| SystemEntry {
                id: last_segment(&member.odata_id),
                path: member.odata_id,
            })
            .collect())
    }

    /// Opens a system: the only one, or the one whose id (or name or UUID) is `selector`.
    /// Resolves the vendor quirks from its manufacturer and model (and the BMC firmware when a
    /// quirk rule asks for it).
    pub async fn system(&self, selector: Option<&str>) -> Result<RedfishSystem, RedfishError> {
        let deadline = Deadline::after(self.timing().operation_deadline);
        let resource = self.find_system(selector, &deadline).await?;
        let system = &resource.value;
        let mut identity = BmcIdentity {
            manufacturer: system
                .manufacturer
                .clone()
                .filter(|manufacturer| !manufacturer.trim().is_empty())
                .or_else(|| self.service().vendor.clone()),
            model: system.model.clone(),
            firmware: None,
        };
        if self.quirk_table().needs_firmware(&identity) {
            identity.firmware = self.manager_firmware(system, &deadline).await;
        }
        let quirks = self.quirk_table().resolve(&identity);
        if !quirks.matched.is_empty() {
            tracing::debug!(bmc = self.bmc(), quirks = ?quirks.matched, "vendor quirks in effect");
        }
        self.set_quirks(quirks);
        let id = system
            .id
            .clone()
            .unwrap_or_else(|| last_segment(&resource.path));
        Ok(RedfishSystem::new(self.clone(), id, identity, resource))
    }

    async fn find_system(
        &self,
        selector: Option<&str>,
        deadline: &Deadline,
    ) -> Result<Resource<ComputerSystem>, RedfishError> {
        let systems_path = self.systems_path()?;
        if let Some(wanted) = selector {
            // Member URIs are <collection>/<Id> (Redfish 1.6+); try that before listing.
            if !wanted.contains('/') {
                let guess = self
                    .quirks()
                    .constructed_path(&format!("{}/{wanted}", systems_path.trim_end_matches('/')));
                if let Ok(resource) = self.get::<ComputerSystem>(&guess, "system", deadline).await
                    && system_matches(&resource.value, &resource.path, wanted)
                {
                    return Ok(resource);
                }
            } else if let Ok(resource) =
                self.get::<ComputerSystem>(wanted, "system", deadline).await
            {
                return Ok(resource);
            }
        }
        let entries = self.list_systems(deadline).await?;
        let available = || {
            entries
                .iter()
                .map(|entry| entry.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match selector {
            None => match entries.as_slice() {
                [only] => self.get(&only.path, "system", deadline).await,
                [] => Err(RedfishError::MissingLink {
                    bmc: self.bmc().to_string(),
                    resource: systems_path,
                    link: "members".to_string(),
                    hint: "the systems collection is empty".to_string(),
                }),
                _ => Err(RedfishError::AmbiguousSystem {
                    bmc: self.bmc().to_string(),
                    count: entries.len(),
                    available: available(),
                }),
            },
            Some(wanted) => {
                if let Some(entry) = entries
                    .iter()
                    .find(|entry| entry.id == wanted || entry.path == wanted)
                {
                    return self.get(&entry.path, "system", deadline).await;
                }
                // Names and UUIDs are only in the members themselves.
                for entry in &entries {
                    let resource: Resource<ComputerSystem> =
                        self.get(&entry.path, "system", deadline).await?;
                    if system_matches(&resource.value, &resource.path, wanted) {
                        return Ok(resource);
                    }
                }
                Err(RedfishError::SystemNotFound {
                    bmc: self.bmc().to_string(),
                    wanted: wanted.to_string(),
                    available: available(),
                })
            }
        }
    }

    async fn manager_firmware(
        &self,
        system: &ComputerSystem,
        deadline: &Deadline,
    ) -> Option<String> {
        let manager_path = system.links.as_ref()?.managed_by.first()?.odata_id.clone();
        match self
            .get::<Manager>(&manager_path, "manager", deadline)
            .await
        {
            Ok(manager) => manager.value.firmware_version,
            Err(error) => {
                tracing::warn!(bmc = self.bmc(), error = %error, "cannot read the BMC firmware version for quirk matching");
                None
            }
        }
    }

    /// The virtual media collections of a system, in the order the quirks prefer: the
    /// system's own, or its managers' (`Links.ManagedBy`).
    pub(crate) async fn virtual_media_collections(
        &self,
        system: &Resource<ComputerSystem>,
        deadline: &Deadline,
    ) -> Result<Vec<String>, RedfishError> {
        let own = system
            .value
            .virtual_media
            .as_ref()
            .map(|link| link.odata_id.clone());
        let preference = self.quirks().virtual_media;
        if preference == VirtualMediaPreference::SystemFirst
            && let Some(own) = own.clone()
        {
            return Ok(vec![own]);
        }
        let mut collections: Vec<String> = Vec::new();
        let managers = system
            .value
            .links
            .as_ref()
            .map(|links| links.managed_by.clone())
            .unwrap_or_default();
        for manager_link in managers {
            let manager: Resource<Manager> = self
                .get(&manager_link.odata_id, "manager", deadline)
                .await?;
            if let Some(link) = manager.value.virtual_media
                && !collections.contains(&link.odata_id)
            {
                collections.push(link.odata_id);
            }
        }
        if let Some(own) = own
            && !collections.contains(&own)
        {
            collections.push(own);
        }
        Ok(collections)
    }
}

fn system_matches(system: &ComputerSystem, path: &str, wanted: &str) -> bool {
    let equal = |value: &Option<String>| value.as_deref().is_some_and(|value| value == wanted);
    equal(&system.id)
        || equal(&system.name)
        || system
            .uuid
            .as_deref()
            .is_some_and(|uuid| uuid.eq_ignore_ascii_case(wanted))
        || last_segment(path) == wanted
        || path == wanted
}

/// The `@odata.id` of a raw resource, if any.
pub(crate) fn odata_id(raw: &Value) -> Option<&str> {
    raw.get("@odata.id").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(json: Value) -> ServiceRoot {
        serde_json::from_value(json).expect("root")
    }

    #[test]
    fn sessions_come_from_links_or_the_session_service() {
        let quirks = Quirks::default();
        let map = ServiceMap::from_root(
            root(serde_json::json!({
                "Systems": {"@odata.id": "/redfish/v1/Systems"},
                "SessionService": {"@odata.id": "/redfish/v1/SessionService"},
                "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}}
            })),
            &quirks,
        );
        assert_eq!(
            map.sessions.as_deref(),
            Some("/redfish/v1/SessionService/Sessions")
        );
        assert_eq!(map.systems.as_deref(), Some("/redfish/v1/Systems"));

        let hpe = Quirks {
            trailing_slash_paths: true,
            ..Quirks::default()
        };
        let map = ServiceMap::from_root(
            root(serde_json::json!({
                "Vendor": "HPE",
                "SessionService": {"@odata.id": "/redfish/v1/SessionService/"}
            })),
            &hpe,
        );
        assert_eq!(
            map.sessions.as_deref(),
            Some("/redfish/v1/SessionService/Sessions/")
        );
        assert_eq!(map.vendor.as_deref(), Some("HPE"));

        let map = ServiceMap::from_root(
            root(serde_json::json!({"Oem": {"Supermicro": {}}})),
            &quirks,
        );
        assert_eq!(map.sessions, None);
        assert_eq!(map.vendor.as_deref(), Some("Supermicro"));
    }

    #[test]
    fn last_segment_ignores_trailing_slash() {
        assert_eq!(last_segment("/redfish/v1/Systems/1/"), "1");
        assert_eq!(
            last_segment("/redfish/v1/Systems/System.Embedded.1"),
            "System.Embedded.1"
        );
    }

    #[test]
    fn systems_match_by_id_name_uuid() {
        let system: ComputerSystem = serde_json::from_value(serde_json::json!({
            "Id": "abc", "Name": "node-1", "UUID": "00000000-0000-0000-0000-00000000000A"
        }))
        .unwrap();
        assert!(system_matches(&system, "/redfish/v1/Systems/abc", "abc"));
        assert!(system_matches(&system, "/redfish/v1/Systems/abc", "node-1"));
        assert!(system_matches(
            &system,
            "/redfish/v1/Systems/abc",
            "00000000-0000-0000-0000-00000000000a"
        ));
        assert!(!system_matches(
            &system,
            "/redfish/v1/Systems/abc",
            "node-2"
        ));
    }
}
