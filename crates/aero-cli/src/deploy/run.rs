//! What `aero plan`, `aero deploy` and `aero worker` do, and running an action in this
//! process (`deploy`, `actions resume --wait`, `actions retry --wait`).

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aero_deploy::plan::{Plan, Request};
use aero_deploy::{DeployProvider, DeploySite, OverridesSource, WorkerSetup};
use aero_site::{KeyPolicy, Snapshot};
use aero_workflow::{ActionFilter, ActionState, Engine, EngineConfig, EntryKind, Limits, Store};
use tokio::sync::watch;

use super::args::{DeployArgs, PlanArgs, PlanTarget, WorkerArgs};
use super::output::{PlanView, plan_text};
use crate::actions::exit_code_of;
use crate::context::Context;
use crate::documents::{KeyArgs, lab_overrides, render_valid_site};
use crate::exit::{self, Failure, OrFail, output_failure};
use crate::format::emit;

/// A plan, with what it was made from.
struct Prepared {
    snapshot: Snapshot,
    plan: Plan,
    view: PlanView,
}

/// Renders the site, reads what the store knows of it, asks its BMCs (unless told not
/// to) and plans.
async fn prepare(
    context: &Context,
    target: &PlanTarget,
    store: &Store,
) -> Result<Prepared, Failure> {
    let repos = context.repos(&target.repos)?;
    let (snapshot, rendered) = render_valid_site(
        context,
        &repos,
        &target.site,
        &target.keys.identities,
        "an action needs a valid revision",
    )?;
    let overrides = lab_overrides(context, &target.site)?;
    let site = DeploySite::prepare(&target.site, &rendered, overrides.as_ref()).or_fail()?;
    let mut observed = aero_deploy::observe(store, &target.site).await.or_fail()?;
    if !target.no_observe {
        observed.bmc_state = super::observe::bmc_states(&site).await;
    }
    let request = Request {
        node: target.node.clone(),
        only: target.nodes.clone(),
        exclude: target.exclude.clone(),
        allow_reprovision: target.allow_reprovision,
        limits: Limits {
            max_parallel: target.max_parallel.max(1),
            resource_limits: BTreeMap::from([("bmc".to_string(), target.max_per_bmc.max(1))]),
        },
    };
    let plan = site
        .plan(target.action.kind(), &request, &observed)
        .or_fail()?;
    let view = PlanView::of(&plan, site.overrides.as_deref(), &observed.bmc_state);
    Ok(Prepared {
        snapshot,
        plan,
        view,
    })
}

/// `aero plan SITE`.
pub async fn plan(context: &Context, args: PlanArgs) -> Result<ExitCode, Failure> {
    let store = context.open_store().await?;
    let result = prepare(context, &args.target, &store).await;
    store.close().await.or_fail()?;
    let prepared = result?;
    emit(&context.redactor, args.output, &prepared.view, plan_text).map_err(output_failure)?;
    Ok(ExitCode::SUCCESS)
}

/// `aero deploy SITE`: plan, confirm, pin, submit, and (unless `--detach`) run here.
pub async fn deploy(context: &Context, args: DeployArgs) -> Result<ExitCode, Failure> {
    let store = context.open_store().await?;
    let result = deploy_on(context, &store, args).await;
    let closed = store.close().await;
    let code = result?;
    closed.or_fail()?;
    Ok(code)
}

async fn deploy_on(
    context: &Context,
    store: &Store,
    args: DeployArgs,
) -> Result<ExitCode, Failure> {
    let prepared = prepare(context, &args.target, store).await?;
    emit(&context.redactor, args.output, &prepared.view, plan_text).map_err(output_failure)?;
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    if !prepared.view.blocked.is_empty() {
        return Err(Failure::usage(format!(
            "the plan is blocked: {} changed since provisioned; give --allow-reprovision to reprovision (rewrites their disks)",
            prepared.view.blocked.join(", ")
        )));
    }
    if !args.yes && !confirm(&prepared.view)? {
        eprintln!("aero: plan declined; nothing was done");
        return Ok(ExitCode::from(exit::DECLINED));
    }
    let snapshot_id = store
        .put_snapshot(&prepared.snapshot.to_bytes())
        .await
        .or_fail()?;
    let params = serde_json::json!({
        "node": args.target.node,
        "nodes": args.target.nodes,
        "exclude": args.target.exclude,
        "allow_reprovision": args.target.allow_reprovision,
    });
    let spec = prepared.plan.action_spec(&snapshot_id, params);
    let id = store.submit(&spec).await.or_fail()?;
    eprintln!(
        "aero: action {id} ({}) submitted for site {}",
        spec.kind, spec.site
    );
    if args.detach {
        eprintln!(
            "aero: a worker (`aero worker`) runs it; follow it with `aero actions logs -f {id}`"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let state = run_here(context, store, &id, &args.target.keys).await?;
    Ok(exit_code_of(state))
}

/// Asks on the terminal; a prompt that cannot be shown is a usage error.
fn confirm(view: &PlanView) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(
            "stdin is not a terminal, so the plan cannot be confirmed: pass --yes to run it, or --dry-run to only show it",
        ));
    }
    let question = if view.destructive.is_empty() {
        "Run this plan? [y/N] ".to_string()
    } else {
        format!(
            "This plan REWRITES THE DISKS of {}. Run it? [y/N] ",
            view.destructive.join(", ")
        )
    };
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| {
            Failure::operational(anyhow::Error::new(error).context("reading the answer"))
        })?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// The lab's recorded stand-ins, read from the state directory.
struct LabOverrides {
    state_dir: std::path::PathBuf,
}

impl LabOverrides {
    fn new(context: &Context) -> Self {
        LabOverrides {
            state_dir: context.state_dir.clone(),
        }
    }
}

