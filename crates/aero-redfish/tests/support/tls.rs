//! Test certificates made with the `openssl` command: a CA and a server certificate for
//! 127.0.0.1/localhost signed by it, plus a second, unrelated CA. And a legacy TLS front: a
//! TLS terminator that speaks only one old protocol version with one legacy cipher suite, in
//! front of a plain-HTTP fixture server, as old BMC firmware does.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use openssl::ssl::{Ssl, SslContext, SslFiletype, SslMethod, SslVersion};
use tokio_openssl::SslStream;

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
        TestPki::fingerprint_in(certificate)
    }

    /// `openssl x509 -fingerprint -sha256` of any certificate file, as printed.
    pub fn fingerprint_in(certificate: &Path) -> String {
        openssl(
            certificate.parent().expect("directory"),
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

/// A self-signed certificate and key made as BMCs make theirs, with `openssl req -x509`
/// (which marks it `CA:TRUE`), for common name `common_name` and, when given, the
/// subjectAltName `alternative_names` (e.g. `IP:127.0.0.1`). Files `<name>.crt`, `<name>.key`.
pub fn self_signed(
    directory: &Path,
    name: &str,
    common_name: &str,
    alternative_names: Option<&str>,
) -> (PathBuf, PathBuf) {
    let subject = format!("/CN={common_name}");
    let (certificate, key) = (format!("{name}.crt"), format!("{name}.key"));
    let mut arguments = vec![
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        key.as_str(),
        "-out",
        certificate.as_str(),
        "-subj",
        subject.as_str(),
    ];
    let extension = alternative_names.map(|names| format!("subjectAltName={names}"));
    if let Some(extension) = &extension {
        arguments.extend(["-addext", extension.as_str()]);
    }
    openssl(directory, &arguments);
    (directory.join(certificate), directory.join(key))
}

/// The basic constraints of a certificate as `openssl x509` prints them.
pub fn basic_constraints(certificate: &Path) -> String {
    openssl(
        certificate.parent().expect("directory"),
        &[
            "x509",
            "-noout",
            "-ext",
            "basicConstraints",
            "-in",
            &certificate.display().to_string(),
        ],
    )
}

/// A self-signed `CA:TRUE` certificate for 127.0.0.1 that expired yesterday (made with the
/// openssl crate: `openssl req` cannot date a certificate in the past).
pub fn expired_self_signed(directory: &Path, name: &str) -> (PathBuf, PathBuf) {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
    use openssl::x509::{X509, X509NameBuilder};

    let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("key");
    let mut subject = X509NameBuilder::new().expect("name");
    subject
        .append_entry_by_text("CN", "127.0.0.1")
        .expect("common name");
    let subject = subject.build();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let mut builder = X509::builder().expect("builder");
    builder.set_version(2).expect("version");
    let serial = BigNum::from_u32(7).and_then(|serial| serial.to_asn1_integer());
    builder
        .set_serial_number(&serial.expect("serial"))
        .expect("serial");
    builder.set_subject_name(&subject).expect("subject");
    builder.set_issuer_name(&subject).expect("issuer");
    builder.set_pubkey(&key).expect("public key");
    builder
        .set_not_before(&Asn1Time::from_unix(now - 10 * 86_400).expect("time"))
        .expect("not before");
    builder
        .set_not_after(&Asn1Time::from_unix(now - 86_400).expect("time"))
        .expect("not after");
    builder
        .append_extension(BasicConstraints::new().critical().ca().build().expect("ca"))
        .expect("basic constraints");
    let alternative_names = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .build(&builder.x509v3_context(None, None))
        .expect("san");
    builder
        .append_extension(alternative_names)
        .expect("subject alternative name");
    builder.sign(&key, MessageDigest::sha256()).expect("sign");
    let certificate_path = directory.join(format!("{name}.crt"));
    let key_path = directory.join(format!("{name}.key"));
    std::fs::write(&certificate_path, builder.build().to_pem().expect("pem")).expect("write");
    std::fs::write(&key_path, key.private_key_to_pem_pkcs8().expect("pem")).expect("write");
    (certificate_path, key_path)
}

/// ECDHE with RSA signatures, AES-128-GCM: a TLS 1.2 suite rustls accepts, for serving test
/// certificates with [`LegacyTlsFront`] at a modern protocol version.
pub const MODERN_ECDHE_CIPHER: &str = "ECDHE-RSA-AES128-GCM-SHA256";

/// ECDHE with RSA signatures, AES-128-CBC, SHA-1 MAC: under TLS 1.0/1.1 the key exchange is
/// signed with MD5+SHA-1, which OpenSSL 3 clients refuse below security level 0 ("legacy
/// sigalg disallowed or unsupported"), as they do with old iDRAC/iLO firmware.
pub const LEGACY_ECDHE_CIPHER: &str = "ECDHE-RSA-AES128-SHA";

/// RSA key exchange, AES-128-CBC, SHA-1 MAC: no forward secrecy, refused by rustls.
pub const LEGACY_RSA_CIPHER: &str = "AES128-SHA";

/// A TLS terminator in front of a plain-HTTP server: exactly one protocol version and one
/// cipher suite, at security level 0 (or the server side refuses TLS 1.0/1.1 too). Every
/// accepted TLS connection gets its own connection to the backend, and the bytes are copied
/// both ways, so keep-alive and `Connection: close` pass through.
pub struct LegacyTlsFront {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    handshakes: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LegacyTlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LegacyTlsFront {
    /// Serves TLS `version` with `cipher` and `certificate`/`key`, and forwards to
    /// `backend_url` (`http://127.0.0.1:<port>`).
    pub async fn start(
        backend_url: &str,
        version: SslVersion,
        cipher: &str,
        certificate: &Path,
        key: &Path,
    ) -> LegacyTlsFront {
        let mut builder = SslContext::builder(SslMethod::tls_server()).expect("context");
        builder
            .set_certificate_chain_file(certificate)
            .expect("certificate");
        builder
            .set_private_key_file(key, SslFiletype::PEM)
            .expect("key");
        builder
            .set_min_proto_version(Some(version))
            .expect("min version");
        builder
            .set_max_proto_version(Some(version))
            .expect("max version");
        builder
            .set_cipher_list(&format!("{cipher}:@SECLEVEL=0"))
            .expect("cipher list");
        let context = builder.build();
        let backend = backend_url
            .strip_prefix("http://")
            .expect("plain-HTTP backend")
            .to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let task_handshakes = handshakes.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let context = context.clone();
                let backend = backend.clone();
                let handshakes = task_handshakes.clone();
                tokio::spawn(async move {
                    let Ok(ssl) = Ssl::new(&context) else { return };
                    let Ok(mut tls) = SslStream::new(ssl, client) else {
                        return;
                    };
                    if Pin::new(&mut tls).accept().await.is_err() {
                        return;
                    }
                    handshakes.fetch_add(1, Ordering::SeqCst);
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(&backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                });
            }
        });
        LegacyTlsFront {
            url: format!("https://127.0.0.1:{port}"),
            handshakes,
            task,
        }
    }

    /// Completed TLS handshakes so far (one per client connection).
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}
