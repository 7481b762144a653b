//! Documents: the Deckhand envelope (`schema`, `metadata`, `data`) read from YAML and
//! checked for structure before anything is layered.
//!
//! Structure rules follow Deckhand's `base_schema`, `metadata/Document/v1` and
//! `metadata/Control/v1`; every violation becomes an `InvalidDocumentFormat`
//! diagnostic pointing at the offending line. Pegleg's managed-document wrappers are
//! unwrapped here, as `pegleg site render` does.

use aero_yaml::{Node, Yaml};

use crate::diagnostic::{Diagnostic, DocRef, ErrorKind, Location, Severity};
use crate::mode::Mode;
use crate::path::DocPath;
use crate::source::{SourceId, SourceSet};
use crate::value::{Arena, NodeId, Origin, OriginKind};

/// Index of a document in a render's document list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocIndex(pub u32);

impl DocIndex {
    /// As a `usize` for indexing.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// Schema of a layering policy.
pub const LAYERING_POLICY_SCHEMA: &str = "deckhand/LayeringPolicy/v1";
/// Schema of a data schema.
pub const DATA_SCHEMA_SCHEMA: &str = "deckhand/DataSchema/v1";
/// Schema of Pegleg's managed-document wrapper.
pub const PEGLEG_MANAGED_SCHEMA: &str = "pegleg/PeglegManagedDocument/v1";

/// Whether a document is an application document or a control document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataKind {
    /// `metadata/Document/v1`: layered and substituted.
    Document,
    /// `metadata/Control/v1`: passed through as written.
    Control,
}

/// `metadata.storagePolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StoragePolicy {
    /// Stored in clear.
    #[default]
    Cleartext,
    /// Must be encrypted at rest.
    Encrypted,
}

/// A layering action's method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionMethod {
    /// Deep merge of the child's value into the parent's.
    Merge,
    /// The child's value replaces the parent's.
    Replace,
    /// The parent's value is removed.
    Delete,
}

/// One `layeringDefinition.actions` entry.
#[derive(Clone, Debug)]
pub struct Action {
    /// The method.
    pub method: ActionMethod,
    /// The path, parsed.
    pub path: DocPath,
    /// The path as written.
    pub path_text: String,
    /// Where the action is written.
    pub location: Location,
}

/// One destination of a substitution.
#[derive(Clone, Debug)]
pub struct Destination {
    /// Path in the destination document's data.
    pub path: DocPath,
    /// The path as written.
    pub path_text: String,
    /// Regex whose matches in the destination string are replaced.
    pub pattern: Option<String>,
    /// `recurse.depth`, when recursive pattern replacement is asked for.
    pub recurse_depth: Option<i64>,
}

/// One `metadata.substitutions` entry.
#[derive(Clone, Debug)]
pub struct Substitution {
    /// Source document schema.
    pub src_schema: String,
    /// Source document name.
    pub src_name: String,
    /// Path in the source's data.
    pub src_path: DocPath,
    /// The source path as written.
    pub src_path_text: String,
    /// Regex applied to the source value.
    pub src_pattern: Option<String>,
    /// Group of `src_pattern` to use (0 = whole match).
    pub match_group: usize,
    /// Whether the source value is deep-copied (matters only in Deckhand mode).
    pub deepcopy: bool,
    /// Where the value goes.
    pub destinations: Vec<Destination>,
    /// Where the substitution is written.
    pub location: Location,
}

/// A document as read from its file, before rendering.
#[derive(Clone, Debug)]
pub struct Document {
    /// Its index.
    pub index: DocIndex,
    /// Its file.
    pub source: SourceId,
    /// Where it starts.
    pub location: Location,
    /// `schema`.
    pub schema: String,
    /// `metadata.name`.
    pub name: String,
    /// Document or control.
    pub kind: MetadataKind,
    /// `layeringDefinition.layer`.
    pub layer: Option<String>,
    /// `layeringDefinition.abstract`.
    pub is_abstract: bool,
    /// `metadata.labels`.
    pub labels: serde_json::Map<String, serde_json::Value>,
    /// `layeringDefinition.parentSelector`, with its location.
    pub parent_selector: Option<(serde_json::Map<String, serde_json::Value>, Location)>,
    /// `layeringDefinition.actions`.
    pub actions: Vec<Action>,
    /// `metadata.substitutions`.
    pub substitutions: Vec<Substitution>,
    /// `metadata.replacement`.
    pub replacement: bool,
    /// `metadata.storagePolicy`.
    pub storage_policy: StoragePolicy,
    /// The whole `metadata` block as written, for output (in the render's arena, which
    /// is far cheaper per document than a JSON tree).
    pub metadata: NodeId,
    /// The raw `data` as written (`null` when absent).
    pub data: NodeId,
    /// Whether `data` is an encrypted payload (decrypted while rendering).
    pub encrypted_at_rest: bool,
    /// Origin shared by the document's literal values.
    pub origin: crate::value::OriginId,
}

impl Document {
    /// How messages name the document.
    pub fn doc_ref(&self) -> DocRef {
        DocRef {
            schema: self.schema.clone(),
            name: self.name.clone(),
            layer: self.layer.clone(),
        }
    }

    /// Whether it is a control document.
    pub fn is_control(&self) -> bool {
        self.kind == MetadataKind::Control
    }

    /// Whether its data is secret: secret kinds and anything stored encrypted.
    pub fn is_secret(&self) -> bool {
        self.storage_policy == StoragePolicy::Encrypted
            || crate::secret_kinds::is_secret_schema(&self.schema)
    }
}

/// `ns/Kind` of `ns/Kind/vN`.
pub fn schema_prefix(schema: &str) -> &str {
    schema.rsplit_once('/').map_or(schema, |(prefix, _)| prefix)
}

