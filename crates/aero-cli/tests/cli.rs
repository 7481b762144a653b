//! End-to-end tests of the `aero` binary on the bundled example sites and on small
//! fixtures: exit codes, output formats, located diagnostics, diff over git.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::{copy_tree, git, workspace};

/// Runs `aero` in `cwd` with a private state directory.
fn aero_in(cwd: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aero"))
        .args(args)
        .current_dir(cwd)
        .env("AERO_STATE_DIR", state)
        .env_remove("AERO_AGE_IDENTITY")
        .env_remove("AERO_AGE_IDENTITY_FILE")
        .env_remove("RUST_LOG")
        .output()
        .expect("aero runs")
}

fn aero(args: &[&str]) -> (Output, tempfile::TempDir) {
    let state = tempfile::tempdir().unwrap();
    (aero_in(&workspace(), state.path(), args), state)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn site_list_shows_both_example_sites() {
    let (output, _state) = aero(&["site", "list", "-o", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let sites: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = sites
        .as_array()
        .unwrap()
        .iter()
        .map(|site| site["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["edge-fra1", "edge-lon1"]);
    assert!(
        sites
            .as_array()
            .unwrap()
            .iter()
            .all(|site| site["site_type"] == "edge")
    );
}

#[test]
fn validate_prints_a_stable_revision() {
    let (first, state) = aero(&["site", "validate", "edge-lon1", "-o", "json"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let first: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(first["valid"], true);
    let revision = first["revision"].as_str().unwrap().to_string();
    assert!(
        revision.starts_with("sha256:") && revision.len() == 71,
        "{revision}"
    );
    let second = aero_in(
        &workspace(),
        state.path(),
        &["site", "validate", "edge-lon1", "-o", "json"],
    );
    let second: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(second["revision"], revision);
    let other = aero_in(
        &workspace(),
        state.path(),
        &["site", "validate", "edge-fra1", "-o", "json"],
    );
    let other: serde_json::Value = serde_json::from_slice(&other.stdout).unwrap();
    assert_ne!(other["revision"], revision);
}

#[test]
fn unknown_site_is_a_usage_error_with_a_suggestion() {
    let (output, _state) = aero(&["site", "render", "edge-lon2"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("did you mean `edge-lon1`"), "{stderr}");
    assert!(output.stdout.is_empty());
    let (output, _state) = aero(&["site", "render", "edge-lon1", "--compat", "airship"]);
    assert_eq!(output.status.code(), Some(2));
}

const POLICY: &str = "---
schema: deckhand/LayeringPolicy/v1
metadata:
  schema: metadata/Control/v1
  name: layering-policy
data:
  layerOrder: [global, site]
";

/// A minimal site definition for site `s1` of type `t`.
const SITE_DEFINITION: &str = "---
schema: pegleg/SiteDefinition/v1
metadata:
  schema: metadata/Document/v1
  name: s1
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data:
  site_type: t
";

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn render_of_loose_files_prints_sorted_documents_and_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/policy.yaml", POLICY);
    write(
        dir.path(),
        "a/docs.yaml",
        "---
schema: example/B/v1
metadata: {schema: metadata/Document/v1, name: b, storagePolicy: cleartext, layeringDefinition: {abstract: false, layer: site}}
data: {value: 1}
---
schema: example/A/v1
metadata: {schema: metadata/Document/v1, name: a, storagePolicy: cleartext, layeringDefinition: {abstract: false, layer: site}}
data: {value: yes}
",
    );
    let state = tempfile::tempdir().unwrap();
    let output = aero_in(dir.path(), state.path(), &["render", "a", "-o", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let documents: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let order: Vec<&str> = documents
        .as_array()
        .unwrap()
        .iter()
        .map(|document| document["schema"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["deckhand/LayeringPolicy/v1", "example/A/v1", "example/B/v1"]
    );
    assert_eq!(documents[1]["data"]["value"], "yes", "YAML 1.2 by default");
    let output = aero_in(
        dir.path(),
        state.path(),
        &["render", "a", "-o", "json", "--compat", "deckhand"],
    );
    let documents: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        documents[1]["data"]["value"], true,
        "YAML 1.1 in Deckhand mode"
    );

    write(
        dir.path(),
        "a/broken.yaml",
        "---
schema: example/C/v1
metadata:
  schema: metadata/Document/v1
  name: c
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
  substitutions:
  - src: {schema: example/Missing/v1, name: nope, path: .x}
    dest: {path: .y}
data: {}
",
    );
    let output = aero_in(dir.path(), state.path(), &["render", "a"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no partial output");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("SubstitutionSourceNotFound"), "{stderr}");
    assert!(stderr.contains("a/broken.yaml:9:5"), "{stderr}");
    assert!(stderr.contains("example/C/v1/c"), "{stderr}");

    let output = aero_in(dir.path(), state.path(), &["render", "a", "-o", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let diagnostics: serde_json::Value =
        serde_json::from_slice(&output.stderr).expect("JSON diagnostics on stderr");
    assert_eq!(diagnostics[0]["kind"], "SubstitutionSourceNotFound");
    assert_eq!(diagnostics[0]["location"]["file"], "a/broken.yaml");
    assert_eq!(diagnostics[0]["location"]["line"], 9);
    assert_eq!(diagnostics[0]["json_path"], "metadata.substitutions[0]");
}

/// `--no-validate` with `--compat deckhand` skips Deckhand's metadata checks, as Pegleg's
/// `--no-validate` builds Deckhand's engine with `validate=False`; a file that is not UTF-8
/// is invalid input (exit 1), located at its first bad byte.
#[test]
fn render_no_validate_in_compat_mode_and_a_file_that_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/policy.yaml", POLICY);
    write(
        dir.path(),
        "a/docs.yaml",
        "---
schema: example/A/v1
metadata:
  schema: metadata/Document/v1
  name: a
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site, actions: []}
data: {value: 1}
",
    );
    let state = tempfile::tempdir().unwrap();
    let strict = aero_in(
        dir.path(),
        state.path(),
        &["render", "a", "--compat", "deckhand"],
    );
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stderr));
    let lenient = aero_in(
        dir.path(),
        state.path(),
        &["render", "a", "--compat", "deckhand", "--no-validate"],
    );
    assert!(lenient.status.success(), "{}", text(&lenient.stderr));
    let default_mode = aero_in(dir.path(), state.path(), &["render", "a", "--no-validate"]);
    assert_eq!(
        default_mode.status.code(),
        Some(1),
        "Aerostat's mode keeps its checks"
    );

    std::fs::write(dir.path().join("a/latin1.yaml"), b"---\n# caf\xe9\n").unwrap();
    let output = aero_in(dir.path(), state.path(), &["render", "a", "-o", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let diagnostics: serde_json::Value =
        serde_json::from_slice(&output.stderr).expect("JSON diagnostics on stderr");
    assert_eq!(diagnostics[0]["code"], "P007");
    assert_eq!(diagnostics[0]["location"]["file"], "a/latin1.yaml");
    assert_eq!(diagnostics[0]["location"]["line"], 2);
    assert_eq!(diagnostics[0]["location"]["column"], 6);
}

#[test]
fn lint_reports_located_json_diagnostics_and_honours_exclude_and_warn() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/site/s1/site-definition.yaml",
        SITE_DEFINITION,
    );
    write(dir.path(), "m/global/policy.yaml", POLICY);
    write(
        dir.path(),
        "m/site/s1/pass.yaml",
        "schema: deckhand/Passphrase/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: pw\n  storagePolicy: cleartext\n  layeringDefinition: {abstract: false, layer: global}\ndata: not-so-secret-value\n",
    );
    let state = tempfile::tempdir().unwrap();
    let output = aero_in(
        dir.path(),
        state.path(),
        &["site", "--repo", "m", "lint", "s1", "-o", "json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut codes: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["code"].as_str().unwrap())
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes, ["P001", "P006", "P008", "P009"]);
    let p008 = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["code"] == "P008")
        .unwrap();
    assert_eq!(p008["location"]["file"], "m/site/s1/pass.yaml");
    assert_eq!(p008["location"]["line"], 1);
    assert_eq!(p008["document"]["name"], "pw");
    assert!(!text(&output.stdout).contains("not-so-secret-value"));

    let output = aero_in(
        dir.path(),
        state.path(),
        &[
            "site", "--repo", "m", "lint", "s1", "-o", "json", "-x", "P001", "-x", "P006", "-x",
            "P008", "-x", "A005", "-w", "P009",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(findings.as_array().unwrap().len(), 1);
    assert_eq!(findings[0]["severity"], "warning");
}

#[test]
fn explain_names_the_document_and_line_behind_each_value() {
    let (output, _state) = aero(&[
        "site",
        "explain",
        "edge-lon1",
        "armada/Chart/v2/nova",
        ".values.conf.nova",
        "-o",
        "json",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let leaves: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let leaves = leaves.as_array().unwrap();
    let hows: std::collections::BTreeSet<&str> = leaves
        .iter()
        .map(|leaf| leaf["how"].as_str().unwrap())
        .collect();
    assert!(
        hows.contains("own") && hows.contains("parent") && hows.contains("substitution (pattern)"),
        "{hows:?}"
    );
    for leaf in leaves {
        let location = leaf["location"].as_str().unwrap();
        assert!(
            location.starts_with("site-manifests/") && location.split(':').count() == 3,
            "{location}"
        );
    }
    let connection = leaves
        .iter()
        .find(|leaf| leaf["path"] == ".values.conf.nova.database.connection")
        .unwrap();
    assert_eq!(connection["secret"], true);
    assert!(
        connection["value"].as_str().unwrap().contains("<redacted:"),
        "{connection}"
    );
    let (output, _state) = aero(&["site", "explain", "edge-lon1", "armada/Chart/v2/nvoa"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("did you mean armada/Chart/v2/nova"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn compat_report_of_the_example_site_is_empty() {
    let (output, _state) = aero(&["site", "compat", "edge-fra1", "-o", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap(),
        serde_json::json!([])
    );
    let (table, _state) = aero(&["site", "compat", "edge-fra1"]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    assert_eq!(
        text(&table.stdout),
        "no differences: the site renders to the same data in Aerostat's and Deckhand's modes\n"
    );
}

#[test]
fn compat_report_lists_quirk_differences_with_provenance() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/site/s1/site-definition.yaml",
        SITE_DEFINITION,
    );
    write(dir.path(), "m/global/policy.yaml", POLICY);
    write(
        dir.path(),
        "m/site/s1/app.yaml",
        "---\nschema: example/App/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: app\n  storagePolicy: cleartext\n  layeringDefinition: {abstract: false, layer: site}\ndata:\n  enabled: on\n",
    );
    let state = tempfile::tempdir().unwrap();
    let output = aero_in(
        dir.path(),
        state.path(),
        &["site", "--repo", "m", "compat", "s1", "-o", "json"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report.as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report[0]["path"], ".enabled");
    assert_eq!(report[0]["aerostat"], "on");
    assert_eq!(report[0]["deckhand"], true);
    assert_eq!(report[0]["location"], "m/site/s1/app.yaml:9:12");
    assert!(report[0]["cause"].as_str().unwrap().contains("YAML 1.1"));
}

#[test]
fn diff_against_a_git_revision_shows_field_changes_and_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("manifests");
    std::fs::create_dir_all(&repo).unwrap();
    copy_tree(&workspace().join("site-manifests"), &repo);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    // Change a clear value, a passphrase, and add a document.
    let chart = repo.join("site/edge-lon1/software/charts/openstack/nova.yaml");
    let original = std::fs::read_to_string(&chart).unwrap();
    std::fs::write(&chart, original.replacen("osapi: 2", "osapi: 3", 1)).unwrap();
    let state = tempfile::tempdir().unwrap();
    let before = aero_in(
        dir.path(),
        state.path(),
        &[
            "site",
            "--repo",
            "manifests",
            "diff",
            "edge-lon1",
            "--from",
            "HEAD",
            "-o",
            "json",
            "--exit-code",
        ],
    );
    let summary: serde_json::Value = serde_json::from_slice(&before.stdout)
        .unwrap_or_else(|_| panic!("{}", text(&before.stderr)));
    assert_eq!(
        before.status.code(),
        Some(1),
        "--exit-code with differences"
    );
    assert_eq!(summary["changed"].as_array().unwrap().len(), 1, "{summary}");
    assert_eq!(summary["changed"][0]["name"], "nova");
    assert_eq!(
        summary["changed"][0]["changes"][0],
        serde_json::json!({"change": "changed", "path": ".values.pod.replicas.osapi", "before": 2, "after": 3})
    );
    assert_ne!(summary["from"]["revision"], summary["to"]["revision"]);

    let same = aero_in(
        dir.path(),
        state.path(),
        &[
            "site",
            "--repo",
            "manifests",
            "diff",
            "edge-lon1",
            "--from",
            "HEAD",
            "--to",
            "HEAD",
            "--exit-code",
        ],
    );
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    assert!(text(&same.stdout).contains("no differences"));
    let bad = aero_in(
        dir.path(),
        state.path(),
        &[
            "site",
            "--repo",
            "manifests",
            "diff",
            "edge-lon1",
            "--from",
            "no-such-ref",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
}

/// A BMC that speaks only TLS 1.0 with a legacy suite (ECDHE-RSA-AES128-SHA at OpenSSL
/// security level 0, as old iDRAC/iLO firmware), serving a minimal Redfish tree: a small
/// Python server on the system OpenSSL. Stopped when dropped.
struct LegacyTlsBmc {
    url: String,
    child: std::process::Child,
}

impl Drop for LegacyTlsBmc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const LEGACY_TLS_BMC: &str = r#"
import json, ssl, sys, warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
warnings.simplefilter("ignore")
RESOURCES = {
    "/redfish/v1": {"@odata.id": "/redfish/v1/", "RedfishVersion": "1.0.0", "Vendor": "LegacyCo",
                    "Systems": {"@odata.id": "/redfish/v1/Systems"}},
    "/redfish/v1/Systems": {"@odata.id": "/redfish/v1/Systems",
                            "Members": [{"@odata.id": "/redfish/v1/Systems/1"}]},
    "/redfish/v1/Systems/1": {"@odata.id": "/redfish/v1/Systems/1", "Id": "1",
                              "Manufacturer": "LegacyCo", "Model": "R1", "PowerState": "On"},
}
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        resource = RESOURCES.get(self.path.rstrip("/"))
        body = json.dumps(resource or {"error": {"message": "not found"}}).encode()
        self.send_response(200 if resource else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.minimum_version = ssl.TLSVersion.TLSv1
context.maximum_version = ssl.TLSVersion.TLSv1
context.set_ciphers("ECDHE-RSA-AES128-SHA:@SECLEVEL=0")
context.load_cert_chain(sys.argv[1], sys.argv[2])
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

impl LegacyTlsBmc {
    fn start(certificate: &Path, key: &Path) -> LegacyTlsBmc {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args(["-c", LEGACY_TLS_BMC])
            .arg(certificate)
            .arg(key)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut port = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut port)
            .expect("port");
        LegacyTlsBmc {
            url: format!("https://127.0.0.1:{}", port.trim()),
            child,
        }
    }
}

/// Runs the `openssl` command in `dir`; its standard output.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

#[test]
fn bmc_reaches_a_tls_1_0_only_bmc_with_the_openssl_backend_and_a_pinned_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            "bmc.key",
            "-out",
            "bmc.crt",
            "-subj",
            "/CN=bmc.example",
            "-addext",
            "subjectAltName=DNS:bmc.example",
        ],
    );
    let fingerprint = openssl(
        dir.path(),
        &[
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            "bmc.crt",
        ],
    );
    let fingerprint = fingerprint.trim();
    let wrong = format!("sha256 Fingerprint={}", "00:".repeat(31) + "00");
    let password = write(dir.path(), "password", "calvin\n");
    let bmc = LegacyTlsBmc::start(&dir.path().join("bmc.crt"), &dir.path().join("bmc.key"));
    let run = |extra: &[&str]| {
        let mut args = vec![
            "bmc",
            "inventory",
            "--endpoint",
            bmc.url.as_str(),
            "-u",
            "root",
            "--password-file",
            password.to_str().unwrap(),
            "-o",
            "json",
        ];
        args.extend_from_slice(extra);
        aero(&args).0
    };

    // The certificate names another host and is self-signed: the pin is the trust decision.
    let output = run(&["--tls-backend", "openssl", "--fingerprint", fingerprint]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let inventory: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(inventory["system"]["manufacturer"], "LegacyCo");
    assert_eq!(inventory["system"]["power_state"], "On");

    let output = run(&["--tls-backend", "openssl", "--fingerprint", &wrong]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("does not match the pinned"),
        "{}",
        text(&output.stderr)
    );

    // rustls cannot speak TLS 1.0 and says what to do instead.
    let output = run(&["--fingerprint", fingerprint]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("TLS 1.0/1.1"), "{stderr}");
    assert!(
        stderr.contains("choose the openssl TLS backend"),
        "{stderr}"
    );
}

#[test]
fn the_manifests_repository_is_found_from_any_folder_below_it() {
    let state = tempfile::tempdir().unwrap();
    let deep = workspace().join("site-manifests/site/edge-lon1/baremetal");
    let output = aero_in(&deep, state.path(), &["site", "list", "-o", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let crates = workspace().join("crates/aero-cli/src");
    let output = aero_in(&crates, state.path(), &["site", "validate", "edge-fra1"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let elsewhere = tempfile::tempdir().unwrap();
    let output = aero_in(elsewhere.path(), state.path(), &["site", "list"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no manifests repository found") && stderr.contains("--repo"),
        "{stderr}"
    );
}

#[test]
fn the_demo_key_warning_is_printed_once_in_one_wording_for_every_verb() {
    let verbs: [&[&str]; 4] = [
        &["site", "validate", "edge-lon1"],
        &["site", "compat", "edge-lon1"],
        &[
            "site",
            "explain",
            "edge-lon1",
            "armada/Chart/v2/nova",
            ".values.conf.nova",
        ],
        &["secrets", "check-expiry", "edge-lon1"],
    ];
    for args in verbs {
        let (output, _state) = aero(args);
        let stderr = text(&output.stderr);
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|line| line.contains("demo key"))
            .collect();
        assert_eq!(warnings.len(), 1, "{args:?}: {stderr}");
        assert!(
            warnings[0].starts_with("aero: warning: using the INSECURE demo key "),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn document_verbs_offer_only_document_formats_and_validate_counts_problems() {
    let (output, _state) = aero(&["site", "render", "edge-lon1", "-o", "table"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("possible values: yaml, json"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m/site/s1/site-definition.yaml",
        SITE_DEFINITION,
    );
    write(dir.path(), "m/global/policy.yaml", POLICY);
    write(
        dir.path(),
        "m/site/s1/bad.yaml",
        "---\nschema: example/App/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: app\n  storagePolicy: cleartext\n  layeringDefinition: {abstract: false, layer: site}\n  substitutions:\n    - src: {schema: example/Missing/v1, name: nope, path: .x}\n      dest: {path: .y}\ndata: {}\n",
    );
    let state = tempfile::tempdir().unwrap();
    let output = aero_in(
        dir.path(),
        state.path(),
        &["site", "--repo", "m", "validate", "s1"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stdout).starts_with("site s1: invalid: 1 error(s), "),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn a_bad_git_revision_says_why() {
    let (output, _state) = aero(&[
        "site",
        "diff",
        "edge-lon1",
        "--from",
        "no-such-revision-anywhere",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("`no-such-revision-anywhere` is neither a folder nor a git revision")
            && stderr
                .trim_end()
                .ends_with("git knows no commit of that name"),
        "{stderr}"
    );
}

#[test]
fn secrets_encrypt_then_decrypt_with_the_demo_identity() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("m");
    let keygen_state = tempfile::tempdir().unwrap();
    let identity = root.join("demo-keys/age-identity.txt");
    std::fs::create_dir_all(identity.parent().unwrap()).unwrap();
    let made = aero_in(
        dir.path(),
        keygen_state.path(),
        &[
            "secrets",
            "keygen",
            "-o",
            identity.to_str().unwrap(),
            "--comment",
            "INSECURE DEMO KEY",
        ],
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let public_key = text(&made.stdout).trim().to_string();
    write(
        &root,
        "site/lab/site-definition.yaml",
        &format!(
            "---\nschema: pegleg/SiteDefinition/v1\nmetadata: {{schema: metadata/Document/v1, name: lab, layeringDefinition: {{abstract: false, layer: site}}, storagePolicy: cleartext}}\ndata:\n  site_type: lab\n  secrets:\n    age_recipients: [{public_key}]\n"
        ),
    );
    let file = write(
        &root,
        "site/lab/secrets/passphrases/db.yaml",
        "---\nschema: deckhand/Passphrase/v1\nmetadata: {schema: metadata/Document/v1, name: db, layeringDefinition: {abstract: false, layer: site}, storagePolicy: encrypted}\ndata: cli-Secret-Value-123\n",
    );
    let run = |args: &[&str]| {
        let state = tempfile::tempdir().unwrap();
        let mut all = vec!["secrets", "--repo", "m"];
        all.extend_from_slice(args);
        aero_in(dir.path(), state.path(), &all)
    };
    let dry = run(&["encrypt", "lab", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(text(&dry.stdout).contains("dry run: would write 1 file(s)"));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("cli-Secret-Value-123")
    );
    assert!(run(&["encrypt", "lab"]).status.success());
    let encrypted = std::fs::read_to_string(&file).unwrap();
    assert!(
        !encrypted.contains("cli-Secret-Value-123")
            && encrypted.contains("BEGIN AGE ENCRYPTED FILE")
    );
    let decrypted = run(&["decrypt", "lab"]);
    assert!(decrypted.status.success(), "{}", text(&decrypted.stderr));
    assert!(text(&decrypted.stderr).contains("INSECURE demo key"));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("cli-Secret-Value-123")
    );
    assert!(run(&["check-expiry", "lab", "-o", "json"]).status.success());
    let missing = run(&["encrypt", "nosuch"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
}
