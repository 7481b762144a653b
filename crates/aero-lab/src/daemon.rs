//! The lab's background process (`aero lab run SITE`, started by `aero lab up`): it
//! makes itself a process group leader, starts everything of the plan `lab up` wrote,
//! records the targets and the lab once everything answers, then runs the node
//! simulators until SIGTERM (from `aero lab down`) or SIGINT.
//!
//! Start-up order: the lab's certificate; the stand-in images and their server; the
//! emulators' credentials and htpasswd files; the emulators, started together, each
//! until `GET /redfish/v1/` answers over HTTPS; a port for the provisioning server;
//! `targets.json`; `lab.json` (which `lab up` waits for); the simulators. A failure
//! stops everything started so far and ends the process with the error in its log.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::certificate::{self, pinned_client};
use crate::emulator::{self, EmulatorConfig, StartRequest};
use crate::error::LabError;
use crate::files::{
    LabPaths, create_private_dir, read_json, remove_dir, remove_file, write_json, write_private,
};
use crate::plan::{Fault, LabPlan};
use crate::process;
use crate::record::{EmulatorRecord, LabRecord, ProvisioningRecord, StandInRecord};
use crate::simulator::{self, Simulator, StatusBoard};
use crate::standin;
use crate::targets::{self, Credentials};
use crate::venv::SUSHY_TOOLS_VERSION;

/// What `lab up` hands the background process (`plan.json`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DaemonInput {
    pub(crate) plan: LabPlan,
    pub(crate) venv: PathBuf,
}

/// How long one emulator may take to answer after it is started.
const EMULATOR_START: Duration = Duration::from_secs(60);
/// How often a node simulator reads its emulator.
const SIMULATOR_POLL: Duration = Duration::from_millis(500);

/// Runs the lab of `site` until SIGTERM or SIGINT. Call it in the process `aero lab up`
/// starts (it makes that process a session and process group leader).
pub async fn run_daemon(state_dir: &Path, site: &str) -> Result<(), LabError> {
    if let Err(error) = process::detach() {
        tracing::debug!(error = %error, "setsid failed (already a group leader?)");
    }
    let paths = LabPaths::new(state_dir, site)?;
    let signal_error = |error: std::io::Error| LabError::Network {
        action: "listen for SIGTERM".to_string(),
        reason: error.to_string(),
    };
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let lab = tokio::select! {
        started = start(&paths) => started?,
        _ = terminate.recv() => {
            tracing::info!("stopped (SIGTERM) while starting");
            return Ok(());
        }
        _ = interrupt.recv() => {
            tracing::info!("stopped (SIGINT) while starting");
            return Ok(());
        }
    };
    tracing::info!(site = %site, "the lab is up");
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM: stopping the lab"),
        _ = interrupt.recv() => tracing::info!("SIGINT: stopping the lab"),
    }
    lab.stop().await;
    tracing::info!("the lab is stopped");
    Ok(())
}

/// Everything a started lab runs.
struct Running {
    emulators: Vec<EmulatorTask>,
    simulators: Vec<JoinHandle<()>>,
    image_server: JoinHandle<()>,
}

/// An emulator process, watched by a task that reports its exit and kills it on request.
struct EmulatorTask {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        for simulator in &self.simulators {
            simulator.abort();
        }
        self.image_server.abort();
        for emulator in self.emulators {
            let _ = emulator.stop.send(());
            let _ = emulator.task.await;
        }
    }
}

fn random_hex(bytes: usize) -> Result<String, LabError> {
    Ok(hex::encode(random_bytes(bytes)?))
}

fn random_bytes(count: usize) -> Result<Vec<u8>, LabError> {
    let mut bytes = vec![0u8; count];
    getrandom::fill(&mut bytes).map_err(|error| LabError::NoRandomness {
        reason: error.to_string(),
    })?;
    Ok(bytes)
}

