//! Arguments of `aero bmc`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::format::OutputFormat;

/// Talk to one BMC over Redfish.
#[derive(Debug, Args)]
pub struct BmcArgs {
    /// Connection and TLS settings.
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table", global = true)]
    pub output: OutputFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: BmcCommand,
}

/// How to reach and trust the BMC.
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Take the BMC's endpoint, credentials, TLS trust and system from this site's
    /// documents (with --node); the lab's emulator when a lab is up for the site.
    #[arg(long, value_name = "SITE", requires = "node", global = true)]
    pub site: Option<String>,
    /// The node whose BMC to talk to (with --site).
    #[arg(long, value_name = "NODE", requires = "site", global = true)]
    pub node: Option<String>,
    /// A manifests repository as NAME=PATH or PATH, for --site (repeatable).
    #[arg(long = "repo", value_name = "NAME=PATH", global = true)]
    pub repos: Vec<String>,
    /// age identity file opening the site's secrets, for --site (repeatable).
    #[arg(long = "identity", value_name = "FILE", global = true)]
    pub identities: Vec<PathBuf>,
    /// BMC URL, e.g. https://10.0.0.5 (a bare host means https).
    #[arg(long, value_name = "URL", env = "AERO_BMC_ENDPOINT", global = true)]
    pub endpoint: Option<String>,
    /// BMC user name.
    #[arg(
        short = 'u',
        long,
        value_name = "USER",
        env = "AERO_BMC_USERNAME",
        global = true
    )]
    pub username: Option<String>,
    /// File holding the BMC password (one trailing newline is ignored).
    #[arg(
        long,
        value_name = "FILE",
        env = "AERO_BMC_PASSWORD_FILE",
        global = true
    )]
    pub password_file: Option<PathBuf>,
    /// The system to act on, by id, name or UUID (needed when the BMC has several).
    #[arg(long, value_name = "ID", global = true)]
    pub system: Option<String>,
    /// Trust only the CA certificates in this PEM file.
    #[arg(long, value_name = "PEM", global = true)]
    pub ca_file: Option<PathBuf>,
    /// Trust only the certificate with this SHA-256 fingerprint (hex, colons allowed).
    #[arg(long, value_name = "SHA256", global = true)]
    pub fingerprint: Option<String>,
    /// Do not verify the BMC's certificate (logged as a warning).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// TLS implementation: rustls, or openssl for old firmware that speaks only TLS 1.0/1.1
    /// or legacy cipher suites (--ca-file, --fingerprint and --insecure work with both).
    #[arg(long, value_enum, default_value = "rustls", global = true)]
    pub tls_backend: TlsBackendArg,
    /// Authentication: a session (falling back to Basic), session only, or Basic only.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    pub auth: AuthArg,
    /// Overall deadline of the operation, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, global = true)]
    pub timeout: u64,
    /// Interval between polls of a converging state, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0, global = true)]
    pub poll_interval: f64,
}

/// TLS implementations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsBackendArg {
    /// rustls (default): TLS 1.2/1.3.
    Rustls,
    /// The system OpenSSL, also TLS 1.0/1.1 and legacy cipher suites (old BMC firmware).
    Openssl,
}

/// Authentication modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// Session login, falling back to Basic.
    Auto,
    /// Session login only.
    Session,
    /// HTTP Basic only.
    Basic,
}

/// `aero bmc` subcommands.
#[derive(Debug, Subcommand)]
pub enum BmcCommand {
    /// Hardware inventory: identity, firmware, power, CPUs, memory, NICs, drives, boot options.
    Inventory,
    /// Power on, off (graceful, then forced), force-off or restart; returns once converged.
    Power {
        /// What to do.
        #[arg(value_enum)]
        action: PowerAction,
        /// Seconds a graceful shutdown may take before the power is forced off.
        #[arg(long, value_name = "SECONDS", default_value_t = 120)]
        graceful_timeout: u64,
    },
    /// Set the boot override (once by default).
    Boot {
        /// Boot device.
        #[arg(value_enum)]
        target: BootTargetArg,
        /// Keep the override for every boot instead of the next one only.
        #[arg(long)]
        continuous: bool,
        /// Boot mode to set with the override.
        #[arg(long, value_enum)]
        mode: Option<BootModeArg>,
    },
    /// Virtual media (CD/DVD): insert an image URL, eject, show.
    Media {
        /// What to do.
        #[command(subcommand)]
        action: MediaCommand,
    },
}

/// Power actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PowerAction {
    /// Power on.
    On,
    /// Graceful shutdown, forced after --graceful-timeout.
    Off,
    /// Immediate power off.
    ForceOff,
    /// Off, then on.
    Restart,
    /// Show the power state only.
    Status,
}

/// Boot devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BootTargetArg {
    /// CD/DVD (virtual media).
    Cd,
    /// Network (PXE).
    Pxe,
    /// Local disk.
    Hdd,
    /// UEFI HTTP boot.
    UefiHttp,
    /// Firmware setup.
    BiosSetup,
    /// Clear the override.
    None,
}

/// Boot modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BootModeArg {
    /// UEFI.
    Uefi,
    /// Legacy BIOS.
    Legacy,
}

/// `aero bmc media` subcommands.
#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Eject the CD/DVD slots, insert the image and wait until the BMC reports it inserted.
    Insert {
        /// Image URL the BMC downloads (http or https).
        url: String,
    },
    /// Eject the CD/DVD slots and wait until they are empty.
    Eject,
    /// Show the virtual media slots.
    Status,
}
