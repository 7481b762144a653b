//! `$ref` resolution as Deckhand's validator resolved it, and the references that do not
//! resolve.
//!
//! Deckhand validated with Python's `jsonschema` 2.6 (`Draft4Validator(schema)`, whose
//! `RefResolver.from_schema` takes the schema's `id`, or `""`, as base URI). That resolver
//! knows one document, the schema itself, plus the draft 3 and draft 4 meta-schemas; any
//! other URL would be fetched over the network when validation reached it. A reference is
//! resolved only then, so a schema whose `$ref` leads nowhere validated every document
//! that did not take that branch. [`Resolver`] answers what that resolver would have
//! found, without fetching anything: Aerostat never reads the network while rendering,
//! so a remote reference counts as one that does not resolve.
//!
//! [`unresolved_references`] lists every reference of a schema that does not resolve,
//! reached or not, so the validator can compile a schema where they accept anything
//! ([`UNRESOLVED_URI`]) and [`super::reach`] can tell, per document, whether Deckhand's
//! validation would have reached one.

use serde_json::Value;

/// Where references that do not resolve are pointed in the schema the validator compiles:
/// a document that accepts everything, served by [`UnresolvedRetriever`]. An absolute URI,
/// so it means the same under any `id` scope.
pub const UNRESOLVED_URI: &str = "urn:aerostat:unresolved-reference";

/// The meta-schemas Python's `jsonschema` 2.6 keeps in every resolver's store.
const META_SCHEMAS: [&str; 2] = [
    "http://json-schema.org/draft-03/schema",
    "http://json-schema.org/draft-04/schema",
];

/// Keywords whose values are data, never schemas: a `$ref` or `id` key inside them is
/// not a reference.
const DATA_KEYWORDS: [&str; 5] = ["enum", "const", "default", "examples", "example"];

/// A `$ref` of a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// JSON pointer of the `$ref` key in the schema (`/properties/a/$ref`).
    pub pointer: String,
    /// The reference as written.
    pub reference: String,
}

/// What a reference leads to.
#[derive(Debug)]
pub enum Target<'s> {
    /// A subschema of the schema itself, with its JSON pointer and the resolution scope
    /// inside it (Python pushes the joined URL as the new scope).
    Local {
        /// The subschema.
        schema: &'s Value,
        /// Its JSON pointer in the schema.
        pointer: String,
        /// The scope relative references resolve against inside it.
        scope: String,
    },
    /// One of the meta-schemas the resolver holds: resolvable, but not part of the site.
    MetaSchema,
    /// Nothing: Python's resolver would raise `RefResolutionError` here (or fetch a
    /// remote document, which Aerostat never does).
    Unresolved,
}

/// Resolves references the way `jsonschema` 2.6's `RefResolver` did for one schema.
#[derive(Debug)]
pub struct Resolver<'s> {
    root: &'s Value,
    /// The root's URL without fragment: its `id`, or `""`.
    root_url: String,
}

impl<'s> Resolver<'s> {
    /// A resolver for `root`, based at its `id`.
    pub fn new(root: &'s Value) -> Self {
        let id = root.get("id").and_then(Value::as_str).unwrap_or("");
        Self {
            root,
            root_url: without_fragment(id).to_string(),
        }
    }

    /// The scope validation starts in (`RefResolver.resolution_scope` at the root).
    pub fn root_scope(&self) -> &str {
        &self.root_url
    }

    /// The scope inside a subschema: its `id`, joined to the enclosing scope, as
    /// `iter_errors` pushes it.
    pub fn scope_in(scope: &str, schema: &Value) -> Option<String> {
        match schema.get("id") {
            Some(Value::String(id)) if !id.is_empty() => Some(join_url(scope, id)),
            _ => None,
        }
    }

