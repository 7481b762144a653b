//! What `aero bmc` prints: one typed structure per verb, serialised as is for
//! `-o json|yaml` and drawn as a table for people.

use aero_redfish::boot::{BootMethod, BootOutcome};
use aero_redfish::client::BmcClient;
use aero_redfish::inventory::Inventory;
use aero_redfish::power::PowerOutcome;
use aero_redfish::system::RedfishSystem;
use aero_redfish::vmedia::{MediaControl, MediaOutcome, MediaSlot};
use clap::ValueEnum;
use serde::Serialize;

use super::args::PowerAction;
use crate::format::Table;

pub fn key_values(pairs: &[(&str, String)]) -> String {
    let mut table = Table::new(&["FIELD", "VALUE"]);
    for (key, value) in pairs {
        table.row(vec![key.to_string(), value.clone()]);
    }
    table.render()
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn number(value: Option<u64>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// `aero bmc inventory`.
#[derive(Debug, Serialize)]
pub struct InventoryOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// The system.
    pub system: SystemOutput,
    /// Processors.
    pub processors: Vec<ProcessorOutput>,
    /// Memory modules.
    pub memory: Vec<MemoryOutput>,
    /// Network interfaces.
    pub nics: Vec<NicOutput>,
    /// Drives.
    pub drives: Vec<DriveOutput>,
    /// Boot override and its allowed values.
    pub boot: BootSettingsOutput,
    /// Allowed reset types.
    pub reset_types: Vec<String>,
    /// Managers.
    pub managers: Vec<ManagerOutput>,
    /// Chassis.
    pub chassis: Vec<ChassisOutput>,
    /// Virtual media slots.
    pub virtual_media: Vec<SlotOutput>,
    /// Id of the slot `media insert` would use.
    pub cd_slot: Option<String>,
    /// Vendor quirk rules in effect.
    pub quirks: Vec<String>,
    /// Parts the BMC links but could not deliver.
    pub warnings: Vec<String>,
}

/// Identity and state of a system.
#[derive(Debug, Serialize)]
pub struct SystemOutput {
    /// Id.
    pub id: String,
    /// Path.
    pub path: String,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// SKU.
    pub sku: Option<String>,
    /// UUID.
    pub uuid: Option<String>,
    /// BIOS version.
    pub bios_version: Option<String>,
    /// Power state.
    pub power_state: String,
    /// Processor count.
    pub processor_count: Option<u64>,
    /// Processor model.
    pub processor_model: Option<String>,
    /// Total memory in GiB.
    pub memory_gib: Option<f64>,
}

/// A processor.
#[derive(Debug, Serialize)]
pub struct ProcessorOutput {
    /// Id.
    pub id: String,
    /// Socket.
    pub socket: Option<String>,
    /// Type.
    pub processor_type: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Cores.
    pub cores: Option<u64>,
    /// Threads.
    pub threads: Option<u64>,
    /// Maximum speed.
    pub max_speed_mhz: Option<u64>,
}

/// A memory module.
#[derive(Debug, Serialize)]
pub struct MemoryOutput {
    /// Id.
    pub id: String,
    /// Capacity.
    pub capacity_mib: Option<u64>,
    /// Type.
    pub device_type: Option<String>,
    /// State.
    pub state: Option<String>,
}

/// A network interface.
#[derive(Debug, Serialize)]
pub struct NicOutput {
    /// Id.
    pub id: String,
    /// MAC address.
    pub mac_address: Option<String>,
    /// Factory MAC address.
    pub permanent_mac_address: Option<String>,
    /// Speed.
    pub speed_mbps: Option<u64>,
    /// Link status.
    pub link_status: Option<String>,
}

/// A drive.
#[derive(Debug, Serialize)]
pub struct DriveOutput {
    /// Id.
    pub id: String,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Capacity.
    pub capacity_bytes: Option<u64>,
    /// Media type.
    pub media_type: Option<String>,
    /// Protocol.
    pub protocol: Option<String>,
}

/// Boot override settings.
#[derive(Debug, Serialize)]
pub struct BootSettingsOutput {
    /// Disabled, Once, Continuous.
    pub persistence: Option<String>,
    /// Target.
    pub target: Option<String>,
    /// Mode.
    pub mode: Option<String>,
    /// Allowed targets.
    pub allowed_targets: Vec<String>,
    /// Allowed modes.
    pub allowed_modes: Vec<String>,
}

/// A manager.
#[derive(Debug, Serialize)]
pub struct ManagerOutput {
    /// Id.
    pub id: String,
    /// Model.
    pub model: Option<String>,
    /// Firmware version.
    pub firmware_version: Option<String>,
}

/// A chassis.
#[derive(Debug, Serialize)]
pub struct ChassisOutput {
    /// Id.
    pub id: String,
    /// Type.
    pub chassis_type: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
}

/// A virtual media slot.
#[derive(Debug, Serialize)]
pub struct SlotOutput {
    /// Id.
    pub id: String,
    /// Path.
    pub path: String,
    /// Media types.
    pub media_types: Vec<String>,
    /// Image.
    pub image: Option<String>,
    /// Inserted, when reported.
    pub inserted: Option<bool>,
    /// Whether it holds media.
    pub has_media: bool,
    /// How media is inserted: action, patch, unsupported.
    pub control: String,
}

impl SlotOutput {
    pub fn new(slot: &MediaSlot) -> Self {
        SlotOutput {
            id: slot.id.clone(),
            path: slot.path.clone(),
            media_types: slot.media_types.clone(),
            image: slot.image.clone(),
            inserted: slot.inserted,
            has_media: slot.has_media(),
            control: match slot.insert {
                MediaControl::Action(_) => "action",
                MediaControl::Patch => "patch",
                MediaControl::Unsupported => "unsupported",
            }
            .to_string(),
        }
    }
}

impl InventoryOutput {
    pub fn new(client: &BmcClient, inventory: &Inventory) -> Self {
        InventoryOutput {
            endpoint: client.bmc().to_string(),
            system: SystemOutput {
                id: inventory.system_id.clone(),
                path: inventory.system_path.clone(),
                manufacturer: inventory.manufacturer.clone(),
                model: inventory.model.clone(),
                serial_number: inventory.serial_number.clone(),
                sku: inventory.sku.clone(),
                uuid: inventory.uuid.clone(),
                bios_version: inventory.bios_version.clone(),
                power_state: inventory.power_state.to_string(),
                processor_count: inventory.processor_count,
                processor_model: inventory.processor_model.clone(),
                memory_gib: inventory.memory_gib,
            },
            processors: inventory
                .processors
                .iter()
                .map(|processor| ProcessorOutput {
                    id: processor.id.clone(),
                    socket: processor.socket.clone(),
                    processor_type: processor.processor_type.clone(),
                    model: processor.model.clone(),
                    cores: processor.cores,
                    threads: processor.threads,
                    max_speed_mhz: processor.max_speed_mhz,
                })
                .collect(),
            memory: inventory
                .memory
                .iter()
                .map(|module| MemoryOutput {
                    id: module.id.clone(),
                    capacity_mib: module.capacity_mib,
                    device_type: module.device_type.clone(),
                    state: module.state.clone(),
                })
                .collect(),
            nics: inventory
                .nics
                .iter()
                .map(|nic| NicOutput {
                    id: nic.id.clone(),
                    mac_address: nic.mac_address.clone(),
                    permanent_mac_address: nic.permanent_mac_address.clone(),
                    speed_mbps: nic.speed_mbps,
                    link_status: nic.link_status.clone(),
                })
                .collect(),
            drives: inventory
                .drives
                .iter()
                .map(|drive| DriveOutput {
                    id: drive.id.clone(),
                    model: drive.model.clone(),
                    serial_number: drive.serial_number.clone(),
                    capacity_bytes: drive.capacity_bytes,
                    media_type: drive.media_type.clone(),
                    protocol: drive.protocol.clone(),
                })
                .collect(),
            boot: BootSettingsOutput {
                persistence: inventory.boot.persistence.clone(),
                target: inventory.boot.target.clone(),
                mode: inventory.boot.mode.clone(),
                allowed_targets: inventory.boot.allowed_targets.clone(),
                allowed_modes: inventory.boot.allowed_modes.clone(),
            },
            reset_types: inventory.reset_types.clone(),
            managers: inventory
                .managers
                .iter()
                .map(|manager| ManagerOutput {
                    id: manager.id.clone(),
                    model: manager.model.clone(),
                    firmware_version: manager.firmware_version.clone(),
                })
                .collect(),
            chassis: inventory
                .chassis
                .iter()
                .map(|chassis| ChassisOutput {
                    id: chassis.id.clone(),
                    chassis_type: chassis.chassis_type.clone(),
                    model: chassis.model.clone(),
                    serial_number: chassis.serial_number.clone(),
                })
                .collect(),
            virtual_media: inventory
                .virtual_media
                .iter()
                .map(SlotOutput::new)
                .collect(),
            cd_slot: inventory.cd_slot.clone(),
            quirks: inventory.quirks.clone(),
            warnings: inventory.warnings.clone(),
        }
    }
}

pub fn inventory_table(dto: &InventoryOutput) -> String {
    let system = &dto.system;
    let mut out = key_values(&[
        ("system", system.id.clone()),
        ("manufacturer", text(&system.manufacturer)),
        ("model", text(&system.model)),
        ("serial number", text(&system.serial_number)),
        ("uuid", text(&system.uuid)),
        ("bios version", text(&system.bios_version)),
        ("power state", system.power_state.clone()),
        (
            "processors",
            match (system.processor_count, &system.processor_model) {
                (Some(count), Some(model)) => format!("{count} x {model}"),
                (Some(count), None) => count.to_string(),
                (None, model) => text(model),
            },
        ),
        (
            "memory GiB",
            system
                .memory_gib
                .map(|gib| gib.to_string())
                .unwrap_or_default(),
        ),
        (
            "boot",
            format!(
                "{} {} {} (allowed: {})",
                text(&dto.boot.target),
                text(&dto.boot.persistence),
                text(&dto.boot.mode),
                dto.boot.allowed_targets.join(", ")
            ),
        ),
        ("reset types", dto.reset_types.join(", ")),
        ("cd slot", text(&dto.cd_slot)),
        ("quirks", dto.quirks.join(", ")),
    ]);
    if !dto.nics.is_empty() {
        let mut table = Table::new(&["NIC", "MAC", "PERMANENT MAC", "SPEED", "LINK"]);
        for nic in &dto.nics {
            table.row(vec![
                nic.id.clone(),
                text(&nic.mac_address),
                text(&nic.permanent_mac_address),
                number(nic.speed_mbps),
                text(&nic.link_status),
            ]);
        }
        out.push('\n');
        out.push_str(&table.render());
    }
    if !dto.drives.is_empty() {
        let mut table = Table::new(&["DRIVE", "MODEL", "SERIAL", "BYTES", "MEDIA", "PROTOCOL"]);
        for drive in &dto.drives {
            table.row(vec![
                drive.id.clone(),
                text(&drive.model),
                text(&drive.serial_number),
                number(drive.capacity_bytes),
                text(&drive.media_type),
                text(&drive.protocol),
            ]);
        }
        out.push('\n');
        out.push_str(&table.render());
    }
    if !dto.virtual_media.is_empty() {
        out.push('\n');
        out.push_str(&slots_table(&dto.virtual_media));
    }
    for warning in &dto.warnings {
        out.push_str(&format!("\nwarning: {warning}"));
    }
    if !dto.warnings.is_empty() {
        out.push('\n');
    }
    out
}

pub fn slots_table(slots: &[SlotOutput]) -> String {
    let mut table = Table::new(&["SLOT", "MEDIA TYPES", "MEDIA", "IMAGE", "CONTROL"]);
    for slot in slots {
        table.row(vec![
            slot.id.clone(),
            slot.media_types.join("/"),
            if slot.has_media { "inserted" } else { "empty" }.to_string(),
            text(&slot.image),
            slot.control.clone(),
        ]);
    }
    table.render()
}

/// `aero bmc power status`.
#[derive(Debug, Serialize)]
pub struct PowerStatusOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// System id.
    pub system: String,
    /// Power state.
    pub power_state: String,
}

