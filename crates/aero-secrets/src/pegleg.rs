//! `import-pegleg`: Pegleg's managed (and Fernet-encrypted) secret documents to
//! Aerostat's form.
//!
//! Pegleg wraps each secret in a `pegleg/PeglegManagedDocument/v1`:
//!
//! ```yaml
//! schema: pegleg/PeglegManagedDocument/v1
//! metadata: {name: ..., storagePolicy: cleartext, ...}
//! data:
//!   managedDocument:           # the original document
//!     schema: deckhand/Passphrase/v1
//!     metadata: {name: ..., storagePolicy: encrypted, ...}
//!     data: !!binary |         # when encrypted: base64 of the Fernet token
//!       Z0FBQUFB...
//!   encrypted: {at: ..., by: ...}   # present when managedDocument.data is encrypted
//!   generated: {at: ..., by: ..., specifiedBy: ...}   # optional provenance
//! ```
//!
//! PyYAML wrote the token (bytes) as `!!binary`, which `aero_yaml` loads as its base64
//! text; a token stored as a plain string (`gAAAAA...`) is accepted too. The Fernet key is
//! derived from `PEGLEG_PASSPHRASE` (at least 24 characters) and `PEGLEG_SALT`
//! ([`crate::fernet::pegleg_key`]); the plaintext is the original string data.
//!
//! Import replaces each managed document by its original document (decrypted), then
//! encrypts it with age when its storage policy is `encrypted` and recipients are known.
//! Other documents of the same files are kept.

use std::fmt;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::document;
use crate::envelope;
use crate::error::SecretsError;
use crate::fernet::{FernetKey, pegleg_key};
use crate::keys::Recipients;
use crate::plan::{Action, ChangePlan, PlannedWrite};
use crate::site::{LoadedFile, LoadedSite, leading_comments, parse_documents};

/// Schema of Pegleg's wrapper documents.
pub const MANAGED_SCHEMA: &str = "pegleg/PeglegManagedDocument/v1";
/// Environment variable with Pegleg's passphrase.
pub const PASSPHRASE_ENV: &str = "PEGLEG_PASSPHRASE";
/// Environment variable with Pegleg's salt.
pub const SALT_ENV: &str = "PEGLEG_SALT";
/// Pegleg's minimum passphrase length.
pub const MIN_PASSPHRASE_LEN: usize = 24;

/// The key that opens Pegleg's encrypted documents. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct PeglegCredentials {
    key: FernetKey,
}

impl fmt::Debug for PeglegCredentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("PeglegCredentials(..)")
    }
}

impl PeglegCredentials {
    /// Derives the key from a passphrase and salt, with Pegleg's checks.
    pub fn new(passphrase: &str, salt: &str) -> Result<Self, SecretsError> {
        if passphrase.chars().count() < MIN_PASSPHRASE_LEN {
            return Err(SecretsError::PeglegKey(format!(
                "{PASSPHRASE_ENV} must be at least {MIN_PASSPHRASE_LEN} characters long"
            )));
        }
        if salt.is_empty() {
            return Err(SecretsError::PeglegKey(format!(
                "{SALT_ENV} must not be empty"
            )));
        }
        Ok(Self {
            key: pegleg_key(passphrase.as_bytes(), salt.as_bytes()),
        })
    }

    /// From `PEGLEG_PASSPHRASE` and `PEGLEG_SALT`; `None` when neither is set.
    pub fn from_env() -> Result<Option<Self>, SecretsError> {
        let passphrase = std::env::var(PASSPHRASE_ENV).ok();
        let salt = std::env::var(SALT_ENV).ok();
        match (passphrase, salt) {
            (None, None) => Ok(None),
            (Some(passphrase), Some(salt)) => Self::new(&passphrase, &salt).map(Some),
            _ => Err(SecretsError::PeglegKey(format!(
                "set both {PASSPHRASE_ENV} and {SALT_ENV}"
            ))),
        }
    }
}

/// Options of `import-pegleg`.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Key for encrypted managed documents.
    pub credentials: Option<PeglegCredentials>,
    /// Recipients to encrypt imported `storagePolicy: encrypted` documents to.
    pub recipients: Option<Recipients>,
    /// Files or folders to convert instead of the site's own files.
    pub paths: Vec<PathBuf>,
}

/// The original document inside a managed document, decrypted.
pub fn unwrap_managed(
    managed: &Value,
    credentials: Option<&PeglegCredentials>,
) -> Result<Value, String> {
    let data = managed
        .get("data")
        .and_then(Value::as_object)
        .ok_or("data must be a mapping")?;
    let mut original = data
        .get("managedDocument")
        .filter(|original| original.is_object())
        .cloned()
        .ok_or("data.managedDocument is missing")?;
    if !data.contains_key("encrypted") {
        return Ok(original);
    }
    let credentials = credentials.ok_or_else(|| {
        format!("it is encrypted: set {PASSPHRASE_ENV} and {SALT_ENV} to the values Pegleg used")
    })?;
    let stored = original
        .get("data")
        .and_then(Value::as_str)
        .ok_or("encrypted data.managedDocument.data must be the token text")?;
    let token = token_text(stored)?;
    let plaintext = credentials
        .key
        .decrypt(&token)
        .map_err(|error| error.to_string())?;
    let clear = String::from_utf8(plaintext).map_err(|_| "decrypted data is not UTF-8 text")?;
    if let Value::Object(map) = &mut original {
        map.insert("data".to_string(), Value::String(clear));
    }
    Ok(original)
}

