//! Boot override: one-time or continuous boot from Cd, Pxe, Hdd, UefiHttp, with a boot mode.
//!
//! The PATCH body follows Ironic's rules: the target is always sent (checked against
//! `BootSourceOverrideTarget@Redfish.AllowableValues`); `BootSourceOverrideEnabled` only when
//! it differs from the current value (some BMCs reject an unchanged value) unless a quirk says
//! to always send it or to send the full set; the mode only when the BMC has the property.
//! Fields the system's `@Redfish.Settings` object carries are PATCHed there instead. A
//! refused `Continuous` falls back to `Once` (the outcome says so: the caller re-applies the
//! override at every boot). Every PATCH carries `If-Match`.
//!
//! Quirks switch the body (full set, always Enabled, `UsbCd` for `Cd`) or the whole method
//! (Dell: one-time virtual CD boot through `ImportSystemConfiguration`, an asynchronous job,
//! retried while iDRAC is busy). When the BMC applies a boot mode change only at the next
//! boot (Dell: a BIOS job), the mode is set first, on its own: PATCHed, the host rebooted,
//! the mode polled until it reads back, the power state restored; then the boot device is
//! set, so that the reboot cannot consume a one-time override (Ironic's order).

use std::str::FromStr;

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::client::{Deadline, Resource};
use crate::error::{ConvergeFailure, RedfishError, human_duration};
use crate::model::{Boot, ComputerSystem, Manager};
use crate::power::{PowerRequest, PowerState};
use crate::quirks::Quirks;
use crate::system::RedfishSystem;

/// A boot device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootTarget {
    /// Virtual or physical CD/DVD.
    Cd,
    /// Network (PXE).
    Pxe,
    /// Local disk.
    Hdd,
    /// UEFI HTTP boot.
    UefiHttp,
    /// BIOS/UEFI setup.
    BiosSetup,
    /// USB device.
    Usb,
    /// No override.
    None,
    /// Any other Redfish `BootSourceOverrideTarget` value.
    Other(String),
}

impl BootTarget {
    /// The Redfish spelling.
    pub fn as_str(&self) -> &str {
        match self {
            BootTarget::Cd => "Cd",
            BootTarget::Pxe => "Pxe",
            BootTarget::Hdd => "Hdd",
            BootTarget::UefiHttp => "UefiHttp",
            BootTarget::BiosSetup => "BiosSetup",
            BootTarget::Usb => "Usb",
            BootTarget::None => "None",
            BootTarget::Other(value) => value,
        }
    }
}

impl FromStr for BootTarget {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(match value.to_ascii_lowercase().as_str() {
            "cd" | "dvd" => BootTarget::Cd,
            "pxe" | "network" => BootTarget::Pxe,
            "hdd" | "disk" => BootTarget::Hdd,
            "uefihttp" | "http" => BootTarget::UefiHttp,
            "biossetup" | "bios" => BootTarget::BiosSetup,
            "usb" => BootTarget::Usb,
            "none" => BootTarget::None,
            "" => return Err("empty boot target".to_string()),
            _ => BootTarget::Other(value.to_string()),
        })
    }
}

/// How long an override lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootPersistence {
    /// Next boot only.
    Once,
    /// Every boot until changed.
    Continuous,
}

impl BootPersistence {
    /// The Redfish spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            BootPersistence::Once => "Once",
            BootPersistence::Continuous => "Continuous",
        }
    }
}

impl FromStr for BootPersistence {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "once" => Ok(BootPersistence::Once),
            "continuous" | "persistent" => Ok(BootPersistence::Continuous),
            other => Err(format!(
                "unknown boot persistence {other:?}; expected once or continuous"
            )),
        }
    }
}

/// Firmware boot mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootMode {
    /// UEFI.
    Uefi,
    /// Legacy BIOS.
    Legacy,
}

impl BootMode {
    /// The Redfish spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            BootMode::Uefi => "UEFI",
            BootMode::Legacy => "Legacy",
        }
    }
}

