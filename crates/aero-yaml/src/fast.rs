//! A fast event source for the common subset of block YAML, with `saphyr-parser` as the fallback.
//!
//! Site documents are almost always plain block YAML: mappings and sequences, one-line plain or
//! quoted scalars, comments and `---` markers. `saphyr-parser` handles all of YAML, and pays for
//! it on every byte; it was most of the time spent rendering a large site. [`FastEvents`] reads
//! that common subset line by line and yields exactly the `(Event, Span)` sequence saphyr's
//! `Parser` would (same events, styles and markers), so the loader cannot tell them apart.
//!
//! Anything outside the subset, and anything malformed, makes the source report
//! [`Unsupported`]. Events come out a whole document at a time, so the documents before the
//! one it gives up on stand, and saphyr reads from where that one begins (see
//! [`crate::mixed`]); errors and rare constructs keep saphyr's behaviour and messages. The subset is checked against saphyr by differential tests,
//! a proptest and a fuzz target (see `fast/tests.rs` and `fuzz/fuzz_targets/fast_events.rs`).
//!
//! Supported: documents (`---`, `...`, implicit and empty ones), comments, block mappings and
//! sequences at any indentation (compact `- key: value` and `- - x`, sequences indented or not
//! under a key), plain scalars (over several lines inside a block collection), single- and
//! double-quoted scalars (escapes included; over several lines inside a block collection, as values
//! and entries), literal and folded block scalars with any chomping, flow sequences and mappings
//! (nested, with plain and quoted scalars, empty values, lone keys and trailing commas) as values,
//! sequence entries and root nodes, over several lines inside a block collection (with comments
//! between tokens, every line deeper than the collection), and anchors and aliases of values and
//! entries (numbered through the stream as saphyr numbers them; merge keys are the loader's), in
//! UTF-8 text (markers count characters: a table of the input's multi-byte characters turns byte
//! offsets into saphyr's indexes and columns). Not supported (saphyr takes over): tabs, `\r` and
//! other control characters, byte order marks, anchor names that are not ASCII, tags, directives,
//! explicit keys, anchors of keys and root nodes, aliases of another document's anchors, aliases
//! inside flow collections, block scalar indentation indicators and block scalars at indentation 0,
//! multi-line scalars at the root or holding what saphyr reads as a key or comment, flow
//! collections over several lines at the root or with a line not deeper than the block collection,
//! flow keys and values on another line than their `:`, flow plain scalars over several lines, flow
//! collections as keys, pairs inside flow sequences (`[a: b]`), `?` and `:` starting a flow scalar,
//! a flow key's `:` not followed by a space, and keys longer than saphyr's simple key limit.

use saphyr_parser::{Event, Marker, ScalarStyle, Span};
use std::borrow::Cow;
use std::collections::VecDeque;

#[cfg(test)]
mod tests;

/// The input is outside the subset [`FastEvents`] handles (or is malformed); parse it with
/// `saphyr-parser` instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unsupported;

/// Keys longer than this (up to their `:`) are left to saphyr, which refuses simple keys longer
/// than 1024 characters.
const MAX_KEY_LENGTH: usize = 1000;

/// Flow collections nested deeper than this are left to saphyr, which limits nesting.
const MAX_FLOW_DEPTH: usize = 64;

/// Yields saphyr-identical events for the supported subset of YAML (see the module docs).
pub(crate) struct FastEvents<'input> {
    source: &'input str,
    bytes: &'input [u8],
    /// saphyr's markers count characters, offsets here are bytes.
    chars: CharIndex,
    /// The first byte this source may not read (a tab, `\r`, control byte or byte order
    /// mark), or the length of the input: a line reaching it is unsupported.
    limit: usize,
    /// How many events at the front of the queue belong to finished documents: only those
    /// are handed out, so a document this source gives up on yields no event at all.
    committed: usize,
    /// Where the first document not yet finished begins (see [`FastEvents::resume_point`]).
    resume: Resume,
    /// Byte offset of the next line to read (offsets are bytes; markers are made of them
    /// through `chars`).
    next_line: usize,
    /// 1-based number of the next line to read.
    next_line_number: usize,
    /// Start, end (before its `\n`) and number of the line being read.
    line_start: usize,
    line_end: usize,
    line_number: usize,
    /// Events produced but not yet returned.
    queue: VecDeque<(Event<'input>, Span)>,
    /// Open block collections, innermost last.
    frames: Vec<Frame>,
    pending: Pending,
    phase: Phase,
    /// The id the next anchor gets: saphyr numbers anchors through the whole stream from 1,
    /// so a source resumed after other readers continues their numbering.
    next_anchor_id: usize,
    /// `next_anchor_id` when the last document was finished (see [`FastEvents::anchor_ids_used`]).
    committed_anchor_id: usize,
    /// The anchors of the current document and their ids, in the order defined (a name may be
    /// defined again; an alias names the latest).
    anchors: Vec<(&'input str, usize)>,
    /// An anchor read whose node has not started yet (`key: &a` at the end of a line), with
    /// its id and its token's span: the next node event carries it.
    pending_anchor: Option<(usize, Span)>,
}

/// Room for the events of a document of `bytes` bytes, up to a bound. The queue holds a
/// whole document's events before they are handed out; grown from empty, it was copied
/// about seven times per file of the real-site input, 6 % of the YAML reader's work.
fn queue_capacity(bytes: usize) -> usize {
    /// Bytes of YAML per event, a little under what site manifests have (10 on the
    /// real-site-shaped input: a key and a value a line).
    const BYTES_PER_EVENT: usize = 8;
    /// The most reserved up front, about 220 KiB: larger documents grow the queue.
    const MOST: usize = 2048;
    (bytes / BYTES_PER_EVENT).clamp(16, MOST)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Nothing read yet.
    Start,
    /// Outside a document (at the start of the stream or after `...`).
    BetweenDocuments,
    InDocument,
    Finished,
    Failed,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FrameKind {
    Map,
    Seq,
    /// A sequence whose `-` sit at the column of its parent mapping's keys.
    IndentlessSeq,
}

/// An open block collection and the column of its keys or `-` indicators.
#[derive(Clone, Copy, Debug)]
struct Frame {
    kind: FrameKind,
    indent: usize,
}

/// A node that has started but whose content is on a later line, if any.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Nothing,
    /// The document's root node.
    Root,
    /// The value of a key whose line ended after the `:`.
    MapValue {
        colon: Marker,
        indent: usize,
    },
    /// The entry of a `-` whose line ended after it.
    SeqEntry {
        entry: Marker,
        indent: usize,
    },
}

/// Where a node starts, which decides what it may be.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Place {
    /// At the start of a line or after `- `: may open a block collection.
    Block,
    /// After `key: ` or `--- `: a scalar or an empty flow collection.
    Inline,
    /// A line at the column of an open mapping's keys: the next key.
    MapKey,
}

/// How a scanned scalar ends.
enum Ending {
    /// At the end of the line (possibly after a comment).
    Line,
    /// At the `:` (at this offset) of a key.
    Key(usize),
}

