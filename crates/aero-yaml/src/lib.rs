//! YAML loading with source positions (YAML 1.2 and PyYAML-compatible 1.1) and deterministic YAML output.
//!
//! Aerostat reads site documents written for Airship 1.x, which were loaded by PyYAML's
//! `yaml.safe_load` (YAML 1.1 rules), and new documents written against YAML 1.2. Both are loaded
//! by [`load_all`] into a tree of [`Node`]s where every node carries the [`Span`] it came from, so
//! errors and value provenance can say `file:line:col`.
//!
//! - [`load_all`] parses a multi-document stream into events and builds the tree itself: scalar
//!   resolution per [`Dialect`], tags, anchors and aliases (deep copies, counted against
//!   [`LoadOptions::max_nodes`]), merge keys `<<`, duplicate keys and nesting limits are all
//!   handled here. The events come from a fast scanner for the common subset of block YAML
//!   (`fast`), which yields exactly the events `saphyr-parser` would; a document it does not
//!   read is parsed by `saphyr-parser` (`mixed`), and malformed input by `saphyr-parser` alone,
//!   from the start.
//! - [`to_yaml_string`] and [`documents_to_yaml`] render JSON-model values as deterministic block
//!   YAML that both a YAML 1.2 reader and PyYAML read back to the same value.
//! - [`Node::to_json`] converts a loaded node to the JSON model.
//!
//! # Merge keys
//! Merge keys (`<<: *base`, `<<: [*a, *b]`) are a YAML 1.1 type. Aerostat supports them in
//! [`Dialect::Yaml12`] mode too, as a common extension: explicit keys win over merged ones, and
//! earlier maps of a merge sequence win over later ones, as PyYAML does.
//!
//! # Example
//! ```
//! use aero_yaml::{Dialect, LoadOptions, Yaml, load_all};
//!
//! let documents = load_all("---\nname: a\nport: 0755\n", &LoadOptions::new(Dialect::PyYaml11))?;
//! let root = &documents[0].root;
//! let Yaml::Map(entries) = &root.value else { panic!("not a map") };
//! assert_eq!(entries[1].1.value, Yaml::Int(493));
//! assert_eq!((entries[1].1.span.start.line, entries[1].1.span.start.col), (3, 7));
//! assert_eq!(aero_yaml::to_yaml_string(&root.to_json()), "name: a\nport: 493\n");
//! # Ok::<(), aero_yaml::LoadError>(())
//! ```

mod budget;
mod emit;
mod fast;
mod json;
mod load;
mod mixed;
mod position;
mod resolve;
#[doc(hidden)]
pub mod testing;

pub use emit::{STREAM_END, document_to_yaml, documents_to_yaml, to_yaml_string};
pub use load::{Documents, load_all, load_each};

/// A position in the source text: 1-based line and column (column counted in characters), 0-based byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Mark {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub col: u32,
    /// Byte offset into the source text, starting at 0.
    pub offset: usize,
}

/// Start and end of a node in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    /// First position of the node (its anchor or tag if it has one).
    pub start: Mark,
    /// Position just after the node.
    pub end: Mark,
}

/// Which YAML rules resolve plain scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// YAML 1.2 core schema (Aerostat's default): `true`/`false` (and `True`, `TRUE`...),
    /// `null`/`~`/empty, integers (decimal, `0o` octal, `0x` hex), floats, `.inf`/`.nan`.
    Yaml12,
    /// Exactly what PyYAML's `yaml.safe_load` (YAML 1.1) resolves: `yes`/`no`/`on`/`off` booleans
    /// (but not `y`/`n`), `0755` octal, `0b1010`, `0x1F`, `1_000`, sexagesimal `1:30` = 90,
    /// floats that need a dot (`1e3` stays a string, `1.0e+3` is a float, `.5` is a float).
    /// Plain scalars matching PyYAML's timestamp pattern (`2001-12-14`) stay strings with their
    /// original text, where PyYAML would build a `datetime`.
    PyYaml11,
}

