//! End-to-end tests of `aero plan`, `aero deploy`, `aero actions` and `aero node adopt`
//! on the example site edge-lon1, through the real binary.
//!
//! The lab tests run the site against the local lab (real sushy-tools emulators from
//! `AERO_SUSHY_VENV`, made by `ci/redfish/setup.sh`, and the lab's node simulators that
//! boot the config image from virtual media and phone home): a full `deploy_site` that
//! powers both provisioned nodes through the Redfish emulators, serves their images and
//! takes their phone-home; the plan afterwards; crashes of the deploying process at
//! journal points, each resumed to the end by `aero actions resume --all --wait`; and
//! no secret in any output or in the store.

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod support;
use support::{venv, workspace};

const SITE: &str = "edge-lon1";

/// `aero` in the workspace with a private state directory; stdin is not a terminal.
fn aero_with(state: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aero"));
    command
        .args(args)
        .current_dir(workspace())
        .env("AERO_STATE_DIR", state)
        .env("AERO_SUSHY_VENV", venv())
        .env("RUST_LOG", "debug")
        .env_remove("AERO_STORE")
        .env_remove("AERO_CRASH_AT")
        .env_remove("AERO_AGE_IDENTITY")
        .env_remove("AERO_AGE_IDENTITY_FILE")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("aero runs")
}

