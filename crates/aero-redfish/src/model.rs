//! Typed Redfish resources, only the parts Aerostat uses.
//!
//! Decoding is tolerant: unknown properties and `Oem` sections are ignored, every property is
//! optional, and a property with an unexpected type (a vendor's `"CapacityBytes": "N/A"`)
//! decodes as absent instead of failing the whole resource.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::{Map, Value};

/// Decodes `T` or, when the JSON value has another type, `None`.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// Decodes a list, dropping elements of another type; a non-list decodes as empty.
fn lenient_list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(match value {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// A link to another resource (`{"@odata.id": "…"}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Link {
    /// Path of the linked resource.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
}

/// A resource collection.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Collection {
    /// Links to the members.
    #[serde(rename = "Members", deserialize_with = "lenient_list")]
    pub members: Vec<Link>,
}

/// `Status` of a resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Status {
    /// e.g. `Enabled`, `Absent`.
    #[serde(deserialize_with = "lenient")]
    pub state: Option<String>,
    /// e.g. `OK`, `Warning`.
    #[serde(deserialize_with = "lenient")]
    pub health: Option<String>,
}

/// The service root, `/redfish/v1`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ServiceRoot {
    /// Redfish protocol version.
    #[serde(deserialize_with = "lenient")]
    pub redfish_version: Option<String>,
    /// Service UUID.
    #[serde(rename = "UUID", deserialize_with = "lenient")]
    pub uuid: Option<String>,
    /// Vendor (Redfish 1.5 and later), e.g. `Dell`, `HPE`.
    #[serde(deserialize_with = "lenient")]
    pub vendor: Option<String>,
    /// Product name.
    #[serde(deserialize_with = "lenient")]
    pub product: Option<String>,
    /// Systems collection.
    #[serde(deserialize_with = "lenient")]
    pub systems: Option<Link>,
    /// Managers collection.
    #[serde(deserialize_with = "lenient")]
    pub managers: Option<Link>,
    /// Chassis collection.
    #[serde(deserialize_with = "lenient")]
    pub chassis: Option<Link>,
    /// Session service.
    #[serde(deserialize_with = "lenient")]
    pub session_service: Option<Link>,
    /// Root links.
    #[serde(deserialize_with = "lenient")]
    pub links: Option<RootLinks>,
    /// Vendor sections; only their names are used (to recognise the vendor early).
    #[serde(deserialize_with = "lenient")]
    pub oem: Option<Map<String, Value>>,
}

/// `Links` of the service root.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct RootLinks {
    /// The sessions collection.
    #[serde(deserialize_with = "lenient")]
    pub sessions: Option<Link>,
}

/// A computer system.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ComputerSystem {
    /// Path of the resource.
    #[serde(rename = "@odata.id", deserialize_with = "lenient")]
    pub odata_id: Option<String>,
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Name.
    #[serde(deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Manufacturer.
    #[serde(deserialize_with = "lenient")]
    pub manufacturer: Option<String>,
    /// Model.
    #[serde(deserialize_with = "lenient")]
    pub model: Option<String>,
    /// Serial number.
    #[serde(deserialize_with = "lenient")]
    pub serial_number: Option<String>,
    /// SKU.
    #[serde(rename = "SKU", deserialize_with = "lenient")]
    pub sku: Option<String>,
    /// UUID.
    #[serde(rename = "UUID", deserialize_with = "lenient")]
    pub uuid: Option<String>,
    /// BIOS version.
    #[serde(deserialize_with = "lenient")]
    pub bios_version: Option<String>,
    /// Power state (`On`, `Off`, `PoweringOn`, `PoweringOff`, `Paused`).
    #[serde(deserialize_with = "lenient")]
    pub power_state: Option<String>,
    /// Boot override settings.
    #[serde(deserialize_with = "lenient")]
    pub boot: Option<Boot>,
    /// Processor summary.
    #[serde(deserialize_with = "lenient")]
    pub processor_summary: Option<ProcessorSummary>,
    /// Memory summary.
    #[serde(deserialize_with = "lenient")]
    pub memory_summary: Option<MemorySummary>,
    /// Processors collection.
    #[serde(deserialize_with = "lenient")]
    pub processors: Option<Link>,
    /// Memory collection.
    #[serde(deserialize_with = "lenient")]
    pub memory: Option<Link>,
    /// Ethernet interfaces collection.
    #[serde(deserialize_with = "lenient")]
    pub ethernet_interfaces: Option<Link>,
    /// Storage collection.
    #[serde(deserialize_with = "lenient")]
    pub storage: Option<Link>,
    /// Simple storage collection.
    #[serde(deserialize_with = "lenient")]
    pub simple_storage: Option<Link>,
    /// Virtual media collection (when under the system).
    #[serde(deserialize_with = "lenient")]
    pub virtual_media: Option<Link>,
    /// BIOS resource.
    #[serde(deserialize_with = "lenient")]
    pub bios: Option<Link>,
    /// Log services collection (SEL, event logs).
    #[serde(deserialize_with = "lenient")]
    pub log_services: Option<Link>,
    /// Links to chassis and managers.
    #[serde(deserialize_with = "lenient")]
    pub links: Option<SystemLinks>,
    /// Actions.
    #[serde(deserialize_with = "lenient")]
    pub actions: Option<SystemActions>,
    /// Pending-settings object (`@Redfish.Settings`).
    #[serde(rename = "@Redfish.Settings", deserialize_with = "lenient")]
    pub settings: Option<SettingsAnnotation>,
}

