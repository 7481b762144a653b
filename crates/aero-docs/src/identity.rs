//! Document identities: a raw identity (schema, layer, name) appears once, and two
//! documents share a (schema, name) only as a replacement pair (Deckhand's
//! `deckhand/engine/_replacement.py` and the duplicate check of
//! `deckhand/engine/document_validation.py`).

use foldhash::{HashMap, HashMapExt as _};

use crate::diagnostic::{Diagnostic, ErrorKind, Severity};
use crate::document::{DocIndex, Document, MetadataKind};

/// Raw identity (schema, layer, name) must be unique; so must (schema, name) among
/// documents that are not replacements of each other (checked with parents later).
///
/// The raw identity check is Deckhand's `DuplicateDocumentValidator`
/// (`deckhand/engine/document_validation.py`), which runs only when documents are
/// validated (`strict`). Without it, Deckhand's engine keeps the first document of an
/// identity (`_documents_by_index.setdefault(document.meta, document)` in
/// `deckhand/engine/layering.py`): later ones are then dropped with an A001 warning
/// (marked failed, so they are neither output nor a substitution source).
pub fn check_identities(
    documents: &[Document],
    strict: bool,
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
                let diagnostic = if strict {
                    Diagnostic::error(
                        ErrorKind::DuplicateDocument,
                        format!("duplicate document {}", document.doc_ref()),
                    )
                    .with_hint("each (schema, layer, name) may appear once; rename or remove one")
                } else {
                    Diagnostic::lint(
                        ErrorKind::DuplicateDocument.code(),
                        Severity::Warning,
                        format!(
                            "duplicate document {}: without validation Deckhand keeps the first",
                            document.doc_ref()
                        ),
                    )
                    .with_hint("each (schema, layer, name) may appear once; remove one")
                };
                diagnostics.push(
                    diagnostic
                        .at(Some(document.location))
                        .in_document(document.doc_ref())
                        .with_related(Some(first.location), "first defined here"),
                );
                failed[document.index.get()] = true;
            }
            None => {
                seen.insert(key, document);
            }
        }
    }
}

/// Deckhand's replacement rules; returns who replaces whom.
pub fn check_replacements(
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