struct Scanned<'input> {
    text: Cow<'input, str>,
    style: ScalarStyle,
    span: Span,
    ending: Ending,
    /// For a scalar that runs over several lines: the end and the number of its last line,
    /// where reading goes on.
    last_line: Option<(usize, usize)>,
}

/// A quoted scalar's text and where its closing quote is.
struct Quoted<'input> {
    text: Cow<'input, str>,
    style: ScalarStyle,
    /// The offset after the closing quote.
    after: usize,
    /// The line of the closing quote: its number, start and end.
    line: usize,
    line_start: usize,
    line_end: usize,
}

type Scan<T> = Result<T, Unsupported>;

impl<'input> FastEvents<'input> {
    /// A source over `source`; nothing is read before the first [`FastEvents::next_event`].
    pub(crate) fn new(source: &'input str) -> FastEvents<'input> {
        FastEvents::resume(
            source,
            Resume::START,
            first_unreadable_byte(source.as_bytes(), 0),
            0,
            CharIndex::new(source),
        )
    }

    /// A source over `source` from `at` (the start of the stream, or a line starting with a
    /// document marker where the previous document ended), reading nothing at or after
    /// `limit` (see [`first_unreadable_byte`]), after readers before it that numbered
    /// `anchors_before` anchors; `chars` is `source`'s. It yields a `StreamStart` of its own
    /// first.
    pub(crate) fn resume(
        source: &'input str,
        at: Resume,
        limit: usize,
        anchors_before: usize,
        chars: CharIndex,
    ) -> FastEvents<'input> {
        FastEvents {
            source,
            bytes: source.as_bytes(),
            chars,
            limit,
            committed: 0,
            resume: at,
            next_line: at.offset,
            next_line_number: at.line,
            line_start: at.offset,
            line_end: at.offset,
            line_number: at.line,
            queue: VecDeque::with_capacity(queue_capacity(source.len().saturating_sub(at.offset))),
            frames: Vec::new(),
            pending: Pending::Nothing,
            phase: Phase::Start,
            next_anchor_id: anchors_before + 1,
            committed_anchor_id: anchors_before + 1,
            anchors: Vec::new(),
            pending_anchor: None,
        }
    }

    /// The next event, `None` after `StreamEnd`, or `Unsupported` (then always `Unsupported`).
    ///
    /// Events come out a whole document at a time: when this source gives up inside a
    /// document, the finished documents' events are still handed out, then `Unsupported`, and
    /// [`FastEvents::resume_point`] says where the unfinished document begins.
    #[inline]
    pub(crate) fn next_event(&mut self) -> Option<Result<(Event<'input>, Span), Unsupported>> {
        loop {
            if self.committed > 0
                && let Some(item) = self.queue.pop_front()
            {
                self.committed -= 1;
                return Some(Ok(item));
            }
            match self.phase {
                Phase::Finished => return None,
                Phase::Failed => return Some(Err(Unsupported)),
                _ => {}
            }
            if self.step().is_err() {
                self.phase = Phase::Failed;
                self.queue.truncate(self.committed);
            }
        }
    }

    /// Where the first document whose events were not handed out begins: the start of the
    /// stream, or the start of the line of the `---` or `...` marker that ended the document
    /// before it. Parsing from there with a fresh parser gives the events the whole stream
    /// gives from there on (see [`crate::mixed`]).
    pub(crate) fn resume_point(&self) -> Resume {
        self.resume
    }

    /// The first byte this source may not read (see [`FastEvents::resume`]).
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// The input's character index, for the next source over it (computed once per input).
    pub(crate) fn take_char_index(&mut self) -> CharIndex {
        std::mem::take(&mut self.chars)
    }

    /// How many anchor ids the stream used up to the end of the last document whose events
    /// were handed out (the readers before this source's included).
    pub(crate) fn anchor_ids_used(&self) -> usize {
        self.committed_anchor_id - 1
    }

    /// Reads one line (or starts or ends the stream), queueing its events.
    fn step(&mut self) -> Scan<()> {
        if self.phase == Phase::Start {
            let start = self.marker(self.next_line, self.next_line_number, 0);
            self.push(Event::StreamStart, Span::empty(start));
            self.committed = self.queue.len();
            self.phase = Phase::BetweenDocuments;
            return Ok(());
        }
        if self.next_line >= self.bytes.len() {
            return self.finish();
        }
        self.line_start = self.next_line;
        self.line_end = self.line_end_from(self.line_start);
        // A line holding a byte the scanner never expects (tabs, `\r`, a byte order mark) is
        // saphyr's.
        if self.line_end > self.limit {
            return Err(Unsupported);
        }
        self.line_number = self.next_line_number;
        self.next_line = self.line_end + 1;
        self.next_line_number += 1;
        self.line()
    }

    fn line(&mut self) -> Scan<()> {
        let first = self.skip_spaces(self.line_start);
        if first == self.line_end || self.bytes[first] == b'#' {
            return Ok(());
        }
        if first == self.line_start && self.is_document_marker() {
            return self.document_marker();
        }
        match self.phase {
            Phase::BetweenDocuments => {
                // An implicit document starts with the span of its first token, which is the span
                // of the root node's first event.
                let document_start = self.queue.len();
                self.push(Event::DocumentStart(false), Span::default());
                self.phase = Phase::InDocument;
                self.pending = Pending::Root;
                self.content_line(first)?;
                let first_span = self.queue.get(document_start + 1).ok_or(Unsupported)?.1;
                if let Some(entry) = self.queue.get_mut(document_start) {
                    entry.1 = first_span;
                }
                Ok(())
            }
            Phase::InDocument => self.content_line(first),
            _ => Err(Unsupported),
        }
    }

    /// Whether the line starts with `---` or `...` followed by a blank or its end.
    fn is_document_marker(&self) -> bool {
        let start = self.line_start;
        let Some(marker) = self.bytes.get(start..start + 3) else {
            return false;
        };
        (marker == b"---" || marker == b"...")
            && (start + 3 == self.line_end || self.bytes[start + 3] == b' ')
    }

    fn document_marker(&mut self) -> Scan<()> {
        let start = self.line_start;
        let marker_span = Span::new(self.mark(start), self.mark(start + 3));
        let rest = self.skip_spaces(start + 3);
        let comment_or_end = rest == self.line_end || self.bytes[rest] == b'#';
        // saphyr refuses anything else after `...` as it reads the marker, before the document
        // before it ends: that document must not end here either.
        if self.bytes[start] == b'.' && !comment_or_end {
            return Err(Unsupported);
        }
        if self.phase == Phase::InDocument {
            self.end_document(marker_span);
        }
        if self.bytes[start] == b'.' {
            // `...`: the next document may be implicit.
            self.phase = Phase::BetweenDocuments;
            return Ok(());
        }
        self.push(Event::DocumentStart(true), marker_span);
        self.phase = Phase::InDocument;
        self.pending = Pending::Root;
        if comment_or_end {
            return Ok(());
        }
        self.pending = Pending::Nothing;
        self.node(rest, Place::Inline)
    }

