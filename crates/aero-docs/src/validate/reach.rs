//! Whether Deckhand's validation of a document reaches a `$ref` that does not resolve.
//!
//! Deckhand validated each document with `jsonschema.Draft4Validator(schema).iter_errors(
//! data)` from Python's `jsonschema` 2.6 (`deckhand/engine/document_validation.py`,
//! `DataSchemaValidator.validate`) and consumed every error. References resolve only when
//! validation reaches them, and one that does not resolve raises `RefResolutionError`
//! there; one that is never reached costs nothing. Which references are reached depends
//! on the document, and on exactly how that validator walks a schema, so [`reaches`]
//! walks it the same way instead of asking Aerostat's validator (the `jsonschema` crate
//! short-cuts differently: it checks `anyOf` branches and whole subschemas with
//! `is_valid`, stopping at a first failing keyword where Python goes on):
//!
//! - `iter_errors` looks at a schema's keywords in the order they are written (a
//!   DataSchema is a Python dict, ordered as its YAML), except that a schema with `$ref`
//!   is only its `$ref`; `id` changes the scope references resolve in.
//! - `properties`, `patternProperties`, `additionalProperties`, `items`,
//!   `additionalItems` and `dependencies` descend only into what the instance has;
//!   `allOf` descends into every branch.
//! - `anyOf` and `oneOf` take every error of each branch (`list(descend(...))`) until one
//!   branch is valid; `anyOf` stops there, `oneOf` then asks `is_valid` of each later
//!   branch. `not` asks `is_valid`. `is_valid` stops at the first error, so a reference
//!   behind an earlier failing keyword is not reached in those places.
//!
//! Deciding whether an earlier branch or keyword fails needs the keyword checks
//! themselves, so this module implements draft 4's checks with Python's meanings
//! (`True == 1`, `re.search`, `len` of code points, no `format` checker). A reference
//! into a meta-schema resolves but is not walked: a site schema pointing there is not a
//! case Airship sites have. Recursion stops at [`MAX_DEPTH`] levels, where Python would
//! have stopped with a `RecursionError`.

use std::collections::HashMap;

use serde_json::Value;

use super::refs::{Resolver, Target, push_pointer_segment};

/// Nesting of subschemas beyond which the walk stops, as Python stopped with a
/// `RecursionError` (its 1000 frames allow a few hundred levels of `descend`); lower here
/// so that a reference loop (`$ref: "#"`) cannot exhaust a thread's stack.
const MAX_DEPTH: usize = 128;

/// The first unresolved reference a document's validation reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reached {
    /// The reference as written.
    pub reference: String,
    /// JSON pointer of the `$ref` key in the schema.
    pub schema_pointer: String,
    /// JSON pointer of the value being validated when it was reached.
    pub instance_pointer: String,
}

/// Regular expressions of a schema, compiled once for all the documents it validates
/// (None: not a valid regular expression).
#[derive(Debug, Default)]
pub struct Patterns(HashMap<String, Option<fancy_regex::Regex>>);

/// Whether validating `instance` against `schema` the way Deckhand did reaches a `$ref`
/// that does not resolve; the first one reached, if so. `patterns` caches the schema's
/// regular expressions between calls.
pub fn reaches(schema: &Value, instance: &Value, patterns: &mut Patterns) -> Option<Reached> {
    let resolver = Resolver::new(schema);
    let mut walk = Walk {
        resolver: &resolver,
        patterns,
        depth: 0,
        instance_pointer: String::new(),
    };
    let scope = resolver.root_scope().to_string();
    walk.errors(schema, "", &scope, instance, Consume::All)
        .err()
        .map(|reached| *reached)
}

/// How much of a generator of errors Python consumes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Consume {
    /// Every error (`list(...)`, or Deckhand's loop over `iter_errors`).
    All,
    /// Up to the first error (`is_valid`).
    First,
}

/// Ok(whether there was an error), or the unresolved reference that stopped validation.
type Outcome = Result<bool, Box<Reached>>;

struct Walk<'r, 's> {
    resolver: &'r Resolver<'s>,
    patterns: &'r mut Patterns,
    depth: usize,
    /// Where in the instance the walk is.
    instance_pointer: String,
}

