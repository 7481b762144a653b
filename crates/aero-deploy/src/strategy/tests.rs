//! Shipyard's deployment-group semantics, each test naming the rule it checks.

use super::*;
use aero_site::{Keys, RenderOptions, Snapshot};

struct Node {
    name: &'static str,
    tags: Vec<String>,
    labels: Vec<(&'static str, &'static str)>,
    rack: Option<&'static str>,
}

impl NodeFacts for Node {
    fn name(&self) -> &str {
        self.name
    }
    fn tags(&self) -> &[String] {
        &self.tags
    }
    fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| *value)
    }
    fn rack(&self) -> Option<&str> {
        self.rack
    }
}

fn node(name: &'static str, tags: &[&str], rack: &'static str) -> Node {
    Node {
        name,
        tags: tags.iter().map(|tag| tag.to_string()).collect(),
        labels: vec![(
            "role",
            if tags.contains(&"control") {
                "cp"
            } else {
                "wk"
            },
        )],
        rack: Some(rack),
    }
}

fn nodes() -> Vec<Node> {
    vec![
        node("cp01", &["control", "genesis"], "r1"),
        node("wk01", &["worker"], "r1"),
        node("wk02", &["worker"], "r2"),
        node("wk03", &["worker", "storage"], "r2"),
    ]
}

/// Renders one DeploymentStrategy document (with the layering policy it needs) and
/// reads it.
fn strategy(groups_yaml: &str) -> Result<DeploymentStrategy, DeployError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "---\nschema: deckhand/LayeringPolicy/v1\nmetadata: {schema: metadata/Control/v1, name: layering-policy}\ndata: {layerOrder: [site]}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("strategy.yaml"),
        format!(
            "---\nschema: shipyard/DeploymentStrategy/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: s\n  storagePolicy: cleartext\n  layeringDefinition: {{abstract: false, layer: site}}\ndata:\n  groups:\n{groups_yaml}"
        ),
    )
    .unwrap();
    let snapshot = Snapshot::from_paths(&[dir.path().to_path_buf()]).unwrap();
    let site = snapshot.render(
        &Keys::none(),
        &RenderOptions {
            validate: false,
            ..RenderOptions::default()
        },
    );
    assert!(site.is_valid(), "{:#?}", site.diagnostics());
    let document = site.find(SCHEMA, "s").unwrap();
    DeploymentStrategy::from_document(&document)
}

fn names(group: &ResolvedGroup) -> (Vec<&str>, Vec<&str>) {
    (
        group.nodes.iter().map(String::as_str).collect(),
        group.actionable.iter().map(String::as_str).collect(),
    )
}

#[test]
fn a_selector_ands_its_criteria_and_a_group_ors_its_selectors() {
    let strategy = strategy(
        "    - name: g\n      critical: false\n      depends_on: []\n      selectors:\n        - {node_tags: [worker], rack_names: [r2]}\n        - {node_names: [cp01]}\n",
    )
    .unwrap();
    let resolved = strategy.resolve(&nodes());
    assert_eq!(names(&resolved[0]).0, ["cp01", "wk02", "wk03"]);
}

#[test]
fn labels_are_key_colon_value_and_other_forms_are_located_errors() {
    let strategy = strategy(
        "    - name: g\n      critical: false\n      depends_on: []\n      selectors:\n        - {node_labels: ['role:wk']}\n",
    )
    .unwrap();
    assert_eq!(
        names(&strategy.resolve(&nodes())[0]).0,
        ["wk01", "wk02", "wk03"]
    );
    let error = strategy_error(
        "    - name: g\n      critical: false\n      depends_on: []\n      selectors:\n        - {node_labels: ['role=wk']}\n",
    );
    assert!(
        error.contains("strategy.yaml:")
            && error.contains(".groups[0].selectors[0].node_labels")
            && error.contains("key:value"),
        "{error}"
    );
}

fn strategy_error(groups_yaml: &str) -> String {
    strategy(groups_yaml).unwrap_err().to_string()
}

