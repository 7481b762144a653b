//! The leak test of the secrets issue: every output but `render` without `--redact`
//! keeps secret values out of stdout, stderr and every file written, even with
//! `RUST_LOG=trace`, in clear and in the encodings a leak would take (URL-encoded,
//! base64, JSON-escaped), including fragments taken from a secret by a regex match
//! group. A positive control (`render` without `--redact`) shows the same secrets, so
//! the test can fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::{copy_tree, echoing_bmc, encodings, workspace};

struct Lab {
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl Lab {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_aero"))
            .args(args)
            .current_dir(self.dir.path())
            .env("AERO_STATE_DIR", self.state.path())
            .env("RUST_LOG", "trace")
            .env_remove("AERO_AGE_IDENTITY")
            .env_remove("AERO_AGE_IDENTITY_FILE")
            .output()
            .expect("aero runs")
    }

    fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
}

const FRAGMENT_SOURCE: &str = "---
schema: deckhand/Passphrase/v1
metadata:
  schema: metadata/Document/v1
  name: leak-test-credential
  storagePolicy: encrypted
  layeringDefinition: {abstract: false, layer: site}
data: 'svc-user:Fr4gmentOnlyPart-91xq'
---
schema: example/LeakProbe/v1
metadata:
  schema: metadata/Document/v1
  name: leak-probe
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
  substitutions:
  - src: {schema: deckhand/Passphrase/v1, name: leak-test-credential, path: ., pattern: ':(.*)$', match_group: 1}
    dest: {path: .password}
  - src: {schema: deckhand/Passphrase/v1, name: leak-test-credential, path: ., pattern: ':(.*)$', match_group: 1}
    dest: {path: .url, pattern: PASSWORD}
data:
  url: https://svc-user:PASSWORD@probe.example.com/
";

fn files_under(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
}

