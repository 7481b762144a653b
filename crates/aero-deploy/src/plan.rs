//! The plan: what an action would do, node by node, and the DAG of steps that does it.
//!
//! Planning is a pure function of the pinned revision (its typed host model and
//! Shipyard documents), the operator's request, and what is observed now (which nodes
//! were provisioned at which fingerprint, which were adopted). It reads nothing itself:
//! [`Observed`] is gathered by the caller from the store (and the drivers), so the same
//! inputs always give the same plan, and tests need no BMC.
//!
//! Rules, per node in scope (`--nodes`, `--exclude`):
//! - externally provisioned or adopted: never touched, counted as a success by its group;
//! - `deploy_site`: provisioned if it never was; a node provisioned before is left alone
//!   (changed or not: changing a deployed node is `update_site`'s or `redeploy_server`'s);
//! - `update_site`: provisioned if it never was; reprovisioned if its provisioning
//!   fingerprint changed, and only with `--allow-reprovision` (otherwise the plan is
//!   blocked on that line); unchanged nodes are skipped;
//! - `redeploy_server NODE`: that node is deprovisioned and provisioned again.
//!
//! The DAG: validate the design; preflight every BMC in scope; then, group by group in the
//! strategy's order, each acted-on node's chain of provisioning steps, hanging on the end
//! of every preflight (no node is touched before every BMC was checked), on the success
//! of its own preflight, and on the gates of the groups its group depends on; a gate per
//! group counts its nodes' outcomes, preflight included, against the success criteria (a
//! failed gate skips every group depending on it, transitively). So a node whose BMC is
//! down or reports another machine is never touched and counts as a failure of its
//! group, and whether the others go on is the strategy's call, as with any node failure.

use std::collections::{BTreeMap, BTreeSet};

use aero_workflow::{ActionSpec, Dependency, Limits, RetryPolicy, StepSpec};
use serde::{Deserialize, Serialize};

use crate::action::{ActionKind, Phase};
use crate::error::DeployError;
use crate::strategy::{DeploymentStrategy, NodeFacts, ResolvedGroup, SuccessCriteria};

/// Step kind of the design validation.
pub const VALIDATE_KIND: &str = "deploy.validate-design";
/// Step kind of a group's success-criteria gate.
pub const GATE_KIND: &str = "deploy.group-gate";
/// Id of the design validation step.
pub const VALIDATE_STEP: &str = "validate-design";

/// What the operator asked for.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// For `redeploy_server`: the node.
    pub node: Option<String>,
    /// Only these nodes (`--nodes`); empty: all.
    pub only: Vec<String>,
    /// Not these nodes (`--exclude`).
    pub exclude: Vec<String>,
    /// Reprovision nodes whose provisioning documents changed (`update_site`).
    pub allow_reprovision: bool,
    /// Concurrency limits for the action.
    pub limits: Limits,
}

/// What is known of the site now: from the store, and from the drivers where the caller
/// asked them.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Nodes provisioned by an earlier action: node → fingerprint they were provisioned at.
    pub provisioned: BTreeMap<String, String>,
    /// Nodes an operator adopted (`aero node adopt`): never touched.
    pub adopted: BTreeSet<String>,
    /// The revision of the last successful deployment, if any.
    pub last_deployed: Option<String>,
    /// What the BMCs say now, per node, for display (`On`, `Off`, `unreachable: …`).
    pub bmc_state: BTreeMap<String, String>,
}

/// What the plan does with one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Provision it (it never was).
    Provision,
    /// Provision it again (destructive: its disks are rewritten).
    Reprovision,
    /// Leave it as it is.
    Skip,
    /// Outside the action's scope (`--nodes`, `--exclude`).
    Excluded,
    /// Externally provisioned or adopted: never touched.
    External,
    /// Would be reprovisioned, but `--allow-reprovision` was not given.
    Blocked,
}

impl Change {
    /// Whether the node is acted on.
    pub fn acts(self) -> bool {
        matches!(self, Change::Provision | Change::Reprovision)
    }

    /// Whether the node counts as a success for its group without being acted on.
    fn counts_as_success(self) -> bool {
        matches!(self, Change::Skip | Change::External | Change::Blocked)
    }
}

/// The plan's line for one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeLine {
    /// The node.
    pub node: String,
    /// The group that acts on it (the first in deployment order that selects it).
    pub group: Option<String>,
    /// What happens to it.
    pub change: Change,
    /// Why, for people.
    pub reason: String,
}

