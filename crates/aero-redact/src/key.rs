//! The redaction key: 32 random bytes kept in the state directory.
//!
//! The key is created once, atomically (written to a temporary file with mode 0600,
//! then hard-linked into place, so two processes starting together agree on one key),
//! and read on every later run. Tokens are only comparable between runs that share it.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Name of the key file inside the state directory.
pub const KEY_FILE_NAME: &str = "redaction.key";

/// The secret key of the keyed hashes shown in place of secret values.
///
/// `Debug` never prints the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct RedactionKey {
    bytes: [u8; 32],
}

/// Why the redaction key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The state directory could not be created.
    #[error("cannot create state directory {}", path.display())]
    CreateDir {
        /// Directory that failed.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: io::Error,
    },
    /// The key file exists but could not be read.
    #[error("cannot read redaction key {}", path.display())]
    Read {
        /// Key file.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: io::Error,
    },
    /// The key file could not be written.
    #[error("cannot write redaction key {}", path.display())]
    Write {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: io::Error,
    },
    /// The key file does not hold 64 hexadecimal digits.
    #[error(
        "redaction key {} is corrupt: expected 64 hexadecimal digits; delete it to start a new key (earlier tokens will no longer match)",
        path.display()
    )]
    Corrupt {
        /// Key file.
        path: PathBuf,
    },
    /// The operating system's random source failed.
    #[error("cannot read random bytes from the operating system: {0}")]
    Random(String),
}

impl RedactionKey {
    /// A key with these bytes (tests, or a key kept elsewhere).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes }
    }

    /// A new random key, kept in memory only.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|error| KeyError::Random(error.to_string()))?;
        Ok(Self { bytes })
    }

    /// The key bytes, for the HMAC.
    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Reads `<state_dir>/redaction.key`, creating the directory and the key if missing.
    pub fn load_or_create(state_dir: &Path) -> Result<Self, KeyError> {
        create_private_dir(state_dir)?;
        let path = state_dir.join(KEY_FILE_NAME);
        match fs::read_to_string(&path) {
            Ok(text) => return parse_key(&text, &path),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(KeyError::Read { path, source }),
        }
        let key = Self::generate()?;
        let temp_path = state_dir.join(format!(
            ".{KEY_FILE_NAME}.{}.{}.tmp",
            std::process::id(),
            hex(&key.bytes[..4])
        ));
        write_private_file(&temp_path, format!("{}\n", hex(&key.bytes)).as_bytes())?;
        let linked = fs::hard_link(&temp_path, &path);
        let _ = fs::remove_file(&temp_path);
        match linked {
            Ok(()) => Ok(key),
            // Another process created the key first: use theirs.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                let text = fs::read_to_string(&path).map_err(|source| KeyError::Read {
                    path: path.clone(),
                    source,
                })?;
                parse_key(&text, &path)
            }
            Err(source) => Err(KeyError::Write { path, source }),
        }
    }
}

impl fmt::Debug for RedactionKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("RedactionKey(..)")
    }
}

fn parse_key(text: &str, path: &Path) -> Result<RedactionKey, KeyError> {
    let corrupt = || KeyError::Corrupt {
        path: path.to_path_buf(),
    };
    let digits = text.trim().as_bytes();
    if digits.len() != 64 {
        return Err(corrupt());
    }
    let mut bytes = [0u8; 32];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let high = hex_value(pair[0]).ok_or_else(corrupt)?;
        let low = hex_value(pair[1]).ok_or_else(corrupt)?;
        *byte = high << 4 | low;
    }
    Ok(RedactionKey { bytes })
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Lower-case hexadecimal of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| KeyError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), KeyError> {
    let write_error = |source| KeyError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(write_error)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if let Err(source) = written {
        let _ = fs::remove_file(path);
        return Err(write_error(source));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let first = RedactionKey::load_or_create(&state).unwrap();
        let second = RedactionKey::load_or_create(&state).unwrap();
        assert_eq!(first, second);
        let text = fs::read_to_string(state.join(KEY_FILE_NAME)).unwrap();
        assert_eq!(text.trim(), hex(first.as_bytes()));
        let leftovers: Vec<_> = fs::read_dir(&state).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files must be removed");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        RedactionKey::load_or_create(dir.path()).unwrap();
        let mode = fs::metadata(dir.path().join(KEY_FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn corrupt_key_is_an_error_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(KEY_FILE_NAME), "not a key\n").unwrap();
        let error = RedactionKey::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(error, KeyError::Corrupt { .. }));
        assert!(
            error.to_string().contains("redaction.key is corrupt"),
            "{error}"
        );
    }

    #[test]
    fn debug_shows_no_bytes() {
        let key = RedactionKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "RedactionKey(..)");
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(
            RedactionKey::generate().unwrap(),
            RedactionKey::generate().unwrap()
        );
    }
}
