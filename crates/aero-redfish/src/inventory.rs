//! Hardware inventory of a system: identity, firmware, power, CPUs, memory, NICs with MAC
//! addresses, drives, boot options with their allowed values, managers, chassis and virtual
//! media.
//!
//! The system resource itself must be readable; every linked part is optional: BMCs link
//! collections they do not implement (the emulator answers 501, 404 or 500), so a part that
//! cannot be read is left empty and named in [`Inventory::warnings`].

use serde::de::DeserializeOwned;

use crate::client::{Deadline, Resource};
use crate::error::RedfishError;
use crate::model::{
    Chassis, Collection, ComputerSystem, Drive, EthernetInterface, Link, Manager, Memory,
    Processor, SimpleStorage, Storage,
};
use crate::power::PowerState;
use crate::system::RedfishSystem;
use crate::vmedia::{MediaSlot, cd_slots};

/// A processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorInfo {
    /// Id.
    pub id: String,
    /// Socket label.
    pub socket: Option<String>,
    /// `CPU`, `GPU`, …
    pub processor_type: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Cores.
    pub cores: Option<u64>,
    /// Threads.
    pub threads: Option<u64>,
    /// Maximum speed in MHz.
    pub max_speed_mhz: Option<u64>,
}

/// A memory module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryInfo {
    /// Id.
    pub id: String,
    /// Capacity in MiB.
    pub capacity_mib: Option<u64>,
    /// Device type, e.g. `DDR4`.
    pub device_type: Option<String>,
    /// `Enabled`, `Absent`, …
    pub state: Option<String>,
}

/// A network interface of the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NicInfo {
    /// Id.
    pub id: String,
    /// Current MAC address.
    pub mac_address: Option<String>,
    /// Factory MAC address.
    pub permanent_mac_address: Option<String>,
    /// Link speed.
    pub speed_mbps: Option<u64>,
    /// Link status.
    pub link_status: Option<String>,
}

/// A drive (from Storage, or a SimpleStorage device).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveInfo {
    /// Id (or name for SimpleStorage devices).
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Capacity.
    pub capacity_bytes: Option<u64>,
    /// `HDD`, `SSD`.
    pub media_type: Option<String>,
    /// e.g. `SAS`, `NVMe`.
    pub protocol: Option<String>,
}

/// Boot override settings and their allowed values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootInfo {
    /// `Disabled`, `Once`, `Continuous`.
    pub persistence: Option<String>,
    /// Current target.
    pub target: Option<String>,
    /// Current mode.
    pub mode: Option<String>,
    /// Allowed targets.
    pub allowed_targets: Vec<String>,
    /// Allowed modes.
    pub allowed_modes: Vec<String>,
}

/// A manager (BMC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerInfo {
    /// Id.
    pub id: String,
    /// Model.
    pub model: Option<String>,
    /// Firmware version.
    pub firmware_version: Option<String>,
}

/// A chassis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChassisInfo {
    /// Id.
    pub id: String,
    /// Type.
    pub chassis_type: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
}

/// The inventory of one system.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    /// System id.
    pub system_id: String,
    /// System path.
    pub system_path: String,
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
    pub power_state: PowerState,
    /// Processor count from the summary.
    pub processor_count: Option<u64>,
    /// Processor model from the summary.
    pub processor_model: Option<String>,
    /// Total memory from the summary.
    pub memory_gib: Option<f64>,
    /// Processors.
    pub processors: Vec<ProcessorInfo>,
    /// Memory modules.
    pub memory: Vec<MemoryInfo>,
    /// Network interfaces.
    pub nics: Vec<NicInfo>,
    /// Drives.
    pub drives: Vec<DriveInfo>,
    /// Boot override.
    pub boot: BootInfo,
    /// Allowed reset types (empty when the BMC does not list them).
    pub reset_types: Vec<String>,
    /// Managers of the system.
    pub managers: Vec<ManagerInfo>,
    /// Chassis of the system.
    pub chassis: Vec<ChassisInfo>,
    /// Virtual media slots.
    pub virtual_media: Vec<MediaSlot>,
    /// Id of the slot an insert would use first.
    pub cd_slot: Option<String>,
    /// Quirk rules in effect.
    pub quirks: Vec<String>,
    /// Parts that could not be read.
    pub warnings: Vec<String>,
}

