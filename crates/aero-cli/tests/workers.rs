//! Several `aero worker` processes sharing one PostgreSQL store (`AERO_TEST_POSTGRES_URL`,
//! set by `ci/test.sh`; the test fails without it), deploying edge-lon1 against the local
//! lab (`AERO_SUSHY_VENV`): the worker holding the action is killed (SIGKILL) and another
//! takes it over once its lease lapses; that one is then frozen (SIGSTOP) past its lease,
//! a third takes over, and the frozen one is thawed while the third runs (its writes are
//! then refused by the fencing token, which `aero-workflow`'s engine tests check write by
//! write). The action ends succeeded, with a claim by each of the three, and every node
//! recorded as provisioned.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;
use support::{venv, workspace};

const SITE: &str = "edge-lon1";

fn command(state: &Path, store: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aero"));
    command
        .args(args)
        .current_dir(workspace())
        .env("AERO_STATE_DIR", state)
        .env("AERO_STORE", store)
        .env("AERO_SUSHY_VENV", venv())
        .env_remove("AERO_CRASH_AT")
        .env_remove("AERO_AGE_IDENTITY")
        .env_remove("AERO_AGE_IDENTITY_FILE")
        .stdin(Stdio::null());
    command
}

fn run(state: &Path, store: &str, args: &[&str]) -> Output {
    command(state, store, args).output().expect("aero runs")
}

#[track_caller]
fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A new database on the test server, made with `psql`.
fn fresh_database() -> String {
    let server = std::env::var("AERO_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .expect("AERO_TEST_POSTGRES_URL: a PostgreSQL server whose user may CREATE DATABASE (ci/test.sh starts one)");
    let name = format!("aero_workers_{}", std::process::id());
    let created = Command::new("psql")
        .args([&server, "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("DROP DATABASE IF EXISTS {name}; "))
        .output()
        .expect("psql runs");
    ok(&created);
    let created = Command::new("psql")
        .args([&server, "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("psql runs");
    ok(&created);
    let (scheme, rest) = server.split_once("://").unwrap();
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map_or("", |start| &tail[start..]);
    format!("{scheme}://{authority}/{name}{query}")
}

/// A worker process, its id (from its first line) and everything it printed.
struct Worker {
    child: Child,
    id: String,
    log: Arc<Mutex<String>>,
}

impl Worker {
    fn start(state: &Path, store: &str) -> Worker {
        let mut child = command(
            state,
            store,
            &[
                "worker",
                "--lease-ttl",
                "4",
                "--heartbeat",
                "1",
                "--max-actions",
                "1",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("worker starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let log = Arc::new(Mutex::new(String::new()));
        let mut id = String::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            log.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(rest) = line.strip_prefix("aero worker ")
                && let Some((worker, _)) = rest.split_once(':')
            {
                id = worker.to_string();
                break;
            }
        }
        assert!(id.starts_with("w-"), "worker said: {}", log.lock().unwrap());
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        Worker { child, id, log }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn action(state: &Path, store: &str, id: &str) -> serde_json::Value {
    let shown: serde_json::Value = serde_json::from_str(&ok(&run(
        state,
        store,
        &["actions", "show", id, "-o", "json"],
    )))
    .unwrap();
    shown["action"].clone()
}

/// Waits until the action's lease is held by a worker other than `not`; returns it. On
/// time-out, says what every worker printed and what the action's journal holds.
fn owner_other_than(
    state: &Path,
    store: &str,
    id: &str,
    not: &[&str],
    workers: &[Worker],
) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let action = action(state, store, id);
        if let Some(owner) = action["worker"].as_str()
            && !not.contains(&owner)
            && action["state"] == "running"
        {
            return owner.to_string();
        }
        assert!(
            action["state"] != "succeeded" && action["state"] != "failed",
            "the action ended before the takeover: {action:#}"
        );
        if Instant::now() >= deadline {
            let logs: Vec<String> = workers
                .iter()
                .map(|worker| format!("{}:\n{}", worker.id, worker.log.lock().unwrap()))
                .collect();
            let journal = run(state, store, &["actions", "logs", id]);
            panic!(
                "no takeover: {action:#}\nworkers:\n{}\njournal:\n{}{}",
                logs.join("\n---\n"),
                String::from_utf8_lossy(&journal.stdout),
                String::from_utf8_lossy(&journal.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn workers_take_over_from_a_killed_and_a_frozen_worker() {
    let store = fresh_database();
    let state = tempfile::tempdir().unwrap();
    ok(&run(
        state.path(),
        &store,
        &["lab", "up", SITE, "--seed", "11", "--boot-delay", "2"],
    ));
    let _lab = LabDown(state.path().to_path_buf());

    ok(&run(
        state.path(),
        &store,
        &["deploy", SITE, "--yes", "--detach"],
    ));
    let listed: serde_json::Value = serde_json::from_str(&ok(&run(
        state.path(),
        &store,
        &["actions", "list", "-o", "json"],
    )))
    .unwrap();
    let id = listed[0]["id"].as_str().unwrap().to_string();

    let workers: Vec<Worker> = (0..3)
        .map(|_| Worker::start(state.path(), &store))
        .collect();
    let by_id = |owner: &str| {
        workers
            .iter()
            .position(|worker| worker.id == owner)
            .unwrap()
    };

    let first = owner_other_than(state.path(), &store, &id, &[], &workers);
    workers[by_id(&first)].signal("-KILL");
    let second = owner_other_than(state.path(), &store, &id, &[&first], &workers);
    workers[by_id(&second)].signal("-STOP");
    let third = owner_other_than(state.path(), &store, &id, &[&first, &second], &workers);
    workers[by_id(&second)].signal("-CONT");

    let deadline = Instant::now() + Duration::from_secs(300);
    let ended = loop {
        let action = action(state.path(), &store, &id);
        if action["state"] != "running" && action["state"] != "pending" {
            break action;
        }
        assert!(
            Instant::now() < deadline,
            "the action did not end: {action:#}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let logs: Vec<String> = workers
        .iter()
        .map(|worker| worker.log.lock().unwrap().clone())
        .collect();
    assert_eq!(
        ended["state"],
        "succeeded",
        "{ended:#}\nworkers:\n{}",
        logs.join("\n---\n")
    );

    let journal: serde_json::Value = serde_json::from_str(&ok(&run(
        state.path(),
        &store,
        &["actions", "logs", &id, "-o", "json"],
    )))
    .unwrap();
    let claims: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "claimed")
        .map(|entry| entry["message"].as_str().unwrap())
        .collect();
    for worker in [&first, &second, &third] {
        assert!(
            claims.iter().any(|claim| claim.contains(worker.as_str())),
            "{worker} claimed the action: {claims:?}"
        );
    }
    let plan: serde_json::Value = serde_json::from_str(&ok(&run(
        state.path(),
        &store,
        &["plan", SITE, "--no-observe", "-o", "json"],
    )))
    .unwrap();
    for line in plan["nodes"].as_array().unwrap() {
        assert!(
            line["change"] == "skip" || line["change"] == "external",
            "{plan:#}"
        );
    }
}

struct LabDown(PathBuf);

impl Drop for LabDown {
    fn drop(&mut self) {
        let _ = Command::new(env!("CARGO_BIN_EXE_aero"))
            .args(["lab", "down", SITE])
            .current_dir(workspace())
            .env("AERO_STATE_DIR", &self.0)
            .output();
    }
}
