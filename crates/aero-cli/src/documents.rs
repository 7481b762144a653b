//! What every document verb shares: the `--compat` and `--identity` flags, printing
//! diagnostics once, and printing rendered documents (the `render` contract).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use aero_docs::diagnostic::{Diagnostic, Severity};
use aero_site::{Mode, RenderedSite};
use clap::{Args, ValueEnum};

use crate::context::Context;
use crate::diagnostics_view::SourceView;
use crate::exit::{Failure, INVALID, output_failure};
use crate::format::{ignore_broken_pipe, stdout_is_terminal};

/// `--compat` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Compat {
    /// Reproduce Deckhand's behaviour, quirks included.
    Deckhand,
}

/// The semantics selected by `--compat`.
pub fn mode_of(compat: Option<Compat>) -> Mode {
    match compat {
        Some(Compat::Deckhand) => Mode::Deckhand,
        None => Mode::Aerostat,
    }
}

/// Flags that say how to open encrypted secrets.
#[derive(Debug, Args, Clone, Default)]
pub struct KeyArgs {
    /// age identity file to decrypt secrets with (repeatable). Default: $AERO_AGE_IDENTITY,
    /// $AERO_AGE_IDENTITY_FILE, else the repository's insecure demo key if it has one.
    #[arg(long = "identity", value_name = "FILE")]
    pub identities: Vec<PathBuf>,
}

/// `-o` of verbs that print documents: tables cannot hold them, so the parser offers
/// only these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DocumentFormat {
    /// A multi-document YAML stream.
    Yaml,
    /// One pretty JSON array.
    Json,
}

/// Prints diagnostics of at least `minimum` severity to stderr, for people, sorted by
/// place (syntax errors, which make the rest meaningless, sort first within a file).
pub fn print_diagnostics(
    context: &Context,
    site: &RenderedSite,
    diagnostics: &[Diagnostic],
    minimum: Severity,
) {
    let view = SourceView::of(site);
    let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut sorted: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity >= minimum)
        .collect();
    sorted.sort_by(|left, right| left.sort_key().cmp(&right.sort_key()));
    for diagnostic in sorted {
        eprint!("{}", view.human(diagnostic, &context.redactor, color));
    }
}

/// Diagnostics as one JSON array (for `-o json`), redacted.
pub fn diagnostics_json(
    context: &Context,
    site: &RenderedSite,
    diagnostics: &[Diagnostic],
) -> Vec<serde_json::Value> {
    let view = SourceView::of(site);
    diagnostics
        .iter()
        .map(|diagnostic| view.json(diagnostic, &context.redactor))
        .collect()
}

/// `N error(s), M warning(s)` of a render.
pub fn counts(site: &RenderedSite) -> String {
    format!(
        "{} error(s), {} warning(s)",
        site.count(Severity::Error),
        site.count(Severity::Warning)
    )
}

