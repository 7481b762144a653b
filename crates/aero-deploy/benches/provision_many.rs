//! Provisions many nodes of one site at once, through the planner, the workflow engine
//! (SQLite store, every intent synced) and the bare-metal steps, and compares the wall
//! time with the critical path: the slowest node's own delays.
//!
//! The machines are in-memory BMCs (`aero_bmc::FakeBmc`) that apply power changes after
//! a seeded delay, as sushy-emulator's and real BMCs do, and a stand-in for each node's
//! operating system that phones home a seeded time after its machine was powered on from
//! the CD. Sushy emulators are not used here: a hundred Python processes on a two-core
//! machine would measure the emulators, not Aerostat. The lab end-to-end tests cover the
//! same steps against real emulators.
//!
//! Run: `cargo bench -p aero-deploy --bench provision_many [-- NODES [SEED]]` (100 nodes,
//! seed 1 by default). It prints the nodes, the wall time, the critical path and the BMC
//! requests per node.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aero_baremetal::{BaremetalEnvironment, BaremetalSteps, Node, bmc_target};
use aero_bmc::{
    BootTarget, FakeBmc, FakeBmcConfig, FakeConnector, FakeOperation, MacAddress, Nic, PowerState,
};
use aero_deploy::DeploySite;
use aero_deploy::action::ActionKind;
use aero_deploy::gate::{GroupGate, ValidateDesign};
use aero_deploy::plan::{GATE_KIND, Observed, Request, VALIDATE_KIND};
use aero_docs::collect::RepoSpec;
use aero_redact::{RedactionKey, SharedRedactor};
use aero_site::{KeyPolicy, Snapshot};
use aero_workflow::{
    ActionState, Engine, EngineConfig, Limits, PhoneHome, Registry, Store, StoreOptions, erase,
};

const SITE: &str = "edge-lon1";

fn main() {
    let mut args = std::env::args().skip(1).filter(|arg| !arg.starts_with('-'));
    let nodes: usize = args
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100);
    let seed: u64 = args.next().and_then(|text| text.parse().ok()).unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(nodes, seed));
}

/// A small deterministic generator (SplitMix64), so the delays are the same every run.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A duration between `low` and `high` milliseconds.
    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low + 1))
    }
}

/// Copies the example manifests and adds `count` worker nodes modelled on lon1-wk01.
fn site_with_nodes(count: usize, into: &Path) -> Vec<String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../site-manifests");
    copy_tree(&source, into);
    let baremetal = into.join("site").join(SITE).join("baremetal");
    let names: Vec<String> = (1..=count)
        .map(|index| format!("bench-{index:04}"))
        .collect();
    for file in ["nodes.yaml", "node-provisioning.yaml"] {
        let path = baremetal.join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        let template = text
            .split("\n---\n")
            .find(|document| document.contains("name: lon1-wk01\n"))
            .expect("lon1-wk01's document")
            .trim_end_matches("\n...")
            .trim_end_matches("...")
            .to_string();
        let template = template.trim_start_matches("---\n").to_string();
        let mut out = text.trim_end().to_string();
        for (index, name) in names.iter().enumerate() {
            out.push_str("\n---\n");
            out.push_str(&node_document(&template, name, index));
            out.push_str("\n...");
        }
        out.push('\n');
        std::fs::write(&path, out).expect("write");
    }
    names
}

