//! What each `aero bmc` verb does.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use aero_error::{Classify, ErrorClass};
use aero_redfish::auth::{AuthMode, Credentials};
use aero_redfish::boot::{BootMode, BootOverride, BootPersistence, BootTarget};
use aero_redfish::client::BmcClient;
use aero_redfish::config::BmcConfig;
use aero_redfish::power::PowerRequest;
use aero_redfish::transport::{Sha256Fingerprint, TlsBackend, TlsConfig, TlsVerification};
use aero_redfish::vmedia::MediaOutcome;

use super::args::{
    AuthArg, BmcArgs, BmcCommand, BootModeArg, BootTargetArg, ConnectionArgs, MediaCommand,
    PowerAction, TlsBackendArg,
};
use super::output::{
    BootOutput, InventoryOutput, MediaOutput, PowerOutput, PowerStatusOutput, boot_table,
    inventory_table, key_values, media_table, power_table,
};
use crate::context::Context;
use crate::exit::{Failure, OrFail, output_failure};
use crate::format::emit;

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
    /// The password file cannot be read.
    #[error("cannot read the password file {path}")]
    Unreadable {
        /// Its path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A flag's value is malformed (an endpoint, a fingerprint).
    #[error("{flag}: {source}")]
    Invalid {
        /// The flag.
        flag: &'static str,
        /// Why.
        #[source]
        source: Box<aero_redfish::error::RedfishError>,
    },
}

impl Classify for BmcUsageError {
    fn class(&self) -> ErrorClass {
        ErrorClass::Usage
    }
}

/// Runs `aero bmc …`.
pub async fn run(context: &Context, args: BmcArgs) -> Result<ExitCode, Failure> {
    let (mut config, system) = match (&args.connection.site, &args.connection.node) {
        (Some(site), Some(node)) => site_config(context, &args.connection, site, node)?,
        _ => (
            build_config(&args.connection).or_fail()?,
            args.connection.system.clone(),
        ),
    };
    // Some firmware quotes the submitted password in its error messages: whatever the
    // BMC answers is printed and logged through the redactor, which must know it.
    context
        .redactor
        .add_secret(config.credentials.password.expose());
    if let BmcCommand::Power {
        graceful_timeout, ..
    } = &args.command
    {
        config.timing.graceful_shutdown_timeout = Duration::from_secs(*graceful_timeout);
    }
    let endpoint = config.endpoint.to_string();
    let client = BmcClient::connect(config).await.map_err(|error| {
        Failure::of(error).context(format!("cannot connect to the BMC at {endpoint}"))
    })?;
    let result = run_on(context, &client, &args, system.as_deref()).await;
    if let Err(error) = client.close().await {
        tracing::warn!(error = %error, "logging out of the BMC failed");
    }
    result
}

