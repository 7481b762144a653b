//! `aero site ...`: the verbs over a Pegleg-style site (list, lint, render, validate,
//! explain, diff).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aero_docs::collect::{RepoSpec, collect_site, list_sites};
use aero_docs::diagnostic::Severity;
use aero_docs::diff::{FieldChange, FieldValue};
use aero_docs::explain::How;
use aero_docs::lint::LintConfig;
use aero_docs::path::DocPath;
use anyhow::{Context as _, anyhow};
use clap::{Args, Subcommand};

use crate::context::Context;
use crate::docs::{Compat, KeyArgs, Pipeline, decryptor, document_format, mode_of, print_render};
use crate::exit::{Failure, INVALID};
use crate::format::{OutputFormat, Table, print_value, write_stdout};

/// Arguments of `aero site`.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// A manifests repository as NAME=PATH or PATH (repeatable; default: site-manifests).
    #[arg(long = "repo", global = true, value_name = "NAME=PATH")]
    repos: Vec<String>,
    #[command(subcommand)]
    command: SiteCommand,
}

#[derive(Debug, Subcommand)]
enum SiteCommand {
    /// List the sites of the repositories.
    List {
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
    },
    /// Check a site: structure, render, schemas and Pegleg's lint rules.
    Lint {
        /// Site name.
        site: String,
        /// Leave out findings with this code (P001...P009, D001, D002, A001...; repeatable).
        #[arg(long, short = 'x', value_name = "CODE")]
        exclude: Vec<String>,
        /// Report findings with this code as warnings (repeatable).
        #[arg(long, short = 'w', value_name = "CODE")]
        warn: Vec<String>,
        /// Render with another tool's semantics.
        #[arg(long, value_enum, value_name = "TOOL")]
        compat: Option<Compat>,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Render a site: every concrete document, secrets included (see --redact).
    Render {
        /// Site name.
        site: String,
        /// Skip schema validation.
        #[arg(long)]
        no_validate: bool,
        /// Render with another tool's semantics.
        #[arg(long, value_enum, value_name = "TOOL")]
        compat: Option<Compat>,
        /// Instead of documents, list every value where Aerostat's and Deckhand's semantics differ.
        #[arg(long)]
        compat_report: bool,
        /// Replace secret values with keyed hashes.
        #[arg(long)]
        redact: bool,
        /// Output format (table only with --compat-report).
        #[arg(short, long, value_enum, default_value = "yaml")]
        output: OutputFormat,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Render and validate a site; print its revision id.
    Validate {
        /// Site name.
        site: String,
        /// Render with another tool's semantics.
        #[arg(long, value_enum, value_name = "TOOL")]
        compat: Option<Compat>,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Show where every value of a rendered document came from.
    Explain {
        /// Site name.
        site: String,
        /// The document: SCHEMA/NAME, e.g. armada/Chart/v2/keystone (the version may be left out).
        document: String,
        /// Path inside the document's data (default: all of it), e.g. .values.endpoints.
        path: Option<String>,
        /// Render with another tool's semantics.
        #[arg(long, value_enum, value_name = "TOOL")]
        compat: Option<Compat>,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Compare two renders of a site: added, removed and changed documents and fields.
    Diff {
        /// Site name.
        site: String,
        /// The earlier state: a git revision of the manifests repository, or a folder.
        #[arg(long, value_name = "REF")]
        from: String,
        /// The later state (default: the files as they are now).
        #[arg(long, value_name = "REF")]
        to: Option<String>,
        /// With several repositories, the one REF applies to (default: the site's own).
        #[arg(long, value_name = "NAME")]
        ref_repo: Option<String>,
        /// Render with another tool's semantics.
        #[arg(long, value_enum, value_name = "TOOL")]
        compat: Option<Compat>,
        /// Exit with 1 when the renders differ.
        #[arg(long)]
        exit_code: bool,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
        #[command(flatten)]
        keys: KeyArgs,
    },
}

fn repos(specs: &[String]) -> Result<Vec<RepoSpec>, Failure> {
    if specs.is_empty() {
        return Ok(vec![RepoSpec {
            name: "site-manifests".into(),
            path: PathBuf::from("site-manifests"),
        }]);
    }
    specs
        .iter()
        .map(|spec| {
            RepoSpec::parse(spec).map_err(|error| Failure::usage(anyhow::Error::new(error)))
        })
        .collect()
}

fn collect(repos: &[RepoSpec], site: &str) -> Result<aero_docs::collect::CollectedSite, Failure> {
    collect_site(repos, site).map_err(|error| Failure::from(anyhow::Error::new(error)))
}

/// Collects and renders a site with the keys given (validating when asked; without a
/// key, `allow_encrypted` renders secrets as opaque placeholders instead of failing).
fn render_site(
    context: &Context,
    repos: &[RepoSpec],
    site: &str,
    keys: &KeyArgs,
    compat: Option<Compat>,
    validate: bool,
    allow_encrypted: bool,
) -> Result<Pipeline, Failure> {
    let collected = collect(repos, site)?;
    let decryptor = decryptor(keys, &roots(repos))?;
    Ok(Pipeline::run(
        context,
        collected.sources,
        mode_of(compat),
        validate,
        &decryptor,
        allow_encrypted,
    ))
}

fn roots(repos: &[RepoSpec]) -> Vec<PathBuf> {
    repos.iter().map(|repo| repo.path.clone()).collect()
}

/// Runs an `aero site` verb.
pub fn run(context: &Context, args: SiteArgs) -> Result<ExitCode, Failure> {
    let repos = repos(&args.repos)?;
    match args.command {
        SiteCommand::List { output } => list(&repos, output),
        SiteCommand::Lint {
            site,
            exclude,
            warn,
            compat,
            output,
            keys,
        } => {
            let pipeline = render_site(context, &repos, &site, &keys, compat, true, true)?;
            let config = LintConfig {
                exclude,
                warn,
                check_encryption: true,
            };
            let validation: Vec<_> =
                pipeline.diagnostics[pipeline.rendered.diagnostics.len()..].to_vec();
            let findings =
                aero_docs::lint::lint(&pipeline.sources, &pipeline.rendered, &validation, &config);
            let errors = findings
                .iter()
                .filter(|finding| finding.severity == Severity::Error)
                .count();
            match output {
                OutputFormat::Table => {
                    pipeline.print_diagnostics(context, &findings, Severity::Note);
                    let warnings = findings
                        .iter()
                        .filter(|finding| finding.severity == Severity::Warning)
                        .count();
                    eprintln!("site {site}: {errors} error(s), {warnings} warning(s)");
                }
                format => {
                    let view = pipeline.view();
                    let items: Vec<_> = findings
                        .iter()
                        .map(|finding| view.json(finding, &context.redactor))
                        .collect();
                    print_value(format, &serde_json::Value::Array(items)).map_err(io_failure)?;
                }
            }
            Ok(if errors > 0 {
                ExitCode::from(INVALID)
            } else {
                ExitCode::SUCCESS
            })
        }
        SiteCommand::Render {
            site,
            no_validate,
            compat,
            compat_report,
            redact,
            output,
            keys,
        } => {
            let collected = collect(&repos, &site)?;
            let decryptor = decryptor(&keys, &roots(&repos))?;
            if compat_report {
                return print_compat_report(context, collected.sources, &decryptor, output);
            }
            let output = document_format(output)?;
            let pipeline = Pipeline::run(
                context,
                collected.sources,
                mode_of(compat),
                !no_validate,
                &decryptor,
                false,
            );
            print_render(context, &pipeline, output, redact)
        }
        SiteCommand::Validate {
            site,
            compat,
            output,
            keys,
        } => {
            let pipeline = render_site(context, &repos, &site, &keys, compat, true, false)?;
            let valid = !pipeline.has_errors();
            let revision = valid.then(|| aero_docs::revision::revision_id(&pipeline.rendered));
            match output {
                OutputFormat::Table => {
                    pipeline.print_diagnostics(context, &pipeline.diagnostics, Severity::Warning);
                    match &revision {
                        Some(revision) => println!(
                            "site {site}: {} documents valid\nrevision {revision}",
                            pipeline.rendered.output.len()
                        ),
                        None => eprintln!("site {site}: invalid"),
                    }
                }
                format => {
                    let view = pipeline.view();
                    let diagnostics: Vec<_> = pipeline
                        .diagnostics
                        .iter()
                        .map(|diagnostic| view.json(diagnostic, &context.redactor))
                        .collect();
                    print_value(
                        format,
                        &serde_json::json!({
                            "site": site,
                            "valid": valid,
                            "documents": pipeline.rendered.output.len(),
                            "revision": revision,
                            "diagnostics": diagnostics,
                        }),
                    )
                    .map_err(io_failure)?;
                }
            }
            Ok(if valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(INVALID)
            })
        }
        SiteCommand::Explain {
            site,
            document,
            path,
            compat,
            output,
            keys,
        } => {
            let pipeline = render_site(context, &repos, &site, &keys, compat, false, true)?;
            explain(context, &pipeline, &document, path.as_deref(), output)
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
        } => diff(
            context,
            &repos,
            &site,
            &from,
            to.as_deref(),
            ref_repo.as_deref(),
            compat,
            exit_code,
            output,
            &keys,
        ),
    }
}

fn io_failure(error: std::io::Error) -> Failure {
    Failure::operational(anyhow::Error::new(error).context("cannot write the output"))
}

fn list(repos: &[RepoSpec], output: OutputFormat) -> Result<ExitCode, Failure> {
    let sites = list_sites(repos).map_err(|error| Failure::from(anyhow::Error::new(error)))?;
    match output {
        OutputFormat::Table => {
            let mut table = Table::new(&["NAME", "TYPE", "REPO", "DEFINITION"]);
            for site in &sites {
                table.row(vec![
                    site.name.clone(),
                    site.site_type.clone().unwrap_or_else(|| "?".into()),
                    site.repo.clone(),
                    site.definition.display().to_string(),
                ]);
            }
            write_stdout(&table.render()).map_err(io_failure)?;
        }
        format => {
            let items: Vec<_> = sites
                .iter()
                .map(|site| {
                    serde_json::json!({
                        "name": site.name,
                        "site_type": site.site_type,
                        "repo": site.repo,
                        "definition": site.definition.display().to_string(),
                    })
                })
                .collect();
            print_value(format, &serde_json::Value::Array(items)).map_err(io_failure)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Splits `ns/Kind/vN/name` (or `ns/Kind/name`) into schema and name.
fn parse_document_ref(text: &str) -> Result<(String, String), Failure> {
    let parts: Vec<&str> = text.split('/').collect();
    if parts.len() >= 4
        && parts[2].starts_with('v')
        && parts[2][1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
    {
        return Ok((parts[..3].join("/"), parts[3..].join("/")));
    }
    if parts.len() >= 3 {
        return Ok((parts[..2].join("/"), parts[2..].join("/")));
    }
    Err(Failure::usage(anyhow!(
        "document `{text}`: expected SCHEMA/NAME such as armada/Chart/v2/keystone"
    )))
}

fn explain(
    context: &Context,
    pipeline: &Pipeline,
    document: &str,
    path: Option<&str>,
    output: OutputFormat,
) -> Result<ExitCode, Failure> {
    let rendered = &pipeline.rendered;
    if rendered.output.is_empty() && pipeline.has_errors() {
        pipeline.print_diagnostics(context, &pipeline.diagnostics, Severity::Error);
        return Ok(ExitCode::from(INVALID));
    }
    let (schema, name) = parse_document_ref(document)?;
    let index = aero_docs::explain::find_document(rendered, &schema, &name)
        .map_err(|error| Failure::usage(anyhow::Error::new(error)))?;
    let path = match path {
        Some(text) => {
            DocPath::parse(text).map_err(|error| Failure::usage(anyhow::Error::new(error)))?
        }
        None => DocPath::root(),
    };
    let leaves = aero_docs::explain::explain(rendered, index, &path)
        .map_err(|error| Failure::usage(anyhow::Error::new(error)))?;
    let view = pipeline.view();
    let describe =
        |document: aero_docs::document::DocIndex| rendered.document(document).doc_ref().to_string();
    let rows: Vec<serde_json::Value> = leaves
        .iter()
        .map(|leaf| {
            let value = if leaf.secret {
                match &leaf.value {
                    serde_json::Value::String(text) => {
                        let scrubbed = context.redactor.scrub(text);
                        serde_json::Value::String(if scrubbed == *text {
                            context.redactor.token(text)
                        } else {
                            scrubbed
                        })
                    }
                    other => serde_json::Value::String(context.redactor.token(&other.to_string())),
                }
            } else {
                leaf.value.clone()
            };
            let (how, via) = match &leaf.how {
                How::Own => ("own", None),
                How::Parent { from } => ("parent", Some(describe(*from))),
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
                        describe(*by),
                        describe(*source)
                    )),
                ),
                How::Created => ("created", None),
            };
            serde_json::json!({
                "path": leaf.path.to_string(),
                "value": value,
                "secret": leaf.secret,
                "how": how,
                "via": via,
                "written_by": leaf.written_by.map(describe),
                "location": leaf.location.as_ref().map(|location| view.place(location)),
            })
        })
        .collect();
    match output {
        OutputFormat::Table => {
            let mut table = Table::new(&["PATH", "VALUE", "HOW", "SET BY", "LOCATION"]);
            for row in &rows {
                let value = match &row["value"] {
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                let set_by = row["via"]
                    .as_str()
                    .or(row["written_by"].as_str())
                    .unwrap_or("")
                    .to_string();
                table.row(vec![
                    row["path"].as_str().unwrap_or("").to_string(),
                    value,
                    row["how"].as_str().unwrap_or("").to_string(),
                    set_by,
                    row["location"].as_str().unwrap_or("").to_string(),
                ]);
            }
            write_stdout(&context.redactor.scrub(&table.render())).map_err(io_failure)?;
        }
        format => print_value(format, &serde_json::Value::Array(rows)).map_err(io_failure)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_compat_report(
    context: &Context,
    sources: aero_docs::source::SourceSet,
    decryptor: &aero_secrets::decryptor::AgeDecryptor,
    output: OutputFormat,
) -> Result<ExitCode, Failure> {
    let aerostat = Pipeline::run(
        context,
        sources.clone(),
        aero_docs::render::Mode::Aerostat,
        false,
        decryptor,
        true,
    );
    let deckhand = Pipeline::run(
        context,
        sources,
        aero_docs::render::Mode::Deckhand,
        false,
        decryptor,
        true,
    );
    for (label, pipeline) in [("aerostat", &aerostat), ("deckhand", &deckhand)] {
        if pipeline.has_errors() {
            eprintln!("aero: the {label} render has errors:");
            pipeline.print_diagnostics(context, &pipeline.diagnostics, Severity::Error);
        }
    }
    let report = aero_docs::compat::compat_report(&aerostat.rendered, &deckhand.rendered);
    let view = aerostat.view();
    let shown = |leaf: &Option<aero_docs::explain::Leaf>,
                 rendered: &aero_docs::render::Rendered|
     -> serde_json::Value {
        match leaf {
            None => serde_json::Value::Null,
            Some(leaf) if leaf.secret => {
                serde_json::Value::String(context.redactor.token(&leaf.value.to_string()))
            }
            Some(leaf) => {
                let _ = rendered;
                leaf.value.clone()
            }
        }
    };
    let items: Vec<serde_json::Value> = report
        .differences
        .iter()
        .map(|difference| {
            serde_json::json!({
                "document": format!("{}/{}", difference.schema, difference.name),
                "path": difference.path,
                "aerostat": shown(&difference.aerostat, &aerostat.rendered),
                "deckhand": shown(&difference.deckhand, &deckhand.rendered),
                "cause": difference.cause,
                "location": difference.deckhand.as_ref().or(difference.aerostat.as_ref()).and_then(|leaf| leaf.location.as_ref()).map(|location| view.place(location)),
            })
        })
        .chain(report.missing.iter().map(|(schema, name, missing_from)| {
            serde_json::json!({"document": format!("{schema}/{name}"), "missing_from": missing_from})
        }))
        .collect();
    match output {
        OutputFormat::Table => {
            if items.is_empty() {
                println!(
                    "no differences: the site renders to the same data in Aerostat's and Deckhand's modes"
                );
            } else {
                let mut table = Table::new(&[
                    "DOCUMENT", "PATH", "AEROSTAT", "DECKHAND", "CAUSE", "LOCATION",
                ]);
                for item in &items {
                    let cell = |key: &str| match &item[key] {
                        serde_json::Value::Null => "-".to_string(),
                        serde_json::Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    table.row(vec![
                        cell("document"),
                        cell("path"),
                        cell("aerostat"),
                        cell("deckhand"),
                        cell("cause"),
                        cell("location"),
                    ]);
                }
                write_stdout(&context.redactor.scrub(&table.render())).map_err(io_failure)?;
            }
        }
        format => print_value(format, &serde_json::Value::Array(items)).map_err(io_failure)?,
    }
    let failed = aerostat.has_errors() || deckhand.has_errors();
    Ok(if failed {
        ExitCode::from(INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

/// A checkout of a git revision (or a folder) standing in for one repository.
struct RefTree {
    path: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

fn materialise(repo: &RepoSpec, reference: &str) -> Result<RefTree, Failure> {
    let as_folder = Path::new(reference);
    if as_folder.is_dir() {
        return Ok(RefTree {
            path: as_folder.to_path_buf(),
            _temp: None,
        });
    }
    let git = |args: &[&str], cwd: &Path| -> Result<Vec<u8>, Failure> {
        let output = std::process::Command::new("git")
            .args(args)
            .current_dir(cwd)
            .output()
            .map_err(|error| {
                Failure::operational(anyhow::Error::new(error).context("cannot run git"))
            })?;
        if !output.status.success() {
            return Err(Failure::usage(anyhow!(
                "`{reference}` is neither a folder nor a git revision of {}: git {}: {}",
                repo.path.display(),
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(output.stdout)
    };
    let top = String::from_utf8_lossy(&git(&["rev-parse", "--show-toplevel"], &repo.path)?)
        .trim()
        .to_string();
    let prefix = String::from_utf8_lossy(&git(&["rev-parse", "--show-prefix"], &repo.path)?)
        .trim()
        .to_string();
    git(
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
        &repo.path,
    )?;
    let temp = tempfile::tempdir()
        .context("cannot create a temporary folder")
        .map_err(Failure::operational)?;
    let mut archive_args = vec!["archive", "--format=tar", reference];
    if !prefix.is_empty() {
        archive_args.push(prefix.as_str());
    }
    let tar = git(&archive_args, Path::new(&top))?;
    let mut child = std::process::Command::new("tar")
        .args(["-x", "-C"])
        .arg(temp.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("cannot run tar")
        .map_err(Failure::operational)?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(&tar)
            .context("cannot feed tar")
            .map_err(Failure::operational)?;
    }
    let status = child
        .wait()
        .context("tar failed")
        .map_err(Failure::operational)?;
    if !status.success() {
        return Err(Failure::operational(anyhow!(
            "tar could not extract the archive of {reference}"
        )));
    }
    Ok(RefTree {
        path: temp.path().join(prefix.trim_end_matches('/')),
        _temp: Some(temp),
    })
}

#[allow(clippy::too_many_arguments)]
fn diff(
    context: &Context,
    repos: &[RepoSpec],
    site: &str,
    from: &str,
    to: Option<&str>,
    ref_repo: Option<&str>,
    compat: Option<Compat>,
    exit_code: bool,
    output: OutputFormat,
    keys: &KeyArgs,
) -> Result<ExitCode, Failure> {
    let current = collect(repos, site)?;
    let target_name = match ref_repo {
        Some(name) => {
            if !repos.iter().any(|repo| repo.name == name) {
                return Err(Failure::usage(anyhow!(
                    "--ref-repo {name}: no repository of that name (see --repo)"
                )));
            }
            name.to_string()
        }
        None => current.sources.get(current.definition).repo.clone(),
    };
    let decryptor = decryptor(keys, &roots(repos))?;
    let side = |reference: Option<&str>| -> Result<(Pipeline, Option<RefTree>), Failure> {
        let mut side_repos = repos.to_vec();
        let mut tree = None;
        if let Some(reference) = reference {
            let repo = side_repos
                .iter_mut()
                .find(|repo| repo.name == target_name)
                .ok_or_else(|| Failure::usage(anyhow!("no repository {target_name}")))?;
            let materialised = materialise(repo, reference)?;
            repo.path = materialised.path.clone();
            tree = Some(materialised);
        }
        let collected = collect(&side_repos, site)?;
        Ok((
            Pipeline::run(
                context,
                collected.sources,
                mode_of(compat),
                false,
                &decryptor,
                true,
            ),
            tree,
        ))
    };
    let (before, _before_tree) = side(Some(from))?;
    let (after, _after_tree) = side(to)?;
    for (label, pipeline) in [("--from", &before), ("--to", &after)] {
        if pipeline.has_errors() {
            eprintln!("aero: the {label} side does not render:");
            pipeline.print_diagnostics(context, &pipeline.diagnostics, Severity::Error);
            return Ok(ExitCode::from(INVALID));
        }
    }
    let result = aero_docs::diff::diff(&before.rendered, &after.rendered);
    let value_text = |value: &FieldValue| match value {
        FieldValue::Secret => serde_json::Value::String("(secret)".into()),
        FieldValue::Clear(json) => json.clone(),
    };
    let changes_json = |changes: &[FieldChange]| -> Vec<serde_json::Value> {
        changes
            .iter()
            .map(|change| match change {
                FieldChange::Added { path, value } => serde_json::json!({"change": "added", "path": path, "value": value_text(value)}),
                FieldChange::Removed { path, value } => serde_json::json!({"change": "removed", "path": path, "value": value_text(value)}),
                FieldChange::Changed { path, before, after } => {
                    serde_json::json!({"change": "changed", "path": path, "before": value_text(before), "after": value_text(after)})
                }
            })
            .collect()
    };
    let document_json = |document: &aero_docs::diff::DocumentDiff| {
        serde_json::json!({
            "schema": document.schema,
            "name": document.name,
            "secret": document.secret,
            "changes": changes_json(&document.changes),
        })
    };
    let summary = serde_json::json!({
        "site": site,
        "from": { "ref": from, "revision": aero_docs::revision::revision_id(&before.rendered) },
        "to": { "ref": to.unwrap_or("(working tree)"), "revision": aero_docs::revision::revision_id(&after.rendered) },
        "added": result.added.iter().map(document_json).collect::<Vec<_>>(),
        "removed": result.removed.iter().map(document_json).collect::<Vec<_>>(),
        "changed": result.changed.iter().map(document_json).collect::<Vec<_>>(),
    });
    match output {
        OutputFormat::Table => {
            let mut text = format!(
                "site {site}: {} -> {}\n  from {}\n  to   {}\n",
                from,
                to.unwrap_or("(working tree)"),
                summary["from"]["revision"].as_str().unwrap_or(""),
                summary["to"]["revision"].as_str().unwrap_or("")
            );
            if result.is_empty() {
                text.push_str("no differences\n");
            }
            for document in &result.added {
                text.push_str(&format!("+ {}/{}\n", document.schema, document.name));
            }
            for document in &result.removed {
                text.push_str(&format!("- {}/{}\n", document.schema, document.name));
            }
            for document in &result.changed {
                text.push_str(&format!(
                    "~ {}/{}{}\n",
                    document.schema,
                    document.name,
                    if document.secret { " (secret)" } else { "" }
                ));
                for change in changes_json(&document.changes) {
                    let shown = |key: &str| match &change[key] {
                        serde_json::Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    match change["change"].as_str() {
                        Some("added") => {
                            text.push_str(&format!("    + {}: {}\n", shown("path"), shown("value")))
                        }
                        Some("removed") => {
                            text.push_str(&format!("    - {}: {}\n", shown("path"), shown("value")))
                        }
                        _ => text.push_str(&format!(
                            "    ~ {}: {} -> {}\n",
                            shown("path"),
                            shown("before"),
                            shown("after")
                        )),
                    }
                }
            }
            write_stdout(&context.redactor.scrub(&text)).map_err(io_failure)?;
        }
        format => {
            let text = serde_json::to_string(&summary).unwrap_or_default();
            let scrubbed: serde_json::Value =
                serde_json::from_str(&context.redactor.scrub(&text)).unwrap_or(summary);
            print_value(format, &scrubbed).map_err(io_failure)?;
        }
    }
    Ok(if exit_code && !result.is_empty() {
        ExitCode::from(INVALID)
    } else {
        ExitCode::SUCCESS
    })
}
