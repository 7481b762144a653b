//! End-to-end tests of `aero node` on the bundled example sites: the node list, a node's
//! config with and without secrets, reproducible images, and exit codes.

use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

mod support;
use support::workspace;

/// Runs `aero` in the workspace with a private state directory.
fn aero(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aero"))
        .args(args)
        .current_dir(workspace())
        .env("AERO_STATE_DIR", state)
        .env_remove("AERO_AGE_IDENTITY")
        .env_remove("AERO_AGE_IDENTITY_FILE")
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("RUST_LOG")
        .output()
        .expect("aero runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn node_list_shows_every_server_with_its_bmc_and_profiles() {
    let state = tempfile::tempdir().unwrap();
    let output = aero(state.path(), &["node", "list", "edge-lon1", "-o", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lon1-cp01", "lon1-wk01", "lon1-wk02"]);
    let worker = &rows[1];
    assert_eq!(worker["bmc"], "https://10.23.0.21");
    assert_eq!(worker["bmc_tls"], "fingerprint");
    assert_eq!(worker["boot_mac"], "b4:96:91:3a:17:15");
    assert_eq!(worker["macs"]["pxe_nic01"], "b4:96:91:3a:17:15");
    assert_eq!(worker["host_profiles"], serde_json::json!(["worker"]));
    assert_eq!(worker["hardware_profile"], "dell-r650");
    assert_eq!(worker["tags"], serde_json::json!(["worker"]));
    assert_eq!(worker["externally_provisioned"], false);
    assert_eq!(rows[0]["externally_provisioned"], true);
    assert_eq!(worker["fingerprint"].as_str().unwrap().len(), 64);

    let table = aero(state.path(), &["node", "list", "edge-fra1"]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    let table = text(&table.stdout);
    assert!(table.starts_with("NAME "), "{table}");
    assert!(
        table.contains("fra1-cp01") && table.contains("external"),
        "{table}"
    );
}

#[test]
fn node_config_redacts_the_token_unless_asked() {
    let state = tempfile::tempdir().unwrap();
    let redacted = aero(state.path(), &["node", "config", "edge-lon1", "lon1-wk01"]);
    assert!(redacted.status.success(), "{}", text(&redacted.stderr));
    let shown = text(&redacted.stdout);
    for header in [
        "# ==> user-data <==",
        "# ==> meta-data <==",
        "# ==> network-config <==",
    ] {
        assert!(shown.contains(header), "{shown}");
    }
    assert!(
        shown.contains("url: \"http://10.23.1.5:8080/phone-home/lon1-wk01/<redacted:"),
        "{shown}"
    );

    let clear = aero(
        state.path(),
        &[
            "node",
            "config",
            "edge-lon1",
            "lon1-wk01",
            "--part",
            "user-data",
            "--show-secrets",
        ],
    );
    assert!(clear.status.success(), "{}", text(&clear.stderr));
    let user_data = text(&clear.stdout);
    assert!(user_data.starts_with("#cloud-config\n"), "{user_data}");
    let url_start = user_data.find("/phone-home/lon1-wk01/").unwrap();
    let token: String = user_data[url_start + "/phone-home/lon1-wk01/".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 32, "{user_data}");
    assert!(
        !shown.contains(&token),
        "the redacted output hides the token"
    );

    let network = aero(
        state.path(),
        &[
            "node",
            "config",
            "edge-lon1",
            "lon1-wk01",
            "--part",
            "network-config",
        ],
    );
    assert!(network.status.success());
    let network = text(&network.stdout);
    assert!(network.contains("\nnetwork:\n  version: 2\n"), "{network}");
    assert!(
        !network.contains("# ==>"),
        "one file, as the image holds it"
    );
}

#[test]
fn node_image_writes_the_same_bytes_every_time_and_prints_their_digest() {
    let state = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let mut digests = Vec::new();
    for name in ["first.iso", "second.iso"] {
        let path = folder.path().join(name);
        let output = aero(
            state.path(),
            &[
                "node",
                "image",
                "edge-fra1",
                "fra1-wk02",
                "-o",
                path.to_str().unwrap(),
            ],
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        let bytes = std::fs::read(&path).unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(
            text(&output.stdout),
            format!("{digest}  {}\n", path.display())
        );
        assert_eq!(&bytes[0x8001..0x8006], b"CD001");
        digests.push(digest);
    }
    assert_eq!(digests[0], digests[1]);
    let later = folder.path().join("later.iso");
    let output = aero(
        state.path(),
        &[
            "node",
            "image",
            "edge-fra1",
            "fra1-wk02",
            "--time",
            "1767225600",
            "-o",
            later.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        !text(&output.stdout).starts_with(&digests[0]),
        "the time is an input"
    );
}

#[test]
fn unknown_nodes_and_sites_are_usage_errors() {
    let state = tempfile::tempdir().unwrap();
    let output = aero(state.path(), &["node", "config", "edge-lon1", "lon1-wk09"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr)
            .contains("no node `lon1-wk09` in the site (nodes: lon1-cp01, lon1-wk01, lon1-wk02)"),
        "{}",
        text(&output.stderr)
    );
    let output = aero(state.path(), &["node", "list", "edge-nowhere"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let output = aero(
        state.path(),
        &[
            "node",
            "config",
            "edge-lon1",
            "lon1-wk01",
            "--part",
            "vendor-data",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn inconsistent_host_documents_fail_with_located_errors() {
    let state = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    support::copy_tree(&workspace().join("site-manifests"), repo.path());
    let nodes = repo.path().join("site/edge-lon1/baremetal/nodes.yaml");
    let text_before = std::fs::read_to_string(&nodes).unwrap();
    std::fs::write(
        &nodes,
        text_before.replacen("host_profile: worker", "host_profile: wokrer", 1),
    )
    .unwrap();
    let output = aero(
        state.path(),
        &[
            "node",
            "list",
            "edge-lon1",
            "--repo",
            repo.path().to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("site/edge-lon1/baremetal/nodes.yaml:")
            && stderr.contains(
                "drydock/BaremetalNode/v1/lon1-wk01 .host_profile: host profile `wokrer` does not exist (host profiles: cp, worker)"
            ),
        "{stderr}"
    );
}

#[test]
fn node_verbs_show_no_secret_but_with_show_secrets() {
    let state = tempfile::tempdir().unwrap();
    let render = aero(state.path(), &["site", "render", "edge-lon1", "-o", "json"]);
    assert!(render.status.success(), "{}", text(&render.stderr));
    let documents: serde_json::Value = serde_json::from_slice(&render.stdout).unwrap();
    let secret = |name: &str| -> String {
        documents
            .as_array()
            .unwrap()
            .iter()
            .find(|document| {
                document["schema"] == "deckhand/Passphrase/v1"
                    && document["metadata"]["name"] == name
            })
            .and_then(|document| document["data"].as_str())
            .unwrap_or_else(|| panic!("no passphrase {name}"))
            .to_string()
    };
    let secrets = [
        secret("bmc-admin-username"),
        secret("bmc-admin-password"),
        secret("provisioning-token-key"),
    ];
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_aero"))
            .args(args)
            .current_dir(workspace())
            .env("AERO_STATE_DIR", state.path())
            .env("RUST_LOG", "trace")
            .env_remove("AERO_AGE_IDENTITY")
            .env_remove("AERO_AGE_IDENTITY_FILE")
            .output()
            .expect("aero runs")
    };
    for args in [
        &["node", "list", "edge-lon1"][..],
        &["node", "list", "edge-lon1", "-o", "yaml"],
        &["node", "config", "edge-lon1", "lon1-wk01"],
        &[
            "node",
            "config",
            "edge-lon1",
            "lon1-cp01",
            "--part",
            "user-data",
        ],
    ] {
        let output = run(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        for secret in &secrets {
            for stream in [&output.stdout, &output.stderr] {
                assert!(
                    !text(stream).contains(secret.as_str()),
                    "{args:?} shows a secret"
                );
            }
        }
    }
}
