//! The encrypted form of a document's data.
//!
//! An encrypted document keeps `schema` and `metadata` in clear; its `data` becomes a
//! mapping with the single key [`ENCRYPTED_KEY`]:
//!
//! ```yaml
//! data:
//!   aerostat.io/encrypted:
//!     scheme: age                # only scheme so far
//!     version: 1                 # of this envelope format
//!     recipients:                # public keys it was encrypted to (informational)
//!       - age1...
//!     ciphertext: |              # ASCII-armored age file
//!       -----BEGIN AGE ENCRYPTED FILE-----
//!       ...
//!       -----END AGE ENCRYPTED FILE-----
//! ```
//!
//! The plaintext inside the age file is the compact JSON serialisation of the original
//! `data` value (a string for the seven secret kinds, any JSON value otherwise), so
//! decryption gives back exactly the value that was encrypted.

use std::io::{Read, Write};

use serde_json::{Map, Value, json};

use crate::keys::{Identities, Recipients};

/// The single key of an encrypted `data` mapping.
pub const ENCRYPTED_KEY: &str = "aerostat.io/encrypted";
/// The `scheme` of age-encrypted data.
pub const SCHEME_AGE: &str = "age";
/// The envelope format version written.
pub const ENVELOPE_VERSION: u64 = 1;

/// Why data could not be encrypted or decrypted. Messages never hold secret material.
#[derive(Debug, thiserror::Error)]
pub enum CryptError {
    /// The data is not in the encrypted form.
    #[error("data is not encrypted")]
    NotEncrypted,
    /// The envelope is missing a field or has a wrong type.
    #[error("malformed encrypted data: {0}")]
    Malformed(String),
    /// The envelope names a scheme or version this build does not know.
    #[error("unsupported encryption {0}")]
    Unsupported(String),
    /// None of the identities can open the data.
    #[error(
        "no loaded identity can decrypt it (identities: {}; encrypted for: {})",
        list(identities),
        list(recipients)
    )]
    WrongKey {
        /// Public keys of the loaded identities.
        identities: Vec<String>,
        /// Recipients recorded in the envelope.
        recipients: Vec<String>,
    },
    /// The ciphertext is damaged.
    #[error("ciphertext is corrupt ({0})")]
    Corrupt(String),
    /// age refused to encrypt.
    #[error("age encryption failed ({0})")]
    Encrypt(String),
}

fn list(keys: &[String]) -> String {
    if keys.is_empty() {
        "none".to_string()
    } else {
        keys.join(", ")
    }
}

/// The parsed envelope of encrypted data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Encryption scheme (`age`).
    pub scheme: String,
    /// Envelope format version.
    pub version: u64,
    /// Recipients recorded at encryption time.
    pub recipients: Vec<String>,
    /// The armored ciphertext.
    pub ciphertext: String,
}

/// Whether `data` is in the encrypted form (a mapping whose only key is [`ENCRYPTED_KEY`]).
pub fn is_encrypted_data(data: &Value) -> bool {
    match data {
        Value::Object(map) => map.len() == 1 && map.contains_key(ENCRYPTED_KEY),
        _ => false,
    }
}

impl Envelope {
    /// Reads the envelope of encrypted `data`.
    pub fn parse(data: &Value) -> Result<Self, CryptError> {
        if !is_encrypted_data(data) {
            return Err(CryptError::NotEncrypted);
        }
        let inner = data
            .get(ENCRYPTED_KEY)
            .and_then(Value::as_object)
            .ok_or_else(|| CryptError::Malformed(format!("{ENCRYPTED_KEY} must be a mapping")))?;
        let field = |name: &str| {
            inner
                .get(name)
                .ok_or_else(|| CryptError::Malformed(format!("{ENCRYPTED_KEY}.{name} is missing")))
        };
        let scheme = field("scheme")?
            .as_str()
            .ok_or_else(|| CryptError::Malformed("scheme must be a string".into()))?
            .to_string();
        let version = field("version")?
            .as_u64()
            .ok_or_else(|| CryptError::Malformed("version must be an integer".into()))?;
        let ciphertext = field("ciphertext")?
            .as_str()
            .ok_or_else(|| CryptError::Malformed("ciphertext must be a string".into()))?
            .to_string();
        let recipients = match inner.get("recipients") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(_) => {
                return Err(CryptError::Malformed("recipients must be a list".into()));
            }
        };
        if scheme != SCHEME_AGE || version != ENVELOPE_VERSION {
            return Err(CryptError::Unsupported(format!(
                "scheme `{scheme}` version {version} (this build reads `{SCHEME_AGE}` version {ENVELOPE_VERSION})"
            )));
        }
        Ok(Self {
            scheme,
            version,
            recipients,
            ciphertext,
        })
    }

    /// The envelope as a document's `data` value.
    pub fn to_data(&self) -> Value {
        let mut inner = Map::new();
        inner.insert("scheme".into(), json!(self.scheme));
        inner.insert("version".into(), json!(self.version));
        inner.insert("recipients".into(), json!(self.recipients));
        inner.insert("ciphertext".into(), json!(self.ciphertext));
        let mut outer = Map::new();
        outer.insert(ENCRYPTED_KEY.into(), Value::Object(inner));
        Value::Object(outer)
    }
}

