//! Arguments of `aero lab`.

use aero_lab::Fault;
use clap::{Args, Subcommand};

use crate::documents::KeyArgs;
use crate::format::OutputFormat;

/// Arguments of `aero lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    /// A manifests repository as NAME=PATH or PATH (repeatable). Default: the
    /// `site-manifests` folder found in the working folder or any folder above it.
    #[arg(long = "repo", global = true, value_name = "NAME=PATH")]
    pub repos: Vec<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: LabCommand,
}

/// `aero lab` verbs.
#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Start a local lab for a site: one emulated BMC (sushy-tools) per node Aerostat
    /// provisions, a node simulator per node standing in for its operating system, and a
    /// stand-in OS image. Until `aero lab down`, every command on the site targets the
    /// lab (and says so). Returns once everything answers; a running lab is left as is.
    Up {
        /// Site name.
        site: String,
        /// Seed of the emulators' random power delays (default: a random seed,
        /// recorded in `aero lab status`).
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// How long a node simulator takes to boot before it phones home.
        #[arg(long, value_name = "SECONDS", default_value = "3")]
        boot_delay: f64,
        /// How long to wait for the lab to answer.
        #[arg(long, value_name = "SECONDS", default_value = "180")]
        timeout: u64,
        /// A fault for the lab to play, to rehearse a deployment's failure handling
        /// (repeatable): `NODE=no-phone-home` (the node boots but never phones home) or
        /// `NODE=serial=VALUE` (its BMC reports another serial number).
        #[arg(long = "fault", value_name = "NODE=FAULT", value_parser = parse_fault)]
        faults: Vec<(String, Fault)>,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Stop a site's lab and everything it started; its targets are removed, its logs
    /// kept. Nothing to stop is not an error.
    Down {
        /// Site name.
        site: String,
    },
    /// Whether a site's lab runs: emulated BMCs, ports, seed, stand-in images and what
    /// each node simulator did.
    Status {
        /// Site name.
        site: String,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
    },
    /// The lab's background process (started by `aero lab up`).
    #[command(hide = true)]
    Run {
        /// Site name.
        site: String,
    },
}

/// `NODE=FAULT` of `--fault`.
fn parse_fault(text: &str) -> Result<(String, Fault), String> {
    let (node, fault) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NODE=FAULT"))?;
    if node.is_empty() {
        return Err(format!("{text:?} names no node"));
    }
    Ok((node.to_string(), Fault::parse(fault)?))
}
