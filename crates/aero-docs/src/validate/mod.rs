//! Schema validation of rendered documents.
//!
//! Every document kind can have a JSON Schema for its `data`: Aerostat's built-in ones
//! (embedded from the workspace's `schemas/` folder) and the site's own
//! `deckhand/DataSchema/v1` documents, which take precedence. As in Deckhand, a
//! DataSchema named `ns/Kind/vN` validates documents whose schema has the same
//! `ns/Kind` and version; abstract documents are never validated. Each schema is
//! compiled once per run, and only if a document of its kind is validated; each distinct
//! `pattern` expression once per run, whichever schemas repeat it ([`patterns`]).
//!
//! Two rules follow how Deckhand validated (Python's `jsonschema.Draft4Validator(schema)`
//! in `deckhand/engine/document_validation.py`, `DataSchemaValidator.validate`), because
//! real Airship sites depend on them:
//!
//! - **`format` is not asserted.** Deckhand created its validator without a format
//!   checker, so `format: ipv4` constrained nothing. Only Aerostat's own kinds
//!   (`aerostat/*`) assert formats, and only in Aerostat's mode. For the others, Aerostat's
//!   mode names every value that would fail its format as an A010 warning; Deckhand's mode
//!   says nothing, as Deckhand did.
//! - **`$ref` resolves lazily.** Deckhand's resolver looked a reference up only when
//!   validation reached it, so a reference to a missing definition failed only the
//!   documents whose validation went that way (with `RefResolutionError`). References
//!   that do not resolve ([`refs`]) are compiled as accepting anything, and [`reach`]
//!   walks each document's validation as Python's did: a document that reaches one is an
//!   error in both modes; one that no document reaches is an A009 warning in Aerostat's
//!   mode, naming the schema, its file and line and the JSON pointer.

mod arena_json;
mod patterns;
mod reach;
mod refs;

use arena_json::{ArenaJson, ArenaNode};

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::diagnostic::{Diagnostic, DocRef, ErrorKind, Location, Severity};
use crate::document::{
    DATA_SCHEMA_SCHEMA, DocIndex, Document, is_valid_schema_name, schema_prefix,
};
use crate::mode::Mode;
use crate::render::Rendered;
use crate::value::{NodeId, OriginKind, Value};

include!(concat!(env!("OUT_DIR"), "/builtin_schemas.rs"));

/// Where a schema came from.
#[derive(Clone, Debug, PartialEq)]
pub enum SchemaOrigin {
    /// Embedded in Aerostat.
    Builtin,
    /// A `deckhand/DataSchema/v1` document of the site.
    Site(DocIndex),
}

/// The schema that applies to a document kind.
#[derive(Clone, Debug)]
pub struct SchemaEntry {
    /// The JSON Schema.
    pub schema: serde_json::Value,
    /// Where it came from.
    pub origin: SchemaOrigin,
}

/// `ns/Kind/vN` with a `.0` version suffix dropped, the key schemas are matched by.
pub fn schema_key(schema: &str) -> String {
    let trimmed = schema.strip_suffix(".0").unwrap_or(schema);
    trimmed.to_string()
}

/// The built-in schemas, parsed.
pub fn builtin_schemas() -> BTreeMap<String, serde_json::Value> {
    BUILTIN_SCHEMAS
        .iter()
        .filter_map(|(name, text)| {
            serde_json::from_str(text)
                .ok()
                .map(|schema| (name.to_string(), schema))
        })
        .collect()
}

/// The built-in schemas (kind, JSON text) that apply in `mode`.
// Deckhand knew only its own kinds' schemas; everything else came from the site's
// DataSchemas. In its mode, Aerostat's built-ins for other kinds stay out, so a site
// that Deckhand accepted is not rejected by a schema Deckhand never had.
fn builtins_for(mode: Mode) -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    BUILTIN_SCHEMAS
        .iter()
        .filter(move |(name, _)| mode == Mode::Aerostat || name.starts_with("deckhand/"))
}

