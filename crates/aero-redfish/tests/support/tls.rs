//! Test certificates made with the `openssl` command: a CA and a server certificate for
//! 127.0.0.1/localhost signed by it, plus a second, unrelated CA.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths of generated certificates.
pub struct TestPki {
    pub directory: tempfile::TempDir,
    pub ca_certificate: PathBuf,
    pub server_certificate: PathBuf,
    pub server_key: PathBuf,
    /// A CA that did not sign the server certificate.
    pub other_ca_certificate: PathBuf,
}

fn openssl(directory: &Path, arguments: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(arguments)
        .current_dir(directory)
        .output()
        .expect("run openssl");
    assert!(
        output.status.success(),
        "openssl {arguments:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn make_ca(directory: &Path, name: &str) {
    openssl(
        directory,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-subj",
            &format!("/CN=Aerostat test {name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

impl TestPki {
    pub fn generate() -> TestPki {
        let directory = tempfile::tempdir().expect("pki dir");
        let root = directory.path();
        make_ca(root, "ca");
        make_ca(root, "other-ca");
        openssl(
            root,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        );
        std::fs::write(
            root.join("server.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .expect("extensions");
        openssl(
            root,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                "server.crt",
                "-extfile",
                "server.ext",
            ],
        );
        TestPki {
            ca_certificate: root.join("ca.crt"),
            server_certificate: root.join("server.crt"),
            server_key: root.join("server.key"),
            other_ca_certificate: root.join("other-ca.crt"),
            directory,
        }
    }

    /// `openssl x509 -fingerprint -sha256` of the server certificate, as printed.
    pub fn server_fingerprint(&self) -> String {
        self.fingerprint_of(&self.server_certificate)
    }

    pub fn fingerprint_of(&self, certificate: &Path) -> String {
        openssl(
            self.directory.path(),
            &[
                "x509",
                "-noout",
                "-fingerprint",
                "-sha256",
                "-in",
                &certificate.display().to_string(),
            ],
        )
        .trim()
        .to_string()
    }
}