/// Whether `schema` has the form `ns/Kind/vN` (optionally `vN.0`).
pub fn is_valid_schema_name(schema: &str) -> bool {
    let mut parts = schema.split('/');
    let (Some(namespace), Some(kind), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let letters = |text: &str| !text.is_empty() && text.chars().all(|c| c.is_ascii_alphabetic());
    let version = version.strip_suffix(".0").unwrap_or(version);
    letters(namespace)
        && letters(kind)
        && version
            .strip_prefix('v')
            .is_some_and(|digits| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
}

/// What loading produced: the documents and every problem found on the way.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Documents that passed the structure checks, in input order.
    pub documents: Vec<Document>,
    /// Whether each document is known to be wrong already (a duplicate key in Aerostat's
    /// mode): it is kept, so that what depends on it fails quietly instead of reporting a
    /// missing parent or source, but it is never rendered or output.
    pub failed: Vec<bool>,
    /// Files skipped as a whole (not UTF-8, not YAML), by where their error is: any
    /// document might have been in them.
    pub unreadable: Vec<Location>,
    /// Problems.
    pub diagnostics: Vec<Diagnostic>,
}

/// How to load documents.
#[derive(Clone, Copy, Debug)]
pub struct LoadConfig {
    /// Semantics: the YAML dialect, and what a duplicate mapping key means (an error of
    /// its document under YAML 1.2; under PyYAML the last value is kept, with a warning).
    pub mode: Mode,
    /// Whether envelopes and metadata are checked against everything Deckhand's base and
    /// metadata schemas require. When `false` (Pegleg's `--no-validate`, which builds
    /// Deckhand's engine with `validate=False`), only what rendering itself needs is
    /// checked: a document without `storagePolicy` or `layeringDefinition`, `actions`
    /// without a `parentSelector` (never applied), an empty `actions` list or
    /// `parentSelector` (nothing layered), unknown keys and a malformed schema name are
    /// then accepted, as Deckhand's engine accepts them.
    pub check_metadata: bool,
}

impl LoadConfig {
    /// The configuration for `mode`, metadata checked.
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            check_metadata: true,
        }
    }
}

/// Reads every document of every source. Documents with structural errors are left out
/// (with diagnostics); empty YAML documents are skipped, as Deckhand does. A file that
/// cannot be read as YAML at all (not UTF-8, a syntax error) is reported once and skipped;
/// a duplicate key concerns only the document holding it.
pub fn load_documents(sources: &SourceSet, config: &LoadConfig, arena: &mut Arena) -> Loaded {
    let mut loaded = Loaded::default();
    let mut options = aero_yaml::LoadOptions::new(config.mode.yaml_dialect());
    // Duplicate keys never stop the stream here: each is judged per document below, so
    // one duplicate cannot hide the other documents of its file.
    options.duplicate_keys = aero_yaml::DuplicateKeys::LastWins;
    // The YAML of every file is parsed on a second thread while this one puts the parsed
    // documents into the arena, in source order; the channel is bounded, so at most a few
    // parsed documents wait at a time.
    std::thread::scope(|scope| {
        let (sender, receiver) =
            std::sync::mpsc::sync_channel::<Vec<Parsed>>(PARSED_AHEAD / PARSED_BATCH);
        let readable: Vec<&str> = sources
            .iter()
            .filter(|(source_id, _)| sources.not_utf8(*source_id).is_none())
            .map(|(_, file)| file.text.as_str())
            .collect();
        let options = &options;
        scope.spawn(move || {
            let mut batches = ParsedSender::new(sender);
            for text in readable {
                let ended = aero_yaml::load_each(text, options, &mut batches);
                if batches.push(Parsed::End(ended)).is_err() {
                    return;
                }
            }
            let _ = batches.flush();
        });
        let mut parsed = ParsedReceiver::new(receiver);
        for (source_id, _) in sources.iter() {
            if let Some(bad) = sources.not_utf8(source_id) {
                let location = Location {
                    source: source_id,
                    line: bad.line,
                    column: bad.column,
                };
                loaded.diagnostics.push(
                    Diagnostic::error(ErrorKind::InvalidYaml, bad.to_string())
                        .at(Some(location))
                        .with_hint(
                            "save the file as UTF-8; every document of this file was skipped",
                        ),
                );
                loaded.unreadable.push(location);
                continue;
            }
            let mut file_documents = FileDocuments {
                source: source_id,
                config,
                loaded: &mut loaded,
                arena: &mut *arena,
                kept: (0, 0, 0),
            };
            file_documents.kept = file_documents.counts();
            let ended = loop {
                match parsed.next() {
                    Ok(Parsed::Document(document)) => {
                        aero_yaml::Documents::document(&mut file_documents, document);
                    }
                    Ok(Parsed::Restart) => aero_yaml::Documents::restart(&mut file_documents),
                    Ok(Parsed::End(ended)) => break ended,
                    // The reader stopped (it panicked: the scope re-raises that).
                    Err(_) => return,
                }
            };
            if let Err(error) = ended {
                // Every document of the file is skipped, those read before the error too.
                aero_yaml::Documents::restart(&mut file_documents);
                let location = Location {
                    source: source_id,
                    line: error.mark.line,
                    column: error.mark.col,
                };
                loaded.diagnostics.push(
                    Diagnostic::error(
                        ErrorKind::InvalidYaml,
                        format!("invalid YAML: {}", error.message),
                    )
                    .at(Some(location))
                    .with_hint("fix the YAML syntax; every document of this file was skipped"),
                );
                loaded.unreadable.push(location);
            }
        }
    });
    // Input that is not YAML comes first, in file order, as every output sorts it (see
    // `Diagnostic::sort_key`): it can explain the problems that follow.
    loaded
        .diagnostics
        .sort_by_key(|diagnostic| diagnostic.kind != Some(ErrorKind::InvalidYaml));
    loaded
}

/// Parsed documents that may wait for the arena in the channel, per [`load_documents`]'s
/// reader thread (besides the batch it is filling and the one the arena's thread reads).
const PARSED_AHEAD: usize = 64;

