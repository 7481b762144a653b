//! What a command is going to change, and writing it all at once.
//!
//! Every command first builds a [`ChangePlan`] in memory (all encryption, decryption and
//! generation done), then [`ChangePlan::apply`] writes it: each new file content goes to a
//! temporary file beside its target, and only when every temporary file is written and
//! synced are they renamed over their targets. A failure before the renames leaves the
//! repository untouched.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::SecretsError;

/// A file to write.
#[derive(Clone)]
pub struct PlannedWrite {
    /// Target path.
    pub path: PathBuf,
    /// Name shown to a person.
    pub display: String,
    /// New contents (may hold clear secrets: never printed, not in `Debug`).
    pub contents: String,
}

impl fmt::Debug for PlannedWrite {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("PlannedWrite")
            .field("path", &self.path)
            .field("bytes", &self.contents.len())
            .finish()
    }
}

/// What happens to one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Its data was encrypted.
    Encrypted,
    /// It was already encrypted: left as is.
    AlreadyEncrypted,
    /// Its data was decrypted.
    Decrypted,
    /// Its data was decrypted and encrypted again for new recipients.
    Rekeyed,
    /// It was generated.
    Generated,
    /// It existed and was generated again (`--regenerate`).
    Regenerated,
    /// It exists: kept.
    Kept,
    /// A Pegleg managed document was unwrapped (and decrypted).
    Imported,
    /// Not touched, with the reason.
    Skipped(String),
}

impl fmt::Display for Action {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Encrypted => formatter.write_str("encrypted"),
            Action::AlreadyEncrypted => formatter.write_str("already encrypted"),
            Action::Decrypted => formatter.write_str("decrypted"),
            Action::Rekeyed => formatter.write_str("re-encrypted"),
            Action::Generated => formatter.write_str("generated"),
            Action::Regenerated => formatter.write_str("regenerated"),
            Action::Kept => formatter.write_str("exists, kept"),
            Action::Imported => formatter.write_str("imported"),
            Action::Skipped(reason) => write!(formatter, "skipped: {reason}"),
        }
    }
}

/// One line of a command's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanItem {
    /// `schema/name` of the document.
    pub document: String,
    /// File shown to a person.
    pub file: String,
    /// What happens to it.
    pub action: Action,
}

/// Everything a command will write, and what it does to each document.
#[derive(Clone, Debug, Default)]
pub struct ChangePlan {
    /// Files to write.
    pub writes: Vec<PlannedWrite>,
    /// One item per document considered.
    pub items: Vec<PlanItem>,
    /// Things the operator should know (printed to stderr by the CLI).
    pub warnings: Vec<String>,
}

impl ChangePlan {
    /// Adds an item.
    pub fn item(&mut self, document: String, file: String, action: Action) {
        self.items.push(PlanItem {
            document,
            file,
            action,
        });
    }

    /// Whether nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Number of items with this action.
    pub fn count(&self, action: &Action) -> usize {
        self.items
            .iter()
            .filter(|item| &item.action == action)
            .count()
    }

    /// Writes every planned file, all or nothing (see the module docs).
    pub fn apply(&self) -> Result<(), SecretsError> {
        write_all(&self.writes)
    }
}

/// Writes `writes` atomically as a batch: temporary files first, renames last.
pub fn write_all(writes: &[PlannedWrite]) -> Result<(), SecretsError> {
    let mut staged: Vec<(PathBuf, &Path)> = Vec::new();
    for write in writes {
        match stage(write) {
            Ok(temp) => staged.push((temp, &write.path)),
            Err(error) => {
                for (temp, _) in &staged {
                    let _ = fs::remove_file(temp);
                }
                return Err(error);
            }
        }
    }
    for (index, (temp, target)) in staged.iter().enumerate() {
        if let Err(source) = fs::rename(temp, target) {
            for (left, _) in &staged[index..] {
                let _ = fs::remove_file(left);
            }
            return Err(SecretsError::Write {
                path: target.to_path_buf(),
                source,
            });
        }
    }
    Ok(())
}

/// Writes the new contents to a temporary file beside the target; returns its path.
fn stage(write: &PlannedWrite) -> Result<PathBuf, SecretsError> {
    let write_error = |source| SecretsError::Write {
        path: write.path.clone(),
        source,
    };
    let parent = write
        .path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(write_error)?;
    let file_name = write
        .path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = parent.join(format!(".{file_name}.aero-{}.tmp", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mode = fs::metadata(&write.path)
            .map(|metadata| metadata.permissions().mode() & 0o777)
            .unwrap_or(0o644);
        options.mode(mode);
    }
    let result = options.open(&temp).and_then(|mut file| {
        file.write_all(write.contents.as_bytes())?;
        file.sync_all()
    });
    if let Err(source) = result {
        let _ = fs::remove_file(&temp);
        return Err(write_error(source));
    }
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_all_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let writes = vec![
            PlannedWrite {
                path: dir.path().join("a/one.yaml"),
                display: "one".into(),
                contents: "1\n".into(),
            },
            PlannedWrite {
                path: dir.path().join("two.yaml"),
                display: "two".into(),
                contents: "2\n".into(),
            },
        ];
        write_all(&writes).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("a/one.yaml")).unwrap(),
            "1\n"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("two.yaml")).unwrap(),
            "2\n"
        );
        let names: Vec<_> = fs::read_dir(dir.path().join("a")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_failing_write_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("existing.yaml");
        fs::write(&existing, "old\n").unwrap();
        // A regular file where a folder is needed makes the second write fail.
        fs::write(dir.path().join("blocker"), "").unwrap();
        let writes = vec![
            PlannedWrite {
                path: existing.clone(),
                display: "existing".into(),
                contents: "new\n".into(),
            },
            PlannedWrite {
                path: dir.path().join("blocker/x.yaml"),
                display: "x".into(),
                contents: "x\n".into(),
            },
        ];
        assert!(write_all(&writes).is_err());
        assert_eq!(fs::read_to_string(&existing).unwrap(), "old\n");
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
