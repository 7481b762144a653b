//! The BMC port over Redfish: [`aero_bmc::Bmc`] for [`RedfishSystem`], [`RedfishConnector`]
//! for [`aero_bmc::BmcConnector`], and the mapping of types and errors between them.
//!
//! Errors: a [`RedfishError`] becomes the [`BmcError`] that says what it means for a step
//! (see [`port_error`]), with the Redfish error (request, status, the BMC's message) as its
//! source. [`RedfishError`]'s own [`Classify`] reads the same table, so the CLI and the
//! engine classify a failure alike whichever type they hold:
//!
//! | Redfish | port | class |
//! |---|---|---|
//! | no answer (connection, timeout, cut-off body) after retries | `Unreachable` | transient |
//! | TLS handshake or certificate refused | `TlsRefused` | permanent |
//! | 401, 403 | `CredentialsRefused` | permanent |
//! | 404, 405, 501; a missing link or action; no usable slot | `NotSupported` | not found |
//! | 409, 429, other 5xx (after retries); a job still refused as busy | `Unavailable` | transient |
//! | other 4xx | `Rejected` | permanent |
//! | a state or task that did not converge in time | `NotConverged` | transient |
//! | a value not in the allowed values | `NotAllowed` | permanent |
//! | bad endpoint, CA file or fingerprint; several systems, none chosen | `InvalidSettings` | invalid input |
//! | unknown system, unknown slot | `SystemNotFound`, `SlotNotFound` | not found |
//! | slot holds another image | `SlotOccupied` | conflict |
//! | undecodable answer, failed job, anything else | `Failed` | permanent |

use std::sync::Arc;
use std::time::SystemTime;

use aero_bmc::{
    Bmc, BmcConnector, BmcError, BmcTarget, BootApplied, BootSettings, BoxError, Cause, Inventory,
    LogEntry, LogOrigin, MacAddress, MediaSlot, MediaType, Nic, PowerAction, PowerRequested,
    Severity, TlsBackend, TlsTrust,
};
use aero_error::{Classify, ErrorClass};

use crate::auth::{AuthMode, Credentials};
use crate::boot::{BootMethod, BootMode, BootOverride, BootPersistence, BootTarget};
use crate::client::BmcClient;
use crate::config::{BmcConfig, Timing, parse_endpoint};
use crate::discovery::last_segment;
use crate::error::{Answer, RedfishError, TransportFailureKind};
use crate::inventory::{BootInfo, SystemSummary};
use crate::logs::{LogRecord, LogSource};
use crate::power::{PowerRequest, PowerState};
use crate::quirks::QuirkTable;
use crate::retry::RetryPolicy;
use crate::system::RedfishSystem;
use crate::transport::{Sha256Fingerprint, TlsConfig, TlsVerification, display_base};
use crate::vmedia::{MediaControl, cd_slots};

/// Opens Redfish systems for [`BmcTarget`]s, with these client settings for every BMC
/// (default: the defaults of [`BmcConfig::new`], built-in quirks).
#[derive(Debug, Clone, Default)]
pub struct RedfishConnector {
    /// Authentication mode.
    pub auth: AuthMode,
    /// Timeouts and polling.
    pub timing: Timing,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Vendor quirks.
    pub quirks: QuirkTable,
}

impl RedfishConnector {
    /// A connector with the default client settings.
    pub fn new() -> Self {
        RedfishConnector::default()
    }