/// Encrypts `data` for `recipients`, giving the encrypted `data` value.
pub fn encrypt_data(data: &Value, recipients: &Recipients) -> Result<Value, CryptError> {
    let plaintext =
        serde_json::to_vec(data).map_err(|error| CryptError::Encrypt(error.to_string()))?;
    let ciphertext = encrypt_bytes(&plaintext, recipients)?;
    Ok(Envelope {
        scheme: SCHEME_AGE.to_string(),
        version: ENVELOPE_VERSION,
        recipients: recipients.to_strings(),
        ciphertext,
    }
    .to_data())
}

/// Decrypts encrypted `data` with `identities`, giving the original `data` value.
pub fn decrypt_data(data: &Value, identities: &Identities) -> Result<Value, CryptError> {
    let envelope = Envelope::parse(data)?;
    let plaintext = decrypt_bytes(&envelope, identities)?;
    serde_json::from_slice(&plaintext)
        .map_err(|_| CryptError::Corrupt("decrypted text is not the JSON of a data value".into()))
}

fn encrypt_bytes(plaintext: &[u8], recipients: &Recipients) -> Result<String, CryptError> {
    let encrypt_error = |error: &dyn std::fmt::Display| CryptError::Encrypt(error.to_string());
    let encryptor = age::Encryptor::with_recipients(recipients.as_age())
        .map_err(|error| encrypt_error(&error))?;
    let mut output = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut output, age::armor::Format::AsciiArmor)
        .map_err(|error| encrypt_error(&error))?;
    let mut writer = encryptor
        .wrap_output(armor)
        .map_err(|error| encrypt_error(&error))?;
    writer
        .write_all(plaintext)
        .map_err(|error| encrypt_error(&error))?;
    writer
        .finish()
        .and_then(|armor| armor.finish())
        .map_err(|error| encrypt_error(&error))?;
    String::from_utf8(output).map_err(|error| encrypt_error(&error))
}

fn decrypt_bytes(envelope: &Envelope, identities: &Identities) -> Result<Vec<u8>, CryptError> {
    let reader = age::armor::ArmoredReader::new(envelope.ciphertext.as_bytes());
    let decryptor =
        age::Decryptor::new(reader).map_err(|error| CryptError::Corrupt(error.to_string()))?;
    let mut stream = decryptor
        .decrypt(identities.as_age())
        .map_err(|error| match error {
            age::DecryptError::NoMatchingKeys => CryptError::WrongKey {
                identities: identities.public_keys(),
                recipients: envelope.recipients.clone(),
            },
            other => CryptError::Corrupt(other.to_string()),
        })?;
    let mut plaintext = Vec::new();
    stream
        .read_to_end(&mut plaintext)
        .map_err(|error| CryptError::Corrupt(error.to_string()))?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{IdentitySource, generate_identity};

    fn keypair() -> (Identities, Recipients) {
        let new = generate_identity(&[]);
        let identities = Identities::parse(&new.file_text, "test", IdentitySource::Env).unwrap();
        let recipients = Recipients::parse_list([new.public_key.as_str()], "test").unwrap();
        (identities, recipients)
    }

    #[test]
    fn round_trip_keeps_any_value() {
        let (identities, recipients) = keypair();
        for data in [
            json!("s3cr3t-passphrase"),
            json!({"password": "x", "port": 5432, "nested": [true, null, 1.5]}),
            json!("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"),
        ] {
            let encrypted = encrypt_data(&data, &recipients).unwrap();
            assert!(is_encrypted_data(&encrypted));
            let text = serde_json::to_string(&encrypted).unwrap();
            assert!(text.contains("BEGIN AGE ENCRYPTED FILE"));
            assert!(!text.contains("s3cr3t"));
            assert_eq!(decrypt_data(&encrypted, &identities).unwrap(), data);
        }
    }

    #[test]
    fn wrong_key_lists_both_sides() {
        let (_, recipients) = keypair();
        let (other, _) = keypair();
        let encrypted = encrypt_data(&json!("x"), &recipients).unwrap();
        let error = decrypt_data(&encrypted, &other).unwrap_err();
        assert!(matches!(error, CryptError::WrongKey { .. }));
        let message = error.to_string();
        assert!(message.contains(&other.public_keys()[0]), "{message}");
        assert!(message.contains(&recipients.to_strings()[0]), "{message}");
    }

    #[test]
    fn malformed_envelopes_are_rejected() {
        let (identities, _) = keypair();
        assert!(!is_encrypted_data(
            &json!({"aerostat.io/encrypted": {}, "x": 1})
        ));
        assert!(!is_encrypted_data(&json!("plain")));
        let missing = json!({"aerostat.io/encrypted": {"scheme": "age", "version": 1}});
        assert!(matches!(
            decrypt_data(&missing, &identities).unwrap_err(),
            CryptError::Malformed(_)
        ));
        let future =
            json!({"aerostat.io/encrypted": {"scheme": "age", "version": 2, "ciphertext": ""}});
        assert!(matches!(
            decrypt_data(&future, &identities).unwrap_err(),
            CryptError::Unsupported(_)
        ));
        let garbage =
            json!({"aerostat.io/encrypted": {"scheme": "age", "version": 1, "ciphertext": "nope"}});
        assert!(matches!(
            decrypt_data(&garbage, &identities).unwrap_err(),
            CryptError::Corrupt(_)
        ));
    }
}
