//! Resource trees shaped like the vendor BMCs the reference describes (`redfish.md` §2 and
//! §4): where they put virtual media, how they spell paths and boot values, which actions
//! they offer. Behaviour (errors, jobs) is added by hooks in the tests.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Where the virtual media collection lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaUnder {
    System,
    Manager,
}

/// Which session links the service root has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionLinks {
    /// `Links.Sessions` and `SessionService`.
    Links,
    /// Only `SessionService` (the client constructs `<SessionService>/Sessions`).
    ServiceOnly,
    /// Neither.
    None,
}

/// The shape of a fixture BMC.
#[derive(Debug, Clone)]
pub struct Shape {
    pub vendor: Option<&'static str>,
    pub manufacturer: &'static str,
    pub model: &'static str,
    pub system_id: &'static str,
    pub manager_id: &'static str,
    pub manager_firmware: &'static str,
    /// Every `@odata.id` and action target ends with '/' (iLO).
    pub slash: bool,
    pub power_state: &'static str,
    pub boot: Value,
    pub media_under: MediaUnder,
    pub media_slot: &'static str,
    pub media_actions: bool,
    /// Media fields reported by the slot (`Inserted`, `WriteProtected` or not).
    pub media_reports_inserted: bool,
    pub sessions: SessionLinks,
    pub manager_oem_actions: Value,
    pub reset_types: Vec<&'static str>,
}

impl Shape {
    pub fn path(&self, relative: &str) -> String {
        let slash = if self.slash { "/" } else { "" };
        format!("/redfish/v1/{relative}{slash}")
    }

    pub fn system_path(&self) -> String {
        self.path(&format!("Systems/{}", self.system_id))
    }

    pub fn manager_path(&self) -> String {
        self.path(&format!("Managers/{}", self.manager_id))
    }

    pub fn media_collection_path(&self) -> String {
        match self.media_under {
            MediaUnder::System => self.path(&format!("Systems/{}/VirtualMedia", self.system_id)),
            MediaUnder::Manager => self.path(&format!("Managers/{}/VirtualMedia", self.manager_id)),
        }
    }

    pub fn media_slot_path(&self) -> String {
        let collection = self.media_collection_path();
        self.path(&format!(
            "{}/{}",
            collection
                .trim_start_matches("/redfish/v1/")
                .trim_end_matches('/'),
            self.media_slot
        ))
    }

    pub fn reset_target(&self) -> String {
        self.path(&format!(
            "Systems/{}/Actions/ComputerSystem.Reset",
            self.system_id
        ))
    }

    pub fn insert_target(&self) -> String {
        let slot = self.media_slot_path();
        self.path(&format!(
            "{}/Actions/VirtualMedia.InsertMedia",
            slot.trim_start_matches("/redfish/v1/")
                .trim_end_matches('/')
        ))
    }

    pub fn eject_target(&self) -> String {
        let slot = self.media_slot_path();
        self.path(&format!(
            "{}/Actions/VirtualMedia.EjectMedia",
            slot.trim_start_matches("/redfish/v1/")
                .trim_end_matches('/')
        ))
    }

    pub fn sessions_path(&self) -> String {
        self.path("SessionService/Sessions")
    }

