//! Against the real BMC emulator: sushy-tools 2.2.0 `sushy-emulator`, fake driver, Basic
//! auth. Every test that changes state has its own instance (own port, own state folder).

mod support;

use aero_redfish::boot::{BootMode, BootOverride, BootPersistence, BootTarget};
use aero_redfish::error::RedfishError;
use aero_redfish::power::{PowerRequest, PowerState};
use support::emulator::{Emulator, EmulatorOptions, PASSWORD, USERNAME, system_mac, system_uuid};
use support::proxy::Proxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_converges_idempotently_on_the_emulator() {
    let emulator = Emulator::start(EmulatorOptions {
        systems: 2,
        power_state: "Off",
        seed: Some(2),
        ..EmulatorOptions::default()
    })
    .await;
    let upstream = emulator.url.trim_start_matches("http://").to_string();
    let proxy = Proxy::counting(&upstream).await;
    let mut config = support::fast_config(&proxy.url, USERNAME, PASSWORD);
    // Seed 2 delays the power changes by 1, 2, 2 and 6 s: the shutdown fits in 15 s.
    config.timing.graceful_shutdown_timeout = std::time::Duration::from_secs(15);
    let client = aero_redfish::client::BmcClient::connect(config)
        .await
        .expect("connect");
    // No SessionService on the emulator: Basic authentication.
    assert!(!client.uses_session().await);
    let error = client.system(None).await.expect_err("two systems");
    assert!(
        matches!(error, RedfishError::AmbiguousSystem { count: 2, .. }),
        "{error}"
    );

    // By name: the emulator redirects names to uuids (307).
    let system = client.system(Some("node-2")).await.expect("node-2");
    assert_eq!(system.id(), system_uuid(2));
    assert_eq!(system.quirks().matched, vec!["sushy-emulator"]);

    let inventory = system.inventory().await.expect("inventory");
    assert_eq!(inventory.manufacturer.as_deref(), Some("Sushy Emulator"));
    assert_eq!(inventory.uuid.as_deref(), Some(system_uuid(2).as_str()));
    assert_eq!(inventory.power_state, PowerState::Off);
    let macs: Vec<_> = inventory
        .nics
        .iter()
        .filter_map(|nic| nic.mac_address.clone())
        .collect();
    assert_eq!(macs, vec![system_mac(2)]);
    assert_eq!(
        inventory.boot.allowed_targets,
        vec!["Pxe", "Cd", "Hdd", "UefiHttp"]
    );
    assert_eq!(inventory.reset_types.len(), 7);
    assert_eq!(inventory.cd_slot.as_deref(), Some("Cd"));
    // Linked but unimplemented parts (Memory 404, Storage 500) are warnings, read once each
    // (not retried).
    assert_eq!(inventory.warnings.len(), 2, "{:?}", inventory.warnings);
    assert!(
        inventory.warnings[0].contains("/Memory answered HTTP 404"),
        "{:?}",
        inventory.warnings
    );
    assert!(
        inventory.warnings[1].contains("/Storage answered HTTP 500"),
        "{:?}",
        inventory.warnings
    );
    let storage_gets = proxy
        .summary()
        .iter()
        .filter(|line| line.ends_with("/Storage"))
        .count();
    assert_eq!(storage_gets, 1, "{:#?}", proxy.summary());

    let on = system.set_power(PowerRequest::On).await.expect("power on");
    assert_eq!(on.reset_types, vec!["On"]);
    assert_eq!(on.after, PowerState::On);
    assert_eq!(system.power_state().await.expect("state"), PowerState::On);

    // On when on: no request beyond the GET.
    let before = proxy.count();
    let again = system
        .set_power(PowerRequest::On)
        .await
        .expect("power on again");
    assert!(!again.changed());
    let sent: Vec<_> = proxy.summary().split_off(before);
    assert!(sent.iter().all(|line| line.starts_with("GET ")), "{sent:?}");
    assert!(sent.len() <= 1, "{sent:?}");

    let restart = system
        .set_power(PowerRequest::Restart)
        .await
        .expect("restart");
    assert_eq!(restart.reset_types, vec!["ForceOff", "On"]);
    assert_eq!(restart.after, PowerState::On);

    let off = system
        .set_power(PowerRequest::Off)
        .await
        .expect("graceful off");
    assert_eq!(off.reset_types, vec!["GracefulShutdown"]);
    assert_eq!(off.after, PowerState::Off);
    assert_eq!(system.power_state().await.expect("state"), PowerState::Off);

    let force = system
        .set_power(PowerRequest::ForceOff)
        .await
        .expect("force off when off");
    assert!(!force.changed());

    // The other system was never touched.
    let other = client.system(Some(&system_uuid(1))).await.expect("node-1");
    assert_eq!(other.power_state().await.expect("state"), PowerState::Off);
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_media_and_boot_on_the_emulator() {
    let emulator = Emulator::start(EmulatorOptions::default()).await;
    let images = support::image_server().await;
    let client = support::connect(&emulator.url, USERNAME, PASSWORD).await;
    let system = client.system(None).await.expect("the only system");

    let tiny = format!("{}/tiny.iso", images.url);
    let inserted = system.insert_media(&tiny).await.expect("insert");
    let slot = inserted.slot.expect("slot");
    assert_eq!(slot.id, "Cd");
    assert_eq!(slot.image.as_deref(), Some(tiny.as_str()));
    assert_eq!(slot.inserted, Some(true));
    assert!(inserted.ejected.is_empty());
    // The emulator downloaded the image from our server.
    assert_eq!(images.requests_to("GET", "/tiny.iso").len(), 1);

    // Insert over an inserted image: eject first.
    let other = format!("{}/other.iso", images.url);
    let replaced = system.insert_media(&other).await.expect("replace");
    assert_eq!(replaced.ejected, vec!["Cd"]);
    let status = system.media_status().await.expect("status");
    let cd = status.iter().find(|slot| slot.id == "Cd").expect("Cd");
    assert_eq!(cd.image.as_deref(), Some(other.as_str()));
    let floppy = status
        .iter()
        .find(|slot| slot.id == "Floppy")
        .expect("Floppy");
    assert!(!floppy.has_media());

    let boot = system
        .set_boot_override(&BootOverride {
            target: BootTarget::Cd,
            persistence: BootPersistence::Once,
            mode: Some(BootMode::Uefi),
        })
        .await
        .expect("boot once from cd");
    assert_eq!(boot.target, "Cd");
    let inventory = system.inventory().await.expect("inventory");
    assert_eq!(inventory.boot.target.as_deref(), Some("Cd"));
    assert_eq!(inventory.boot.mode.as_deref(), Some("UEFI"));

    let ejected = system.eject_media().await.expect("eject");
    assert_eq!(ejected.ejected, vec!["Cd"]);
    let status = system.media_status().await.expect("status");
    assert!(status.iter().all(|slot| !slot.has_media()), "{status:?}");
    // Ejecting an empty drive sends nothing.
    let nothing = system.eject_media().await.expect("eject empty");
    assert!(nothing.ejected.is_empty());

    // An image the emulator cannot download: a clear error with the emulator's message.
    let missing = format!("{}/missing.iso", images.url);
    let error = system.insert_media(&missing).await.expect_err("404 image");
    let text = error.to_string();
    assert!(matches!(error, RedfishError::InsertMedia { .. }), "{text}");
    assert!(text.contains("answered HTTP 400"), "{text}");
    assert!(text.contains("Cannot download virtual media"), "{text}");
    assert!(text.contains(&emulator.url), "{text}");

    // A target the BMC does not list is refused before anything is sent.
    let error = system
        .set_boot_override(&BootOverride {
            target: BootTarget::Other("Floppy42".to_string()),
            persistence: BootPersistence::Once,
            mode: None,
        })
        .await
        .expect_err("not allowed");
    assert!(matches!(error, RedfishError::NotAllowed { .. }), "{error}");
    assert!(
        error.to_string().contains("Pxe, Cd, Hdd, UefiHttp"),
        "{error}"
    );

    // BIOS needs libvirt in the emulator: the system links no Bios.
    let error = system.bios().await.expect_err("no bios");
    assert!(matches!(error, RedfishError::MissingLink { .. }), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_a_clear_error_without_the_password() {
    let emulator = Emulator::start(EmulatorOptions::default()).await;
    let client = support::connect(&emulator.url, USERNAME, "wrong-password").await;
    let error = client.system(None).await.expect_err("401");
    let text = error.to_string();
    assert!(text.contains("answered HTTP 401 Unauthorized"), "{text}");
    assert!(text.contains("GET "), "{text}");
    assert!(!text.contains("wrong-password"), "{text}");
    assert!(!format!("{error:?}").contains("wrong-password"));
    assert!(!format!("{client:?}").contains("wrong-password"));
}
