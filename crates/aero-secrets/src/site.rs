//! A site's YAML files, parsed, for the secret commands.
//!
//! Files are found by [`aero_docs::collect::collect_site`] (Pegleg's walk: `global/`,
//! `type/<type>/`, `site/<site>/` of every repository) and loaded with `aero_yaml`
//! (YAML 1.2). Commands read catalogues and existing secrets from every layer, but only
//! ever rewrite the site's own files (under `site/<site>/`): files of `global/` and
//! `type/` are shared with other sites, whose recipients may differ.

use std::fmt;
use std::path::{Path, PathBuf};

use aero_docs::collect::{RepoSpec, collect_site};
use aero_docs::source::SourceFile;
use aero_yaml::{Dialect, LoadErrorKind, LoadOptions};
use serde_json::Value;

use crate::document;
use crate::error::SecretsError;
use crate::keys::{Identities, Recipients};

/// One document of a file, with the line it starts on. `Debug` shows no data.
#[derive(Clone)]
pub struct LoadedDocument {
    /// The whole document (`schema`, `metadata`, `data`).
    pub value: Value,
    /// 1-based line where the document starts.
    pub line: u32,
}

/// One YAML file of the site. `Debug` shows no text or data.
#[derive(Clone)]
pub struct LoadedFile {
    /// The file as collected.
    pub source: SourceFile,
    /// Comment lines at the top of the file (kept when the file is rewritten).
    pub header: String,
    /// Its documents in order (empty documents left out).
    pub documents: Vec<LoadedDocument>,
}

impl fmt::Debug for LoadedDocument {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("LoadedDocument")
            .field("document", &document::describe(&self.value))
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for LoadedFile {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("LoadedFile")
            .field("file", &self.display())
            .field("documents", &self.documents)
            .finish_non_exhaustive()
    }
}

impl LoadedFile {
    /// The name shown to a person (`repo/rel/path.yaml`).
    pub fn display(&self) -> String {
        self.source.display_name()
    }

    /// The file's text with `documents` in place of its documents, header kept.
    pub fn render(&self, documents: &[Value]) -> String {
        render_file(&self.header, documents)
    }
}

/// A file's text: `documents` as a YAML stream, with the `header` comment lines right
/// after the first `---` (so the file still starts with `---`, as Pegleg's lint wants).
pub fn render_file(header: &str, documents: &[Value]) -> String {
    let stream = aero_yaml::documents_to_yaml(documents);
    match stream.strip_prefix("---\n") {
        Some(rest) => format!("---\n{header}{rest}"),
        None => format!("{header}{stream}"),
    }
}

/// A site's files, loaded.
#[derive(Clone, Debug)]
pub struct LoadedSite {
    /// Site name.
    pub name: String,
    /// The repositories searched.
    pub repos: Vec<RepoSpec>,
    /// The repository holding the site definition (where generated files go).
    pub site_repo: RepoSpec,
    /// The site definition document.
    pub definition: Value,
    /// Index of the site definition's file in `files`.
    pub definition_file: usize,
    /// Every collected file in collection order.
    pub files: Vec<LoadedFile>,
}

/// The options every secret file is loaded with.
pub fn load_options() -> LoadOptions {
    LoadOptions::new(Dialect::Yaml12)
}

/// Parses a file's documents. Error messages hold the failure kind and position only,
/// never text from the file (it may be a secret).
pub fn parse_documents(text: &str, display: &str) -> Result<Vec<LoadedDocument>, SecretsError> {
    let documents =
        aero_yaml::load_all(text, &load_options()).map_err(|error| SecretsError::Parse {
            file: display.to_string(),
            line: error.mark.line,
            column: error.mark.col,
            reason: describe_load_error(error.kind).to_string(),
        })?;
    Ok(documents
        .into_iter()
        .filter(|document| !matches!(document.root.value, aero_yaml::Yaml::Null))
        .map(|document| LoadedDocument {
            value: document.root.to_json(),
            line: document.root.span.start.line.max(document.start.line),
        })
        .collect())
}

fn describe_load_error(kind: LoadErrorKind) -> &'static str {
    match kind {
        LoadErrorKind::Syntax => "invalid YAML syntax",
        LoadErrorKind::DuplicateKey => "duplicate mapping key",
        LoadErrorKind::UnknownAlias => "unknown alias",
        LoadErrorKind::UnknownTag => "unsupported tag",
        LoadErrorKind::InvalidValue => "value does not fit its tag",
        LoadErrorKind::TooDeep => "nested too deeply",
        LoadErrorKind::TooLarge => "too many nodes",
        _ => "invalid YAML",
    }
}

/// The comment block at the top of `text`: its comment lines (and blank lines between
/// them) before the first content line, a first `---` marker skipped. [`render_file`]
/// writes it back right after the first `---`.
pub fn leading_comments(text: &str) -> String {
    let mut header = String::new();
    let mut pending_blank = String::new();
    let mut marker_seen = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            header.push_str(&pending_blank);
            pending_blank.clear();
            header.push_str(line);
            if !line.ends_with('\n') {
                header.push('\n');
            }
        } else if trimmed.is_empty() {
            if !header.is_empty() {
                pending_blank.push_str(line);
            }
        } else if trimmed == "---" && !marker_seen {
            marker_seen = true;
        } else {
            break;
        }
    }
    header
}

