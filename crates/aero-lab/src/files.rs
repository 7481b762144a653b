//! Where a lab keeps its files, and how they are written: everything of one site's lab
//! lives in `<state_dir>/lab/<site>/` (a folder only its owner can enter), files that
//! hold credentials are written with mode 0600, and every file is replaced atomically
//! (written aside, then renamed), so a reader never sees half a file.
//!
//! ```text
//! <state_dir>/lab/venv/                 sushy-tools, made and reused by Aerostat (unless AERO_SUSHY_VENV)
//! <state_dir>/lab/<site>/
//!   targets.json      the TargetOverrides the deploy path applies (0600: BMC passwords)
//!   lab.json          what is running: emulators, ports, seed, stand-in images
//!   simulators.json   each node simulator's state
//!   daemon.pid        the background process (its pid is also its process group)
//!   plan.json         what `lab up` asked the background process to start (0600)
//!   run_emulator.py   the emulator launcher (seeds the power delays)
//!   tls/              the lab's self-signed certificate and key
//!   emulators/<node>/ one emulator's config, htpasswd, state and downloads (wiped at start)
//!   tmp/              TMPDIR of the lab's processes
//!   logs/             lab.log (the background process) and <node>-emulator.log; kept by `lab down`
//! ```

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::LabError;

/// The paths of one site's lab.
#[derive(Debug, Clone)]
pub(crate) struct LabPaths {
    root: PathBuf,
}

impl LabPaths {
    /// The lab of `site` under `state_dir`; the site name must be one folder name.
    pub(crate) fn new(state_dir: &Path, site: &str) -> Result<LabPaths, LabError> {
        if !is_folder_name(site) {
            return Err(LabError::BadName {
                what: "site",
                name: site.to_string(),
            });
        }
        Ok(LabPaths {
            root: labs_folder(state_dir).join(site),
        })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn targets(&self) -> PathBuf {
        self.root.join("targets.json")
    }

    pub(crate) fn record(&self) -> PathBuf {
        self.root.join("lab.json")
    }

    pub(crate) fn simulators(&self) -> PathBuf {
        self.root.join("simulators.json")
    }

    pub(crate) fn pid(&self) -> PathBuf {
        self.root.join("daemon.pid")
    }

    pub(crate) fn plan(&self) -> PathBuf {
        self.root.join("plan.json")
    }

    pub(crate) fn launcher(&self) -> PathBuf {
        self.root.join("run_emulator.py")
    }

    pub(crate) fn tls(&self) -> PathBuf {
        self.root.join("tls")
    }

    pub(crate) fn emulators(&self) -> PathBuf {
        self.root.join("emulators")
    }

    pub(crate) fn emulator(&self, node: &str) -> PathBuf {
        self.emulators().join(node)
    }

    pub(crate) fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub(crate) fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub(crate) fn daemon_log(&self) -> PathBuf {
        self.logs().join("lab.log")
    }

    pub(crate) fn emulator_log(&self, node: &str) -> PathBuf {
        self.logs().join(format!("{node}-emulator.log"))
    }
}

/// `<state_dir>/lab`: every site's lab, and the venv they share.
pub(crate) fn labs_folder(state_dir: &Path) -> PathBuf {
    state_dir.join("lab")
}

/// Whether `name` can be one component of a path (a site or node folder).
pub(crate) fn is_folder_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\0'])
        && name.len() <= 200
}

/// Creates `path` and its parents, the last ones private to the owner (0700).
pub(crate) fn create_private_dir(path: &Path) -> Result<(), LabError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|error| LabError::io("create", path, error))
}

/// Writes `bytes` to `path` with mode 0600, atomically.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), LabError> {
    let aside = path.with_extension(format!(
        "{}.tmp",
        path.extension()
            .and_then(|extension| extension.to_str())
            .unwrap_or("")
    ));
    let written = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&aside)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
    written.map_err(|error| LabError::io("write", &aside, error))?;
    fs::rename(&aside, path).map_err(|error| LabError::io("write", path, error))
}

/// Writes `value` as pretty JSON to `path` (mode 0600, atomically).
pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<(), LabError> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|error| LabError::Corrupt {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    text.push(b'\n');
    write_private(path, &text)
}

/// Reads JSON from `path`; `None` when the file does not exist.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, LabError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(LabError::io("read", path, error)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|error| LabError::Corrupt {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })
}

/// Removes a file; a missing one is fine.
pub(crate) fn remove_file(path: &Path) -> Result<(), LabError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(LabError::io("remove", path, error)),
    }
}

/// Removes a folder and everything in it; a missing one is fine.
pub(crate) fn remove_dir(path: &Path) -> Result<(), LabError> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(LabError::io("remove", path, error)),
    }
}

/// The last `lines` lines of a text file (for error messages); empty when unreadable.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn site_names_must_be_one_folder() {
        for good in ["edge-lon1", "site_2", "a.b"] {
            assert!(is_folder_name(good), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "/abs", "nul\0"] {
            assert!(!is_folder_name(bad), "{bad:?}");
            assert!(matches!(
                LabPaths::new(Path::new("/state"), bad),
                Err(LabError::BadName { .. })
            ));
        }
        let paths = LabPaths::new(Path::new("/state"), "edge-lon1").unwrap();
        assert_eq!(
            paths.targets(),
            Path::new("/state/lab/edge-lon1/targets.json")
        );
    }

    #[test]
    fn private_files_are_0600_and_replaced_whole() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("targets.json");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_json(&path, &serde_json::json!({"a": 1})).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let value: serde_json::Value = read_json(&path).unwrap().unwrap();
        assert_eq!(value["a"], 1);
        assert!(
            read_json::<serde_json::Value>(&folder.path().join("none"))
                .unwrap()
                .is_none()
        );
        fs::write(&path, "{").unwrap();
        assert!(matches!(
            read_json::<serde_json::Value>(&path),
            Err(LabError::Corrupt { .. })
        ));
        let names: Vec<_> = fs::read_dir(folder.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no file left aside");
    }
}