/// `aero bmc power on|off|force-off|restart`.
#[derive(Debug, Serialize)]
pub struct PowerOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// System id.
    pub system: String,
    /// The requested action.
    pub action: String,
    /// State before.
    pub before: String,
    /// State after convergence.
    pub after: String,
    /// Whether anything was sent.
    pub changed: bool,
    /// Reset types sent, in order.
    pub reset_types: Vec<String>,
    /// Seconds until convergence.
    pub elapsed_seconds: f64,
}

impl PowerOutput {
    pub fn new(
        client: &BmcClient,
        system: &RedfishSystem,
        action: PowerAction,
        outcome: &PowerOutcome,
    ) -> Self {
        PowerOutput {
            endpoint: client.bmc().to_string(),
            system: system.id().to_string(),
            action: action
                .to_possible_value()
                .map(|value| value.get_name().to_string())
                .unwrap_or_default(),
            before: outcome.before.to_string(),
            after: outcome.after.to_string(),
            changed: outcome.changed(),
            reset_types: outcome.reset_types.clone(),
            elapsed_seconds: (outcome.elapsed.as_secs_f64() * 10.0).round() / 10.0,
        }
    }
}

pub fn power_table(dto: &PowerOutput) -> String {
    key_values(&[
        ("system", dto.system.clone()),
        ("action", dto.action.clone()),
        ("before", dto.before.clone()),
        ("after", dto.after.clone()),
        (
            "sent",
            if dto.changed {
                dto.reset_types.join(", ")
            } else {
                "nothing (already there)".to_string()
            },
        ),
        ("seconds", dto.elapsed_seconds.to_string()),
    ])
}

