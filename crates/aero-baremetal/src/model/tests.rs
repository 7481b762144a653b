//! The model's rules on the unit fixture: profile chains, interface removal, node
//! overrides, companion defaults, network attachment, and located errors.

use std::net::IpAddr;

use super::*;
use crate::error::{ModelError, Problem};
use crate::fixture::{site, site_with};

fn node(model: &HostModel) -> &Node {
    model.node("n1").unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// The problems of a fixture that must not resolve, as `(path, message)`.
#[track_caller]
fn problems(replacements: &[(&str, &str)]) -> Vec<ModelError> {
    let site = site_with(replacements);
    match HostModel::from_site(&site) {
        Ok(_) => panic!("the model resolved"),
        Err(errors) => errors.errors().to_vec(),
    }
}

#[test]
fn the_profile_chain_is_merged_nearest_first() {
    let model = HostModel::from_site(&site()).unwrap();
    let node = node(&model);
    assert_eq!(node.host_profiles, ["role", "base"]);
    // Lists: base's tag removed by `!base`, then role's and the node's own.
    assert_eq!(node.tags, ["role", "node"]);
    // Maps merge key by key, the nearer document winning.
    assert_eq!(node.owner_data["tier"], "role");
    assert_eq!(node.owner_data["zone"], "a");
    // `quiet: false` in the nearer profile turns the flag off; numbers keep their text.
    assert_eq!(
        node.platform.kernel_params,
        ["console=ttyS0", "hugepages=16", "iommu=pt"]
    );
    assert_eq!(node.platform.image.as_deref(), Some("focal"));
    assert_eq!(node.platform.kernel.as_deref(), Some("ga-20.04"));
    assert_eq!(node.rack.as_deref(), Some("r1"));
    assert_eq!(node.primary_network.as_deref(), Some("mgmt"));
    assert_eq!(node.hardware_profile.name, "hw");
    assert_eq!(node.hardware_profile.vendor.as_deref(), Some("Acme"));
}

#[test]
fn an_interface_set_to_null_is_removed_and_the_rest_resolve() {
    let model = HostModel::from_site(&site()).unwrap();
    let node = node(&model);
    let names: Vec<&str> = node.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["bond0", "pxe"]);
    let bond = &node.interfaces[0];
    assert_eq!(bond.link.name, "bond-link");
    assert_eq!(bond.link.bonding.mode, BondingMode::Lacp);
    assert_eq!(
        bond.nics,
        [
            Nic {
                name: "nic2".into(),
                alias: node.hardware_profile.device_aliases.get("nic2").cloned(),
                mac: MacAddress::parse("aa:bb:cc:00:00:02"),
            },
            Nic {
                name: "nic3".into(),
                alias: node.hardware_profile.device_aliases.get("nic3").cloned(),
                mac: None,
            },
        ]
    );
    let networks: Vec<(&str, Option<u16>, Option<NodeAddress>)> = bond
        .networks
        .iter()
        .map(|attached| {
            (
                attached.network.name.as_str(),
                attached.vlan,
                attached.address,
            )
        })
        .collect();
    assert_eq!(
        networks,
        [
            ("mgmt", None, Some(NodeAddress::Static(ip("10.0.2.11")))),
            (
                "storage",
                Some(103),
                Some(NodeAddress::Static(ip("10.0.3.11")))
            ),
        ]
    );
    let pxe = &node.interfaces[1];
    assert_eq!(pxe.networks[0].address, Some(NodeAddress::Dhcp));
    assert_eq!(node.static_address("mgmt"), Some(ip("10.0.2.11")));
    assert_eq!(node.fqdn().as_deref(), Some("n1.example.net"));
}

#[test]
fn a_routedomain_route_becomes_a_route_to_each_network_of_the_domain() {
    let model = HostModel::from_site(&site()).unwrap();
    let (_, mgmt) = node(&model)
        .attached_networks()
        .find(|(_, attached)| attached.network.name == "mgmt")
        .unwrap();
    let routes: Vec<String> = mgmt
        .network
        .routes
        .iter()
        .map(|route| format!("{} via {} {:?}", route.to, route.via, route.metric))
        .collect();
    assert_eq!(
        routes,
        [
            "0.0.0.0/0 via 10.0.2.1 Some(100)",
            "10.9.0.0/16 via 10.0.2.254 None"
        ]
    );
    let dns = mgmt.network.dns.as_ref().unwrap();
    assert_eq!(dns.servers, [ip("10.0.2.53"), ip("10.0.2.54")]);
}

