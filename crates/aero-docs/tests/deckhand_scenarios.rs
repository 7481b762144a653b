//! Deckhand's layering, substitution and replacement scenarios, written from the
//! rules in Deckhand's engine (`deckhand/engine/layering.py`, `secrets_manager.py`,
//! `_replacement.py`) and its unit tests' shapes, checked in both modes where the
//! modes agree and separately where Deckhand's quirks make them differ.

mod support;

use aero_docs::mode::Mode;
use serde_json::json;
use support::*;

const GLOBAL_PARENT: &str = "---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: global-1234
  storagePolicy: cleartext
  labels: {key1: value1}
  layeringDefinition: {abstract: true, layer: global}
data:
  a: {x: 1, y: 2}
  b: 5
  c: [1, 2, 3]
";

fn child(actions: &str, data: &str) -> String {
    format!(
        "---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: site-1234
  storagePolicy: cleartext
  layeringDefinition:
    abstract: false
    layer: site
    parentSelector: {{key1: value1}}
    actions: {actions}
data: {data}
"
    )
}

#[test]
fn merge_at_root_merges_dicts_and_child_wins() {
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: merge, path: .}]", "{a: {z: 3}, b: 4}")
    );
    check_both(
        &documents,
        "site-1234",
        json!({"a": {"x": 1, "y": 2, "z": 3}, "b": 4, "c": [1, 2, 3]}),
    );
}

#[test]
fn merge_replaces_lists_rather_than_extending_them() {
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: merge, path: .}]", "{c: [9]}")
    );
    check_both(
        &documents,
        "site-1234",
        json!({"a": {"x": 1, "y": 2}, "b": 5, "c": [9]}),
    );
}

#[test]
fn merge_at_nested_path_only_touches_that_path() {
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: merge, path: .a}]", "{a: {x: 10}, b: 99}")
    );
    check_both(
        &documents,
        "site-1234",
        json!({"a": {"x": 10, "y": 2}, "b": 5, "c": [1, 2, 3]}),
    );
}

#[test]
fn merge_of_a_path_the_parent_lacks_creates_it() {
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: merge, path: .d.e}]", "{d: {e: [1]}}")
    );
    check_both(
        &documents,
        "site-1234",
        json!({"a": {"x": 1, "y": 2}, "b": 5, "c": [1, 2, 3], "d": {"e": [1]}}),
    );
}

#[test]
fn merge_at_list_index_merges_that_element() {
    let parent = GLOBAL_PARENT.replace("c: [1, 2, 3]", "c: [{p: 1}, {q: 2}]");
    let documents = format!(
        "{parent}{}",
        child("[{method: merge, path: '.c[1]'}]", "{c: [{}, {r: 3}]}")
    );
    check_both(
        &documents,
        "site-1234",
        json!({"a": {"x": 1, "y": 2}, "b": 5, "c": [{"p": 1}, {"q": 2, "r": 3}]}),
    );
}

#[test]
fn replace_at_root_and_nested() {
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: replace, path: .a}]", "{a: {new: true}}")
    );
    check_both(
        &documents,
        "site-1234",
        json!({"a": {"new": true}, "b": 5, "c": [1, 2, 3]}),
    );
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: replace, path: .}]", "{only: 1}")
    );
    check_both(&documents, "site-1234", json!({"only": 1}));
}

#[test]
fn delete_at_root_nested_and_list_index() {
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: delete, path: .}]", "{}")
    );
    check_both(&documents, "site-1234", json!({}));
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: delete, path: .a.x}]", "{}")
    );
    check_both(
        &documents,
        "site-1234",
        json!({"a": {"y": 2}, "b": 5, "c": [1, 2, 3]}),
    );
    // Deleting `.c[0]` (the value 1) by path in Aerostat's mode; Deckhand removes the
    // first value equal to 1 it meets walking the data, which is `.a.x` (quirk 4).
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: delete, path: '.c[0]'}]", "{}")
    );
    assert_eq!(
        data_of(&render_docs(&documents, Mode::Aerostat), "site-1234"),
        json!({"a": {"x": 1, "y": 2}, "b": 5, "c": [2, 3]})
    );
    assert_eq!(
        data_of(&render_docs(&documents, Mode::Deckhand), "site-1234"),
        json!({"a": {"y": 2}, "b": 5, "c": [1, 2, 3]})
    );
}

#[test]
fn several_actions_apply_in_order() {
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child(
            "[{method: merge, path: .}, {method: delete, path: .b}, {method: replace, path: .c}]",
            "{a: {w: 0}, c: []}"
        )
    );
    check_both(
        &documents,
        "site-1234",
        json!({"a": {"x": 1, "y": 2, "w": 0}, "c": []}),
    );
}

