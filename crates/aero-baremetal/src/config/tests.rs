//! The templates on the unit fixture: each file's full text.

use super::*;
use crate::fixture::site;
use crate::model::HostModel;
use crate::secret::Secret;

const REVISION: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn config() -> NodeConfig {
    let model = HostModel::from_site(&site()).unwrap();
    NodeConfig::render(&model, model.node("n1").unwrap(), REVISION).unwrap()
}

/// A file of the config, read back as YAML (1.2) into JSON.
#[track_caller]
fn parsed(config: &NodeConfig, part: ConfigPart) -> serde_json::Value {
    let options = aero_yaml::LoadOptions::new(aero_yaml::Dialect::Yaml12);
    let documents = aero_yaml::load_all(config.part(part), &options)
        .unwrap_or_else(|error| panic!("{part}: {error}\n{}", config.part(part)));
    assert_eq!(documents.len(), 1, "{part}");
    documents[0].root.to_json()
}

#[test]
fn network_config_has_bonds_vlans_addresses_routes_and_dns() {
    let config = config();
    assert_eq!(
        parsed(&config, ConfigPart::NetworkConfig)["network"],
        serde_json::json!({
            "version": 2,
            "ethernets": {
                "nic2": {"match": {"macaddress": "aa:bb:cc:00:00:02"}, "set-name": "nic2", "mtu": 9000},
                "nic3": {"mtu": 9000},
                "pxe": {
                    "match": {"macaddress": "aa:bb:cc:00:00:01"},
                    "set-name": "pxe",
                    "mtu": 1500,
                    "dhcp4": true,
                    "nameservers": {"addresses": ["10.0.1.53"], "search": ["pxe.example.net"]}
                }
            },
            "bonds": {
                "bond0": {
                    "interfaces": ["nic2", "nic3"],
                    "parameters": {
                        "mode": "802.3ad",
                        "transmit-hash-policy": "layer3+4",
                        "lacp-rate": "fast",
                        "mii-monitor-interval": 100,
                        "up-delay": 200,
                        "down-delay": 300
                    },
                    "mtu": 9000,
                    "addresses": ["10.0.2.11/24"],
                    "routes": [
                        {"to": "default", "via": "10.0.2.1", "metric": 100},
                        {"to": "10.9.0.0/16", "via": "10.0.2.254"}
                    ],
                    "nameservers": {"addresses": ["10.0.2.53", "10.0.2.54"], "search": ["example.net"]}
                }
            },
            // storage's default route is dropped: only the primary network (mgmt) has one.
            "vlans": {
                "bond0.103": {"id": 103, "link": "bond0", "mtu": 9000, "addresses": ["10.0.3.11/24"]}
            }
        })
    );
}

#[test]
fn nics_without_macs_are_matched_by_name_and_active_backup_has_no_lacp_rate() {
    let site = crate::fixture::site_with(&[
        ("    nic1: 'aa:bb:cc:00:00:01'\n", ""),
        (
            "{device_link: pxe-link, slaves: [nic1]",
            "{device_link: pxe-link, slaves: [eno1]",
        ),
        (
            "mode: 802.3ad, hash: layer3+4, peer_rate: fast,",
            "mode: active-backup, peer_rate: fast,",
        ),
        (
            "  trunking: {mode: 802.1q, default_network: mgmt}",
            "  trunking: {mode: 802.1q, default_network: storage}",
        ),
    ]);
    let model = HostModel::from_site(&site).unwrap();
    let config = NodeConfig::render(&model, model.node("n1").unwrap(), REVISION).unwrap();
    let network = &parsed(&config, ConfigPart::NetworkConfig)["network"];
    assert_eq!(
        network["ethernets"]["pxe"]["match"],
        serde_json::json!({"name": "eno1"})
    );
    assert!(network["ethernets"]["pxe"].get("set-name").is_none());
    let bond = &network["bonds"]["bond0"];
    assert_eq!(bond["parameters"]["mode"], "active-backup");
    assert!(bond["parameters"].get("lacp-rate").is_none());
    assert!(bond["parameters"].get("transmit-hash-policy").is_none());
    // storage is now the untagged network of the trunk, mgmt a VLAN with the default route.
    assert_eq!(bond["addresses"], serde_json::json!(["10.0.3.11/24"]));
    assert!(bond.get("routes").is_none(), "not the primary network");
    let mgmt = &network["vlans"]["bond0.102"];
    assert_eq!(mgmt["addresses"], serde_json::json!(["10.0.2.11/24"]));
    assert_eq!(mgmt["routes"][0]["to"], "default");
}

