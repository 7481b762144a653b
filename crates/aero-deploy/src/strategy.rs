//! `shipyard/DeploymentStrategy/v1`: which nodes are deployed together, in which order,
//! and when a group counts as deployed.
//!
//! The semantics are Shipyard's code (`deployment_group.py`,
//! `deployment_group_manager.py`, `node_lookup.py`), where it differs from its
//! documentation:
//! - A selector is the AND of its non-empty criteria (`node_names`, `node_labels` as
//!   `key:value`, `node_tags`, `rack_names`); a group's selectors are ORed. A group with
//!   no selectors, or only empty ones, takes every node. Empty selectors beside
//!   non-empty ones are dropped (Shipyard skips them when it builds Drydock's filter), so
//!   they do not widen the group to every node.
//! - Node labels are Drydock's `metadata.owner_data` of the node.
//! - Groups run in dependency order (networkx's topological order over the groups in
//!   document order); a cycle, an unknown dependency or a duplicate name is an error.
//! - A node selected by several groups is acted on by the first of them in that order
//!   (its *actionable* nodes); later groups still count its outcome.
//! - Success criteria: every given criterion must hold; none given, or a group without
//!   nodes, succeeds.
//! - A group that fails fails every group that depends on it, transitively, unrun.
//!
//! Without a strategy the site gets Shipyard's default: one critical group of every node
//! that must all succeed.

use std::collections::{BTreeMap, HashMap};

use aero_site::{DocumentView, RenderedSite};
use serde_json::Value;

use crate::configuration::{DeploymentConfiguration, invalid};
use crate::error::DeployError;

/// The schema prefix of the document.
pub const SCHEMA: &str = "shipyard/DeploymentStrategy";

/// What the strategy needs to know of a node.
pub trait NodeFacts {
    /// The node's name.
    fn name(&self) -> &str;
    /// Its tags (Drydock `metadata.tags`).
    fn tags(&self) -> &[String];
    /// Its label `key` (Drydock `metadata.owner_data`).
    fn label(&self, key: &str) -> Option<&str>;
    /// Its rack (Drydock `metadata.rack`).
    fn rack(&self) -> Option<&str>;
}

/// Groups of nodes and how they are deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentStrategy {
    /// The groups, in document order.
    pub groups: Vec<Group>,
    /// Where the strategy is written (`None` for the default strategy).
    pub place: Option<String>,
}

/// One group of a strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// Whether its failure stops the action before the phases after provisioning.
    pub critical: bool,
    /// Groups that must succeed first.
    pub depends_on: Vec<String>,
    /// Which nodes it holds (ORed).
    pub selectors: Vec<Selector>,
    /// When it counts as deployed.
    pub criteria: SuccessCriteria,
}

/// Nodes matching every non-empty criterion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// Node names.
    pub node_names: Vec<String>,
    /// `key:value` labels.
    pub node_labels: Vec<(String, String)>,
    /// Tags.
    pub node_tags: Vec<String>,
    /// Racks.
    pub rack_names: Vec<String>,
}

/// When a group counts as deployed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SuccessCriteria {
    /// At least this percentage of the group's nodes succeeded.
    pub percent_successful_nodes: Option<u64>,
    /// At least this many succeeded.
    pub minimum_successful_nodes: Option<u64>,
    /// At most this many failed.
    pub maximum_failed_nodes: Option<u64>,
}

/// A criterion a group did not meet.
#[derive(Clone, Debug, PartialEq)]
pub struct UnmetCriterion {
    /// The criterion's name, as in the document.
    pub criterion: &'static str,
    /// What it asks for.
    pub needed: u64,
    /// What was reached.
    pub actual: f64,
}

impl std::fmt::Display for UnmetCriterion {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{} needs {}, got {}",
            self.criterion, self.needed, self.actual
        )
    }
}

impl SuccessCriteria {
    /// The criteria not met when `succeeded` of `total` nodes succeeded.
    pub fn unmet(&self, succeeded: usize, total: usize) -> Vec<UnmetCriterion> {
        if total == 0 {
            return Vec::new();
        }
        let failed = total - succeeded.min(total);
        let percent = succeeded as f64 / total as f64 * 100.0;
        let mut unmet = Vec::new();
        if let Some(needed) = self.percent_successful_nodes
            && percent < needed as f64
        {
            unmet.push(UnmetCriterion {
                criterion: "percent_successful_nodes",
                needed,
                actual: percent,
            });
        }
        if let Some(needed) = self.minimum_successful_nodes
            && (succeeded as u64) < needed
        {
            unmet.push(UnmetCriterion {
                criterion: "minimum_successful_nodes",
                needed,
                actual: succeeded as f64,
            });
        }
        if let Some(needed) = self.maximum_failed_nodes
            && failed as u64 > needed
        {
            unmet.push(UnmetCriterion {
                criterion: "maximum_failed_nodes",
                needed,
                actual: failed as f64,
            });
        }
        unmet
    }
}

