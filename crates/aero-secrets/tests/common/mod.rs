//! Helpers shared by the integration tests: a scratch manifests repository with one site.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use aero_docs::collect::RepoSpec;
use aero_secrets::keys::{Identities, IdentitySource, Recipients, generate_identity};
use aero_secrets::site::LoadedSite;

/// A scratch repository holding site `lab` (type `lab`) and an age key pair.
pub struct Lab {
    pub dir: tempfile::TempDir,
    pub identities: Identities,
    pub recipients: Recipients,
    pub public_key: String,
}

/// A new key pair.
pub fn keypair() -> (Identities, Recipients, String) {
    let new = generate_identity(&["test key"]);
    let identities = Identities::parse(&new.file_text, "test", IdentitySource::Env).unwrap();
    let recipients = Recipients::parse_list([new.public_key.as_str()], "test").unwrap();
    (identities, recipients, new.public_key)
}

impl Lab {
    /// A repository with the site definition (listing the key pair's recipient when
    /// `with_recipients`) and `files`.
    pub fn new(with_recipients: bool, files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (identities, recipients, public_key) = keypair();
        let secrets = if with_recipients {
            format!("  secrets:\n    age_recipients:\n      - {public_key}\n")
        } else {
            String::new()
        };
        let lab = Self {
            dir,
            identities,
            recipients,
            public_key,
        };
        lab.write(
            "site/lab/site-definition.yaml",
            &format!(
                "---\nschema: pegleg/SiteDefinition/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: lab\n  layeringDefinition: {{abstract: false, layer: site}}\n  storagePolicy: cleartext\ndata:\n  site_type: lab\n{secrets}...\n"
            ),
        );
        for (path, text) in files {
            lab.write(path, text);
        }
        lab
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.path(relative)).unwrap()
    }

    pub fn repos(&self) -> Vec<RepoSpec> {
        vec![RepoSpec {
            name: "manifests".into(),
            path: self.root().to_path_buf(),
        }]
    }

    pub fn load(&self) -> LoadedSite {
        LoadedSite::load(&self.repos(), "lab").unwrap()
    }

    /// Runs git in the repository, panicking on failure; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args([
                "-c",
                "user.name=test",
                "-c",
                "user.email=test@example.invalid",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(self.root())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

/// Every document of every YAML file under `site/lab/` and `global/`, by file.
pub fn snapshot(lab: &Lab) -> Vec<(String, Vec<serde_json::Value>)> {
    let site = lab.load();
    site.files
        .iter()
        .map(|file| {
            (
                file.source.rel_path.clone(),
                file.documents
                    .iter()
                    .map(|document| document.value.clone())
                    .collect(),
            )
        })
        .collect()
}
