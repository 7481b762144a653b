//! Differences between two renders of a site, document by document and field by field.
//!
//! Secret documents and secret values are compared but never carried out of this
//! module: a change to one is reported as [`FieldValue::Secret`], so no output built
//! from a [`SiteDiff`] can print a secret.

use crate::path::{DocPath, Segment};
use crate::render::Rendered;
use crate::value::{NodeId, Value};

/// A value in a diff.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// A value that may be shown.
    Clear(serde_json::Value),
    /// A secret value: only the fact that it exists is reported.
    Secret,
}

/// One changed field.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldChange {
    /// Present only after.
    Added {
        /// Path in `data` (or `metadata...` for metadata changes).
        path: String,
        /// New value.
        value: FieldValue,
    },
    /// Present only before.
    Removed {
        /// Path.
        path: String,
        /// Old value.
        value: FieldValue,
    },
    /// Present in both with different values.
    Changed {
        /// Path.
        path: String,
        /// Old value.
        before: FieldValue,
        /// New value.
        after: FieldValue,
    },
}

/// How one document differs.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentDiff {
    /// `schema`.
    pub schema: String,
    /// `metadata.name`.
    pub name: String,
    /// Whether the document is secret (its field changes are then all `Secret`).
    pub secret: bool,
    /// The changes; empty for added and removed documents.
    pub changes: Vec<FieldChange>,
}

/// Differences between two renders.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteDiff {
    /// Documents only in the second render.
    pub added: Vec<DocumentDiff>,
    /// Documents only in the first render.
    pub removed: Vec<DocumentDiff>,
    /// Documents in both that differ.
    pub changed: Vec<DocumentDiff>,
}

impl SiteDiff {
    /// Whether the renders are the same.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares the output documents of two renders.
pub fn diff(before: &Rendered, after: &Rendered) -> SiteDiff {
    let key = |rendered: &Rendered, index: crate::document::DocIndex| {
        let document = rendered.document(index);
        (document.schema.clone(), document.name.clone())
    };
    let before_docs: std::collections::BTreeMap<_, _> = before
        .output
        .iter()
        .map(|index| (key(before, *index), *index))
        .collect();
    let after_docs: std::collections::BTreeMap<_, _> = after
        .output
        .iter()
        .map(|index| (key(after, *index), *index))
        .collect();
    let mut result = SiteDiff::default();
    for ((schema, name), index) in &after_docs {
        if !before_docs.contains_key(&(schema.clone(), name.clone())) {
            result.added.push(DocumentDiff {
                schema: schema.clone(),
                name: name.clone(),
                secret: after.document(*index).is_secret(),
                changes: Vec::new(),
            });
        }
    }
    for ((schema, name), before_index) in &before_docs {
        let Some(after_index) = after_docs.get(&(schema.clone(), name.clone())) else {
            result.removed.push(DocumentDiff {
                schema: schema.clone(),
                name: name.clone(),
                secret: before.document(*before_index).is_secret(),
                changes: Vec::new(),
            });
            continue;
        };
        let secret =
            before.document(*before_index).is_secret() || after.document(*after_index).is_secret();
        let mut changes = Vec::new();
        let before_meta = before
            .arena
            .to_json(before.document(*before_index).metadata);
        let after_meta = after.arena.to_json(after.document(*after_index).metadata);
        if before_meta != after_meta {
            json_changes("metadata", &before_meta, &after_meta, &mut changes);
        }
        let walker = Walker { before, after };
        walker.compare(
            DocPath::root(),
            Some(before.data[before_index.get()]),
            Some(after.data[after_index.get()]),
            secret,
            &mut changes,
        );
        if !changes.is_empty() {
            result.changed.push(DocumentDiff {
                schema: schema.clone(),
                name: name.clone(),
                secret,
                changes,
            });
        }
    }
    result
}

fn json_changes(
    prefix: &str,
    before: &serde_json::Value,
    after: &serde_json::Value,
    out: &mut Vec<FieldChange>,
) {
    match (before, after) {
        (serde_json::Value::Object(left), serde_json::Value::Object(right)) => {
            for (key, value) in left {
                match right.get(key) {
                    Some(other) if other == value => {}
                    Some(other) => json_changes(&format!("{prefix}.{key}"), value, other, out),
                    None => out.push(FieldChange::Removed {
                        path: format!("{prefix}.{key}"),
                        value: FieldValue::Clear(value.clone()),
                    }),
                }
            }
            for (key, value) in right {
                if !left.contains_key(key) {
                    out.push(FieldChange::Added {
                        path: format!("{prefix}.{key}"),
                        value: FieldValue::Clear(value.clone()),
                    });
                }
            }
        }
        _ if before != after => out.push(FieldChange::Changed {
            path: prefix.to_string(),
            before: FieldValue::Clear(before.clone()),
            after: FieldValue::Clear(after.clone()),
        }),
        _ => {}
    }
}

struct Walker<'a> {
    before: &'a Rendered,
    after: &'a Rendered,
}