/// `aero bmc boot`.
#[derive(Debug, Serialize)]
pub struct BootOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// System id.
    pub system: String,
    /// Target value sent (a vendor alias such as UsbCd when the BMC needs it).
    pub target: String,
    /// Once or Continuous.
    pub persistence: String,
    /// Mode sent, if any.
    pub mode: Option<String>,
    /// How it was applied: patch, or dell-system-configuration.
    pub method: String,
    /// Continuous was refused and Once applied instead.
    pub fell_back_to_once: bool,
    /// Remarks.
    pub notes: Vec<String>,
}

impl BootOutput {
    pub fn new(client: &BmcClient, system: &RedfishSystem, outcome: &BootOutcome) -> Self {
        BootOutput {
            endpoint: client.bmc().to_string(),
            system: system.id().to_string(),
            target: outcome.target.clone(),
            persistence: outcome.persistence.as_str().to_string(),
            mode: outcome.mode.clone(),
            method: match outcome.method {
                BootMethod::Patch(_) => "patch",
                BootMethod::DellSystemConfiguration(_) => "dell-system-configuration",
            }
            .to_string(),
            fell_back_to_once: outcome.fell_back_to_once,
            notes: outcome.notes.clone(),
        }
    }
}

pub fn boot_table(dto: &BootOutput) -> String {
    let mut pairs = vec![
        ("system", dto.system.clone()),
        ("target", dto.target.clone()),
        ("persistence", dto.persistence.clone()),
        ("mode", text(&dto.mode)),
        ("method", dto.method.clone()),
    ];
    for note in &dto.notes {
        pairs.push(("note", note.clone()));
    }
    key_values(&pairs)
}

