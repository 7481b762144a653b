//! The provisioning steps through the real engine (SQLite store in a temporary folder)
//! against in-memory BMCs, and their pure decisions on their own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use aero_bmc::{
    Bmc, BmcConnector, BmcError, BmcTarget, BootApplied, BootMode, BootOverride, BootPersistence,
    BootSettings, BootTarget, Credentials, FakeBmc, FakeBmcConfig, FakeConnector, FakeOperation,
    Inventory, LogEntry, LogOrigin, MacAddress, MediaSlot, Nic, PowerAction, PowerRequested,
    PowerState, Severity,
};
use aero_redact::{RedactionKey, SharedRedactor};
use aero_workflow::retry::NoDelay;
use aero_workflow::{
    ActionSpec, ActionState, Dependency, Engine, EngineConfig, PhoneHome, ProcessIdentity,
    Registry, StepRegistry, StepSpec, Store, StoreOptions,
};
use tokio::sync::Notify;

use super::power::{PowerObserved, PowerOp, PowerTarget, decide_power};
use super::*;
use crate::config::{NodeToken, TokenPurpose, os_image_url};
use crate::fixture;

const SITE: &str = "site-a";
const ENDPOINT: &str = "https://10.0.0.11";
const PASSWORD: &str = "s3cret-bmc-password";

fn fast_timing(deploy_timeout: Duration) -> StepTiming {
    StepTiming {
        prepare_node_timeout: Duration::from_secs(30),
        deploy_timeout,
        destroy_timeout: Duration::from_secs(30),
        power_poll: Duration::from_millis(10),
        convergence_window: Duration::from_millis(300),
        bmc_retry: RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        },
    }
}

/// The fixture's node `n1` as its BMC should describe it.
fn matching_bmc() -> FakeBmcConfig {
    let mut config = FakeBmcConfig {
        endpoint: ENDPOINT.to_string(),
        serial_number: Some("SN123".to_string()),
        uuid: Some("4c4c4544-0042-3510-8052-b3c04f4d4d32".to_string()),
        power: PowerState::On,
        power_delay: Duration::from_millis(50),
        ..FakeBmcConfig::default()
    };
    config.nics = vec![Nic {
        id: "1".to_string(),
        mac: Some(MacAddress([0xaa, 0xbb, 0xcc, 0, 0, 1])),
        permanent_mac: None,
        link_up: Some(true),
    }];
    config.slots[0].inserted = true;
    config.slots[0].image = Some("http://old.example/previous.iso".to_string());
    config
}

/// A connector whose BMCs can be told to stop, as a crashing worker would, right after
/// their power request was sent (the side effect landed, the result never journaled).
struct Harness {
    fake: Arc<FakeBmc>,
    connector: FakeConnector,
    block_power: AtomicBool,
    blocked: Notify,
}

struct BlockingBmc {
    inner: Arc<dyn Bmc>,
    harness: Arc<Harness>,
}

struct HarnessConnector(Arc<Harness>);

#[async_trait::async_trait]
impl BmcConnector for HarnessConnector {
    async fn connect(&self, target: &BmcTarget) -> Result<Arc<dyn Bmc>, BmcError> {
        let inner = self.0.connector.connect(target).await?;
        Ok(Arc::new(BlockingBmc {
            inner,
            harness: self.0.clone(),
        }))
    }
}

