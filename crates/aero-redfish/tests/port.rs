//! The BMC port (`aero_bmc::Bmc`, opened by `RedfishConnector`) over Redfish, as workflow
//! steps use it: against the real emulator (sushy-tools 2.2.0: power applied seconds later,
//! a CD slot and a second `Floppy` slot), the DMTF mockup tree and vendor-shaped fixtures
//! (log services, iDRAC's `RemovableDisk`, iDRAC 10's boot slot), and the error classes a
//! step sees.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aero_bmc::{
    Bmc, BmcConnector, BmcError, BmcTarget, BootMode, BootOverride, BootPersistence, BootTarget,
    Credentials, LogOrigin, MacAddress, MediaType, PowerAction, PowerState, Severity, pick_slots,
};
use aero_error::{Classify, ErrorClass};
use serde_json::{Value, json};
use support::emulator::{Emulator, EmulatorOptions, PASSWORD, USERNAME, system_mac, system_uuid};
use support::fake_bmc::{Behaviour, FakeBmc};
use support::proxy::Proxy;
use support::vendors;

fn target(url: &str) -> BmcTarget {
    BmcTarget::new(url, Credentials::new(USERNAME, PASSWORD))
}

async fn connect(url: &str) -> Arc<dyn Bmc> {
    support::fast_connector()
        .connect(&target(url))
        .await
        .unwrap_or_else(|error| panic!("connect to {url}: {}", error.report()))
}

async fn connect_error(target: &BmcTarget) -> BmcError {
    match support::fast_connector().connect(target).await {
        Ok(_) => panic!("connected to {}", target.endpoint),
        Err(error) => error,
    }
}