#[test]
fn no_selector_or_only_empty_ones_select_every_node_but_empty_ones_beside_others_do_not() {
    let every = strategy(
        "    - name: g\n      critical: true\n      depends_on: []\n      selectors: []\n",
    )
    .unwrap();
    assert_eq!(every.resolve(&nodes())[0].nodes.len(), 4);
    let empty = strategy(
        "    - name: g\n      critical: true\n      depends_on: []\n      selectors: [{node_tags: []}]\n",
    );
    // The schema asks for minProperties 1, but an empty list is still a selector.
    assert_eq!(empty.unwrap().resolve(&nodes())[0].nodes.len(), 4);
    let mixed = strategy(
        "    - name: g\n      critical: true\n      depends_on: []\n      selectors: [{node_tags: []}, {node_names: [wk01]}]\n",
    )
    .unwrap();
    assert_eq!(
        names(&mixed.resolve(&nodes())[0]).0,
        ["wk01"],
        "node_lookup.py skips the all-selector"
    );
}

#[test]
fn groups_run_in_dependency_order_and_a_node_is_acted_on_by_its_first_group_only() {
    let strategy = strategy(
        "    - name: workers\n      critical: false\n      depends_on: [control]\n      selectors: [{node_tags: [worker]}]\n    - name: storage\n      critical: false\n      depends_on: [workers]\n      selectors: [{node_tags: [storage]}]\n    - name: control\n      critical: true\n      depends_on: []\n      selectors: [{node_tags: [control]}]\n",
    )
    .unwrap();
    let resolved = strategy.resolve(&nodes());
    let order: Vec<&str> = resolved.iter().map(|group| group.name.as_str()).collect();
    assert_eq!(order, ["control", "workers", "storage"]);
    assert_eq!(
        names(&resolved[2]),
        (vec!["wk03"], vec![]),
        "already taken by workers, still counted"
    );
}

#[test]
fn cycles_unknown_dependencies_and_duplicate_names_are_errors() {
    let cycle = strategy_error(
        "    - {name: a, critical: false, depends_on: [b], selectors: []}\n    - {name: b, critical: false, depends_on: [a], selectors: []}\n    - {name: c, critical: false, depends_on: [], selectors: []}\n",
    );
    assert!(cycle.contains("cycle: a, b"), "{cycle}");
    let unknown =
        strategy_error("    - {name: a, critical: false, depends_on: [nope], selectors: []}\n");
    assert!(
        unknown.contains(".groups[0].depends_on[0]: no group named `nope`"),
        "{unknown}"
    );
    let twice = strategy_error(
        "    - {name: a, critical: false, depends_on: [], selectors: []}\n    - {name: a, critical: false, depends_on: [], selectors: []}\n",
    );
    assert!(twice.contains(".groups[1].name"), "{twice}");
}

#[test]
fn every_given_criterion_must_hold_and_none_or_no_nodes_succeeds() {
    let all = SuccessCriteria {
        percent_successful_nodes: Some(60),
        minimum_successful_nodes: Some(2),
        maximum_failed_nodes: Some(1),
    };
    assert!(all.unmet(3, 4).is_empty());
    let unmet: Vec<&str> = all
        .unmet(2, 4)
        .iter()
        .map(|unmet| unmet.criterion)
        .collect();
    assert_eq!(unmet, ["percent_successful_nodes", "maximum_failed_nodes"]);
    assert_eq!(
        all.unmet(0, 0),
        vec![],
        "deployment_group.py: an empty group passes"
    );
    assert!(SuccessCriteria::default().unmet(0, 5).is_empty());
    let minimum = SuccessCriteria {
        minimum_successful_nodes: Some(1),
        ..SuccessCriteria::default()
    };
    assert_eq!(
        minimum.unmet(0, 2)[0].to_string(),
        "minimum_successful_nodes needs 1, got 0"
    );
}

#[test]
fn the_default_strategy_is_one_critical_group_of_every_node_all_succeeding() {
    let default = DeploymentStrategy::default_strategy();
    let resolved = default.resolve(&nodes());
    assert_eq!(resolved.len(), 1);
    assert!(resolved[0].critical);
    assert_eq!(resolved[0].nodes.len(), 4);
    assert_eq!(resolved[0].criteria.unmet(3, 4).len(), 1);
}
