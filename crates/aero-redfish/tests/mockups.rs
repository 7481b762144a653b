//! Discovery, inventory and the PATCH/action paths on every DMTF mockup tree in
//! `tests/mockups`, served with DMTF mockup-server semantics.

mod support;

use std::time::Duration;

use aero_redfish::boot::{BootMethod, BootMode, BootOverride, BootPersistence, BootTarget};
use aero_redfish::client::BmcClient;
use aero_redfish::error::RedfishError;
use aero_redfish::inventory::Inventory;
use aero_redfish::power::{PowerRequest, PowerState};
use aero_redfish::vmedia::MediaControl;
use serde_json::json;
use support::fake_bmc::FakeBmc;

async fn open(name: &str) -> (FakeBmc, BmcClient) {
    let server = FakeBmc::mockup(name).await;
    let client = support::connect(&server.url, "user", "password").await;
    (server, client)
}

fn macs(inventory: &Inventory) -> Vec<String> {
    inventory
        .nics
        .iter()
        .map(|nic| nic.mac_address.clone().unwrap_or_default())
        .collect()
}

fn slot_ids(inventory: &Inventory) -> Vec<String> {
    inventory
        .virtual_media
        .iter()
        .map(|slot| slot.id.clone())
        .collect()
}

#[tokio::test]
async fn rackmount1_inventory() {
    let (_server, client) = open("public-rackmount1").await;
    assert_eq!(
        client.service().systems.as_deref(),
        Some("/redfish/v1/Systems")
    );
    assert_eq!(
        client.service().managers.as_deref(),
        Some("/redfish/v1/Managers")
    );
    assert_eq!(
        client.service().chassis.as_deref(),
        Some("/redfish/v1/Chassis")
    );
    assert_eq!(
        client.service().sessions.as_deref(),
        Some("/redfish/v1/SessionService/Sessions")
    );
    // The mockup server answers the login with 204 and a fixed token: sessions are used.
    assert!(client.uses_session().await);

    let system = client.system(None).await.expect("the only system");
    let inventory = system.inventory().await.expect("inventory");
    assert_eq!(inventory.system_id, "437XR1138R2");
    assert_eq!(inventory.serial_number.as_deref(), Some("437XR1138R2"));
    assert_eq!(inventory.manufacturer.as_deref(), Some("Contoso"));
    assert_eq!(inventory.model.as_deref(), Some("3500"));
    assert_eq!(
        inventory.uuid.as_deref(),
        Some("38947555-7742-3448-3784-823347823834")
    );
    assert_eq!(
        inventory.bios_version.as_deref(),
        Some("P79 v1.45 (12/06/2017)")
    );
    assert_eq!(inventory.power_state, PowerState::On);
    assert_eq!(inventory.processor_count, Some(2));
    assert_eq!(inventory.memory_gib, Some(96.0));
    assert_eq!(
        macs(&inventory),
        vec![
            "12:44:6A:3B:04:11",
            "AA:BB:CC:DD:EE:00",
            "12:44:6A:3B:04:11",
            "AA:BB:CC:DD:EE:FE"
        ]
    );
    assert_eq!(
        inventory.nics[1].permanent_mac_address.as_deref(),
        Some("12:44:6A:3B:88:90")
    );
    let processors: Vec<&str> = inventory
        .processors
        .iter()
        .map(|cpu| cpu.id.as_str())
        .collect();
    assert_eq!(processors, vec!["CPU1", "CPU2", "FPGA1"]);
    assert_eq!(inventory.memory.len(), 4);
    // SimpleStorage: two present drives, two absent bays skipped.
    let drives: Vec<(String, Option<u64>)> = inventory
        .drives
        .iter()
        .map(|drive| {
            (
                drive.model.clone().unwrap_or_default(),
                drive.capacity_bytes,
            )
        })
        .collect();
    assert_eq!(
        drives,
        vec![
            ("3000GT8".to_string(), Some(8_000_000_000_000)),
            ("3000GT7".to_string(), Some(4_000_000_000_000))
        ]
    );
    assert_eq!(inventory.boot.persistence.as_deref(), Some("Once"));
    assert_eq!(inventory.boot.target.as_deref(), Some("Pxe"));
    assert_eq!(inventory.boot.mode.as_deref(), Some("UEFI"));
    assert!(inventory.boot.allowed_targets.contains(&"Cd".to_string()));
    assert_eq!(inventory.boot.allowed_targets.len(), 10);
    assert!(
        inventory
            .reset_types
            .contains(&"GracefulShutdown".to_string())
    );
    assert_eq!(inventory.managers[0].id, "BMC");
    assert_eq!(
        inventory.chassis[0].serial_number.as_deref(),
        Some("437XR1138R2")
    );
    // VirtualMedia under Systems, without actions: PATCH-based; CD1 is the slot chosen.
    assert_eq!(slot_ids(&inventory), vec!["Floppy1", "CD1", "CD2"]);
    assert_eq!(inventory.cd_slot.as_deref(), Some("CD1"));
    assert_eq!(
        inventory.virtual_media[1].path,
        "/redfish/v1/Systems/437XR1138R2/VirtualMedia/CD1"
    );
    assert_eq!(inventory.virtual_media[1].insert, MediaControl::Patch);
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
}

