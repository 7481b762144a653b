//! The layering policy: which `deckhand/LayeringPolicy/v1` is in force, and whether every
//! document's layer is one it names (Deckhand's `DocumentLayering.__init__` in
//! `deckhand/engine/layering.py`).

use crate::diagnostic::{Diagnostic, ErrorKind, Location, Severity};
use crate::document::{Document, LAYERING_POLICY_SCHEMA};
use crate::mode::Mode;
use crate::value::{Arena, Value};

/// The layer order of the first layering policy; several policies are a warning in
/// Deckhand's mode (it uses the first) and an error in Aerostat's when they disagree.
/// `None` when there is none or it cannot be read (the diagnostic says why).
///
/// Without a policy nothing can be layered (Deckhand raises `LayeringPolicyNotFound`), so
/// the error stays even when some files could not be read at all (`unreadable`: where
/// their errors are). It then says that those files may hold the policy, and points at
/// them: their errors come first (see [`Diagnostic::sort_key`]) and are the ones to fix.
pub fn layering_policy(
    arena: &Arena,
    documents: &[Document],
    mode: Mode,
    unreadable: &[Location],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<String>> {
    let policies: Vec<&Document> = documents
        .iter()
        .filter(|document| document.schema.starts_with("deckhand/LayeringPolicy"))
        .collect();
    let Some(first) = policies.first() else {
        diagnostics.push(no_layering_policy(unreadable));
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

/// The error for a set of documents without a layering policy.
fn no_layering_policy(unreadable: &[Location]) -> Diagnostic {
    let add_one = format!(
        "add a `{LAYERING_POLICY_SCHEMA}` control document with data.layerOrder, e.g. [global, type, site]"
    );
    if unreadable.is_empty() {
        return Diagnostic::error(
            ErrorKind::LayeringPolicyNotFound,
            "no layering policy found, so nothing can be layered",
        )
        .with_hint(add_one);
    }
    let mut diagnostic = Diagnostic::error(
        ErrorKind::LayeringPolicyNotFound,
        format!(
            "no layering policy found in the files that could be read, so nothing can be layered; {} file(s) could not be read and may hold it",
            unreadable.len()
        ),
    )
    .with_hint(format!(
        "fix the files that could not be read first (reported above); otherwise {add_one}"
    ));
    for location in unreadable {
        diagnostic = diagnostic.with_related(Some(*location), "this file could not be read");
    }
    diagnostic
}

/// Every document's layer must be in the layer order (`InvalidDocumentLayer`); such
/// documents are marked failed.
pub fn check_layers(
    documents: &[Document],
    layer_order: &[String],
    diagnostics: &mut Vec<Diagnostic>,
    failed: &mut [bool],
) {
    for document in documents {
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
                .with_hint(suggest_layer(layer, layer_order)),
            );
            failed[document.index.get()] = true;
        }
    }
}

/// The layer order without layers that hold no document, as Deckhand's
/// `_get_layering_order` computes it: parent selection walks only these.
pub fn effective_layer_order(documents: &[Document], layer_order: &[String]) -> Vec<String> {
    layer_order
        .iter()
        .filter(|layer| {
            documents
                .iter()
                .any(|document| document.layer.as_ref() == Some(*layer))
        })
        .cloned()
        .collect()
}