    /// The client configuration for `target`.
    pub fn config_for(&self, target: &BmcTarget) -> Result<BmcConfig, BmcError> {
        let endpoint = parse_endpoint(&target.endpoint).map_err(|error| {
            let bmc = match &error {
                // The endpoint as given, with any `user:password@` masked.
                RedfishError::InvalidEndpoint { endpoint, .. } => endpoint.clone(),
                _ => String::new(),
            };
            port_error(error, &bmc, "reading the BMC settings")
        })?;
        let verification = match &target.tls {
            TlsTrust::SystemRoots => TlsVerification::SystemRoots,
            TlsTrust::CaPem(pem) => TlsVerification::CaPem(pem.clone()),
            TlsTrust::Fingerprint(fingerprint) => {
                TlsVerification::Fingerprint(Sha256Fingerprint(fingerprint.0))
            }
            TlsTrust::Insecure => TlsVerification::Insecure,
        };
        let backend = match target.tls_backend {
            TlsBackend::Rustls => crate::transport::TlsBackend::Rustls,
            TlsBackend::OpenSsl => crate::transport::TlsBackend::OpenSsl,
        };
        Ok(BmcConfig {
            endpoint,
            credentials: Credentials::new(
                target.credentials.username.clone(),
                target.credentials.password.expose(),
            ),
            tls: TlsConfig {
                backend,
                verification,
            },
            auth: self.auth,
            timing: self.timing.clone(),
            retry: self.retry.clone(),
            quirks: self.quirks.clone(),
        })
    }
}

#[async_trait::async_trait]
impl BmcConnector for RedfishConnector {
    async fn connect(&self, target: &BmcTarget) -> Result<Arc<dyn Bmc>, BmcError> {
        let config = self.config_for(target)?;
        let bmc = display_base(&config.endpoint);
        let client = BmcClient::connect(config)
            .await
            .map_err(|error| port_error(error, &bmc, "connecting"))?;
        match client.system(target.system.as_deref()).await {
            Ok(system) => Ok(Arc::new(system)),
            Err(error) => {
                if let Err(logout) = client.close().await {
                    tracing::debug!(bmc, error = %logout, "logging out after a failed connection failed");
                }
                Err(port_error(error, &bmc, "opening the system"))
            }
        }
    }
}

/// Which [`BmcError`] a [`RedfishError`] becomes (without its source), so that the
/// conversion and [`Classify`] read one table.
enum Plan {
    InvalidSettings {
        reason: String,
        keep_source: bool,
    },
    Unreachable,
    Unavailable {
        status: Option<u16>,
    },
    TlsRefused,
    CredentialsRefused {
        status: u16,
    },
    NotSupported {
        what: String,
    },
    SystemNotFound {
        wanted: String,
        available: String,
    },
    SlotNotFound {
        slot: String,
        available: String,
    },
    SlotOccupied {
        slot: String,
        image: String,
    },
    NotAllowed {
        property: String,
        value: String,
        allowed: String,
    },
    Rejected {
        status: u16,
    },
    NotConverged {
        expected: String,
        observed: String,
        waited: std::time::Duration,
    },
    Failed,
}

