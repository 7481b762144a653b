//! What a running lab records about itself (`lab.json`, written once the lab answers)
//! and what its node simulators report (`simulators.json`, rewritten at every change).
//! Neither holds a password: credentials are only in `targets.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::plan::{Fault, UuidSource};

/// A running lab, as its background process recorded it when everything answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabRecord {
    /// The site.
    pub site: String,
    /// The background process (its pid is its process group).
    pub pid: i32,
    /// When it was ready (RFC 3339, UTC).
    pub started_at: String,
    /// The emulators' random seed (power delays).
    pub seed: u64,
    /// The node simulators' simulated boot time, in milliseconds.
    pub boot_delay_ms: u64,
    /// The venv the emulators run from.
    pub venv: String,
    /// The sushy-tools version in it.
    pub sushy_tools: String,
    /// The emulated BMCs, by node name.
    pub emulators: Vec<EmulatorRecord>,
    /// Base URL of the image server (`http://127.0.0.1:PORT`).
    pub image_server: String,
    /// The stand-in OS images it serves.
    pub standin_images: Vec<StandInRecord>,
    /// The address the deploy process's provisioning server binds, when the site has one.
    pub provisioning_server: Option<ProvisioningRecord>,
    /// The lab's certificate (PEM), which its emulators present.
    pub certificate_pem: String,
}

/// One emulated BMC.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmulatorRecord {
    /// The node.
    pub node: String,
    /// Its BMC endpoint in the documents.
    pub documented_bmc: String,
    /// The emulator's endpoint (`https://127.0.0.1:PORT`).
    pub url: String,
    /// Its port.
    pub port: u16,
    /// The emulator process.
    pub pid: i32,
    /// The system's UUID (also its Redfish id).
    pub system_uuid: String,
    /// Where the UUID comes from.
    pub uuid_source: UuidSource,
    /// The NIC MACs the system reports.
    pub macs: Vec<String>,
    /// The serial number the system reports.
    #[serde(default)]
    pub serial_number: Option<String>,
    /// The faults the lab plays for this node.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// The user name (its password is in `targets.json` only).
    pub username: String,
}

/// A stand-in OS image the lab serves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StandInRecord {
    /// The OS image name it replaces.
    pub name: String,
    /// The image's URL in the documents.
    pub documented_url: String,
    /// Where the lab serves the stand-in.
    pub url: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Where the deploy process's provisioning server goes while the lab is up.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvisioningRecord {
    /// `127.0.0.1:PORT`.
    pub bind_address: String,
    /// `http://127.0.0.1:PORT` (https when the site's server has TLS).
    pub public_url: String,
}

/// A node simulator's state: the stand-in for the node's operating system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorStatus {
    /// Where it is.
    pub state: SimulatorState,
    /// The machine's power state, as last read from its emulator.
    pub power: Option<String>,
    /// When it booted from CD this power-on (RFC 3339).
    pub booted_at: Option<String>,
    /// The SHA-256 of the OS image it booted.
    pub image_sha256: Option<String>,
    /// The volume label of that image.
    pub image_label: Option<String>,
    /// Where its NoCloud config came from (`Floppy slot`, `http seed at ...`).
    pub config_source: Option<String>,
    /// When its phone-home was accepted (RFC 3339).
    pub phoned_home_at: Option<String>,
    /// The HTTP status of the last phone-home attempt.
    pub phone_home_status: Option<u16>,
    /// How many times it booted since the lab started.
    pub boots: u32,
    /// What went wrong last (no URL paths: they may hold a node's token).
    pub error: Option<String>,
}

/// Where a node simulator is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimulatorState {
    /// Off, or on without booting from a CD.
    #[default]
    Waiting,
    /// Booting from CD: reading its media, then the simulated boot time.
    Booting,
    /// Posting its phone-home (retrying as cloud-init does).
    PhoningHome,
    /// Booted and phoned home.
    PhonedHome,
    /// Booted, but its user-data asks for no phone-home.
    Booted,
    /// The boot failed (see `error`); it waits for the next power-on or medium.
    Failed,
}

impl SimulatorState {
    /// As written in files and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            SimulatorState::Waiting => "waiting",
            SimulatorState::Booting => "booting",
            SimulatorState::PhoningHome => "phoning-home",
            SimulatorState::PhonedHome => "phoned-home",
            SimulatorState::Booted => "booted",
            SimulatorState::Failed => "failed",
        }
    }
}

/// Every simulator's status, by node.
pub type SimulatorStatuses = BTreeMap<String, SimulatorStatus>;