#[test]
fn companion_settings_override_hardware_defaults_field_by_field() {
    let model = HostModel::from_site(&site()).unwrap();
    let node = node(&model);
    let bmc = node.bmc.as_ref().unwrap();
    assert_eq!(bmc.endpoint, "https://10.0.0.11");
    assert_eq!(bmc.credentials.username.expose(), "admin-user-x");
    assert_eq!(bmc.credentials.password.expose(), "s3cret-bmc-password");
    // The node's TLS setting replaces the hardware profile's as a whole...
    assert_eq!(bmc.tls, BmcTls::Fingerprint(Sha256Digest([0xAB; 32])));
    // ...while the backend, which the node does not set, comes from the hardware profile.
    assert_eq!(bmc.tls_backend, TlsBackend::OpenSsl);
    assert_eq!(
        node.media,
        MediaPreference {
            os_slot: Some("Cd".into()),
            config: ConfigMedia::Slot("Floppy".into()),
        }
    );
    assert_eq!(node.boot_mode, BootMode::Bios, "from the hardware profile");
    assert_eq!(
        node.expected,
        ExpectedIdentity {
            serial_number: Some("SN123".into()),
            uuid: Some("4c4c4544-0042-3510-8052-b3c04f4d4d32".into()),
        }
    );
    assert_eq!(node.boot_mac, MacAddress::parse("aa:bb:cc:00:00:01"));
    assert!(!node.externally_provisioned);
    let image = node.os_image.as_ref().unwrap();
    assert_eq!(image.url, "http://mirror.example.net/focal.iso");
    assert_eq!(image.kind, OsImageKind::InstallerIso);
    assert_eq!(
        image.sha256.to_string(),
        "5e38b55d57d94ff029719342357325ed3bda38fa80054f9330dc789cd2d43931"
    );
    let server = model.provisioning_server().unwrap();
    assert_eq!(server.public_url, "http://10.0.1.5:8080");
    assert_eq!(server.bind_address.port(), 8080);
    let region = model.region().unwrap();
    assert!(region.remove_unlisted);
    assert_eq!(region.repositories[0].name, "main");
}

#[test]
fn node_companion_values_win_and_defaults_apply_without_companions() {
    let model = HostModel::from_site(&site_with(&[
        (
            "  bmc:\n    tls:\n      fingerprint:",
            "  boot_mode: uefi\n  externally_provisioned: true\n  virtual_media: {config_over_http: true}\n  bmc:\n    tls_backend: rustls\n    tls:\n      fingerprint:",
        ),
    ]))
    .unwrap();
    let node = node(&model);
    assert_eq!(node.boot_mode, BootMode::Uefi);
    assert!(node.externally_provisioned);
    assert_eq!(node.bmc.as_ref().unwrap().tls_backend, TlsBackend::Rustls);
    assert_eq!(
        node.media,
        MediaPreference {
            os_slot: Some("Cd".into()),
            config: ConfigMedia::Http,
        }
    );

    // A site written for Drydock only: no companion documents at all.
    let bare = site_with(&[
        (
            "schema: aerostat/NodeProvisioning/v1",
            "schema: aerostat/Unused/v1",
        ),
        (
            "schema: aerostat/HardwareProvisioning/v1",
            "schema: aerostat/Unused/v1",
        ),
        ("  boot_mode: bios\n", ""),
    ]);
    let model = HostModel::from_site(&bare).unwrap();
    let node = model.node("n1").unwrap();
    assert_eq!(node.boot_mode, BootMode::Uefi);
    assert_eq!(node.bmc.as_ref().unwrap().tls, BmcTls::SystemRoots);
    assert_eq!(node.bmc.as_ref().unwrap().tls_backend, TlsBackend::Rustls);
    assert_eq!(node.media, MediaPreference::default());
    assert_eq!(node.expected, ExpectedIdentity::default());
    assert!(
        node.interfaces
            .iter()
            .flat_map(|i| &i.nics)
            .all(|nic| nic.mac.is_none())
    );
}

#[test]
fn the_bmc_address_falls_back_to_the_oob_network_address() {
    let model = HostModel::from_site(&site_with(&[("  oob: {address: 10.0.0.11}\n", "")])).unwrap();
    assert_eq!(
        node(&model).bmc.as_ref().unwrap().endpoint,
        "https://10.0.0.11"
    );
}