/// Reads the power state until it is `expected`, as a step observes convergence; how long
/// it took.
async fn observe_until(bmc: &dyn Bmc, expected: &PowerState) -> Duration {
    let started = Instant::now();
    loop {
        let state = bmc.power_state().await.expect("power state");
        if &state == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "power state still {state} after 20 s, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

/// 2012-03-07T14:44:00Z, when the DMTF mockup's log entries were made.
const MOCKUP_ENTRY_TIME: u64 = 1_331_131_440;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_requests_do_not_wait_and_steps_observe_convergence() {
    // Seed 22: the emulator applies the power changes 3, 4 and 1 s after each request,
    // counted from the request's whole second: the first two at least 2 s later, so a read
    // right after the request still sees the old state.
    let emulator = Emulator::start(EmulatorOptions {
        seed: Some(22),
        ..EmulatorOptions::default()
    })
    .await;
    let bmc = connect(&emulator.url).await;
    assert_eq!(bmc.system_id(), system_uuid(1));
    assert!(bmc.endpoint().starts_with("http://127.0.0.1:"));

    let inventory = bmc.inventory().await.expect("inventory");
    assert_eq!(inventory.manufacturer.as_deref(), Some("Sushy Emulator"));
    assert_eq!(inventory.uuid.as_deref(), Some(system_uuid(1).as_str()));
    // The emulator has no serial number (the reference, §1).
    assert_eq!(inventory.serial_number, None);
    let mac: MacAddress = system_mac(1).parse().expect("mac");
    assert_eq!(inventory.macs(), vec![mac]);
    assert_eq!(inventory.power_state, PowerState::Off);
    assert_eq!(inventory.boot.mode, Some(BootMode::Uefi));
    assert!(inventory.boot.allowed_targets.contains(&BootTarget::Cd));
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);

    let started = Instant::now();
    let requested = bmc.request_power(PowerAction::On).await.expect("on");
    let request_took = started.elapsed();
    assert_eq!(requested.before, PowerState::Off);
    assert_eq!(requested.sent.as_deref(), Some("On"));
    // The request returned before the emulator applied it (at least 2 s later).
    assert!(request_took < Duration::from_secs(2), "{request_took:?}");
    assert_eq!(bmc.power_state().await.expect("state"), PowerState::Off);
    observe_until(&*bmc, &PowerState::On).await;

    // At the target: nothing is sent.
    let again = bmc.request_power(PowerAction::On).await.expect("on again");
    assert!(!again.changed());

    // A restart is one request the BMC carries out: Off at once, On later.
    let restart = bmc
        .request_power(PowerAction::Restart)
        .await
        .expect("restart");
    assert_eq!(restart.before, PowerState::On);
    assert_eq!(restart.sent.as_deref(), Some("ForceRestart"));
    assert_eq!(bmc.power_state().await.expect("state"), PowerState::Off);
    observe_until(&*bmc, &PowerState::On).await;

    // The converging convenience waits by itself.
    let state = bmc
        .set_power_and_wait(PowerAction::ForceOff)
        .await
        .expect("force off");
    assert_eq!(state, PowerState::Off);
    bmc.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_image_in_the_cd_slot_and_config_image_in_the_floppy_slot_on_the_emulator() {
    let emulator = Emulator::start(EmulatorOptions::default()).await;
    let images = support::image_server().await;
    let proxy = Proxy::counting(emulator.url.trim_start_matches("http://")).await;
    let bmc = connect(&proxy.url).await;
    let posts_since = |count: usize| -> Vec<String> {
        proxy
            .summary()
            .split_off(count)
            .into_iter()
            .filter(|line| !line.starts_with("GET "))
            .collect()
    };

    let slots = bmc.media_slots().await.expect("slots");
    let ids: Vec<&str> = slots.iter().map(|slot| slot.id.as_str()).collect();
    assert_eq!(ids, ["Cd", "Floppy"]);
    assert_eq!(slots[0].media_types, [MediaType::Cd, MediaType::Dvd]);
    assert!(slots[0].boots_cd && slots[0].can_insert);
    assert_eq!(
        slots[1].media_types,
        [MediaType::Floppy, MediaType::UsbStick]
    );
    assert!(!slots[1].boots_cd && slots[1].can_insert && slots[1].takes_disk());
    let choice = pick_slots(&slots);
    assert_eq!(choice.os.as_deref(), Some("Cd"));
    assert_eq!(choice.config.as_deref(), Some("Floppy"));

    let os_image = format!("{}/tiny.iso", images.url);
    let config_image = format!("{}/config.img", images.url);
    let other_image = format!("{}/other.iso", images.url);
    let cd = bmc.insert_media("Cd", &os_image).await.expect("insert os");
    assert!(cd.inserted && cd.holds(&os_image), "{cd:?}");
    let floppy = bmc
        .insert_media("Floppy", &config_image)
        .await
        .expect("insert config");
    assert!(floppy.holds(&config_image), "{floppy:?}");
    // The emulator downloaded both images.
    assert_eq!(images.requests_to("GET", "/tiny.iso").len(), 1);
    assert_eq!(images.requests_to("GET", "/config.img").len(), 1);
    let slots = bmc.media_slots().await.expect("slots");
    assert!(slots.iter().all(|slot| slot.inserted), "{slots:?}");

    // The same image again: nothing sent.
    let count = proxy.count();
    bmc.insert_media("Floppy", &config_image)
        .await
        .expect("same image");
    assert!(posts_since(count).is_empty(), "{:?}", posts_since(count));

    // Another image into the occupied slot: refused before anything is sent (the emulator
    // would silently replace it; real BMCs answer 409 or 500).
    let count = proxy.count();
    let error = bmc
        .insert_media("Floppy", &other_image)
        .await
        .expect_err("occupied");
    assert!(matches!(error, BmcError::SlotOccupied { .. }), "{error}");
    assert_eq!(error.class(), ErrorClass::Conflict);
    assert!(error.to_string().contains("eject it first"), "{error}");
    assert!(posts_since(count).is_empty(), "{:?}", posts_since(count));

    let ejected = bmc.eject_media("Floppy").await.expect("eject");
    assert!(!ejected.inserted, "{ejected:?}");
    let count = proxy.count();
    bmc.eject_media("Floppy").await.expect("eject empty");
    assert!(posts_since(count).is_empty(), "{:?}", posts_since(count));
    let floppy = bmc
        .insert_media("Floppy", &other_image)
        .await
        .expect("insert after eject");
    assert!(floppy.holds(&other_image));
    // The CD slot was not touched.
    let slots = bmc.media_slots().await.expect("slots");
    assert!(slots[0].holds(&os_image), "{slots:?}");

    let error = bmc
        .insert_media("Usb", &os_image)
        .await
        .expect_err("no such slot");
    assert_eq!(error.class(), ErrorClass::NotFound);
    assert!(error.to_string().contains("it has: Cd, Floppy"), "{error}");

    // An image the emulator cannot download: its 400, permanent, with its message.
    bmc.eject_media("Cd").await.expect("eject cd");
    let missing = format!("{}/missing.iso", images.url);
    let error = bmc
        .insert_media("Cd", &missing)
        .await
        .expect_err("404 image");
    assert_eq!(error.class(), ErrorClass::Permanent, "{}", error.report());
    assert_eq!(error.status(), Some(400));
    assert!(
        error.report().contains("Cannot download virtual media"),
        "{}",
        error.report()
    );

    // Boot override: set, read back; values outside the allowed ones are refused.
    let applied = bmc
        .set_boot_override(&BootOverride {
            target: BootTarget::Cd,
            persistence: BootPersistence::Once,
            mode: Some(BootMode::Uefi),
        })
        .await
        .expect("boot from cd");
    assert!(applied.reads_back);
    assert_eq!(applied.target, "Cd");
    let boot = bmc.boot_override().await.expect("boot");
    assert_eq!(boot.target, Some(BootTarget::Cd));
    assert_eq!(boot.mode, Some(BootMode::Uefi));
    // The emulator ignores Enabled: it always reads Continuous.
    assert_eq!(boot.persistence, Some(BootPersistence::Continuous));
    let error = bmc
        .set_boot_override(&BootOverride {
            target: BootTarget::Other("Floppy42".to_string()),
            persistence: BootPersistence::Once,
            mode: None,
        })
        .await
        .expect_err("not allowed");
    assert!(matches!(error, BmcError::NotAllowed { .. }), "{error}");
    assert!(
        error.to_string().contains("Pxe, Cd, Hdd, UefiHttp"),
        "{error}"
    );

    // The emulator has no log services: no entries, no error.
    assert!(bmc.log_entries(UNIX_EPOCH).await.expect("logs").is_empty());
}

#[tokio::test]
async fn log_entries_of_the_dmtf_rackmount_newest_first() {
    let server = FakeBmc::mockup("public-rackmount1").await;
    let bmc = connect(&server.url).await;
    let entries = bmc.log_entries(UNIX_EPOCH).await.expect("logs");
    let summary: Vec<(&str, &str, LogOrigin)> = entries
        .iter()
        .map(|entry| (entry.log.as_str(), entry.id.as_str(), entry.origin))
        .collect();
    // Newest first; entries of one second by log name.
    assert_eq!(
        summary,
        [
            ("Log1", "2", LogOrigin::System),
            ("Log", "1", LogOrigin::Manager),
            ("Log1", "1", LogOrigin::System),
        ]
    );
    assert_eq!(entries[0].created, at(MOCKUP_ENTRY_TIME + 60));
    assert_eq!(entries[0].message, "Temperature threshold exceeded");
    assert_eq!(entries[0].message_id.as_deref(), Some("0x592E28"));
    assert_eq!(entries[1].message, "System May be Melting");
    assert_eq!(
        entries[1].message_id.as_deref(),
        Some("Event.1.0.TempWayTooHot")
    );
    assert!(
        entries
            .iter()
            .all(|entry| entry.severity == Severity::Critical)
    );

    let recent = bmc
        .log_entries(at(MOCKUP_ENTRY_TIME + 30))
        .await
        .expect("recent logs");
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].id, "2");
    // The SEL's next page link leads nowhere in the mockup: the listing ends there.
    assert_eq!(
        server
            .requests_to("GET", "/LogServices/Log1/Entries?$skiptoken=2")
            .len(),
        2
    );
}

