//! What each document depends on before it can render: its parent (or the parent's
//! replacement) and its substitution sources, as one graph, with cycles reported.
//!
//! Deckhand builds this graph in `_topologically_sort_documents`
//! (`deckhand/engine/layering.py`): walking the documents in input order, first an edge to
//! the parent, then one edge per substitution source in list order. The edge order is
//! kept because Deckhand's processing order ([`crate::order::deckhand_order`]) depends on
//! it. A cycle is an error for every document on it; the rest of the site still renders.

use foldhash::{HashMap, HashMapExt as _};

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::document::{DocIndex, Document};
use crate::order::Graph;

/// Where a substitution's `(src.schema, src.name)` resolves: the concrete document of that
/// schema and name, or its replacement when it is replaced.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// Schema, then name, to document: two levels so a lookup by `&str` allocates nothing.
    by_schema: HashMap<String, HashMap<String, DocIndex>>,
}

impl SourceMap {
    /// Every concrete document by `(schema, name)`, resolved to its replacement. A failed
    /// document never shadows one of the same name that did not fail.
    pub fn new(documents: &[Document], replaced_by: &[Option<DocIndex>], failed: &[bool]) -> Self {
        let mut by_schema: HashMap<String, HashMap<String, DocIndex>> = HashMap::new();
        for document in documents {
            if document.is_abstract {
                continue;
            }
            let names = by_schema.entry(document.schema.clone()).or_default();
            let target = replaced_by[document.index.get()].unwrap_or(document.index);
            if failed[document.index.get()] && names.contains_key(&document.name) {
                continue;
            }
            names.insert(document.name.clone(), target);
        }
        Self { by_schema }
    }

    /// The document a substitution with this source schema and name reads.
    pub fn get(&self, schema: &str, name: &str) -> Option<DocIndex> {
        self.by_schema.get(schema)?.get(name).copied()
    }
}

/// The dependency graph and which documents something depends on.
#[derive(Debug, Default)]
pub struct Dependencies {
    /// Edges `document -> dependency`, in Deckhand's insertion order.
    pub graph: Graph,
    /// Whether each document is a parent or a substitution source of another (lint's
    /// "unused abstract document" reads it).
    pub used: Vec<bool>,
}

/// Builds the graph: for each document in input order, an edge to its parent (to the
/// parent's replacement, unless that replacement is the document itself), then one to
/// each substitution source that exists.
pub fn dependency_graph(
    documents: &[Document],
    parent: &[Option<DocIndex>],
    replaced_by: &[Option<DocIndex>],
    sources: &SourceMap,
) -> Dependencies {
    let mut graph = Graph::default();
    let mut used = vec![false; documents.len()];
    for document in documents {
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
            if let Some(source) = sources.get(&substitution.src_schema, &substitution.src_name) {
                graph.add_edge(document.index, source);
                used[source.get()] = true;
            }
        }
    }
    Dependencies { graph, used }
}

/// Reports every cycle of `graph` once (`SubstitutionDependencyCycle`), marks its members
/// failed and cuts their edges so the rest can be ordered. Returns which documents were on
/// a cycle (they are left out of the processing order).
pub fn report_cycles(
    graph: &mut Graph,
    documents: &[Document],
    diagnostics: &mut Vec<Diagnostic>,
    failed: &mut [bool],
) -> Vec<bool> {
    let mut excluded = vec![false; documents.len()];
    while let Some(cycle) = graph.find_cycle() {
        if cycle.is_empty() {
            break;
        }
        diagnostics.push(cycle_diagnostic(cycle.clone(), documents));
        for member in &cycle {
            excluded[member.get()] = true;
            failed[member.get()] = true;
            graph.edges.insert(*member, Vec::new());
        }
    }
    excluded
}

/// The error for one cycle, starting from its smallest member so the message never
/// depends on input order.
fn cycle_diagnostic(mut cycle: Vec<DocIndex>, documents: &[Document]) -> Diagnostic {
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
    .with_hint("break the cycle: a document cannot depend, directly or through others, on itself");
    for member in &cycle {
        diagnostic = diagnostic.with_related(
            Some(documents[member.get()].location),
            documents[member.get()].doc_ref().to_string(),
        );
    }
    diagnostic
}
