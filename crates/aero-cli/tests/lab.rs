//! End-to-end test of `aero lab` on the example site edge-lon1, with real sushy-tools
//! emulators (the venv of `AERO_SUSHY_VENV`, made by `ci/redfish/setup.sh`; the test
//! fails when it is missing): `lab up` through the real binary, the emulators over HTTPS
//! with the recorded certificate and credentials, the recorded targets applied to the
//! site's model, a node simulator driven through the Redfish client until it phones
//! home to a server of the test, a lab whose background process died started again,
//! and `lab down` leaving no process behind.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aero_baremetal::{BmcTls, ConfigImage, HostModel, ImageTime, NodeConfig, ServerOverride};
use aero_bmc::{
    BmcConnector, BmcTarget, BootOverride, BootPersistence, BootTarget, Credentials, PowerAction,
    TlsBackend, TlsTrust,
};
use aero_docs::collect::RepoSpec;
use aero_site::{KeyPolicy, RenderOptions, Snapshot};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

mod support;
use support::{venv, workspace};

const SITE: &str = "edge-lon1";

/// Runs `aero` in the workspace with a private state directory and the test's venv.
fn aero(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aero"))
        .args(args)
        .current_dir(workspace())
        .env("AERO_STATE_DIR", state)
        .env("AERO_SUSHY_VENV", venv())
        .env_remove("AERO_AGE_IDENTITY")
        .env_remove("AERO_AGE_IDENTITY_FILE")
        .env_remove("RUST_LOG")
        .output()
        .expect("aero runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn succeeds(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn status_json(state: &Path) -> serde_json::Value {
    let output = aero(state, &["lab", "status", SITE, "-o", "json"]);
    succeeds(&output);
    serde_json::from_slice(&output.stdout).expect("status is JSON")
}

/// The node's entry of `lab status -o json`.
fn node_status<'a>(status: &'a serde_json::Value, node: &str) -> &'a serde_json::Value {
    status["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["node"] == node)
        .unwrap_or_else(|| panic!("{node} in {status:#}"))
}

/// The live members of process group `group`, and processes whose arguments mention
/// `mentioning`.
fn lab_processes(mentioning: Option<&str>, group: i64) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.parse::<u32>().is_err() {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(after) = stat.rfind(')').map(|index| &stat[index + 1..]) else {
            continue;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.first() == Some(&"Z") {
            continue; // exited, not yet reaped
        }
        let arguments = std::fs::read(entry.path().join("cmdline"))
            .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
            .unwrap_or_default();
        let in_group = fields.get(2).and_then(|value| value.parse::<i64>().ok()) == Some(group);
        if in_group || mentioning.is_some_and(|text| arguments.contains(text)) {
            found.push(format!("{name}: {arguments}"));
        }
    }
    found
}

/// Whether `pid` runs (exists and has not exited).
fn is_running(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = &stat[stat.rfind(')')? + 1..];
            after.split_whitespace().next().map(|state| state != "Z")
        })
        .unwrap_or(false)
}