fn plan(error: &RedfishError) -> Plan {
    if let Some(failure) = error.request_failure() {
        return match &failure.answer {
            Answer::Transport { kind, .. } => match kind {
                TransportFailureKind::Tls => Plan::TlsRefused,
                TransportFailureKind::Connect
                | TransportFailureKind::Timeout
                | TransportFailureKind::Body => Plan::Unreachable,
                TransportFailureKind::Other => Plan::Failed,
            },
            Answer::Status { status, .. } => match *status {
                401 | 403 => Plan::CredentialsRefused { status: *status },
                404 | 405 | 501 => Plan::NotSupported {
                    what: format!("{} {}", failure.method, failure.path),
                },
                409 | 429 | 500..=599 => Plan::Unavailable {
                    status: Some(*status),
                },
                status => Plan::Rejected { status },
            },
        };
    }
    match error {
        RedfishError::InvalidEndpoint { reason, .. } => Plan::InvalidSettings {
            reason: reason.clone(),
            keep_source: false,
        },
        RedfishError::ReadCaBundle { .. }
        | RedfishError::ParseCaBundle { .. }
        | RedfishError::InvalidFingerprint { .. } => Plan::InvalidSettings {
            reason: "the TLS trust settings cannot be used".to_string(),
            keep_source: true,
        },
        RedfishError::AmbiguousSystem {
            count, available, ..
        } => Plan::InvalidSettings {
            reason: format!("the BMC has {count} systems ({available}); choose one by its id"),
            keep_source: false,
        },
        RedfishError::SystemNotFound {
            wanted, available, ..
        } => Plan::SystemNotFound {
            wanted: wanted.clone(),
            available: available.clone(),
        },
        RedfishError::SlotNotFound {
            slot, available, ..
        } => Plan::SlotNotFound {
            slot: slot.clone(),
            available: available.clone(),
        },
        RedfishError::SlotOccupied { slot, image, .. } => Plan::SlotOccupied {
            slot: last_segment(slot),
            image: image.clone(),
        },
        RedfishError::NotAllowed {
            property,
            value,
            allowed,
            ..
        } => Plan::NotAllowed {
            property: property.clone(),
            value: value.clone(),
            allowed: allowed.clone(),
        },
        RedfishError::MissingLink { link, .. } => Plan::NotSupported { what: link.clone() },
        RedfishError::NoVirtualMediaSlot { .. } => Plan::NotSupported {
            what: "this virtual media operation".to_string(),
        },
        RedfishError::Converge(failure) => Plan::NotConverged {
            expected: format!("{} {}", failure.property, failure.expected),
            observed: failure.observed.clone(),
            waited: failure.waited,
        },
        RedfishError::TaskTimeout { state, waited, .. } => Plan::NotConverged {
            expected: "a completed task".to_string(),
            observed: state.clone(),
            waited: *waited,
        },
        RedfishError::StillBusy { last, .. } => Plan::Unavailable {
            status: last.request_failure().and_then(|failure| failure.status()),
        },
        _ => Plan::Failed,
    }
}

fn build(plan: Plan, bmc: &str, operation: &str, source: BoxError) -> BmcError {
    let bmc = bmc.to_string();
    let operation = operation.to_string();
    match plan {
        Plan::InvalidSettings {
            reason,
            keep_source,
        } => BmcError::InvalidSettings {
            bmc,
            reason,
            source: keep_source.then_some(source),
        },
        Plan::Unreachable => BmcError::Unreachable {
            bmc,
            operation,
            source,
        },
        Plan::Unavailable { status } => BmcError::Unavailable {
            bmc,
            operation,
            status,
            source,
        },
        Plan::TlsRefused => BmcError::TlsRefused {
            bmc,
            operation,
            source,
        },
        Plan::CredentialsRefused { status } => BmcError::CredentialsRefused {
            bmc,
            operation,
            status,
            source,
        },
        Plan::NotSupported { what } => BmcError::NotSupported {
            bmc,
            operation,
            what,
            source: Some(source),
        },
        Plan::SystemNotFound { wanted, available } => BmcError::SystemNotFound {
            bmc,
            wanted,
            available,
        },
        Plan::SlotNotFound { slot, available } => BmcError::SlotNotFound {
            bmc,
            slot,
            available,
        },
        Plan::SlotOccupied { slot, image } => BmcError::SlotOccupied { bmc, slot, image },
        Plan::NotAllowed {
            property,
            value,
            allowed,
        } => BmcError::NotAllowed {
            bmc,
            operation,
            property,
            value,
            allowed,
        },
        Plan::Rejected { status } => BmcError::Rejected {
            bmc,
            operation,
            status,
            source,
        },
        Plan::NotConverged {
            expected,
            observed,
            waited,
        } => BmcError::NotConverged {
            bmc,
            operation,
            expected,
            observed,
            waited,
        },
        Plan::Failed => BmcError::Failed {
            bmc,
            operation,
            source,
        },
    }
}

/// The port error for a Redfish error of `operation` on `bmc`; the Redfish error is its
/// source (see the module documentation for the table).
pub fn port_error(error: RedfishError, bmc: &str, operation: &str) -> BmcError {
    let plan = plan(&error);
    build(plan, bmc, operation, Box::new(error))
}

impl Classify for RedfishError {
    fn class(&self) -> ErrorClass {
        build(plan(self), "", "", Cause::boxed("")).class()
    }
}

