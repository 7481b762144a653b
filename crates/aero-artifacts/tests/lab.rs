//! End to end against the local lab: one node of the example site `edge-lon1`, provisioned
//! by the engine through the Redfish driver against its sushy emulator, with its images
//! served and its phone-home taken by the artifact server, while the lab's node simulator
//! plays the installed system.
//!
//! The lab runs in a background process that makes itself a process group leader, so it
//! cannot run inside the test process: this binary (`harness = false`) is also that
//! process, when re-run with `AERO_TEST_LAB_DAEMON` set (as `aero lab run` is for the CLI).
//! The emulators come from the venv of `AERO_SUSHY_VENV`, else
//! `<workspace>/target/sushy-venv` (`ci/redfish/setup.sh` makes it).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aero_artifacts::{ArtifactServer, SiteArtifacts};
use aero_baremetal::{
    BaremetalEnvironment, BaremetalSteps, FACT_DOMAIN, HostModel, StepTiming, preflight_spec,
    provision_specs,
};
use aero_docs::collect::RepoSpec;
use aero_lab::{LabOptions, LabPlan, UpRequest};
use aero_redact::{RedactionKey, SharedRedactor};
use aero_site::{KeyPolicy, RenderOptions, Snapshot};
use aero_workflow::{
    ActionSpec, ActionState, Dependency, Engine, EngineConfig, Registry, RetryPolicy, Store,
    StoreOptions,
};

const TEST_NAME: &str = "lab_provisions_a_node_end_to_end";
const DAEMON_SITE: &str = "AERO_TEST_LAB_DAEMON";
const DAEMON_STATE: &str = "AERO_TEST_LAB_STATE";
const SITE: &str = "edge-lon1";

fn main() -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    if let (Some(site), Some(state)) = (
        std::env::var_os(DAEMON_SITE),
        std::env::var_os(DAEMON_STATE),
    ) {
        let site = site.to_string_lossy().into_owned();
        return match runtime.block_on(aero_lab::run_daemon(Path::new(&state), &site)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("lab daemon: {error}");
                ExitCode::FAILURE
            }
        };
    }
    // As libtest would: list, and filter by name.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--list") {
        println!("{TEST_NAME}: test");
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    if !filters.is_empty()
        && !filters
            .iter()
            .any(|filter| TEST_NAME.contains(filter.as_str()))
    {
        println!("running 0 tests");
        return ExitCode::SUCCESS;
    }
    println!("running 1 test");
    runtime.block_on(provision_one_node());
    println!("test {TEST_NAME} ... ok");
    ExitCode::SUCCESS
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn venv() -> PathBuf {
    let venv = std::env::var_os(aero_lab::VENV_VARIABLE)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/sushy-venv"));
    assert!(
        venv.join("bin/sushy-emulator").is_file(),
        "sushy-emulator not found in {}: run ci/redfish/setup.sh (or set {} to its venv)",
        venv.display(),
        aero_lab::VENV_VARIABLE
    );
    venv
}

/// Stops the lab however the test ends.
struct LabGuard(PathBuf);

impl Drop for LabGuard {
    fn drop(&mut self) {
        if let Err(error) = aero_lab::down(&self.0, SITE) {
            eprintln!("lab down: {error}");
        }
    }
}