/// What to do with a key that appears twice in one mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuplicateKeys {
    /// Refuse the stream with [`LoadErrorKind::DuplicateKey`] at the second key.
    Error,
    /// The later value replaces the earlier one; the key keeps its first position (like a Python dict).
    /// Each duplicate is still listed in its document's [`Document::duplicate_keys`], so a caller
    /// can judge it per document (an error for that document only, or a warning) and load the
    /// rest of the stream normally.
    LastWins,
}

/// A key written twice in one mapping of a document loaded with [`DuplicateKeys::LastWins`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key, as the string [`Node::to_json`] makes of it.
    pub key: String,
    /// Where the key is first written.
    pub first: Mark,
    /// Where it is written again (its value is the one kept).
    pub again: Mark,
}

/// Limits and rules for loading. `LoadOptions::new(dialect)` gives safe defaults.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// How plain scalars are resolved.
    pub dialect: Dialect,
    /// Duplicate key policy; default: `Error` for YAML 1.2, `LastWins` for PyYAML 1.1.
    pub duplicate_keys: DuplicateKeys,
    /// Maximum nesting of collections (the root collection is level 1); default 256.
    pub max_depth: usize,
    /// Total nodes (keys included) produced per call after alias expansion; default 10,000,000.
    /// Stops "billion laughs" inputs before they allocate.
    pub max_nodes: usize,
}

impl LoadOptions {
    /// Safe defaults for `dialect`.
    pub fn new(dialect: Dialect) -> LoadOptions {
        LoadOptions {
            dialect,
            duplicate_keys: match dialect {
                Dialect::Yaml12 => DuplicateKeys::Error,
                Dialect::PyYaml11 => DuplicateKeys::LastWins,
            },
            max_depth: 256,
            max_nodes: 10_000_000,
        }
    }
}

/// A loaded YAML value.
#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in `i64` (larger integers load as [`Yaml::Float`]).
    Int(i64),
    /// A floating point number, possibly infinite or NaN.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// Keys in source order, as nodes (keys may be any scalar; the caller stringifies them).
    Map(Vec<(Node, Node)>),
}

/// A value with the span it was loaded from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Yaml,
    /// Where the value is in the source (for an alias, where the anchored node is).
    pub span: Span,
}

/// One document of a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Root node; an empty document (e.g. `---` alone) is `Yaml::Null`.
    pub root: Node,
    /// Where the document starts (its `---` if explicit, else its first node).
    pub start: Mark,
    /// Whether the document began with an explicit `---` marker.
    pub explicit_start: bool,
    /// Keys written twice in one of the document's mappings, in source order (only with
    /// [`DuplicateKeys::LastWins`]; [`DuplicateKeys::Error`] fails the load instead).
    pub duplicate_keys: Vec<DuplicateKey>,
}

/// Why a YAML stream could not be loaded, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} at line {} column {}", mark.line, mark.col)]
pub struct LoadError {
    /// The kind of failure.
    pub kind: LoadErrorKind,
    /// What went wrong, lower-case, without position.
    pub message: String,
    /// Where it went wrong.
    pub mark: Mark,
}

/// The kind of a [`LoadError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The text is not well-formed YAML.
    Syntax,
    /// A mapping has the same key twice (with [`DuplicateKeys::Error`]).
    DuplicateKey,
    /// An alias names an anchor that is not defined before it in the document.
    UnknownAlias,
    /// A tag other than the supported core tags (e.g. `!include`, `!!python/object`).
    UnknownTag,
    /// A value does not fit its tag or its place (e.g. `!!int abc`, a merge of a scalar).
    InvalidValue,
    /// Collections are nested deeper than [`LoadOptions::max_depth`].
    TooDeep,
    /// More nodes than [`LoadOptions::max_nodes`] after alias expansion.
    TooLarge,
}
