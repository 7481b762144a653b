//! encrypt / decrypt / rekey of a site in a scratch git repository.

mod common;

use aero_secrets::crypt::{Scope, plan_decrypt, plan_encrypt, plan_rekey};
use aero_secrets::plan::Action;
use common::{Lab, keypair, snapshot};

const PASSPHRASE_FILE: &str = "# Database password (hand-written header)\n# second line\n---\nschema: deckhand/Passphrase/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: db\n  layeringDefinition: {abstract: false, layer: site}\n  storagePolicy: encrypted\ndata: db-Password-123456\n...\n";

const MIXED_FILE: &str = "---\nschema: armada/Chart/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: ceph-values\n  layeringDefinition: {abstract: false, layer: site}\n  storagePolicy: encrypted\ndata:\n  admin_key: Q2VwaEFkbWluS2V5MTIzNDU=\n  replicas: 3\n  nested: {list: [1, two, null]}\n---\nschema: deckhand/Certificate/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: public-cert\n  layeringDefinition: {abstract: false, layer: site}\n  storagePolicy: cleartext\ndata: |\n  -----BEGIN CERTIFICATE-----\n  not secret\n  -----END CERTIFICATE-----\n";

const SHARED_FILE: &str = "---\nschema: deckhand/Passphrase/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: shared\n  layeringDefinition: {abstract: false, layer: global}\n  storagePolicy: encrypted\ndata: shared-Secret-987654\n";

fn lab() -> Lab {
    Lab::new(
        true,
        &[
            ("site/lab/secrets/passphrases/db.yaml", PASSPHRASE_FILE),
            ("site/lab/secrets/mixed.yaml", MIXED_FILE),
            ("global/secrets/shared.yaml", SHARED_FILE),
        ],
    )
}

#[test]
fn encrypt_commit_decrypt_gives_identical_documents() {
    let lab = lab();
    let original = snapshot(&lab);
    lab.git(&["init", "-q"]);
    lab.git(&["add", "-A"]);
    lab.git(&["commit", "-q", "-m", "clear"]);

    let site = lab.load();
    let recipients = site
        .definition_recipients()
        .unwrap()
        .expect("site lists recipients");
    let plan = plan_encrypt(&site, &recipients, Scope::SiteOnly).unwrap();
    assert_eq!(plan.count(&Action::Encrypted), 2, "{:?}", plan.items);
    assert_eq!(plan.writes.len(), 2);
    assert!(
        plan.items
            .iter()
            .any(|item| item.document == "deckhand/Passphrase/v1/shared"
                && matches!(item.action, Action::Skipped(_)))
    );
    plan.apply().unwrap();

    let encrypted_passphrase = lab.read("site/lab/secrets/passphrases/db.yaml");
    assert!(
        encrypted_passphrase
            .starts_with("---\n# Database password (hand-written header)\n# second line\nschema:")
    );
    assert!(encrypted_passphrase.contains("aerostat.io/encrypted"));
    assert!(encrypted_passphrase.contains("BEGIN AGE ENCRYPTED FILE"));
    assert!(
        encrypted_passphrase.contains("name: db"),
        "envelope stays readable"
    );
    assert!(!encrypted_passphrase.contains("db-Password-123456"));
    let mixed = lab.read("site/lab/secrets/mixed.yaml");
    assert!(!mixed.contains("Q2VwaEFkbWluS2V5MTIzNDU="));
    assert!(
        mixed.contains("not secret"),
        "cleartext documents stay in clear"
    );
    assert_eq!(
        lab.read("global/secrets/shared.yaml"),
        SHARED_FILE,
        "shared layers are not rewritten"
    );

    lab.git(&["add", "-A"]);
    lab.git(&["commit", "-q", "-m", "encrypted"]);
    let changed = lab.git(&["diff", "--name-only", "HEAD~1", "HEAD"]);
    assert_eq!(
        changed,
        "site/lab/secrets/mixed.yaml\nsite/lab/secrets/passphrases/db.yaml\n"
    );

    // Encrypting twice changes nothing.
    let again = plan_encrypt(&lab.load(), &recipients, Scope::SiteOnly).unwrap();
    assert!(again.is_empty());
    assert_eq!(again.count(&Action::AlreadyEncrypted), 2);
    again.apply().unwrap();
    assert_eq!(lab.git(&["status", "--porcelain"]), "");

    // --include-shared also takes the global layer's document.
    let shared = plan_encrypt(&lab.load(), &recipients, Scope::WithShared).unwrap();
    assert_eq!(shared.count(&Action::Encrypted), 1);
    assert_eq!(shared.writes.len(), 1);
    assert_eq!(
        shared.writes[0].display,
        "manifests/global/secrets/shared.yaml"
    );
    shared.apply().unwrap();
    let decrypt_shared = plan_decrypt(&lab.load(), &lab.identities, Scope::WithShared).unwrap();
    assert_eq!(decrypt_shared.count(&Action::Decrypted), 3);
    decrypt_shared.apply().unwrap();
    assert_eq!(snapshot(&lab), original);
    plan_encrypt(&lab.load(), &recipients, Scope::SiteOnly)
        .unwrap()
        .apply()
        .unwrap();

    // Decrypting gives back the very documents that were committed in clear.
    let decrypt = plan_decrypt(&lab.load(), &lab.identities, Scope::SiteOnly).unwrap();
    assert_eq!(decrypt.count(&Action::Decrypted), 2);
    decrypt.apply().unwrap();
    assert_eq!(snapshot(&lab), original);
    assert!(
        lab.read("site/lab/secrets/passphrases/db.yaml")
            .starts_with("---\n# Database password")
    );
}

#[test]
fn wrong_key_names_the_document_and_changes_nothing() {
    let lab = lab();
    let site = lab.load();
    plan_encrypt(&site, &lab.recipients, Scope::SiteOnly)
        .unwrap()
        .apply()
        .unwrap();
    let before = lab.read("site/lab/secrets/mixed.yaml");
    let (stranger, _, stranger_key) = keypair();
    let error = plan_decrypt(&lab.load(), &stranger, Scope::SiteOnly)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(
            "manifests/site/lab/secrets/mixed.yaml:2: cannot decrypt armada/Chart/v1/ceph-values:"
        ),
        "{error}"
    );
    assert!(
        error.contains("no loaded identity can decrypt it"),
        "{error}"
    );
    assert!(
        error.contains(&stranger_key) && error.contains(&lab.public_key),
        "{error}"
    );
    assert_eq!(lab.read("site/lab/secrets/mixed.yaml"), before);
}

#[test]
fn rekey_moves_secrets_to_new_recipients() {
    let lab = lab();
    plan_encrypt(&lab.load(), &lab.recipients, Scope::SiteOnly)
        .unwrap()
        .apply()
        .unwrap();
    let (new_identities, new_recipients, _) = keypair();
    let rekey = plan_rekey(
        &lab.load(),
        &lab.identities,
        &new_recipients,
        Scope::SiteOnly,
    )
    .unwrap();
    assert_eq!(rekey.count(&Action::Rekeyed), 2);
    rekey.apply().unwrap();
    assert!(
        plan_decrypt(&lab.load(), &lab.identities, Scope::SiteOnly).is_err(),
        "old key no longer opens them"
    );
    let decrypt = plan_decrypt(&lab.load(), &new_identities, Scope::SiteOnly).unwrap();
    decrypt.apply().unwrap();
    assert!(
        lab.read("site/lab/secrets/passphrases/db.yaml")
            .contains("db-Password-123456")
    );
}
