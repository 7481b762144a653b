//! The loader: turns `saphyr-parser` events into [`Document`]s of positioned [`Node`]s.
//!
//! The events come from [`crate::mixed`]: [`crate::fast`] yields saphyr's events for the
//! common subset of block YAML several times faster, and a document it does not read is read
//! by saphyr's parser; after any error the loader starts over on saphyr's parser alone, so
//! error messages and positions are saphyr's.
//!
//! The tree is built with an explicit stack (no recursion), so nesting is limited only by
//! [`LoadOptions::max_depth`] (and, for flow collections, by the parser's own limit of 255
//! levels). Anchored nodes are kept per document; an alias is a deep copy of the anchored node
//! (with the anchored node's span), counted against [`LoadOptions::max_nodes`] before it is
//! copied. Once aliases have copied many nodes, the whole stream is counted first without
//! building it (see [`crate::budget`]), so an alias bomb fails before it allocates much.

use crate::budget::{self, ALIAS_COPIES_BEFORE_CHECK};
use crate::fast::{FastEvents, Unsupported};
use crate::mixed::MixedEvents;
use crate::position::Positions;
use crate::resolve::{self, CoreTag, Invalid};
use crate::{
    Dialect, Document, DuplicateKey, DuplicateKeys, LoadError, LoadErrorKind, LoadOptions, Mark,
    Node, Span, Yaml,
};
use foldhash::{HashMap, HashMapExt as _};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, StrInput, Tag};
use std::borrow::Cow;
use std::convert::Infallible;

/// The prefix `!!` stands for.
const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// Maps larger than this get a hash index for duplicate key checks.
const LINEAR_SCAN_LIMIT: usize = 16;

/// Loads every document of a YAML stream.
///
/// Plain scalars are resolved per [`LoadOptions::dialect`]; quoted and block scalars are
/// always strings. Core tags (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq`,
/// `!!map`, `!!binary` and `!!timestamp`, the last two kept as their text) are honoured; any
/// other tag is an [`LoadErrorKind::UnknownTag`] error, as with PyYAML's safe loader.
/// Merge keys (`<<`) apply in both dialects (see the crate documentation).
///
/// Mapping keys are compared as the strings [`Node::to_json`] makes of them, so `1` and `"1"`
/// are the same key. Under [`Dialect::PyYaml11`] a key must be a scalar (PyYAML refuses
/// unhashable keys); under [`Dialect::Yaml12`] a collection key is kept.
///
/// # Errors
/// A [`LoadError`] with the position of the first problem: malformed YAML, a duplicate key
/// (with [`DuplicateKeys::Error`]), an unknown alias or tag, a value that does not fit its tag,
/// or input beyond [`LoadOptions::max_depth`] or [`LoadOptions::max_nodes`].
pub fn load_all(source: &str, options: &LoadOptions) -> Result<Vec<Document>, LoadError> {
    let mut documents = Vec::new();
    load_each(source, options, &mut documents)?;
    Ok(documents)
}

/// Where [`load_each`] puts the documents of a stream, each as soon as it is complete.
pub trait Documents {
    /// The next document of the stream.
    fn document(&mut self, document: Document);
    /// Forget every document handed over so far: the stream is read again from its start
    /// (after a loading error, to report saphyr's own position for it).
    fn restart(&mut self);
}

impl Documents for Vec<Document> {
    fn document(&mut self, document: Document) {
        self.push(document);
    }

    fn restart(&mut self) {
        self.clear();
    }
}

/// [`load_all`], handing each document to `sink` as soon as it is complete, so that a
/// caller that converts documents (into its own tree) never holds every document of a
/// large stream at once.
///
/// # Errors
/// As [`load_all`]. The stream is then invalid as a whole: documents already handed over
/// belong to it, and a caller that keeps `load_all`'s all-or-nothing meaning discards them.
pub fn load_each(
    source: &str,
    options: &LoadOptions,
    sink: &mut dyn Documents,
) -> Result<(), LoadError> {
    match Loader::new(source, options).run(MixedEvents::new(source), sink) {
        Ok(()) => Ok(()),
        // An error is saphyr's, from the whole stream: saphyr reads tokens ahead of its
        // events and may reject malformed input before the loader's error would show.
        Err(Stop::Load(_)) => {
            sink.restart();
            Loader::new(source, options)
                .run(Parser::new_from_str(source), sink)
                .map_err(|stop| match stop {
                    Stop::Load(error) => error,
                    Stop::Unsupported(never) => match never {},
                })
        }
        Err(Stop::Unsupported(never)) => match never {},
    }
}

