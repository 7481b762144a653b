//! `encrypt`, `decrypt` and `rekey` of a site's secret documents, in place.
//!
//! - encrypt: every document with `metadata.storagePolicy: encrypted` in the site's own
//!   files whose data is not yet encrypted. Encrypted ones are left as they are, so
//!   encrypting twice changes nothing.
//! - decrypt: every encrypted document of the site's own files.
//! - rekey: every encrypted document of the site's own files, decrypted and encrypted again
//!   for the new recipients.
//!
//! Only files with a changed document are rewritten (documents re-emitted by `aero_yaml`:
//! comments inside such a file are lost, its leading comment block is kept). With
//! [`Scope::SiteOnly`], documents of `global/` and `type/` (shared with other sites, which
//! may have other recipients) are reported, never rewritten; [`Scope::WithShared`] treats
//! them like the site's own.

use serde_json::Value;

use crate::document;
use crate::envelope::{self, CryptError};
use crate::error::SecretsError;
use crate::keys::{Identities, Recipients};
use crate::kinds;
use crate::plan::{Action, ChangePlan, PlannedWrite};
use crate::site::{LoadedFile, LoadedSite};

/// Which files a command rewrites.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// Only the site's own files (under `site/<site>/`).
    #[default]
    SiteOnly,
    /// Also the `global/` and `type/` files the site collects.
    WithShared,
}

/// What to do to one document; `None` leaves it unchanged.
type Transform<'a> =
    dyn Fn(&LoadedFile, u32, &Value) -> Result<Option<(Value, Action)>, SecretsError> + 'a;

/// Plans encryption of the site's `storagePolicy: encrypted` documents for `recipients`.
pub fn plan_encrypt(
    site: &LoadedSite,
    recipients: &Recipients,
    scope: Scope,
) -> Result<ChangePlan, SecretsError> {
    let transform = |file: &LoadedFile, line: u32, document: &Value| {
        if document::storage_policy(document) != Some("encrypted") {
            return Ok(None);
        }
        let data = document.get("data").cloned().unwrap_or(Value::Null);
        if envelope::is_encrypted_data(&data) {
            return Ok(Some((document.clone(), Action::AlreadyEncrypted)));
        }
        let encrypted =
            envelope::encrypt_data(&data, recipients).map_err(|source| SecretsError::Encrypt {
                document: document::describe(document),
                file: file.display(),
                line,
                source,
            })?;
        Ok(Some((with_data(document, encrypted), Action::Encrypted)))
    };
    let mut plan = rewrite_site(site, scope, &transform)?;
    if scope == Scope::SiteOnly {
        report_shared(site, &mut plan, |document| {
            document::storage_policy(document) == Some("encrypted")
                && !document
                    .get("data")
                    .is_some_and(envelope::is_encrypted_data)
        });
    }
    for (file, loaded) in site.documents() {
        let document = &loaded.value;
        if document::schema(document).is_some_and(kinds::is_secret_schema)
            && document::storage_policy(document) != Some("encrypted")
        {
            plan.warnings.push(format!(
                "{}:{}: {} is a secret kind but not storagePolicy: encrypted, so it stays in clear",
                file.display(),
                loaded.line,
                document::describe(document)
            ));
        }
    }
    Ok(plan)
}

/// Plans decryption of the site's encrypted documents with `identities`.
pub fn plan_decrypt(
    site: &LoadedSite,
    identities: &Identities,
    scope: Scope,
) -> Result<ChangePlan, SecretsError> {
    let transform = |file: &LoadedFile, line: u32, document: &Value| {
        let Some(clear) = decrypt_if_encrypted(file, line, document, identities)? else {
            return Ok(None);
        };
        Ok(Some((with_data(document, clear), Action::Decrypted)))
    };
    rewrite_site(site, scope, &transform)
}

/// Plans re-encryption of the site's encrypted documents for `recipients`.
pub fn plan_rekey(
    site: &LoadedSite,
    identities: &Identities,
    recipients: &Recipients,
    scope: Scope,
) -> Result<ChangePlan, SecretsError> {
    let transform = |file: &LoadedFile, line: u32, document: &Value| {
        let Some(clear) = decrypt_if_encrypted(file, line, document, identities)? else {
            return Ok(None);
        };
        let encrypted =
            envelope::encrypt_data(&clear, recipients).map_err(|source| SecretsError::Encrypt {
                document: document::describe(document),
                file: file.display(),
                line,
                source,
            })?;
        Ok(Some((with_data(document, encrypted), Action::Rekeyed)))
    };
    rewrite_site(site, scope, &transform)
}

/// The clear data of `document` if its data is encrypted, `None` if it is in clear.
fn decrypt_if_encrypted(
    file: &LoadedFile,
    line: u32,
    document: &Value,
    identities: &Identities,
) -> Result<Option<Value>, SecretsError> {
    match document
        .get("data")
        .filter(|data| envelope::is_encrypted_data(data))
    {
        Some(data) => decrypt_document(file, line, document, data, identities).map(Some),
        None => Ok(None),
    }
}

/// Decrypts one document's data, naming it in the error.
pub fn decrypt_document(
    file: &LoadedFile,
    line: u32,
    document: &Value,
    data: &Value,
    identities: &Identities,
) -> Result<Value, SecretsError> {
    envelope::decrypt_data(data, identities).map_err(|source: CryptError| SecretsError::Decrypt {
        document: document::describe(document),
        file: file.display(),
        line,
        source,
    })
}

/// `document` with `data` replaced.
pub fn with_data(document: &Value, data: Value) -> Value {
    let mut document = document.clone();
    if let Value::Object(map) = &mut document {
        map.insert("data".to_string(), data);
    }
    document
}

/// Applies `transform` to every document of the files in `scope`.
fn rewrite_site(
    site: &LoadedSite,
    scope: Scope,
    transform: &Transform<'_>,
) -> Result<ChangePlan, SecretsError> {
    let mut plan = ChangePlan::default();
    let in_scope = |file: &&LoadedFile| scope == Scope::WithShared || site.is_own_file(file);
    for file in site.files.iter().filter(in_scope) {
        let mut changed = false;
        let mut documents = Vec::with_capacity(file.documents.len());
        for loaded in &file.documents {
            match transform(file, loaded.line, &loaded.value)? {
                Some((new_document, action)) => {
                    if new_document != loaded.value {
                        changed = true;
                    }
                    plan.item(document::describe(&loaded.value), file.display(), action);
                    documents.push(new_document);
                }
                None => documents.push(loaded.value.clone()),
            }
        }
        if changed {
            plan.writes.push(PlannedWrite {
                path: file.source.path.clone(),
                display: file.display(),
                contents: file.render(&documents),
            });
        }
    }
    Ok(plan)
}

/// Reports documents of shared layers that match `wanted` as skipped.
fn report_shared(site: &LoadedSite, plan: &mut ChangePlan, wanted: impl Fn(&Value) -> bool) {
    for file in site.files.iter().filter(|file| !site.is_own_file(file)) {
        for loaded in &file.documents {
            if wanted(&loaded.value) {
                plan.item(
                    document::describe(&loaded.value),
                    file.display(),
                    Action::Skipped(
                        "shared layer (global/type), not rewritten for one site".into(),
                    ),
                );
                plan.warnings.push(format!(
                    "{}:{}: {} has storagePolicy encrypted but is not encrypted; it is in a layer shared with other sites, so it is left alone unless --include-shared is given",
                    file.display(),
                    loaded.line,
                    document::describe(&loaded.value)
                ));
            }
        }
    }
}
