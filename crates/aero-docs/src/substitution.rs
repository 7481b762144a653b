//! Substitution: copying values from source documents into destination paths,
//! optionally through regular-expression patterns.
//!
//! Aerostat's mode copies the source value (so no later step can alter another
//! document) and writes scalars into patterns with their YAML spelling. Deckhand's
//! mode reproduces its quirks: the value is inserted as a shallow copy whose children
//! are shared with the source (quirk 1), non-strings are stringified the Python way
//! (quirk 5), `recurse` only touches strings that literally contain the pattern text
//! (quirk 6), and the replacement text goes through Python's `re.sub` template rules.

use std::collections::BTreeSet;

use crate::diagnostic::{Diagnostic, ErrorKind};
use crate::document::{Destination, DocIndex, Document, Substitution};
use crate::mode::Mode;
use crate::path::Segment;
use crate::value::{Arena, NodeId, Origin, OriginId, OriginKind, Value};

/// What one document's substitution step needs from the render.
pub struct SubstitutionContext<'a> {
    /// The value arena.
    pub arena: &'a mut Arena,
    /// All documents.
    pub documents: &'a [Document],
    /// Current (rendered so far) data of every document.
    pub current: &'a [NodeId],
    /// Where `(schema, name)` substitution sources resolve to.
    pub source_of: &'a dyn Fn(&str, &str) -> Option<DocIndex>,
    /// Which mode.
    pub mode: Mode,
    /// Secret strings discovered (values substituted from secrets, match groups).
    pub secret_strings: &'a mut BTreeSet<String>,
    /// Warnings (pattern without match and the like).
    pub warnings: &'a mut Vec<Diagnostic>,
}

/// Applies every substitution of `document` to `data` (its current data) and returns
/// the new data root. Stops at the first failing substitution.
pub fn substitute_all(
    context: &mut SubstitutionContext<'_>,
    document: &Document,
    mut data: NodeId,
) -> Result<NodeId, Box<Diagnostic>> {
    for (position, substitution) in document.substitutions.iter().enumerate() {
        data = substitute_one(context, document, position, substitution, data)?;
    }
    Ok(data)
}

fn failure(
    document: &Document,
    substitution: &Substitution,
    position: usize,
    kind: ErrorKind,
    message: String,
    hint: &str,
) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(kind, message)
            .at(Some(substitution.location))
            .in_document(document.doc_ref())
            .with_path(format!("metadata.substitutions[{position}]"))
            .with_hint(hint),
    )
}

fn subtree_is_secret(arena: &Arena, id: NodeId) -> bool {
    if arena.is_secret(id) {
        return true;
    }
    match arena.value(id) {
        Value::Seq(items) => items.iter().any(|item| subtree_is_secret(arena, *item)),
        Value::Map(entries) => entries
            .values()
            .any(|value| subtree_is_secret(arena, *value)),
        _ => false,
    }
}

/// Collects the strings of every secret node under `id` (a node is secret by its own
/// origin or because a secret container holds it), not the clear values around them.
fn collect_strings(arena: &Arena, id: NodeId, out: &mut BTreeSet<String>) {
    collect_secret_leaves(arena, id, false, out);
}

fn collect_secret_leaves(arena: &Arena, id: NodeId, inherited: bool, out: &mut BTreeSet<String>) {
    let secret = inherited || arena.is_secret(id);
    match arena.value(id) {
        Value::Str(text) if secret => {
            out.insert(String::from(&**text));
        }
        Value::Int(_) | Value::Float(_) if secret => {
            out.insert(arena.python_str(id));
        }
        Value::Seq(items) => items
            .iter()
            .for_each(|item| collect_secret_leaves(arena, *item, secret, out)),
        Value::Map(entries) => entries
            .values()
            .for_each(|value| collect_secret_leaves(arena, *value, secret, out)),
        _ => {}
    }
}

