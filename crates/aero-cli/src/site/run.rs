//! What each `aero site` verb does: collect, render through `aero-site`, and hand a
//! typed result to [`super::output`].

use std::process::ExitCode;

use aero_docs::collect::{RepoSpec, list_sites};
use aero_docs::diagnostic::Severity;
use aero_docs::diff::{FieldChange, FieldValue};
use aero_docs::explain::How;
use aero_docs::lint::LintConfig;
use aero_docs::path::DocPath;
use aero_site::{DocumentRef, Mode, Pin, RenderOptions, RenderedSite, Snapshot, redacted_value};

use super::args::{SiteArgs, SiteCommand};
use super::output::{
    CompatRow, DiffSide, DocumentChanges, ExplainRow, FieldChangeOutput, SiteDiffOutput, SiteRow,
    Validation, compat_table, diff_text, explain_table, sites_table, validation_text,
};
use crate::context::Context;
use crate::documents::{
    KeyArgs, counts, diagnostics_json, mode_of, print_diagnostics, print_render,
};
use crate::exit::{Failure, INVALID, OrFail, output_failure};
use crate::format::{OutputFormat, emit};

/// What a verb renders and how.
struct Request<'a> {
    repos: &'a [RepoSpec],
    site: &'a str,
    keys: &'a KeyArgs,
    mode: Mode,
    validate: bool,
    /// Check metadata against Deckhand's schemas; off only for `render --no-validate`
    /// in Deckhand mode, as Pegleg's `--no-validate` builds Deckhand's engine.
    validate_metadata: bool,
    /// Without a key, render encrypted data as placeholders instead of failing.
    allow_encrypted: bool,
}

impl Request<'_> {
    /// Collects the site (at `pin`, if given) and renders it.
    fn render(&self, context: &Context, pin: Option<&Pin>) -> Result<RenderedSite, Failure> {
        let snapshot = Snapshot::collect(self.repos, self.site, pin).or_fail()?;
        self.render_snapshot(context, &snapshot)
    }

    fn render_snapshot(
        &self,
        context: &Context,
        snapshot: &Snapshot,
    ) -> Result<RenderedSite, Failure> {
        let roots: Vec<_> = self.repos.iter().map(|repo| repo.path.clone()).collect();
        let keys = context.keys(&self.keys.identities, &roots)?;
        Ok(snapshot.render(
            &keys,
            &RenderOptions {
                mode: self.mode,
                validate: self.validate,
                validate_metadata: self.validate_metadata,
                allow_encrypted: self.allow_encrypted,
                redactor: Some(context.redactor.clone()),
            },
        ))
    }
}