/// The neutral power state.
pub fn port_power_state(state: PowerState) -> aero_bmc::PowerState {
    match state {
        PowerState::On => aero_bmc::PowerState::On,
        PowerState::Off => aero_bmc::PowerState::Off,
        PowerState::PoweringOn => aero_bmc::PowerState::PoweringOn,
        PowerState::PoweringOff => aero_bmc::PowerState::PoweringOff,
        PowerState::Paused => aero_bmc::PowerState::Other("Paused".to_string()),
        PowerState::Unknown(other) => aero_bmc::PowerState::Other(other),
    }
}

fn power_request(action: PowerAction) -> PowerRequest {
    match action {
        PowerAction::On => PowerRequest::On,
        PowerAction::Off => PowerRequest::Off,
        PowerAction::ForceOff => PowerRequest::ForceOff,
        PowerAction::Restart => PowerRequest::Restart,
    }
}

fn port_boot_mode(mode: &str) -> Option<aero_bmc::BootMode> {
    mode.parse().ok()
}

/// The neutral boot settings of a Redfish `Boot` object.
pub fn port_boot_settings(boot: &BootInfo) -> BootSettings {
    BootSettings {
        target: boot.target.as_deref().map(aero_bmc::BootTarget::from_name),
        persistence: boot
            .persistence
            .as_deref()
            .and_then(|persistence| persistence.parse().ok()),
        mode: boot.mode.as_deref().and_then(port_boot_mode),
        allowed_targets: boot
            .allowed_targets
            .iter()
            .map(|target| aero_bmc::BootTarget::from_name(target))
            .collect(),
        allowed_modes: boot
            .allowed_modes
            .iter()
            .filter_map(|mode| port_boot_mode(mode))
            .collect(),
    }
}

fn boot_override(request: &aero_bmc::BootOverride) -> BootOverride {
    let target = match &request.target {
        aero_bmc::BootTarget::Cd => BootTarget::Cd,
        aero_bmc::BootTarget::Pxe => BootTarget::Pxe,
        aero_bmc::BootTarget::Hdd => BootTarget::Hdd,
        aero_bmc::BootTarget::UefiHttp => BootTarget::UefiHttp,
        aero_bmc::BootTarget::BiosSetup => BootTarget::BiosSetup,
        aero_bmc::BootTarget::Usb => BootTarget::Usb,
        aero_bmc::BootTarget::None => BootTarget::None,
        aero_bmc::BootTarget::Other(value) => BootTarget::Other(value.clone()),
    };
    BootOverride {
        target,
        persistence: match request.persistence {
            aero_bmc::BootPersistence::Once => BootPersistence::Once,
            aero_bmc::BootPersistence::Continuous => BootPersistence::Continuous,
        },
        mode: request.mode.map(|mode| match mode {
            aero_bmc::BootMode::Uefi => BootMode::Uefi,
            aero_bmc::BootMode::Legacy => BootMode::Legacy,
        }),
    }
}

/// The neutral slot of a Redfish slot.
fn port_slot(slot: &crate::vmedia::MediaSlot, boots_cd: bool) -> MediaSlot {
    MediaSlot {
        id: slot.id.clone(),
        name: slot.name.clone(),
        media_types: slot
            .media_types
            .iter()
            .map(|name| MediaType::from_name(name))
            .collect(),
        image: slot.image.clone().or_else(|| slot.image_name.clone()),
        inserted: slot.has_media(),
        write_protected: slot.write_protected,
        can_insert: slot.insert != MediaControl::Unsupported,
        boots_cd,
    }
}

/// The neutral slots of Redfish slots; `boot_slots` are the ids a CD boots from (the quirk
/// table's `virtual_media_slots`), any CD slot when `None`.
pub fn port_slots(
    slots: &[crate::vmedia::MediaSlot],
    boot_slots: Option<&[String]>,
) -> Vec<MediaSlot> {
    let bootable: Vec<&str> = cd_slots(slots, boot_slots)
        .into_iter()
        .map(|slot| slot.id.as_str())
        .collect();
    slots
        .iter()
        .map(|slot| port_slot(slot, bootable.contains(&slot.id.as_str())))
        .collect()
}