#[async_trait::async_trait]
impl Bmc for BlockingBmc {
    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }
    fn system_id(&self) -> &str {
        self.inner.system_id()
    }
    async fn inventory(&self) -> Result<Inventory, BmcError> {
        self.inner.inventory().await
    }
    async fn power_state(&self) -> Result<PowerState, BmcError> {
        self.inner.power_state().await
    }
    async fn request_power(&self, action: PowerAction) -> Result<PowerRequested, BmcError> {
        let requested = self.inner.request_power(action).await?;
        if action == PowerAction::On && self.harness.block_power.load(Ordering::SeqCst) {
            self.harness.blocked.notify_one();
            std::future::pending::<()>().await;
        }
        Ok(requested)
    }
    async fn set_power_and_wait(&self, action: PowerAction) -> Result<PowerState, BmcError> {
        self.inner.set_power_and_wait(action).await
    }
    async fn boot_override(&self) -> Result<BootSettings, BmcError> {
        self.inner.boot_override().await
    }
    async fn set_boot_override(&self, request: &BootOverride) -> Result<BootApplied, BmcError> {
        self.inner.set_boot_override(request).await
    }
    async fn media_slots(&self) -> Result<Vec<MediaSlot>, BmcError> {
        self.inner.media_slots().await
    }
    async fn insert_media(&self, slot: &str, image_url: &str) -> Result<MediaSlot, BmcError> {
        self.inner.insert_media(slot, image_url).await
    }
    async fn eject_media(&self, slot: &str) -> Result<MediaSlot, BmcError> {
        self.inner.eject_media(slot).await
    }
    async fn log_entries(&self, since: SystemTime) -> Result<Vec<LogEntry>, BmcError> {
        self.inner.log_entries(since).await
    }
    async fn close(&self) -> Result<(), BmcError> {
        self.inner.close().await
    }
}

struct Setup {
    _folder: tempfile::TempDir,
    store: Store,
    model: Arc<HostModel>,
    revision: String,
    harness: Arc<Harness>,
    redactor: SharedRedactor,
}

impl Setup {
    async fn new(config: FakeBmcConfig) -> Setup {
        Setup::with_password(config, PASSWORD).await
    }

