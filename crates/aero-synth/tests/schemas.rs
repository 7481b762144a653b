//! The synthetic site's DataSchemas describe its rendered data: every rendered
//! document of a kind with a DataSchema validates against it, and the schemas are
//! strict enough that a document before substitution does not.

use std::collections::HashMap;

use aero_docs::mode::Mode;
use aero_docs::render::{RenderConfig, render};
use aero_synth::{Shape, SynthConfig, synthetic_documents, synthetic_site};
use serde_json::Value;

const CONFIG: SynthConfig = SynthConfig {
    documents: 600,
    seed: 99,
    shape: Shape::Plain,
};

/// Compiled validators by the kind they validate, from the site's DataSchemas.
fn validators() -> HashMap<String, jsonschema::Validator> {
    let (documents, stats) = synthetic_documents(&CONFIG);
    let validators: HashMap<String, jsonschema::Validator> = documents
        .iter()
        .filter(|document| document.value["schema"] == "deckhand/DataSchema/v1")
        .map(|document| {
            let kind = document.value["metadata"]["name"]
                .as_str()
                .expect("a DataSchema is named after its kind")
                .to_string();
            let validator = jsonschema::draft4::new(&document.value["data"])
                .unwrap_or_else(|error| panic!("schema for {kind} compiles: {error}"));
            (kind, validator)
        })
        .collect();
    assert_eq!(validators.len(), stats.data_schemas);
    validators
}

#[test]
fn every_rendered_document_satisfies_its_kinds_data_schema_in_both_modes() {
    let validators = validators();
    let sources = synthetic_site(&CONFIG);
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render(&sources, &RenderConfig::new(mode));
        assert!(
            !rendered.has_errors(),
            "{mode:?}: {:?}",
            rendered.diagnostics
        );
        let mut checked = 0;
        for index in &rendered.output {
            let document = rendered.document_json(*index);
            let Some(validator) = document["schema"]
                .as_str()
                .and_then(|schema| validators.get(schema))
            else {
                continue;
            };
            let errors: Vec<String> = validator
                .iter_errors(&document["data"])
                .map(|error| format!("{} at {}", error, error.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{mode:?}: {} {} fails its schema: {errors:#?}",
                document["schema"],
                document["metadata"]["name"]
            );
            checked += 1;
        }
        assert!(checked > 300, "{mode:?}: only {checked} documents checked");
    }
}

#[test]
fn data_schemas_reject_data_that_was_not_substituted() {
    let validators = validators();
    let (documents, _) = synthetic_documents(&CONFIG);
    // Global parents hold every key but placeholders where substitutions write.
    let parents: Vec<&Value> = documents
        .iter()
        .map(|document| &document.value)
        .filter(|value| {
            value["schema"]
                .as_str()
                .is_some_and(|schema| schema.starts_with("synth/Service"))
                && value["metadata"]["layeringDefinition"]["layer"] == "global"
        })
        .collect();
    assert!(!parents.is_empty());
    for parent in parents {
        let validator = &validators[parent["schema"].as_str().unwrap_or_default()];
        let paths: Vec<String> = validator
            .iter_errors(&parent["data"])
            .map(|error| error.instance_path().to_string())
            .collect();
        for expected in [
            "/credentials/database/auth/password",
            "/network/endpoint/url",
            "/config/catalogue",
        ] {
            assert!(
                paths.iter().any(|path| path == expected),
                "{expected} not rejected: {paths:?}"
            );
        }
    }
}