/// The neutral inventory of a system summary.
pub fn port_inventory(summary: SystemSummary) -> Inventory {
    let mut warnings = summary.warnings;
    let mut mac = |nic: &str, value: Option<&String>| -> Option<MacAddress> {
        let value = value.filter(|value| !value.trim().is_empty())?;
        match value.parse() {
            Ok(mac) => Some(mac),
            Err(error) => {
                warnings.push(format!("ethernet interface {nic}: {error}"));
                None
            }
        }
    };
    let nics = summary
        .nics
        .iter()
        .map(|nic| Nic {
            id: nic.id.clone(),
            mac: mac(&nic.id, nic.mac_address.as_ref()),
            permanent_mac: mac(&nic.id, nic.permanent_mac_address.as_ref()),
            link_up: nic.link_status.as_deref().map(|status| status == "LinkUp"),
        })
        .collect();
    Inventory {
        system_id: summary.system_id,
        manufacturer: summary.manufacturer,
        model: summary.model,
        serial_number: summary.serial_number,
        uuid: summary.uuid,
        power_state: port_power_state(summary.power_state),
        nics,
        boot: port_boot_settings(&summary.boot),
        bios_version: summary.bios_version,
        bmc_firmware: summary.bmc_firmware,
        warnings,
    }
}

/// The neutral log entry of a Redfish log record.
pub fn port_log_entry(record: LogRecord) -> LogEntry {
    LogEntry {
        id: record.id,
        created: record.created,
        severity: match record.severity.as_deref() {
            Some("OK") => Severity::Ok,
            Some("Warning") => Severity::Warning,
            Some("Critical") => Severity::Critical,
            _ => Severity::Unknown,
        },
        message: record.message,
        message_id: record.message_id,
        origin: match record.source {
            LogSource::System => LogOrigin::System,
            LogSource::Manager => LogOrigin::Manager,
        },
        log: record.service,
    }
}

impl RedfishSystem {
    fn port_error(&self, error: RedfishError, operation: &str) -> BmcError {
        port_error(error, self.client().bmc(), operation)
    }

    fn port_slots_of(&self, slots: &[crate::vmedia::MediaSlot]) -> Vec<MediaSlot> {
        let quirks = self.quirks();
        port_slots(slots, quirks.virtual_media_slots.as_deref())
    }

    /// The neutral slot of one slot (whether it boots CDs by the quirk table).
    fn port_slot_of(&self, slot: &crate::vmedia::MediaSlot) -> MediaSlot {
        let quirks = self.quirks();
        port_slots(
            std::slice::from_ref(slot),
            quirks.virtual_media_slots.as_deref(),
        )
        .pop()
        .unwrap_or_else(|| port_slot(slot, false))
    }
}

#[async_trait::async_trait]
impl Bmc for RedfishSystem {
    fn endpoint(&self) -> &str {
        self.client().bmc()
    }

    fn system_id(&self) -> &str {
        self.id()
    }

    async fn inventory(&self) -> Result<Inventory, BmcError> {
        let summary = RedfishSystem::summary(self)
            .await
            .map_err(|error| self.port_error(error, "reading the inventory"))?;
        Ok(port_inventory(summary))
    }

    async fn power_state(&self) -> Result<aero_bmc::PowerState, BmcError> {
        RedfishSystem::power_state(self)
            .await
            .map(port_power_state)
            .map_err(|error| self.port_error(error, "reading the power state"))
    }

    async fn request_power(&self, action: PowerAction) -> Result<PowerRequested, BmcError> {
        let outcome = RedfishSystem::request_power(self, power_request(action))
            .await
            .map_err(|error| self.port_error(error, &format!("power request {action}")))?;
        Ok(PowerRequested {
            before: port_power_state(outcome.before),
            sent: outcome.reset_type,
        })
    }