    /// A setup whose BMC accepts `password` (the documents say [`PASSWORD`]).
    async fn with_password(config: FakeBmcConfig, password: &str) -> Setup {
        let site = fixture::site();
        let revision = site.revision_id().expect("a revision").to_string();
        let model = Arc::new(HostModel::from_site(&site).expect("the fixture's model"));
        let folder = tempfile::tempdir().expect("a temporary folder");
        let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([3; 32]));
        let store = Store::open(
            folder.path().join("workflow.db").to_str().expect("utf-8"),
            StoreOptions::new(redactor.clone()),
        )
        .await
        .expect("the store");
        let fake = Arc::new(FakeBmc::with_config(config));
        let connector = FakeConnector::new();
        connector.add(fake.clone(), Credentials::new("admin-user-x", password));
        Setup {
            _folder: folder,
            store,
            model,
            revision,
            harness: Arc::new(Harness {
                fake,
                connector,
                block_power: AtomicBool::new(false),
                blocked: Notify::new(),
            }),
            redactor,
        }
    }

    fn node(&self) -> &Node {
        self.model.node("n1").expect("node n1")
    }

    fn registry(&self) -> Registry {
        let mut registry = Registry::new();
        self.steps().register(&mut registry);
        registry
    }

    fn steps(&self) -> BaremetalSteps {
        BaremetalSteps::new(BaremetalEnvironment {
            site: SITE.to_string(),
            revision_id: self.revision.clone(),
            model: self.model.clone(),
            connector: Arc::new(HarnessConnector(self.harness.clone())),
            redactor: self.redactor.clone(),
        })
    }

    fn engine(&self, identity: ProcessIdentity) -> Engine {
        self.engine_with(identity, self.registry())
    }

    fn engine_with(&self, identity: ProcessIdentity, registry: Registry) -> Engine {
        Engine::with_registry(
            self.store.clone(),
            Arc::new(registry),
            EngineConfig {
                identity,
                ..EngineConfig::default()
            },
        )
        .with_backoff(Arc::new(NoDelay))
    }

    fn action(&self, steps: Vec<StepSpec>) -> ActionSpec {
        ActionSpec {
            kind: "deploy_site".to_string(),
            site: SITE.to_string(),
            revision_id: self.revision.clone(),
            snapshot_id: "sha256:none".to_string(),
            params: serde_json::Value::Null,
            steps,
            limits: Default::default(),
        }
    }

    /// Preflight, then the provision chain hanging on it.
    fn provision_action(&self, timing: &StepTiming) -> ActionSpec {
        let preflight = preflight_spec(self.node(), timing);
        let mut chain = provision_specs(self.node(), timing);
        chain[0].after = vec![Dependency::success(&preflight.id)];
        let mut steps = vec![preflight];
        steps.extend(chain);
        self.action(steps)
    }

    /// The node's operating system, standing in: once its BMC powers it on with the OS
    /// image in the CD slot and a one-time CD boot, it phones home (as the server would
    /// record it).
    fn spawn_node(&self) -> tokio::task::JoinHandle<()> {
        let fake = self.harness.fake.clone();
        let store = self.store.clone();
        let revision = self.revision.clone();
        let os_url = os_image_url(
            self.model.provisioning_server().expect("a server"),
            self.node().os_image.as_ref().expect("an image"),
        );
        tokio::spawn(async move {
            let mut booted_from_cd = false;
            loop {
                let power = fake.power_state().await.expect("power");
                let boot = fake.boot();
                let cd = fake.slot("Cd").expect("a Cd slot");
                if power == PowerState::On
                    && boot.target == Some(BootTarget::Cd)
                    && cd.holds(&os_url)
                {
                    booted_from_cd = true;
                }
                if booted_from_cd {
                    store
                        .record_phone_home(&PhoneHome {
                            site: SITE.to_string(),
                            node: "n1".to_string(),
                            action_id: None,
                            revision_id: Some(revision.clone()),
                            data: serde_json::json!({"instance_id": "i-n1", "hostname": "n1"}),
                        })
                        .await
                        .expect("record a phone-home");
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    }

    async fn step_error(&self, id: &str, step: &str) -> String {
        let detail = self.store.show(id).await.expect("show");
        let step = detail
            .steps
            .iter()
            .find(|summary| summary.id == step)
            .expect("the step");
        step.error.clone().unwrap_or_default()
    }
}

/// This process under another start time: a worker that died (its lease is free at once).
fn dead_process() -> ProcessIdentity {
    let me = ProcessIdentity::current();
    ProcessIdentity {
        start_time: me.start_time + 1,
        ..me
    }
}

#[tokio::test]
async fn the_full_chain_provisions_a_node_and_records_it() {
    let setup = Setup::new(matching_bmc()).await;
    let timing = fast_timing(Duration::from_secs(20));
    let steps = setup.steps();
    let mut registry = Registry::new();
    steps.register(&mut registry);
    let engine = setup.engine_with(ProcessIdentity::current(), registry);
    let node = setup.spawn_node();
    let id = engine
        .submit(&setup.provision_action(&timing))
        .await
        .expect("submit");
    let state = engine.run(&id).await.expect("run");
    let detail = setup.store.show(&id).await.expect("show");
    assert_eq!(
        state,
        ActionState::Succeeded,
        "{:#?}",
        detail
            .steps
            .iter()
            .map(|step| (&step.id, &step.error))
            .collect::<Vec<_>>()
    );
    node.await.expect("the node phoned home");

    let fake = &setup.harness.fake;
    // Off first (forced), then on: one command each.
    assert_eq!(
        fake.power_commands().len(),
        2,
        "{:?}",
        fake.power_commands()
    );
    assert_eq!(fake.power_state().await.expect("power"), PowerState::On);
    // The override asked for: once from CD in the fixture's boot mode (bios).
    let overrides: Vec<BootOverride> = fake
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            aero_bmc::FakeCall::SetBootOverride(request) => Some(request),
            _ => None,
        })
        .collect();
    assert_eq!(
        overrides,
        vec![BootOverride {
            target: BootTarget::Cd,
            persistence: BootPersistence::Once,
            mode: Some(BootMode::Legacy),
        }]
    );
    // Both images went in (the OS image into Cd, the config image into Floppy), and
    // every slot is empty at the end.
    let server = setup.model.provisioning_server().expect("a server");
    let token = NodeToken::derive(
        &server.token_key,
        TokenPurpose::ConfigImage,
        "n1",
        &setup.revision,
    );
    let inserted: Vec<(String, String)> = fake
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            aero_bmc::FakeCall::InsertMedia { slot, image_url } => Some((slot, image_url)),
            _ => None,
        })
        .collect();
    assert_eq!(
        inserted,
        vec![
            (
                "Cd".to_string(),
                os_image_url(server, setup.node().os_image.as_ref().expect("an image"))
            ),
            ("Floppy".to_string(), server.config_image_url("n1", &token)),
        ]
    );
    assert!(!fake.slot("Cd").expect("Cd").inserted);
    assert!(!fake.slot("Floppy").expect("Floppy").inserted);

    // The fact the planner reads.
    let fact = setup
        .store
        .fact(SITE, FACT_DOMAIN, "n1")
        .await
        .expect("read the fact")
        .expect("a fact");
    assert_eq!(fact.value["state"], "provisioned");
    assert_eq!(fact.value["fingerprint"], setup.node().fingerprint.as_str());
    assert_eq!(fact.value["revision_id"], setup.revision.as_str());
    assert_eq!(fact.action_id.as_deref(), Some(id.as_str()));

    // One login for the whole chain, closed at the end.
    assert_eq!(setup.harness.connector.connections(), 1);
    steps.close_sessions().await;
    assert_eq!(fake.count(FakeOperation::Close), 1);

    // Neither the config token nor the BMC password is anywhere in the store.
    for (table, row) in setup.store.dump_all_text().await.expect("dump") {
        assert!(!row.contains(token.expose()), "{table}: {row}");
        assert!(!row.contains(PASSWORD), "{table}: {row}");
    }
}

