//! A small site for unit tests: every host kind once, written to exercise the model's
//! rules (a two-profile chain, a removed interface, node overrides, companion defaults,
//! a bond with VLANs, routedomain routes). Tests change it by replacing text.

use aero_site::{KeyPolicy, RenderOptions, RenderedSite, Snapshot};

/// The fixture's documents.
pub(crate) const SITE: &str = r#"---
schema: deckhand/LayeringPolicy/v1
metadata:
  schema: metadata/Control/v1
  name: layering-policy
data:
  layerOrder: [global, site]
---
schema: deckhand/Passphrase/v1
metadata: {schema: metadata/Document/v1, name: bmc-user, layeringDefinition: {abstract: false, layer: site}, storagePolicy: cleartext}
data: admin-user-x
---
schema: deckhand/Passphrase/v1
metadata: {schema: metadata/Document/v1, name: bmc-password, layeringDefinition: {abstract: false, layer: site}, storagePolicy: cleartext}
data: s3cret-bmc-password
---
schema: deckhand/Passphrase/v1
metadata: {schema: metadata/Document/v1, name: token-key, layeringDefinition: {abstract: false, layer: site}, storagePolicy: cleartext}
data: 0123456789abcdef0123456789abcdef0123456789abcdef
---
schema: drydock/HardwareProfile/v1
metadata: {schema: metadata/Document/v1, name: hw, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  vendor: Acme
  boot_mode: bios
  device_aliases:
    nic1: {address: '0000:01:00.0', dev_type: onboard, bus_type: pci}
    nic2: {address: '0000:02:00.0', dev_type: e810, bus_type: pci}
    nic3: {address: '0000:02:00.1', dev_type: e810, bus_type: pci}
---
schema: drydock/HostProfile/v1
metadata: {schema: metadata/Document/v1, name: base, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  hardware_profile: hw
  primary_network: mgmt
  oob: {type: redfish, network: oob}
  platform:
    image: focal
    kernel: ga-20.04
    kernel_params: {console: ttyS0, quiet: true, iommu: pt}
  interfaces:
    pxe: {device_link: pxe-link, slaves: [nic1], networks: [pxe]}
    bond0: {device_link: bond-link, slaves: [nic2, nic3], networks: [mgmt, storage]}
    extra: {device_link: pxe-link, slaves: [eno9], networks: [pxe]}
  metadata:
    tags: [base]
    owner_data: {tier: base, zone: a}
---
schema: drydock/HostProfile/v1
metadata: {schema: metadata/Document/v1, name: role, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  host_profile: base
  interfaces:
    extra: null
  platform:
    kernel_params: {quiet: false, hugepages: 16}
  metadata:
    tags: [role, '!base']
    owner_data: {tier: role}
---
schema: drydock/BaremetalNode/v1
metadata:
  schema: metadata/Document/v1
  name: n1
  layeringDefinition: {abstract: false, layer: site}
  storagePolicy: cleartext
  substitutions:
    - src: {schema: deckhand/Passphrase/v1, name: bmc-user, path: .}
      dest: {path: .oob.account}
    - src: {schema: deckhand/Passphrase/v1, name: bmc-password, path: .}
      dest: {path: .oob.credential}
data:
  host_profile: role
  oob: {address: 10.0.0.11}
  addressing:
    - {network: oob, address: 10.0.0.11}
    - {network: pxe, address: dhcp}
    - {network: mgmt, address: 10.0.2.11}
    - {network: storage, address: 10.0.3.11}
  metadata:
    rack: r1
    boot_mac: 'AA-BB-CC-00-00-01'
    tags: [node]
---
schema: drydock/NetworkLink/v1
metadata: {schema: metadata/Document/v1, name: pxe-link, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  bonding: {mode: disabled}
  mtu: 1500
  trunking: {mode: disabled}
  allowed_networks: [pxe]
---
schema: drydock/NetworkLink/v1
metadata: {schema: metadata/Document/v1, name: bond-link, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  bonding: {mode: 802.3ad, hash: layer3+4, peer_rate: fast, mon_rate: 100, up_delay: 200, down_delay: 300}
  mtu: 9000
  trunking: {mode: 802.1q, default_network: mgmt}
  allowed_networks: [mgmt, storage]
---
schema: drydock/Network/v1
metadata: {schema: metadata/Document/v1, name: oob, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data: {cidr: 10.0.0.0/24}
---
schema: drydock/Network/v1
metadata: {schema: metadata/Document/v1, name: pxe, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  cidr: 10.0.1.0/24
  dns: {domain: pxe.example.net, servers: '10.0.1.53'}
---
schema: drydock/Network/v1
metadata: {schema: metadata/Document/v1, name: mgmt, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  cidr: 10.0.2.0/24
  vlan: '102'
  mtu: 9000
  routes:
    - {subnet: 0.0.0.0/0, gateway: 10.0.2.1, metric: 100}
    - {routedomain: rd, gateway: 10.0.2.254}
  dns: {domain: example.net, servers: '10.0.2.53, 10.0.2.54'}
---
schema: drydock/Network/v1
metadata: {schema: metadata/Document/v1, name: storage, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  cidr: 10.0.3.0/24
  vlan: '103'
  mtu: 9000
  routes:
    - {subnet: 0.0.0.0/0, gateway: 10.0.3.1}
---
schema: drydock/Network/v1
metadata: {schema: metadata/Document/v1, name: remote, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data: {cidr: 10.9.0.0/16, routedomain: rd}
---
schema: drydock/Region/v1
metadata: {schema: metadata/Document/v1, name: region, layeringDefinition: {abstract: false, layer: site}, storagePolicy: cleartext}
data:
  authorized_keys:
    - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsFt776rYqciML1e4mR2hCuCjw7tGveS58TPSSbsGOx ops@example.net
  repositories:
    remove_unlisted: true
    main:
      repo_type: apt
      url: http://mirror.example.net/ubuntu
      distributions: [jammy, jammy-updates]
      components: [main, universe]
      arches: [amd64]
---
schema: aerostat/OsImage/v1
metadata: {schema: metadata/Document/v1, name: focal, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  url: http://mirror.example.net/focal.iso
  sha256: 5E38B55D57D94FF029719342357325ED3BDA38FA80054F9330DC789CD2D43931
---
schema: aerostat/ProvisioningServer/v1
metadata:
  schema: metadata/Document/v1
  name: server
  layeringDefinition: {abstract: false, layer: site}
  storagePolicy: cleartext
  substitutions:
    - src: {schema: deckhand/Passphrase/v1, name: token-key, path: .}
      dest: {path: .token_key}
data:
  bind_address: 0.0.0.0:8080
  public_url: http://10.0.1.5:8080/
---
schema: aerostat/NodeProvisioning/v1
metadata: {schema: metadata/Document/v1, name: n1, layeringDefinition: {abstract: false, layer: site}, storagePolicy: cleartext}
data:
  serial_number: SN123
  uuid: 4C4C4544-0042-3510-8052-B3C04F4D4D32
  mac_addresses:
    nic1: 'aa:bb:cc:00:00:01'
    nic2: 'aa:bb:cc:00:00:02'
  bmc:
    tls:
      fingerprint: 'AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB'
---
schema: aerostat/HardwareProvisioning/v1
metadata: {schema: metadata/Document/v1, name: hw, layeringDefinition: {abstract: false, layer: global}, storagePolicy: cleartext}
data:
  bmc:
    tls: {insecure: true}
    tls_backend: openssl
  virtual_media: {os_slot: Cd, config_slot: Floppy}
"#;

/// The fixture with each `(from, to)` replacement applied (each must match), rendered
/// and validated.
pub(crate) fn site_with(replacements: &[(&str, &str)]) -> RenderedSite {
    let mut text = SITE.to_string();
    for (from, to) in replacements {
        assert!(text.contains(from), "fixture has no `{from}`");
        text = text.replacen(from, to, 1);
    }
    render(&text)
}

/// Renders documents written to a file named `site.yaml`.
pub(crate) fn render(text: &str) -> RenderedSite {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("site.yaml");
    std::fs::write(&path, text).unwrap();
    let snapshot = Snapshot::from_paths(&[path]).unwrap();
    let keys = KeyPolicy::default().resolve(&[]).unwrap();
    snapshot.render(&keys, &RenderOptions::default())
}

/// The fixture, rendered; fails the test unless it renders cleanly.
pub(crate) fn site() -> RenderedSite {
    let site = site_with(&[]);
    assert!(site.is_valid(), "{:#?}", site.diagnostics());
    site
}