/// Runs an `aero site` verb.
pub fn run(context: &Context, args: SiteArgs) -> Result<ExitCode, Failure> {
    let repos = context.repos(&args.repos)?;
    match args.command {
        SiteCommand::List { output } => list(context, &repos, output),
        SiteCommand::Lint {
            site,
            exclude,
            warn,
            compat,
            output,
            keys,
        } => {
            let rendered = Request {
                repos: &repos,
                site: &site,
                keys: &keys,
                mode: mode_of(compat),
                validate: true,
                validate_metadata: true,
                allow_encrypted: true,
            }
            .render(context, None)?;
            let findings = rendered.lint(&LintConfig {
                exclude,
                warn,
                check_encryption: true,
            });
            let errors = findings
                .iter()
                .filter(|finding| finding.severity == Severity::Error)
                .count();
            match output {
                OutputFormat::Table => {
                    print_diagnostics(context, &rendered, &findings, Severity::Note);
                    let warnings = findings
                        .iter()
                        .filter(|finding| finding.severity == Severity::Warning)
                        .count();
                    eprintln!("site {site}: {errors} error(s), {warnings} warning(s)");
                }
                format => {
                    let items = diagnostics_json(context, &rendered, &findings);
                    emit(&context.redactor, format, &items, |_| String::new())
                        .map_err(output_failure)?;
                }
            }
            Ok(exit_if(errors > 0))
        }
        SiteCommand::Render {
            site,
            no_validate,
            compat,
            redact,
            output,
            keys,
        } => {
            let rendered = Request {
                repos: &repos,
                site: &site,
                keys: &keys,
                mode: mode_of(compat),
                validate: !no_validate,
                validate_metadata: !no_validate,
                allow_encrypted: false,
            }
            .render(context, None)?;
            print_render(context, rendered, output, redact)
        }
        SiteCommand::Validate {
            site,
            compat,
            output,
            keys,
        } => {
            let rendered = Request {
                repos: &repos,
                site: &site,
                keys: &keys,
                mode: mode_of(compat),
                validate: true,
                validate_metadata: true,
                allow_encrypted: false,
            }
            .render(context, None)?;
            if output == OutputFormat::Table {
                print_diagnostics(
                    context,
                    &rendered,
                    rendered.diagnostics(),
                    Severity::Warning,
                );
            }
            let validation = Validation {
                site,
                valid: rendered.is_valid(),
                documents: rendered.documents().len(),
                revision: rendered.revision_id().map(str::to_string),
                errors: rendered.count(Severity::Error),
                warnings: rendered.count(Severity::Warning),
                diagnostics: diagnostics_json(context, &rendered, rendered.diagnostics()),
            };
            emit(&context.redactor, output, &validation, validation_text)
                .map_err(output_failure)?;
            Ok(exit_if(!validation.valid))
        }
        SiteCommand::Compat { site, output, keys } => compat(context, &repos, &site, &keys, output),
        SiteCommand::Explain {
            site,
            document,
            path,
            compat,
            output,
            keys,
        } => {
            let rendered = Request {
                repos: &repos,
                site: &site,
                keys: &keys,
                mode: mode_of(compat),
                validate: false,
                validate_metadata: true,
                allow_encrypted: true,
            }
            .render(context, None)?;
            explain(context, &rendered, &document, path.as_deref(), output)
        }
        SiteCommand::Diff {
            site,
            from,
            to,
            ref_repo,
            compat,
            exit_code,
            output,
            keys,
        } => {
            let request = Request {
                repos: &repos,
                site: &site,
                keys: &keys,
                mode: mode_of(compat),
                validate: false,
                validate_metadata: true,
                allow_encrypted: true,
            };
            let pin = |reference: &str| Pin {
                repo: ref_repo.clone(),
                reference: reference.to_string(),
            };
            let before = request.render(context, Some(&pin(&from)))?;
            let after = request.render(context, to.as_deref().map(pin).as_ref())?;
            for (label, side) in [("--from", &before), ("--to", &after)] {
                if side.count(Severity::Error) > 0 {
                    eprintln!("aero: the {label} side does not render ({}):", counts(side));
                    print_diagnostics(context, side, side.diagnostics(), Severity::Error);
                    return Ok(ExitCode::from(INVALID));
                }
            }
            let diff = diff_output(&site, &from, to.as_deref(), &before, &after);
            emit(&context.redactor, output, &diff, diff_text).map_err(output_failure)?;
            Ok(exit_if(exit_code && !diff.is_empty()))
        }
    }
}

fn exit_if(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(INVALID)
    } else {
        ExitCode::SUCCESS
    }
}

fn list(context: &Context, repos: &[RepoSpec], output: OutputFormat) -> Result<ExitCode, Failure> {
    let rows: Vec<SiteRow> = list_sites(repos)
        .or_fail()?
        .into_iter()
        .map(|site| SiteRow {
            name: site.name,
            site_type: site.site_type,
            repo: site.repo,
            definition: site.definition.display().to_string(),
        })
        .collect();
    emit(&context.redactor, output, &rows, sites_table).map_err(output_failure)?;
    Ok(ExitCode::SUCCESS)
}

fn explain(
    context: &Context,
    rendered: &RenderedSite,
    document: &str,
    path: Option<&str>,
    output: OutputFormat,
) -> Result<ExitCode, Failure> {
    if rendered.documents().len() == 0 && rendered.count(Severity::Error) > 0 {
        print_diagnostics(context, rendered, rendered.diagnostics(), Severity::Error);
        return Ok(ExitCode::from(INVALID));
    }
    let reference: DocumentRef = document.parse().or_fail()?;
    let view = rendered.lookup(&reference).or_fail()?;
    let path = match path {
        Some(text) => DocPath::parse(text).map_err(Failure::usage)?,
        None => DocPath::root(),
    };
    let leaves = rendered.explain(&view, &path).or_fail()?;
    let rows: Vec<ExplainRow> = leaves
        .iter()
        .map(|leaf| {
            let (how, via) = match &leaf.how {
                How::Own => ("own", None),
                How::Parent { from } => ("parent", Some(rendered.describe(*from))),
                How::Substitution {
                    by,
                    substitution,
                    source,
                    pattern,
                } => (
                    if *pattern {
                        "substitution (pattern)"
                    } else {
                        "substitution"
                    },
                    Some(format!(
                        "{} substitutions[{substitution}] from {}",
                        rendered.describe(*by),
                        rendered.describe(*source)
                    )),
                ),
                How::Created => ("created", None),
            };
            ExplainRow {
                path: leaf.path.to_string(),
                value: if leaf.secret {
                    redacted_value(&leaf.value, &context.redactor)
                } else {
                    leaf.value.clone()
                },
                secret: leaf.secret,
                how,
                via,
                written_by: leaf.written_by.map(|index| rendered.describe(index)),
                location: leaf
                    .location
                    .as_ref()
                    .map(|location| rendered.place(location)),
            }
        })
        .collect();
    emit(&context.redactor, output, &rows, explain_table).map_err(output_failure)?;
    Ok(ExitCode::SUCCESS)
}

