//! Schema validation: built-in schemas, site DataSchemas taking precedence, located errors.

mod support;

use aero_docs::mode::Mode;
use aero_docs::validate::{builtin_schemas, validate};
use support::*;

const SCHEMA: &str = "---
schema: deckhand/DataSchema/v1
metadata:
  schema: metadata/Control/v1
  name: example/Widget/v1
data:
  $schema: http://json-schema.org/schema#
  type: object
  properties:
    size: {type: integer}
  required: [size]
";

const WIDGET: &str = "---
schema: example/Widget/v1
metadata:
  schema: metadata/Document/v1
  name: w
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data:
  size: large
";

#[test]
fn builtin_schemas_are_embedded() {
    let schemas = builtin_schemas();
    for name in [
        "deckhand/LayeringPolicy/v1",
        "deckhand/Passphrase/v1",
        "armada/Chart/v2",
        "drydock/BaremetalNode/v1",
    ] {
        assert!(schemas.contains_key(name), "missing built-in schema {name}");
    }
}

#[test]
fn site_data_schema_errors_point_at_the_value() {
    let rendered = render_docs(&format!("{SCHEMA}{WIDGET}"), Mode::Aerostat);
    assert_clean(&rendered);
    let diagnostics = validate(&rendered);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic.code, "D002");
    assert_eq!(diagnostic.json_path.as_deref(), Some(".size"));
    assert_eq!(
        diagnostic
            .location
            .map(|location| (location.line, location.column)),
        Some((20, 9))
    );
    assert!(
        diagnostic.message.contains("integer"),
        "{}",
        diagnostic.message
    );
    let valid = WIDGET.replace("size: large", "size: 3");
    assert!(validate(&render_docs(&format!("{SCHEMA}{valid}"), Mode::Aerostat)).is_empty());
}

#[test]
fn builtin_schema_validates_and_masks_secret_values() {
    let chart = "---
schema: armada/Chart/v2
metadata:
  schema: metadata/Document/v1
  name: broken-chart
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data:
  release: keystone
";
    // Deckhand never had Aerostat's schemas for other tools' kinds: its mode does not apply them.
    assert!(validate(&render_docs(chart, Mode::Deckhand)).is_empty());
    let diagnostics = validate(&render_docs(chart, Mode::Aerostat));
    assert!(!diagnostics.is_empty());
    assert!(
        diagnostics
            .iter()
            .all(|diagnostic| diagnostic.code == "D002")
    );
    let secret = "---
schema: deckhand/Passphrase/v1
metadata:
  schema: metadata/Document/v1
  name: not-a-string
  storagePolicy: encrypted
  layeringDefinition: {abstract: false, layer: site}
data: {password: hunter2-hunter2}
";
    assert_eq!(
        validate(&render_docs(secret, Mode::Deckhand)).len(),
        1,
        "Deckhand's own kinds stay validated"
    );
    let diagnostics = validate(&render_docs(secret, Mode::Aerostat));
    assert_eq!(diagnostics.len(), 1);
    assert!(
        !format!("{:?}", diagnostics[0]).contains("hunter2"),
        "{:?}",
        diagnostics[0]
    );
}

#[test]
fn differing_duplicate_data_schemas_conflict_in_aerostat_mode_only() {
    let other = SCHEMA.replace("type: integer", "type: string");
    let documents = format!("{SCHEMA}{other}{WIDGET}");
    let aerostat = validate(&render_docs(&documents, Mode::Aerostat));
    assert!(aerostat.iter().any(|diagnostic| diagnostic.code == "P004"
        && diagnostic.severity == aero_docs::diagnostic::Severity::Error));
    let deckhand = validate(&render_docs(&documents, Mode::Deckhand));
    assert!(deckhand.iter().any(|diagnostic| diagnostic.code == "P004"
        && diagnostic.severity == aero_docs::diagnostic::Severity::Warning));
}

// ---- Input that is not a set of documents: invalid encoding, duplicate keys, syntax ----