fn substitute_one(
    context: &mut SubstitutionContext<'_>,
    document: &Document,
    position: usize,
    substitution: &Substitution,
    mut data: NodeId,
) -> Result<NodeId, Box<Diagnostic>> {
    let Some(source_index) = (context.source_of)(&substitution.src_schema, &substitution.src_name)
    else {
        let abstract_source = context.documents.iter().any(|doc| {
            doc.schema == substitution.src_schema
                && doc.name == substitution.src_name
                && doc.is_abstract
        });
        let hint = if abstract_source {
            "the source document is abstract; only concrete documents can be substitution sources"
        } else {
            "check src.schema and src.name, or add the source document to the site"
        };
        let mut diagnostic = failure(
            document,
            substitution,
            position,
            ErrorKind::SubstitutionSourceNotFound,
            format!(
                "substitution source {}/{} not found",
                substitution.src_schema, substitution.src_name
            ),
            hint,
        );
        if abstract_source {
            diagnostic.code = "A003";
        }
        return Err(diagnostic);
    };
    let source = &context.documents[source_index.get()];
    let source_data = context.current[source_index.get()];
    let found = match context.arena.value(source_data) {
        Value::Map(_) => context.arena.get(source_data, &substitution.src_path),
        _ => Some(source_data),
    };
    let Some(mut value) = found.filter(|id| !matches!(context.arena.value(*id), Value::Null))
    else {
        return Err(Box::new(
            Diagnostic::error(
                ErrorKind::SubstitutionSourceDataNotFound,
                format!(
                    "substitution source {}/{} has no value at `{}`",
                    source.schema, source.name, substitution.src_path_text
                ),
            )
            .at(Some(substitution.location))
            .in_document(document.doc_ref())
            .with_path(format!("metadata.substitutions[{position}].src.path"))
            .with_related(
                Some(source.location),
                format!("source {}", source.doc_ref()),
            )
            .with_hint(
                "check src.path against the source's rendered data (`aero site explain` shows it)",
            ),
        ));
    };
    let value_is_secret = subtree_is_secret(context.arena, value);
    let substitution_origin = context.arena.add_origin(Origin {
        kind: OriginKind::Substituted {
            doc: document.index,
            substitution: position,
            source_doc: source_index,
            inner: context.arena.node_origin(value),
        },
        // The node's own secrecy: a container is not secret because a leaf under it is.
        secret: context.arena.is_secret(value),
    });
    if value_is_secret {
        collect_strings(context.arena, value, context.secret_strings);
    }
    if let Some(pattern) = &substitution.src_pattern {
        let Value::Str(text) = context.arena.value(value).clone() else {
            return Err(failure(
                document,
                substitution,
                position,
                ErrorKind::UnknownSubstitutionError,
                format!(
                    "src.pattern needs a string source value, but {}/{} has a {} at `{}`",
                    source.schema,
                    source.name,
                    context.arena.value(value).type_name(),
                    substitution.src_path_text
                ),
                "point src.path at a string or drop src.pattern",
            ));
        };
        let regex = crate::pattern::compile(pattern).map_err(|error| {
            failure(
                document,
                substitution,
                position,
                ErrorKind::UnknownSubstitutionError,
                error,
                "fix the regular expression",
            )
        })?;
        match regex.captures(&text) {
            Ok(Some(captures)) => match captures.get(substitution.match_group) {
                Some(matched) => {
                    let fragment = matched.as_str().to_string();
                    if value_is_secret {
                        context.secret_strings.insert(fragment.clone());
                    }
                    let (line, column) = context.arena.node_position(value);
                    value = context.arena.add(
                        Value::Str(fragment.into()),
                        substitution_origin,
                        line,
                        column,
                    );
                }
                None => {
                    return Err(failure(
                        document,
                        substitution,
                        position,
                        ErrorKind::UnknownSubstitutionError,
                        format!(
                            "src.match_group {} did not take part in the match of `{pattern}`",
                            substitution.match_group
                        ),
                        "choose a group the pattern has",
                    ));
                }
            },
            Ok(None) => {
                context.warnings.push(
                    Diagnostic::lint(
                        "A007",
                        crate::diagnostic::Severity::Warning,
                        format!("src.pattern `{pattern}` does not match the source value; the whole value is used"),
                    )
                    .at(Some(substitution.location))
                    .in_document(document.doc_ref())
                    .with_path(format!("metadata.substitutions[{position}].src.pattern")),
                );
            }
            Err(error) => {
                return Err(failure(
                    document,
                    substitution,
                    position,
                    ErrorKind::UnknownSubstitutionError,
                    format!("src.pattern `{pattern}` failed: {error}"),
                    "simplify the regular expression",
                ));
            }
        }
    }
    for (dest_position, destination) in substitution.destinations.iter().enumerate() {
        data = substitute_into(
            context,
            document,
            position,
            substitution,
            destination,
            dest_position,
            value,
            source_index,
            substitution_origin,
            data,
        )?;
    }
    Ok(data)
}