/// Collects the schemas that apply to this render: built-ins overlaid by the site's
/// DataSchemas. Problems with the DataSchemas themselves go to `diagnostics`.
pub fn schema_set(
    rendered: &Rendered,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, SchemaEntry> {
    // Only the built-ins of kinds the render holds are parsed: the rest would never be
    // looked up, and parsing all of them cost more than validating a small site.
    let kinds_present: HashSet<String> = rendered
        .output
        .iter()
        .map(|index| schema_key(&rendered.document(*index).schema))
        .collect();
    let mut set: BTreeMap<String, SchemaEntry> = builtins_for(rendered.mode)
        .filter(|(name, _)| kinds_present.contains(*name))
        .filter_map(|(name, text)| {
            let schema = serde_json::from_str(text).ok()?;
            let origin = SchemaOrigin::Builtin;
            Some((name.to_string(), SchemaEntry { schema, origin }))
        })
        .collect();
    let mut from_site: HashMap<String, DocIndex> = HashMap::new();
    for document in &rendered.documents {
        if schema_prefix(&document.schema) != "deckhand/DataSchema" {
            continue;
        }
        let name = &document.name;
        if name.starts_with("deckhand/") || name.starts_with("metadata/") {
            diagnostics.push(
                Diagnostic::error(
                    ErrorKind::InvalidDocumentFormat,
                    format!(
                        "DataSchema `{name}`: the deckhand and metadata namespaces are reserved"
                    ),
                )
                .at(Some(document.location))
                .in_document(document.doc_ref()),
            );
            continue;
        }
        let data = rendered.arena.to_json(rendered.data[document.index.get()]);
        let empty = match &data {
            serde_json::Value::Object(map) => map.is_empty(),
            serde_json::Value::Null => true,
            _ => false,
        };
        if !is_valid_schema_name(name) || empty {
            diagnostics.push(
                Diagnostic::lint("A008", Severity::Warning, format!("DataSchema `{name}` is ignored: its name is not ns/Kind/vN or its data is empty"))
                    .at(Some(document.location))
                    .in_document(document.doc_ref()),
            );
            continue;
        }
        let key = schema_key(name);
        if let Some(first) = from_site.get(&key) {
            let first_doc = rendered.document(*first);
            let first_data = rendered.arena.to_json(rendered.data[first.get()]);
            let identical = first_data == data;
            match (rendered.mode, identical) {
                (_, true) => diagnostics.push(
                    Diagnostic::lint(
                        "P004",
                        Severity::Warning,
                        format!("duplicate DataSchema for `{key}` (identical)"),
                    )
                    .at(Some(document.location))
                    .in_document(document.doc_ref())
                    .with_related(Some(first_doc.location), "first defined here"),
                ),
                (Mode::Deckhand, false) => diagnostics.push(
                    Diagnostic::lint(
                        "P004",
                        Severity::Warning,
                        format!(
                            "duplicate DataSchema for `{key}` that differs; Deckhand uses the first"
                        ),
                    )
                    .at(Some(document.location))
                    .in_document(document.doc_ref())
                    .with_related(Some(first_doc.location), "the one used"),
                ),
                (Mode::Aerostat, false) => {
                    let mut diagnostic = Diagnostic::error(
                        ErrorKind::ConflictingControlDocuments,
                        format!("two different DataSchemas for `{key}`"),
                    )
                    .at(Some(document.location))
                    .in_document(document.doc_ref())
                    .with_related(Some(first_doc.location), "the other one")
                    .with_hint("keep one DataSchema per kind");
                    diagnostic.code = "P004";
                    diagnostics.push(diagnostic);
                }
            }
            continue;
        }
        from_site.insert(key.clone(), document.index);
        if builtins_for(rendered.mode).any(|(name, _)| *name == key) {
            diagnostics.push(
                Diagnostic::lint("A004", Severity::Note, format!("the site's DataSchema for `{key}` takes precedence over Aerostat's built-in schema"))
                    .at(Some(document.location))
                    .in_document(document.doc_ref()),
            );
        }
        set.insert(
            key,
            SchemaEntry {
                schema: data,
                origin: SchemaOrigin::Site(document.index),
            },
        );
    }
    set
}

/// Lint code of a `$ref` that does not resolve and that no document's validation reaches.
pub const UNRESOLVED_REFERENCE_CODE: &str = "A009";
/// Lint code of a value that fails a `format` the kind's schema does not assert.
pub const UNASSERTED_FORMAT_CODE: &str = "A010";

/// Whether the schema for a kind asserts `format`: only Aerostat's own kinds
/// (`aerostat/*`), in Aerostat's mode. Deckhand never asserted formats, and Airship kinds
/// follow its rules in both modes.
pub fn asserts_formats(mode: Mode, key: &str) -> bool {
    mode == Mode::Aerostat && key.starts_with("aerostat/")
}

/// A kind's schema, compiled, and what validating against it needs besides.
struct CompiledSchema {
    validator: jsonschema::Validator<ArenaJson>,
    /// The same schema with formats asserted, to name the values that would fail them:
    /// Aerostat's mode, a kind whose formats are not asserted, a schema that uses `format`.
    with_formats: Option<jsonschema::Validator<ArenaJson>>,
    /// References that do not resolve; the validator accepts anything there.
    unresolved: Vec<refs::Reference>,
    /// The schema's regular expressions, for [`reach::reaches`].
    patterns: reach::Patterns,
}

/// Validates every concrete rendered document against its schema.
pub fn validate(rendered: &Rendered) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let set = schema_set(rendered, &mut diagnostics);
    let mut compiled: HashMap<String, Option<CompiledSchema>> = HashMap::new();
    let patterns = patterns::PatternCache::default();
    // (kind, JSON pointer of the `$ref`) of every unresolved reference some document reached.
    let mut reached: HashSet<(String, String)> = HashSet::new();
    for index in &rendered.output {
        let document = rendered.document(*index);
        let key = schema_key(&document.schema);
        let Some(entry) = set.get(&key) else { continue };
        let compiled_schema = compiled
            .entry(key.clone())
            .or_insert_with(|| compile_entry(rendered, &key, entry, &patterns, &mut diagnostics));
        let Some(compiled_schema) = compiled_schema else {
            continue;
        };
        let check = DocumentCheck {
            rendered,
            document,
            root: rendered.data[index.get()],
            key: &key,
            entry,
        };
        let data = ArenaNode::new(&rendered.arena, check.root);
        let failures = check.schema_errors(&compiled_schema.validator, data, &mut diagnostics);
        if !compiled_schema.unresolved.is_empty()
            && let Some(reference) = reach::reaches(
                &entry.schema,
                &rendered.arena.to_json(check.root),
                &mut compiled_schema.patterns,
            )
        {
            diagnostics.push(check.reached_unresolved(&reference));
            reached.insert((key.clone(), reference.schema_pointer));
        }
        if let Some(with_formats) = &compiled_schema.with_formats
            && !with_formats.is_valid(data)
        {
            check.format_warnings(with_formats, data, &failures, &mut diagnostics);
        }
    }
    if rendered.mode == Mode::Aerostat {
        for (key, entry) in &set {
            let unresolved = match (compiled.get(key), &entry.origin) {
                (Some(Some(compiled_schema)), _) => compiled_schema.unresolved.clone(),
                // Aerostat's own schemas resolve every reference (a test checks it).
                (Some(None), _) | (None, SchemaOrigin::Builtin) => continue,
                (None, SchemaOrigin::Site(_)) => refs::unresolved_references(&entry.schema),
            };
            for reference in unresolved {
                if !reached.contains(&(key.clone(), reference.pointer.clone())) {
                    diagnostics.push(unreached_reference(rendered, key, entry, &reference));
                }
            }
        }
    }
    diagnostics
}

