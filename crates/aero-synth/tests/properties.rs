//! Property tests of the render engine on generated sites.
//!
//! 1. In Aerostat's mode the rendered output (every output document as JSON, in output
//!    order) and the set of errors do not depend on the order of documents or files:
//!    checked on synthetic sites and on small random layered sites with substitutions
//!    and replacements, with documents shuffled across a random number of files.
//!    Synthetic sites also render identically in both modes (they avoid every quirk).
//! 2. (The revision-id property belongs with the revision code and is not here.)
//! 3. Rendering never panics on small mutations of a valid site (a key dropped, a
//!    value's type changed, a label renamed), in either mode, and every error it
//!    reports has a source location.
//!
//! Case counts are kept small so the file runs in seconds in a debug build.

use aero_docs::diagnostic::{ErrorKind, Severity};
use aero_docs::mode::Mode;
use aero_docs::render::{RenderConfig, Rendered, render};
use aero_docs::source::{SourceFile, SourceSet};
use aero_synth::rng::Rng;
use aero_synth::{Shape, SynthConfig, synthetic_documents, synthetic_site};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Every output document as JSON, in output order.
fn output_json(rendered: &Rendered) -> Vec<Value> {
    rendered
        .output
        .iter()
        .map(|index| rendered.document_json(*index))
        .collect()
}

/// The errors as (kind, document) pairs, sorted: what must not depend on input order
/// (messages and locations legitimately name files and lines).
fn error_set(rendered: &Rendered) -> Vec<String> {
    let mut errors: Vec<String> = rendered
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .map(|diagnostic| {
            format!(
                "{} {}",
                diagnostic.kind.map_or("-", ErrorKind::name),
                diagnostic
                    .document
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string)
            )
        })
        .collect();
    errors.sort();
    errors
}

/// Like [`error_set`], but a dependency cycle counts only by kind: which member of a
/// cycle its diagnostic is filed under may follow input order.
fn error_set_cycles_by_kind(rendered: &Rendered) -> Vec<String> {
    let mut errors: Vec<String> = error_set(rendered)
        .into_iter()
        .map(|error| {
            let cycle = ErrorKind::SubstitutionDependencyCycle.name();
            if error.starts_with(cycle) {
                cycle.to_string()
            } else {
                error
            }
        })
        .collect();
    errors.sort();
    errors
}

/// A source set with one file per entry, each file's documents as block YAML.
fn sources_from(files: &[(String, Vec<Value>)]) -> SourceSet {
    let mut sources = SourceSet::new();
    for (name, documents) in files {
        sources.add(SourceFile {
            repo: String::new(),
            rel_path: name.clone(),
            path: name.into(),
            text: aero_yaml::documents_to_yaml(documents).into(),
        });
    }
    sources
}

fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for position in (1..items.len()).rev() {
        let other = rng.index(position + 1);
        items.swap(position, other);
    }
}

/// The same documents in another order, spread over `files` files in random order.
fn shuffled_files(documents: &[Value], files: usize, seed: u64) -> Vec<(String, Vec<Value>)> {
    let mut rng = Rng::new(seed);
    let mut documents = documents.to_vec();
    shuffle(&mut documents, &mut rng);
    let mut layout: Vec<(String, Vec<Value>)> = (0..files.max(1))
        .map(|file| (format!("shuffled/file-{file}.yaml"), Vec::new()))
        .collect();
    let count = layout.len();
    for document in documents {
        layout[rng.index(count)].1.push(document);
    }
    shuffle(&mut layout, &mut rng);
    layout
}

/// Asserts that rendering `documents` in one file and in a shuffled layout agree.
fn assert_order_independent(
    documents: &[Value],
    files: usize,
    shuffle_seed: u64,
) -> Result<(), TestCaseError> {
    let config = RenderConfig::new(Mode::Aerostat);
    let reference = render(
        &sources_from(&[("all.yaml".to_string(), documents.to_vec())]),
        &config,
    );
    let shuffled = render(
        &sources_from(&shuffled_files(documents, files, shuffle_seed)),
        &config,
    );
    prop_assert_eq!(
        error_set_cycles_by_kind(&reference),
        error_set_cycles_by_kind(&shuffled)
    );
    prop_assert_eq!(output_json(&reference), output_json(&shuffled));
    Ok(())
}