/// [`load_all`] with the fast source over the whole stream or nothing (the behaviour before
/// [`MixedEvents`]): for comparisons in benchmarks only.
pub(crate) fn load_all_fast_or_saphyr(
    source: &str,
    options: &LoadOptions,
) -> Result<Vec<Document>, LoadError> {
    let mut documents = Vec::new();
    match Loader::new(source, options).run(FastEvents::new(source), &mut documents) {
        Ok(()) => Ok(documents),
        Err(Stop::Unsupported(_) | Stop::Load(_)) => load_all_with_saphyr(source, options),
    }
}

/// [`load_all`] with `saphyr-parser` events only, skipping the fast source: the reference the
/// fast path is tested against.
pub(crate) fn load_all_with_saphyr(
    source: &str,
    options: &LoadOptions,
) -> Result<Vec<Document>, LoadError> {
    let mut documents = Vec::new();
    match Loader::new(source, options).run(Parser::new_from_str(source), &mut documents) {
        Ok(()) => Ok(documents),
        Err(Stop::Load(error)) => Err(error),
        Err(Stop::Unsupported(never)) => match never {},
    }
}

/// Where the loader's events come from: saphyr's parser, or the fast source for the common
/// subset of YAML (see [`crate::fast`]).
trait EventSource<'input> {
    /// Why the source gives up on an input it cannot read.
    type Unsupported;

    fn next_event(&mut self) -> Option<SourceItem<'input, Self::Unsupported>>;
}

/// One event from an [`EventSource`]: the event and its span, or why the source stopped.
type SourceItem<'input, U> = Result<(Event<'input>, saphyr_parser::Span), SourceError<U>>;

/// Why an event source stopped.
enum SourceError<U> {
    Scan(ScanError),
    Unsupported(U),
}

/// Why a loader run stopped.
enum Stop<U> {
    Load(LoadError),
    Unsupported(U),
}

impl<'input> EventSource<'input> for Parser<'input, StrInput<'input>> {
    type Unsupported = Infallible;

    fn next_event(&mut self) -> Option<SourceItem<'input, Infallible>> {
        Parser::next_event(self).map(|next| next.map_err(SourceError::Scan))
    }
}

impl<'input> EventSource<'input> for MixedEvents<'input> {
    type Unsupported = Infallible;

    #[inline]
    fn next_event(&mut self) -> Option<SourceItem<'input, Infallible>> {
        MixedEvents::next_event(self).map(|next| next.map_err(SourceError::Scan))
    }
}

impl<'input> EventSource<'input> for FastEvents<'input> {
    type Unsupported = Unsupported;

    fn next_event(&mut self) -> Option<SourceItem<'input, Unsupported>> {
        FastEvents::next_event(self).map(|next| next.map_err(SourceError::Unsupported))
    }
}

/// State of one [`load_all`] call.
struct Loader<'source, 'options> {
    source: &'source str,
    options: &'options LoadOptions,
    positions: Positions<'source>,
    /// Nodes copied by aliases so far.
    alias_copies: usize,
    /// Whether the whole stream's node count was checked (see [`budget`]).
    budget_checked: bool,
    /// Anchored nodes of the current document by parser anchor id.
    anchors: HashMap<usize, Anchored>,
    /// Nodes produced so far, aliases counted with their full size.
    nodes_total: usize,
    /// Open collections, innermost last.
    stack: Vec<Frame>,
    /// The document just completed, until it is handed to the sink.
    finished: Option<Document>,
    /// Start mark and explicitness of the current document.
    document_start: Option<(Mark, bool)>,
    /// Root node of the current document, once complete.
    root: Option<Node>,
    /// Items of the open sequences, innermost sequence's last (see [`FrameContent`]).
    seq_items: Vec<Node>,
    /// Entries of the open mappings, innermost mapping's last.
    map_entries: Vec<(Node, Node)>,
    /// Keys the current document has twice (with [`DuplicateKeys::LastWins`]).
    duplicate_keys: Vec<DuplicateKey>,
}

/// An anchored node and how many nodes a copy of it adds.
struct Anchored {
    node: Node,
    node_count: usize,
}

/// An open collection.
struct Frame {
    start: Mark,
    anchor_id: usize,
    /// `nodes_total` before this collection was counted.
    nodes_before: usize,
    content: FrameContent,
}

