//! Secret documents: generation from catalogues, encryption at rest, Pegleg import.
//!
//! - [`kinds`]: the schemas of the seven `deckhand/*` secret kinds (which of them hold
//!   secret data is decided by `aero_docs::secret_kinds`).
//! - [`envelope`]: the encrypted form of a document's `data` (age, ASCII-armored), and
//!   [`decryptor::AgeDecryptor`], the document engine's `Decryptor`.
//! - [`keys`]: age identities and recipients, where they come from, the demo identity.
//! - [`site`]: a site's files, collected by `aero_docs` and parsed by `aero_yaml`.
//! - [`crypt`]: `encrypt`, `decrypt`, `rekey` of a site, in place.
//! - [`passphrase`], [`pki`]: generation from Pegleg's `PassphraseCatalog` and Promenade's
//!   `PKICatalog`; [`expiry`]: certificates that expire soon.
//! - [`pegleg`]: import of Pegleg's Fernet-encrypted `PeglegManagedDocument`s.
//!
//! Every command builds a [`plan::ChangePlan`] in memory first, then writes all its files
//! at once ([`plan::ChangePlan::apply`]): a failure changes nothing.
//!
//! # Example
//!
//! ```
//! use aero_secrets::envelope::{decrypt_data, encrypt_data};
//! use aero_secrets::keys::{Identities, IdentitySource, Recipients, generate_identity};
//!
//! let new = generate_identity(&["example key"]);
//! let identities = Identities::parse(&new.file_text, "example", IdentitySource::Env)?;
//! let recipients = Recipients::parse_list([new.public_key.as_str()], "example")?;
//! let data = serde_json::json!("db-password-123");
//! let encrypted = encrypt_data(&data, &recipients)?;
//! assert_eq!(decrypt_data(&encrypted, &identities)?, data);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod crypt;
pub mod decryptor;
pub mod document;
pub mod envelope;
pub mod error;
pub mod expiry;
pub mod fernet;
pub mod keys;
pub mod kinds;
pub mod passphrase;
pub mod pegleg;
pub mod pki;
pub mod plan;
mod random;
pub mod site;

pub use error::SecretsError;