async fn start(paths: &LabPaths) -> Result<Running, LabError> {
    let input: DaemonInput = read_json(&paths.plan())?.ok_or_else(|| LabError::Corrupt {
        path: paths.plan(),
        reason: "missing: start the lab with `aero lab up`".to_string(),
    })?;
    let plan = input.plan;
    let python = input.venv.join("bin/python");

    // A clean slate: no state of an earlier run survives (the emulators' sqlite state
    // would keep old systems and media).
    for old in [paths.record(), paths.simulators(), paths.targets()] {
        remove_file(&old)?;
    }
    for old in [paths.emulators(), paths.tmp(), paths.tls()] {
        remove_dir(&old)?;
    }
    for folder in [paths.emulators(), paths.tmp(), paths.tls(), paths.logs()] {
        create_private_dir(&folder)?;
    }

    let certificate = certificate::generate(time::OffsetDateTime::now_utc())?;
    let certificate_file = paths.tls().join("lab.pem");
    let key_file = paths.tls().join("lab-key.pem");
    write_private(&certificate_file, certificate.certificate_pem.as_bytes())?;
    write_private(&key_file, certificate.key_pem.as_bytes())?;
    let bmc_client = pinned_client(certificate.der.clone(), Duration::from_secs(10))?;

    let media_client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .connect_timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .map_err(|error| LabError::Network {
            action: "set up the node simulators' HTTP client".to_string(),
            reason: error.without_url().to_string(),
        })?;
    let (image_server, image_task, standins) = serve_standins(&plan).await?;
    for standin in &standins {
        let answered = media_client.head(&standin.url).send().await;
        if !answered
            .as_ref()
            .is_ok_and(|response| response.status().is_success())
        {
            image_task.abort();
            return Err(LabError::Network {
                action: format!("serve the stand-in OS image at {}", standin.url),
                reason: match answered {
                    Ok(response) => format!("HTTP {}", response.status()),
                    Err(error) => error.without_url().to_string(),
                },
            });
        }
    }
    tracing::info!(server = %image_server, images = standins.len(), "stand-in OS images served");

    write_private(&paths.launcher(), emulator::LAUNCHER.as_bytes())?;
    let mut credentials = BTreeMap::new();
    let mut htpasswd = Vec::new();
    for node in &plan.nodes {
        let folder = paths.emulator(&node.name);
        create_private_dir(&folder)?;
        let entry = Credentials {
            username: format!("lab-{}", random_hex(4)?),
            password: URL_SAFE_NO_PAD.encode(random_bytes(24)?),
        };
        htpasswd.push((
            folder.join("htpasswd"),
            entry.username.clone(),
            entry.password.clone(),
        ));
        credentials.insert(node.name.clone(), entry);
    }
    emulator::write_htpasswd_files(&python, &htpasswd).await?;

    let mut starting = tokio::task::JoinSet::new();
    for node in &plan.nodes {
        let folder = paths.emulator(&node.name);
        let request = StartRequest {
            python: python.clone(),
            launcher: paths.launcher(),
            seed: plan.seed,
            folder: folder.clone(),
            log: paths.emulator_log(&node.name),
            tmp: folder.join("tmp"),
            config: EmulatorConfig {
                node: node.name.clone(),
                uuid: node.system_uuid.clone(),
                macs: node.macs.clone(),
                serial_number: node.serial_number.clone(),
                port: 0,
                htpasswd: folder.join("htpasswd"),
                state: folder.join("state"),
                certificate: certificate_file.clone(),
                key: key_file.clone(),
            },
            probe: bmc_client.clone(),
            deadline: EMULATOR_START,
        };
        create_private_dir(&request.tmp)?;
        let name = node.name.clone();
        starting.spawn(async move { (name, emulator::start(request).await) });
    }
    let mut started = BTreeMap::new();
    let mut failure = None;
    while let Some(joined) = starting.join_next().await {
        match joined {
            Ok((name, Ok(running))) => {
                started.insert(name, running);
            }
            Ok((_, Err(error))) => failure = failure.or(Some(error)),
            Err(error) => {
                failure = failure.or(Some(LabError::Emulator {
                    node: "?".to_string(),
                    reason: error.to_string(),
                }));
            }
        }
    }
    if let Some(error) = failure {
        image_task.abort();
        // Dropping the started emulators kills them (kill_on_drop).
        drop(started);
        return Err(error);
    }

    let provisioning = match &plan.provisioning_server {
        Some(server) => {
            let port =
                emulator::lasting_port(&random_bytes(64)?).map_err(|error| LabError::Network {
                    action: "find a free port for the provisioning server".to_string(),
                    reason: error.to_string(),
                })?;
            let scheme = if server.tls { "https" } else { "http" };
            Some(ProvisioningRecord {
                bind_address: format!("127.0.0.1:{port}"),
                public_url: format!("{scheme}://127.0.0.1:{port}"),
            })
        }
        None => None,
    };

    let mut records = Vec::new();
    for node in &plan.nodes {
        let Some(running) = started.get(&node.name) else {
            continue;
        };
        let username = credentials
            .get(&node.name)
            .map(|entry| entry.username.clone())
            .unwrap_or_default();
        records.push(EmulatorRecord {
            node: node.name.clone(),
            documented_bmc: node.documented_bmc.clone(),
            url: format!("https://127.0.0.1:{}", running.port),
            port: running.port,
            pid: running
                .child
                .id()
                .and_then(|pid| i32::try_from(pid).ok())
                .unwrap_or(0),
            system_uuid: node.system_uuid.clone(),
            uuid_source: node.uuid_source,
            macs: node.macs.clone(),
            serial_number: node.serial_number.clone(),
            faults: node.faults.clone(),
            username,
        });
    }
    let with_credentials: Vec<(EmulatorRecord, &Credentials)> = records
        .iter()
        .filter_map(|record| Some((record.clone(), credentials.get(&record.node)?)))
        .collect();
    let targets = targets::overrides(
        &plan,
        &with_credentials,
        &certificate.certificate_pem,
        provisioning.as_ref(),
        &standins,
    )?;
    write_json(&paths.targets(), &targets)?;

    let board = StatusBoard::new(
        paths.simulators(),
        &plan
            .nodes
            .iter()
            .map(|node| node.name.clone())
            .collect::<Vec<_>>(),
    );
    let mut simulators = Vec::new();
    for record in &records {
        let Some(entry) = credentials.get(&record.node) else {
            continue;
        };
        let simulator = Arc::new(Simulator {
            node: record.node.clone(),
            emulator: record.url.clone(),
            system_path: format!("/redfish/v1/Systems/{}", record.system_uuid),
            username: entry.username.clone(),
            password: entry.password.clone(),
            bmc_client: bmc_client.clone(),
            media_client: media_client.clone(),
            boot_delay: Duration::from_millis(plan.boot_delay_ms),
            phones_home: Fault::lets_phone_home(&record.faults),
            poll_interval: SIMULATOR_POLL,
            board: board.clone(),
        });
        simulators.push(tokio::spawn(simulator::run(simulator)));
    }

    let mut emulators = Vec::new();
    for (node, running) in started {
        let (stop, stopped) = oneshot::channel();
        let mut child = running.child;
        let task = tokio::spawn(async move {
            tokio::select! {
                status = child.wait() => {
                    use std::os::unix::process::ExitStatusExt;
                    match status.as_ref().ok().and_then(|status| status.signal()) {
                        // The lab's process group is being stopped (`aero lab down`).
                        Some(signal) => tracing::info!(node = %node, signal, "the emulated BMC was stopped"),
                        None => tracing::error!(node = %node, status = ?status, "the emulated BMC exited; `aero lab down` and `aero lab up` start it again"),
                    }
                }
                _ = stopped => {
                    let _ = child.start_kill();
                    let _ = child.wait().await;
                }
            }
        });
        emulators.push(EmulatorTask { stop, task });
    }

    let record = LabRecord {
        site: plan.site.clone(),
        pid: i32::try_from(std::process::id()).unwrap_or(0),
        started_at: simulator::now_text(),
        seed: plan.seed,
        boot_delay_ms: plan.boot_delay_ms,
        venv: input.venv.to_string_lossy().into_owned(),
        sushy_tools: SUSHY_TOOLS_VERSION.to_string(),
        emulators: records,
        image_server: format!("http://{image_server}"),
        standin_images: standins,
        provisioning_server: provisioning,
        certificate_pem: certificate.certificate_pem.clone(),
    };
    write_json(&paths.record(), &record)?;
    Ok(Running {
        emulators,
        simulators,
        image_server: image_task,
    })
}

/// Makes the stand-in of every OS image of the plan and serves them.
async fn serve_standins(
    plan: &LabPlan,
) -> Result<(std::net::SocketAddr, JoinHandle<()>, Vec<StandInRecord>), LabError> {
    let mut files = BTreeMap::new();
    let mut made = Vec::new();
    for image in &plan.os_images {
        let standin = standin::make(&image.name, &image.documented_url)?;
        let mut name = standin::file_name(&image.name);
        let mut index = 1;
        while files.contains_key(&format!("/standin/{name}")) {
            index += 1;
            name = format!("{index}-{}", standin::file_name(&image.name));
        }
        let path = format!("/standin/{name}");
        made.push((image, path.clone(), standin.sha256, standin.bytes.len()));
        files.insert(path, Bytes::from(standin.bytes));
    }
    let (address, task) = crate::serve::serve(files).await?;
    let records = made
        .into_iter()
        .map(|(image, path, sha256, size)| StandInRecord {
            name: image.name.clone(),
            documented_url: image.documented_url.clone(),
            url: format!("http://{address}{path}"),
            sha256,
            size: size as u64,
        })
        .collect();
    Ok((address, task, records))
}
