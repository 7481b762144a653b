//! Showing diagnostics: rich source snippets for people (miette), JSON for tools.
//!
//! No snippet of a file that holds a secret document is ever shown, and every text
//! goes through the redactor.

use std::fmt;

use aero_docs::diagnostic::{Diagnostic, Severity};
use aero_docs::source::{SourceId, SourceSet};
use aero_redact::SharedRedactor;
use aero_site::RenderedSite;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

/// What the viewer needs to know about the sources.
pub struct SourceView<'a> {
    /// The files.
    sources: &'a SourceSet,
    /// Files that hold a secret document: never quoted.
    secret_files: Vec<SourceId>,
}

/// A diagnostic dressed for miette.
#[derive(Debug)]
struct Shown {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Display for Shown {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for Shown {}

impl miette::Diagnostic for Shown {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source
            .as_ref()
            .map(|source| source as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// Byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: u32, column: u32) -> Option<usize> {
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line as usize {
            let within: usize = content
                .chars()
                .take(column.saturating_sub(1) as usize)
                .map(char::len_utf8)
                .sum();
            return Some(offset + within);
        }
        offset += content.len();
    }
    None
}

fn token_length(text: &str, offset: usize) -> usize {
    text[offset..]
        .chars()
        .take_while(|character| {
            !character.is_whitespace()
                && *character != ','
                && *character != '}'
                && *character != ']'
        })
        .map(char::len_utf8)
        .sum::<usize>()
        .max(1)
}

impl<'a> SourceView<'a> {
    /// The view of a rendered site's sources.
    pub fn of(site: &'a RenderedSite) -> Self {
        Self {
            sources: site.sources(),
            secret_files: site.secret_files(),
        }
    }

    /// `file:line:column` of a location.
    pub fn place(&self, location: &aero_docs::diagnostic::Location) -> String {
        format!(
            "{}:{}:{}",
            self.sources.get(location.source).display_name(),
            location.line,
            location.column
        )
    }

    /// Renders one diagnostic for a person.
    pub fn human(&self, diagnostic: &Diagnostic, redactor: &SharedRedactor, color: bool) -> String {
        let code = match diagnostic.kind {
            Some(kind) => format!("{}/{}", diagnostic.code, kind.name()),
            None => diagnostic.code.to_string(),
        };
        let mut message = diagnostic.message.clone();
        if let Some(document) = &diagnostic.document {
            message = format!("{message}\n  in document {document}");
        }
        if let Some(path) = &diagnostic.json_path {
            message = format!("{message}, at {path}");
        }
        let mut source = None;
        let mut labels = Vec::new();
        if let Some(location) = &diagnostic.location {
            message = format!("{message}\n  --> {}", self.place(location));
            if !self.secret_files.contains(&location.source) {
                let file = self.sources.get(location.source);
                if let Some(offset) = offset_of(&file.text, location.line, location.column) {
                    labels.push(LabeledSpan::new_primary_with_span(
                        Some("here".to_string()),
                        (offset, token_length(&file.text, offset)),
                    ));
                    source = Some(NamedSource::new(file.display_name(), file.text.to_string()));
                }
            }
        }
        for (location, label) in &diagnostic.related {
            message = format!("{message}\n  note: {label} at {}", self.place(location));
        }
        let shown = Shown {
            message,
            code,
            severity: match diagnostic.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Note => miette::Severity::Advice,
            },
            help: diagnostic.hint.clone(),
            source,
            labels,
        };
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let mut out = String::new();
        let _ = GraphicalReportHandler::new_themed(theme)
            .with_context_lines(2)
            .render_report(&mut out, &shown);
        redactor.scrub(&out)
    }

    /// One diagnostic as JSON.
    pub fn json(&self, diagnostic: &Diagnostic, redactor: &SharedRedactor) -> serde_json::Value {
        let location = |location: &aero_docs::diagnostic::Location| {
            serde_json::json!({
                "file": self.sources.get(location.source).display_name(),
                "line": location.line,
                "column": location.column,
            })
        };
        let mut object = serde_json::json!({
            "severity": diagnostic.severity.to_string(),
            "code": diagnostic.code,
            "kind": diagnostic.kind.map(|kind| kind.name()),
            "message": redactor.scrub(&diagnostic.message),
            "location": diagnostic.location.as_ref().map(location),
            "document": diagnostic.document.as_ref().map(|document| serde_json::json!({
                "schema": document.schema,
                "name": document.name,
                "layer": document.layer,
            })),
            "json_path": diagnostic.json_path,
            "hint": diagnostic.hint.as_ref().map(|hint| redactor.scrub(hint)),
        });
        let related: Vec<serde_json::Value> = diagnostic
            .related
            .iter()
            .map(|(place, label)| {
                let mut entry = location(place);
                entry["label"] = serde_json::Value::String(redactor.scrub(label));
                entry
            })
            .collect();
        object["related"] = serde_json::Value::Array(related);
        object
    }
}
