//! Rendering: from loaded documents to the rendered site, deterministically.
//!
//! The pipeline is `load -> decrypt -> identities -> layering policy -> parents ->
//! replacements -> dependency order -> layer + substitute each document -> output`.
//! Problems never stop the pipeline early: each is recorded as a diagnostic and the
//! documents that depend on a failed document are skipped, so one run reports as many
//! independent problems as possible. Nothing here does I/O.

use std::collections::BTreeSet;

use crate::decrypt::Decryptor;
use crate::dependencies::{Dependencies, SourceMap, dependency_graph, report_cycles};
use crate::diagnostic::{Diagnostic, ErrorKind, has_errors};
use crate::document::{DocIndex, Document, LoadConfig, MetadataKind, load_documents};
use crate::identity::{check_identities, check_replacements};
use crate::layering::{apply_actions, select_parents};
use crate::mode::Mode;
use crate::order::{aerostat_order, deckhand_order};
use crate::policy::{check_layers, effective_layer_order, layering_policy};
use crate::source::SourceSet;
use crate::substitution::{SubstitutionContext, substitute_all};
use crate::value::{Arena, NodeId, Origin, OriginId, OriginKind, Value};

/// Bytes of YAML per node of a rendered site (9 on the synthetic benchmark site, metadata
/// included); used only to size the node arena before loading.
const NODE_BYTES_ESTIMATE: usize = 8;

/// How to render.
pub struct RenderConfig<'a> {
    /// Semantics.
    pub mode: Mode,
    /// Opens encrypted documents; without one, encrypted documents are an error
    /// unless `allow_encrypted` is set.
    pub decryptor: Option<&'a dyn Decryptor>,
    /// Render encrypted documents' data as an opaque redacted placeholder instead of
    /// failing (for lint and diff without the key).
    pub allow_encrypted: bool,
    /// Check documents against Deckhand's base and metadata schemas, and refuse two
    /// documents with one raw identity, before rendering (default `true`). `false` is
    /// Pegleg's `--no-validate`, which builds Deckhand's engine with `validate=False`: it
    /// applies only in Deckhand's mode (what it then accepts is listed at
    /// [`LoadConfig::check_metadata`]; of two documents with one identity the first is kept, with a warning).
    /// Aerostat's mode always checks.
    pub validate_metadata: bool,
}

impl<'a> RenderConfig<'a> {
    /// A configuration for `mode` with no decryptor.
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            decryptor: None,
            allow_encrypted: false,
            validate_metadata: true,
        }
    }
}

/// The result of a render.
#[derive(Debug)]
pub struct Rendered {
    /// Semantics used.
    pub mode: Mode,
    /// The value arena holding every document's data.
    pub arena: Arena,
    /// Every loaded document, in input order.
    pub documents: Vec<Document>,
    /// Rendered data of each document (raw data when it was not rendered).
    pub data: Vec<NodeId>,
    /// Parent of each document.
    pub parent: Vec<Option<DocIndex>>,
    /// Replacement of each document, if it is replaced.
    pub replaced_by: Vec<Option<DocIndex>>,
    /// Whether each document failed (or depends on one that failed).
    pub failed: Vec<bool>,
    /// The processing order.
    pub order: Vec<DocIndex>,
    /// The documents a consumer gets: concrete, not replaced, control documents
    /// included, sorted by (schema, name).
    pub output: Vec<DocIndex>,
    /// The layer order in force.
    pub layer_order: Vec<String>,
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
    /// Secret strings seen while rendering (secret documents' values, values and
    /// fragments substituted from them), for redaction.
    pub secret_strings: BTreeSet<String>,
    /// Which documents were used as a parent or a substitution source.
    pub used: Vec<bool>,
}

