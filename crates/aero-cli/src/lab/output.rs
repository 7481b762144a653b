//! What the `aero lab` verbs print: the lab's state as one structure, serialised for
//! `-o json|yaml` (the lab's own records nested as they are) and drawn as a table with
//! a few lines of notes for people. No password is in any of it.

use aero_lab::{EmulatorRecord, LabStatus, ProvisioningRecord, SimulatorStatus, StandInRecord};
use serde::Serialize;

use crate::format::Table;

/// A site's lab, as `aero lab status` and `aero lab up` show it.
#[derive(Debug, Serialize)]
pub struct LabView<'a> {
    /// The site.
    pub site: &'a str,
    /// Whether the lab's background process runs.
    pub running: bool,
    /// Whether commands on the site target the lab (its targets are recorded).
    pub targets_recorded: bool,
    /// The background process (also the lab's process group).
    pub pid: Option<i32>,
    /// When the lab was ready.
    pub started_at: Option<&'a str>,
    /// The emulators' seed (power delays).
    pub seed: Option<u64>,
    /// The node simulators' simulated boot time.
    pub boot_delay_ms: Option<u64>,
    /// sushy-tools version of the emulators.
    pub sushy_tools: Option<&'a str>,
    /// The venv they run from.
    pub venv: Option<&'a str>,
    /// The stand-in image server.
    pub image_server: Option<&'a str>,
    /// The stand-in OS images.
    pub standin_images: &'a [StandInRecord],
    /// Where the deploy process's provisioning server binds while the lab is up.
    pub provisioning_server: Option<&'a ProvisioningRecord>,
    /// One per emulated node.
    pub nodes: Vec<NodeView<'a>>,
    /// The lab's folder.
    pub folder: String,
    /// The lab's log.
    pub log: String,
}

/// One emulated node.
#[derive(Debug, Serialize)]
pub struct NodeView<'a> {
    /// Its emulated BMC.
    #[serde(flatten)]
    pub emulator: &'a EmulatorRecord,
    /// Whether the emulator's process runs.
    pub emulator_running: bool,
    /// Its node simulator (the stand-in for its operating system).
    pub simulator: Option<&'a SimulatorStatus>,
}

impl<'a> LabView<'a> {
    /// The view of a lab's status.
    pub fn of(status: &'a LabStatus) -> LabView<'a> {
        let record = status.record.as_ref();
        let nodes = record
            .map(|record| {
                record
                    .emulators
                    .iter()
                    .map(|emulator| NodeView {
                        emulator,
                        emulator_running: status
                            .emulators_running
                            .iter()
                            .any(|(node, running)| *node == emulator.node && *running),
                        simulator: status.simulators.get(&emulator.node),
                    })
                    .collect()
            })
            .unwrap_or_default();
        LabView {
            site: &status.site,
            running: status.running,
            targets_recorded: status.targets_recorded,
            pid: record.map(|record| record.pid),
            started_at: record.map(|record| record.started_at.as_str()),
            seed: record.map(|record| record.seed),
            boot_delay_ms: record.map(|record| record.boot_delay_ms),
            sushy_tools: record.map(|record| record.sushy_tools.as_str()),
            venv: record.map(|record| record.venv.as_str()),
            image_server: record.map(|record| record.image_server.as_str()),
            standin_images: record.map_or(&[], |record| record.standin_images.as_slice()),
            provisioning_server: record.and_then(|record| record.provisioning_server.as_ref()),
            nodes,
            folder: status.folder.display().to_string(),
            log: status.log.display().to_string(),
        }
    }
}

/// The table of `aero lab up` and `aero lab status`: each node's emulated BMC and
/// simulator.
pub fn lab_table(view: &LabView<'_>) -> String {
    if !view.running {
        return String::new();
    }
    let mut table = Table::new(&[
        "NODE",
        "EMULATED BMC (LAB)",
        "DOCUMENTED BMC",
        "SYSTEM UUID",
        "SIMULATOR",
        "BOOTED AT",
        "PHONED HOME AT",
    ]);
    for node in &view.nodes {
        let simulator = node.simulator;
        let state = match (node.emulator_running, simulator) {
            (false, _) => "emulator down".to_string(),
            (true, Some(status)) => match &status.error {
                Some(_) if status.state == aero_lab::SimulatorState::Failed => "failed".to_string(),
                _ => status.state.as_str().to_string(),
            },
            (true, None) => "-".to_string(),
        };
        let when = |value: Option<&String>| value.cloned().unwrap_or_else(|| "-".to_string());
        table.row(vec![
            node.emulator.node.clone(),
            node.emulator.url.clone(),
            node.emulator.documented_bmc.clone(),
            node.emulator.system_uuid.clone(),
            state,
            when(simulator.and_then(|status| status.booted_at.as_ref())),
            when(simulator.and_then(|status| status.phoned_home_at.as_ref())),
        ]);
    }
    table.render()
}

/// The lines said on stderr about a lab (what it stands in for, where, how to stop it).
pub fn notes(view: &LabView<'_>) -> Vec<String> {
    let site = view.site;
    if !view.running {
        let mut lines = vec![format!("no lab of {site} is running")];
        if view.targets_recorded {
            lines.push(format!(
                "its targets are still recorded, so commands on {site} target a lab that is down: run `aero lab down {site}` (or `aero lab up {site}`)"
            ));
        }
        return lines;
    }
    let mut lines = vec![format!(
        "lab of {site}: a STAND-IN for the site's machines: {} emulated BMC(s) (sushy-tools {}), node simulators standing in for the operating systems",
        view.nodes.len(),
        view.sushy_tools.unwrap_or("?"),
    )];
    for image in view.standin_images {
        lines.push(format!(
            "stand-in OS image for `{}` (not an installer): {} (sha256 {})",
            image.name, image.url, image.sha256
        ));
    }
    if let Some(server) = view.provisioning_server {
        lines.push(format!(
            "provisioning server (bound by the deploy process): {}",
            server.public_url
        ));
    }
    for node in &view.nodes {
        if !node.emulator.faults.is_empty() {
            let faults: Vec<String> = node
                .emulator
                .faults
                .iter()
                .map(ToString::to_string)
                .collect();
            lines.push(format!(
                "{}: the lab plays the fault(s) {}",
                node.emulator.node,
                faults.join(", ")
            ));
        }
        if let Some(error) = node.simulator.and_then(|status| status.error.as_ref()) {
            lines.push(format!("{}: {error}", node.emulator.node));
        }
    }
    lines.push(format!(
        "seed {}; log {}",
        view.seed.map_or("?".to_string(), |seed| seed.to_string()),
        view.log
    ));
    lines.push(format!(
        "every command on {site} targets this lab until `aero lab down {site}`"
    ));
    lines
}