#[test]
fn missing_child_key_is_missing_document_key() {
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: merge, path: .nope}]", "{}")
    );
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_docs(&documents, mode);
        assert_eq!(error_kinds(&rendered), ["MissingDocumentKey"]);
        let diagnostic = &rendered.diagnostics[0];
        assert_eq!(diagnostic.json_path.as_deref(), Some(".nope"));
        assert_eq!(diagnostic.location.map(|location| location.line), Some(23));
    }
    let documents = format!(
        "{GLOBAL_PARENT}{}",
        child("[{method: delete, path: .a.nope}]", "{}")
    );
    assert_eq!(
        error_kinds(&render_docs(&documents, Mode::Aerostat)),
        ["MissingDocumentKey"]
    );
}

const THREE_LAYERS: &str = "---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: global-doc
  storagePolicy: cleartext
  labels: {tier: global}
  layeringDefinition: {abstract: true, layer: global}
data: {a: 1, nested: {keep: g, over: g}}
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: region-doc
  storagePolicy: cleartext
  labels: {tier: region}
  layeringDefinition:
    abstract: true
    layer: region
    parentSelector: {tier: global}
    actions: [{method: merge, path: .}]
data: {b: 2, nested: {over: r}}
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: site-doc
  storagePolicy: cleartext
  layeringDefinition:
    abstract: false
    layer: site
    parentSelector: {tier: region}
    actions: [{method: merge, path: .}]
data: {c: 3, nested: {site: s}}
";

#[test]
fn three_layer_chain_inherits_through_every_layer() {
    check_both(
        THREE_LAYERS,
        "site-doc",
        json!({"a": 1, "nested": {"keep": "g", "over": "r", "site": "s"}, "b": 2, "c": 3}),
    );
    let rendered = render_docs(THREE_LAYERS, Mode::Aerostat);
    assert_eq!(
        rendered.output.len(),
        2,
        "abstract documents are not output: only the policy and site-doc"
    );
}

#[test]
fn nearest_layer_parent_wins() {
    // The site document's selector matches both the global and the region documents.
    let documents = THREE_LAYERS
        .replace(
            "labels: {tier: region}",
            "labels: {tier: region, shared: x}",
        )
        .replace(
            "labels: {tier: global}",
            "labels: {tier: global, shared: x}",
        )
        .replace(
            "parentSelector: {tier: region}",
            "parentSelector: {shared: x}",
        );
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_docs(&documents, mode);
        assert_clean(&rendered);
        let site = rendered.find("example/Kind/v1", "site-doc").unwrap();
        let parent = rendered.parent[site.get()].unwrap();
        assert_eq!(rendered.document(parent).name, "region-doc");
    }
}

#[test]
fn two_candidates_in_one_layer_are_indeterminate() {
    let documents = format!(
        "{GLOBAL_PARENT}{}{}",
        GLOBAL_PARENT.replace("global-1234", "global-other"),
        child("[{method: merge, path: .}]", "{}")
    );
    assert_eq!(
        error_kinds(&render_docs(&documents, Mode::Aerostat)),
        ["IndeterminateDocumentParent"]
    );
}

#[test]
fn parent_with_other_schema_or_lower_layer_is_invalid() {
    let other_schema = GLOBAL_PARENT.replace("example/Kind/v1", "example/Other/v1");
    let documents = format!(
        "{other_schema}{}",
        child("[{method: merge, path: .}]", "{}")
    );
    assert_eq!(
        error_kinds(&render_docs(&documents, Mode::Aerostat)),
        ["InvalidDocumentParent"]
    );
    let site_parent = GLOBAL_PARENT
        .replace("layer: global", "layer: site")
        .replace("abstract: true", "abstract: false");
    let documents = format!("{site_parent}{}", child("[{method: merge, path: .}]", "{}"));
    assert_eq!(
        error_kinds(&render_docs(&documents, Mode::Aerostat)),
        ["InvalidDocumentParent"]
    );
}

#[test]
fn selector_matching_nothing_renders_own_data() {
    let documents = child("[{method: merge, path: .}]", "{own: 1}");
    check_both(&documents, "site-1234", json!({"own": 1}));
}

#[test]
fn unknown_layer_and_missing_policy_are_errors() {
    let documents = GLOBAL_PARENT.replace("layer: global", "layer: glbal");
    let rendered = render_docs(&documents, Mode::Aerostat);
    assert_eq!(error_kinds(&rendered), ["InvalidDocumentLayer"]);
    assert_eq!(
        rendered.diagnostics[0].hint.as_deref(),
        Some("did you mean `global`?")
    );
    let rendered = render_files(&[GLOBAL_PARENT], Mode::Aerostat);
    assert_eq!(error_kinds(&rendered), ["LayeringPolicyNotFound"]);
}

const SECRET: &str = "---
schema: deckhand/Passphrase/v1
metadata:
  schema: metadata/Document/v1
  name: db-password
  storagePolicy: encrypted
  layeringDefinition: {abstract: false, layer: site}
data: s3cr3t-Pa55
";