// ---------------------------------------------------------------------------------
// Small random layered sites.

const KEYS: [&str; 5] = ["a", "b", "c", "d", "e"];
const PATHS: [&str; 9] = [
    ".", ".a", ".b", ".a.b", ".a.c", ".c", ".d[0]", ".d[1].a", ".e",
];
const KINDS: [&str; 2] = ["test/Alpha/v1", "test/Beta/v1"];

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.index(4) {
        0 => json!(rng.range(0, 9)),
        1 => json!(format!("s{}", rng.range(0, 9))),
        2 => json!(rng.chance(1, 2)),
        _ => json!(format!("X-{}", rng.range(0, 3))),
    }
}

fn random_data(rng: &mut Rng, depth: u32) -> Value {
    random_data_with(rng, depth, &KEYS)
}

/// A random map with keys from `keys` at the top and any of [`KEYS`] below.
fn random_data_with(rng: &mut Rng, depth: u32, keys: &[&str]) -> Value {
    let mut map = serde_json::Map::new();
    for _ in 0..rng.range(1, 4) {
        let key = keys[rng.index(keys.len())].to_string();
        let value = if depth > 0 && rng.chance(1, 3) {
            random_data(rng, depth - 1)
        } else if depth > 0 && rng.chance(1, 3) {
            Value::Array(
                (0..rng.range(1, 3))
                    .map(|_| {
                        if rng.chance(1, 2) {
                            random_data(rng, depth - 1)
                        } else {
                            random_scalar(rng)
                        }
                    })
                    .collect(),
            )
        } else {
            random_scalar(rng)
        };
        map.insert(key, value);
    }
    Value::Object(map)
}

/// Data every global parent starts from: the keys actions and substitutions use.
fn base_data(rng: &mut Rng) -> Value {
    let mut data = random_data_with(rng, 1, &["b", "c", "f"]);
    data["a"] = json!({"b": random_scalar(rng), "c": random_scalar(rng)});
    data["d"] = json!([random_data(rng, 0), {"a": random_scalar(rng)}]);
    data["e"] = json!(format!("X-{}", rng.range(0, 9)));
    data
}

/// Actions of a child and its data, which holds what merge and replace read. One
/// action in ten is arbitrary, so some sites fail (missing keys and the like).
fn random_layering(rng: &mut Rng) -> (Value, Value) {
    // `a`, `d` and `e` only appear where an action needs them.
    let mut data = random_data_with(rng, 2, &["b", "c", "f"]);
    let mut actions = Vec::new();
    for _ in 0..rng.range(1, 3) {
        if rng.chance(1, 10) {
            let methods = ["merge", "replace", "delete"];
            actions.push(json!({
                "method": methods[rng.index(methods.len())],
                "path": PATHS[rng.index(PATHS.len())],
            }));
            continue;
        }
        match rng.index(4) {
            0 | 1 => {
                let paths = [".", ".a", ".a.b", ".d", ".e"];
                let path = paths[rng.index(paths.len())];
                match path {
                    ".a" => data["a"] = json!({"b": random_scalar(rng)}),
                    ".a.b" => data["a"] = json!({"b": random_scalar(rng)}),
                    ".d" => data["d"] = json!([random_data(rng, 0), {"a": random_scalar(rng)}]),
                    ".e" => data["e"] = json!(format!("X-{}", rng.range(0, 9))),
                    _ => {}
                }
                actions.push(json!({"method": "merge", "path": path}));
            }
            2 => {
                data["a"] = json!({"b": random_scalar(rng), "c": random_scalar(rng)});
                actions.push(json!({"method": "replace", "path": ".a"}));
            }
            _ => {
                let paths = [".a.c", ".d[0]"];
                actions.push(json!({"method": "delete", "path": paths[rng.index(paths.len())]}));
            }
        }
    }
    (Value::Array(actions), data)
}

