//! Node budget pre-check: counts the nodes a whole stream expands to, without building it.
//!
//! The loader counts nodes as it builds, so [`LoadOptions::max_nodes`] is never exceeded; but
//! an alias bomb could still allocate up to `max_nodes` copied nodes (about a gigabyte at the
//! default ten million) before failing. Once aliases have copied many nodes, the loader runs
//! this counting pass over the whole stream: it allocates nothing per node and reports the
//! same [`LoadErrorKind::TooLarge`] error, at the same place, that building would reach.

use crate::position::Positions;
use crate::{LoadError, LoadErrorKind, LoadOptions, Mark};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// Nodes copied by aliases after which the loader runs [`find_node_overflow`] once.
pub(crate) const ALIAS_COPIES_BEFORE_CHECK: usize = 100_000;

/// The [`LoadErrorKind::TooLarge`] error building `source` would hit, if any.
///
/// Returns `None` when the stream stays within the budget, and also when counting stops
/// early for any other problem (syntax, unknown alias, depth), which the loader reports itself.
pub(crate) fn find_node_overflow(
    source: &str,
    positions: &Positions<'_>,
    options: &LoadOptions,
) -> Option<LoadError> {
    let mut total: usize = 0;
    // Per open collection: nodes before it and its anchor id.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut anchor_sizes: HashMap<usize, usize> = HashMap::new();
    let too_large = |mark: Mark| {
        Some(LoadError {
            kind: LoadErrorKind::TooLarge,
            message: too_large_message(options.max_nodes),
            mark,
        })
    };
    for next in Parser::new_from_str(source) {
        let (event, span) = next.ok()?;
        match event {
            Event::StreamEnd => break,
            Event::DocumentEnd => anchor_sizes.clear(),
            Event::Scalar(_, style, anchor_id, tag) => {
                total = total.saturating_add(1);
                if total > options.max_nodes {
                    let start = scalar_start(positions, &span, style, anchor_id, tag.is_some());
                    return too_large(start);
                }
                if anchor_id != 0 {
                    anchor_sizes.insert(anchor_id, 1);
                }
            }
            Event::SequenceStart(anchor_id, _) | Event::MappingStart(anchor_id, _) => {
                if open.len() >= options.max_depth {
                    return None;
                }
                open.push((total, anchor_id));
                total = total.saturating_add(1);
                if total > options.max_nodes {
                    return too_large(positions.mark(&span.start));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (before, anchor_id) = open.pop()?;
                if anchor_id != 0 {
                    anchor_sizes.insert(anchor_id, total - before);
                }
            }
            Event::Alias(anchor_id) => {
                total = total.saturating_add(*anchor_sizes.get(&anchor_id)?);
                if total > options.max_nodes {
                    return too_large(positions.mark(&span.start));
                }
            }
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
        }
    }
    None
}

/// The message of a [`LoadErrorKind::TooLarge`] error.
pub(crate) fn too_large_message(max_nodes: usize) -> String {
    format!("the stream has more than {max_nodes} nodes after alias expansion")
}

/// Where a scalar starts: its anchor or tag, else its first character; for a block scalar,
/// its `|` or `>` indicator (the parser starts those at their content).
pub(crate) fn scalar_start(
    positions: &Positions<'_>,
    span: &saphyr_parser::Span,
    style: ScalarStyle,
    anchor_id: usize,
    has_tag: bool,
) -> Mark {
    let start = positions.mark(&span.start);
    if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) && anchor_id == 0 && !has_tag {
        positions.block_scalar_header(start)
    } else {
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dialect, load_all};

    /// For every budget up to the stream's size, the counting pass reports exactly the
    /// `TooLarge` error that building reports (these inputs copy too few nodes through
    /// aliases for the loader itself to run the counting pass).
    #[track_caller]
    fn check_agrees_with_building(source: &str) {
        let positions = Positions::new(source);
        for max_nodes in 0..200 {
            let mut options = LoadOptions::new(Dialect::Yaml12);
            options.max_nodes = max_nodes;
            let built = load_all(source, &options).err();
            let counted = find_node_overflow(source, &positions, &options);
            match built {
                Some(error) if error.kind == LoadErrorKind::TooLarge => {
                    assert_eq!(counted, Some(error), "{source:?} max_nodes={max_nodes}");
                }
                _ => assert_eq!(counted, None, "{source:?} max_nodes={max_nodes}"),
            }
        }
    }

    #[test]
    fn counts_like_the_loader() {
        check_agrees_with_building("a: 1\nb: [2, 3]\n");
        check_agrees_with_building(
            "a: &x {k: [1, 2]}\nb: *x\nc: [*x, *x]\n---\nd: &y |\n  text\ne: *y\n",
        );
        check_agrees_with_building("base: &b {x: 1}\nm:\n  <<: *b\n  y: &s !!str 2\n  z: *s\n");
        check_agrees_with_building("- &a [1, &b [2, 3]]\n- *b\n- *a\n- >-\n  folded\n");
    }

    #[test]
    fn stops_on_problems_the_loader_reports() {
        let options = LoadOptions::new(Dialect::Yaml12);
        for source in ["a: *missing\n", "a: [1\n", "a: &x [*x]\n"] {
            assert_eq!(
                find_node_overflow(source, &Positions::new(source), &options),
                None
            );
        }
        let mut shallow = LoadOptions::new(Dialect::Yaml12);
        shallow.max_depth = 2;
        shallow.max_nodes = 3;
        let deep = "[[[1, 2, 3]]]";
        assert_eq!(
            find_node_overflow(deep, &Positions::new(deep), &shallow),
            None
        );
    }
}