/// `Boot` of a computer system.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Boot {
    /// `Disabled`, `Once` or `Continuous`.
    #[serde(rename = "BootSourceOverrideEnabled", deserialize_with = "lenient")]
    pub enabled: Option<String>,
    /// Allowed `BootSourceOverrideEnabled` values.
    #[serde(
        rename = "BootSourceOverrideEnabled@Redfish.AllowableValues",
        deserialize_with = "lenient"
    )]
    pub enabled_allowed: Option<Vec<String>>,
    /// Current boot target.
    #[serde(rename = "BootSourceOverrideTarget", deserialize_with = "lenient")]
    pub target: Option<String>,
    /// Allowed boot targets.
    #[serde(
        rename = "BootSourceOverrideTarget@Redfish.AllowableValues",
        deserialize_with = "lenient"
    )]
    pub target_allowed: Option<Vec<String>>,
    /// `UEFI` or `Legacy`; absent on BMCs that set the mode through BIOS.
    #[serde(rename = "BootSourceOverrideMode", deserialize_with = "lenient")]
    pub mode: Option<String>,
    /// Allowed boot modes.
    #[serde(
        rename = "BootSourceOverrideMode@Redfish.AllowableValues",
        deserialize_with = "lenient"
    )]
    pub mode_allowed: Option<Vec<String>>,
    /// Allowed UEFI boot targets (HPE).
    #[serde(
        rename = "UefiTargetBootSourceOverride@Redfish.AllowableValues",
        deserialize_with = "lenient"
    )]
    pub uefi_target_allowed: Option<Vec<String>>,
}

/// `ProcessorSummary` of a system.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ProcessorSummary {
    /// Number of processors.
    #[serde(deserialize_with = "lenient")]
    pub count: Option<u64>,
    /// Processor model.
    #[serde(deserialize_with = "lenient")]
    pub model: Option<String>,
    /// Logical processors.
    #[serde(deserialize_with = "lenient")]
    pub logical_processor_count: Option<u64>,
}

/// `MemorySummary` of a system.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct MemorySummary {
    /// Total system memory in GiB.
    #[serde(rename = "TotalSystemMemoryGiB", deserialize_with = "lenient")]
    pub total_system_memory_gib: Option<f64>,
}

/// `Links` of a system.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SystemLinks {
    /// Chassis containing the system.
    #[serde(deserialize_with = "lenient_list")]
    pub chassis: Vec<Link>,
    /// Managers of the system.
    #[serde(deserialize_with = "lenient_list")]
    pub managed_by: Vec<Link>,
}

/// `Actions` of a system.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SystemActions {
    /// `#ComputerSystem.Reset`.
    #[serde(rename = "#ComputerSystem.Reset", deserialize_with = "lenient")]
    pub reset: Option<ResetAction>,
}

/// The reset action with its allowed reset types.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResetAction {
    /// Action URI.
    #[serde(deserialize_with = "lenient")]
    pub target: Option<String>,
    /// Allowed reset types, when listed inline.
    #[serde(
        rename = "ResetType@Redfish.AllowableValues",
        deserialize_with = "lenient"
    )]
    pub allowed: Option<Vec<String>>,
    /// The `ActionInfo` resource listing the parameters, when not inline.
    #[serde(rename = "@Redfish.ActionInfo", deserialize_with = "lenient")]
    pub action_info: Option<String>,
}