async fn provision_one_node() {
    let venv = venv();
    let state = tempfile::tempdir().expect("a state directory");
    let repos = vec![RepoSpec {
        name: "site-manifests".into(),
        path: workspace().join("site-manifests"),
    }];
    let snapshot = Snapshot::collect(&repos, SITE, None).expect("collect");
    let keys = KeyPolicy::default()
        .resolve(&snapshot.repo_roots())
        .expect("keys");
    let rendered = snapshot.render(&keys, &RenderOptions::default());
    assert!(rendered.is_valid(), "{:#?}", rendered.diagnostics());
    let revision = rendered.revision_id().expect("a revision").to_string();
    let mut model = HostModel::from_site(&rendered).expect("the model");

    let plan = LabPlan::from_model(
        SITE,
        &model,
        &LabOptions {
            seed: 7,
            boot_delay: Duration::from_secs(1),
            faults: Default::default(),
        },
    )
    .expect("a lab plan");
    let node_name = plan.nodes.first().expect("a node to emulate").name.clone();
    let mut daemon = Command::new(std::env::current_exe().expect("this binary"));
    daemon
        .env(DAEMON_SITE, SITE)
        .env(DAEMON_STATE, state.path())
        .env(aero_lab::VENV_VARIABLE, &venv);
    aero_lab::up(UpRequest {
        state_dir: state.path().to_path_buf(),
        plan,
        daemon,
        ready_within: Duration::from_secs(120),
    })
    .expect("lab up");
    let _lab = LabGuard(state.path().to_path_buf());
    let targets = aero_lab::active_targets(state.path(), SITE)
        .expect("the lab's targets")
        .expect("a running lab");
    model
        .apply_overrides(SITE, &targets)
        .expect("the lab's overrides");
    let model = Arc::new(model);

    let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([9; 32]));
    let store = Store::open(
        state.path().join("workflow.db").to_str().expect("utf-8"),
        StoreOptions::new(redactor.clone()),
    )
    .await
    .expect("the store");
    let server_doc = model.provisioning_server().expect("a provisioning server");
    let server = ArtifactServer::bind(
        server_doc.bind_address,
        server_doc.tls.as_ref(),
        store.clone(),
    )
    .await
    .expect("bind the artifact server where the lab maps it");
    server.serve_site(SiteArtifacts {
        site: SITE.to_string(),
        revision_id: revision.clone(),
        action_id: None,
        model: model.clone(),
        cache_dir: state.path().join("artifacts"),
    });

    let steps = BaremetalSteps::new(BaremetalEnvironment {
        site: SITE.to_string(),
        revision_id: revision.clone(),
        model: model.clone(),
        connector: Arc::new(aero_redfish::port::RedfishConnector::new()),
        redactor: redactor.clone(),
    });
    let mut registry = Registry::new();
    steps.register(&mut registry);
    let timing = StepTiming {
        prepare_node_timeout: Duration::from_secs(120),
        deploy_timeout: Duration::from_secs(120),
        destroy_timeout: Duration::from_secs(120),
        power_poll: Duration::from_millis(500),
        convergence_window: Duration::from_secs(30),
        bmc_retry: RetryPolicy {
            max_attempts: 3,
            initial_delay_ms: 500,
            ..RetryPolicy::default()
        },
    };
    let node = model.node(&node_name).expect("the node");
    let preflight = preflight_spec(node, &timing);
    let mut chain = provision_specs(node, &timing);
    chain[0].after = vec![Dependency::success(&preflight.id)];
    let mut specs = vec![preflight];
    specs.extend(chain);
    let engine = Engine::with_registry(store.clone(), Arc::new(registry), EngineConfig::default());
    let id = engine
        .submit(&ActionSpec {
            kind: "deploy_site".to_string(),
            site: SITE.to_string(),
            revision_id: revision.clone(),
            snapshot_id: "sha256:none".to_string(),
            params: serde_json::Value::Null,
            steps: specs,
            limits: Default::default(),
        })
        .await
        .expect("submit");
    let started = Instant::now();
    let state_reached = engine.run(&id).await.expect("run");
    let detail = store.show(&id).await.expect("show");
    for step in &detail.steps {
        eprintln!(
            "{:<40} {:?} {}",
            step.id,
            step.state,
            step.error.as_deref().unwrap_or("")
        );
    }
    if state_reached != ActionState::Succeeded {
        // The journal of what failed, to see what the BMC answered.
        for step in detail.steps.iter().filter(|step| step.error.is_some()) {
            let filter = aero_workflow::LogFilter {
                step: Some(step.id.clone()),
                ..Default::default()
            };
            for entry in store
                .logs(&id, &filter)
                .await
                .expect("logs")
                .iter()
                .take(12)
            {
                eprintln!("  {:?} {} {:?}", entry.kind, entry.message, entry.data);
            }
        }
    }
    assert_eq!(state_reached, ActionState::Succeeded);
    eprintln!(
        "provisioned {node_name} in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let fact = store
        .fact(SITE, FACT_DOMAIN, &node_name)
        .await
        .expect("the fact")
        .expect("recorded");
    assert_eq!(fact.value["fingerprint"], node.fingerprint.as_str());
    let records = store
        .phone_home_records(SITE, &node_name, 0)
        .await
        .expect("phone-homes");
    assert!(!records.is_empty());
    steps.close_sessions().await;
    server.shutdown().await;
}
