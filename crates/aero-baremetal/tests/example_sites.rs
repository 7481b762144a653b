//! The example sites' servers through the model: every node resolves with its companion
//! documents, fingerprints follow what a node becomes (not unrelated charts, not BMC
//! settings), and every node's config image is reproducible and reads back.

mod support;

use std::path::Path;

use aero_baremetal::{
    BmcTls, BondingMode, BootMode, ConfigMedia, ConfigPart, HostModel, ImageTime, IsoImage,
    NodeAddress, OobType, TlsBackend,
};
use support::{SITES, example_configs, example_repo, render_site};

#[test]
fn every_example_node_resolves_with_its_companions() {
    for (site, prefix, net, n6) in [
        ("edge-lon1", "lon1", "10.23", 106),
        ("edge-fra1", "fra1", "10.24", 206),
    ] {
        let rendered = render_site(&example_repo(), site);
        let model = HostModel::from_site(&rendered).unwrap_or_else(|errors| panic!("{errors}"));
        let names: Vec<&str> = model
            .nodes()
            .iter()
            .map(|node| node.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                format!("{prefix}-cp01"),
                format!("{prefix}-wk01"),
                format!("{prefix}-wk02")
            ]
        );
        let genesis = model.node(&format!("{prefix}-cp01")).unwrap();
        assert!(genesis.externally_provisioned, "{site}: the genesis host");
        assert_eq!(genesis.tags, ["genesis", "control"]);
        let interfaces: Vec<&str> = genesis.interfaces.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(interfaces, ["bond0", "pxe"], "edge-cp deletes up0");

        let worker = model.node(&format!("{prefix}-wk01")).unwrap();
        assert!(!worker.externally_provisioned);
        assert_eq!(worker.host_profiles, ["worker"]);
        assert_eq!(worker.hardware_profile.name, "dell-r650");
        assert_eq!(worker.boot_mode, BootMode::Uefi);
        assert_eq!(worker.oob_type, OobType::Redfish);
        let bmc = worker.bmc.as_ref().unwrap();
        assert_eq!(bmc.endpoint, format!("https://{net}.0.21"));
        assert!(matches!(bmc.tls, BmcTls::Fingerprint(_)));
        assert_eq!(bmc.tls_backend, TlsBackend::Rustls);
        assert!(!bmc.credentials.username.expose().is_empty());
        assert!(!bmc.credentials.password.expose().is_empty());
        assert_eq!(worker.media.config, ConfigMedia::Auto);
        assert!(worker.expected.serial_number.is_some() && worker.expected.uuid.is_some());
        assert!(worker.boot_mac.is_some());
        let image = worker.os_image.as_ref().unwrap();
        assert_eq!(image.name, "jammy");
        let interfaces: Vec<&str> = worker.interfaces.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(interfaces, ["bond0", "pxe", "up0"]);
        let up0 = &worker.interfaces[2];
        assert_eq!(up0.link.bonding.mode, BondingMode::ActiveBackup);
        assert!(up0.nics.iter().all(|nic| nic.mac.is_some()));
        let vlans: Vec<(&str, Option<u16>)> = up0
            .networks
            .iter()
            .map(|attached| (attached.network.name.as_str(), attached.vlan))
            .collect();
        assert_eq!(vlans, [("n3", None), ("n6", Some(n6))]);
        assert_eq!(
            worker.static_address("ksn"),
            Some(format!("{net}.2.21").parse().unwrap())
        );
        let (_, pxe) = worker
            .attached_networks()
            .find(|(_, attached)| attached.network.name == "pxe")
            .unwrap();
        assert_eq!(pxe.address, Some(NodeAddress::Dhcp));
        assert_eq!(
            worker.fqdn(),
            Some(format!("{prefix}-wk01.{prefix}.edge.example.net"))
        );
        let server = model.provisioning_server().unwrap();
        assert_eq!(server.public_url, format!("http://{net}.1.5:8080"));
        assert!(server.token_key.expose().len() >= 32);
        assert_eq!(model.region().unwrap().authorized_keys.len(), 1);
    }
}

