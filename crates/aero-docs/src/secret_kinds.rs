//! The one list of secret document kinds, read by every crate that must know which
//! documents hold secrets (rendering, lint, encryption at rest, output redaction).
//!
//! Deckhand has seven built-in kinds for secret material. Four of them hold secret data
//! by nature (passphrases and private keys) whatever their `storagePolicy`; the other
//! three (certificates, CA certificates, public keys) are public, and secret only when
//! stored encrypted. Kinds are matched by `ns/Kind` with any version, as Deckhand's
//! DataSchema matching does, so a future `deckhand/Passphrase/v2` is still secret.

/// One of Deckhand's secret document kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretKind {
    /// `ns/Kind`, e.g. `deckhand/Passphrase`.
    pub prefix: &'static str,
    /// The schema new documents of this kind are written with.
    pub schema: &'static str,
    /// Whether the data is secret whatever the storage policy.
    pub secret_data: bool,
}

/// `deckhand/Passphrase`: a password or token.
pub const PASSPHRASE: SecretKind = kind("deckhand/Passphrase", "deckhand/Passphrase/v1", true);
/// `deckhand/CertificateAuthority`: a CA certificate (PEM).
pub const CERTIFICATE_AUTHORITY: SecretKind = kind(
    "deckhand/CertificateAuthority",
    "deckhand/CertificateAuthority/v1",
    false,
);
/// `deckhand/CertificateAuthorityKey`: a CA private key (PEM).
pub const CERTIFICATE_AUTHORITY_KEY: SecretKind = kind(
    "deckhand/CertificateAuthorityKey",
    "deckhand/CertificateAuthorityKey/v1",
    true,
);
/// `deckhand/Certificate`: a certificate (PEM).
pub const CERTIFICATE: SecretKind = kind("deckhand/Certificate", "deckhand/Certificate/v1", false);
/// `deckhand/CertificateKey`: a certificate's private key (PEM).
pub const CERTIFICATE_KEY: SecretKind = kind(
    "deckhand/CertificateKey",
    "deckhand/CertificateKey/v1",
    true,
);
/// `deckhand/PrivateKey`: the private half of a key pair (PEM).
pub const PRIVATE_KEY: SecretKind = kind("deckhand/PrivateKey", "deckhand/PrivateKey/v1", true);
/// `deckhand/PublicKey`: the public half of a key pair (PEM).
pub const PUBLIC_KEY: SecretKind = kind("deckhand/PublicKey", "deckhand/PublicKey/v1", false);

/// Every secret document kind, secret data or not.
pub const ALL: [SecretKind; 7] = [
    PASSPHRASE,
    CERTIFICATE_AUTHORITY,
    CERTIFICATE_AUTHORITY_KEY,
    CERTIFICATE,
    CERTIFICATE_KEY,
    PRIVATE_KEY,
    PUBLIC_KEY,
];

const fn kind(prefix: &'static str, schema: &'static str, secret_data: bool) -> SecretKind {
    SecretKind {
        prefix,
        schema,
        secret_data,
    }
}

impl SecretKind {
    /// Whether `schema` (`ns/Kind/vN`) is of this kind, in any version.
    pub fn matches(&self, schema: &str) -> bool {
        crate::document::schema_prefix(schema) == self.prefix
    }
}

/// The secret kind of `schema`, in any version.
pub fn secret_kind(schema: &str) -> Option<SecretKind> {
    ALL.into_iter().find(|kind| kind.matches(schema))
}

/// Whether documents of `schema` hold secret data whatever their storage policy:
/// passphrases and private keys of any version.
pub fn is_secret_schema(schema: &str) -> bool {
    secret_kind(schema).is_some_and(|kind| kind.secret_data)
}

/// Whether a file's raw text suggests it holds secret material, for files too malformed
/// to load as documents: a secret kind's schema, an encrypted storage policy or payload,
/// or a PEM private key. Front ends never quote snippets of such files.
pub fn text_may_hold_secrets(text: &str) -> bool {
    ALL.iter()
        .filter(|kind| kind.secret_data)
        .any(|kind| text.contains(kind.prefix))
        || text.contains("encrypted")
        || text.contains("PRIVATE KEY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_data_kinds_are_passphrases_and_private_keys_of_any_version() {
        let secret: Vec<&str> = ALL
            .iter()
            .filter(|kind| is_secret_schema(kind.schema))
            .map(|kind| kind.prefix)
            .collect();
        assert_eq!(
            secret,
            [
                "deckhand/Passphrase",
                "deckhand/CertificateAuthorityKey",
                "deckhand/CertificateKey",
                "deckhand/PrivateKey"
            ]
        );
        assert!(is_secret_schema("deckhand/Passphrase/v2"));
        assert!(!is_secret_schema("deckhand/Certificate/v1"));
        assert!(!is_secret_schema("deckhand/PassphraseCatalog/v1"));
        assert_eq!(secret_kind("deckhand/PublicKey/v3"), Some(PUBLIC_KEY));
    }

    #[test]
    fn unloadable_text_is_judged_by_markers() {
        assert!(text_may_hold_secrets("schema: deckhand/PrivateKey/v1\n: :"));
        assert!(text_may_hold_secrets("storagePolicy: encrypted"));
        assert!(text_may_hold_secrets("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(!text_may_hold_secrets("schema: deckhand/Certificate/v1\n"));
    }
}
