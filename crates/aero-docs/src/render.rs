//! Rendering: from loaded documents to the rendered site, deterministically.
//!
//! The pipeline is `load -> decrypt -> identities -> layering policy -> parents ->
//! replacements -> dependency order -> layer + substitute each document -> output`.
//! Problems never stop the pipeline early: each is recorded as a diagnostic and the
//! documents that depend on a failed document are skipped, so one run reports as many
//! independent problems as possible. Nothing here does I/O.

use std::collections::{BTreeSet, HashMap};

use crate::decrypt::Decryptor;
use crate::diagnostic::{Diagnostic, ErrorKind, Severity, has_errors};
use crate::document::{DocIndex, Document, LAYERING_POLICY_SCHEMA, MetadataKind, load_documents};
use crate::layering::{apply_actions, select_parents};
use crate::mode::Mode;
use crate::order::{Graph, aerostat_order, deckhand_order};
use crate::source::SourceSet;
use crate::substitution::{SubstitutionContext, substitute_all};
use crate::value::{Arena, NodeId, Origin, OriginKind, Value};

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
}

impl<'a> RenderConfig<'a> {
    /// A configuration for `mode` with no decryptor.
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            decryptor: None,
            allow_encrypted: false,
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
    let dialect = config.mode.yaml_dialect();
    // A rendered site holds about one node per eight bytes of YAML (layering copies each
    // parent's data into every child); reserving that up front avoids regrowing the arena.
    // Reserved but untouched memory costs address space, not resident memory.
    let source_bytes: usize = sources.iter().map(|(_, file)| file.text.len()).sum();
    let mut arena = Arena::with_capacity(source_bytes / NODE_BYTES_ESTIMATE);
    let loaded = load_documents(sources, dialect, &mut arena);
    let mut documents = loaded.documents;
    let mut diagnostics = loaded.diagnostics;
    let mut secret_strings = BTreeSet::new();
    let count = documents.len();
    let mut failed = vec![false; count];

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
    check_identities(&documents, &mut diagnostics, &mut failed);

    let layer_order = match layering_policy(&arena, &documents, config.mode, &mut diagnostics) {
        Some(order) => order,
        None => {
            return Rendered {
                mode: config.mode,
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
            };
        }
    };
    for document in &documents {
        if let Some(layer) = &document.layer
            && !layer_order.contains(layer)
        {
            diagnostics.push(
                Diagnostic::error(
                    ErrorKind::InvalidDocumentLayer,
                    format!(
                        "layer `{layer}` is not in the layering policy's layerOrder ({})",
                        layer_order.join(", ")
                    ),
                )
                .at(Some(document.location))
                .in_document(document.doc_ref())
                .with_path("metadata.layeringDefinition.layer")
                .with_hint(suggest_layer(layer, &layer_order)),
            );
            failed[document.index.get()] = true;
        }
    }
    let effective_order: Vec<String> = layer_order
        .iter()
        .filter(|layer| {
            documents
                .iter()
                .any(|document| document.layer.as_ref() == Some(*layer))
        })
        .cloned()
        .collect();
    let parents = select_parents(
        &documents,
        &effective_order,
        config.mode,
        &mut diagnostics,
        &mut failed,
    );
    let parent = parents.parent;

    let replaced_by = check_replacements(&documents, &parent, &mut diagnostics, &mut failed);
    let source_map = substitution_sources(&documents, &replaced_by, &failed);
    let source_of = |schema: &str, name: &str| {
        source_map
            .get(&(schema.to_string(), name.to_string()))
            .copied()
    };