const CATALOGUE: &str = "---
schema: example/Catalogue/v1
metadata:
  schema: metadata/Document/v1
  name: endpoints
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: global}
data:
  identity: {host: keystone.svc, port: 5000, tls: true}
  version: 3.5
  url: https://registry.example.com/images/keystone:2024.1
";

fn consumer(substitutions: &str, data: &str) -> String {
    format!(
        "---
schema: example/App/v1
metadata:
  schema: metadata/Document/v1
  name: app
  storagePolicy: cleartext
  layeringDefinition: {{abstract: false, layer: site}}
  substitutions: {substitutions}
data: {data}
"
    )
}

#[test]
fn substitutes_whole_values_into_nested_and_new_paths() {
    let documents = format!(
        "{SECRET}{CATALOGUE}{}",
        consumer(
            "[{src: {schema: deckhand/Passphrase/v1, name: db-password, path: .}, dest: {path: .db.password}},
              {src: {schema: example/Catalogue/v1, name: endpoints, path: .identity}, dest: {path: .endpoints.identity}}]",
            "{db: {user: nova}}"
        )
    );
    check_both(
        &documents,
        "app",
        json!({"db": {"user": "nova", "password": "s3cr3t-Pa55"}, "endpoints": {"identity": {"host": "keystone.svc", "port": 5000, "tls": true}}}),
    );
}

#[test]
fn pattern_substitution_into_a_url() {
    let documents = format!(
        "{SECRET}{}",
        consumer(
            "[{src: {schema: deckhand/Passphrase/v1, name: db-password, path: .}, dest: {path: .url, pattern: DB_PASSWORD}}]",
            "{url: 'mysql+pymysql://nova:DB_PASSWORD@mariadb:3306/nova'}"
        )
    );
    check_both(
        &documents,
        "app",
        json!({"url": "mysql+pymysql://nova:s3cr3t-Pa55@mariadb:3306/nova"}),
    );
}

#[test]
fn source_pattern_with_match_group() {
    let documents = format!(
        "{CATALOGUE}{}",
        consumer(
            "[{src: {schema: example/Catalogue/v1, name: endpoints, path: .url, pattern: '^https://([^/]+)/', match_group: 1}, dest: {path: .registry}}]",
            "{}"
        )
    );
    check_both(
        &documents,
        "app",
        json!({"registry": "registry.example.com"}),
    );
}

#[test]
fn list_index_destination_and_list_of_destinations() {
    let documents = format!(
        "{CATALOGUE}{}",
        consumer(
            "[{src: {schema: example/Catalogue/v1, name: endpoints, path: .identity.host}, dest: [{path: '.servers[0]'}, {path: '.conf.auth_host'}]},
              {src: {schema: example/Catalogue/v1, name: endpoints, path: .identity.host}, dest: {path: '.padded[2]'}}]",
            "{servers: [old, second]}"
        )
    );
    check_both(
        &documents,
        "app",
        json!({"servers": ["keystone.svc", "second"], "conf": {"auth_host": "keystone.svc"}, "padded": [{}, {}, "keystone.svc"]}),
    );
}

#[test]
fn recursive_pattern_substitution_respects_depth() {
    let data = "{a: 'x-HOST', b: {c: 'y-HOST', d: {e: 'z-HOST'}}, f: ['HOST']}";
    let substitution = |depth: i64| {
        format!(
            "[{{src: {{schema: example/Catalogue/v1, name: endpoints, path: .identity.host}}, dest: {{path: ., pattern: HOST, recurse: {{depth: {depth}}}}}}}]"
        )
    };
    let documents = format!("{CATALOGUE}{}", consumer(&substitution(-1), data));
    check_both(
        &documents,
        "app",
        json!({"a": "x-keystone.svc", "b": {"c": "y-keystone.svc", "d": {"e": "z-keystone.svc"}}, "f": ["keystone.svc"]}),
    );
    let documents = format!("{CATALOGUE}{}", consumer(&substitution(1), data));
    check_both(
        &documents,
        "app",
        json!({"a": "x-keystone.svc", "b": {"c": "y-HOST", "d": {"e": "z-HOST"}}, "f": ["HOST"]}),
    );
    let documents = format!("{CATALOGUE}{}", consumer(&substitution(2), data));
    check_both(
        &documents,
        "app",
        json!({"a": "x-keystone.svc", "b": {"c": "y-keystone.svc", "d": {"e": "z-HOST"}}, "f": ["keystone.svc"]}),
    );
}

