//! Per-document choice between the fast event source and `saphyr-parser`.
//!
//! Real sites are thousands of plain block lines with, here and there, a construct the fast
//! source does not read (a multi-line scalar, an anchor, a comment in a flow collection). When
//! one such construct sent the whole stream back to saphyr, most of a real site was parsed by
//! the slow path. [`MixedEvents`] falls back for one document only: the fast source hands out
//! events a whole document at a time, and when it gives up inside a document, a fresh saphyr
//! parser reads from where that document begins, until a document ends at a `---` or `...`
//! line; the fast source then takes over again from that line. When the fast source keeps
//! giving up on the first document it tries, saphyr reads twice as many documents each time
//! before it tries again (up to 64), so a stream the fast source cannot read costs about what
//! saphyr alone costs.
//!
//! # Why the events are the whole stream's
//! A fresh parser started at such a line is in the state the whole-stream parser is in there:
//! - both parsers expect a document: after `...` the whole-stream parser is in the state it has
//!   after `StreamStart`; after a document ended by `---` it expects an explicit document, and
//!   the fresh one reads that `---` as one;
//! - a document marker at column 0 resets saphyr's scanner (indentation, simple keys) to its
//!   initial state; `%TAG` directives are forgotten at every document end; the other scanner
//!   fields are only compared against positions inside the current line;
//! - a document ended at a marker's line only when the marker ended it: saphyr also ends a
//!   document at a token that merely spans `---` or `...` bytes (an empty block scalar at
//!   column 0 before a marker) and then fails on that token; its next event, read before the
//!   hand-over, tells the two apart;
//! - only numbering carries over: marker positions (shifted by the line's character index
//!   and line number; the column is unchanged, the line starting at column 0) and anchor ids,
//!   which saphyr numbers through the whole stream (each reader continues from the anchors the
//!   documents before it defined, whichever source read them).
//!
//! The fast source's own events are saphyr's for every document it finishes (differential
//! tests). The differential tests, the proptests and the `fast_events` fuzz target compare the
//! events of this source with the whole-stream parser's, errors included, on mixed inputs.
//! The loader still parses the whole stream again with saphyr after any error, so an error's
//! message and position never depend on this argument.

use crate::fast::{CharIndex, FastEvents, Resume, first_unreadable_byte};
use saphyr_parser::{Event, Marker, Parser, ScanError, Span, StrInput};

#[cfg(test)]
mod tests;

/// saphyr-identical events for any input, read by the fast source wherever it can (see the
/// module documentation).
pub(crate) struct MixedEvents<'input> {
    source: &'input str,
    reader: Reader<'input>,
    /// Whether a `StreamStart` was handed out (every reader starts with one of its own).
    stream_started: bool,
    /// Anchor ids the documents read so far used (saphyr numbers anchors through the whole
    /// stream).
    anchor_shift: usize,
    /// The first byte the fast source may not read, from where it was last looked for.
    limit: usize,
    /// The input's character index, while saphyr reads (the fast source holds it otherwise).
    chars: CharIndex,
    /// Where the current reader started.
    reader_start: Resume,
    /// Bytes of the input the fast source read.
    fast_bytes: usize,
    /// How many documents saphyr reads, once it takes over, before the fast source tries
    /// again: doubled each time the fast source gives up on the first document it tries (a
    /// stream of documents it cannot read is then read by saphyr almost alone, as before
    /// documents fell back one at a time), back to 1 once it reads a document.
    saphyr_stride: usize,
}

/// The most documents saphyr reads before the fast source tries again.
const MAX_SAPHYR_STRIDE: usize = 64;