#[tokio::test]
async fn a_resumed_power_on_with_a_pending_intent_does_not_power_on_again() {
    // The BMC applies power changes 500 ms late, so the resumed step first sees the node
    // still off with the intent pending: it must wait (window 2 s), not power on again.
    let setup = Setup::new(FakeBmcConfig {
        power_delay: Duration::from_millis(500),
        ..matching_bmc()
    })
    .await;
    let timing = StepTiming {
        convergence_window: Duration::from_secs(2),
        ..fast_timing(Duration::from_secs(20))
    };
    setup.harness.block_power.store(true, Ordering::SeqCst);

    // A worker that dies right after its power-on request reached the BMC.
    let crashing = setup.engine(dead_process());
    let id = crashing
        .submit(&setup.provision_action(&timing))
        .await
        .expect("submit");
    let run_id = id.clone();
    let run = tokio::spawn(async move { crashing.run(&run_id).await });
    setup.harness.blocked.notified().await;
    run.abort();
    let _ = run.await;
    let detail = setup.store.show(&id).await.expect("show");
    let power_on = detail
        .steps
        .iter()
        .find(|step| step.id == "provision/n1/power-on")
        .expect("power-on");
    assert!(power_on.open_intent.is_some(), "{power_on:#?}");
    let commands_before = setup.harness.fake.power_commands();
    assert_eq!(commands_before, ["ForceOff", "On"]);
    assert_eq!(setup.harness.fake.pending_power(), Some(PowerState::On));

    // Another worker takes over; the node boots and phones home.
    setup.harness.block_power.store(false, Ordering::SeqCst);
    let node = setup.spawn_node();
    let engine = setup.engine(ProcessIdentity::current());
    let resumed = engine.resume_all_interrupted().await.expect("resume");
    assert_eq!(resumed.len(), 1);
    assert!(
        matches!(resumed[0].1, Ok(ActionState::Succeeded)),
        "{resumed:?}"
    );
    node.await.expect("the node phoned home");
    assert_eq!(
        setup.harness.fake.power_commands(),
        commands_before,
        "the pending power-on had landed: no second command"
    );
}