/// What the reader thread hands over at once: one hand-over per document woke the other
/// thread (a futex call each side) as often as a document is read.
const PARSED_BATCH: usize = 16;

/// What the YAML reader thread hands over, in source order, file after file.
enum Parsed {
    /// The next document of the current file.
    Document(aero_yaml::Document),
    /// Forget the current file's documents: it is read again ([`aero_yaml::Documents`]).
    Restart,
    /// The current file ended, read or not.
    End(Result<(), aero_yaml::LoadError>),
}

/// Sends what the loader completes to the arena's thread, [`PARSED_BATCH`] items at a time.
struct ParsedSender {
    sender: std::sync::mpsc::SyncSender<Vec<Parsed>>,
    batch: Vec<Parsed>,
}

/// The arena's thread has gone: what the reader does no longer matters.
struct ReceiverGone;

impl ParsedSender {
    fn new(sender: std::sync::mpsc::SyncSender<Vec<Parsed>>) -> Self {
        ParsedSender {
            sender,
            batch: Vec::with_capacity(PARSED_BATCH),
        }
    }

    fn push(&mut self, item: Parsed) -> Result<(), ReceiverGone> {
        self.batch.push(item);
        if self.batch.len() < PARSED_BATCH {
            return Ok(());
        }
        self.flush()
    }

    /// Hands over what is batched.
    fn flush(&mut self) -> Result<(), ReceiverGone> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(PARSED_BATCH));
        self.sender.send(batch).map_err(|_| ReceiverGone)
    }
}

impl aero_yaml::Documents for ParsedSender {
    fn document(&mut self, document: aero_yaml::Document) {
        // The receiver only goes away when this thread's results no longer matter.
        let _ = self.push(Parsed::Document(document));
    }

    fn restart(&mut self) {
        let _ = self.push(Parsed::Restart);
    }
}

/// The arena thread's end of [`ParsedSender`]: its items one at a time.
struct ParsedReceiver {
    receiver: std::sync::mpsc::Receiver<Vec<Parsed>>,
    batch: std::vec::IntoIter<Parsed>,
}

impl ParsedReceiver {
    fn new(receiver: std::sync::mpsc::Receiver<Vec<Parsed>>) -> Self {
        ParsedReceiver {
            receiver,
            batch: Vec::new().into_iter(),
        }
    }

    /// The next item; `Err` once the reader has stopped (it panicked: the scope re-raises
    /// that).
    fn next(&mut self) -> Result<Parsed, std::sync::mpsc::RecvError> {
        loop {
            if let Some(item) = self.batch.next() {
                return Ok(item);
            }
            self.batch = self.receiver.recv()?.into_iter();
        }
    }
}

/// Reads the documents of one file into the arena as the YAML loader completes them: a
/// file of 10,000 documents is never held as YAML trees all at once.
struct FileDocuments<'a, 'c> {
    source: SourceId,
    config: &'c LoadConfig,
    loaded: &'a mut Loaded,
    arena: &'a mut Arena,
    /// What `loaded` held before this file (documents, their flags, diagnostics).
    kept: (usize, usize, usize),
}

impl FileDocuments<'_, '_> {
    fn counts(&self) -> (usize, usize, usize) {
        (
            self.loaded.documents.len(),
            self.loaded.failed.len(),
            self.loaded.diagnostics.len(),
        )
    }
}

impl aero_yaml::Documents for FileDocuments<'_, '_> {
    fn document(&mut self, yaml_document: aero_yaml::Document) {
        let (source_id, config) = (self.source, self.config);
        let (loaded, arena) = (&mut *self.loaded, &mut *self.arena);
        if matches!(yaml_document.root.value, Yaml::Null) {
            return;
        }
        let mut reader = EnvelopeReader {
            source: source_id,
            strict: config.check_metadata,
            diagnostics: Vec::new(),
            doc_ref: None,
        };
        if let Some(diagnostic) = pegleg_encrypted(&yaml_document.root, source_id) {
            loaded.diagnostics.push(diagnostic);
            return;
        }
        let root = unwrap_pegleg(&yaml_document.root);
        let index = DocIndex(loaded.documents.len() as u32);
        let document = reader.read(root, index, arena);
        let repeated_keys = if yaml_document.duplicate_keys.is_empty() {
            Vec::new()
        } else {
            duplicate_key_diagnostics(
                &yaml_document.duplicate_keys,
                config.mode,
                source_id,
                document.as_ref().map(Document::doc_ref),
            )
        };
        let duplicate_is_error = config.mode == Mode::Aerostat && !repeated_keys.is_empty();
        if let Some(document) = document {
            loaded.documents.push(document);
            loaded.failed.push(duplicate_is_error);
        }
        loaded.diagnostics.extend(reader.diagnostics);
        loaded.diagnostics.extend(repeated_keys);
    }

    /// Drops what this file added (its nodes stay in the arena, unreachable).
    fn restart(&mut self) {
        let (documents, failed, diagnostics) = self.kept;
        self.loaded.documents.truncate(documents);
        self.loaded.failed.truncate(failed);
        self.loaded.diagnostics.truncate(diagnostics);
    }
}

/// `metadata.substitutions[N]`, written only when a message needs it: most substitutions
/// have no problem to report.
struct SubstitutionPath(usize);

impl std::fmt::Display for SubstitutionPath {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "metadata.substitutions[{}]", self.0)
    }
}

