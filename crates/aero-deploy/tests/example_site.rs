//! The planner on the example site edge-lon1, through its real documents: the typed host
//! model, the Shipyard deployment configuration and strategy, and the bare-metal domain's
//! step specs. No BMC is reached (planning does no I/O).

use std::path::Path;

use aero_deploy::action::ActionKind;
use aero_deploy::plan::{Change, Observed, Request, VALIDATE_STEP, gate_id};
use aero_deploy::{DeployError, DeploySite};
use aero_docs::collect::RepoSpec;
use aero_site::{KeyPolicy, Snapshot};

fn site() -> DeploySite {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../site-manifests");
    let repos = vec![RepoSpec {
        name: "site-manifests".to_string(),
        path: root.canonicalize().unwrap(),
    }];
    let snapshot = Snapshot::collect(&repos, "edge-lon1", None).unwrap();
    let keys = KeyPolicy::default()
        .resolve(&[repos[0].path.clone()])
        .unwrap();
    let redactor =
        aero_redact::SharedRedactor::with_key(aero_redact::RedactionKey::from_bytes([3; 32]));
    let rendered = snapshot.render(&keys, &aero_deploy::provider::render_options(&redactor));
    DeploySite::prepare("edge-lon1", &rendered, None).unwrap()
}

#[test]
fn the_example_site_plans_group_by_group_with_its_configured_budgets() {
    let site = site();
    assert_eq!(
        site.configuration.strategy.as_deref(),
        Some("deployment-strategy")
    );
    let plan = site
        .plan(
            ActionKind::DeploySite,
            &Request::default(),
            &Observed::default(),
        )
        .unwrap();
    let step = |id: &str| {
        plan.steps
            .iter()
            .find(|step| step.id == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    };
    let preflight = step("preflight/lon1-wk01");
    assert_eq!(preflight.resources, ["bmc:https://10.23.0.21"]);
    assert!(
        preflight
            .after
            .iter()
            .any(|edge| edge.step == VALIDATE_STEP)
    );
    // prepare_node_timeout (1800 s) bounds each preparation step.
    assert_eq!(
        step("provision/lon1-wk01/power-off").timeout_ms,
        Some(1_800_000)
    );
    // The first step of a worker waits for every preflight and for the control plane's gate.
    let first = step("provision/lon1-wk01/power-off");
    let waits: Vec<&str> = first.after.iter().map(|edge| edge.step.as_str()).collect();
    assert!(waits.contains(&"preflight/lon1-wk02"), "{waits:?}");
    assert!(
        waits.contains(&gate_id("control-plane").as_str()),
        "{waits:?}"
    );
    assert_eq!(
        step("provision/lon1-wk01/wait-phone-home").params["deploy_timeout_ms"],
        3_600_000
    );
    // The genesis host is externally provisioned: no step touches it.
    assert!(
        !plan
            .steps
            .iter()
            .any(|step| step.node.as_deref() == Some("lon1-cp01"))
    );
}

#[test]
fn recorded_fingerprints_decide_skip_block_and_reprovision() {
    let site = site();
    let fingerprint = site
        .model
        .node("lon1-wk01")
        .unwrap()
        .fingerprint
        .as_str()
        .to_string();
    let mut observed = Observed::default();
    observed.provisioned.insert("lon1-wk01".into(), fingerprint);
    observed
        .provisioned
        .insert("lon1-wk02".into(), "an older fingerprint".into());
    let line = |plan: &aero_deploy::plan::Plan, node: &str| {
        plan.nodes
            .iter()
            .find(|line| line.node == node)
            .unwrap()
            .change
    };

    let update = site
        .plan(ActionKind::UpdateSite, &Request::default(), &observed)
        .unwrap();
    assert_eq!(line(&update, "lon1-wk01"), Change::Skip);
    assert_eq!(line(&update, "lon1-wk02"), Change::Blocked);
    assert_eq!(update.blocked().count(), 1);

    let allowed = site
        .plan(
            ActionKind::UpdateSite,
            &Request {
                allow_reprovision: true,
                ..Request::default()
            },
            &observed,
        )
        .unwrap();
    assert_eq!(line(&allowed, "lon1-wk02"), Change::Reprovision);
    assert_eq!(
        allowed
            .destructive()
            .map(|line| line.node.as_str())
            .collect::<Vec<_>>(),
        ["lon1-wk02"]
    );

    let redeploy = site.plan(
        ActionKind::RedeployServer,
        &Request {
            node: Some("lon1-cp01".into()),
            ..Request::default()
        },
        &observed,
    );
    assert!(
        matches!(redeploy, Err(DeployError::Usage(_))),
        "{redeploy:?}"
    );
}