impl Rendered {
    /// A render that stopped before layering (no usable layering policy): every document
    /// failed, nothing is output.
    fn unrendered(
        mode: Mode,
        arena: Arena,
        documents: Vec<Document>,
        diagnostics: Vec<Diagnostic>,
        secret_strings: BTreeSet<String>,
    ) -> Self {
        let count = documents.len();
        Rendered {
            mode,
            data: documents.iter().map(|document| document.data).collect(),
            parent: vec![None; count],
            replaced_by: vec![None; count],
            failed: vec![true; count],
            order: Vec::new(),
            output: Vec::new(),
            layer_order: Vec::new(),
            diagnostics,
            secret_strings,
            used: vec![false; count],
            arena,
            documents,
        }
    }

    /// Whether the render produced errors.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }

    /// The document with this index.
    pub fn document(&self, index: DocIndex) -> &Document {
        &self.documents[index.get()]
    }

    /// One rendered document as JSON: `schema`, `metadata`, `data`.
    pub fn document_json(&self, index: DocIndex) -> serde_json::Value {
        let document = self.document(index);
        let mut object = serde_json::Map::new();
        object.insert(
            "schema".to_string(),
            serde_json::Value::String(document.schema.clone()),
        );
        object.insert(
            "metadata".to_string(),
            self.arena.to_json(document.metadata),
        );
        object.insert(
            "data".to_string(),
            self.arena.to_json(self.data[index.get()]),
        );
        serde_json::Value::Object(object)
    }

    /// Finds an output document by schema and name.
    pub fn find(&self, schema: &str, name: &str) -> Option<DocIndex> {
        self.output.iter().copied().find(|index| {
            self.documents[index.get()].schema == schema && self.documents[index.get()].name == name
        })
    }
}

/// Renders every document of `sources`.
pub fn render(sources: &SourceSet, config: &RenderConfig<'_>) -> Rendered {
    // A rendered site holds about one node per eight bytes of YAML (layering copies each
    // parent's data into every child); reserving that up front avoids regrowing the arena.
    // Reserved but untouched memory costs address space, not resident memory.
    let source_bytes: usize = sources.iter().map(|(_, file)| file.text.len()).sum();
    let mut arena = Arena::with_capacity(source_bytes / NODE_BYTES_ESTIMATE);
    let check_metadata = config.validate_metadata || config.mode == Mode::Aerostat;
    let load_config = LoadConfig {
        mode: config.mode,
        check_metadata,
    };
    let loaded = load_documents(sources, &load_config, &mut arena);
    let mut documents = loaded.documents;
    let mut diagnostics = loaded.diagnostics;
    let mut secret_strings = BTreeSet::new();
    let count = documents.len();
    let mut failed = loaded.failed;
    let unreadable = loaded.unreadable;

    open_encrypted(
        &mut arena,
        &mut documents,
        config,
        &mut diagnostics,
        &mut failed,
    );
    for document in &documents {
        if document.is_secret() {
            collect_secret_strings(&arena, document.data, &mut secret_strings);
        }
    }
    check_identities(&documents, check_metadata, &mut diagnostics, &mut failed);

    let Some(layer_order) = layering_policy(
        &arena,
        &documents,
        config.mode,
        &unreadable,
        &mut diagnostics,
    ) else {
        return Rendered::unrendered(config.mode, arena, documents, diagnostics, secret_strings);
    };
    check_layers(&documents, &layer_order, &mut diagnostics, &mut failed);
    let effective_order = effective_layer_order(&documents, &layer_order);
    let parent = select_parents(
        &documents,
        &effective_order,
        config.mode,
        &mut diagnostics,
        &mut failed,
    )
    .parent;
    let replaced_by = check_replacements(&documents, &parent, &mut diagnostics, &mut failed);
    let sources_map = SourceMap::new(&documents, &replaced_by, &failed);
    let Dependencies { mut graph, used } =
        dependency_graph(&documents, &parent, &replaced_by, &sources_map);
    let excluded = report_cycles(&mut graph, &documents, &mut diagnostics, &mut failed);
    let order = match config.mode {
        Mode::Aerostat => aerostat_order(&documents, &graph, &excluded),
        Mode::Deckhand => deckhand_order(&documents, &graph, &excluded),
    };

    tracing::debug!(documents = count, layers = ?layer_order, mode = ?config.mode, "rendering");
    let mut data: Vec<NodeId> = documents.iter().map(|document| document.data).collect();
    let mut warnings = Vec::new();
    let mut pass = RenderPass {
        arena: &mut arena,
        documents: &documents,
        parent: &parent,
        sources: &sources_map,
        mode: config.mode,
        data: &mut data,
        failed: &mut failed,
        diagnostics: &mut diagnostics,
        warnings: &mut warnings,
        secret_strings: &mut secret_strings,
    };
    pass.run(&order);
    diagnostics.extend(warnings);

    let output = output_order(&documents, &replaced_by, &failed);
    Rendered {
        mode: config.mode,
        arena,
        documents,
        data,
        parent,
        replaced_by,
        failed,
        order,
        output,
        layer_order,
        diagnostics,
        secret_strings,
        used,
    }
}

