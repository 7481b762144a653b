//! Output formats (`-o yaml|json|table`) and a small table printer.

use std::io::{self, IsTerminal, Write};

use aero_redact::SharedRedactor;
use clap::ValueEnum;

/// How a command prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// YAML documents.
    Yaml,
    /// JSON.
    Json,
    /// An aligned, human-readable table.
    Table,
}

/// Prints a command's result to stdout: `table` draws it for people, `-o json` and
/// `-o yaml` serialise it. Whatever the format, the text goes through the redactor, so
/// a secret that reached an output structure by a path nobody foresaw is still hidden.
pub fn emit<T: serde::Serialize>(
    redactor: &SharedRedactor,
    format: OutputFormat,
    value: &T,
    table: impl FnOnce(&T) -> String,
) -> io::Result<()> {
    let text = match format {
        OutputFormat::Table => table(value),
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(value).map_err(io::Error::from)?;
            text.push('\n');
            text
        }
        OutputFormat::Yaml => {
            let json = serde_json::to_value(value).map_err(io::Error::from)?;
            aero_yaml::to_yaml_string(&json)
        }
    };
    write_stdout(&redactor.scrub(&text))
}

/// Writes to stdout; a closed pipe (`aero ... | head`) is not an error.
pub fn write_stdout(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    ignore_broken_pipe(
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush()),
    )
}

/// A write to stdout that failed because the reader went away (`aero ... | head`) is
/// not an error: the output simply ends.
pub fn ignore_broken_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Whether stdout is a terminal.
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// A table with a header row, fitted to the terminal's width when printed to one.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Widest cell a table shows; `-o json` or `-o yaml` show values whole.
pub const MAX_CELL: usize = 100;

/// Narrowest a column is squeezed to when the table does not fit.
const MIN_COLUMN: usize = 10;

/// Space between columns.
const GAP: usize = 2;

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|name| name.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty; line breaks are shown as `\n`).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|cell| cell.replace('\n', "\\n"))
                .collect(),
        );
    }

    /// The table as text for stdout: fitted to the terminal when stdout is one (or to
    /// `$COLUMNS`), otherwise only cells longer than [`MAX_CELL`] are shortened.
    pub fn render(&self) -> String {
        self.render_within(output_width())
    }

    /// The table as text, every line at most `width` characters when given. Cells that
    /// do not fit are shortened in the middle (`site-manifests/…/nova.yaml:12:5`): the
    /// start and the end of a name are what identify it.
    pub fn render_within(&self, width: Option<usize>) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|cell| display_width(cell)).collect();
        for row in &self.rows {
            for (index, cell) in row.iter().enumerate().take(columns) {
                widths[index] = widths[index].max(display_width(cell).min(MAX_CELL));
            }
        }
        if let Some(width) = width {
            fit(&mut widths, &self.header, width);
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (index, width) in widths.iter().enumerate() {
                let cell = shorten_middle(row.get(index).map(String::as_str).unwrap_or(""), *width);
                if index + 1 == columns {
                    line.push_str(&cell);
                } else {
                    let padding = width.saturating_sub(display_width(&cell));
                    line.push_str(&cell);
                    line.push_str(&" ".repeat(padding + GAP));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Narrows the widest columns, one character at a time, until the row fits in `width`
/// or every column is at its minimum (a column never gets narrower than its header or
/// [`MIN_COLUMN`]).
fn fit(widths: &mut [usize], header: &[String], width: usize) {
    let total = |widths: &[usize]| -> usize {
        widths.iter().sum::<usize>() + GAP * widths.len().saturating_sub(1)
    };
    while total(widths) > width {
        let floor = |index: usize| display_width(&header[index]).max(MIN_COLUMN);
        let widest = (0..widths.len())
            .filter(|index| widths[*index] > floor(*index))
            .max_by_key(|index| widths[*index]);
        match widest {
            Some(index) => widths[index] -= 1,
            None => break,
        }
    }
}

/// Characters in `text` (tables count characters, not bytes).
fn display_width(text: &str) -> usize {
    text.chars().count()
}

/// `text` in at most `width` characters, its middle replaced by `…` when too long.
pub fn shorten_middle(text: &str, width: usize) -> String {
    let length = display_width(text);
    if length <= width {
        return text.to_string();
    }
    if width <= 1 {
        return "…".chars().take(width).collect();
    }
    let keep = width - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let mut short: String = text.chars().take(head).collect();
    short.push('…');
    short.extend(text.chars().skip(length - tail));
    short
}

/// The width tables are fitted to: the terminal's when stdout is one, else `$COLUMNS`.
fn output_width() -> Option<usize> {
    if stdout_is_terminal()
        && let Some((terminal_size::Width(columns), _)) = terminal_size::terminal_size()
    {
        return Some(usize::from(columns));
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.parse().ok())
        .filter(|columns: &usize| *columns > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_lose_their_middle_not_their_ends() {
        assert_eq!(shorten_middle("abcdefghij", 10), "abcdefghij");
        assert_eq!(shorten_middle("abcdefghij", 7), "abc…hij");
        assert_eq!(shorten_middle("abcdefghij", 6), "abc…ij");
    }

    #[test]
    fn tables_fit_the_width_by_narrowing_the_widest_columns() {
        let mut table = Table::new(&["PATH", "VALUE", "SET BY"]);
        table.row(vec![
            ".values.conf.nova.database.connection".into(),
            "x".repeat(90),
            "armada/Chart/v2/nova (layer site)".into(),
        ]);
        let text = table.render_within(Some(80));
        for line in text.lines() {
            assert!(display_width(line) <= 80, "{line:?}");
        }
        assert!(
            text.contains("(layer site)"),
            "identifying end kept: {text}"
        );
        let unfitted = table.render_within(None);
        assert!(unfitted.lines().nth(1).unwrap().contains(&"x".repeat(90)));
    }
}
