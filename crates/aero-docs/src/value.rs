//! The value arena: every document's data as one graph of nodes.
//!
//! Why an arena rather than owned trees: Deckhand shares substituted objects between
//! documents (its `--compat deckhand` quirk 1), and the only faithful way to reproduce
//! that is to let two parents point at the same node, exactly like Python objects.
//! Aerostat's own mode simply copies instead of sharing. Each node also carries its
//! provenance ([`OriginId`] plus the line and column it was written at), which is what
//! `aero site explain` reports.

use crate::document::DocIndex;
use crate::path::{DocPath, Segment};
use crate::source::SourceId;

/// Index of a node in an [`Arena`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

#[cfg(test)]
impl NodeId {
    /// A node id from its number, for tests of containers.
    pub(crate) fn from_raw(number: u32) -> Self {
        NodeId(number)
    }

    /// The id's number.
    pub(crate) fn raw(self) -> u32 {
        self.0
    }
}

/// Index of an [`Origin`] in an [`Arena`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OriginId(u32);

/// A mapping key. Keys are shared, not copied, when a subtree is copied (layering
/// copies every parent's data), which keeps copies allocation-free.
pub type Key = std::sync::Arc<str>;

/// A string value. Shared like keys: layering copies every parent's data, and a copy of a
/// string is then a reference count, not an allocation.
pub type Text = std::sync::Arc<str>;

pub use crate::map::Map;

/// One value; containers hold node ids.
#[derive(Clone, Debug)]
pub enum Value {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(Text),
    /// A list.
    Seq(Vec<NodeId>),
    /// A mapping in insertion order.
    Map(Map),
}

impl Value {
    /// An empty mapping.
    pub fn empty_map() -> Self {
        Value::Map(Map::new())
    }

    /// Whether this is a list or a mapping.
    pub fn is_container(&self) -> bool {
        matches!(self, Value::Seq(_) | Value::Map(_))
    }

    /// A short name of the type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq)]
pub enum OriginKind {
    /// Written in a document's own data.
    Literal {
        /// The document that wrote it.
        doc: DocIndex,
        /// Its file.
        source: SourceId,
    },
    /// An empty mapping or list created to reach a destination path, or a value
    /// computed by the engine (such as `{}` for null data).
    Created {
        /// The document being rendered when it was created.
        doc: DocIndex,
    },
    /// Copied (or, in Deckhand mode, shared) from a substitution source.
    Substituted {
        /// The destination document.
        doc: DocIndex,
        /// Index of the substitution in the destination's `metadata.substitutions`.
        substitution: usize,
        /// The source document.
        source_doc: DocIndex,
        /// The origin of the value in the source document.
        inner: OriginId,
    },
    /// A string in which a pattern was replaced by a substituted value.
    PatternReplaced {
        /// The destination document.
        doc: DocIndex,
        /// Index of the substitution in the destination's `metadata.substitutions`.
        substitution: usize,
        /// The source document.
        source_doc: DocIndex,
        /// Origin of the string before the replacement.
        original: OriginId,
    },
}

/// Provenance of a node, plus whether its value derives from a secret.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    /// How the value got there.
    pub kind: OriginKind,
    /// Whether the value is, or contains, secret material.
    pub secret: bool,
}

#[derive(Clone, Debug)]
struct Node {
    value: Value,
    origin: OriginId,
    line: u32,
    column: u32,
    /// The document whose render created this node, or [`NO_OWNER`]; see
    /// [`Arena::begin_copy_on_write`]. (It fits in the node's padding.)
    owner: u32,
}

/// Owner of nodes created outside a copy-on-write scope (loaded data, Deckhand mode).
const NO_OWNER: u32 = u32::MAX;

/// Every node and origin of one render.
#[derive(Clone, Debug, Default)]
pub struct Arena {
    nodes: Vec<Node>,
    origins: Vec<Origin>,
    /// Every mapping key seen, stored once: sites repeat the same few hundred keys
    /// across thousands of documents.
    keys: foldhash::HashSet<Key>,
    /// The document being rendered copy-on-write, if any.
    writer: Option<u32>,
}

/// Why a value could not be written at a path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot write at `{path}`: `{at}` is a {found}, not a {expected}")]
pub struct WriteError {
    /// The full destination path.
    pub path: String,
    /// The prefix where the walk stopped.
    pub at: String,
    /// What was found there.
    pub found: &'static str,
    /// What the path needed.
    pub expected: &'static str,
}