/// The state the per-document step (layer, then substitute) works on.
struct RenderPass<'a> {
    arena: &'a mut Arena,
    documents: &'a [Document],
    parent: &'a [Option<DocIndex>],
    sources: &'a SourceMap,
    mode: Mode,
    /// Current data of every document: raw until the document is rendered.
    data: &'a mut [NodeId],
    failed: &'a mut [bool],
    diagnostics: &'a mut Vec<Diagnostic>,
    /// Substitution warnings, reported after the errors of the pass.
    warnings: &'a mut Vec<Diagnostic>,
    secret_strings: &'a mut BTreeSet<String>,
}

impl RenderPass<'_> {
    /// Layers and substitutes every document of `order` (dependencies come first), then
    /// copies each replacement's data into the document it replaces. Control documents
    /// pass through; a document whose parent or source failed fails without a message
    /// of its own (the cause is reported once).
    fn run(&mut self, order: &[DocIndex]) {
        let created_origins: Vec<_> = self
            .documents
            .iter()
            .map(|document| {
                self.arena.add_origin(Origin {
                    kind: OriginKind::Created {
                        doc: document.index,
                    },
                    secret: false,
                })
            })
            .collect();
        for index in order {
            let document = &self.documents[index.get()];
            tracing::trace!(schema = %document.schema, name = %document.name, layer = ?document.layer, "document");
            if document.kind == MetadataKind::Control || self.failed[index.get()] {
                continue;
            }
            // Aerostat mode shares parents' nodes and writes copy-on-write; Deckhand mode
            // copies eagerly and writes in place, as its shared substituted objects need.
            if self.mode == Mode::Aerostat {
                self.arena.begin_copy_on_write(document.index);
            }
            if self
                .render_one(document, created_origins[index.get()])
                .is_err()
            {
                self.failed[index.get()] = true;
            }
        }
        self.arena.end_copy_on_write();
    }

    /// Renders one document; `Err` when it fails (a diagnostic says why, or a dependency
    /// failed).
    fn render_one(&mut self, document: &Document, created: OriginId) -> Result<(), ()> {
        let position = document.index.get();
        if let Some(parent_index) = self.parent[position]
            && document.parent_selector.is_some()
            && !document.actions.is_empty()
        {
            if self.failed[parent_index.get()] {
                return Err(());
            }
            match apply_actions(
                self.arena,
                document,
                &self.documents[parent_index.get()],
                self.data[parent_index.get()],
                self.mode,
                created,
            ) {
                Ok(layered_data) => self.data[position] = layered_data,
                Err(failure) => {
                    self.diagnostics.push(failure.diagnostic);
                    return Err(());
                }
            }
        }
        if !document.substitutions.is_empty() {
            let sources = self.sources;
            let sources_failed = document.substitutions.iter().any(|substitution| {
                sources
                    .get(&substitution.src_schema, &substitution.src_name)
                    .is_some_and(|source| self.failed[source.get()])
            });
            if sources_failed {
                return Err(());
            }
            let source_of = |schema: &str, name: &str| sources.get(schema, name);
            let mut context = SubstitutionContext {
                arena: self.arena,
                documents: self.documents,
                current: &*self.data,
                source_of: &source_of,
                mode: self.mode,
                secret_strings: self.secret_strings,
                warnings: self.warnings,
            };
            match substitute_all(&mut context, document, self.data[position]) {
                Ok(substituted) => self.data[position] = substituted,
                Err(diagnostic) => {
                    self.diagnostics.push(*diagnostic);
                    return Err(());
                }
            }
        }
        if document.replacement
            && let Some(parent_index) = self.parent[position]
        {
            self.data[parent_index.get()] = self.data[position];
        }
        Ok(())
    }
}

