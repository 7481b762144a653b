//! Requests for the virtual-media boot sequence (power off, eject, insert, boot once, power
//! on, converge), counted by a proxy in front of the emulator: Aerostat against PyPI sushy
//! 5.14 (`ci/redfish/sushy_vmedia_boot.py`, Ironic's sequence) at the same poll interval.
//!
//! Both run at the same time against two emulators started with the same seed, so both see
//! the same power-change delays; both start powered on with an image in the CD slot.

mod support;

use std::time::Duration;

use aero_redfish::boot::{BootMode, BootOverride, BootPersistence, BootTarget};
use aero_redfish::client::BmcClient;
use aero_redfish::power::{PowerRequest, PowerState};
use support::emulator::{
    Emulator, EmulatorOptions, PASSWORD, USERNAME, python, system_uuid, workspace_root,
};
use support::fake_bmc::{Behaviour, FakeBmc, Reply};
use support::proxy::Proxy;

const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Power changes are delayed by 3 s and 2 s with this seed (Python's random.randint(1, 11)).
const SEED: u64 = 18;

async fn emulator_with_media(image: &str) -> Emulator {
    let emulator = Emulator::start(EmulatorOptions {
        power_state: "On",
        seed: Some(SEED),
        ..EmulatorOptions::default()
    })
    .await;
    let response = reqwest::Client::new()
        .post(format!(
            "{}/redfish/v1/Systems/{}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia",
            emulator.url,
            system_uuid(1)
        ))
        .basic_auth(USERNAME, Some(PASSWORD))
        .json(&serde_json::json!({"Image": image}))
        .send()
        .await
        .expect("pre-insert");
    assert!(
        response.status().is_success(),
        "pre-insert: {}",
        response.status()
    );
    emulator
}

async fn aerostat_flow(url: &str, image: &str) -> Result<(), aero_redfish::error::RedfishError> {
    let mut config = support::fast_config(url, USERNAME, PASSWORD);
    config.timing.poll_interval = POLL_INTERVAL;
    let client = BmcClient::connect(config).await?;
    let system = client.system(Some(&system_uuid(1))).await?;
    system.set_power(PowerRequest::ForceOff).await?;
    system.eject_media().await?;
    system.insert_media(image).await?;
    system
        .set_boot_override(&BootOverride {
            target: BootTarget::Cd,
            persistence: BootPersistence::Once,
            mode: Some(BootMode::Uefi),
        })
        .await?;
    let on = system.set_power(PowerRequest::On).await?;
    assert_eq!(on.after, PowerState::On);
    client.close().await
}

fn sushy_flow(url: &str, image: &str, password_file: &std::path::Path) -> std::process::Output {
    std::process::Command::new(python())
        .arg(workspace_root().join("ci/redfish/sushy_vmedia_boot.py"))
        .args(["--url", url, "--username", USERNAME, "--password-file"])
        .arg(password_file)
        .args([
            "--system",
            &format!("/redfish/v1/Systems/{}", system_uuid(1)),
        ])
        .args([
            "--image",
            image,
            "--poll-interval",
            &POLL_INTERVAL.as_secs_f64().to_string(),
        ])
        .output()
        .expect("run the sushy script")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aerostat_sends_no_more_requests_than_sushy() {
    let images = FakeBmc::start(Default::default(), Behaviour::dmtf()).await;
    images.hook(|request, _| {
        (request.method == "GET" && request.path.ends_with(".iso")).then(|| Reply {
            status: 200,
            headers: Vec::new(),
            body: b"CD001 aerostat".to_vec(),
        })
    });
    let old_image = format!("{}/old.iso", images.url);
    let image = format!("{}/deploy.iso", images.url);
    let started = std::time::Instant::now();
    let (for_aerostat, for_sushy) = tokio::join!(
        emulator_with_media(&old_image),
        emulator_with_media(&old_image)
    );
    let aerostat_proxy = Proxy::counting(for_aerostat.url.trim_start_matches("http://")).await;
    let sushy_proxy = Proxy::counting(for_sushy.url.trim_start_matches("http://")).await;
    let password_file = for_sushy.scratch().join("password");
    std::fs::write(&password_file, PASSWORD).expect("password file");

    eprintln!("emulators up after {:?}", started.elapsed());
    let sushy_url = sushy_proxy.url.clone();
    let sushy_image = image.clone();
    let sushy =
        tokio::task::spawn_blocking(move || sushy_flow(&sushy_url, &sushy_image, &password_file));
    let aerostat = aerostat_flow(&aerostat_proxy.url, &image).await;
    eprintln!("aerostat done after {:?}", started.elapsed());
    let sushy = sushy.await.expect("sushy task");
    eprintln!("sushy done after {:?}", started.elapsed());
    assert!(
        sushy.status.success(),
        "sushy flow failed: {}\n{}",
        String::from_utf8_lossy(&sushy.stdout),
        String::from_utf8_lossy(&sushy.stderr)
    );
    if let Err(error) = aerostat {
        panic!("Aerostat flow failed: {error}");
    }

    let aerostat_count = aerostat_proxy.count();
    let sushy_count = sushy_proxy.count();
    println!("virtual-media boot sequence, poll interval {POLL_INTERVAL:?}, emulator seed {SEED}");
    println!("Aerostat: {aerostat_count} requests");
    for line in aerostat_proxy.summary() {
        println!("  {line}");
    }
    println!("sushy 5.14: {sushy_count} requests");
    for line in sushy_proxy.summary() {
        println!("  {line}");
    }
    // Both did the whole sequence.
    for proxy in [&aerostat_proxy, &sushy_proxy] {
        let summary = proxy.summary();
        for needle in [
            "ComputerSystem.Reset",
            "VirtualMedia.EjectMedia",
            "VirtualMedia.InsertMedia",
            "PATCH ",
        ] {
            assert!(
                summary.iter().any(|line| line.contains(needle)),
                "{needle} missing: {summary:#?}"
            );
        }
    }
    assert!(
        aerostat_count <= sushy_count,
        "Aerostat sent {aerostat_count} requests, sushy {sushy_count}"
    );
}