#[tokio::test]
async fn a_different_serial_fails_preflight_with_both_values() {
    let setup = Setup::new(FakeBmcConfig {
        serial_number: Some("OTHER-42".to_string()),
        ..matching_bmc()
    })
    .await;
    let timing = fast_timing(Duration::from_secs(20));
    let engine = setup.engine(ProcessIdentity::current());
    let id = engine
        .submit(&setup.provision_action(&timing))
        .await
        .expect("submit");
    assert_eq!(engine.run(&id).await.expect("run"), ActionState::Failed);
    let error = setup.step_error(&id, "preflight/n1").await;
    assert!(
        error.contains("SN123") && error.contains("OTHER-42"),
        "{error}"
    );
    // Nothing was changed on the machine.
    let fake = &setup.harness.fake;
    assert!(fake.power_commands().is_empty());
    assert_eq!(fake.count(FakeOperation::InsertMedia), 0);
    assert_eq!(fake.count(FakeOperation::EjectMedia), 0);
}

#[tokio::test]
async fn refused_credentials_fail_preflight_without_showing_the_password() {
    let setup = Setup::with_password(matching_bmc(), "the-bmc-has-another").await;
    let timing = fast_timing(Duration::from_secs(20));
    let engine = setup.engine(ProcessIdentity::current());
    let id = engine
        .submit(&setup.provision_action(&timing))
        .await
        .expect("submit");
    assert_eq!(engine.run(&id).await.expect("run"), ActionState::Failed);
    let detail = setup.store.show(&id).await.expect("show");
    let preflight = &detail.steps[0];
    // Refused credentials are permanent: one attempt, no retry.
    assert_eq!(preflight.attempts, 1, "{preflight:#?}");
    let error = preflight.error.clone().unwrap_or_default();
    assert!(error.contains("401"), "{error}");
    assert!(!error.contains(PASSWORD), "{error}");
    assert!(setup.harness.fake.calls().is_empty());
}

#[tokio::test]
async fn a_node_that_never_phones_home_fails_with_the_bmc_log() {
    let mut config = matching_bmc();
    // An entry from the future: logged after power-on whenever the test runs.
    config.logs = vec![LogEntry {
        id: "17".to_string(),
        created: SystemTime::now() + Duration::from_secs(3600),
        severity: Severity::Critical,
        message: "Boot device not found".to_string(),
        message_id: None,
        origin: LogOrigin::System,
        log: "SEL".to_string(),
    }];
    let setup = Setup::new(config).await;
    let timing = fast_timing(Duration::from_millis(400));
    let engine = setup.engine(ProcessIdentity::current());
    let id = engine
        .submit(&setup.provision_action(&timing))
        .await
        .expect("submit");
    assert_eq!(engine.run(&id).await.expect("run"), ActionState::Failed);
    let error = setup.step_error(&id, "provision/n1/wait-phone-home").await;
    assert!(error.contains("did not phone home"), "{error}");
    assert!(error.contains("SEL/17: Boot device not found"), "{error}");
    let asked = setup
        .harness
        .fake
        .calls()
        .into_iter()
        .find_map(|call| match call {
            aero_bmc::FakeCall::LogEntries { since } => Some(since),
            _ => None,
        });
    let asked = asked.expect("the log was read");
    assert!(asked <= SystemTime::now() && asked + Duration::from_secs(60) > SystemTime::now());
    // The node is never recorded as provisioned.
    assert!(
        setup
            .store
            .fact(SITE, FACT_DOMAIN, "n1")
            .await
            .expect("fact")
            .is_none()
    );
}

#[tokio::test]
async fn deprovisioning_powers_off_clears_the_override_and_ejects() {
    let mut config = matching_bmc();
    config.boot.target = Some(BootTarget::Cd);
    config.boot.persistence = Some(BootPersistence::Continuous);
    let setup = Setup::new(config).await;
    let timing = fast_timing(Duration::from_secs(20));
    let engine = setup.engine(ProcessIdentity::current());
    let specs = deprovision_specs(setup.node(), &timing);
    let id = engine.submit(&setup.action(specs)).await.expect("submit");
    assert_eq!(engine.run(&id).await.expect("run"), ActionState::Succeeded);
    let fake = &setup.harness.fake;
    assert_eq!(fake.power_state().await.expect("power"), PowerState::Off);
    assert_eq!(fake.boot().target, Some(BootTarget::None));
    assert!(!fake.slot("Cd").expect("Cd").inserted);
}