fn aero(state: &Path, args: &[&str]) -> Output {
    aero_with(state, args, &[])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn exits(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn json(output: &Output) -> serde_json::Value {
    exits(output, 0);
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn change_of<'a>(plan: &'a serde_json::Value, node: &str) -> &'a str {
    plan["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["node"] == node)
        .unwrap_or_else(|| panic!("no line for {node}: {plan:#}"))["change"]
        .as_str()
        .unwrap()
}

#[test]
fn plan_of_a_site_never_deployed_provisions_its_nodes_and_leaves_external_ones() {
    let state = tempfile::tempdir().unwrap();
    let plan = json(&aero(
        state.path(),
        &["plan", SITE, "--no-observe", "-o", "json"],
    ));
    assert_eq!(plan["action"], "deploy_site");
    assert_eq!(plan["baseline"], serde_json::Value::Null);
    assert_eq!(change_of(&plan, "lon1-wk01"), "provision");
    assert_eq!(change_of(&plan, "lon1-wk02"), "provision");
    assert_eq!(change_of(&plan, "lon1-cp01"), "external");
    let phases: Vec<(&str, &str)> = plan["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|phase| {
            (
                phase["phase"].as_str().unwrap(),
                phase["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        phases
            .iter()
            .any(|(phase, status)| phase.contains("Kubernetes") && *status == "not-in-this-build"),
        "{phases:?}"
    );
    let steps: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["id"].as_str().unwrap())
        .collect();
    assert_eq!(steps[0], "validate-design");
    assert!(steps.contains(&"preflight/lon1-wk01"), "{steps:?}");
    assert!(
        !steps.iter().any(|step| step.contains("lon1-cp01")),
        "{steps:?}"
    );

    // The table for people names every node and the phases left out.
    let table = aero(state.path(), &["plan", SITE, "--no-observe"]);
    exits(&table, 0);
    let table = text(&table.stdout);
    assert!(
        table.contains("lon1-wk01") && table.contains("not in this build"),
        "{table}"
    );

    // Scope: --nodes limits, an unknown node is "not found" (exit 2).
    let scoped = json(&aero(
        state.path(),
        &[
            "plan",
            SITE,
            "--no-observe",
            "--nodes",
            "lon1-wk01",
            "-o",
            "json",
        ],
    ));
    assert_eq!(change_of(&scoped, "lon1-wk02"), "excluded");
    let unknown = aero(
        state.path(),
        &["plan", SITE, "--no-observe", "--nodes", "lon1-wk09"],
    );
    exits(&unknown, 2);
    assert!(
        text(&unknown.stderr).contains("lon1-wk09"),
        "{}",
        text(&unknown.stderr)
    );

    // Actions this build cannot do are refused with the reason, before anything is read.
    let refused = aero(state.path(), &["plan", SITE, "--action", "update-software"]);
    exits(&refused, 2);
}

#[test]
fn deploy_without_a_terminal_needs_yes_and_dry_run_submits_nothing() {
    let state = tempfile::tempdir().unwrap();
    let no_terminal = aero(state.path(), &["deploy", SITE, "--no-observe"]);
    exits(&no_terminal, 2);
    assert!(
        text(&no_terminal.stderr).contains("--yes"),
        "{}",
        text(&no_terminal.stderr)
    );
    let dry = aero(
        state.path(),
        &["deploy", SITE, "--no-observe", "--dry-run", "-o", "json"],
    );
    let plan = json(&dry);
    assert_eq!(change_of(&plan, "lon1-wk01"), "provision");
    let actions = json(&aero(state.path(), &["actions", "list", "-o", "json"]));
    assert_eq!(actions, serde_json::json!([]), "nothing submitted");
}

#[test]
fn an_adopted_node_is_never_touched_and_release_undoes_it() {
    let state = tempfile::tempdir().unwrap();
    exits(
        &aero(state.path(), &["node", "adopt", SITE, "lon1-wk02"]),
        0,
    );
    let plan = json(&aero(
        state.path(),
        &["plan", SITE, "--no-observe", "-o", "json"],
    ));
    assert_eq!(change_of(&plan, "lon1-wk02"), "external");
    assert_eq!(change_of(&plan, "lon1-wk01"), "provision");
    exits(
        &aero(state.path(), &["node", "adopt", SITE, "lon1-wk99"]),
        2,
    );
    exits(
        &aero(state.path(), &["node", "release", SITE, "lon1-wk02"]),
        0,
    );
    exits(
        &aero(state.path(), &["node", "release", SITE, "lon1-wk02"]),
        2,
    );
    let plan = json(&aero(
        state.path(),
        &["plan", SITE, "--no-observe", "-o", "json"],
    ));
    assert_eq!(change_of(&plan, "lon1-wk02"), "provision");
}

/// A lab for one test, brought down when dropped.
struct Lab {
    state: tempfile::TempDir,
}

impl Lab {
    fn up() -> Lab {
        Lab::up_with(&[])
    }

    /// A lab started with more `lab up` arguments (`--repo`, `--fault`).
    fn up_with(extra: &[&str]) -> Lab {
        let state = tempfile::tempdir().unwrap();
        let mut args = vec!["lab", "up", SITE, "--seed", "7", "--boot-delay", "1"];
        args.extend_from_slice(extra);
        let up = aero(state.path(), &args);
        exits(&up, 0);
        Lab { state }
    }

    fn path(&self) -> &Path {
        self.state.path()
    }

    /// Every secret this run could leak: the site's secret values (from a render that
    /// shows them) and the lab's BMC passwords.
    fn secrets(&self) -> Vec<String> {
        let render = aero(self.path(), &["site", "render", SITE, "-o", "json"]);
        let documents = json(&render);
        let mut secrets = Vec::new();
        for document in documents.as_array().unwrap() {
            let schema = document["schema"].as_str().unwrap_or_default();
            if [
                "deckhand/Passphrase",
                "deckhand/CertificateKey",
                "deckhand/PrivateKey",
            ]
            .iter()
            .any(|kind| schema.starts_with(kind))
                && let Some(data) = document["data"].as_str()
                && data.len() >= 8
            {
                secrets.push(data.to_string());
            }
        }
        let targets: serde_json::Value = serde_json::from_slice(
            &std::fs::read(self.path().join("lab").join(SITE).join("targets.json")).unwrap(),
        )
        .unwrap();
        for bmc in targets["bmcs"].as_object().unwrap().values() {
            secrets.push(bmc["password"].as_str().unwrap().to_string());
        }
        assert!(
            secrets.len() >= 3,
            "the site and the lab have secrets: {secrets:?}"
        );
        secrets
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = aero(self.state.path(), &["lab", "down", SITE]);
    }
}

/// The system id (its UUID) the lab gives `node`'s emulator.
fn system_uuid(node: &str) -> &'static str {
    match node {
        "lon1-wk01" => "4c4c4544-0038-5a4b-8051-314734000000",
        "lon1-wk02" => "4c4c4544-0038-5a4b-8051-314735000000",
        other => panic!("no emulator for {other}"),
    }
}

#[track_caller]
fn assert_no_secret(secrets: &[String], what: &str, haystack: &[u8]) {
    let haystack = String::from_utf8_lossy(haystack);
    for secret in secrets {
        for form in support::encodings(secret) {
            assert!(
                !haystack.contains(form.as_str()),
                "{what} holds a secret value ({} chars) in one of its encodings",
                secret.len()
            );
        }
    }
}

#[test]
fn deploy_site_against_the_lab_provisions_every_node_and_leaks_no_secret() {
    let lab = Lab::up();
    let secrets = lab.secrets();
    let mut outputs = Vec::new();

    let plan = aero(lab.path(), &["plan", SITE, "-o", "json"]);
    let view = json(&plan);
    assert_eq!(view["targets"], "lab");
    let bmc = view["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["node"] == "lon1-wk01")
        .unwrap()["bmc"]
        .clone();
    assert!(
        bmc.as_str().unwrap().starts_with("power "),
        "the plan asked the BMC: {bmc}"
    );
    outputs.push(("plan", plan));

    let dry = aero(lab.path(), &["deploy", SITE, "--dry-run", "-o", "json"]);
    exits(&dry, 0);
    outputs.push(("deploy --dry-run", dry));

    let deploy = aero(lab.path(), &["deploy", SITE, "--yes"]);
    exits(&deploy, 0);
    let notes = text(&deploy.stderr);
    assert!(notes.contains("succeeded"), "{notes}");
    // Without a terminal, one line per step end.
    assert!(
        notes.contains("  ok   provision/lon1-wk01/record"),
        "{notes}"
    );
    outputs.push(("deploy", deploy));

    // What each emulated BMC was asked, in order: media in (OS image on the CD, config
    // image on the floppy), boot once, power on, and the media out after the node phoned
    // home. The machines were off, so no power-off request.
    for node in ["lon1-wk01", "lon1-wk02"] {
        assert_eq!(
            changing_requests(&lab, node),
            [
                "POST Cd VirtualMedia.InsertMedia",
                "POST Floppy VirtualMedia.InsertMedia",
                format!("PATCH {}", system_uuid(node)).as_str(),
                "POST ComputerSystem.Reset",
                "POST Cd VirtualMedia.EjectMedia",
                "POST Floppy VirtualMedia.EjectMedia",
            ],
            "{node}"
        );
    }

    let actions = json(&aero(lab.path(), &["actions", "list", "-o", "json"]));
    let id = actions[0]["id"].as_str().unwrap().to_string();
    assert_eq!(actions[0]["state"], "succeeded");
    let show = aero(lab.path(), &["actions", "show", &id, "-o", "json"]);
    let detail = json(&show);
    assert!(
        detail["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|step| step["state"] == "succeeded"),
        "{detail:#}"
    );
    outputs.push(("actions show", show));
    let logs = aero(lab.path(), &["actions", "logs", &id, "-o", "json"]);
    exits(&logs, 0);
    outputs.push(("actions logs", logs));

    // Afterwards: nothing to do, and the last deployed revision is the pinned one.
    let again = json(&aero(lab.path(), &["plan", SITE, "-o", "json"]));
    assert_eq!(change_of(&again, "lon1-wk01"), "skip");
    assert_eq!(change_of(&again, "lon1-wk02"), "skip");
    assert_eq!(again["baseline"], again["revision"]);

    for (what, output) in &outputs {
        assert_no_secret(&secrets, &format!("{what} stdout"), &output.stdout);
        assert_no_secret(&secrets, &format!("{what} stderr"), &output.stderr);
    }
    let store = std::fs::read(lab.path().join("aerostat.db")).unwrap();
    let mut store_text = store.clone();
    for suffix in ["-wal", "-shm"] {
        if let Ok(bytes) = std::fs::read(lab.path().join(format!("aerostat.db{suffix}"))) {
            store_text.extend(bytes);
        }
    }
    assert_no_secret(&secrets, "the store", &store_text);
}

/// The journal points a crash test stops the deploying process at. CI runs this sample;
/// `AERO_CRASH_POINTS=all` runs every intent, result and step end of the action
/// (`AERO_CRASH_POINTS=intent:3,step_ended:9` runs the ones given).
fn crash_points() -> Vec<String> {
    match std::env::var("AERO_CRASH_POINTS").ok().as_deref() {
        Some("all") => {
            let mut points = Vec::new();
            for kind in ["intent", "result", "step_ended"] {
                for nth in 1..=24 {
                    points.push(format!("{kind}:{nth}"));
                }
            }
            points
        }
        Some(list) if !list.is_empty() => list.split(',').map(str::to_string).collect(),
        _ => vec!["intent:4".into(), "result:9".into(), "step_ended:12".into()],
    }
}

/// Whether an access-log line records a request the emulator answered with 2xx.
fn served(line: &str) -> bool {
    line.rsplit('"')
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .is_some_and(|status| status.starts_with('2'))
}

/// Power and media requests the lab's emulators served, from their access logs (each
/// emulator logs every request): `(resets, media inserts)`.
fn bmc_requests(lab: &Lab) -> (usize, usize) {
    let logs = lab.path().join("lab").join(SITE).join("logs");
    let mut counts = (0, 0);
    for entry in std::fs::read_dir(&logs).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with("-emulator.log") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Requests the emulator served (2xx): a request cut off in flight by the kill is
        // logged with an error status and changed nothing.
        for line in text
            .lines()
            .filter(|line| line.contains("POST /redfish") && served(line))
        {
            if line.contains("ComputerSystem.Reset") {
                counts.0 += 1;
            }
            if line.contains("VirtualMedia.InsertMedia") {
                counts.1 += 1;
            }
        }
    }
    counts
}

/// The changing requests one node's emulator served, in order, as `VERB last-segment`
/// (`POST VirtualMedia.InsertMedia`, `PATCH <system>`), colour codes removed.
fn changing_requests(lab: &Lab, node: &str) -> Vec<String> {
    let log = lab
        .path()
        .join("lab")
        .join(SITE)
        .join("logs")
        .join(format!("{node}-emulator.log"));
    let text = std::fs::read_to_string(log).unwrap();
    let mut requests = Vec::new();
    for line in text.lines() {
        let plain: String = {
            let mut out = String::new();
            let mut chars = line.chars();
            while let Some(c) = chars.next() {
                if c == '\u{1b}' {
                    for next in chars.by_ref() {
                        if next == 'm' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            out
        };
        for verb in ["POST ", "PATCH "] {
            if let Some(start) = plain.find(&format!("\"{verb}/redfish")) {
                let path = plain[start + 1 + verb.len()..]
                    .split(' ')
                    .next()
                    .unwrap_or_default();
                let last = path
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default();
                let slot = if path.contains("/VirtualMedia/") {
                    path.split("/VirtualMedia/")
                        .nth(1)
                        .and_then(|rest| rest.split('/').next())
                        .unwrap_or_default()
                } else {
                    ""
                };
                requests.push(format!(
                    "{}{} {last}",
                    verb.trim(),
                    if slot.is_empty() {
                        String::new()
                    } else {
                        format!(" {slot}")
                    }
                ));
            }
        }
    }
    requests
}

/// Every step of the action ended exactly once: none that finished ran again.
#[track_caller]
fn each_step_ended_once(lab: &Lab, point: &str) {
    let actions = json(&aero(lab.path(), &["actions", "list", "-o", "json"]));
    let id = actions[0]["id"].as_str().unwrap();
    let journal = json(&aero(lab.path(), &["actions", "logs", id, "-o", "json"]));
    let mut ended = std::collections::BTreeMap::<String, usize>::new();
    for entry in journal.as_array().unwrap() {
        if entry["kind"] == "step_ended" {
            *ended
                .entry(entry["step"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let show = json(&aero(lab.path(), &["actions", "show", id, "-o", "json"]));
    for step in show["steps"].as_array().unwrap() {
        let step_id = step["id"].as_str().unwrap();
        assert_eq!(
            step["state"], "succeeded",
            "{step_id} after a crash at {point}"
        );
        assert_eq!(
            ended.get(step_id),
            Some(&1),
            "{step_id} ended once (crash at {point})"
        );
    }
}

#[test]
fn a_deploy_killed_at_journal_points_resumes_to_the_end() {
    // A clean run gives the requests each node needs.
    let clean = Lab::up();
    exits(&aero(clean.path(), &["deploy", SITE, "--yes"]), 0);
    let baseline = bmc_requests(&clean);
    assert!(
        baseline.0 >= 2 && baseline.1 >= 4,
        "a clean run powers and inserts: {baseline:?}"
    );
    drop(clean);

    let exhaustive = std::env::var("AERO_CRASH_POINTS").is_ok_and(|points| points == "all");
    for point in crash_points() {
        let lab = Lab::up();
        let crashed = aero_with(
            lab.path(),
            &["deploy", SITE, "--yes"],
            &[("AERO_CRASH_AT", &point)],
        );
        // SIGKILL: no exit code. With AERO_CRASH_POINTS=all, a point past the action's
        // last entry of that kind lets the deploy finish: nothing to resume then. The
        // default sample's points all lie within a clean run: each must crash.
        assert!(
            crashed.status.code().is_none() || exhaustive,
            "the deploy did not stop at {point}: the sample must name points within a run"
        );
        if crashed.status.code().is_none() {
            let resumed = aero(lab.path(), &["actions", "resume", "--all", "--wait"]);
            exits(&resumed, 0);
        } else {
            exits(&crashed, 0);
        }
        each_step_ended_once(&lab, &point);
        let plan = json(&aero(
            lab.path(),
            &["plan", SITE, "--no-observe", "-o", "json"],
        ));
        assert_eq!(
            change_of(&plan, "lon1-wk01"),
            "skip",
            "after a crash at {point}"
        );
        assert_eq!(
            change_of(&plan, "lon1-wk02"),
            "skip",
            "after a crash at {point}"
        );
        let requests = bmc_requests(&lab);
        assert!(
            requests.0 <= baseline.0 && requests.1 <= baseline.1,
            "a crash at {point} made the BMCs receive more power or media requests than a clean run: {requests:?} > {baseline:?}"
        );
    }
}

#[test]
fn a_detached_action_is_stopped_then_resumed_here_to_the_end() {
    let lab = Lab::up();
    let queued = aero(lab.path(), &["deploy", SITE, "--yes", "--detach"]);
    exits(&queued, 0);
    assert!(
        text(&queued.stderr).contains("aero worker"),
        "{}",
        text(&queued.stderr)
    );
    let actions = json(&aero(lab.path(), &["actions", "list", "-o", "json"]));
    let id = actions[0]["id"].as_str().unwrap().to_string();
    assert_eq!(actions[0]["state"], "pending");

    // A second action on the site is refused while this one is open (exit 6).
    let second = aero(lab.path(), &["deploy", SITE, "--yes", "--detach"]);
    exits(&second, 6);

    exits(&aero(lab.path(), &["actions", "stop", &id]), 0);
    let stopped = json(&aero(lab.path(), &["actions", "show", &id, "-o", "json"]));
    assert_eq!(stopped["action"]["state"], "stopped", "{stopped:#}");

    let resumed = aero(lab.path(), &["actions", "resume", &id, "--wait"]);
    exits(&resumed, 0);
    let done = json(&aero(lab.path(), &["actions", "show", &id, "-o", "json"]));
    assert_eq!(done["action"]["state"], "succeeded", "{done:#}");
}

/// The steps of the site's only action, by id, as `actions show -o json` gives them.
fn steps_of_the_action(state: &Path) -> (serde_json::Value, Vec<serde_json::Value>) {
    let actions = json(&aero(state, &["actions", "list", "-o", "json"]));
    let id = actions[0]["id"].as_str().unwrap().to_string();
    let show = json(&aero(state, &["actions", "show", &id, "-o", "json"]));
    let steps = show["steps"].as_array().unwrap().clone();
    (show["action"].clone(), steps)
}

#[track_caller]
fn step_in<'a>(steps: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    steps
        .iter()
        .find(|step| step["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}: {steps:#?}"))
}

fn reason(step: &serde_json::Value) -> String {
    step["reason"].as_str().unwrap_or_default().to_string()
}

/// A worker's BMC is down: its preflight fails and it is never touched; the other worker
/// is provisioned (after every preflight ended), and the workers' success criteria (at
/// least one node) accept the failure: the action succeeds with failures (exit 5), and
/// the group's verdict names the node, its step and why.
#[test]
fn a_worker_whose_bmc_is_down_fails_alone_and_the_strategy_accepts_it() {
    let lab = Lab::up();
    // Kill the emulator of lon1-wk02: its BMC no longer answers.
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(lab.path().join("lab").join(SITE).join("lab.json")).unwrap(),
    )
    .unwrap();
    let emulators = record["emulators"]
        .as_array()
        .expect("emulators in lab.json");
    let pid = emulators
        .iter()
        .find(|emulator| emulator["node"] == "lon1-wk02")
        .unwrap()["pid"]
        .as_i64()
        .unwrap();
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    let deploy = aero(lab.path(), &["deploy", SITE, "--yes", "--no-observe"]);
    exits(&deploy, 5);
    let notes = text(&deploy.stderr);
    assert!(notes.contains("preflight/lon1-wk02"), "{notes}");

    let (action, steps) = steps_of_the_action(lab.path());
    assert_eq!(action["state"], "succeeded_with_failures", "{action:#}");
    let preflight = step_in(&steps, "preflight/lon1-wk02");
    assert_eq!(preflight["state"], "failed");
    assert!(
        reason(preflight).contains("127.0.0.1"),
        "the failure names the BMC: {preflight:#}"
    );
    assert_eq!(
        step_in(&steps, "provision/lon1-wk02/power-off")["state"],
        "skipped"
    );
    // lon1-wk01 was provisioned to the end.
    assert_eq!(
        step_in(&steps, "provision/lon1-wk01/record")["state"],
        "succeeded"
    );
    assert!(
        changing_requests(&lab, "lon1-wk01")
            .iter()
            .any(|request| request.contains("InsertMedia")),
        "{:?}",
        changing_requests(&lab, "lon1-wk01")
    );
    let gate = step_in(&steps, "group/workers");
    assert_eq!(gate["state"], "succeeded", "{gate:#}");
    let verdict = gate["output"].to_string();
    assert!(
        verdict.contains("lon1-wk02") && verdict.contains("preflight/lon1-wk02 failed"),
        "{verdict}"
    );
}

/// Faults the lab plays, with a short deployment timeout in a copy of the site:
/// lon1-wk01's BMC reports another serial number (the documents point at another
/// machine), lon1-wk02 boots but never phones home. Neither worker succeeds, so the
/// workers' criteria (at least one) fail the group and the action (exit 1), and each
/// failure says which node, which step and why: both serial numbers for the first; the
/// timeout, and that sushy's BMC keeps no log to show, for the second. lon1-wk01 is never
/// touched.
#[test]
fn a_swapped_machine_and_a_silent_one_fail_the_workers_by_their_criteria() {
    let repo = tempfile::tempdir().unwrap();
    support::copy_tree(&workspace().join("site-manifests"), repo.path());
    let configuration = repo
        .path()
        .join("type/edge/deployment/deployment-configuration.yaml");
    let text_before = std::fs::read_to_string(&configuration).unwrap();
    assert!(text_before.contains("    deploy_timeout: 3600\n"));
    std::fs::write(
        &configuration,
        text_before.replace("    deploy_timeout: 3600\n", "    deploy_timeout: 8\n"),
    )
    .unwrap();
    let repo_path = repo.path().to_str().unwrap();
    let lab = Lab::up_with(&[
        "--repo",
        repo_path,
        "--fault",
        "lon1-wk01=serial=SWAPPED-7",
        "--fault",
        "lon1-wk02=no-phone-home",
    ]);

    let deploy = aero(
        lab.path(),
        &["deploy", SITE, "--yes", "--no-observe", "--repo", repo_path],
    );
    exits(&deploy, 1);

    let (action, steps) = steps_of_the_action(lab.path());
    assert_eq!(action["state"], "failed", "{action:#}");
    let preflight = step_in(&steps, "preflight/lon1-wk01");
    assert_eq!(preflight["state"], "failed");
    assert!(
        reason(preflight).contains("8ZKQ1G4") && reason(preflight).contains("SWAPPED-7"),
        "both serial numbers: {preflight:#}"
    );
    assert!(
        changing_requests(&lab, "lon1-wk01").is_empty(),
        "{:?}",
        changing_requests(&lab, "lon1-wk01")
    );
    // lon1-wk02 passed its preflight (its serial is the documented one), booted, and
    // was waited for as long as the copy's deploy_timeout says.
    assert_eq!(step_in(&steps, "preflight/lon1-wk02")["state"], "succeeded");
    let wait = step_in(&steps, "provision/lon1-wk02/wait-phone-home");
    assert_eq!(wait["state"], "failed", "{wait:#}");
    let why = reason(wait);
    assert!(why.contains("8 s") || why.contains("8s"), "{why}");
    assert!(
        why.to_lowercase().contains("log"),
        "what the BMC logged: {why}"
    );
    let simulators: serde_json::Value = serde_json::from_slice(
        &std::fs::read(lab.path().join("lab").join(SITE).join("simulators.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(simulators["lon1-wk02"]["state"], "booted", "{simulators:#}");
    assert_eq!(simulators["lon1-wk01"]["boots"], 0, "{simulators:#}");

    let gate = step_in(&steps, "group/workers");
    assert_eq!(gate["state"], "failed", "{gate:#}");
    let verdict = reason(gate);
    for expected in [
        "0 of 2",
        "lon1-wk01 (preflight/lon1-wk01 failed",
        "lon1-wk02 (provision/lon1-wk02/wait-phone-home failed",
    ] {
        assert!(verdict.contains(expected), "{expected}: {verdict}");
    }
    let notes = text(&deploy.stderr);
    assert!(notes.contains("group/workers"), "{notes}");
}

/// On a terminal (`script` from util-linux gives `aero` one), `deploy` asks; an answer
/// other than yes declines the plan: exit 4, nothing submitted.
#[test]
fn a_plan_declined_on_a_terminal_exits_4_and_submits_nothing() {
    let state = tempfile::tempdir().unwrap();
    let command = format!("{} deploy {SITE} --no-observe", env!("CARGO_BIN_EXE_aero"));
    let mut script = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(workspace())
        .env("AERO_STATE_DIR", state.path())
        .env_remove("AERO_STORE")
        .env_remove("AERO_AGE_IDENTITY")
        .env_remove("AERO_AGE_IDENTITY_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    {
        use std::io::Write as _;
        let mut stdin = script.stdin.take().unwrap();
        stdin.write_all(b"n\n").unwrap();
    }
    let output = script.wait_with_output().unwrap();
    exits(&output, 4);
    let shown = text(&output.stdout);
    assert!(shown.contains("Run this plan? [y/N]"), "{shown}");
    assert!(shown.contains("plan declined"), "{shown}");
    let actions = json(&aero(state.path(), &["actions", "list", "-o", "json"]));
    assert_eq!(actions, serde_json::json!([]));
}

/// A node whose BMC quotes the submitted password in its login error (some firmware
/// does): the action fails at preflight, and neither what `deploy` prints, nor `actions
/// show|logs`, nor the store holds the password. The site's BMC addresses are pointed
/// at the fixture by a recorded target mapping, as the lab records its own.
#[test]
fn a_bmc_echoing_the_password_fails_preflight_and_the_password_stays_redacted() {
    let (address, _server) = support::echoing_bmc();
    let state = tempfile::tempdir().unwrap();
    let password = "Echo-Me-In-Deploy-5b8e";
    let folder = state.path().join("lab").join(SITE);
    std::fs::create_dir_all(&folder).unwrap();
    let bmc = serde_json::json!({
        "endpoint": format!("http://{address}"),
        "username": "admin",
        "password": password,
        "ca_pem": null,
        "system_id": null,
    });
    let targets = serde_json::json!({
        "label": "lab",
        "site": SITE,
        "bmcs": {"https://10.23.0.21": bmc, "https://10.23.0.22": bmc},
        "provisioning_server": {"bind_address": "127.0.0.1:0", "public_url": "http://127.0.0.1:9"},
        "os_images": {},
    });
    std::fs::write(folder.join("targets.json"), targets.to_string()).unwrap();

    let deploy = aero(state.path(), &["deploy", SITE, "--yes", "--no-observe"]);
    exits(&deploy, 1);
    let actions = json(&aero(state.path(), &["actions", "list", "-o", "json"]));
    let id = actions[0]["id"].as_str().unwrap().to_string();
    let show = aero(state.path(), &["actions", "show", &id, "-o", "json"]);
    let logs = aero(state.path(), &["actions", "logs", &id, "-o", "json"]);
    let shown = text(&show.stdout);
    assert!(
        shown.contains("preflight/lon1-wk01") && shown.contains("failed"),
        "{shown}"
    );
    // The BMC's echo reached the journal (so the test can fail), redacted.
    assert!(
        shown.contains("rejected") && shown.contains("<redacted"),
        "{shown}"
    );
    let mut store = std::fs::read(state.path().join("aerostat.db")).unwrap();
    for suffix in ["-wal", "-shm"] {
        if let Ok(bytes) = std::fs::read(state.path().join(format!("aerostat.db{suffix}"))) {
            store.extend(bytes);
        }
    }
    let secrets = vec![password.to_string()];
    for (what, bytes) in [
        ("deploy stderr", &deploy.stderr),
        ("deploy stdout", &deploy.stdout),
        ("actions show", &show.stdout),
        ("actions logs", &logs.stdout),
        ("the store", &store),
    ] {
        assert_no_secret(&secrets, what, bytes);
    }
}
