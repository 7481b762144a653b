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

/// The canonical text is written straight from the arena, document by document; it must
/// be byte for byte what the documents' JSON trees give (sorted keys, serde_json's
/// escapes and number forms), or every revision id recorded so far would change.
#[test]
fn canonical_text_from_the_arena_is_the_json_trees_canonical_text() {
    let rendered = render_docs(ASSORTED, Mode::Aerostat);
    assert_clean(&rendered);
    let mut trees: Vec<(String, String, serde_json::Value)> = rendered
        .output
        .iter()
        .map(|index| {
            let document = rendered.document(*index);
            (
                document.schema.clone(),
                document.name.clone(),
                rendered.document_json(*index),
            )
        })
        .collect();
    trees.sort_by(|left, right| (&left.0, &left.1).cmp(&(&right.0, &right.1)));
    let mut expected = String::from("[");
    for (position, (_, _, tree)) in trees.iter().enumerate() {
        if position > 0 {
            expected.push(',');
        }
        aero_docs::revision::write_canonical(tree, &mut expected);
    }
    expected.push(']');
    let canonical = aero_docs::revision::canonical_json(&rendered);
    assert_eq!(canonical, expected);
    assert!(
        canonical.contains(r#""z":[1,-2,3.5,1e+300,-0.0,null,null,true,null,null]"#),
        "{canonical}"
    );
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(expected.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(revision_id(&rendered), format!("sha256:{hex}"));
}

/// Documents with every kind of value and awkward strings, numbers and keys.
const ASSORTED: &str = "---
schema: example/Item/v1
metadata:
  schema: metadata/Document/v1
  name: zeta
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data:
  z: [1, -2, 3.5, 1.0e300, -0.0, .inf, .nan, true, null, ~]
  a: {\"é\": \"quote \\\" back \\\\ tab \\t ctl \\u0001 snow ☃ astral 😀\", B: 2, b: 1, \"\": empty}
  m: {nested: [{y: 1, x: 2}], '10': ten, '9': nine}
---
schema: example/Item/v1
metadata:
  schema: metadata/Document/v1
  name: alpha
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data: 9223372036854775807
---
schema: example/Aaa/v1
metadata:
  schema: metadata/Document/v1
  name: zeta
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data: [\"\", {}, []]
";