#[test]
fn user_data_has_host_keys_repositories_kernel_params_and_phone_home() {
    let config = config();
    assert!(
        config
            .part(ConfigPart::UserData)
            .starts_with("#cloud-config\n")
    );
    let user_data = parsed(&config, ConfigPart::UserData);
    assert_eq!(user_data["hostname"], "n1");
    assert_eq!(user_data["fqdn"], "n1.example.net");
    assert_eq!(
        user_data["ssh_authorized_keys"],
        serde_json::json!([
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsFt776rYqciML1e4mR2hCuCjw7tGveS58TPSSbsGOx ops@example.net"
        ])
    );
    let apt = &user_data["apt"];
    assert_eq!(apt["preserve_sources_list"], false, "remove_unlisted");
    assert_eq!(
        apt["sources"]["main-jammy-updates"],
        serde_json::json!({
            "source": "deb [arch=amd64] http://mirror.example.net/ubuntu jammy-updates main universe",
            "filename": "aerostat-main.list"
        })
    );
    let grub = user_data["write_files"][0]["content"].as_str().unwrap();
    assert!(
        grub.contains("GRUB_CMDLINE_LINUX_DEFAULT=\"${GRUB_CMDLINE_LINUX_DEFAULT} console=ttyS0 hugepages=16 iommu=pt\""),
        "{grub}"
    );
    let token = NodeToken::derive(
        &Secret::new("0123456789abcdef0123456789abcdef0123456789abcdef"),
        TokenPurpose::PhoneHome,
        "n1",
        REVISION,
    );
    assert_eq!(config.phone_home_token(), &token);
    assert_eq!(
        user_data["phone_home"],
        serde_json::json!({
            "url": format!("http://10.0.1.5:8080/phone-home/n1/{}", token.expose()),
            "post": ["instance_id", "hostname", "pub_key_rsa", "pub_key_ecdsa", "pub_key_ed25519"],
            "tries": 10
        })
    );
    let meta_data = parsed(&config, ConfigPart::MetaData);
    assert_eq!(
        meta_data,
        serde_json::json!({"instance-id": config.instance_id(), "local-hostname": "n1"})
    );
}

#[test]
fn the_same_node_and_revision_give_the_same_files_and_a_new_revision_a_new_token() {
    let first = config();
    let again = config();
    let model = HostModel::from_site(&site()).unwrap();
    let later = NodeConfig::render(&model, model.node("n1").unwrap(), "sha256:2222").unwrap();
    for part in ConfigPart::ALL {
        assert_eq!(first.part(part), again.part(part), "{part}");
    }
    assert_ne!(first.phone_home_token(), later.phone_home_token());
    assert_ne!(first.instance_id(), later.instance_id());
    assert_eq!(
        first.part(ConfigPart::NetworkConfig),
        later.part(ConfigPart::NetworkConfig)
    );
}

#[test]
fn redacted_configs_hide_the_token_and_the_site_secrets() {
    let config = config();
    let redactor = SharedRedactor::with_key(aero_redact::RedactionKey::from_bytes([7; 32]));
    let redacted = config.redacted(&redactor);
    let user_data = redacted.part(ConfigPart::UserData);
    assert!(
        !user_data.contains(config.phone_home_token().expose()),
        "{user_data}"
    );
    assert!(user_data.contains(&redactor.token(config.phone_home_token().expose())));
    assert_eq!(
        redacted.part(ConfigPart::NetworkConfig),
        config.part(ConfigPart::NetworkConfig)
    );
    assert!(!format!("{config:?}").contains(config.phone_home_token().expose()));
}

#[test]
fn configs_need_a_provisioning_server_and_a_revision() {
    let site = crate::fixture::site_with(&[(
        "schema: aerostat/ProvisioningServer/v1",
        "schema: aerostat/Unused/v1",
    )]);
    let model = HostModel::from_site(&site).unwrap();
    let node = model.node("n1").unwrap();
    assert!(matches!(
        NodeConfig::render(&model, node, REVISION),
        Err(ConfigError::NoProvisioningServer)
    ));
    let model = HostModel::from_site(&crate::fixture::site()).unwrap();
    assert!(matches!(
        NodeConfig::render(&model, model.node("n1").unwrap(), ""),
        Err(ConfigError::NoRevision)
    ));
}

