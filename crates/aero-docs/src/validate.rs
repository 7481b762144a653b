//! Schema validation of rendered documents.
//!
//! Every document kind can have a JSON Schema for its `data`: Aerostat's built-in ones
//! (embedded from the workspace's `schemas/` folder) and the site's own
//! `deckhand/DataSchema/v1` documents, which take precedence. As in Deckhand, a
//! DataSchema named `ns/Kind/vN` validates documents whose schema has the same
//! `ns/Kind` and version; abstract documents are never validated. Each schema is
//! compiled once per run.

use std::collections::{BTreeMap, HashMap};

use crate::diagnostic::{Diagnostic, ErrorKind, Location, Severity};
use crate::document::{DATA_SCHEMA_SCHEMA, DocIndex, is_valid_schema_name, schema_prefix};
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

/// Collects the schemas that apply to this render: built-ins overlaid by the site's
/// DataSchemas. Problems with the DataSchemas themselves go to `diagnostics`.
pub fn schema_set(
    rendered: &Rendered,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, SchemaEntry> {
    // Deckhand knew only its own kinds' schemas; everything else came from the site's
    // DataSchemas. In its mode, Aerostat's built-ins for other kinds stay out, so a
    // site that Deckhand accepted is not rejected by a schema Deckhand never had.
    let mut set: BTreeMap<String, SchemaEntry> = builtin_schemas()
        .into_iter()
        .filter(|(name, _)| rendered.mode == Mode::Aerostat || name.starts_with("deckhand/"))
        .map(|(name, schema)| {
            (
                name,
                SchemaEntry {
                    schema,
                    origin: SchemaOrigin::Builtin,
                },
            )
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
        if let Some(SchemaEntry {
            origin: SchemaOrigin::Builtin,
            ..
        }) = set.get(&key)
        {
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

/// Validates every concrete rendered document against its schema.
pub fn validate(rendered: &Rendered) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let set = schema_set(rendered, &mut diagnostics);
    let mut compiled: HashMap<String, Option<jsonschema::Validator>> = HashMap::new();
    for index in &rendered.output {
        let document = rendered.document(*index);
        let key = schema_key(&document.schema);
        let Some(entry) = set.get(&key) else { continue };
        let validator = compiled.entry(key.clone()).or_insert_with(|| {
            match compile(&entry.schema, &entry.origin) {
                Ok(validator) => Some(validator),
                Err(message) => {
                    let location = match entry.origin {
                        SchemaOrigin::Site(schema_doc) => {
                            Some(rendered.document(schema_doc).location)
                        }
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
                    None
                }
            }
        });
        let Some(validator) = validator else { continue };
        let root = rendered.data[index.get()];
        let data = rendered.arena.to_json(root);
        let mut errors: Vec<(String, String)> = validator
            .iter_errors(&data)
            .map(|error| {
                let pointer = error.instance_path().to_string();
                (pointer, error.masked().to_string())
            })
            .collect();
        errors.sort();
        errors.dedup();
        for (pointer, message) in errors {
            let node = node_at_pointer(rendered, root, &pointer);
            let location = node
                .and_then(|node| node_location(rendered, node))
                .or(Some(document.location));
            let json_path = pointer_to_path(&pointer);
            let schema_note = match entry.origin {
                SchemaOrigin::Builtin => format!("Aerostat's built-in schema for {key}"),
                SchemaOrigin::Site(schema_doc) => format!(
                    "the site's DataSchema {}",
                    rendered.document(schema_doc).doc_ref()
                ),
            };
            diagnostics.push(
                Diagnostic::error(
                    ErrorKind::SchemaValidationFailure,
                    format!("{json_path}: {message}"),
                )
                .at(location)
                .in_document(document.doc_ref())
                .with_path(json_path)
                .with_hint(format!("the value does not match {schema_note}")),
            );
        }
    }
    diagnostics
}

fn compile(
    schema: &serde_json::Value,
    origin: &SchemaOrigin,
) -> Result<jsonschema::Validator, String> {
    let declared = schema
        .get("$schema")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let known_draft = ["draft-04", "draft-06", "draft-07", "2019-09", "2020-12"]
        .iter()
        .any(|draft| declared.contains(draft));
    let mut options = jsonschema::options();
    if !known_draft {
        // Deckhand validates DataSchemas with draft 4; `$schema: http://json-schema.org/schema#`
        // (common in Airship sites) means "latest", which Deckhand also read as draft 4.
        options = options.with_draft(jsonschema::Draft::Draft4);
    }
    let mut schema = schema.clone();
    if !known_draft && let serde_json::Value::Object(map) = &mut schema {
        map.remove("$schema");
    }
    let _ = origin;
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