    /// Resolves `reference` in `scope` (`RefResolver.resolve`: `urljoin`, then the
    /// document by URL, then the fragment as a JSON pointer).
    pub fn resolve(&self, scope: &str, reference: &str) -> Target<'s> {
        let url = join_url(scope, reference);
        let (document_url, fragment) = split_fragment(&url);
        if document_url == self.root_url {
            return match resolve_fragment(self.root, fragment) {
                Some((schema, pointer)) => Target::Local {
                    schema,
                    pointer,
                    scope: url.clone(),
                },
                None => Target::Unresolved,
            };
        }
        if META_SCHEMAS.contains(&document_url) {
            return Target::MetaSchema;
        }
        Target::Unresolved
    }
}

/// What validation needs to know of a schema before compiling it, from one walk.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Survey {
    /// Every `$ref` that does not resolve, in document order.
    pub unresolved: Vec<Reference>,
    /// Whether `format` is used anywhere a schema can be.
    pub uses_format: bool,
}

/// Surveys `root`: references are found wherever a schema can be (any object outside data
/// keywords such as `enum`), each resolved in the scope its enclosing `id`s give it.
pub fn survey(root: &Value) -> Survey {
    let resolver = Resolver::new(root);
    let mut survey = Survey::default();
    let mut path: Vec<Segment<'_>> = Vec::new();
    survey_value(
        &resolver,
        root,
        resolver.root_scope(),
        &mut path,
        &mut survey,
    );
    survey
}

/// Every `$ref` of `root` that does not resolve, in document order.
pub fn unresolved_references(root: &Value) -> Vec<Reference> {
    survey(root).unresolved
}

/// A step of the path to the value being surveyed; the JSON pointer is written only for
/// the references reported, so a schema without any costs no strings.
enum Segment<'v> {
    Key(&'v str),
    Index(usize),
}

fn survey_value<'v>(
    resolver: &Resolver<'_>,
    value: &'v Value,
    scope: &str,
    path: &mut Vec<Segment<'v>>,
    survey: &mut Survey,
) {
    match value {
        Value::Object(map) => {
            let inner = Resolver::scope_in(scope, value);
            let scope = inner.as_deref().unwrap_or(scope);
            if let Some(Value::String(reference)) = map.get("$ref")
                && matches!(resolver.resolve(scope, reference), Target::Unresolved)
            {
                let mut pointer = String::new();
                for segment in path.iter() {
                    match segment {
                        Segment::Key(key) => push_pointer_segment(&mut pointer, key),
                        Segment::Index(index) => {
                            pointer.push('/');
                            pointer.push_str(&index.to_string());
                        }
                    }
                }
                pointer.push_str("/$ref");
                survey.unresolved.push(Reference {
                    pointer,
                    reference: reference.clone(),
                });
            }
            if matches!(map.get("format"), Some(Value::String(_))) {
                survey.uses_format = true;
            }
            for (key, child) in map {
                if DATA_KEYWORDS.contains(&key.as_str()) || !(child.is_object() || child.is_array())
                {
                    continue;
                }
                path.push(Segment::Key(key));
                survey_value(resolver, child, scope, path, survey);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (position, item) in items.iter().enumerate() {
                if !(item.is_object() || item.is_array()) {
                    continue;
                }
                path.push(Segment::Index(position));
                survey_value(resolver, item, scope, path, survey);
                path.pop();
            }
        }
        _ => {}
    }
}

/// `root` with every reference in `unresolved` pointed at [`UNRESOLVED_URI`]: what the
/// validator compiles, so that a reference that leads nowhere accepts anything (whether a
/// document reached it is [`super::reach`]'s question) while the rest of the schema keeps
/// its meaning under any draft.
pub fn point_unresolved_away(root: &Value, unresolved: &[Reference]) -> Value {
    let mut patched = root.clone();
    for reference in unresolved {
        if let Some(target) = patched.pointer_mut(&reference.pointer) {
            *target = Value::String(UNRESOLVED_URI.to_string());
        }
    }
    patched
}

/// Serves [`UNRESOLVED_URI`] (a schema that accepts everything) and nothing else: the
/// validator never fetches.
pub struct UnresolvedRetriever;

impl jsonschema::Retrieve for UnresolvedRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str().trim_end_matches('#') == UNRESOLVED_URI {
            Ok(Value::Object(serde_json::Map::new()))
        } else {
            Err(format!("Aerostat does not fetch schemas: {uri}").into())
        }
    }
}

