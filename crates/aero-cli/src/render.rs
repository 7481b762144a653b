//! `aero render PATH...`: documents from files or folders, without a site layout.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_site::{RenderOptions, Snapshot};
use clap::Args;

use crate::context::Context;
use crate::documents::{Compat, DocumentFormat, KeyArgs, mode_of, print_render};
use crate::exit::{Failure, OrFail};

/// Arguments of `aero render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Files or folders of multi-document YAML (*.yaml, *.yml), in the order given.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Skip schema validation of the rendered documents; with --compat deckhand, also
    /// Deckhand's checks of the documents' metadata, as Pegleg's --no-validate does.
    #[arg(long)]
    pub no_validate: bool,
    /// Render with another tool's semantics.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub compat: Option<Compat>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "yaml")]
    pub output: DocumentFormat,
    /// Replace secret values with keyed hashes.
    #[arg(long)]
    pub redact: bool,
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// `aero render PATH...`.
pub fn run(context: &Context, args: RenderArgs) -> Result<ExitCode, Failure> {
    let snapshot = Snapshot::from_paths(&args.paths).or_fail()?;
    let keys = context.keys(&args.keys.identities, &[])?;
    let site = snapshot.render(
        &keys,
        &RenderOptions {
            mode: mode_of(args.compat),
            validate: !args.no_validate,
            validate_metadata: !args.no_validate,
            allow_encrypted: false,
            redactor: Some(context.redactor.clone()),
        },
    );
    print_render(context, site, args.output, args.redact)
}
