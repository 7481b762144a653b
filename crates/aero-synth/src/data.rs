//! The `data` sections of synthetic documents: about 30 keys nested 4 deep, with
//! lists, shaped like a service's configuration.
//!
//! Application documents share one shape per kind (the kind's letters name one of its
//! keys, so each kind's DataSchema differs). The global parent holds every key, with
//! placeholders where substitutions will write; the type parent and the members hold
//! overrides that the layering actions merge, replace or delete.

use serde_json::{Value, json};

use crate::rng::Rng;

/// Text in the global parent's URL that a substitution pattern replaces with a host.
pub const HOST_PLACEHOLDER: &str = "CATALOGUE_HOST";
/// Where the Passphrase goes.
pub const PASSWORD_PATH: &str = ".credentials.database.auth.password";
/// The URL a pattern substitution rewrites.
pub const URL_PATH: &str = ".network.endpoint.url";
/// The list element a catalogue DNS server goes into.
pub const DNS_SERVER_PATH: &str = ".network.dns.servers[1]";
/// Where a catalogue subtree goes.
pub const CATALOGUE_SUBTREE_PATH: &str = ".config.catalogue";
/// Services each catalogue lists an endpoint for.
pub const CATALOGUE_SERVICES: usize = 4;
/// Subtrees each catalogue holds.
pub const CATALOGUE_SUBTREES: [&str; 3] = ["logging", "monitoring", "tracing"];

/// The kind-specific key under `config`: `<letters>_features`.
pub fn features_key(letters: &str) -> String {
    format!("{}_features", letters.to_ascii_lowercase())
}

fn address(rng: &mut Rng, prefix: u64) -> String {
    format!("10.{prefix}.{}.{}", rng.range(0, 255), rng.range(1, 254))
}

fn interfaces(rng: &mut Rng, prefix: u64) -> Value {
    json!([
        {"name": "eth0", "mtu": 1500, "addresses": [format!("{}/24", address(rng, prefix))]},
        {"name": "bond0", "mtu": 9000, "addresses": [
            format!("{}/22", address(rng, prefix)),
            format!("{}/22", address(rng, prefix)),
        ]},
    ])
}

fn dns_servers(rng: &mut Rng, prefix: u64) -> Value {
    json!([
        address(rng, prefix),
        address(rng, prefix),
        address(rng, prefix)
    ])
}

/// Data of an application family's abstract global parent: every key, substitution
/// destinations holding placeholders.
pub fn application_global(letters: &str, family: &str, rng: &mut Rng) -> Value {
    json!({
        "service": {
            "name": family,
            "replicas": 1,
            "enabled": true,
            "debug": false,
            "image": {
                "repository": format!("registry.synth.example.internal/{}/{family}", letters.to_ascii_lowercase()),
                "tag": format!("1.{}.0", rng.range(0, 40)),
                "pull_policy": "IfNotPresent",
            },
            "resources": {
                "limits": {"cpu": "2", "memory": "4Gi"},
                "requests": {"cpu": "500m", "memory": "1Gi"},
            },
        },
        "network": {
            "endpoint": {
                "url": format!("https://{HOST_PLACEHOLDER}:{}/api/v1", rng.range(8000, 8999)),
                "port": 8443,
                "tls": {"enabled": true, "verify": true},
            },
            "dns": {
                "servers": dns_servers(rng, 0),
                "search": ["global.synth.example.internal"],
            },
            "interfaces": interfaces(rng, 0),
        },
        "credentials": {
            "database": {
                "user": family.replace('-', "_"),
                "auth": {"password": "PASSPHRASE", "method": "scram-sha-256"},
            },
        },
        "config": {
            features_key(letters): {
                "feature_a": true,
                "feature_b": false,
                "legacy_option": format!("legacy-{family}"),
            },
            "tuning": {"workers": 4, "timeout_seconds": 30, "retries": 3},
            "catalogue": {},
            "tags": ["global", letters.to_ascii_lowercase()],
        },
    })
}

/// Actions and data of an application family's abstract type parent: merge, replace
/// the resources, delete the legacy option the global parent set.
pub fn application_type(letters: &str, rng: &mut Rng) -> (Value, Value) {
    let actions = json!([
        {"method": "merge", "path": "."},
        {"method": "replace", "path": ".service.resources"},
        {"method": "delete", "path": format!(".config.{}.legacy_option", features_key(letters))},
    ]);
    let data = json!({
        "service": {
            "replicas": 3,
            "image": {"tag": format!("1.{}.1", rng.range(0, 40))},
            "resources": {
                "limits": {"cpu": "4", "memory": "8Gi"},
                "requests": {"cpu": "1", "memory": "2Gi"},
            },
        },
        "network": {
            "dns": {"search": ["type.synth.example.internal", "global.synth.example.internal"]},
        },
        "config": {
            "tuning": {"workers": 8},
            "tags": ["global", "type", letters.to_ascii_lowercase()],
        },
    });
    (actions, data)
}

/// Actions and data of a concrete type document that a site document replaces.
pub fn replaced_type(rng: &mut Rng) -> (Value, Value) {
    let actions = json!([{"method": "merge", "path": "."}]);
    let data = json!({
        "service": {"replicas": rng.range(2, 5), "image": {"tag": format!("2.{}.0", rng.range(0, 9))}},
        "config": {"tuning": {"retries": rng.range(4, 9)}},
    });
    (actions, data)
}