/// Appends `/segment` to a JSON pointer, escaped.
pub fn push_pointer_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    for character in segment.chars() {
        match character {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            other => pointer.push(other),
        }
    }
}

/// `url` without its `#fragment`.
fn without_fragment(url: &str) -> &str {
    split_fragment(url).0
}

/// `url` split at its first `#` (Python's `urldefrag`).
fn split_fragment(url: &str) -> (&str, &str) {
    url.split_once('#').unwrap_or((url, ""))
}

/// Python's `urljoin(base, reference)` for the forms schemas use: an absolute URL, a
/// fragment, a network path, an absolute path, or a path relative to the base's folder.
fn join_url(base: &str, reference: &str) -> String {
    if reference.is_empty() {
        return base.to_string();
    }
    if has_scheme(reference) {
        return reference.to_string();
    }
    let base = without_fragment(base);
    if reference.starts_with('#') {
        return format!("{base}{reference}");
    }
    let scheme_end = base.find("://").map(|position| position + 3);
    if let Some(network_path) = reference.strip_prefix("//") {
        let scheme = base.split_once(':').map_or("", |(scheme, _)| scheme);
        return format!("{scheme}://{network_path}");
    }
    if reference.starts_with('/') {
        return match scheme_end {
            Some(authority_start) => {
                let authority_end = base[authority_start..]
                    .find('/')
                    .map_or(base.len(), |offset| authority_start + offset);
                format!("{}{reference}", &base[..authority_end])
            }
            None => reference.to_string(),
        };
    }
    let base = base.split_once('?').map_or(base, |(path, _)| path);
    let folder_end = base.rfind('/').map_or(0, |position| position + 1);
    if scheme_end.is_some_and(|authority_start| folder_end <= authority_start) {
        // `http://host` with no path: the reference goes under the root.
        return format!("{base}/{reference}");
    }
    format!("{}{reference}", &base[..folder_end])
}

/// Whether `reference` starts with a URI scheme (`http:`, `urn:`).
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut characters = scheme.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && characters.all(|character| {
            character.is_ascii_alphanumeric() || matches!(character, '+' | '-' | '.')
        })
}

/// Python's `RefResolver.resolve_fragment`: leading slashes dropped, the whole fragment
/// percent-decoded, then split at `/`; `~1` and `~0` unescaped; a segment indexes a list
/// when it reads as an integer (negative ones count from the end, as Python's do).
/// Returns the subschema and its canonical JSON pointer.
fn resolve_fragment<'s>(root: &'s Value, fragment: &str) -> Option<(&'s Value, String)> {
    let fragment = fragment.trim_start_matches('/');
    let mut current = root;
    let mut pointer = String::new();
    if fragment.is_empty() {
        return Some((current, pointer));
    }
    let decoded = percent_decode(fragment);
    for raw in decoded.split('/') {
        let part = raw.replace("~1", "/").replace("~0", "~");
        current = match current {
            Value::Object(map) => {
                let child = map.get(&part)?;
                push_pointer_segment(&mut pointer, &part);
                child
            }
            Value::Array(items) => {
                let index: i64 = part.trim().parse().ok()?;
                let position = if index < 0 {
                    items
                        .len()
                        .checked_sub(usize::try_from(index.unsigned_abs()).ok()?)?
                } else {
                    usize::try_from(index).ok()?
                };
                let child = items.get(position)?;
                pointer.push('/');
                pointer.push_str(&position.to_string());
                child
            }
            _ => return None,
        };
    }
    Some((current, pointer))
}

