//! The seam between the document engine and secret storage.
//!
//! The engine does not know how secret documents are encrypted at rest; it asks a
//! [`Decryptor`] (implemented by `aero-secrets`) whether a document's data is an
//! encrypted payload and, while rendering, for the clear data. Decrypted data only
//! ever lives in memory.

/// Recognises and opens encrypted document data.
pub trait Decryptor: Send + Sync {
    /// Whether `data` (a document's whole `data` section) is an encrypted payload.
    fn is_encrypted(&self, data: &serde_json::Value) -> bool;

    /// The clear `data` of an encrypted payload.
    ///
    /// `document` names the document (`schema/name`) for error messages only.
    fn decrypt(
        &self,
        document: &str,
        data: &serde_json::Value,
    ) -> Result<serde_json::Value, DecryptError>;
}

/// Why a document's data could not be decrypted. The message never holds secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecryptError(pub String);
