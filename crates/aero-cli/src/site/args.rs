//! Arguments of `aero site`.

use clap::{Args, Subcommand};

use crate::documents::{Compat, DocumentFormat, KeyArgs};
use crate::format::OutputFormat;

/// Arguments of `aero site`.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// A manifests repository as NAME=PATH or PATH (repeatable). Default: the
    /// `site-manifests` folder found in the working folder or any folder above it.
    #[arg(long = "repo", global = true, value_name = "NAME=PATH")]
    pub repos: Vec<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: SiteCommand,
}

/// `aero site` verbs.
#[derive(Debug, Subcommand)]
pub enum SiteCommand {
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
        /// Replace secret values with keyed hashes.
        #[arg(long)]
        redact: bool,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "yaml")]
        output: DocumentFormat,
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
    /// List every value where Aerostat's and Deckhand's semantics render the site
    /// differently, with the quirk that explains it.
    Compat {
        /// Site name.
        site: String,
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
