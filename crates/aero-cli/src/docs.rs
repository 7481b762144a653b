//! `aero render` and the render pipeline every document verb shares:
//! sources -> render -> validate, with secrets registered for redaction and
//! diagnostics printed once.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_docs::diagnostic::{Diagnostic, Severity};
use aero_docs::document::DocIndex;
use aero_docs::render::{Mode, RenderConfig, Rendered, render};
use aero_docs::source::SourceSet;
use aero_docs::value::{NodeId, Value};
use aero_secrets::decryptor::AgeDecryptor;
use aero_secrets::keys::Identities;
use anyhow::Context as _;
use clap::{Args, ValueEnum};

use crate::context::Context;
use crate::diagnostics_view::SourceView;
use crate::exit::{Failure, INVALID};
use crate::format::{OutputFormat, ignore_broken_pipe, stdout_is_terminal};

/// `--compat` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Compat {
    /// Reproduce Deckhand's behaviour, quirks included.
    Deckhand,
}

/// Flags that say how to open encrypted secrets.
#[derive(Debug, Args, Clone, Default)]
pub struct KeyArgs {
    /// age identity file to decrypt secrets with (repeatable). Default: $AERO_AGE_IDENTITY,
    /// $AERO_AGE_IDENTITY_FILE, else the repository's insecure demo key if it has one.
    #[arg(long = "identity", value_name = "FILE")]
    pub identities: Vec<PathBuf>,
}

/// Arguments of `aero render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Files or folders of multi-document YAML (*.yaml, *.yml), in the order given.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Skip schema validation of the rendered documents.
    #[arg(long)]
    pub no_validate: bool,
    /// Render with another tool's semantics.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub compat: Option<Compat>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "yaml")]
    pub output: OutputFormat,
    /// Replace secret values with keyed hashes.
    #[arg(long)]
    pub redact: bool,
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// The semantics selected by `--compat`.
pub fn mode_of(compat: Option<Compat>) -> Mode {
    match compat {
        Some(Compat::Deckhand) => Mode::Deckhand,
        None => Mode::Aerostat,
    }
}

/// Builds the decryptor: explicit identities first, else a repository's demo key (with
/// a warning), else one that can only recognise encrypted data.
pub fn decryptor(keys: &KeyArgs, repo_roots: &[PathBuf]) -> Result<AgeDecryptor, Failure> {
    if let Some(identities) = Identities::from_files_or_env(&keys.identities)
        .map_err(|error| Failure::usage(anyhow::Error::new(error)))?
    {
        return Ok(AgeDecryptor::new(identities));
    }
    for root in repo_roots {
        if let Some(identities) = Identities::demo(root)
            .map_err(|error| Failure::operational(anyhow::Error::new(error)))?
        {
            eprintln!(
                "aero: warning: using the INSECURE demo key of {} to decrypt secrets (lab use only)",
                root.display()
            );
            return Ok(AgeDecryptor::new(identities));
        }
    }
    Ok(AgeDecryptor::without_identity())
}

/// A render and its validation.
pub struct Pipeline {
    /// The files read.
    pub sources: SourceSet,
    /// The render.
    pub rendered: Rendered,
    /// Render diagnostics plus validation diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

impl Pipeline {
    /// Renders and (unless `validate` is false) validates `sources`.
    pub fn run(
        context: &Context,
        sources: SourceSet,
        mode: Mode,
        validate: bool,
        decryptor: &AgeDecryptor,
        allow_encrypted: bool,
    ) -> Self {
        let mut config = RenderConfig::new(mode);
        config.decryptor = Some(decryptor);
        config.allow_encrypted = allow_encrypted && decryptor.identities().is_none();
        let started = std::time::Instant::now();
        let rendered = render(&sources, &config);
        context.register_secrets(&rendered.secret_strings);
        let mut diagnostics = rendered.diagnostics.clone();
        if validate {
            diagnostics.extend(aero_docs::validate::validate(&rendered));
        }
        tracing::info!(
            documents = rendered.documents.len(),
            output = rendered.output.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "rendered"
        );
        Self {
            sources,
            rendered,
            diagnostics,
        }
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        aero_docs::diagnostic::has_errors(&self.diagnostics)
    }

    /// How to quote sources in diagnostics.
    pub fn view(&self) -> SourceView<'_> {
        let mut secret_files: Vec<_> = self
            .rendered
            .documents
            .iter()
            .filter(|document| document.is_secret())
            .map(|document| document.source)
            .collect();
        // Files whose documents did not even load are judged by their text.
        for (source_id, file) in self.sources.iter() {
            if may_hold_secrets(&file.text) {
                secret_files.push(source_id);
            }
        }
        secret_files.sort();
        secret_files.dedup();
        SourceView {
            sources: &self.sources,
            secret_files,
        }
    }

    /// Prints diagnostics of at least `minimum` severity to stderr, for people.
    pub fn print_diagnostics(
        &self,
        context: &Context,
        diagnostics: &[Diagnostic],
        minimum: Severity,
    ) {
        let view = self.view();
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

    /// One output document as JSON, secrets redacted when asked.
    pub fn document_json(
        &self,
        context: &Context,
        redact: bool,
        index: DocIndex,
    ) -> serde_json::Value {
        let mut document = self.rendered.document_json(index);
        if redact {
            document["data"] = redacted_json(
                &self.rendered,
                self.rendered.data[index.get()],
                context,
                self.rendered.document(index).is_secret(),
            );
        }
        document
    }
}

/// The output documents as one JSON array, built one document at a time while it is
/// written: a large site's output is several times the size of its rendered data, and
/// holding it all as JSON values doubled `aero render`'s memory.
struct OutputDocuments<'a> {
    pipeline: &'a Pipeline,
    context: &'a Context,
    redact: bool,
}

