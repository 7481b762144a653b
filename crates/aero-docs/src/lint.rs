//! Lint: Pegleg's checks and Aerostat's own, with stable codes.
//!
//! | code | severity | what |
//! |------|----------|------|
//! | P001 | error | a secret kind (Passphrase, PrivateKey, CertificateKey, CertificateAuthorityKey) is not `storagePolicy: encrypted` |
//! | P004 | warning/error | duplicate DataSchema (an error when they differ, in Aerostat's mode) |
//! | P005 | error | a render error (the Deckhand error kind is given) |
//! | P006 | error | a file does not start with `---` |
//! | P007 | error | invalid YAML: a syntax error, a file that is not UTF-8, a duplicate key (in Aerostat's mode; the error is the document's only) |
//! | P008 | error | a document's layer is not the top folder it lives in (global, type, site) |
//! | P009 | error | a secret kind outside a `secrets` folder |
//! | D001 | error | a document's structure is invalid (envelope, metadata) |
//! | D002 | error | a document's data does not match its schema (or its validation reaches a `$ref` that does not resolve) |
//! | A001 | error/warning | duplicate document (same schema, layer and name); a warning with `--no-validate` in Deckhand mode, which keeps the first |
//! | A002 | warning | an abstract document that no document layers onto (unused) |
//! | A003 | error | a substitution whose source is an abstract document |
//! | A004 | note | a site DataSchema takes precedence over a built-in schema |
//! | A005 | error | a `storagePolicy: encrypted` document is stored in clear |
//! | A006 | error/warning | several layering policies |
//! | A007 | warning | a substitution's `src.pattern` does not match |
//! | A008 | warning | a DataSchema that is ignored (bad name or empty) |
//! | A009 | warning | a DataSchema's `$ref` does not resolve and no document's validation reaches it (Aerostat's mode; one that is reached is a D002 error in both modes) |
//! | A010 | warning | a value fails a `format` its schema does not assert (Aerostat's mode; only `aerostat/*` kinds assert formats, as Deckhand asserted none) |
//! | A011 | warning | a duplicate key in `--compat deckhand` mode: the later value is kept, as PyYAML did |
//!
//! `--exclude CODE` drops a code; `--warn CODE` turns its errors into warnings.

use crate::diagnostic::{Diagnostic, ErrorKind, Location, Severity};
use crate::document::StoragePolicy;
use crate::render::Rendered;
use crate::secret_kinds::is_secret_schema;
use crate::source::SourceSet;

/// Which codes to drop or demote.
#[derive(Clone, Debug, Default)]
pub struct LintConfig {
    /// Codes to leave out.
    pub exclude: Vec<String>,
    /// Codes whose errors become warnings.
    pub warn: Vec<String>,
    /// Whether encrypted-at-rest status is known (a decryptor was available); A005 is
    /// only checked then.
    pub check_encryption: bool,
}

/// Every lint finding for a rendered site, validation included, sorted by place.
pub fn lint(
    sources: &SourceSet,
    rendered: &Rendered,
    validation: &[Diagnostic],
    config: &LintConfig,
) -> Vec<Diagnostic> {
    let mut findings: Vec<Diagnostic> = rendered.diagnostics.clone();
    findings.extend(validation.iter().cloned());
    for (source_id, file) in sources.iter() {
        let first_content = file
            .text
            .lines()
            .map(str::trim_end)
            .find(|line| !line.is_empty() && !line.starts_with('#'));
        if !file.text.starts_with("---")
            && first_content.is_some_and(|line| line != "---" && !line.starts_with("--- "))
        {
            findings.push(
                Diagnostic::lint(
                    "P006",
                    Severity::Error,
                    "the file does not start with `---`",
                )
                .at(Some(Location {
                    source: source_id,
                    line: 1,
                    column: 1,
                }))
                .with_hint("begin every YAML file with a `---` line, as Pegleg expects"),
            );
        }
    }
    for document in &rendered.documents {
        let file = sources.get(document.source);
        if is_secret_schema(&document.schema) && document.storage_policy != StoragePolicy::Encrypted
        {
            findings.push(
                Diagnostic::lint(
                    "P001",
                    Severity::Error,
                    format!(
                        "{} holds a secret but is not `storagePolicy: encrypted`",
                        document.schema
                    ),
                )
                .at(Some(document.location))
                .in_document(document.doc_ref())
                .with_path("metadata.storagePolicy")
                .with_hint("set `storagePolicy: encrypted` and run `aero secrets encrypt`"),
            );
        }
        if is_secret_schema(&document.schema)
            && !file.repo.is_empty()
            && !file.rel_path.split('/').any(|part| part == "secrets")
        {
            findings.push(
                Diagnostic::lint(
                    "P009",
                    Severity::Error,
                    "a secret document outside a `secrets` folder",
                )
                .at(Some(document.location))
                .in_document(document.doc_ref())
                .with_hint("move it under site/<site>/secrets/ (or type/global secrets/)"),
            );
        }
        if config.check_encryption
            && document.storage_policy == StoragePolicy::Encrypted
            && !document.encrypted_at_rest
        {
            findings.push(
                Diagnostic::lint(
                    "A005",
                    Severity::Error,
                    "`storagePolicy: encrypted` but the data is stored in clear",
                )
                .at(Some(document.location))
                .in_document(document.doc_ref())
                .with_hint("run `aero secrets encrypt SITE`"),
            );
        }
        if let (Some(layer), Some(top)) = (&document.layer, file.top_dir())
            && !file.repo.is_empty()
            && matches!(top, "global" | "type" | "site")
            && layer != top
        {
            findings.push(
                Diagnostic::lint(
                    "P008",
                    Severity::Error,
                    format!(
                        "layer `{layer}` does not match the folder `{top}/` the document lives in"
                    ),
                )
                .at(Some(document.location))
                .in_document(document.doc_ref())
                .with_path("metadata.layeringDefinition.layer"),
            );
        }
        if document.is_abstract && !rendered.used[document.index.get()] && !document.is_control() {
            findings.push(
                Diagnostic::lint(
                    "A002",
                    Severity::Warning,
                    "an abstract document that no document layers onto",
                )
                .at(Some(document.location))
                .in_document(document.doc_ref())
                .with_hint("remove it, or point a child's parentSelector at its labels"),
            );
        }
    }
    apply_config(&mut findings, config);
    findings.sort_by(|left, right| left.sort_key().cmp(&right.sort_key()));
    findings.dedup();
    findings
}

/// Applies `--exclude` and `--warn`.
pub fn apply_config(findings: &mut Vec<Diagnostic>, config: &LintConfig) {
    let matches = |codes: &[String], diagnostic: &Diagnostic| {
        codes.iter().any(|code| {
            code.eq_ignore_ascii_case(diagnostic.code)
                || diagnostic
                    .kind
                    .is_some_and(|kind: ErrorKind| code.eq_ignore_ascii_case(kind.name()))
        })
    };
    findings.retain(|diagnostic| !matches(&config.exclude, diagnostic));
    for diagnostic in findings.iter_mut() {
        if diagnostic.severity == Severity::Error && matches(&config.warn, diagnostic) {
            diagnostic.severity = Severity::Warning;
        }
    }
}