#[tokio::test]
async fn externally_provisioned_nodes_get_no_steps_and_are_never_driven() {
    let setup = Setup::new(matching_bmc()).await;
    let timing = StepTiming::default();
    let mut node = setup.node().clone();
    node.externally_provisioned = true;
    assert!(provision_specs(&node, &timing).is_empty());
    assert!(deprovision_specs(&node, &timing).is_empty());

    // A spec written by hand for such a node is refused when built.
    let mut model = (*setup.model).clone();
    model.nodes = vec![node.clone()];
    let steps = BaremetalSteps::new(BaremetalEnvironment {
        site: SITE.to_string(),
        revision_id: setup.revision.clone(),
        model: Arc::new(model),
        connector: Arc::new(HarnessConnector(setup.harness.clone())),
        redactor: setup.redactor.clone(),
    });
    let mut registry = Registry::new();
    steps.register(&mut registry);
    for spec in provision_specs(setup.node(), &timing) {
        assert!(registry.build(&spec).is_err(), "{}", spec.id);
    }
    assert!(registry.build(&preflight_spec(&node, &timing)).is_err());
    assert_eq!(setup.harness.connector.connections(), 0);
    assert!(setup.harness.fake.calls().is_empty());
}

#[test]
fn specs_chain_per_node_and_name_the_bmc() {
    let site = fixture::site();
    let model = HostModel::from_site(&site).expect("model");
    let node = model.node("n1").expect("n1");
    let timing = StepTiming::default();

    let preflight = preflight_spec(node, &timing);
    assert_eq!(preflight.id, "preflight/n1");
    assert_eq!(preflight.resources, vec![format!("bmc:{ENDPOINT}")]);
    assert!(preflight.after.is_empty());

    let specs = provision_specs(node, &timing);
    let ids: Vec<&str> = specs.iter().map(|spec| spec.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "provision/n1/power-off",
            "provision/n1/eject-media",
            "provision/n1/insert-media",
            "provision/n1/boot-once",
            "provision/n1/power-on",
            "provision/n1/wait-phone-home",
            "provision/n1/release-media",
            "provision/n1/record",
        ]
    );
    assert!(specs[0].after.is_empty());
    for pair in specs.windows(2) {
        assert_eq!(pair[1].after, vec![Dependency::success(&pair[0].id)]);
    }
    for spec in &specs {
        assert!(STEP_KINDS.contains(&spec.kind.as_str()), "{}", spec.kind);
        assert_eq!(spec.node.as_deref(), Some("n1"));
        assert!(spec.timeout_ms.is_some());
        let text = serde_json::to_string(spec).expect("json");
        assert!(!text.contains(PASSWORD), "{text}");
    }
    // The phone-home wait's budget goes beyond the deployment timeout it enforces itself.
    assert!(specs[5].timeout_ms > Some(millis(timing.deploy_timeout)));

    let teardown: Vec<String> = deprovision_specs(node, &timing)
        .into_iter()
        .map(|spec| spec.id)
        .collect();
    assert_eq!(
        teardown,
        [
            "deprovision/n1/power-off",
            "deprovision/n1/clear-boot",
            "deprovision/n1/eject-media"
        ]
    );
    assert!(STEP_KINDS.iter().all(|kind| kind.starts_with("baremetal.")));
}

