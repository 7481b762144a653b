//! `aero bmc`: inventory, power, boot override and virtual media of one BMC, given on the
//! command line (`--endpoint URL --username U --password-file F`).
//!
//! This module owns the output formats of these commands: the DTOs below are what
//! `-o json` and `-o yaml` print (stable field names, snake case); `-o table` prints
//! aligned tables. The Redfish types stay internal to `aero-redfish`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use aero_redfish::auth::{AuthMode, Credentials};
use aero_redfish::boot::{
    BootMethod, BootMode, BootOutcome, BootOverride, BootPersistence, BootTarget,
};
use aero_redfish::client::BmcClient;
use aero_redfish::config::BmcConfig;
use aero_redfish::error::RedfishError;
use aero_redfish::inventory::Inventory;
use aero_redfish::power::{PowerOutcome, PowerRequest};
use aero_redfish::system::RedfishSystem;
use aero_redfish::transport::{Sha256Fingerprint, TlsBackend, TlsConfig, TlsVerification};
use aero_redfish::vmedia::{MediaControl, MediaOutcome, MediaSlot};
use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::format::{OutputFormat, Table, write_stdout};

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

/// A problem with the arguments (exit code 2 rather than 3).
#[derive(Debug, thiserror::Error)]
pub enum BmcUsageError {
    /// A required setting is missing.
    #[error("{flag} is required (or set {env})")]
    Missing {
        /// The flag.
        flag: &'static str,
        /// Its environment variable.
        env: &'static str,
    },
    /// Mutually exclusive TLS settings.
    #[error("--ca-file, --fingerprint and --insecure exclude each other")]
    ConflictingTls,
    /// A bad numeric setting.
    #[error("{flag} must be a positive number of seconds")]
    BadDuration {
        /// The flag.
        flag: &'static str,
    },
    /// The password file is empty.
    #[error("the password file {path} is empty")]
    EmptyPassword {
        /// Its path.
        path: String,
    },
}

/// Whether `error` comes from the arguments (missing or conflicting flags, a malformed
/// endpoint or fingerprint, an unknown or ambiguous system): exit code 2.
pub fn is_usage_error(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<BmcUsageError>().is_some()
            || cause.downcast_ref::<RedfishError>().is_some_and(|error| {
                matches!(
                    error,
                    RedfishError::InvalidEndpoint { .. }
                        | RedfishError::InvalidFingerprint { .. }
                        | RedfishError::SystemNotFound { .. }
                        | RedfishError::AmbiguousSystem { .. }
                )
            })
    })
}

/// Runs `aero bmc …`.
pub async fn run(args: BmcArgs) -> anyhow::Result<ExitCode> {
    let mut config = build_config(&args.connection)?;
    if let BmcCommand::Power {
        graceful_timeout, ..
    } = &args.command
    {
        config.timing.graceful_shutdown_timeout = Duration::from_secs(*graceful_timeout);
    }
    let endpoint = config.endpoint.to_string();
    let client = BmcClient::connect(config)
        .await
        .with_context(|| format!("cannot connect to the BMC at {endpoint}"))?;
    let result = run_on(&client, &args).await;
    if let Err(error) = client.close().await {
        tracing::warn!(error = %error, "logging out of the BMC failed");
    }
    result
}