/// An action with only a target (`{"target": "…"}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActionTarget {
    /// Action URI.
    #[serde(deserialize_with = "lenient")]
    pub target: Option<String>,
    /// The `ActionInfo` resource, if any.
    #[serde(rename = "@Redfish.ActionInfo", deserialize_with = "lenient")]
    pub action_info: Option<String>,
}

/// An `ActionInfo` resource.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ActionInfo {
    /// Parameters of the action.
    #[serde(deserialize_with = "lenient_list")]
    pub parameters: Vec<ActionParameter>,
}

/// One parameter of an `ActionInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ActionParameter {
    /// Parameter name.
    #[serde(deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Allowed values.
    #[serde(deserialize_with = "lenient")]
    pub allowable_values: Option<Vec<String>>,
}

/// `@Redfish.Settings`: where pending settings are written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SettingsAnnotation {
    /// The settings resource.
    #[serde(deserialize_with = "lenient")]
    pub settings_object: Option<Link>,
    /// When settings can be applied (`OnReset`, `Immediate`, …).
    #[serde(rename = "SupportedApplyTimes", deserialize_with = "lenient_list")]
    pub supported_apply_times: Vec<String>,
}

/// A manager (BMC).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Manager {
    /// Path of the resource.
    #[serde(rename = "@odata.id", deserialize_with = "lenient")]
    pub odata_id: Option<String>,
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Model.
    #[serde(deserialize_with = "lenient")]
    pub model: Option<String>,
    /// Firmware version.
    #[serde(deserialize_with = "lenient")]
    pub firmware_version: Option<String>,
    /// e.g. `BMC`.
    #[serde(deserialize_with = "lenient")]
    pub manager_type: Option<String>,
    /// Virtual media collection (when under the manager).
    #[serde(deserialize_with = "lenient")]
    pub virtual_media: Option<Link>,
    /// Log services collection.
    #[serde(deserialize_with = "lenient")]
    pub log_services: Option<Link>,
    /// Actions, including `Oem` ones; kept raw because vendors name them freely.
    #[serde(deserialize_with = "lenient")]
    pub actions: Option<Map<String, Value>>,
}

impl Manager {
    /// The target of an Oem action whose name ends with `suffix`
    /// (e.g. `ImportSystemConfiguration`).
    pub fn oem_action_target(&self, suffix: &str) -> Option<String> {
        let oem = self.actions.as_ref()?.get("Oem")?.as_object()?;
        oem.iter()
            .find(|(name, _)| name.ends_with(suffix))
            .and_then(|(_, action)| action.get("target"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// A chassis.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Chassis {
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// e.g. `RackMount`.
    #[serde(deserialize_with = "lenient")]
    pub chassis_type: Option<String>,
    /// Manufacturer.
    #[serde(deserialize_with = "lenient")]
    pub manufacturer: Option<String>,
    /// Model.
    #[serde(deserialize_with = "lenient")]
    pub model: Option<String>,
    /// Serial number.
    #[serde(deserialize_with = "lenient")]
    pub serial_number: Option<String>,
}

/// A virtual media slot.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct VirtualMedia {
    /// Path of the resource.
    #[serde(rename = "@odata.id", deserialize_with = "lenient")]
    pub odata_id: Option<String>,
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Name.
    #[serde(deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Supported media, e.g. `CD`, `DVD`, `USBStick`.
    #[serde(deserialize_with = "lenient_list")]
    pub media_types: Vec<String>,
    /// Current image URI.
    #[serde(deserialize_with = "lenient")]
    pub image: Option<String>,
    /// Current image name.
    #[serde(deserialize_with = "lenient")]
    pub image_name: Option<String>,
    /// Whether media is inserted; absent on some BMCs.
    #[serde(deserialize_with = "lenient")]
    pub inserted: Option<bool>,
    /// Whether the media is write protected; absent on some BMCs.
    #[serde(deserialize_with = "lenient")]
    pub write_protected: Option<bool>,
    /// e.g. `URI`, `Applet`, `NotConnected`.
    #[serde(deserialize_with = "lenient")]
    pub connected_via: Option<String>,
    /// Actions.
    #[serde(deserialize_with = "lenient")]
    pub actions: Option<VirtualMediaActions>,
}

/// Actions of a virtual media slot.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VirtualMediaActions {
    /// `#VirtualMedia.InsertMedia`.
    #[serde(rename = "#VirtualMedia.InsertMedia", deserialize_with = "lenient")]
    pub insert_media: Option<ActionTarget>,
    /// `#VirtualMedia.EjectMedia`.
    #[serde(rename = "#VirtualMedia.EjectMedia", deserialize_with = "lenient")]
    pub eject_media: Option<ActionTarget>,
}

/// A log service (`LogServices/<id>`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct LogService {
    /// Id, e.g. `SEL`, `Log1`.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// The entries collection.
    #[serde(deserialize_with = "lenient")]
    pub entries: Option<Link>,
    /// Whether the service is enabled.
    #[serde(deserialize_with = "lenient")]
    pub service_enabled: Option<bool>,
}

