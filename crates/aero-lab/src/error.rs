//! What can go wrong with a lab, each failure named after the step that failed, with what
//! to do about it where there is something to do.

use std::path::PathBuf;

use aero_error::{Classify, ErrorClass};

/// Why a lab could not be started, stopped, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// A site or node name cannot name a folder of the lab.
    #[error(
        "{what} `{name}` cannot name a folder of the lab (one folder name: no `/`, not `.` or `..`)"
    )]
    BadName {
        /// `site` or `node`.
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// The site has nothing the lab could stand in for.
    #[error(
        "site `{site}` has no node with a Redfish BMC that Aerostat provisions: the lab has nothing to emulate"
    )]
    NothingToEmulate {
        /// The site.
        site: String,
    },
    /// `--fault` names a node the lab does not emulate.
    #[error(
        "--fault names node `{node}`, which the lab does not emulate (it emulates: {})",
        emulated.join(", ")
    )]
    FaultOfUnknownNode {
        /// The node named.
        node: String,
        /// The nodes the lab emulates.
        emulated: Vec<String>,
    },
    /// Two nodes name the same BMC endpoint; the lab gives each node its own emulator.
    #[error(
        "nodes `{first}` and `{second}` both name the BMC {endpoint}: the lab emulates one BMC per node"
    )]
    SharedBmc {
        /// The endpoint.
        endpoint: String,
        /// One node.
        first: String,
        /// The other.
        second: String,
    },
    /// A file or folder of the lab could not be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done (`write`, `read`, `create`...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file of the lab is not what the lab wrote.
    #[error("{} is unreadable ({reason}); `aero lab down` removes it", path.display())]
    Corrupt {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The recorded targets are for another site.
    #[error("the lab targets in {} were recorded for site `{recorded}`, not `{site}`", path.display())]
    OtherSite {
        /// The targets file.
        path: PathBuf,
        /// The site they name.
        recorded: String,
        /// The site asked for.
        site: String,
    },
    /// No usable Python to make the emulators' venv with.
    #[error(
        "the lab's BMC emulators need Python 3 with venv support: {reason} (Debian/Ubuntu: apt-get install python3 python3-venv), or set AERO_SUSHY_VENV to a venv that has sushy-tools=={version}"
    )]
    NoPython {
        /// What failed.
        reason: String,
        /// The pinned sushy-tools version.
        version: &'static str,
    },
    /// The venv could not be made or completed.
    #[error(
        "cannot install sushy-tools=={version} into {}: {reason}\n{hint}", venv.display()
    )]
    Venv {
        /// The venv.
        venv: PathBuf,
        /// The pinned version.
        version: &'static str,
        /// What failed (with the tail of the installer's output).
        reason: String,
        /// What to do.
        hint: String,
    },
    /// The venv named by `AERO_SUSHY_VENV` is not usable.
    #[error(
        "AERO_SUSHY_VENV={} is not a venv with sushy-tools=={version}: {reason} (install it: {}/bin/pip install sushy-tools=={version}, or unset AERO_SUSHY_VENV to let Aerostat make its own)", venv.display(), venv.display()
    )]
    GivenVenv {
        /// The venv.
        venv: PathBuf,
        /// The pinned version.
        version: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The system gave no random bytes (for credentials).
    #[error("no randomness for the lab's credentials: {reason}")]
    NoRandomness {
        /// Why.
        reason: String,
    },
    /// A helper process could not be run.
    #[error("cannot run {program}: {reason}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        reason: String,
    },
    /// The lab's certificate could not be made.
    #[error("cannot make the lab's TLS certificate: {reason}")]
    Certificate {
        /// Why.
        reason: String,
    },
    /// The stand-in OS image could not be made.
    #[error("cannot make the stand-in OS image for `{image}`: {reason}")]
    StandIn {
        /// The OS image name.
        image: String,
        /// Why.
        reason: String,
    },
    /// A local server or client of the lab could not be set up.
    #[error("cannot {action}: {reason}")]
    Network {
        /// What was being done.
        action: String,
        /// Why.
        reason: String,
    },
    /// An emulator did not start.
    #[error("the BMC emulator of node `{node}` did not start: {reason}")]
    Emulator {
        /// The node.
        node: String,
        /// Why (with the tail of its log).
        reason: String,
    },
    /// The lab's background process stopped before the lab was ready.
    #[error("the lab's background process exited before the lab was ready; {} ends with:\n{tail}", log.display())]
    DaemonExited {
        /// Its log.
        log: PathBuf,
        /// The end of the log.
        tail: String,
    },
    /// The lab did not become ready in time.
    #[error("the lab was not ready after {seconds} s (see {}); it was stopped", log.display())]
    NotReady {
        /// How long was waited.
        seconds: u64,
        /// The log.
        log: PathBuf,
    },
    /// Signalling the lab's processes failed.
    #[error("cannot signal the lab's processes (group {group}): {source}")]
    Signal {
        /// The process group.
        group: i32,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Some of the lab's processes survived SIGKILL.
    #[error("processes {pids:?} of the lab (group {group}) are still running after SIGKILL")]
    Survivors {
        /// The process group.
        group: i32,
        /// The processes still there.
        pids: Vec<i32>,
    },
}

impl LabError {
    /// An I/O failure on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        LabError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl Classify for LabError {
    fn class(&self) -> ErrorClass {
        match self {
            LabError::BadName { .. } => ErrorClass::Usage,
            LabError::NothingToEmulate { .. } | LabError::SharedBmc { .. } => {
                ErrorClass::InvalidInput
            }
            LabError::FaultOfUnknownNode { .. } => ErrorClass::Usage,
            LabError::OtherSite { .. } => ErrorClass::Conflict,
            LabError::NotReady { .. } | LabError::Emulator { .. } => ErrorClass::Transient,
            LabError::Io { .. }
            | LabError::Corrupt { .. }
            | LabError::NoPython { .. }
            | LabError::Venv { .. }
            | LabError::GivenVenv { .. }
            | LabError::Spawn { .. }
            | LabError::NoRandomness { .. }
            | LabError::Certificate { .. }
            | LabError::StandIn { .. }
            | LabError::Network { .. }
            | LabError::DaemonExited { .. }
            | LabError::Signal { .. }
            | LabError::Survivors { .. } => ErrorClass::Permanent,
        }
    }
}
