//! The `aero` command-line tool: kubectl-like verbs over Aerostat's libraries.
//!
//! This crate is glue: it parses arguments, wires the libraries together (the
//! document engine, secrets, the Redfish client), and owns every output format.
//! Errors are printed once, here, and mapped to exit codes:
//!
//! every library error says what kind of failure it is (`aero_error::ErrorClass`),
//! and [`exit::code_of`] maps the class to the code (see the table in [`exit`]).

mod actions;
mod bmc;
mod context;
mod deploy;
mod diagnostics_view;
mod documents;
mod exit;
mod format;
mod lab;
mod logging;
mod node;
mod render;
mod secrets;
mod site;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::Failure;

/// mimalloc instead of glibc's malloc: rendering a site allocates and frees millions of
/// small nodes, and glibc spends a quarter of a 10,000-document render in malloc/free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Aerostat: declarative site lifecycle for Airship-style sites.
#[derive(Debug, Parser)]
#[command(name = "aero", version, propagate_version = true)]
struct Cli {
    /// More logging (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Where Aerostat keeps its state (the redaction key). Default: $AERO_STATE_DIR,
    /// else $XDG_STATE_HOME/aerostat, else ~/.local/state/aerostat.
    //
    // AERO_STATE_DIR is read by `Context`, not through clap's `env`: clap would print an
    // argument set from the environment in every usage line, as if it were required.
    #[arg(long, global = true, value_name = "DIR")]
    state_dir: Option<std::path::PathBuf>,
    /// The workflow store: a SQLite file, or postgres://… shared by several workers.
    /// Default: $AERO_STORE, else aerostat.db in the state directory.
    #[arg(long, global = true, value_name = "PATH|URL")]
    store: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render documents from files or folders, without a site layout.
    ///
    /// Prints every rendered document (control documents included, abstract and
    /// replaced ones excluded) sorted by schema and name. This is the contract other
    /// tools script against; like `pegleg site render` it prints secret values
    /// (use --redact to hide them).
    ///
    /// The documents must include one `deckhand/LayeringPolicy/v1` (its `layerOrder`
    /// names the layers, e.g. global, type, site); without one nothing renders and the
    /// command fails with "no layering policy found", as Deckhand does.
    Render(render::RenderArgs),
    /// Work with the sites of a manifests repository (list, lint, render, validate, explain, diff).
    Site(site::SiteArgs),
    /// Talk to one BMC over Redfish (inventory, power, boot, virtual media).
    Bmc(bmc::BmcArgs),
    /// Generate, encrypt, decrypt and check a site's secrets.
    Secrets(secrets::SecretsArgs),
    /// A site's servers: list them, show a node's generated config, write its config image.
    Node(node::NodeArgs),
    /// A local lab standing in for a site's BMCs and machines: start, stop, status.
    Lab(lab::LabArgs),
    /// Show what an action on a site would do, node by node, without doing it.
    ///
    /// Compares the site's rendered revision with what the store records (nodes
    /// provisioned and at which provisioning documents, nodes adopted, the last
    /// revision deployed) and with what the BMCs report now.
    Plan(deploy::PlanArgs),
    /// Plan an action on a site, confirm it, and run it (journaled and resumable).
    ///
    /// Shows the plan and asks for confirmation on a terminal (--yes to skip; without a
    /// terminal --yes is required). Follows the action to its end unless --detach.
    /// Exit codes: 0 succeeded, 1 failed or invalid documents, 2 usage or not found,
    /// 3 other failure, 4 plan declined, 5 succeeded with failures within the success
    /// criteria, 6 the site is locked by another action.
    Deploy(deploy::DeployArgs),
    /// List, show, follow and control actions (pause, stop, resume, retry).
    Actions(actions::ActionsArgs),
    /// Run queued and interrupted actions from the store until stopped (Ctrl-C, SIGTERM).
    ///
    /// With a PostgreSQL store (--store postgres://...), several workers on different
    /// machines share the work: each action is leased by one worker, and a worker that
    /// dies loses its actions to the others. Every worker needs the key that opens the
    /// sites' secrets (--identity or AERO_AGE_IDENTITY_FILE).
    Worker(deploy::WorkerArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let context = match context::Context::new(cli.state_dir.clone(), cli.store.clone(), cli.verbose)
    {
        Ok(context) => context,
        Err(failure) => return failure.report(None),
    };
    let result = match cli.command {
        Command::Render(args) => render::run(&context, args),
        Command::Site(args) => site::run(&context, args),
        Command::Bmc(args) => run_async(bmc::run(&context, args)),
        Command::Secrets(args) => secrets::run(&context, args),
        Command::Node(args) => node::run(&context, args),
        Command::Lab(args) => lab::run(&context, args),
        Command::Plan(args) => run_async(deploy::plan(&context, args)),
        Command::Deploy(args) => run_async(deploy::deploy(&context, args)),
        Command::Actions(args) => run_async(actions::run(&context, args)),
        Command::Worker(args) => run_async(deploy::worker(&context, args)),
    };
    match result {
        Ok(code) => code,
        Err(failure) => failure.report(Some(&context)),
    }
}

pub(crate) fn run_async(
    future: impl std::future::Future<Output = Result<ExitCode, Failure>>,
) -> Result<ExitCode, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            Failure::operational(
                anyhow::Error::new(error).context("cannot start the async runtime"),
            )
        })?;
    runtime.block_on(future)
}
