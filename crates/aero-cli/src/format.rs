//! Output formats (`-o yaml|json|table`) and a small table printer.

use std::io::{self, IsTerminal, Write};

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

/// Prints `value` as YAML or JSON (pretty) to stdout.
pub fn print_value(format: OutputFormat, value: &serde_json::Value) -> io::Result<()> {
    let text = match format {
        OutputFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(value).unwrap_or_default()
        ),
        OutputFormat::Yaml | OutputFormat::Table => aero_yaml::to_yaml_string(value),
    };
    write_stdout(&text)
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

/// A table with a header row.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|name| name.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty). Cells longer than [`MAX_CELL`]
    /// characters are shortened with `…`; `-o json` or `-o yaml` show them whole.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows
            .push(cells.into_iter().map(|cell| shorten(&cell)).collect());
    }

    /// The table as text, columns padded to their widest cell.
    pub fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self
            .header
            .iter()
            .map(|cell| cell.chars().count())
            .collect();
        for row in &self.rows {
            for (index, cell) in row.iter().enumerate().take(columns) {
                widths[index] = widths[index].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (index, width) in widths.iter().enumerate() {
                let cell = row.get(index).map(String::as_str).unwrap_or("");
                if index + 1 == columns {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<width$}  "));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Widest cell a table shows.
pub const MAX_CELL: usize = 100;

fn shorten(cell: &str) -> String {
    let single_line = cell.replace('\n', "\\n");
    if single_line.chars().count() <= MAX_CELL {
        return single_line;
    }
    let mut short: String = single_line.chars().take(MAX_CELL - 1).collect();
    short.push('…');
    short
}