impl FromStr for BootMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "uefi" => Ok(BootMode::Uefi),
            "legacy" | "bios" => Ok(BootMode::Legacy),
            other => Err(format!(
                "unknown boot mode {other:?}; expected uefi or legacy"
            )),
        }
    }
}

/// A requested boot override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootOverride {
    /// Device.
    pub target: BootTarget,
    /// Once or continuous.
    pub persistence: BootPersistence,
    /// Boot mode, when it matters.
    pub mode: Option<BootMode>,
}

/// How the override was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootMethod {
    /// PATCH of these resources (the system, and its settings object when it has one).
    Patch(Vec<String>),
    /// Dell `ImportSystemConfiguration` job on this action target.
    DellSystemConfiguration(String),
}

/// What a boot override did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootOutcome {
    /// Target value sent (may be a vendor alias such as `UsbCd`).
    pub target: String,
    /// Persistence in effect.
    pub persistence: BootPersistence,
    /// Mode sent, if any.
    pub mode: Option<String>,
    /// `Continuous` was refused and `Once` applied instead: re-apply at every boot.
    pub fell_back_to_once: bool,
    /// How it was applied.
    pub method: BootMethod,
    /// Remarks for the operator (e.g. a mode the BMC cannot set).
    pub notes: Vec<String>,
}

/// The PATCH body for the `Boot` object, or the reason it cannot be built.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BootPatch {
    pub fields: Map<String, Value>,
    pub target: String,
    pub mode: Option<String>,
    pub notes: Vec<String>,
}

/// Builds the `Boot` fields to PATCH (pure).
pub(crate) fn boot_patch(
    request: &BootOverride,
    persistence: BootPersistence,
    boot: &Boot,
    quirks: &Quirks,
) -> Result<BootPatch, (String, String, Vec<String>)> {
    let mut notes = Vec::new();
    let allowed_targets = boot.target_allowed.as_deref();
    let mut target = request.target.as_str().to_string();
    if request.target == BootTarget::Cd
        && let Some(alias) = &quirks.cd_boot_target
        && allowed_targets.is_some_and(|allowed| allowed.iter().any(|value| value == alias))
    {
        notes.push(format!("{alias} used for Cd (vendor quirk)"));
        target = alias.clone();
    }
    if let Some(allowed) = allowed_targets
        && !allowed.iter().any(|value| value == &target)
    {
        return Err((
            "BootSourceOverrideTarget".to_string(),
            target,
            allowed.to_vec(),
        ));
    }
    let mut fields = Map::new();
    fields.insert("BootSourceOverrideTarget".to_string(), json!(target));
    let enabled = persistence.as_str();
    if quirks.boot_full_body
        || quirks.boot_always_send_enabled
        || boot.enabled.as_deref() != Some(enabled)
    {
        fields.insert("BootSourceOverrideEnabled".to_string(), json!(enabled));
    }
    let mut mode_sent = None;
    match request.mode {
        Some(mode) => {
            let mode = mode.as_str();
            if boot.mode.is_none() && !quirks.boot_full_body {
                notes.push(format!(
                    "the BMC has no BootSourceOverrideMode; boot mode {mode} left to the BIOS settings"
                ));
            } else {
                if let Some(allowed) = &boot.mode_allowed
                    && !allowed.iter().any(|value| value == mode)
                {
                    return Err((
                        "BootSourceOverrideMode".to_string(),
                        mode.to_string(),
                        allowed.clone(),
                    ));
                }
                if quirks.boot_full_body || boot.mode.as_deref() != Some(mode) {
                    fields.insert("BootSourceOverrideMode".to_string(), json!(mode));
                    mode_sent = Some(mode.to_string());
                }
            }
        }
        None if quirks.boot_full_body => {
            if let Some(current) = &boot.mode {
                fields.insert("BootSourceOverrideMode".to_string(), json!(current));
                mode_sent = Some(current.clone());
            }
        }
        None => {}
    }
    Ok(BootPatch {
        fields,
        target,
        mode: mode_sent,
        notes,
    })
}