async fn run_on(client: &BmcClient, args: &BmcArgs) -> anyhow::Result<ExitCode> {
    let system = client.system(args.connection.system.as_deref()).await?;
    let output = args.output;
    match &args.command {
        BmcCommand::Inventory => {
            let inventory = system.inventory().await?;
            emit(
                output,
                &InventoryOutput::new(client, &inventory),
                inventory_table,
            )?;
        }
        BmcCommand::Power {
            action: PowerAction::Status,
            ..
        } => {
            let state = system.power_state().await?;
            let dto = PowerStatusOutput {
                endpoint: client.bmc().to_string(),
                system: system.id().to_string(),
                power_state: state.to_string(),
            };
            emit(output, &dto, |dto| {
                key_values(&[
                    ("system", dto.system.clone()),
                    ("power state", dto.power_state.clone()),
                ])
            })?;
        }
        BmcCommand::Power { action, .. } => {
            let request = match action {
                PowerAction::On => PowerRequest::On,
                PowerAction::Off => PowerRequest::Off,
                PowerAction::ForceOff => PowerRequest::ForceOff,
                PowerAction::Restart | PowerAction::Status => PowerRequest::Restart,
            };
            let outcome = system.set_power(request).await?;
            emit(
                output,
                &PowerOutput::new(client, &system, *action, &outcome),
                power_table,
            )?;
        }
        BmcCommand::Boot {
            target,
            continuous,
            mode,
        } => {
            let request = BootOverride {
                target: match target {
                    BootTargetArg::Cd => BootTarget::Cd,
                    BootTargetArg::Pxe => BootTarget::Pxe,
                    BootTargetArg::Hdd => BootTarget::Hdd,
                    BootTargetArg::UefiHttp => BootTarget::UefiHttp,
                    BootTargetArg::BiosSetup => BootTarget::BiosSetup,
                    BootTargetArg::None => BootTarget::None,
                },
                persistence: if *continuous {
                    BootPersistence::Continuous
                } else {
                    BootPersistence::Once
                },
                mode: mode.map(|mode| match mode {
                    BootModeArg::Uefi => BootMode::Uefi,
                    BootModeArg::Legacy => BootMode::Legacy,
                }),
            };
            let outcome = system.set_boot_override(&request).await?;
            emit(
                output,
                &BootOutput::new(client, &system, &outcome),
                boot_table,
            )?;
        }
        BmcCommand::Media { action } => {
            let dto = match action {
                MediaCommand::Insert { url } => {
                    let outcome = system.insert_media(url).await?;
                    MediaOutput::new(
                        client,
                        &system,
                        "insert",
                        &outcome,
                        system.media_status().await?,
                    )
                }
                MediaCommand::Eject => {
                    let outcome = system.eject_media().await?;
                    MediaOutput::new(
                        client,
                        &system,
                        "eject",
                        &outcome,
                        system.media_status().await?,
                    )
                }
                MediaCommand::Status => {
                    let slots = system.media_status().await?;
                    let empty = MediaOutcome {
                        slot: None,
                        ejected: Vec::new(),
                    };
                    MediaOutput::new(client, &system, "status", &empty, slots)
                }
            };
            emit(output, &dto, media_table)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The client configuration from the arguments.
fn build_config(args: &ConnectionArgs) -> anyhow::Result<BmcConfig> {
    let endpoint = args.endpoint.as_deref().ok_or(BmcUsageError::Missing {
        flag: "--endpoint",
        env: "AERO_BMC_ENDPOINT",
    })?;
    let username = args.username.as_deref().ok_or(BmcUsageError::Missing {
        flag: "--username",
        env: "AERO_BMC_USERNAME",
    })?;
    let password_file = args
        .password_file
        .as_deref()
        .ok_or(BmcUsageError::Missing {
            flag: "--password-file",
            env: "AERO_BMC_PASSWORD_FILE",
        })?;
    let password = read_password(password_file)?;
    let chosen = [
        args.ca_file.is_some(),
        args.fingerprint.is_some(),
        args.insecure,
    ];
    if chosen.iter().filter(|chosen| **chosen).count() > 1 {
        return Err(BmcUsageError::ConflictingTls.into());
    }
    let verification = if let Some(path) = &args.ca_file {
        TlsVerification::CaBundle(path.clone())
    } else if let Some(fingerprint) = &args.fingerprint {
        TlsVerification::Fingerprint(fingerprint.parse::<Sha256Fingerprint>()?)
    } else if args.insecure {
        TlsVerification::Insecure
    } else {
        TlsVerification::SystemRoots
    };
    let mut config = BmcConfig::new(endpoint, Credentials::new(username, password))?;
    config.tls = TlsConfig {
        backend: match args.tls_backend {
            TlsBackendArg::Rustls => TlsBackend::Rustls,
            TlsBackendArg::Openssl => TlsBackend::OpenSsl,
        },
        verification,
    };
    config.auth = match args.auth {
        AuthArg::Auto => AuthMode::Auto,
        AuthArg::Session => AuthMode::Session,
        AuthArg::Basic => AuthMode::Basic,
    };
    if args.timeout == 0 {
        return Err(BmcUsageError::BadDuration { flag: "--timeout" }.into());
    }
    if !(args.poll_interval.is_finite() && args.poll_interval > 0.0) {
        return Err(BmcUsageError::BadDuration {
            flag: "--poll-interval",
        }
        .into());
    }
    config.timing.operation_deadline = Duration::from_secs(args.timeout);
    config.timing.poll_interval = Duration::from_secs_f64(args.poll_interval.min(3600.0));
    Ok(config)
}

/// Reads the password file; one trailing newline is not part of the password.
fn read_password(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the password file {}", path.display()))?;
    let password = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text)
        .to_string();
    if password.is_empty() {
        return Err(BmcUsageError::EmptyPassword {
            path: path.display().to_string(),
        }
        .into());
    }
    Ok(password)
}

fn emit<T: Serialize>(
    format: OutputFormat,
    dto: &T,
    table: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => write_stdout(&table(dto))?,
        OutputFormat::Json => {
            let text = serde_json::to_string_pretty(dto).context("cannot serialize the output")?;
            write_stdout(&format!("{text}\n"))?;
        }
        OutputFormat::Yaml => {
            let value = serde_json::to_value(dto).context("cannot serialize the output")?;
            write_stdout(&aero_yaml::to_yaml_string(&value))?;
        }
    }
    Ok(())
}

fn key_values(pairs: &[(&str, String)]) -> String {
    let mut table = Table::new(&["FIELD", "VALUE"]);
    for (key, value) in pairs {
        table.row(vec![key.to_string(), value.clone()]);
    }
    table.render()
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn number(value: Option<u64>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

// ---------------------------------------------------------------- output DTOs

/// `aero bmc inventory`.
#[derive(Debug, Serialize)]
pub struct InventoryOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// The system.
    pub system: SystemOutput,
    /// Processors.
    pub processors: Vec<ProcessorOutput>,
    /// Memory modules.
    pub memory: Vec<MemoryOutput>,
    /// Network interfaces.
    pub nics: Vec<NicOutput>,
    /// Drives.
    pub drives: Vec<DriveOutput>,
    /// Boot override and its allowed values.
    pub boot: BootSettingsOutput,
    /// Allowed reset types.
    pub reset_types: Vec<String>,
    /// Managers.
    pub managers: Vec<ManagerOutput>,
    /// Chassis.
    pub chassis: Vec<ChassisOutput>,
    /// Virtual media slots.
    pub virtual_media: Vec<SlotOutput>,
    /// Id of the slot `media insert` would use.
    pub cd_slot: Option<String>,
    /// Vendor quirk rules in effect.
    pub quirks: Vec<String>,
    /// Parts the BMC links but could not deliver.
    pub warnings: Vec<String>,
}

/// Identity and state of a system.
#[derive(Debug, Serialize)]
pub struct SystemOutput {
    /// Id.
    pub id: String,
    /// Path.
    pub path: String,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// SKU.
    pub sku: Option<String>,
    /// UUID.
    pub uuid: Option<String>,
    /// BIOS version.
    pub bios_version: Option<String>,
    /// Power state.
    pub power_state: String,
    /// Processor count.
    pub processor_count: Option<u64>,
    /// Processor model.
    pub processor_model: Option<String>,
    /// Total memory in GiB.
    pub memory_gib: Option<f64>,
}

/// A processor.
#[derive(Debug, Serialize)]
pub struct ProcessorOutput {
    /// Id.
    pub id: String,
    /// Socket.
    pub socket: Option<String>,
    /// Type.
    pub processor_type: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Cores.
    pub cores: Option<u64>,
    /// Threads.
    pub threads: Option<u64>,
    /// Maximum speed.
    pub max_speed_mhz: Option<u64>,
}

/// A memory module.
#[derive(Debug, Serialize)]
pub struct MemoryOutput {
    /// Id.
    pub id: String,
    /// Capacity.
    pub capacity_mib: Option<u64>,
    /// Type.
    pub device_type: Option<String>,
    /// State.
    pub state: Option<String>,
}

/// A network interface.
#[derive(Debug, Serialize)]
pub struct NicOutput {
    /// Id.
    pub id: String,
    /// MAC address.
    pub mac_address: Option<String>,
    /// Factory MAC address.
    pub permanent_mac_address: Option<String>,
    /// Speed.
    pub speed_mbps: Option<u64>,
    /// Link status.
    pub link_status: Option<String>,
}

/// A drive.
#[derive(Debug, Serialize)]
pub struct DriveOutput {
    /// Id.
    pub id: String,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Capacity.
    pub capacity_bytes: Option<u64>,
    /// Media type.
    pub media_type: Option<String>,
    /// Protocol.
    pub protocol: Option<String>,
}

/// Boot override settings.
#[derive(Debug, Serialize)]
pub struct BootSettingsOutput {
    /// Disabled, Once, Continuous.
    pub persistence: Option<String>,
    /// Target.
    pub target: Option<String>,
    /// Mode.
    pub mode: Option<String>,
    /// Allowed targets.
    pub allowed_targets: Vec<String>,
    /// Allowed modes.
    pub allowed_modes: Vec<String>,
}

/// A manager.
#[derive(Debug, Serialize)]
pub struct ManagerOutput {
    /// Id.
    pub id: String,
    /// Model.
    pub model: Option<String>,
    /// Firmware version.
    pub firmware_version: Option<String>,
}

/// A chassis.
#[derive(Debug, Serialize)]
pub struct ChassisOutput {
    /// Id.
    pub id: String,
    /// Type.
    pub chassis_type: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
}

/// A virtual media slot.
#[derive(Debug, Serialize)]
pub struct SlotOutput {
    /// Id.
    pub id: String,
    /// Path.
    pub path: String,
    /// Media types.
    pub media_types: Vec<String>,
    /// Image.
    pub image: Option<String>,
    /// Inserted, when reported.
    pub inserted: Option<bool>,
    /// Whether it holds media.
    pub has_media: bool,
    /// How media is inserted: action, patch, unsupported.
    pub control: String,
}

impl SlotOutput {
    fn new(slot: &MediaSlot) -> Self {
        SlotOutput {
            id: slot.id.clone(),
            path: slot.path.clone(),
            media_types: slot.media_types.clone(),
            image: slot.image.clone(),
            inserted: slot.inserted,
            has_media: slot.has_media(),
            control: match slot.insert {
                MediaControl::Action(_) => "action",
                MediaControl::Patch => "patch",
                MediaControl::Unsupported => "unsupported",
            }
            .to_string(),
        }
    }
}

impl InventoryOutput {
    fn new(client: &BmcClient, inventory: &Inventory) -> Self {
        InventoryOutput {
            endpoint: client.bmc().to_string(),
            system: SystemOutput {
                id: inventory.system_id.clone(),
                path: inventory.system_path.clone(),
                manufacturer: inventory.manufacturer.clone(),
                model: inventory.model.clone(),
                serial_number: inventory.serial_number.clone(),
                sku: inventory.sku.clone(),
                uuid: inventory.uuid.clone(),
                bios_version: inventory.bios_version.clone(),
                power_state: inventory.power_state.to_string(),
                processor_count: inventory.processor_count,
                processor_model: inventory.processor_model.clone(),
                memory_gib: inventory.memory_gib,
            },
            processors: inventory
                .processors
                .iter()
                .map(|processor| ProcessorOutput {
                    id: processor.id.clone(),
                    socket: processor.socket.clone(),
                    processor_type: processor.processor_type.clone(),
                    model: processor.model.clone(),
                    cores: processor.cores,
                    threads: processor.threads,
                    max_speed_mhz: processor.max_speed_mhz,
                })
                .collect(),
            memory: inventory
                .memory
                .iter()
                .map(|module| MemoryOutput {
                    id: module.id.clone(),
                    capacity_mib: module.capacity_mib,
                    device_type: module.device_type.clone(),
                    state: module.state.clone(),
                })
                .collect(),
            nics: inventory
                .nics
                .iter()
                .map(|nic| NicOutput {
                    id: nic.id.clone(),
                    mac_address: nic.mac_address.clone(),
                    permanent_mac_address: nic.permanent_mac_address.clone(),
                    speed_mbps: nic.speed_mbps,
                    link_status: nic.link_status.clone(),
                })
                .collect(),
            drives: inventory
                .drives
                .iter()
                .map(|drive| DriveOutput {
                    id: drive.id.clone(),
                    model: drive.model.clone(),
                    serial_number: drive.serial_number.clone(),
                    capacity_bytes: drive.capacity_bytes,
                    media_type: drive.media_type.clone(),
                    protocol: drive.protocol.clone(),
                })
                .collect(),
            boot: BootSettingsOutput {
                persistence: inventory.boot.persistence.clone(),
                target: inventory.boot.target.clone(),
                mode: inventory.boot.mode.clone(),
                allowed_targets: inventory.boot.allowed_targets.clone(),
                allowed_modes: inventory.boot.allowed_modes.clone(),
            },
            reset_types: inventory.reset_types.clone(),
            managers: inventory
                .managers
                .iter()
                .map(|manager| ManagerOutput {
                    id: manager.id.clone(),
                    model: manager.model.clone(),
                    firmware_version: manager.firmware_version.clone(),
                })
                .collect(),
            chassis: inventory
                .chassis
                .iter()
                .map(|chassis| ChassisOutput {
                    id: chassis.id.clone(),
                    chassis_type: chassis.chassis_type.clone(),
                    model: chassis.model.clone(),
                    serial_number: chassis.serial_number.clone(),
                })
                .collect(),
            virtual_media: inventory
                .virtual_media
                .iter()
                .map(SlotOutput::new)
                .collect(),
            cd_slot: inventory.cd_slot.clone(),
            quirks: inventory.quirks.clone(),
            warnings: inventory.warnings.clone(),
        }
    }
}

fn inventory_table(dto: &InventoryOutput) -> String {
    let system = &dto.system;
    let mut out = key_values(&[
        ("system", system.id.clone()),
        ("manufacturer", text(&system.manufacturer)),
        ("model", text(&system.model)),
        ("serial number", text(&system.serial_number)),
        ("uuid", text(&system.uuid)),
        ("bios version", text(&system.bios_version)),
        ("power state", system.power_state.clone()),
        (
            "processors",
            match (system.processor_count, &system.processor_model) {
                (Some(count), Some(model)) => format!("{count} x {model}"),
                (Some(count), None) => count.to_string(),
                (None, model) => text(model),
            },
        ),
        (
            "memory GiB",
            system
                .memory_gib
                .map(|gib| gib.to_string())
                .unwrap_or_default(),
        ),
        (
            "boot",
            format!(
                "{} {} {} (allowed: {})",
                text(&dto.boot.target),
                text(&dto.boot.persistence),
                text(&dto.boot.mode),
                dto.boot.allowed_targets.join(", ")
            ),
        ),
        ("reset types", dto.reset_types.join(", ")),
        ("cd slot", text(&dto.cd_slot)),
        ("quirks", dto.quirks.join(", ")),
    ]);
    if !dto.nics.is_empty() {
        let mut table = Table::new(&["NIC", "MAC", "PERMANENT MAC", "SPEED", "LINK"]);
        for nic in &dto.nics {
            table.row(vec![
                nic.id.clone(),
                text(&nic.mac_address),
                text(&nic.permanent_mac_address),
                number(nic.speed_mbps),
                text(&nic.link_status),
            ]);
        }
        out.push('\n');
        out.push_str(&table.render());
    }
    if !dto.drives.is_empty() {
        let mut table = Table::new(&["DRIVE", "MODEL", "SERIAL", "BYTES", "MEDIA", "PROTOCOL"]);
        for drive in &dto.drives {
            table.row(vec![
                drive.id.clone(),
                text(&drive.model),
                text(&drive.serial_number),
                number(drive.capacity_bytes),
                text(&drive.media_type),
                text(&drive.protocol),
            ]);
        }
        out.push('\n');
        out.push_str(&table.render());
    }
    if !dto.virtual_media.is_empty() {
        out.push('\n');
        out.push_str(&slots_table(&dto.virtual_media));
    }
    for warning in &dto.warnings {
        out.push_str(&format!("\nwarning: {warning}"));
    }
    if !dto.warnings.is_empty() {
        out.push('\n');
    }
    out
}

fn slots_table(slots: &[SlotOutput]) -> String {
    let mut table = Table::new(&["SLOT", "MEDIA TYPES", "MEDIA", "IMAGE", "CONTROL"]);
    for slot in slots {
        table.row(vec![
            slot.id.clone(),
            slot.media_types.join("/"),
            if slot.has_media { "inserted" } else { "empty" }.to_string(),
            text(&slot.image),
            slot.control.clone(),
        ]);
    }
    table.render()
}

/// `aero bmc power status`.
#[derive(Debug, Serialize)]
pub struct PowerStatusOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// System id.
    pub system: String,
    /// Power state.
    pub power_state: String,
}

/// `aero bmc power on|off|force-off|restart`.
#[derive(Debug, Serialize)]
pub struct PowerOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// System id.
    pub system: String,
    /// The requested action.
    pub action: String,
    /// State before.
    pub before: String,
    /// State after convergence.
    pub after: String,
    /// Whether anything was sent.
    pub changed: bool,
    /// Reset types sent, in order.
    pub reset_types: Vec<String>,
    /// Seconds until convergence.
    pub elapsed_seconds: f64,
}

