//! generate pki: certificates verify with openssl against their CA, carry the SANs, key
//! usages and validity the catalogue asked for; only missing items are generated unless
//! --regenerate; check-expiry reports what expires.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use aero_secrets::envelope::{decrypt_data, is_encrypted_data};
use aero_secrets::expiry::{ExpiryOptions, check_expiry};
use aero_secrets::pki::{KeyAlgorithm, PkiOptions, plan_pki};
use aero_secrets::plan::Action;
use common::Lab;
use time::{Duration, OffsetDateTime};

const CATALOG: &str = "---\nschema: promenade/PKICatalog/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: cluster-certificates\n  layeringDefinition: {abstract: false, layer: site}\n  storagePolicy: cleartext\ndata:\n  certificate_authorities:\n    kubernetes:\n      description: Kubernetes CA\n      certificates:\n        - document_name: apiserver\n          common_name: apiserver\n          hosts: [localhost, 127.0.0.1, 10.96.0.1, api.lab.example]\n          kubernetes_service_names: [kubernetes.default.svc.cluster.local]\n        - document_name: admin\n          common_name: admin\n          groups: [system:masters, ops]\n    etcd:\n      description: etcd CA\n      certificates:\n        - document_name: etcd-server\n          common_name: etcd\n          hosts: [10.0.0.10]\n  keypairs:\n    - name: service-account\n      description: Service account signing key\n";

fn options(lab: &Lab) -> PkiOptions {
    PkiOptions {
        recipients: Some(lab.recipients.clone()),
        identities: Some(lab.identities.clone()),
        days: 90,
        ca_days: 1000,
        ..PkiOptions::default()
    }
}

/// The clear PEM data of a document, written to `dir/<file_name>`.
fn export(lab: &Lab, schema: &str, name: &str, dir: &Path, file_name: &str) -> String {
    let site = lab.load();
    let (_, document) = site
        .find(schema, name)
        .unwrap_or_else(|| panic!("{schema}/{name} missing"));
    let data = document.value["data"].clone();
    let data = if is_encrypted_data(&data) {
        decrypt_data(&data, &lab.identities).unwrap()
    } else {
        data
    };
    let pem = data.as_str().unwrap().to_string();
    fs::write(dir.join(file_name), &pem).unwrap();
    pem
}