/// A Contoso BMC whose SEL lists entries by link only, newest first, over three pages, and
/// whose manager links a log service collection it does not implement.
fn contoso_with_paged_sel() -> BTreeMap<String, Value> {
    let shape = vendors::contoso();
    let mut resources = shape.resources();
    let system = shape.system_path();
    let services = format!("{system}/LogServices");
    let sel = format!("{services}/SEL");
    let entries = format!("{sel}/Entries");
    resources.get_mut(&system).expect("system")["LogServices"] = json!({"@odata.id": services});
    resources.get_mut(&shape.manager_path()).expect("manager")["LogServices"] =
        json!({"@odata.id": format!("{}/LogServices", shape.manager_path())});
    resources.insert(
        services.clone(),
        json!({"@odata.id": services, "Members": [{"@odata.id": sel}]}),
    );
    resources.insert(
        sel.clone(),
        json!({"@odata.id": sel, "Id": "SEL", "Entries": {"@odata.id": entries}}),
    );
    let link = |id: u32| json!({"@odata.id": format!("{entries}/{id}")});
    let pages = [
        (
            entries.clone(),
            vec![link(3), link(2)],
            Some(format!("{entries}?$skip=2")),
        ),
        (
            format!("{entries}?$skip=2"),
            vec![link(1)],
            Some(format!("{entries}?$skip=3")),
        ),
        (format!("{entries}?$skip=3"), vec![link(0)], None),
    ];
    for (path, members, next) in pages {
        let mut page = json!({"@odata.id": entries, "Members": members});
        if let Some(next) = next {
            page["Members@odata.nextLink"] = json!(next);
        }
        resources.insert(path, page);
    }
    for (id, day, severity) in [(0, 1, "OK"), (1, 1, "OK"), (2, 2, "Warning"), (3, 3, "OK")] {
        let path = format!("{entries}/{id}");
        resources.insert(
            path.clone(),
            json!({
                "@odata.id": path, "Id": id.to_string(), "EntryType": "SEL",
                "Created": format!("2030-01-0{day}T00:00:00Z"), "Severity": severity,
                "SensorType": "Power Supply", "EntryCode": format!("event {id}"),
            }),
        );
    }
    resources
}