#[test]
fn no_output_but_render_shows_a_secret() {
    let lab = Lab {
        dir: tempfile::tempdir().unwrap(),
        state: tempfile::tempdir().unwrap(),
    };
    let repo = lab.dir.path().join("site-manifests");
    std::fs::create_dir_all(&repo).unwrap();
    copy_tree(&workspace().join("site-manifests"), &repo);
    std::fs::write(
        repo.join("site/edge-lon1/secrets/passphrases/leak-test.yaml"),
        FRAGMENT_SOURCE,
    )
    .unwrap();
    lab.git(&["init", "-q"]);
    lab.git(&["add", "-A"]);
    lab.git(&["commit", "-q", "-m", "base"]);

    // Positive control: the unredacted render prints the secrets; collect them from it.
    let control = lab.run(&["site", "render", "edge-lon1", "-o", "json"]);
    assert!(
        control.status.success(),
        "{}",
        String::from_utf8_lossy(&control.stderr)
    );
    let documents: serde_json::Value = serde_json::from_slice(&control.stdout).unwrap();
    let mut secrets: Vec<String> = Vec::new();
    for document in documents.as_array().unwrap() {
        let schema = document["schema"].as_str().unwrap();
        let encrypted = document["metadata"]["storagePolicy"] == "encrypted";
        let secret_kind = [
            "Passphrase",
            "PrivateKey",
            "CertificateKey",
            "CertificateAuthorityKey",
        ]
        .iter()
        .any(|kind| schema == format!("deckhand/{kind}/v1"));
        if (encrypted || secret_kind)
            && let Some(value) = document["data"].as_str()
        {
            secrets.push(value.to_string());
        }
    }
    secrets.push("Fr4gmentOnlyPart-91xq".to_string());
    assert!(
        secrets.len() >= 20,
        "the example site has its passphrases: {}",
        secrets.len()
    );
    let control_text = String::from_utf8_lossy(&control.stdout);
    assert!(
        secrets
            .iter()
            .all(|secret| control_text.contains(secret.lines().next().unwrap())),
        "the positive control shows every secret"
    );
    let probe = documents
        .as_array()
        .unwrap()
        .iter()
        .find(|document| document["metadata"]["name"] == "leak-probe")
        .unwrap();
    assert_eq!(probe["data"]["password"], "Fr4gmentOnlyPart-91xq");

    // Make a change for diff: a new passphrase value and a broken substitution target.
    let passphrase = repo.join("site/edge-lon1/secrets/passphrases/leak-test.yaml");
    std::fs::write(
        &passphrase,
        FRAGMENT_SOURCE.replace("Fr4gmentOnlyPart-91xq", "Fr4gmentOnlyPart-72zz"),
    )
    .unwrap();
    secrets.push("Fr4gmentOnlyPart-72zz".to_string());

    let malformed = lab.dir.path().join("malformed");
    std::fs::create_dir_all(&malformed).unwrap();
    std::fs::copy(
        repo.join("global/layering-policy.yaml"),
        malformed.join("policy.yaml"),
    )
    .unwrap();
    std::fs::write(
        malformed.join("bad-secret.yaml"),
        "---\nschema: deckhand/Passphrase/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: bad\n  storagePolicy: sometimes\n  layeringDefinition: {abstract: false, layer: site}\ndata: Malformed-S3cret-Value-77\n---\nschema: example/User/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: user\n  storagePolicy: cleartext\n  layeringDefinition: {abstract: false, layer: site}\n  substitutions:\n  - {src: {schema: deckhand/Passphrase/v1, name: ok, path: .}, dest: {path: .a.b.c, pattern: NOPE}}\ndata: {a: {b: {c: 12}}}\n---\nschema: deckhand/Passphrase/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: ok\n  storagePolicy: encrypted\n  layeringDefinition: {abstract: false, layer: site}\ndata: Another-S3cret-Value-88\n",
    )
    .unwrap();
    secrets.push("Malformed-S3cret-Value-77".to_string());
    secrets.push("Another-S3cret-Value-88".to_string());

    let runs: Vec<(&str, Output)> = vec![
        (
            "explain probe",
            lab.run(&[
                "site",
                "explain",
                "edge-lon1",
                "example/LeakProbe/v1/leak-probe",
            ]),
        ),
        (
            "explain secret",
            lab.run(&[
                "site",
                "explain",
                "edge-lon1",
                "deckhand/Passphrase/v1/leak-test-credential",
                "-o",
                "json",
            ]),
        ),
        (
            "explain chart",
            lab.run(&[
                "site",
                "explain",
                "edge-lon1",
                "armada/Chart/v2/nova",
                "-o",
                "yaml",
            ]),
        ),
        (
            "diff",
            lab.run(&["site", "diff", "edge-lon1", "--from", "HEAD"]),
        ),
        (
            "diff json",
            lab.run(&["site", "diff", "edge-lon1", "--from", "HEAD", "-o", "json"]),
        ),
        ("lint", lab.run(&["site", "lint", "edge-lon1"])),
        (
            "lint json",
            lab.run(&["site", "lint", "edge-lon1", "-o", "json"]),
        ),
        (
            "validate",
            lab.run(&["site", "validate", "edge-lon1", "-o", "json"]),
        ),
        ("compat report", lab.run(&["site", "compat", "edge-lon1"])),
        (
            "render redacted",
            lab.run(&["site", "render", "edge-lon1", "--redact"]),
        ),
        (
            "render redacted json",
            lab.run(&["site", "render", "edge-lon1", "--redact", "-o", "json"]),
        ),
        ("failing render", lab.run(&["render", "malformed"])),
        (
            "failing lint",
            lab.run(&[
                "site",
                "--repo",
                "site-manifests",
                "lint",
                "edge-lon1",
                "--compat",
                "deckhand",
            ]),
        ),
    ];
    for (name, output) in &runs {
        // Every run must have done its job, or the test would pass on empty output.
        let expected = match *name {
            "failing render" | "lint" | "lint json" | "failing lint" | "validate" => None,
            _ => Some(0),
        };
        if let Some(expected) = expected {
            assert_eq!(
                output.status.code(),
                Some(expected),
                "{name}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    assert!(
        runs.iter()
            .any(|(name, output)| *name == "failing render" && output.status.code() == Some(1))
    );
    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, output) in &runs {
        haystacks.push((format!("{name} stdout"), output.stdout.clone()));
        haystacks.push((format!("{name} stderr"), output.stderr.clone()));
    }
    let mut written = Vec::new();
    files_under(lab.state.path(), &mut written);
    for (path, contents) in written {
        haystacks.push((path.display().to_string(), contents));
    }
    let trace_lines: usize = runs
        .iter()
        .map(|(_, output)| {
            String::from_utf8_lossy(&output.stderr)
                .matches("TRACE")
                .count()
                + String::from_utf8_lossy(&output.stderr)
                    .matches("DEBUG")
                    .count()
        })
        .sum();
    assert!(trace_lines > 0, "RUST_LOG=trace produced logs");
    for secret in &secrets {
        let first_line = secret
            .lines()
            .find(|line| line.len() >= 6 && !line.starts_with("-----"))
            .unwrap_or(secret);
        for form in encodings(first_line) {
            for (name, haystack) in &haystacks {
                let text = String::from_utf8_lossy(haystack);
                assert!(
                    !text.contains(&form),
                    "{name} leaks a secret (form {form:?})"
                );
            }
        }
    }
}

#[test]
fn a_bmc_that_echoes_the_password_in_its_errors_is_shown_redacted() {
    let (address, _server) = echoing_bmc();
    let folder = tempfile::tempdir().unwrap();
    let password = "Echo-Me-7f3a91c2d4";
    let password_file = folder.path().join("password");
    std::fs::write(&password_file, format!("{password}\n")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_aero"))
        .args([
            "bmc",
            "--endpoint",
            &format!("http://{address}"),
            "--username",
            "admin",
            "--password-file",
            password_file.to_str().unwrap(),
            "--auth",
            "session",
            "--timeout",
            "10",
            "inventory",
        ])
        .env("AERO_STATE_DIR", folder.path())
        .env("RUST_LOG", "trace")
        .output()
        .expect("aero runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The BMC's answer reached the output (so the test can fail) ...
    assert!(
        stderr.contains("is not valid") || stderr.contains("rejected"),
        "{stderr}"
    );
    // ... with the password redacted, in every form.
    for form in encodings(password) {
        assert!(
            !stderr.contains(&form),
            "the password leaked ({form}): {stderr}"
        );
        assert!(!String::from_utf8_lossy(&output.stdout).contains(&form));
    }
}
