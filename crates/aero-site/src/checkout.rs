//! A repository at another revision: a folder given as is, or a git revision extracted
//! with `git archive` into a temporary folder that lives as long as the [`Checkout`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use aero_docs::collect::RepoSpec;

use crate::error::SiteError;

/// A repository's files at one revision.
#[derive(Debug)]
pub struct Checkout {
    path: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Checkout {
    /// `reference` of `repo`: a folder if one exists at that path, else a git revision
    /// (anything `git rev-parse` takes: a commit, `HEAD~1`, a tag, a branch).
    pub fn of(repo: &RepoSpec, reference: &str) -> Result<Self, SiteError> {
        let as_folder = Path::new(reference);
        if as_folder.is_dir() {
            return Ok(Self {
                path: as_folder.to_path_buf(),
                _temp: None,
            });
        }
        let unknown = |reason: String| SiteError::UnknownRevision {
            reference: reference.to_string(),
            repo: repo.path.clone(),
            reason,
        };
        let top = git(&["rev-parse", "--show-toplevel"], &repo.path).map_err(|failure| {
            unknown(match failure {
                GitFailure::Refused(stderr) => format!("it is not in a git repository ({stderr})"),
                GitFailure::NotRun(reason) => reason,
            })
        })?;
        let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
        let prefix = git(&["rev-parse", "--show-prefix"], &repo.path)
            .map(|out| String::from_utf8_lossy(&out).trim().to_string())
            .map_err(|failure| unknown(failure.to_string()))?;
        let commit = format!("{reference}^{{commit}}");
        git(&["rev-parse", "--verify", "--quiet", &commit], &repo.path).map_err(|failure| {
            unknown(match failure {
                GitFailure::Refused(_) => "git knows no commit of that name".to_string(),
                GitFailure::NotRun(reason) => reason,
            })
        })?;
        let temp = tempfile::tempdir().map_err(|error| SiteError::Checkout {
            reference: reference.to_string(),
            reason: format!("cannot create a temporary folder: {error}"),
        })?;
        let mut archive = vec!["archive", "--format=tar", reference];
        if !prefix.is_empty() {
            archive.push(&prefix);
        }
        let tar = git(&archive, &top).map_err(|failure| SiteError::Checkout {
            reference: reference.to_string(),
            reason: failure.to_string(),
        })?;
        extract(&tar, temp.path()).map_err(|reason| SiteError::Checkout {
            reference: reference.to_string(),
            reason,
        })?;
        Ok(Self {
            path: temp.path().join(prefix.trim_end_matches('/')),
            _temp: Some(temp),
        })
    }

    /// Where the files are.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

enum GitFailure {
    /// git ran and said no (its stderr, trimmed).
    Refused(String),
    /// git could not be run.
    NotRun(String),
}

impl std::fmt::Display for GitFailure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GitFailure::Refused(stderr) if stderr.is_empty() => formatter.write_str("git failed"),
            GitFailure::Refused(stderr) => write!(formatter, "git: {stderr}"),
            GitFailure::NotRun(reason) => formatter.write_str(reason),
        }
    }
}

fn git(args: &[&str], cwd: &Path) -> Result<Vec<u8>, GitFailure> {
    let output = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|error| GitFailure::NotRun(format!("cannot run git: {error}")))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(GitFailure::Refused(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ))
    }
}

fn extract(tar: &[u8], into: &Path) -> Result<(), String> {
    let mut child = Command::new("tar")
        .args(["-x", "-C"])
        .arg(into)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run tar: {error}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(tar)
            .map_err(|error| format!("cannot feed tar: {error}"))?;
    }
    let status = child
        .wait()
        .map_err(|error| format!("tar failed: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("tar could not extract the archive ({status})"))
    }
}
