//! Arguments of `aero plan`, `aero deploy` and `aero worker`.

use clap::{Args, ValueEnum};

use crate::documents::KeyArgs;
use crate::format::OutputFormat;

/// The action to plan or run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ActionArg {
    /// Provision every node not yet provisioned, group by group (Shipyard's deploy_site).
    DeploySite,
    /// Apply a new revision: provision new nodes, reprovision changed ones
    /// (--allow-reprovision), leave the rest.
    UpdateSite,
    /// Workloads only (not in this build: refused with the reason).
    UpdateSoftware,
    /// Tear one node down and provision it again (--node).
    RedeployServer,
    /// Run the workloads' tests (not in this build: refused with the reason).
    TestSite,
}

impl ActionArg {
    /// The action layer's kind.
    pub fn kind(self) -> aero_deploy::action::ActionKind {
        use aero_deploy::action::ActionKind;
        match self {
            ActionArg::DeploySite => ActionKind::DeploySite,
            ActionArg::UpdateSite => ActionKind::UpdateSite,
            ActionArg::UpdateSoftware => ActionKind::UpdateSoftware,
            ActionArg::RedeployServer => ActionKind::RedeployServer,
            ActionArg::TestSite => ActionKind::TestSite,
        }
    }
}

/// What to plan: the site, the action and its scope.
#[derive(Debug, Args)]
pub struct PlanTarget {
    /// Site name.
    pub site: String,
    /// The action.
    #[arg(long, value_enum, default_value = "deploy-site")]
    pub action: ActionArg,
    /// The node to redeploy (redeploy-server).
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    /// Act only on these nodes (comma-separated or repeated).
    #[arg(long, value_name = "NODE", value_delimiter = ',')]
    pub nodes: Vec<String>,
    /// Leave these nodes alone (comma-separated or repeated).
    #[arg(long, value_name = "NODE", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// update-site: reprovision nodes whose provisioning documents changed (rewrites
    /// their disks).
    #[arg(long)]
    pub allow_reprovision: bool,
    /// Nodes provisioned at once, across the site.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub max_parallel: u32,
    /// Requests in flight to one BMC at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub max_per_bmc: u32,
    /// Do not ask the BMCs for their current state while planning.
    #[arg(long)]
    pub no_observe: bool,
    /// A manifests repository as NAME=PATH or PATH (repeatable). Default: the
    /// `site-manifests` folder found in the working folder or above it.
    #[arg(long = "repo", value_name = "NAME=PATH")]
    pub repos: Vec<String>,
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// Arguments of `aero plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: PlanTarget,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

/// Arguments of `aero deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub target: PlanTarget,
    /// Do not ask for confirmation (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show the plan and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Queue the action for a worker and return (exit 0) instead of running it here.
    #[arg(long)]
    pub detach: bool,
    /// Output format of the plan (the action's progress is printed for people).
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

/// Arguments of `aero worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Actions run at once by this worker.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub max_actions: usize,
    /// Lease time-to-live in seconds (another worker takes an action over after it).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub lease_ttl: u64,
    /// Heartbeat interval in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub heartbeat: u64,
    #[command(flatten)]
    pub keys: KeyArgs,
}
