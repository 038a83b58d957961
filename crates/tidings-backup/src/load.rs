//! `tidings import tidings FILE`: an export read back into an empty site. The file is read twice:
//! first checked whole (format, version, every table, column and value), then written in one
//! transaction, so a damaged or foreign file writes nothing.

use std::collections::BTreeMap;
use std::path::Path;

use tidings_store::{Cell, ColumnKind, Columns, Store};

use crate::document::{read, Header, RowSink};
use crate::BackupError;

/// Rows read per table.
pub type Loaded = BTreeMap<String, u64>;

/// Checks the document at `path` whole, then writes it into `store` (which must be empty);
/// `progress` hears the rows written so far.
pub async fn import(
    store: &Store,
    path: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Header, Loaded), BackupError> {
    let mut loader = store.begin_load().await?;
    let tables = loader.tables();
    let file = path.to_path_buf();
    let (header, counted) = tokio::task::spawn_blocking(move || {
        let mut check = Check {
            tables,
            counts: BTreeMap::new(),
        };
        let f = std::fs::File::open(&file).map_err(BackupError::Io)?;
        let header = read(f, &mut check).map_err(BackupError::Document)?;
        Ok::<_, BackupError>((header, check.counts))
    })
    .await
    .map_err(|e| BackupError::Document(e.to_string()))??;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<(String, Vec<(String, Cell)>)>(256);
    let file = path.to_path_buf();
    let reading = tokio::task::spawn_blocking(move || {
        let mut send = Send { tx };
        let f = std::fs::File::open(&file).map_err(BackupError::Io)?;
        read(f, &mut send).map_err(BackupError::Document)
    });
    let mut written = 0u64;
    while let Some((table, row)) = rx.recv().await {
        loader.insert(&table, &row).await?;
        written += 1;
        if written.is_multiple_of(1000) {
            progress(written);
        }
    }
    reading
        .await
        .map_err(|e| BackupError::Document(e.to_string()))??;
    loader.finish().await?;
    progress(written);
    Ok((header, counted))
}

/// The first pass: every row fits a table and its columns here.
struct Check {
    tables: BTreeMap<&'static str, Columns>,
    counts: BTreeMap<String, u64>,
}

impl RowSink for Check {
    fn row(&mut self, table: &str, row: Vec<(String, Cell)>) -> Result<(), String> {
        let columns = self
            .tables
            .get(table)
            .ok_or_else(|| format!("{table} is not a table an export carries"))?;
        for (name, cell) in &row {
            let kind = columns
                .get(name)
                .ok_or_else(|| format!("{table} has no column {name}"))?;
            match (kind, cell) {
                (_, Cell::Null) | (ColumnKind::Integer, Cell::Int(_)) => {}
                (ColumnKind::Text, Cell::Text(_)) => {}
                (ColumnKind::Integer, _) => return Err(format!("{name}: expected a whole number")),
                (ColumnKind::Text, _) => return Err(format!("{name}: expected text")),
            }
        }
        *self.counts.entry(table.to_string()).or_default() += 1;
        Ok(())
    }
}

/// The second pass: rows to the writer, which stops the reading by hanging up.
struct Send {
    tx: tokio::sync::mpsc::Sender<(String, Vec<(String, Cell)>)>,
}

impl RowSink for Send {
    fn row(&mut self, table: &str, row: Vec<(String, Cell)>) -> Result<(), String> {
        self.tx
            .blocking_send((table.to_string(), row))
            .map_err(|_| "the import stopped".to_string())
    }
}