/// Prints rendered documents (the `render` contract) or the diagnostics that prevent it.
///
/// The render is the last thing the process holds: it is not freed (the process exits
/// next), since tearing down a 10,000-document arena node by node cost 4 % of the run.
pub fn print_render(
    context: &Context,
    site: RenderedSite,
    format: DocumentFormat,
    redact: bool,
) -> Result<ExitCode, Failure> {
    let site = std::mem::ManuallyDrop::new(site);
    let site: &RenderedSite = &site;
    if !site.is_valid() {
        if format == DocumentFormat::Json {
            // Tools asked for JSON: the diagnostics come as one JSON array on stderr
            // (stdout stays reserved for documents).
            let items = diagnostics_json(context, site, site.diagnostics());
            eprintln!("{}", serde_json::Value::Array(items));
            return Ok(ExitCode::from(INVALID));
        }
        print_diagnostics(context, site, site.diagnostics(), Severity::Warning);
        eprintln!(
            "aero: render failed with {}; nothing was printed",
            counts(site)
        );
        return Ok(ExitCode::from(INVALID));
    }
    print_diagnostics(context, site, site.diagnostics(), Severity::Warning);
    if !redact && stdout_is_terminal() && site.has_secrets() {
        eprintln!("aero: warning: the output contains secret values; pass --redact to hide them");
    }
    write_documents(context, site, format, redact).map_err(output_failure)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the output documents to stdout, one document at a time: a large site's output
/// is several times the size of its rendered data, and holding it all as JSON values
/// doubled `aero render`'s memory. A closed pipe (`aero render | head`) ends the output
/// quietly.
fn write_documents(
    context: &Context,
    site: &RenderedSite,
    format: DocumentFormat,
    redact: bool,
) -> std::io::Result<()> {
    let shown = |document: aero_site::DocumentView<'_>| {
        if redact {
            document.to_redacted_json(&context.redactor)
        } else {
            document.to_json()
        }
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        DocumentFormat::Json => aero_site::write_json_documents(
            &mut stdout,
            site.documents().map(|document| {
                if redact {
                    aero_site::JsonDocument::Tree(document.to_redacted_json(&context.redactor))
                } else {
                    aero_site::JsonDocument::Rendered(document.json())
                }
            }),
        ),
        DocumentFormat::Yaml => {
            let mut result = Ok(());
            for document in site.documents() {
                result = stdout.write_all(aero_yaml::document_to_yaml(&shown(document)).as_bytes());
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() && site.documents().len() > 0 {
                result = stdout.write_all(aero_yaml::STREAM_END.as_bytes());
            }
            result
        }
    };
    ignore_broken_pipe(written.and_then(|()| stdout.flush()))
}

/// Renders `site` from `repos` with the operator's keys, the way every verb that acts on
/// a site's machines needs it: validated, secrets registered for redaction. A site that
/// does not render cleanly prints its errors and fails (exit 1), naming `purpose`.
pub fn render_valid_site(
    context: &Context,
    repos: &[aero_docs::collect::RepoSpec],
    site: &str,
    identities: &[PathBuf],
    purpose: &str,
) -> Result<(aero_site::Snapshot, RenderedSite), Failure> {
    use crate::exit::OrFail as _;
    let snapshot = aero_site::Snapshot::collect(repos, site, None).or_fail()?;
    let roots: Vec<_> = repos.iter().map(|repo| repo.path.clone()).collect();
    let keys = context.keys(identities, &roots)?;
    let rendered = snapshot.render(
        &keys,
        &aero_deploy::provider::render_options(&context.redactor),
    );
    if !rendered.is_valid() || rendered.revision_id().is_none() {
        print_diagnostics(context, &rendered, rendered.diagnostics(), Severity::Error);
        return Err(Failure {
            error: anyhow::anyhow!(
                "site {site} does not render cleanly ({}): {purpose}",
                counts(&rendered)
            ),
            code: INVALID,
        });
    }
    Ok((snapshot, rendered))
}

/// The stand-ins recorded for `site` (a lab that is up), saying on stderr that the
/// command targets them; `None` when the site's documents say where its machines are.
pub fn lab_overrides(
    context: &Context,
    site: &str,
) -> Result<Option<aero_baremetal::TargetOverrides>, Failure> {
    use crate::exit::OrFail as _;
    let overrides = aero_lab::active_targets(&context.state_dir, site).or_fail()?;
    if overrides.is_some() {
        eprintln!(
            "aero: site {site}: targeting the local lab's stand-ins (`aero lab down {site}` to target the real machines)"
        );
    }
    Ok(overrides)
}

/// The site's host model as a command on its machines uses it: pointed at the lab's
/// stand-ins while a lab is up.
pub fn site_model(
    context: &Context,
    site: &str,
    rendered: &RenderedSite,
) -> Result<aero_baremetal::HostModel, Failure> {
    use crate::exit::OrFail as _;
    let mut model = aero_baremetal::HostModel::from_site(rendered).or_fail()?;
    if let Some(overrides) = lab_overrides(context, site)? {
        model.apply_overrides(site, &overrides).or_fail()?;
    }
    Ok(model)
}
