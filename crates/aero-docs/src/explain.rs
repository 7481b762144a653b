//! Provenance: where every value of a rendered document came from.
//!
//! `aero site explain` walks a rendered document and, for each leaf under a path,
//! reports the document and `file:line` that wrote it and how it arrived: written by
//! the document itself, inherited from a parent through layering, or put there by a
//! substitution (possibly through a pattern into a larger string). Secret values are
//! flagged so the caller redacts them.

use crate::diagnostic::Location;
use crate::document::DocIndex;
use crate::path::{DocPath, Segment};
use crate::render::Rendered;
use crate::validate::node_location;
use crate::value::{NodeId, OriginId, OriginKind, Value};

/// How a value reached the explained document.
#[derive(Clone, Debug, PartialEq)]
pub enum How {
    /// Written in the document's own data.
    Own,
    /// Inherited through layering from an ancestor (or from the document it replaces).
    Parent {
        /// The ancestor that wrote it.
        from: DocIndex,
    },
    /// Put there by a substitution of `by` (the explained document or an ancestor).
    Substitution {
        /// The document whose substitution wrote it.
        by: DocIndex,
        /// Index in its `metadata.substitutions`.
        substitution: usize,
        /// The source document.
        source: DocIndex,
        /// Whether a pattern replaced part of a string (rather than the whole value).
        pattern: bool,
    },
    /// Created by the engine (an empty mapping on the way to a destination, `{}` for null data).
    Created,
}

/// One explained leaf.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaf {
    /// Path in the document's data.
    pub path: DocPath,
    /// The value (secret values included: the caller must redact when `secret`).
    pub value: serde_json::Value,
    /// Whether the value is or contains secret material.
    pub secret: bool,
    /// How it got there.
    pub how: How,
    /// The document that wrote the value literally.
    pub written_by: Option<DocIndex>,
    /// Where it was written.
    pub location: Option<Location>,
}

/// Why a document or path cannot be explained.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ExplainError {
    /// No such rendered document.
    #[error("no rendered document {schema}/{name}{hint}")]
    NoDocument {
        /// Schema asked for.
        schema: String,
        /// Name asked for.
        name: String,
        /// A suggestion.
        hint: String,
    },
    /// The path does not exist in the document.
    #[error("{document} has no value at `{path}`")]
    NoPath {
        /// The document.
        document: String,
        /// The path.
        path: String,
    },
}

/// Finds a rendered document by `schema` and `name` (schema may omit the version).
pub fn find_document(
    rendered: &Rendered,
    schema: &str,
    name: &str,
) -> Result<DocIndex, ExplainError> {
    let matches = |document_schema: &str| {
        document_schema == schema || crate::document::schema_prefix(document_schema) == schema
    };
    if let Some(found) = rendered.output.iter().copied().find(|index| {
        matches(&rendered.document(*index).schema) && rendered.document(*index).name == name
    }) {
        return Ok(found);
    }
    let closest = rendered
        .output
        .iter()
        .map(|index| {
            let document = rendered.document(*index);
            let full = format!("{}/{}", document.schema, document.name);
            (
                crate::collect::edit_distance(&format!("{schema}/{name}"), &full),
                full,
            )
        })
        .min();
    let hint = match closest {
        Some((distance, full)) if distance <= 4 => format!("; did you mean {full}?"),
        _ => String::new(),
    };
    Err(ExplainError::NoDocument {
        schema: schema.to_string(),
        name: name.to_string(),
        hint,
    })
}

/// Explains every leaf of `document` under `path`.
pub fn explain(
    rendered: &Rendered,
    document: DocIndex,
    path: &DocPath,
) -> Result<Vec<Leaf>, ExplainError> {
    let root = rendered.data[document.get()];
    let Some(start) = rendered.arena.get(root, path) else {
        return Err(ExplainError::NoPath {
            document: rendered.document(document).doc_ref().to_string(),
            path: path.to_string(),
        });
    };
    // Origins along the way down matter: a shared or copied subtree under a substituted node.
    let mut leaves = Vec::new();
    let mut via = None;
    let mut current = root;
    for segment in &path.segments {
        via = substituted(rendered, rendered.arena.node_origin(current)).or(via);
        current = match rendered.arena.child(current, segment) {
            Some(child) => child,
            None => break,
        };
    }
    walk(rendered, document, start, path.clone(), via, &mut leaves);
    Ok(leaves)
}

fn substituted(rendered: &Rendered, origin: OriginId) -> Option<OriginId> {
    match rendered.arena.origin(origin).kind {
        OriginKind::Substituted { .. } | OriginKind::PatternReplaced { .. } => Some(origin),
        _ => None,
    }
}

fn walk(
    rendered: &Rendered,
    document: DocIndex,
    node: NodeId,
    path: DocPath,
    via: Option<OriginId>,
    out: &mut Vec<Leaf>,
) {
    let own = rendered.arena.node_origin(node);
    let via = substituted(rendered, own).or(via);
    match rendered.arena.value(node) {
        Value::Map(entries) if !entries.is_empty() => {
            for (key, child) in entries.iter() {
                walk(
                    rendered,
                    document,
                    *child,
                    path.child(Segment::Key(key.to_string())),
                    via,
                    out,
                );
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for (position, child) in items.iter().enumerate() {
                walk(
                    rendered,
                    document,
                    *child,
                    path.child(Segment::Index(position)),
                    via,
                    out,
                );
            }
        }
        _ => {
            let written_by = literal_document(rendered, own);
            let how = match via.map(|origin| &rendered.arena.origin(origin).kind) {
                Some(OriginKind::Substituted {
                    doc,
                    substitution,
                    source_doc,
                    ..
                }) => How::Substitution {
                    by: *doc,
                    substitution: *substitution,
                    source: *source_doc,
                    pattern: false,
                },
                Some(OriginKind::PatternReplaced {
                    doc,
                    substitution,
                    source_doc,
                    ..
                }) => How::Substitution {
                    by: *doc,
                    substitution: *substitution,
                    source: *source_doc,
                    pattern: true,
                },
                _ => match written_by {
                    Some(writer) if writer == document => How::Own,
                    Some(writer) => How::Parent { from: writer },
                    None => How::Created,
                },
            };
            out.push(Leaf {
                path,
                value: rendered.arena.to_json(node),
                secret: rendered.arena.is_secret(node)
                    || via.is_some_and(|origin| rendered.arena.origin(origin).secret),
                how,
                written_by,
                location: node_location(rendered, node),
            });
        }
    }
}

fn literal_document(rendered: &Rendered, mut origin: OriginId) -> Option<DocIndex> {
    loop {
        match &rendered.arena.origin(origin).kind {
            OriginKind::Literal { doc, .. } => return Some(*doc),
            OriginKind::Substituted { inner, .. } => origin = *inner,
            OriginKind::PatternReplaced { original, .. } => origin = *original,
            OriginKind::Created { .. } => return None,
        }
    }
}
