//! One compiled regular expression per distinct `pattern` of a run, shared by every schema.
//!
//! Airship sites repeat the same few patterns (versions, CPU and memory quantities,
//! addresses, hashes) in schema after schema, and the schema validator compiles each
//! occurrence on its own: a site of 30 DataSchemas compiled eight expressions 224 times,
//! and compiling them was most of what validation cost. [`PatternCache`]
//! registers `pattern` as a keyword whose factory looks the expression up in a cache kept
//! for the run, so each distinct expression is compiled once.
//!
//! What a pattern accepts and the error it reports are the validator's own: the cache
//! holds, per expression, a validator of the one-keyword schema `{"pattern": …}`, and the
//! keyword hands each instance to it. The error keeps its kind (`Pattern`), and the
//! validator puts it at the outer keyword's schema path and the instance's path; an
//! expression that does not compile fails the schema that holds it, as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jsonschema::paths::Location;
use jsonschema::{Keyword, ValidationError, ValidationOptions};
use serde_json::{Map, Value};

use super::arena_json::{ArenaJson, ArenaNode};

type PatternValidator = jsonschema::Validator<ArenaJson>;

/// Compiled `pattern`s by expression, for one validation run.
#[derive(Clone, Default)]
pub(super) struct PatternCache {
    compiled: Arc<Mutex<HashMap<String, Arc<PatternValidator>>>>,
}

impl PatternCache {
    /// `options` with `pattern` served from this cache.
    pub(super) fn install<'a, R>(
        &self,
        options: ValidationOptions<'a, R, ArenaJson>,
    ) -> ValidationOptions<'a, R, ArenaJson> {
        let cache = self.clone();
        options.with_keyword(
            "pattern",
            move |_parent: &Map<String, Value>, value: &Value, _location: Location| {
                let validator = cache.validator(value)?;
                Ok(Box::new(SharedPattern(validator)) as Box<dyn for<'i> Keyword<'i, ArenaJson>>)
            },
        )
    }

    /// The validator of `{"pattern": value}`, compiled on first use of the expression.
    fn validator(&self, value: &Value) -> Result<Arc<PatternValidator>, ValidationError<'static>> {
        let Value::String(expression) = value else {
            // Not an expression: the validator's own error (not cached, never reused).
            return compile(value).map(Arc::new);
        };
        let mut compiled = self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(validator) = compiled.get(expression) {
            return Ok(Arc::clone(validator));
        }
        let validator = Arc::new(compile(value)?);
        compiled.insert(expression.clone(), Arc::clone(&validator));
        Ok(validator)
    }

    /// Number of distinct expressions compiled so far.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.compiled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// `pattern` means the same in every draft; draft 4 is the one Deckhand used.
fn compile(pattern: &Value) -> Result<PatternValidator, ValidationError<'static>> {
    let mut schema = Map::new();
    schema.insert("pattern".to_owned(), pattern.clone());
    jsonschema::options_for::<ArenaJson>()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&Value::Object(schema))
}

/// A `pattern` keyword backed by a shared compiled expression.
struct SharedPattern(Arc<PatternValidator>);

impl<'i> Keyword<'i, ArenaJson> for SharedPattern {
    fn validate(&self, instance: ArenaNode<'i>) -> Result<(), ValidationError<'i>> {
        self.0.validate(instance)
    }

    fn is_valid(&self, instance: ArenaNode<'i>) -> bool {
        self.0.is_valid(instance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::arena_json::tests::{arena_with, error_lines};
    use serde_json::json;

    fn validator(cache: &PatternCache, schema: &Value) -> PatternValidator {
        cache
            .install(jsonschema::options_for::<ArenaJson>().with_draft(jsonschema::Draft::Draft4))
            .build(schema)
            .expect("schema compiles")
    }

    fn errors(validator: &PatternValidator, instance: &Value) -> Vec<String> {
        let (arena, root) = arena_with(instance);
        let node = ArenaNode::new(&arena, root);
        assert_eq!(
            validator.is_valid(node),
            validator.iter_errors(node).next().is_none()
        );
        error_lines(validator.iter_errors(node))
    }

    /// The shared keyword reports exactly what the validator's own `pattern` reports:
    /// same paths, same messages, ECMA-262 classes (`\d` is ASCII) and search semantics.
    #[test]
    fn shared_patterns_report_what_the_validators_own_keyword_reports() {
        let schema = json!({
            "type": "object",
            "properties": {
                "version": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+$"},
                "digits": {"pattern": "^\\d+$"},
                "anywhere": {"pattern": "ab+c"},
                "list": {"items": {"pattern": "^[0-9]+\\.[0-9]+$"}},
                "either": {"anyOf": [{"pattern": "^x"}, {"pattern": "y$"}]}
            },
            "definitions": {"cpu": {"pattern": "^[0-9]+m?$"}},
            "patternProperties": {"^cpu": {"$ref": "#/definitions/cpu"}}
        });
        let own = jsonschema::options_for::<ArenaJson>()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&schema)
            .expect("schema compiles");
        let shared = validator(&PatternCache::default(), &schema);
        for instance in [
            json!({"version": "1.2", "digits": "42", "anywhere": "xxabbbcxx", "list": ["1.0"],
                   "either": "xa", "cpu0": "250m"}),
            json!({"version": "1.2.3", "digits": "٤٢", "anywhere": "ac", "list": ["1.0", "x", 3],
                   "either": "ab", "cpu0": "lots", "cpu1": 4}),
            json!({"version": 12, "digits": "", "list": [], "either": 7}),
        ] {
            assert_eq!(
                errors(&shared, &instance),
                errors(&own, &instance),
                "{instance}"
            );
        }
    }

    #[test]
    fn each_expression_is_compiled_once_across_schemas() {
        let cache = PatternCache::default();
        for name in ["a", "b", "c"] {
            validator(
                &cache,
                &json!({"properties": {
                    name: {"pattern": "^[0-9]+(Mi|Gi)$"},
                    "tag": {"pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"},
                    "other": {"items": {"pattern": "^[0-9]+(Mi|Gi)$"}}
                }}),
            );
        }
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn an_expression_that_does_not_compile_fails_its_schema_at_its_path() {
        let schema = json!({"properties": {"size": {"pattern": "^(unclosed$"}}});
        let own = jsonschema::options_for::<ArenaJson>()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&schema)
            .expect_err("the validator refuses it");
        let shared = PatternCache::default()
            .install(jsonschema::options_for::<ArenaJson>().with_draft(jsonschema::Draft::Draft4))
            .build(&schema)
            .expect_err("the shared keyword refuses it too");
        assert_eq!(shared.to_string(), own.to_string());
        assert_eq!(shared.instance_path(), own.instance_path());
        assert_eq!(shared.schema_path(), own.schema_path());
        assert_eq!(
            shared.instance_path().to_string(),
            "/properties/size/pattern"
        );
        let not_a_string = PatternCache::default()
            .install(jsonschema::options_for::<ArenaJson>())
            .build(&json!({"pattern": 5}));
        assert!(not_a_string.is_err());
    }
}
