//! Helpers shared by the CLI's end-to-end tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;

/// The workspace root (where `site-manifests/` lives).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Runs git in `dir` with a throwaway identity; fails the test if git fails.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// Copies a folder tree.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The forms a leaked secret would take: clear, URL-encoded (both cases), base64
/// (standard and URL-safe) and JSON-escaped.
pub fn encodings(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    let url: String = secret
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    forms.push(url.clone());
    forms.push(url.to_lowercase());
    forms.push(base64::engine::general_purpose::STANDARD.encode(secret));
    forms.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret));
    let json = serde_json::to_string(secret).unwrap();
    forms.push(json[1..json.len() - 1].to_string());
    forms.sort();
    forms.dedup();
    forms
}

/// The venv with sushy-tools 2.2.0: `AERO_SUSHY_VENV`, else where `ci/redfish/setup.sh`
/// puts it; the test fails, saying what to run, when it is missing.
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("AERO_SUSHY_VENV")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/sushy-venv"));
    assert!(
        venv.join("bin/sushy-emulator").is_file(),
        "sushy-emulator not found in {}: run ci/redfish/setup.sh (or set AERO_SUSHY_VENV to its venv)",
        venv.display()
    );
    venv
}