    /// Ends the current document at a token with `token_span` (a marker or the stream end).
    fn end_document(&mut self, token_span: Span) {
        self.resolve_pending(token_span);
        while let Some(frame) = self.frames.pop() {
            self.push_end(frame, token_span.start);
        }
        self.push(Event::DocumentEnd, token_span);
        self.committed = self.queue.len();
        self.committed_anchor_id = self.next_anchor_id;
        // Anchors are per document: an alias to an earlier document's anchor is left to saphyr
        // (which numbers it, and the loader refuses it).
        self.anchors.clear();
        // The token is a marker at the start of this line, or the end of the stream.
        self.resume = Resume {
            offset: self.line_start,
            line: self.line_number,
            index: self.chars.of(self.line_start),
        };
    }

    /// Gives a pending node its empty value: at the `:` or `-`, or for an empty document
    /// over the next token.
    fn resolve_pending(&mut self, next_token: Span) {
        let span = match self.pending {
            Pending::Nothing => return,
            Pending::Root => next_token,
            Pending::MapValue { colon, .. } => Span::empty(colon),
            Pending::SeqEntry { entry, .. } => Span::empty(entry),
        };
        self.pending = Pending::Nothing;
        // An anchored empty node spans its anchor.
        match self.pending_anchor.take() {
            Some((id, anchor)) => self.queue.push_back((
                Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, id, None),
                anchor,
            )),
            None => self.push(empty_scalar(), span),
        }
    }

    fn finish(&mut self) -> Scan<()> {
        // saphyr ends the stream at the start of a line after the last one. Collections deeper
        // than the end of an unterminated last line close first, where that line ends.
        let length = self.bytes.len();
        let end = self.marker(length, self.next_line_number, 0);
        if self.phase == Phase::InDocument {
            if self.bytes.last().is_some_and(|&byte| byte != b'\n') {
                let last_line_start = self
                    .bytes
                    .iter()
                    .rposition(|&byte| byte == b'\n')
                    .map_or(0, |newline| newline + 1);
                let last_line_end =
                    self.marker(length, self.next_line_number - 1, length - last_line_start);
                while let Some(&frame) = self.frames.last() {
                    if frame.indent <= last_line_end.col() {
                        break;
                    }
                    self.resolve_pending(Span::empty(end));
                    self.frames.pop();
                    self.push_end(frame, last_line_end);
                }
            }
            self.end_document(Span::empty(end));
        }
        self.push(Event::StreamEnd, Span::empty(end));
        self.committed = self.queue.len();
        self.phase = Phase::Finished;
        Ok(())
    }

    /// A line with content at `first` (its indentation ends there) inside a document.
    fn content_line(&mut self, first: usize) -> Scan<()> {
        let indent = first - self.line_start;
        match self.pending {
            Pending::Nothing => {}
            Pending::Root => {
                self.pending = Pending::Nothing;
                return self.node(first, Place::Block);
            }
            Pending::MapValue {
                indent: key_indent, ..
            } => {
                if indent > key_indent {
                    self.pending = Pending::Nothing;
                    return self.node(first, Place::Block);
                }
                if indent == key_indent && self.is_entry(first) {
                    self.pending = Pending::Nothing;
                    return self.entry(first, Some(FrameKind::IndentlessSeq));
                }
            }
            Pending::SeqEntry {
                indent: dash_indent,
                ..
            } => {
                if indent > dash_indent {
                    self.pending = Pending::Nothing;
                    return self.node(first, Place::Block);
                }
            }
        }
        let token = self.mark(first);
        self.resolve_pending(Span::empty(token));
        while let Some(&frame) = self.frames.last() {
            if frame.indent <= indent {
                break;
            }
            self.frames.pop();
            self.push_end(frame, token);
        }
        let Some(&frame) = self.frames.last() else {
            // A second root node: continuation lines or an error, left to saphyr.
            return Err(Unsupported);
        };
        if frame.indent != indent {
            return Err(Unsupported);
        }
        match frame.kind {
            FrameKind::Seq | FrameKind::IndentlessSeq if self.is_entry(first) => {
                self.entry(first, None)
            }
            FrameKind::Seq => Err(Unsupported),
            FrameKind::IndentlessSeq => {
                self.frames.pop();
                self.push_end(frame, token);
                self.node(first, Place::MapKey)
            }
            FrameKind::Map => self.node(first, Place::MapKey),
        }
    }

    /// Whether a `-` at `at` is a block sequence entry indicator.
    fn is_entry(&self, at: usize) -> bool {
        self.bytes[at] == b'-' && self.is_blank_or_line_end(at + 1)
    }

    fn is_blank_or_line_end(&self, at: usize) -> bool {
        at >= self.line_end || self.bytes[at] == b' '
    }

    /// A `-` entry at `dash`, opening a sequence of kind `open` first if given.
    fn entry(&mut self, dash: usize, open: Option<FrameKind>) -> Scan<()> {
        let dash_mark = self.mark(dash);
        let mut content = self.skip_spaces(dash + 1);
        if content < self.line_end && self.bytes[content] == b'#' {
            content = self.line_end;
        }
        // saphyr places the entry after the `-`, its spaces and a comment.
        let entry_mark = self.mark(content);
        let indent = dash - self.line_start;
        match open {
            Some(FrameKind::IndentlessSeq) => {
                self.push(Event::SequenceStart(0, None), Span::empty(entry_mark));
                self.frames.push(Frame {
                    kind: FrameKind::IndentlessSeq,
                    indent,
                });
            }
            Some(kind) => {
                self.push(Event::SequenceStart(0, None), Span::empty(dash_mark));
                self.frames.push(Frame { kind, indent });
            }
            None => {}
        }
        let content = self.anchor(content)?;
        if content == self.line_end {
            self.pending = Pending::SeqEntry {
                entry: entry_mark,
                indent,
            };
            return Ok(());
        }
        // After an anchor, a key on this line would take the anchor: saphyr's.
        let place = if self.pending_anchor.is_some() {
            Place::Inline
        } else {
            Place::Block
        };
        self.node(content, place)
    }

    /// A node starting at `at` (not a space, not a comment) and running to the end of the line.
    fn node(&mut self, at: usize, place: Place) -> Scan<()> {
        let first = self.bytes[at];
        if place == Place::Block && self.is_entry(at) {
            return self.entry(at, Some(FrameKind::Seq));
        }
        let multi_line = place != Place::MapKey;
        let scanned = match first {
            b'[' | b'{' if place != Place::MapKey => return self.flow_collection(at),
            b'|' | b'>' if place != Place::MapKey => return self.block_scalar(at),
            b'*' if place != Place::MapKey => return self.alias(at),
            b'\'' | b'"' => self.quoted(at, multi_line)?,
            _ => self.plain(at)?,
        };
        match scanned.ending {
            Ending::Line => {
                if place == Place::MapKey {
                    return Err(Unsupported);
                }
                let mut scanned = scanned;
                if scanned.style == ScalarStyle::Plain {
                    self.plain_continuation(at, &mut scanned)?;
                }
                if let Some((line_end, line_number)) = scanned.last_line {
                    self.next_line = line_end + 1;
                    self.next_line_number = line_number + 1;
                }
                self.push_scalar(scanned);
                Ok(())
            }
            Ending::Key(colon) => {
                if place == Place::Inline || colon - at > MAX_KEY_LENGTH {
                    return Err(Unsupported);
                }
                let indent = at - self.line_start;
                if place == Place::Block {
                    self.push(Event::MappingStart(0, None), Span::empty(self.mark(at)));
                    self.frames.push(Frame {
                        kind: FrameKind::Map,
                        indent,
                    });
                }
                self.push_scalar(scanned);
                let value = self.anchor(self.skip_spaces(colon + 1))?;
                if value == self.line_end || self.bytes[value] == b'#' {
                    self.pending = Pending::MapValue {
                        colon: self.mark(colon),
                        indent,
                    };
                    return Ok(());
                }
                self.node(value, Place::Inline)
            }
        }
    }

    /// A literal (`|`) or folded (`>`) block scalar whose header is at `at`: a transcription of
    /// saphyr's `scan_block_scalar` (without indentation indicators, and not at indentation 0,
    /// where document markers interfere). Reading resumes at the line where the scalar ends.
    fn block_scalar(&mut self, at: usize) -> Scan<()> {
        let literal = self.bytes[at] == b'|';
        let header = self.mark(at);
        let mut cursor = at + 1;
        let chomping = match self.bytes.get(cursor) {
            Some(b'+') if cursor < self.line_end => Chomping::Keep,
            Some(b'-') if cursor < self.line_end => Chomping::Strip,
            _ => Chomping::Clip,
        };
        if chomping != Chomping::Clip {
            cursor += 1;
        }
        let rest = self.skip_spaces(cursor);
        if rest < self.line_end && !(self.bytes[rest] == b'#' && rest > cursor) {
            return Err(Unsupported);
        }
        let scanner_indent = self.frames.last().map_or(-1, |frame| {
            isize::try_from(frame.indent).unwrap_or(isize::MAX)
        });
        let bytes = self.bytes;
        let length = bytes.len();
        let mut position = self.line_end;
        let mut line = self.line_number;
        let mut line_start = self.line_start;
        let next_line = |position: &mut usize, line: &mut usize, line_start: &mut usize| {
            *position += 1;
            *line += 1;
            *line_start = *position;
        };
        if position < length {
            next_line(&mut position, &mut line, &mut line_start);
        }
        // The indentation is that of the first non-empty line, or of the longest empty line
        // before it, and deeper than the enclosing collection.
        let mut trailing_breaks = 0usize;
        let mut max_indent = 0;
        loop {
            position = self.skip_spaces_within(position, length);
            max_indent = max_indent.max(position - line_start);
            if position < length && bytes[position] == b'\n' {
                trailing_breaks += 1;
                next_line(&mut position, &mut line, &mut line_start);
            } else {
                break;
            }
        }
        let mut indent = max_indent.max(usize::try_from(scanner_indent + 1).unwrap_or(0));
        if scanner_indent > 0 {
            indent = indent.max(1);
        }
        if indent == 0 {
            return Err(Unsupported);
        }
        let mut text = String::new();
        let start;
        if position >= length {
            start = header;
            if chomping == Chomping::Keep {
                if trailing_breaks == 0 && line > header.line() && position > line_start {
                    text.push('\n');
                } else {
                    push_breaks(&mut text, trailing_breaks);
                }
            }
        } else {
            let column = position - line_start;
            if column < indent && isize::try_from(column).unwrap_or(isize::MAX) > scanner_indent {
                return Err(Unsupported);
            }
            start = self.marker(position, line, column);
            let mut leading_break = false;
            let mut leading_blank = false;
            while position - line_start == indent && position < length && bytes[position] != b'\n' {
                let trailing_blank = bytes[position] == b' ';
                if !literal && leading_break && !leading_blank && !trailing_blank {
                    push_breaks(&mut text, trailing_breaks);
                    if trailing_breaks == 0 {
                        text.push(' ');
                    }
                } else {
                    push_breaks(&mut text, usize::from(leading_break) + trailing_breaks);
                }
                leading_break = false;
                trailing_breaks = 0;
                leading_blank = trailing_blank;
                let content_end = self.line_end_from(position);
                text.push_str(&self.source[position..content_end]);
                position = content_end;
                if position >= length {
                    break;
                }
                next_line(&mut position, &mut line, &mut line_start);
                leading_break = true;
                loop {
                    while position - line_start < indent
                        && position < length
                        && bytes[position] == b' '
                    {
                        position += 1;
                    }
                    if position < length && bytes[position] == b'\n' {
                        trailing_breaks += 1;
                        next_line(&mut position, &mut line, &mut line_start);
                    } else {
                        break;
                    }
                }
            }
            if chomping != Chomping::Strip {
                push_breaks(&mut text, usize::from(leading_break));
                if position >= length && position - line_start >= indent.max(1) {
                    text.push('\n');
                }
            }
            if chomping == Chomping::Keep {
                push_breaks(&mut text, trailing_breaks);
            }
        }
        // The scalar read every byte up to `position` (and looked at the one there).
        if position >= self.limit && self.limit < length {
            return Err(Unsupported);
        }
        let end = self.marker(position, line, position - line_start);
        let style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        self.push(
            Event::Scalar(Cow::Owned(text), style, 0, None),
            Span::new(start, end),
        );
        // Resume at the line where the scalar ended (its indentation is read again).
        self.next_line = line_start.min(length);
        self.next_line_number = if position >= length && position > line_start {
            line + 1
        } else {
            line
        };
        if position >= length {
            self.next_line = length;
        }
        Ok(())
    }

    /// A flow collection opening at `at`, closing on this line or, inside a block collection,
    /// on a later one, followed by nothing but spaces and a comment.
    fn flow_collection(&mut self, at: usize) -> Scan<()> {
        self.flow_node(at, 0)?;
        Ok(())
    }

    /// A flow node at `at` (not a space) nested `depth` collections deep, not a key and not a
    /// flow pair. Returns where the next token starts (after the spaces following this node,
    /// perhaps on a later line), or for the outermost collection, the end of its last line.
    fn flow_node(&mut self, at: usize, depth: usize) -> Scan<usize> {
        match self.bytes[at] {
            b'[' | b'{' => {
                if depth >= MAX_FLOW_DEPTH {
                    return Err(Unsupported);
                }
                self.flow_collection_at(at, depth)
            }
            _ => {
                let (scanned, next) = self.flow_scalar(at)?;
                self.push_scalar(scanned);
                Ok(next)
            }
        }
    }

    /// The flow sequence or mapping opening at `at`; see [`FastEvents::flow_node`].
    fn flow_collection_at(&mut self, at: usize, depth: usize) -> Scan<usize> {
        let mapping = self.bytes[at] == b'{';
        let (open, close, close_byte) = if mapping {
            (Event::MappingStart(0, None), Event::MappingEnd, b'}')
        } else {
            (Event::SequenceStart(0, None), Event::SequenceEnd, b']')
        };
        // Each indicator's token runs over the spaces after it.
        let open_start = self.mark(at);
        let (open_end, mut cursor) = self.flow_token_end(at + 1)?;
        self.push(open, Span::new(open_start, open_end));
        // saphyr ends a flow mapping with a trailing `,` at that comma's token.
        let mut trailing_comma: Option<Span> = None;
        loop {
            if self.bytes[cursor] == close_byte {
                break;
            }
            trailing_comma = None;
            cursor = if mapping {
                self.flow_pair(cursor, depth)?
            } else {
                self.flow_node(cursor, depth + 1)?
            };
            match self.bytes[cursor] {
                b',' => {
                    let comma_start = self.mark(cursor);
                    let (comma_end, next) = self.flow_token_end(cursor + 1)?;
                    trailing_comma = Some(Span::new(comma_start, comma_end));
                    cursor = next;
                }
                byte if byte == close_byte => break,
                _ => return Err(Unsupported),
            }
        }
        let close_start = self.mark(cursor);
        let (close_end, next) = self.close_token_end(cursor, depth)?;
        self.push(
            close,
            trailing_comma
                .filter(|_| mapping)
                .unwrap_or(Span::new(close_start, close_end)),
        );
        Ok(next)
    }

    /// Where the token of the closing bracket at `close` ends, and where the next token starts:
    /// the outermost one's token runs over the spaces and comment after it, up to the end of
    /// the line.
    fn close_token_end(&mut self, close: usize, depth: usize) -> Scan<(Marker, usize)> {
        if depth == 0 {
            let end = self.token_end_after(close + 1)?;
            Ok((self.mark(end), end))
        } else {
            self.flow_token_end(close + 1)
        }
    }

    /// A `key: value`, `key:` (followed by `,` or `}`) or lone `key` of a flow mapping at `at`,
    /// the key and its `:` on one line. Returns where the token after the pair starts.
    fn flow_pair(&mut self, at: usize, depth: usize) -> Scan<usize> {
        if matches!(self.bytes[at], b'[' | b'{') {
            return Err(Unsupported);
        }
        let key_line = self.line_number;
        let (key, after_key) = self.flow_scalar(at)?;
        if self.line_number != key_line || after_key - at > MAX_KEY_LENGTH {
            return Err(Unsupported);
        }
        self.push_scalar(key);
        match self.bytes[after_key] {
            b':' => {
                if after_key + 1 >= self.line_end || self.bytes[after_key + 1] != b' ' {
                    return Err(Unsupported);
                }
                let value = self.skip_spaces(after_key + 1);
                if value == self.line_end || self.bytes[value] == b'#' {
                    return Err(Unsupported);
                }
                if matches!(self.bytes[value], b',' | b'}') {
                    // An empty value sits at its `:`.
                    self.push(empty_scalar(), Span::empty(self.mark(after_key)));
                    return Ok(value);
                }
                self.flow_node(value, depth + 1)
            }
            b',' | b'}' => {
                // A lone key's empty value spans the token after the key (which must end on
                // this line: that token is read again by the caller).
                let token_end = if self.bytes[after_key] == b',' || depth > 0 {
                    self.flow_token_end_on_line(after_key + 1)?
                } else {
                    self.token_end_after(after_key + 1)?
                };
                self.push(
                    empty_scalar(),
                    Span::new(self.mark(after_key), self.mark(token_end)),
                );
                Ok(after_key)
            }
            _ => Err(Unsupported),
        }
    }

    /// A plain or quoted scalar inside a flow collection at `at`, and where the token after it
    /// starts (perhaps on a later line).
    fn flow_scalar(&mut self, at: usize) -> Scan<(Scanned<'input>, usize)> {
        let start = self.mark(at);
        if matches!(self.bytes[at], b'\'' | b'"') {
            let quoted = self.quoted_text(at, false)?;
            let (end, next) = self.flow_token_end(quoted.after)?;
            let scanned = Scanned {
                text: quoted.text,
                style: quoted.style,
                span: Span::new(start, end),
                ending: Ending::Line,
                last_line: None,
            };
            return Ok((scanned, next));
        }
        let (text_end, next) = self.flow_plain(at)?;
        let scanned = Scanned {
            text: Cow::Borrowed(&self.source[at..text_end]),
            style: ScalarStyle::Plain,
            span: Span::new(start, self.mark(text_end)),
            ending: Ending::Line,
            last_line: None,
        };
        let next = match next {
            Some(next) => next,
            // The scalar ended its line: the next token must not continue it.
            None => {
                let (_, next) = self.flow_token_end(text_end)?;
                if !matches!(self.bytes[next], b',' | b']' | b'}') {
                    return Err(Unsupported);
                }
                next
            }
        };
        Ok((scanned, next))
    }

    /// A plain scalar in flow context at `at`: the end of its text and where the next token
    /// starts on this line (`None` when the scalar ends the line, before a comment or not).
    /// `,[]{}`, a `:` before a space or one of them, and a comment end it.
    fn flow_plain(&self, at: usize) -> Scan<(usize, Option<usize>)> {
        let is_flow = |byte: u8| matches!(byte, b',' | b'[' | b']' | b'{' | b'}');
        match self.bytes[at] {
            b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' | b'?' | b':' => return Err(Unsupported),
            _ => {}
        }
        let mut cursor = at;
        let mut text_end = at;
        while cursor < self.line_end {
            let byte = self.bytes[cursor];
            let next = self
                .bytes
                .get(cursor + 1)
                .copied()
                .filter(|_| cursor + 1 < self.line_end);
            match byte {
                b' ' => {}
                b'#' if self.bytes[cursor - 1] == b' ' => return Ok((text_end, None)),
                b':' if next.is_none_or(|next| next == b' ' || is_flow(next)) => {
                    return Ok((text_end, Some(cursor)));
                }
                byte if is_flow(byte) => return Ok((text_end, Some(cursor))),
                // saphyr refuses a `-` before a flow indicator at the start of a word.
                b'-' if next.is_none_or(|next| next == b' ' || is_flow(next)) => {
                    return Err(Unsupported);
                }
                _ => text_end = cursor + 1,
            }
            cursor += 1;
        }
        Ok((text_end, None))
    }

    /// After a token inside a flow collection that ends just before `after`: where that token
    /// ends (saphyr's flow tokens take the spaces after them, and at the end of a line a
    /// comment), and where the next token starts. That is on this line or, inside a block
    /// collection, on a later one (after blank and comment lines) indented deeper than the
    /// collection; reading goes on after that line. (saphyr asks as much of a plain scalar;
    /// of other tokens, as much or one column less, depending on what came before them in the
    /// collection: those are left to it.)
    fn flow_token_end(&mut self, after: usize) -> Scan<(Marker, usize)> {
        let rest = self.skip_spaces(after);
        if rest < self.line_end && self.bytes[rest] != b'#' {
            return Ok((self.mark(rest), rest));
        }
        if rest < self.line_end && rest == after {
            // A `#` right after a token is no comment: saphyr refuses it.
            return Err(Unsupported);
        }
        let end = self.mark(self.line_end);
        let frame_indent = self.frames.last().ok_or(Unsupported)?.indent;
        loop {
            let next = self
                .next_content_line(self.line_end, self.line_number, 0)?
                .ok_or(Unsupported)?;
            self.line_start = next.start;
            self.line_end = next.end;
            self.line_number = next.number;
            self.next_line = next.end + 1;
            self.next_line_number = next.number + 1;
            if self.bytes[next.first] == b'#' {
                continue;
            }
            if next.first - next.start <= frame_indent {
                return Err(Unsupported);
            }
            return Ok((end, next.first));
        }
    }

    /// [`FastEvents::flow_token_end`] where the next token must be on this line: where it
    /// starts.
    fn flow_token_end_on_line(&self, after: usize) -> Scan<usize> {
        let rest = self.skip_spaces(after);
        if rest == self.line_end || self.bytes[rest] == b'#' {
            return Err(Unsupported);
        }
        Ok(rest)
    }

    /// Where a token ending just before `after` really ends: saphyr's flow tokens take the
    /// spaces and comment that follow them. Anything else on the line is unsupported.
    fn token_end_after(&self, after: usize) -> Scan<usize> {
        self.token_end_within(after, self.line_end)
    }

    /// [`FastEvents::token_end_after`] on the line that ends at `line_end`.
    fn token_end_within(&self, after: usize, line_end: usize) -> Scan<usize> {
        let rest = self.skip_spaces_within(after, line_end);
        if rest == line_end {
            return Ok(rest);
        }
        if self.bytes[rest] == b'#' && rest > after {
            return Ok(line_end);
        }
        Err(Unsupported)
    }

    fn plain(&self, at: usize) -> Scan<Scanned<'input>> {
        match self.bytes[at] {
            b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' => return Err(Unsupported),
            b'-' | b'?' | b':' if self.is_blank_or_line_end(at + 1) => return Err(Unsupported),
            _ => {}
        }
        let mut cursor = at;
        let mut text_end = at;
        let ending = loop {
            if cursor == self.line_end {
                break Ending::Line;
            }
            match self.bytes[cursor] {
                b' ' => {}
                b'#' if self.bytes[cursor - 1] == b' ' => break Ending::Line,
                b':' if self.is_blank_or_line_end(cursor + 1) => break Ending::Key(cursor),
                _ => text_end = cursor + 1,
            }
            cursor += 1;
        };
        Ok(Scanned {
            text: Cow::Borrowed(&self.source[at..text_end]),
            style: ScalarStyle::Plain,
            span: Span::new(self.mark(at), self.mark(text_end)),
            ending,
            last_line: None,
        })
    }

    /// A quoted scalar at `at` (see [`FastEvents::quoted_text`]), a key when a `:` follows it on
    /// its line. Its token also runs over the spaces (and comment) after its closing quote.
    #[inline(never)]
    fn quoted(&self, at: usize, multi_line: bool) -> Scan<Scanned<'input>> {
        let quoted = self.quoted_text(at, multi_line)?;
        if quoted.line != self.line_number {
            // Over several lines: not a key, and nothing but a comment after it.
            let end = self.token_end_within(quoted.after, quoted.line_end)?;
            return Ok(Scanned {
                text: quoted.text,
                style: quoted.style,
                span: Span::new(
                    self.mark(at),
                    self.marker(end, quoted.line, end - quoted.line_start),
                ),
                ending: Ending::Line,
                last_line: Some((quoted.line_end, quoted.line)),
            });
        }
        let rest = self.skip_spaces(quoted.after);
        let (end, ending) = if rest < self.line_end
            && self.bytes[rest] == b':'
            && self.is_blank_or_line_end(rest + 1)
        {
            (rest, Ending::Key(rest))
        } else {
            (self.token_end_after(quoted.after)?, Ending::Line)
        };
        Ok(Scanned {
            text: quoted.text,
            style: quoted.style,
            span: Span::new(self.mark(at), self.mark(end)),
            ending,
            last_line: None,
        })
    }

    /// The text of the single- or double-quoted scalar at `at` and where it closes: on this
    /// line, or with `multi_line` on a later one, inside a block collection with every further
    /// line indented deeper than the collection (saphyr asks for as deep as it; deeper keeps a
    /// `---` at column 0 out). A transcription of saphyr's `scan_flow_scalar`: a line break
    /// folds into a space, blank lines into line breaks, spaces around a break go, and an
    /// escaped break (`\` at the end of a line) joins the lines without a space.
    fn quoted_text(&self, at: usize, multi_line: bool) -> Scan<Quoted<'input>> {
        let bytes = self.bytes;
        let single = bytes[at] == b'\'';
        let min_column = self
            .frames
            .last()
            .filter(|_| multi_line)
            .map(|frame| frame.indent + 1);
        let (mut line, mut line_start, mut line_end) =
            (self.line_number, self.line_start, self.line_end);
        let mut cursor = at + 1;
        // The text from `segment` to `cursor` is the source's: copied only when the text
        // differs from it somewhere.
        let mut segment = cursor;
        let mut owned: Option<String> = None;
        loop {
            if cursor >= line_end {
                // A line break inside the scalar: the spaces before it go.
                let mut kept = line_end;
                while kept > segment && bytes[kept - 1] == b' ' {
                    kept -= 1;
                }
                let text = owned.get_or_insert_with(String::new);
                text.push_str(&self.source[segment..kept]);
                let next = self.quoted_continuation(min_column, line_end, line)?;
                if next.blank_lines == 0 {
                    text.push(' ');
                } else {
                    push_breaks(text, next.blank_lines);
                }
                (line, line_start, line_end) = (next.number, next.start, next.end);
                cursor = next.first;
                segment = cursor;
                continue;
            }
            match bytes[cursor] {
                b'\'' if single => {
                    if cursor + 1 < line_end && bytes[cursor + 1] == b'\'' {
                        owned
                            .get_or_insert_with(String::new)
                            .push_str(&self.source[segment..=cursor]);
                        cursor += 2;
                        segment = cursor;
                        continue;
                    }
                    break;
                }
                b'"' if !single => break,
                b'\\' if !single => {
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(&self.source[segment..cursor]);
                    if cursor + 1 == line_end {
                        // An escaped line break: the next line's indentation goes too.
                        let next = self.quoted_continuation(min_column, line_end, line)?;
                        push_breaks(text, next.blank_lines);
                        (line, line_start, line_end) = (next.number, next.start, next.end);
                        cursor = next.first;
                    } else {
                        let (character, length) =
                            escape(&bytes[cursor + 1..line_end]).ok_or(Unsupported)?;
                        text.push(character);
                        cursor += 1 + length;
                    }
                    segment = cursor;
                }
                _ => cursor += 1,
            }
        }
        let text = match owned {
            None => Cow::Borrowed(&self.source[at + 1..cursor]),
            Some(mut text) => {
                text.push_str(&self.source[segment..cursor]);
                Cow::Owned(text)
            }
        };
        Ok(Quoted {
            text,
            style: if single {
                ScalarStyle::SingleQuoted
            } else {
                ScalarStyle::DoubleQuoted
            },
            after: cursor + 1,
            line,
            line_start,
            line_end,
        })
    }

    /// The line a quoted scalar goes on at after a line break inside it (the one ending at
    /// `line_end`, numbered `line`), where it may go on (`min_column`, see
    /// [`FastEvents::quoted_text`]).
    fn quoted_continuation(
        &self,
        min_column: Option<usize>,
        line_end: usize,
        line: usize,
    ) -> Scan<ContentLine> {
        let min_column = min_column.ok_or(Unsupported)?;
        self.next_content_line(line_end, line, min_column)?
            .ok_or(Unsupported)
    }

    /// A plain scalar that ends its line (without a comment) goes on over the lines after it
    /// that are indented deeper than the enclosing block collection: a line break folds into a
    /// space, blank lines between into line breaks. A comment line ends it. Continuation lines
    /// holding a `: ` or ` #` (a key or a comment saphyr would find inside) are left to saphyr.
    ///
    /// Runs after every plain scalar that ends a line; the usual answer (the next line is
    /// not deeper) comes from its indentation alone (see [`FastEvents::next_content_line`]).
    #[inline]
    fn plain_continuation(&self, at: usize, scanned: &mut Scanned<'input>) -> Scan<()> {
        let Some(frame) = self.frames.last() else {
            return Ok(());
        };
        let min_column = frame.indent + 1;
        // One line so far: the text is the input's, from `at`.
        if self.skip_spaces(at + scanned.text.len()) != self.line_end {
            return Ok(());
        }
        match self.next_content_line(self.line_end, self.line_number, min_column)? {
            Some(first) => self.plain_continuation_lines(scanned, min_column, first),
            None => Ok(()),
        }
    }

    /// The continuation lines of [`FastEvents::plain_continuation`], from `first`, the first
    /// line deep enough to be one.
    #[inline(never)]
    fn plain_continuation_lines(
        &self,
        scanned: &mut Scanned<'input>,
        min_column: usize,
        first: ContentLine,
    ) -> Scan<()> {
        let bytes = self.bytes;
        let mut text: Option<String> = None;
        let mut candidate = Some(first);
        while let Some(next) = candidate {
            if bytes[next.first] == b'#' {
                break;
            }
            let mut content_end = next.first;
            for cursor in next.first..next.end {
                match bytes[cursor] {
                    b' ' => {}
                    b'#' if bytes[cursor - 1] == b' ' => return Err(Unsupported),
                    b':' if cursor + 1 == next.end || bytes[cursor + 1] == b' ' => {
                        return Err(Unsupported);
                    }
                    _ => content_end = cursor + 1,
                }
            }
            let text = text.get_or_insert_with(|| scanned.text.to_string());
            if next.blank_lines == 0 {
                text.push(' ');
            } else {
                push_breaks(text, next.blank_lines);
            }
            text.push_str(&self.source[next.first..content_end]);
            scanned.span.end = self.marker(content_end, next.number, content_end - next.start);
            scanned.last_line = Some((next.end, next.number));
            candidate = self.next_content_line(next.end, next.number, min_column)?;
        }
        if let Some(text) = text {
            scanned.text = Cow::Owned(text);
        }
        Ok(())
    }

    /// The next line after the one ending at `line_end` (numbered `line`) that holds more than
    /// spaces, if it is indented by `min_column` or more; `None` if it is not, or at the end of
    /// the input. (Its end is looked for only then: this runs after every plain value that ends
    /// its line.)
    fn next_content_line(
        &self,
        mut line_end: usize,
        mut line: usize,
        min_column: usize,
    ) -> Scan<Option<ContentLine>> {
        let bytes = self.bytes;
        let mut blank_lines = 0;
        loop {
            if line_end >= bytes.len() {
                return Ok(None);
            }
            let start = line_end + 1;
            line += 1;
            let first = self.skip_spaces_within(start, bytes.len());
            if first < bytes.len() && bytes[first] != b'\n' && first - start < min_column {
                return Ok(None);
            }
            let end = self.line_end_from(first);
            if end > self.limit {
                return Err(Unsupported);
            }
            if first < end {
                return Ok(Some(ContentLine {
                    blank_lines,
                    start,
                    first,
                    end,
                    number: line,
                }));
            }
            blank_lines += 1;
            line_end = end;
        }
    }

    /// Reads the anchor at `at`, if there is one (`&name` before a value or an entry's node):
    /// the next node event carries it. Returns where the node starts, or the end of the line
    /// when it starts on a later one.
    #[inline]
    fn anchor(&mut self, at: usize) -> Scan<usize> {
        if at >= self.line_end || self.bytes[at] != b'&' {
            return Ok(at);
        }
        self.read_anchor(at)
    }

    /// [`FastEvents::anchor`] at an `&`.
    #[inline(never)]
    fn read_anchor(&mut self, at: usize) -> Scan<usize> {
        let name_end = self.anchor_name_end(at + 1)?;
        let id = self.next_anchor_id;
        self.next_anchor_id += 1;
        self.anchors.push((&self.source[at + 1..name_end], id));
        self.pending_anchor = Some((id, Span::new(self.mark(at), self.mark(name_end))));
        let rest = self.skip_spaces(name_end);
        if rest < self.line_end && self.bytes[rest] == b'#' {
            return Ok(self.line_end);
        }
        Ok(rest)
    }

    /// An alias at `at` (`*name`) of an anchor of this document, alone on the rest of its line
    /// (an alias as a key, after an anchor, or of another document's anchor is saphyr's).
    fn alias(&mut self, at: usize) -> Scan<()> {
        if self.pending_anchor.is_some() {
            return Err(Unsupported);
        }
        let name_end = self.anchor_name_end(at + 1)?;
        let rest = self.skip_spaces(name_end);
        if rest < self.line_end && self.bytes[rest] != b'#' {
            return Err(Unsupported);
        }
        let name = &self.source[at + 1..name_end];
        let id = self
            .anchors
            .iter()
            .rev()
            .find(|(anchor, _)| *anchor == name)
            .map(|&(_, id)| id)
            .ok_or(Unsupported)?;
        self.push(
            Event::Alias(id),
            Span::new(self.mark(at), self.mark(name_end)),
        );
        Ok(())
    }

    /// The end of an anchor or alias name starting at `at`: ASCII letters, digits, `_`, `-`
    /// and `.` (saphyr takes more; the rest is left to it), followed by a space or the end of
    /// the line.
    fn anchor_name_end(&self, at: usize) -> Scan<usize> {
        let mut end = at;
        while end < self.line_end
            && (self.bytes[end].is_ascii_alphanumeric()
                || matches!(self.bytes[end], b'_' | b'-' | b'.'))
        {
            end += 1;
        }
        if end == at || !self.is_blank_or_line_end(end) {
            return Err(Unsupported);
        }
        Ok(end)
    }

    fn skip_spaces(&self, at: usize) -> usize {
        self.skip_spaces_within(at, self.line_end)
    }

    /// The first byte from `at` on that is not a space, or `end`.
    fn skip_spaces_within(&self, mut at: usize, end: usize) -> usize {
        while at < end && self.bytes[at] == b' ' {
            at += 1;
        }
        at
    }

    /// Where the line holding byte `at` ends: at its `\n`, or at the end of the input.
    fn line_end_from(&self, at: usize) -> usize {
        self.bytes[at..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(self.bytes.len(), |length| at + length)
    }

    /// The marker of byte offset `at` on the current line.
    fn mark(&self, at: usize) -> Marker {
        self.marker(at, self.line_number, at - self.line_start)
    }

    /// saphyr's marker for byte offset `at`, on line `line` `byte_column` bytes after the
    /// line's start (saphyr counts characters).
    fn marker(&self, at: usize, line: usize, byte_column: usize) -> Marker {
        let index = self.chars.of(at);
        Marker::new(index, line, index - self.chars.of(at - byte_column))
    }

    /// Queues an event; a node's first event takes the anchor read before it.
    #[inline]
    fn push(&mut self, event: Event<'input>, span: Span) {
        if self.pending_anchor.is_some() {
            self.push_anchored(event, span);
        } else {
            self.queue.push_back((event, span));
        }
    }

    #[cold]
    fn push_anchored(&mut self, mut event: Event<'input>, mut span: Span) {
        if let Event::Scalar(_, _, anchor_id, _)
        | Event::SequenceStart(anchor_id, _)
        | Event::MappingStart(anchor_id, _) = &mut event
            && let Some((id, anchor)) = self.pending_anchor.take()
        {
            *anchor_id = id;
            span.start = anchor.start;
        }
        self.queue.push_back((event, span));
    }

    fn push_scalar(&mut self, scanned: Scanned<'input>) {
        self.push(
            Event::Scalar(scanned.text, scanned.style, 0, None),
            scanned.span,
        );
    }

    fn push_end(&mut self, frame: Frame, at: Marker) {
        let event = match frame.kind {
            FrameKind::Map => Event::MappingEnd,
            FrameKind::Seq | FrameKind::IndentlessSeq => Event::SequenceEnd,
        };
        self.push(event, Span::empty(at));
    }
}