/// An open collection's children live on the loader's shared stacks (`seq_items` and
/// `map_entries`) from `start` on, and move into a vector of exactly their number when the
/// collection closes: no vector grows (and copies itself) per collection.
enum FrameContent {
    Seq { start: usize },
    Map(MapBuilder),
}

/// A mapping being built.
#[derive(Default)]
struct MapBuilder {
    /// Where the mapping's entries start on the entry stack.
    start: usize,
    /// A key waiting for its value, and whether it is a merge key.
    pending_key: Option<(Node, bool)>,
    /// Values of merge keys, in source order.
    merges: Vec<Node>,
    /// Key string to entry index, once the map is large.
    index: Option<HashMap<String, usize>>,
}

/// What a tag means to the loader.
enum TagMeaning {
    /// `!`: a string for scalars (PyYAML resolves plain scalars as usual).
    NonSpecific,
    Core(CoreTag),
}

impl<'source, 'options> Loader<'source, 'options> {
    fn new(source: &'source str, options: &'options LoadOptions) -> Loader<'source, 'options> {
        Loader {
            source,
            options,
            positions: Positions::new(source),
            alias_copies: 0,
            budget_checked: false,
            anchors: HashMap::new(),
            nodes_total: 0,
            stack: Vec::new(),
            finished: None,
            document_start: None,
            root: None,
            seq_items: Vec::new(),
            map_entries: Vec::new(),
            duplicate_keys: Vec::new(),
        }
    }