/// The identity and state of a system, read cheaply: the system, its Ethernet interfaces
/// and its first manager (for the BMC firmware version). What the BMC port's inventory
/// needs; [`RedfishSystem::inventory`] reads everything else too.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemSummary {
    /// System id.
    pub system_id: String,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// UUID.
    pub uuid: Option<String>,
    /// BIOS version.
    pub bios_version: Option<String>,
    /// Firmware version of the first manager (the BMC).
    pub bmc_firmware: Option<String>,
    /// Power state.
    pub power_state: PowerState,
    /// Network interfaces.
    pub nics: Vec<NicInfo>,
    /// Boot override.
    pub boot: BootInfo,
    /// Parts that could not be read.
    pub warnings: Vec<String>,
}

/// The boot override of a system resource.
pub(crate) fn boot_info(system: &ComputerSystem) -> BootInfo {
    system
        .boot
        .as_ref()
        .map(|boot| BootInfo {
            persistence: boot.enabled.clone(),
            target: boot.target.clone(),
            mode: boot.mode.clone(),
            allowed_targets: boot.target_allowed.clone().unwrap_or_default(),
            allowed_modes: boot.mode_allowed.clone().unwrap_or_default(),
        })
        .unwrap_or_default()
}

fn nic_info(path: String, interface: EthernetInterface) -> NicInfo {
    NicInfo {
        id: interface
            .id
            .unwrap_or_else(|| crate::discovery::last_segment(&path)),
        mac_address: interface.mac_address,
        permanent_mac_address: interface.permanent_mac_address,
        speed_mbps: interface.speed_mbps,
        link_status: interface.link_status,
    }
}

impl RedfishSystem {
    /// Reads the identity and state of the system (see [`SystemSummary`]).
    pub async fn summary(&self) -> Result<SystemSummary, RedfishError> {
        let deadline = self.deadline();
        let system = self.fetch(&deadline).await?;
        let value = &system.value;
        let mut warnings = Vec::new();
        let mut reader = PartReader {
            system: self,
            deadline: &deadline,
            warnings: &mut warnings,
        };
        let nics = reader
            .members::<EthernetInterface>(value.ethernet_interfaces.as_ref(), "ethernet interface")
            .await
            .into_iter()
            .map(|(path, interface)| nic_info(path, interface))
            .collect();
        let manager = value
            .links
            .as_ref()
            .and_then(|links| links.managed_by.first())
            .map(|link| link.odata_id.clone());
        let bmc_firmware = match manager {
            Some(path) => reader
                .read::<Manager>(&path, "manager")
                .await
                .and_then(|manager| manager.value.firmware_version),
            None => None,
        };
        Ok(SystemSummary {
            system_id: self.id().to_string(),
            manufacturer: value.manufacturer.clone(),
            model: value.model.clone(),
            serial_number: value.serial_number.clone(),
            uuid: value.uuid.clone(),
            bios_version: value.bios_version.clone(),
            bmc_firmware,
            power_state: PowerState::parse(value.power_state.as_deref()),
            nics,
            boot: boot_info(value),
            warnings,
        })
    }

    /// Reads the boot override now.
    pub async fn boot_settings(&self) -> Result<BootInfo, RedfishError> {
        let deadline = self.deadline();
        let system = self.fetch(&deadline).await?;
        Ok(boot_info(&system.value))
    }