/// What the duplicate keys of one document mean: YAML 1.2 forbids them, so in Aerostat's
/// mode each is an error of the document (P007); PyYAML kept the last value, so in
/// Deckhand's mode the document loads as PyYAML read it and each duplicate is a warning
/// (A011), since the first value was silently lost.
fn duplicate_key_diagnostics(
    repeated_keys: &[aero_yaml::DuplicateKey],
    mode: Mode,
    source: SourceId,
    doc_ref: Option<DocRef>,
) -> Vec<Diagnostic> {
    repeated_keys
        .iter()
        .map(|duplicate| {
            let first = Location {
                source,
                line: duplicate.first.line,
                column: duplicate.first.col,
            };
            let mut diagnostic = match mode {
                Mode::Aerostat => Diagnostic::error(
                    ErrorKind::InvalidYaml,
                    format!("duplicate key `{}`", duplicate.key),
                )
                .with_hint("YAML 1.2 forbids a key twice in one mapping: keep one (with --compat deckhand the last one wins, as in PyYAML)"),
                Mode::Deckhand => Diagnostic::lint(
                    "A011",
                    Severity::Warning,
                    format!("duplicate key `{}`: the later value is kept, as PyYAML did", duplicate.key),
                )
                .with_hint("remove one of them; YAML 1.2 (Aerostat's default mode) refuses the document"),
            }
            .at(Some(Location {
                source,
                line: duplicate.again.line,
                column: duplicate.again.col,
            }))
            .with_related(Some(first), "first written here");
            if let Some(doc_ref) = &doc_ref {
                diagnostic = diagnostic.in_document(doc_ref.clone());
            }
            diagnostic
        })
        .collect()
}

/// A Pegleg-managed document still encrypted by Pegleg (its `managedDocument` is a
/// Fernet token, not a document) cannot be rendered; say how to bring it over.
fn pegleg_encrypted(root: &Node, source: SourceId) -> Option<Diagnostic> {
    if get_str(root, "schema") != Some(PEGLEG_MANAGED_SCHEMA) {
        return None;
    }
    let data = get(root, "data")?;
    let inner = get(data, "managedDocument");
    if inner.is_some_and(|inner| matches!(inner.value, Yaml::Map(_))) {
        return None;
    }
    let name = get(root, "metadata")
        .and_then(|metadata| get_str(metadata, "name"))
        .unwrap_or("?");
    Some(
        Diagnostic::error(
            ErrorKind::EncryptionSourceNotFound,
            format!("`{name}` is a Pegleg-encrypted managed document"),
        )
        .at(Some(Location { source, line: root.span.start.line, column: root.span.start.col }))
        .with_path("data.managedDocument")
        .with_hint("convert it with `aero secrets import-pegleg SITE` (needs PEGLEG_PASSPHRASE and PEGLEG_SALT)"),
    )
}

/// `pegleg/PeglegManagedDocument/v1` wraps the real document in `data.managedDocument`.
fn unwrap_pegleg(root: &Node) -> &Node {
    if get_str(root, "schema") == Some(PEGLEG_MANAGED_SCHEMA)
        && let Some(inner) = get(root, "data").and_then(|data| get(data, "managedDocument"))
        && matches!(inner.value, Yaml::Map(_))
    {
        return inner;
    }
    root
}

/// Looks up a key of a YAML mapping.
pub fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        Yaml::Map(entries) => entries
            .iter()
            .rev()
            .find(|(entry_key, _)| matches!(&entry_key.value, Yaml::Str(text) if text == key))
            .map(|(_, value)| value),
        _ => None,
    }
}

fn get_str<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    match get(node, key).map(|value| &value.value) {
        Some(Yaml::Str(text)) => Some(text),
        _ => None,
    }
}

fn yaml_type(node: &Node) -> &'static str {
    match node.value {
        Yaml::Null => "null",
        Yaml::Bool(_) => "boolean",
        Yaml::Int(_) => "integer",
        Yaml::Float(_) => "float",
        Yaml::Str(_) => "string",
        Yaml::Seq(_) => "list",
        Yaml::Map(_) => "mapping",
    }
}

/// Converts YAML to JSON with keys stringified as the value arena does.
pub fn yaml_to_json(node: &Node) -> serde_json::Value {
    match &node.value {
        Yaml::Null => serde_json::Value::Null,
        Yaml::Bool(flag) => serde_json::Value::Bool(*flag),
        Yaml::Int(number) => serde_json::Value::from(*number),
        Yaml::Float(number) => serde_json::Number::from_f64(*number)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Yaml::Str(text) => serde_json::Value::String(text.clone()),
        Yaml::Seq(items) => serde_json::Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(key, value)| (key.key_text().into_owned(), yaml_to_json(value)))
                .collect(),
        ),
    }
}

struct EnvelopeReader {
    source: SourceId,
    /// Whether the rules that only Deckhand's schemas impose are checked (see
    /// [`LoadConfig::check_metadata`]); what the engine itself needs is always checked.
    strict: bool,
    diagnostics: Vec<Diagnostic>,
    doc_ref: Option<DocRef>,
}

const DOCUMENT_METADATA_KEYS: &[&str] = &[
    "schema",
    "name",
    "storagePolicy",
    "layeringDefinition",
    "labels",
    "replacement",
    "substitutions",
];

impl EnvelopeReader {
    fn location(&self, node: &Node) -> Location {
        Location {
            source: self.source,
            line: node.span.start.line,
            column: node.span.start.col,
        }
    }

    fn fail(
        &mut self,
        node: &Node,
        path: &dyn std::fmt::Display,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        let mut diagnostic = Diagnostic::error(ErrorKind::InvalidDocumentFormat, message)
            .at(Some(self.location(node)))
            .with_path(path.to_string());
        if let Some(doc_ref) = &self.doc_ref {
            diagnostic = diagnostic.in_document(doc_ref.clone());
        }
        if let Some(hint) = hint {
            diagnostic = diagnostic.with_hint(hint);
        }
        self.diagnostics.push(diagnostic);
    }

