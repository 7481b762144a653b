//! The render's arena as a JSON representation the schema validator reads in place
//! ([`jsonschema::json::Json`]), so that validating a document does not first copy its data
//! into a `serde_json::Value` tree: that copy cost as much as the validation itself.
//!
//! Every node reads as [`Arena::to_json`] would make it: integers and floats as JSON numbers
//! (a non-finite float as `null`), mappings with their keys in insertion order. Error paths
//! and `const`/`enum` comparisons build the JSON value of the node they need, on the cold
//! path only.

use std::borrow::Cow;

use jsonschema::JsonType;
use jsonschema::json::{Array, Json, JsonNumber, Node, NodeIdentity, Object};

use crate::value::{Arena, Map, NodeId, Value};

/// The arena representation.
pub(crate) struct ArenaJson;

/// One node: an arena node, or a bare string (a property name under `propertyNames`).
#[derive(Clone, Copy)]
pub(crate) enum ArenaNode<'a> {
    /// A node of the arena.
    Node(&'a Arena, NodeId),
    /// A string that is not in the arena.
    Str(&'a str),
}

impl<'a> ArenaNode<'a> {
    /// The node `id` of `arena`.
    pub(crate) fn new(arena: &'a Arena, id: NodeId) -> Self {
        ArenaNode::Node(arena, id)
    }

    fn value(&self) -> Option<&'a Value> {
        match self {
            ArenaNode::Node(arena, id) => Some(arena.value(*id)),
            ArenaNode::Str(_) => None,
        }
    }
}

impl Json for ArenaJson {
    type Node<'a> = ArenaNode<'a>;
    type PreparedKey = Box<str>;
    type StringBuffer = ();

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>(
        _buffer: &mut (),
        string: &str,
        f: impl FnOnce(ArenaNode<'_>) -> T,
    ) -> T {
        f(ArenaNode::Str(string))
    }
}

/// A number of the arena: what `serde_json::Number` would hold.
pub(crate) enum ArenaNumber {
    Int(i64),
    /// Always finite (a non-finite float reads as `null`).
    Float(f64),
}

impl JsonNumber for ArenaNumber {
    fn as_u64(&self) -> Option<u64> {
        match self {
            ArenaNumber::Int(number) => u64::try_from(*number).ok(),
            ArenaNumber::Float(_) => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            ArenaNumber::Int(number) => Some(*number),
            ArenaNumber::Float(_) => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            ArenaNumber::Int(number) => Some(*number as f64),
            ArenaNumber::Float(number) => Some(*number),
        }
    }

    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_number().to_string())
    }

    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        Cow::Owned(match self {
            ArenaNumber::Int(number) => serde_json::Number::from(*number),
            ArenaNumber::Float(number) => {
                serde_json::Number::from_f64(*number).unwrap_or_else(|| serde_json::Number::from(0))
            }
        })
    }

    fn is_written_as_integer(&self) -> bool {
        matches!(self, ArenaNumber::Int(_))
    }
}

impl<'a> Node<'a, ArenaJson> for ArenaNode<'a> {
    type Object = ArenaObject<'a>;
    type Array = ArenaArray<'a>;
    type Number = ArenaNumber;

    fn as_object(&self) -> Option<ArenaObject<'a>> {
        match (self, self.value()) {
            (ArenaNode::Node(arena, _), Some(Value::Map(map))) => Some(ArenaObject { arena, map }),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<ArenaArray<'a>> {
        match (self, self.value()) {
            (ArenaNode::Node(arena, _), Some(Value::Seq(items))) => {
                Some(ArenaArray { arena, items })
            }
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match (self, self.value()) {
            (ArenaNode::Str(text), _) => Some(Cow::Borrowed(text)),
            (_, Some(Value::Str(text))) => Some(Cow::Borrowed(text)),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<ArenaNumber> {
        match self.value() {
            Some(Value::Int(number)) => Some(ArenaNumber::Int(*number)),
            Some(Value::Float(number)) if number.is_finite() => Some(ArenaNumber::Float(*number)),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.value() {
            Some(Value::Bool(flag)) => Some(*flag),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        self.json_type() == JsonType::Null
    }

    fn json_type(&self) -> JsonType {
        match self.value() {
            None | Some(Value::Str(_)) => JsonType::String,
            Some(Value::Null) => JsonType::Null,
            Some(Value::Bool(_)) => JsonType::Boolean,
            Some(Value::Int(_)) => JsonType::Number,
            Some(Value::Float(number)) if number.is_finite() => JsonType::Number,
            Some(Value::Float(_)) => JsonType::Null,
            Some(Value::Seq(_)) => JsonType::Array,
            Some(Value::Map(_)) => JsonType::Object,
        }
    }

    fn to_value(&self) -> Cow<'a, serde_json::Value> {
        Cow::Owned(match self {
            ArenaNode::Node(arena, id) => arena.to_json(*id),
            ArenaNode::Str(text) => serde_json::Value::String((*text).to_string()),
        })
    }

    fn identity(&self) -> Option<NodeIdentity> {
        match self {
            ArenaNode::Node(arena, id) => Some(NodeIdentity::tagged(
                std::ptr::from_ref::<Arena>(*arena) as usize,
                id.0,
            )),
            ArenaNode::Str(text) => Some(NodeIdentity::new(text.as_ptr() as usize)),
        }
    }
}

/// A mapping of the arena.
pub(crate) struct ArenaObject<'a> {
    arena: &'a Arena,
    map: &'a Map,
}

impl<'a> Object<'a, ArenaJson> for ArenaObject<'a> {
    type Node = ArenaNode<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        self.map.len()
    }

    fn get(&self, key: &Box<str>) -> Option<ArenaNode<'a>> {
        self.map.get(key).map(|id| ArenaNode::Node(self.arena, *id))
    }

    fn members(&self) -> Members<'a> {
        Members {
            arena: self.arena,
            entries: self.map.entries().iter(),
        }
    }
}

