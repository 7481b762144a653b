//! The one identity policy: which age identities open a site's secrets.

use std::path::{Path, PathBuf};

use aero_secrets::decryptor::AgeDecryptor;
use aero_secrets::keys::{Identities, IdentitySource};

use crate::error::SiteError;

/// Where identities are looked for, in order: the files given (`--identity`), else the
/// `AERO_AGE_IDENTITY` variable (key text), else the file named by
/// `AERO_AGE_IDENTITY_FILE`, else the insecure demo key of one of the repositories
/// (`demo-keys/age-identity.txt` carrying the demo marker).
#[derive(Clone, Debug, Default)]
pub struct KeyPolicy {
    /// Identity files given explicitly.
    pub identity_files: Vec<PathBuf>,
}

/// Where the identities in use came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// Given by the operator (a file or an environment variable).
    Given(IdentitySource),
    /// A repository's insecure demo key.
    Demo(PathBuf),
    /// No identity: encrypted documents cannot be opened.
    None,
}

/// The identities chosen by a [`KeyPolicy`], ready to decrypt.
pub struct Keys {
    decryptor: AgeDecryptor,
    source: KeySource,
}

impl KeyPolicy {
    /// Applies the policy; `repo_roots` are the manifests repositories that may hold a
    /// demo key.
    pub fn resolve(&self, repo_roots: &[PathBuf]) -> Result<Keys, SiteError> {
        if let Some(identities) = Identities::from_files_or_env(&self.identity_files)? {
            let source = KeySource::Given(identities.source().clone());
            return Ok(Keys {
                decryptor: AgeDecryptor::new(identities),
                source,
            });
        }
        for root in repo_roots {
            if let Some(identities) = Identities::demo(root)? {
                let source = match identities.source() {
                    IdentitySource::Demo(path) => KeySource::Demo(path.clone()),
                    other => KeySource::Given(other.clone()),
                };
                return Ok(Keys {
                    decryptor: AgeDecryptor::new(identities),
                    source,
                });
            }
        }
        Ok(Keys::none())
    }
}

impl Keys {
    /// No identity at all.
    pub fn none() -> Self {
        Keys {
            decryptor: AgeDecryptor::without_identity(),
            source: KeySource::None,
        }
    }

    /// The decryptor for the document engine.
    pub fn decryptor(&self) -> &AgeDecryptor {
        &self.decryptor
    }

    /// The identities, if any.
    pub fn identities(&self) -> Option<&Identities> {
        self.decryptor.identities()
    }

    /// Where they came from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// The warning to show (once per command run) when the demo key is in use.
    pub fn demo_warning(&self) -> Option<String> {
        match &self.source {
            KeySource::Demo(path) => Some(demo_warning(path)),
            _ => None,
        }
    }
}

/// The one wording of the demo-key warning.
fn demo_warning(path: &Path) -> String {
    format!(
        "using the INSECURE demo key {} to open secrets (lab use only; give --identity or set AERO_AGE_IDENTITY_FILE for real sites)",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_key_is_used_only_when_nothing_is_given_and_says_so() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../site-manifests");
        // The environment of a test run may carry an identity; the policy's first rule
        // then wins, which is what this test checks in the other direction.
        let explicit = std::env::var_os("AERO_AGE_IDENTITY").is_some()
            || std::env::var_os("AERO_AGE_IDENTITY_FILE").is_some();
        let keys = KeyPolicy::default().resolve(&[repo]).unwrap();
        if explicit {
            assert!(keys.demo_warning().is_none());
        } else {
            assert!(matches!(keys.source(), KeySource::Demo(_)));
            let warning = keys.demo_warning().unwrap();
            assert!(warning.contains("INSECURE demo key"), "{warning}");
        }
        let nothing = KeyPolicy::default().resolve(&[]).unwrap();
        if !explicit {
            assert_eq!(nothing.source(), &KeySource::None);
            assert!(nothing.identities().is_none());
        }
    }

    #[test]
    fn a_missing_identity_file_is_not_found() {
        let policy = KeyPolicy {
            identity_files: vec![PathBuf::from("/nonexistent/aero-identity.txt")],
        };
        let error = policy.resolve(&[]).err().unwrap();
        assert_eq!(
            aero_error::Classify::class(&error),
            aero_error::ErrorClass::NotFound
        );
    }
}