/// A phase of the action and whether this plan performs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseStatus {
    /// Its steps are in the DAG.
    Included,
    /// In scope, but nothing to do.
    NothingToDo,
    /// This build has no driver for it: left out.
    NotInThisBuild,
}

/// Everything an action would do.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The action.
    pub kind: ActionKind,
    /// The site.
    pub site: String,
    /// The pinned revision.
    pub revision_id: String,
    /// The revision last deployed successfully, if any.
    pub baseline: Option<String>,
    /// The action's phases.
    pub phases: Vec<(Phase, PhaseStatus)>,
    /// The groups, in deployment order.
    pub groups: Vec<ResolvedGroup>,
    /// One line per node of the site.
    pub nodes: Vec<NodeLine>,
    /// The steps to run.
    pub steps: Vec<StepSpec>,
    /// Concurrency limits.
    pub limits: Limits,
}

impl Plan {
    /// Nodes whose disks this plan rewrites that were provisioned before.
    pub fn destructive(&self) -> impl Iterator<Item = &NodeLine> {
        self.nodes
            .iter()
            .filter(|line| line.change == Change::Reprovision)
    }

    /// Lines that keep the plan from running (reprovisioning not allowed).
    pub fn blocked(&self) -> impl Iterator<Item = &NodeLine> {
        self.nodes
            .iter()
            .filter(|line| line.change == Change::Blocked)
    }

    /// The action to submit, pinned to `snapshot_id`.
    pub fn action_spec(&self, snapshot_id: &str, params: serde_json::Value) -> ActionSpec {
        ActionSpec {
            kind: self.kind.name().to_string(),
            site: self.site.clone(),
            revision_id: self.revision_id.clone(),
            snapshot_id: snapshot_id.to_string(),
            params,
            steps: self.steps.clone(),
            limits: self.limits.clone(),
        }
    }
}

/// A node as the planner sees it.
pub trait PlannedNode: NodeFacts {
    /// Its provisioning fingerprint (hex).
    fn fingerprint(&self) -> String;
    /// Whether the documents mark it externally provisioned.
    fn externally_provisioned(&self) -> bool;
}

/// The bare-metal domain's steps for one node, as specs the plan composes.
pub trait NodeSteps {
    /// Reach the BMC, log in, compare the inventory with the documents.
    fn preflight(&self, node: &str) -> Result<StepSpec, DeployError>;
    /// The node's provisioning chain, in order (dependencies inside the chain set, the
    /// first step without any).
    fn provision(&self, node: &str) -> Result<Vec<StepSpec>, DeployError>;
    /// Power off, clear the boot override and media, in order.
    fn deprovision(&self, node: &str) -> Result<Vec<StepSpec>, DeployError>;
}

/// Parameters of a group gate, as stored in its step spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateParams {
    /// The group.
    pub group: String,
    /// Whether the group is critical (for display: the DAG carries the consequence).
    pub critical: bool,
    /// Its success criteria.
    pub criteria: SuccessCriteria,
    /// Its nodes in scope and how each is judged.
    pub members: Vec<GateMember>,
}

/// A node of a gated group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateMember {
    /// The node.
    pub node: String,
    /// The steps acting on it in this action (all must succeed); empty when the node is
    /// not acted on and counts as a success.
    pub steps: Vec<String>,
}