#[test]
fn substitution_chains_follow_dependencies() {
    // c gets a value from endpoints; b from c; a from b; input order reversed.
    let link = |name: &str, source: &str, source_path: &str| {
        format!(
            "---
schema: example/Link/v1
metadata:
  schema: metadata/Document/v1
  name: {name}
  storagePolicy: cleartext
  layeringDefinition: {{abstract: false, layer: site}}
  substitutions:
  - src: {{schema: {source}, path: {source_path}}}
    dest: {{path: .value}}
data: {{}}
"
        )
    };
    let documents = format!(
        "{}{}{}{CATALOGUE}",
        link("a", "example/Link/v1, name: b", ".value"),
        link("b", "example/Link/v1, name: c", ".value"),
        link("c", "example/Catalogue/v1, name: endpoints", ".version")
    );
    check_both(&documents, "a", json!({"value": 3.5}));
}

#[test]
fn cycles_are_reported() {
    let documents = "---
schema: example/Link/v1
metadata:
  schema: metadata/Document/v1
  name: a
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
  substitutions:
  - {src: {schema: example/Link/v1, name: b, path: .x}, dest: {path: .x}}
data: {x: 1}
---
schema: example/Link/v1
metadata:
  schema: metadata/Document/v1
  name: b
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
  substitutions:
  - {src: {schema: example/Link/v1, name: a, path: .x}, dest: {path: .x}}
data: {x: 2}
";
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_docs(documents, mode);
        assert_eq!(error_kinds(&rendered), ["SubstitutionDependencyCycle"]);
        assert!(
            rendered.diagnostics[0]
                .message
                .contains("example/Link/v1/a"),
            "{}",
            rendered.diagnostics[0].message
        );
    }
}

#[test]
fn substitution_errors_are_typed() {
    let missing_source = consumer(
        "[{src: {schema: example/Nope/v1, name: x, path: .}, dest: {path: .a}}]",
        "{}",
    );
    assert_eq!(
        error_kinds(&render_docs(&missing_source, Mode::Aerostat)),
        ["SubstitutionSourceNotFound"]
    );
    let missing_data = format!(
        "{CATALOGUE}{}",
        consumer(
            "[{src: {schema: example/Catalogue/v1, name: endpoints, path: .nope}, dest: {path: .a}}]",
            "{}"
        )
    );
    assert_eq!(
        error_kinds(&render_docs(&missing_data, Mode::Aerostat)),
        ["SubstitutionSourceDataNotFound"]
    );
    let missing_pattern = format!(
        "{CATALOGUE}{}",
        consumer(
            "[{src: {schema: example/Catalogue/v1, name: endpoints, path: .version}, dest: {path: .a, pattern: X}}]",
            "{}"
        )
    );
    assert_eq!(
        error_kinds(&render_docs(&missing_pattern, Mode::Deckhand)),
        ["MissingDocumentPattern"]
    );
    let abstract_source = format!(
        "{}{}",
        CATALOGUE.replace("abstract: false", "abstract: true"),
        consumer(
            "[{src: {schema: example/Catalogue/v1, name: endpoints, path: .version}, dest: {path: .a}}]",
            "{}"
        )
    );
    let rendered = render_docs(&abstract_source, Mode::Aerostat);
    assert_eq!(error_kinds(&rendered), ["SubstitutionSourceNotFound"]);
    assert!(
        rendered.diagnostics[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("abstract")
    );
}

const REPLACED_PARENT: &str = "---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: shared
  storagePolicy: cleartext
  labels: {name: shared-global}
  layeringDefinition: {abstract: false, layer: global}
data: {a: 1, b: 1}
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: shared
  storagePolicy: cleartext
  labels: {name: shared-site}
  replacement: true
  layeringDefinition:
    abstract: false
    layer: site
    parentSelector: {name: shared-global}
    actions: [{method: merge, path: .}]
data: {b: 2}
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: other-child
  storagePolicy: cleartext
  layeringDefinition:
    abstract: false
    layer: site
    parentSelector: {name: shared-global}
    actions: [{method: merge, path: .}]
data: {c: 3}
---
schema: example/Reader/v1
metadata:
  schema: metadata/Document/v1
  name: reader
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
  substitutions:
  - {src: {schema: example/Kind/v1, name: shared, path: .b}, dest: {path: .b}}
data: {}
";

#[test]
fn replacement_replaces_parent_for_output_children_and_sources() {
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_docs(REPLACED_PARENT, mode);
        assert_clean(&rendered);
        let shared: Vec<_> = rendered
            .output
            .iter()
            .filter(|index| rendered.document(**index).name == "shared")
            .collect();
        assert_eq!(shared.len(), 1, "only the replacement is output");
        assert_eq!(rendered.document(*shared[0]).layer.as_deref(), Some("site"));
        assert_eq!(data_of(&rendered, "shared"), json!({"a": 1, "b": 2}));
        assert_eq!(
            data_of(&rendered, "other-child"),
            json!({"a": 1, "b": 2, "c": 3})
        );
        assert_eq!(data_of(&rendered, "reader"), json!({"b": 2}));
    }
}

