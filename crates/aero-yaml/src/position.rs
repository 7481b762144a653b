//! Conversion of parser positions (character index, 0-based column) to [`Mark`]s (byte offset, 1-based column).

use crate::Mark;
use saphyr_parser::Marker;

/// Every how many characters a byte offset is remembered for non-ASCII sources.
const CHECKPOINT_EVERY: usize = 64;

/// Maps character indexes of one source text to byte offsets.
///
/// ASCII sources map one to one. Other sources keep the byte offset of every 64th character,
/// so a lookup walks at most 63 characters.
pub(crate) struct Positions<'source> {
    source: &'source str,
    /// Byte offset of character `i * CHECKPOINT_EVERY`; empty when the source is ASCII.
    checkpoints: Vec<usize>,
}

impl<'source> Positions<'source> {
    /// Prepares lookups for `source`.
    pub(crate) fn new(source: &'source str) -> Positions<'source> {
        let checkpoints = if source.is_ascii() {
            Vec::new()
        } else {
            source
                .char_indices()
                .step_by(CHECKPOINT_EVERY)
                .map(|(byte_offset, _)| byte_offset)
                .collect()
        };
        Positions {
            source,
            checkpoints,
        }
    }

    /// Byte offset of the character at `char_index` (the source length past the end).
    pub(crate) fn byte_offset(&self, char_index: usize) -> usize {
        if self.checkpoints.is_empty() {
            return char_index.min(self.source.len());
        }
        let checkpoint = char_index / CHECKPOINT_EVERY;
        let Some(&start) = self.checkpoints.get(checkpoint) else {
            return self.source.len();
        };
        let remaining = char_index - checkpoint * CHECKPOINT_EVERY;
        let tail = self.source.get(start..).unwrap_or_default();
        match tail.char_indices().nth(remaining) {
            Some((relative, _)) => start + relative,
            None => self.source.len(),
        }
    }

    /// The [`Mark`] for a parser marker.
    pub(crate) fn mark(&self, marker: &Marker) -> Mark {
        Mark {
            line: saturating_u32(marker.line()),
            col: saturating_u32(marker.col().saturating_add(1)),
            offset: self.byte_offset(marker.index()),
        }
    }
}

impl Positions<'_> {
    /// The mark of a block scalar's `|` or `>` indicator, given where the parser starts the
    /// scalar: at its first content line. Lines between the header and the content are blank,
    /// so the header is the nearest earlier line with text. `content_start` is returned when
    /// no header is found (or when it already is the indicator).
    pub(crate) fn block_scalar_header(&self, content_start: Mark) -> Mark {
        let bytes = self.source.as_bytes();
        let offset = content_start.offset.min(bytes.len());
        if matches!(bytes.get(offset), Some(b'|' | b'>')) {
            return content_start;
        }
        let mut line_start = line_start_before(bytes, offset);
        let mut line = content_start.line;
        while line_start > 0 {
            let line_end = line_start - 1;
            line_start = line_start_before(bytes, line_end);
            line = line.saturating_sub(1);
            let Some(text) = self.source.get(line_start..line_end) else {
                break;
            };
            let text = text.trim_end_matches('\r');
            if text.trim().is_empty() {
                continue;
            }
            for (index, character) in text.char_indices() {
                if matches!(character, '|' | '>') && is_header_rest(&text[index + 1..]) {
                    return Mark {
                        line,
                        col: saturating_u32(text[..index].chars().count() + 1),
                        offset: line_start + index,
                    };
                }
            }
            break;
        }
        content_start
    }
}

/// The offset where the line holding `offset` starts.
fn line_start_before(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset]
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |newline| newline + 1)
}

/// Whether `rest` can follow a block scalar indicator: up to two chomping or indentation
/// indicators, then nothing or a comment.
fn is_header_rest(rest: &str) -> bool {
    let indicators = rest
        .bytes()
        .take_while(|byte| matches!(byte, b'-' | b'+' | b'1'..=b'9'))
        .count();
    if indicators > 2 {
        return false;
    }
    let after = &rest[indicators..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return false;
    }
    let after = after.trim_start();
    after.is_empty() || after.starts_with('#')
}

/// `value` as `u32`, capped at `u32::MAX`.
fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(source: &str, char_index: usize, expected_byte_offset: usize) {
        assert_eq!(
            Positions::new(source).byte_offset(char_index),
            expected_byte_offset
        );
    }

    #[track_caller]
    fn check_header(source: &str, content_offset: usize, expected: (u32, u32, usize)) {
        let positions = Positions::new(source);
        let content_line = source[..content_offset].matches('\n').count() as u32 + 1;
        let content_start = Mark {
            line: content_line,
            col: 1,
            offset: content_offset,
        };
        let header = positions.block_scalar_header(content_start);
        assert_eq!(
            (header.line, header.col, header.offset),
            expected,
            "{source:?}"
        );
    }

    #[test]
    fn block_scalar_headers() {
        check_header("k: |\n  x\n", 7, (1, 4, 3));
        check_header("k: >- # a|b\n\n   \n  x\n", 20, (1, 4, 3));
        check_header("- |2+\r\n   x\r\n", 9, (1, 3, 2));
        check_header("ü: |\n  x\n", 8, (1, 4, 4));
        check_header("|\n x\n", 3, (1, 1, 0));
        // Already at the indicator, or no header to find.
        check_header("k: |", 3, (1, 1, 3));
        check_header("x\n  y\n", 4, (2, 1, 4));
        check_header("a|b\n  y\n", 6, (2, 1, 6));
    }

    #[test]
    fn byte_offsets() {
        check("abc", 0, 0);
        check("abc", 2, 2);
        check("abc", 3, 3);
        check("abc", 9, 3);
        check("é:x", 1, 2);
        check("é:x", 2, 3);
        check("é:x", 3, 4);
        check("é:x", 4, 4);
        let long = format!("{}ü{}", "a".repeat(100), "b".repeat(100));
        check(&long, 100, 100);
        check(&long, 101, 102);
        check(&long, 150, 151);
        check(&long, 201, 202);
        check(&long, 500, 202);
    }
}