    // Dependency graph, in Deckhand's edge order.
    let mut graph = Graph::default();
    let mut used = vec![false; count];
    for document in &documents {
        if document.parent_selector.is_some()
            && let Some(parent_index) = parent[document.index.get()]
        {
            let ancestor = match replaced_by[parent_index.get()] {
                Some(replacement) if replacement != document.index => replacement,
                _ => parent_index,
            };
            graph.add_edge(document.index, ancestor);
            used[parent_index.get()] = true;
        }
        for substitution in &document.substitutions {
            if let Some(source) = source_of(&substitution.src_schema, &substitution.src_name) {
                graph.add_edge(document.index, source);
                used[source.get()] = true;
            }
        }
    }
    let mut excluded = vec![false; count];
    while let Some(mut cycle) = graph.find_cycle() {
        // Report the cycle from its smallest member so the message never depends on input order.
        if let Some(start) = (0..cycle.len()).min_by_key(|position| {
            let document = &documents[cycle[*position].get()];
            (&document.schema, &document.name, &document.layer)
        }) {
            cycle.rotate_left(start);
        }
        let names: Vec<String> = cycle
            .iter()
            .map(|index| documents[index.get()].doc_ref().to_string())
            .collect();
        let first = &documents[cycle[0].get()];
        let mut diagnostic = Diagnostic::error(
            ErrorKind::SubstitutionDependencyCycle,
            format!(
                "dependency cycle through layering and substitution: {} -> {}",
                names.join(" -> "),
                names[0]
            ),
        )
        .at(Some(first.location))
        .in_document(first.doc_ref())
        .with_hint(
            "break the cycle: a document cannot depend, directly or through others, on itself",
        );
        for member in &cycle {
            excluded[member.get()] = true;
            failed[member.get()] = true;
            diagnostic = diagnostic.with_related(
                Some(documents[member.get()].location),
                documents[member.get()].doc_ref().to_string(),
            );
        }
        diagnostics.push(diagnostic);
        for member in &cycle {
            graph.edges.insert(*member, Vec::new());
        }
    }
    let order = match config.mode {
        Mode::Aerostat => aerostat_order(&documents, &graph, &excluded),
        Mode::Deckhand => deckhand_order(&documents, &graph, &excluded),
    };

