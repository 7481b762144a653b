//! `generate passphrases`: passphrases from Pegleg's `pegleg/PassphraseCatalog/v1`.
//!
//! The catalogue format and the generation rules are Pegleg's:
//!
//! ```yaml
//! schema: pegleg/PassphraseCatalog/v1
//! data:
//!   passphrases:
//!     - document_name: ipmi_admin_password   # required
//!       description: BMC admin password
//!       encrypted: true        # storagePolicy encrypted (default) or cleartext
//!       length: 32             # default 24; values below 24 are raised to 24, as Pegleg does
//!       type: passphrase       # passphrase (default) | base64 | uuid | hex (Aerostat)
//!       profile: default       # character pool, see Profile
//!       regenerable: true      # default true; uuid passphrases are never regenerated
//!       prompt: false          # true: entered by hand, never generated here
//! ```
//!
//! - `passphrase`: `length` characters drawn uniformly (CSPRNG) from the profile's pool,
//!   drawn again until every character class present in the pool (upper, lower, digit,
//!   punctuation) appears at least once;
//! - `base64`: such a passphrase, then base64-encoded (so `4 * ceil(length / 3)` characters);
//! - `uuid`: a random version 4 UUID;
//! - `hex` (an Aerostat extension, for keys such as a SIM's K and OPc): exactly `length`
//!   lower-case hexadecimal digits (no minimum: key sizes are exact).
//!
//! Each passphrase is written to `site/<site>/secrets/passphrases/<document_name>.yaml`
//! as a site-layer `deckhand/Passphrase/v1` document, encrypted at once when recipients
//! are known. Only missing passphrases are generated unless `regenerate` is set.

use std::path::PathBuf;

use base64::Engine;
use serde_json::{Value, json};

use crate::document;
use crate::envelope;
use crate::error::SecretsError;
use crate::keys::Recipients;
use crate::kinds;
use crate::plan::{Action, ChangePlan, PlannedWrite};
use crate::random;
use crate::site::{LoadedSite, render_file};

/// Schema of a passphrase catalogue.
pub const PASSPHRASE_CATALOG_SCHEMA: &str = "pegleg/PassphraseCatalog/v1";
/// Length used when the catalogue gives none, and the minimum (as in Pegleg).
pub const DEFAULT_LENGTH: usize = 24;
/// Longest passphrase generated.
pub const MAX_LENGTH: usize = 4096;

/// What kind of value a catalogue entry asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassphraseType {
    /// Random characters from a profile.
    Passphrase,
    /// Random characters, base64-encoded.
    Base64,
    /// A random UUID.
    Uuid,
    /// Exactly `length` lower-case hexadecimal digits (Aerostat extension).
    Hex,
}

/// Pegleg's character pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Letters, digits and `@#&-+=?`.
    Default,
    /// Letters and digits.
    Alphanumeric,
    /// Lower-case letters and digits.
    AlphanumericLower,
    /// Upper-case letters and digits.
    AlphanumericUpper,
    /// Letters, digits and all ASCII punctuation.
    All,
    /// `0-9a-f`.
    HexLower,
    /// `0-9A-F`.
    HexUpper,
}

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

impl Profile {
    /// Parses a profile name (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "default" => Profile::Default,
            "alphanumeric" => Profile::Alphanumeric,
            "alphanumeric_lower" => Profile::AlphanumericLower,
            "alphanumeric_upper" => Profile::AlphanumericUpper,
            "all" => Profile::All,
            "hex_lower" => Profile::HexLower,
            "hex_upper" => Profile::HexUpper,
            _ => return None,
        })
    }

    /// The characters of the pool.
    pub fn pool(self) -> String {
        match self {
            Profile::Default => format!("{LOWER}{UPPER}{DIGITS}@#&-+=?"),
            Profile::Alphanumeric => format!("{LOWER}{UPPER}{DIGITS}"),
            Profile::AlphanumericLower => format!("{LOWER}{DIGITS}"),
            Profile::AlphanumericUpper => format!("{UPPER}{DIGITS}"),
            Profile::All => format!("{LOWER}{UPPER}{DIGITS}{PUNCTUATION}"),
            Profile::HexLower => "abcdef0123456789".to_string(),
            Profile::HexUpper => "ABCDEF0123456789".to_string(),
        }
    }
}

