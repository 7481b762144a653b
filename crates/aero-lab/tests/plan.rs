//! The lab's plan of the example sites: which nodes get an emulated BMC, with which
//! identity, and what the lab replaces; and the same site edited, to see a derived UUID
//! and a site with nothing to emulate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aero_baremetal::HostModel;
use aero_docs::collect::RepoSpec;
use aero_lab::{Fault, LabError, LabOptions, LabPlan, UuidSource, derived_system_uuid};
use aero_site::{KeyPolicy, RenderOptions, Snapshot};

fn example_repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../site-manifests")
}

fn model_of(repo: &Path, site: &str) -> HostModel {
    let repos = vec![RepoSpec {
        name: "site-manifests".into(),
        path: repo.to_path_buf(),
    }];
    let snapshot = Snapshot::collect(&repos, site, None).unwrap();
    let keys = KeyPolicy::default()
        .resolve(&snapshot.repo_roots())
        .unwrap();
    let rendered = snapshot.render(&keys, &RenderOptions::default());
    assert!(rendered.is_valid(), "{site}: {:#?}", rendered.diagnostics());
    HostModel::from_site(&rendered).unwrap()
}

fn options() -> LabOptions {
    LabOptions {
        seed: 42,
        boot_delay: Duration::from_millis(1500),
        faults: BTreeMap::new(),
    }
}

/// A copy of the example repository with `edit` applied to edge-lon1's
/// node-provisioning document.
fn edited_repo(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&example_repo(), copy.path());
    let file = copy
        .path()
        .join("site/edge-lon1/baremetal/node-provisioning.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, edit(&text)).unwrap();
    copy
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn edge_lon1_gets_an_emulated_bmc_per_provisioned_node() {
    let model = model_of(&example_repo(), "edge-lon1");
    let plan = LabPlan::from_model("edge-lon1", &model, &options()).unwrap();
    assert_eq!(plan.site, "edge-lon1");
    assert_eq!((plan.seed, plan.boot_delay_ms), (42, 1500));
    let names: Vec<&str> = plan.nodes.iter().map(|node| node.name.as_str()).collect();
    assert_eq!(
        names,
        ["lon1-wk01", "lon1-wk02"],
        "lon1-cp01 is externally provisioned"
    );
    let wk01 = &plan.nodes[0];
    assert_eq!(wk01.documented_bmc, "https://10.23.0.21");
    assert_eq!(wk01.system_uuid, "4c4c4544-0038-5a4b-8051-314734000000");
    assert_eq!(wk01.uuid_source, UuidSource::Documented);
    assert_eq!(wk01.serial_number.as_deref(), Some("8ZKQ1G4"), "documented");
    assert!(wk01.faults.is_empty() && wk01.phones_home());
    assert_eq!(
        wk01.macs,
        [
            "b4:96:91:3a:17:15",
            "40:a6:b7:6e:20:00",
            "40:a6:b7:6e:20:01",
            "40:a6:b7:6e:28:00",
            "40:a6:b7:6e:28:01"
        ],
        "the boot MAC first, each MAC once"
    );
    assert_eq!(plan.os_images.len(), 1);
    assert_eq!(plan.os_images[0].name, "jammy");
    assert!(plan.os_images[0].documented_url.ends_with(".iso"));
    assert_eq!(
        plan.provisioning_server.as_ref().map(|server| server.tls),
        Some(false)
    );

    let fra1 = model_of(&example_repo(), "edge-fra1");
    let plan = LabPlan::from_model("edge-fra1", &fra1, &options()).unwrap();
    assert_eq!(plan.nodes.len(), 2);
}

#[test]
fn a_node_without_a_documented_uuid_gets_one_derived_from_its_name() {
    let repo =
        edited_repo(|text| text.replace("  uuid: 4c4c4544-0038-5a4b-8051-314735000000\n", ""));
    let model = model_of(repo.path(), "edge-lon1");
    let plan = LabPlan::from_model("edge-lon1", &model, &options()).unwrap();
    let wk02 = &plan.nodes[1];
    assert_eq!(wk02.name, "lon1-wk02");
    assert_eq!(wk02.uuid_source, UuidSource::Derived);
    assert_eq!(wk02.system_uuid, derived_system_uuid("lon1-wk02"));
}

#[test]
fn a_site_whose_nodes_are_all_external_has_nothing_to_emulate() {
    let repo = edited_repo(|text| {
        text.replace(
            "  bmc:\n    tls:\n      fingerprint: '7B:",
            "  externally_provisioned: true\n  bmc:\n    tls:\n      fingerprint: '7B:",
        )
        .replace(
            "  bmc:\n    tls:\n      fingerprint: '1A:",
            "  externally_provisioned: true\n  bmc:\n    tls:\n      fingerprint: '1A:",
        )
    });
    let model = model_of(repo.path(), "edge-lon1");
    assert!(model.nodes().iter().all(|node| node.externally_provisioned));
    let error = LabPlan::from_model("edge-lon1", &model, &options()).unwrap_err();
    assert!(
        matches!(error, LabError::NothingToEmulate { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("nothing to emulate"), "{error}");
}

#[test]
fn faults_change_what_a_node_reports_and_name_only_emulated_nodes() {
    let model = model_of(&example_repo(), "edge-lon1");
    let mut options = options();
    options.faults = BTreeMap::from([
        (
            "lon1-wk01".to_string(),
            vec![Fault::parse("serial=SWAPPED-1").unwrap()],
        ),
        (
            "lon1-wk02".to_string(),
            vec![Fault::parse("no-phone-home").unwrap()],
        ),
    ]);
    let plan = LabPlan::from_model("edge-lon1", &model, &options).unwrap();
    assert_eq!(plan.nodes[0].serial_number.as_deref(), Some("SWAPPED-1"));
    assert!(plan.nodes[0].phones_home());
    assert_eq!(plan.nodes[1].serial_number.as_deref(), Some("8ZKQ1G5"));
    assert!(!plan.nodes[1].phones_home());

    // The genesis host is not emulated: a fault on it is refused, naming what is.
    options.faults = BTreeMap::from([("lon1-cp01".to_string(), vec![Fault::NoPhoneHome])]);
    let error = LabPlan::from_model("edge-lon1", &model, &options).unwrap_err();
    assert!(
        matches!(error, LabError::FaultOfUnknownNode { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("lon1-wk01, lon1-wk02"),
        "{error}"
    );

    for (text, expected) in [
        ("no-phone-home", Ok(Fault::NoPhoneHome)),
        ("serial=A1.b-2_c", Ok(Fault::Serial("A1.b-2_c".into()))),
        ("serial=", Err("not 1 to 64")),
        ("serial=a b", Err("not 1 to 64")),
        ("reboot-loop", Err("unknown fault")),
    ] {
        match (Fault::parse(text), expected) {
            (Ok(fault), Ok(expected)) => {
                assert_eq!(fault, expected);
                assert_eq!(fault.to_string(), text);
            }
            (Err(error), Err(expected)) => assert!(error.contains(expected), "{error}"),
            (got, expected) => panic!("{text}: {got:?}, expected {expected:?}"),
        }
    }
}