#[tokio::test]
async fn rackmount1_patch_only_virtual_media() {
    let (server, client) = open("public-rackmount1").await;
    let system = client.system(None).await.expect("system");
    let image = "http://images.example/deploy.iso";
    let outcome = system.insert_media(image).await.expect("insert");
    // Both CD slots held media: both are ejected by PATCH, then CD1 takes the image.
    assert_eq!(outcome.ejected, vec!["CD1", "CD2"]);
    let slot = outcome.slot.expect("slot");
    assert_eq!(slot.id, "CD1");
    assert_eq!(slot.image.as_deref(), Some(image));
    let patches = server.requests_to("PATCH", "/VirtualMedia/CD1");
    let bodies: Vec<_> = patches
        .iter()
        .map(|request| request.body.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        bodies,
        vec![
            json!({"Image": null, "Inserted": false}),
            json!({"Image": image, "Inserted": true, "WriteProtected": true}),
        ]
    );
    let cd1 = server.resource("/redfish/v1/Systems/437XR1138R2/VirtualMedia/CD1");
    assert_eq!(cd1["Image"], image);
    assert_eq!(cd1["Inserted"], true);
    assert!(server.requests_to("POST", "VirtualMedia").is_empty());

    let ejected = system.eject_media().await.expect("eject");
    assert_eq!(ejected.ejected, vec!["CD1"]);
    let cd1 = server.resource("/redfish/v1/Systems/437XR1138R2/VirtualMedia/CD1");
    assert_eq!(cd1["Inserted"], false);
}