fn document(
    schema: &str,
    name: &str,
    layer: &str,
    labels: Value,
    layering: Option<(bool, Value, Value)>,
    extra: &[(&str, Value)],
    data: Value,
) -> Value {
    let mut definition = serde_json::Map::new();
    let is_abstract = layering
        .as_ref()
        .is_some_and(|(is_abstract, _, _)| *is_abstract);
    definition.insert("abstract".into(), json!(is_abstract));
    definition.insert("layer".into(), json!(layer));
    if let Some((_, selector, actions)) = layering
        && !selector.is_null()
    {
        definition.insert("parentSelector".into(), selector);
        definition.insert("actions".into(), actions);
    }
    let mut metadata = serde_json::Map::new();
    metadata.insert("schema".into(), json!("metadata/Document/v1"));
    metadata.insert("name".into(), json!(name));
    metadata.insert("storagePolicy".into(), json!("cleartext"));
    metadata.insert("labels".into(), labels);
    metadata.insert("layeringDefinition".into(), Value::Object(definition));
    for (key, value) in extra {
        metadata.insert((*key).to_string(), value.clone());
    }
    json!({"schema": schema, "metadata": metadata, "data": data})
}

/// A random site: families of a global parent, a type parent and members (some
/// replaced), Passphrases and a catalogue, substitutions between concrete documents.
/// With `forward_references`, substitutions may name documents made later, so
/// dependency cycles can occur; without, the site's dependencies are acyclic.
fn random_site(seed: u64, families: usize, forward_references: bool) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    let mut documents = vec![json!({
        "schema": "deckhand/LayeringPolicy/v1",
        "metadata": {"schema": "metadata/Control/v1", "name": "layering-policy"},
        "data": {"layerOrder": ["global", "type", "site"]},
    })];
    // (schema, name) of every concrete document, in creation order.
    let mut concrete: Vec<(String, String)> = Vec::new();
    documents.push(document(
        "test/Catalogue/v1",
        "catalogue",
        "global",
        json!({}),
        None,
        &[],
        base_data(&mut rng),
    ));
    concrete.push(("test/Catalogue/v1".into(), "catalogue".into()));
    // Names planned ahead, so forward references can point at them.
    let mut planned: Vec<(String, String)> = Vec::new();
    let member_counts: Vec<usize> = (0..families).map(|_| rng.range(1, 3) as usize).collect();
    for (family, members) in member_counts.iter().enumerate() {
        let schema = KINDS[family % KINDS.len()];
        for member in 0..*members {
            planned.push((schema.to_string(), format!("f{family}-m{member}")));
        }
    }
    for (family, members) in member_counts.iter().enumerate() {
        let schema = KINDS[family % KINDS.len()];
        let family_name = format!("f{family}");
        let secret = format!("{family_name}-secret");
        documents.push(json!({
            "schema": "deckhand/Passphrase/v1",
            "metadata": {
                "schema": "metadata/Document/v1",
                "name": secret,
                "storagePolicy": "encrypted",
                "layeringDefinition": {"abstract": false, "layer": "site"},
            },
            "data": format!("pw-{}", rng.hex(8)),
        }));
        concrete.push(("deckhand/Passphrase/v1".into(), secret));
        documents.push(document(
            schema,
            &format!("{family_name}-global"),
            "global",
            json!({"family": family_name, "tier": "global"}),
            Some((true, Value::Null, Value::Null)),
            &[],
            base_data(&mut rng),
        ));
        let type_abstract = rng.chance(2, 3);
        let type_name = format!("{family_name}-type");
        let (actions, data) = random_layering(&mut rng);
        documents.push(document(
            schema,
            &type_name,
            "type",
            json!({"family": family_name, "tier": "type"}),
            Some((
                type_abstract,
                json!({"family": family_name, "tier": "global"}),
                actions,
            )),
            &[],
            data,
        ));
        if !type_abstract {
            concrete.push((schema.to_string(), type_name));
        }
        for member in 0..*members {
            let name = format!("{family_name}-m{member}");
            let replaced = rng.chance(1, 3);
            let selector = if replaced {
                let (actions, data) = random_layering(&mut rng);
                documents.push(document(
                    schema,
                    &name,
                    "type",
                    json!({"member": name}),
                    Some((
                        false,
                        json!({"family": family_name, "tier": "global"}),
                        actions,
                    )),
                    &[],
                    data,
                ));
                json!({"member": name})
            } else {
                json!({"family": family_name, "tier": "type"})
            };
            let pool: Vec<&(String, String)> = concrete
                .iter()
                .chain(if forward_references {
                    planned.iter()
                } else {
                    [].iter()
                })
                .filter(|(_, source)| *source != name)
                .collect();
            let substitutions: Vec<Value> = (0..rng.range(0, 3))
                .filter(|_| !pool.is_empty())
                .map(|_| {
                    let (source_schema, source_name) = pool[rng.index(pool.len())];
                    let destinations = [".a.b", ".e", ".f", ".d[1].a", ".g[2]"];
                    let destination_path = destinations[rng.index(destinations.len())];
                    let mut destination = json!({"path": destination_path});
                    if destination_path == ".e" && rng.chance(1, 3) {
                        destination["pattern"] = json!("X-[0-9]");
                    }
                    let sources = [".a", ".e", ".a.b", "."];
                    json!({
                        "src": {
                            "schema": source_schema,
                            "name": source_name,
                            "path": sources[rng.index(sources.len())],
                        },
                        "dest": destination,
                    })
                })
                .collect();
            let mut extra = vec![("substitutions", Value::Array(substitutions))];
            if replaced {
                extra.push(("replacement", json!(true)));
            }
            let (actions, data) = random_layering(&mut rng);
            documents.push(document(
                schema,
                &name,
                "site",
                json!({"family": family_name, "tier": "site"}),
                Some((false, selector, actions)),
                &extra,
                data,
            ));
            concrete.push((schema.to_string(), name));
        }
    }
    documents
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Synthetic sites (layered families, four substitutions per member, replacements,
    /// DataSchemas) render to the same output however documents and files are ordered.
    #[test]
    fn synthetic_site_output_is_independent_of_input_order(
        documents in 17usize..70,
        seed in any::<u64>(),
        files in 1usize..7,
        shuffle_seed in any::<u64>(),
    ) {
        let (generated, _) = synthetic_documents(&SynthConfig { documents, seed, shape: Shape::Plain });
        let values: Vec<Value> = generated.into_iter().map(|document| document.value).collect();
        let rendered = render(&synthetic_site(&SynthConfig { documents, seed, shape: Shape::Plain }), &RenderConfig::new(Mode::Aerostat));
        prop_assert!(error_set(&rendered).is_empty(), "{:?}", error_set(&rendered));
        assert_order_independent(&values, files, shuffle_seed)?;
    }

    /// Synthetic sites use no construct where Deckhand's quirks change a value (every
    /// deleted value is unique, nothing is written through a shared substituted object),
    /// so both modes must render them identically. This pits Aerostat mode's
    /// copy-on-write layering against Deckhand mode's eager deep copies.
    #[test]
    fn synthetic_sites_render_the_same_in_both_modes(
        documents in 17usize..120,
        seed in any::<u64>(),
    ) {
        let site = synthetic_site(&SynthConfig { documents, seed, shape: Shape::Plain });
        let aerostat = render(&site, &RenderConfig::new(Mode::Aerostat));
        let deckhand = render(&site, &RenderConfig::new(Mode::Deckhand));
        prop_assert!(error_set(&aerostat).is_empty(), "{:?}", error_set(&aerostat));
        prop_assert_eq!(output_json(&aerostat), output_json(&deckhand));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random acyclic sites, valid or not (about a third render clean; the rest have
    /// missing keys, patterns on non-strings and the like): output and errors do not
    /// depend on input order.
    #[test]
    fn random_site_output_and_errors_are_independent_of_input_order(
        seed in any::<u64>(),
        families in 1usize..5,
        files in 1usize..6,
        shuffle_seed in any::<u64>(),
    ) {
        let documents = random_site(seed, families, false);
        assert_order_independent(&documents, files, shuffle_seed)?;
    }

    /// Random sites whose substitutions may point forward, so that dependency cycles
    /// occur: which documents fail and what is output do not depend on input order.
    #[test]
    fn sites_with_cycles_fail_the_same_documents_in_any_order(
        seed in any::<u64>(),
        families in 2usize..5,
        files in 1usize..6,
        shuffle_seed in any::<u64>(),
    ) {
        let documents = random_site(seed, families, true);
        assert_order_independent(&documents, files, shuffle_seed)?;
    }
}

// ---------------------------------------------------------------------------------
// Mutations of valid sites.

/// Every path (as a list of keys and indices) to a node of `value`.
fn node_paths(value: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(PathStep::Key(key.clone()));
                node_paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(PathStep::Index(index));
                node_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn node_mut<'a>(value: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, step| match step {
        PathStep::Key(key) => node.get_mut(key.as_str()),
        PathStep::Index(index) => node.get_mut(*index),
    })
}

