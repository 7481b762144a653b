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
//! under a key), one-line plain scalars, one-line single-quoted scalars, one-line double-quoted
//! scalars without escapes, literal and folded block scalars with any chomping, and flow
//! sequences and mappings that open and close on one line (nested, with plain and quoted
//! scalars, empty values, lone keys and trailing commas) as values, sequence entries and root
//! nodes. Not supported (saphyr takes over): tabs, `\r`, control and non-ASCII characters
//! (markers count characters, not bytes), anchors, aliases, tags, directives, explicit keys,
//! block scalar indentation indicators and block scalars at indentation 0, multi-line plain and
//! quoted scalars, multi-line flow collections, comments inside flow collections, flow
//! collections as keys, pairs inside flow sequences (`[a: b]`), `?` and `:` starting a flow
//! scalar, a flow key's `:` not followed by a space, and keys longer than saphyr's simple key
//! limit.

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
    /// Bytes before the start of this source minus characters before it: subtracted from byte
    /// offsets to give saphyr's character indexes (what this source reads is ASCII, but the
    /// documents before its start may not be).
    char_shift: usize,
    /// The first byte this source may not read (a tab, `\r`, control or non-ASCII byte), or
    /// the length of the input: a line reaching it is unsupported.
    limit: usize,
    /// How many events at the front of the queue belong to finished documents: only those
    /// are handed out, so a document this source gives up on yields no event at all.
    committed: usize,
    /// Where the first document not yet finished begins (see [`FastEvents::resume_point`]).
    resume: Resume,
    /// Byte offset of the next line to read (byte offsets are character indexes: the input is
    /// ASCII).
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
}

type Scan<T> = Result<T, Unsupported>;

