//! A site's source files at one revision, in memory and content-addressed.
//!
//! A snapshot is what an action pins: the files exactly as collected (secrets still
//! encrypted at rest), so it can be stored, moved to another worker and rendered again
//! with that worker's key, giving the same documents. Its id is the SHA-256 of its
//! canonical encoding ([`Snapshot::to_bytes`]), so equal files give equal ids on every
//! machine.

use std::path::{Path, PathBuf};

use aero_docs::collect::{RepoSpec, collect_paths, collect_site};
use aero_docs::source::{NotUtf8, SourceFile, SourceSet};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checkout::Checkout;
use crate::error::SiteError;

/// The encoding's format tag: bumped when the encoding changes.
const FORMAT: &str = "aerostat-snapshot/v1";

/// Which site a snapshot holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// Site name (its folder under `site/`).
    pub name: String,
    /// `data.site_type` of its site definition.
    pub site_type: String,
}

/// One source file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFile {
    /// Repository name (empty for files given directly).
    pub repo: String,
    /// Path inside the repository, `/`-separated.
    pub path: String,
    /// The file's text.
    pub text: std::sync::Arc<String>,
    /// Where the file stops being UTF-8 (its text is then a lossy decoding), so that a
    /// render reports it at that byte; absent, and not encoded, for every UTF-8 file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_utf8: Option<NotUtf8At>,
}

/// Where a file stops being UTF-8 ([`aero_docs::source::NotUtf8`], as stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotUtf8At {
    /// Byte offset of the first bad byte.
    pub offset: usize,
    /// The bad byte.
    pub byte: u8,
    /// Its 1-based line.
    pub line: u32,
    /// Its 1-based column.
    pub column: u32,
}

/// One repository read at another revision: `reference` (a git revision or a folder) of
/// the repository named `repo`, or of the site's own repository when `repo` is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    /// Repository name (`--repo NAME=...`); `None` for the one holding the site.
    pub repo: Option<String>,
    /// Git revision or folder.
    pub reference: String,
}

/// A site's (or a set of loose files') sources at one revision.
#[derive(Clone, Debug)]
pub struct Snapshot {
    site: Option<SiteInfo>,
    files: Vec<SnapshotFile>,
    /// Repository roots on disk, for finding keys; not part of the content.
    roots: Vec<PathBuf>,
    /// The content address, computed when first asked for ([`Snapshot::id`]): `aero
    /// render` never needs it.
    id: std::sync::OnceLock<String>,
}

#[derive(Serialize, Deserialize)]
struct Encoded {
    format: String,
    site: Option<SiteInfo>,
    files: Vec<SnapshotFile>,
}

/// [`Encoded`] borrowing a snapshot's parts: the same JSON, without copying them.
#[derive(Serialize)]
struct EncodedRef<'a> {
    format: &'a str,
    site: &'a Option<SiteInfo>,
    files: &'a [SnapshotFile],
}

/// Feeds what is written to a SHA-256 hasher.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Equal content (the id is derived from it, computed or not yet).
impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.site == other.site && self.files == other.files && self.roots == other.roots
    }
}

impl Eq for Snapshot {}

impl Snapshot {
    /// Collects `site` from `repos` as they are on disk, or with one repository read at
    /// another revision (`pin`).
    pub fn collect(repos: &[RepoSpec], site: &str, pin: Option<&Pin>) -> Result<Self, SiteError> {
        let roots = repos.iter().map(|repo| repo.path.clone()).collect();
        let Some(pin) = pin else {
            let collected = collect_site(repos, site)?;
            return Ok(Self::from_sources(
                Some(SiteInfo {
                    name: collected.name,
                    site_type: collected.site_type,
                }),
                &collected.sources,
                roots,
            ));
        };
        let target = match &pin.repo {
            Some(name) => name.clone(),
            None => site_repo(repos, site),
        };
        let mut pinned = repos.to_vec();
        let repo = pinned
            .iter_mut()
            .find(|repo| repo.name == target)
            .ok_or_else(|| SiteError::UnknownRepository {
                name: target.clone(),
                known: repos.iter().map(|repo| repo.name.clone()).collect(),
            })?;
        let checkout = Checkout::of(repo, &pin.reference)?;
        repo.path = checkout.path().to_path_buf();
        let collected = collect_site(&pinned, site)?;
        Ok(Self::from_sources(
            Some(SiteInfo {
                name: collected.name,
                site_type: collected.site_type,
            }),
            &collected.sources,
            roots,
        ))
    }

