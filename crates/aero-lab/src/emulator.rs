//! One emulated BMC per node: a sushy-emulator (sushy-tools 2.2.0, fake driver) serving
//! one system with the node's UUID, name and NIC MACs, powered off, over HTTPS with the
//! lab's certificate, with its own random credentials (a bcrypt htpasswd), its own state
//! folder (wiped at start), and a seeded random generator for its power delays.
//!
//! The emulator stands in for the BMC only: power, boot override and virtual media
//! behave as sushy-tools' fake driver makes them behave (a power change lands 1 to 11 s
//! later, drawn from the seeded generator; InsertMedia downloads the image). What runs
//! on the machine is the node simulator's business ([`crate::simulator`]).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::process::{Child, Command};

use crate::error::LabError;
use crate::files::{create_private_dir, remove_dir, tail, write_private};

/// The launcher the emulators run with: seeds Python's global random generator (which
/// the fake driver draws power delays from) and adds the documented serial number to the
/// System resource (the fake driver has none), then runs sushy-emulator's own `main`.
pub(crate) const LAUNCHER: &str = r#"#!/usr/bin/env python3
"""Aerostat lab: start sushy-emulator (sushy-tools) with a seeded random generator.

Usage: run_emulator.py --seed N -- <sushy-emulator arguments>

Written by `aero lab up`. The fake driver applies a power change 1 to 11 s after the
request, drawing the delay from Python's global random generator: with a seed, the
sequence of delays is reproducible.

sushy's fake driver reports no serial number for its systems: when the configuration
sets AERO_LAB_SERIAL_NUMBER, every JSON answer to a GET of a System resource
(/redfish/v1/Systems/<id>) gains "SerialNumber" with that value, as a real BMC reports
the machine's service tag. Nothing else is changed.
"""
import json
import random
import re
import sys

SYSTEM_PATH = re.compile(r"^/redfish/v1/Systems/[^/]+/?$")


def add_serial_number(app):
    import flask

    @app.after_request
    def serial_number(response):
        serial = app.config.get("AERO_LAB_SERIAL_NUMBER")
        if (
            serial is None
            or flask.request.method != "GET"
            or not SYSTEM_PATH.match(flask.request.path)
            or response.status_code != 200
            or not response.is_json
        ):
            return response
        body = response.get_json()
        if isinstance(body, dict):
            body["SerialNumber"] = serial
            response.set_data(json.dumps(body))
        return response


def main():
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--seed":
        random.seed(int(args[1]))
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    sys.argv = ["sushy-emulator"] + args
    from sushy_tools.emulator import main as emulator

    add_serial_number(emulator.app)
    return emulator.main()


if __name__ == "__main__":
    sys.exit(main())
"#;