#[test]
fn replacement_errors() {
    let without_parent = REPLACED_PARENT.replace("parentSelector: {name: shared-global}\n    actions: [{method: merge, path: .}]\ndata: {b: 2}", "parentSelector: {name: nothing}\n    actions: [{method: merge, path: .}]\ndata: {b: 2}");
    assert!(
        error_kinds(&render_docs(&without_parent, Mode::Aerostat))
            .contains(&"InvalidDocumentReplacement")
    );
    let not_marked = REPLACED_PARENT.replace("  replacement: true\n", "");
    assert!(
        error_kinds(&render_docs(&not_marked, Mode::Aerostat))
            .contains(&"InvalidDocumentReplacement")
    );
}

#[test]
fn deckhand_mode_shares_substituted_objects() {
    // Quirk 1: chart-a receives the catalogue's subtree (a shallow copy whose children
    // are shared), then writes a node port below it; the catalogue and chart-b, which
    // copies the same subtree afterwards, see the port in Deckhand mode only.
    let documents = "---
schema: example/Catalogue/v1
metadata:
  schema: metadata/Document/v1
  name: ucp
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: global}
data:
  physicalprovisioner: {host: drydock, port: {api: {default: 9000}}}
---
schema: example/Chart/v1
metadata:
  schema: metadata/Document/v1
  name: chart-a
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
  substitutions:
  - {src: {schema: example/Catalogue/v1, name: ucp, path: .physicalprovisioner}, dest: {path: .values.endpoints.physicalprovisioner}}
  - {src: {schema: example/Ports/v1, name: ports, path: .drydock}, dest: {path: .values.endpoints.physicalprovisioner.port.api.nodeport}}
data: {}
---
schema: example/Ports/v1
metadata:
  schema: metadata/Document/v1
  name: ports
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data: {drydock: 31900}
";
    let aerostat = render_docs(documents, Mode::Aerostat);
    assert_clean(&aerostat);
    assert_eq!(
        data_of(&aerostat, "ucp"),
        json!({"physicalprovisioner": {"host": "drydock", "port": {"api": {"default": 9000}}}})
    );
    let deckhand = render_docs(documents, Mode::Deckhand);
    assert_clean(&deckhand);
    assert_eq!(
        data_of(&deckhand, "ucp"),
        json!({"physicalprovisioner": {"host": "drydock", "port": {"api": {"default": 9000, "nodeport": 31900}}}})
    );
    assert_eq!(data_of(&deckhand, "chart-a"), data_of(&aerostat, "chart-a"));
}

#[test]
fn deckhand_mode_deletes_by_value_and_stringifies_like_python() {
    // Quirk 4: deleting `.b` removes the first entry equal to its value (here `.a`).
    let documents = format!(
        "{}{}",
        GLOBAL_PARENT.replace("a: {x: 1, y: 2}\n  b: 5", "a: 5\n  b: 5"),
        child("[{method: delete, path: .b}]", "{}")
    );
    assert_eq!(
        data_of(&render_docs(&documents, Mode::Deckhand), "site-1234"),
        json!({"b": 5, "c": [1, 2, 3]})
    );
    assert_eq!(
        data_of(&render_docs(&documents, Mode::Aerostat), "site-1234"),
        json!({"a": 5, "c": [1, 2, 3]})
    );
    // Quirk 5: booleans become True/False in a pattern substitution.
    let documents = format!(
        "{CATALOGUE}{}",
        consumer(
            "[{src: {schema: example/Catalogue/v1, name: endpoints, path: .identity.tls}, dest: {path: .flag, pattern: TLS}}]",
            "{flag: 'tls=TLS'}"
        )
    );
    assert_eq!(
        data_of(&render_docs(&documents, Mode::Deckhand), "app"),
        json!({"flag": "tls=True"})
    );
    assert_eq!(
        data_of(&render_docs(&documents, Mode::Aerostat), "app"),
        json!({"flag": "tls=true"})
    );
}

#[test]
fn deckhand_mode_reads_yaml_1_1() {
    let documents = consumer("[]", "{enabled: yes, mode: 0755}");
    assert_eq!(
        data_of(&render_docs(&documents, Mode::Deckhand), "app"),
        json!({"enabled": true, "mode": 493})
    );
    assert_eq!(
        data_of(&render_docs(&documents, Mode::Aerostat), "app"),
        json!({"enabled": "yes", "mode": 755})
    );
}

/// Deckhand's base and metadata schemas allow a fixed set of keys at each level of the
/// envelope; each other key is a D001 at its own JSON path, with a message naming where it is.
#[test]
fn unexpected_keys_are_reported_at_every_level_of_the_envelope() {
    let documents = "---
schema: example/Item/v1
metadata:
  schema: metadata/Document/v1
  name: parent
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: global}
data: {a: 1}
---
schema: example/Item/v1
extra: 1
metadata:
  schema: metadata/Document/v1
  name: child
  storagePolicy: cleartext
  bogus: 2
  layeringDefinition:
    abstract: false
    layer: site
    weird: 3
    parentSelector: {}
    actions:
      - {method: merge, path: ., odd: 4}
  substitutions:
    - src: {schema: example/Item/v1, name: parent, path: .a, strange: 5}
      dest: {path: .b, funny: 6}
      other: 7
