//! Fuzz target: any UTF-8 text, as one YAML file, rendered in both modes.
//!
//! The engine promises never to panic on any input, and every error it reports must
//! point at a place in the source, except the site-wide "no layering policy" error.

#![no_main]

use aero_docs::diagnostic::{ErrorKind, Severity};
use aero_docs::mode::Mode;
use aero_docs::render::{RenderConfig, render};
use aero_docs::source::{SourceFile, SourceSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceSet::new();
    sources.add(SourceFile {
        repo: String::new(),
        rel_path: "fuzz.yaml".to_string(),
        path: "fuzz.yaml".into(),
        text: text.to_string(),
    });
    for mode in [Mode::Aerostat, Mode::Deckhand] {
        let rendered = render(&sources, &RenderConfig::new(mode));
        for diagnostic in &rendered.diagnostics {
            if diagnostic.severity == Severity::Error
                && diagnostic.kind != Some(ErrorKind::LayeringPolicyNotFound)
            {
                assert!(
                    diagnostic.location.is_some(),
                    "error without a location: {diagnostic:?}"
                );
            }
        }
        for index in &rendered.output {
            let _ = rendered.document_json(*index);
        }
    }
});