    /// Reads the stream, handing each document to `sink` once it is complete.
    fn run<'input, S: EventSource<'input>>(
        mut self,
        mut events: S,
        sink: &mut dyn Documents,
    ) -> Result<(), Stop<S::Unsupported>> {
        while let Some(next) = events.next_event() {
            let (event, span) = match next {
                Ok(item) => item,
                Err(SourceError::Scan(error)) => return Err(Stop::Load(self.scan_error(&error))),
                Err(SourceError::Unsupported(why)) => return Err(Stop::Unsupported(why)),
            };
            if matches!(event, Event::StreamEnd) {
                break;
            }
            let ends_document = matches!(event, Event::DocumentEnd);
            self.event(event, &span).map_err(Stop::Load)?;
            if ends_document && let Some(document) = self.finished.take() {
                sink.document(document);
            }
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: &saphyr_parser::Span) -> Result<(), LoadError> {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(explicit) => {
                self.document_start = Some((self.positions.mark(&span.start), explicit));
            }
            Event::DocumentEnd => self.end_document(span),
            Event::Alias(anchor_id) => self.alias(anchor_id, span)?,
            Event::Scalar(text, style, anchor_id, tag) => {
                self.scalar(text, style, anchor_id, tag.as_deref(), span)?;
            }
            Event::SequenceStart(anchor_id, tag) => {
                let start = self.positions.mark(&span.start);
                self.check_collection_tag(tag.as_deref(), CoreTag::Seq, start)?;
                let items_start = self.seq_items.len();
                self.open(start, anchor_id, FrameContent::Seq { start: items_start })?;
            }
            Event::MappingStart(anchor_id, tag) => {
                let start = self.positions.mark(&span.start);
                self.check_collection_tag(tag.as_deref(), CoreTag::Map, start)?;
                let map = MapBuilder {
                    start: self.map_entries.len(),
                    ..MapBuilder::default()
                };
                self.open(start, anchor_id, FrameContent::Map(map))?;
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
        }
        Ok(())
    }

    fn scan_error(&self, error: &ScanError) -> LoadError {
        let info = error.info();
        let (kind, message) = if info.contains("unknown anchor") {
            (
                LoadErrorKind::UnknownAlias,
                "alias refers to an undefined anchor".to_owned(),
            )
        } else if info.contains("recursion limit exceeded") {
            // The scanner counts flow levels in a `u8`.
            (
                LoadErrorKind::TooDeep,
                "flow collections are nested deeper than 255 levels".to_owned(),
            )
        } else {
            (LoadErrorKind::Syntax, info.to_owned())
        };
        LoadError {
            kind,
            message,
            mark: self.positions.mark(error.marker()),
        }
    }

    fn end_document(&mut self, span: &saphyr_parser::Span) {
        let end = self.positions.mark(&span.start);
        let (start, explicit_start) = self.document_start.take().unwrap_or((end, false));
        let root = self.root.take().unwrap_or(Node {
            value: Yaml::Null,
            span: Span { start, end: start },
        });
        self.finished = Some(Document {
            root,
            start,
            explicit_start,
            duplicate_keys: std::mem::take(&mut self.duplicate_keys),
        });
        self.anchors.clear();
    }

    fn span(&self, span: &saphyr_parser::Span) -> Span {
        Span {
            start: self.positions.mark(&span.start),
            end: self.positions.mark(&span.end),
        }
    }

    /// Counts `count` more nodes, failing beyond the limit.
    fn count_nodes(&mut self, count: usize, mark: Mark) -> Result<(), LoadError> {
        let total = self.nodes_total.saturating_add(count);
        if total > self.options.max_nodes {
            return Err(error(
                LoadErrorKind::TooLarge,
                budget::too_large_message(self.options.max_nodes),
                mark,
            ));
        }
        self.nodes_total = total;
        Ok(())
    }

    /// Whether the next completed node is a mapping key.
    fn in_key_position(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame { content: FrameContent::Map(map), .. }) if map.pending_key.is_none()
        )
    }

    fn alias(&mut self, anchor_id: usize, span: &saphyr_parser::Span) -> Result<(), LoadError> {
        let mark = self.positions.mark(&span.start);
        let Some(anchored) = self.anchors.get(&anchor_id) else {
            // The parser knows the anchor but its node is not complete: the alias is inside it.
            return Err(error(
                LoadErrorKind::UnknownAlias,
                "alias refers to an anchor whose node contains the alias".to_owned(),
                mark,
            ));
        };
        let node_count = anchored.node_count;
        self.count_nodes(node_count, mark)?;
        self.alias_copies = self.alias_copies.saturating_add(node_count);
        if !self.budget_checked && self.alias_copies > ALIAS_COPIES_BEFORE_CHECK {
            // Heavy alias use: find out now, without allocating, whether the stream fits.
            self.budget_checked = true;
            if let Some(error) =
                budget::find_node_overflow(self.source, &self.positions, self.options)
            {
                return Err(error);
            }
        }
        let node = self
            .anchors
            .get(&anchor_id)
            .map(|anchored| anchored.node.clone())
            .unwrap_or(Node {
                value: Yaml::Null,
                span: Span {
                    start: mark,
                    end: mark,
                },
            });
        self.complete(node, false)
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor_id: usize,
        tag: Option<&Tag>,
        span: &saphyr_parser::Span,
    ) -> Result<(), LoadError> {
        let span = Span {
            start: budget::scalar_start(&self.positions, span, style, anchor_id, tag.is_some()),
            end: self.positions.mark(&span.end),
        };
        let in_key = self.in_key_position();
        let dialect = self.options.dialect;
        let plain = style == ScalarStyle::Plain;
        let meaning = tag.map(|tag| tag_meaning(tag, span.start)).transpose()?;
        let is_merge = in_key
            && match meaning {
                None => plain && text == "<<",
                Some(TagMeaning::Core(CoreTag::Merge)) => true,
                Some(_) => false,
            };
        let as_string = is_merge
            || match meaning {
                Some(TagMeaning::Core(_)) => false,
                Some(TagMeaning::NonSpecific) => !(plain && dialect == Dialect::PyYaml11),
                // PyYAML turns a `=` key into a string.
                None => !plain || (in_key && text == "="),
            };
        let resolved = match meaning {
            _ if as_string => Ok(Yaml::Str(text.into_owned())),
            Some(TagMeaning::Core(core)) => resolve::tagged(&text, core, dialect),
            _ => resolve::plain(text, dialect),
        };
        let value = resolved.map_err(|invalid| invalid_error(invalid, span.start))?;
        self.count_nodes(1, span.start)?;
        let node = Node { value, span };
        if anchor_id != 0 {
            self.anchors.insert(
                anchor_id,
                Anchored {
                    node: node.clone(),
                    node_count: 1,
                },
            );
        }
        self.complete(node, is_merge)
    }

    fn check_collection_tag(
        &self,
        tag: Option<&Tag>,
        expected: CoreTag,
        mark: Mark,
    ) -> Result<(), LoadError> {
        match tag.map(|tag| tag_meaning(tag, mark)).transpose()? {
            None | Some(TagMeaning::NonSpecific) => Ok(()),
            Some(TagMeaning::Core(core)) if core == expected => Ok(()),
            Some(TagMeaning::Core(core)) => Err(error(
                LoadErrorKind::InvalidValue,
                format!(
                    "tag {} cannot apply to a {}",
                    core.name(),
                    if expected == CoreTag::Seq {
                        "sequence"
                    } else {
                        "mapping"
                    }
                ),
                mark,
            )),
        }
    }

    fn open(
        &mut self,
        start: Mark,
        anchor_id: usize,
        content: FrameContent,
    ) -> Result<(), LoadError> {
        if self.stack.len() >= self.options.max_depth {
            return Err(error(
                LoadErrorKind::TooDeep,
                format!(
                    "collections are nested deeper than {} levels",
                    self.options.max_depth
                ),
                start,
            ));
        }
        let nodes_before = self.nodes_total;
        self.count_nodes(1, start)?;
        self.stack.push(Frame {
            start,
            anchor_id,
            nodes_before,
            content,
        });
        Ok(())
    }

    fn close(&mut self, span: &saphyr_parser::Span) -> Result<(), LoadError> {
        let Some(frame) = self.stack.pop() else {
            return Err(error(
                LoadErrorKind::Syntax,
                "unexpected end of a collection".to_owned(),
                self.positions.mark(&span.start),
            ));
        };
        let closing = self.span(span);
        let (value, last_child_end) = match frame.content {
            FrameContent::Seq { start } => {
                let items = self.seq_items.split_off(start);
                let last_end = items.last().map(|item| item.span.end);
                (Yaml::Seq(items), last_end)
            }
            FrameContent::Map(map) => {
                let entries = self.map_entries.split_off(map.start);
                let last_end = entries.last().map(|(_, value)| value.span.end);
                let last_end = match (last_end, map.merges.last()) {
                    (Some(entry_end), Some(merge)) => Some(entry_end.max_by_offset(merge.span.end)),
                    (entry_end, merge) => entry_end.or(merge.map(|merge| merge.span.end)),
                };
                (Yaml::Map(finish_map(map, entries)?), last_end)
            }
        };
        // Flow collections end at their closing bracket; block collections (whose end event is
        // empty, placed at the next token) end with their last child.
        let end = if closing.end.offset > closing.start.offset {
            closing.end
        } else {
            last_child_end.unwrap_or(frame.start)
        };
        let node = Node {
            value,
            span: Span {
                start: frame.start,
                end,
            },
        };
        if frame.anchor_id != 0 {
            self.anchors.insert(
                frame.anchor_id,
                Anchored {
                    node: node.clone(),
                    node_count: self.nodes_total - frame.nodes_before,
                },
            );
        }
        self.complete(node, false)
    }

    /// Places a finished node in its parent (or as the document root).
    fn complete(&mut self, node: Node, is_merge_key: bool) -> Result<(), LoadError> {
        let dialect = self.options.dialect;
        let duplicate_keys = self.options.duplicate_keys;
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut frame.content {
            FrameContent::Seq { .. } => self.seq_items.push(node),
            FrameContent::Map(map) => match map.pending_key.take() {
                None => {
                    if dialect == Dialect::PyYaml11
                        && matches!(node.value, Yaml::Seq(_) | Yaml::Map(_))
                    {
                        return Err(error(
                            LoadErrorKind::InvalidValue,
                            "a mapping key must be a scalar (PyYAML refuses unhashable keys)"
                                .to_owned(),
                            node.span.start,
                        ));
                    }
                    map.pending_key = Some((node, is_merge_key));
                }
                Some((_, true)) => {
                    check_merge_value(&node)?;
                    map.merges.push(node);
                }
                Some((key, false)) => {
                    map.insert_explicit(
                        &mut self.map_entries,
                        key,
                        node,
                        duplicate_keys,
                        Some(&mut self.duplicate_keys),
                    )?;
                }
            },
        }
        Ok(())
    }
}

