//! The secret document kinds, as schemas to write new documents with.
//!
//! Which kinds hold secret data is decided in one place, the document engine's
//! [`aero_docs::secret_kinds`]; this module only names the schemas that generation and
//! import write (version 1 of each kind) and adds the whole-document test used on files
//! being rewritten.

use serde_json::Value;

use crate::document;
use aero_docs::secret_kinds;

/// `deckhand/Passphrase/v1`: a password or token.
pub const PASSPHRASE: &str = secret_kinds::PASSPHRASE.schema;
/// `deckhand/CertificateAuthority/v1`: a CA certificate (PEM).
pub const CERTIFICATE_AUTHORITY: &str = secret_kinds::CERTIFICATE_AUTHORITY.schema;
/// `deckhand/CertificateAuthorityKey/v1`: a CA private key (PEM).
pub const CERTIFICATE_AUTHORITY_KEY: &str = secret_kinds::CERTIFICATE_AUTHORITY_KEY.schema;
/// `deckhand/Certificate/v1`: a certificate (PEM).
pub const CERTIFICATE: &str = secret_kinds::CERTIFICATE.schema;
/// `deckhand/CertificateKey/v1`: a certificate's private key (PEM).
pub const CERTIFICATE_KEY: &str = secret_kinds::CERTIFICATE_KEY.schema;
/// `deckhand/PrivateKey/v1`: the private half of a key pair (PEM).
pub const PRIVATE_KEY: &str = secret_kinds::PRIVATE_KEY.schema;
/// `deckhand/PublicKey/v1`: the public half of a key pair (PEM).
pub const PUBLIC_KEY: &str = secret_kinds::PUBLIC_KEY.schema;

pub use aero_docs::secret_kinds::is_secret_schema;

/// Whether a whole document (`schema`, `metadata`, `data`) holds secret data: a secret
/// schema, or `metadata.storagePolicy: encrypted`.
pub fn is_secret_document(document: &Value) -> bool {
    document::schema(document).is_some_and(is_secret_schema)
        || document::storage_policy(document) == Some("encrypted")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn storage_policy_makes_any_document_secret() {
        let certificate = json!({"schema": CERTIFICATE, "metadata": {"name": "c"}, "data": "pem"});
        assert!(!is_secret_document(&certificate));
        let encrypted = json!({
            "schema": "armada/Chart/v1",
            "metadata": {"name": "c", "storagePolicy": "encrypted"},
            "data": {}
        });
        assert!(is_secret_document(&encrypted));
        let passphrase = json!({"schema": PASSPHRASE, "metadata": {"name": "p"}, "data": "x"});
        assert!(is_secret_document(&passphrase));
        let newer =
            json!({"schema": "deckhand/Passphrase/v2", "metadata": {"name": "p"}, "data": "x"});
        assert!(is_secret_document(&newer), "any version of a secret kind");
    }
}