/// A log entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct LogEntry {
    /// Path of the resource.
    #[serde(rename = "@odata.id", deserialize_with = "lenient")]
    pub odata_id: Option<String>,
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Name.
    #[serde(deserialize_with = "lenient")]
    pub name: Option<String>,
    /// When it was logged (RFC 3339).
    #[serde(deserialize_with = "lenient")]
    pub created: Option<String>,
    /// `OK`, `Warning`, `Critical`.
    #[serde(deserialize_with = "lenient")]
    pub severity: Option<String>,
    /// The message text.
    #[serde(deserialize_with = "lenient")]
    pub message: Option<String>,
    /// The message registry id, e.g. `Event.1.0.TempWayTooHot`.
    #[serde(deserialize_with = "lenient")]
    pub message_id: Option<String>,
    /// `Event`, `SEL`, `Oem`.
    #[serde(deserialize_with = "lenient")]
    pub entry_type: Option<String>,
    /// The SEL entry code, e.g. `Upper Critical - going high`.
    #[serde(deserialize_with = "lenient")]
    pub entry_code: Option<String>,
    /// The SEL sensor type, e.g. `Temperature`.
    #[serde(deserialize_with = "lenient")]
    pub sensor_type: Option<String>,
}

/// An Ethernet interface.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct EthernetInterface {
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Name.
    #[serde(deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Current MAC address.
    #[serde(rename = "MACAddress", deserialize_with = "lenient")]
    pub mac_address: Option<String>,
    /// Factory MAC address.
    #[serde(rename = "PermanentMACAddress", deserialize_with = "lenient")]
    pub permanent_mac_address: Option<String>,
    /// Link speed.
    #[serde(deserialize_with = "lenient")]
    pub speed_mbps: Option<u64>,
    /// `LinkUp`, `LinkDown`, `NoLink`.
    #[serde(deserialize_with = "lenient")]
    pub link_status: Option<String>,
    /// Status.
    #[serde(deserialize_with = "lenient")]
    pub status: Option<Status>,
}

/// A processor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Processor {
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Socket label.
    #[serde(deserialize_with = "lenient")]
    pub socket: Option<String>,
    /// `CPU`, `GPU`, `FPGA`, …
    #[serde(deserialize_with = "lenient")]
    pub processor_type: Option<String>,
    /// Manufacturer.
    #[serde(deserialize_with = "lenient")]
    pub manufacturer: Option<String>,
    /// Model.
    #[serde(deserialize_with = "lenient")]
    pub model: Option<String>,
    /// Cores.
    #[serde(deserialize_with = "lenient")]
    pub total_cores: Option<u64>,
    /// Threads.
    #[serde(deserialize_with = "lenient")]
    pub total_threads: Option<u64>,
    /// Maximum speed.
    #[serde(rename = "MaxSpeedMHz", deserialize_with = "lenient")]
    pub max_speed_mhz: Option<u64>,
    /// Status.
    #[serde(deserialize_with = "lenient")]
    pub status: Option<Status>,
}

/// A memory module.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Memory {
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Capacity.
    #[serde(rename = "CapacityMiB", deserialize_with = "lenient")]
    pub capacity_mib: Option<u64>,
    /// e.g. `DDR4`.
    #[serde(deserialize_with = "lenient")]
    pub memory_device_type: Option<String>,
    /// Speed.
    #[serde(rename = "OperatingSpeedMhz", deserialize_with = "lenient")]
    pub operating_speed_mhz: Option<u64>,
    /// Status.
    #[serde(deserialize_with = "lenient")]
    pub status: Option<Status>,
}

