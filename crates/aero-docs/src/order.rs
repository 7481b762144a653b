//! Processing order: dependencies (parents, substitution sources) before dependants.
//!
//! Aerostat's order is a topological sort with ties broken by (schema, name, layer), so
//! it never depends on input order (and since Aerostat copies substituted values, the
//! result would not depend on order anyway). Deckhand's order reproduces what its
//! `_topologically_sort_documents` does with networkx 3 (see
//! [`deckhand_order`]), which matters only where shared substituted objects are
//! modified later.

use foldhash::{HashMap, HashMapExt as _};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::document::{DocIndex, Document};

/// Dependency edges: `edges[doc]` lists what `doc` depends on, in insertion order.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Nodes in the order an edge first mentioned them (networkx's node order).
    pub nodes: Vec<DocIndex>,
    /// Successors (dependencies) of each node, in edge-insertion order, without repeats.
    pub edges: HashMap<DocIndex, Vec<DocIndex>>,
}

impl Graph {
    /// Adds the edge `from -> to` (from depends on to), networkx style.
    pub fn add_edge(&mut self, from: DocIndex, to: DocIndex) {
        for node in [from, to] {
            if let std::collections::hash_map::Entry::Vacant(entry) = self.edges.entry(node) {
                entry.insert(Vec::new());
                self.nodes.push(node);
            }
        }
        let successors = self.edges.entry(from).or_default();
        if !successors.contains(&to) {
            successors.push(to);
        }
    }

    /// A cycle, if there is one, as the documents along it.
    pub fn find_cycle(&self) -> Option<Vec<DocIndex>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut marks: HashMap<DocIndex, Mark> =
            self.nodes.iter().map(|node| (*node, Mark::New)).collect();
        for start in &self.nodes {
            if marks[start] != Mark::New {
                continue;
            }
            // Iterative depth-first search keeping the active path.
            let mut stack: Vec<(DocIndex, usize)> = vec![(*start, 0)];
            marks.insert(*start, Mark::Active);
            while let Some((node, next)) = stack.last().copied() {
                let successors = &self.edges[&node];
                if next < successors.len() {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    let successor = successors[next];
                    match marks[&successor] {
                        Mark::New => {
                            marks.insert(successor, Mark::Active);
                            stack.push((successor, 0));
                        }
                        Mark::Active => {
                            let begin = stack
                                .iter()
                                .position(|(member, _)| *member == successor)
                                .unwrap_or(0);
                            return Some(
                                stack[begin..].iter().map(|(member, _)| *member).collect(),
                            );
                        }
                        Mark::Done => {}
                    }
                } else {
                    marks.insert(node, Mark::Done);
                    stack.pop();
                }
            }
        }
        None
    }
}

/// Aerostat's order: every document, dependencies first, ties by (schema, name, layer).
/// Documents in `excluded` (members of a cycle) are left out.
pub fn aerostat_order(documents: &[Document], graph: &Graph, excluded: &[bool]) -> Vec<DocIndex> {
    let key = |index: DocIndex| {
        let document = &documents[index.get()];
        (
            document.schema.clone(),
            document.name.clone(),
            document.layer.clone(),
            index,
        )
    };
    let mut pending: HashMap<DocIndex, usize> = HashMap::new();
    let mut dependants: HashMap<DocIndex, Vec<DocIndex>> = HashMap::new();
    for (from, successors) in &graph.edges {
        for to in successors {
            if excluded[from.get()] || excluded[to.get()] {
                continue;
            }
            *pending.entry(*from).or_default() += 1;
            dependants.entry(*to).or_default().push(*from);
        }
    }
    let mut ready = BinaryHeap::new();
    for document in documents {
        if !excluded[document.index.get()]
            && pending.get(&document.index).copied().unwrap_or(0) == 0
        {
            ready.push(Reverse(key(document.index)));
        }
    }
    let mut order = Vec::with_capacity(documents.len());
    while let Some(Reverse(entry)) = ready.pop() {
        let index = entry.3;
        order.push(index);
        if let Some(waiting) = dependants.get(&index) {
            for dependant in waiting {
                if let Some(count) = pending.get_mut(dependant) {
                    *count -= 1;
                    if *count == 0 {
                        ready.push(Reverse(key(*dependant)));
                    }
                }
            }
        }
    }
    order
}