#[tokio::test]
async fn logs_read_entry_by_entry_stop_at_older_pages_and_missing_logs_are_empty() {
    let server = FakeBmc::start(contoso_with_paged_sel(), Behaviour::bmc(USERNAME, PASSWORD)).await;
    let bmc = connect(&server.url).await;
    // 2030-01-02T12:00:00Z.
    let since = at(1_893_456_000 + 86_400 + 43_200);
    let entries = bmc.log_entries(since).await.expect("logs");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].id, "3");
    assert_eq!(entries[0].message, "Power Supply: event 3");
    assert_eq!(entries[0].severity, Severity::Ok);
    assert_eq!(entries[0].log, "SEL");
    // The second page holds only older entries of a newest-first log: the third is not read.
    assert_eq!(server.requests_to("GET", "Entries?$skip=2").len(), 1);
    assert!(server.requests_to("GET", "Entries?$skip=3").is_empty());
    // The manager's missing log services were asked for once and did not fail the listing.
    assert_eq!(
        server.requests_to("GET", "/Managers/BMC/LogServices").len(),
        1
    );
    let everything = bmc.log_entries(UNIX_EPOCH).await.expect("all logs");
    let ids: Vec<&str> = everything.iter().map(|entry| entry.id.as_str()).collect();
    assert_eq!(ids, ["3", "2", "1", "0"]);
}

/// iDRAC 9 with its second slot: `RemovableDisk` (floppy/USB images) beside `CD`, both under
/// the manager with actions.
fn idrac9_with_removable_disk() -> BTreeMap<String, Value> {
    let shape = vendors::dell_idrac9();
    let mut resources = shape.resources();
    let collection = shape.media_collection_path();
    let path = format!("{collection}/RemovableDisk");
    resources.insert(
        path.clone(),
        json!({
            "@odata.id": path, "Id": "RemovableDisk", "Name": "Virtual Removable Disk",
            "MediaTypes": ["Floppy", "USBStick"], "Image": null, "Inserted": false,
            "WriteProtected": true, "ConnectedVia": "NotConnected",
            "Actions": {
                "#VirtualMedia.InsertMedia": {"target": format!("{path}/Actions/VirtualMedia.InsertMedia")},
                "#VirtualMedia.EjectMedia": {"target": format!("{path}/Actions/VirtualMedia.EjectMedia")},
            },
        }),
    );
    resources.get_mut(&collection).expect("collection")["Members"]
        .as_array_mut()
        .expect("members")
        .push(json!({"@odata.id": path}));
    resources
}