/// A line holding more than spaces, after some lines of only spaces.
struct ContentLine {
    blank_lines: usize,
    /// Where the line starts, its first byte that is not a space, and where it ends (before
    /// its `\n`).
    start: usize,
    first: usize,
    end: usize,
    /// 1-based line number.
    number: usize,
}

/// A place in the input where reading can start: the start of the stream, or the start of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resume {
    /// Byte offset.
    pub(crate) offset: usize,
    /// 1-based line number.
    pub(crate) line: usize,
    /// Characters before it (saphyr's marker index).
    pub(crate) index: usize,
}

impl Resume {
    /// The start of the stream.
    pub(crate) const START: Resume = Resume {
        offset: 0,
        line: 1,
        index: 0,
    };
}

/// The offset of the first byte from `from` on that the line scanner never expects (control
/// characters but `\n`: tabs, `\r`, `DEL`; and a byte order mark, which saphyr takes only
/// between documents), or the length of `bytes` (UTF-8: any other non-ASCII character is
/// read).
pub(crate) fn first_unreadable_byte(bytes: &[u8], from: usize) -> usize {
    const BYTE_ORDER_MARK: &[u8] = "\u{feff}".as_bytes();
    // What may be unreadable: a control byte but `\n`, `DEL`, or a byte order mark's first.
    let suspect = |byte: u8| (byte < b' ' && byte != b'\n') || byte == 0x7f || byte == 0xef;
    let Some(rest) = bytes.get(from..) else {
        return bytes.len();
    };
    // Whole chunks are checked without an early exit, which the compiler vectorizes: this
    // runs over every input.
    const CHUNK: usize = 64;
    let mut chunk_start = 0;
    while chunk_start < rest.len() {
        let chunk = &rest[chunk_start..rest.len().min(chunk_start + CHUNK)];
        if chunk.iter().fold(false, |any, &byte| any | suspect(byte)) {
            for (offset, &byte) in chunk.iter().enumerate() {
                let at = chunk_start + offset;
                if suspect(byte) && (byte != 0xef || rest[at..].starts_with(BYTE_ORDER_MARK)) {
                    return from + at;
                }
            }
        }
        chunk_start += CHUNK;
    }
    bytes.len()
}

