//! [`AgeDecryptor`]: the document engine's [`Decryptor`] seam, implemented with age.

use aero_docs::decrypt::{DecryptError, Decryptor};
use serde_json::Value;

use crate::envelope::{self, CryptError};
use crate::keys::{IDENTITY_ENV, Identities};

/// Opens age-encrypted document data for the renderer, in memory only.
///
/// [`Decryptor::is_encrypted`] works without any identity, so lint and diff can tell
/// encrypted documents apart without the key.
#[derive(Debug, Default)]
pub struct AgeDecryptor {
    identities: Option<Identities>,
}

impl AgeDecryptor {
    /// A decryptor that can open data encrypted to one of `identities`.
    pub fn new(identities: Identities) -> Self {
        Self {
            identities: Some(identities),
        }
    }

    /// A decryptor with no identity: recognises encrypted data, cannot open it.
    pub fn without_identity() -> Self {
        Self { identities: None }
    }

    /// The loaded identities, if any.
    pub fn identities(&self) -> Option<&Identities> {
        self.identities.as_ref()
    }
}

impl Decryptor for AgeDecryptor {
    fn is_encrypted(&self, data: &Value) -> bool {
        envelope::is_encrypted_data(data)
    }

    fn decrypt(&self, document: &str, data: &Value) -> Result<Value, DecryptError> {
        let Some(identities) = &self.identities else {
            return Err(DecryptError(format!(
                "cannot decrypt {document}: no age identity loaded (give --identity FILE or set {IDENTITY_ENV})"
            )));
        };
        envelope::decrypt_data(data, identities).map_err(|error: CryptError| {
            DecryptError(format!("cannot decrypt {document}: {error}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{IdentitySource, Recipients, generate_identity};
    use serde_json::json;

    #[test]
    fn decrypts_with_identity_and_names_document_without() {
        let new = generate_identity(&[]);
        let identities = Identities::parse(&new.file_text, "t", IdentitySource::Env).unwrap();
        let recipients = Recipients::parse_list([new.public_key.as_str()], "t").unwrap();
        let encrypted = envelope::encrypt_data(&json!("pw-123456"), &recipients).unwrap();

        let keyless = AgeDecryptor::without_identity();
        assert!(keyless.is_encrypted(&encrypted));
        assert!(!keyless.is_encrypted(&json!("pw-123456")));
        let error = keyless
            .decrypt("deckhand/Passphrase/v1/db", &encrypted)
            .unwrap_err();
        assert!(error.0.contains("deckhand/Passphrase/v1/db"), "{error}");

        let decryptor = AgeDecryptor::new(identities);
        assert_eq!(
            decryptor
                .decrypt("deckhand/Passphrase/v1/db", &encrypted)
                .unwrap(),
            json!("pw-123456")
        );
        let other =
            Identities::parse(&generate_identity(&[]).file_text, "t", IdentitySource::Env).unwrap();
        let error = AgeDecryptor::new(other)
            .decrypt("deckhand/Passphrase/v1/db", &encrypted)
            .unwrap_err();
        assert!(
            error
                .0
                .starts_with("cannot decrypt deckhand/Passphrase/v1/db: no loaded identity"),
            "{error}"
        );
    }
}