    /// Reads the inventory.
    pub async fn inventory(&self) -> Result<Inventory, RedfishError> {
        let deadline = self.deadline();
        let system = self.fetch(&deadline).await?;
        let value = &system.value;
        let mut warnings = Vec::new();
        let mut reader = PartReader {
            system: self,
            deadline: &deadline,
            warnings: &mut warnings,
        };

        let processors = reader
            .members::<Processor>(value.processors.as_ref(), "processor")
            .await
            .into_iter()
            .map(|(path, processor)| ProcessorInfo {
                id: processor
                    .id
                    .unwrap_or_else(|| crate::discovery::last_segment(&path)),
                socket: processor.socket,
                processor_type: processor.processor_type,
                model: processor.model,
                cores: processor.total_cores,
                threads: processor.total_threads,
                max_speed_mhz: processor.max_speed_mhz,
            })
            .collect();
        let memory = reader
            .members::<Memory>(value.memory.as_ref(), "memory module")
            .await
            .into_iter()
            .map(|(path, module)| MemoryInfo {
                id: module
                    .id
                    .unwrap_or_else(|| crate::discovery::last_segment(&path)),
                capacity_mib: module.capacity_mib,
                device_type: module.memory_device_type,
                state: module.status.and_then(|status| status.state),
            })
            .collect();
        let nics = reader
            .members::<EthernetInterface>(value.ethernet_interfaces.as_ref(), "ethernet interface")
            .await
            .into_iter()
            .map(|(path, interface)| nic_info(path, interface))
            .collect();
        let drives = reader.drives(value).await;
        let managers = reader.managers(value).await;
        let chassis = reader.chassis(value).await;
        let reset_types = reader.reset_types(&system).await;

        let (virtual_media, cd_slot) = match self.slots(&deadline, false).await {
            Ok(slots) => {
                let allowed = self.quirks().virtual_media_slots.clone();
                let chosen = cd_slots(&slots, allowed.as_deref())
                    .first()
                    .map(|slot| slot.id.clone());
                (slots, chosen)
            }
            Err(error) => {
                warnings.push(format!("virtual media: {error}"));
                (Vec::new(), None)
            }
        };
        let boot = boot_info(value);
        Ok(Inventory {
            system_id: self.id().to_string(),
            system_path: self.path().to_string(),
            manufacturer: value.manufacturer.clone(),
            model: value.model.clone(),
            serial_number: value.serial_number.clone(),
            sku: value.sku.clone(),
            uuid: value.uuid.clone(),
            bios_version: value.bios_version.clone(),
            power_state: PowerState::parse(value.power_state.as_deref()),
            processor_count: value
                .processor_summary
                .as_ref()
                .and_then(|summary| summary.count),
            processor_model: value
                .processor_summary
                .as_ref()
                .and_then(|summary| summary.model.clone()),
            memory_gib: value
                .memory_summary
                .as_ref()
                .and_then(|summary| summary.total_system_memory_gib),
            processors,
            memory,
            nics,
            drives,
            boot,
            reset_types,
            managers,
            chassis,
            virtual_media,
            cd_slot,
            quirks: self.quirks().matched.clone(),
            warnings,
        })
    }
}

/// Reads optional parts, turning failures into warnings.
struct PartReader<'a> {
    system: &'a RedfishSystem,
    deadline: &'a Deadline,
    warnings: &'a mut Vec<String>,
}