impl Arena {
    /// An empty arena.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty arena with room for `nodes` nodes. Growing a vector of a million nodes
    /// by doubling copies it some twenty times and touches twice its memory.
    pub fn with_capacity(nodes: usize) -> Self {
        Arena {
            nodes: Vec::with_capacity(nodes),
            ..Self::default()
        }
    }

    /// The shared copy of a mapping key.
    pub fn intern(&mut self, text: &str) -> Key {
        if let Some(key) = self.keys.get(text) {
            return key.clone();
        }
        let key = Key::from(text);
        self.keys.insert(key.clone());
        key
    }

    /// Number of nodes, garbage included (for benchmarks).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Records an origin.
    pub fn add_origin(&mut self, origin: Origin) -> OriginId {
        self.origins.push(origin);
        OriginId(self.origins.len() as u32 - 1)
    }

    /// The origin with this id.
    pub fn origin(&self, id: OriginId) -> &Origin {
        &self.origins[id.0 as usize]
    }

    /// Adds a node.
    pub fn add(&mut self, value: Value, origin: OriginId, line: u32, column: u32) -> NodeId {
        self.nodes.push(Node {
            value,
            origin,
            line,
            column,
            owner: self.writer.unwrap_or(NO_OWNER),
        });
        NodeId(self.nodes.len() as u32 - 1)
    }

    /// Starts rendering `doc` copy-on-write: until [`Arena::end_copy_on_write`], the
    /// writing methods ([`Arena::set`], [`Arena::remove`], [`Arena::writable`] and
    /// [`Arena::writable_child`]) copy any node that `doc`'s render did not create before
    /// changing it, so values shared with other documents (a parent's data, which
    /// layering no longer deep-copies) never change under them. Outside a scope every
    /// node is changed in place, which is what Deckhand mode's shared objects need.
    pub fn begin_copy_on_write(&mut self, doc: DocIndex) {
        self.writer = Some(doc.0);
    }

    /// Ends the copy-on-write scope.
    pub fn end_copy_on_write(&mut self) {
        self.writer = None;
    }

    /// `id` itself when it may be changed in place, otherwise a shallow copy (same
    /// value, origin and position) owned by the current copy-on-write document.
    pub fn writable(&mut self, id: NodeId) -> NodeId {
        match self.writer {
            Some(writer) if self.nodes[id.0 as usize].owner != writer => {
                let node = &self.nodes[id.0 as usize];
                let (value, origin, line, column) =
                    (node.value.clone(), node.origin, node.line, node.column);
                self.add(value, origin, line, column)
            }
            _ => id,
        }
    }

    /// The child of the writable container `parent` named by `segment`, made writable
    /// and linked back into `parent` when that took a copy.
    pub fn writable_child(&mut self, parent: NodeId, segment: &Segment) -> Option<NodeId> {
        match segment {
            Segment::Key(key) => self.writable_entry(parent, key),
            Segment::Index(index) => {
                let child = match self.value(parent) {
                    Value::Seq(items) => *items.get(*index)?,
                    _ => return None,
                };
                let writable = self.writable(child);
                if let Value::Seq(items) = &mut self.nodes[parent.0 as usize].value {
                    items[*index] = writable;
                }
                Some(writable)
            }
        }
    }

    /// The entry `key` of the writable mapping `parent`, made writable and linked back
    /// into `parent` when that took a copy.
    pub fn writable_entry(&mut self, parent: NodeId, key: &str) -> Option<NodeId> {
        let child = match self.value(parent) {
            Value::Map(entries) => *entries.get(key)?,
            _ => return None,
        };
        let writable = self.writable(child);
        if writable != child
            && let Value::Map(entries) = &mut self.nodes[parent.0 as usize].value
            && let Some(slot) = entries.get_mut(key)
        {
            *slot = writable;
        }
        Some(writable)
    }

    /// The node at `path` under `*root`, made writable along the whole path (`*root`
    /// is updated when the root itself had to be copied).
    pub fn get_writable(&mut self, root: &mut NodeId, path: &DocPath) -> Option<NodeId> {
        self.get(*root, path)?;
        *root = self.writable(*root);
        let mut current = *root;
        for segment in &path.segments {
            current = self.writable_child(current, segment)?;
        }
        Some(current)
    }

