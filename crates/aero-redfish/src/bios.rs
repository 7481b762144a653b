//! BIOS attributes through `@Redfish.Settings`.
//!
//! Current attributes are read from the system's `Bios` resource; changes are PATCHed as
//! `{"Attributes": {…}}` to the settings object the resource names (usually `Bios/Settings`)
//! with `If-Match`, and take effect at the next reset. A BMC without a settings object takes
//! the PATCH on the `Bios` resource itself.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::client::Resource;
use crate::error::RedfishError;
use crate::model::Bios;
use crate::system::RedfishSystem;

/// Current and pending BIOS attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct BiosSettings {
    /// Attribute registry.
    pub registry: Option<String>,
    /// Current attributes.
    pub attributes: Map<String, Value>,
    /// Pending attributes (the settings object), when the BMC has one.
    pub pending: Option<Map<String, Value>>,
    /// Where changes are written.
    pub settings_path: String,
    /// When pending settings can be applied (`OnReset`, …), as listed by the BMC.
    pub apply_times: Vec<String>,
}

/// What a BIOS change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiosUpdate {
    /// Where the attributes were written.
    pub settings_path: String,
    /// Names of the attributes written.
    pub attributes: Vec<String>,
    /// Whether they wait for the next reset (a settings object) or apply at once.
    pub applies_at_next_reset: bool,
}

impl RedfishSystem {
    async fn bios_resource(
        &self,
        deadline: &crate::client::Deadline,
    ) -> Result<Resource<Bios>, RedfishError> {
        let system = self.structure(deadline).await?;
        let bios_path = system
            .value
            .bios
            .as_ref()
            .map(|link| link.odata_id.clone())
            .ok_or_else(|| RedfishError::MissingLink {
                bmc: self.client().bmc().to_string(),
                resource: self.path().to_string(),
                link: "Bios".to_string(),
                hint: "the BMC exposes no BIOS settings for this system".to_string(),
            })?;
        self.client()
            .get(&bios_path, "BIOS settings", deadline)
            .await
    }

    /// Reads current and pending BIOS attributes.
    pub async fn bios(&self) -> Result<BiosSettings, RedfishError> {
        let deadline = self.deadline();
        let bios = self.bios_resource(&deadline).await?;
        let settings = bios.value.settings.clone();
        let settings_path = settings
            .as_ref()
            .and_then(|settings| settings.settings_object.as_ref())
            .map(|link| link.odata_id.clone());
        let pending = match &settings_path {
            Some(path) => {
                let pending: Resource<Bios> = self
                    .client()
                    .get(path, "pending BIOS settings", &deadline)
                    .await?;
                pending.value.attributes
            }
            None => None,
        };
        Ok(BiosSettings {
            registry: bios.value.attribute_registry,
            attributes: bios.value.attributes.unwrap_or_default(),
            pending,
            settings_path: settings_path.unwrap_or(bios.path),
            apply_times: settings
                .map(|settings| settings.supported_apply_times)
                .unwrap_or_default(),
        })
    }

    /// Writes BIOS attributes; they apply at the next reset when the BMC has a settings
    /// object.
    pub async fn set_bios_attributes(
        &self,
        attributes: Map<String, Value>,
    ) -> Result<BiosUpdate, RedfishError> {
        let deadline = self.deadline();
        let bios = self.bios_resource(&deadline).await?;
        let settings_path = bios
            .value
            .settings
            .as_ref()
            .and_then(|settings| settings.settings_object.as_ref())
            .map(|link| link.odata_id.clone());
        let (path, at_next_reset) = match settings_path {
            Some(path) => {
                // Read it for its ETag (If-Match on the PATCH).
                let _: Resource<Value> = self
                    .client()
                    .get(&path, "pending BIOS settings", &deadline)
                    .await?;
                (path, true)
            }
            None => (bios.path.clone(), false),
        };
        let names: Vec<String> = attributes.keys().cloned().collect();
        let body = json!({ "Attributes": Value::Object(attributes) });
        tracing::info!(bmc = self.client().bmc(), path = %path, attributes = ?names, "writing BIOS attributes");
        let response = self
            .client()
            .patch(&path, &body, &deadline)
            .await
            .map_err(|failure| RedfishError::SetBios {
                failure: Box::new(failure),
            })?;
        self.client()
            .finish_task(&Method::PATCH, &path, response, &deadline)
            .await?;
        Ok(BiosUpdate {
            settings_path: path,
            attributes: names,
            applies_at_next_reset: at_next_reset,
        })
    }
}