#[test]
fn inventory_checks_prefer_a_false_pass_to_a_false_fail() {
    let site = fixture::site();
    let model = HostModel::from_site(&site).expect("model");
    let node = model.node("n1").expect("n1");
    let fake = FakeBmcConfig::default();
    let inventory = |serial: Option<&str>, uuid: Option<&str>, macs: &[[u8; 6]]| Inventory {
        system_id: "1".to_string(),
        manufacturer: None,
        model: None,
        serial_number: serial.map(str::to_string),
        uuid: uuid.map(str::to_string),
        power_state: PowerState::Off,
        nics: macs
            .iter()
            .enumerate()
            .map(|(index, mac)| Nic {
                id: index.to_string(),
                mac: Some(MacAddress(*mac)),
                permanent_mac: None,
                link_up: None,
            })
            .collect(),
        boot: fake.boot.clone(),
        bios_version: None,
        bmc_firmware: None,
        warnings: Vec::new(),
    };
    let boot_mac = [0xaa, 0xbb, 0xcc, 0, 0, 1];
    // sushy's emulator reports no serial: not a mismatch.
    assert!(preflight::mismatches(node, &inventory(None, None, &[boot_mac])).is_empty());
    // The UUID in either case, or with its first three fields byte-swapped.
    for uuid in [
        "4C4C4544-0042-3510-8052-B3C04F4D4D32",
        "44454c4c-4200-1035-8052-b3c04f4d4d32",
    ] {
        assert!(
            preflight::mismatches(node, &inventory(Some("SN123"), Some(uuid), &[boot_mac]))
                .is_empty(),
            "{uuid}"
        );
    }
    let wrong = preflight::mismatches(
        node,
        &inventory(
            Some("SN123"),
            Some("00000000-0000-0000-0000-000000000001"),
            &[[1, 2, 3, 4, 5, 6]],
        ),
    );
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong[0].contains("4c4c4544") && wrong[0].contains("00000000-0000"));
    assert!(wrong[1].contains("aa:bb:cc:00:00:01") && wrong[1].contains("01:02:03:04:05:06"));
    // A BMC listing no MAC cannot contradict the documents.
    assert!(preflight::mismatches(node, &inventory(Some("SN123"), None, &[])).is_empty());
}

#[track_caller]
fn check_power(
    target: PowerTarget,
    state: PowerState,
    own: Option<u64>,
    pending: Option<u64>,
    expected: &str,
) {
    let pace = Pace {
        poll: Duration::from_secs(2),
        convergence_window: Duration::from_secs(60),
    };
    let observed = PowerObserved {
        state,
        at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
        own_request_age: own.map(Duration::from_secs),
    };
    let decision = decide_power(target, pace, &observed, pending.map(Duration::from_secs));
    let got = match decision {
        aero_workflow::Decision::Done { output, .. } => {
            format!("done since {}", output["since_ms"])
        }
        aero_workflow::Decision::Act(PowerOp::On) => "act on".to_string(),
        aero_workflow::Decision::Act(PowerOp::ForceOff) => "act force-off".to_string(),
        aero_workflow::Decision::Wait { .. } => "wait".to_string(),
        aero_workflow::Decision::Fail { reason } => format!("fail {reason}"),
    };
    assert_eq!(got, expected);
}

#[test]
fn power_decisions_wait_for_requests_to_land() {
    use PowerTarget::{Off, On};
    check_power(On, PowerState::Off, None, None, "act on");
    check_power(Off, PowerState::On, None, None, "act force-off");
    check_power(On, PowerState::PoweringOn, None, None, "wait");
    // A request (own or pending before a crash) younger than the window: wait.
    check_power(On, PowerState::Off, Some(5), None, "wait");
    check_power(On, PowerState::Off, None, Some(59), "wait");
    // Older: the request is lost, send it again.
    check_power(On, PowerState::Off, None, Some(61), "act on");
    // Done; the time is when the change was requested, if known.
    check_power(On, PowerState::On, None, None, "done since 1000000");
    check_power(On, PowerState::On, None, Some(30), "done since 970000");
    check_power(On, PowerState::On, Some(10), Some(30), "done since 990000");
}

