//! The planner's rules per action kind, and the shape of the DAG it assembles, on nodes
//! and step builders written for the test (no BMC, no documents).

use super::*;
use crate::strategy::{DeploymentStrategy, Group, Selector};

struct Node {
    name: &'static str,
    tags: Vec<String>,
    fingerprint: &'static str,
    external: bool,
}

impl NodeFacts for Node {
    fn name(&self) -> &str {
        self.name
    }
    fn tags(&self) -> &[String] {
        &self.tags
    }
    fn label(&self, _key: &str) -> Option<&str> {
        None
    }
    fn rack(&self) -> Option<&str> {
        None
    }
}

impl PlannedNode for Node {
    fn fingerprint(&self) -> String {
        self.fingerprint.to_string()
    }
    fn externally_provisioned(&self) -> bool {
        self.external
    }
}

fn node(name: &'static str, tag: &str, fingerprint: &'static str) -> Node {
    Node {
        name,
        tags: vec![tag.to_string()],
        fingerprint,
        external: false,
    }
}

fn nodes() -> Vec<Node> {
    vec![
        Node {
            external: true,
            ..node("cp01", "control", "f-cp01")
        },
        node("cp02", "control", "f-cp02"),
        node("wk01", "worker", "f-wk01"),
        node("wk02", "worker", "f-wk02"),
    ]
}

/// A two-step chain per node: `p/<node>/a` then `p/<node>/b`.
struct TwoSteps;

impl NodeSteps for TwoSteps {
    fn preflight(&self, node: &str) -> Result<StepSpec, DeployError> {
        Ok(StepSpec::new(
            &format!("preflight/{node}"),
            "t.preflight",
            "preflight",
        ))
    }
    fn provision(&self, node: &str) -> Result<Vec<StepSpec>, DeployError> {
        let first = StepSpec::new(&format!("p/{node}/a"), "t.a", "a");
        let mut second = StepSpec::new(&format!("p/{node}/b"), "t.b", "b");
        second.after.push(Dependency::success(&first.id));
        Ok(vec![first, second])
    }
    fn deprovision(&self, node: &str) -> Result<Vec<StepSpec>, DeployError> {
        Ok(vec![StepSpec::new(&format!("d/{node}"), "t.d", "d")])
    }
}

fn strategy() -> DeploymentStrategy {
    let group = |name: &str, tag: &str, depends: &[&str], critical, minimum| Group {
        name: name.to_string(),
        critical,
        depends_on: depends.iter().map(|d| d.to_string()).collect(),
        selectors: vec![Selector {
            node_tags: vec![tag.to_string()],
            ..Selector::default()
        }],
        criteria: SuccessCriteria {
            minimum_successful_nodes: Some(minimum),
            ..SuccessCriteria::default()
        },
    };
    DeploymentStrategy {
        groups: vec![
            group("control-plane", "control", &[], true, 2),
            group("workers", "worker", &["control-plane"], false, 1),
        ],
        place: None,
    }
}

fn make(kind: ActionKind, request: Request, observed: Observed) -> Result<Plan, DeployError> {
    plan(
        kind,
        "lab",
        "sha256:new",
        &nodes(),
        &strategy(),
        &request,
        &observed,
        &TwoSteps,
    )
}

fn changes(plan: &Plan) -> Vec<(&str, Change)> {
    plan.nodes
        .iter()
        .map(|line| (line.node.as_str(), line.change))
        .collect()
}

fn step(plan: &Plan, id: &str) -> StepSpec {
    plan.steps
        .iter()
        .find(|spec| spec.id == id)
        .unwrap_or_else(|| panic!("no step {id}"))
        .clone()
}

#[test]
fn deploy_site_provisions_what_never_was_and_never_touches_external_nodes() {
    let observed = Observed {
        provisioned: BTreeMap::from([("wk02".to_string(), "changed-since".to_string())]),
        ..Observed::default()
    };
    let plan = make(ActionKind::DeploySite, Request::default(), observed).unwrap();
    assert_eq!(
        changes(&plan),
        [
            ("cp01", Change::External),
            ("cp02", Change::Provision),
            ("wk01", Change::Provision),
            ("wk02", Change::Skip),
        ]
    );
    assert_eq!(plan.destructive().count(), 0);
    assert!(
        plan.steps
            .iter()
            .all(|spec| spec.node.as_deref() != Some("cp01"))
    );
}