#[tokio::test]
async fn rackmount1_boot_bios_and_idempotent_power() {
    let (server, client) = open("public-rackmount1").await;
    let system = client
        .system(Some("437XR1138R2"))
        .await
        .expect("system by id");
    let outcome = system
        .set_boot_override(&BootOverride {
            target: BootTarget::Cd,
            persistence: BootPersistence::Continuous,
            mode: Some(BootMode::Uefi),
        })
        .await
        .expect("boot");
    assert_eq!(outcome.target, "Cd");
    assert_eq!(
        outcome.method,
        BootMethod::Patch(vec!["/redfish/v1/Systems/437XR1138R2".to_string()])
    );
    let patch = server.requests_to("PATCH", "/Systems/437XR1138R2");
    assert_eq!(
        patch[0].body,
        Some(
            json!({"Boot": {"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Continuous"}})
        )
    );
    assert_eq!(
        server.resource("/redfish/v1/Systems/437XR1138R2")["Boot"]["BootSourceOverrideTarget"],
        "Cd"
    );

    let bios = system.bios().await.expect("bios");
    assert_eq!(bios.attributes["ProcTurboMode"], "Enabled");
    assert_eq!(
        bios.pending.as_ref().expect("pending")["ProcTurboMode"],
        "Disabled"
    );
    assert_eq!(
        bios.settings_path,
        "/redfish/v1/Systems/437XR1138R2/Bios/Settings"
    );
    let mut attributes = serde_json::Map::new();
    attributes.insert("ProcTurboMode".to_string(), json!("Enabled"));
    let update = system
        .set_bios_attributes(attributes)
        .await
        .expect("bios update");
    assert!(update.applies_at_next_reset);
    assert_eq!(
        server.resource("/redfish/v1/Systems/437XR1138R2/Bios/Settings")["Attributes"]["ProcTurboMode"],
        "Enabled"
    );
    // The current settings are untouched until the next reset.
    assert_eq!(
        server.resource("/redfish/v1/Systems/437XR1138R2/Bios")["Attributes"]["ProcTurboMode"],
        "Enabled"
    );
    assert_eq!(
        server.resource("/redfish/v1/Systems/437XR1138R2/Bios")["Attributes"]["AdminPhone"],
        ""
    );

    // Already on: nothing is posted.
    let power = system.set_power(PowerRequest::On).await.expect("power on");
    assert!(!power.changed());
    assert_eq!(power.after, PowerState::On);
    assert!(
        server
            .requests_to("POST", "ComputerSystem.Reset")
            .is_empty()
    );
}