impl Walker<'_> {
    fn shown(&self, rendered: &Rendered, node: NodeId, secret: bool) -> FieldValue {
        if secret || subtree_secret(rendered, node) {
            FieldValue::Secret
        } else {
            FieldValue::Clear(rendered.arena.to_json(node))
        }
    }

    fn compare(
        &self,
        path: DocPath,
        left: Option<NodeId>,
        right: Option<NodeId>,
        secret: bool,
        out: &mut Vec<FieldChange>,
    ) {
        let shown_path = if path.is_root() {
            ".".to_string()
        } else {
            path.to_string()
        };
        match (left, right) {
            (None, None) => {}
            (Some(left), None) => out.push(FieldChange::Removed {
                path: shown_path,
                value: self.shown(self.before, left, secret),
            }),
            (None, Some(right)) => out.push(FieldChange::Added {
                path: shown_path,
                value: self.shown(self.after, right, secret),
            }),
            (Some(left), Some(right)) => {
                match (self.before.arena.value(left), self.after.arena.value(right)) {
                    (Value::Map(left_map), Value::Map(right_map)) => {
                        for (key, left_child) in left_map.iter() {
                            self.compare(
                                path.child(Segment::Key(key.to_string())),
                                Some(*left_child),
                                right_map.get(key).copied(),
                                secret,
                                out,
                            );
                        }
                        for (key, right_child) in right_map.iter() {
                            if !left_map.contains_key(key) {
                                self.compare(
                                    path.child(Segment::Key(key.to_string())),
                                    None,
                                    Some(*right_child),
                                    secret,
                                    out,
                                );
                            }
                        }
                    }
                    (Value::Seq(left_items), Value::Seq(right_items))
                        if left_items.len() == right_items.len() =>
                    {
                        for (position, (left_child, right_child)) in
                            left_items.iter().zip(right_items).enumerate()
                        {
                            self.compare(
                                path.child(Segment::Index(position)),
                                Some(*left_child),
                                Some(*right_child),
                                secret,
                                out,
                            );
                        }
                    }
                    _ => {
                        if self.before.arena.to_json(left) != self.after.arena.to_json(right) {
                            out.push(FieldChange::Changed {
                                path: shown_path,
                                before: self.shown(self.before, left, secret),
                                after: self.shown(self.after, right, secret),
                            });
                        }
                    }
                }
            }
        }
    }
}

/// Whether a node or anything under it is secret.
pub fn subtree_secret(rendered: &Rendered, node: NodeId) -> bool {
    if rendered.arena.is_secret(node) {
        return true;
    }
    match rendered.arena.value(node) {
        Value::Seq(items) => items.iter().any(|item| subtree_secret(rendered, *item)),
        Value::Map(entries) => entries
            .values()
            .any(|value| subtree_secret(rendered, *value)),
        _ => false,
    }
}