fn compat(
    context: &Context,
    repos: &[RepoSpec],
    site: &str,
    keys: &KeyArgs,
    output: OutputFormat,
) -> Result<ExitCode, Failure> {
    let snapshot = Snapshot::collect(repos, site, None).or_fail()?;
    let request = |mode| Request {
        repos,
        site,
        keys,
        mode,
        validate: false,
        validate_metadata: true,
        allow_encrypted: true,
    };
    let aerostat = request(Mode::Aerostat).render_snapshot(context, &snapshot)?;
    let deckhand = request(Mode::Deckhand).render_snapshot(context, &snapshot)?;
    for (label, rendered) in [("aerostat", &aerostat), ("deckhand", &deckhand)] {
        if rendered.count(Severity::Error) > 0 {
            eprintln!("aero: the {label} render has {}:", counts(rendered));
            print_diagnostics(context, rendered, rendered.diagnostics(), Severity::Error);
        }
    }
    let report = aerostat.compat_report(&deckhand);
    let shown = |leaf: &Option<aero_docs::explain::Leaf>| match leaf {
        None => serde_json::Value::Null,
        Some(leaf) if leaf.secret => redacted_value(&leaf.value, &context.redactor),
        Some(leaf) => leaf.value.clone(),
    };
    let mut rows: Vec<CompatRow> = report
        .differences
        .iter()
        .map(|difference| CompatRow {
            document: format!("{}/{}", difference.schema, difference.name),
            path: Some(difference.path.clone()),
            aerostat: shown(&difference.aerostat),
            deckhand: shown(&difference.deckhand),
            cause: difference.cause.to_string(),
            location: difference
                .deckhand
                .as_ref()
                .or(difference.aerostat.as_ref())
                .and_then(|leaf| leaf.location.as_ref())
                .map(|location| aerostat.place(location)),
        })
        .collect();
    rows.extend(
        report
            .missing
            .iter()
            .map(|(schema, name, missing_from)| CompatRow {
                document: format!("{schema}/{name}"),
                path: None,
                aerostat: serde_json::Value::Null,
                deckhand: serde_json::Value::Null,
                cause: format!("missing from the {missing_from} render"),
                location: None,
            }),
    );
    emit(&context.redactor, output, &rows, compat_table).map_err(output_failure)?;
    Ok(exit_if(
        aerostat.count(Severity::Error) > 0 || deckhand.count(Severity::Error) > 0,
    ))
}

fn diff_output(
    site: &str,
    from: &str,
    to: Option<&str>,
    before: &RenderedSite,
    after: &RenderedSite,
) -> SiteDiffOutput {
    let result = after.diff_from(before);
    let value = |value: &FieldValue| match value {
        FieldValue::Secret => serde_json::Value::String("(secret)".into()),
        FieldValue::Clear(json) => json.clone(),
    };
    let documents = |documents: &[aero_docs::diff::DocumentDiff]| -> Vec<DocumentChanges> {
        documents
            .iter()
            .map(|document| DocumentChanges {
                schema: document.schema.clone(),
                name: document.name.clone(),
                secret: document.secret,
                changes: document
                    .changes
                    .iter()
                    .map(|change| match change {
                        FieldChange::Added { path, value: added } => FieldChangeOutput::Added {
                            path: path.clone(),
                            value: value(added),
                        },
                        FieldChange::Removed {
                            path,
                            value: removed,
                        } => FieldChangeOutput::Removed {
                            path: path.clone(),
                            value: value(removed),
                        },
                        FieldChange::Changed {
                            path,
                            before,
                            after,
                        } => FieldChangeOutput::Changed {
                            path: path.clone(),
                            before: value(before),
                            after: value(after),
                        },
                    })
                    .collect(),
            })
            .collect()
    };
    let revision = |side: &RenderedSite| side.revision_id().map(str::to_string);
    SiteDiffOutput {
        site: site.to_string(),
        from: DiffSide {
            reference: from.to_string(),
            revision: revision(before),
        },
        to: DiffSide {
            reference: to.unwrap_or("(working tree)").to_string(),
            revision: revision(after),
        },
        added: documents(&result.added),
        removed: documents(&result.removed),
        changed: documents(&result.changed),
    }
}