/// The documents a consumer gets: concrete, not replaced, not failed, sorted by
/// (schema, name) (input order breaks ties).
fn output_order(
    documents: &[Document],
    replaced_by: &[Option<DocIndex>],
    failed: &[bool],
) -> Vec<DocIndex> {
    let mut output: Vec<DocIndex> = documents
        .iter()
        .filter(|document| {
            let position = document.index.get();
            !document.is_abstract && replaced_by[position].is_none() && !failed[position]
        })
        .map(|document| document.index)
        .collect();
    output.sort_by(|left, right| {
        let (left_doc, right_doc) = (&documents[left.get()], &documents[right.get()]);
        (&left_doc.schema, &left_doc.name, left).cmp(&(&right_doc.schema, &right_doc.name, right))
    });
    output
}

fn collect_secret_strings(arena: &Arena, id: NodeId, out: &mut BTreeSet<String>) {
    match arena.value(id) {
        Value::Str(text) => {
            out.insert(String::from(&**text));
        }
        Value::Int(_) | Value::Float(_) => {
            out.insert(arena.python_str(id));
        }
        Value::Seq(items) => items
            .iter()
            .for_each(|item| collect_secret_strings(arena, *item, out)),
        Value::Map(entries) => entries
            .values()
            .for_each(|value| collect_secret_strings(arena, *value, out)),
        Value::Null | Value::Bool(_) => {}
    }
}

fn open_encrypted(
    arena: &mut Arena,
    documents: &mut [Document],
    config: &RenderConfig<'_>,
    diagnostics: &mut Vec<Diagnostic>,
    failed: &mut [bool],
) {
    let Some(decryptor) = config.decryptor else {
        return;
    };
    for document in documents.iter_mut() {
        // Only secret documents are encrypted at rest; the rest are never converted.
        if !document.is_secret() || !matches!(arena.value(document.data), Value::Map(_)) {
            continue;
        }
        let json = arena.to_json(document.data);
        if !decryptor.is_encrypted(&json) {
            continue;
        }
        document.encrypted_at_rest = true;
        let (line, column) = arena.node_position(document.data);
        match decryptor.decrypt(&format!("{}/{}", document.schema, document.name), &json) {
            Ok(clear) => {
                document.data = arena.from_json(&clear, document.origin, line, column);
            }
            // Without the key (lint, diff), the data stays an opaque secret placeholder.
            Err(_) if config.allow_encrypted => {
                document.data = arena.add(
                    Value::Str("<encrypted>".into()),
                    document.origin,
                    line,
                    column,
                );
            }
            Err(error) => {
                diagnostics.push(
                    Diagnostic::error(
                        ErrorKind::EncryptionSourceNotFound,
                        format!("cannot decrypt the document's data: {error}"),
                    )
                    .at(Some(document.location))
                    .in_document(document.doc_ref())
                    .with_hint("give the age identity with --identity or AERO_AGE_IDENTITY_FILE"),
                );
                failed[document.index.get()] = true;
            }
        }
    }
}
