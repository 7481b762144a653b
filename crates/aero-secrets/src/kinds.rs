//! The secret document kinds and which of them hold secret data.
//!
//! All seven kinds are Deckhand's built-ins; their `data` is a string (a passphrase or
//! a PEM block). Certificates, certificate authorities and public keys are not secret;
//! passphrases and private keys are. A document of any kind is also secret when its
//! `metadata.storagePolicy` is `encrypted`: that rule is applied by callers (see
//! [`is_secret_document`]).

use serde_json::Value;

use crate::document;

/// `deckhand/Passphrase/v1`: a password or token.
pub const PASSPHRASE: &str = "deckhand/Passphrase/v1";
/// `deckhand/CertificateAuthority/v1`: a CA certificate (PEM).
pub const CERTIFICATE_AUTHORITY: &str = "deckhand/CertificateAuthority/v1";
/// `deckhand/CertificateAuthorityKey/v1`: a CA private key (PEM).
pub const CERTIFICATE_AUTHORITY_KEY: &str = "deckhand/CertificateAuthorityKey/v1";
/// `deckhand/Certificate/v1`: a certificate (PEM).
pub const CERTIFICATE: &str = "deckhand/Certificate/v1";
/// `deckhand/CertificateKey/v1`: a certificate's private key (PEM).
pub const CERTIFICATE_KEY: &str = "deckhand/CertificateKey/v1";
/// `deckhand/PrivateKey/v1`: the private half of a key pair (PEM).
pub const PRIVATE_KEY: &str = "deckhand/PrivateKey/v1";
/// `deckhand/PublicKey/v1`: the public half of a key pair (PEM).
pub const PUBLIC_KEY: &str = "deckhand/PublicKey/v1";

/// Every secret document kind, secret or not.
pub const ALL: [&str; 7] = [
    PASSPHRASE,
    CERTIFICATE_AUTHORITY,
    CERTIFICATE_AUTHORITY_KEY,
    CERTIFICATE,
    CERTIFICATE_KEY,
    PRIVATE_KEY,
    PUBLIC_KEY,
];

/// Whether documents of `schema` hold secret data whatever their storage policy:
/// Passphrase, PrivateKey, CertificateKey and CertificateAuthorityKey.
pub fn is_secret_schema(schema: &str) -> bool {
    matches!(
        schema,
        PASSPHRASE | PRIVATE_KEY | CERTIFICATE_KEY | CERTIFICATE_AUTHORITY_KEY
    )
}

/// Whether `schema` is one of the seven kinds of [`ALL`].
pub fn is_secret_kind(schema: &str) -> bool {
    ALL.contains(&schema)
}

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
    fn secret_schemas_are_the_four_private_kinds() {
        let secret: Vec<&str> = ALL
            .iter()
            .copied()
            .filter(|schema| is_secret_schema(schema))
            .collect();
        assert_eq!(
            secret,
            [
                PASSPHRASE,
                CERTIFICATE_AUTHORITY_KEY,
                CERTIFICATE_KEY,
                PRIVATE_KEY
            ]
        );
        assert!(!is_secret_schema("deckhand/Certificate/v2"));
    }

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
    }
}
