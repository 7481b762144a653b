//! The compatibility report: every value where Aerostat's semantics and Deckhand's
//! differ for one site, with provenance on both sides, so an operator migrating from
//! Airship sees exactly what changes when they switch to the default mode.

use std::collections::BTreeMap;

use crate::document::ActionMethod;
use crate::explain::{How, Leaf, explain};
use crate::path::DocPath;
use crate::render::Rendered;

/// One value that differs between the modes.
#[derive(Clone, Debug, PartialEq)]
pub struct CompatDifference {
    /// Document schema.
    pub schema: String,
    /// Document name.
    pub name: String,
    /// Path of the leaf in `data`.
    pub path: String,
    /// The leaf in Aerostat's render, if present.
    pub aerostat: Option<Leaf>,
    /// The leaf in Deckhand's render, if present.
    pub deckhand: Option<Leaf>,
    /// The Deckhand behaviour that most likely explains the difference.
    pub cause: &'static str,
}

/// Differences between the two modes for a whole site.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompatReport {
    /// Leaf-level differences.
    pub differences: Vec<CompatDifference>,
    /// Documents rendered in only one mode: (schema, name, mode it is missing from).
    pub missing: Vec<(String, String, &'static str)>,
}

/// Compares a render in Aerostat's mode with one in Deckhand's mode.
pub fn compat_report(aerostat: &Rendered, deckhand: &Rendered) -> CompatReport {
    let mut report = CompatReport::default();
    let key = |rendered: &Rendered, index: crate::document::DocIndex| {
        let document = rendered.document(index);
        (document.schema.clone(), document.name.clone())
    };
    let aerostat_docs: BTreeMap<_, _> = aerostat
        .output
        .iter()
        .map(|index| (key(aerostat, *index), *index))
        .collect();
    let deckhand_docs: BTreeMap<_, _> = deckhand
        .output
        .iter()
        .map(|index| (key(deckhand, *index), *index))
        .collect();
    for ((schema, name), aerostat_index) in &aerostat_docs {
        let Some(deckhand_index) = deckhand_docs.get(&(schema.clone(), name.clone())) else {
            report
                .missing
                .push((schema.clone(), name.clone(), "deckhand"));
            continue;
        };
        let left = leaves(aerostat, *aerostat_index);
        let right = leaves(deckhand, *deckhand_index);
        let document = deckhand.document(*deckhand_index);
        let has_delete = has_delete_in_chain(deckhand, *deckhand_index);
        let _ = document;
        let mut paths: Vec<&String> = left.keys().chain(right.keys()).collect();
        paths.sort();
        paths.dedup();
        for path in paths {
            let (a, d) = (left.get(path), right.get(path));
            if a.map(|leaf| &leaf.value) == d.map(|leaf| &leaf.value) {
                continue;
            }
            report.differences.push(CompatDifference {
                schema: schema.clone(),
                name: name.clone(),
                path: path.clone(),
                cause: classify(a, d, has_delete),
                aerostat: a.cloned(),
                deckhand: d.cloned(),
            });
        }
    }
    for (schema, name) in deckhand_docs.keys() {
        if !aerostat_docs.contains_key(&(schema.clone(), name.clone())) {
            report
                .missing
                .push((schema.clone(), name.clone(), "aerostat"));
        }
    }
    report
}

fn leaves(rendered: &Rendered, index: crate::document::DocIndex) -> BTreeMap<String, Leaf> {
    explain(rendered, index, &DocPath::root())
        .unwrap_or_default()
        .into_iter()
        .map(|leaf| (leaf.path.to_string(), leaf))
        .collect()
}

fn has_delete_in_chain(rendered: &Rendered, mut index: crate::document::DocIndex) -> bool {
    let mut steps = 0;
    loop {
        let document = rendered.document(index);
        if document
            .actions
            .iter()
            .any(|action| action.method == ActionMethod::Delete)
        {
            return true;
        }
        match rendered.parent[index.get()] {
            Some(parent) if steps < 64 => {
                index = parent;
                steps += 1;
            }
            _ => return false,
        }
    }
}

fn classify(aerostat: Option<&Leaf>, deckhand: Option<&Leaf>, has_delete: bool) -> &'static str {
    match (aerostat, deckhand) {
        (Some(a), Some(d)) => {
            let type_changed = std::mem::discriminant(&a.value) != std::mem::discriminant(&d.value);
            let pythonic = d.value.as_str().is_some_and(|text| {
                ["True", "False", "None"]
                    .iter()
                    .any(|word| text.contains(word))
            });
            if type_changed {
                "YAML 1.1 reading (yes/no/on/off booleans, 0755 octal, sexagesimal)"
            } else if pythonic && matches!(d.how, How::Substitution { pattern: true, .. }) {
                "Python-style stringification in a pattern substitution"
            } else if matches!(d.how, How::Substitution { pattern: true, .. }) {
                "recurse matches the pattern text literally, or a Python re.sub template"
            } else {
                "a substituted object shared with its source and modified later"
            }
        }
        (Some(_), None) | (None, Some(_)) if has_delete => {
            "delete removes the first equal value, not the path"
        }
        _ => "a substituted object shared with its source and modified later",
    }
}