/// Plans `kind` on a rendered site's nodes.
#[allow(clippy::too_many_arguments)] // each input is a distinct source; a struct would only rename them
pub fn plan<N: PlannedNode>(
    kind: ActionKind,
    site: &str,
    revision_id: &str,
    nodes: &[N],
    strategy: &DeploymentStrategy,
    request: &Request,
    observed: &Observed,
    steps: &dyn NodeSteps,
) -> Result<Plan, DeployError> {
    kind.check_supported()?;
    let known: BTreeSet<&str> = nodes.iter().map(|node| node.name()).collect();
    for name in request
        .only
        .iter()
        .chain(&request.exclude)
        .chain(request.node.iter())
    {
        if !known.contains(name.as_str()) {
            return Err(DeployError::NotFound(format!(
                "site `{site}` has no node `{name}` (nodes: {})",
                known.iter().copied().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let in_scope = |name: &str| {
        (request.only.is_empty() || request.only.iter().any(|only| only == name))
            && !request.exclude.iter().any(|excluded| excluded == name)
    };
    let groups = match kind {
        ActionKind::RedeployServer => Vec::new(),
        _ => strategy.resolve(nodes),
    };
    let group_of: BTreeMap<&str, &str> = groups
        .iter()
        .flat_map(|group| {
            group
                .actionable
                .iter()
                .map(move |node| (node.as_str(), group.name.as_str()))
        })
        .collect();
    let mut lines = Vec::with_capacity(nodes.len());
    for node in nodes {
        let name = node.name();
        let (change, reason) = judge(kind, node, request, observed, in_scope(name));
        lines.push(NodeLine {
            node: name.to_string(),
            group: group_of.get(name).map(|group| group.to_string()),
            change,
            reason,
        });
    }
    if kind == ActionKind::RedeployServer {
        let target = request.node.as_deref().ok_or_else(|| {
            DeployError::Usage("redeploy_server needs the node to redeploy".to_string())
        })?;
        if let Some(line) = lines.iter().find(|line| line.node == target)
            && line.change == Change::External
        {
            return Err(DeployError::Usage(format!(
                "node `{target}` is externally provisioned or adopted: Aerostat never powers it off or reprovisions it"
            )));
        }
    }
    let steps = assemble(kind, &groups, &lines, steps)?;
    let acts = lines.iter().any(|line| line.change.acts());
    let phases = kind
        .phases()
        .iter()
        .map(|phase| {
            let status = if !phase.in_this_build() {
                PhaseStatus::NotInThisBuild
            } else if matches!(
                phase,
                Phase::Preflight | Phase::Provision | Phase::Deprovision
            ) && !acts
            {
                PhaseStatus::NothingToDo
            } else {
                PhaseStatus::Included
            };
            (*phase, status)
        })
        .collect();
    Ok(Plan {
        kind,
        site: site.to_string(),
        revision_id: revision_id.to_string(),
        baseline: observed.last_deployed.clone(),
        phases,
        groups,
        nodes: lines,
        steps,
        limits: request.limits.clone(),
    })
}

/// What happens to one node, and why.
fn judge<N: PlannedNode>(
    kind: ActionKind,
    node: &N,
    request: &Request,
    observed: &Observed,
    in_scope: bool,
) -> (Change, String) {
    let name = node.name();
    if node.externally_provisioned() {
        return (
            Change::External,
            "externally provisioned (documents): never touched".to_string(),
        );
    }
    if observed.adopted.contains(name) {
        return (
            Change::External,
            "adopted (aero node adopt): never touched".to_string(),
        );
    }
    if kind == ActionKind::RedeployServer {
        return if request.node.as_deref() == Some(name) {
            (
                Change::Reprovision,
                "redeploy_server: deprovision, then provision again".to_string(),
            )
        } else {
            (
                Change::Excluded,
                "not the node being redeployed".to_string(),
            )
        };
    }
    if !in_scope {
        return (Change::Excluded, "outside --nodes / --exclude".to_string());
    }
    let fingerprint = node.fingerprint();
    match (observed.provisioned.get(name), kind) {
        (None, _) => (Change::Provision, "never provisioned".to_string()),
        (Some(previous), _) if *previous == fingerprint => (
            Change::Skip,
            "provisioned; its provisioning documents are unchanged".to_string(),
        ),
        (Some(_), ActionKind::UpdateSite) if request.allow_reprovision => (
            Change::Reprovision,
            "its provisioning documents changed since it was provisioned".to_string(),
        ),
        (Some(_), ActionKind::UpdateSite) => (
            Change::Blocked,
            "its provisioning documents changed: reprovisioning rewrites its disks, give --allow-reprovision".to_string(),
        ),
        (Some(_), _) => (
            Change::Skip,
            "provisioned; its provisioning documents changed since (update_site --allow-reprovision or redeploy_server acts on that)".to_string(),
        ),
    }
}

/// The DAG of the action.
fn assemble(
    kind: ActionKind,
    groups: &[ResolvedGroup],
    lines: &[NodeLine],
    node_steps: &dyn NodeSteps,
) -> Result<Vec<StepSpec>, DeployError> {
    let mut steps = vec![validate_step()];
    let acting: Vec<&NodeLine> = lines.iter().filter(|line| line.change.acts()).collect();
    if acting.is_empty() {
        return Ok(steps);
    }
    let mut preflights = Vec::new();
    for line in &acting {
        let mut preflight = node_steps.preflight(&line.node)?;
        preflight.after.push(Dependency::success(VALIDATE_STEP));
        preflight.node = Some(line.node.clone());
        preflights.push((line.node.clone(), preflight.id.clone()));
        steps.push(preflight);
    }
    let chain = |node: &str, extra: &[Dependency], group: Option<&str>| {
        let mut specs = Vec::new();
        if kind == ActionKind::RedeployServer {
            specs.extend(node_steps.deprovision(node)?);
        }
        let mut provision = node_steps.provision(node)?;
        let previous = specs.last().map(|spec: &StepSpec| spec.id.clone());
        if let (Some(previous), Some(head)) = (previous, provision.first_mut()) {
            head.after.push(Dependency::success(&previous));
        }
        specs.extend(provision);
        if let Some(first) = specs.first_mut() {
            first.after.extend(extra.iter().cloned());
        }
        for spec in &mut specs {
            spec.node = Some(node.to_string());
            spec.group = group.map(str::to_string);
        }
        Ok::<_, DeployError>(specs)
    };
    if kind == ActionKind::RedeployServer {
        let on_preflights: Vec<Dependency> = preflights
            .iter()
            .map(|(_, step)| Dependency::success(step))
            .collect();
        for line in &acting {
            steps.extend(chain(&line.node, &on_preflights, None)?);
        }
        return Ok(steps);
    }
    // Every chain waits for every preflight to end, and needs its own to succeed.
    let after_preflights = |node: &str| -> Vec<Dependency> {
        preflights
            .iter()
            .map(|(of, step)| {
                if of == node {
                    Dependency::success(step)
                } else {
                    Dependency::completion(step)
                }
            })
            .collect()
    };
    let preflight_of = |node: &str| {
        preflights
            .iter()
            .find(|(of, _)| of == node)
            .map(|(_, step)| step.clone())
    };
    for group in groups {
        let extra: Vec<Dependency> = group
            .depends_on
            .iter()
            .map(|dependency| Dependency::success(&gate_id(dependency)))
            .collect();
        let mut members = Vec::new();
        let mut member_steps = Vec::new();
        for node in &group.nodes {
            let Some(line) = lines.iter().find(|line| &line.node == node) else {
                continue;
            };
            let acted_here = line.change.acts() && group.actionable.contains(node);
            let counted = line.change.counts_as_success()
                || (line.change.acts() && !group.actionable.contains(node));
            if acted_here {
                let mut after = after_preflights(node);
                after.extend(extra.iter().cloned());
                let specs = chain(node, &after, Some(&group.name))?;
                let ids: Vec<String> = preflight_of(node)
                    .into_iter()
                    .chain(specs.iter().map(|spec| spec.id.clone()))
                    .collect();
                member_steps.extend(ids.iter().cloned());
                members.push(GateMember {
                    node: node.clone(),
                    steps: ids,
                });
                steps.extend(specs);
            } else if counted {
                // An earlier group acts on it (Shipyard counts it here too, through that
                // group's gate, which this gate depends on) or it is not acted on at all.
                let earlier: Vec<String> = steps
                    .iter()
                    .filter(|spec| {
                        spec.node.as_deref() == Some(node.as_str())
                            && spec.kind != VALIDATE_KIND
                            && spec.group.is_some()
                    })
                    .map(|spec| spec.id.clone())
                    .collect();
                let earlier: Vec<String> = if earlier.is_empty() {
                    earlier
                } else {
                    preflight_of(node).into_iter().chain(earlier).collect()
                };
                member_steps.extend(earlier.iter().cloned());
                members.push(GateMember {
                    node: node.clone(),
                    steps: earlier,
                });
            }
        }
        let mut gate = StepSpec::new(
            &gate_id(&group.name),
            GATE_KIND,
            &format!(
                "group {}{}: success criteria",
                group.name,
                if group.critical { " (critical)" } else { "" }
            ),
        );
        gate.group = Some(group.name.clone());
        gate.retry = RetryPolicy::never();
        gate.after = member_steps
            .iter()
            .map(|step| Dependency::completion(step))
            .collect();
        gate.after.extend(
            group
                .depends_on
                .iter()
                .map(|dependency| Dependency::success(&gate_id(dependency))),
        );
        if gate.after.is_empty() {
            gate.after.push(Dependency::success(VALIDATE_STEP));
        }
        gate.params = serde_json::to_value(GateParams {
            group: group.name.clone(),
            critical: group.critical,
            criteria: group.criteria,
            members,
        })
        .unwrap_or_default();
        steps.push(gate);
    }
    Ok(steps)
}

/// The step id of a group's gate.
pub fn gate_id(group: &str) -> String {
    format!("group/{group}")
}

fn validate_step() -> StepSpec {
    let mut step = StepSpec::new(
        VALIDATE_STEP,
        VALIDATE_KIND,
        "validate the design: the pinned revision renders and validates",
    );
    step.retry = RetryPolicy::never();
    step
}

#[cfg(test)]
mod tests;