/// The import buffer that makes iDRAC boot once from its virtual CD.
pub(crate) fn dell_boot_once_buffer(manager_id: &str) -> String {
    format!(
        "<SystemConfiguration><Component FQDD=\"{manager_id}\">\
         <Attribute Name=\"ServerBoot.1#BootOnce\">Enabled</Attribute>\
         <Attribute Name=\"ServerBoot.1#FirstBootDevice\">VCD-DVD</Attribute>\
         </Component></SystemConfiguration>"
    )
}

impl RedfishSystem {
    /// Sets the boot override.
    pub async fn set_boot_override(
        &self,
        request: &BootOverride,
    ) -> Result<BootOutcome, RedfishError> {
        let mut deadline = self.deadline();
        let quirks = self.quirks();
        let mut system = self.recent(&deadline).await?;
        let mut mode_notes = Vec::new();
        let mut mode_set_first = false;
        if let Some(mode) = request.mode
            && quirks.boot_mode_applies_at_reboot
            && let Some(current) = system
                .value
                .boot
                .as_ref()
                .and_then(|boot| boot.mode.as_deref())
            && current != mode.as_str()
        {
            mode_notes = self.apply_boot_mode_at_next_boot(&system, mode).await?;
            mode_set_first = true;
            // The mode step had its own budget; the rest starts afresh.
            deadline = self.deadline();
            system = self.fetch(&deadline).await?;
        }
        let mut outcome = self
            .set_boot_device(&system, request, &quirks, &deadline)
            .await?;
        if mode_set_first {
            outcome.mode = request.mode.map(|mode| mode.as_str().to_string());
            mode_notes.append(&mut outcome.notes);
            outcome.notes = mode_notes;
        }
        Ok(outcome)
    }

    /// Sets the boot device (and the mode, when it is still to change) by the method the
    /// quirks choose.
    async fn set_boot_device(
        &self,
        system: &Resource<ComputerSystem>,
        request: &BootOverride,
        quirks: &Quirks,
        deadline: &Deadline,
    ) -> Result<BootOutcome, RedfishError> {
        if quirks.boot_once_via_dell_scp
            && request.target == BootTarget::Cd
            && request.persistence == BootPersistence::Once
        {
            return self.dell_boot_once_from_virtual_cd(system, request).await;
        }
        let boot = system
            .value
            .boot
            .clone()
            .ok_or_else(|| RedfishError::MissingLink {
                bmc: self.client().bmc().to_string(),
                resource: system.path.clone(),
                link: "Boot".to_string(),
                hint: "the BMC offers no boot override for this system".to_string(),
            })?;
        match self
            .apply_boot(
                system,
                request,
                request.persistence,
                &boot,
                quirks,
                deadline,
            )
            .await
        {
            Err(RedfishError::SetBootOverride { failure, .. })
                if request.persistence == BootPersistence::Continuous
                    && failure
                        .status()
                        .is_some_and(|status| (400..500).contains(&status)) =>
            {
                tracing::warn!(
                    bmc = self.client().bmc(),
                    error = %failure,
                    "continuous boot override refused, falling back to once"
                );
                let system = self.fetch(deadline).await?;
                let boot = system.value.boot.clone().unwrap_or(boot);
                let mut outcome = self
                    .apply_boot(
                        &system,
                        request,
                        BootPersistence::Once,
                        &boot,
                        quirks,
                        deadline,
                    )
                    .await?;
                outcome.fell_back_to_once = true;
                outcome
                    .notes
                    .push("Continuous was refused; Once applied: set the override again before every boot".to_string());
                Ok(outcome)
            }
            other => other,
        }
    }