/// Actions and data of an application member (a concrete site document), one of four
/// action templates: merge; merge and delete; merge and replace; replace and merge.
pub fn application_member(letters: &str, name: &str, rng: &mut Rng) -> (Value, Value) {
    let prefix = rng.range(1, 250);
    let data = json!({
        "service": {
            "name": name,
            "replicas": rng.range(1, 9),
            "image": {
                "repository": format!("registry.synth.example.internal/site/{name}"),
                "tag": format!("3.{}.{}", rng.range(0, 20), rng.range(0, 20)),
                "pull_policy": "Always",
            },
        },
        "network": {
            "dns": {
                "servers": dns_servers(rng, prefix),
                "search": ["site.synth.example.internal"],
            },
            "interfaces": interfaces(rng, prefix),
        },
        "config": {
            "tuning": {"timeout_seconds": rng.range(10, 120)},
            features_key(letters): {"feature_b": rng.chance(1, 2)},
        },
    });
    let actions = match rng.index(4) {
        0 => json!([{"method": "merge", "path": "."}]),
        1 => json!([
            {"method": "merge", "path": "."},
            {"method": "delete", "path": ".service.debug"},
        ]),
        2 => json!([
            {"method": "merge", "path": "."},
            {"method": "replace", "path": ".network.dns"},
        ]),
        _ => json!([
            {"method": "replace", "path": ".service.image"},
            {"method": "merge", "path": ".config"},
        ]),
    };
    (actions, data)
}

/// Actions and data of a concrete catalogue type document that a site document replaces.
pub fn replaced_catalogue_type(rng: &mut Rng) -> (Value, Value) {
    let actions = json!([{"method": "merge", "path": "."}]);
    let data = json!({
        "dns": {"search": ["type.synth.example.internal"]},
        "subtrees": {"logging": {"level": "debug"}, "monitoring": {"interval_seconds": rng.range(5, 15)}},
    });
    (actions, data)
}

/// Data of the catalogue family's abstract global parent.
pub fn catalogue_global(rng: &mut Rng) -> Value {
    let endpoints: serde_json::Map<String, Value> = (0..CATALOGUE_SERVICES)
        .map(|service| {
            (
                format!("svc{service}"),
                json!({"host": format!("svc{service}.global.synth.example.internal"), "port": 443, "scheme": "https"}),
            )
        })
        .collect();
    json!({
        "endpoints": endpoints,
        "dns": {"servers": dns_servers(rng, 0), "search": ["synth.example.internal"]},
        "subtrees": {
            "logging": {
                "level": "info",
                "format": {"json": true, "timestamps": true},
                "outputs": [
                    {"type": "syslog", "target": "udp://10.0.0.10:514"},
                    {"type": "file", "path": "/var/log/synth.log", "rotate": {"size": "100Mi", "keep": 5}},
                ],
            },
            "monitoring": {
                "enabled": true,
                "interval_seconds": 30,
                "exporters": [{"name": "node", "port": 9100}, {"name": "process", "port": 9256}],
            },
            "tracing": {"enabled": false, "sampler": {"type": "ratio", "ratio": 0.01}},
        },
    })
}

/// Actions and data of the catalogue family's abstract type parent.
pub fn catalogue_type(rng: &mut Rng) -> (Value, Value) {
    let actions = json!([{"method": "merge", "path": "."}]);
    let data = json!({
        "subtrees": {"logging": {"level": "warning"}, "monitoring": {"interval_seconds": rng.range(10, 60)}},
    });
    (actions, data)
}

/// Actions and data of a catalogue member: its own hosts and DNS servers.
pub fn catalogue_member(name: &str, rng: &mut Rng) -> (Value, Value) {
    let endpoints: serde_json::Map<String, Value> = (0..CATALOGUE_SERVICES)
        .map(|service| {
            (
                format!("svc{service}"),
                json!({"host": format!("svc{service}.{name}.synth.example.internal")}),
            )
        })
        .collect();
    let prefix = rng.range(1, 250);
    let data = json!({
        "endpoints": endpoints,
        "dns": {"servers": dns_servers(rng, prefix)},
        "subtrees": {"tracing": {"enabled": true, "sampler": {"type": "always"}}},
    });
    let actions = if rng.chance(1, 2) {
        json!([{"method": "merge", "path": "."}])
    } else {
        json!([{"method": "merge", "path": "."}, {"method": "replace", "path": ".subtrees.tracing"}])
    };
    (actions, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(value: &Value) -> usize {
        match value {
            Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
            Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    fn leaves(value: &Value) -> usize {
        match value {
            Value::Object(map) => map.values().map(leaves).sum(),
            Value::Array(items) => items.iter().map(leaves).sum(),
            _ => 1,
        }
    }

    #[test]
    fn global_data_has_about_thirty_keys_four_deep_with_lists() {
        let data = application_global("BA", "serviceba-0001", &mut Rng::new(1));
        let count = leaves(&data);
        assert!((30..=40).contains(&count), "{count} leaves");
        assert_eq!(
            depth(&data),
            5,
            "maps nest 4 deep, lists inside the deepest"
        );
        assert!(data["config"]["ba_features"]["legacy_option"].is_string());
        assert_eq!(
            data["network"]["endpoint"]["url"]
                .as_str()
                .map(|url| url.contains(HOST_PLACEHOLDER)),
            Some(true)
        );
    }

    #[test]
    fn every_member_template_appears() {
        let mut rng = Rng::new(9);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let (actions, _) = application_member("A", "a-1", &mut rng);
            seen.insert(actions.to_string());
        }
        assert_eq!(seen.len(), 4);
    }
}
