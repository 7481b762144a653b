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
    }
}