/// One catalogue entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassphraseSpec {
    /// Name of the `deckhand/Passphrase/v1` document.
    pub document_name: String,
    /// Free text.
    pub description: String,
    /// Whether the document is `storagePolicy: encrypted`.
    pub encrypted: bool,
    /// Length asked for (before Pegleg's minimum of 24 applies).
    pub length: usize,
    /// Kind of value.
    pub kind: PassphraseType,
    /// Character pool.
    pub profile: Profile,
    /// Whether `--regenerate` may replace it.
    pub regenerable: bool,
    /// Whether it is to be entered by hand.
    pub prompt: bool,
}

/// Options of `generate passphrases`.
#[derive(Clone, Debug, Default)]
pub struct PassphraseOptions {
    /// Generate again the passphrases that exist (regenerable ones only).
    pub regenerate: bool,
    /// Recipients to encrypt to; `None` writes clear documents (with a warning).
    pub recipients: Option<Recipients>,
}

/// Every entry of every passphrase catalogue of the site.
pub fn read_catalogs(site: &LoadedSite) -> Result<Vec<PassphraseSpec>, SecretsError> {
    let mut specs: Vec<PassphraseSpec> = Vec::new();
    let mut found = false;
    for (file, loaded) in site.documents() {
        if document::schema(&loaded.value) != Some(PASSPHRASE_CATALOG_SCHEMA) {
            continue;
        }
        found = true;
        let catalog_name = document::name(&loaded.value).unwrap_or("?").to_string();
        let invalid = |reason: String| SecretsError::Catalog {
            catalog: PASSPHRASE_CATALOG_SCHEMA.to_string(),
            name: catalog_name.clone(),
            file: file.display(),
            line: loaded.line,
            reason,
        };
        let entries = loaded
            .value
            .get("data")
            .and_then(|data| data.get("passphrases"))
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("data.passphrases must be a list".into()))?;
        for (index, entry) in entries.iter().enumerate() {
            let spec = parse_entry(entry)
                .map_err(|reason| invalid(format!("passphrases[{index}]: {reason}")))?;
            if specs
                .iter()
                .any(|known| known.document_name == spec.document_name)
            {
                return Err(invalid(format!(
                    "passphrases[{index}]: document_name `{}` is listed twice",
                    spec.document_name
                )));
            }
            specs.push(spec);
        }
    }
    if !found {
        return Err(SecretsError::NoCatalog {
            schema: PASSPHRASE_CATALOG_SCHEMA.to_string(),
            site: site.name.clone(),
        });
    }
    Ok(specs)
}

fn parse_entry(entry: &Value) -> Result<PassphraseSpec, String> {
    let object = entry.as_object().ok_or("must be a mapping")?;
    let text = |key: &str| -> Result<Option<&str>, String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(format!("{key} must be a string")),
        }
    };
    let flag = |key: &str, default: bool| -> Result<bool, String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(value)) => Ok(*value),
            Some(_) => Err(format!("{key} must be true or false")),
        }
    };
    let document_name = text("document_name")?
        .filter(|name| !name.is_empty())
        .ok_or("document_name is required")?;
    if document_name.contains('/') || document_name.starts_with('.') {
        return Err(format!(
            "document_name `{document_name}` cannot be a file name"
        ));
    }
    let length = match object.get("length") {
        None | Some(Value::Null) => DEFAULT_LENGTH,
        Some(value) => value
            .as_u64()
            .and_then(|length| usize::try_from(length).ok())
            .filter(|length| (1..=MAX_LENGTH).contains(length))
            .ok_or_else(|| format!("length must be an integer from 1 to {MAX_LENGTH}"))?,
    };
    let kind = match text("type")?.map(str::to_ascii_lowercase).as_deref() {
        None | Some("passphrase") => PassphraseType::Passphrase,
        Some("base64") => PassphraseType::Base64,
        Some("uuid") => PassphraseType::Uuid,
        Some("hex") => PassphraseType::Hex,
        Some(other) => {
            return Err(format!(
                "type `{other}` is not one of passphrase, base64, uuid, hex"
            ));
        }
    };
    let profile_name = text("profile")?.unwrap_or("default");
    let profile = Profile::parse(profile_name).ok_or_else(|| {
        format!(
            "profile `{profile_name}` is not one of default, alphanumeric, alphanumeric_lower, alphanumeric_upper, all, hex_lower, hex_upper"
        )
    })?;
    Ok(PassphraseSpec {
        document_name: document_name.to_string(),
        description: text("description")?.unwrap_or_default().to_string(),
        encrypted: flag("encrypted", true)?,
        length,
        kind,
        profile,
        regenerable: flag("regenerable", true)? && kind != PassphraseType::Uuid,
        prompt: flag("prompt", false)?,
    })
}