/// Compiles the schema of kind `key`; a schema that does not compile is reported once and
/// validates nothing.
fn compile_entry(
    rendered: &Rendered,
    key: &str,
    entry: &SchemaEntry,
    patterns: &patterns::PatternCache,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<CompiledSchema> {
    let refs::Survey {
        unresolved,
        uses_format,
    } = refs::survey(&entry.schema);
    let formats = asserts_formats(rendered.mode, key);
    let validator = match compile(&entry.schema, formats, &unresolved, patterns) {
        Ok(validator) => validator,
        Err(message) => {
            let location = match entry.origin {
                SchemaOrigin::Site(schema_doc) => Some(rendered.document(schema_doc).location),
                SchemaOrigin::Builtin => None,
            };
            diagnostics.push(
                Diagnostic::error(
                    ErrorKind::InvalidDocumentFormat,
                    format!("the schema for `{key}` does not compile: {message}"),
                )
                .at(location)
                .with_hint("fix the DataSchema's JSON Schema"),
            );
            return None;
        }
    };
    let with_formats = (rendered.mode == Mode::Aerostat && !formats && uses_format)
        .then(|| compile(&entry.schema, true, &unresolved, patterns).ok())
        .flatten();
    Some(CompiledSchema {
        validator,
        with_formats,
        unresolved,
        patterns: reach::Patterns::default(),
    })
}

/// One document being validated against its kind's schema.
struct DocumentCheck<'a> {
    rendered: &'a Rendered,
    document: &'a Document,
    /// Root of the document's rendered data.
    root: NodeId,
    key: &'a str,
    entry: &'a SchemaEntry,
}