/// PyYAML (and so Pegleg and Deckhand) refuse a file that is not UTF-8 with a
/// `UnicodeDecodeError`; Pegleg's lint calls that P007. Aerostat reports it as P007 at the
/// first bad byte, for that file only: the other files still render.
#[test]
fn a_file_that_is_not_utf8_is_a_located_error_of_that_file_only() {
    let latin1: &[u8] = b"---\nschema: example/Widget/v1\nmetadata:\n  name: caf\xe9\n";
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_bytes(
            &[POLICY.as_bytes(), WIDGET.as_bytes(), latin1],
            &aero_docs::render::RenderConfig::new(mode),
        );
        assert_eq!(
            located_errors(&rendered),
            [(
                "P007",
                4,
                12,
                "the file is not UTF-8: byte 0xe9 at offset 51 is not valid UTF-8".to_string()
            )],
            "{mode:?}"
        );
        let location = rendered.diagnostics[0].location.unwrap();
        assert_eq!(location.source, aero_docs::source::SourceId(2));
        assert!(
            rendered.find("example/Widget/v1", "w").is_some(),
            "{mode:?}"
        );
        // Between readable files, it is skipped alone: the files after it keep their
        // documents (YAML is parsed ahead on another thread, file by file, in order).
        let rendered = render_bytes(
            &[POLICY.as_bytes(), latin1, WIDGET.as_bytes()],
            &aero_docs::render::RenderConfig::new(mode),
        );
        assert_eq!(located_errors(&rendered).len(), 1, "{mode:?}");
        assert_eq!(
            rendered.diagnostics[0].location.unwrap().source,
            aero_docs::source::SourceId(1)
        );
        assert!(
            rendered.find("example/Widget/v1", "w").is_some(),
            "{mode:?}"
        );
    }
}

/// One file holding the layering policy, a parent whose data has a key twice, its child,
/// a document substituting from the parent, and an unrelated document.
const DUPLICATE_KEY_FILE: &str = "---
schema: deckhand/LayeringPolicy/v1
metadata:
  schema: metadata/Control/v1
  name: layering-policy
data:
  layerOrder: [global, site]
---
schema: example/Widget/v1
metadata:
  schema: metadata/Document/v1
  name: base
  labels: {role: base}
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: global}
data:
  size: 1
  colour: red
  size: 2
---
schema: example/Widget/v1
metadata:
  schema: metadata/Document/v1
  name: child
  storagePolicy: cleartext
  layeringDefinition:
    abstract: false
    layer: site
    parentSelector: {role: base}
    actions: [{method: merge, path: .}]
data: {shape: round}
---
schema: example/Gadget/v1
metadata:
  schema: metadata/Document/v1
  name: reader
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
  substitutions:
    - src: {schema: example/Widget/v1, name: base, path: .size}
      dest: {path: .size}
data: {}
---
schema: example/Gadget/v1
metadata:
  schema: metadata/Document/v1
  name: unrelated
  storagePolicy: cleartext
  layeringDefinition: {abstract: false, layer: site}
data: {fine: true}
";

/// YAML 1.2 (Aerostat's default) forbids a key twice in one mapping: the duplicate is an
/// error of the document that holds it, and only of it. Before, the whole file was skipped
/// and "no layering policy found" buried the real problem. Documents that depend on the
/// broken one (its child, a substitution reading it) fail without messages of their own;
/// the other documents of the file render.
#[test]
fn a_duplicate_key_is_an_error_of_its_document_only_in_aerostat_mode() {
    let rendered = render_files(&[DUPLICATE_KEY_FILE], Mode::Aerostat);
    assert_eq!(
        located_errors(&rendered),
        [("P007", 19, 3, "duplicate key `size`".to_string())]
    );
    let diagnostic = &rendered.diagnostics[0];
    assert_eq!(
        diagnostic
            .related
            .first()
            .map(|(location, _)| location.line),
        Some(17)
    );
    assert_eq!(
        diagnostic
            .document
            .as_ref()
            .map(|document| document.name.as_str()),
        Some("base")
    );
    let output: Vec<&str> = rendered
        .output
        .iter()
        .map(|index| rendered.document(*index).name.as_str())
        .collect();
    assert_eq!(output, ["layering-policy", "unrelated"]);
}