    async fn apply_boot(
        &self,
        system: &Resource<ComputerSystem>,
        request: &BootOverride,
        persistence: BootPersistence,
        boot: &Boot,
        quirks: &Quirks,
        deadline: &Deadline,
    ) -> Result<BootOutcome, RedfishError> {
        let patch = boot_patch(request, persistence, boot, quirks).map_err(
            |(property, value, allowed)| RedfishError::NotAllowed {
                bmc: self.client().bmc().to_string(),
                path: system.path.clone(),
                property,
                value,
                allowed: allowed.join(", "),
            },
        )?;
        // Fields present in the pending-settings object's Boot go there (Ironic's rule).
        let mut system_fields = patch.fields.clone();
        let mut settings_fields = Map::new();
        let settings_path = system
            .value
            .settings
            .as_ref()
            .and_then(|settings| settings.settings_object.as_ref())
            .map(|link| link.odata_id.clone());
        if let Some(settings_path) = &settings_path {
            let settings: Resource<Value> = self
                .client()
                .get(settings_path, "system settings", deadline)
                .await?;
            if let Some(settings_boot) = settings.raw.get("Boot").and_then(Value::as_object) {
                for name in patch.fields.keys() {
                    if settings_boot.contains_key(name)
                        && let Some(value) = system_fields.remove(name)
                    {
                        settings_fields.insert(name.clone(), value);
                    }
                }
            }
        }
        let mut patched = Vec::new();
        for (path, fields) in [
            (Some(system.path.clone()), system_fields),
            (settings_path, settings_fields),
        ] {
            let Some(path) = path else { continue };
            if fields.is_empty() {
                continue;
            }
            let body = json!({ "Boot": Value::Object(fields) });
            tracing::info!(bmc = self.client().bmc(), path = %path, body = %body, "setting boot override");
            let response =
                self.client()
                    .patch(&path, &body, deadline)
                    .await
                    .map_err(|failure| RedfishError::SetBootOverride {
                        target: patch.target.clone(),
                        failure: Box::new(failure),
                    })?;
            self.client()
                .finish_task(&Method::PATCH, &path, response, deadline)
                .await?;
            patched.push(path);
        }
        Ok(BootOutcome {
            target: patch.target,
            persistence,
            mode: patch.mode,
            fell_back_to_once: false,
            method: BootMethod::Patch(patched),
            notes: patch.notes,
        })
    }

    /// Sets a boot mode that the BMC applies only at the next boot: PATCH it alone; when it
    /// does not read back, reboot, poll until it does (within
    /// [`crate::config::Timing::boot_mode_apply_timeout`]), and power the host off again if
    /// it was off. Returns notes for the operator.
    async fn apply_boot_mode_at_next_boot(
        &self,
        system: &Resource<ComputerSystem>,
        mode: BootMode,
    ) -> Result<Vec<String>, RedfishError> {
        let deadline = self.deadline();
        let wanted = mode.as_str();
        if let Some(allowed) = system
            .value
            .boot
            .as_ref()
            .and_then(|boot| boot.mode_allowed.as_ref())
            && !allowed.iter().any(|value| value == wanted)
        {
            return Err(RedfishError::NotAllowed {
                bmc: self.client().bmc().to_string(),
                path: system.path.clone(),
                property: "BootSourceOverrideMode".to_string(),
                value: wanted.to_string(),
                allowed: allowed.join(", "),
            });
        }
        let body = json!({"Boot": {"BootSourceOverrideMode": wanted}});
        tracing::info!(bmc = self.client().bmc(), path = %system.path, mode = wanted, "setting the boot mode");
        let response = self
            .client()
            .patch(&system.path, &body, &deadline)
            .await
            .map_err(|failure| RedfishError::SetBootOverride {
                target: format!("boot mode {wanted}"),
                failure: Box::new(failure),
            })?;
        self.client()
            .finish_task(&Method::PATCH, &system.path, response, &deadline)
            .await?;
        let current = self.fetch(&deadline).await?;
        let mode_of = |resource: &Resource<ComputerSystem>| {
            resource
                .value
                .boot
                .as_ref()
                .and_then(|boot| boot.mode.clone())
        };
        if mode_of(&current).as_deref() == Some(wanted) {
            return Ok(Vec::new());
        }
        let before = PowerState::parse(current.value.power_state.as_deref());
        tracing::info!(
            bmc = self.client().bmc(),
            mode = wanted,
            "the boot mode applies at the next boot, rebooting the host"
        );
        self.set_power(PowerRequest::Restart).await?;
        let wait = Deadline::after(self.client().timing().boot_mode_apply_timeout);
        let poll_interval = self.client().timing().poll_interval;
        let mut observed = mode_of(&current);
        while observed.as_deref() != Some(wanted) {
            if !self.client().pause(poll_interval, &wait).await {
                return Err(RedfishError::Converge(Box::new(ConvergeFailure {
                    bmc: self.client().bmc().to_string(),
                    path: system.path.clone(),
                    property: "Boot/BootSourceOverrideMode".to_string(),
                    expected: wanted.to_string(),
                    observed: observed.unwrap_or_else(|| "absent".to_string()),
                    waited: wait.elapsed(),
                })));
            }
            observed = mode_of(&self.fetch(&wait).await?);
        }
        let mut notes = vec![format!(
            "boot mode {wanted} applies at boot on this BMC: host rebooted, mode read back after {}",
            human_duration(wait.elapsed())
        )];
        if before == PowerState::Off {
            self.set_power(PowerRequest::ForceOff).await?;
            notes.push("host powered off again, as it was before the reboot".to_string());
        }
        Ok(notes)
    }