    /// The value of a node.
    pub fn value(&self, id: NodeId) -> &Value {
        &self.nodes[id.0 as usize].value
    }

    /// The value of a node, for changing it in place.
    pub fn value_mut(&mut self, id: NodeId) -> &mut Value {
        &mut self.nodes[id.0 as usize].value
    }

    /// The origin of a node.
    pub fn node_origin(&self, id: NodeId) -> OriginId {
        self.nodes[id.0 as usize].origin
    }

    /// Line and column where the node's value was written (0 when created by the engine).
    pub fn node_position(&self, id: NodeId) -> (u32, u32) {
        let node = &self.nodes[id.0 as usize];
        (node.line, node.column)
    }

    /// Whether a node's value is secret, judged by its own origin.
    pub fn is_secret(&self, id: NodeId) -> bool {
        self.origin(self.node_origin(id)).secret
    }

    /// Builds nodes from a YAML tree; a key that is not a string becomes its
    /// [`aero_yaml::Node::key_text`], the text the loader told keys apart by.
    pub fn from_yaml(&mut self, node: &aero_yaml::Node, origin: OriginId) -> NodeId {
        let value = match &node.value {
            aero_yaml::Yaml::Null => Value::Null,
            aero_yaml::Yaml::Bool(flag) => Value::Bool(*flag),
            aero_yaml::Yaml::Int(number) => Value::Int(*number),
            aero_yaml::Yaml::Float(number) => Value::Float(*number),
            aero_yaml::Yaml::Str(text) => Value::Str(text.as_str().into()),
            aero_yaml::Yaml::Seq(items) => Value::Seq(
                items
                    .iter()
                    .map(|item| self.from_yaml(item, origin))
                    .collect(),
            ),
            aero_yaml::Yaml::Map(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, value) in entries {
                    let child = self.from_yaml(value, origin);
                    let key = self.intern(&key.key_text());
                    map.insert(key, child);
                }
                Value::Map(map)
            }
        };
        self.add(value, origin, node.span.start.line, node.span.start.col)
    }

    /// Builds nodes from a JSON value (decrypted secret data), all with one origin and position.
    pub fn from_json(
        &mut self,
        json: &serde_json::Value,
        origin: OriginId,
        line: u32,
        column: u32,
    ) -> NodeId {
        let value = match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(flag) => Value::Bool(*flag),
            serde_json::Value::Number(number) => match number.as_i64() {
                Some(integer) => Value::Int(integer),
                None => Value::Float(number.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(text) => Value::Str(text.as_str().into()),
            serde_json::Value::Array(items) => Value::Seq(
                items
                    .iter()
                    .map(|item| self.from_json(item, origin, line, column))
                    .collect(),
            ),
            serde_json::Value::Object(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, value) in entries {
                    let child = self.from_json(value, origin, line, column);
                    let key = self.intern(key);
                    map.insert(key, child);
                }
                Value::Map(map)
            }
        };
        self.add(value, origin, line, column)
    }

    /// The JSON form of a subtree. Non-finite floats become `null` (JSON has no NaN).
    pub fn to_json(&self, id: NodeId) -> serde_json::Value {
        match self.value(id) {
            Value::Null => serde_json::Value::Null,
            Value::Bool(flag) => serde_json::Value::Bool(*flag),
            Value::Int(number) => serde_json::Value::from(*number),
            Value::Float(number) => serde_json::Number::from_f64(*number)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            // `String::from`: `to_string` on an `Arc<str>` goes through the formatter.
            Value::Str(text) => serde_json::Value::String(String::from(&**text)),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(|item| self.to_json(*item)).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| (String::from(&**key), self.to_json(*value)))
                    .collect(),
            ),
        }
    }

    /// A new subtree equal to `id`, with the same origins.
    pub fn deep_copy(&mut self, id: NodeId) -> NodeId {
        self.deep_copy_mapping(id, &mut |origin| origin)
    }

    /// A new subtree equal to `id`, where each node's origin is mapped by `map_origin`.
    pub fn deep_copy_mapping(
        &mut self,
        id: NodeId,
        map_origin: &mut dyn FnMut(OriginId) -> OriginId,
    ) -> NodeId {
        let node = &self.nodes[id.0 as usize];
        let (origin, line, column) = (node.origin, node.line, node.column);
        // The container is cloned once (keys are shared `Arc`s) and its children are
        // then replaced by their copies in place: no intermediate vectors, no key lookups.
        let value = match node.value.clone() {
            Value::Seq(mut items) => {
                for item in &mut items {
                    *item = self.deep_copy_mapping(*item, map_origin);
                }
                Value::Seq(items)
            }
            Value::Map(mut entries) => {
                for child in entries.values_mut() {
                    *child = self.deep_copy_mapping(*child, map_origin);
                }
                Value::Map(entries)
            }
            scalar => scalar,
        };
        let origin = map_origin(origin);
        self.add(value, origin, line, column)
    }

    /// A new node holding the same children as `id` (Python's `copy.copy`).
    pub fn shallow_copy(&mut self, id: NodeId, origin: OriginId) -> NodeId {
        let node = &self.nodes[id.0 as usize];
        let (value, line, column) = (node.value.clone(), node.line, node.column);
        self.add(value, origin, line, column)
    }

    /// The node at `path` under `root`, if every step exists.
    pub fn get(&self, root: NodeId, path: &DocPath) -> Option<NodeId> {
        let mut current = root;
        for segment in &path.segments {
            current = self.child(current, segment)?;
        }
        Some(current)
    }

    /// The child of `id` named by `segment`.
    pub fn child(&self, id: NodeId, segment: &Segment) -> Option<NodeId> {
        match (self.value(id), segment) {
            (Value::Map(entries), Segment::Key(key)) => entries.get(key.as_str()).copied(),
            (Value::Seq(items), Segment::Index(index)) => items.get(*index).copied(),
            _ => None,
        }
    }

    /// Writes `new_value` at `path` under `root`, creating missing mappings (and lists,
    /// padded with `{}`, for index steps) on the way, as Deckhand does.
    ///
    /// Returns the new root: `new_value` itself when `path` is the root.
    pub fn set(
        &mut self,
        root: NodeId,
        path: &DocPath,
        new_value: NodeId,
        created_origin: OriginId,
    ) -> Result<NodeId, WriteError> {
        let Some((last, parents)) = path.segments.split_last() else {
            return Ok(new_value);
        };
        let root = self.writable(root);
        let mut current = root;
        for (position, segment) in parents.iter().enumerate() {
            let next_is_index = matches!(path.segments.get(position + 1), Some(Segment::Index(_)));
            current = self.child_or_create(
                current,
                segment,
                next_is_index,
                created_origin,
                path,
                position,
            )?;
        }
        self.put(
            current,
            last,
            new_value,
            created_origin,
            path,
            parents.len(),
        )?;
        Ok(root)
    }

    fn child_or_create(
        &mut self,
        id: NodeId,
        segment: &Segment,
        next_is_index: bool,
        created_origin: OriginId,
        path: &DocPath,
        position: usize,
    ) -> Result<NodeId, WriteError> {
        if let Some(existing) = self.writable_child(id, segment) {
            return Ok(existing);
        }
        let empty = if next_is_index {
            Value::Seq(Vec::new())
        } else {
            Value::empty_map()
        };
        let fresh = self.add(empty, created_origin, 0, 0);
        self.put(id, segment, fresh, created_origin, path, position)?;
        Ok(fresh)
    }

    fn put(
        &mut self,
        id: NodeId,
        segment: &Segment,
        new_value: NodeId,
        created_origin: OriginId,
        path: &DocPath,
        position: usize,
    ) -> Result<(), WriteError> {
        let at = || {
            DocPath {
                segments: path.segments[..position].to_vec(),
            }
            .to_string()
        };
        let found = self.value(id).type_name();
        match segment {
            Segment::Key(key) => match &mut self.nodes[id.0 as usize].value {
                Value::Map(entries) => {
                    let key = match self.keys.get(key.as_str()) {
                        Some(shared) => shared.clone(),
                        None => Key::from(key.as_str()),
                    };
                    entries.insert(key, new_value);
                    Ok(())
                }
                _ => Err(WriteError {
                    path: path.to_string(),
                    at: at(),
                    found,
                    expected: "mapping",
                }),
            },
            Segment::Index(index) => {
                let length = match self.value(id) {
                    Value::Seq(items) => items.len(),
                    _ => {
                        return Err(WriteError {
                            path: path.to_string(),
                            at: at(),
                            found,
                            expected: "list",
                        });
                    }
                };
                let mut padding = Vec::new();
                for _ in length..*index {
                    padding.push(self.add(Value::empty_map(), created_origin, 0, 0));
                }
                if let Value::Seq(items) = self.value_mut(id) {
                    items.extend(padding);
                    if *index < items.len() {
                        items[*index] = new_value;
                    } else {
                        items.push(new_value);
                    }
                }
                Ok(())
            }
        }
    }

    /// Removes the entry at `path` (a key or a list element) under `*root` (updated when
    /// the root had to be copied). Returns whether it existed.
    pub fn remove(&mut self, root: &mut NodeId, path: &DocPath) -> bool {
        let Some((last, parents)) = path.segments.split_last() else {
            return false;
        };
        if self.get(*root, path).is_none() {
            return false;
        }
        let Some(parent) = self.get_writable(
            root,
            &DocPath {
                segments: parents.to_vec(),
            },
        ) else {
            return false;
        };
        match (self.value_mut(parent), last) {
            (Value::Map(entries), Segment::Key(key)) => {
                entries.shift_remove(key.as_str()).is_some()
            }
            (Value::Seq(items), Segment::Index(index)) if *index < items.len() => {
                items.remove(*index);
                true
            }
            _ => false,
        }
    }

    /// Structural equality with JSON's rules (`1` and `1.0` differ from `true`).
    pub fn json_eq(&self, left: NodeId, right: NodeId) -> bool {
        if left == right {
            return true;
        }
        match (self.value(left), self.value(right)) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                (*a as f64) == *b
            }
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Seq(a), Value::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| self.json_eq(*x, *y))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(key, x)| b.get(key).is_some_and(|y| self.json_eq(*x, *y)))
            }
            _ => false,
        }
    }

    /// Python's `==`: `True == 1 == 1.0`, mappings compare without order.
    pub fn python_eq(&self, left: NodeId, right: NodeId) -> bool {
        if left == right {
            return true;
        }
        let number = |value: &Value| match value {
            Value::Bool(flag) => Some(f64::from(u8::from(*flag))),
            Value::Int(integer) => Some(*integer as f64),
            Value::Float(float) => Some(*float),
            _ => None,
        };
        match (self.value(left), self.value(right)) {
            (Value::Null, Value::Null) => true,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Seq(a), Value::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| self.python_eq(*x, *y))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(key, x)| b.get(key).is_some_and(|y| self.python_eq(*x, *y)))
            }
            (a, b) => match (number(a), number(b)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
        }
    }

    /// Python's `str(value)`, as Deckhand's pattern substitution writes non-strings.
    pub fn python_str(&self, id: NodeId) -> String {
        match self.value(id) {
            Value::Str(text) => text.to_string(),
            _ => self.python_repr(id),
        }
    }

    fn python_repr(&self, id: NodeId) -> String {
        match self.value(id) {
            Value::Null => "None".to_string(),
            Value::Bool(true) => "True".to_string(),
            Value::Bool(false) => "False".to_string(),
            Value::Int(number) => number.to_string(),
            Value::Float(number) => python_float_repr(*number),
            Value::Str(text) => python_str_repr(text),
            Value::Seq(items) => {
                let inner: Vec<String> = items.iter().map(|item| self.python_repr(*item)).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Map(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(key, value)| {
                        format!("{}: {}", python_str_repr(key), self.python_repr(*value))
                    })
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    /// Aerostat's text form of a scalar for pattern substitution: the YAML 1.2 spelling.
    /// Containers and null have none.
    pub fn scalar_text(&self, id: NodeId) -> Option<String> {
        match self.value(id) {
            Value::Str(text) => Some(String::from(&**text)),
            Value::Bool(flag) => Some(flag.to_string()),
            Value::Int(number) => Some(number.to_string()),
            Value::Float(number) => {
                Some(self.to_json(id).to_string()).filter(|_| number.is_finite())
            }
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, exponent from 1e16 and below 1e-4.
pub fn python_float_repr(number: f64) -> String {
    if number.is_nan() {
        return "nan".to_string();
    }
    if number.is_infinite() {
        return if number > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let debug = format!("{number:?}");
    match debug.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(digits) => ('-', digits),
                None => ('+', exponent),
            };
            let mantissa = mantissa.strip_suffix(".0").unwrap_or(mantissa);
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => debug,
    }
}

fn python_str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for character in text.chars() {
        match character {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arena_with(json: serde_json::Value) -> (Arena, NodeId, OriginId) {
        let mut arena = Arena::new();
        let origin = arena.add_origin(Origin {
            kind: OriginKind::Created { doc: DocIndex(0) },
            secret: false,
        });
        let root = arena.from_json(&json, origin, 1, 1);
        (arena, root, origin)
    }

    #[test]
    fn set_creates_paths_and_pads_lists() {
        let (mut arena, root, origin) = arena_with(serde_json::json!({"a": {"b": 1}}));
        let value = arena.from_json(&serde_json::json!("x"), origin, 0, 0);
        let path = DocPath::parse(".a.c[2].d").unwrap();
        let root = arena.set(root, &path, value, origin).unwrap();
        assert_eq!(
            arena.to_json(root),
            serde_json::json!({"a": {"b": 1, "c": [{}, {}, {"d": "x"}]}})
        );
        let error = arena
            .set(root, &DocPath::parse(".a.b.z").unwrap(), value, origin)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot write at `.a.b.z`: `.a.b` is a integer, not a mapping"
        );
    }

    #[test]
    fn python_equality_and_strings() {
        let (arena, root, _) =
            arena_with(serde_json::json!([1, true, 1.0, {"a": [null, "x'y"]}, 1e16, 0.00001, 2.5]));
        let items: Vec<NodeId> = match arena.value(root) {
            Value::Seq(items) => items.clone(),
            _ => unreachable!(),
        };
        assert!(arena.python_eq(items[0], items[1]));
        assert!(arena.python_eq(items[0], items[2]));
        assert!(!arena.json_eq(items[0], items[1]));
        assert_eq!(arena.python_str(items[1]), "True");
        assert_eq!(arena.python_str(items[3]), "{'a': [None, \"x'y\"]}");
        assert_eq!(arena.python_str(items[4]), "1e+16");
        assert_eq!(arena.python_str(items[5]), "1e-05");
        assert_eq!(arena.python_str(items[6]), "2.5");
        assert_eq!(python_float_repr(3.0), "3.0");
    }

    #[test]
    fn remove_by_path() {
        let (mut arena, mut root, _) =
            arena_with(serde_json::json!({"a": [{"x": 1}, {"y": 2}], "b": 2}));
        let before = root;
        assert!(arena.remove(&mut root, &DocPath::parse(".a[0]").unwrap()));
        assert!(arena.remove(&mut root, &DocPath::parse(".b").unwrap()));
        assert!(!arena.remove(&mut root, &DocPath::parse(".nope").unwrap()));
        assert_eq!(root, before, "outside copy-on-write, changes are in place");
        assert_eq!(arena.to_json(root), serde_json::json!({"a": [{"y": 2}]}));
    }

    /// A document rendered copy-on-write shares its parent's nodes until it writes;
    /// every write (set, remove, writable paths) leaves the shared original untouched
    /// and copies only the nodes on the written path.
    #[test]
    fn copy_on_write_never_changes_shared_nodes() {
        let original = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": {"e": 2}});
        let (mut arena, parent, origin) = arena_with(original.clone());
        arena.begin_copy_on_write(DocIndex(1));
        let mut child = parent;
        let value = arena.add(Value::Int(7), origin, 0, 0);
        child = arena
            .set(child, &DocPath::parse(".a.b").unwrap(), value, origin)
            .unwrap();
        let value = arena.add(Value::Int(8), origin, 0, 0);
        child = arena
            .set(child, &DocPath::parse(".a.c[3]").unwrap(), value, origin)
            .unwrap();
        assert!(arena.remove(&mut child, &DocPath::parse(".d.e").unwrap()));
        let nodes_before_rewrite = arena.node_count();
        let value = arena.add(Value::Int(9), origin, 0, 0);
        child = arena
            .set(child, &DocPath::parse(".a.b").unwrap(), value, origin)
            .unwrap();
        assert_eq!(
            arena.node_count(),
            nodes_before_rewrite + 1,
            "nodes the document already owns are written in place"
        );
        arena.end_copy_on_write();
        assert_eq!(arena.to_json(parent), original);
        assert_eq!(
            arena.to_json(child),
            serde_json::json!({"a": {"b": 9, "c": [1, 2, {}, 8]}, "d": {}})
        );
        let path = DocPath::parse(".d").unwrap();
        assert_ne!(arena.get(child, &path), arena.get(parent, &path));
        let untouched = DocPath::parse(".a.c[0]").unwrap();
        assert_eq!(arena.get(child, &untouched), arena.get(parent, &untouched));
    }
}
