//! The node simulator: a stand-in for a node's OPERATING SYSTEM (not for its BMC, which
//! the emulator plays). One per emulated node, inside the lab's background process.
//!
//! It plays the machine behind the emulated BMC. It polls its emulator as the firmware
//! would see it (the System's `PowerState` and `Boot.BootSourceOverrideTarget`, the
//! `Cd` virtual media slot) and, when the machine is on, set to boot from CD with a CD
//! inserted, and has not booted this power-on with this medium ([`decide`]), it
//! "boots" ([`boot`]):
//!
//! 1. downloads the OS image from the URL the `Cd` slot reports and checks it is an ISO
//!    9660 image (its SHA-256 is recorded);
//! 2. reads its NoCloud config: the `cidata` image in the second slot (`Floppy`), or,
//!    when that slot is missing or empty, the `user-data` and `meta-data` of the HTTP
//!    seed the OS image's boot configuration names (`ds=nocloud;s=URL`, the
//!    provisioning server);
//! 3. after a short simulated boot time, posts what cloud-init's `phone_home` module
//!    posts to the URL in `user-data`, retrying as it does (`tries`, 3 s apart).
//!
//! Powering the machine off resets it: a boot in progress stops and the next power-on
//! boots again. What it did goes to the lab log, and its state to `simulators.json`
//! ([`SimulatorStatus`]).
//!
//! What it does not simulate: firmware, the installer, disks, networking (it posts
//! from 127.0.0.1), the boot override's "once" (sushy-emulator never clears it), or
//! anything cloud-init does besides `phone_home`.

mod boot;
pub(crate) mod cloud_config;
mod decide;
mod host_keys;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinHandle;

use crate::files::write_json;
use crate::record::{SimulatorState, SimulatorStatus, SimulatorStatuses};

use decide::{Decision, Observed, decide};

/// How one node simulator reaches its emulated BMC and the media.
pub(crate) struct Simulator {
    /// The node.
    pub(crate) node: String,
    /// `https://127.0.0.1:PORT` of its emulator.
    pub(crate) emulator: String,
    /// The System's path (`/redfish/v1/Systems/<uuid>`).
    pub(crate) system_path: String,
    /// The emulator's credentials.
    pub(crate) username: String,
    pub(crate) password: String,
    /// Trusts the lab's certificate (the emulator's).
    pub(crate) bmc_client: reqwest::Client,
    /// Downloads media and posts the phone-home.
    pub(crate) media_client: reqwest::Client,
    /// The simulated boot time.
    pub(crate) boot_delay: Duration,
    /// Whether it phones home after booting (`false`: the lab plays the
    /// `no-phone-home` fault).
    pub(crate) phones_home: bool,
    /// How often it reads its emulator.
    pub(crate) poll_interval: Duration,
    /// Where it reports.
    pub(crate) board: StatusBoard,
}

/// Every simulator's status, kept in memory and written whole to `simulators.json` at
/// every change.
#[derive(Clone)]
pub(crate) struct StatusBoard {
    path: PathBuf,
    statuses: Arc<Mutex<SimulatorStatuses>>,
}

impl StatusBoard {
    /// A board for `nodes`, all waiting, written to `path`.
    pub(crate) fn new(path: PathBuf, nodes: &[String]) -> StatusBoard {
        let statuses = nodes
            .iter()
            .map(|node| (node.clone(), SimulatorStatus::default()))
            .collect();
        let board = StatusBoard {
            path,
            statuses: Arc::new(Mutex::new(statuses)),
        };
        board.write(&board.snapshot());
        board
    }

    fn snapshot(&self) -> SimulatorStatuses {
        match self.statuses.lock() {
            Ok(statuses) => statuses.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Changes a node's status; the file is rewritten when it changed.
    pub(crate) fn update(&self, node: &str, change: impl FnOnce(&mut SimulatorStatus)) {
        let snapshot = {
            let mut statuses = match self.statuses.lock() {
                Ok(statuses) => statuses,
                Err(poisoned) => poisoned.into_inner(),
            };
            let status = statuses.entry(node.to_string()).or_default();
            let before = status.clone();
            change(status);
            if *status == before {
                return;
            }
            statuses.clone()
        };
        self.write(&snapshot);
    }

    fn write(&self, statuses: &SimulatorStatuses) {
        if let Err(error) = write_json(&self.path, statuses) {
            tracing::warn!(error = %error, "cannot write the simulators' status");
        }
    }
}

/// The time now, RFC 3339 (UTC).
pub(crate) fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `scheme://host:port/…` of a URL: enough to say where, never a path that may hold a
/// node's token.
pub(crate) fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |index| index + 3);
    match url[after_scheme..].find('/') {
        Some(index) => format!("{}/…", &url[..after_scheme + index]),
        None => url.to_string(),
    }
}