data: {a: 2}
";
    let rendered = render_docs(documents, Mode::Aerostat);
    let unexpected: Vec<(String, String)> = rendered
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.message.starts_with("unexpected"))
        .map(|diagnostic| {
            assert_eq!(diagnostic.code, "D001", "{diagnostic:?}");
            (
                diagnostic.json_path.clone().unwrap_or_default(),
                diagnostic.message.clone(),
            )
        })
        .collect();
    let expected = [
        ("extra", "unexpected top-level key `extra`"),
        ("metadata.bogus", "unexpected key `metadata.bogus`"),
        (
            "metadata.layeringDefinition.weird",
            "unexpected key `weird` in layeringDefinition",
        ),
        (
            "metadata.layeringDefinition.actions[0].odd",
            "unexpected key `odd` in an action",
        ),
        (
            "metadata.substitutions[0].other",
            "unexpected key `other` in a substitution",
        ),
        (
            "metadata.substitutions[0].src.strange",
            "unexpected key `strange` in a substitution source",
        ),
        (
            "metadata.substitutions[0].dest.funny",
            "unexpected key `funny` in a destination",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(path, message)| (path.to_string(), message.to_string()))
        .collect();
    assert_eq!(unexpected, expected);
}

#[test]
fn structure_errors_are_located() {
    let documents = "---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: broken
  storagePolicy: plaintext
  layeringDefinition: {abstract: false, layer: site}
  extra: 1
data: {}
";
    let rendered = render_docs(documents, Mode::Aerostat);
    let messages: Vec<(u32, &str)> = rendered
        .diagnostics
        .iter()
        .map(|diagnostic| {
            (
                diagnostic.location.map_or(0, |location| location.line),
                diagnostic.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            (8, "unexpected key `metadata.extra`"),
            (
                6,
                "`metadata.storagePolicy` is `plaintext`, expected `cleartext` or `encrypted`"
            ),
        ]
    );
}

#[test]
fn hostile_paths_are_rejected_before_they_cost_memory() {
    // One line asking to pad a list to a billion entries, and a path nested far deeper
    // than any real document: both are located format errors, not an out-of-memory.
    let documents = format!(
        "{CATALOGUE}{}",
        consumer(
            "[{src: {schema: example/Catalogue/v1, name: endpoints, path: .version}, dest: {path: '.a[1000000000]'}}]",
            "{}"
        )
    );
    let rendered = render_docs(&documents, Mode::Aerostat);
    assert_eq!(error_kinds(&rendered), ["InvalidDocumentFormat"]);
    assert!(
        rendered.diagnostics[0]
            .message
            .contains("list indices above"),
        "{}",
        rendered.diagnostics[0].message
    );
    assert!(rendered.diagnostics[0].location.is_some());
    let deep = ".a".repeat(5000);
    let documents = format!(
        "{CATALOGUE}{}",
        consumer(
            &format!(
                "[{{src: {{schema: example/Catalogue/v1, name: endpoints, path: .version}}, dest: {{path: '{deep}'}}}}]"
            ),
            "{}"
        )
    );
    assert_eq!(
        error_kinds(&render_docs(&documents, Mode::Deckhand)),
        ["InvalidDocumentFormat"]
    );
}

#[test]
fn pegleg_managed_documents_are_unwrapped_or_refused_when_still_encrypted() {
    let wrapped = "---
schema: pegleg/PeglegManagedDocument/v1
metadata:
  schema: metadata/Document/v1
  name: deckhand/Passphrase/v1/db-password
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data:
  generated: {at: '2019-01-01T00:00:00', by: pegleg}
  managedDocument:
    schema: deckhand/Passphrase/v1
    metadata:
      schema: metadata/Document/v1
      name: db-password
      storagePolicy: encrypted
      layeringDefinition: {abstract: false, layer: site}
    data: wrapped-secret-value
";
    let rendered = render_docs(wrapped, Mode::Aerostat);
    assert_clean(&rendered);
    assert_eq!(
        data_of(&rendered, "db-password"),
        json!("wrapped-secret-value")
    );
    let encrypted = "---
schema: pegleg/PeglegManagedDocument/v1
metadata:
  schema: metadata/Document/v1
  name: deckhand/Passphrase/v1/db-password
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data:
  encrypted: {at: '2019-01-01T00:00:00', by: pegleg}
  managedDocument: gAAAAABc-not-a-real-token
";
    let rendered = render_docs(encrypted, Mode::Aerostat);
    assert_eq!(error_kinds(&rendered), ["EncryptionSourceNotFound"]);
    assert!(
        rendered.diagnostics[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("import-pegleg")
    );
    assert_eq!(
        rendered.diagnostics[0]
            .location
            .map(|location| location.line),
        Some(2)
    );
}

#[test]
fn metadata_follows_deckhands_metadata_document_schema() {
    let documents = "---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: strict
  storagePolicy: cleartext
  layeringDefinition:
    layer: site
    parentSelector: {a: b}
    actions: []
  substitutions:
  - src: {schema: example/Kind/v1, name: x, path: ., typo: 1}
    dest: {path: .y}
data: {}
";
    let rendered = render_docs(documents, Mode::Aerostat);
    let messages: Vec<&str> = rendered
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "`actions` must list at least one action",
            "unexpected key `typo` in a substitution source"
        ]
    );
    assert!(
        rendered
            .diagnostics
            .iter()
            .all(|diagnostic| diagnostic.kind.map(|kind| kind.name())
                == Some("InvalidDocumentFormat"))
    );
}