impl DocumentCheck<'_> {
    /// D002 for every error of the schema, located at the value; returns each error's
    /// (instance path, schema path), to tell the errors formats add.
    fn schema_errors(
        &self,
        validator: &jsonschema::Validator<ArenaJson>,
        data: ArenaNode<'_>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> HashSet<(String, String)> {
        let mut failures = HashSet::new();
        // Most documents are valid: `is_valid` stops at nothing and builds no error, while
        // collecting errors walks everything and allocates as it goes.
        if validator.is_valid(data) {
            return failures;
        }
        let mut errors: Vec<(String, String)> = Vec::new();
        for error in validator.iter_errors(data) {
            let pointer = error.instance_path().to_string();
            failures.insert((pointer.clone(), error.schema_path().to_string()));
            errors.push((pointer, error.masked().to_string()));
        }
        errors.sort();
        errors.dedup();
        for (pointer, message) in errors {
            let json_path = pointer_to_path(&pointer);
            diagnostics.push(
                Diagnostic::error(
                    ErrorKind::SchemaValidationFailure,
                    format!("{json_path}: {message}"),
                )
                .at(self.location_of(&pointer))
                .in_document(self.document.doc_ref())
                .with_path(json_path)
                .with_hint(format!("the value does not match {}", self.schema_note())),
            );
        }
        failures
    }

    /// The error for a document whose validation reaches a reference that does not
    /// resolve: Deckhand's validator raised `RefResolutionError` there.
    fn reached_unresolved(&self, reached: &reach::Reached) -> Diagnostic {
        let json_path = pointer_to_path(&reached.instance_pointer);
        Diagnostic::error(
            ErrorKind::SchemaValidationFailure,
            format!(
                "{json_path}: validation reaches `$ref: {}` at {} of {}, which does not resolve",
                reached.reference,
                reached.schema_pointer,
                self.schema_note()
            ),
        )
        .at(self.location_of(&reached.instance_pointer))
        .in_document(self.document.doc_ref())
        .with_path(json_path)
        .with_related(
            reference_location(self.rendered, self.entry, &reached.schema_pointer),
            "the reference",
        )
        .with_hint("Deckhand failed here too (RefResolutionError): fix the reference, or the definition it names")
    }

    /// An A010 warning for each error that asserting formats adds: the value that would
    /// fail its format, named unless it is secret.
    fn format_warnings(
        &self,
        with_formats: &jsonschema::Validator<ArenaJson>,
        data: ArenaNode<'_>,
        failures: &HashSet<(String, String)>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let mut warnings: Vec<(String, String)> = Vec::new();
        for error in with_formats.iter_errors(data) {
            let pointer = error.instance_path().to_string();
            if failures.contains(&(pointer.clone(), error.schema_path().to_string())) {
                continue;
            }
            let message = match error.kind() {
                jsonschema::error::ValidationErrorKind::Format { format } => format!(
                    "{} is not a valid `{format}`",
                    self.describe_value(&pointer, error.instance())
                ),
                _ => format!("with formats asserted: {}", error.masked()),
            };
            warnings.push((pointer, message));
        }
        warnings.sort();
        warnings.dedup();
        for (pointer, message) in warnings {
            let json_path = pointer_to_path(&pointer);
            diagnostics.push(
                Diagnostic::lint(
                    UNASSERTED_FORMAT_CODE,
                    Severity::Warning,
                    format!("{json_path}: {message}"),
                )
                .at(self.location_of(&pointer))
                .in_document(self.document.doc_ref())
                .with_path(json_path)
                .with_hint(format!(
                    "{} does not assert formats for {} (Deckhand never did); fix the value, as a stricter validator would refuse it",
                    self.schema_note(),
                    self.key
                )),
            );
        }
    }

    /// A value for a message: its JSON, shortened, or "the value" when it is secret.
    fn describe_value(&self, pointer: &str, value: &serde_json::Value) -> String {
        let node = node_at_pointer(self.rendered, self.root, pointer);
        let secret = self.document.is_secret()
            || node.is_some_and(|node| self.rendered.arena.is_secret(node));
        if secret {
            return "the value".to_string();
        }
        let text = value.to_string();
        if text.chars().count() > 60 {
            format!("{}…", text.chars().take(59).collect::<String>())
        } else {
            text
        }
    }

    /// Where the value at `pointer` was written, else where the document starts.
    fn location_of(&self, pointer: &str) -> Option<Location> {
        node_at_pointer(self.rendered, self.root, pointer)
            .and_then(|node| node_location(self.rendered, node))
            .or(Some(self.document.location))
    }

    fn schema_note(&self) -> String {
        schema_note(self.rendered, self.key, self.entry)
    }
}

