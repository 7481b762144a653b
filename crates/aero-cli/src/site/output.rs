//! What the `aero site` verbs print: one typed structure per verb, serialised as is for
//! `-o json|yaml` and drawn as a table for people.

use serde::Serialize;

use crate::format::Table;

/// One row of `aero site list`.
#[derive(Debug, Serialize)]
pub struct SiteRow {
    /// Site name.
    pub name: String,
    /// `data.site_type`.
    pub site_type: Option<String>,
    /// Repository holding the definition.
    pub repo: String,
    /// Path of the site definition.
    pub definition: String,
}

/// `aero site list` as a table.
pub fn sites_table(rows: &Vec<SiteRow>) -> String {
    let mut table = Table::new(&["NAME", "TYPE", "REPO", "DEFINITION"]);
    for row in rows {
        table.row(vec![
            row.name.clone(),
            row.site_type.clone().unwrap_or_else(|| "?".into()),
            row.repo.clone(),
            row.definition.clone(),
        ]);
    }
    table.render()
}

/// `aero site validate`'s result.
#[derive(Debug, Serialize)]
pub struct Validation {
    /// Site name.
    pub site: String,
    /// Whether the site renders and validates without errors.
    pub valid: bool,
    /// Rendered documents.
    pub documents: usize,
    /// Revision id of a valid render.
    pub revision: Option<String>,
    /// Error count.
    pub errors: usize,
    /// Warning count.
    pub warnings: usize,
    /// Every diagnostic, as JSON.
    pub diagnostics: Vec<serde_json::Value>,
}

/// `aero site validate` for people (diagnostics went to stderr already).
pub fn validation_text(validation: &Validation) -> String {
    match &validation.revision {
        Some(revision) => format!(
            "site {}: {} documents valid ({} warning(s))\nrevision {revision}\n",
            validation.site, validation.documents, validation.warnings
        ),
        None => format!(
            "site {}: invalid: {} error(s), {} warning(s)\n",
            validation.site, validation.errors, validation.warnings
        ),
    }
}

/// One explained value.
#[derive(Debug, Serialize)]
pub struct ExplainRow {
    /// Path in the document's data.
    pub path: String,
    /// The value (secrets redacted).
    pub value: serde_json::Value,
    /// Whether it is a secret.
    pub secret: bool,
    /// `own`, `parent`, `substitution`, `substitution (pattern)` or `created`.
    pub how: &'static str,
    /// The parent or substitution it came through.
    pub via: Option<String>,
    /// The document that wrote it literally.
    pub written_by: Option<String>,
    /// `file:line:column` where it was written.
    pub location: Option<String>,
}

/// `aero site explain` as a table.
pub fn explain_table(rows: &Vec<ExplainRow>) -> String {
    let mut table = Table::new(&["PATH", "VALUE", "HOW", "SET BY", "LOCATION"]);
    for row in rows {
        table.row(vec![
            row.path.clone(),
            scalar_text(&row.value),
            row.how.to_string(),
            row.via
                .clone()
                .or_else(|| row.written_by.clone())
                .unwrap_or_default(),
            row.location.clone().unwrap_or_default(),
        ]);
    }
    table.render()
}

/// One difference between Aerostat's and Deckhand's renders.
#[derive(Debug, Serialize)]
pub struct CompatRow {
    /// `schema/name`.
    pub document: String,
    /// Path of the value, when a value differs.
    pub path: Option<String>,
    /// Aerostat's value (secrets redacted).
    pub aerostat: serde_json::Value,
    /// Deckhand's value (secrets redacted).
    pub deckhand: serde_json::Value,
    /// The quirk that explains it, or the mode missing the document.
    pub cause: String,
    /// Where the value was written.
    pub location: Option<String>,
}

/// `aero site compat` as a table.
pub fn compat_table(rows: &Vec<CompatRow>) -> String {
    if rows.is_empty() {
        return "no differences: the site renders to the same data in Aerostat's and Deckhand's modes\n"
            .to_string();
    }
    let mut table = Table::new(&[
        "DOCUMENT", "PATH", "AEROSTAT", "DECKHAND", "CAUSE", "LOCATION",
    ]);
    for row in rows {
        table.row(vec![
            row.document.clone(),
            row.path.clone().unwrap_or_else(|| "-".into()),
            scalar_text(&row.aerostat),
            scalar_text(&row.deckhand),
            row.cause.clone(),
            row.location.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    table.render()
}

/// `aero site diff`'s result.
#[derive(Debug, Serialize)]
pub struct SiteDiffOutput {
    /// Site name.
    pub site: String,
    /// The earlier side.
    pub from: DiffSide,
    /// The later side.
    pub to: DiffSide,
    /// Documents only in the later side.
    pub added: Vec<DocumentChanges>,
    /// Documents only in the earlier side.
    pub removed: Vec<DocumentChanges>,
    /// Documents in both whose data differs.
    pub changed: Vec<DocumentChanges>,
}

/// One side of a diff.
#[derive(Debug, Serialize)]
pub struct DiffSide {
    /// The reference given (`(working tree)` for the files on disk).
    #[serde(rename = "ref")]
    pub reference: String,
    /// Its revision id.
    pub revision: Option<String>,
}

/// A document's field changes.
#[derive(Debug, Serialize)]
pub struct DocumentChanges {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// Whether its data is secret (values then show as `(secret)`).
    pub secret: bool,
    /// Field changes.
    pub changes: Vec<FieldChangeOutput>,
}

/// One field change.
#[derive(Debug, Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum FieldChangeOutput {
    /// A field only in the later side.
    Added {
        /// Path.
        path: String,
        /// Value.
        value: serde_json::Value,
    },
    /// A field only in the earlier side.
    Removed {
        /// Path.
        path: String,
        /// Value.
        value: serde_json::Value,
    },
    /// A field in both with different values.
    Changed {
        /// Path.
        path: String,
        /// Earlier value.
        before: serde_json::Value,
        /// Later value.
        after: serde_json::Value,
    },
}

impl SiteDiffOutput {
    /// Whether the two sides render alike.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// `aero site diff` for people.
pub fn diff_text(diff: &SiteDiffOutput) -> String {
    let revision = |side: &DiffSide| side.revision.clone().unwrap_or_else(|| "-".into());
    let mut text = format!(
        "site {}: {} -> {}\n  from {}\n  to   {}\n",
        diff.site,
        diff.from.reference,
        diff.to.reference,
        revision(&diff.from),
        revision(&diff.to)
    );
    if diff.is_empty() {
        text.push_str("no differences\n");
    }
    for document in &diff.added {
        text.push_str(&format!("+ {}/{}\n", document.schema, document.name));
    }
    for document in &diff.removed {
        text.push_str(&format!("- {}/{}\n", document.schema, document.name));
    }
    for document in &diff.changed {
        let secret = if document.secret { " (secret)" } else { "" };
        text.push_str(&format!(
            "~ {}/{}{secret}\n",
            document.schema, document.name
        ));
        for change in &document.changes {
            text.push_str(&match change {
                FieldChangeOutput::Added { path, value } => {
                    format!("    + {path}: {}\n", scalar_text(value))
                }
                FieldChangeOutput::Removed { path, value } => {
                    format!("    - {path}: {}\n", scalar_text(value))
                }
                FieldChangeOutput::Changed {
                    path,
                    before,
                    after,
                } => format!(
                    "    ~ {path}: {} -> {}\n",
                    scalar_text(before),
                    scalar_text(after)
                ),
            });
        }
    }
    text
}

/// A JSON value as a table cell: strings without quotes, the rest as JSON.
fn scalar_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}
