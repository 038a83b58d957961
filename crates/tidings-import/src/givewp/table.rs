//! A CSV export read whole, row by row, with each row's line number and its cells by column
//! name; a file that is not UTF-8, has rows of the wrong width or lacks a column is refused at once.

use std::collections::HashMap;
use std::path::Path;

use super::GiveError;

/// One row and where it was.
pub(super) struct Row {
    pub line: u64,
    cells: Vec<String>,
}

/// A whole CSV file.
pub(super) struct Table {
    pub file: String,
    columns: HashMap<String, usize>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Reads `path`, requiring every column in `required`.
    pub fn read(path: &Path, required: &[&str]) -> Result<Table, GiveError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| GiveError::at(&file, 0, e.to_string()))?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let mut records = reader.byte_records();
        let header = match records.next() {
            Some(r) => r.map_err(|e| csv_error(&file, e))?,
            None => return Err(GiveError::at(&file, 1, "the file is empty")),
        };
        let header = utf8(&file, 1, &header)?;
        let columns: HashMap<String, usize> = header
            .into_iter()
            .enumerate()
            .map(|(i, name)| (name.trim_start_matches('\u{feff}').trim().to_string(), i))
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !columns.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            return Err(GiveError::at(
                &file,
                1,
                format!("missing column(s) {}", missing.join(", ")),
            ));
        }
        let mut rows = Vec::new();
        // Lines counted from the record's byte offset: the csv crate's own line count is one
        // short after CRLF line ends, which GiveWP writes.
        let (mut counted_to, mut line) = (0usize, 1u64);
        let mut line_at = |byte: usize| {
            // The offset may name the `\n` of the CRLF before the record: count it too.
            let byte = (byte + 1).min(bytes.len());
            if byte > counted_to {
                line += bytes[counted_to..byte]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count() as u64;
                counted_to = byte;
            }
            line
        };
        for record in records {
            let record = record.map_err(|e| match e.position() {
                Some(p) => {
                    let at = line_at(p.byte() as usize);
                    match csv_error(&file, e) {
                        GiveError::At { message, .. } => GiveError::at(&file, at, message),
                        other => other,
                    }
                }
                None => csv_error(&file, e),
            })?;
            let line = line_at(record.position().map(|p| p.byte() as usize).unwrap_or(0));
            rows.push(Row {
                line,
                cells: utf8(&file, line, &record)?,
            });
        }
        Ok(Table {
            file,
            columns,
            rows,
        })
    }

    /// The cell of `row` in `column` (empty when the column is absent), with GiveWP's formula
    /// escape taken off: it puts `'` before a cell that starts with `=`, `-`, `@` or `+`.
    pub fn get<'a>(&self, row: &'a Row, column: &str) -> &'a str {
        let cell = self
            .columns
            .get(column)
            .and_then(|i| row.cells.get(*i))
            .map(String::as_str)
            .unwrap_or("");
        match cell.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '-', '@', '+']) => rest,
            _ => cell,
        }
    }

    /// An error at `row`.
    pub fn error(&self, row: &Row, message: impl Into<String>) -> GiveError {
        GiveError::at(&self.file, row.line, message)
    }
}

fn csv_error(file: &str, e: csv::Error) -> GiveError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} cells where the header has {expected_len}"),
        _ => e.to_string(),
    };
    GiveError::at(file, line, message)
}

fn utf8(file: &str, line: u64, record: &csv::ByteRecord) -> Result<Vec<String>, GiveError> {
    record
        .iter()
        .map(|cell| {
            std::str::from_utf8(cell).map(str::to_string).map_err(|_| {
                GiveError::at(
                    file,
                    line,
                    "not UTF-8 text (GiveWP exports UTF-8: export again, or convert the file)",
                )
            })
        })
        .collect()
}