/// `%XX` sequences decoded as UTF-8 (invalid sequences replaced), as Python's `unquote`.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut position = 0;
    while position < bytes.len() {
        let byte = bytes[position];
        if byte == b'%'
            && let Some(hex) = text.get(position + 1..position + 3)
            && let Ok(value) = u8::from_str_radix(hex, 16)
        {
            decoded.push(value);
            position += 3;
            continue;
        }
        decoded.push(byte);
        position += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_join_as_python_joins_them() {
        for (base, reference, joined) in [
            ("", "#/definitions/a", "#/definitions/a"),
            ("", "other.json#/a", "other.json#/a"),
            (
                "http://x.org/s/root.json",
                "#/a",
                "http://x.org/s/root.json#/a",
            ),
            (
                "http://x.org/s/root.json#/b",
                "#/a",
                "http://x.org/s/root.json#/a",
            ),
            (
                "http://x.org/s/root.json",
                "other.json",
                "http://x.org/s/other.json",
            ),
            (
                "http://x.org/s/root.json",
                "/top.json",
                "http://x.org/top.json",
            ),
            ("http://x.org", "a.json", "http://x.org/a.json"),
            ("http://x.org/s/root.json", "//y.org/a", "http://y.org/a"),
            ("http://x.org/s/root.json", "urn:a:b", "urn:a:b"),
        ] {
            assert_eq!(join_url(base, reference), joined, "{base} + {reference}");
        }
    }

    #[test]
    fn references_resolve_in_the_schema_and_its_id_scope() {
        let schema = json!({
            "id": "http://x.org/root.json",
            "definitions": {"a b": {"type": "string"}, "list": [{"type": "integer"}]},
            "properties": {
                "ok": {"$ref": "#/definitions/a%20b"},
                "by-url": {"$ref": "root.json#/definitions/list/-1"},
                "meta": {"$ref": "http://json-schema.org/draft-04/schema#"},
                "missing": {"$ref": "#/definitions/missing"},
                "remote": {"$ref": "other.json#/a"},
                "nested": {"id": "sub/", "properties": {"x": {"$ref": "#/definitions/a%20b"}}},
                "data": {"enum": [{"$ref": "#/nowhere"}]}
            }
        });
        let resolver = Resolver::new(&schema);
        match resolver.resolve(resolver.root_scope(), "root.json#/definitions/list/-1") {
            Target::Local {
                schema, pointer, ..
            } => {
                assert_eq!(schema, &json!({"type": "integer"}));
                assert_eq!(pointer, "/definitions/list/0");
            }
            other => panic!("{other:?}"),
        }
        let references = unresolved_references(&schema);
        let unresolved: Vec<&str> = references
            .iter()
            .map(|reference| reference.pointer.trim_start_matches("/properties/"))
            .collect();
        // The nested `id` moves `#...` references into `http://x.org/sub/`, a document
        // Python's resolver would have fetched.
        assert_eq!(
            unresolved,
            ["missing/$ref", "remote/$ref", "nested/properties/x/$ref"]
        );
    }

    #[test]
    fn unresolved_references_are_pointed_at_a_schema_that_accepts_everything() {
        let schema = json!({"properties": {"a": {"$ref": "#/nowhere", "type": "string"}}});
        let unresolved = unresolved_references(&schema);
        let patched = point_unresolved_away(&schema, &unresolved);
        assert_eq!(
            patched,
            json!({"properties": {"a": {"$ref": UNRESOLVED_URI, "type": "string"}}})
        );
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .with_retriever(UnresolvedRetriever)
            .build(&patched)
            .expect("compiles");
        // Draft 4 ignores the siblings of `$ref`: anything is accepted.
        assert!(validator.is_valid(&json!({"a": 3})));
    }

    #[test]
    fn the_survey_finds_format_only_where_a_schema_can_be() {
        assert!(
            survey(&json!({"properties": {"ip": {"type": "string", "format": "ipv4"}}}))
                .uses_format
        );
        // A property named `format`, and `format` inside data, are not the keyword.
        assert!(!survey(&json!({"properties": {"format": {"type": "string"}}})).uses_format);
        assert!(!survey(&json!({"enum": [{"format": "ipv4"}]})).uses_format);
    }
}