    async fn set_power_and_wait(
        &self,
        action: PowerAction,
    ) -> Result<aero_bmc::PowerState, BmcError> {
        let outcome = RedfishSystem::set_power(self, power_request(action))
            .await
            .map_err(|error| self.port_error(error, &format!("power {action}")))?;
        Ok(port_power_state(outcome.after))
    }

    async fn boot_override(&self) -> Result<BootSettings, BmcError> {
        let boot = RedfishSystem::boot_settings(self)
            .await
            .map_err(|error| self.port_error(error, "reading the boot override"))?;
        Ok(port_boot_settings(&boot))
    }

    async fn set_boot_override(
        &self,
        request: &aero_bmc::BootOverride,
    ) -> Result<BootApplied, BmcError> {
        let operation = format!(
            "setting the boot override to {} ({})",
            request.target, request.persistence
        );
        let outcome = RedfishSystem::set_boot_override(self, &boot_override(request))
            .await
            .map_err(|error| self.port_error(error, &operation))?;
        Ok(BootApplied {
            target: outcome.target,
            persistence: match outcome.persistence {
                BootPersistence::Once => aero_bmc::BootPersistence::Once,
                BootPersistence::Continuous => aero_bmc::BootPersistence::Continuous,
            },
            mode: outcome.mode.as_deref().and_then(port_boot_mode),
            fell_back_to_once: outcome.fell_back_to_once,
            reads_back: matches!(outcome.method, BootMethod::Patch(_)),
            notes: outcome.notes,
        })
    }

    async fn media_slots(&self) -> Result<Vec<MediaSlot>, BmcError> {
        let slots = RedfishSystem::media_status(self)
            .await
            .map_err(|error| self.port_error(error, "listing the virtual media slots"))?;
        Ok(self.port_slots_of(&slots))
    }

    async fn insert_media(&self, slot: &str, image_url: &str) -> Result<MediaSlot, BmcError> {
        let inserted = RedfishSystem::insert_media_into(self, slot, image_url)
            .await
            .map_err(|error| {
                self.port_error(
                    error,
                    &format!("inserting {image_url} into virtual media slot {slot}"),
                )
            })?;
        Ok(self.port_slot_of(&inserted))
    }

    async fn eject_media(&self, slot: &str) -> Result<MediaSlot, BmcError> {
        let ejected = RedfishSystem::eject_media_from(self, slot)
            .await
            .map_err(|error| {
                self.port_error(error, &format!("ejecting virtual media slot {slot}"))
            })?;
        Ok(self.port_slot_of(&ejected))
    }

    async fn log_entries(&self, since: SystemTime) -> Result<Vec<LogEntry>, BmcError> {
        let records = RedfishSystem::log_entries(self, since)
            .await
            .map_err(|error| self.port_error(error, "reading the BMC logs"))?;
        Ok(records.into_iter().map(port_log_entry).collect())
    }