/// `aero bmc media insert|eject|status`.
#[derive(Debug, Serialize)]
pub struct MediaOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// System id.
    pub system: String,
    /// insert, eject or status.
    pub action: String,
    /// The slot inserted into.
    pub inserted_into: Option<String>,
    /// Slots that were ejected.
    pub ejected: Vec<String>,
    /// All slots after the action.
    pub slots: Vec<SlotOutput>,
}

impl MediaOutput {
    pub fn new(
        client: &BmcClient,
        system: &RedfishSystem,
        action: &str,
        outcome: &MediaOutcome,
        slots: Vec<MediaSlot>,
    ) -> Self {
        MediaOutput {
            endpoint: client.bmc().to_string(),
            system: system.id().to_string(),
            action: action.to_string(),
            inserted_into: outcome.slot.as_ref().map(|slot| slot.id.clone()),
            ejected: outcome.ejected.clone(),
            slots: slots.iter().map(SlotOutput::new).collect(),
        }
    }
}

pub fn media_table(dto: &MediaOutput) -> String {
    let mut out = String::new();
    if let Some(slot) = &dto.inserted_into {
        out.push_str(&format!("inserted into {slot}\n"));
    }
    if !dto.ejected.is_empty() {
        out.push_str(&format!("ejected {}\n", dto.ejected.join(", ")));
    }
    out.push_str(&slots_table(&dto.slots));
    out
}
