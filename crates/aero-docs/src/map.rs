//! [`Map`]: the entries of a mapping node, in insertion order.
//!
//! Why not `IndexMap`: a rendered site holds hundreds of thousands of small mappings
//! (most have fewer than ten keys), and layering copies every parent's mappings. An
//! `IndexMap` costs three allocations and about 300 bytes for five entries; this map is
//! one vector of `(key, node)` pairs, searched linearly, and grows a hash index only once
//! it is large enough for the index to pay off (catalogue documents with thousands of
//! keys). Cutting those allocations took a third off a 10,000-document render.

use foldhash::HashMap;

use crate::value::{Key, NodeId};

/// Entries beyond which lookups go through a hash index.
const INDEX_THRESHOLD: usize = 16;

/// Mapping entries in insertion order, keys unique.
#[derive(Clone, Debug, Default)]
pub struct Map {
    entries: Vec<(Key, NodeId)>,
    /// Position of each key in `entries`, kept only for large maps.
    index: Option<Box<HashMap<Key, u32>>>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Map {
            entries: Vec::with_capacity(capacity),
            index: None,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).map(|position| *position as usize),
            None => self
                .entries
                .iter()
                .position(|(existing, _)| &**existing == key),
        }
    }

    /// The node under `key`.
    pub fn get(&self, key: &str) -> Option<&NodeId> {
        self.position(key).map(|position| &self.entries[position].1)
    }

    /// The node under `key`, for replacing it in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut NodeId> {
        self.position(key)
            .map(move |position| &mut self.entries[position].1)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`: in place when the key exists (its position is kept, as
    /// Python dictionaries do), at the end otherwise. Returns the previous node.
    pub fn insert(&mut self, key: Key, value: NodeId) -> Option<NodeId> {
        if let Some(position) = self.position(&key) {
            return Some(std::mem::replace(&mut self.entries[position].1, value));
        }
        let position = self.entries.len();
        match &mut self.index {
            Some(index) => {
                index.insert(key.clone(), position as u32);
            }
            None if position >= INDEX_THRESHOLD => {
                let mut index: HashMap<Key, u32> = self
                    .entries
                    .iter()
                    .enumerate()
                    .map(|(at, (existing, _))| (existing.clone(), at as u32))
                    .collect();
                index.insert(key.clone(), position as u32);
                self.index = Some(Box::new(index));
            }
            None => {}
        }
        self.entries.push((key, value));
        None
    }

    /// Removes `key`, keeping the order of the others. Returns its node.
    pub fn shift_remove(&mut self, key: &str) -> Option<NodeId> {
        let position = self.position(key)?;
        let (_, value) = self.entries.remove(position);
        if let Some(index) = &mut self.index {
            index.remove(key);
            for (at, (existing, _)) in self.entries.iter().enumerate().skip(position) {
                index.insert(existing.clone(), at as u32);
            }
        }
        Some(value)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Key, &NodeId)> + DoubleEndedIterator {
        self.entries.iter().map(|(key, value)| (key, value))
    }

    /// Entries in order, as a slice (for iterators that must be named).
    pub(crate) fn entries(&self) -> &[(Key, NodeId)] {
        &self.entries
    }

    /// Keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Key> + DoubleEndedIterator {
        self.entries.iter().map(|(key, _)| key)
    }

    /// Nodes in order, for replacing them (keys and order stay as they are).
    pub fn values_mut(&mut self) -> impl ExactSizeIterator<Item = &mut NodeId> {
        self.entries.iter_mut().map(|(_, value)| value)
    }

    /// Nodes in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &NodeId> + DoubleEndedIterator {
        self.entries.iter().map(|(_, value)| value)
    }
}

impl IntoIterator for Map {
    type Item = (Key, NodeId);
    type IntoIter = std::vec::IntoIter<(Key, NodeId)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a Key, &'a NodeId);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Key, NodeId)>,
        fn(&'a (Key, NodeId)) -> (&'a Key, &'a NodeId),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(key, value)| (key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn node(number: u32) -> NodeId {
        NodeId::from_raw(number)
    }

    fn keys(map: &Map) -> Vec<String> {
        map.keys().map(|key| key.to_string()).collect()
    }

    #[test]
    fn keeps_insertion_order_and_replaces_in_place() {
        let mut map = Map::new();
        assert_eq!(map.insert("b".into(), node(1)), None);
        assert_eq!(map.insert("a".into(), node(2)), None);
        assert_eq!(map.insert("b".into(), node(3)), Some(node(1)));
        assert_eq!(keys(&map), ["b", "a"]);
        assert_eq!(map.get("b"), Some(&node(3)));
        assert_eq!(map.shift_remove("b"), Some(node(3)));
        assert_eq!(map.shift_remove("b"), None);
        assert_eq!(keys(&map), ["a"]);
    }

    /// Drives a small and a large map through the same random operations as a
    /// `BTreeMap` plus an order list, so both the linear and the indexed paths (and the
    /// switch between them, and index repair after removals) are checked.
    #[test]
    fn behaves_like_an_ordered_dictionary_across_the_index_threshold() {
        let mut state = 0x9e37_79b9_u32;
        let mut next = move |bound: u32| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state % bound
        };
        for key_space in [5, 40, 200] {
            let mut map = Map::new();
            let mut model: BTreeMap<String, u32> = BTreeMap::new();
            let mut order: Vec<String> = Vec::new();
            for step in 0..3000 {
                let key = format!("k{}", next(key_space));
                if next(4) == 0 {
                    let removed = map.shift_remove(&key).map(|id| id.raw());
                    assert_eq!(removed, model.remove(&key), "step {step}");
                    order.retain(|existing| existing != &key);
                } else {
                    let previous = map
                        .insert(key.as_str().into(), node(step))
                        .map(|id| id.raw());
                    assert_eq!(previous, model.insert(key.clone(), step), "step {step}");
                    if previous.is_none() {
                        order.push(key.clone());
                    }
                }
                assert_eq!(map.len(), model.len());
            }
            assert_eq!(keys(&map), order);
            for (key, value) in &model {
                assert_eq!(map.get(key).map(|id| id.raw()), Some(*value));
                assert!(map.contains_key(key));
            }
            assert!(!map.contains_key("absent"));
        }
    }
}
