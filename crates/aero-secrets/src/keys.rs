//! age keys: identities (private, to decrypt) and recipients (public, to encrypt).
//!
//! Only age's native X25519 keys are supported (`AGE-SECRET-KEY-1...` / `age1...`).
//!
//! Where they come from, in order:
//! - identities: `--identity FILE` (repeatable), else `AERO_AGE_IDENTITY` (the key text),
//!   else `AERO_AGE_IDENTITY_FILE` (a path); for the example sites only, the insecure demo
//!   identity committed at `<repo>/demo-keys/age-identity.txt` (see [`Identities::demo`]);
//! - recipients: `--recipients-file FILE`, else the site definition's
//!   `data.secrets.age_recipients` list.
//!
//! Identity and recipient files hold one key per line; empty lines and lines starting
//! with `#` are ignored. Error messages never quote a line of an identity file.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::ExposeSecret;

/// Environment variable holding identity text (one or more `AGE-SECRET-KEY-1...` lines).
pub const IDENTITY_ENV: &str = "AERO_AGE_IDENTITY";
/// Environment variable holding the path of an identity file.
pub const IDENTITY_FILE_ENV: &str = "AERO_AGE_IDENTITY_FILE";
/// Where the demo identity lives inside a manifests repository.
pub const DEMO_IDENTITY_PATH: &str = "demo-keys/age-identity.txt";
/// Text that must appear in the demo identity file's header for it to be used.
pub const DEMO_MARKER: &str = "INSECURE DEMO KEY";

/// Why keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key file could not be read.
    #[error("cannot read {what} file {}", path.display())]
    Read {
        /// `identity` or `recipients`.
        what: &'static str,
        /// File.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A line of an identity source is not an age X25519 identity.
    #[error(
        "{origin}: line {line} is not an age identity ({reason}); expected AGE-SECRET-KEY-1..."
    )]
    BadIdentity {
        /// File or variable.
        origin: String,
        /// 1-based line.
        line: usize,
        /// Parser's reason (never the line itself).
        reason: &'static str,
    },
    /// A recipient is not an age X25519 public key.
    #[error("{origin}: `{recipient}` is not an age recipient ({reason}); expected age1...")]
    BadRecipient {
        /// File or document field.
        origin: String,
        /// The offending text (public, safe to show).
        recipient: String,
        /// Parser's reason.
        reason: &'static str,
    },
    /// An identity source holds no key.
    #[error("{origin} holds no age identity")]
    NoIdentity {
        /// File or variable.
        origin: String,
    },
    /// A recipient source holds no key.
    #[error("{origin} holds no age recipient")]
    NoRecipient {
        /// File or field.
        origin: String,
    },
    /// A new identity file would overwrite an existing file.
    #[error("{} already exists; refusing to overwrite a key file", path.display())]
    Exists {
        /// Path asked for.
        path: PathBuf,
    },
    /// A new identity file could not be written.
    #[error("cannot write identity file {}", path.display())]
    Write {
        /// Path asked for.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl aero_error::Classify for KeyError {
    fn class(&self) -> aero_error::ErrorClass {
        use aero_error::ErrorClass;
        match self {
            KeyError::Read { source, .. } => source.class(),
            KeyError::BadIdentity { .. }
            | KeyError::BadRecipient { .. }
            | KeyError::NoIdentity { .. }
            | KeyError::NoRecipient { .. } => ErrorClass::InvalidInput,
            KeyError::Exists { .. } => ErrorClass::Usage,
            KeyError::Write { .. } => ErrorClass::Permanent,
        }
    }
}

/// Where a set of identities came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentitySource {
    /// `--identity FILE`.
    File(PathBuf),
    /// The `AERO_AGE_IDENTITY` variable.
    Env,
    /// The file named by `AERO_AGE_IDENTITY_FILE`.
    EnvFile(PathBuf),
    /// The insecure demo identity of a repository.
    Demo(PathBuf),
}

/// age identities able to decrypt. `Debug` shows only their public keys.
#[derive(Clone)]
pub struct Identities {
    keys: Vec<age::x25519::Identity>,
    source: IdentitySource,
}