/// Runs a node simulator until its task is aborted.
pub(crate) async fn run(simulator: Arc<Simulator>) {
    let node = simulator.node.clone();
    tracing::info!(
        node = %node,
        emulator = %simulator.emulator,
        "node simulator (stand-in for the operating system) watching its emulated BMC"
    );
    let mut booted: Option<String> = None;
    let mut boot_task: Option<JoinHandle<()>> = None;
    let mut ticks = tokio::time::interval(simulator.poll_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let observed = match observe(&simulator).await {
            Ok(observed) => observed,
            Err(reason) => {
                simulator.board.update(&node, |status| {
                    status.error = Some(format!("cannot read the emulated BMC: {reason}"));
                });
                continue;
            }
        };
        simulator.board.update(&node, |status| {
            status.power = Some(observed.power.clone());
        });
        match decide(&observed, booted.as_deref()) {
            Decision::Boot { image } => {
                if let Some(task) = boot_task.take() {
                    task.abort();
                }
                tracing::info!(
                    node = %node,
                    image = %origin_of(&image),
                    "powered on, boot target Cd, CD inserted: booting"
                );
                booted = Some(image.clone());
                boot_task = Some(tokio::spawn(boot::boot(simulator.clone(), image)));
            }
            Decision::Reset => {
                if let Some(task) = boot_task.take() {
                    task.abort();
                }
                booted = None;
                tracing::info!(node = %node, power = %observed.power, "powered off: the node simulator is reset");
                simulator.board.update(&node, |status| {
                    *status = SimulatorStatus {
                        state: SimulatorState::Waiting,
                        power: Some(observed.power.clone()),
                        boots: status.boots,
                        ..SimulatorStatus::default()
                    };
                });
            }
            Decision::Wait => {}
        }
    }
}

/// Reads the System, and the `Cd` slot when the machine would boot from it.
async fn observe(simulator: &Simulator) -> Result<Observed, String> {
    let system = get_json(simulator, &simulator.system_path)
        .await?
        .ok_or_else(|| format!("{} is not found", simulator.system_path))?;
    let mut observed = Observed {
        power: text(&system["PowerState"]).unwrap_or_default(),
        boot_target: text(&system["Boot"]["BootSourceOverrideTarget"]),
        cd_image: None,
    };
    if observed.boots_from_cd() {
        observed.cd_image = media_slot(simulator, &system, "Cd")
            .await?
            .as_ref()
            .and_then(inserted_image);
    }
    Ok(observed)
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

/// The virtual media slot `id` of the System (`None`: the BMC has no such slot).
async fn media_slot(
    simulator: &Simulator,
    system: &Value,
    id: &str,
) -> Result<Option<Value>, String> {
    let collection = system["VirtualMedia"]["@odata.id"]
        .as_str()
        .filter(|path| path.starts_with("/redfish/"))
        .map(|path| path.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("{}/VirtualMedia", simulator.system_path));
    get_json(simulator, &format!("{collection}/{id}")).await
}

/// The image a slot holds, if one is inserted.
fn inserted_image(slot: &Value) -> Option<String> {
    if slot["Inserted"] == Value::Bool(false) {
        return None;
    }
    slot["Image"]
        .as_str()
        .filter(|image| !image.is_empty() && *image != "None")
        .map(str::to_string)
}

/// GETs a path of the emulator as JSON; `None` on 404.
async fn get_json(simulator: &Simulator, path: &str) -> Result<Option<Value>, String> {
    let response = simulator
        .bmc_client
        .get(format!("{}{path}", simulator.emulator))
        .basic_auth(&simulator.username, Some(&simulator.password))
        .send()
        .await
        .map_err(|error| error.without_url().to_string())?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !response.status().is_success() {
        return Err(format!("GET {path}: HTTP {}", response.status()));
    }
    let body = response
        .bytes()
        .await
        .map_err(|error| error.without_url().to_string())?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|error| format!("GET {path}: not JSON ({error})"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn slots_hold_an_image_only_when_inserted() {
        assert_eq!(
            inserted_image(&json!({"Inserted": true, "Image": "http://h/os.iso"})),
            Some("http://h/os.iso".to_string())
        );
        assert_eq!(
            inserted_image(&json!({"Image": "http://h/os.iso"})).as_deref(),
            Some("http://h/os.iso")
        );
        assert_eq!(
            inserted_image(&json!({"Inserted": false, "Image": "http://h/os.iso"})),
            None
        );
        assert_eq!(
            inserted_image(&json!({"Inserted": true, "Image": ""})),
            None
        );
        assert_eq!(
            inserted_image(&json!({"Inserted": true, "Image": null})),
            None
        );
        assert_eq!(inserted_image(&json!({})), None);
    }

    #[test]
    fn only_the_origin_of_a_url_is_shown() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/phone-home/n1/secret-token"),
            "http://127.0.0.1:8080/…"
        );
        assert_eq!(origin_of("http://h"), "http://h");
        assert_eq!(origin_of("no-scheme/x"), "no-scheme/…");
    }

    #[test]
    fn the_board_writes_every_change_and_only_changes() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("simulators.json");
        let board = StatusBoard::new(path.clone(), &["n1".to_string()]);
        let read = || -> SimulatorStatuses { crate::files::read_json(&path).unwrap().unwrap() };
        assert_eq!(read()["n1"].state, SimulatorState::Waiting);
        board.update("n1", |status| status.power = Some("On".into()));
        assert_eq!(read()["n1"].power.as_deref(), Some("On"));
        std::fs::remove_file(&path).unwrap();
        board.update("n1", |status| status.power = Some("On".into()));
        assert!(!path.exists(), "an unchanged status is not written again");
    }
}