/// Children share their parent's nodes until they write (copy-on-write in Aerostat
/// mode, eager copies in Deckhand mode). Every kind of write a child makes (merge into
/// nested mappings, replace, delete, substitution into a nested path, a pattern
/// replaced recursively, a list index) must leave the concrete parent, a sibling and
/// the child's own raw data exactly as written; the grandchild sees its parent's result.
/// (The deleted value is unique so Deckhand's delete-by-value quirk picks the same entry.)
#[test]
fn writes_by_children_never_leak_into_parents_or_siblings() {
    let documents = "---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: parent
  storagePolicy: cleartext
  labels: {role: parent}
  layeringDefinition: {abstract: false, layer: global}
data:
  a: {x: 1, deep: {k: 1, keep: true}}
  b: [1, 2, {n: 1}]
  urls: {api: 'http://HOST/api', ui: {main: 'http://HOST/'}}
  gone: {g: only-here}
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: child
  storagePolicy: cleartext
  labels: {role: child}
  layeringDefinition:
    abstract: false
    layer: region
    parentSelector: {role: parent}
    actions:
    - {method: merge, path: .a}
    - {method: replace, path: .b}
    - {method: delete, path: .gone.g}
  substitutions:
  - src: {schema: example/Source/v1, name: source, path: .host}
    dest: {path: .urls, pattern: HOST, recurse: {depth: -1}}
  - src: {schema: example/Source/v1, name: source, path: .port}
    dest: {path: .a.deep.port}
data:
  a: {deep: {k: 2}}
  b: [9]
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: sibling
  storagePolicy: cleartext
  layeringDefinition:
    abstract: false
    layer: region
    parentSelector: {role: parent}
    actions: [{method: merge, path: .}]
data: {extra: 1}
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: grandchild
  storagePolicy: cleartext
  layeringDefinition:
    abstract: false
    layer: site
    parentSelector: {role: child}
    actions: [{method: merge, path: .a.deep}]
data:
  a: {deep: {k: 3}}
---
schema: example/Source/v1
metadata:
  schema: metadata/Document/v1
  name: source
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: global}
data: {host: example.org, port: 8443}
";
    let parent = json!({
        "a": {"x": 1, "deep": {"k": 1, "keep": true}},
        "b": [1, 2, {"n": 1}],
        "urls": {"api": "http://HOST/api", "ui": {"main": "http://HOST/"}},
        "gone": {"g": "only-here"}
    });
    let child = json!({
        "a": {"x": 1, "deep": {"k": 2, "keep": true, "port": 8443}},
        "b": [9],
        "urls": {"api": "http://example.org/api", "ui": {"main": "http://example.org/"}},
        "gone": {}
    });
    let mut sibling = parent.clone();
    sibling["extra"] = json!(1);
    let mut grandchild = child.clone();
    grandchild["a"]["deep"]["k"] = json!(3);
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_docs(documents, mode);
        assert_clean(&rendered);
        assert_eq!(data_of(&rendered, "parent"), parent, "{mode:?}");
        assert_eq!(data_of(&rendered, "child"), child, "{mode:?}");
        assert_eq!(data_of(&rendered, "sibling"), sibling, "{mode:?}");
        assert_eq!(data_of(&rendered, "grandchild"), grandchild, "{mode:?}");
        let raw_child = rendered.find("example/Kind/v1", "child").unwrap();
        let raw = rendered.arena.to_json(rendered.document(raw_child).data);
        assert_eq!(raw, json!({"a": {"deep": {"k": 2}}, "b": [9]}), "{mode:?}");
    }
}

/// Documents that only Deckhand's pre-validation refuses: `actions` without a
/// `parentSelector`, an empty `actions` list, no `storagePolicy`, no `layeringDefinition`,
/// an unknown metadata key, and the layering policy twice.
const UNVALIDATED: &str = "---
schema: deckhand/LayeringPolicy/v1
metadata:
  schema: metadata/Control/v1
  name: layering-policy
