//! Layering: finding each document's parent and applying its actions.
//!
//! Parent selection follows Deckhand's code exactly: layers are walked from the
//! top (most general) down; a document whose `parentSelector` is a subset of a
//! candidate's labels is that candidate's child; a candidate in a closer layer
//! replaces one in a farther layer, but two candidates in one layer make the parent
//! indeterminate (even when a closer candidate follows). A selector matching nothing
//! is not an error: the document renders with its own data.

use foldhash::{HashMap, HashMapExt as _};

use crate::diagnostic::{Diagnostic, ErrorKind, Location};
use crate::document::{Action, ActionMethod, DocIndex, Document};
use crate::mode::Mode;
use crate::value::{Arena, NodeId, OriginId, Value};

/// The result of parent selection.
#[derive(Clone, Debug, Default)]
pub struct Parents {
    /// `parent[doc]` is the document's parent, if one was found.
    pub parent: Vec<Option<DocIndex>>,
}

/// Computes every document's parent; errors go to `diagnostics` and the offending
/// documents are returned in `failed`.
pub fn select_parents(
    documents: &[Document],
    layer_order: &[String],
    mode: Mode,
    diagnostics: &mut Vec<Diagnostic>,
    failed: &mut [bool],
) -> Parents {
    let layer_index: HashMap<&str, usize> = layer_order
        .iter()
        .enumerate()
        .map(|(index, layer)| (layer.as_str(), index))
        .collect();
    // Label values in comparable form, computed once per document.
    let labels: Vec<HashMap<&str, String>> = documents
        .iter()
        .map(|document| {
            document
                .labels
                .iter()
                .map(|(key, value)| (key.as_str(), label_key(value, mode)))
                .collect()
        })
        .collect();
    let selectors: Vec<Vec<(&str, String)>> = documents
        .iter()
        .map(|document| match &document.parent_selector {
            Some((selector, _)) => selector
                .iter()
                .map(|(key, value)| (key.as_str(), label_key(value, mode)))
                .collect(),
            None => Vec::new(),
        })
        .collect();
    // A parent must carry every pair of a child's selector, so indexing each child
    // under one pair is enough to find it; the rarest pair keeps candidate lists short.
    let mut pair_count: HashMap<(&str, &str), usize> = HashMap::new();
    for selector in &selectors {
        for (key, value) in selector {
            *pair_count.entry((key, value.as_str())).or_default() += 1;
        }
    }
    let mut by_label: HashMap<(&str, &str), Vec<DocIndex>> = HashMap::new();
    for document in documents {
        let selector = &selectors[document.index.get()];
        if let Some((key, value)) = selector
            .iter()
            .min_by_key(|(key, value)| (pair_count[&(*key, value.as_str())], *key, value.as_str()))
        {
            by_label
                .entry((key, value.as_str()))
                .or_default()
                .push(document.index);
        }
    }
    let mut by_layer: HashMap<&str, Vec<&Document>> = HashMap::new();
    for document in documents {
        if let Some(layer) = &document.layer {
            by_layer.entry(layer.as_str()).or_default().push(document);
        }
    }
    let mut parent: Vec<Option<DocIndex>> = vec![None; documents.len()];
    let mut count: Vec<usize> = vec![0; documents.len()];
    let mut candidates_seen: Vec<Vec<DocIndex>> = vec![Vec::new(); documents.len()];
    for layer in layer_order {
        for candidate_parent in by_layer.get(layer.as_str()).into_iter().flatten() {
            let parent_labels = &labels[candidate_parent.index.get()];
            let mut children: Vec<DocIndex> = Vec::new();
            for (key, value) in parent_labels {
                if let Some(found) = by_label.get(&(*key, value.as_str())) {
                    children.extend(found.iter().copied());
                }
            }
            children.sort();
            for child_index in children {
                let child = &documents[child_index.get()];
                let matches = selectors[child_index.get()]
                    .iter()
                    .all(|(key, value)| parent_labels.get(key) == Some(value));
                if child.index == candidate_parent.index || !matches {
                    continue;
                }
                if child.schema != candidate_parent.schema {
                    diagnostics.push(
                        Diagnostic::error(
                            ErrorKind::InvalidDocumentParent,
                            format!(
                                "parentSelector matches {} whose schema differs from this document's",
                                candidate_parent.doc_ref()
                            ),
                        )
                        .at(child.parent_selector.as_ref().map(|(_, location)| *location))
                        .in_document(child.doc_ref())
                        .with_path("metadata.layeringDefinition.parentSelector")
                        .with_related(Some(candidate_parent.location), "the document the selector matches")
                        .with_hint("documents only layer onto parents of the same schema; narrow the selector or fix the labels"),
                    );
                    failed[child.index.get()] = true;
                    continue;
                }
                let parent_layer = layer_index
                    .get(candidate_parent.layer.as_deref().unwrap_or(""))
                    .copied();
                let child_layer = layer_index
                    .get(child.layer.as_deref().unwrap_or(""))
                    .copied();
                if let (Some(parent_layer), Some(child_layer)) = (parent_layer, child_layer)
                    && parent_layer >= child_layer
                {
                    diagnostics.push(
                        Diagnostic::error(
                            ErrorKind::InvalidDocumentParent,
                            format!(
                                "parentSelector matches {} in layer `{}`, which is not above this document's layer `{}`",
                                candidate_parent.doc_ref(),
                                layer_order[parent_layer],
                                layer_order[child_layer]
                            ),
                        )
                        .at(child.parent_selector.as_ref().map(|(_, location)| *location))
                        .in_document(child.doc_ref())
                        .with_path("metadata.layeringDefinition.parentSelector")
                        .with_related(Some(candidate_parent.location), "the matching document")
                        .with_hint(format!("a parent must be in a more general layer (layerOrder: {})", layer_order.join(", "))),
                    );
                    failed[child.index.get()] = true;
                    continue;
                }
                count[child.index.get()] += 1;
                candidates_seen[child.index.get()].push(candidate_parent.index);
                match parent[child.index.get()] {
                    Some(current) => {
                        let current_layer = layer_index
                            .get(documents[current.get()].layer.as_deref().unwrap_or(""))
                            .copied();
                        if parent_layer > current_layer {
                            parent[child.index.get()] = Some(candidate_parent.index);
                            count[child.index.get()] -= 1;
                        }
                    }
                    None => parent[child.index.get()] = Some(candidate_parent.index),
                }
            }
        }
    }
    let top_layer = layer_order.first();
    for document in documents {
        let position = document.index.get();
        if count[position] > 1 && document.layer.as_ref() != top_layer {
            let mut diagnostic = Diagnostic::error(
                ErrorKind::IndeterminateDocumentParent,
                format!(
                    "parentSelector matches {} documents in one layer; a document needs exactly one parent",
                    count[position]
                ),
            )
            .at(document.parent_selector.as_ref().map(|(_, location)| *location))
            .in_document(document.doc_ref())
            .with_path("metadata.layeringDefinition.parentSelector")
            .with_hint("add a label that only the intended parent carries");
            for candidate in &candidates_seen[position] {
                let candidate_doc = &documents[candidate.get()];
                diagnostic = diagnostic.with_related(
                    Some(candidate_doc.location),
                    format!("candidate {}", candidate_doc.doc_ref()),
                );
            }
            diagnostics.push(diagnostic);
            failed[position] = true;
        }
    }
    Parents { parent }
}