    /// The resources of this shape.
    pub fn resources(&self) -> BTreeMap<String, Value> {
        let mut resources = BTreeMap::new();
        let mut root = json!({
            "@odata.id": "/redfish/v1/",
            "Id": "RootService",
            "RedfishVersion": "1.11.0",
            "Systems": {"@odata.id": self.path("Systems")},
            "Managers": {"@odata.id": self.path("Managers")},
            "Chassis": {"@odata.id": self.path("Chassis")},
        });
        if let Some(vendor) = self.vendor {
            root["Vendor"] = json!(vendor);
        }
        match self.sessions {
            SessionLinks::Links => {
                root["SessionService"] = json!({"@odata.id": self.path("SessionService")});
                root["Links"] = json!({"Sessions": {"@odata.id": self.sessions_path()}});
            }
            SessionLinks::ServiceOnly => {
                root["SessionService"] = json!({"@odata.id": self.path("SessionService")});
            }
            SessionLinks::None => {}
        }
        resources.insert("/redfish/v1/".to_string(), root);
        if self.sessions != SessionLinks::None {
            resources.insert(
                self.path("SessionService"),
                json!({"@odata.id": self.path("SessionService"), "Sessions": {"@odata.id": self.sessions_path()}}),
            );
            resources.insert(
                self.sessions_path(),
                json!({"@odata.id": self.sessions_path(), "Members": []}),
            );
        }
        resources.insert(
            self.path("Systems"),
            json!({"@odata.id": self.path("Systems"), "Members": [{"@odata.id": self.system_path()}]}),
        );
        let mut system = json!({
            "@odata.id": self.system_path(),
            "Id": self.system_id,
            "Name": "System",
            "Manufacturer": self.manufacturer,
            "Model": self.model,
            "SerialNumber": format!("SN-{}", self.system_id),
            "UUID": "4c4c4544-0000-1000-8000-000000000001",
            "BiosVersion": "2.10.0",
            "PowerState": self.power_state,
            "Boot": self.boot,
            "Links": {"ManagedBy": [{"@odata.id": self.manager_path()}], "Chassis": []},
            "Actions": {"#ComputerSystem.Reset": {
                "target": self.reset_target(),
                "ResetType@Redfish.AllowableValues": self.reset_types,
            }},
            "Oem": {"Vendor": {"Anything": {"Nested": [1, 2, 3]}}},
        });
        let mut manager = json!({
            "@odata.id": self.manager_path(),
            "Id": self.manager_id,
            "Model": "BMC",
            "FirmwareVersion": self.manager_firmware,
            "Actions": {"Oem": self.manager_oem_actions},
        });
        match self.media_under {
            MediaUnder::System => {
                system["VirtualMedia"] = json!({"@odata.id": self.media_collection_path()})
            }
            MediaUnder::Manager => {
                manager["VirtualMedia"] = json!({"@odata.id": self.media_collection_path()})
            }
        }
        resources.insert(self.system_path(), system);
        resources.insert(
            self.path("Managers"),
            json!({"@odata.id": self.path("Managers"), "Members": [{"@odata.id": self.manager_path()}]}),
        );
        resources.insert(self.manager_path(), manager);
        resources.insert(
            self.path("Chassis"),
            json!({"@odata.id": self.path("Chassis"), "Members": []}),
        );
        resources.insert(
            self.media_collection_path(),
            json!({"@odata.id": self.media_collection_path(), "Members": [{"@odata.id": self.media_slot_path()}]}),
        );
        let mut slot = json!({
            "@odata.id": self.media_slot_path(),
            "Id": self.media_slot,
            "Name": "Virtual CD",
            "MediaTypes": ["CD", "DVD"],
            "Image": null,
            "ConnectedVia": "NotConnected",
        });
        if self.media_reports_inserted {
            slot["Inserted"] = json!(false);
            slot["WriteProtected"] = json!(true);
        }
        if self.media_actions {
            slot["Actions"] = json!({
                "#VirtualMedia.InsertMedia": {"target": self.insert_target()},
                "#VirtualMedia.EjectMedia": {"target": self.eject_target()},
            });
        }
        resources.insert(self.media_slot_path(), slot);
        resources
    }
}

impl Shape {
    /// The resources, with one more CD/DVD slot `id` (same media types and actions) listed
    /// before the shape's own slot.
    pub fn resources_with_slot_first(&self, id: &str) -> BTreeMap<String, Value> {
        let mut resources = self.resources();
        let collection = self.media_collection_path();
        let own_path = self.media_slot_path();
        let own_id = self.media_slot;
        let retarget = |text: &str| text.replace(&format!("/{own_id}"), &format!("/{id}"));
        let mut slot = resources[&own_path].clone();
        slot["@odata.id"] = json!(retarget(&own_path));
        slot["Id"] = json!(id);
        if let Some(actions) = slot.get_mut("Actions").and_then(Value::as_object_mut) {
            for action in actions.values_mut() {
                let target = action["target"].as_str().unwrap_or_default().to_string();
                action["target"] = json!(retarget(&target));
            }
        }
        resources.insert(retarget(&own_path), slot);
        let members = resources
            .get_mut(&collection)
            .and_then(|collection| collection["Members"].as_array_mut())
            .expect("media collection");
        members.insert(0, json!({"@odata.id": retarget(&own_path)}));
        resources
    }
}