/// PyYAML's `BaseConstructor.construct_mapping` (`lib/yaml/constructor.py`) assigns
/// `mapping[key] = value` for each pair in turn, so the last value wins and nothing is
/// reported; Deckhand and Pegleg read files with it (`yaml.safe_load_all`). In Deckhand's
/// mode the site renders as it did, with an A011 warning naming the lost value's key.
#[test]
fn a_duplicate_key_keeps_the_last_value_in_deckhand_mode() {
    let rendered = render_files(&[DUPLICATE_KEY_FILE], Mode::Deckhand);
    assert_clean(&rendered);
    assert_eq!(
        data_of(&rendered, "base"),
        serde_json::json!({"size": 2, "colour": "red"})
    );
    assert_eq!(
        data_of(&rendered, "child"),
        serde_json::json!({"size": 2, "colour": "red", "shape": "round"})
    );
    assert_eq!(data_of(&rendered, "reader"), serde_json::json!({"size": 2}));
    let warnings: Vec<(&str, u32)> = rendered
        .diagnostics
        .iter()
        .map(|diagnostic| (diagnostic.code, diagnostic.location.map_or(0, |at| at.line)))
        .collect();
    assert_eq!(warnings, [("A011", 19)]);
}

/// A lone file with a syntax error: Pegleg's lint reports it as P007
/// (`pegleg/engine/lint.py`, `_verify_single_file`), and Deckhand's engine, given no
/// documents, raises `LayeringPolicyNotFound` (`deckhand/engine/layering.py`,
/// `DocumentLayering.__init__`). Both are reported, syntax first: the missing policy
/// says the unreadable file may hold it and points at it.
#[test]
fn a_syntax_error_comes_before_the_missing_layering_policy_it_may_explain() {
    let broken = "---\nschema: deckhand/LayeringPolicy/v1\nmetadata: {name: [unclosed\n";
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_files(&[broken], mode);
        let mut diagnostics = rendered.diagnostics.clone();
        diagnostics.sort_by(|left, right| left.sort_key().cmp(&right.sort_key()));
        let kinds: Vec<&str> = diagnostics
            .iter()
            .filter_map(|diagnostic| diagnostic.kind.map(|kind| kind.name()))
            .collect();
        assert_eq!(kinds, ["InvalidYaml", "LayeringPolicyNotFound"], "{mode:?}");
        let missing = &diagnostics[1];
        assert!(
            missing
                .message
                .contains("1 file(s) could not be read and may hold it"),
            "{}",
            missing.message
        );
        assert_eq!(missing.related.len(), 1);
        assert_eq!(Some(missing.related[0].0), diagnostics[0].location);
    }
    // Without unreadable files the message stays as it was.
    let rendered = render_files(&["---\n"], Mode::Aerostat);
    assert_eq!(
        rendered.diagnostics[0].message,
        "no layering policy found, so nothing can be layered"
    );
}