impl Selector {
    fn is_empty(&self) -> bool {
        self.node_names.is_empty()
            && self.node_labels.is_empty()
            && self.node_tags.is_empty()
            && self.rack_names.is_empty()
    }

    fn matches(&self, node: &impl NodeFacts) -> bool {
        (self.node_names.is_empty() || self.node_names.iter().any(|name| name == node.name()))
            && self
                .node_labels
                .iter()
                .all(|(key, value)| node.label(key) == Some(value.as_str()))
            && self
                .node_tags
                .iter()
                .all(|tag| node.tags().iter().any(|own| own == tag))
            && (self.rack_names.is_empty()
                || node
                    .rack()
                    .is_some_and(|rack| self.rack_names.iter().any(|name| name == rack)))
    }
}

/// A group with its nodes resolved, in the order groups are deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedGroup {
    /// Its name.
    pub name: String,
    /// Whether it is critical.
    pub critical: bool,
    /// Groups it depends on.
    pub depends_on: Vec<String>,
    /// Its success criteria.
    pub criteria: SuccessCriteria,
    /// Every node its selectors select, sorted.
    pub nodes: Vec<String>,
    /// The nodes it acts on: those not already in an earlier group, sorted.
    pub actionable: Vec<String>,
}

impl DeploymentStrategy {
    /// The strategy the deployment configuration names, or Shipyard's default when it
    /// names none.
    pub fn from_site(
        site: &RenderedSite,
        configuration: &DeploymentConfiguration,
    ) -> Result<Self, DeployError> {
        let Some(name) = &configuration.strategy else {
            return Ok(Self::default_strategy());
        };
        let document = site.find(SCHEMA, name).ok_or_else(|| {
            DeployError::MissingDocument(format!(
                "{}: the deployment configuration names the deployment strategy `{name}`, but the site has no {SCHEMA}/v1 document of that name",
                configuration.place
            ))
        })?;
        Self::from_document(&document)
    }

    /// Shipyard's default: one critical group of every node, all of which must succeed.
    pub fn default_strategy() -> Self {
        Self {
            groups: vec![Group {
                name: "default".to_string(),
                critical: true,
                depends_on: Vec::new(),
                selectors: Vec::new(),
                criteria: SuccessCriteria {
                    percent_successful_nodes: Some(100),
                    ..SuccessCriteria::default()
                },
            }],
            place: None,
        }
    }

