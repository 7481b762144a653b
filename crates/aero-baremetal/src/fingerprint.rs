//! The provisioning fingerprint: whether a node must be provisioned again is decided by
//! comparing it with the fingerprint recorded when the node was last provisioned.
//!
//! It is the SHA-256 of the rendered data of the documents that decide what the node
//! becomes: the node, its host profile chain, its hardware profile, the links and
//! networks its interfaces use (and the networks their routedomain routes lead to), its
//! companion documents and its OS image. Never the config image: that embeds a token
//! derived from the revision, so it changes with every revision, while an unchanged node
//! must keep its fingerprint across revisions.
//!
//! Left out, because they say how to reach or drive the machine, not what it becomes (a
//! rotated BMC password or a new BMC address must not reinstall a server):
//! [`EXCLUDED`] fields, the node's `addressing` entry on its oob network, and every secret
//! value (replaced by a constant marker, so no secret can be guessed from a fingerprint
//! either).
//!
//! The data is hashed in a canonical form (keys sorted), so reordering keys in a YAML
//! file changes nothing; the documents are sorted by schema and name.

use std::fmt;

use aero_redact::{RedactionKey, SharedRedactor};
use aero_site::DocumentView;
use sha2::{Digest, Sha256};

/// A node's provisioning fingerprint: 64 lower-case hex digits.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Top-level fields (by kind, any version) that do not decide what a node becomes.
pub const EXCLUDED: &[(&str, &str)] = &[
    ("drydock/BaremetalNode", "oob"),
    ("drydock/HostProfile", "oob"),
    ("aerostat/NodeProvisioning", "bmc"),
    ("aerostat/NodeProvisioning", "virtual_media"),
    ("aerostat/NodeProvisioning", "externally_provisioned"),
    ("aerostat/HardwareProvisioning", "bmc"),
    ("aerostat/HardwareProvisioning", "virtual_media"),
];

/// What stands for a secret value in the hashed data.
const SECRET_MARKER: &str = "<secret>";

/// Versions the hashed form: a change to what is hashed must change every fingerprint.
const DOMAIN: &[u8] = b"aerostat-provisioning-fingerprint/v1\n";

/// The fingerprint of a node's provisioning-relevant documents (any order, duplicates
/// ignored). `oob_network` is the node's oob network, whose `addressing` entry is left out.
pub(crate) fn of_documents(
    documents: &[DocumentView<'_>],
    oob_network: Option<&str>,
) -> Fingerprint {
    // A throwaway redactor with a fixed key: only its marking of secret values is used
    // (every secret value becomes a token, which is then replaced by one marker).
    let redactor = SharedRedactor::with_key(RedactionKey::from_bytes([0; 32]));
    let mut entries: Vec<(&str, &str, serde_json::Value)> = Vec::new();
    for view in documents {
        if entries
            .iter()
            .any(|(schema, name, _)| *schema == view.schema() && *name == view.name())
        {
            continue;
        }
        let mut data = view
            .to_redacted_json(&redactor)
            .get_mut("data")
            .map(serde_json::Value::take)
            .unwrap_or_default();
        mask_secrets(&mut data);
        let kind = aero_kind(view.schema());
        if let serde_json::Value::Object(map) = &mut data {
            for (excluded_kind, field) in EXCLUDED {
                if *excluded_kind == kind {
                    map.remove(*field);
                }
            }
            if kind == "drydock/BaremetalNode"
                && let (Some(oob_network), Some(serde_json::Value::Array(addressing))) =
                    (oob_network, map.get_mut("addressing"))
            {
                addressing.retain(|entry| {
                    entry.get("network").and_then(|n| n.as_str()) != Some(oob_network)
                });
            }
        }
        entries.push((view.schema(), view.name(), data));
    }
    entries.sort_by(|left, right| (left.0, left.1).cmp(&(right.0, right.1)));
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    for (schema, name, data) in &entries {
        let mut canonical = String::new();
        aero_docs::revision::write_canonical(data, &mut canonical);
        hasher.update(schema.as_bytes());
        hasher.update([0]);
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(canonical.as_bytes());
        hasher.update(b"\n");
    }
    Fingerprint(hex::encode(hasher.finalize()))
}

/// `ns/Kind` of `ns/Kind/vN`.
fn aero_kind(schema: &str) -> &str {
    match schema.rsplit_once('/') {
        Some((kind, version)) if version.starts_with('v') => kind,
        _ => schema,
    }
}

fn mask_secrets(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) if text.contains("<redacted:") => {
            *text = SECRET_MARKER.to_string();
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_secrets),
        serde_json::Value::Object(map) => map.values_mut().for_each(mask_secrets),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_sorts_keys_at_every_level() {
        let left = serde_json::json!({"b": 1, "a": {"d": [1, {"z": 1, "y": 2}], "c": "x"}});
        let right = serde_json::json!({"a": {"c": "x", "d": [1, {"y": 2, "z": 1}]}, "b": 1});
        let (mut one, mut two) = (String::new(), String::new());
        aero_docs::revision::write_canonical(&left, &mut one);
        aero_docs::revision::write_canonical(&right, &mut two);
        assert_eq!(one, two);
        assert_eq!(one, r#"{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}"#);
    }

    #[test]
    fn secret_tokens_become_one_marker() {
        let mut data = serde_json::json!({"oob": {"credential": "<redacted:ab12>"}, "x": ["a", "<redacted:ff>"]});
        mask_secrets(&mut data);
        assert_eq!(
            data,
            serde_json::json!({"oob": {"credential": "<secret>"}, "x": ["a", "<secret>"]})
        );
    }

    #[test]
    fn kinds_lose_their_version() {
        assert_eq!(
            aero_kind("drydock/BaremetalNode/v1"),
            "drydock/BaremetalNode"
        );
        assert_eq!(aero_kind("odd"), "odd");
    }
}