impl serde::Serialize for OutputDocuments<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.pipeline.rendered.output.iter().map(|index| {
            self.pipeline
                .document_json(self.context, self.redact, *index)
        }))
    }
}

/// How rendered documents are printed: the formats of `-o` that can hold documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentFormat {
    /// One pretty JSON array.
    Json,
    /// A multi-document YAML stream.
    Yaml,
}

/// The document format for `-o`, checked before any work is done (tables cannot hold
/// documents).
pub fn document_format(output: OutputFormat) -> Result<DocumentFormat, Failure> {
    match output {
        OutputFormat::Json => Ok(DocumentFormat::Json),
        OutputFormat::Yaml => Ok(DocumentFormat::Yaml),
        OutputFormat::Table => Err(Failure::usage(anyhow::anyhow!(
            "render prints documents: use -o yaml or -o json"
        ))),
    }
}

/// Writes the output documents to stdout, one document at a time. A closed pipe
/// (`aero render | head`) ends the output quietly.
fn write_documents(
    pipeline: &Pipeline,
    context: &Context,
    redact: bool,
    output: DocumentFormat,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match output {
        DocumentFormat::Json => {
            let documents = OutputDocuments {
                pipeline,
                context,
                redact,
            };
            serde_json::to_writer_pretty(&mut stdout, &documents)
                .map_err(std::io::Error::from)
                .and_then(|()| stdout.write_all(b"\n"))
        }
        DocumentFormat::Yaml => {
            let mut result = Ok(());
            for index in &pipeline.rendered.output {
                let document = pipeline.document_json(context, redact, *index);
                result = stdout.write_all(aero_yaml::document_to_yaml(&document).as_bytes());
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() && !pipeline.rendered.output.is_empty() {
                result = stdout.write_all(aero_yaml::STREAM_END.as_bytes());
            }
            result
        }
    };
    ignore_broken_pipe(written.and_then(|()| stdout.flush()))
}

/// JSON of a subtree with secret values replaced: a string that embeds a secret keeps
/// its other text (`mysql://nova:<redacted:…>@db`), a whole secret becomes its token.
pub fn redacted_json(
    rendered: &Rendered,
    node: NodeId,
    context: &Context,
    secret_above: bool,
) -> serde_json::Value {
    let secret = secret_above || rendered.arena.is_secret(node);
    match rendered.arena.value(node) {
        Value::Seq(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|item| redacted_json(rendered, *item, context, secret))
                .collect(),
        ),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(key, value)| {
                    (
                        key.to_string(),
                        redacted_json(rendered, *value, context, secret),
                    )
                })
                .collect(),
        ),
        _ if !secret => rendered.arena.to_json(node),
        Value::Str(text) => {
            let scrubbed = context.redactor.scrub(text);
            if *scrubbed == **text {
                serde_json::Value::String(context.redactor.token(text))
            } else {
                serde_json::Value::String(scrubbed)
            }
        }
        Value::Null => serde_json::Value::Null,
        _ => serde_json::Value::String(context.redactor.token(&rendered.arena.python_str(node))),
    }
}

/// Prints rendered documents (the `render` contract) or the diagnostics that prevent it.
pub fn print_render(
    context: &Context,
    pipeline: &Pipeline,
    output: DocumentFormat,
    redact: bool,
) -> Result<ExitCode, Failure> {
    if pipeline.has_errors() {
        if output == DocumentFormat::Json {
            // Tools asked for JSON: the diagnostics come as one JSON array on stderr
            // (stdout stays reserved for documents).
            let view = pipeline.view();
            let items: Vec<serde_json::Value> = pipeline
                .diagnostics
                .iter()
                .map(|diagnostic| view.json(diagnostic, &context.redactor))
                .collect();
            eprintln!("{}", serde_json::Value::Array(items));
            return Ok(ExitCode::from(INVALID));
        }
        pipeline.print_diagnostics(context, &pipeline.diagnostics, Severity::Warning);
        let errors = pipeline
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
            .count();
        eprintln!("aero: render failed with {errors} error(s); nothing was printed");
        return Ok(ExitCode::from(INVALID));
    }
    pipeline.print_diagnostics(context, &pipeline.diagnostics, Severity::Warning);
    if !redact && stdout_is_terminal() && !pipeline.rendered.secret_strings.is_empty() {
        eprintln!("aero: warning: the output contains secret values; pass --redact to hide them");
    }
    write_documents(pipeline, context, redact, output)
        .context("cannot write to stdout")
        .map_err(Failure::operational)?;
    Ok(ExitCode::SUCCESS)
}

/// `aero render PATH...`.
pub fn render_command(context: &Context, args: RenderArgs) -> Result<ExitCode, Failure> {
    let output = document_format(args.output)?;
    let sources = aero_docs::collect::collect_paths(&args.paths)
        .map_err(|error| Failure::from(anyhow::Error::new(error)))?;
    let decryptor = decryptor(&args.keys, &[])?;
    let pipeline = Pipeline::run(
        context,
        sources,
        mode_of(args.compat),
        !args.no_validate,
        &decryptor,
        false,
    );
    print_render(context, &pipeline, output, args.redact)
}

/// Whether a file's text suggests a secret document, even one too malformed to load:
/// its snippets are then never shown.
pub fn may_hold_secrets(text: &str) -> bool {
    const MARKERS: &[&str] = &[
        "deckhand/Passphrase",
        "deckhand/PrivateKey",
        "deckhand/CertificateKey",
        "deckhand/CertificateAuthorityKey",
        "encrypted",
        "PRIVATE KEY",
    ];
    MARKERS.iter().any(|marker| text.contains(marker))
}
