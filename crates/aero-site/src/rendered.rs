//! A rendered, validated site and typed views of its documents.

use aero_docs::compat::CompatReport;
use aero_docs::diagnostic::{Diagnostic, Location, Severity};
use aero_docs::diff::SiteDiff;
use aero_docs::document::{DocIndex, schema_prefix};
use aero_docs::explain::Leaf;
use aero_docs::lint::LintConfig;
use aero_docs::mode::Mode;
use aero_docs::path::DocPath;
use aero_docs::render::{RenderConfig, Rendered, render};
use aero_docs::source::{SourceId, SourceSet};
use aero_redact::SharedRedactor;

use crate::error::SiteError;
use crate::keys::Keys;
use crate::snapshot::{SiteInfo, Snapshot};

/// How to render.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Semantics: Aerostat's own, or Deckhand's for migration.
    pub mode: Mode,
    /// Validate the rendered documents against their schemas.
    pub validate: bool,
    /// Check documents' metadata as Deckhand's pre-validation does, before rendering
    /// ([`aero_docs::render::RenderConfig::validate_metadata`]); `false` only for
    /// `--no-validate`, and only Deckhand's mode honours it.
    pub validate_metadata: bool,
    /// Without a key, render encrypted documents as opaque placeholders instead of
    /// failing (lint and diff work without the key this way).
    pub allow_encrypted: bool,
    /// Where secrets found while rendering are registered, so no later output of the
    /// run shows them.
    pub redactor: Option<SharedRedactor>,
}

impl Default for RenderOptions {
    /// Aerostat's semantics, validated, keys required, no redactor.
    fn default() -> Self {
        Self {
            mode: Mode::Aerostat,
            validate: true,
            validate_metadata: true,
            allow_encrypted: false,
            redactor: None,
        }
    }
}

/// A site (or a set of loose documents) rendered and validated.
///
/// Everything the engine found wrong is a diagnostic here; a render with errors still
/// holds every document that did render, but has no revision id.
#[derive(Debug)]
pub struct RenderedSite {
    site: Option<SiteInfo>,
    sources: SourceSet,
    rendered: Rendered,
    validation: Vec<Diagnostic>,
    diagnostics: Vec<Diagnostic>,
    /// Whether no diagnostic is an error (only then is there a revision id).
    valid: bool,
    /// The revision id, computed when first asked for: hashing a large render costs
    /// about a tenth of rendering it, and `aero render` never shows it.
    revision: std::sync::OnceLock<String>,
}

impl Snapshot {
    /// Renders (and unless told otherwise validates) the snapshot with `keys`.
    pub fn render(&self, keys: &Keys, options: &RenderOptions) -> RenderedSite {
        let sources = self.sources();
        let mut config = RenderConfig::new(options.mode);
        config.validate_metadata = options.validate_metadata;
        config.decryptor = Some(keys.decryptor());
        config.allow_encrypted = options.allow_encrypted && keys.identities().is_none();
        let started = std::time::Instant::now();
        let rendered = render(&sources, &config);
        if let Some(redactor) = &options.redactor {
            for secret in &rendered.secret_strings {
                redactor.add_secret(secret);
            }
        }
        let validation = if options.validate {
            aero_docs::validate::validate(&rendered)
        } else {
            Vec::new()
        };
        let mut diagnostics = rendered.diagnostics.clone();
        diagnostics.extend(validation.iter().cloned());
        let valid = !aero_docs::diagnostic::has_errors(&diagnostics);
        tracing::info!(
            documents = rendered.documents.len(),
            output = rendered.output.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "rendered"
        );
        RenderedSite {
            site: self.site().cloned(),
            sources,
            rendered,
            validation,
            diagnostics,
            valid,
            revision: std::sync::OnceLock::new(),
        }
    }
}

impl RenderedSite {
    /// The site, unless loose documents were rendered.
    pub fn site(&self) -> Option<&SiteInfo> {
        self.site.as_ref()
    }

    /// The semantics used.
    pub fn mode(&self) -> Mode {
        self.rendered.mode
    }

    /// Whether no diagnostic is an error.
    pub fn is_valid(&self) -> bool {
        self.valid
    }

    /// The revision id (SHA-256 of the canonical rendered documents) of a valid render.
    pub fn revision_id(&self) -> Option<&str> {
        self.valid.then(|| {
            self.revision
                .get_or_init(|| aero_docs::revision::revision_id(&self.rendered))
                .as_str()
        })
    }

    /// Every diagnostic: rendering's, then validation's.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Validation's diagnostics only.
    pub fn validation_diagnostics(&self) -> &[Diagnostic] {
        &self.validation
    }