    /// Collects loose files and folders (`aero render PATH...`), in the order given.
    pub fn from_paths(paths: &[PathBuf]) -> Result<Self, SiteError> {
        let sources = collect_paths(paths)?;
        Ok(Self::from_sources(None, &sources, Vec::new()))
    }

    fn from_sources(site: Option<SiteInfo>, sources: &SourceSet, roots: Vec<PathBuf>) -> Self {
        let files = sources
            .iter()
            .map(|(id, file)| SnapshotFile {
                repo: file.repo.clone(),
                path: file.rel_path.clone(),
                text: file.text.clone(),
                not_utf8: sources.not_utf8(id).map(|bad| NotUtf8At {
                    offset: bad.offset,
                    byte: bad.byte,
                    line: bad.line,
                    column: bad.column,
                }),
            })
            .collect();
        Self::new(site, files, roots)
    }

    fn new(site: Option<SiteInfo>, files: Vec<SnapshotFile>, roots: Vec<PathBuf>) -> Self {
        Self {
            site,
            files,
            roots,
            id: std::sync::OnceLock::new(),
        }
    }

    /// The content address: SHA-256 (hex) of [`Snapshot::to_bytes`].
    pub fn id(&self) -> &str {
        self.id.get_or_init(|| self.content_id())
    }

    /// The site, unless the snapshot holds loose files.
    pub fn site(&self) -> Option<&SiteInfo> {
        self.site.as_ref()
    }

    /// The files, in collection order.
    pub fn files(&self) -> &[SnapshotFile] {
        &self.files
    }

    /// The repositories' folders on disk (where a demo key may be found); empty for a
    /// snapshot read back from storage.
    pub fn repo_roots(&self) -> Vec<PathBuf> {
        self.roots.clone()
    }

    /// The canonical encoding (JSON, fields in a fixed order, files in collection order).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain strings and vectors into memory cannot fail.
        serde_json::to_vec(&self.encoded()).unwrap_or_default()
    }

    fn encoded(&self) -> EncodedRef<'_> {
        EncodedRef {
            format: FORMAT,
            site: &self.site,
            files: &self.files,
        }
    }

    /// SHA-256 (hex) of [`Snapshot::to_bytes`], hashed as it is encoded: a large site's
    /// encoding is never held in memory for it.
    fn content_id(&self) -> String {
        let mut writer = HashWriter(Sha256::new());
        // Serialising plain strings and vectors into a hasher cannot fail.
        let _ = serde_json::to_writer(&mut writer, &self.encoded());
        let digest = writer.0.finalize();
        hex::encode(digest)
    }

    /// Reads back a snapshot stored under `id`, checking that the content matches it.
    pub fn from_bytes(id: &str, bytes: &[u8]) -> Result<Self, SiteError> {
        let bad = |reason: String| SiteError::BadSnapshot {
            id: id.to_string(),
            reason,
        };
        let encoded: Encoded =
            serde_json::from_slice(bytes).map_err(|error| bad(error.to_string()))?;
        if encoded.format != FORMAT {
            return Err(bad(format!(
                "format `{}` is not `{FORMAT}` (written by another version of aero?)",
                encoded.format
            )));
        }
        let snapshot = Self::new(encoded.site, encoded.files, Vec::new());
        if snapshot.id() != id {
            return Err(bad(format!(
                "its content hashes to {}, not to its id",
                snapshot.id()
            )));
        }
        Ok(snapshot)
    }

    /// The files as the document engine's source set.
    pub fn sources(&self) -> SourceSet {
        let mut sources = SourceSet::new();
        for file in &self.files {
            sources.add_decoded(
                SourceFile {
                    repo: file.repo.clone(),
                    rel_path: file.path.clone(),
                    path: PathBuf::from(&file.repo).join(&file.path),
                    text: file.text.clone(),
                },
                file.not_utf8.map(|bad| NotUtf8 {
                    offset: bad.offset,
                    byte: bad.byte,
                    line: bad.line,
                    column: bad.column,
                }),
            );
        }
        sources
    }
}