/// How messages name the schema of kind `key`.
fn schema_note(rendered: &Rendered, key: &str, entry: &SchemaEntry) -> String {
    match entry.origin {
        SchemaOrigin::Builtin => format!("Aerostat's built-in schema for {key}"),
        SchemaOrigin::Site(schema_doc) => {
            format!(
                "the site's DataSchema {}",
                rendered.document(schema_doc).doc_ref()
            )
        }
    }
}

/// Where a `$ref` (by the JSON pointer of its key) is written in a site DataSchema.
fn reference_location(rendered: &Rendered, entry: &SchemaEntry, pointer: &str) -> Option<Location> {
    let SchemaOrigin::Site(schema_doc) = entry.origin else {
        return None;
    };
    node_at_pointer(rendered, rendered.data[schema_doc.get()], pointer)
        .and_then(|node| node_location(rendered, node))
        .or(Some(rendered.document(schema_doc).location))
}

/// The A009 warning for a reference that does not resolve and that no document reached.
fn unreached_reference(
    rendered: &Rendered,
    key: &str,
    entry: &SchemaEntry,
    reference: &refs::Reference,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::lint(
        UNRESOLVED_REFERENCE_CODE,
        Severity::Warning,
        format!(
            "`$ref: {}` at {} of {} does not resolve; no document's validation reaches it",
            reference.reference,
            reference.pointer,
            schema_note(rendered, key, entry)
        ),
    )
    .at(reference_location(rendered, entry, &reference.pointer))
    .with_hint("fix or remove the reference: Deckhand resolved references only when validation reached them, and a document that reaches this one is an error");
    if let SchemaOrigin::Site(schema_doc) = entry.origin {
        let schema_ref: DocRef = rendered.document(schema_doc).doc_ref();
        diagnostic = diagnostic.in_document(schema_ref);
    }
    diagnostic
}