/// Applies merge keys: merged entries first (earlier maps of a sequence win over later
/// ones), then explicit entries, which win over merged ones; a key keeps its first position.
fn finish_map(map: MapBuilder, entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, LoadError> {
    if map.merges.is_empty() {
        return Ok(entries);
    }
    let mut merged: Vec<(Node, Node)> = Vec::new();
    for merge in map.merges {
        match merge.value {
            Yaml::Map(entries) => merged.extend(entries),
            Yaml::Seq(items) => {
                let mut maps = Vec::with_capacity(items.len());
                for item in items {
                    match item.value {
                        Yaml::Map(entries) => maps.push(entries),
                        _ => return Err(merge_error(item.span.start)),
                    }
                }
                merged.extend(maps.into_iter().rev().flatten());
            }
            _ => return Err(merge_error(merge.span.start)),
        }
    }
    let mut result = MapBuilder::default();
    let mut result_entries = Vec::new();
    for (key, value) in merged.into_iter().chain(entries) {
        result.insert_explicit(
            &mut result_entries,
            key,
            value,
            DuplicateKeys::LastWins,
            None,
        )?;
    }
    Ok(result_entries)
}

impl MapBuilder {
    /// Adds an entry to this mapping's entries (`all_entries` from `self.start` on), applying
    /// the duplicate key policy. With [`DuplicateKeys::LastWins`], a replaced key is listed
    /// in `repeated` when given (a merged entry that an explicit one overrides is not a
    /// repeated key, so merges give none).
    fn insert_explicit(
        &mut self,
        all_entries: &mut Vec<(Node, Node)>,
        key: Node,
        value: Node,
        policy: DuplicateKeys,
        repeated: Option<&mut Vec<DuplicateKey>>,
    ) -> Result<(), LoadError> {
        let start = self.start.min(all_entries.len());
        let entries = &mut all_entries[start..];
        let key_text = key.key_text();
        let existing = match &self.index {
            Some(index) => index.get(key_text.as_ref()).copied(),
            None => entries
                .iter()
                .position(|(existing, _)| existing.key_text() == key_text),
        };
        if let Some(existing_index) = existing {
            return match policy {
                DuplicateKeys::LastWins => {
                    if let Some(entry) = entries.get_mut(existing_index) {
                        entry.1 = value;
                        if let Some(repeated) = repeated {
                            repeated.push(DuplicateKey {
                                key: key_text.into_owned(),
                                first: entry.0.span.start,
                                again: key.span.start,
                            });
                        }
                    }
                    Ok(())
                }
                DuplicateKeys::Error => {
                    let first = entries
                        .get(existing_index)
                        .map(|(existing, _)| existing.span.start)
                        .unwrap_or_default();
                    Err(error(
                        LoadErrorKind::DuplicateKey,
                        format!(
                            "duplicate key {:?} (first at line {} column {})",
                            key_text, first.line, first.col
                        ),
                        key.span.start,
                    ))
                }
            };
        }
        let count = entries.len();
        if let Some(index) = &mut self.index {
            index.insert(key_text.into_owned(), count);
        } else if count >= LINEAR_SCAN_LIMIT {
            let mut index: HashMap<String, usize> = entries
                .iter()
                .enumerate()
                .map(|(position, (existing, _))| (existing.key_text().into_owned(), position))
                .collect();
            index.insert(key_text.into_owned(), count);
            self.index = Some(index);
        }
        all_entries.push((key, value));
        Ok(())
    }
}

impl Mark {
    fn max_by_offset(self, other: Mark) -> Mark {
        if other.offset > self.offset {
            other
        } else {
            self
        }
    }
}

fn tag_meaning(tag: &Tag, mark: Mark) -> Result<TagMeaning, LoadError> {
    if tag.handle.is_empty() && tag.suffix == "!" {
        return Ok(TagMeaning::NonSpecific);
    }
    let core_suffix = if tag.handle == CORE_TAG_PREFIX {
        Some(tag.suffix.as_str())
    } else if tag.handle.is_empty() {
        tag.suffix.strip_prefix(CORE_TAG_PREFIX)
    } else {
        None
    };
    if let Some(core) = core_suffix.and_then(CoreTag::from_suffix) {
        return Ok(TagMeaning::Core(core));
    }
    let shown = match core_suffix {
        Some(suffix) => format!("!!{suffix}"),
        None => tag.to_string(),
    };
    Err(error(
        LoadErrorKind::UnknownTag,
        format!("unsupported tag {shown}"),
        mark,
    ))
}

fn check_merge_value(value: &Node) -> Result<(), LoadError> {
    match &value.value {
        Yaml::Map(_) => Ok(()),
        Yaml::Seq(items) => match items
            .iter()
            .find(|item| !matches!(item.value, Yaml::Map(_)))
        {
            Some(item) => Err(merge_error(item.span.start)),
            None => Ok(()),
        },
        _ => Err(merge_error(value.span.start)),
    }
}

fn merge_error(mark: Mark) -> LoadError {
    error(
        LoadErrorKind::InvalidValue,
        "a merge key `<<` needs a mapping or a sequence of mappings".to_owned(),
        mark,
    )
}

fn invalid_error(invalid: Invalid, mark: Mark) -> LoadError {
    error(invalid.kind, invalid.message, mark)
}

fn error(kind: LoadErrorKind, message: String, mark: Mark) -> LoadError {
    LoadError {
        kind,
        message,
        mark,
    }
}