impl<'s> Walk<'_, 's> {
    /// `iter_errors(instance, schema)`, consumed as `consume` says.
    fn errors(
        &mut self,
        schema: &'s Value,
        schema_pointer: &str,
        scope: &str,
        instance: &Value,
        consume: Consume,
    ) -> Outcome {
        let Value::Object(keywords) = schema else {
            return Ok(false);
        };
        if self.depth >= MAX_DEPTH {
            return Ok(false);
        }
        self.depth += 1;
        let inner_scope = Resolver::scope_in(scope, schema);
        let scope = inner_scope.as_deref().unwrap_or(scope);
        let result = match keywords.get("$ref") {
            Some(reference) => self.reference(reference, schema_pointer, scope, instance, consume),
            None => {
                let mut failed = false;
                for (keyword, value) in keywords {
                    let mut pointer = schema_pointer.to_string();
                    push_pointer_segment(&mut pointer, keyword);
                    let keyword_failed = match self
                        .keyword(keyword, value, &pointer, schema, scope, instance, consume)
                    {
                        Ok(keyword_failed) => keyword_failed,
                        Err(reached) => {
                            self.depth -= 1;
                            return Err(reached);
                        }
                    };
                    failed |= keyword_failed;
                    if failed && consume == Consume::First {
                        break;
                    }
                }
                Ok(failed)
            }
        };
        self.depth -= 1;
        result
    }

    /// `ref`: resolve (raising when nothing is there), then descend.
    fn reference(
        &mut self,
        reference: &Value,
        schema_pointer: &str,
        scope: &str,
        instance: &Value,
        consume: Consume,
    ) -> Outcome {
        let Value::String(reference) = reference else {
            return Ok(false);
        };
        match self.resolver.resolve(scope, reference) {
            Target::Local {
                schema,
                pointer,
                scope,
            } => self.errors(schema, &pointer, &scope, instance, consume),
            Target::MetaSchema => Ok(false),
            Target::Unresolved => Err(Box::new(Reached {
                reference: reference.clone(),
                schema_pointer: format!("{schema_pointer}/$ref"),
                instance_pointer: self.instance_pointer.clone(),
            })),
        }
    }

    /// `descend(child, subschema, path=segment)`.
    fn descend(
        &mut self,
        subschema: &'s Value,
        schema_pointer: &str,
        scope: &str,
        child: &Value,
        segment: Option<&str>,
        consume: Consume,
    ) -> Outcome {
        let length = self.instance_pointer.len();
        if let Some(segment) = segment {
            push_pointer_segment(&mut self.instance_pointer, segment);
        }
        let outcome = self.errors(subschema, schema_pointer, scope, child, consume);
        self.instance_pointer.truncate(length);
        outcome
    }

    /// One keyword of draft 4 (`Draft4Validator.VALIDATORS`); unknown keywords check
    /// nothing.
    #[allow(clippy::too_many_arguments)] // one function per keyword would repeat them all
    fn keyword(
        &mut self,
        keyword: &str,
        value: &'s Value,
        pointer: &str,
        schema: &'s Value,
        scope: &str,
        instance: &Value,
        consume: Consume,
    ) -> Outcome {
        let at = |suffix: &str| {
            let mut child = pointer.to_string();
            push_pointer_segment(&mut child, suffix);
            child
        };
        match keyword {
            "properties" => {
                let (Value::Object(instance_map), Value::Object(properties)) = (instance, value)
                else {
                    return Ok(false);
                };
                let mut failed = false;
                for (property, subschema) in properties {
                    if let Some(child) = instance_map.get(property) {
                        failed |= self.descend(
                            subschema,
                            &at(property),
                            scope,
                            child,
                            Some(property),
                            consume,
                        )?;
                        if failed && consume == Consume::First {
                            return Ok(true);
                        }
                    }
                }
                Ok(failed)
            }
            "patternProperties" => {
                let (Value::Object(instance_map), Value::Object(patterns)) = (instance, value)
                else {
                    return Ok(false);
                };
                let mut failed = false;
                for (pattern, subschema) in patterns {
                    for (key, child) in instance_map {
                        if self.re_search(pattern, key) {
                            failed |= self.descend(
                                subschema,
                                &at(pattern),
                                scope,
                                child,
                                Some(key),
                                consume,
                            )?;
                            if failed && consume == Consume::First {
                                return Ok(true);
                            }
                        }
                    }
                }
                Ok(failed)
            }
            "additionalProperties" => {
                let Value::Object(instance_map) = instance else {
                    return Ok(false);
                };
                let extras = self.additional_properties(schema, instance_map);
                if value.is_object() {
                    let mut failed = false;
                    for key in extras {
                        if let Some(child) = instance_map.get(&key) {
                            failed |=
                                self.descend(value, pointer, scope, child, Some(&key), consume)?;
                            if failed && consume == Consume::First {
                                return Ok(true);
                            }
                        }
                    }
                    Ok(failed)
                } else {
                    Ok(!truthy(value) && !extras.is_empty())
                }
            }
            "items" => {
                let Value::Array(items) = instance else {
                    return Ok(false);
                };
                let mut failed = false;
                match value {
                    Value::Object(_) => {
                        for (position, item) in items.iter().enumerate() {
                            let segment = position.to_string();
                            failed |=
                                self.descend(value, pointer, scope, item, Some(&segment), consume)?;
                            if failed && consume == Consume::First {
                                return Ok(true);
                            }
                        }
                    }
                    Value::Array(subschemas) => {
                        for (position, (item, subschema)) in
                            items.iter().zip(subschemas).enumerate()
                        {
                            let segment = position.to_string();
                            failed |= self.descend(
                                subschema,
                                &at(&segment),
                                scope,
                                item,
                                Some(&segment),
                                consume,
                            )?;
                            if failed && consume == Consume::First {
                                return Ok(true);
                            }
                        }
                    }
                    _ => {}
                }
                Ok(failed)
            }
            "additionalItems" => {
                let Value::Array(items) = instance else {
                    return Ok(false);
                };
                // `schema.get("items", {})` is a dict when `items` is absent or one schema.
                let covered = match schema.get("items") {
                    Some(Value::Array(subschemas)) => subschemas.len(),
                    _ => return Ok(false),
                };
                if value.is_object() {
                    let mut failed = false;
                    for (position, item) in items.iter().enumerate().skip(covered) {
                        let segment = position.to_string();
                        failed |=
                            self.descend(value, pointer, scope, item, Some(&segment), consume)?;
                        if failed && consume == Consume::First {
                            return Ok(true);
                        }
                    }
                    Ok(failed)
                } else {
                    Ok(!truthy(value) && items.len() > covered)
                }
            }
            "dependencies" => {
                let (Value::Object(instance_map), Value::Object(dependencies)) = (instance, value)
                else {
                    return Ok(false);
                };
                let mut failed = false;
                for (property, dependency) in dependencies {
                    if !instance_map.contains_key(property) {
                        continue;
                    }
                    failed |= match dependency {
                        Value::Object(_) => {
                            self.descend(dependency, &at(property), scope, instance, None, consume)?
                        }
                        Value::Array(names) => names.iter().any(|name| {
                            !name
                                .as_str()
                                .is_some_and(|name| instance_map.contains_key(name))
                        }),
                        Value::String(name) => !instance_map.contains_key(name),
                        _ => false,
                    };
                    if failed && consume == Consume::First {
                        return Ok(true);
                    }
                }
                Ok(failed)
            }
            "allOf" => {
                let Value::Array(subschemas) = value else {
                    return Ok(false);
                };
                let mut failed = false;
                for (position, subschema) in subschemas.iter().enumerate() {
                    failed |= self.descend(
                        subschema,
                        &at(&position.to_string()),
                        scope,
                        instance,
                        None,
                        consume,
                    )?;
                    if failed && consume == Consume::First {
                        return Ok(true);
                    }
                }
                Ok(failed)
            }
            "anyOf" => {
                let Value::Array(subschemas) = value else {
                    return Ok(false);
                };
                for (position, subschema) in subschemas.iter().enumerate() {
                    let branch_failed = self.descend(
                        subschema,
                        &at(&position.to_string()),
                        scope,
                        instance,
                        None,
                        Consume::All,
                    )?;
                    if !branch_failed {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            "oneOf" => {
                let Value::Array(subschemas) = value else {
                    return Ok(false);
                };
                let mut first_valid = None;
                for (position, subschema) in subschemas.iter().enumerate() {
                    let branch_failed = self.descend(
                        subschema,
                        &at(&position.to_string()),
                        scope,
                        instance,
                        None,
                        Consume::All,
                    )?;
                    if !branch_failed {
                        first_valid = Some(position);
                        break;
                    }
                }
                let Some(first_valid) = first_valid else {
                    return Ok(true);
                };
                let mut more_valid = false;
                for (position, subschema) in subschemas.iter().enumerate().skip(first_valid + 1) {
                    let branch_failed = self.descend(
                        subschema,
                        &at(&position.to_string()),
                        scope,
                        instance,
                        None,
                        Consume::First,
                    )?;
                    more_valid |= !branch_failed;
                }
                Ok(more_valid)
            }
            "not" => {
                let failed = self.descend(value, pointer, scope, instance, None, Consume::First)?;
                Ok(!failed)
            }
            "type" => Ok(!match value {
                Value::Array(types) => types.iter().any(|name| is_type(instance, name)),
                name => is_type(instance, name),
            }),
            "enum" => Ok(match value {
                Value::Array(choices) => !choices.iter().any(|choice| python_eq(instance, choice)),
                _ => false,
            }),
            "required" => Ok(match (instance, value) {
                (Value::Object(instance_map), Value::Array(names)) => names.iter().any(|name| {
                    !name
                        .as_str()
                        .is_some_and(|name| instance_map.contains_key(name))
                }),
                _ => false,
            }),
            "minProperties" | "maxProperties" => Ok(match instance {
                Value::Object(instance_map) => length_fails(keyword, instance_map.len(), value),
                _ => false,
            }),
            "minItems" | "maxItems" => Ok(match instance {
                Value::Array(items) => length_fails(keyword, items.len(), value),
                _ => false,
            }),
            "minLength" | "maxLength" => Ok(match instance {
                Value::String(text) => length_fails(keyword, text.chars().count(), value),
                _ => false,
            }),
            "uniqueItems" => Ok(match instance {
                Value::Array(items) if truthy(value) => !unique(items),
                _ => false,
            }),
            "pattern" => Ok(match (instance, value) {
                (Value::String(text), Value::String(pattern)) => !self.re_search(pattern, text),
                _ => false,
            }),
            "minimum" | "maximum" => {
                let (Some(number), Some(limit)) = (number(instance), value.as_f64()) else {
                    return Ok(false);
                };
                let exclusive_keyword = if keyword == "minimum" {
                    "exclusiveMinimum"
                } else {
                    "exclusiveMaximum"
                };
                let exclusive = schema.get(exclusive_keyword).is_some_and(truthy);
                Ok(match (keyword == "minimum", exclusive) {
                    (true, true) => number <= limit,
                    (true, false) => number < limit,
                    (false, true) => number >= limit,
                    (false, false) => number > limit,
                })
            }
            "multipleOf" => {
                let (Some(number), Some(divisor)) = (number(instance), value.as_f64()) else {
                    return Ok(false);
                };
                if divisor == 0.0 {
                    return Ok(false);
                }
                let quotient = number / divisor;
                Ok(quotient.is_finite() && quotient.trunc() != quotient)
            }
            // No format checker: `format` asserts nothing. Every other keyword is not draft
            // 4's and checks nothing either.
            _ => Ok(false),
        }
    }

    /// `find_additional_properties`: keys neither in `properties` nor matching any
    /// `patternProperties` (Python joins the patterns with `|`).
    fn additional_properties(
        &mut self,
        schema: &Value,
        instance_map: &serde_json::Map<String, Value>,
    ) -> Vec<String> {
        let properties = schema.get("properties").and_then(Value::as_object);
        let patterns = schema
            .get("patternProperties")
            .and_then(Value::as_object)
            .map(|patterns| {
                patterns
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .unwrap_or_default();
        instance_map
            .keys()
            .filter(|key| !properties.is_some_and(|properties| properties.contains_key(*key)))
            .filter(|key| patterns.is_empty() || !self.re_search(&patterns, key))
            .cloned()
            .collect()
    }

    /// Python's `re.search(pattern, text)`; a pattern that does not compile matches
    /// nothing.
    fn re_search(&mut self, pattern: &str, text: &str) -> bool {
        let compiled = self
            .patterns
            .0
            .entry(pattern.to_string())
            .or_insert_with(|| fancy_regex::Regex::new(pattern).ok());
        compiled
            .as_ref()
            .is_some_and(|regex| regex.is_match(text).unwrap_or(false))
    }
}

/// `Draft4Validator.is_type`: booleans are not numbers; an integer is a number without a
/// fractional part written as one (YAML's `1.0` is a float).
fn is_type(instance: &Value, name: &Value) -> bool {
    match name.as_str() {
        Some("array") => instance.is_array(),
        Some("boolean") => instance.is_boolean(),
        Some("integer") => instance.is_i64() || instance.is_u64(),
        Some("null") => instance.is_null(),
        Some("number") => instance.is_number(),
        Some("object") => instance.is_object(),
        Some("string") => instance.is_string(),
        Some("any") => true,
        _ => false,
    }
}

/// A number, not a boolean.
fn number(instance: &Value) -> Option<f64> {
    match instance {
        Value::Number(number) => number.as_f64(),
        _ => None,
    }
}

/// Python's truth of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|number| number != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// `minX`/`maxX` against a length.
fn length_fails(keyword: &str, length: usize, limit: &Value) -> bool {
    let Some(limit) = limit.as_f64() else {
        return false;
    };
    let length = length as f64;
    if keyword.starts_with("min") {
        length < limit
    } else {
        length > limit
    }
}

/// Python's `==` between JSON values: `True == 1`, `1 == 1.0`.
fn python_eq(left: &Value, right: &Value) -> bool {
    let as_number = |value: &Value| match value {
        Value::Bool(flag) => Some(f64::from(u8::from(*flag))),
        Value::Number(number) => number.as_f64(),
        _ => None,
    };
    match (left, right) {
        (Value::Null, Value::Null) => true,
        (Value::String(left), Value::String(right)) => left == right,
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .zip(right)
                    .all(|(left, right)| python_eq(left, right))
        }
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .all(|(key, value)| right.get(key).is_some_and(|other| python_eq(value, other)))
        }
        _ => match (as_number(left), as_number(right)) {
            (Some(left), Some(right)) => left == right,
            _ => false,
        },
    }
}

/// `uniq`: whether no two items are equal (`jsonschema._utils.uniq` compares with `==`).
fn unique(items: &[Value]) -> bool {
    items.iter().enumerate().all(|(position, item)| {
        items[position + 1..]
            .iter()
            .all(|other| !python_eq(item, other))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reached_at(schema: &Value, instance: &Value) -> Option<(String, String)> {
        reaches(schema, instance, &mut Patterns::default())
            .map(|reached| (reached.schema_pointer, reached.instance_pointer))
    }

    #[test]
    fn properties_descend_only_into_what_the_instance_has() {
        let schema = json!({"properties": {"a": {"$ref": "#/definitions/missing"}}});
        assert_eq!(reached_at(&schema, &json!({"b": 1})), None);
        assert_eq!(
            reached_at(&schema, &json!({"a": 1})),
            Some(("/properties/a/$ref".into(), "/a".into()))
        );
        assert_eq!(reached_at(&schema, &json!("not an object")), None);
    }

    #[test]
    fn any_of_stops_at_the_first_valid_branch() {
        let schema = json!({"anyOf": [{"type": "string"}, {"$ref": "#/nowhere"}]});
        assert_eq!(reached_at(&schema, &json!("text")), None);
        assert_eq!(
            reached_at(&schema, &json!(3)),
            Some(("/anyOf/1/$ref".into(), String::new()))
        );
    }

    #[test]
    fn one_of_checks_the_later_branches_up_to_their_first_error() {
        // After the first valid branch, `is_valid` of a later one stops at its first
        // error, in written order: `required` before `properties` hides the reference.
        let hidden = json!({"oneOf": [
            {"type": "object"},
            {"required": ["z"], "properties": {"x": {"$ref": "#/nowhere"}}}
        ]});
        assert_eq!(reached_at(&hidden, &json!({"x": 1})), None);
        let reached = json!({"oneOf": [
            {"type": "object"},
            {"properties": {"x": {"$ref": "#/nowhere"}}, "required": ["z"]}
        ]});
        assert_eq!(
            reached_at(&reached, &json!({"x": 1})),
            Some(("/oneOf/1/properties/x/$ref".into(), "/x".into()))
        );
        // Without a valid branch, every branch is walked in full.
        let none_valid = json!({"oneOf": [
            {"type": "string"},
            {"required": ["z"], "properties": {"x": {"$ref": "#/nowhere"}}}
        ]});
        assert!(reached_at(&none_valid, &json!({"x": 1})).is_some());
    }

    #[test]
    fn a_reference_loop_stops_without_exhausting_the_stack() {
        assert_eq!(reached_at(&json!({"$ref": "#"}), &json!({"a": 1})), None);
        let chain = json!({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"});
        assert_eq!(reached_at(&chain, &json!(1)), None);
    }

    #[test]
    fn not_stops_at_the_first_error_in_written_order() {
        let first = json!({"not": {"required": ["z"], "properties": {"a": {"$ref": "#/x"}}}});
        assert_eq!(reached_at(&first, &json!({"a": 1})), None);
        let second = json!({"not": {"properties": {"a": {"$ref": "#/x"}}, "required": ["z"]}});
        assert!(reached_at(&second, &json!({"a": 1})).is_some());
    }

    #[test]
    fn references_that_resolve_are_followed() {
        let schema = json!({
            "definitions": {"node": {"properties": {"next": {"$ref": "#/definitions/node"}, "bad": {"$ref": "#/missing"}}}},
            "$ref": "#/definitions/node"
        });
        assert_eq!(reached_at(&schema, &json!({"next": {"next": {}}})), None);
        assert_eq!(
            reached_at(&schema, &json!({"next": {"next": {"bad": 1}}})),
            Some((
                "/definitions/node/properties/bad/$ref".into(),
                "/next/next/bad".into()
            ))
        );
    }

    #[test]
    fn items_additional_items_and_dependencies_descend_as_python_does() {
        let schema = json!({
            "items": [{"type": "integer"}],
            "additionalItems": {"$ref": "#/gone"},
            "dependencies": {"a": {"$ref": "#/also-gone"}}
        });
        assert_eq!(reached_at(&schema, &json!([1])), None);
        assert_eq!(
            reached_at(&schema, &json!([1, 2])),
            Some(("/additionalItems/$ref".into(), "/1".into()))
        );
        assert_eq!(
            reached_at(&schema, &json!({"a": 1})),
            Some(("/dependencies/a/$ref".into(), String::new()))
        );
        // Without `items`, `additionalItems` checks nothing.
        let alone = json!({"additionalItems": {"$ref": "#/gone"}});
        assert_eq!(reached_at(&alone, &json!([1, 2])), None);
    }

    #[test]
    fn keyword_checks_have_pythons_meanings() {
        assert!(python_eq(&json!(true), &json!(1)));
        assert!(python_eq(&json!(1), &json!(1.0)));
        assert!(!python_eq(&json!("1"), &json!(1)));
        assert!(!unique(&[json!(1), json!(true)]));
        assert!(!is_type(&json!(1.0), &json!("integer")));
        assert!(!is_type(&json!(true), &json!("number")));
        let enum_branch = json!({"anyOf": [{"enum": [1]}, {"$ref": "#/x"}]});
        assert_eq!(reached_at(&enum_branch, &json!(true)), None, "True == 1");
    }
}
