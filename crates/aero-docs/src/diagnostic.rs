//! Diagnostics: every problem found in a site, located and explained.
//!
//! The engine never stops at the first problem; it collects [`Diagnostic`]s and the
//! edges (CLI, later the server) decide how to show them. A diagnostic names the file,
//! line and column, the document, the JSON path and, where Deckhand has one, the
//! Deckhand error kind, so people migrating from Airship recognise it.

use std::fmt;

use crate::source::SourceId;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Information worth knowing; never fails a command.
    Note,
    /// Suspicious; fails only when promoted.
    Warning,
    /// The site is invalid.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Deckhand's names for the errors its engine raises, plus the few Aerostat adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ErrorKind {
    InvalidDocumentFormat,
    InvalidDocumentLayer,
    InvalidDocumentParent,
    IndeterminateDocumentParent,
    LayeringPolicyNotFound,
    MissingDocumentKey,
    MissingDocumentPattern,
    UnsupportedActionMethod,
    SubstitutionDependencyCycle,
    SubstitutionSourceNotFound,
    SubstitutionSourceDataNotFound,
    UnknownSubstitutionError,
    InvalidDocumentReplacement,
    EncryptionSourceNotFound,
    /// A document's data does not match its schema (Deckhand's D002).
    SchemaValidationFailure,
    /// The YAML itself could not be read.
    InvalidYaml,
    /// Two documents share an identity.
    DuplicateDocument,
    /// Two LayeringPolicy documents or two DataSchemas for one kind disagree.
    ConflictingControlDocuments,
}

impl ErrorKind {
    /// The name as Deckhand spells it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidDocumentFormat => "InvalidDocumentFormat",
            ErrorKind::InvalidDocumentLayer => "InvalidDocumentLayer",
            ErrorKind::InvalidDocumentParent => "InvalidDocumentParent",
            ErrorKind::IndeterminateDocumentParent => "IndeterminateDocumentParent",
            ErrorKind::LayeringPolicyNotFound => "LayeringPolicyNotFound",
            ErrorKind::MissingDocumentKey => "MissingDocumentKey",
            ErrorKind::MissingDocumentPattern => "MissingDocumentPattern",
            ErrorKind::UnsupportedActionMethod => "UnsupportedActionMethod",
            ErrorKind::SubstitutionDependencyCycle => "SubstitutionDependencyCycle",
            ErrorKind::SubstitutionSourceNotFound => "SubstitutionSourceNotFound",
            ErrorKind::SubstitutionSourceDataNotFound => "SubstitutionSourceDataNotFound",
            ErrorKind::UnknownSubstitutionError => "UnknownSubstitutionError",
            ErrorKind::InvalidDocumentReplacement => "InvalidDocumentReplacement",
            ErrorKind::EncryptionSourceNotFound => "EncryptionSourceNotFound",
            ErrorKind::SchemaValidationFailure => "SchemaValidationFailure",
            ErrorKind::InvalidYaml => "InvalidYaml",
            ErrorKind::DuplicateDocument => "DuplicateDocument",
            ErrorKind::ConflictingControlDocuments => "ConflictingControlDocuments",
        }
    }

    /// The stable diagnostic code of this kind.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidYaml => "P007",
            ErrorKind::SchemaValidationFailure => "D002",
            ErrorKind::InvalidDocumentFormat => "D001",
            ErrorKind::DuplicateDocument => "A001",
            ErrorKind::ConflictingControlDocuments => "A006",
            _ => "P005",
        }
    }
}

/// A point in a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file.
    pub source: SourceId,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Names a document in messages.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocRef {
    /// `schema` of the document.
    pub schema: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.layeringDefinition.layer`, if any.
    pub layer: Option<String>,
}

impl fmt::Display for DocRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.schema, self.name)?;
        if let Some(layer) = &self.layer {
            write!(formatter, " (layer {layer})")?;
        }
        Ok(())
    }
}

/// One problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// How bad it is.
    pub severity: Severity,
    /// Stable code (`P005`, `D002`, `A003`...), usable with `--exclude` and `--warn`.
    pub code: &'static str,
    /// Deckhand's error kind, where one applies.
    pub kind: Option<ErrorKind>,
    /// What is wrong, one sentence, lower case, no trailing period.
    pub message: String,
    /// Where, if known.
    pub location: Option<Location>,
    /// Which document.
    pub document: Option<DocRef>,
    /// JSON path inside the document's data.
    pub json_path: Option<String>,
    /// A one-line suggestion.
    pub hint: Option<String>,
    /// Other places that explain the problem (the other duplicate, the parent...).
    pub related: Vec<(Location, String)>,
}

impl Diagnostic {
    /// An error of a Deckhand kind.
    pub fn error(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code: kind.code(),
            kind: Some(kind),
            message: message.into(),
            location: None,
            document: None,
            json_path: None,
            hint: None,
            related: Vec::new(),
        }
    }

    /// A lint finding with its own code.
    pub fn lint(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            kind: None,
            message: message.into(),
            location: None,
            document: None,
            json_path: None,
            hint: None,
            related: Vec::new(),
        }
    }

    /// Sets the location.
    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// Sets the document.
    pub fn in_document(mut self, document: DocRef) -> Self {
        self.document = Some(document);
        self
    }

    /// Sets the JSON path.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.json_path = Some(path.into());
        self
    }

    /// Sets the hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a related place.
    pub fn with_related(mut self, location: Option<Location>, label: impl Into<String>) -> Self {
        if let Some(location) = location {
            self.related.push((location, label.into()));
        }
        self
    }

    /// Sort key giving a stable output order: input that could not be read as YAML first
    /// (a syntax error, a file that is not UTF-8, a duplicate key: they make what follows
    /// meaningless, like a missing layering policy that an unreadable file may hold), then
    /// by file, line, column, code, message.
    pub fn sort_key(&self) -> (bool, Option<Location>, &'static str, &str) {
        (
            self.kind != Some(ErrorKind::InvalidYaml),
            self.location,
            self.code,
            &self.message,
        )
    }
}

/// Whether any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity == Severity::Error)
}
