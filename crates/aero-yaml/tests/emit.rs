//! Emitter tests: exact output for representative values, and the round-trip property
//! `load_all(to_yaml_string(v)) == v` in both dialects for arbitrary JSON values.

use aero_yaml::{Dialect, LoadOptions, documents_to_yaml, load_all, to_yaml_string};
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

#[track_caller]
fn check(value: Value, expected: &str) {
    let emitted = to_yaml_string(&value);
    assert_eq!(emitted, expected, "{value}");
    assert_reads_back(&value, &emitted);
}

/// Loads `emitted` in both dialects and compares with `value`.
#[track_caller]
fn assert_reads_back(value: &Value, emitted: &str) {
    for dialect in [Dialect::Yaml12, Dialect::PyYaml11] {
        let documents = load_all(emitted, &LoadOptions::new(dialect))
            .unwrap_or_else(|error| panic!("{dialect:?} cannot load {emitted:?}: {error}"));
        assert_eq!(documents.len(), 1, "{emitted:?}");
        assert_eq!(
            &documents[0].root.to_json(),
            value,
            "{dialect:?} {emitted:?}"
        );
    }
}

#[test]
fn scalars_at_the_root() {
    check(json!(null), "null\n");
    check(json!(true), "true\n");
    check(json!(-12), "-12\n");
    check(json!(1.0), "1.0\n");
    check(json!(0.1), "0.1\n");
    check(json!(-2.5e-7), "-2.5e-7\n");
    check(json!(1e16), "1.0e+16\n");
    check(json!(1.5e300), "1.5e+300\n");
    check(json!("hello world"), "hello world\n");
    check(json!({}), "{}\n");
    check(json!([]), "[]\n");
}

#[test]
fn strings_that_need_quotes() {
    for (text, expected) in [
        ("", "''"),
        ("yes", "'yes'"),
        ("No", "'No'"),
        ("on", "'on'"),
        ("OFF", "'OFF'"),
        ("y", "'y'"),
        ("n", "'n'"),
        ("null", "'null'"),
        ("~", "'~'"),
        ("true", "'true'"),
        ("0755", "'0755'"),
        ("0o17", "'0o17'"),
        ("0x1F", "'0x1F'"),
        ("0b101", "'0b101'"),
        ("1_000", "'1_000'"),
        ("1:30", "'1:30'"),
        ("1e3", "'1e3'"),
        (".5", "'.5'"),
        ("-.5", "'-.5'"),
        ("12", "'12'"),
        (".inf", "'.inf'"),
        (".NaN", "'.NaN'"),
        ("2001-12-14", "'2001-12-14'"),
        ("2001-12-14 21:59:43.10 -5", "'2001-12-14 21:59:43.10 -5'"),
        ("<<", "'<<'"),
        ("=", "'='"),
        (" leading", "' leading'"),
        ("trailing ", "'trailing '"),
        ("a: b", "'a: b'"),
        ("key:", "'key:'"),
        ("a #comment", "'a #comment'"),
        ("- item", "'- item'"),
        ("-x", "'-x'"),
        ("? x", "'? x'"),
        ("[a]", "'[a]'"),
        ("{a}", "'{a}'"),
        ("#x", "'#x'"),
        ("&anchor", "'&anchor'"),
        ("*alias", "'*alias'"),
        ("!tag", "'!tag'"),
        ("|", "'|'"),
        (">", "'>'"),
        ("'quoted'", "'''quoted'''"),
        ("\"dq\"", "'\"dq\"'"),
        ("%directive", "'%directive'"),
        ("@at", "'@at'"),
        ("`tick", "'`tick'"),
        ("...", "'...'"),
        ("---", "'---'"),
        ("tab\there", "\"tab\\there\""),
        ("bell\u{7}", "\"bell\\x07\""),
        ("nel\u{85}x", "\"nel\\x85x\""),
        ("ls\u{2028}x", "\"ls\\u2028x\""),
        ("bom\u{feff}", "\"bom\\uFEFF\""),
        ("cr\r\nlf", "\"cr\\r\\nlf\""),
        ("back\\slash\u{1}", "\"back\\\\slash\\x01\""),
    ] {
        check(json!({ "k": text }), &format!("k: {expected}\n"));
    }
}

#[test]
fn strings_that_stay_plain() {
    for text in [
        "hello",
        "a:b",
        "a#b",
        "with, comma",
        "http://example.com/a?b=c#d",
        "ünïcödé ✓",
        "deckhand/Passphrase/v1",
        "1.2.3",
        "0o",
        "NaN",
        "y2k",
        "a'b",
        "a\"b",
    ] {
        check(json!({ "k": text }), &format!("k: {text}\n"));
    }
}

#[test]
fn multi_line_strings() {
    check(json!({"k": "a\nb"}), "k: |-\n  a\n  b\n");
    check(json!({"k": "a\nb\n"}), "k: |\n  a\n  b\n");
    check(json!({"k": "a\nb\n\n"}), "k: |+\n  a\n  b\n\n");
    check(json!({"k": "a\n\nb"}), "k: |-\n  a\n\n  b\n");
    check(json!({"k": " a\nb"}), "k: |2-\n   a\n  b\n");
    check(json!({"k": "\na"}), "k: |2-\n\n  a\n");
    check(
        json!({"k": "# not a comment\n- not an item\n"}),
        "k: |\n  # not a comment\n  - not an item\n",
    );
    check(json!(["x\ny"]), "- |-\n  x\n  y\n");
    check(json!([{"k": "x\ny"}]), "- k: |-\n    x\n    y\n");
    check(json!("root\nblock\n"), "|\n  root\n  block\n");
    check(json!(" root\n"), "|2\n   root\n");
    // Not exact as a literal block: double-quoted.
    check(
        json!({"k": "trailing \nspace"}),
        "k: \"trailing \\nspace\"\n",
    );
    check(json!({"k": "a\n"}), "k: |\n  a\n");
    check(json!({"k": "\n"}), "k: \"\\n\"\n");
    check(json!({"k": "tab\n\tx"}), "k: \"tab\\n\\tx\"\n");
    check(json!({"multi\nline": 1}), "\"multi\\nline\": 1\n");
}