#[test]
fn every_config_image_is_reproducible_and_reads_back() {
    for site in SITES {
        let first = example_configs(site);
        let second = example_configs(site);
        assert_eq!(first.len(), 3);
        for ((node, config, image), (_, _, again)) in first.iter().zip(&second) {
            assert_eq!(
                image.bytes(),
                again.bytes(),
                "{site}/{node}: same bytes twice"
            );
            assert_eq!(image.file_name(), format!("{}.iso", image.sha256()));
            let read = IsoImage::parse(image.bytes()).unwrap();
            assert_eq!(read.label(), "cidata");
            for part in ConfigPart::ALL {
                assert_eq!(
                    read.read(part.file_name()).unwrap(),
                    config.part(part).as_bytes(),
                    "{site}/{node}/{part}"
                );
            }
            let later = aero_baremetal::ConfigImage::build(
                config,
                ImageTime::from_unix_seconds(1_767_225_600),
            )
            .unwrap();
            assert_ne!(later.sha256(), image.sha256(), "the time is an input");
        }
    }
}

/// A copy of the example repository to change.
fn copy_of_examples() -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    copy_tree(&example_repo(), folder.path());
    folder
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

/// Replaces the first `from` in a file of the repository.
#[track_caller]
fn edit(repo: &Path, file: &str, from: &str, to: &str) {
    let path = repo.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// `(node, fingerprint)` of every node of edge-lon1 in `repo`, and the revision.
fn fingerprints(repo: &Path) -> (Vec<(String, String)>, String) {
    let rendered = render_site(repo, "edge-lon1");
    let model = HostModel::from_site(&rendered).unwrap_or_else(|errors| panic!("{errors}"));
    (
        model
            .nodes()
            .iter()
            .map(|node| (node.name.clone(), node.fingerprint.to_string()))
            .collect(),
        rendered.revision_id().unwrap().to_string(),
    )
}

#[test]
fn fingerprints_follow_what_a_node_becomes_and_nothing_else() {
    let repo = copy_of_examples();
    let repo = repo.path();
    let (before, revision) = fingerprints(repo);
    assert!(
        before
            .iter()
            .all(|(_, fingerprint)| fingerprint.len() == 64),
        "{before:?}"
    );
    let distinct: std::collections::BTreeSet<&String> = before.iter().map(|(_, f)| f).collect();
    assert_eq!(distinct.len(), 3, "each node has its own");

    // An unrelated chart: a new revision, the same fingerprints.
    edit(
        repo,
        "global/software/charts/openstack/keystone.yaml",
        "    timeout: 1800\n",
        "    timeout: 2400\n",
    );
    let (after_chart, chart_revision) = fingerprints(repo);
    assert_ne!(chart_revision, revision);
    assert_eq!(
        after_chart, before,
        "an unrelated chart changes no fingerprint"
    );

    // How the BMC is reached (its address, TLS trust) does not change what the node is.
    edit(
        repo,
        "site/edge-lon1/baremetal/nodes.yaml",
        "address: https://10.23.0.21",
        "address: https://10.23.0.121",
    );
    edit(
        repo,
        "site/edge-lon1/baremetal/nodes.yaml",
        "address: 10.23.0.21",
        "address: 10.23.0.121",
    );
    edit(
        repo,
        "site/edge-lon1/baremetal/node-provisioning.yaml",
        "    tls:\n      fingerprint:",
        "    tls_backend: openssl\n    tls:\n      fingerprint:",
    );
    assert_eq!(
        fingerprints(repo).0,
        before,
        "BMC settings change no fingerprint"
    );

    // The node's network: N6 is carried by the workers only.
    edit(
        repo,
        "site/edge-lon1/networks/physical/networks.yaml",
        "  vlan: '106'",
        "  vlan: '116'",
    );
    let (after_network, _) = fingerprints(repo);
    assert_eq!(after_network[0], before[0], "lon1-cp01 does not carry n6");
    assert_ne!(after_network[1].1, before[1].1, "lon1-wk01 carries n6");
    assert_ne!(after_network[2].1, before[2].1, "lon1-wk02 carries n6");

    // The node's own document.
    edit(
        repo,
        "site/edge-lon1/baremetal/nodes.yaml",
        "address: 10.23.4.22",
        "address: 10.23.4.122",
    );
    let (after_address, _) = fingerprints(repo);
    assert_eq!(after_address[1], after_network[1]);
    assert_ne!(after_address[2].1, after_network[2].1);
}