fn label_key(value: &serde_json::Value, mode: Mode) -> String {
    match (mode, value) {
        // Python's hash makes True == 1 and 1.0 == 1 land in one bucket.
        (Mode::Deckhand, serde_json::Value::Bool(flag)) => u8::from(*flag).to_string(),
        (Mode::Deckhand, serde_json::Value::Number(number)) => match number.as_f64() {
            Some(float) if float.fract() == 0.0 && float.abs() < 1e15 => (float as i64).to_string(),
            _ => number.to_string(),
        },
        _ => value.to_string(),
    }
}

/// What went wrong applying one action.
#[derive(Debug)]
pub struct ActionFailure {
    /// Diagnostic describing it.
    pub diagnostic: Diagnostic,
}

/// Applies `child`'s actions to a deep copy of the parent's rendered data and returns
/// the child's layered data.
pub fn apply_actions(
    arena: &mut Arena,
    child: &Document,
    parent: &Document,
    parent_data: NodeId,
    mode: Mode,
    created_origin: OriginId,
) -> Result<NodeId, Box<ActionFailure>> {
    // Deckhand starts from a deep copy of the parent's data. In Aerostat mode the render
    // loop runs this document copy-on-write instead, so the parent's nodes are shared
    // until a write reaches them (the result is the same, without copying every
    // parent's whole data into every child).
    let mut overall = match mode {
        Mode::Deckhand => arena.deep_copy(parent_data),
        Mode::Aerostat => parent_data,
    };
    if matches!(arena.value(overall), Value::Null) {
        overall = arena.add(Value::empty_map(), created_origin, 0, 0);
    }
    let child_data = if matches!(arena.value(child.data), Value::Null) {
        arena.add(Value::empty_map(), created_origin, 0, 0)
    } else {
        child.data
    };
    for action in &child.actions {
        overall = apply_action(
            arena,
            action,
            child,
            parent,
            child_data,
            overall,
            mode,
            created_origin,
        )?;
    }
    Ok(overall)
}

