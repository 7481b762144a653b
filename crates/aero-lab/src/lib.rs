//! The local lab: a site's machines played on one computer, so that `aero deploy` of a
//! site can run end to end without hardware. A product feature, and a STAND-IN: it is
//! labelled as one everywhere it shows (its certificate, its OS image, its logs, the
//! `lab` label of its targets, which every command on the site prints on stderr).
//!
//! `aero lab up SITE` starts, in a background process that outlives the command:
//!
//! - **one emulated BMC per node** Aerostat provisions (a node with a Redfish BMC that
//!   is not externally provisioned): a sushy-emulator of the pinned `sushy-tools`
//!   ([`SUSHY_TOOLS_VERSION`]) with its fake driver and one system whose UUID, name and
//!   NIC MACs are the node's (so the preflight's identity checks pass), powered off, on
//!   a free 127.0.0.1 port, over HTTPS with a certificate the lab makes, with its own
//!   random credentials and a seeded random generator for its power delays. It stands
//!   in for the BMC: power, boot override, virtual media. It runs from the venv
//!   [`VENV_VARIABLE`] names, else one Aerostat makes under the state directory;
//! - **a small HTTP server** on 127.0.0.1 for the **stand-in OS image**: a tiny ISO
//!   labelled [`STANDIN_LABEL`] whose README says it replaces the installer image the
//!   documents name, which the lab does not download;
//! - **a node simulator per node**, a stand-in for the node's OPERATING SYSTEM (not for
//!   its BMC): it watches its emulator and, when the machine is powered on to boot from
//!   its virtual CD, it "boots": downloads the inserted images, reads the node's `cidata`
//!   user-data and phones home as cloud-init's `phone_home` module does (see the
//!   `simulator` module for exactly what it does and does not do);
//!
//! and records the lab's address mapping, [`active_targets`]: each node's documented BMC
//! endpoint → its emulator (with credentials and the lab's certificate), the provisioning
//! server → a 127.0.0.1 port, each OS image → its stand-in. The lab rewrites no document.
//!
//! What the lab does not stand in for: firmware, installers, disks, the network between
//! machines (everything talks over 127.0.0.1), BMC behaviour beyond sushy-tools' fake
//! driver (no serial number, no logs, a boot override that is never consumed), or
//! anything cloud-init does besides phoning home. Real machines under a real BMC are
//! another lab (roadmap).
//!
//! # How the deploy path uses it
//!
//! Only through the overrides: a command on a site asks [`active_targets`]; when it
//! returns `Some`, the command applies them to the host model
//! (`aero_baremetal::HostModel::apply_overrides`) and says on stderr that it targets the
//! lab. A node whose BMC has no mapping is then an error, never a fall-back to its real
//! address. Nothing else of this crate is on the deploy path.
//!
//! ```no_run
//! # fn demo(state_dir: &std::path::Path, mut model: aero_baremetal::HostModel) -> Result<(), Box<dyn std::error::Error>> {
//! if let Some(targets) = aero_lab::active_targets(state_dir, "edge-lon1")? {
//!     eprintln!("aero: site edge-lon1 targets the {} (aero lab down edge-lon1 to stop)", targets.label);
//!     model.apply_overrides("edge-lon1", &targets)?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Processes
//!
//! [`up`] spawns the command it is given (the `aero` binary's hidden `lab run SITE`,
//! which calls [`run_daemon`]), which makes itself a session and process group leader;
//! every emulator it starts is in that group. [`down`] signals the group (SIGTERM, then
//! SIGKILL), so no emulator outlives the lab, and removes every file but the logs.
//! Everything lives in `<state_dir>/lab/<site>/` (the `files` module lists it).

mod certificate;
mod control;
mod daemon;
mod emulator;
mod error;
mod files;
mod plan;
mod process;
mod record;
mod serve;
mod simulator;
mod standin;
mod targets;
mod venv;

pub use control::{DownOutcome, LabStatus, UpOutcome, UpRequest, down, status, up};
pub use daemon::run_daemon;
pub use error::LabError;
pub use plan::{
    Fault, LabOptions, LabPlan, PlannedImage, PlannedNode, PlannedServer, UuidSource,
    derived_system_uuid,
};
pub use record::{
    EmulatorRecord, LabRecord, ProvisioningRecord, SimulatorState, SimulatorStatus,
    SimulatorStatuses, StandInRecord,
};
pub use standin::STANDIN_LABEL;
pub use targets::{LABEL, active_targets};
pub use venv::{SUSHY_TOOLS_VERSION, VENV_VARIABLE};