/// Compiles a schema: draft 4 unless `$schema` names another draft (Deckhand read
/// `http://json-schema.org/schema#`, common in Airship sites, as draft 4), formats
/// asserted or not, and the references in `unresolved` accepting anything; `pattern`s come
/// from the run's shared cache. Nothing is ever fetched.
fn compile(
    schema: &serde_json::Value,
    formats: bool,
    unresolved: &[refs::Reference],
    patterns: &patterns::PatternCache,
) -> Result<jsonschema::Validator<ArenaJson>, String> {
    let declared = schema
        .get("$schema")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let known_draft = ["draft-04", "draft-06", "draft-07", "2019-09", "2020-12"]
        .iter()
        .any(|draft| declared.contains(draft));
    let mut options = patterns.install(
        jsonschema::options_for::<ArenaJson>()
            .should_validate_formats(formats)
            .with_retriever(refs::UnresolvedRetriever),
    );
    if !known_draft {
        options = options.with_draft(jsonschema::Draft::Draft4);
    }
    // The schema is copied only to change it: a copy of each schema was a fifth of
    // validation's own instructions on a 400-document site.
    let mut schema = if unresolved.is_empty() {
        std::borrow::Cow::Borrowed(schema)
    } else {
        std::borrow::Cow::Owned(refs::point_unresolved_away(schema, unresolved))
    };
    if !known_draft
        && schema.get("$schema").is_some()
        && let serde_json::Value::Object(map) = schema.to_mut()
    {
        map.remove("$schema");
    }
    options.build(&schema).map_err(|error| error.to_string())
}

fn node_at_pointer(rendered: &Rendered, root: NodeId, pointer: &str) -> Option<NodeId> {
    let mut current = root;
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        current = match rendered.arena.value(current) {
            Value::Map(entries) => *entries.get(segment.as_str())?,
            Value::Seq(items) => *items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// `/a/0/b` as `.a[0].b`.
pub fn pointer_to_path(pointer: &str) -> String {
    let mut path = crate::path::DocPath::root();
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        path = match segment.parse::<usize>() {
            Ok(index) if !segment.starts_with('+') => {
                path.child(crate::path::Segment::Index(index))
            }
            _ => path.child(crate::path::Segment::Key(segment)),
        };
    }
    path.to_string()
}

/// The file position where a node's value was written, following substitutions back
/// to their source.
pub fn node_location(rendered: &Rendered, node: NodeId) -> Option<Location> {
    let (line, column) = rendered.arena.node_position(node);
    if line == 0 {
        return None;
    }
    let mut origin = rendered.arena.node_origin(node);
    loop {
        match &rendered.arena.origin(origin).kind {
            OriginKind::Literal { source, .. } => {
                return Some(Location {
                    source: *source,
                    line,
                    column,
                });
            }
            OriginKind::Substituted { inner, .. } => origin = *inner,
            OriginKind::PatternReplaced { original, .. } => origin = *original,
            OriginKind::Created { doc } => return Some(rendered.document(*doc).location),
        }
    }
}

/// Whether `DATA_SCHEMA_SCHEMA` documents are present (used by lint).
pub fn is_data_schema(schema: &str) -> bool {
    schema_prefix(schema) == schema_prefix(DATA_SCHEMA_SCHEMA)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aerostat's own schemas must not rely on lazy resolution: every reference resolves.
    #[test]
    fn every_builtin_reference_resolves() {
        for (name, schema) in builtin_schemas() {
            assert_eq!(refs::unresolved_references(&schema), [], "{name}");
        }
    }

    #[test]
    fn only_aerostat_kinds_assert_formats_and_only_in_aerostat_mode() {
        assert!(asserts_formats(Mode::Aerostat, "aerostat/Node/v1"));
        assert!(!asserts_formats(Mode::Deckhand, "aerostat/Node/v1"));
        assert!(!asserts_formats(Mode::Aerostat, "drydock/BaremetalNode/v1"));
    }
}