/// A storage subsystem.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Storage {
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Drives.
    #[serde(deserialize_with = "lenient_list")]
    pub drives: Vec<Link>,
}

/// A drive.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Drive {
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Name.
    #[serde(deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Manufacturer.
    #[serde(deserialize_with = "lenient")]
    pub manufacturer: Option<String>,
    /// Model.
    #[serde(deserialize_with = "lenient")]
    pub model: Option<String>,
    /// Serial number.
    #[serde(deserialize_with = "lenient")]
    pub serial_number: Option<String>,
    /// Capacity.
    #[serde(deserialize_with = "lenient")]
    pub capacity_bytes: Option<u64>,
    /// `HDD` or `SSD`.
    #[serde(deserialize_with = "lenient")]
    pub media_type: Option<String>,
    /// e.g. `SAS`, `NVMe`.
    #[serde(deserialize_with = "lenient")]
    pub protocol: Option<String>,
    /// Status.
    #[serde(deserialize_with = "lenient")]
    pub status: Option<Status>,
}

/// A simple storage controller with inline devices.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SimpleStorage {
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// Devices.
    #[serde(deserialize_with = "lenient_list")]
    pub devices: Vec<SimpleStorageDevice>,
}

/// A device of a simple storage controller.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SimpleStorageDevice {
    /// Name.
    #[serde(deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Manufacturer.
    #[serde(deserialize_with = "lenient")]
    pub manufacturer: Option<String>,
    /// Model.
    #[serde(deserialize_with = "lenient")]
    pub model: Option<String>,
    /// Capacity.
    #[serde(deserialize_with = "lenient")]
    pub capacity_bytes: Option<u64>,
    /// Status.
    #[serde(deserialize_with = "lenient")]
    pub status: Option<Status>,
}

/// The BIOS resource (current or pending settings).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Bios {
    /// Attribute registry name.
    #[serde(deserialize_with = "lenient")]
    pub attribute_registry: Option<String>,
    /// Attributes.
    #[serde(deserialize_with = "lenient")]
    pub attributes: Option<Map<String, Value>>,
    /// Where pending settings go.
    #[serde(rename = "@Redfish.Settings", deserialize_with = "lenient")]
    pub settings: Option<SettingsAnnotation>,
}

/// A task (the body of a task monitor or task resource).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Task {
    /// Id.
    #[serde(deserialize_with = "lenient")]
    pub id: Option<String>,
    /// `New`, `Running`, `Completed`, `Exception`, `Killed`, …
    #[serde(deserialize_with = "lenient")]
    pub task_state: Option<String>,
    /// `OK`, `Warning`, `Critical`.
    #[serde(deserialize_with = "lenient")]
    pub task_status: Option<String>,
    /// Progress.
    #[serde(deserialize_with = "lenient")]
    pub percent_complete: Option<u64>,
    /// Messages.
    #[serde(deserialize_with = "lenient_list")]
    pub messages: Vec<Message>,
}

/// A Redfish message (in errors and tasks).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Message {
    /// e.g. `Base.1.8.PropertyValueNotInList`.
    #[serde(deserialize_with = "lenient")]
    pub message_id: Option<String>,
    /// Human-readable text.
    #[serde(deserialize_with = "lenient")]
    pub message: Option<String>,
    /// Properties the message is about.
    #[serde(deserialize_with = "lenient_list")]
    pub related_properties: Vec<String>,
    /// Arguments of the message.
    #[serde(deserialize_with = "lenient_list")]
    pub message_args: Vec<Value>,
}

/// The body of a Redfish error answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    /// The error object.
    #[serde(deserialize_with = "lenient")]
    pub error: Option<ErrorDetail>,
}

/// `error` of a Redfish error answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ErrorDetail {
    /// e.g. `Base.1.0.GeneralError`.
    #[serde(deserialize_with = "lenient")]
    pub code: Option<String>,
    /// Summary text.
    #[serde(deserialize_with = "lenient")]
    pub message: Option<String>,
    /// Detailed messages.
    #[serde(rename = "@Message.ExtendedInfo", deserialize_with = "lenient_list")]
    pub extended_info: Vec<Message>,
}