async fn run_on(
    context: &Context,
    client: &BmcClient,
    args: &BmcArgs,
    system: Option<&str>,
) -> Result<ExitCode, Failure> {
    let system = client.system(system).await.or_fail()?;
    let output = args.output;
    let show = |result: std::io::Result<()>| result.map_err(output_failure);
    match &args.command {
        BmcCommand::Inventory => {
            let inventory = system.inventory().await.or_fail()?;
            show(emit(
                &context.redactor,
                output,
                &InventoryOutput::new(client, &inventory),
                inventory_table,
            ))?;
        }
        BmcCommand::Power {
            action: PowerAction::Status,
            ..
        } => {
            let state = system.power_state().await.or_fail()?;
            let dto = PowerStatusOutput {
                endpoint: client.bmc().to_string(),
                system: system.id().to_string(),
                power_state: state.to_string(),
            };
            show(emit(&context.redactor, output, &dto, |dto| {
                key_values(&[
                    ("system", dto.system.clone()),
                    ("power state", dto.power_state.clone()),
                ])
            }))?;
        }
        BmcCommand::Power { action, .. } => {
            let request = match action {
                PowerAction::On => PowerRequest::On,
                PowerAction::Off => PowerRequest::Off,
                PowerAction::ForceOff => PowerRequest::ForceOff,
                PowerAction::Restart | PowerAction::Status => PowerRequest::Restart,
            };
            let outcome = system.set_power(request).await.or_fail()?;
            show(emit(
                &context.redactor,
                output,
                &PowerOutput::new(client, &system, *action, &outcome),
                power_table,
            ))?;
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
            let outcome = system.set_boot_override(&request).await.or_fail()?;
            show(emit(
                &context.redactor,
                output,
                &BootOutput::new(client, &system, &outcome),
                boot_table,
            ))?;
        }
        BmcCommand::Media { action } => {
            let dto = match action {
                MediaCommand::Insert { url } => {
                    let outcome = system.insert_media(url).await.or_fail()?;
                    MediaOutput::new(
                        client,
                        &system,
                        "insert",
                        &outcome,
                        system.media_status().await.or_fail()?,
                    )
                }
                MediaCommand::Eject => {
                    let outcome = system.eject_media().await.or_fail()?;
                    MediaOutput::new(
                        client,
                        &system,
                        "eject",
                        &outcome,
                        system.media_status().await.or_fail()?,
                    )
                }
                MediaCommand::Status => {
                    let slots = system.media_status().await.or_fail()?;
                    let empty = MediaOutcome {
                        slot: None,
                        ejected: Vec::new(),
                    };
                    MediaOutput::new(client, &system, "status", &empty, slots)
                }
            };
            show(emit(&context.redactor, output, &dto, media_table))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The client configuration of `node`'s BMC from the site's documents (the lab's
/// emulator when a lab is up), with the timing and authentication flags applied.
fn site_config(
    context: &Context,
    args: &ConnectionArgs,
    site: &str,
    node: &str,
) -> Result<(BmcConfig, Option<String>), Failure> {
    if args.endpoint.is_some() || args.username.is_some() || args.password_file.is_some() {
        return Err(Failure::usage(
            "--site/--node take the endpoint and credentials from the site: leave out --endpoint, --username and --password-file",
        ));
    }
    let repos = context.repos(&args.repos)?;
    let (_, rendered) = crate::documents::render_valid_site(
        context,
        &repos,
        site,
        &args.identities,
        "the BMC is found from a valid revision",
    )?;
    let model = crate::documents::site_model(context, site, &rendered)?;
    // The BMC may hold media whose URLs carry the nodes' tokens (a deploy inserted
    // them): they are secrets, shown redacted like every other.
    for token in model.node_tokens(rendered.revision_id().unwrap_or_default()) {
        context.redactor.add_secret(token.expose());
    }
    let found = model.node(node).or_fail()?;
    let target = aero_baremetal::bmc_target(found).ok_or_else(|| {
        Failure::usage(format!(
            "node {node} of site {site} has no Redfish BMC (oob type {})",
            found.oob_type.as_str()
        ))
    })?;
    let mut config = aero_redfish::port::RedfishConnector::new()
        .config_for(&target)
        .or_fail()?;
    apply_session_flags(&mut config, args).or_fail()?;
    Ok((config, args.system.clone().or(target.system)))
}

/// The client configuration from the arguments.
fn build_config(args: &ConnectionArgs) -> Result<BmcConfig, BmcUsageError> {
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
        return Err(BmcUsageError::ConflictingTls);
    }
    let verification = if let Some(path) = &args.ca_file {
        TlsVerification::CaBundle(path.clone())
    } else if let Some(fingerprint) = &args.fingerprint {
        TlsVerification::Fingerprint(fingerprint.parse::<Sha256Fingerprint>().map_err(
            |source| BmcUsageError::Invalid {
                flag: "--fingerprint",
                source: Box::new(source),
            },
        )?)
    } else if args.insecure {
        TlsVerification::Insecure
    } else {
        TlsVerification::SystemRoots
    };
    let mut config =
        BmcConfig::new(endpoint, Credentials::new(username, password)).map_err(|source| {
            BmcUsageError::Invalid {
                flag: "--endpoint",
                source: Box::new(source),
            }
        })?;
    config.tls = TlsConfig {
        backend: match args.tls_backend {
            TlsBackendArg::Rustls => TlsBackend::Rustls,
            TlsBackendArg::Openssl => TlsBackend::OpenSsl,
        },
        verification,
    };
    apply_session_flags(&mut config, args)?;
    Ok(config)
}

/// The flags that shape a session whatever the BMC's source (flags or site documents):
/// authentication mode, the operation deadline and the poll interval.
fn apply_session_flags(config: &mut BmcConfig, args: &ConnectionArgs) -> Result<(), BmcUsageError> {
    config.auth = match args.auth {
        AuthArg::Auto => AuthMode::Auto,
        AuthArg::Session => AuthMode::Session,
        AuthArg::Basic => AuthMode::Basic,
    };
    if args.timeout == 0 {
        return Err(BmcUsageError::BadDuration { flag: "--timeout" });
    }
    if !(args.poll_interval.is_finite() && args.poll_interval > 0.0) {
        return Err(BmcUsageError::BadDuration {
            flag: "--poll-interval",
        });
    }
    config.timing.operation_deadline = Duration::from_secs(args.timeout);
    config.timing.poll_interval = Duration::from_secs_f64(args.poll_interval.min(3600.0));
    Ok(())
}

/// Reads the password file; one trailing newline is not part of the password.
fn read_password(path: &Path) -> Result<String, BmcUsageError> {
    let text = std::fs::read_to_string(path).map_err(|source| BmcUsageError::Unreadable {
        path: path.display().to_string(),
        source,
    })?;
    let password = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text)
        .to_string();
    if password.is_empty() {
        return Err(BmcUsageError::EmptyPassword {
            path: path.display().to_string(),
        });
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::OutputFormat;
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
        assert_eq!(error.class(), ErrorClass::Usage);
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
        assert_eq!(error.class(), ErrorClass::Usage);

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
        assert_eq!(error.class(), ErrorClass::Usage, "{error}");

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
        assert_eq!(
            build_config(&args.connection)
                .expect_err("empty password")
                .class(),
            ErrorClass::Usage
        );
    }
}