/// A spec-following BMC.
pub fn contoso() -> Shape {
    Shape {
        vendor: Some("Contoso"),
        manufacturer: "Contoso",
        model: "3500",
        system_id: "1",
        manager_id: "BMC",
        manager_firmware: "1.00",
        slash: false,
        power_state: "Off",
        boot: json!({
            "BootSourceOverrideEnabled": "Disabled",
            "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Cd", "Hdd", "UefiHttp"],
            "BootSourceOverrideMode": "UEFI",
        }),
        media_under: MediaUnder::System,
        media_slot: "CD1",
        media_actions: true,
        media_reports_inserted: true,
        sessions: SessionLinks::Links,
        manager_oem_actions: json!({}),
        reset_types: vec!["On", "ForceOff", "GracefulShutdown", "ForceRestart"],
    }
}

/// Dell iDRAC 9 (bmc-toolbox idrac9 dump): System.Embedded.1, virtual media CD under
/// Managers/iDRAC.Embedded.1 with actions, no BootSourceOverrideMode, ImportSystemConfiguration
/// as an Oem manager action, no sessions collection in this dump.
pub fn dell_idrac9() -> Shape {
    Shape {
        vendor: Some("Dell"),
        manufacturer: "Dell Inc.",
        model: "PowerEdge R640",
        system_id: "System.Embedded.1",
        manager_id: "iDRAC.Embedded.1",
        manager_firmware: "4.40.00.00",
        slash: false,
        power_state: "On",
        boot: json!({
            "BootSourceOverrideEnabled": "Once",
            "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Floppy", "Cd", "Hdd", "BiosSetup", "Utilities", "UefiTarget", "SDCard", "UefiHttp"],
        }),
        media_under: MediaUnder::Manager,
        media_slot: "CD",
        media_actions: true,
        media_reports_inserted: true,
        sessions: SessionLinks::None,
        manager_oem_actions: json!({
            "#OemManager.ImportSystemConfiguration": {
                "target": "/redfish/v1/Managers/iDRAC.Embedded.1/Actions/Oem/EID_674_Manager.ImportSystemConfiguration"
            }
        }),
        reset_types: vec![
            "On",
            "ForceOff",
            "ForceRestart",
            "GracefulShutdown",
            "PushPowerButton",
            "Nmi",
        ],
    }
}

/// Dell iDRAC 10 (PowerEdge 17G, firmware 1.x; dell/iDRAC-Redfish-Scripting issue 324):
/// virtual media under Systems/System.Embedded.1 as slots "2" and "1" (listed in that order,
/// see [`Shape::resources_with_slot_first`]), both CD/DVD with actions; none under
/// the manager; Boot with BootSourceOverrideMode.
pub fn dell_idrac10() -> Shape {
    Shape {
        model: "PowerEdge R770",
        manager_firmware: "1.20.25.00",
        power_state: "Off",
        boot: json!({
            "BootSourceOverrideEnabled": "Disabled",
            "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Floppy", "Cd", "Hdd", "BiosSetup", "Utilities", "UefiTarget", "SDCard", "UefiHttp"],
            "BootSourceOverrideMode": "UEFI",
            "BootSourceOverrideMode@Redfish.AllowableValues": ["UEFI"],
        }),
        media_under: MediaUnder::System,
        media_slot: "1",
        ..dell_idrac9()
    }
}