impl PowerOutput {
    fn new(
        client: &BmcClient,
        system: &RedfishSystem,
        action: PowerAction,
        outcome: &PowerOutcome,
    ) -> Self {
        PowerOutput {
            endpoint: client.bmc().to_string(),
            system: system.id().to_string(),
            action: action
                .to_possible_value()
                .map(|value| value.get_name().to_string())
                .unwrap_or_default(),
            before: outcome.before.to_string(),
            after: outcome.after.to_string(),
            changed: outcome.changed(),
            reset_types: outcome.reset_types.clone(),
            elapsed_seconds: (outcome.elapsed.as_secs_f64() * 10.0).round() / 10.0,
        }
    }
}

fn power_table(dto: &PowerOutput) -> String {
    key_values(&[
        ("system", dto.system.clone()),
        ("action", dto.action.clone()),
        ("before", dto.before.clone()),
        ("after", dto.after.clone()),
        (
            "sent",
            if dto.changed {
                dto.reset_types.join(", ")
            } else {
                "nothing (already there)".to_string()
            },
        ),
        ("seconds", dto.elapsed_seconds.to_string()),
    ])
}

/// `aero bmc boot`.
#[derive(Debug, Serialize)]
pub struct BootOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// System id.
    pub system: String,
    /// Target value sent (a vendor alias such as UsbCd when the BMC needs it).
    pub target: String,
    /// Once or Continuous.
    pub persistence: String,
    /// Mode sent, if any.
    pub mode: Option<String>,
    /// How it was applied: patch, or dell-system-configuration.
    pub method: String,
    /// Continuous was refused and Once applied instead.
    pub fell_back_to_once: bool,
    /// Remarks.
    pub notes: Vec<String>,
}