/// A value of another JSON type than `value`.
fn other_type(value: &Value) -> Value {
    match value {
        Value::String(_) => json!(42),
        Value::Number(_) => json!("forty-two"),
        Value::Bool(_) => Value::Null,
        Value::Null => json!(true),
        Value::Object(_) => json!(["a", 1]),
        Value::Array(_) => json!({"k": "v"}),
    }
}

/// Applies one random mutation to one random document; returns what it did.
fn mutate(documents: &mut [Value], rng: &mut Rng) -> String {
    let index = rng.index(documents.len());
    let document = &mut documents[index];
    let mut paths = Vec::new();
    node_paths(document, &mut Vec::new(), &mut paths);
    match rng.index(3) {
        0 => {
            // Drop a key somewhere (never the root itself).
            let keyed: Vec<&Vec<PathStep>> = paths
                .iter()
                .filter(|path| matches!(path.last(), Some(PathStep::Key(_))))
                .collect();
            let Some(path) = keyed
                .get(rng.index(keyed.len()))
                .map(|path| (*path).clone())
            else {
                return "nothing to drop".to_string();
            };
            let (last, parent) = path.split_last().expect("keyed paths are not empty");
            if let (PathStep::Key(key), Some(Value::Object(map))) =
                (last, node_mut(document, parent))
            {
                map.shift_remove(key);
            }
            format!("document {index}: dropped {path:?}")
        }
        1 => {
            let path = paths[rng.index(paths.len())].clone();
            if let Some(node) = node_mut(document, &path) {
                *node = other_type(node);
            }
            format!("document {index}: changed the type at {path:?}")
        }
        _ => {
            // Rename a label or selector key or value, or the document's name.
            let targets = ["labels", "parentSelector"];
            let target = targets[rng.index(targets.len())];
            let node = if target == "labels" {
                document.pointer_mut("/metadata/labels")
            } else {
                document.pointer_mut("/metadata/layeringDefinition/parentSelector")
            };
            match node {
                Some(Value::Object(map)) if !map.is_empty() => {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    let key = keys[rng.index(keys.len())].clone();
                    if rng.chance(1, 2) {
                        let value = map.shift_remove(&key).unwrap_or(Value::Null);
                        map.insert(format!("{key}-renamed"), value);
                        format!("document {index}: renamed {target} key {key}")
                    } else {
                        map.insert(key.clone(), json!("renamed"));
                        format!("document {index}: changed {target} value of {key}")
                    }
                }
                _ => {
                    if let Some(name) = document.pointer_mut("/metadata/name") {
                        *name = json!(format!("{}-renamed", name.as_str().unwrap_or("x")));
                    }
                    format!("document {index}: renamed the document")
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Small mutations of a valid site never make rendering panic, and every error
    /// points at a place in the source. The only site-wide error, a missing layering
    /// policy, has no single place to point at.
    #[test]
    fn mutated_sites_render_without_panics_and_errors_have_locations(
        documents in 17usize..50,
        seed in any::<u64>(),
        mutation_seed in any::<u64>(),
        mutations in 1usize..4,
    ) {
        let (generated, _) = synthetic_documents(&SynthConfig { documents, seed, shape: Shape::Plain });
        let mut values: Vec<Value> = generated.into_iter().map(|document| document.value).collect();
        let mut rng = Rng::new(mutation_seed);
        let applied: Vec<String> = (0..mutations).map(|_| mutate(&mut values, &mut rng)).collect();
        let sources = sources_from(&[("site.yaml".to_string(), values)]);
        for mode in [Mode::Aerostat, Mode::Deckhand] {
            let rendered = render(&sources, &RenderConfig::new(mode));
            for diagnostic in &rendered.diagnostics {
                if diagnostic.severity == Severity::Error
                    && diagnostic.kind != Some(ErrorKind::LayeringPolicyNotFound)
                {
                    prop_assert!(
                        diagnostic.location.is_some(),
                        "{mode:?}: error without a location after {applied:?}: {diagnostic:?}"
                    );
                }
            }
            for index in &rendered.output {
                let _ = rendered.document_json(*index);
            }
        }
    }
}