#[tokio::test]
async fn bladed_has_four_systems_and_no_virtual_media() {
    let (_server, client) = open("public-bladed").await;
    let error = client.system(None).await.expect_err("several systems");
    assert!(
        matches!(error, RedfishError::AmbiguousSystem { count: 4, .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("529QB9450R6, 529QB9451R6, 529QB9452R6, 529QB9453R6"),
        "{error}"
    );
    let missing = client
        .system(Some("nope"))
        .await
        .expect_err("unknown system");
    assert!(
        matches!(missing, RedfishError::SystemNotFound { .. }),
        "{missing}"
    );

    let system = client.system(Some("529QB9452R6")).await.expect("blade 3");
    let inventory = system.inventory().await.expect("inventory");
    assert_eq!(inventory.serial_number.as_deref(), Some("529QB9452R6"));
    assert_eq!(inventory.model.as_deref(), Some("SX1000"));
    assert_eq!(inventory.power_state, PowerState::On);
    assert_eq!(
        inventory.bios_version.as_deref(),
        Some("P86 v1.58 (10/15/2015)")
    );
    assert!(inventory.nics.is_empty());
    assert!(inventory.virtual_media.is_empty());
    assert_eq!(inventory.cd_slot, None);
    assert_eq!(inventory.managers[0].id, "Blade3BMC");
    assert_eq!(inventory.chassis[0].id, "Blade3");
    assert_eq!(inventory.drives.len(), 2);
    assert_eq!(
        inventory.boot.allowed_targets,
        vec!["None", "Pxe", "Floppy", "Cd", "Usb", "Hdd", "BiosSetup"]
    );
    let error = system
        .insert_media("http://x/a.iso")
        .await
        .expect_err("no slot");
    assert!(
        matches!(error, RedfishError::NoVirtualMediaSlot { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("no virtual media found"),
        "{error}"
    );
}

#[tokio::test]
async fn tower_virtual_media_under_managers() {
    let (_server, client) = open("public-tower").await;
    let system = client.system(None).await.expect("system");
    let inventory = system.inventory().await.expect("inventory");
    assert_eq!(inventory.serial_number.as_deref(), Some("437XR1238R2"));
    assert_eq!(inventory.model.as_deref(), Some("3500"));
    assert_eq!(inventory.power_state, PowerState::On);
    assert_eq!(
        inventory.bios_version.as_deref(),
        Some("P79 v1.95 (12/06/2019)")
    );
    assert_eq!(
        macs(&inventory),
        vec!["FB:AA:1D:4E:D0:7A", "FB:AA:1D:4E:D0:7C"]
    );
    assert_eq!(inventory.processors.len(), 10);
    assert_eq!(inventory.processors[0].cores, Some(16));
    assert_eq!(inventory.memory.len(), 16);
    assert_eq!(inventory.memory[0].capacity_mib, Some(131_072));
    // Drives are linked from Storage into the chassis and carry no Id: named by their path.
    assert_eq!(inventory.drives.len(), 18);
    let m2 = inventory
        .drives
        .iter()
        .find(|drive| drive.id == "M.2-1")
        .expect("M.2-1");
    assert_eq!(m2.model.as_deref(), Some("NVMe 1000"));
    assert_eq!(m2.protocol.as_deref(), Some("NVMe"));
    assert_eq!(m2.capacity_bytes, Some(1_125_899_906_842_624));
    assert_eq!(inventory.chassis[0].model.as_deref(), Some("3500TX"));
    // No VirtualMedia under the system: the manager's collection is used.
    assert_eq!(slot_ids(&inventory), vec!["Floppy1", "CD1"]);
    assert_eq!(
        inventory.virtual_media[1].path,
        "/redfish/v1/Managers/BMC/VirtualMedia/CD1"
    );
    assert_eq!(inventory.cd_slot.as_deref(), Some("CD1"));
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
}

#[tokio::test]
async fn telemetry_actions_under_managers_and_action_info() {
    let server = FakeBmc::mockup("public-telemetry").await;
    let mut config = support::fast_config(&server.url, "user", "password");
    config.timing.operation_deadline = Duration::from_millis(1500);
    let client = BmcClient::connect(config).await.expect("connect");
    let system = client.system(None).await.expect("system");
    let inventory = system.inventory().await.expect("inventory");
    assert_eq!(inventory.serial_number.as_deref(), Some("2M220100SL"));
    assert_eq!(inventory.model.as_deref(), Some("Model Name"));
    assert_eq!(inventory.manufacturer.as_deref(), Some("Manufacturer Name"));
    assert_eq!(inventory.power_state, PowerState::On);
    assert!(inventory.nics.is_empty());
    // Reset types come from the action's @Redfish.ActionInfo.
    assert_eq!(inventory.reset_types.len(), 8);
    assert!(
        inventory
            .reset_types
            .contains(&"PushPowerButton".to_string())
    );
    assert_eq!(slot_ids(&inventory), vec!["Floppy1", "CD1"]);
    assert_eq!(inventory.cd_slot.as_deref(), Some("CD1"));
    let cd1 = &inventory.virtual_media[1];
    assert_eq!(
        cd1.insert,
        MediaControl::Action(
            "/redfish/v1/Managers/1/VirtualMedia/CD1/Actions/VM.InsertMedia".to_string()
        )
    );

    // The mockup server accepts the eject at the advertised (non-standard) target but changes
    // nothing, so the client reports that the slot never emptied, naming slot and state.
    let error = system
        .insert_media("http://x/a.iso")
        .await
        .expect_err("static server");
    let text = error.to_string();
    assert!(matches!(error, RedfishError::Converge(_)), "{text}");
    assert!(
        text.contains(
            "/redfish/v1/Managers/1/VirtualMedia/CD1: Inserted/Image did not become ejected"
        ),
        "{text}"
    );
    assert!(text.contains("Inserted=true"), "{text}");
    let ejects = server.requests_to(
        "POST",
        "/redfish/v1/Managers/1/VirtualMedia/CD1/Actions/VM.EjectMedia",
    );
    assert_eq!(ejects.len(), 1);
    assert!(server.requests_to("POST", "InsertMedia").is_empty());

    // Power off is posted to the advertised target with a type from the ActionInfo.
    let power = system
        .set_power(PowerRequest::ForceOff)
        .await
        .expect_err("static power state");
    assert!(matches!(power, RedfishError::Converge(_)), "{power}");
    let resets = server.requests_to("POST", "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset");
    assert_eq!(resets[0].body, Some(json!({"ResetType": "ForceOff"})));
}