#[allow(clippy::too_many_arguments)]
fn substitute_into(
    context: &mut SubstitutionContext<'_>,
    document: &Document,
    position: usize,
    substitution: &Substitution,
    destination: &Destination,
    dest_position: usize,
    value: NodeId,
    source_index: DocIndex,
    substitution_origin: OriginId,
    data: NodeId,
) -> Result<NodeId, Box<Diagnostic>> {
    let dest_field = if substitution.destinations.len() > 1 {
        format!("metadata.substitutions[{position}].dest[{dest_position}]")
    } else {
        format!("metadata.substitutions[{position}].dest")
    };
    let fail = |kind: ErrorKind, message: String, hint: &str| {
        Box::new(
            Diagnostic::error(kind, message)
                .at(Some(substitution.location))
                .in_document(document.doc_ref())
                .with_path(dest_field.clone())
                .with_hint(hint),
        )
    };
    let Some(pattern) = &destination.pattern else {
        let inserted = insert_value(context, value, substitution_origin, substitution.deepcopy);
        if destination.path.is_root() {
            let both_maps = matches!(context.arena.value(data), Value::Map(_))
                && matches!(context.arena.value(inserted), Value::Map(_));
            if both_maps {
                let Value::Map(entries) = context.arena.value(inserted).clone() else {
                    return Ok(data);
                };
                let data = context.arena.writable(data);
                if let Value::Map(target) = context.arena.value_mut(data) {
                    for (key, child) in entries.into_iter() {
                        target.insert(key, child);
                    }
                }
                return Ok(data);
            }
            return Ok(inserted);
        }
        let created = context.arena.add_origin(Origin {
            kind: OriginKind::Created {
                doc: document.index,
            },
            secret: false,
        });
        return context
            .arena
            .set(data, &destination.path, inserted, created)
            .map_err(|error| {
                fail(
                    ErrorKind::UnknownSubstitutionError,
                    format!(
                        "cannot substitute into `{}`: {error}",
                        destination.path_text
                    ),
                    "the destination path runs through a value that is not a mapping or list",
                )
            });
    };
    let regex = crate::pattern::compile(pattern).map_err(|error| {
        fail(
            ErrorKind::UnknownSubstitutionError,
            error,
            "fix the regular expression",
        )
    })?;
    let replacement = match context.mode {
        Mode::Deckhand => context.arena.python_str(value),
        Mode::Aerostat => match context.arena.scalar_text(value) {
            Some(text) => text,
            None => {
                return Err(fail(
                    ErrorKind::UnknownSubstitutionError,
                    format!(
                        "cannot write a {} into the string at `{}` with pattern `{pattern}`",
                        context.arena.value(value).type_name(),
                        destination.path_text
                    ),
                    "a pattern substitution needs a string, number or boolean source value",
                ));
            }
        },
    };
    let secret = subtree_is_secret(context.arena, value);
    if secret {
        context.secret_strings.insert(replacement.clone());
    }
    let target = context.arena.get(data, &destination.path);
    let missing_pattern = |found: &str| {
        fail(
            ErrorKind::MissingDocumentPattern,
            format!(
                "destination `{}` must hold a string containing `{pattern}`, found {found}",
                destination.path_text
            ),
            "write the placeholder string at the destination path (usually in a parent document)",
        )
    };
    let Some(target) = target else {
        return Err(missing_pattern("nothing"));
    };
    let replace = Replacer {
        regex: &regex,
        replacement: &replacement,
        mode: context.mode,
        document: document.index,
        substitution: position,
        source_doc: source_index,
        secret,
    };
    let target_text = match context.arena.value(target) {
        Value::Str(text) => Some(text.clone()),
        _ => None,
    };
    match (destination.recurse_depth, target_text) {
        (Some(depth), None) if context.arena.value(target).is_container() => {
            let mut data = data;
            let Some(target) = context.arena.get_writable(&mut data, &destination.path) else {
                return Err(missing_pattern("nothing"));
            };
            replace
                .recursively(context.arena, target, pattern, 0, depth)
                .map_err(|error| {
                    fail(
                        ErrorKind::UnknownSubstitutionError,
                        error,
                        "check the pattern",
                    )
                })?;
            Ok(data)
        }
        (_, Some(text)) => {
            let replaced = replace.apply(&text).map_err(|error| {
                fail(
                    ErrorKind::UnknownSubstitutionError,
                    error,
                    "check the pattern and the value",
                )
            })?;
            let new_node = replace.new_string(context.arena, target, replaced);
            let created = context.arena.add_origin(Origin {
                kind: OriginKind::Created {
                    doc: document.index,
                },
                secret: false,
            });
            context
                .arena
                .set(data, &destination.path, new_node, created)
                .map_err(|error| {
                    fail(
                        ErrorKind::UnknownSubstitutionError,
                        error.to_string(),
                        "check the destination path",
                    )
                })
        }
        (_, None) => Err(missing_pattern(&format!(
            "a {}",
            context.arena.value(target).type_name()
        ))),
    }
}