    /// How many diagnostics have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == severity)
            .count()
    }

    /// The source files read.
    pub fn sources(&self) -> &SourceSet {
        &self.sources
    }

    /// Files whose text must never be quoted: those holding a secret document, and those
    /// too malformed to load whose text suggests secret material.
    pub fn secret_files(&self) -> Vec<SourceId> {
        let mut files: Vec<SourceId> = self
            .rendered
            .documents
            .iter()
            .filter(|document| document.is_secret())
            .map(|document| document.source)
            .collect();
        files.extend(
            self.sources
                .iter()
                .filter(|(_, file)| aero_docs::secret_kinds::text_may_hold_secrets(&file.text))
                .map(|(id, _)| id),
        );
        files.sort();
        files.dedup();
        files
    }

    /// Whether the render found any secret value (the output then holds secrets).
    pub fn has_secrets(&self) -> bool {
        !self.rendered.secret_strings.is_empty()
    }

    /// `file:line:column` of a location, for people.
    pub fn place(&self, location: &Location) -> String {
        format!(
            "{}:{}:{}",
            self.sources.get(location.source).display_name(),
            location.line,
            location.column
        )
    }

    /// The rendered documents a consumer gets (concrete, not replaced, control documents
    /// included), sorted by schema and name.
    pub fn documents(&self) -> impl ExactSizeIterator<Item = DocumentView<'_>> + '_ {
        self.rendered.output.iter().map(|index| DocumentView {
            site: self,
            index: *index,
        })
    }

    /// Rendered documents of one kind (`ns/Kind`, any version; or `ns/Kind/vN`).
    pub fn documents_of_kind<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = DocumentView<'a>> + 'a {
        self.documents()
            .filter(move |document| kind_matches(document.schema(), kind))
    }

    /// The rendered document of this schema (`ns/Kind/vN`, or `ns/Kind` for any
    /// version) and name.
    pub fn find(&self, schema: &str, name: &str) -> Option<DocumentView<'_>> {
        self.documents()
            .find(|document| kind_matches(document.schema(), schema) && document.name() == name)
    }

    /// The rendered document a user named (`ns/Kind/vN/name` or `ns/Kind/name`), with a
    /// suggestion when there is none.
    pub fn lookup(&self, reference: &DocumentRef) -> Result<DocumentView<'_>, SiteError> {
        aero_docs::explain::find_document(&self.rendered, &reference.schema, &reference.name)
            .map(|index| DocumentView { site: self, index })
            .map_err(|error| SiteError::Document(error.to_string()))
    }

    /// Where every value under `path` of a document came from.
    pub fn explain(
        &self,
        document: &DocumentView<'_>,
        path: &DocPath,
    ) -> Result<Vec<Leaf>, SiteError> {
        aero_docs::explain::explain(&self.rendered, document.index, path)
            .map_err(|error| SiteError::Document(error.to_string()))
    }

    /// How messages name the document with this engine index (for explain's leaves).
    pub fn describe(&self, index: DocIndex) -> String {
        self.rendered.document(index).doc_ref().to_string()
    }

    /// Every lint finding (Pegleg's codes and Aerostat's), validation included.
    pub fn lint(&self, config: &LintConfig) -> Vec<Diagnostic> {
        aero_docs::lint::lint(&self.sources, &self.rendered, &self.validation, config)
    }

    /// Field-level differences from `before` to `self`.
    pub fn diff_from(&self, before: &RenderedSite) -> SiteDiff {
        aero_docs::diff::diff(&before.rendered, &self.rendered)
    }

    /// Every value where this (Aerostat-mode) render and a Deckhand-mode render of the
    /// same snapshot differ.
    pub fn compat_report(&self, deckhand: &RenderedSite) -> CompatReport {
        aero_docs::compat::compat_report(&self.rendered, &deckhand.rendered)
    }

    /// The engine's result, for what this crate does not wrap.
    pub fn engine(&self) -> &Rendered {
        &self.rendered
    }
}

fn kind_matches(schema: &str, wanted: &str) -> bool {
    schema == wanted || schema_prefix(schema) == wanted
}

/// A rendered document.
#[derive(Clone, Copy)]
pub struct DocumentView<'a> {
    site: &'a RenderedSite,
    index: DocIndex,
}

impl std::fmt::Debug for DocumentView<'_> {
    /// Names the document only: its data may hold secrets.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "DocumentView({}/{})", self.schema(), self.name())
    }
}