impl OverridesSource for LabOverrides {
    fn overrides(&self, site: &str) -> Result<Option<aero_baremetal::TargetOverrides>, String> {
        aero_lab::active_targets(&self.state_dir, site).map_err(|error| error.to_string())
    }
}

/// The engine of this process: its steps come from the deploy provider, with this
/// operator's keys.
fn engine(
    context: &Context,
    store: &Store,
    keys: &KeyArgs,
    config: EngineConfig,
) -> (Engine, Arc<DeployProvider>) {
    let key_roots = context
        .repos(&[])
        .map(|repos| repos.into_iter().map(|repo| repo.path).collect())
        .unwrap_or_default();
    let setup = WorkerSetup {
        key_policy: KeyPolicy {
            identity_files: keys.identities.clone(),
        },
        key_roots,
        redactor: context.redactor.clone(),
        overrides: Arc::new(LabOverrides::new(context)),
        connector: Arc::new(aero_redfish::port::RedfishConnector::new()),
        artifacts: super::artifacts::host(context, store),
    };
    let provider = Arc::new(DeployProvider::new(store.clone(), setup));
    (
        Engine::new(store.clone(), provider.clone(), config),
        provider,
    )
}

/// Runs action `id` in this process to its end (or until it is paused or stopped),
/// showing progress; Ctrl-C asks it to stop at the next step boundary.
pub async fn run_here(
    context: &Context,
    store: &Store,
    id: &str,
    keys: &KeyArgs,
) -> Result<ActionState, Failure> {
    let (engine, provider) = engine(context, store, keys, EngineConfig::default());
    let total = store.action(id).await.or_fail()?.step_count.max(0) as u64;
    let progress =
        super::progress::Progress::start(engine.subscribe(), id, total, context.redactor.clone());
    let stopper = {
        let store = store.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\naero: stopping action {id} at the next step boundary (a request in flight completes); resume it with `aero actions resume {id} --wait`"
                );
                let _ = store.request_stop(&id).await;
            }
        })
    };
    let outcome = engine.run(id).await;
    stopper.abort();
    provider.close_sessions().await;
    progress.finish().await;
    let state = outcome.or_fail()?;
    let summary = store.action(id).await.or_fail()?;
    report_end(id, state, summary.error.as_deref());
    Ok(state)
}

/// One line on how the action ended, and what to do next.
fn report_end(id: &str, state: ActionState, error: Option<&str>) {
    match state {
        ActionState::Succeeded => eprintln!("aero: action {id} succeeded"),
        ActionState::SucceededWithFailures => eprintln!(
            "aero: action {id} succeeded with failures within the success criteria; see `aero actions show {id}`"
        ),
        ActionState::Failed => eprintln!(
            "aero: action {id} failed{}; see `aero actions show {id}`, fix the cause, then `aero actions retry {id} --from STEP --wait`",
            error.map(|error| format!(": {error}")).unwrap_or_default()
        ),
        other => eprintln!(
            "aero: action {id} is {other}; resume it with `aero actions resume {id} --wait`"
        ),
    }
}

/// `actions resume --all`: makes every paused or stopped action runnable again and
/// returns them, with the running (or stopping) actions: those whose worker died are
/// taken over when run here; those a live worker holds are left to it.
pub async fn resume_all(_context: &Context, store: &Store) -> Result<Vec<String>, Failure> {
    let interrupted = store
        .list(&ActionFilter {
            site: None,
            states: vec![
                ActionState::Paused,
                ActionState::Stopped,
                ActionState::Running,
                ActionState::Stopping,
            ],
            limit: None,
        })
        .await
        .or_fail()?;
    let mut ids = Vec::new();
    for action in interrupted {
        if matches!(action.state, ActionState::Paused | ActionState::Stopped) {
            store.resume(&action.id).await.or_fail()?;
        }
        ids.push(action.id);
    }
    Ok(ids)
}

/// `aero worker`: runs queued and orphaned actions until SIGINT or SIGTERM, then hands
/// its running actions back at their next step boundary.
pub async fn worker(context: &Context, args: WorkerArgs) -> Result<ExitCode, Failure> {
    let store = context.open_store().await?;
    let config = EngineConfig {
        lease_ttl: Duration::from_secs(args.lease_ttl.max(2)),
        heartbeat_interval: Duration::from_secs(args.heartbeat.max(1)),
        max_actions: args.max_actions.max(1),
        ..EngineConfig::default()
    };
    if config.heartbeat_interval * 2 > config.lease_ttl {
        return Err(Failure::usage(format!(
            "--heartbeat {}s must be at most half of --lease-ttl {}s, or a busy worker loses its leases",
            args.heartbeat, args.lease_ttl
        )));
    }
    let (engine, provider) = engine(context, &store, &args.keys, config);
    let (shutdown, watcher) = watch::channel(false);
    tokio::spawn(async move {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async {
                match terminate.as_mut() {
                    Some(signal) => { signal.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
        let _ = shutdown.send(true);
    });
    let mut events = engine.subscribe();
    let redactor = context.redactor.clone();
    let printer = tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            if matches!(event.kind, EntryKind::ActionState | EntryKind::Claimed) {
                eprintln!(
                    "aero worker: action {}: {}",
                    event.action_id,
                    redactor.scrub(&event.message)
                );
            }
        }
    });
    eprintln!(
        "aero worker {}: running actions from {} (Ctrl-C to stop)",
        engine.worker_id(),
        store.location()
    );
    let worked = engine.work(watcher).await;
    printer.abort();
    provider.close_sessions().await;
    store.close().await.or_fail()?;
    worked.or_fail()?;
    eprintln!("aero worker {}: stopped", engine.worker_id());
    Ok(ExitCode::SUCCESS)
}