/// Polls `lab status` until `ready` holds for it, for `within` at most.
fn wait_for_status(
    state: &Path,
    within: Duration,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let status = status_json(state);
        if ready(&status) {
            return status;
        }
        assert!(
            started.elapsed() < within,
            "status not reached within {within:?}: {status:#}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The example site's host model, rendered with its demo key.
fn model() -> (HostModel, String) {
    let repos = vec![RepoSpec {
        name: "site-manifests".into(),
        path: workspace().join("site-manifests"),
    }];
    let snapshot = Snapshot::collect(&repos, SITE, None).unwrap();
    let keys = KeyPolicy::default()
        .resolve(&snapshot.repo_roots())
        .unwrap();
    let rendered = snapshot.render(&keys, &RenderOptions::default());
    assert!(rendered.is_valid(), "{:#?}", rendered.diagnostics());
    let revision = rendered.revision_id().unwrap().to_string();
    (HostModel::from_site(&rendered).unwrap(), revision)
}

/// A request the test server received.
#[derive(Debug)]
struct Received {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// A tiny HTTP/1.1 server on 127.0.0.1: answers GET of `files` and 200 to any POST, and
/// reports every request on the channel.
async fn test_server(
    files: BTreeMap<String, Vec<u8>>,
) -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = mpsc::unbounded_channel();
    let files = Arc::new(files);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let files = files.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let Ok(read) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..read]);
                    if let Some(index) = buffer.windows(4).position(|window| window == b"\r\n\r\n")
                    {
                        break index + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
                let mut lines = head.lines();
                let mut request_line = lines.next().unwrap_or("").split_whitespace();
                let method = request_line.next().unwrap_or("").to_string();
                let path = request_line.next().unwrap_or("").to_string();
                let headers: BTreeMap<String, String> = lines
                    .filter_map(|line| line.split_once(':'))
                    .map(|(name, value)| {
                        (name.trim().to_ascii_lowercase(), value.trim().to_string())
                    })
                    .collect();
                let length: usize = headers
                    .get("content-length")
                    .and_then(|value| value.parse().ok())
                    .unwrap_or(0);
                let mut body = buffer[head_end..].to_vec();
                while body.len() < length {
                    let Ok(read) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if read == 0 {
                        break;
                    }
                    body.extend_from_slice(&chunk[..read]);
                }
                let (status, content) = match (method.as_str(), files.get(&path)) {
                    ("GET", Some(content)) => ("200 OK", content.clone()),
                    ("POST", _) => ("200 OK", b"ok\n".to_vec()),
                    _ => ("404 Not Found", b"not found\n".to_vec()),
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    content.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.write_all(&content).await;
                let _ = stream.shutdown().await;
                let _ = sender.send(Received {
                    method,
                    path,
                    headers,
                    body,
                });
            });
        }
    });
    (base, receiver)
}

/// Python's `parse_qsl` for the phone-home form.
fn form_fields(body: &[u8]) -> BTreeMap<String, String> {
    fn decode(text: &str) -> String {
        let bytes = text.replace('+', " ").into_bytes();
        let mut out = Vec::new();
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] == b'%' && index + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                index += 3;
            } else {
                out.push(bytes[index]);
                index += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key), decode(value)))
        .collect()
}

/// The Redfish target of a node of a model the lab's targets were applied to.
fn bmc_target(model: &HostModel, node: &str) -> BmcTarget {
    let bmc = model.node(node).unwrap().bmc.as_ref().unwrap();
    let BmcTls::CaPem(pem) = &bmc.tls else {
        panic!(
            "the lab records its certificate as the CA PEM: {:?}",
            bmc.tls
        );
    };
    BmcTarget {
        endpoint: bmc.endpoint.clone(),
        credentials: Credentials::new(
            bmc.credentials.username.expose(),
            bmc.credentials.password.expose(),
        ),
        tls: TlsTrust::CaPem(pem.clone()),
        tls_backend: TlsBackend::Rustls,
        system: bmc.system_id.clone(),
    }
}