impl<'input> FastEvents<'input> {
    /// A source over `source`; nothing is read before the first [`FastEvents::next_event`].
    pub(crate) fn new(source: &'input str) -> FastEvents<'input> {
        FastEvents::resume(
            source,
            Resume::START,
            first_unreadable_byte(source.as_bytes(), 0),
        )
    }

    /// A source over `source` from `at` (the start of the stream, or a line starting with a
    /// document marker where the previous document ended), reading nothing at or after
    /// `limit` (see [`first_unreadable_byte`]). It yields a `StreamStart` of its own first.
    pub(crate) fn resume(source: &'input str, at: Resume, limit: usize) -> FastEvents<'input> {
        FastEvents {
            source,
            bytes: source.as_bytes(),
            char_shift: at.offset - at.index,
            limit,
            committed: 0,
            resume: at,
            next_line: at.offset,
            next_line_number: at.line,
            line_start: at.offset,
            line_end: at.offset,
            line_number: at.line,
            queue: VecDeque::new(),
            frames: Vec::new(),
            pending: Pending::Nothing,
            phase: Phase::Start,
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
        self.line_end = self.bytes[self.line_start..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(self.bytes.len(), |length| self.line_start + length);
        // A line holding a byte the scanner never expects (tabs, `\r`, non-ASCII) is saphyr's.
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
        // The token is a marker at the start of this line, or the end of the stream.
        self.resume = Resume {
            offset: self.line_start,
            line: self.line_number,
            index: self.line_start - self.char_shift,
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
        self.push(empty_scalar(), span);
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
        if content == self.line_end {
            self.pending = Pending::SeqEntry {
                entry: entry_mark,
                indent,
            };
            return Ok(());
        }
        self.node(content, Place::Block)
    }

    /// A node starting at `at` (not a space, not a comment) and running to the end of the line.
    fn node(&mut self, at: usize, place: Place) -> Scan<()> {
        let first = self.bytes[at];
        if place == Place::Block && self.is_entry(at) {
            return self.entry(at, Some(FrameKind::Seq));
        }
        let scanned = match first {
            b'[' | b'{' if place != Place::MapKey => return self.flow_collection(at),
            b'|' | b'>' if place != Place::MapKey => return self.block_scalar(at),
            b'\'' => self.single_quoted(at)?,
            b'"' => self.double_quoted(at)?,
            _ => self.plain(at)?,
        };
        match scanned.ending {
            Ending::Line => {
                if place == Place::MapKey {
                    return Err(Unsupported);
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
                let value = self.skip_spaces(colon + 1);
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
            while position < length && bytes[position] == b' ' {
                position += 1;
            }
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
                let content_end = bytes[position..]
                    .iter()
                    .position(|&byte| byte == b'\n')
                    .map_or(length, |offset| position + offset);
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

    /// A flow collection opening at `at` and closing on the same line, followed by nothing but
    /// spaces and a comment.
    fn flow_collection(&mut self, at: usize) -> Scan<()> {
        self.flow_node(at, 0)?;
        Ok(())
    }

    /// A flow node at `at` (not a space) nested `depth` collections deep, not a key and not a
    /// flow pair. Returns where the next token starts (after the spaces following this node),
    /// or for the outermost collection, the end of the line.
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
        let mut cursor = self.flow_token_end(at + 1)?;
        self.push(open, Span::new(self.mark(at), self.mark(cursor)));
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
                    let comma_end = self.flow_token_end(cursor + 1)?;
                    trailing_comma = Some(Span::new(self.mark(cursor), self.mark(comma_end)));
                    cursor = comma_end;
                }
                byte if byte == close_byte => break,
                _ => return Err(Unsupported),
            }
        }
        let close_end = self.close_token_end(cursor, depth)?;
        let close_span = Span::new(self.mark(cursor), self.mark(close_end));
        self.push(
            close,
            trailing_comma.filter(|_| mapping).unwrap_or(close_span),
        );
        Ok(close_end)
    }

    /// Where the token of the closing bracket at `close` ends: the outermost one's runs over the
    /// spaces and comment after it, up to the end of the line.
    fn close_token_end(&self, close: usize, depth: usize) -> Scan<usize> {
        if depth == 0 {
            self.token_end_after(close + 1)
        } else {
            self.flow_token_end(close + 1)
        }
    }

    /// A `key: value`, `key:` (followed by `,` or `}`) or lone `key` of a flow mapping at `at`.
    /// Returns where the token after the pair starts.
    fn flow_pair(&mut self, at: usize, depth: usize) -> Scan<usize> {
        if matches!(self.bytes[at], b'[' | b'{') {
            return Err(Unsupported);
        }
        let (key, after_key) = self.flow_scalar(at)?;
        if after_key - at > MAX_KEY_LENGTH {
            return Err(Unsupported);
        }
        self.push_scalar(key);
        match self.bytes[after_key] {
            b':' => {
                if after_key + 1 >= self.line_end || self.bytes[after_key + 1] != b' ' {
                    return Err(Unsupported);
                }
                let value = self.skip_spaces(after_key + 1);
                if value == self.line_end {
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
                // A lone key's empty value spans the token after the key.
                let token_end = if self.bytes[after_key] == b',' {
                    self.flow_token_end(after_key + 1)?
                } else {
                    self.close_token_end(after_key, depth)?
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
    /// starts (it is on this line).
    fn flow_scalar(&self, at: usize) -> Scan<(Scanned<'input>, usize)> {
        let (text, style, token_end) = match self.bytes[at] {
            b'\'' => {
                let (text, after_quote) = self.single_quoted_text(at)?;
                let end = self.flow_token_end(after_quote)?;
                (text, ScalarStyle::SingleQuoted, end)
            }
            b'"' => {
                let (text, after_quote) = self.double_quoted_text(at)?;
                let end = self.flow_token_end(after_quote)?;
                (text, ScalarStyle::DoubleQuoted, end)
            }
            _ => {
                let (text_end, next) = self.flow_plain(at)?;
                let scanned = Scanned {
                    text: Cow::Borrowed(&self.source[at..text_end]),
                    style: ScalarStyle::Plain,
                    span: Span::new(self.mark(at), self.mark(text_end)),
                    ending: Ending::Line,
                };
                return Ok((scanned, next));
            }
        };
        let scanned = Scanned {
            text,
            style,
            span: Span::new(self.mark(at), self.mark(token_end)),
            ending: Ending::Line,
        };
        Ok((scanned, token_end))
    }

    /// A plain scalar in flow context at `at`: the end of its text and where the next token
    /// starts. `,[]{}`, a `:` before a space or one of them, and a comment end it.
    fn flow_plain(&self, at: usize) -> Scan<(usize, usize)> {
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
                b'#' if self.bytes[cursor - 1] == b' ' => return Err(Unsupported),
                b':' if next.is_none_or(|next| next == b' ' || is_flow(next)) => {
                    return Ok((text_end, cursor));
                }
                byte if is_flow(byte) => return Ok((text_end, cursor)),
                // saphyr refuses a `-` before a flow indicator at the start of a word.
                b'-' if next.is_none_or(|next| next == b' ' || is_flow(next)) => {
                    return Err(Unsupported);
                }
                _ => text_end = cursor + 1,
            }
            cursor += 1;
        }
        Err(Unsupported)
    }

    /// Where the next token inside a flow collection starts, after a token ending just before
    /// `after`: past the spaces, which belong to that token. The collection must go on on
    /// this line, without comments.
    fn flow_token_end(&self, after: usize) -> Scan<usize> {
        let rest = self.skip_spaces(after);
        if rest == self.line_end || self.bytes[rest] == b'#' {
            return Err(Unsupported);
        }
        Ok(rest)
    }

    /// Where a token ending just before `after` really ends: saphyr's flow tokens take the
    /// spaces and comment that follow them. Anything else on the line is unsupported.
    fn token_end_after(&self, after: usize) -> Scan<usize> {
        let rest = self.skip_spaces(after);
        if rest == self.line_end {
            return Ok(rest);
        }
        if self.bytes[rest] == b'#' && rest > after {
            return Ok(self.line_end);
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
        })
    }

    fn single_quoted(&self, at: usize) -> Scan<Scanned<'input>> {
        let (text, after_quote) = self.single_quoted_text(at)?;
        self.after_quoted(at, after_quote, text, ScalarStyle::SingleQuoted)
    }

    /// The text of the one-line single-quoted scalar at `at`, and the offset after its closing
    /// quote.
    fn single_quoted_text(&self, at: usize) -> Scan<(Cow<'input, str>, usize)> {
        let mut cursor = at + 1;
        let mut segment_start = cursor;
        let mut unescaped: Option<String> = None;
        loop {
            if cursor >= self.line_end {
                return Err(Unsupported);
            }
            if self.bytes[cursor] == b'\'' {
                if self.bytes.get(cursor + 1) == Some(&b'\'') && cursor + 1 < self.line_end {
                    unescaped
                        .get_or_insert_with(String::new)
                        .push_str(&self.source[segment_start..=cursor]);
                    cursor += 2;
                    segment_start = cursor;
                    continue;
                }
                break;
            }
            cursor += 1;
        }
        let text = match unescaped {
            None => Cow::Borrowed(&self.source[at + 1..cursor]),
            Some(mut text) => {
                text.push_str(&self.source[segment_start..cursor]);
                Cow::Owned(text)
            }
        };
        Ok((text, cursor + 1))
    }

    fn double_quoted(&self, at: usize) -> Scan<Scanned<'input>> {
        let (text, after_quote) = self.double_quoted_text(at)?;
        self.after_quoted(at, after_quote, text, ScalarStyle::DoubleQuoted)
    }

    /// The text of the one-line double-quoted scalar (without escapes) at `at`, and the offset
    /// after its closing quote.
    fn double_quoted_text(&self, at: usize) -> Scan<(Cow<'input, str>, usize)> {
        let mut cursor = at + 1;
        loop {
            if cursor >= self.line_end || self.bytes[cursor] == b'\\' {
                return Err(Unsupported);
            }
            if self.bytes[cursor] == b'"' {
                break;
            }
            cursor += 1;
        }
        Ok((Cow::Borrowed(&self.source[at + 1..cursor]), cursor + 1))
    }

    /// A quoted scalar's token also runs over the spaces (and comment) after its closing quote.
    fn after_quoted(
        &self,
        at: usize,
        after_quote: usize,
        text: Cow<'input, str>,
        style: ScalarStyle,
    ) -> Scan<Scanned<'input>> {
        let rest = self.skip_spaces(after_quote);
        let (end, ending) = if rest < self.line_end
            && self.bytes[rest] == b':'
            && self.is_blank_or_line_end(rest + 1)
        {
            (rest, Ending::Key(rest))
        } else {
            (self.token_end_after(after_quote)?, Ending::Line)
        };
        Ok(Scanned {
            text,
            style,
            span: Span::new(self.mark(at), self.mark(end)),
            ending,
        })
    }

    fn skip_spaces(&self, mut at: usize) -> usize {
        while at < self.line_end && self.bytes[at] == b' ' {
            at += 1;
        }
        at
    }

    /// The marker of byte offset `at` on the current line.
    fn mark(&self, at: usize) -> Marker {
        self.marker(at, self.line_number, at - self.line_start)
    }

    /// saphyr's marker for byte offset `at`, on line `line` at 0-based column `column`.
    fn marker(&self, at: usize, line: usize, column: usize) -> Marker {
        Marker::new(at - self.char_shift, line, column)
    }

    fn push(&mut self, event: Event<'input>, span: Span) {
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

/// The offset of the first byte from `from` on that the line scanner never expects (anything
/// but `\n` and printable ASCII), or the length of `bytes`.
pub(crate) fn first_unreadable_byte(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| {
            rest.iter()
                .position(|&byte| byte != b'\n' && !(b' '..0x7f).contains(&byte))
        })
        .map_or(bytes.len(), |position| from + position)
}

/// How a block scalar treats its final line breaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Chomping {
    Strip,
    Clip,
    Keep,
}

fn push_breaks(text: &mut String, count: usize) {
    for _ in 0..count {
        text.push('\n');
    }
}

fn empty_scalar<'input>() -> Event<'input> {
    Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None)
}