#[test]
fn every_node_waits_for_every_preflight_and_dependent_groups_wait_for_gates() {
    let plan = make(
        ActionKind::DeploySite,
        Request::default(),
        Observed::default(),
    )
    .unwrap();
    let first = step(&plan, "p/wk01/a");
    // Its own preflight must succeed; the others must have ended (no node is touched
    // before every BMC was checked), whatever their outcome (the gates count them).
    assert!(
        first.after.contains(&Dependency::success("preflight/wk01")),
        "{first:?}"
    );
    for preflight in ["preflight/cp02", "preflight/wk02"] {
        assert!(
            first.after.contains(&Dependency::completion(preflight)),
            "{first:?}"
        );
    }
    assert!(
        first
            .after
            .contains(&Dependency::success("group/control-plane"))
    );
    assert_eq!(first.group.as_deref(), Some("workers"));
    let gate = step(&plan, "group/workers");
    assert!(gate.after.contains(&Dependency::completion("p/wk02/b")));
    assert!(gate.after.contains(&Dependency::completion("p/wk02/a")));
    assert!(
        gate.after
            .contains(&Dependency::success("group/control-plane"))
    );
    let params: GateParams = serde_json::from_value(gate.params).unwrap();
    assert_eq!(params.members.len(), 2);
    // A node's preflight is one of its steps in its group's count.
    let wk02 = params.members.iter().find(|m| m.node == "wk02").unwrap();
    assert_eq!(wk02.steps, ["preflight/wk02", "p/wk02/a", "p/wk02/b"]);
    assert!(
        gate.after
            .contains(&Dependency::completion("preflight/wk02"))
    );
    let control: GateParams =
        serde_json::from_value(step(&plan, "group/control-plane").params).unwrap();
    let external = control.members.iter().find(|m| m.node == "cp01").unwrap();
    assert!(
        external.steps.is_empty(),
        "counted as a success without steps"
    );
    assert!(aero_workflow::validate(&plan.action_spec("s", serde_json::Value::Null)).is_ok());
}

#[test]
fn update_site_reprovisions_changed_nodes_only_when_allowed() {
    let observed = Observed {
        provisioned: BTreeMap::from([
            ("cp02".to_string(), "f-cp02".to_string()),
            ("wk01".to_string(), "old".to_string()),
        ]),
        ..Observed::default()
    };
    let blocked = make(ActionKind::UpdateSite, Request::default(), observed.clone()).unwrap();
    assert_eq!(
        changes(&blocked)[1..],
        [
            ("cp02", Change::Skip),
            ("wk01", Change::Blocked),
            ("wk02", Change::Provision)
        ]
    );
    assert_eq!(blocked.blocked().count(), 1);
    let allowed = make(
        ActionKind::UpdateSite,
        Request {
            allow_reprovision: true,
            ..Request::default()
        },
        observed,
    )
    .unwrap();
    assert_eq!(
        allowed
            .destructive()
            .map(|line| line.node.as_str())
            .collect::<Vec<_>>(),
        ["wk01"]
    );
}

#[test]
fn scope_flags_restrict_the_nodes_and_unknown_names_are_not_found() {
    let plan = make(
        ActionKind::DeploySite,
        Request {
            only: vec!["wk01".into(), "wk02".into()],
            exclude: vec!["wk02".into()],
            ..Request::default()
        },
        Observed::default(),
    )
    .unwrap();
    assert_eq!(changes(&plan)[1], ("cp02", Change::Excluded));
    assert_eq!(changes(&plan)[3], ("wk02", Change::Excluded));
    let missing = make(
        ActionKind::DeploySite,
        Request {
            only: vec!["wk09".into()],
            ..Request::default()
        },
        Observed::default(),
    )
    .unwrap_err();
    assert_eq!(
        aero_error::Classify::class(&missing),
        aero_error::ErrorClass::NotFound
    );
}

#[test]
fn redeploy_server_deprovisions_then_provisions_one_node_and_refuses_external_ones() {
    let plan = make(
        ActionKind::RedeployServer,
        Request {
            node: Some("wk01".into()),
            ..Request::default()
        },
        Observed::default(),
    )
    .unwrap();
    let ids: Vec<&str> = plan.steps.iter().map(|spec| spec.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "validate-design",
            "preflight/wk01",
            "d/wk01",
            "p/wk01/a",
            "p/wk01/b"
        ]
    );
    assert!(
        step(&plan, "p/wk01/a")
            .after
            .contains(&Dependency::success("d/wk01"))
    );
    let refused = make(
        ActionKind::RedeployServer,
        Request {
            node: Some("cp01".into()),
            ..Request::default()
        },
        Observed::default(),
    )
    .unwrap_err();
    assert!(
        refused.to_string().contains("externally provisioned"),
        "{refused}"
    );
}

#[test]
fn nothing_to_do_leaves_only_the_design_check_and_says_so() {
    let observed = Observed {
        provisioned: nodes()
            .iter()
            .map(|node| (node.name.to_string(), node.fingerprint.to_string()))
            .collect(),
        ..Observed::default()
    };
    let plan = make(ActionKind::UpdateSite, Request::default(), observed).unwrap();
    assert_eq!(plan.steps.len(), 1);
    assert!(
        plan.phases
            .contains(&(Phase::Provision, PhaseStatus::NothingToDo))
    );
    assert!(
        plan.phases
            .contains(&(Phase::Workloads, PhaseStatus::NotInThisBuild))
    );
}
