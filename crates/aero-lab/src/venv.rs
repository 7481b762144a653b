//! The Python venv the BMC emulators run from: the one `AERO_SUSHY_VENV` names, else
//! `<state_dir>/lab/venv`, which Aerostat makes (`python3 -m venv`) and completes
//! (`pip install sushy-tools==2.2.0`) once, and reuses while it holds the pinned version.
//! Without Python, venv support or PyPI, the error says what to install.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::error::LabError;
use crate::files::{labs_folder, remove_dir, tail};

/// The sushy-tools release the lab runs (its emulator's behaviour is documented for this
/// version).
pub const SUSHY_TOOLS_VERSION: &str = "2.2.0";

/// The environment variable naming a ready venv.
pub const VENV_VARIABLE: &str = "AERO_SUSHY_VENV";

/// A venv with the pinned sushy-tools.
#[derive(Debug, Clone)]
pub(crate) struct Venv {
    pub(crate) root: PathBuf,
}

fn python_of(root: &Path) -> PathBuf {
    root.join("bin/python")
}

/// The venv to run emulators from: `AERO_SUSHY_VENV` if set (checked, never changed),
/// else the state directory's own, made or completed as needed.
pub(crate) fn ensure(state_dir: &Path) -> Result<Venv, LabError> {
    if let Some(given) = std::env::var_os(VENV_VARIABLE).filter(|value| !value.is_empty()) {
        let root = PathBuf::from(given);
        return match installed_version(&root) {
            Ok(Some(version)) if version == SUSHY_TOOLS_VERSION => Ok(Venv { root }),
            Ok(Some(version)) => Err(given_venv(&root, format!("it has sushy-tools {version}"))),
            Ok(None) => Err(given_venv(
                &root,
                "sushy-tools is not installed".to_string(),
            )),
            Err(reason) => Err(given_venv(&root, reason)),
        };
    }
    let root = labs_folder(state_dir).join("venv");
    if !python_of(&root).is_file() {
        create(&root)?;
    }
    match installed_version(&root) {
        Ok(Some(version)) if version == SUSHY_TOOLS_VERSION => {}
        _ => install(&root)?,
    }
    match installed_version(&root) {
        Ok(Some(version)) if version == SUSHY_TOOLS_VERSION => Ok(Venv { root }),
        Ok(other) => Err(venv_error(
            &root,
            format!(
                "after pip install, sushy-tools is {}",
                other.as_deref().unwrap_or("missing")
            ),
        )),
        Err(reason) => Err(venv_error(&root, reason)),
    }
}

fn given_venv(root: &Path, reason: String) -> LabError {
    LabError::GivenVenv {
        venv: root.to_path_buf(),
        version: SUSHY_TOOLS_VERSION,
        reason,
    }
}

fn venv_error(root: &Path, reason: String) -> LabError {
    LabError::Venv {
        venv: root.to_path_buf(),
        version: SUSHY_TOOLS_VERSION,
        reason,
        hint: format!(
            "The lab installs sushy-tools from PyPI (or the index pip is configured with, e.g. PIP_INDEX_URL). \
             Offline, make a venv elsewhere and name it: python3 -m venv DIR && DIR/bin/pip install sushy-tools=={SUSHY_TOOLS_VERSION}, then AERO_SUSHY_VENV=DIR"
        ),
    }
}

/// `python3 -m venv ROOT`; a half-made venv is removed so the next attempt starts over.
fn create(root: &Path) -> Result<(), LabError> {
    crate::files::create_private_dir(root.parent().unwrap_or(root))?;
    let output = Command::new("python3")
        .args(["-m", "venv"])
        .arg(root)
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => {
            return Err(LabError::NoPython {
                reason: format!("python3 cannot be run ({error})"),
                version: SUSHY_TOOLS_VERSION,
            });
        }
    };
    if output.status.success() {
        return Ok(());
    }
    let _ = remove_dir(root);
    let text = output_text(&output);
    let reason = if text.contains("ensurepip") || text.contains("venv") {
        format!("python3 -m venv failed: {}", last_lines(&text, 3))
    } else {
        format!("python3 -m venv failed ({})", last_lines(&text, 3))
    };
    Err(LabError::NoPython {
        reason,
        version: SUSHY_TOOLS_VERSION,
    })
}

/// `ROOT/bin/python -m pip install sushy-tools==VERSION`.
fn install(root: &Path) -> Result<(), LabError> {
    let log = root.join("aerostat-pip.log");
    let output = Command::new(python_of(root))
        .args(["-m", "pip", "install", "--disable-pip-version-check"])
        .arg(format!("sushy-tools=={SUSHY_TOOLS_VERSION}"))
        .stdin(Stdio::null())
        .output()
        .map_err(|error| venv_error(root, format!("cannot run pip: {error}")))?;
    let text = output_text(&output);
    let _ = std::fs::write(&log, &text);
    if output.status.success() {
        return Ok(());
    }
    Err(venv_error(
        root,
        format!(
            "pip install failed (full output in {}):\n{}",
            log.display(),
            tail(&log, 6)
        ),
    ))
}

/// The installed sushy-tools version (`None`: not installed), after checking the venv's
/// Python runs and has bcrypt (the emulators' password files need it).
fn installed_version(root: &Path) -> Result<Option<String>, String> {
    let python = python_of(root);
    if !python.is_file() {
        return Err(format!("{} does not exist", python.display()));
    }
    let script = "from importlib import metadata\n\
                  try:\n    print(metadata.version('sushy-tools'))\nexcept metadata.PackageNotFoundError:\n    print('')\n\
                  try:\n    import bcrypt\nexcept ImportError:\n    print('no-bcrypt')\n";
    let output = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("{} cannot be run: {error}", python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            python.display(),
            last_lines(&output_text(&output), 3)
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    let version = lines.next().unwrap_or("").trim().to_string();
    if version.is_empty() {
        return Ok(None);
    }
    if lines.any(|line| line.trim() == "no-bcrypt") {
        return Err("its Python has no bcrypt module (a dependency of sushy-tools)".to_string());
    }
    Ok(Some(version))
}

fn output_text(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    lines[lines.len().saturating_sub(count)..].join(" / ")
}