/// What reads the input now.
#[expect(
    clippy::large_enum_variant,
    reason = "one reader per stream at a time, replaced at most twice per document that falls back"
)]
enum Reader<'input> {
    Fast(FastEvents<'input>),
    Saphyr(SaphyrReader<'input>),
    /// After `StreamEnd` or an error.
    Done,
}

/// A saphyr parser over the input from `start` on.
struct SaphyrReader<'input> {
    parser: Parser<'input, StrInput<'input>>,
    start: Resume,
    /// Documents to read before handing over to the fast source.
    documents_left: usize,
    /// The parser's next event or error, read to decide on a hand-over that did not happen.
    peeked: Option<Result<(Event<'input>, Span), ScanError>>,
    /// The largest anchor id the parser gave.
    last_anchor: usize,
    /// Characters and bytes of the input from `start` walked so far, to turn a character
    /// index into a byte offset.
    walked_chars: usize,
    walked_bytes: usize,
}

impl<'input> MixedEvents<'input> {
    /// Events of the whole of `source`.
    pub(crate) fn new(source: &'input str) -> MixedEvents<'input> {
        let limit = first_unreadable_byte(source.as_bytes(), 0);
        MixedEvents {
            source,
            reader: Reader::Fast(FastEvents::resume(
                source,
                Resume::START,
                limit,
                0,
                CharIndex::new(source),
            )),
            stream_started: false,
            anchor_shift: 0,
            limit,
            chars: CharIndex::default(),
            reader_start: Resume::START,
            fast_bytes: 0,
            saphyr_stride: 1,
        }
    }

    /// How many bytes of the input the fast source read (so far).
    pub(crate) fn fast_bytes(&self) -> usize {
        self.fast_bytes
    }

    /// The next event, `None` after `StreamEnd`, or saphyr's error (then `None`).
    ///
    /// Inlined into the loader's loop: an event is over 100 bytes, and each function boundary
    /// it crosses by value costs a copy.
    #[inline]
    pub(crate) fn next_event(&mut self) -> Option<Result<(Event<'input>, Span), ScanError>> {
        loop {
            let item = match &mut self.reader {
                Reader::Done => return None,
                Reader::Fast(fast) => match fast.next_event() {
                    Some(Ok(item)) => item,
                    Some(Err(_)) => {
                        let resume = fast.resume_point();
                        self.limit = fast.limit();
                        self.anchor_shift = fast.anchor_ids_used();
                        self.chars = fast.take_char_index();
                        self.fast_bytes += resume.offset - self.reader_start.offset;
                        self.start_saphyr(resume);
                        continue;
                    }
                    None => {
                        self.reader = Reader::Done;
                        return None;
                    }
                },
                Reader::Saphyr(saphyr) => match saphyr.next() {
                    Some(Ok((mut event, mut span))) => {
                        saphyr.shift_anchors(&mut event, self.anchor_shift);
                        span.start = saphyr.shift(span.start);
                        span.end = saphyr.shift(span.end);
                        if let Some(resume) = saphyr.hand_over_point(self.source, &event, &span) {
                            self.anchor_shift += saphyr.last_anchor;
                            self.start_fast(resume);
                        }
                        (event, span)
                    }
                    Some(Err(error)) => {
                        let marker = saphyr.shift(*error.marker());
                        self.reader = Reader::Done;
                        return Some(Err(ScanError::new(marker, error.info().to_owned())));
                    }
                    None => {
                        self.reader = Reader::Done;
                        return None;
                    }
                },
            };
            if matches!(item.0, Event::StreamStart) {
                if self.stream_started {
                    continue;
                }
                self.stream_started = true;
            }
            if matches!(item.0, Event::StreamEnd) {
                if let Reader::Fast(_) = self.reader {
                    self.fast_bytes += self.source.len() - self.reader_start.offset;
                }
                self.reader = Reader::Done;
            }
            return Some(Ok(item));
        }
    }

    fn start_saphyr(&mut self, at: Resume) {
        self.saphyr_stride = if at == self.reader_start {
            (self.saphyr_stride * 2).min(MAX_SAPHYR_STRIDE)
        } else {
            1
        };
        self.reader_start = at;
        self.reader = Reader::Saphyr(SaphyrReader {
            parser: Parser::new_from_str(&self.source[at.offset..]),
            start: at,
            documents_left: self.saphyr_stride,
            peeked: None,
            last_anchor: 0,
            walked_chars: 0,
            walked_bytes: 0,
        });
    }

    fn start_fast(&mut self, at: Resume) {
        if self.limit < at.offset {
            self.limit = first_unreadable_byte(self.source.as_bytes(), at.offset);
        }
        self.reader_start = at;
        self.reader = Reader::Fast(FastEvents::resume(
            self.source,
            at,
            self.limit,
            self.anchor_shift,
            std::mem::take(&mut self.chars),
        ));
    }
}

impl<'input> SaphyrReader<'input> {
    /// The parser's next event (its own numbering), or its error.
    fn next(&mut self) -> Option<Result<(Event<'input>, Span), ScanError>> {
        self.peeked.take().or_else(|| self.parser.next_event())
    }

    /// Where the fast source takes over after `event` with `span` (in the whole input's
    /// markers), if it does: after the `DocumentEnd` of the last document this reader reads,
    /// when a document marker ended that document (see [`SaphyrReader::resume_point`]).
    fn hand_over_point(&mut self, source: &str, event: &Event<'_>, span: &Span) -> Option<Resume> {
        if !matches!(event, Event::DocumentEnd) {
            return None;
        }
        self.documents_left = self.documents_left.saturating_sub(1);
        if self.documents_left > 0 {
            return None;
        }
        let resume = self.resume_point(source, span)?;
        // A token that merely spans `---` or `...` bytes (an empty block scalar at column 0
        // before a marker, say) also ends a document, and then the parser fails on it: only
        // when the parser reads on was it a marker.
        let next = self.parser.next_event();
        if matches!(next, Some(Ok(_))) {
            Some(resume)
        } else {
            self.peeked = next;
            None
        }
    }

    /// A marker of this parser as a marker of the whole input.
    fn shift(&self, marker: Marker) -> Marker {
        Marker::new(
            marker.index() + self.start.index,
            marker.line() + self.start.line - 1,
            marker.col(),
        )
    }

    /// Numbers the event's anchor as the whole-stream parser does, and remembers the largest
    /// (in place: an event is large, and this runs for every event saphyr reads).
    fn shift_anchors(&mut self, event: &mut Event<'input>, shift: usize) {
        if let Event::Scalar(_, _, anchor_id, _)
        | Event::SequenceStart(anchor_id, _)
        | Event::MappingStart(anchor_id, _)
        | Event::Alias(anchor_id) = event
            && *anchor_id != 0
        {
            self.last_anchor = self.last_anchor.max(*anchor_id);
            *anchor_id += shift;
        }
    }

    /// Where the fast source may take over after a `DocumentEnd` with `span` (in the whole
    /// input's markers): at the start of the line of the `---` or `...` that ended the
    /// document, if that is where it ended and it is past this parser's start.
    fn resume_point(&mut self, source: &str, span: &Span) -> Option<Resume> {
        let (start, end) = (span.start, span.end);
        // A marker's token: three characters at column 0 (a document also ends at the next
        // token when that is not a marker, which is an error the parser reports next).
        if start.col() != 0
            || start.index() <= self.start.index
            || end.index() != start.index() + 3
            || end.line() != start.line()
        {
            return None;
        }
        let offset = self.byte_offset(source, start.index() - self.start.index)?;
        let marker = source.as_bytes().get(offset..offset + 3)?;
        let after = source.as_bytes().get(offset + 3);
        if !(marker == b"---" || marker == b"...")
            || after.is_some_and(|&byte| byte != b' ' && byte != b'\n')
        {
            return None;
        }
        Some(Resume {
            offset,
            line: start.line(),
            index: start.index(),
        })
    }

    /// The byte offset of the character `chars` characters after this parser's start. Each
    /// call walks on from the previous one, so a reader walks its part of the input once.
    fn byte_offset(&mut self, source: &str, chars: usize) -> Option<usize> {
        let from = self.start.offset + self.walked_bytes;
        // ASCII text, the usual case: one byte per character, checked a word at a time.
        let ascii_end = from + chars.checked_sub(self.walked_chars)?;
        if source.get(from..ascii_end).is_some_and(str::is_ascii) {
            self.walked_chars = chars;
            self.walked_bytes = ascii_end - self.start.offset;
            return Some(ascii_end);
        }
        let mut walk = source.get(from..)?.char_indices();
        while self.walked_chars < chars {
            walk.next()?;
            self.walked_chars += 1;
        }
        let (relative, _) = walk.next().unwrap_or((source.len() - from, ' '));
        self.walked_bytes += relative;
        Some(self.start.offset + self.walked_bytes)
    }
}
