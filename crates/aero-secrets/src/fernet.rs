//! Fernet decryption (the token format of Python's `cryptography.fernet`), as Pegleg used it.
//!
//! A Fernet key is 32 bytes: the first 16 sign (HMAC-SHA256), the last 16 encrypt
//! (AES-128-CBC, PKCS#7 padding). A token is URL-safe base64 of
//! `0x80 | timestamp (u64, big-endian) | IV (16) | ciphertext | HMAC (32)`, the HMAC
//! covering everything before it. Pegleg derives the key from `PEGLEG_PASSPHRASE` and
//! `PEGLEG_SALT` with PBKDF2-HMAC-SHA256, 10,000 iterations, 32 bytes ([`pegleg_key`]).
//! Tokens are not checked for age (Pegleg set no time-to-live).

use std::fmt;

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// PBKDF2 iterations of Pegleg's key derivation.
pub const PEGLEG_ITERATIONS: u32 = 10_000;

const VERSION: u8 = 0x80;
const HEADER_LEN: usize = 1 + 8 + 16;
const MAC_LEN: usize = 32;

/// Why a token could not be opened. Never holds key or plaintext material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FernetError {
    /// The token is not URL-safe base64.
    #[error("token is not URL-safe base64")]
    Encoding,
    /// The token is too short, has a wrong version byte or a partial block.
    #[error("token is malformed ({0})")]
    Malformed(&'static str),
    /// The HMAC does not match: wrong passphrase or salt, or a damaged token.
    #[error(
        "token signature does not match: wrong PEGLEG_PASSPHRASE or PEGLEG_SALT, or a damaged token"
    )]
    Signature,
    /// The padding is wrong after decryption.
    #[error("token does not decrypt to valid padding")]
    Padding,
}

/// A Fernet key. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct FernetKey {
    signing: [u8; 16],
    encryption: [u8; 16],
}

impl fmt::Debug for FernetKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("FernetKey(..)")
    }
}

impl FernetKey {
    /// A key from its 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut signing = [0u8; 16];
        let mut encryption = [0u8; 16];
        signing.copy_from_slice(&bytes[..16]);
        encryption.copy_from_slice(&bytes[16..]);
        Self {
            signing,
            encryption,
        }
    }

    /// A key from its URL-safe base64 form (what `Fernet.generate_key()` prints).
    pub fn from_base64(text: &str) -> Result<Self, FernetError> {
        let bytes = decode_urlsafe(text.trim())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| FernetError::Malformed("key is not 32 bytes"))?;
        Ok(Self::from_bytes(bytes))
    }

    /// The plaintext of `token`.
    pub fn decrypt(&self, token: &str) -> Result<Vec<u8>, FernetError> {
        let bytes = decode_urlsafe(token.trim())?;
        if bytes.len() < HEADER_LEN + 16 + MAC_LEN {
            return Err(FernetError::Malformed("too short"));
        }
        if bytes[0] != VERSION {
            return Err(FernetError::Malformed("unknown version byte"));
        }
        let (signed, tag) = bytes.split_at(bytes.len() - MAC_LEN);
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.signing)
            .map_err(|_| FernetError::Malformed("signing key"))?;
        mac.update(signed);
        mac.verify_slice(tag).map_err(|_| FernetError::Signature)?;
        let iv = &signed[9..HEADER_LEN];
        let ciphertext = &signed[HEADER_LEN..];
        if ciphertext.len() % 16 != 0 {
            return Err(FernetError::Malformed("ciphertext is not whole blocks"));
        }
        let decryptor = cbc::Decryptor::<aes::Aes128>::new_from_slices(&self.encryption, iv)
            .map_err(|_| FernetError::Malformed("key or IV length"))?;
        decryptor
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .map_err(|_| FernetError::Padding)
    }
}

fn decode_urlsafe(text: &str) -> Result<Vec<u8>, FernetError> {
    URL_SAFE
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
        .map_err(|_| FernetError::Encoding)
}

/// Pegleg's key: PBKDF2-HMAC-SHA256(passphrase, salt, 10,000 iterations, 32 bytes).
pub fn pegleg_key(passphrase: &[u8], salt: &[u8]) -> FernetKey {
    let mut bytes = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(passphrase, salt, PEGLEG_ITERATIONS, &mut bytes);
    FernetKey::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Fernet specification's verify.json vector (github.com/fernet/spec).
    const SPEC_SECRET: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    const SPEC_TOKEN: &str = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==";

    #[test]
    fn spec_vector_decrypts() {
        let key = FernetKey::from_base64(SPEC_SECRET).unwrap();
        assert_eq!(key.decrypt(SPEC_TOKEN).unwrap(), b"hello");
    }

    #[test]
    fn tampering_and_wrong_keys_are_refused() {
        let key = FernetKey::from_base64(SPEC_SECRET).unwrap();
        let mut bytes = URL_SAFE.decode(SPEC_TOKEN).unwrap();
        bytes[30] ^= 1;
        assert_eq!(
            key.decrypt(&URL_SAFE.encode(&bytes)),
            Err(FernetError::Signature)
        );
        bytes[30] ^= 1;
        bytes[0] = 0x81;
        assert_eq!(
            key.decrypt(&URL_SAFE.encode(&bytes)),
            Err(FernetError::Malformed("unknown version byte"))
        );
        let other = FernetKey::from_bytes([7; 32]);
        assert_eq!(other.decrypt(SPEC_TOKEN), Err(FernetError::Signature));
        assert_eq!(key.decrypt("!!!"), Err(FernetError::Encoding));
        assert_eq!(
            key.decrypt("gAAA"),
            Err(FernetError::Malformed("too short"))
        );
    }

    #[test]
    fn pegleg_key_matches_pbkdf2_reference() {
        // base64.urlsafe_b64encode(PBKDF2HMAC(SHA256, 32, b"salt", 10000).derive(b"passphrase"))
        // computed with Python's cryptography package.
        let key = pegleg_key(b"passphrase", b"salt");
        let expected =
            FernetKey::from_base64("nN0lNjrMvHcPTTA0O3CP7KxM5LZUi_rNU_wJjfIoXV4=").unwrap();
        assert_eq!(key.signing, expected.signing);
        assert_eq!(key.encryption, expected.encryption);
        assert_eq!(format!("{key:?}"), "FernetKey(..)");
    }
}