fn openssl(args: &[&str], dir: &Path) -> String {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn certificates_verify_and_match_the_catalog() {
    let lab = Lab::new(true, &[("site/lab/pki/catalog.yaml", CATALOG)]);
    let plan = plan_pki(&lab.load(), &options(&lab)).unwrap();
    assert_eq!(plan.count(&Action::Generated), 12, "{:?}", plan.items);
    plan.apply().unwrap();
    for file in [
        "certificate-authorities/kubernetes_ca.yaml",
        "certificate-authorities/etcd_ca.yaml",
        "certificates/kubernetes_apiserver_certificate.yaml",
        "certificates/kubernetes_apiserver_key.yaml",
        "certificates/etcd_etcd_server_certificate.yaml",
        "certificates/etcd_etcd_server_key.yaml",
        "keypairs/service_account.yaml",
    ] {
        assert!(
            lab.path(&format!("site/lab/secrets/{file}")).is_file(),
            "{file}"
        );
    }
    let key_file = lab.read("site/lab/secrets/certificates/kubernetes_apiserver_key.yaml");
    assert!(
        key_file.contains("storagePolicy: encrypted") && !key_file.contains("BEGIN PRIVATE KEY")
    );
    let certificate_file =
        lab.read("site/lab/secrets/certificates/kubernetes_apiserver_certificate.yaml");
    assert!(
        certificate_file.contains("storagePolicy: cleartext")
            && certificate_file.contains("BEGIN CERTIFICATE")
    );

    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    export(
        &lab,
        "deckhand/CertificateAuthority/v1",
        "kubernetes",
        dir,
        "ca.pem",
    );
    export(
        &lab,
        "deckhand/CertificateAuthority/v1",
        "etcd",
        dir,
        "etcd-ca.pem",
    );
    export(
        &lab,
        "deckhand/Certificate/v1",
        "apiserver",
        dir,
        "apiserver.pem",
    );
    export(
        &lab,
        "deckhand/CertificateKey/v1",
        "apiserver",
        dir,
        "apiserver-key.pem",
    );
    export(&lab, "deckhand/Certificate/v1", "admin", dir, "admin.pem");
    export(
        &lab,
        "deckhand/Certificate/v1",
        "etcd-server",
        dir,
        "etcd.pem",
    );

    assert_eq!(
        openssl(&["verify", "-CAfile", "ca.pem", "apiserver.pem"], dir),
        "apiserver.pem: OK\n"
    );
    assert_eq!(
        openssl(&["verify", "-CAfile", "ca.pem", "admin.pem"], dir),
        "admin.pem: OK\n"
    );
    assert_eq!(
        openssl(&["verify", "-CAfile", "etcd-ca.pem", "etcd.pem"], dir),
        "etcd.pem: OK\n"
    );
    let wrong_ca = Command::new("openssl")
        .args(["verify", "-CAfile", "etcd-ca.pem", "apiserver.pem"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        !wrong_ca.status.success(),
        "a certificate must not verify against another CA"
    );

    let leaf = openssl(&["x509", "-noout", "-text", "-in", "apiserver.pem"], dir);
    for expected in [
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "IP Address:10.96.0.1",
        "DNS:api.lab.example",
        "DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster, DNS:kubernetes.default.svc.cluster.local",
        "Digital Signature, Key Encipherment",
        "TLS Web Server Authentication, TLS Web Client Authentication",
        "CA:FALSE",
        "Subject: CN = apiserver",
        "Issuer: CN = kubernetes",
    ] {
        assert!(leaf.contains(expected), "missing {expected:?} in\n{leaf}");
    }
    let admin = openssl(&["x509", "-noout", "-subject", "-in", "admin.pem"], dir);
    assert_eq!(admin, "subject=CN = admin, O = system:masters, O = ops\n");
    let ca = openssl(&["x509", "-noout", "-text", "-in", "ca.pem"], dir);
    assert!(ca.contains("CA:TRUE"), "{ca}");
    assert!(ca.contains("Certificate Sign, CRL Sign"), "{ca}");

    // Validity: 90 days for leaves, 1000 for CAs (checked with openssl's own date logic).
    let in_89_days = (89 * 86400).to_string();
    let in_91_days = (91 * 86400).to_string();
    assert!(
        Command::new("openssl")
            .args([
                "x509",
                "-checkend",
                &in_89_days,
                "-noout",
                "-in",
                "apiserver.pem"
            ])
            .current_dir(dir)
            .output()
            .unwrap()
            .status
            .success()
    );
    assert!(
        !Command::new("openssl")
            .args([
                "x509",
                "-checkend",
                &in_91_days,
                "-noout",
                "-in",
                "apiserver.pem"
            ])
            .current_dir(dir)
            .output()
            .unwrap()
            .status
            .success()
    );
    let in_999_days = (999 * 86400).to_string();
    assert!(
        Command::new("openssl")
            .args(["x509", "-checkend", &in_999_days, "-noout", "-in", "ca.pem"])
            .current_dir(dir)
            .output()
            .unwrap()
            .status
            .success()
    );

    // The key matches the certificate.
    let from_certificate = openssl(&["x509", "-noout", "-pubkey", "-in", "apiserver.pem"], dir);
    let from_key = openssl(&["pkey", "-pubout", "-in", "apiserver-key.pem"], dir);
    assert_eq!(from_certificate, from_key);
    // The key pair's halves match.
    export(
        &lab,
        "deckhand/PublicKey/v1",
        "service-account",
        dir,
        "sa.pub",
    );
    export(
        &lab,
        "deckhand/PrivateKey/v1",
        "service-account",
        dir,
        "sa.key",
    );
    assert_eq!(
        openssl(&["pkey", "-pubout", "-in", "sa.key"], dir),
        fs::read_to_string(dir.join("sa.pub")).unwrap()
    );
}

#[test]
fn only_missing_items_unless_regenerate() {
    let lab = Lab::new(true, &[("site/lab/pki/catalog.yaml", CATALOG)]);
    plan_pki(&lab.load(), &options(&lab))
        .unwrap()
        .apply()
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let ca_before = export(
        &lab,
        "deckhand/CertificateAuthority/v1",
        "kubernetes",
        dir,
        "ca.pem",
    );
    let admin_before = export(
        &lab,
        "deckhand/Certificate/v1",
        "admin",
        dir,
        "admin-before.pem",
    );

    let again = plan_pki(&lab.load(), &options(&lab)).unwrap();
    assert!(again.is_empty());
    assert_eq!(again.count(&Action::Kept), 12);

    // A missing certificate is signed by the existing CA, whose key is decrypted in memory.
    fs::remove_file(
        lab.path("site/lab/secrets/certificates/kubernetes_apiserver_certificate.yaml"),
    )
    .unwrap();
    fs::remove_file(lab.path("site/lab/secrets/certificates/kubernetes_apiserver_key.yaml"))
        .unwrap();
    let without_identity = PkiOptions {
        identities: None,
        ..options(&lab)
    };
    let error = plan_pki(&lab.load(), &without_identity)
        .unwrap_err()
        .to_string();
    assert!(error.contains("needs an age identity"), "{error}");
    let refill = plan_pki(&lab.load(), &options(&lab)).unwrap();
    assert_eq!(refill.count(&Action::Generated), 2);
    assert_eq!(refill.writes.len(), 2);
    refill.apply().unwrap();
    export(
        &lab,
        "deckhand/Certificate/v1",
        "apiserver",
        dir,
        "apiserver.pem",
    );
    assert_eq!(
        openssl(&["verify", "-CAfile", "ca.pem", "apiserver.pem"], dir),
        "apiserver.pem: OK\n"
    );
    assert_eq!(
        export(
            &lab,
            "deckhand/CertificateAuthority/v1",
            "kubernetes",
            dir,
            "ca.pem"
        ),
        ca_before
    );

    // Half a pair is an error.
    fs::remove_file(lab.path("site/lab/secrets/certificates/etcd_etcd_server_key.yaml")).unwrap();
    let error = plan_pki(&lab.load(), &options(&lab))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("deckhand/Certificate/v1/etcd-server exists"),
        "{error}"
    );

    // --regenerate makes everything anew.
    let regenerate = PkiOptions {
        regenerate: true,
        key_algorithm: KeyAlgorithm::Rsa2048,
        ..options(&lab)
    };
    let plan = plan_pki(&lab.load(), &regenerate).unwrap();
    assert_eq!(plan.count(&Action::Regenerated), 12, "{:?}", plan.items);
    plan.apply().unwrap();
    let ca_after = export(
        &lab,
        "deckhand/CertificateAuthority/v1",
        "kubernetes",
        dir,
        "ca.pem",
    );
    assert_ne!(ca_after, ca_before);
    assert_ne!(
        export(&lab, "deckhand/Certificate/v1", "admin", dir, "admin.pem"),
        admin_before
    );
    assert_eq!(
        openssl(&["verify", "-CAfile", "ca.pem", "admin.pem"], dir),
        "admin.pem: OK\n"
    );
    let text = openssl(&["x509", "-noout", "-text", "-in", "admin.pem"], dir);
    assert!(
        text.contains("rsaEncryption") && text.contains("2048 bit"),
        "{text}"
    );
}

#[test]
fn check_expiry_lists_what_expires_within_the_window() {
    let lab = Lab::new(true, &[("site/lab/pki/catalog.yaml", CATALOG)]);
    plan_pki(&lab.load(), &options(&lab))
        .unwrap()
        .apply()
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let report = check_expiry(
        &lab.load(),
        ExpiryOptions {
            within: Duration::days(30),
            now,
        },
        None,
    )
    .unwrap();
    assert_eq!(report.entries.len(), 5, "3 certificates and 2 CAs");
    assert_eq!(report.expiring().count(), 0);
    let report = check_expiry(
        &lab.load(),
        ExpiryOptions {
            within: Duration::days(100),
            now,
        },
        None,
    )
    .unwrap();
    let expiring: Vec<&str> = report
        .expiring()
        .map(|entry| entry.document.as_str())
        .collect();
    assert_eq!(expiring.len(), 3, "{expiring:?}");
    assert!(
        expiring
            .iter()
            .all(|document| document.starts_with("deckhand/Certificate/v1/"))
    );
    let first = &report.entries[0];
    assert!((88..=90).contains(&first.days_left), "{first:?}");
    assert!(first.subject.starts_with("CN="));
    assert!(
        first.not_after_text.ends_with('Z'),
        "{}",
        first.not_after_text
    );
    let later = check_expiry(
        &lab.load(),
        ExpiryOptions {
            within: Duration::days(0),
            now: now + Duration::days(2000),
        },
        None,
    )
    .unwrap();
    assert_eq!(later.expiring().count(), 5);
    assert!(later.entries.iter().all(|entry| entry.days_left < 0));
}