/// The message and message ids of an error body (JSON or text).
pub(crate) fn error_summary(body: &[u8]) -> (String, Vec<String>) {
    const MAX_TEXT: usize = 400;
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body)
        && let Some(detail) = parsed.error
    {
        let mut ids: Vec<String> = Vec::new();
        if let Some(code) = &detail.code {
            ids.push(code.clone());
        }
        let mut texts: Vec<String> = Vec::new();
        for info in &detail.extended_info {
            if let Some(id) = &info.message_id {
                ids.push(id.clone());
            }
            if let Some(text) = &info.message
                && !texts.contains(text)
            {
                texts.push(text.clone());
            }
        }
        if texts.is_empty()
            && let Some(message) = &detail.message
        {
            texts.push(message.clone());
        }
        return (truncate(&texts.join("; "), MAX_TEXT), ids);
    }
    // Some BMCs send a message list or a task-like body instead of `error`.
    if let Ok(task) = serde_json::from_slice::<Task>(body)
        && !task.messages.is_empty()
    {
        let ids = task
            .messages
            .iter()
            .filter_map(|message| message.message_id.clone())
            .collect();
        let texts: Vec<String> = task
            .messages
            .iter()
            .filter_map(|message| message.message.clone())
            .collect();
        return (truncate(&texts.join("; "), MAX_TEXT), ids);
    }
    let text = String::from_utf8_lossy(body);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (truncate(&collapsed, MAX_TEXT), Vec::new())
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let cut: String = text.chars().take(limit).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_types_decode_as_absent() {
        let system: ComputerSystem = serde_json::from_value(serde_json::json!({
            "Id": "1",
            "SerialNumber": 1234,
            "PowerState": "On",
            "Boot": {"BootSourceOverrideTarget": "Pxe", "HttpBootUri": "None",
                     "BootSourceOverrideTarget@Redfish.AllowableValues": "oops"},
            "Links": {"ManagedBy": [{"@odata.id": "/redfish/v1/Managers/1"}, 42]},
            "Oem": {"Vendor": {"Anything": [1, 2, 3]}},
            "Unknown": true
        }))
        .expect("tolerant decode");
        assert_eq!(system.id.as_deref(), Some("1"));
        assert_eq!(system.serial_number, None);
        let boot = system.boot.expect("boot");
        assert_eq!(boot.target.as_deref(), Some("Pxe"));
        assert_eq!(boot.target_allowed, None);
        let links = system.links.expect("links");
        assert_eq!(links.managed_by.len(), 1);
    }

    #[test]
    fn error_summary_prefers_extended_info() {
        let body = br#"{"error":{"code":"Base.1.0.GeneralError","message":"A general error has occurred.",
            "@Message.ExtendedInfo":[{"MessageId":"Base.1.8.PropertyValueNotInList","Message":"The value Floppy42 is not in the list."}]}}"#;
        let (message, ids) = error_summary(body);
        assert_eq!(message, "The value Floppy42 is not in the list.");
        assert_eq!(
            ids,
            vec!["Base.1.0.GeneralError", "Base.1.8.PropertyValueNotInList"]
        );
    }

    #[test]
    fn error_summary_falls_back_to_message_and_text() {
        let (message, ids) = error_summary(
            br#"{"error":{"code":"Base.1.0.GeneralError","message":"Not implemented"}}"#,
        );
        assert_eq!(message, "Not implemented");
        assert_eq!(ids, vec!["Base.1.0.GeneralError"]);
        let (message, ids) = error_summary(b"<html>\n  Bad   Request\n</html>");
        assert_eq!(message, "<html> Bad Request </html>");
        assert!(ids.is_empty());
        let long = "x".repeat(1000);
        let (message, _) = error_summary(long.as_bytes());
        assert_eq!(message.chars().count(), 401);
    }

    #[test]
    fn manager_finds_oem_action_by_suffix() {
        let manager: Manager = serde_json::from_value(serde_json::json!({
            "Actions": {"Oem": {"#OemManager.ImportSystemConfiguration": {
                "target": "/redfish/v1/Managers/iDRAC.Embedded.1/Actions/Oem/EID_674_Manager.ImportSystemConfiguration"}}}
        }))
        .unwrap();
        assert_eq!(
            manager
                .oem_action_target("ImportSystemConfiguration")
                .as_deref(),
            Some(
                "/redfish/v1/Managers/iDRAC.Embedded.1/Actions/Oem/EID_674_Manager.ImportSystemConfiguration"
            )
        );
        assert_eq!(manager.oem_action_target("ExportSystemConfiguration"), None);
    }
}