/// lon1-wk01's document for another node: its name, addresses, MACs, UUID and serial
/// made unique.
fn node_document(template: &str, name: &str, index: usize) -> String {
    let host = 30 + index;
    let mut text = template.replace("lon1-wk01", name);
    for network in 0..8 {
        text = text.replace(
            &format!("10.23.{network}.21"),
            &format!("10.23.{network}.{host}"),
        );
    }
    for (nic, mac) in [
        "b4:96:91:3a:17:15",
        "40:a6:b7:6e:20:00",
        "40:a6:b7:6e:20:01",
        "40:a6:b7:6e:28:00",
        "40:a6:b7:6e:28:01",
    ]
    .iter()
    .enumerate()
    {
        text = text.replace(
            mac,
            &format!(
                "02:be:{:02x}:{:02x}:{:02x}:{nic:02x}",
                index >> 8,
                index & 0xff,
                nic
            ),
        );
    }
    text = text.replace(
        "4c4c4544-0038-5a4b-8051-314734000000",
        &format!("4c4c4544-0038-5a4b-8051-{index:012x}"),
    );
    text.replace("8ZKQ1G4", &format!("BENCH{index:04}"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The in-memory BMC of `node`: its identity and boot MAC as documented, off.
fn fake_for(node: &Node, power_delay: Duration) -> Arc<FakeBmc> {
    let mut config = FakeBmcConfig {
        endpoint: node.bmc.as_ref().expect("a BMC").endpoint.clone(),
        serial_number: node.expected.serial_number.clone(),
        uuid: node.expected.uuid.clone(),
        power: PowerState::Off,
        power_delay,
        ..FakeBmcConfig::default()
    };
    config.nics = vec![Nic {
        id: "1".to_string(),
        mac: node.boot_mac.map(|mac| MacAddress(mac.0)),
        permanent_mac: None,
        link_up: Some(true),
    }];
    Arc::new(FakeBmc::with_config(config))
}

async fn run(count: usize, seed: u64) {
    let folder = tempfile::tempdir().expect("a temp dir");
    let repo: PathBuf = folder.path().join("site-manifests");
    let names = site_with_nodes(count, &repo);
    let repos = vec![RepoSpec {
        name: "site-manifests".to_string(),
        path: repo.clone(),
    }];
    let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([9; 32]));
    let snapshot = Snapshot::collect(&repos, SITE, None).expect("collect");
    let keys = KeyPolicy::default()
        .resolve(std::slice::from_ref(&repo))
        .expect("keys");
    let rendered = snapshot.render(&keys, &aero_deploy::provider::render_options(&redactor));
    let site = DeploySite::prepare(SITE, &rendered, None)
        .unwrap_or_else(|error| panic!("the generated site does not prepare: {error}"));
    let request = Request {
        only: names.clone(),
        limits: Limits {
            max_parallel: u32::try_from(count * 8).unwrap_or(u32::MAX),
            resource_limits: BTreeMap::from([("bmc".to_string(), 1)]),
        },
        ..Request::default()
    };
    let plan = site
        .plan(ActionKind::DeploySite, &request, &Observed::default())
        .expect("a plan");

    // The machines, each with its seeded delays.
    let mut random = Seeded(seed);
    let connector = Arc::new(FakeConnector::new());
    let mut machines = Vec::new();
    for name in &names {
        let node = site.model.node(name).expect("a node");
        let power_delay = random.millis(1_000, 11_000);
        let boot_delay = random.millis(5_000, 30_000);
        let fake = fake_for(node, power_delay);
        let target = bmc_target(node).expect("a target");
        connector.add(fake.clone(), target.credentials.clone());
        machines.push((name.clone(), fake, power_delay, boot_delay));
    }
    let critical = machines
        .iter()
        .map(|(_, _, power, boot)| *power + *boot)
        .max()
        .unwrap_or_default();

    let store = Store::open(
        folder.path().join("bench.db").to_str().expect("utf-8"),
        StoreOptions::new(redactor.clone()),
    )
    .await
    .expect("a store");
    let mut registry = Registry::new();
    let revision = site.revision_id.clone();
    let design = Ok(revision.clone());
    registry.register(VALIDATE_KIND, move |_| {
        Ok(erase(ValidateDesign {
            rendered: design.clone(),
        }))
    });
    registry.register(GATE_KIND, |spec| Ok(erase(GroupGate::build(spec)?)));
    BaremetalSteps::new(BaremetalEnvironment {
        site: SITE.to_string(),
        revision_id: revision.clone(),
        model: site.model.clone(),
        connector: connector.clone(),
        redactor: redactor.clone(),
    })
    .register(&mut registry);
    let engine = Engine::with_registry(store.clone(), Arc::new(registry), EngineConfig::default());

    // The stand-ins for the operating systems: each phones home its boot delay after its
    // machine was powered on with the boot override on the CD.
    for (name, fake, _, boot_delay) in &machines {
        let (name, fake, boot_delay) = (name.clone(), fake.clone(), *boot_delay);
        let (store, revision) = (store.clone(), revision.clone());
        tokio::spawn(async move {
            loop {
                // Read without going through the BMC interface, so that only Aerostat's
                // requests are counted: powered on (the command sent and shown) from the CD.
                let on = fake.power_commands().iter().any(|command| command == "On")
                    && fake.pending_power().is_none();
                if on && fake.boot().target == Some(BootTarget::Cd) {
                    tokio::time::sleep(boot_delay).await;
                    let _ = store
                        .record_phone_home(&PhoneHome {
                            site: SITE.to_string(),
                            node: name.clone(),
                            action_id: None,
                            revision_id: Some(revision),
                            data: serde_json::json!({"instance_id": format!("i-{name}"), "hostname": name}),
                        })
                        .await;
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }

    let id = engine
        .submit(&plan.action_spec("sha256:bench", serde_json::Value::Null))
        .await
        .expect("submit");
    let started = Instant::now();
    let state = engine.run(&id).await.expect("run");
    let wall = started.elapsed();
    assert_eq!(
        state,
        ActionState::Succeeded,
        "{:#?}",
        store.show(&id).await.map(|detail| detail.action.error)
    );
    let requests: usize = machines
        .iter()
        .map(|(_, fake, _, _)| fake.calls().len())
        .sum();
    let changes: usize = machines
        .iter()
        .map(|(_, fake, _, _)| {
            fake.power_commands().len()
                + fake.count(FakeOperation::SetBootOverride)
                + fake.count(FakeOperation::InsertMedia)
                + fake.count(FakeOperation::EjectMedia)
        })
        .sum();
    let overhead = wall.saturating_sub(critical);
    println!("nodes: {count} (seed {seed})");
    println!("steps: {}", plan.steps.len());
    println!("wall: {:.2} s", wall.as_secs_f64());
    println!(
        "critical path (slowest node's power delay + boot to phone-home): {:.2} s",
        critical.as_secs_f64()
    );
    println!(
        "over the critical path: {:.2} s ({:.1} %); budget max(10 %, 2 s) = {:.2} s",
        overhead.as_secs_f64(),
        100.0 * overhead.as_secs_f64() / critical.as_secs_f64().max(f64::EPSILON),
        (critical.as_secs_f64() * 0.1).max(2.0)
    );
    println!(
        "BMC requests per node: {:.1} ({:.1} of them changes: power, boot, media)",
        requests as f64 / count.max(1) as f64,
        changes as f64 / count.max(1) as f64
    );
}