/// The node to insert for a substitution without pattern.
fn insert_value(
    context: &mut SubstitutionContext<'_>,
    value: NodeId,
    origin: OriginId,
    deepcopy: bool,
) -> NodeId {
    match context.mode {
        Mode::Deckhand if !deepcopy => {
            // copy.copy: a new container whose children are the source's own objects.
            context.arena.shallow_copy(value, origin)
        }
        Mode::Deckhand => context.arena.deep_copy(value),
        Mode::Aerostat => {
            // Each distinct origin in the copied subtree is wrapped once, so explain
            // can follow a copied value back to the source that wrote it.
            let arena = &mut *context.arena;
            let mut inner_origins = std::collections::BTreeSet::new();
            let mut stack = vec![value];
            while let Some(node) = stack.pop() {
                inner_origins.insert(arena.node_origin(node));
                match arena.value(node) {
                    Value::Seq(items) => stack.extend(items.iter().copied()),
                    Value::Map(entries) => stack.extend(entries.values().copied()),
                    _ => {}
                }
            }
            let template = arena.origin(origin).clone();
            let wrapped: std::collections::HashMap<OriginId, OriginId> = inner_origins
                .into_iter()
                .map(|inner| {
                    let mut wrapped_origin = template.clone();
                    if let OriginKind::Substituted { inner: slot, .. } = &mut wrapped_origin.kind {
                        *slot = inner;
                    }
                    wrapped_origin.secret = arena.origin(inner).secret;
                    (inner, arena.add_origin(wrapped_origin))
                })
                .collect();
            arena.deep_copy_mapping(value, &mut |inner| {
                wrapped.get(&inner).copied().unwrap_or(inner)
            })
        }
    }
}

struct Replacer<'a> {
    regex: &'a fancy_regex::Regex,
    replacement: &'a str,
    mode: Mode,
    document: DocIndex,
    substitution: usize,
    source_doc: DocIndex,
    secret: bool,
}