impl BootOutput {
    fn new(client: &BmcClient, system: &RedfishSystem, outcome: &BootOutcome) -> Self {
        BootOutput {
            endpoint: client.bmc().to_string(),
            system: system.id().to_string(),
            target: outcome.target.clone(),
            persistence: outcome.persistence.as_str().to_string(),
            mode: outcome.mode.clone(),
            method: match outcome.method {
                BootMethod::Patch(_) => "patch",
                BootMethod::DellSystemConfiguration(_) => "dell-system-configuration",
            }
            .to_string(),
            fell_back_to_once: outcome.fell_back_to_once,
            notes: outcome.notes.clone(),
        }
    }
}

fn boot_table(dto: &BootOutput) -> String {
    let mut pairs = vec![
        ("system", dto.system.clone()),
        ("target", dto.target.clone()),
        ("persistence", dto.persistence.clone()),
        ("mode", text(&dto.mode)),
        ("method", dto.method.clone()),
    ];
    for note in &dto.notes {
        pairs.push(("note", note.clone()));
    }
    key_values(&pairs)
}

/// `aero bmc media insert|eject|status`.
#[derive(Debug, Serialize)]
pub struct MediaOutput {
    /// BMC base URL.
    pub endpoint: String,
    /// System id.
    pub system: String,
    /// insert, eject or status.
    pub action: String,
    /// The slot inserted into.
    pub inserted_into: Option<String>,
    /// Slots that were ejected.
    pub ejected: Vec<String>,
    /// All slots after the action.
    pub slots: Vec<SlotOutput>,
}