impl Identities {
    /// Parses identity text (one key per line, `#` comments). `origin` names it in errors.
    pub fn parse(text: &str, origin: &str, source: IdentitySource) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key =
                age::x25519::Identity::from_str(line).map_err(|reason| KeyError::BadIdentity {
                    origin: origin.to_string(),
                    line: index + 1,
                    reason,
                })?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(KeyError::NoIdentity {
                origin: origin.to_string(),
            });
        }
        Ok(Self { keys, source })
    }

    /// Reads an identity file.
    pub fn from_file(path: &Path, source: IdentitySource) -> Result<Self, KeyError> {
        let text = fs::read_to_string(path).map_err(|source| KeyError::Read {
            what: "identity",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string(), source)
    }

    /// The identities given explicitly: `files` (from `--identity`), else the
    /// `AERO_AGE_IDENTITY` text, else the `AERO_AGE_IDENTITY_FILE` file. `None` if none.
    pub fn from_sources(
        files: &[PathBuf],
        env_text: Option<&str>,
        env_file: Option<&Path>,
    ) -> Result<Option<Self>, KeyError> {
        if let Some((first, rest)) = files.split_first() {
            let mut all = Self::from_file(first, IdentitySource::File(first.clone()))?;
            for path in rest {
                let more = Self::from_file(path, IdentitySource::File(path.clone()))?;
                all.keys.extend(more.keys);
            }
            return Ok(Some(all));
        }
        if let Some(text) = env_text.filter(|text| !text.trim().is_empty()) {
            return Self::parse(text, IDENTITY_ENV, IdentitySource::Env).map(Some);
        }
        if let Some(path) = env_file {
            return Self::from_file(path, IdentitySource::EnvFile(path.to_path_buf())).map(Some);
        }
        Ok(None)
    }

    /// [`Identities::from_sources`] reading the two environment variables.
    pub fn from_files_or_env(files: &[PathBuf]) -> Result<Option<Self>, KeyError> {
        let env_text = std::env::var(IDENTITY_ENV).ok();
        let env_file = std::env::var_os(IDENTITY_FILE_ENV).map(PathBuf::from);
        Self::from_sources(files, env_text.as_deref(), env_file.as_deref())
    }

    /// The insecure demo identity of a manifests repository, if `repo_root` has
    /// `demo-keys/age-identity.txt` whose text carries the `INSECURE DEMO KEY` marker.
    ///
    /// Callers use it only when no identity was given, and warn when they do.
    pub fn demo(repo_root: &Path) -> Result<Option<Self>, KeyError> {
        let path = repo_root.join(DEMO_IDENTITY_PATH);
        if !path.is_file() {
            return Ok(None);
        }
        let text = fs::read_to_string(&path).map_err(|source| KeyError::Read {
            what: "identity",
            path: path.clone(),
            source,
        })?;
        if !text.contains(DEMO_MARKER) {
            return Ok(None);
        }
        Self::parse(
            &text,
            &path.display().to_string(),
            IdentitySource::Demo(path.clone()),
        )
        .map(Some)
    }

    /// Where these identities came from.
    pub fn source(&self) -> &IdentitySource {
        &self.source
    }

    /// Whether this is a repository's insecure demo identity.
    pub fn is_demo(&self) -> bool {
        matches!(self.source, IdentitySource::Demo(_))
    }

    /// Public keys (`age1...`) of these identities.
    pub fn public_keys(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|key| key.to_public().to_string())
            .collect()
    }

    /// The identities as age trait objects, for decryption.
    pub(crate) fn as_age(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.keys.iter().map(|key| key as &dyn age::Identity)
    }
}

impl fmt::Debug for Identities {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Identities")
            .field("public_keys", &self.public_keys())
            .field("source", &self.source)
            .finish()
    }
}

/// age recipients to encrypt to.
#[derive(Clone)]
pub struct Recipients {
    keys: Vec<age::x25519::Recipient>,
}

impl Recipients {
    /// Parses a list of `age1...` keys; `origin` names the list in errors.
    pub fn parse_list<'a>(
        items: impl IntoIterator<Item = &'a str>,
        origin: &str,
    ) -> Result<Self, KeyError> {
        let mut keys: Vec<age::x25519::Recipient> = Vec::new();
        for item in items {
            let item = item.trim();
            if item.is_empty() || item.starts_with('#') {
                continue;
            }
            let key = age::x25519::Recipient::from_str(item).map_err(|reason| {
                KeyError::BadRecipient {
                    origin: origin.to_string(),
                    recipient: item.to_string(),
                    reason,
                }
            })?;
            if !keys
                .iter()
                .any(|known| known.to_string() == key.to_string())
            {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err(KeyError::NoRecipient {
                origin: origin.to_string(),
            });
        }
        Ok(Self { keys })
    }

    /// Reads a recipients file (one `age1...` per line, `#` comments).
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text = fs::read_to_string(path).map_err(|source| KeyError::Read {
            what: "recipients",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_list(text.lines(), &path.display().to_string())
    }

    /// The recipients as `age1...` strings, in the given order.
    pub fn to_strings(&self) -> Vec<String> {
        self.keys.iter().map(ToString::to_string).collect()
    }

    /// The recipients as age trait objects, for encryption.
    pub(crate) fn as_age(&self) -> impl Iterator<Item = &dyn age::Recipient> {
        self.keys.iter().map(|key| key as &dyn age::Recipient)
    }
}

impl fmt::Debug for Recipients {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_list().entries(self.to_strings()).finish()
    }
}

