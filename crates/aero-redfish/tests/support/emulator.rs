//! Starts sushy-emulator (PyPI `sushy-tools` 2.2.0, fake driver) instances for tests.
//!
//! Each instance gets its own temporary directory (config, bcrypt htpasswd, sqlite state,
//! downloaded images), its own free port on 127.0.0.1, and is killed when dropped. The venv
//! comes from `AERO_SUSHY_VENV`, by default `<workspace>/target/sushy-venv`, made by
//! `ci/redfish/setup.sh`; when it is missing the test fails and says so.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// User and password of every emulator instance.
pub const USERNAME: &str = "admin";
pub const PASSWORD: &str = "emulator-password";

/// How to start an instance.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// Number of fake systems (uuids `00000000-0000-0000-0000-00000000000N`).
    pub systems: usize,
    /// Initial power state.
    pub power_state: &'static str,
    /// Seed of the emulator's random generator (power-change delays).
    pub seed: Option<u64>,
    /// Certificate and key for HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            systems: 1,
            power_state: "Off",
            seed: None,
            tls: None,
        }
    }
}

/// A running emulator.
pub struct Emulator {
    pub url: String,
    pub port: u16,
    child: Child,
    directory: tempfile::TempDir,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The venv with sushy-tools and sushy; fails the test with instructions when missing.
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("AERO_SUSHY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/sushy-venv"));
    let emulator = venv.join("bin/sushy-emulator");
    assert!(
        emulator.is_file(),
        "sushy-emulator not found at {}: run ci/redfish/setup.sh first (or set AERO_SUSHY_VENV to its venv)",
        emulator.display()
    );
    venv
}

/// The venv's python.
pub fn python() -> PathBuf {
    venv().join("bin/python")
}

/// The uuid of fake system `number` (1-based).
pub fn system_uuid(number: usize) -> String {
    format!("00000000-0000-0000-0000-{number:012}")
}

/// The MAC address of fake system `number`.
pub fn system_mac(number: usize) -> String {
    format!("52:54:00:00:{:02x}:{:02x}", number / 256, number % 256)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("free port")
}

impl Emulator {
    /// Starts an instance and waits until `/redfish/v1` answers.
    pub async fn start(options: EmulatorOptions) -> Emulator {
        let mut last_log = String::new();
        for _ in 0..3 {
            match Emulator::try_start(&options).await {
                Ok(emulator) => return emulator,
                Err(log) => last_log = log,
            }
        }
        panic!("sushy-emulator did not start; its log:\n{last_log}");
    }

    async fn try_start(options: &EmulatorOptions) -> Result<Emulator, String> {
        let python = python();
        let directory = tempfile::tempdir().expect("temp dir");
        let root = directory.path();
        std::fs::create_dir_all(root.join("state")).expect("state dir");
        std::fs::create_dir_all(root.join("tmp")).expect("tmp dir");
        let hash = Command::new(&python)
            .args([
                "-c",
                "import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())",
                PASSWORD,
            ])
            .output()
            .expect("run python for bcrypt");
        assert!(
            hash.status.success(),
            "bcrypt failed: {}",
            String::from_utf8_lossy(&hash.stderr)
        );
        let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
        std::fs::write(root.join("htpasswd"), format!("{USERNAME}:{hash}\n")).expect("htpasswd");
        let port = free_port();
        let mut config = format!(
            "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'\n\
             SUSHY_EMULATOR_LISTEN_PORT = {port}\n\
             SUSHY_EMULATOR_FAKE_DRIVER = True\n\
             SUSHY_EMULATOR_FEATURE_SET = 'full'\n\
             SUSHY_EMULATOR_AUTH_FILE = '{htpasswd}'\n\
             SUSHY_EMULATOR_STATE_DIR = '{state}'\n\
             SUSHY_EMULATOR_FAKE_SYSTEMS = [\n\
                 {{'uuid': '00000000-0000-0000-0000-%012d' % i, 'name': 'node-%d' % i,\n\
                   'power_state': '{power}',\n\
                   'nics': [{{'mac': '52:54:00:00:%02x:%02x' % (i // 256, i % 256), 'ip': '10.0.0.%d' % (i % 250)}}]}}\n\
                 for i in range(1, {end})\n\
             ]\n",
            htpasswd = root.join("htpasswd").display(),
            state = root.join("state").display(),
            power = options.power_state,
            end = options.systems + 1,
        );
        let scheme = match &options.tls {
            Some((certificate, key)) => {
                config.push_str(&format!(
                    "SUSHY_EMULATOR_SSL_CERT = '{}'\nSUSHY_EMULATOR_SSL_KEY = '{}'\n",
                    certificate.display(),
                    key.display()
                ));
                "https"
            }
            None => "http",
        };
        std::fs::write(root.join("emulator.conf"), config).expect("emulator config");
        let log = std::fs::File::create(root.join("emulator.log")).expect("log file");
        let mut command = Command::new(&python);
        command.arg(workspace_root().join("ci/redfish/run_emulator.py"));
        if let Some(seed) = options.seed {
            command.args(["--seed", &seed.to_string()]);
        }
        let child = command
            .args(["--", "--config"])
            .arg(root.join("emulator.conf"))
            .env("TMPDIR", root.join("tmp"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn sushy-emulator");
        let mut emulator = Emulator {
            url: format!("{scheme}://127.0.0.1:{port}"),
            port,
            child,
            directory,
        };
        let probe = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(2))
            .build()
            .expect("probe client");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = emulator.child.try_wait() {
                return Err(emulator.log());
            }
            if let Ok(response) = probe
                .get(format!("{}/redfish/v1/", emulator.url))
                .send()
                .await
                && response.status().is_success()
            {
                return Ok(emulator);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("no answer within 30 s\n{}", emulator.log()))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.directory.path().join("emulator.log")).unwrap_or_default()
    }

    /// A directory the test may use (inside the instance's temp dir).
    pub fn scratch(&self) -> PathBuf {
        let path = self.directory.path().join("scratch");
        std::fs::create_dir_all(&path).expect("scratch dir");
        path
    }
}