impl MediaOutput {
    fn new(
        client: &BmcClient,
        system: &RedfishSystem,
        action: &str,
        outcome: &MediaOutcome,
        slots: Vec<MediaSlot>,
    ) -> Self {
        MediaOutput {
            endpoint: client.bmc().to_string(),
            system: system.id().to_string(),
            action: action.to_string(),
            inserted_into: outcome.slot.as_ref().map(|slot| slot.id.clone()),
            ejected: outcome.ejected.clone(),
            slots: slots.iter().map(SlotOutput::new).collect(),
        }
    }
}

fn media_table(dto: &MediaOutput) -> String {
    let mut out = String::new();
    if let Some(slot) = &dto.inserted_into {
        out.push_str(&format!("inserted into {slot}\n"));
    }
    if !dto.ejected.is_empty() {
        out.push_str(&format!("ejected {}\n", dto.ejected.join(", ")));
    }
    out.push_str(&slots_table(&dto.slots));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(flatten)]
        bmc: BmcArgs,
    }

    fn parse(arguments: &[&str]) -> BmcArgs {
        TestCli::try_parse_from(std::iter::once("aero-bmc").chain(arguments.iter().copied()))
            .expect("parse")
            .bmc
    }

    #[test]
    fn flags_are_global_and_subcommands_parse() {
        let args = parse(&[
            "power",
            "off",
            "--endpoint",
            "https://10.0.0.5",
            "-u",
            "admin",
            "--password-file",
            "/tmp/pw",
            "--graceful-timeout",
            "30",
            "-o",
            "json",
        ]);
        assert!(matches!(
            args.command,
            BmcCommand::Power {
                action: PowerAction::Off,
                graceful_timeout: 30
            }
        ));
        assert_eq!(
            args.connection.endpoint.as_deref(),
            Some("https://10.0.0.5")
        );
        assert_eq!(args.output, OutputFormat::Json);
        let args = parse(&[
            "media",
            "insert",
            "http://x/a.iso",
            "--system",
            "node-1",
            "--tls-backend",
            "openssl",
        ]);
        assert!(
            matches!(&args.command, BmcCommand::Media { action: MediaCommand::Insert { url } } if url == "http://x/a.iso")
        );
        assert_eq!(args.connection.tls_backend, TlsBackendArg::Openssl);
        let args = parse(&["boot", "cd", "--mode", "uefi"]);
        assert!(matches!(
            args.command,
            BmcCommand::Boot {
                target: BootTargetArg::Cd,
                continuous: false,
                mode: Some(BootModeArg::Uefi)
            }
        ));
    }

    #[test]
    fn missing_and_conflicting_flags_are_usage_errors() {
        let args = parse(&["inventory"]);
        let error = build_config(&args.connection).expect_err("no endpoint");
        assert!(is_usage_error(&error));
        assert_eq!(
            error.to_string(),
            "--endpoint is required (or set AERO_BMC_ENDPOINT)"
        );

        let directory = tempfile::tempdir().expect("dir");
        let password = directory.path().join("pw");
        std::fs::write(&password, "hunter2\n").expect("write");
        let password = password.display().to_string();
        let args = parse(&[
            "inventory",
            "--endpoint",
            "bmc",
            "-u",
            "admin",
            "--password-file",
            &password,
            "--insecure",
            "--ca-file",
            "ca.pem",
        ]);
        let error = build_config(&args.connection).expect_err("conflict");
        assert!(is_usage_error(&error));

        let args = parse(&[
            "inventory",
            "--endpoint",
            "bmc",
            "-u",
            "admin",
            "--password-file",
            &password,
            "--fingerprint",
            "zz",
        ]);
        let error = build_config(&args.connection).expect_err("bad fingerprint");
        assert!(is_usage_error(&error), "{error:#}");

        let args = parse(&[
            "inventory",
            "--endpoint",
            "bmc",
            "-u",
            "admin",
            "--password-file",
            &password,
            "--insecure",
        ]);
        let config = build_config(&args.connection).expect("config");
        assert_eq!(config.credentials.password.expose(), "hunter2");
        assert_eq!(config.endpoint.as_str(), "https://bmc/");
        assert!(!format!("{config:?}").contains("hunter2"));

        let fingerprint = "AB:".repeat(31) + "AB";
        let args = parse(&[
            "inventory",
            "--endpoint",
            "bmc",
            "-u",
            "admin",
            "--password-file",
            &password,
            "--tls-backend",
            "openssl",
            "--fingerprint",
            &fingerprint,
        ]);
        let config = build_config(&args.connection).expect("openssl with a pin");
        assert_eq!(
            config.tls,
            TlsConfig {
                backend: TlsBackend::OpenSsl,
                verification: TlsVerification::Fingerprint(Sha256Fingerprint([0xAB; 32])),
            }
        );

        let empty = directory.path().join("empty");
        std::fs::write(&empty, "\n").expect("write");
        let empty = empty.display().to_string();
        let args = parse(&[
            "inventory",
            "--endpoint",
            "bmc",
            "-u",
            "admin",
            "--password-file",
            &empty,
        ]);
        assert!(is_usage_error(
            &build_config(&args.connection).expect_err("empty password")
        ));
    }
}
