//! Errors of secret operations. No message ever holds secret material.

use std::path::PathBuf;

use aero_docs::collect::CollectError;

use crate::envelope::CryptError;
use crate::keys::KeyError;

/// Why a secrets command failed.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The site's files could not be collected.
    #[error(transparent)]
    Collect(#[from] CollectError),
    /// Keys could not be loaded.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// A file is not valid YAML (the message names the failure kind only, never text).
    #[error("{file}:{line}:{column}: cannot load YAML: {reason}")]
    Parse {
        /// File shown to the user.
        file: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// Kind of failure.
        reason: String,
    },
    /// A document could not be encrypted.
    #[error("{file}:{line}: cannot encrypt {document}: {source}")]
    Encrypt {
        /// `schema/name`.
        document: String,
        /// File shown to the user.
        file: String,
        /// Line of the document.
        line: u32,
        /// Cause.
        #[source]
        source: CryptError,
    },
    /// A document could not be decrypted.
    #[error("{file}:{line}: cannot decrypt {document}: {source}")]
    Decrypt {
        /// `schema/name`.
        document: String,
        /// File shown to the user.
        file: String,
        /// Line of the document.
        line: u32,
        /// Cause.
        #[source]
        source: CryptError,
    },
    /// Encryption was needed but no recipient is configured.
    #[error(
        "no age recipients for site `{site}`: list them in the site definition under data.secrets.age_recipients or give --recipients-file"
    )]
    NoRecipients {
        /// Site name.
        site: String,
    },
    /// Decryption was needed but no identity was given.
    #[error("{what} needs an age identity: give --identity FILE or set AERO_AGE_IDENTITY")]
    NoIdentity {
        /// What needed it.
        what: String,
    },
    /// The site definition's recipients are not a list of strings.
    #[error("{file}: data.secrets.age_recipients must be a list of age1... strings")]
    BadRecipientList {
        /// Site definition file.
        file: String,
    },
    /// A catalogue document is invalid.
    #[error("{file}:{line}: invalid {catalog} `{name}`: {reason}")]
    Catalog {
        /// Catalogue schema.
        catalog: String,
        /// Catalogue name.
        name: String,
        /// File shown to the user.
        file: String,
        /// Line of the catalogue document.
        line: u32,
        /// What is wrong.
        reason: String,
    },
    /// The site has no catalogue of the kind asked for.
    #[error("site `{site}` has no {schema} document")]
    NoCatalog {
        /// Catalogue schema.
        schema: String,
        /// Site name.
        site: String,
    },
    /// A secret could not be generated.
    #[error("cannot generate {document}: {reason}")]
    Generate {
        /// `schema/name`.
        document: String,
        /// Why.
        reason: String,
    },
    /// A key pair is half present.
    #[error(
        "{present} exists ({file}) but its {missing} is missing; add it or delete both and generate again"
    )]
    IncompletePair {
        /// The document found.
        present: String,
        /// The document expected beside it.
        missing: String,
        /// Where the present one is.
        file: String,
    },
    /// Regenerating would leave a second copy of a document defined elsewhere.
    #[error(
        "{document} is defined in {file}, not in the generated file {target}; remove it there before --regenerate"
    )]
    RegenerateConflict {
        /// `schema/name`.
        document: String,
        /// Where it is defined.
        file: String,
        /// Where it would be written.
        target: String,
    },
    /// A certificate could not be read.
    #[error("{file}:{line}: cannot read certificate {document}: {reason}")]
    Certificate {
        /// `schema/name`.
        document: String,
        /// File shown to the user.
        file: String,
        /// Line of the document.
        line: u32,
        /// Why.
        reason: String,
    },
    /// A Pegleg managed document could not be imported.
    #[error("{file}:{line}: cannot import {document}: {reason}")]
    Import {
        /// `schema/name` of the managed document.
        document: String,
        /// File shown to the user.
        file: String,
        /// Line of the document.
        line: u32,
        /// Why.
        reason: String,
    },
    /// The Pegleg passphrase or salt is missing or too short.
    #[error("{0}")]
    PeglegKey(String),
    /// A file could not be written (nothing was changed).
    #[error("cannot write {}", path.display())]
    Write {
        /// File.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// File.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The operating system's random source failed.
    #[error("cannot read random bytes from the operating system: {0}")]
    Random(String),
}

impl aero_error::Classify for SecretsError {
    fn class(&self) -> aero_error::ErrorClass {
        use aero_error::ErrorClass;
        match self {
            SecretsError::Collect(error) => error.class(),
            SecretsError::Keys(error) => error.class(),
            SecretsError::NoRecipients { .. }
            | SecretsError::NoIdentity { .. }
            | SecretsError::PeglegKey(_) => ErrorClass::Usage,
            SecretsError::NoCatalog { .. } => ErrorClass::NotFound,
            SecretsError::Parse { .. }
            | SecretsError::BadRecipientList { .. }
            | SecretsError::Catalog { .. }
            | SecretsError::IncompletePair { .. }
            | SecretsError::Certificate { .. }
            | SecretsError::Import { .. }
            | SecretsError::RegenerateConflict { .. } => ErrorClass::InvalidInput,
            SecretsError::Encrypt { .. }
            | SecretsError::Generate { .. }
            | SecretsError::Write { .. }
            | SecretsError::Random(_) => ErrorClass::Permanent,
            SecretsError::Decrypt { source, .. } => match source {
                crate::envelope::CryptError::WrongKey { .. } => ErrorClass::Usage,
                _ => ErrorClass::InvalidInput,
            },
            SecretsError::Read { source, .. } => source.class(),
        }
    }
}