#[test]
fn collections() {
    check(
        json!({
            "schema": "deckhand/Certificate/v1",
            "metadata": {"name": "ca", "labels": {}, "layeringDefinition": {"abstract": false, "layer": "site"}},
            "data": ["a", {"b": 1, "c": []}, ["x", ["w"]], {}],
            "empty": null
        }),
        "\
schema: deckhand/Certificate/v1
metadata:
  name: ca
  labels: {}
  layeringDefinition:
    abstract: false
    layer: site
data:
  - a
  - b: 1
    c: []
  - - x
    - - w
  - {}
empty: null
",
    );
}

#[test]
fn key_order_is_preserved() {
    let value: Value =
        serde_json::from_str(r#"{"z": 1, "a": 2, "m": {"y": 1, "b": 2, "w": 3}}"#).expect("json");
    check(value, "z: 1\na: 2\nm:\n  'y': 1\n  b: 2\n  w: 3\n");
}

#[test]
fn keys_are_quoted_like_values() {
    check(
        json!({"yes": 1, "1": 2, "": 3, "a: b": 4}),
        "'yes': 1\n'1': 2\n'': 3\n'a: b': 4\n",
    );
}

#[test]
fn long_keys_use_explicit_form() {
    let key = "k".repeat(1500);
    let value = json!({ key.clone(): "v", "short": [1] });
    let emitted = to_yaml_string(&value);
    assert!(emitted.starts_with(&format!("? {key}\n: v\n")), "{emitted}");
    assert_reads_back(&value, &emitted);
}

#[test]
fn streams_of_documents() {
    let documents = vec![json!({"a": 1}), json!("text"), json!([1, 2]), json!(null)];
    let emitted = documents_to_yaml(&documents);
    assert_eq!(
        emitted,
        "---\na: 1\n---\ntext\n---\n- 1\n- 2\n---\nnull\n...\n"
    );
    for dialect in [Dialect::Yaml12, Dialect::PyYaml11] {
        let loaded = load_all(&emitted, &LoadOptions::new(dialect)).expect("stream");
        assert_eq!(
            loaded
                .iter()
                .map(|document| document.root.to_json())
                .collect::<Vec<_>>(),
            documents
        );
        assert!(loaded.iter().all(|document| document.explicit_start));
    }
    assert_eq!(documents_to_yaml(&[]), "");
}

/// Strings mixing the characters and words that are hard to emit.
fn tricky_string() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "yes",
        "No",
        "on",
        "y",
        "null",
        "~",
        "true",
        "0755",
        "0o17",
        "0x1F",
        "1_000",
        "1:30",
        "1e3",
        ".5",
        "-.5",
        ".inf",
        ".nan",
        "2001-12-14",
        "<<",
        "=",
        "-",
        "?",
        ":",
        ",",
        "[",
        "]",
        "{",
        "}",
        "#",
        "&",
        "*",
        "!",
        "|",
        ">",
        "'",
        "\"",
        "%",
        "@",
        "`",
        "\\",
        ": ",
        " #",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        "\r",
        "\u{0}",
        "\u{7}",
        "\u{1b}",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{feff}",
        "\u{fffe}",
        "é",
        "✓",
        "😀",
        "a",
        "key",
        "12",
        "-1",
        "1.5",
        "---",
        "...",
        "- ",
        "? ",
    ]);
    prop_oneof![
        prop::collection::vec(pieces, 0..6).prop_map(|pieces| pieces.concat()),
        any::<String>(),
        "[a-z]{1,8}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|integer| Value::Number(integer.into())),
        any::<f64>().prop_filter_map("finite", |float| Number::from_f64(float).map(Value::Number)),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((tricky_string(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn round_trip_in_both_dialects(value in json_value()) {
        let emitted = to_yaml_string(&value);
        for dialect in [Dialect::Yaml12, Dialect::PyYaml11] {
            let documents = load_all(&emitted, &LoadOptions::new(dialect));
            let documents = documents.map_err(|error| {
                TestCaseError::fail(format!("{dialect:?} cannot load {emitted:?}: {error}"))
            })?;
            prop_assert_eq!(documents.len(), 1);
            prop_assert_eq!(&documents[0].root.to_json(), &value, "{:?} {:?}", dialect, emitted);
        }
    }

    #[test]
    fn streams_round_trip(documents in prop::collection::vec(json_value(), 1..4)) {
        let emitted = documents_to_yaml(&documents);
        let loaded = load_all(&emitted, &LoadOptions::new(Dialect::Yaml12))
            .map_err(|error| TestCaseError::fail(format!("{emitted:?}: {error}")))?;
        let values: Vec<Value> = loaded.iter().map(|document| document.root.to_json()).collect();
        prop_assert_eq!(values, documents);
    }
}