/// A new value for `spec`.
pub fn generate_value(spec: &PassphraseSpec) -> Result<String, SecretsError> {
    match spec.kind {
        PassphraseType::Uuid => random::uuid_v4(),
        PassphraseType::Passphrase => random_string(spec.profile, spec.length.max(DEFAULT_LENGTH)),
        PassphraseType::Hex => random_hex(spec.length),
        PassphraseType::Base64 => {
            let raw = random_string(spec.profile, spec.length.max(DEFAULT_LENGTH))?;
            Ok(base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()))
        }
    }
}

/// `length` characters from `profile`, with every class of the pool present.
pub fn random_string(profile: Profile, length: usize) -> Result<String, SecretsError> {
    let pool: Vec<char> = profile.pool().chars().collect();
    let classes: Vec<&str> = [UPPER, LOWER, DIGITS, PUNCTUATION]
        .into_iter()
        .filter(|class| pool.iter().any(|character| class.contains(*character)))
        .collect();
    loop {
        let mut out = String::with_capacity(length);
        for _ in 0..length {
            out.push(pool[random::index(pool.len())?]);
        }
        let complete = length < classes.len()
            || classes
                .iter()
                .all(|class| out.chars().any(|character| class.contains(character)));
        if complete {
            return Ok(out);
        }
    }
}

/// `length` lower-case hexadecimal digits, uniformly random (no class rule: a key).
pub fn random_hex(length: usize) -> Result<String, SecretsError> {
    let mut bytes = vec![0u8; length.div_ceil(2)];
    random::fill(&mut bytes)?;
    let mut out: String = hex::encode(&bytes);
    out.truncate(length);
    Ok(out)
}

/// Where a passphrase document is written.
pub fn passphrase_path(site: &LoadedSite, document_name: &str) -> PathBuf {
    site.site_dir()
        .join("secrets")
        .join("passphrases")
        .join(format!("{document_name}.yaml"))
}