#[test]
fn injected_text_cannot_leave_its_yaml_scalar_or_comment() {
    let hostile = "n1\nruncmd: [reboot] # \"x\"";
    let quoted = yaml_filter(&serde_json::json!(hostile), &HashMap::new()).unwrap();
    let text = format!("hostname: {}\n", quoted.as_str().unwrap());
    let options = aero_yaml::LoadOptions::new(aero_yaml::Dialect::Yaml12);
    let read = aero_yaml::load_all(&text, &options).unwrap()[0]
        .root
        .to_json();
    assert_eq!(read, serde_json::json!({"hostname": hostile}));
    let comment = comment_filter(&serde_json::json!(hostile), &HashMap::new()).unwrap();
    assert!(!comment.as_str().unwrap().contains('\n'));
}

#[test]
fn yaml_strings_are_quoted_when_a_reader_could_misread_them() {
    for plain in [
        "bond0",
        "data_nic01",
        "bond0.103",
        "edge.example.net",
        "/etc/x",
    ] {
        assert_eq!(yaml_string(plain), plain);
    }
    for quoted in [
        "10.23.2.11/24",
        "b4:96:91:3a:17:0b",
        "on",
        "No",
        "",
        "802.3ad",
        "a b",
        "-x",
        "x: y",
        "\"q\"",
    ] {
        let text = yaml_string(quoted);
        assert!(text.starts_with('"'), "{quoted} -> {text}");
        let back: String = serde_json::from_str(&text).unwrap();
        assert_eq!(back, quoted);
    }
}

#[test]
fn parts_parse_from_their_file_names() {
    for part in ConfigPart::ALL {
        assert_eq!(part.file_name().parse::<ConfigPart>(), Ok(part));
    }
    assert!("userdata".parse::<ConfigPart>().is_err());
}

#[test]
fn instance_ids_follow_node_and_revision() {
    let id = instance_id("lon1-wk01", "sha256:aa");
    assert_eq!(id, instance_id("lon1-wk01", "sha256:aa"));
    assert!(id.starts_with("lon1-wk01-") && id.len() == "lon1-wk01-".len() + 16);
    assert_ne!(id, instance_id("lon1-wk01", "sha256:ab"));
    assert_ne!(id, instance_id("lon1-wk02", "sha256:aa"));
}

#[test]
fn url_segments_are_percent_encoded() {
    assert_eq!(path_segment("lon1-wk01"), "lon1-wk01");
    assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
}

#[test]
fn grub_values_cannot_leave_their_quotes() {
    assert_eq!(
        grub_quote("console=ttyS1,115200n8"),
        "console=ttyS1,115200n8"
    );
    assert_eq!(grub_quote("x=\"$(reboot)\""), "x=\\\"\\$(reboot)\\\"");
}

#[test]
fn an_https_provisioning_server_puts_its_ca_in_the_trust_store() {
    let ca = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
    let tls = format!(
        "  public_url: https://10.0.1.5:8443/\n  tls:\n    certificate: |\n      -----BEGIN CERTIFICATE-----\n      MIIBleaf\n      -----END CERTIFICATE-----\n    key: not-a-real-key\n    ca: {}\n",
        serde_json::Value::String(ca.to_string())
    );
    let site = crate::fixture::site_with(&[("  public_url: http://10.0.1.5:8080/\n", &tls)]);
    assert!(site.is_valid(), "{:#?}", site.diagnostics());
    let model = HostModel::from_site(&site).unwrap();
    let server = model.provisioning_server().unwrap();
    assert_eq!(format!("{:?}", server.tls.as_ref().unwrap().key), "***");
    let config = NodeConfig::render(&model, model.node("n1").unwrap(), REVISION).unwrap();
    let user_data = parsed(&config, ConfigPart::UserData);
    assert_eq!(user_data["ca_certs"], serde_json::json!({"trusted": [ca]}));
    assert!(
        user_data["phone_home"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://10.0.1.5:8443/phone-home/n1/")
    );
}