/// Character indexes of byte offsets, for saphyr's markers, which count characters: the
/// offsets of the input's UTF-8 continuation bytes (none for ASCII input, the usual case).
#[derive(Debug, Default)]
pub(crate) struct CharIndex {
    continuation_bytes: Vec<usize>,
}

impl CharIndex {
    pub(crate) fn new(source: &str) -> CharIndex {
        if source.is_ascii() {
            return CharIndex::default();
        }
        CharIndex {
            continuation_bytes: source
                .bytes()
                .enumerate()
                .filter(|&(_, byte)| (0x80..0xc0).contains(&byte))
                .map(|(offset, _)| offset)
                .collect(),
        }
    }

    /// The index of the character at byte offset `at` (a character boundary).
    #[inline]
    fn of(&self, at: usize) -> usize {
        if self.continuation_bytes.is_empty() {
            at
        } else {
            at - self
                .continuation_bytes
                .partition_point(|&offset| offset < at)
        }
    }
}

/// How a block scalar treats its final line breaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Chomping {
    Strip,
    Clip,
    Keep,
}

/// The character a double-quoted scalar's escape sequence stands for, from the bytes after
/// its `\`, and the sequence's length after the `\`; `None` where saphyr refuses it.
fn escape(sequence: &[u8]) -> Option<(char, usize)> {
    let character = match *sequence.first()? {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return hex_escape(sequence, 2),
        b'u' => return hex_escape(sequence, 4),
        b'U' => return hex_escape(sequence, 8),
        _ => return None,
    };
    Some((character, 1))
}

/// A `\x`, `\u` or `\U` escape with `digits` hexadecimal digits after its letter.
fn hex_escape(sequence: &[u8], digits: usize) -> Option<(char, usize)> {
    let hex = sequence.get(1..=digits)?;
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let value = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
    Some((char::from_u32(value)?, 1 + digits))
}

fn push_breaks(text: &mut String, count: usize) {
    for _ in 0..count {
        text.push('\n');
    }
}

fn empty_scalar<'input>() -> Event<'input> {
    Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None)
}