/// Documents are read into the render as the YAML loader completes them, but a syntax
/// error anywhere in a file still skips every document of the file: those before the
/// error are dropped with their own diagnostics, and the other files are untouched.
#[test]
fn a_syntax_error_late_in_a_file_skips_the_documents_read_before_it() {
    let item = |name: &str| {
        format!(
            "---\nschema: example/Item/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: {name}\n  storagePolicy: cleartext\n  layeringDefinition: {{abstract: false, layer: site}}\ndata: {{n: 1}}\n"
        )
    };
    // The first document of the broken file has a problem of its own (an unknown
    // metadata key), which must not be reported for a file that was skipped.
    let broken = format!(
        "{}{}---\nschema: example/Item/v1\nmetadata: {{name: [unclosed\n",
        item("first").replace("  storagePolicy", "  storagePolcy: x\n  storagePolicy"),
        item("second")
    );
    let kept = item("kept");
    let alone = render_files(
        &[POLICY, &broken[..broken.rfind("---").unwrap()]],
        Mode::Aerostat,
    );
    assert!(
        alone
            .diagnostics
            .iter()
            .any(|diagnostic| diagnostic.message.contains("storagePolcy")),
        "the first document has a problem of its own: {:#?}",
        alone.diagnostics
    );
    let rendered = render_files(&[POLICY, &broken, &kept], Mode::Aerostat);
    let names: Vec<&str> = rendered
        .output
        .iter()
        .map(|index| rendered.document(*index).name.as_str())
        .filter(|name| *name != "layering-policy")
        .collect();
    assert_eq!(names, ["kept"]);
    let errors = located_errors(&rendered);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "P007", "{errors:?}");
    assert_eq!(errors[0].1, 21, "where the parser stopped: {errors:?}");
    assert!(
        rendered
            .diagnostics
            .iter()
            .all(|diagnostic| !diagnostic.message.contains("storagePolcy")),
        "{:#?}",
        rendered.diagnostics
    );
}

/// The YAML reader thread hands documents over in batches that cross file boundaries:
/// files of many documents around a broken one keep every document of theirs, in order,
/// and the broken file's documents (more than a batch of them) are all dropped.
#[test]
fn documents_of_many_files_arrive_in_order_around_a_broken_file() {
    let items = |prefix: &str, count: usize| -> String {
        (0..count)
            .map(|n| {
                format!(
                    "---\nschema: example/Item/v1\nmetadata:\n  schema: metadata/Document/v1\n  name: {prefix}-{n}\n  storagePolicy: cleartext\n  layeringDefinition: {{abstract: false, layer: site}}\ndata: {{n: {n}}}\n"
                )
            })
            .collect()
    };
    let broken = format!("{}---\nschema: [unclosed\n", items("broken", 40));
    let files = [
        POLICY.to_string(),
        items("a", 21),
        broken,
        items("b", 3),
        String::new(),
        items("c", 37),
    ];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let rendered = render_files(&files, Mode::Aerostat);
    // `documents` holds what was loaded, in load order.
    let names: Vec<&str> = rendered
        .documents
        .iter()
        .map(|document| document.name.as_str())
        .filter(|name| *name != "layering-policy")
        .collect();
    let expected: Vec<String> = (0..21)
        .map(|n| format!("a-{n}"))
        .chain((0..3).map(|n| format!("b-{n}")))
        .chain((0..37).map(|n| format!("c-{n}")))
        .collect();
    assert_eq!(names, expected);
    assert_eq!(rendered.output.len(), expected.len() + 1);
    let errors = located_errors(&rendered);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "P007", "{errors:?}");
    // The sequence is still open where the input ends, on the line after it.
    assert_eq!(
        errors[0].1,
        40 * 8 + 3,
        "where the parser stopped: {errors:?}"
    );
}

// ---- How Deckhand validated: formats not asserted, references resolved lazily ----

/// A site DataSchema for `example/Host/v1` with a `format`, a reference that resolves, a
/// reference that does not (inside `properties.bmc`), and one inside an `anyOf` branch
/// that a valid first branch hides. Line numbers matter: the two references that do not
/// resolve are on lines 17 and 21 of the file.
const HOST_SCHEMA: &str = "---
schema: deckhand/DataSchema/v1
metadata:
  schema: metadata/Control/v1
  name: example/Host/v1
data:
  $schema: http://json-schema.org/schema#
  definitions:
    port: {type: integer}
  type: object
  properties:
    address: {type: string, format: ipv4}
    port: {$ref: '#/definitions/port'}
    size: {type: integer}
    bmc:
      type: object
      $ref: '#/definitions/bmc'
    mode:
      anyOf:
        - {type: string}
        - {$ref: '#/definitions/mode'}
";

fn host(name: &str, storage: &str, data: &str) -> String {
    format!(
        "---
schema: example/Host/v1
metadata:
  schema: metadata/Document/v1
  name: {name}
  storagePolicy: {storage}
  layeringDefinition: {{abstract: false, layer: site}}
data:
{data}"
    )
}

