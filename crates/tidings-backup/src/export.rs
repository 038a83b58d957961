//! `tidings export`: the whole site as one JSON document, written row by row from one
//! consistent snapshot (memory stays flat however large the archive).

use std::io::Write;

use tidings_store::{Store, DUMP_TABLES};

use crate::document::{write_row, FORMAT, VERSION};
use crate::BackupError;

/// Rows written per table, in the document's order.
pub type Counts = Vec<(&'static str, u64)>;

/// Writes the whole site to `out`; `progress` hears each table's name and its rows so far.
pub async fn export(
    store: &Store,
    out: impl Write,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<Counts, BackupError> {
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, out);
    let schema = store.schema_version().await?;
    let mut snapshot = store.snapshot().await?;
    write!(
        out,
        "{{\"format\":\"{FORMAT}\",\"version\":{VERSION},\"schema\":{schema},\"exported_at\":{},\n\"tables\":{{",
        serde_json::to_string(&chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    )?;
    let mut counts = Vec::with_capacity(DUMP_TABLES.len());
    for (t, table) in DUMP_TABLES.iter().enumerate() {
        let columns = snapshot.columns(table.name).await?;
        write!(
            out,
            "{}\n\"{}\":[",
            if t == 0 { "" } else { "," },
            table.name
        )?;
        let mut n = 0u64;
        let mut failed: Option<std::io::Error> = None;
        snapshot
            .rows(table, &columns, |row| {
                let written = out
                    .write_all(if n == 0 { b"\n" } else { b",\n" })
                    .and_then(|_| write_row(&mut out, &row));
                if let Err(e) = written {
                    failed = Some(e);
                    return Err(tidings_store::StoreError::Invalid {
                        field: "export",
                        message: "cannot write".into(),
                    });
                }
                n += 1;
                if n.is_multiple_of(1000) {
                    progress(table.name, n);
                }
                Ok(())
            })
            .await
            .map_err(|e| match failed.take() {
                Some(io) => BackupError::Io(io),
                None => e.into(),
            })?;
        progress(table.name, n);
        out.write_all(b"]")?;
        counts.push((table.name, n));
    }
    out.write_all(b"}}\n")?;
    out.flush()?;
    Ok(counts)
}