#[allow(clippy::too_many_arguments)]
fn apply_action(
    arena: &mut Arena,
    action: &Action,
    child: &Document,
    parent: &Document,
    child_data: NodeId,
    overall: NodeId,
    mode: Mode,
    created_origin: OriginId,
) -> Result<NodeId, Box<ActionFailure>> {
    let missing = |side: &str, location: Location| {
        Box::new(ActionFailure {
            diagnostic: Diagnostic::error(
                ErrorKind::MissingDocumentKey,
                format!(
                    "{} action on `{}`: the {side} has no value at that path",
                    method_name(action.method),
                    action.path_text
                ),
            )
            .at(Some(location))
            .in_document(child.doc_ref())
            .with_path(action.path.to_string())
            .with_related(Some(parent.location), format!("parent {}", parent.doc_ref()))
            .with_hint(match side {
                "parent" => "delete only removes what the parent (after its own layering) has; check the path",
                _ => "the child must define the value it merges or replaces; check the path and the child's data",
            }),
        })
    };
    match action.method {
        ActionMethod::Delete => {
            if action.path.is_root() {
                return Ok(arena.add(Value::empty_map(), created_origin, 0, 0));
            }
            let Some(target) = arena
                .get(overall, &action.path)
                .filter(|id| !matches!(arena.value(*id), Value::Null))
            else {
                return Err(missing("parent", action.location));
            };
            match mode {
                Mode::Aerostat => {
                    let mut overall = overall;
                    arena.remove(&mut overall, &action.path);
                    return Ok(overall);
                }
                Mode::Deckhand => {
                    deep_delete_by_value(arena, target, overall);
                }
            }
            Ok(overall)
        }
        ActionMethod::Merge => {
            let Some(from_child) = arena
                .get(child_data, &action.path)
                .filter(|id| !matches!(arena.value(*id), Value::Null))
            else {
                return Err(missing("child", action.location));
            };
            let from_child = copy_from_child(arena, from_child, mode);
            let mut overall = overall;
            // Both sides mappings: merge into the parent's (writable) mapping; otherwise
            // the child's value replaces whatever the parent had there.
            let from_parent = if matches!(arena.value(from_child), Value::Map(_)) {
                arena
                    .get_writable(&mut overall, &action.path)
                    .filter(|from_parent| matches!(arena.value(*from_parent), Value::Map(_)))
            } else {
                None
            };
            match from_parent {
                Some(from_parent) => {
                    deep_merge(arena, from_parent, from_child);
                    Ok(overall)
                }
                _ => write(arena, overall, action, from_child, child, created_origin),
            }
        }
        ActionMethod::Replace => {
            let Some(from_child) = arena
                .get(child_data, &action.path)
                .filter(|id| !matches!(arena.value(*id), Value::Null))
            else {
                return Err(missing("child", action.location));
            };
            let from_child = copy_from_child(arena, from_child, mode);
            write(arena, overall, action, from_child, child, created_origin)
        }
    }
}