impl LoadedSite {
    /// Collects and parses the files of `site`.
    pub fn load(repos: &[RepoSpec], site: &str) -> Result<Self, SecretsError> {
        let collected = collect_site(repos, site)?;
        let definition_source = collected.sources.get(collected.definition).clone();
        let site_repo = repos
            .iter()
            .find(|repo| repo.name == definition_source.repo)
            .cloned()
            .unwrap_or_else(|| RepoSpec {
                name: definition_source.repo.clone(),
                path: repo_root_of(&definition_source),
            });
        let mut files = Vec::new();
        let mut definition = None;
        for (id, source) in collected.sources.iter() {
            let display = source.display_name();
            let documents = parse_documents(&source.text, &display)?;
            if id == collected.definition {
                definition = documents
                    .iter()
                    .find(|document| {
                        document::schema(&document.value)
                            == Some(aero_docs::collect::SITE_DEFINITION_SCHEMA)
                    })
                    .map(|document| (files.len(), document.value.clone()));
            }
            files.push(LoadedFile {
                header: leading_comments(&source.text),
                source: source.clone(),
                documents,
            });
        }
        let (definition_file, definition) = definition.unwrap_or((0, Value::Null));
        Ok(Self {
            name: site.to_string(),
            repos: repos.to_vec(),
            site_repo,
            definition,
            definition_file,
            files,
        })
    }

    /// `site/<site>/`, the prefix of the site's own files inside a repository.
    pub fn site_prefix(&self) -> String {
        format!("site/{}/", self.name)
    }

    /// Whether `file` belongs to this site alone (is under `site/<site>/`).
    pub fn is_own_file(&self, file: &LoadedFile) -> bool {
        file.source.rel_path.starts_with(&self.site_prefix())
    }

    /// The folder of the site in its repository: `<repo>/site/<site>`.
    pub fn site_dir(&self) -> PathBuf {
        self.site_repo.path.join("site").join(&self.name)
    }

    /// Every document with its file, in collection order.
    pub fn documents(&self) -> impl Iterator<Item = (&LoadedFile, &LoadedDocument)> {
        self.files
            .iter()
            .flat_map(|file| file.documents.iter().map(move |document| (file, document)))
    }

    /// The last document (in collection order, so the most specific layer) with this
    /// schema and name.
    pub fn find(&self, schema: &str, name: &str) -> Option<(&LoadedFile, &LoadedDocument)> {
        self.documents()
            .filter(|(_, document)| {
                document::schema(&document.value) == Some(schema)
                    && document::name(&document.value) == Some(name)
            })
            .last()
    }

    /// The file at `path` among the collected files.
    pub fn file_at(&self, path: &Path) -> Option<&LoadedFile> {
        self.files.iter().find(|file| file.source.path == path)
    }

    /// Recipients listed in the site definition (`data.secrets.age_recipients`), if any.
    pub fn definition_recipients(&self) -> Result<Option<Recipients>, SecretsError> {
        let file = self
            .files
            .get(self.definition_file)
            .map(LoadedFile::display)
            .unwrap_or_default();
        let Some(list) = self
            .definition
            .get("data")
            .and_then(|data| data.get("secrets"))
            .and_then(|secrets| secrets.get("age_recipients"))
        else {
            return Ok(None);
        };
        let Value::Array(items) = list else {
            return Err(SecretsError::BadRecipientList { file });
        };
        let mut keys = Vec::new();
        for item in items {
            match item.as_str() {
                Some(key) => keys.push(key),
                None => return Err(SecretsError::BadRecipientList { file }),
            }
        }
        if keys.is_empty() {
            return Ok(None);
        }
        let origin = format!("{file}: data.secrets.age_recipients");
        Ok(Some(Recipients::parse_list(keys, &origin)?))
    }

    /// `explicit` recipients if given, else those of the site definition.
    pub fn recipients(
        &self,
        explicit: Option<&Recipients>,
    ) -> Result<Option<Recipients>, SecretsError> {
        match explicit {
            Some(recipients) => Ok(Some(recipients.clone())),
            None => self.definition_recipients(),
        }
    }

    /// The insecure demo identity of the site's repository, if it has one.
    pub fn demo_identity(&self) -> Result<Option<Identities>, SecretsError> {
        Ok(Identities::demo(&self.site_repo.path)?)
    }
}

fn repo_root_of(source: &SourceFile) -> PathBuf {
    let depth = source.rel_path.split('/').count();
    let mut root = source.path.clone();
    for _ in 0..depth {
        root.pop();
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_comments_stop_at_content() {
        let text = "# one\n\n# two\n---\n# after the marker\nschema: x\n# not header\n";
        assert_eq!(
            leading_comments(text),
            "# one\n\n# two\n# after the marker\n"
        );
        assert_eq!(
            leading_comments("---\n# first\n---\n# second\n"),
            "# first\n"
        );
        assert_eq!(leading_comments("schema: x\n# late\n"), "");
    }

    #[test]
    fn header_goes_after_the_first_marker() {
        let documents = [serde_json::json!({"a": 1}), serde_json::json!({"b": 2})];
        assert_eq!(
            render_file("# h\n", &documents),
            "---\n# h\na: 1\n---\nb: 2\n...\n"
        );
        assert_eq!(render_file("", &documents[..1]), "---\na: 1\n...\n");
    }

    #[test]
    fn debug_shows_no_data() {
        let documents = parse_documents(
            "---\nschema: deckhand/Passphrase/v1\nmetadata: {name: p}\ndata: hunter2-secret\n",
            "f.yaml",
        )
        .unwrap();
        let shown = format!("{documents:?}");
        assert!(
            shown.contains("deckhand/Passphrase/v1/p") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn parse_errors_hide_the_text() {
        let error = parse_documents("---\ndata: !!int sekrit-value\n", "f.yaml").unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("f.yaml:2:"), "{message}");
        assert!(!message.contains("sekrit"), "{message}");
    }
}
