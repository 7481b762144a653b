//! What each `aero actions` verb does. Reading and controlling actions needs only the
//! store; running one here (`--wait`) needs the deploy runtime, which renders the
//! action's pinned revision with this operator's key.

use std::process::ExitCode;
use std::time::Duration;

use aero_workflow::{ActionFilter, ActionState, LogFilter, Store};

use super::args::{ActionsArgs, ActionsCommand};
use super::output::{
    ActionShow, ActionView, LogView, action_table, log_line, log_lines, show_text,
};
use crate::context::Context;
use crate::documents::KeyArgs;
use crate::exit::{self, Failure, OrFail, output_failure};
use crate::format::{OutputFormat, emit, write_stdout};

/// How often `logs --follow` reads the journal.
const FOLLOW_POLL: Duration = Duration::from_millis(500);

/// The exit code of an action that ended (or stopped) in `state`.
pub fn exit_code_of(state: ActionState) -> ExitCode {
    ExitCode::from(match state {
        ActionState::Succeeded => 0,
        ActionState::SucceededWithFailures => exit::PARTIAL,
        ActionState::Failed => exit::INVALID,
        // Paused or stopped by an operator, or still queued for a worker: not done, and
        // not a success a script should build on.
        _ => exit::OPERATIONAL,
    })
}

/// Runs an `aero actions` verb.
pub async fn run(context: &Context, args: ActionsArgs) -> Result<ExitCode, Failure> {
    let store = context.open_store().await?;
    let result = run_on(context, &store, args.command).await;
    let closed = store.close().await;
    let code = result?;
    closed.or_fail()?;
    Ok(code)
}

async fn run_on(
    context: &Context,
    store: &Store,
    command: ActionsCommand,
) -> Result<ExitCode, Failure> {
    let show = |result: std::io::Result<()>| result.map_err(output_failure);
    match command {
        ActionsCommand::List {
            site,
            states,
            limit,
            output,
        } => {
            let states = states
                .iter()
                .map(|name| {
                    ActionState::from_name(&name.replace('-', "_")).ok_or_else(|| {
                        Failure::usage(format!(
                            "--state {name}: expected one of {}",
                            ActionState::ALL
                                .iter()
                                .map(|state| state.name().replace('_', "-"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let actions = store
                .list(&ActionFilter {
                    site,
                    states,
                    limit: Some(limit),
                })
                .await
                .or_fail()?;
            let views: Vec<ActionView> = actions.iter().map(ActionView::from).collect();
            show(emit(&context.redactor, output, &views, action_table))?;
            Ok(ExitCode::SUCCESS)
        }
        ActionsCommand::Show { action, output } => {
            let detail = store.show(&action).await.or_fail()?;
            show(emit(
                &context.redactor,
                output,
                &ActionShow::from(&detail),
                show_text,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        ActionsCommand::Logs {
            action,
            step,
            follow,
            output,
        } => logs(context, store, &action, step, follow, output).await,
        ActionsCommand::Pause { action } => {
            let state = store.request_pause(&action).await.or_fail()?;
            eprintln!("aero: action {action}: {state} (pauses at the next step boundary)");
            Ok(ExitCode::SUCCESS)
        }
        ActionsCommand::Stop { action } => {
            let state = store.request_stop(&action).await.or_fail()?;
            eprintln!(
                "aero: action {action}: {state} (stops at the next step boundary; resume it with `aero actions resume {action}`)"
            );
            Ok(ExitCode::SUCCESS)
        }
        ActionsCommand::Resume { action, all, wait } => {
            let ids = match (action, all) {
                (Some(action), _) => {
                    store.resume(&action).await.or_fail()?;
                    vec![action]
                }
                (None, _) => crate::deploy::resume_all(context, store).await?,
            };
            if ids.is_empty() {
                eprintln!("aero: no action to resume");
                return Ok(ExitCode::SUCCESS);
            }
            if !wait {
                for id in &ids {
                    eprintln!(
                        "aero: action {id} is runnable again; a worker (`aero worker`) picks it up, or run it here with `aero actions resume {id} --wait`"
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            let mut worst = ActionState::Succeeded;
            for id in &ids {
                match crate::deploy::run_here(context, store, id, &KeyArgs::default()).await {
                    Ok(state) => worst = worse(worst, state),
                    // With --all, an action a live worker runs is that worker's.
                    Err(failure) if all && failure.code == exit::CONFLICT => {
                        eprintln!("aero: action {id}: {:#}", failure.error);
                    }
                    Err(failure) => return Err(failure),
                }
            }
            Ok(exit_code_of(worst))
        }
        ActionsCommand::Retry { action, from, wait } => {
            let detail = store.show(&action).await.or_fail()?;
            let mut steps = Vec::new();
            for name in &from {
                let chosen: Vec<&str> = match detail.steps.iter().find(|step| &step.id == name) {
                    Some(step) => vec![step.id.as_str()],
                    None => detail
                        .steps
                        .iter()
                        .filter(|step| step.group.as_deref() == Some(name.as_str()))
                        .filter(|step| !matches!(step.state, aero_workflow::StepState::Succeeded))
                        .map(|step| step.id.as_str())
                        .collect(),
                };
                if chosen.is_empty() {
                    return Err(Failure::usage(format!(
                        "--from {name}: action {action} has no step or group of that name with a step to retry"
                    )));
                }
                steps.extend(chosen);
            }
            let state = store.retry_from(&action, &steps).await.or_fail()?;
            if !wait {
                eprintln!(
                    "aero: action {action}: {state}; {} step(s) reset",
                    steps.len()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let state =
                crate::deploy::run_here(context, store, &action, &KeyArgs::default()).await?;
            Ok(exit_code_of(state))
        }
    }
}

/// The less successful of two final states.
fn worse(left: ActionState, right: ActionState) -> ActionState {
    let rank = |state: ActionState| match state {
        ActionState::Succeeded => 0,
        ActionState::SucceededWithFailures => 1,
        ActionState::Failed => 3,
        _ => 2,
    };
    if rank(right) > rank(left) {
        right
    } else {
        left
    }
}

async fn logs(
    context: &Context,
    store: &Store,
    action: &str,
    step: Option<String>,
    follow: bool,
    output: OutputFormat,
) -> Result<ExitCode, Failure> {
    let since = |after_seq: Option<i64>| LogFilter {
        step: step.clone(),
        after_seq,
        limit: None,
    };
    let mut after = None;
    loop {
        let entries = store.logs(action, &since(after)).await.or_fail()?;
        let views: Vec<LogView> = entries.iter().map(LogView::from).collect();
        if let Some(last) = entries.last() {
            after = Some(last.seq);
        }
        if follow && output == OutputFormat::Table {
            for view in &views {
                write_stdout(&context.redactor.scrub(&log_line(view))).map_err(output_failure)?;
            }
        } else if !follow || !views.is_empty() {
            emit(&context.redactor, output, &views, log_lines).map_err(output_failure)?;
        }
        if !follow {
            return Ok(ExitCode::SUCCESS);
        }
        let summary = store.action(action).await.or_fail()?;
        if summary.state.is_final()
            || matches!(summary.state, ActionState::Paused | ActionState::Stopped)
        {
            // One last read, then stop: entries written just before the end are shown.
            if store
                .logs(action, &since(after))
                .await
                .or_fail()?
                .is_empty()
            {
                return Ok(exit_code_of(summary.state));
            }
            continue;
        }
        tokio::time::sleep(FOLLOW_POLL).await;
    }
}