/// Writes the htpasswd files of several emulators with one run of the venv's Python
/// (bcrypt entries, the only kind sushy-emulator reads). Passwords go through stdin,
/// never the command line (which every user can read in the process table).
///
/// The bcrypt cost is 4, the lowest: the emulator checks the password on every request,
/// and a password of 192 random bits cannot be guessed whatever the cost.
pub(crate) async fn write_htpasswd_files(
    python: &Path,
    entries: &[(PathBuf, String, String)],
) -> Result<(), LabError> {
    const SCRIPT: &str = "import bcrypt, json, os, sys\n\
        for line in sys.stdin:\n\
        \x20   entry = json.loads(line)\n\
        \x20   digest = bcrypt.hashpw(entry['password'].encode(), bcrypt.gensalt(4)).decode()\n\
        \x20   fd = os.open(entry['path'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\n\
        \x20   with os.fdopen(fd, 'w') as out:\n\
        \x20       out.write(entry['user'] + ':' + digest + '\\n')\n";
    let mut input = String::new();
    for (path, user, password) in entries {
        input.push_str(
            &json!({"path": path.to_string_lossy(), "user": user, "password": password})
                .to_string(),
        );
        input.push('\n');
    }
    let failed = |reason: String| LabError::Spawn {
        program: format!("{} (bcrypt)", python.display()),
        reason,
    };
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| failed(error.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        stdin
            .write_all(input.as_bytes())
            .await
            .map_err(|error| failed(error.to_string()))?;
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|error| failed(error.to_string()))?;
    if !output.status.success() {
        return Err(failed(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    Ok(())
}

/// What one emulator serves.
#[derive(Debug, Clone)]
pub(crate) struct EmulatorConfig {
    /// The node (the system's name).
    pub(crate) node: String,
    /// The system's UUID.
    pub(crate) uuid: String,
    /// Its NIC MACs.
    pub(crate) macs: Vec<String>,
    /// The serial number its system reports (sushy's fake driver has none of its own:
    /// the launcher adds it, [`LAUNCHER`]).
    pub(crate) serial_number: Option<String>,
    /// The port on 127.0.0.1.
    pub(crate) port: u16,
    /// The htpasswd file.
    pub(crate) htpasswd: PathBuf,
    /// The sqlite state folder.
    pub(crate) state: PathBuf,
    /// Certificate and key files.
    pub(crate) certificate: PathBuf,
    pub(crate) key: PathBuf,
}

/// A Python string literal of `text` (a JSON string is one, escapes included).
fn python_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// The emulator's configuration file (Flask config: Python syntax).
pub(crate) fn config_text(config: &EmulatorConfig) -> String {
    // Only strings, lists and dicts: their JSON text is a Python literal.
    let systems = json!([{
        "uuid": config.uuid,
        "name": config.node,
        "power_state": "Off",
        "nics": config.macs.iter().map(|mac| json!({"mac": mac})).collect::<Vec<_>>(),
    }]);
    format!(
        "# sushy-emulator configuration of the Aerostat lab's emulated BMC for node {node}.\n\
         # A stand-in for the node's BMC, written by `aero lab up`: do not edit.\n\
         SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'\n\
         SUSHY_EMULATOR_LISTEN_PORT = {port}\n\
         SUSHY_EMULATOR_SSL_CERT = {certificate}\n\
         SUSHY_EMULATOR_SSL_KEY = {key}\n\
         SUSHY_EMULATOR_AUTH_FILE = {htpasswd}\n\
         SUSHY_EMULATOR_STATE_DIR = {state}\n\
         SUSHY_EMULATOR_FAKE_DRIVER = True\n\
         SUSHY_EMULATOR_FEATURE_SET = 'full'\n\
         SUSHY_EMULATOR_FAKE_SYSTEMS = {systems}\n\
         AERO_LAB_SERIAL_NUMBER = {serial}\n",
        node = config.node.replace(['\n', '\r'], "?"),
        port = config.port,
        certificate = python_string(&config.certificate.to_string_lossy()),
        key = python_string(&config.key.to_string_lossy()),
        htpasswd = python_string(&config.htpasswd.to_string_lossy()),
        state = python_string(&config.state.to_string_lossy()),
        serial = config
            .serial_number
            .as_deref()
            .map_or_else(|| "None".to_string(), python_string),
    )
}

/// A running emulator.
pub(crate) struct RunningEmulator {
    pub(crate) port: u16,
    pub(crate) child: Child,
}

/// How to start one emulator.
pub(crate) struct StartRequest {
    pub(crate) python: PathBuf,
    pub(crate) launcher: PathBuf,
    pub(crate) seed: u64,
    /// The emulator's folder (config, htpasswd, state, downloads).
    pub(crate) folder: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) tmp: PathBuf,
    /// Its configuration; the port is chosen at each attempt.
    pub(crate) config: EmulatorConfig,
    /// The client the readiness probe uses (trusts the lab's certificate).
    pub(crate) probe: reqwest::Client,
    pub(crate) deadline: Duration,
}

/// Starts an emulator and waits until `GET /redfish/v1/` answers 200 over HTTPS. A free
/// port may be taken between choosing and binding it: an emulator that exits at start
/// is started again on another port, three times at most.
pub(crate) async fn start(mut request: StartRequest) -> Result<RunningEmulator, LabError> {
    let node = request.config.node.clone();
    let failed = |reason: String| LabError::Emulator {
        node: node.clone(),
        reason,
    };
    let mut last = String::new();
    for _attempt in 0..3 {
        request.config.port = free_port().map_err(|error| failed(error.to_string()))?;
        match start_once(&request).await {
            Ok(running) => return Ok(running),
            Err(reason) => last = reason,
        }
    }
    Err(failed(last))
}

async fn start_once(request: &StartRequest) -> Result<RunningEmulator, String> {
    let config = &request.config;
    remove_dir(&config.state).map_err(|error| error.to_string())?;
    create_private_dir(&config.state).map_err(|error| error.to_string())?;
    let config_file = request.folder.join("emulator.conf");
    write_private(&config_file, config_text(config).as_bytes())
        .map_err(|error| error.to_string())?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&request.log)
        .map_err(|error| format!("cannot open {}: {error}", request.log.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|error| format!("cannot open {}: {error}", request.log.display()))?;
    let mut child = Command::new(&request.python)
        .arg(&request.launcher)
        .args(["--seed", &request.seed.to_string(), "--", "--config"])
        .arg(&config_file)
        .env("TMPDIR", &request.tmp)
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("cannot run {}: {error}", request.python.display()))?;
    let url = format!("https://127.0.0.1:{}/redfish/v1/", config.port);
    let started = Instant::now();
    while started.elapsed() < request.deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "it exited at start ({status}); {} ends with:\n{}",
                request.log.display(),
                tail(&request.log, 8)
            ));
        }
        if let Ok(response) = request.probe.get(&url).send().await
            && response.status().is_success()
        {
            return Ok(RunningEmulator {
                port: config.port,
                child,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    Err(format!(
        "no answer at {url} within {} s; {} ends with:\n{}",
        request.deadline.as_secs(),
        request.log.display(),
        tail(&request.log, 8)
    ))
}

/// A port on 127.0.0.1 that was free a moment ago.
pub(crate) fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A free port on 127.0.0.1 for a server that binds it much later (the provisioning
/// server, bound by each deploy while the lab is up): outside the kernel's ephemeral range,
/// which every outgoing connection and every `bind` to port 0 draws from, so that none of
/// them takes it in between (an emulator poll's local port did, now and then). `seed`
/// picks the candidates (random bytes); a port inside the range is the last resort.
pub(crate) fn lasting_port(seed: &[u8]) -> std::io::Result<u16> {
    let (low, high) = ephemeral_range().unwrap_or((32768, 60999));
    // Ports 20000 and up, below the range, else above it.
    let (first, last) = if low > 21000 {
        (20000, low - 1)
    } else {
        (high.saturating_add(1).max(1024), u16::MAX)
    };
    if first < last {
        let span = u32::from(last - first) + 1;
        for pair in seed.chunks_exact(2) {
            let offset = u32::from(u16::from_le_bytes([pair[0], pair[1]])) % span;
            let port = first + u16::try_from(offset).unwrap_or(0);
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return Ok(port);
            }
        }
    }
    free_port()
}

/// `net.ipv4.ip_local_port_range`, when it can be read.
fn ephemeral_range() -> Option<(u16, u16)> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut bounds = text
        .split_whitespace()
        .map(|bound| bound.parse::<u16>().ok());
    Some((bounds.next()??, bounds.next()??))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_serves_one_powered_off_system_over_https_on_loopback() {
        let text = config_text(&EmulatorConfig {
            node: "lon1-wk01".into(),
            uuid: "4c4c4544-0038-5a4b-8051-314734000000".into(),
            macs: vec!["b4:96:91:3a:17:15".into(), "40:a6:b7:6e:20:00".into()],
            serial_number: Some("8ZKQ1G4".into()),
            port: 8443,
            htpasswd: "/s/lab/x/emulators/lon1-wk01/htpasswd".into(),
            state: "/s/lab/x/emulators/lon1-wk01/state".into(),
            certificate: "/s/lab/x/tls/lab.pem".into(),
            key: "/s/lab/it's/key.pem".into(),
        });
        for line in [
            "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'",
            "SUSHY_EMULATOR_LISTEN_PORT = 8443",
            "SUSHY_EMULATOR_SSL_CERT = \"/s/lab/x/tls/lab.pem\"",
            "SUSHY_EMULATOR_SSL_KEY = \"/s/lab/it's/key.pem\"",
            "SUSHY_EMULATOR_FAKE_DRIVER = True",
            "SUSHY_EMULATOR_STATE_DIR = \"/s/lab/x/emulators/lon1-wk01/state\"",
            "AERO_LAB_SERIAL_NUMBER = \"8ZKQ1G4\"",
            "SUSHY_EMULATOR_FAKE_SYSTEMS = [{\"uuid\":\"4c4c4544-0038-5a4b-8051-314734000000\",\"name\":\"lon1-wk01\",\"power_state\":\"Off\",\"nics\":[{\"mac\":\"b4:96:91:3a:17:15\"},{\"mac\":\"40:a6:b7:6e:20:00\"}]}]",
        ] {
            assert!(
                text.lines().any(|candidate| candidate == line),
                "{line}\n{text}"
            );
        }
    }

    #[test]
    fn a_lasting_port_is_free_and_outside_the_ephemeral_range() {
        let seed: Vec<u8> = (0..64u8).map(|byte| byte.wrapping_mul(37)).collect();
        let port = lasting_port(&seed).unwrap();
        assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
        if let Some((low, high)) = ephemeral_range() {
            assert!(port < low || port > high, "{port} in {low}-{high}");
        }
    }

    #[test]
    fn python_strings_escape_quotes_and_backslashes() {
        assert_eq!(python_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(python_string("a\nb"), r#""a\nb""#);
    }
}