impl PartReader<'_> {
    async fn read<T: DeserializeOwned>(&mut self, path: &str, what: &str) -> Option<Resource<T>> {
        match self
            .system
            .client()
            .get_optional::<T>(path, what, self.deadline)
            .await
        {
            Ok(resource) => Some(resource),
            Err(error) => {
                tracing::debug!(error = %error, "inventory part unavailable");
                self.warnings.push(error.to_string());
                None
            }
        }
    }

    async fn members<T: DeserializeOwned>(
        &mut self,
        collection: Option<&Link>,
        what: &str,
    ) -> Vec<(String, T)> {
        let Some(collection) = collection else {
            return Vec::new();
        };
        let Some(listing) = self
            .read::<Collection>(&collection.odata_id, &format!("{what} collection"))
            .await
        else {
            return Vec::new();
        };
        let mut members = Vec::new();
        for member in listing.value.members {
            if let Some(resource) = self.read::<T>(&member.odata_id, what).await {
                members.push((member.odata_id, resource.value));
            }
        }
        members
    }

    async fn drives(&mut self, system: &ComputerSystem) -> Vec<DriveInfo> {
        let mut drives = Vec::new();
        for (_, storage) in self
            .members::<Storage>(system.storage.as_ref(), "storage")
            .await
        {
            for link in storage.drives {
                if let Some(drive) = self.read::<Drive>(&link.odata_id, "drive").await {
                    let drive_path = drive.path.clone();
                    let drive = drive.value;
                    drives.push(DriveInfo {
                        id: drive
                            .id
                            .unwrap_or_else(|| crate::discovery::last_segment(&drive_path)),
                        name: drive.name,
                        model: drive.model,
                        serial_number: drive.serial_number,
                        capacity_bytes: drive.capacity_bytes,
                        media_type: drive.media_type,
                        protocol: drive.protocol,
                    });
                }
            }
        }
        for (_, controller) in self
            .members::<SimpleStorage>(system.simple_storage.as_ref(), "simple storage")
            .await
        {
            for device in controller.devices {
                let absent = device
                    .status
                    .as_ref()
                    .and_then(|status| status.state.as_deref())
                    == Some("Absent");
                if absent {
                    continue;
                }
                let name = device.name.clone().unwrap_or_else(|| "device".to_string());
                drives.push(DriveInfo {
                    id: name.clone(),
                    name: Some(name),
                    model: device.model,
                    serial_number: None,
                    capacity_bytes: device.capacity_bytes,
                    media_type: None,
                    protocol: None,
                });
            }
        }
        drives
    }

    async fn managers(&mut self, system: &ComputerSystem) -> Vec<ManagerInfo> {
        let links = system
            .links
            .as_ref()
            .map(|links| links.managed_by.clone())
            .unwrap_or_default();
        let mut managers = Vec::new();
        for link in links {
            if let Some(manager) = self.read::<Manager>(&link.odata_id, "manager").await {
                managers.push(ManagerInfo {
                    id: manager
                        .value
                        .id
                        .clone()
                        .unwrap_or_else(|| crate::discovery::last_segment(&manager.path)),
                    model: manager.value.model,
                    firmware_version: manager.value.firmware_version,
                });
            }
        }
        managers
    }

    async fn chassis(&mut self, system: &ComputerSystem) -> Vec<ChassisInfo> {
        let links = system
            .links
            .as_ref()
            .map(|links| links.chassis.clone())
            .unwrap_or_default();
        let mut chassis = Vec::new();
        for link in links {
            if let Some(resource) = self.read::<Chassis>(&link.odata_id, "chassis").await {
                chassis.push(ChassisInfo {
                    id: resource
                        .value
                        .id
                        .clone()
                        .unwrap_or_else(|| crate::discovery::last_segment(&resource.path)),
                    chassis_type: resource.value.chassis_type,
                    model: resource.value.model,
                    serial_number: resource.value.serial_number,
                });
            }
        }
        chassis
    }

    async fn reset_types(&mut self, system: &Resource<ComputerSystem>) -> Vec<String> {
        let Some(reset) = system
            .value
            .actions
            .as_ref()
            .and_then(|actions| actions.reset.as_ref())
        else {
            return Vec::new();
        };
        if let Some(allowed) = &reset.allowed {
            return allowed.clone();
        }
        let Some(info_path) = &reset.action_info else {
            return Vec::new();
        };
        self.read::<crate::model::ActionInfo>(info_path, "reset action info")
            .await
            .and_then(|info| {
                info.value
                    .parameters
                    .into_iter()
                    .find(|parameter| parameter.name.as_deref() == Some("ResetType"))
                    .and_then(|parameter| parameter.allowable_values)
            })
            .unwrap_or_default()
    }
}