#[test]
fn secrets_never_print_in_the_model() {
    let model = HostModel::from_site(&site()).unwrap();
    let shown = format!("{model:?}");
    assert!(!shown.contains("s3cret-bmc-password"), "{shown}");
    assert!(!shown.contains("admin-user-x"));
    assert!(!shown.contains("0123456789abcdef0123456789abcdef"));
}

#[test]
fn a_missing_host_profile_names_the_document_line_and_path() {
    let errors = problems(&[("  host_profile: role\n", "  host_profile: rolee\n")]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = &errors[0];
    assert_eq!(error.document, "drydock/BaremetalNode/v1/n1");
    assert_eq!(error.path, ".host_profile");
    assert!(
        error.place.ends_with("site.yaml:73:17"),
        "the line of `host_profile: rolee`: {}",
        error.place
    );
    assert_eq!(
        error.problem,
        Problem::MissingHostProfile {
            name: "rolee".into(),
            known: vec!["base".into(), "role".into()],
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("site.yaml:73:17: drydock/BaremetalNode/v1/n1 .host_profile: host profile `rolee` does not exist (host profiles: base, role)"),
        "{message}"
    );
    assert_eq!(
        aero_error::Classify::class(&ModelErrors::new(errors)),
        aero_error::ErrorClass::InvalidInput
    );
}

#[test]
fn errors_in_inherited_values_point_at_the_profile_that_wrote_them() {
    let errors = problems(&[("  hardware_profile: hw\n", "  hardware_profile: hw2\n")]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].document, "drydock/HostProfile/v1/base");
    assert_eq!(errors[0].path, ".hardware_profile");
    assert!(matches!(
        errors[0].problem,
        Problem::MissingHardwareProfile { .. }
    ));
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let errors = problems(&[
        (
            "{network: storage, address: 10.0.3.11}",
            "{network: storage, address: 10.0.9.11}",
        ),
        ("'AA-BB-CC-00-00-01'", "'AA-BB-CC-00-00'"),
        (
            "  platform:\n    image: focal",
            "  platform:\n    image: bionic",
        ),
    ]);
    let problems: Vec<&Problem> = errors.iter().map(|error| &error.problem).collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(matches!(problems[0], Problem::AddressOutsideNetwork { .. }));
    assert_eq!(errors[0].path, ".addressing[3].address");
    assert!(matches!(problems[1], Problem::MissingOsImage { .. }));
    assert_eq!(errors[1].document, "drydock/HostProfile/v1/base");
    assert!(matches!(problems[2], Problem::InvalidMac { .. }));
}

/// Fixture replacements, the document at fault, and a part of the message.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[test]
fn inconsistent_documents_are_located_errors() {
    let cases: &[Case] = &[
        (
            &[("  host_profile: base\n", "  host_profile: role\n")],
            "drydock/HostProfile/v1/role",
            "host profiles name each other in a loop: role -> role",
        ),
        (
            &[(
                "slaves: [nic2, nic3], networks: [mgmt, storage]",
                "slaves: [nic2, nic3], networks: [mgmt, storage, pxe]",
            )],
            "drydock/HostProfile/v1/base",
            "network `pxe` is not in the allowed_networks of link `bond-link`",
        ),
        (
            &[(
                "{device_link: pxe-link, slaves: [nic1]",
                "{device_link: pxe-link, slaves: [nic1, nic2]",
            )],
            "drydock/HostProfile/v1/base",
            "interface `pxe` has 2 slaves but link `pxe-link` does not bond them",
        ),
        (
            &[("  vlan: '103'\n", "")],
            "drydock/HostProfile/v1/base",
            "network `storage` needs a vlan",
        ),
        (
            &[(
                "    - {network: pxe, address: dhcp}\n",
                "    - {network: pxe, address: dhcp}\n    - {network: remote, address: 10.9.0.5}\n",
            )],
            "drydock/BaremetalNode/v1/n1",
            "address on network `remote`, but no interface of the node carries it",
        ),
        (
            &[(
                "    nic2: 'aa:bb:cc:00:00:02'",
                "    nic7: 'aa:bb:cc:00:00:02'",
            )],
            "aerostat/NodeProvisioning/v1/n1",
            "`nic7` is neither a device alias",
        ),
        (
            &[(
                "    tls: {insecure: true}",
                "    tls: {insecure: true, ca_pem: x}",
            )],
            "aerostat/HardwareProvisioning/v1/hw",
            "several TLS trust settings (ca_pem, insecure)",
        ),
        (
            &[(
                "name: n1, layeringDefinition",
                "name: n2, layeringDefinition",
            )],
            "aerostat/NodeProvisioning/v1/n2",
            "names node `n2`, which does not exist (nodes: n1)",
        ),
        (
            &[(
                "  public_url: http://10.0.1.5:8080/",
                "  public_url: https://10.0.1.5:8080/",
            )],
            "aerostat/ProvisioningServer/v1/server",
            "public_url is https:// but tls is not set",
        ),
        (
            &[(
                "data: 0123456789abcdef0123456789abcdef0123456789abcdef",
                "data: short-key",
            )],
            "aerostat/ProvisioningServer/v1/server",
            "token_key has 9 characters",
        ),
        (
            &[(
                "  mtu: 9000\n  routes:\n    - {subnet: 0.0.0.0/0, gateway: 10.0.3.1}",
                "  mtu: 9100\n  routes:\n    - {subnet: 0.0.0.0/0, gateway: 10.0.3.1}",
            )],
            "drydock/Network/v1/storage",
            "network `storage` has mtu 9100, more than link `bond-link` carries (9000)",
        ),
        (
            &[(
                "  oob: {address: 10.0.0.11}\n",
                "  oob: {address: 10.0.0.11}\n  primary_network: nowhere\n",
            )],
            "drydock/BaremetalNode/v1/n1",
            "network `nowhere` does not exist",
        ),
        (
            &[(
                "  oob: {address: 10.0.0.11}\n",
                "  oob: {address: 10.0.0.11}\n  primary_network: remote\n",
            )],
            "drydock/BaremetalNode/v1/n1",
            "primary network `remote` is not carried by any interface of the node",
        ),
        (
            &[(
                "{os_slot: Cd, config_slot: Floppy}",
                "{os_slot: Cd, config_slot: Floppy, config_over_http: true}",
            )],
            "aerostat/HardwareProvisioning/v1/hw",
            "config_slot and config_over_http: true exclude each other",
        ),
    ];
    for (replacements, document, message) in cases {
        let errors = problems(replacements);
        assert!(
            errors
                .iter()
                .any(|error| error.document == *document && error.to_string().contains(message)),
            "{document}: {message}: {errors:#?}"
        );
        for error in &errors {
            assert!(error.place.contains("site.yaml:"), "{error}");
        }
    }
}

#[test]
fn malformed_data_names_the_field() {
    let site = site_with(&[("bonding: {mode: 802.3ad,", "bonding: {mode: 802.3ab,")]);
    let errors = HostModel::from_site(&site).unwrap_err();
    let error = &errors.errors()[0];
    assert_eq!(error.document, "drydock/NetworkLink/v1/bond-link");
    assert_eq!(error.path, ".bonding.mode");
    assert!(
        error.to_string().contains("unknown variant `802.3ab`"),
        "{error}"
    );
    // Reported once: the node using the broken link is not reported again.
    assert_eq!(errors.errors().len(), 1, "{errors}");
}

#[test]
fn unknown_nodes_list_the_known_ones() {
    let model = HostModel::from_site(&site()).unwrap();
    let error = model.node("n9").unwrap_err();
    assert_eq!(error.to_string(), "no node `n9` in the site (nodes: n1)");
    assert_eq!(
        aero_error::Classify::class(&error),
        aero_error::ErrorClass::NotFound
    );
}

#[test]
fn the_companion_schemas_are_built_in_and_closed() {
    for (from, to, document) in [
        ("  serial_number: SN123", "  serial: SN123", "n1"),
        ("    tls_backend: openssl", "    tls_backend: gnutls", "hw"),
        (
            "    tls: {insecure: true}",
            "    tls: {insecure: true, fingerprint: 'ab'}",
            "hw",
        ),
        (
            "  bind_address: 0.0.0.0:8080",
            "  bind_address: 8080",
            "server",
        ),
        (
            "  url: http://mirror.example.net/focal.iso",
            "  url: ftp://mirror.example.net/focal.iso",
            "focal",
        ),
    ] {
        let site = site_with(&[(from, to)]);
        let errors: Vec<String> = site
            .validation_diagnostics()
            .iter()
            .filter(|diagnostic| diagnostic.severity == aero_docs::diagnostic::Severity::Error)
            .map(|diagnostic| format!("{:?} {}", diagnostic.document, diagnostic.message))
            .collect();
        assert!(
            errors.iter().any(|error| error.contains(document)),
            "{to}: {errors:#?}"
        );
    }
}
