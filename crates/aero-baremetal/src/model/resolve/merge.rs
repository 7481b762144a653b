//! Drydock's inheritance: a node's host data merged through its host profile chain,
//! each value remembering the document that set it (for error places).

use std::collections::{BTreeMap, BTreeSet};

use aero_site::DocumentView;

use super::{Documents, Found, find, names};
use crate::error::{ModelError, Problem};
use crate::model::OobType;
use crate::model::documents::{HostData, InterfaceData, located};

/// A value of the merged host data and the document that set it (for error places).
#[derive(Clone)]
pub(super) struct Sourced<'a, T> {
    pub(super) value: T,
    pub(super) view: DocumentView<'a>,
}

/// An interface while profiles are merged.
#[derive(Clone)]
pub(super) struct MergedInterface<'a> {
    pub(super) device_link: Option<Sourced<'a, String>>,
    pub(super) slaves: Vec<String>,
    pub(super) networks: Vec<String>,
    /// The last document that set any of it.
    pub(super) view: DocumentView<'a>,
}

/// The host data of a node merged through its host profile chain.
#[derive(Default)]
pub(super) struct Merged<'a> {
    pub(super) hardware_profile: Option<Sourced<'a, String>>,
    pub(super) primary_network: Option<Sourced<'a, String>>,
    pub(super) oob_type: Option<OobType>,
    pub(super) oob_network: Option<String>,
    pub(super) oob_account: Option<String>,
    pub(super) oob_credential: Option<String>,
    pub(super) oob_address: Option<Sourced<'a, String>>,
    pub(super) interfaces: BTreeMap<String, MergedInterface<'a>>,
    pub(super) image: Option<Sourced<'a, String>>,
    pub(super) kernel: Option<String>,
    pub(super) kernel_params: BTreeMap<String, Sourced<'a, serde_json::Value>>,
    pub(super) tags: Vec<String>,
    pub(super) owner_data: BTreeMap<String, String>,
    pub(super) rack: Option<String>,
    pub(super) boot_mac: Option<Sourced<'a, String>>,
}

impl<'a> Merged<'a> {
    /// A node's data merged over its host profile chain (the node's own profile first).
    pub(super) fn of(
        node: DocumentView<'a>,
        data: &HostData,
        chain: &[(DocumentView<'a>, HostData)],
    ) -> Merged<'a> {
        let mut merged = Merged::default();
        for (profile_view, profile) in chain.iter().rev() {
            merged.apply(*profile_view, profile);
        }
        merged.apply(node, data);
        merged
    }

    /// Lays `data` (of `view`) over what is merged so far.
    fn apply(&mut self, view: DocumentView<'a>, data: &HostData) {
        let from = |value: &String| Sourced {
            value: value.clone(),
            view,
        };
        if let Some(name) = &data.hardware_profile {
            self.hardware_profile = Some(from(name));
        }
        if let Some(name) = &data.primary_network {
            self.primary_network = Some(from(name));
        }
        let oob = &data.oob;
        self.oob_type = oob.kind.or(self.oob_type);
        override_with(&mut self.oob_network, &oob.network);
        override_with(&mut self.oob_account, &oob.account);
        override_with(&mut self.oob_credential, &oob.credential);
        if let Some(address) = &oob.address {
            self.oob_address = Some(from(address));
        }
        for (name, interface) in &data.interfaces {
            if let Some(removed) = name.strip_prefix('!') {
                self.interfaces.remove(removed);
                continue;
            }
            let Some(interface) = interface else {
                self.interfaces.remove(name);
                continue;
            };
            self.merge_interface(name, interface, view);
        }
        if let Some(image) = &data.platform.image {
            self.image = Some(from(image));
        }
        override_with(&mut self.kernel, &data.platform.kernel);
        for (name, value) in &data.platform.kernel_params {
            self.kernel_params.insert(
                name.clone(),
                Sourced {
                    value: value.clone(),
                    view,
                },
            );
        }
        self.tags = merge_lists(&self.tags, &data.metadata.tags);
        self.owner_data.extend(
            data.metadata
                .owner_data
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
        override_with(&mut self.rack, &data.metadata.rack);
        if let Some(mac) = &data.metadata.boot_mac {
            self.boot_mac = Some(from(mac));
        }
    }

    fn merge_interface(&mut self, name: &str, child: &InterfaceData, view: DocumentView<'a>) {
        let device_link = child.device_link.as_ref().map(|link| Sourced {
            value: link.clone(),
            view,
        });
        let merged = match self.interfaces.get(name) {
            Some(parent) => MergedInterface {
                device_link: device_link.or_else(|| parent.device_link.clone()),
                slaves: merge_lists(&parent.slaves, &child.slaves),
                networks: merge_lists(&parent.networks, &child.networks),
                view,
            },
            None => MergedInterface {
                device_link,
                slaves: merge_lists(&[], &child.slaves),
                networks: merge_lists(&[], &child.networks),
                view,
            },
        };
        self.interfaces.insert(name.to_string(), merged);
    }
}

fn override_with(target: &mut Option<String>, value: &Option<String>) {
    if value.is_some() {
        target.clone_from(value);
    }
}

/// Drydock's list inheritance: the parent's items the child does not remove (`!item`),
/// then the child's items; each item once.
pub(super) fn merge_lists(parent: &[String], child: &[String]) -> Vec<String> {
    let removed: BTreeSet<&str> = child
        .iter()
        .filter_map(|item| item.strip_prefix('!'))
        .collect();
    let mut merged: Vec<String> = Vec::new();
    for item in parent
        .iter()
        .filter(|item| !removed.contains(item.as_str()))
        .chain(child.iter().filter(|item| !item.starts_with('!')))
    {
        if !merged.contains(item) {
            merged.push(item.clone());
        }
    }
    merged
}

/// The host profile chain of a node: `(view, data)` of each profile, the node's own
/// first. `None` when a profile is missing, broken or in a loop (reported).
pub(super) fn profile_chain<'a>(
    documents: &Documents<'a>,
    node: &DocumentView<'a>,
    data: &HostData,
    errors: &mut Vec<ModelError>,
) -> Option<Vec<(DocumentView<'a>, HostData)>> {
    let mut chain: Vec<(DocumentView<'a>, HostData)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut next = data.host_profile.clone().map(|name| (name, *node));
    while let Some((name, referrer)) = next {
        if seen.contains(&name) {
            seen.push(name);
            errors.push(located(
                &referrer,
                ".host_profile",
                Problem::HostProfileCycle { chain: seen },
            ));
            return None;
        }
        seen.push(name.clone());
        match find(&documents.host_profiles, &name) {
            Found::Yes(view, profile) => {
                next = profile.host_profile.clone().map(|parent| (parent, *view));
                chain.push((*view, profile.clone()));
            }
            Found::Broken => return None,
            Found::No => {
                errors.push(located(
                    &referrer,
                    ".host_profile",
                    Problem::MissingHostProfile {
                        name,
                        known: names(&documents.host_profiles),
                    },
                ));
                return None;
            }
        }
    }
    Some(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn lists_inherit_minus_removals_plus_own_items_once() {
        let merged = merge_lists(
            &strings(&["ksn", "storage", "n2"]),
            &strings(&["!storage", "n2", "oam"]),
        );
        assert_eq!(merged, strings(&["ksn", "n2", "oam"]));
        assert_eq!(merge_lists(&strings(&["a"]), &[]), strings(&["a"]));
        assert_eq!(merge_lists(&[], &strings(&["!a", "b"])), strings(&["b"]));
    }
}