/// A newly generated identity: the file text to keep private and its public key.
pub struct NewIdentity {
    /// Identity file text: `header` comment lines, a `# public key:` line, the key.
    pub file_text: String,
    /// The public key (`age1...`), to list as a recipient.
    pub public_key: String,
}

impl fmt::Debug for NewIdentity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("NewIdentity")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// Generates a new X25519 identity; `header` lines become `# ` comments at the top.
pub fn generate_identity(header: &[&str]) -> NewIdentity {
    let identity = age::x25519::Identity::generate();
    let public_key = identity.to_public().to_string();
    let mut file_text = String::new();
    for line in header {
        file_text.push_str("# ");
        file_text.push_str(line);
        file_text.push('\n');
    }
    file_text.push_str(&format!("# public key: {public_key}\n"));
    file_text.push_str(identity.to_string().expose_secret());
    file_text.push('\n');
    NewIdentity {
        file_text,
        public_key,
    }
}

/// Writes a new identity file with mode 0600; never overwrites.
pub fn write_identity_file(path: &Path, identity: &NewIdentity) -> Result<(), KeyError> {
    use std::io::Write;
    let write_error = |source| KeyError::Write {
        path: path.to_path_buf(),
        source,
    };
    if path.exists() {
        return Err(KeyError::Exists {
            path: path.to_path_buf(),
        });
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        fs::create_dir_all(parent).map_err(write_error)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            write_error(source)
        }
    })?;
    file.write_all(identity.file_text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identity_parses_back_with_its_public_key() {
        let new = generate_identity(&["test key"]);
        assert!(new.file_text.starts_with("# test key\n# public key: age1"));
        let identities = Identities::parse(&new.file_text, "test", IdentitySource::Env).unwrap();
        assert_eq!(identities.public_keys(), vec![new.public_key.clone()]);
        let shown = format!("{identities:?} {new:?}");
        assert!(!shown.contains("AGE-SECRET-KEY"), "{shown}");
    }

    #[test]
    fn bad_identity_line_is_reported_without_its_text() {
        let error = Identities::parse(
            "# c\nAGE-SECRET-KEY-1NOTVALIDATALL\n",
            "id.txt",
            IdentitySource::Env,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("id.txt: line 2 is not an age identity"),
            "{error}"
        );
        assert!(!error.contains("NOTVALID"), "{error}");
    }

    #[test]
    fn sources_are_taken_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let first = generate_identity(&[]);
        let second = generate_identity(&[]);
        let path = dir.path().join("id.txt");
        fs::write(&path, &first.file_text).unwrap();
        let from_file =
            Identities::from_sources(std::slice::from_ref(&path), Some(&second.file_text), None)
                .unwrap()
                .unwrap();
        assert_eq!(from_file.public_keys(), vec![first.public_key.clone()]);
        let from_env = Identities::from_sources(&[], Some(&second.file_text), Some(&path))
            .unwrap()
            .unwrap();
        assert_eq!(from_env.public_keys(), vec![second.public_key.clone()]);
        let from_env_file = Identities::from_sources(&[], None, Some(&path))
            .unwrap()
            .unwrap();
        assert_eq!(
            from_env_file.source(),
            &IdentitySource::EnvFile(path.clone())
        );
        assert!(
            Identities::from_sources(&[], Some("  "), None)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn demo_identity_needs_the_marker() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Identities::demo(dir.path()).unwrap().is_none());
        let key = generate_identity(&["lab key"]);
        fs::create_dir_all(dir.path().join("demo-keys")).unwrap();
        fs::write(dir.path().join(DEMO_IDENTITY_PATH), &key.file_text).unwrap();
        assert!(Identities::demo(dir.path()).unwrap().is_none());
        let demo = generate_identity(&[DEMO_MARKER]);
        fs::write(dir.path().join(DEMO_IDENTITY_PATH), &demo.file_text).unwrap();
        let found = Identities::demo(dir.path()).unwrap().unwrap();
        assert!(found.is_demo());
        assert_eq!(found.public_keys(), vec![demo.public_key]);
    }

    #[test]
    fn recipients_parse_dedupe_and_reject_garbage() {
        let one = generate_identity(&[]).public_key;
        let two = generate_identity(&[]).public_key;
        let list = Recipients::parse_list(
            [one.as_str(), "# comment", two.as_str(), one.as_str()],
            "list",
        )
        .unwrap();
        assert_eq!(list.to_strings(), vec![one, two]);
        let error = Recipients::parse_list(["age1nope"], "site definition").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("site definition: `age1nope` is not an age recipient")
        );
        assert!(matches!(
            Recipients::parse_list([""], "empty").unwrap_err(),
            KeyError::NoRecipient { .. }
        ));
    }

    #[test]
    fn identity_file_is_written_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/id.txt");
        let identity = generate_identity(&["x"]);
        write_identity_file(&path, &identity).unwrap();
        assert!(matches!(
            write_identity_file(&path, &identity).unwrap_err(),
            KeyError::Exists { .. }
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