/// The members of a mapping, in order.
pub(crate) struct Members<'a> {
    arena: &'a Arena,
    entries: std::slice::Iter<'a, (crate::value::Key, NodeId)>,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, ArenaNode<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.entries
            .next()
            .map(|(key, id)| (&**key, ArenaNode::Node(self.arena, *id)))
    }
}

/// A list of the arena.
pub(crate) struct ArenaArray<'a> {
    arena: &'a Arena,
    items: &'a [NodeId],
}

impl<'a> Array<'a, ArenaJson> for ArenaArray<'a> {
    type Node = ArenaNode<'a>;
    type ElementsIter = Elements<'a>;

    fn len(&self) -> usize {
        self.items.len()
    }

    fn elements(&self) -> Elements<'a> {
        Elements {
            arena: self.arena,
            items: self.items.iter(),
        }
    }
}

/// The items of a list, in order.
pub(crate) struct Elements<'a> {
    arena: &'a Arena,
    items: std::slice::Iter<'a, NodeId>,
}

impl<'a> Iterator for Elements<'a> {
    type Item = ArenaNode<'a>;

    fn next(&mut self) -> Option<ArenaNode<'a>> {
        self.items.next().map(|id| ArenaNode::Node(self.arena, *id))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::document::DocIndex;
    use crate::value::{Origin, OriginKind};

    /// Each error as `instance-path schema-path message`, in the order given.
    pub(in crate::validate) fn error_lines<'i>(
        errors: impl Iterator<Item = jsonschema::ValidationError<'i>>,
    ) -> Vec<String> {
        errors
            .map(|error| format!("{} {} {error}", error.instance_path(), error.schema_path()))
            .collect()
    }

    /// An arena holding `json`, and its root.
    pub(in crate::validate) fn arena_with(json: &serde_json::Value) -> (Arena, NodeId) {
        let mut arena = Arena::new();
        let origin = arena.add_origin(Origin {
            kind: OriginKind::Created { doc: DocIndex(0) },
            secret: false,
        });
        let root = arena.from_json(json, origin, 1, 1);
        (arena, root)
    }

    /// The validator's contract for a representation: code-point string lengths,
    /// mathematical number equality, stable node identities.
    #[test]
    fn the_arena_meets_the_validators_contract() {
        let (arena, root) = arena_with(&jsonschema::json::conformance::document());
        jsonschema::json::conformance::assert_conformance::<ArenaJson>(&ArenaNode::new(
            &arena, root,
        ));
    }

    /// The same schemas judge the same instances alike, with the same messages, whether
    /// the instance is a `serde_json::Value` or the arena's copy of it (draft 4, as Deckhand
    /// validated, and 2020-12).
    #[test]
    fn validating_the_arena_is_validating_its_json() {
        let schema = serde_json::json!({
            "type": "object",
            "required": ["name", "count"],
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "minLength": 2, "pattern": "^[a-z][a-z0-9-]*$"},
                "count": {"type": "integer", "minimum": 1, "multipleOf": 1},
                "ratio": {"type": "number", "maximum": 1.5},
                "mode": {"enum": ["a", 1, {"k": [1.0]}]},
                "tags": {"type": "array", "uniqueItems": true, "items": {"type": "string"}},
                "labels": {"type": "object", "propertyNames": {"maxLength": 3},
                           "additionalProperties": {"type": ["string", "null"]}},
                "nested": {"$ref": "#/definitions/nested"}
            },
            "definitions": {"nested": {"type": "object", "properties": {
                "deeper": {"$ref": "#/definitions/nested"}, "flag": {"const": true}}}}
        });
        let instances = [
            serde_json::json!({"name": "ok-1", "count": 3}),
            serde_json::json!({"name": "ok", "count": 1.0}),
            serde_json::json!({"name": "X", "count": 0, "extra": 1}),
            serde_json::json!({"name": "ok", "count": 2, "ratio": 2.0, "mode": {"k": [1]}}),
            serde_json::json!({"name": "ok", "count": 2, "mode": {"k": [2]}, "tags": ["a", "a"]}),
            serde_json::json!({"name": "ok", "count": 2, "labels": {"long-key": 1, "ok": null}}),
            serde_json::json!({"name": "ok", "count": 2, "nested": {"deeper": {"deeper": {"flag": false}}}}),
            serde_json::json!({"name": "héllo☃", "count": 9_223_372_036_854_775_807_i64}),
            serde_json::json!([1, 2]),
            serde_json::json!(null),
        ];
        for draft in [jsonschema::Draft::Draft4, jsonschema::Draft::Draft202012] {
            let reference = jsonschema::options()
                .with_draft(draft)
                .build(&schema)
                .unwrap();
            let arena_validator = jsonschema::options_for::<ArenaJson>()
                .with_draft(draft)
                .build(&schema)
                .unwrap();
            for instance in &instances {
                let (arena, root) = arena_with(instance);
                let node = ArenaNode::new(&arena, root);
                assert_eq!(
                    arena_validator.is_valid(node),
                    reference.is_valid(instance),
                    "{draft:?} {instance}"
                );
                let sorted = |mut lines: Vec<String>| {
                    lines.sort();
                    lines
                };
                let expected = sorted(error_lines(reference.iter_errors(instance)));
                let got = sorted(error_lines(arena_validator.iter_errors(node)));
                assert_eq!(got, expected, "{draft:?} {instance}");
            }
        }
    }
}