    /// Reads a strategy document (its schema is checked by validation already; this
    /// checks what the schema cannot say).
    pub fn from_document(document: &DocumentView<'_>) -> Result<Self, DeployError> {
        let data = document.data();
        let groups_value = data
            .get("groups")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid(document, ".groups", "must be a list of groups"))?;
        let mut groups = Vec::with_capacity(groups_value.len());
        for (index, group) in groups_value.iter().enumerate() {
            let at = |field: &str| format!(".groups[{index}]{field}");
            let name = group
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(document, &at(".name"), "a group needs a name"))?
                .to_string();
            let critical = group
                .get("critical")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let depends_on = strings(group.get("depends_on"));
            let mut selectors = Vec::new();
            for (position, selector) in group
                .get("selectors")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let mut labels = Vec::new();
                for label in strings(selector.get("node_labels")) {
                    let parts: Vec<&str> = label.split(':').collect();
                    match parts.as_slice() {
                        [key, value] if !key.trim().is_empty() && !value.trim().is_empty() => {
                            labels.push((key.trim().to_string(), value.trim().to_string()))
                        }
                        _ => {
                            return Err(invalid(
                                document,
                                &at(&format!(".selectors[{position}].node_labels")),
                                &format!("label `{label}` must be key:value with one colon"),
                            ));
                        }
                    }
                }
                selectors.push(Selector {
                    node_names: strings(selector.get("node_names")),
                    node_labels: labels,
                    node_tags: strings(selector.get("node_tags")),
                    rack_names: strings(selector.get("rack_names")),
                });
            }
            let criteria = group.get("success_criteria");
            let number = |field: &str| criteria.and_then(|c| c.get(field)).and_then(Value::as_u64);
            groups.push(Group {
                name,
                critical,
                depends_on,
                selectors,
                criteria: SuccessCriteria {
                    percent_successful_nodes: number("percent_successful_nodes"),
                    minimum_successful_nodes: number("minimum_successful_nodes"),
                    maximum_failed_nodes: number("maximum_failed_nodes"),
                },
            });
        }
        let strategy = Self {
            groups,
            place: Some(document.place()),
        };
        strategy.check(document)?;
        Ok(strategy)
    }

    /// Names unique, dependencies known, no cycle.
    fn check(&self, document: &DocumentView<'_>) -> Result<(), DeployError> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (index, group) in self.groups.iter().enumerate() {
            if let Some(first) = seen.insert(&group.name, index) {
                return Err(invalid(
                    document,
                    &format!(".groups[{index}].name"),
                    &format!("group `{}` is also defined at .groups[{first}]", group.name),
                ));
            }
        }
        for (index, group) in self.groups.iter().enumerate() {
            for (position, dependency) in group.depends_on.iter().enumerate() {
                if !seen.contains_key(dependency.as_str()) {
                    return Err(invalid(
                        document,
                        &format!(".groups[{index}].depends_on[{position}]"),
                        &format!("no group named `{dependency}`"),
                    ));
                }
            }
        }
        let order = self.order();
        if order.len() < self.groups.len() {
            let mut cyclic: Vec<&str> = self
                .groups
                .iter()
                .enumerate()
                .filter(|(index, _)| !order.contains(index))
                .map(|(_, group)| group.name.as_str())
                .collect();
            cyclic.sort_unstable();
            return Err(invalid(
                document,
                ".groups",
                &format!(
                    "groups depend on each other in a cycle: {}",
                    cyclic.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Group indices in deployment order: networkx's topological order (generations of
    /// Kahn's algorithm, groups without dependencies first in document order, then each
    /// released group in the order its last dependency was met). Groups on a cycle are
    /// left out.
    fn order(&self) -> Vec<usize> {
        let index_of: HashMap<&str, usize> = self
            .groups
            .iter()
            .enumerate()
            .map(|(index, group)| (group.name.as_str(), index))
            .collect();
        let mut waiting: Vec<usize> = self
            .groups
            .iter()
            .map(|group| group.depends_on.len())
            .collect();
        let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); self.groups.len()];
        for (index, group) in self.groups.iter().enumerate() {
            for dependency in &group.depends_on {
                if let Some(parent) = index_of.get(dependency.as_str()) {
                    dependants[*parent].push(index);
                }
            }
        }
        let mut generation: Vec<usize> = (0..self.groups.len())
            .filter(|index| waiting[*index] == 0)
            .collect();
        let mut order = Vec::with_capacity(self.groups.len());
        while !generation.is_empty() {
            let mut next = Vec::new();
            for group in &generation {
                for dependant in &dependants[*group] {
                    waiting[*dependant] -= 1;
                    if waiting[*dependant] == 0 {
                        next.push(*dependant);
                    }
                }
            }
            order.extend(generation);
            generation = next;
        }
        order
    }

    /// The groups in deployment order with their nodes.
    pub fn resolve<N: NodeFacts>(&self, nodes: &[N]) -> Vec<ResolvedGroup> {
        let mut taken: BTreeMap<&str, ()> = BTreeMap::new();
        self.order()
            .into_iter()
            .map(|index| {
                let group = &self.groups[index];
                let selective: Vec<&Selector> = group
                    .selectors
                    .iter()
                    .filter(|selector| !selector.is_empty())
                    .collect();
                let mut selected: Vec<String> = nodes
                    .iter()
                    .filter(|node| {
                        selective.is_empty()
                            || selective.iter().any(|selector| selector.matches(*node))
                    })
                    .map(|node| node.name().to_string())
                    .collect();
                selected.sort();
                let actionable: Vec<String> = selected
                    .iter()
                    .filter(|name| !taken.contains_key(name.as_str()))
                    .cloned()
                    .collect();
                for name in &selected {
                    if let Some(node) = nodes.iter().find(|node| node.name() == name) {
                        taken.insert(node.name(), ());
                    }
                }
                ResolvedGroup {
                    name: group.name.clone(),
                    critical: group.critical,
                    depends_on: group.depends_on.clone(),
                    criteria: group.criteria,
                    nodes: selected,
                    actionable,
                }
            })
            .collect()
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
