//! Shared helpers for the engine's integration tests: render YAML text given inline.

#![allow(dead_code)]

use aero_docs::mode::Mode;
use aero_docs::render::{RenderConfig, Rendered, render};
use aero_docs::source::{SourceFile, SourceSet};

/// The layering policy most scenarios use.
pub const POLICY: &str = "---
schema: deckhand/LayeringPolicy/v1
metadata:
  schema: metadata/Control/v1
  name: layering-policy
data:
  layerOrder: [global, region, site]
";

/// Renders the documents of several files given as text.
pub fn render_files(files: &[&str], mode: Mode) -> Rendered {
    let mut sources = SourceSet::new();
    for (position, text) in files.iter().enumerate() {
        sources.add(SourceFile {
            repo: String::new(),
            rel_path: format!("file{position}.yaml"),
            path: format!("file{position}.yaml").into(),
            text: std::sync::Arc::new(text.to_string()),
        });
    }
    render(&sources, &RenderConfig::new(mode))
}

/// Renders files given as bytes (which need not be UTF-8), with `config`.
pub fn render_bytes(files: &[&[u8]], config: &RenderConfig<'_>) -> Rendered {
    let mut sources = SourceSet::new();
    for (position, bytes) in files.iter().enumerate() {
        sources.add_bytes(
            String::new(),
            format!("file{position}.yaml"),
            format!("file{position}.yaml").into(),
            bytes.to_vec(),
        );
    }
    render(&sources, config)
}

/// The errors of a render as `(code, line, column, message)`, in report order.
pub fn located_errors(rendered: &Rendered) -> Vec<(&'static str, u32, u32, String)> {
    rendered
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == aero_docs::diagnostic::Severity::Error)
        .map(|diagnostic| {
            let (line, column) = diagnostic
                .location
                .map_or((0, 0), |location| (location.line, location.column));
            (diagnostic.code, line, column, diagnostic.message.clone())
        })
        .collect()
}

/// Renders the documents of several files with `config`.
pub fn render_files_with(files: &[&str], config: &RenderConfig<'_>) -> Rendered {
    let bytes: Vec<&[u8]> = files.iter().map(|text| text.as_bytes()).collect();
    render_bytes(&bytes, config)
}

/// Renders `documents` (with the default layering policy prepended).
pub fn render_docs(documents: &str, mode: Mode) -> Rendered {
    render_files(&[POLICY, documents], mode)
}

/// The rendered data of the output document named `name`, as YAML-ish JSON text.
pub fn data_of(rendered: &Rendered, name: &str) -> serde_json::Value {
    let index = rendered
        .output
        .iter()
        .copied()
        .find(|index| rendered.document(*index).name == name)
        .unwrap_or_else(|| {
            panic!(
                "no output document named {name}; diagnostics: {:#?}",
                rendered.diagnostics
            )
        });
    rendered.arena.to_json(rendered.data[index.get()])
}

/// Asserts the render has no errors.
#[track_caller]
pub fn assert_clean(rendered: &Rendered) {
    let errors: Vec<String> = rendered
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == aero_docs::diagnostic::Severity::Error)
        .map(|diagnostic| format!("{:?}: {}", diagnostic.kind, diagnostic.message))
        .collect();
    assert!(errors.is_empty(), "unexpected errors: {errors:#?}");
}

/// The Deckhand kinds of the render's errors, in order.
pub fn error_kinds(rendered: &Rendered) -> Vec<&'static str> {
    rendered
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == aero_docs::diagnostic::Severity::Error)
        .filter_map(|diagnostic| diagnostic.kind.map(|kind| kind.name()))
        .collect()
}

/// Checks the data of `name` after rendering `documents` in both modes.
#[track_caller]
pub fn check_both(documents: &str, name: &str, expected: serde_json::Value) {
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render_docs(documents, mode);
        assert_clean(&rendered);
        assert_eq!(data_of(&rendered, name), expected, "mode {mode:?}");
    }
}