impl Replacer<'_> {
    fn apply(&self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len() + self.replacement.len());
        let mut last = 0;
        for captures in self.regex.captures_iter(text) {
            let captures = captures.map_err(|error| error.to_string())?;
            let Some(whole) = captures.get(0) else {
                continue;
            };
            out.push_str(&text[last..whole.start()]);
            match self.mode {
                Mode::Aerostat => out.push_str(self.replacement),
                Mode::Deckhand => out.push_str(&python_template(self.replacement, &captures)?),
            }
            last = whole.end();
        }
        out.push_str(&text[last..]);
        Ok(out)
    }

    fn new_string(&self, arena: &mut Arena, original: NodeId, text: String) -> NodeId {
        let original_origin = arena.node_origin(original);
        let secret = self.secret || arena.origin(original_origin).secret;
        let origin = arena.add_origin(Origin {
            kind: OriginKind::PatternReplaced {
                doc: self.document,
                substitution: self.substitution,
                source_doc: self.source_doc,
                original: original_origin,
            },
            secret,
        });
        let (line, column) = arena.node_position(original);
        arena.add(Value::Str(text.into()), origin, line, column)
    }

    fn matches(&self, text: &str, pattern: &str) -> bool {
        match self.mode {
            Mode::Deckhand => text.contains(pattern),
            Mode::Aerostat => self.regex.is_match(text).unwrap_or(false),
        }
    }

    /// Walks a container; depth counts container levels (Deckhand's `recurse.depth`).
    fn recursively(
        &self,
        arena: &mut Arena,
        container: NodeId,
        pattern: &str,
        depth: i64,
        max_depth: i64,
    ) -> Result<(), String> {
        if depth == max_depth {
            return Ok(());
        }
        let children: Vec<(Option<crate::value::Key>, usize, NodeId)> = match arena.value(container)
        {
            Value::Map(entries) => entries
                .iter()
                .enumerate()
                .map(|(index, (key, value))| (Some(key.clone()), index, *value))
                .collect(),
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(index, value)| (None, index, *value))
                .collect(),
            _ => return Ok(()),
        };
        for (key, index, child) in children {
            let text = match arena.value(child) {
                Value::Str(text) if self.matches(text, pattern) => Some(text.clone()),
                _ => None,
            };
            match text {
                Some(text) => {
                    let replaced = self.apply(&text)?;
                    let new_node = self.new_string(arena, child, replaced);
                    match (arena.value_mut(container), key) {
                        (Value::Map(entries), Some(key)) => {
                            entries.insert(key, new_node);
                        }
                        (Value::Seq(items), None) => items[index] = new_node,
                        _ => {}
                    }
                }
                None if arena.value(child).is_container() => {
                    let writable = match key {
                        Some(key) => arena.writable_entry(container, &key),
                        None => arena.writable_child(container, &Segment::Index(index)),
                    };
                    if let Some(child) = writable {
                        self.recursively(arena, child, pattern, depth + 1, max_depth)?;
                    }
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// Expands a replacement string the way Python's `re.sub` does: `\\`, `\n`-style
/// escapes, `\1` and `\g<name>` group references; other escapes of ASCII letters
/// are errors, other backslashes stay as written.
fn python_template(template: &str, captures: &fancy_regex::Captures<'_>) -> Result<String, String> {
    if !template.contains('\\') {
        return Ok(template.to_string());
    }
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(character) = chars.next() {
        if character != '\\' {
            out.push(character);
            continue;
        }
        match chars.next() {
            None => return Err("bad escape (end of pattern) in the substituted value".to_string()),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('g') => {
                if chars.next() != Some('<') {
                    return Err("missing < after \\g in the substituted value".to_string());
                }
                let mut name = String::new();
                for next in chars.by_ref() {
                    if next == '>' {
                        break;
                    }
                    name.push(next);
                }
                let group = match name.parse::<usize>() {
                    Ok(number) => captures.get(number),
                    Err(_) => captures.name(&name),
                };
                out.push_str(group.map_or("", |group| group.as_str()));
            }
            Some(digit) if digit.is_ascii_digit() => {
                let mut number = digit.to_digit(10).unwrap_or(0) as usize;
                if let Some(next) = chars.peek().copied().filter(char::is_ascii_digit) {
                    chars.next();
                    number = number * 10 + next.to_digit(10).unwrap_or(0) as usize;
                }
                if number >= captures.len() {
                    return Err(format!(
                        "invalid group reference {number} in the substituted value"
                    ));
                }
                out.push_str(captures.get(number).map_or("", |group| group.as_str()));
            }
            Some(letter) if letter.is_ascii_alphabetic() => {
                return Err(format!("bad escape \\{letter} in the substituted value"));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}