/// Plans `generate passphrases`.
pub fn plan_passphrases(
    site: &LoadedSite,
    options: &PassphraseOptions,
) -> Result<ChangePlan, SecretsError> {
    let specs = read_catalogs(site)?;
    let mut plan = ChangePlan::default();
    for spec in &specs {
        let described = format!("{}/{}", kinds::PASSPHRASE, spec.document_name);
        let target = passphrase_path(site, &spec.document_name);
        let target_display = format!(
            "{}/{}{}",
            site.site_repo.name,
            site.site_prefix(),
            format_args!("secrets/passphrases/{}.yaml", spec.document_name)
        );
        let existing = site.find(kinds::PASSPHRASE, &spec.document_name);
        let exists = existing.is_some() || target.exists();
        if spec.prompt && !exists {
            plan.item(
                described.clone(),
                target_display.clone(),
                Action::Skipped("prompt: true, enter it by hand".into()),
            );
            continue;
        }
        let action = match (exists, options.regenerate) {
            (false, _) => Action::Generated,
            (true, false) => {
                let file = existing
                    .map(|(file, _)| file.display())
                    .unwrap_or(target_display.clone());
                plan.item(described.clone(), file, Action::Kept);
                continue;
            }
            (true, true) => {
                if let Some((file, _)) = existing
                    && file.source.path != target
                {
                    plan.item(
                        described.clone(),
                        file.display(),
                        Action::Skipped("not in the generated file; regenerate it by hand".into()),
                    );
                    continue;
                }
                if !spec.regenerable || spec.prompt {
                    plan.item(
                        described.clone(),
                        target_display.clone(),
                        Action::Skipped("not regenerable".into()),
                    );
                    continue;
                }
                Action::Regenerated
            }
        };
        let value = generate_value(spec)?;
        let mut data = json!(value);
        if spec.encrypted
            && let Some(recipients) = &options.recipients
        {
            data = envelope::encrypt_data(&data, recipients).map_err(|source| {
                SecretsError::Encrypt {
                    document: described.clone(),
                    file: target_display.clone(),
                    line: 1,
                    source,
                }
            })?;
        }
        let new_document =
            document::new_document(kinds::PASSPHRASE, &spec.document_name, spec.encrypted, data);
        let mut header = String::from("# Generated by `aero secrets generate passphrases`");
        if !spec.description.is_empty() {
            header.push_str(&format!(": {}", spec.description.replace('\n', " ")));
        }
        header.push('\n');
        plan.writes.push(PlannedWrite {
            path: target,
            display: target_display.clone(),
            contents: render_file(&header, &[new_document]),
        });
        plan.item(described, target_display, action);
    }
    if options.recipients.is_none() && specs.iter().any(|spec| spec.encrypted) && !plan.is_empty() {
        plan.warnings.push(format!(
            "no age recipients for site `{}`: passphrases were written in clear; run `aero secrets encrypt {}` once recipients are set",
            site.name, site.name
        ));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(entry: Value) -> PassphraseSpec {
        parse_entry(&entry).unwrap()
    }

    #[test]
    fn entry_defaults_follow_pegleg() {
        let parsed = spec(json!({"document_name": "db"}));
        assert_eq!(parsed.length, 24);
        assert_eq!(parsed.kind, PassphraseType::Passphrase);
        assert_eq!(parsed.profile, Profile::Default);
        assert!(parsed.encrypted && parsed.regenerable && !parsed.prompt);
        let uuid = spec(json!({"document_name": "id", "type": "UUID", "regenerable": true}));
        assert!(!uuid.regenerable, "uuids are never regenerated");
        assert!(!spec(json!({"document_name": "x", "encrypted": false})).encrypted);
    }

    #[test]
    fn bad_entries_are_explained() {
        for (entry, expected) in [
            (json!({"length": 3}), "document_name is required"),
            (
                json!({"document_name": "x", "type": "hexadecimal"}),
                "type `hexadecimal`",
            ),
            (
                json!({"document_name": "x", "length": "9"}),
                "length must be",
            ),
            (
                json!({"document_name": "x", "profile": "emoji"}),
                "profile `emoji`",
            ),
            (json!({"document_name": "../x"}), "cannot be a file name"),
        ] {
            let error = parse_entry(&entry).unwrap_err();
            assert!(error.contains(expected), "{error}");
        }
    }

    #[test]
    fn values_respect_length_type_and_classes() {
        let long = generate_value(&spec(json!({"document_name": "a", "length": 40}))).unwrap();
        assert_eq!(long.chars().count(), 40);
        let pool = Profile::Default.pool();
        assert!(long.chars().all(|character| pool.contains(character)));
        for class in [UPPER, LOWER, DIGITS] {
            assert!(
                long.chars().any(|character| class.contains(character)),
                "{class}"
            );
        }
        assert!(long.chars().any(|character| "@#&-+=?".contains(character)));

        let short = generate_value(&spec(json!({"document_name": "a", "length": 8}))).unwrap();
        assert_eq!(short.len(), 24, "Pegleg raises lengths below 24");

        let hex = generate_value(&spec(
            json!({"document_name": "a", "length": 32, "profile": "hex_lower"}),
        ))
        .unwrap();
        assert!(
            hex.chars()
                .all(|character| "0123456789abcdef".contains(character))
        );

        let encoded = generate_value(&spec(
            json!({"document_name": "a", "length": 30, "type": "base64"}),
        ))
        .unwrap();
        assert_eq!(encoded.len(), 40);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&encoded)
            .unwrap();
        assert_eq!(decoded.len(), 30);

        let key = generate_value(&spec(
            json!({"document_name": "k", "type": "hex", "length": 32}),
        ))
        .unwrap();
        assert_eq!(key.len(), 32, "hex keeps the exact length");
        assert_eq!(random_hex(7).unwrap().len(), 7);
        assert!(
            key.chars()
                .all(|character| "0123456789abcdef".contains(character))
        );

        let uuid = generate_value(&spec(json!({"document_name": "a", "type": "uuid"}))).unwrap();
        assert_eq!(uuid.len(), 36);
    }
}