/// networkx 3's `topological_sort`: generations by Kahn's algorithm, nodes without
/// incoming edges first in node-insertion order, then each yielded node's successors
/// in edge-insertion order as their last incoming edge goes.
pub fn networkx_topological_sort(graph: &Graph) -> Vec<DocIndex> {
    let mut indegree: HashMap<DocIndex, usize> = HashMap::new();
    for successors in graph.edges.values() {
        for to in successors {
            *indegree.entry(*to).or_default() += 1;
        }
    }
    let mut generation: Vec<DocIndex> = graph
        .nodes
        .iter()
        .copied()
        .filter(|node| indegree.get(node).copied().unwrap_or(0) == 0)
        .collect();
    let mut sorted = Vec::with_capacity(graph.nodes.len());
    while !generation.is_empty() {
        let mut next = Vec::new();
        for node in &generation {
            for child in &graph.edges[node] {
                if let Some(count) = indegree.get_mut(child) {
                    *count -= 1;
                    if *count == 0 {
                        next.push(*child);
                    }
                }
            }
        }
        sorted.extend(generation);
        generation = next;
    }
    sorted
}

/// Deckhand's order: networkx 3's `topological_sort` of the dependency graph
/// (Kahn's algorithm by generations: nodes without incoming edges in node-insertion
/// order, then, walking each yielded node's successors in edge-insertion order, every
/// node whose last incoming edge was just removed), reversed, followed by the
/// documents that are not in the graph in input order.
pub fn deckhand_order(documents: &[Document], graph: &Graph, excluded: &[bool]) -> Vec<DocIndex> {
    let mut sorted = networkx_topological_sort(graph);
    sorted.reverse();
    let mut in_result = vec![false; documents.len()];
    let mut order = Vec::with_capacity(documents.len());
    for node in sorted {
        if !excluded[node.get()] && !in_result[node.get()] {
            in_result[node.get()] = true;
            order.push(node);
        }
    }
    for document in documents {
        if !excluded[document.index.get()] && !in_result[document.index.get()] {
            in_result[document.index.get()] = true;
            order.push(document.index);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networkx_generations_are_reproduced() {
        // Edges in insertion order: 0->1, 0->2, 3->2, 2->1 (0 depends on 1 and 2, ...).
        let mut graph = Graph::default();
        graph.add_edge(DocIndex(0), DocIndex(1));
        graph.add_edge(DocIndex(0), DocIndex(2));
        graph.add_edge(DocIndex(3), DocIndex(2));
        graph.add_edge(DocIndex(2), DocIndex(1));
        assert_eq!(
            graph.nodes,
            [DocIndex(0), DocIndex(1), DocIndex(2), DocIndex(3)]
        );
        // networkx: generation [0, 3]; removing 0's edges: 1 (indegree 2->1), 2 (2->1);
        // removing 3's: 2 (1->0) -> next [2]; then 1 -> [1]. Sorted 0,3,2,1.
        assert!(graph.find_cycle().is_none());
        assert_eq!(
            networkx_topological_sort(&graph),
            [DocIndex(0), DocIndex(3), DocIndex(2), DocIndex(1)]
        );
    }

    #[test]
    fn cycles_are_found() {
        let mut graph = Graph::default();
        graph.add_edge(DocIndex(0), DocIndex(1));
        graph.add_edge(DocIndex(1), DocIndex(2));
        graph.add_edge(DocIndex(2), DocIndex(0));
        graph.add_edge(DocIndex(3), DocIndex(3));
        let cycle = graph.find_cycle().unwrap();
        assert_eq!(cycle, [DocIndex(0), DocIndex(1), DocIndex(2)]);
    }
}
