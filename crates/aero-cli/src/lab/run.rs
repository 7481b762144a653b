//! What each `aero lab` verb does: `up` renders the site (with the operator's key
//! policy, as every verb does) and builds its host model, then hands a plan to
//! `aero-lab`, which starts the background process (this binary's hidden `lab run`);
//! `down` and `status` are `aero-lab`'s; the output is [`super::output`]'s.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Duration;

use aero_baremetal::HostModel;
use aero_lab::{DownOutcome, Fault, LabOptions, LabPlan, UpOutcome, UpRequest};

use super::args::{LabArgs, LabCommand};
use super::output::{LabView, lab_table, notes};
use crate::context::Context;
use crate::documents::{KeyArgs, render_valid_site};
use crate::exit::{Failure, OrFail, output_failure};
use crate::format::{emit, write_stdout};

/// Runs an `aero lab` verb.
pub fn run(context: &Context, args: LabArgs) -> Result<ExitCode, Failure> {
    let LabArgs { repos, command } = args;
    match command {
        LabCommand::Up {
            site,
            seed,
            boot_delay,
            timeout,
            faults,
            keys,
        } => {
            if !(0.0..=600.0).contains(&boot_delay) {
                return Err(Failure::usage(format!(
                    "--boot-delay {boot_delay}: give seconds between 0 and 600"
                )));
            }
            let mut by_node: BTreeMap<String, Vec<Fault>> = BTreeMap::new();
            for (node, fault) in faults {
                by_node.entry(node).or_default().push(fault);
            }
            let options = LabOptions {
                seed: seed.unwrap_or_else(random_seed),
                boot_delay: Duration::from_secs_f64(boot_delay),
                faults: by_node,
            };
            up(context, &repos, &site, options, timeout, &keys)
        }
        LabCommand::Down { site } => {
            match aero_lab::down(&context.state_dir, &site).or_fail()? {
                DownOutcome::Stopped { processes, logs } => eprintln!(
                    "aero: the lab of {site} is stopped ({processes} process(es)); its logs are kept in {}",
                    logs.display()
                ),
                DownOutcome::NotRunning => {
                    eprintln!(
                        "aero: no lab of {site} was running (its targets, if any, are removed)"
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Status { site, output } => {
            let status = aero_lab::status(&context.state_dir, &site).or_fail()?;
            let view = LabView::of(&status);
            emit(&context.redactor, output, &view, |view| {
                let mut text: String = notes(view)
                    .into_iter()
                    .map(|line| format!("{line}\n"))
                    .collect();
                text.push_str(&lab_table(view));
                text
            })
            .map_err(output_failure)?;
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Run { site } => crate::run_async(async {
            aero_lab::run_daemon(&context.state_dir, &site)
                .await
                .or_fail()?;
            Ok(ExitCode::SUCCESS)
        }),
    }
}

fn up(
    context: &Context,
    repos: &[String],
    site: &str,
    options: LabOptions,
    timeout: u64,
    keys: &KeyArgs,
) -> Result<ExitCode, Failure> {
    let current = aero_lab::status(&context.state_dir, site).or_fail()?;
    if current.running {
        eprintln!("aero: the lab of {site} is already running; left as it is");
        if !options.faults.is_empty() {
            eprintln!(
                "aero: --fault is not applied to a running lab: run `aero lab down {site}` first"
            );
        }
        return show(&LabView::of(&current));
    }
    let repos = context.repos(repos)?;
    let (_, rendered) = render_valid_site(
        context,
        &repos,
        site,
        &keys.identities,
        "the lab is made from a valid revision",
    )?;
    let model = HostModel::from_site(&rendered).or_fail()?;
    let plan = LabPlan::from_model(site, &model, &options).or_fail()?;
    eprintln!(
        "aero: starting the lab of {site}: {} emulated BMC(s) and node simulator(s) (stand-ins), seed {}",
        plan.nodes.len(),
        plan.seed
    );
    let outcome = aero_lab::up(UpRequest {
        state_dir: context.state_dir.clone(),
        plan,
        daemon: daemon_command(&context.state_dir, site)?,
        ready_within: Duration::from_secs(timeout),
    })
    .or_fail()?;
    let status = match outcome {
        UpOutcome::Started(status) => status,
        UpOutcome::AlreadyRunning(status) => {
            eprintln!("aero: the lab of {site} is already running; left as it is");
            status
        }
    };
    show(&LabView::of(&status))
}

/// The table on stdout, the notes on stderr.
fn show(view: &LabView<'_>) -> Result<ExitCode, Failure> {
    for line in notes(view) {
        eprintln!("aero: {line}");
    }
    write_stdout(&lab_table(view)).map_err(output_failure)?;
    Ok(ExitCode::SUCCESS)
}

/// This binary's hidden `lab run SITE`, with the same state directory; `-v`, so its log
/// says what the lab does (without colours: it is a file).
fn daemon_command(state_dir: &Path, site: &str) -> Result<Command, Failure> {
    let program = std::env::current_exe().map_err(|error| {
        Failure::operational(
            anyhow::Error::new(error).context("cannot find the aero binary to run the lab with"),
        )
    })?;
    let mut command = Command::new(program);
    command
        .env("NO_COLOR", "1")
        .arg("-v")
        .arg("--state-dir")
        .arg(state_dir)
        .args(["lab", "run", site]);
    Ok(command)
}

/// A seed when none is given: from the clock and the process id, small enough to read
/// and type again (`--seed`).
fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos() ^ elapsed.as_secs() as u32)
        .unwrap_or(0);
    u64::from(nanos ^ std::process::id().rotate_left(16)) % 1_000_000
}
