//! import-pegleg against a file written by Pegleg's own algorithm (Python `cryptography`
//! Fernet + PBKDF2, PyYAML `!!binary`): see tests/data/make_pegleg_fixture.py.

mod common;

use aero_secrets::envelope::decrypt_data;
use aero_secrets::pegleg::{ImportOptions, PeglegCredentials, plan_import};
use aero_secrets::plan::Action;
use common::Lab;

const FIXTURE: &str = include_str!("data/pegleg-managed.yaml");
const PASSPHRASE: &str = "correct-horse-battery-staple-lab";
const SALT: &str = "aerostat-test-salt";

#[test]
fn pegleg_secrets_are_unwrapped_decrypted_and_reencrypted() {
    let lab = Lab::new(true, &[("site/lab/secrets/pegleg.yaml", FIXTURE)]);
    let site = lab.load();
    let options = ImportOptions {
        credentials: Some(PeglegCredentials::new(PASSPHRASE, SALT).unwrap()),
        recipients: site.definition_recipients().unwrap(),
        paths: Vec::new(),
    };
    let plan = plan_import(&site, &options).unwrap();
    assert_eq!(plan.count(&Action::Imported), 3);
    plan.apply().unwrap();

    let text = lab.read("site/lab/secrets/pegleg.yaml");
    assert!(text.starts_with("---\n# Pegleg-encrypted secrets"));
    assert!(!text.contains("PeglegManagedDocument"));
    assert!(!text.contains("Pegleg-Imported-Secret-42!"));
    let site = lab.load();
    let (_, passphrase) = site
        .find("deckhand/Passphrase/v1", "ipmi_admin_password")
        .unwrap();
    assert_eq!(passphrase.value["metadata"]["storagePolicy"], "encrypted");
    assert_eq!(
        decrypt_data(&passphrase.value["data"], &lab.identities).unwrap(),
        "Pegleg-Imported-Secret-42!"
    );
    let (_, key) = site
        .find("deckhand/CertificateKey/v1", "apiserver")
        .unwrap();
    assert_eq!(
        decrypt_data(&key.value["data"], &lab.identities).unwrap(),
        "-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----\n"
    );
    let (_, certificate) = site.find("deckhand/Certificate/v1", "apiserver").unwrap();
    assert_eq!(
        certificate.value["data"],
        "-----BEGIN CERTIFICATE-----\nMIIfake\n-----END CERTIFICATE-----\n"
    );
    let (_, note) = site.find("aerostat/Note/v1", "untouched").unwrap();
    assert_eq!(note.value["data"]["kept"], true);
}

#[test]
fn wrong_pegleg_passphrase_names_the_document() {
    let lab = Lab::new(true, &[("site/lab/secrets/pegleg.yaml", FIXTURE)]);
    let options = ImportOptions {
        credentials: Some(PeglegCredentials::new("not-the-passphrase-at-all-x", SALT).unwrap()),
        recipients: None,
        paths: Vec::new(),
    };
    let error = plan_import(&lab.load(), &options).unwrap_err().to_string();
    assert!(
        error.starts_with("manifests/site/lab/secrets/pegleg.yaml:3: cannot import pegleg/PeglegManagedDocument/v1/ipmi_admin_password: token signature does not match"),
        "{error}"
    );
    assert_eq!(lab.read("site/lab/secrets/pegleg.yaml"), FIXTURE);
}

#[test]
fn paths_convert_files_outside_the_site() {
    let lab = Lab::new(false, &[("elsewhere/pegleg.yaml", FIXTURE)]);
    let options = ImportOptions {
        credentials: Some(PeglegCredentials::new(PASSPHRASE, SALT).unwrap()),
        recipients: None,
        paths: vec![lab.path("elsewhere")],
    };
    let plan = plan_import(&lab.load(), &options).unwrap();
    assert_eq!(plan.count(&Action::Imported), 3);
    assert_eq!(plan.warnings.len(), 1, "clear output is warned about");
    plan.apply().unwrap();
    assert!(
        lab.read("elsewhere/pegleg.yaml")
            .contains("Pegleg-Imported-Secret-42!")
    );
}