#[test]
fn lab_up_emulates_the_site_drives_a_node_to_phone_home_and_down_leaves_nothing() {
    let state = tempfile::tempdir().unwrap();
    let state_path = state.path().to_path_buf();
    let lab_folder = state_path.join("lab").join(SITE);

    // Up: 3 nodes, the genesis host externally provisioned, so 2 emulated BMCs.
    let started = Instant::now();
    let up = aero(
        &state_path,
        &["lab", "up", SITE, "--seed", "42", "--boot-delay", "1"],
    );
    let up_seconds = started.elapsed().as_secs_f64();
    succeeds(&up);
    eprintln!("lab up: {up_seconds:.1} s");
    let table = text(&up.stdout);
    assert!(table.starts_with("NODE "), "{table}");
    assert!(
        table.contains("lon1-wk01") && table.contains("lon1-wk02"),
        "{table}"
    );
    assert!(
        !table.contains("lon1-cp01"),
        "the genesis host is not emulated: {table}"
    );
    let notes = text(&up.stderr);
    assert!(
        notes.contains("STAND-IN") && notes.contains("aero lab down edge-lon1"),
        "{notes}"
    );

    let status = status_json(&state_path);
    assert_eq!(status["running"], true, "{status:#}");
    assert_eq!(status["seed"], 42);
    assert_eq!(status["sushy_tools"], "2.2.0");
    assert_eq!(status["nodes"].as_array().unwrap().len(), 2, "{status:#}");
    let daemon = status["pid"].as_i64().unwrap();
    let wk01 = node_status(&status, "lon1-wk01");
    assert_eq!(wk01["documented_bmc"], "https://10.23.0.21");
    assert_eq!(wk01["system_uuid"], "4c4c4544-0038-5a4b-8051-314734000000");
    assert_eq!(wk01["uuid_source"], "documented");
    assert_eq!(wk01["emulator_running"], true);
    assert_eq!(wk01["simulator"]["state"], "waiting");
    let json = serde_json::to_string(&status).unwrap();
    assert!(
        !json.contains("password"),
        "no password in the status: {json}"
    );

    // Up again: the running lab is left as it is.
    let again = aero(&state_path, &["lab", "up", SITE]);
    succeeds(&again);
    assert!(
        text(&again.stderr).contains("already running"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(status_json(&state_path)["pid"].as_i64(), Some(daemon));

    // The recorded targets: private, labelled, one per emulated BMC.
    let targets_file = lab_folder.join("targets.json");
    let mode = std::fs::metadata(&targets_file)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let targets = aero_lab::active_targets(&state_path, SITE)
        .unwrap()
        .unwrap();
    assert_eq!(targets.label, "lab");
    assert_eq!(
        targets.bmcs.keys().collect::<Vec<_>>(),
        ["https://10.23.0.21", "https://10.23.0.22"]
    );
    let server = targets.provisioning_server.as_ref().unwrap();
    assert!(server.bind_address.ip().is_loopback());
    let standin = targets
        .os_images
        .get("jammy")
        .expect("the stand-in replaces jammy");
    assert!(
        standin.description.contains("stand-in"),
        "{}",
        standin.description
    );

    // The site's model takes them; every BMC of a provisioned node is the lab's.
    let (site_model, revision) = model();
    let mut model = site_model.clone();
    model.apply_overrides(SITE, &targets).unwrap();
    for node in ["lon1-wk01", "lon1-wk02"] {
        let endpoint = &model.node(node).unwrap().bmc.as_ref().unwrap().endpoint;
        assert!(
            endpoint.starts_with("https://127.0.0.1:"),
            "{node}: {endpoint}"
        );
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let connector = aero_redfish::port::RedfishConnector::new();
        // Both emulators answer over HTTPS with the recorded certificate and
        // credentials, with the node's identity, powered off.
        for node in ["lon1-wk01", "lon1-wk02"] {
            let bmc = connector.connect(&bmc_target(&model, node)).await.unwrap();
            let inventory = bmc.inventory().await.unwrap();
            let expected = site_model.node(node).unwrap();
            assert_eq!(inventory.uuid, expected.expected.uuid, "{node}");
            let macs: Vec<String> = inventory.macs().iter().map(|mac| mac.to_string()).collect();
            assert!(
                macs.contains(&expected.boot_mac.unwrap().to_string()),
                "{node}: {macs:?}"
            );
            assert_eq!(inventory.power_state, aero_bmc::PowerState::Off);
        }
        // Without the lab's password, the emulator refuses.
        let mut wrong = bmc_target(&model, "lon1-wk02");
        wrong.credentials =
            Credentials::new(wrong.credentials.username.clone(), "not-the-password");
        assert!(connector.connect(&wrong).await.is_err());

        // Drive lon1-wk01 as the deploy path would, its phone-home pointed at this test.
        // Two servers of the test: one receives the phone-home (its address goes into
        // the config), the other serves the config image made with that address.
        let (base, mut requests) = test_server(BTreeMap::new()).await;
        let mut test_targets = targets.clone();
        test_targets.provisioning_server = Some(ServerOverride {
            bind_address: base.trim_start_matches("http://").parse().unwrap(),
            public_url: base.clone(),
        });
        let mut test_model = site_model.clone();
        test_model.apply_overrides(SITE, &test_targets).unwrap();
        let node = test_model.node("lon1-wk01").unwrap();
        let config = NodeConfig::render(&test_model, node, &revision).unwrap();
        let image = ConfigImage::build(&config, ImageTime::DEFAULT).unwrap();
        let image_path = format!("/config/{}", image.file_name());
        let (config_base, mut config_requests) = test_server(BTreeMap::from([(
            image_path.clone(),
            image.bytes().to_vec(),
        )]))
        .await;

        let bmc = connector
            .connect(&bmc_target(&test_model, "lon1-wk01"))
            .await
            .unwrap();
        let os_image = test_model
            .node("lon1-wk01")
            .unwrap()
            .os_image
            .as_ref()
            .unwrap();
        assert_eq!(os_image.url, standin.url);
        bmc.insert_media("Cd", &os_image.url).await.unwrap();
        bmc.insert_media("Floppy", &format!("{config_base}{image_path}"))
            .await
            .unwrap();
        bmc.set_boot_override(&BootOverride {
            target: BootTarget::Cd,
            persistence: BootPersistence::Once,
            mode: None,
        })
        .await
        .unwrap();
        let powered = Instant::now();
        bmc.request_power(PowerAction::On).await.unwrap();

        // The emulator fetched the config image when it was inserted.
        let fetched = config_requests.recv().await.unwrap();
        assert_eq!(
            (fetched.method.as_str(), fetched.path.as_str()),
            ("GET", image_path.as_str())
        );

        // The node simulator phones home: cloud-init's form, to the URL with the token.
        let phone_home = tokio::time::timeout(Duration::from_secs(90), requests.recv())
            .await
            .expect("the simulator phoned home within 90 s")
            .unwrap();
        eprintln!(
            "power on -> phone home: {:.1} s",
            powered.elapsed().as_secs_f64()
        );
        assert_eq!(phone_home.method, "POST");
        let token = config.phone_home_token().expose();
        assert_eq!(phone_home.path, format!("/phone-home/lon1-wk01/{token}"));
        assert_eq!(
            phone_home.headers.get("content-type").map(String::as_str),
            Some("application/x-www-form-urlencoded")
        );
        let fields = form_fields(&phone_home.body);
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            [
                "hostname",
                "instance_id",
                "pub_key_ecdsa",
                "pub_key_ed25519",
                "pub_key_rsa"
            ]
        );
        let body = String::from_utf8_lossy(&phone_home.body).into_owned();
        let order: Vec<&str> = body
            .split('&')
            .map(|pair| pair.split('=').next().unwrap_or(""))
            .collect();
        assert_eq!(
            order,
            [
                "instance_id",
                "hostname",
                "pub_key_rsa",
                "pub_key_ecdsa",
                "pub_key_ed25519"
            ],
            "the order user-data lists"
        );
        assert_eq!(fields["instance_id"], config.instance_id());
        assert_eq!(fields["hostname"], "lon1-wk01");
        assert_eq!(fields["pub_key_rsa"], "N/A");
        assert!(
            fields["pub_key_ed25519"].starts_with("ssh-ed25519 "),
            "{fields:?}"
        );
        assert!(
            fields["pub_key_ed25519"].ends_with(" root@lon1-wk01\n"),
            "{fields:?}"
        );
        assert!(
            fields["pub_key_ecdsa"].starts_with("ecdsa-sha2-nistp256 "),
            "{fields:?}"
        );

        // Its status says what it booted; the other node is still waiting.
        let status = wait_for_status(&state_path, Duration::from_secs(10), |status| {
            node_status(status, "lon1-wk01")["simulator"]["state"] == "phoned-home"
        });
        let simulator = &node_status(&status, "lon1-wk01")["simulator"];
        assert_eq!(simulator["image_sha256"], standin.sha256.as_str());
        assert_eq!(simulator["image_label"], "AEROSTAT-STANDIN");
        assert!(
            simulator["config_source"]
                .as_str()
                .unwrap()
                .contains("Floppy"),
            "{simulator}"
        );
        assert_eq!(simulator["phone_home_status"], 200);
        assert!(simulator["phoned_home_at"].is_string());
        assert_eq!(
            node_status(&status, "lon1-wk02")["simulator"]["state"],
            "waiting"
        );
        assert!(
            !serde_json::to_string(&status).unwrap().contains(token),
            "no token in the status"
        );

        // Powering off resets it.
        bmc.request_power(PowerAction::ForceOff).await.unwrap();
        let status = wait_for_status(&state_path, Duration::from_secs(30), |status| {
            let simulator = &node_status(status, "lon1-wk01")["simulator"];
            simulator["power"] == "Off" && simulator["booted_at"].is_null()
        });
        let simulator = &node_status(&status, "lon1-wk01")["simulator"];
        assert_eq!(simulator["state"], "waiting");
        assert_eq!(simulator["boots"], 1);
        let _ = bmc.close().await;
    });
    drop(runtime);

    // The log says what the simulator did, and never the token.
    let log = std::fs::read_to_string(lab_folder.join("logs/lab.log")).unwrap();
    assert!(log.contains("phoned home"), "{log}");

    // A lab whose background process died: status says so, `up` starts it again and
    // stops what the dead one left (its emulators, orphaned in its process group).
    let old_status = status_json(&state_path);
    let old_emulators: Vec<i64> = old_status["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["pid"].as_i64().unwrap())
        .collect();
    let killed = Command::new("kill")
        .args(["-KILL", &daemon.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let dead = wait_for_status(&state_path, Duration::from_secs(10), |status| {
        status["running"] == false
    });
    assert_eq!(dead["targets_recorded"], true);
    let stale = aero(&state_path, &["lab", "status", SITE]);
    assert!(
        text(&stale.stdout).contains("aero lab down edge-lon1"),
        "{}",
        text(&stale.stdout)
    );
    let restarted = aero(&state_path, &["lab", "up", SITE, "--seed", "7"]);
    succeeds(&restarted);
    let status = status_json(&state_path);
    let new_daemon = status["pid"].as_i64().unwrap();
    assert_ne!(new_daemon, daemon);
    assert_eq!(status["seed"], 7);
    for pid in old_emulators {
        assert!(
            !is_running(pid),
            "the dead lab's emulator {pid} was stopped"
        );
    }
    assert!(
        lab_processes(None, daemon).is_empty(),
        "nothing of the dead lab's group is left"
    );

    // Down: nothing of the lab is left running; its targets are gone, its logs kept.
    let started = Instant::now();
    let down = aero(&state_path, &["lab", "down", SITE]);
    let down_seconds = started.elapsed().as_secs_f64();
    succeeds(&down);
    eprintln!("lab down: {down_seconds:.1} s");
    let left = lab_processes(Some(&state_path.to_string_lossy()), new_daemon);
    assert!(left.is_empty(), "processes left: {left:#?}");
    assert!(
        aero_lab::active_targets(&state_path, SITE)
            .unwrap()
            .is_none()
    );
    assert!(!targets_file.exists());
    assert!(lab_folder.join("logs/lab.log").is_file());
    assert!(lab_folder.join("logs/lon1-wk01-emulator.log").is_file());
    let status = status_json(&state_path);
    assert_eq!(status["running"], false);
    assert_eq!(status["targets_recorded"], false);
    let again = aero(&state_path, &["lab", "down", SITE]);
    succeeds(&again);
    assert!(
        text(&again.stderr).contains("no lab"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn lab_up_of_an_unknown_site_is_a_usage_error() {
    let state = tempfile::tempdir().unwrap();
    let output = aero(state.path(), &["lab", "up", "no-such-site"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(!state.path().join("lab/no-such-site/targets.json").exists());
    let status = aero(state.path(), &["lab", "status", "no-such-site"]);
    succeeds(&status);
    assert!(text(&status.stdout).contains("no lab of no-such-site is running"));
}