/// HPE iLO 5 (bmc-toolbox hpegen10 dump): Systems/1, Managers/1/VirtualMedia/2 (CD/DVD),
/// every path and action target ending in '/', Boot with BootSourceOverrideMode and UEFI
/// targets, `@odata.etag` in bodies.
pub fn hpe_ilo5() -> Shape {
    Shape {
        vendor: Some("HPE"),
        manufacturer: "HPE",
        model: "ProLiant DL360 Gen10",
        system_id: "1",
        manager_id: "1",
        manager_firmware: "iLO 5 v2.72",
        slash: true,
        power_state: "On",
        boot: json!({
            "BootSourceOverrideEnabled": "Disabled",
            "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Cd", "Hdd", "Usb", "SDCard", "Utilities", "Diags", "BiosSetup", "Pxe", "UefiShell", "UefiHttp", "UefiTarget"],
            "BootSourceOverrideMode": "UEFI",
            "UefiTargetBootSourceOverride@Redfish.AllowableValues": ["HD(1,GPT,0000)/\\EFI\\redhat\\shimx64.efi"],
        }),
        media_under: MediaUnder::Manager,
        media_slot: "2",
        media_actions: true,
        media_reports_inserted: true,
        sessions: SessionLinks::ServiceOnly,
        manager_oem_actions: json!({}),
        reset_types: vec![
            "On",
            "ForceOff",
            "GracefulShutdown",
            "ForceRestart",
            "Nmi",
            "PushPowerButton",
        ],
    }
}

/// Supermicro X11 (bmc-toolbox supermicroX10 dump for the Boot values): Systems/1,
/// non-standard allowable boot targets including UsbCd, no BootSourceOverrideMode; virtual
/// media CD under Managers/1 with actions.
pub fn supermicro_x11() -> Shape {
    Shape {
        vendor: None,
        manufacturer: "Supermicro",
        model: "X11DPU",
        system_id: "1",
        manager_id: "1",
        manager_firmware: "1.73.14",
        slash: false,
        power_state: "Off",
        boot: json!({
            "BootSourceOverrideEnabled": "Once",
            "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Hdd", "Cd", "UsbCd", "UefiCd", "UefiUsbCd", "UefiPxe", "UefiHdd", "BiosSetup"],
        }),
        media_under: MediaUnder::Manager,
        media_slot: "CD1",
        media_actions: true,
        media_reports_inserted: true,
        sessions: SessionLinks::Links,
        manager_oem_actions: json!({}),
        reset_types: vec![
            "On",
            "ForceOff",
            "GracefulShutdown",
            "GracefulRestart",
            "ForceRestart",
        ],
    }
}

/// AMI MegaRAC (ASRockRack boards): wants Target, Enabled and Mode in one PATCH.
pub fn ami_megarac() -> Shape {
    Shape {
        vendor: Some("AMI"),
        manufacturer: "ASRockRack",
        model: "ROMED8-2T",
        system_id: "Self",
        manager_id: "Self",
        manager_firmware: "12.61.21",
        slash: false,
        power_state: "Off",
        boot: json!({
            "BootSourceOverrideEnabled": "Continuous",
            "BootSourceOverrideTarget": "Hdd",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Hdd", "Cd", "Usb", "BiosSetup"],
            "BootSourceOverrideMode": "UEFI",
        }),
        media_under: MediaUnder::Manager,
        media_slot: "CD1",
        media_actions: true,
        media_reports_inserted: true,
        sessions: SessionLinks::Links,
        manager_oem_actions: json!({}),
        reset_types: vec!["On", "ForceOff", "GracefulShutdown", "ForceRestart"],
    }
}

/// Lenovo SD530 style: virtual media without actions, changed by PATCH with If-Match.
pub fn lenovo_sd530() -> Shape {
    Shape {
        vendor: Some("Lenovo"),
        manufacturer: "Lenovo",
        model: "ThinkSystem SD530",
        system_id: "1",
        manager_id: "1",
        manager_firmware: "TEI3",
        slash: false,
        power_state: "Off",
        boot: json!({
            "BootSourceOverrideEnabled": "Disabled",
            "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Cd", "Hdd"],
            "BootSourceOverrideMode": "UEFI",
        }),
        media_under: MediaUnder::Manager,
        media_slot: "EXT1",
        media_actions: false,
        media_reports_inserted: true,
        sessions: SessionLinks::Links,
        manager_oem_actions: json!({}),
        reset_types: vec!["On", "ForceOff", "GracefulShutdown", "ForceRestart"],
    }
}
