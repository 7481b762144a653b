//! Properties of revision ids: the id changes exactly when the rendered content
//! changes; reordering input documents or files never changes it (Aerostat's mode).

mod support;

use aero_docs::mode::Mode;
use aero_docs::revision::revision_id;
use proptest::prelude::*;
use support::*;

fn document(name: &str, value: i64, extra: &str) -> String {
    format!(
        "---
schema: example/Item/v1
metadata:
  schema: metadata/Document/v1
  name: {name}
  storagePolicy: cleartext
  layeringDefinition: {{abstract: false, layer: site}}
data: {{value: {value}, extra: '{extra}'}}
"
    )
}

fn secret(value: &str) -> String {
    format!(
        "---
schema: deckhand/Passphrase/v1
metadata:
  schema: metadata/Document/v1
  name: pw
  storagePolicy: encrypted
  layeringDefinition: {{abstract: false, layer: site}}
data: '{value}'
"
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn revision_changes_exactly_when_content_changes(
        values in proptest::collection::vec(0i64..1000, 1..6),
        changed in 0usize..6,
        bump in 1i64..5,
        password in "[a-zA-Z0-9]{8,16}",
        rotate in 0usize..6,
    ) {
        let docs: Vec<String> = values.iter().enumerate().map(|(index, value)| document(&format!("d{index}"), *value, "x")).collect();
        let base = render_files(&[POLICY, &docs.concat(), &secret(&password)], Mode::Aerostat);
        assert_clean(&base);
        let base_id = revision_id(&base);

        // Same content, other order of documents and files: same id.
        let mut rotated = docs.clone();
        rotated.rotate_left(rotate % docs.len());
        let reordered = render_files(&[&secret(&password), &rotated.concat(), POLICY], Mode::Aerostat);
        prop_assert_eq!(revision_id(&reordered), base_id.clone());

        // One value changed: another id.
        let target = changed % values.len();
        let mut changed_docs = docs.clone();
        changed_docs[target] = document(&format!("d{target}"), values[target] + bump, "x");
        let changed_render = render_files(&[POLICY, &changed_docs.concat(), &secret(&password)], Mode::Aerostat);
        prop_assert_ne!(revision_id(&changed_render), base_id.clone());

        // A changed secret is a new revision too.
        let rotated_secret = render_files(&[POLICY, &docs.concat(), &secret(&format!("{password}!"))], Mode::Aerostat);
        prop_assert_ne!(revision_id(&rotated_secret), base_id.clone());

        // Formatting-only changes (flow vs block style) keep the id.
        let block_style: Vec<String> = values.iter().enumerate().map(|(index, value)| {
            document(&format!("d{index}"), *value, "x").replace(&format!("data: {{value: {value}, extra: 'x'}}"), &format!("data:\n  value: {value}\n  extra: x"))
        }).collect();
        let restyled = render_files(&[POLICY, &block_style.concat(), &secret(&password)], Mode::Aerostat);
        prop_assert_eq!(revision_id(&restyled), base_id);
    }
}

#[test]
fn canonical_form_sorts_keys_and_never_depends_on_key_order() {
    let one = render_docs(&document("a", 1, "x"), Mode::Aerostat);
    let swapped = render_docs(
        &document("a", 1, "x").replace(
            "data: {value: 1, extra: 'x'}",
            "data: {extra: 'x', value: 1}",
        ),
        Mode::Aerostat,
    );
    assert_eq!(revision_id(&one), revision_id(&swapped));
    let canonical = aero_docs::revision::canonical_json(&one);
    assert!(canonical.contains(r#"{"data":{"extra":"x","value":1},"metadata":{"layeringDefinition":{"abstract":false,"layer":"site"},"name":"a""#), "{canonical}");
}