/// The Fernet token from the stored text: the token itself, or base64 of it (`!!binary`).
fn token_text(stored: &str) -> Result<String, String> {
    let compact: String = stored
        .chars()
        .filter(|character| !character.is_whitespace())
        .collect();
    if compact.starts_with("gAAAAA") {
        return Ok(compact);
    }
    let bytes = STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| "data.managedDocument.data is neither a Fernet token nor base64 of one")?;
    String::from_utf8(bytes)
        .map_err(|_| "data.managedDocument.data does not hold a Fernet token".to_string())
}

/// Plans `import-pegleg`.
pub fn plan_import(site: &LoadedSite, options: &ImportOptions) -> Result<ChangePlan, SecretsError> {
    let mut plan = ChangePlan::default();
    let files: Vec<LoadedFile> = if options.paths.is_empty() {
        for file in site.files.iter().filter(|file| !site.is_own_file(file)) {
            for loaded in &file.documents {
                if document::schema(&loaded.value) == Some(MANAGED_SCHEMA) {
                    plan.item(
                        document::describe(&loaded.value),
                        file.display(),
                        Action::Skipped("shared layer; convert it with --path".into()),
                    );
                }
            }
        }
        site.files
            .iter()
            .filter(|file| site.is_own_file(file))
            .cloned()
            .collect()
    } else {
        load_paths(&options.paths)?
    };
    for file in &files {
        let mut changed = false;
        let mut documents = Vec::with_capacity(file.documents.len());
        for loaded in &file.documents {
            if document::schema(&loaded.value) != Some(MANAGED_SCHEMA) {
                documents.push(loaded.value.clone());
                continue;
            }
            let import_error = |reason: String| SecretsError::Import {
                document: document::describe(&loaded.value),
                file: file.display(),
                line: loaded.line,
                reason,
            };
            let mut original = unwrap_managed(&loaded.value, options.credentials.as_ref())
                .map_err(import_error)?;
            if document::storage_policy(&original) == Some("encrypted")
                && let Some(recipients) = &options.recipients
            {
                let data = original.get("data").cloned().unwrap_or(Value::Null);
                let encrypted = envelope::encrypt_data(&data, recipients).map_err(|source| {
                    SecretsError::Encrypt {
                        document: document::describe(&original),
                        file: file.display(),
                        line: loaded.line,
                        source,
                    }
                })?;
                original = crate::crypt::with_data(&original, encrypted);
            }
            plan.item(
                document::describe(&original),
                file.display(),
                Action::Imported,
            );
            documents.push(original);
            changed = true;
        }
        if changed {
            plan.writes.push(PlannedWrite {
                path: file.source.path.clone(),
                display: file.display(),
                contents: file.render(&documents),
            });
        }
    }
    if options.recipients.is_none() && plan.count(&Action::Imported) > 0 {
        plan.warnings.push(format!(
            "no age recipients for site `{}`: imported secrets were written in clear; run `aero secrets encrypt {}` once recipients are set",
            site.name, site.name
        ));
    }
    Ok(plan)
}

fn load_paths(paths: &[PathBuf]) -> Result<Vec<LoadedFile>, SecretsError> {
    let sources = aero_docs::collect::collect_paths(paths)?;
    let mut files = Vec::new();
    for (_, source) in sources.iter() {
        let documents = parse_documents(&source.text, &source.display_name())?;
        files.push(LoadedFile {
            header: leading_comments(&source.text),
            source: source.clone(),
            documents,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_passphrase_and_lone_salt_are_refused() {
        assert!(PeglegCredentials::new("short", "salt").is_err());
        assert!(PeglegCredentials::new("a-passphrase-of-24-chars", "").is_err());
        let credentials = PeglegCredentials::new("a-passphrase-of-24-chars", "salt").unwrap();
        assert_eq!(format!("{credentials:?}"), "PeglegCredentials(..)");
    }

    #[test]
    fn cleartext_managed_documents_unwrap_without_a_key() {
        let managed = json!({
            "schema": MANAGED_SCHEMA,
            "metadata": {"name": "x"},
            "data": {"managedDocument": {"schema": "deckhand/Certificate/v1", "metadata": {"name": "x"}, "data": "PEM"}}
        });
        let original = unwrap_managed(&managed, None).unwrap();
        assert_eq!(original["schema"], "deckhand/Certificate/v1");
        assert_eq!(original["data"], "PEM");
        let encrypted =
            json!({"data": {"managedDocument": {"data": "gAAAAA"}, "encrypted": {"at": "now"}}});
        assert!(
            unwrap_managed(&encrypted, None)
                .unwrap_err()
                .contains(PASSPHRASE_ENV)
        );
    }
}