    let mut data: Vec<NodeId> = documents.iter().map(|document| document.data).collect();
    let created_origins: Vec<_> = documents
        .iter()
        .map(|document| {
            arena.add_origin(Origin {
                kind: OriginKind::Created {
                    doc: document.index,
                },
                secret: false,
            })
        })
        .collect();
    let mut warnings = Vec::new();
    tracing::debug!(documents = count, layers = ?layer_order, mode = ?config.mode, "rendering");
    for index in &order {
        let document = &documents[index.get()];
        let position = index.get();
        tracing::trace!(schema = %document.schema, name = %document.name, layer = ?document.layer, "document");
        if document.kind == MetadataKind::Control || failed[position] {
            continue;
        }
        // Aerostat mode shares parents' nodes and writes copy-on-write; Deckhand mode
        // copies eagerly and writes in place, as its shared substituted objects need.
        if config.mode == Mode::Aerostat {
            arena.begin_copy_on_write(document.index);
        }
        if let Some(parent_index) = parent[position]
            && document.parent_selector.is_some()
            && !document.actions.is_empty()
        {
            if failed[parent_index.get()] {
                failed[position] = true;
                continue;
            }
            match apply_actions(
                &mut arena,
                document,
                &documents[parent_index.get()],
                data[parent_index.get()],
                config.mode,
                created_origins[position],
            ) {
                Ok(layered_data) => data[position] = layered_data,
                Err(failure) => {
                    diagnostics.push(failure.diagnostic);
                    failed[position] = true;
                    continue;
                }
            }
        }
        if !document.substitutions.is_empty() {
            let sources_failed = document.substitutions.iter().any(|substitution| {
                source_of(&substitution.src_schema, &substitution.src_name)
                    .is_some_and(|source| failed[source.get()])
            });
            if sources_failed {
                failed[position] = true;
                continue;
            }
            let mut context = SubstitutionContext {
                arena: &mut arena,
                documents: &documents,
                current: &data,
                source_of: &source_of,
                mode: config.mode,
                secret_strings: &mut secret_strings,
                warnings: &mut warnings,
            };
            match substitute_all(&mut context, document, data[position]) {
                Ok(substituted) => data[position] = substituted,
                Err(diagnostic) => {
                    diagnostics.push(*diagnostic);
                    failed[position] = true;
                    continue;
                }
            }
        }
        if document.replacement
            && let Some(parent_index) = parent[position]
        {
            data[parent_index.get()] = data[position];
        }
    }
    arena.end_copy_on_write();
    diagnostics.extend(warnings);

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

fn collect_secret_strings(arena: &Arena, id: NodeId, out: &mut BTreeSet<String>) {
    match arena.value(id) {
        Value::Str(text) => {
            out.insert(text.to_string());
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

/// Raw identity (schema, layer, name) must be unique; so must (schema, name) among
/// documents that are not replacements of each other (checked with parents later).
fn check_identities(
    documents: &[Document],
    diagnostics: &mut Vec<Diagnostic>,
    failed: &mut [bool],
) {
    let mut seen: HashMap<(&str, Option<&str>, &str), &Document> = HashMap::new();
    for document in documents {
        let key = (
            document.schema.as_str(),
            document.layer.as_deref(),
            document.name.as_str(),
        );
        match seen.get(&key) {
            Some(first) => {
                diagnostics.push(
                    Diagnostic::error(
                        ErrorKind::DuplicateDocument,
                        format!("duplicate document {}", document.doc_ref()),
                    )
                    .at(Some(document.location))
                    .in_document(document.doc_ref())
                    .with_related(Some(first.location), "first defined here")
                    .with_hint("each (schema, layer, name) may appear once; rename or remove one"),
                );
                failed[document.index.get()] = true;
            }
            None => {
                seen.insert(key, document);
            }
        }
    }
}

fn layering_policy(
    arena: &Arena,
    documents: &[Document],
    mode: Mode,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<String>> {
    let policies: Vec<&Document> = documents
        .iter()
        .filter(|document| document.schema.starts_with("deckhand/LayeringPolicy"))
        .collect();
    let Some(first) = policies.first() else {
        diagnostics.push(
            Diagnostic::error(ErrorKind::LayeringPolicyNotFound, "no layering policy found, so nothing can be layered")
                .with_hint(format!("add a `{LAYERING_POLICY_SCHEMA}` control document with data.layerOrder, e.g. [global, type, site]")),
        );
        return None;
    };
    let read = |document: &Document, diagnostics: &mut Vec<Diagnostic>| -> Option<Vec<String>> {
        let order = match arena.value(document.data) {
            Value::Map(entries) => entries.get("layerOrder").map(|id| arena.value(*id)),
            _ => None,
        };
        let layers = match order {
            Some(Value::Seq(items)) => items
                .iter()
                .map(|item| match arena.value(*item) {
                    Value::Str(text) => Some(text.to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<String>>>(),
            _ => None,
        };
        if layers.is_none() {
            diagnostics.push(
                Diagnostic::error(
                    ErrorKind::InvalidDocumentFormat,
                    "the layering policy needs data.layerOrder, a list of layer names",
                )
                .at(Some(document.location))
                .in_document(document.doc_ref())
                .with_path("data.layerOrder"),
            );
        }
        layers
    };
    let chosen = read(first, diagnostics)?;
    for other in &policies[1..] {
        let other_order = read(other, diagnostics);
        match mode {
            Mode::Deckhand => diagnostics.push(
                Diagnostic::lint(
                    "A006",
                    Severity::Warning,
                    format!(
                        "more than one layering policy; Deckhand uses the first, {}",
                        first.doc_ref()
                    ),
                )
                .at(Some(other.location))
                .in_document(other.doc_ref()),
            ),
            Mode::Aerostat if other_order.as_ref() != Some(&chosen) => diagnostics.push(
                Diagnostic::error(
                    ErrorKind::ConflictingControlDocuments,
                    "layering policies disagree on layerOrder",
                )
                .at(Some(other.location))
                .in_document(other.doc_ref())
                .with_related(Some(first.location), "the other layering policy")
                .with_hint("keep exactly one LayeringPolicy"),
            ),
            Mode::Aerostat => diagnostics.push(
                Diagnostic::lint(
                    "A006",
                    Severity::Note,
                    "a second, identical layering policy",
                )
                .at(Some(other.location))
                .in_document(other.doc_ref()),
            ),
        }
    }
    Some(chosen)
}

fn suggest_layer(layer: &str, layer_order: &[String]) -> String {
    let closest = layer_order
        .iter()
        .map(|candidate| (crate::collect::edit_distance(layer, candidate), candidate))
        .min();
    match closest {
        Some((distance, candidate)) if distance <= 2 => format!("did you mean `{candidate}`?"),
        _ => format!("use one of: {}", layer_order.join(", ")),
    }
}

/// Deckhand's replacement rules; returns who replaces whom.
fn check_replacements(
    documents: &[Document],
    parent: &[Option<DocIndex>],
    diagnostics: &mut Vec<Diagnostic>,
    failed: &mut [bool],
) -> Vec<Option<DocIndex>> {
    let mut replaced_by: Vec<Option<DocIndex>> = vec![None; documents.len()];
    let error = |document: &Document, message: &str| {
        Diagnostic::error(ErrorKind::InvalidDocumentReplacement, message.to_string())
            .at(Some(document.location))
            .in_document(document.doc_ref())
    };
    for document in documents {
        let position = document.index.get();
        let parent_doc = parent[position].map(|index| &documents[index.get()]);
        if document.replacement {
            match parent_doc {
                None => {
                    diagnostics.push(
                        error(
                            document,
                            "a replacement document (`replacement: true`) needs a parent",
                        )
                        .with_path("metadata.replacement")
                        .with_hint("add a parentSelector matching the document it replaces"),
                    );
                    failed[position] = true;
                }
                Some(parent_doc)
                    if parent_doc.schema != document.schema || parent_doc.name != document.name =>
                {
                    diagnostics.push(
                        error(
                            document,
                            "a replacement must have the same schema and name as its parent",
                        )
                        .with_related(
                            Some(parent_doc.location),
                            format!("parent {}", parent_doc.doc_ref()),
                        ),
                    );
                    failed[position] = true;
                }
                Some(parent_doc) => {
                    if parent_doc.replacement {
                        diagnostics.push(
                            error(parent_doc, "a replacement document cannot itself be replaced by another document")
                                .with_related(Some(document.location), format!("replaced by {}", document.doc_ref())),
                        );
                        failed[position] = true;
                    }
                    if let Some(existing) = replaced_by[parent_doc.index.get()] {
                        diagnostics.push(
                            error(document, "the parent already has a replacement").with_related(
                                Some(documents[existing.get()].location),
                                "the other replacement",
                            ),
                        );
                        failed[position] = true;
                    } else {
                        replaced_by[parent_doc.index.get()] = Some(document.index);
                    }
                }
            }
        } else if let Some(parent_doc) = parent_doc
            && parent_doc.schema == document.schema
            && parent_doc.name == document.name
        {
            diagnostics.push(
                error(document, "a document with the same schema and name as its parent must be marked `replacement: true`")
                    .with_related(Some(parent_doc.location), "its parent")
                    .with_hint("add `replacement: true`, or give the document another name"),
            );
            failed[position] = true;
        }
    }
    // Two concrete, non-control documents with the same (schema, name) must be a
    // replacement pair.
    let mut by_name: HashMap<(&str, &str), Vec<&Document>> = HashMap::new();
    for document in documents
        .iter()
        .filter(|document| document.kind == MetadataKind::Document)
    {
        by_name
            .entry((&document.schema, &document.name))
            .or_default()
            .push(document);
    }
    let mut groups: Vec<_> = by_name
        .into_values()
        .filter(|group| group.len() > 1)
        .collect();
    groups.sort_by_key(|group| group[0].index);
    for group in groups {
        for document in &group[1..] {
            let paired = group.iter().any(|other| {
                replaced_by[other.index.get()] == Some(document.index)
                    || replaced_by[document.index.get()] == Some(other.index)
            });
            let same_identity = group[0].layer == document.layer;
            if !paired && !same_identity {
                diagnostics.push(
                    error(document, "two documents share this schema and name without one replacing the other")
                        .with_related(Some(group[0].location), "the other document")
                        .with_hint("rename one, or make it a replacement (`replacement: true` with a parentSelector)"),
                );
                failed[document.index.get()] = true;
            }
        }
    }
    replaced_by
}

/// `(schema, name)` of every concrete document, resolved to its replacement.
fn substitution_sources(
    documents: &[Document],
    replaced_by: &[Option<DocIndex>],
    failed: &[bool],
) -> HashMap<(String, String), DocIndex> {
    let mut map = HashMap::new();
    for document in documents {
        if document.is_abstract {
            continue;
        }
        let key = (document.schema.clone(), document.name.clone());
        let target = replaced_by[document.index.get()].unwrap_or(document.index);
        if failed[document.index.get()] && map.contains_key(&key) {
            continue;
        }
        map.insert(key, target);
    }
    map
}