    async fn close(&self) -> Result<(), BmcError> {
        self.client()
            .close()
            .await
            .map_err(|error| self.port_error(error, "logging out"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ConvergeFailure, GaveUp, RequestFailure};
    use std::time::{Duration, UNIX_EPOCH};

    fn failure(answer: Answer) -> Box<RequestFailure> {
        Box::new(RequestFailure {
            bmc: "https://10.0.0.5:443".to_string(),
            method: "POST".to_string(),
            path: "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset".to_string(),
            answer,
            attempts: 3,
            gave_up: GaveUp::RetriesExhausted,
        })
    }

    fn status(status: u16) -> RedfishError {
        RedfishError::Reset {
            reset_type: "On".to_string(),
            failure: failure(Answer::Status {
                status,
                message: "the BMC says no".to_string(),
                message_ids: vec![],
            }),
        }
    }

    fn transport(kind: TransportFailureKind) -> RedfishError {
        RedfishError::Read {
            what: "system".to_string(),
            failure: failure(Answer::Transport {
                kind,
                detail: "connection refused".to_string(),
            }),
        }
    }

    #[track_caller]
    fn check(error: RedfishError, class: ErrorClass, expected_text: &str) {
        assert_eq!(error.class(), class, "{error}");
        let converted = port_error(error, "https://10.0.0.5:443", "power request on");
        assert_eq!(converted.class(), class, "{converted}");
        let report = converted.report();
        assert!(report.contains(expected_text), "{report}");
        assert!(report.contains("https://10.0.0.5:443"), "{report}");
    }

    #[test]
    fn errors_map_to_port_errors_and_classes() {
        check(
            transport(TransportFailureKind::Connect),
            ErrorClass::Transient,
            "the BMC did not answer",
        );
        check(
            transport(TransportFailureKind::Timeout),
            ErrorClass::Transient,
            "did not answer",
        );
        check(
            transport(TransportFailureKind::Tls),
            ErrorClass::Permanent,
            "pin its SHA-256 fingerprint",
        );
        check(
            status(401),
            ErrorClass::Permanent,
            "the BMC refused the credentials (HTTP 401): check the user name and password",
        );
        check(status(403), ErrorClass::Permanent, "lacks the privilege");
        check(status(404), ErrorClass::NotFound, "does not support POST");
        check(status(501), ErrorClass::NotFound, "does not support");
        check(
            status(409),
            ErrorClass::Transient,
            "busy or failing (HTTP 409)",
        );
        check(
            status(503),
            ErrorClass::Transient,
            "busy or failing (HTTP 503)",
        );
        check(status(500), ErrorClass::Transient, "the BMC says no");
        check(
            status(400),
            ErrorClass::Permanent,
            "rejected the request (HTTP 400)",
        );
        check(
            RedfishError::Converge(Box::new(ConvergeFailure {
                bmc: "https://10.0.0.5:443".to_string(),
                path: "/redfish/v1/Systems/1".to_string(),
                property: "PowerState".to_string(),
                expected: "On".to_string(),
                observed: "Off".to_string(),
                waited: Duration::from_secs(300),
            })),
            ErrorClass::Transient,
            "did not reach PowerState On within 300s (last seen: Off)",
        );
        check(
            RedfishError::SlotOccupied {
                bmc: "https://10.0.0.5:443".to_string(),
                slot: "/redfish/v1/Systems/1/VirtualMedia/Cd".to_string(),
                image: "http://x/a.iso".to_string(),
            },
            ErrorClass::Conflict,
            "slot \"Cd\" on https://10.0.0.5:443 already holds http://x/a.iso: eject it first",
        );
        check(
            RedfishError::AmbiguousSystem {
                bmc: "https://10.0.0.5:443".to_string(),
                count: 2,
                available: "a, b".to_string(),
            },
            ErrorClass::InvalidInput,
            "the BMC has 2 systems (a, b)",
        );
        check(
            RedfishError::SystemNotFound {
                bmc: "https://10.0.0.5:443".to_string(),
                wanted: "c".to_string(),
                available: "a, b".to_string(),
            },
            ErrorClass::NotFound,
            "system \"c\" not found",
        );
        check(
            RedfishError::MissingLink {
                bmc: "https://10.0.0.5:443".to_string(),
                resource: "/redfish/v1/Systems/1".to_string(),
                link: "Actions/#ComputerSystem.Reset/target".to_string(),
                hint: "the BMC offers no reset action for this system".to_string(),
            },
            ErrorClass::NotFound,
            "offers no reset action",
        );
    }

    #[test]
    fn credentials_never_reach_settings_errors() {
        let connector = RedfishConnector::new();
        let mut target = BmcTarget::new(
            "https://root:calvin@10.0.0.5",
            aero_bmc::Credentials::new("root", "calvin"),
        );
        let error = connector.config_for(&target).unwrap_err();
        assert_eq!(error.class(), ErrorClass::InvalidInput);
        let report = error.report();
        assert!(!report.contains("calvin"), "{report}");
        assert!(report.contains("https://***@10.0.0.5"), "{report}");

        target.endpoint = "10.0.0.5".to_string();
        target.tls = TlsTrust::Fingerprint(aero_bmc::CertificateFingerprint([0xAB; 32]));
        target.tls_backend = TlsBackend::OpenSsl;
        let config = connector.config_for(&target).expect("config");
        assert_eq!(config.endpoint.as_str(), "https://10.0.0.5/");
        assert_eq!(
            config.tls.verification,
            TlsVerification::Fingerprint(Sha256Fingerprint([0xAB; 32]))
        );
        assert_eq!(config.tls.backend, crate::transport::TlsBackend::OpenSsl);
        assert_eq!(config.credentials.password.expose(), "calvin");
        assert!(!format!("{config:?}").contains("calvin"));
    }

    #[test]
    fn types_map_to_neutral_ones() {
        let boot = BootInfo {
            persistence: Some("Once".to_string()),
            target: Some("UsbCd".to_string()),
            mode: Some("UEFI".to_string()),
            allowed_targets: vec!["Pxe".to_string(), "Cd".to_string(), "UsbCd".to_string()],
            allowed_modes: vec!["UEFI".to_string(), "Legacy".to_string()],
        };
        let settings = port_boot_settings(&boot);
        assert_eq!(
            settings.target,
            Some(aero_bmc::BootTarget::Other("UsbCd".to_string()))
        );
        assert_eq!(settings.persistence, Some(aero_bmc::BootPersistence::Once));
        assert_eq!(settings.mode, Some(aero_bmc::BootMode::Uefi));
        assert_eq!(settings.allowed_targets[1], aero_bmc::BootTarget::Cd);
        let disabled = port_boot_settings(&BootInfo {
            persistence: Some("Disabled".to_string()),
            ..BootInfo::default()
        });
        assert_eq!(disabled.persistence, None);

        let summary = SystemSummary {
            system_id: "1".to_string(),
            manufacturer: Some("Contoso".to_string()),
            model: None,
            serial_number: Some("437XR1138R2".to_string()),
            uuid: None,
            bios_version: None,
            bmc_firmware: None,
            power_state: PowerState::Paused,
            nics: vec![crate::inventory::NicInfo {
                id: "1".to_string(),
                mac_address: Some("12:44:6A:3B:04:11".to_string()),
                permanent_mac_address: Some("not a mac".to_string()),
                speed_mbps: None,
                link_status: Some("LinkUp".to_string()),
            }],
            boot: BootInfo::default(),
            warnings: vec![],
        };
        let inventory = port_inventory(summary);
        assert_eq!(
            inventory.macs(),
            vec![MacAddress([0x12, 0x44, 0x6a, 0x3b, 0x04, 0x11])]
        );
        assert_eq!(inventory.nics[0].link_up, Some(true));
        assert_eq!(
            inventory.power_state,
            aero_bmc::PowerState::Other("Paused".to_string())
        );
        assert_eq!(inventory.warnings.len(), 1, "{:?}", inventory.warnings);
        assert!(inventory.warnings[0].contains("not a mac"));

        let entry = port_log_entry(LogRecord {
            id: "1".to_string(),
            created: UNIX_EPOCH,
            severity: Some("Critical".to_string()),
            message: "melting".to_string(),
            message_id: None,
            source: LogSource::Manager,
            service: "Log".to_string(),
        });
        assert_eq!(entry.severity, Severity::Critical);
        assert_eq!(entry.origin, LogOrigin::Manager);
        let request = boot_override(&aero_bmc::BootOverride {
            target: aero_bmc::BootTarget::Other("SDCard".to_string()),
            persistence: aero_bmc::BootPersistence::Continuous,
            mode: Some(aero_bmc::BootMode::Legacy),
        });
        assert_eq!(request.target, BootTarget::Other("SDCard".to_string()));
        assert_eq!(request.mode, Some(BootMode::Legacy));
        assert_eq!(power_request(PowerAction::Restart), PowerRequest::Restart);
    }
}
