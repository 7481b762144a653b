//! `up`, `down` and `status` of a site's lab, run by the `aero lab` verbs. They start and
//! stop the lab's background process ([`crate::run_daemon`]) and read what it recorded.
//!
//! # Flow
//! * [`up`]: under the lab's lock, a running lab is left as it is
//!   ([`UpOutcome::AlreadyRunning`]); what a dead one left (its processes, its targets)
//!   is cleaned up; the venv is made or checked; the plan is written; the background
//!   process is spawned with its output to `logs/lab.log`; `up` returns once it has
//!   recorded `lab.json` (everything answered), or fails with the end of its log.
//! * [`down`]: SIGTERM to the lab's process group, SIGKILL to what is left after a grace
//!   period, then every file but the logs is removed. Safe to repeat.
//! * [`status`]: whether the background process runs, what it recorded, and the node
//!   simulators' states.
//!
//! # Guarantees
//! * One background process per site's lab (a file lock serialises `up` and `down`).
//! * `down` leaves no process of the lab: the background process leads its own process
//!   group (`setsid`) and every emulator is in it, so the group signal reaches them even
//!   when the background process died first.
//! * `targets.json` exists from the moment the lab answers until `down`; a stale one of
//!   a dead lab is replaced by `up` or removed by `down`, never silently ignored.

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::daemon::DaemonInput;
use crate::error::LabError;
use crate::files::{
    self, LabPaths, create_private_dir, read_json, remove_dir, remove_file, write_json,
};
use crate::plan::LabPlan;
use crate::process;
use crate::record::{LabRecord, SimulatorStatuses};
use crate::venv;

/// How `lab up` starts a lab.
#[derive(Debug)]
pub struct UpRequest {
    /// The state directory.
    pub state_dir: PathBuf,
    /// What to start.
    pub plan: LabPlan,
    /// The command that runs [`crate::run_daemon`] for the plan's site (the `aero`
    /// binary's hidden `lab run SITE`); its standard streams are set here.
    pub daemon: Command,
    /// How long to wait for the lab to answer.
    pub ready_within: Duration,
}

/// What `lab up` did.
#[derive(Debug)]
pub enum UpOutcome {
    /// The lab was started.
    Started(LabStatus),
    /// A lab of the site was already running; it was left as it was.
    AlreadyRunning(LabStatus),
}

/// What `lab down` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownOutcome {
    /// The lab's processes were stopped.
    Stopped {
        /// Processes of the lab that were running.
        processes: usize,
        /// Where its logs are kept.
        logs: PathBuf,
    },
    /// No process of the lab was running (its files, if any, were removed).
    NotRunning,
}

/// A site's lab as it is now.
#[derive(Debug, Clone)]
pub struct LabStatus {
    /// The site.
    pub site: String,
    /// Whether its background process runs.
    pub running: bool,
    /// What the running lab recorded (`None` when it is not running).
    pub record: Option<LabRecord>,
    /// Per emulator (by node), whether its process runs.
    pub emulators_running: Vec<(String, bool)>,
    /// The node simulators' states.
    pub simulators: SimulatorStatuses,
    /// Whether `targets.json` exists: commands on the site target the lab. True while
    /// not running means a lab died without `lab down`.
    pub targets_recorded: bool,
    /// The lab's folder.
    pub folder: PathBuf,
    /// The background process's log.
    pub log: PathBuf,
}

/// Holds the lab's lock (released when dropped).
struct Lock {
    _file: File,
}