impl<'a> DocumentView<'a> {
    fn document(&self) -> &'a aero_docs::document::Document {
        self.site.rendered.document(self.index)
    }

    /// `schema`, e.g. `drydock/BaremetalNode/v1`.
    pub fn schema(&self) -> &'a str {
        &self.document().schema
    }

    /// `metadata.name`.
    pub fn name(&self) -> &'a str {
        &self.document().name
    }

    /// `metadata.layeringDefinition.layer`.
    pub fn layer(&self) -> Option<&'a str> {
        self.document().layer.as_deref()
    }

    /// `metadata.labels`.
    pub fn labels(&self) -> &'a serde_json::Map<String, serde_json::Value> {
        &self.document().labels
    }

    /// Whether its data is secret (a secret kind, or stored encrypted).
    pub fn is_secret(&self) -> bool {
        self.document().is_secret()
    }

    /// Whether it is a control document.
    pub fn is_control(&self) -> bool {
        self.document().is_control()
    }

    /// Where the document starts.
    pub fn location(&self) -> Location {
        self.document().location
    }

    /// `file:line:column` where the document starts.
    pub fn place(&self) -> String {
        self.site.place(&self.location())
    }

    /// `schema/name (layer …)`, how messages name it.
    pub fn describe(&self) -> String {
        self.document().doc_ref().to_string()
    }

    /// The rendered data, secrets in clear: for the deploy path, never for display.
    pub fn data(&self) -> serde_json::Value {
        self.site
            .rendered
            .arena
            .to_json(self.site.rendered.data[self.index.get()])
    }

    /// The whole document (`schema`, `metadata`, `data`), secrets in clear.
    pub fn to_json(&self) -> serde_json::Value {
        self.site.rendered.document_json(self.index)
    }

    /// The whole document to write with [`crate::write_json_documents`], as
    /// [`DocumentView::to_json`] gives it, without building that tree (for large outputs).
    pub fn json(&self) -> crate::json_view::DocumentJson<'a> {
        crate::json_view::DocumentJson::new(&self.site.rendered, self.index)
    }

    /// The whole document with secret values replaced by their tokens.
    pub fn to_redacted_json(&self, redactor: &SharedRedactor) -> serde_json::Value {
        let mut document = self.to_json();
        document["data"] = crate::redacted::redacted_tree(
            &self.site.rendered,
            self.site.rendered.data[self.index.get()],
            redactor,
            self.is_secret(),
        );
        document
    }

    /// Where the value at `path` (e.g. `.oob.address`) of the rendered data was written,
    /// through layering and substitution: the line a domain error should name.
    pub fn value_location(&self, path: &str) -> Option<Location> {
        let path = DocPath::parse(path).ok()?;
        let root = self.site.rendered.data[self.index.get()];
        let node = self.site.rendered.arena.get(root, &path)?;
        aero_docs::validate::node_location(&self.site.rendered, node)
    }

    /// `file:line:column` of [`DocumentView::value_location`], or of the document when
    /// the value has none.
    pub fn value_place(&self, path: &str) -> String {
        self.site
            .place(&self.value_location(path).unwrap_or(self.location()))
    }
}

/// A document named by a user: `ns/Kind/vN/name`, or `ns/Kind/name` for any version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentRef {
    /// `ns/Kind/vN` or `ns/Kind`.
    pub schema: String,
    /// `metadata.name` (may contain `/`).
    pub name: String,
}

impl std::str::FromStr for DocumentRef {
    type Err = SiteError;

    fn from_str(text: &str) -> Result<Self, SiteError> {
        let parts: Vec<&str> = text.split('/').collect();
        let is_version = |part: &str| {
            part.strip_prefix('v').is_some_and(|digits| {
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            })
        };
        if parts.len() >= 4 && is_version(parts[2]) {
            return Ok(Self {
                schema: parts[..3].join("/"),
                name: parts[3..].join("/"),
            });
        }
        if parts.len() >= 3 && parts.iter().all(|part| !part.is_empty()) {
            return Ok(Self {
                schema: parts[..2].join("/"),
                name: parts[2..].join("/"),
            });
        }
        Err(SiteError::Document(format!(
            "document `{text}`: expected SCHEMA/NAME such as armada/Chart/v2/keystone"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_refs_take_the_version_when_there_is_one() {
        let full: DocumentRef = "armada/Chart/v2/nova".parse().unwrap();
        assert_eq!(full.schema, "armada/Chart/v2");
        assert_eq!(full.name, "nova");
        let short: DocumentRef = "armada/Chart/nova/extra".parse().unwrap();
        assert_eq!(short.schema, "armada/Chart");
        assert_eq!(short.name, "nova/extra");
        assert!("armada/Chart".parse::<DocumentRef>().is_err());
        assert!("a//b".parse::<DocumentRef>().is_err());
    }
}