fn write(
    arena: &mut Arena,
    overall: NodeId,
    action: &Action,
    value: NodeId,
    child: &Document,
    created_origin: OriginId,
) -> Result<NodeId, Box<ActionFailure>> {
    arena
        .set(overall, &action.path, value, created_origin)
        .map_err(|error| {
            Box::new(ActionFailure {
                diagnostic: Diagnostic::error(
                    ErrorKind::MissingDocumentKey,
                    format!("{} action: {error}", method_name(action.method)),
                )
                .at(Some(action.location))
                .in_document(child.doc_ref())
                .with_path(action.path.to_string())
                .with_hint("the parent's value along the path has another type than the child's"),
            })
        })
}

fn method_name(method: ActionMethod) -> &'static str {
    match method {
        ActionMethod::Merge => "merge",
        ActionMethod::Replace => "replace",
        ActionMethod::Delete => "delete",
    }
}

/// The child's value for an action: a deep copy in Deckhand mode, as Deckhand does; in
/// Aerostat mode the node itself, which copy-on-write protects from later writes.
fn copy_from_child(arena: &mut Arena, from_child: NodeId, mode: Mode) -> NodeId {
    match mode {
        Mode::Deckhand => arena.deep_copy(from_child),
        Mode::Aerostat => from_child,
    }
}

/// Deckhand's `deep_merge`: keys of `from` are merged into `into` (which must be
/// writable, see [`Arena::writable`]); nested mappings merge recursively, anything else
/// from `from` wins.
pub fn deep_merge(arena: &mut Arena, into: NodeId, from: NodeId) {
    let Value::Map(from_entries) = arena.value(from).clone() else {
        return;
    };
    for (key, from_value) in from_entries.into_iter() {
        let existing = match arena.value(into) {
            Value::Map(entries) => entries.get(&key).copied(),
            _ => None,
        };
        match existing {
            Some(into_value)
                if matches!(arena.value(into_value), Value::Map(_))
                    && matches!(arena.value(from_value), Value::Map(_)) =>
            {
                if let Some(into_value) = arena.writable_entry(into, &key) {
                    deep_merge(arena, into_value, from_value);
                }
            }
            _ => {
                if let Value::Map(entries) = arena.value_mut(into) {
                    entries.insert(key, from_value);
                }
            }
        }
    }
}

/// Deckhand's `deep_delete`: walks `current` depth-first in insertion order and removes
/// the first entry whose value equals `target` (Python equality), which may be a
/// different key than the one the path named. Returns whether something was removed.
fn deep_delete_by_value(arena: &mut Arena, target: NodeId, current: NodeId) -> bool {
    let children: Vec<NodeId> = match arena.value(current) {
        Value::Map(entries) => entries.values().copied().collect(),
        Value::Seq(items) => items.clone(),
        _ => return false,
    };
    for child in children {
        if arena.python_eq(child, target) {
            let child_value = child;
            match arena.value_mut(current) {
                Value::Seq(_) => {
                    // list.remove(value): the first element equal to it.
                    let position = match arena.value(current) {
                        Value::Seq(items) => items
                            .iter()
                            .position(|item| arena.python_eq(*item, child_value)),
                        _ => None,
                    };
                    if let (Some(position), Value::Seq(items)) =
                        (position, arena.value_mut(current))
                    {
                        items.remove(position);
                    }
                }
                Value::Map(_) => {
                    let key = match arena.value(current) {
                        Value::Map(entries) => entries
                            .iter()
                            .find(|(_, value)| arena.python_eq(**value, child_value))
                            .map(|(key, _)| key.clone()),
                        _ => None,
                    };
                    if let (Some(key), Value::Map(entries)) = (key, arena.value_mut(current)) {
                        entries.shift_remove(&key);
                    }
                }
                _ => {}
            }
            return true;
        }
        if deep_delete_by_value(arena, target, child) {
            return true;
        }
    }
    false
}
