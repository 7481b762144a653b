//! Arguments of `aero node`.

use std::path::PathBuf;

use aero_baremetal::ConfigPart;
use clap::{Args, Subcommand, ValueEnum};

use crate::documents::KeyArgs;
use crate::format::OutputFormat;

/// Arguments of `aero node`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// A manifests repository as NAME=PATH or PATH (repeatable). Default: the
    /// `site-manifests` folder found in the working folder or any folder above it.
    #[arg(long = "repo", global = true, value_name = "NAME=PATH")]
    pub repos: Vec<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: NodeCommand,
}

/// `aero node` verbs.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// List a site's servers: roles, BMC, boot MAC, profiles, whether Aerostat provisions them.
    List {
        /// Site name.
        site: String,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: OutputFormat,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Print the NoCloud files a node's config image holds (user-data, meta-data,
    /// network-config) for the site's current revision; secrets redacted unless
    /// --show-secrets.
    Config {
        /// Site name.
        site: String,
        /// Node name (a drydock/BaremetalNode/v1 document).
        node: String,
        /// Print only this file, exactly as the image holds it.
        #[arg(long, value_enum)]
        part: Option<Part>,
        /// Print secrets (the node's phone-home token, the site's secret values) in clear.
        #[arg(long)]
        show_secrets: bool,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Write a node's config image (ISO 9660, label cidata) for the site's current
    /// revision and print its SHA-256. The same revision and time give the same bytes.
    Image {
        /// Site name.
        site: String,
        /// Node name (a drydock/BaremetalNode/v1 document).
        node: String,
        /// Where to write the image.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// The time every timestamp of the image carries, in seconds since 1970
        /// (default: 1980-01-01T00:00:00Z).
        #[arg(long, value_name = "SECONDS", env = "SOURCE_DATE_EPOCH")]
        time: Option<i64>,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Mark a node as installed by other means: no action ever powers it off or
    /// provisions it; it counts as a success for its group.
    Adopt {
        /// Site name.
        site: String,
        /// Node name (a drydock/BaremetalNode/v1 document).
        node: String,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Undo `adopt`: the node is planned like any other again (provisioned if Aerostat
    /// never provisioned it).
    Release {
        /// Site name.
        site: String,
        /// Node name.
        node: String,
    },
}

/// `--part` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// `user-data` (#cloud-config).
    UserData,
    /// `meta-data` (instance id, host name).
    MetaData,
    /// `network-config` (netplan version 2).
    NetworkConfig,
}

impl From<Part> for ConfigPart {
    fn from(part: Part) -> ConfigPart {
        match part {
            Part::UserData => ConfigPart::UserData,
            Part::MetaData => ConfigPart::MetaData,
            Part::NetworkConfig => ConfigPart::NetworkConfig,
        }
    }
}