/// Deckhand built its validator as `jsonschema.Draft4Validator(schema)` without a
/// `format_checker` (`deckhand/engine/document_validation.py`,
/// `DataSchemaValidator.validate`), and `jsonschema`'s `format` validator checks only
/// `if validator.format_checker is not None` (`jsonschema/_validators.py`): a value that
/// is not an IPv4 address passes. Deckhand's mode says nothing; Aerostat's names the value
/// and where it is (A010), masked when it is secret, and fails nothing.
#[test]
fn formats_are_not_asserted_for_airship_kinds_and_aerostat_mode_names_the_value() {
    let documents = format!(
        "{HOST_SCHEMA}{}{}",
        host("plain", "cleartext", "  address: not-an-ip\n  port: 623\n"),
        host("hidden", "encrypted", "  address: s3cr3t-value\n")
    );
    let deckhand = render_docs(&documents, Mode::Deckhand);
    assert_clean(&deckhand);
    assert_eq!(validate(&deckhand), []);

    let aerostat = render_docs(&documents, Mode::Aerostat);
    assert_clean(&aerostat);
    let diagnostics = validate(&aerostat);
    let formats: Vec<(&str, &str, Option<u32>, &str)> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.code == "A010")
        .map(|diagnostic| {
            (
                diagnostic
                    .document
                    .as_ref()
                    .map_or("", |document| document.name.as_str()),
                diagnostic.message.as_str(),
                diagnostic.location.map(|location| location.line),
                diagnostic.json_path.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        formats,
        [
            (
                "hidden",
                ".address: the value is not a valid `ipv4`",
                Some(40),
                ".address"
            ),
            (
                "plain",
                ".address: \"not-an-ip\" is not a valid `ipv4`",
                Some(30),
                ".address"
            ),
        ]
    );
    assert!(
        diagnostics
            .iter()
            .all(|diagnostic| diagnostic.severity != aero_docs::diagnostic::Severity::Error)
    );
    assert!(!format!("{diagnostics:?}").contains("s3cr3t"));
}

/// Only Aerostat's own kinds (`aerostat/*`) assert formats, and only in Aerostat's mode.
#[test]
fn aerostat_kinds_assert_formats_in_aerostat_mode_only() {
    let schema = HOST_SCHEMA.replace("name: example/Host/v1", "name: aerostat/Host/v1");
    let document = host("strict", "cleartext", "  address: not-an-ip\n")
        .replace("schema: example/Host/v1", "schema: aerostat/Host/v1");
    let documents = format!("{schema}{document}");
    let aerostat = validate(&render_docs(&documents, Mode::Aerostat));
    let errors: Vec<(&str, &str)> = aerostat
        .iter()
        .filter(|diagnostic| diagnostic.severity == aero_docs::diagnostic::Severity::Error)
        .map(|diagnostic| {
            (
                diagnostic.code,
                diagnostic.json_path.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(errors, [("D002", ".address")]);
    let deckhand = validate(&render_docs(&documents, Mode::Deckhand));
    assert_eq!(
        deckhand,
        [],
        "Deckhand's mode knows no built-in aerostat schema and asserts no format"
    );
}

/// `jsonschema` 2.6 resolves `$ref` only when `iter_errors` reaches it (the `ref`
/// validator calls `resolver.resolve(ref)`, and `RefResolver.resolve_fragment` raises
/// `RefResolutionError("Unresolvable JSON pointer")` then), and Deckhand consumed
/// `iter_errors` for each concrete document (`DataSchemaValidator.validate`). A reference
/// that no document reaches therefore never failed: Deckhand's mode says nothing, and
/// Aerostat's warns (A009) at the `$ref` in the DataSchema's file, with its JSON pointer.
/// The schema still validates everything else.
#[test]
fn an_unresolved_reference_no_document_reaches_is_a_warning_in_aerostat_mode_only() {
    let documents = format!(
        "{HOST_SCHEMA}{}",
        host(
            "no-bmc",
            "cleartext",
            "  port: 623\n  size: large\n  mode: fast\n"
        )
    );
    let deckhand = validate(&render_docs(&documents, Mode::Deckhand));
    let codes: Vec<&str> = deckhand.iter().map(|diagnostic| diagnostic.code).collect();
    assert_eq!(codes, ["D002"], "{deckhand:#?}");
    assert_eq!(deckhand[0].json_path.as_deref(), Some(".size"));

    let aerostat = validate(&render_docs(&documents, Mode::Aerostat));
    let warnings: Vec<(&str, &str, Option<u32>, Option<&str>)> = aerostat
        .iter()
        .filter(|diagnostic| diagnostic.code == "A009")
        .map(|diagnostic| {
            (
                diagnostic.message.as_str(),
                diagnostic
                    .hint
                    .as_deref()
                    .unwrap_or("")
                    .split(':')
                    .next()
                    .unwrap_or(""),
                diagnostic.location.map(|location| location.line),
                diagnostic
                    .document
                    .as_ref()
                    .map(|document| document.name.as_str()),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "`$ref: #/definitions/bmc` at /properties/bmc/$ref of the site's DataSchema deckhand/DataSchema/v1/example/Host/v1 does not resolve; no document's validation reaches it",
                "fix or remove the reference",
                Some(17),
                Some("example/Host/v1"),
            ),
            (
                "`$ref: #/definitions/mode` at /properties/mode/anyOf/1/$ref of the site's DataSchema deckhand/DataSchema/v1/example/Host/v1 does not resolve; no document's validation reaches it",
                "fix or remove the reference",
                Some(21),
                Some("example/Host/v1"),
            ),
        ]
    );
    assert_eq!(
        aerostat
            .iter()
            .filter(|diagnostic| diagnostic.severity == aero_docs::diagnostic::Severity::Error)
            .count(),
        1,
        "only `.size`: {aerostat:#?}"
    );
}

/// A document whose validation reaches a reference that does not resolve made Deckhand's
/// validator raise `RefResolutionError`: an error in both modes, at the value, pointing at
/// the reference. `anyOf` stops at its first valid branch (`anyOf_draft4` breaks on a
/// branch without errors), so the reference in its second branch is reached only when the
/// first fails.
#[test]
fn an_unresolved_reference_a_document_reaches_is_an_error_in_both_modes() {
    let documents = format!(
        "{HOST_SCHEMA}{}{}",
        host("with-bmc", "cleartext", "  bmc: {address: 10.0.0.1}\n"),
        host("numeric-mode", "cleartext", "  mode: 3\n")
    );
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_docs(&documents, mode);
        let diagnostics = validate(&rendered);
        let errors: Vec<(&str, &str, Option<u32>, Option<u32>)> = diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == aero_docs::diagnostic::Severity::Error)
            .map(|diagnostic| {
                (
                    diagnostic
                        .document
                        .as_ref()
                        .map_or("", |document| document.name.as_str()),
                    diagnostic.message.as_str(),
                    diagnostic.location.map(|location| location.line),
                    diagnostic
                        .related
                        .first()
                        .map(|(location, _)| location.line),
                )
            })
            .collect();
        assert_eq!(
            errors,
            [
                (
                    "numeric-mode",
                    ".mode: validation reaches `$ref: #/definitions/mode` at /properties/mode/anyOf/1/$ref of the site's DataSchema deckhand/DataSchema/v1/example/Host/v1, which does not resolve",
                    Some(39),
                    Some(21),
                ),
                (
                    "with-bmc",
                    ".bmc: validation reaches `$ref: #/definitions/bmc` at /properties/bmc/$ref of the site's DataSchema deckhand/DataSchema/v1/example/Host/v1, which does not resolve",
                    Some(30),
                    Some(17),
                ),
            ],
            "{mode:?}"
        );
        assert!(
            diagnostics
                .iter()
                .all(|diagnostic| diagnostic.code != "A009"),
            "reached references are errors, not warnings: {diagnostics:#?}"
        );
    }
}