#[tokio::test]
async fn second_slots_of_vendor_bmcs() {
    let server = FakeBmc::start(
        idrac9_with_removable_disk(),
        Behaviour::bmc(USERNAME, PASSWORD),
    )
    .await;
    let bmc = connect(&server.url).await;
    let slots = bmc.media_slots().await.expect("slots");
    let choice = pick_slots(&slots);
    assert_eq!(choice.os.as_deref(), Some("CD"));
    assert_eq!(choice.config.as_deref(), Some("RemovableDisk"));
    bmc.insert_media("CD", "http://10.0.0.1/os.iso")
        .await
        .expect("os image");
    let disk = bmc
        .insert_media("RemovableDisk", "http://10.0.0.1/node-1/config.img")
        .await
        .expect("config image");
    assert!(disk.holds("http://10.0.0.1/node-1/config.img"));
    let inserted = server.requests_to("POST", "/VirtualMedia.InsertMedia");
    assert_eq!(inserted.len(), 2);
    assert!(inserted[1].path.contains("/RemovableDisk/"), "{inserted:?}");
    let error = bmc
        .insert_media("RemovableDisk", "http://10.0.0.1/node-2/config.img")
        .await
        .expect_err("occupied");
    assert_eq!(error.class(), ErrorClass::Conflict);
    bmc.eject_media("RemovableDisk").await.expect("eject");
    assert_eq!(
        server.requests_to("POST", "/VirtualMedia.EjectMedia").len(),
        1
    );

    // iDRAC 10 lists CD slots "2" and "1" and boots only from "1" (quirk table).
    let shape = vendors::dell_idrac10();
    let server = FakeBmc::start(
        shape.resources_with_slot_first("2"),
        Behaviour::bmc(USERNAME, PASSWORD),
    )
    .await;
    let bmc = connect(&server.url).await;
    let slots = bmc.media_slots().await.expect("slots");
    let booting: Vec<(&str, bool)> = slots
        .iter()
        .map(|slot| (slot.id.as_str(), slot.boots_cd))
        .collect();
    assert_eq!(booting, [("2", false), ("1", true)]);
    let choice = pick_slots(&slots);
    assert_eq!(choice.os.as_deref(), Some("1"));
    assert_eq!(choice.config.as_deref(), Some("2"));
    let inserted = bmc
        .insert_media("1", "http://10.0.0.1/os.iso")
        .await
        .expect("insert");
    assert!(inserted.boots_cd);
}

#[tokio::test]
async fn connection_failures_are_classified_without_credentials() {
    let server = FakeBmc::start(
        vendors::contoso().resources(),
        Behaviour::bmc(USERNAME, PASSWORD),
    )
    .await;

    let mut wrong = target(&server.url);
    wrong.credentials = Credentials::new(USERNAME, "not-the-password");
    let error = connect_error(&wrong).await;
    assert!(
        matches!(error, BmcError::CredentialsRefused { status: 401, .. }),
        "{}",
        error.report()
    );
    assert_eq!(error.class(), ErrorClass::Permanent);
    let report = error.report();
    assert!(
        report.contains("check the user name and password"),
        "{report}"
    );
    assert!(!report.contains("not-the-password"), "{report}");
    assert!(!format!("{error:?}").contains("not-the-password"));

    let mut elsewhere = target(&server.url);
    elsewhere.system = Some("2".to_string());
    let error = connect_error(&elsewhere).await;
    assert_eq!(error.class(), ErrorClass::NotFound, "{}", error.report());
    assert!(error.to_string().contains("it has: 1"), "{error}");

    // Nothing listens: unreachable, worth retrying later.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("free port");
    let error = connect_error(&target(&format!("http://127.0.0.1:{port}"))).await;
    assert!(
        matches!(error, BmcError::Unreachable { .. }),
        "{}",
        error.report()
    );
    assert!(error.class().is_retryable());

    let error = connect_error(&target("ftp://bmc")).await;
    assert_eq!(error.class(), ErrorClass::InvalidInput, "{error}");
}
