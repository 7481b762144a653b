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

/// A fixture BMC whose login errors quote the submitted password, as some firmware does:
/// it serves a Redfish service root and answers everything else with a 401 whose message
/// and extended info repeat the password submitted (the session login's body, or the
/// Basic authorization header). What `aero bmc` prints (and logs at trace level) must show it redacted.
pub fn echoing_bmc() -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        for stream in listener.incoming().take(500) {
            let Ok(stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                continue;
            }
            let mut length = 0usize;
            let mut basic_password = None;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                let Some((name, value)) = header.split_once(':') else {
                    continue;
                };
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                if name.eq_ignore_ascii_case("authorization")
                    && let Some(encoded) = value.trim().strip_prefix("Basic ")
                    && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded)
                {
                    let decoded = String::from_utf8_lossy(&decoded).into_owned();
                    basic_password = decoded.split_once(':').map(|(_, pass)| pass.to_string());
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let (status, answer) = if request_line.starts_with("GET /redfish/v1/ ")
                || request_line.starts_with("GET /redfish/v1 ")
            {
                (
                    "200 OK",
                    serde_json::json!({
                        "@odata.id": "/redfish/v1/",
                        "RedfishVersion": "1.6.0",
                        "Systems": {"@odata.id": "/redfish/v1/Systems"},
                        "SessionService": {"@odata.id": "/redfish/v1/SessionService"},
                        "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}}
                    }),
                )
            } else {
                let submitted: serde_json::Value =
                    serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                let password = submitted["Password"]
                    .as_str()
                    .map(str::to_string)
                    .or(basic_password)
                    .unwrap_or_else(|| "(none)".to_string());
                (
                    "401 Unauthorized",
                    serde_json::json!({"error": {
                        "code": "Base.1.8.GeneralError",
                        "message": format!("Login failed: the password {password} is not valid"),
                        "@Message.ExtendedInfo": [{
                            "MessageId": "Base.1.8.ResourceAtUriUnauthorized",
                            "Message": format!("Password '{password}' rejected"),
                        }]
                    }}),
                )
            };
            let text = answer.to_string();
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (address, server)
}