#[track_caller]
fn check_boot(
    target: Option<BootTarget>,
    persistence: Option<BootPersistence>,
    own_request: boot::OwnRequest,
    expected: &str,
) {
    let observed = boot::BootObserved {
        settings: BootSettings {
            target,
            persistence,
            mode: Some(BootMode::Uefi),
            allowed_targets: Vec::new(),
            allowed_modes: Vec::new(),
        },
        own_request,
    };
    let decision = boot::decide_boot(
        boot::BootWanted::CdOnce,
        boot::BootModeName::Uefi,
        &observed,
    );
    let got = match decision {
        aero_workflow::Decision::Done { .. } => "done".to_string(),
        aero_workflow::Decision::Act(op) => format!("act {op:?}"),
        aero_workflow::Decision::Wait { .. } => "wait".to_string(),
        aero_workflow::Decision::Fail { reason } => format!("fail {reason}"),
    };
    assert_eq!(got, expected);
}

#[test]
fn a_cd_override_found_set_continuously_is_set_once_by_the_step() {
    use boot::OwnRequest::{None as NotYet, ReadsBack, Unreadable};
    let act = "act CdOnce { mode: Uefi }";
    check_boot(
        Some(BootTarget::Hdd),
        Some(BootPersistence::Continuous),
        NotYet,
        act,
    );
    check_boot(
        Some(BootTarget::Cd),
        Some(BootPersistence::Once),
        NotYet,
        "done",
    );
    // Found continuous: set once; a BMC that keeps reporting continuous afterwards (sushy's
    // fake driver) does not make the step set it forever.
    check_boot(
        Some(BootTarget::Cd),
        Some(BootPersistence::Continuous),
        NotYet,
        act,
    );
    check_boot(
        Some(BootTarget::Cd),
        Some(BootPersistence::Continuous),
        ReadsBack,
        "done",
    );
    check_boot(
        Some(BootTarget::Hdd),
        Some(BootPersistence::Continuous),
        ReadsBack,
        act,
    );
    // Applied through a job the settings never show.
    check_boot(
        Some(BootTarget::Hdd),
        Some(BootPersistence::Continuous),
        Unreadable,
        "done",
    );
}

#[tokio::test]
async fn a_node_without_an_os_image_fails_its_insert_step_only() {
    let mut setup = Setup::new(matching_bmc()).await;
    let mut model = (*setup.model).clone();
    for node in &mut model.nodes {
        node.os_image = None;
    }
    setup.model = Arc::new(model);
    let timing = fast_timing(Duration::from_secs(20));
    let engine = setup.engine(ProcessIdentity::current());
    let id = engine
        .submit(&setup.provision_action(&timing))
        .await
        .expect("submit");
    assert_eq!(engine.run(&id).await.expect("run"), ActionState::Failed);
    let error = setup.step_error(&id, "provision/n1/insert-media").await;
    assert!(error.contains("has no OS image"), "{error}");
    assert_eq!(setup.harness.fake.count(FakeOperation::InsertMedia), 0);
    assert!(setup.step_error(&id, "preflight/n1").await.is_empty());
}

#[tokio::test]
async fn an_unreachable_bmc_is_retried_with_a_new_session() {
    let setup = Setup::new(matching_bmc()).await;
    setup.harness.fake.fail_next(
        FakeOperation::Inventory,
        BmcError::Unreachable {
            bmc: ENDPOINT.to_string(),
            operation: "reading the inventory".to_string(),
            source: aero_bmc::Cause::boxed("connection reset"),
        },
    );
    let timing = fast_timing(Duration::from_secs(20));
    let engine = setup.engine(ProcessIdentity::current());
    let id = engine
        .submit(&setup.action(vec![preflight_spec(setup.node(), &timing)]))
        .await
        .expect("submit");
    assert_eq!(engine.run(&id).await.expect("run"), ActionState::Succeeded);
    let detail = setup.store.show(&id).await.expect("show");
    assert_eq!(detail.steps[0].attempts, 2);
    // The failed session was dropped: the retry logged in again.
    assert_eq!(setup.harness.connector.connections(), 2);
}