    /// A [`EnvelopeReader::schema_rule`] for every key of `entries` not in `allowed`, at
    /// `{parent}.{key}` (or the key alone at the top level); `message` says what is wrong
    /// with the key it is given.
    fn unexpected_keys(
        &mut self,
        entries: &[(Node, Node)],
        allowed: &[&str],
        parent: Option<&dyn std::fmt::Display>,
        message: impl Fn(&str) -> String,
        hint: Option<&str>,
    ) {
        for (key, _) in entries {
            let key_text = key.key_text();
            if allowed.contains(&&*key_text) {
                continue;
            }
            let message = message(&key_text);
            match parent {
                Some(parent) => {
                    self.schema_rule(key, &format_args!("{parent}.{key_text}"), message, hint)
                }
                None => self.schema_rule(key, &key_text, message, hint),
            }
        }
    }

    /// A rule of Deckhand's base and metadata schemas (`deckhand/engine/schemas/
    /// base_schema.yaml`, `metadata_document.yaml`, `metadata_control.yaml`) that the
    /// engine does not need: reported only when metadata is checked.
    fn schema_rule(
        &mut self,
        node: &Node,
        path: &dyn std::fmt::Display,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        if self.strict {
            self.fail(node, path, message, hint);
        }
    }

    fn expect_str<'a>(
        &mut self,
        parent: &'a Node,
        key: &str,
        path: &dyn std::fmt::Display,
        required: bool,
    ) -> Option<&'a str> {
        match get(parent, key) {
            Some(Node {
                value: Yaml::Str(text),
                ..
            }) => Some(text),
            Some(other) => {
                self.fail(
                    other,
                    path,
                    format!("`{path}` must be a string, found a {}", yaml_type(other)),
                    None,
                );
                None
            }
            None => {
                if required {
                    self.fail(parent, path, format!("`{path}` is required"), None);
                }
                None
            }
        }
    }

    fn expect_bool(&mut self, parent: &Node, key: &str, path: &dyn std::fmt::Display) -> bool {
        match get(parent, key) {
            Some(Node {
                value: Yaml::Bool(flag),
                ..
            }) => *flag,
            Some(Node {
                value: Yaml::Null, ..
            })
            | None => false,
            // Deckhand's engine reads these flags as `value is True`: anything else is
            // false, and only its schemas refuse it.
            Some(other) => {
                self.schema_rule(
                    other,
                    path,
                    format!(
                        "`{path}` must be true or false, found a {}",
                        yaml_type(other)
                    ),
                    None,
                );
                false
            }
        }
    }

    fn read(&mut self, root: &Node, index: DocIndex, arena: &mut Arena) -> Option<Document> {
        let before = self.diagnostics.len();
        let Yaml::Map(entries) = &root.value else {
            self.fail(
                root,
                &"",
                format!(
                    "a document must be a mapping with `schema`, `metadata` and `data`, found a {}",
                    yaml_type(root)
                ),
                None,
            );
            return None;
        };
        let schema_node = get(root, "schema");
        let metadata_node = get(root, "metadata");
        let name = metadata_node.and_then(|metadata| get_str(metadata, "name"));
        let layer = metadata_node
            .and_then(|metadata| get(metadata, "layeringDefinition"))
            .and_then(|definition| get_str(definition, "layer"));
        if let (Some(schema), Some(name)) = (
            schema_node.and_then(|node| match &node.value {
                Yaml::Str(text) => Some(text.as_str()),
                _ => None,
            }),
            name,
        ) {
            self.doc_ref = Some(DocRef {
                schema: schema.to_string(),
                name: name.to_string(),
                layer: layer.map(str::to_string),
            });
        }
        self.unexpected_keys(
            entries,
            &["schema", "metadata", "data"],
            None,
            |key| format!("unexpected top-level key `{key}`"),
            Some("a document has exactly `schema`, `metadata` and `data`"),
        );
        let schema = self
            .expect_str(root, "schema", &"schema", true)
            .map(str::to_string);
        if let (Some(schema), Some(node)) = (&schema, schema_node)
            && !is_valid_schema_name(schema)
        {
            self.schema_rule(
                node,
                &"schema",
                format!("schema `{schema}` does not have the form namespace/Kind/vN"),
                Some("for example `armada/Chart/v2`"),
            );
        }
        let Some(metadata) = metadata_node else {
            self.fail(root, &"metadata", "`metadata` is required", None);
            return None;
        };
        if !matches!(metadata.value, Yaml::Map(_)) {
            self.fail(
                metadata,
                &"metadata",
                format!(
                    "`metadata` must be a mapping, found a {}",
                    yaml_type(metadata)
                ),
                None,
            );
            return None;
        }
        let metadata_schema = self.expect_str(metadata, "schema", &"metadata.schema", self.strict);
        let kind = match metadata_schema {
            Some(text) if text.starts_with("metadata/Document/v") => Some(MetadataKind::Document),
            Some(text) if text.starts_with("metadata/Control/v") => Some(MetadataKind::Control),
            Some(text) if self.strict => {
                let node = get(metadata, "schema").unwrap_or(metadata);
                self.fail(
                    node,
                    &"metadata.schema",
                    format!("`metadata.schema` is `{text}`, expected `metadata/Document/v1` or `metadata/Control/v1`"),
                    None,
                );
                None
            }
            // Deckhand's engine treats every document that is not `metadata/Control` as an
            // application document.
            _ if !self.strict => Some(MetadataKind::Document),
            _ => None,
        };
        let name = self
            .expect_str(metadata, "name", &"metadata.name", true)
            .map(str::to_string);
        let labels = self.read_labels(metadata, kind);
        let mut document_parts = None;
        if kind == Some(MetadataKind::Document) {
            document_parts = self.read_document_metadata(metadata);
        }
        if self.diagnostics.len() > before {
            return None;
        }
        let (schema, name, kind) = (schema?, name?, kind?);
        let is_secret_kind = crate::secret_kinds::is_secret_schema(&schema);
        let parts = document_parts.unwrap_or_default();
        let secret = parts.storage_policy == StoragePolicy::Encrypted || is_secret_kind;
        let origin = arena.add_origin(Origin {
            kind: OriginKind::Literal {
                doc: index,
                source: self.source,
            },
            secret,
        });
        // Metadata is never secret, even in a secret document.
        let metadata_origin = arena.add_origin(Origin {
            kind: OriginKind::Literal {
                doc: index,
                source: self.source,
            },
            secret: false,
        });
        let data = match get(root, "data") {
            Some(node) => arena.from_yaml(node, origin),
            None => arena.add(
                crate::value::Value::Null,
                origin,
                root.span.start.line,
                root.span.start.col,
            ),
        };
        Some(Document {
            index,
            source: self.source,
            location: self.location(root),
            schema,
            name,
            kind,
            layer: parts.layer,
            is_abstract: parts.is_abstract,
            labels,
            parent_selector: parts.parent_selector,
            actions: parts.actions,
            substitutions: parts.substitutions,
            replacement: parts.replacement,
            storage_policy: parts.storage_policy,
            metadata: arena.from_yaml(metadata, metadata_origin),
            data,
            encrypted_at_rest: false,
            origin,
        })
    }

    fn read_labels(
        &mut self,
        metadata: &Node,
        kind: Option<MetadataKind>,
    ) -> serde_json::Map<String, serde_json::Value> {
        match get(metadata, "labels") {
            None
            | Some(Node {
                value: Yaml::Null, ..
            }) => serde_json::Map::new(),
            Some(
                node @ Node {
                    value: Yaml::Map(entries),
                    ..
                },
            ) => {
                if kind == Some(MetadataKind::Control) {
                    for (key, value) in entries {
                        if !matches!(value.value, Yaml::Str(_)) {
                            let key_text = key.key_text();
                            self.schema_rule(
                                value,
                                &format_args!("metadata.labels.{key_text}"),
                                "labels of a control document must be strings",
                                None,
                            );
                        }
                    }
                }
                match yaml_to_json(node) {
                    serde_json::Value::Object(map) => map,
                    _ => serde_json::Map::new(),
                }
            }
            Some(other) => {
                self.fail(
                    other,
                    &"metadata.labels",
                    format!(
                        "`metadata.labels` must be a mapping, found a {}",
                        yaml_type(other)
                    ),
                    None,
                );
                serde_json::Map::new()
            }
        }
    }

    fn read_document_metadata(&mut self, metadata: &Node) -> Option<DocumentParts> {
        let mut parts = DocumentParts::default();
        if let Yaml::Map(entries) = &metadata.value {
            self.unexpected_keys(
                entries,
                DOCUMENT_METADATA_KEYS,
                Some(&"metadata"),
                |key| format!("unexpected key `metadata.{key}`"),
                Some("metadata/Document/v1 allows schema, name, storagePolicy, layeringDefinition, labels, replacement, substitutions"),
            );
        }
        let storage_policy = self.expect_str(
            metadata,
            "storagePolicy",
            &"metadata.storagePolicy",
            self.strict,
        );
        match storage_policy {
            Some("cleartext") => parts.storage_policy = StoragePolicy::Cleartext,
            Some("encrypted") => parts.storage_policy = StoragePolicy::Encrypted,
            // Deckhand's engine: encrypted only when it says `encrypted`.
            Some(other) => {
                let node = get(metadata, "storagePolicy").unwrap_or(metadata);
                self.schema_rule(
                    node,
                    &"metadata.storagePolicy",
                    format!(
                        "`metadata.storagePolicy` is `{other}`, expected `cleartext` or `encrypted`"
                    ),
                    None,
                );
            }
            None => {}
        }
        parts.replacement = self.expect_bool(metadata, "replacement", &"metadata.replacement");
        match get(metadata, "layeringDefinition") {
            Some(
                definition @ Node {
                    value: Yaml::Map(_),
                    ..
                },
            ) => self.read_layering(definition, &mut parts),
            // Without one the document has no layer and no parent, which Deckhand's
            // engine accepts; only its schema requires one.
            Some(other) => self.schema_rule(
                other,
                &"metadata.layeringDefinition",
                format!(
                    "`metadata.layeringDefinition` must be a mapping, found a {}",
                    yaml_type(other)
                ),
                None,
            ),
            None => self.schema_rule(
                metadata,
                &"metadata.layeringDefinition",
                "`metadata.layeringDefinition` is required",
                Some("add `layeringDefinition: {abstract: false, layer: site}`"),
            ),
        }
        match get(metadata, "substitutions") {
            None
            | Some(Node {
                value: Yaml::Null, ..
            }) => {}
            Some(Node {
                value: Yaml::Seq(items),
                ..
            }) => {
                for (position, item) in items.iter().enumerate() {
                    if let Some(substitution) = self.read_substitution(item, position) {
                        parts.substitutions.push(substitution);
                    }
                }
            }
            Some(other) => self.fail(
                other,
                &"metadata.substitutions",
                format!(
                    "`metadata.substitutions` must be a list, found a {}",
                    yaml_type(other)
                ),
                None,
            ),
        }
        Some(parts)
    }

    fn read_layering(&mut self, definition: &Node, parts: &mut DocumentParts) {
        let layer = self.expect_str(
            definition,
            "layer",
            &"metadata.layeringDefinition.layer",
            self.strict,
        );
        parts.layer = layer.map(str::to_string);
        parts.is_abstract = self.expect_bool(
            definition,
            "abstract",
            &"metadata.layeringDefinition.abstract",
        );
        if let Yaml::Map(entries) = &definition.value {
            self.unexpected_keys(
                entries,
                &["layer", "abstract", "parentSelector", "actions"],
                Some(&"metadata.layeringDefinition"),
                |key| format!("unexpected key `{key}` in layeringDefinition"),
                Some("layeringDefinition allows layer, abstract, parentSelector, actions"),
            );
        }
        let selector_node = get(definition, "parentSelector");
        match selector_node {
            None
            | Some(Node {
                value: Yaml::Null, ..
            }) => {}
            Some(
                node @ Node {
                    value: Yaml::Map(entries),
                    ..
                },
            ) => {
                // An empty selector selects nothing in Deckhand's engine (`if
                // document.parent_selector:`); only its schema refuses it.
                if entries.is_empty() {
                    self.schema_rule(
                        node,
                        &"metadata.layeringDefinition.parentSelector",
                        "`parentSelector` must have at least one label",
                        None,
                    );
                } else if let serde_json::Value::Object(map) = yaml_to_json(node) {
                    parts.parent_selector = Some((map, self.location(node)));
                }
            }
            Some(other) => self.fail(
                other,
                &"metadata.layeringDefinition.parentSelector",
                format!(
                    "`parentSelector` must be a mapping of labels, found a {}",
                    yaml_type(other)
                ),
                None,
            ),
        }
        let actions_node = get(definition, "actions");
        match actions_node {
            None
            | Some(Node {
                value: Yaml::Null, ..
            }) => {}
            Some(
                node @ Node {
                    value: Yaml::Seq(items),
                    ..
                },
            ) => {
                // No actions: Deckhand's engine leaves the data as it is.
                if items.is_empty() {
                    self.schema_rule(
                        node,
                        &"metadata.layeringDefinition.actions",
                        "`actions` must list at least one action",
                        Some("use `[{method: merge, path: .}]` to inherit the parent's data"),
                    );
                }
                for (position, item) in items.iter().enumerate() {
                    if let Some(action) = self.read_action(item, position) {
                        parts.actions.push(action);
                    }
                }
            }
            Some(other) => self.fail(
                other,
                &"metadata.layeringDefinition.actions",
                format!("`actions` must be a list, found a {}", yaml_type(other)),
                None,
            ),
        }
        let has_actions = matches!(
            actions_node,
            Some(Node {
                value: Yaml::Seq(_),
                ..
            })
        );
        // The schema's `dependencies` between the two; the engine layers only a document
        // with both (a selector without actions keeps its data, actions without a
        // selector are never applied).
        if parts.parent_selector.is_some() && !has_actions {
            self.schema_rule(
                definition,
                &"metadata.layeringDefinition",
                "`parentSelector` requires `actions`",
                Some("add `actions: [{method: merge, path: .}]` to inherit the parent's data"),
            );
        }
        if has_actions && selector_node.is_none() {
            self.schema_rule(
                definition,
                &"metadata.layeringDefinition",
                "`actions` require a `parentSelector`",
                Some("name the parent's labels in `parentSelector`"),
            );
        }
    }

    fn read_action(&mut self, item: &Node, position: usize) -> Option<Action> {
        let path = format!("metadata.layeringDefinition.actions[{position}]");
        if !matches!(item.value, Yaml::Map(_)) {
            self.fail(
                item,
                &path,
                "an action must be a mapping with `method` and `path`",
                None,
            );
            return None;
        }
        if let Yaml::Map(entries) = &item.value {
            self.unexpected_keys(
                entries,
                &["method", "path"],
                Some(&path),
                |key| format!("unexpected key `{key}` in an action"),
                None,
            );
        }
        let method_text = self.expect_str(item, "method", &format_args!("{path}.method"), true);
        let path_text = self.expect_str(item, "path", &format_args!("{path}.path"), true);
        let method = match method_text {
            Some("merge") => ActionMethod::Merge,
            Some("replace") => ActionMethod::Replace,
            Some("delete") => ActionMethod::Delete,
            Some(other) => {
                let node = get(item, "method").unwrap_or(item);
                let mut diagnostic = Diagnostic::error(
                    ErrorKind::UnsupportedActionMethod,
                    format!("unsupported layering action method `{other}`"),
                )
                .at(Some(self.location(node)))
                .with_path(format!("{path}.method"))
                .with_hint("use merge, replace or delete");
                if let Some(doc_ref) = &self.doc_ref {
                    diagnostic = diagnostic.in_document(doc_ref.clone());
                }
                self.diagnostics.push(diagnostic);
                return None;
            }
            None => return None,
        };
        let path_text = path_text?.to_string();
        let parsed = match DocPath::parse(&path_text) {
            Ok(parsed) => parsed,
            Err(error) => {
                let node = get(item, "path").unwrap_or(item);
                self.fail(node, &format_args!("{path}.path"), error.to_string(), None);
                return None;
            }
        };
        Some(Action {
            method,
            path: parsed,
            path_text,
            location: self.location(item),
        })
    }

    fn read_substitution(&mut self, item: &Node, position: usize) -> Option<Substitution> {
        let path = SubstitutionPath(position);
        let Yaml::Map(entries) = &item.value else {
            self.fail(
                item,
                &path,
                "a substitution must be a mapping with `src` and `dest`",
                None,
            );
            return None;
        };
        self.unexpected_keys(
            entries,
            &["src", "dest"],
            Some(&path),
            |key| format!("unexpected key `{key}` in a substitution"),
            None,
        );
        let Some(src) = get(item, "src") else {
            self.fail(item, &format_args!("{path}.src"), "`src` is required", None);
            return None;
        };
        if !matches!(src.value, Yaml::Map(_)) {
            self.fail(
                src,
                &format_args!("{path}.src"),
                "`src` must be a mapping",
                None,
            );
            return None;
        }
        if let Yaml::Map(src_entries) = &src.value {
            self.unexpected_keys(
                src_entries,
                &[
                    "schema",
                    "name",
                    "path",
                    "pattern",
                    "match_group",
                    "deepcopy",
                ],
                Some(&format_args!("{path}.src")),
                |key| format!("unexpected key `{key}` in a substitution source"),
                Some("src allows schema, name, path, pattern, match_group, deepcopy"),
            );
        }
        let src_schema = self.expect_str(src, "schema", &format_args!("{path}.src.schema"), true);
        if let Some(schema) = src_schema
            && !is_valid_schema_name(schema)
        {
            let node = get(src, "schema").unwrap_or(src);
            self.schema_rule(
                node,
                &format_args!("{path}.src.schema"),
                format!("`{schema}` is not a schema name (namespace/Kind/vN)"),
                None,
            );
        }
        let src_name = self.expect_str(src, "name", &format_args!("{path}.src.name"), true);
        let src_path_text = self.expect_str(src, "path", &format_args!("{path}.src.path"), true);
        let src_pattern =
            self.expect_str(src, "pattern", &format_args!("{path}.src.pattern"), false);
        let match_group = match get(src, "match_group") {
            None => 0,
            Some(Node {
                value: Yaml::Int(group),
                ..
            }) if *group >= 0 => *group as usize,
            Some(other) => {
                self.fail(
                    other,
                    &format_args!("{path}.src.match_group"),
                    "`match_group` must be a non-negative integer",
                    None,
                );
                0
            }
        };
        let deepcopy = self.expect_bool(src, "deepcopy", &format_args!("{path}.src.deepcopy"));
        let src_path = src_path_text.and_then(|text| match DocPath::parse(text) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                let node = get(src, "path").unwrap_or(src);
                self.fail(
                    node,
                    &format_args!("{path}.src.path"),
                    error.to_string(),
                    None,
                );
                None
            }
        });
        if let Some(pattern) = src_pattern {
            self.check_regex(src, pattern, &format_args!("{path}.src.pattern"));
        }
        // Nearly every substitution has one destination.
        let mut destinations = Vec::with_capacity(1);
        match get(item, "dest") {
            Some(
                dest @ Node {
                    value: Yaml::Map(_),
                    ..
                },
            ) => {
                if let Some(destination) = self.read_destination(dest, &format_args!("{path}.dest"))
                {
                    destinations.push(destination);
                }
            }
            // An empty list substitutes nothing in Deckhand's engine; only its schema
            // (`minItems: 1`) refuses it.
            Some(Node {
                value: Yaml::Seq(items),
                ..
            }) if !items.is_empty() || !self.strict => {
                for (dest_position, dest) in items.iter().enumerate() {
                    if let Some(destination) =
                        self.read_destination(dest, &format_args!("{path}.dest[{dest_position}]"))
                    {
                        destinations.push(destination);
                    }
                }
            }
            Some(other) => self.fail(
                other,
                &format_args!("{path}.dest"),
                "`dest` must be a mapping or a non-empty list of mappings",
                None,
            ),
            None => self.fail(
                item,
                &format_args!("{path}.dest"),
                "`dest` is required",
                None,
            ),
        }
        Some(Substitution {
            src_schema: src_schema?.to_string(),
            src_name: src_name?.to_string(),
            src_path: src_path?,
            src_path_text: src_path_text?.to_string(),
            src_pattern: src_pattern.map(str::to_string),
            match_group,
            deepcopy,
            destinations,
            location: self.location(item),
        })
    }

    fn read_destination(
        &mut self,
        dest: &Node,
        path: &dyn std::fmt::Display,
    ) -> Option<Destination> {
        let Yaml::Map(entries) = &dest.value else {
            self.fail(
                dest,
                path,
                "a destination must be a mapping with `path`",
                None,
            );
            return None;
        };
        self.unexpected_keys(
            entries,
            &["path", "pattern", "recurse"],
            Some(path),
            |key| format!("unexpected key `{key}` in a destination"),
            None,
        );
        let path_text = self
            .expect_str(dest, "path", &format_args!("{path}.path"), true)?
            .to_string();
        let parsed = match DocPath::parse(&path_text) {
            Ok(parsed) => parsed,
            Err(error) => {
                let node = get(dest, "path").unwrap_or(dest);
                self.fail(node, &format_args!("{path}.path"), error.to_string(), None);
                return None;
            }
        };
        let pattern = self
            .expect_str(dest, "pattern", &format_args!("{path}.pattern"), false)
            .map(str::to_string);
        if let Some(pattern) = &pattern {
            self.check_regex(dest, pattern, &format_args!("{path}.pattern"));
        }
        let recurse_depth = match get(dest, "recurse") {
            None
            | Some(Node {
                value: Yaml::Null, ..
            }) => None,
            Some(
                recurse @ Node {
                    value: Yaml::Map(_),
                    ..
                },
            ) => match get(recurse, "depth") {
                Some(Node {
                    value: Yaml::Int(depth),
                    ..
                }) if *depth >= -1 => Some(*depth),
                Some(other) => {
                    self.fail(
                        other,
                        &format_args!("{path}.recurse.depth"),
                        "`recurse.depth` must be an integer of -1 or more",
                        None,
                    );
                    None
                }
                None => {
                    self.fail(
                        recurse,
                        &format_args!("{path}.recurse"),
                        "`recurse.depth` is required",
                        None,
                    );
                    None
                }
            },
            Some(other) => {
                self.fail(
                    other,
                    &format_args!("{path}.recurse"),
                    "`recurse` must be a mapping with `depth`",
                    None,
                );
                None
            }
        };
        if recurse_depth.is_some() && pattern.is_none() {
            self.fail(dest, path, "`recurse` needs a `pattern`", None);
        }
        Some(Destination {
            path: parsed,
            path_text,
            pattern,
            recurse_depth,
        })
    }

    fn check_regex(&mut self, parent: &Node, pattern: &str, path: &dyn std::fmt::Display) {
        if let Err(message) = crate::pattern::compile(pattern) {
            let node = get(parent, "pattern").unwrap_or(parent);
            self.fail(node, path, message, None);
        }
    }
}

#[derive(Default)]
struct DocumentParts {
    layer: Option<String>,
    is_abstract: bool,
    parent_selector: Option<(serde_json::Map<String, serde_json::Value>, Location)>,
    actions: Vec<Action>,
    substitutions: Vec<Substitution>,
    replacement: bool,
    storage_policy: StoragePolicy,
}