fn lock(paths: &LabPaths) -> Result<Lock, LabError> {
    create_private_dir(paths.root())?;
    let path = paths.root().join(".lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|error| LabError::io("open", &path, error))?;
    file.lock()
        .map_err(|error| LabError::io("lock", &path, error))?;
    Ok(Lock { _file: file })
}

fn daemon_pid(paths: &LabPaths) -> Option<i32> {
    std::fs::read_to_string(paths.pid())
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The lab of `site` now.
pub fn status(state_dir: &Path, site: &str) -> Result<LabStatus, LabError> {
    let paths = LabPaths::new(state_dir, site)?;
    let running = daemon_pid(&paths).is_some_and(|pid| process::is_lab_daemon(pid, site));
    let record = if running {
        read_json::<LabRecord>(&paths.record())?
    } else {
        None
    };
    let emulators_running = record
        .iter()
        .flat_map(|record| &record.emulators)
        .map(|emulator| (emulator.node.clone(), process::is_alive(emulator.pid)))
        .collect();
    let simulators = if running {
        read_json::<SimulatorStatuses>(&paths.simulators())?.unwrap_or_default()
    } else {
        SimulatorStatuses::new()
    };
    Ok(LabStatus {
        site: site.to_string(),
        running: running && record.is_some(),
        record,
        emulators_running,
        simulators,
        targets_recorded: paths.targets().exists(),
        folder: paths.root().to_path_buf(),
        log: paths.daemon_log(),
    })
}

/// Starts the lab of the plan's site (see the module's flow).
pub fn up(request: UpRequest) -> Result<UpOutcome, LabError> {
    let UpRequest {
        state_dir,
        plan,
        mut daemon,
        ready_within,
    } = request;
    let site = plan.site.clone();
    let paths = LabPaths::new(&state_dir, &site)?;
    let _lock = lock(&paths)?;
    let current = status(&state_dir, &site)?;
    if current.running {
        return Ok(UpOutcome::AlreadyRunning(current));
    }
    // A lab that died (or one still starting when its `up` was interrupted): stop
    // whatever is left and start again.
    clean(&paths, &site)?;

    let venv = venv::ensure(&state_dir)?;
    write_json(
        &paths.plan(),
        &DaemonInput {
            plan,
            venv: venv.root.clone(),
        },
    )?;
    create_private_dir(&paths.logs())?;
    let log_path = paths.daemon_log();
    let log = File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|error| LabError::io("open", &log_path, error))?;
    let log_err = log
        .try_clone()
        .map_err(|error| LabError::io("open", &log_path, error))?;
    {
        use std::io::Write;
        let mut header = &log;
        let _ = writeln!(
            header,
            "==== aero lab up {site}: {} ====",
            crate::simulator::now_text()
        );
    }
    let mut child = daemon
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|error| LabError::Spawn {
            program: format!("{:?}", daemon.get_program()),
            reason: error.to_string(),
        })?;
    let pid = i32::try_from(child.id()).unwrap_or(0);
    files::write_private(&paths.pid(), format!("{pid}\n").as_bytes())?;

    let started = Instant::now();
    loop {
        if let Ok(Some(_exit)) = child.try_wait() {
            let tail = files::tail(&log_path, 20);
            clean(&paths, &site)?;
            return Err(LabError::DaemonExited {
                log: log_path,
                tail,
            });
        }
        if let Some(record) = read_json::<LabRecord>(&paths.record())?
            && record.pid == pid
        {
            return Ok(UpOutcome::Started(status(&state_dir, &site)?));
        }
        if started.elapsed() >= ready_within {
            let _ = child.kill();
            let _ = child.wait();
            clean(&paths, &site)?;
            return Err(LabError::NotReady {
                seconds: ready_within.as_secs(),
                log: log_path,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops the lab of `site` and removes its files but the logs (see the module's flow).
pub fn down(state_dir: &Path, site: &str) -> Result<DownOutcome, LabError> {
    let paths = LabPaths::new(state_dir, site)?;
    if !paths.root().exists() {
        return Ok(DownOutcome::NotRunning);
    }
    let _lock = lock(&paths)?;
    let processes = clean(&paths, site)?;
    Ok(if processes > 0 {
        DownOutcome::Stopped {
            processes,
            logs: paths.logs(),
        }
    } else {
        DownOutcome::NotRunning
    })
}

/// Stops every process of the lab and removes its files (not the logs or the shared
/// venv). Returns how many processes were running.
///
/// The group of the recorded pid is signalled only when one of its members is the
/// lab's (its background process, or an emulator running the lab's launcher): a pid
/// reused by another program after the lab died is never signalled.
fn clean(paths: &LabPaths, site: &str) -> Result<usize, LabError> {
    let launcher = paths.launcher().to_string_lossy().into_owned();
    let is_ours =
        |pid: i32| process::is_lab_daemon(pid, site) || process::arguments(pid).contains(&launcher);
    let mut processes = 0;
    if let Some(pid) = daemon_pid(paths)
        && process::group_members(pid).into_iter().any(is_ours)
    {
        processes += process::stop_group(pid, Duration::from_secs(10))?;
    }
    // An emulator outside the group (never expected: the daemon starts them after
    // setsid) is still one of the lab's when it runs the lab's launcher.
    let record: Option<LabRecord> = read_json(&paths.record()).unwrap_or(None);
    for emulator in record.iter().flat_map(|record| &record.emulators) {
        if process::is_alive(emulator.pid) && is_ours(emulator.pid) {
            processes += process::stop_process(emulator.pid)?;
        }
    }
    for file in [
        paths.targets(),
        paths.record(),
        paths.simulators(),
        paths.plan(),
        paths.pid(),
        paths.launcher(),
    ] {
        remove_file(&file)?;
    }
    for folder in [paths.emulators(), paths.tmp(), paths.tls()] {
        remove_dir(&folder)?;
    }
    Ok(processes)
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;

    use super::*;

    #[test]
    fn down_never_signals_a_process_that_is_not_the_labs() {
        // The lab died and its pid went to another program, a group leader too.
        let state = tempfile::tempdir().unwrap();
        let paths = LabPaths::new(state.path(), "edge-lon1").unwrap();
        create_private_dir(paths.root()).unwrap();
        let mut stranger = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = stranger.id() as i32;
        files::write_private(&paths.pid(), format!("{pid}\n").as_bytes()).unwrap();
        files::write_private(&paths.targets(), b"{}").unwrap();

        assert_eq!(
            down(state.path(), "edge-lon1").unwrap(),
            DownOutcome::NotRunning
        );
        assert!(process::is_alive(pid), "the stranger was left alone");
        assert!(
            !paths.targets().exists(),
            "the dead lab's files are removed"
        );
        assert!(!status(state.path(), "edge-lon1").unwrap().running);

        stranger.kill().unwrap();
        stranger.wait().unwrap();
        assert_eq!(
            down(state.path(), "edge-lon1").unwrap(),
            DownOutcome::NotRunning
        );
        assert_eq!(
            down(state.path(), "never-up").unwrap(),
            DownOutcome::NotRunning
        );
    }
}
