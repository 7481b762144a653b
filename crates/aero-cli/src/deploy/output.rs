//! What `aero plan` and `aero deploy` print: the plan as typed rows (serialised as is for
//! `-o json|yaml`, drawn as tables for people), and the action's progress.

use aero_deploy::plan::{Change, PhaseStatus, Plan};
use serde::Serialize;

use crate::format::Table;

/// A plan, as printed.
#[derive(Debug, Serialize)]
pub struct PlanView {
    /// The action.
    pub action: String,
    /// The site.
    pub site: String,
    /// The revision the action pins.
    pub revision: String,
    /// The revision last deployed, if any.
    pub baseline: Option<String>,
    /// Who stands in for the site's machines (`lab`), if anyone.
    pub targets: Option<String>,
    /// Each phase and whether this plan performs it.
    pub phases: Vec<PhaseView>,
    /// What happens to each node.
    pub nodes: Vec<NodeView>,
    /// The groups, in deployment order.
    pub groups: Vec<GroupView>,
    /// The steps the action runs, in order.
    pub steps: Vec<PlannedStepView>,
    /// Lines that keep the plan from running (give `--allow-reprovision`).
    pub blocked: Vec<String>,
    /// Nodes provisioned before whose disks this plan rewrites.
    pub destructive: Vec<String>,
}

/// A phase of the action.
#[derive(Debug, Serialize)]
pub struct PhaseView {
    /// What it does.
    pub phase: String,
    /// `included`, `nothing-to-do` or `not-in-this-build`.
    pub status: String,
}

/// One node's line.
#[derive(Debug, Serialize)]
pub struct NodeView {
    /// The node.
    pub node: String,
    /// The group acting on it.
    pub group: Option<String>,
    /// provision, reprovision, skip, excluded, external, blocked.
    pub change: Change,
    /// Why.
    pub reason: String,
    /// What its BMC says now, when asked.
    pub bmc: Option<String>,
}

/// A group of the strategy.
#[derive(Debug, Serialize)]
pub struct GroupView {
    /// Its name.
    pub name: String,
    /// Whether a failure stops the action.
    pub critical: bool,
    /// Groups it waits for.
    pub depends_on: Vec<String>,
    /// Nodes it acts on.
    pub nodes: Vec<String>,
}

/// A step of the plan.
#[derive(Debug, Serialize)]
pub struct PlannedStepView {
    /// Its id.
    pub id: String,
    /// What it does.
    pub title: String,
    /// What it waits for.
    pub after: Vec<String>,
}

impl PlanView {
    /// The view of `plan`; `bmc` says what each node's BMC reports now.
    pub fn of(
        plan: &Plan,
        targets: Option<&str>,
        bmc: &std::collections::BTreeMap<String, String>,
    ) -> PlanView {
        PlanView {
            action: plan.kind.name().to_string(),
            site: plan.site.clone(),
            revision: plan.revision_id.clone(),
            baseline: plan.baseline.clone(),
            targets: targets.map(str::to_string),
            phases: plan
                .phases
                .iter()
                .map(|(phase, status)| PhaseView {
                    phase: phase.describe().to_string(),
                    status: match status {
                        PhaseStatus::Included => "included",
                        PhaseStatus::NothingToDo => "nothing-to-do",
                        PhaseStatus::NotInThisBuild => "not-in-this-build",
                    }
                    .to_string(),
                })
                .collect(),
            nodes: plan
                .nodes
                .iter()
                .map(|line| NodeView {
                    node: line.node.clone(),
                    group: line.group.clone(),
                    change: line.change,
                    reason: line.reason.clone(),
                    bmc: bmc.get(&line.node).cloned(),
                })
                .collect(),
            groups: plan
                .groups
                .iter()
                .map(|group| GroupView {
                    name: group.name.clone(),
                    critical: group.critical,
                    depends_on: group.depends_on.clone(),
                    nodes: group.actionable.clone(),
                })
                .collect(),
            steps: plan
                .steps
                .iter()
                .map(|step| PlannedStepView {
                    id: step.id.clone(),
                    title: step.title.clone(),
                    after: step.after.iter().map(|edge| edge.step.clone()).collect(),
                })
                .collect(),
            blocked: plan.blocked().map(|line| line.node.clone()).collect(),
            destructive: plan.destructive().map(|line| line.node.clone()).collect(),
        }
    }
}

fn change_name(change: Change) -> &'static str {
    match change {
        Change::Provision => "provision",
        Change::Reprovision => "REPROVISION",
        Change::Skip => "skip",
        Change::Excluded => "excluded",
        Change::External => "external",
        Change::Blocked => "BLOCKED",
    }
}

/// The plan for people: header, phases, nodes, groups, and a count of steps.
pub fn plan_text(view: &PlanView) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} on site {} at revision {}\n",
        view.action, view.site, view.revision
    ));
    out.push_str(&format!(
        "last deployed: {}\n",
        view.baseline.as_deref().unwrap_or("never")
    ));
    if let Some(targets) = &view.targets {
        out.push_str(&format!(
            "targets: the {targets}'s stand-ins, not the real machines\n"
        ));
    }
    out.push_str("\nphases:\n");
    for phase in &view.phases {
        let mark = match phase.status.as_str() {
            "included" => "+",
            "nothing-to-do" => "=",
            _ => "-",
        };
        let note = match phase.status.as_str() {
            "nothing-to-do" => " (nothing to do)",
            "not-in-this-build" => " (not in this build: left out)",
            _ => "",
        };
        out.push_str(&format!("  {mark} {}{note}\n", phase.phase));
    }
    out.push('\n');
    let mut table = Table::new(&["NODE", "GROUP", "CHANGE", "BMC", "WHY"]);
    for node in &view.nodes {
        table.row(vec![
            node.node.clone(),
            node.group.clone().unwrap_or_else(|| "-".into()),
            change_name(node.change).to_string(),
            node.bmc.clone().unwrap_or_else(|| "-".into()),
            node.reason.clone(),
        ]);
    }
    out.push_str(&table.render());
    if !view.groups.is_empty() {
        out.push('\n');
        let mut groups = Table::new(&["GROUP", "CRITICAL", "AFTER", "NODES"]);
        for group in &view.groups {
            groups.row(vec![
                group.name.clone(),
                if group.critical { "yes" } else { "no" }.to_string(),
                if group.depends_on.is_empty() {
                    "-".to_string()
                } else {
                    group.depends_on.join(",")
                },
                if group.nodes.is_empty() {
                    "-".to_string()
                } else {
                    group.nodes.join(",")
                },
            ]);
        }
        out.push_str(&groups.render());
    }
    let acting = view.nodes.iter().filter(|node| node.change.acts()).count();
    out.push_str(&format!(
        "\n{} step(s); {acting} node(s) acted on",
        view.steps.len()
    ));
    if !view.destructive.is_empty() {
        out.push_str(&format!(
            "; DESTRUCTIVE: rewrites the disks of {}",
            view.destructive.join(", ")
        ));
    }
    out.push('\n');
    if !view.blocked.is_empty() {
        out.push_str(&format!(
            "blocked: {} changed since provisioned; reprovisioning rewrites their disks: give --allow-reprovision\n",
            view.blocked.join(", ")
        ));
    }
    out
}