data:
  layerOrder: [global, region, site]
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: parent
  labels: {role: parent}
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: global}
data: {a: 1, b: 2}
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: actions-without-selector
  storagePolicy: cleartext
  layeringDefinition:
    layer: site
    actions: [{method: merge, path: .}]
data: {c: 3}
---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: empty-actions
  storagePolicy: cleartext
  layeringDefinition:
    layer: site
    parentSelector: {role: parent}
    actions: []
data: {d: 4}
---
schema: example/Other/v1
metadata:
  schema: metadata/Document/v1
  name: bare
  owner: someone
data: {e: 5}
";

/// Pegleg's `--no-validate` (`deckhand_render(..., validate=False)` in
/// `pegleg/engine/util/deckhand.py`) builds Deckhand's engine with `validate=False`, so
/// `DocumentLayering.__init__` (`deckhand/engine/layering.py`) skips
/// `_pre_validate_documents`: neither the base and metadata schemas
/// (`deckhand/engine/schemas/metadata_document.yaml`: the `parentSelector`/`actions`
/// dependencies, `actions: minItems: 1`, required `storagePolicy` and
/// `layeringDefinition`, `additionalProperties: false`) nor `DuplicateDocumentValidator`
/// (`deckhand/engine/document_validation.py`) run. The engine then keeps the first of two
/// identical documents (`self._documents_by_index.setdefault(document.meta, document)`),
/// layers only a document with a `parentSelector` (`if doc.parent_selector:` in
/// `render`), and leaves data as it is when there are no actions (`if doc.actions: ...
/// else: LOG.debug('Skipped layering ...')`).
#[test]
fn no_validate_in_deckhand_mode_accepts_what_deckhands_engine_accepts() {
    let mut config = aero_docs::render::RenderConfig::new(Mode::Deckhand);
    config.validate_metadata = false;
    let policy_twice = format!("{UNVALIDATED}{}", POLICY);
    let rendered = render_files_with(&[&policy_twice], &config);
    assert_clean(&rendered);
    assert_eq!(
        data_of(&rendered, "actions-without-selector"),
        json!({"c": 3})
    );
    assert_eq!(data_of(&rendered, "empty-actions"), json!({"d": 4}));
    assert_eq!(data_of(&rendered, "bare"), json!({"e": 5}));
    let policies = rendered
        .output
        .iter()
        .filter(|index| rendered.document(**index).schema == "deckhand/LayeringPolicy/v1")
        .count();
    assert_eq!(policies, 1, "the first of two identical documents is kept");
    let warnings: Vec<&str> = rendered
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic.code)
        .collect();
    assert_eq!(warnings, ["A001", "A006"]);
}

/// With validation (the default, and always in Aerostat's mode) the same documents are
/// refused as Deckhand's pre-validation refuses them.
#[test]
fn metadata_is_checked_with_validation_and_always_in_aerostat_mode() {
    let policy_twice = format!("{UNVALIDATED}{}", POLICY);
    let expected = [
        "`actions` require a `parentSelector`",
        "`actions` must list at least one action",
        "unexpected key `metadata.owner`",
        "`metadata.storagePolicy` is required",
        "`metadata.layeringDefinition` is required",
        "duplicate document deckhand/LayeringPolicy/v1/layering-policy",
    ];
    let mut unvalidated_aerostat = aero_docs::render::RenderConfig::new(Mode::Aerostat);
    unvalidated_aerostat.validate_metadata = false;
    for config in [
        aero_docs::render::RenderConfig::new(Mode::Deckhand),
        aero_docs::render::RenderConfig::new(Mode::Aerostat),
        unvalidated_aerostat,
    ] {
        let rendered = render_files_with(&[&policy_twice], &config);
        let errors: Vec<&str> = rendered
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == aero_docs::diagnostic::Severity::Error)
            .map(|diagnostic| diagnostic.message.as_str())
            .collect();
        assert_eq!(errors, expected, "{:?}", config.mode);
    }
}

/// Keys that are not strings are named as the YAML loader tells keys apart (Python's
/// `json.dumps`: `Infinity`, `NaN`), so a float key and a string key the loader kept
/// apart stay two keys: `.inf` and `inf` once became one, and a value was lost silently.
#[test]
fn non_string_keys_keep_the_names_the_loader_told_them_apart_by() {
    let documents = "---
schema: example/Kind/v1
metadata:
  schema: metadata/Document/v1
  name: keys
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: global}
data: {.inf: a, inf: b, .nan: c, nan: d, -.inf: e, 10: f, 1.5: g, true: h}
";
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_docs(documents, mode);
        let data = data_of(&rendered, "keys");
        assert_eq!(
            data,
            json!({"Infinity": "a", "inf": "b", "NaN": "c", "nan": "d", "-Infinity": "e",
                   "10": "f", "1.5": "g", "true": "h"}),
            "mode {mode:?}"
        );
    }
}