    /// Dell iDRAC: one-time boot from the virtual CD through a configuration import job.
    async fn dell_boot_once_from_virtual_cd(
        &self,
        system: &Resource<ComputerSystem>,
        request: &BootOverride,
    ) -> Result<BootOutcome, RedfishError> {
        let deadline = self.deadline();
        let action = "ImportSystemConfiguration";
        let manager_link = system
            .value
            .links
            .as_ref()
            .and_then(|links| links.managed_by.first())
            .map(|link| link.odata_id.clone())
            .ok_or_else(|| RedfishError::MissingLink {
                bmc: self.client().bmc().to_string(),
                resource: system.path.clone(),
                link: "Links/ManagedBy".to_string(),
                hint: "the iDRAC manager is needed for a one-time virtual CD boot".to_string(),
            })?;
        let manager: Resource<Manager> = self
            .client()
            .get(&manager_link, "manager", &deadline)
            .await?;
        let target =
            manager
                .value
                .oem_action_target(action)
                .ok_or_else(|| RedfishError::MissingLink {
                    bmc: self.client().bmc().to_string(),
                    resource: manager.path.clone(),
                    link: format!("Actions/Oem/#…{action}"),
                    hint: "this iDRAC firmware cannot import a system configuration".to_string(),
                })?;
        let manager_id = manager
            .value
            .id
            .clone()
            .unwrap_or_else(|| "iDRAC.Embedded.1".to_string());
        let body = json!({
            "ShareParameters": {"Target": ["ALL"]},
            "ImportBuffer": dell_boot_once_buffer(&manager_id),
        });
        tracing::info!(bmc = self.client().bmc(), target = %target, "one-time virtual CD boot through a system configuration import");
        let mut notes = self.run_configuration_job(action, &target, &body).await?;
        notes.insert(
            0,
            "iDRAC: BootOnce from VCD-DVD set through ImportSystemConfiguration".to_string(),
        );
        // The mode is in place when the BMC reports it (set_boot_override set it first);
        // otherwise the BMC has no override mode and the BIOS settings decide.
        let current_mode = system
            .value
            .boot
            .as_ref()
            .and_then(|boot| boot.mode.clone());
        let mut mode = None;
        if let Some(wanted) = request.mode {
            if current_mode.as_deref() == Some(wanted.as_str()) {
                mode = current_mode;
            } else {
                notes.push(format!(
                    "boot mode {} left to the BIOS settings on iDRAC",
                    wanted.as_str()
                ));
            }
        }
        Ok(BootOutcome {
            target: "VCD-DVD".to_string(),
            persistence: BootPersistence::Once,
            mode,
            fell_back_to_once: false,
            method: BootMethod::DellSystemConfiguration(target),
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(json: Value) -> Boot {
        serde_json::from_value(json).expect("boot")
    }

    fn request(
        target: BootTarget,
        persistence: BootPersistence,
        mode: Option<BootMode>,
    ) -> BootOverride {
        BootOverride {
            target,
            persistence,
            mode,
        }
    }

    #[track_caller]
    fn check(request: &BootOverride, boot: &Boot, quirks: &Quirks, expected: Value) {
        let patch = boot_patch(request, request.persistence, boot, quirks).expect("patch");
        assert_eq!(Value::Object(patch.fields), expected);
    }

    fn emulator_boot() -> Boot {
        boot(json!({
            "BootSourceOverrideEnabled": "Continuous",
            "BootSourceOverrideTarget": "Hdd",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["Pxe", "Cd", "Hdd", "UefiHttp"],
            "BootSourceOverrideMode": "UEFI",
            "HttpBootUri": "None"
        }))
    }

    #[test]
    fn enabled_and_mode_only_when_they_change() {
        let quirks = Quirks::default();
        check(
            &request(BootTarget::Cd, BootPersistence::Once, Some(BootMode::Uefi)),
            &emulator_boot(),
            &quirks,
            json!({"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Once"}),
        );
        check(
            &request(
                BootTarget::Pxe,
                BootPersistence::Continuous,
                Some(BootMode::Legacy),
            ),
            &emulator_boot(),
            &quirks,
            json!({"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideMode": "Legacy"}),
        );
    }

    #[test]
    fn quirks_change_the_body() {
        let full = Quirks {
            boot_full_body: true,
            ..Quirks::default()
        };
        check(
            &request(BootTarget::Pxe, BootPersistence::Continuous, None),
            &emulator_boot(),
            &full,
            json!({"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Continuous", "BootSourceOverrideMode": "UEFI"}),
        );
        let supermicro = Quirks {
            boot_always_send_enabled: true,
            cd_boot_target: Some("UsbCd".to_string()),
            ..Quirks::default()
        };
        let supermicro_boot = boot(json!({
            "BootSourceOverrideEnabled": "Once",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Hdd", "Cd", "UsbCd", "UefiCd"]
        }));
        check(
            &request(BootTarget::Cd, BootPersistence::Once, None),
            &supermicro_boot,
            &supermicro,
            json!({"BootSourceOverrideTarget": "UsbCd", "BootSourceOverrideEnabled": "Once"}),
        );
        // Without UsbCd in the allowed values, Cd stays Cd.
        check(
            &request(BootTarget::Cd, BootPersistence::Once, None),
            &emulator_boot(),
            &supermicro,
            json!({"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Once"}),
        );
    }

    #[test]
    fn missing_mode_is_noted_and_bad_values_refused() {
        let no_mode =
            boot(json!({"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Pxe"}));
        let patch = boot_patch(
            &request(BootTarget::Cd, BootPersistence::Once, Some(BootMode::Uefi)),
            BootPersistence::Once,
            &no_mode,
            &Quirks::default(),
        )
        .expect("patch");
        assert!(
            patch.notes[0].contains("no BootSourceOverrideMode"),
            "{:?}",
            patch.notes
        );
        assert_eq!(patch.mode, None);
        let refused = boot_patch(
            &request(
                BootTarget::Other("Floppy42".to_string()),
                BootPersistence::Once,
                None,
            ),
            BootPersistence::Once,
            &emulator_boot(),
            &Quirks::default(),
        )
        .unwrap_err();
        assert_eq!(refused.0, "BootSourceOverrideTarget");
        assert_eq!(refused.1, "Floppy42");
    }

    #[test]
    fn values_parse() {
        assert_eq!("cd".parse::<BootTarget>(), Ok(BootTarget::Cd));
        assert_eq!("UefiHttp".parse::<BootTarget>(), Ok(BootTarget::UefiHttp));
        assert_eq!(
            "SDCard".parse::<BootTarget>(),
            Ok(BootTarget::Other("SDCard".to_string()))
        );
        assert_eq!(
            "continuous".parse::<BootPersistence>(),
            Ok(BootPersistence::Continuous)
        );
        assert_eq!("UEFI".parse::<BootMode>(), Ok(BootMode::Uefi));
        assert!(dell_boot_once_buffer("iDRAC.Embedded.1").contains("VCD-DVD"));
    }
}