/// The repository holding `site/<site>/site-definition.yaml` in the working tree, or
/// the first repository (whose error then names the site).
fn site_repo(repos: &[RepoSpec], site: &str) -> String {
    repos
        .iter()
        .find(|repo| {
            Path::new(&repo.path)
                .join("site")
                .join(site)
                .join("site-definition.yaml")
                .is_file()
        })
        .or(repos.first())
        .map(|repo| repo.name.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_sha256_of_the_stored_bytes_and_stays_what_it_was() {
        let snapshot = loose(&[("a.yaml", "---\na: \"é\\n\"\n"), ("b.yaml", "---\nb: 2\n")]);
        let digest = Sha256::digest(snapshot.to_bytes());
        let hex: String = hex::encode(digest);
        assert_eq!(snapshot.id(), hex);
        // The encoding of a snapshot is its stored form: it must not drift.
        assert_eq!(
            String::from_utf8(loose(&[("a.yaml", "a: 1\n")]).to_bytes()).unwrap(),
            format!(
                r#"{{"format":"{FORMAT}","site":null,"files":[{{"repo":"","path":"a.yaml","text":"a: 1\n"}}]}}"#
            )
        );
    }

    fn loose(files: &[(&str, &str)]) -> Snapshot {
        Snapshot::new(
            None,
            files
                .iter()
                .map(|(path, text)| SnapshotFile {
                    repo: String::new(),
                    path: path.to_string(),
                    text: std::sync::Arc::new(text.to_string()),
                    not_utf8: None,
                })
                .collect(),
            Vec::new(),
        )
    }

    #[test]
    fn equal_files_give_equal_ids_and_any_change_a_new_one() {
        let one = loose(&[("a.yaml", "---\na: 1\n")]);
        assert_eq!(one.id(), loose(&[("a.yaml", "---\na: 1\n")]).id());
        assert_ne!(one.id(), loose(&[("a.yaml", "---\na: 2\n")]).id());
        assert_ne!(one.id(), loose(&[("b.yaml", "---\na: 1\n")]).id());
        assert_eq!(one.id().len(), 64);
    }

    #[test]
    fn stored_bytes_read_back_only_under_their_own_id() {
        let snapshot = loose(&[("a.yaml", "---\na: 1\n"), ("b.yaml", "---\nb: 2\n")]);
        let bytes = snapshot.to_bytes();
        let back = Snapshot::from_bytes(snapshot.id(), &bytes).unwrap();
        assert_eq!(back.files(), snapshot.files());
        let mut tampered = bytes.clone();
        let at = tampered
            .windows(4)
            .position(|window| window == b"a: 1")
            .unwrap();
        tampered[at + 3] = b'9';
        let error = Snapshot::from_bytes(snapshot.id(), &tampered).unwrap_err();
        assert!(error.to_string().contains("hashes to"), "{error}");
        assert!(Snapshot::from_bytes("x", b"not json").is_err());
    }

    #[test]
    fn a_file_that_is_not_utf8_is_reported_where_it_breaks_after_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), b"---\na: caf\xe9\n").unwrap();
        let snapshot = Snapshot::from_paths(&[dir.path().to_path_buf()]).unwrap();
        let back = Snapshot::from_bytes(snapshot.id(), &snapshot.to_bytes()).unwrap();
        let sources = back.sources();
        let (id, _) = sources.iter().next().unwrap();
        let bad = sources.not_utf8(id).expect("still known not to be UTF-8");
        assert_eq!((bad.offset, bad.line, bad.column), (10, 2, 7));
        // UTF-8 files encode as before, so their snapshot ids do not change.
        let plain = loose(&[("a.yaml", "---\na: 1\n")]);
        assert!(!String::from_utf8_lossy(&plain.to_bytes()).contains("not_utf8"));
    }
}
