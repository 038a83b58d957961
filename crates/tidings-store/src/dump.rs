//! Whole-site copies: the tables an export carries, read in one consistent snapshot and written
//! back in one transaction. Only this module knows which tables those are and in what order they
//! go back (a row's references must already be there).

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::db::{Backend, Store};
use crate::error::StoreError;

/// A table an export carries.
#[derive(Debug, Clone, Copy)]
pub struct DumpTable {
    /// Its name, as in the database and the export.
    pub name: &'static str,
    /// The columns that order its rows (its key), so that two exports of one site are identical.
    pub order_by: &'static [&'static str],
    /// Columns pointing at rows of the same table, filled once every row is in.
    pub late: &'static [&'static str],
}

const fn table(name: &'static str, order_by: &'static [&'static str]) -> DumpTable {
    DumpTable {
        name,
        order_by,
        late: &[],
    }
}

/// Every table an export carries, in an order that puts each row after what it refers to.
/// Left out on purpose: sign-in sessions, one-time tokens and API tokens (they must not outlive the
/// site that issued them), webhook endpoints and deliveries (a signing secret belongs to its site),
/// revisions (the export holds each story's latest state), the audit log, per-recipient delivery
/// records, queued jobs, rate-limit counters and payment-gateway event ids.
pub const DUMP_TABLES: &[DumpTable] = &[
    table("settings", &["key"]),
    table("authors", &["id"]),
    table("users", &["id"]),
    DumpTable {
        name: "tags",
        order_by: &["id"],
        late: &["parent_id"],
    },
    table("media", &["id"]),
    table("articles", &["id"]),
    table("article_authors", &["article_id", "author_id"]),
    table("article_tags", &["article_id", "tag_id"]),
    table("article_notes", &["id"]),
    table("article_names", &["article_id", "name"]),
    table("related_articles", &["article_id", "related_id"]),
    table("running_stories", &["tag_id"]),
    table("article_reads", &["article_id", "hour"]),
    table("redirects", &["from_path"]),
    table("imported_items", &["source", "source_id"]),
    table("subscribers", &["id"]),
    table("newsletters", &["id"]),
    table("digest_plans", &["edition"]),
    table("campaigns", &["id"]),
    table("donation_forms", &["id"]),
    table("donors", &["id"]),
    table("recurring_plans", &["id"]),
    table("donations", &["id"]),
    table("refunds", &["id"]),
];

/// The kind of value a column holds (every column is one of these two, on both engines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Whole numbers: ids, times in seconds, amounts in minor units, flags.
    Integer,
    /// Text.
    Text,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// A whole number.
    Int(i64),
    /// Text.
    Text(String),
}

/// A table's columns by name.
pub type Columns = BTreeMap<String, ColumnKind>;

/// A read of every dumped table as of one moment, while the site goes on writing.
pub struct Snapshot {
    tx: Transaction<'static, Any>,
    backend: Backend,
}

impl Store {
    /// Opens a consistent read of the whole site (a read transaction: SQLite's WAL snapshot,
    /// PostgreSQL's repeatable read), for an export taken while the site runs.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let tx = match self.backend() {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        };
        Ok(Snapshot {
            tx,
            backend: self.backend(),
        })
    }

    /// The newest migration applied: the database's schema version.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let (v,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        Ok(v)
    }

    /// Copies the SQLite database, as of one moment, to a new file (`VACUUM INTO`: consistent
    /// while the site goes on writing, and compacted).
    pub async fn copy_database_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::invalid(
                "backup",
                "only the embedded SQLite database is copied as a file",
            ));
        }
        let path = path.to_str().ok_or_else(|| {
            StoreError::invalid("backup", "the backup folder's path is not valid UTF-8")
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sets one setting in a copy made by [`Store::copy_database_to`], through one connection that
    /// keeps the file whole (no write-ahead log beside it) and is closed before this returns.
    pub async fn set_setting_in_copy(
        path: &std::path::Path,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
        use sqlx::{ConnectOptions, Connection};
        let mut conn = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Delete)
            .connect()
            .await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut conn)
        .await?;
        conn.close().await?;
        Ok(())
    }

    /// Starts writing a whole site back, in one transaction; refused unless the site is empty
    /// (settings aside), so that nothing already there is mixed with or lost to the copy.
    pub async fn begin_load(&self) -> Result<Loader, StoreError> {
        let mut tx = self.write_tx().await?;
        for t in DUMP_TABLES.iter().filter(|t| t.name != "settings") {
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {}", t.name))
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 {
                return Err(StoreError::invalid(
                    "site",
                    format!(
                        "this site already has {n} row(s) in {}; a whole-site import goes into an empty data folder or database",
                        t.name
                    ),
                ));
            }
        }
        let mut columns = BTreeMap::new();
        for t in DUMP_TABLES {
            columns.insert(
                t.name,
                table_columns(&mut tx, self.backend(), t.name).await?,
            );
        }
        Ok(Loader {
            tx,
            backend: self.backend(),
            columns,
            late: Vec::new(),
        })
    }
}

impl Snapshot {
    /// The columns of a dumped table.
    pub async fn columns(&mut self, table: &str) -> Result<Columns, StoreError> {
        table_columns(&mut self.tx, self.backend, table).await
    }

    /// Calls `each` with every row of `table` in key order, one at a time (memory stays flat).
    pub async fn rows(
        &mut self,
        table: &DumpTable,
        columns: &Columns,
        mut each: impl FnMut(Vec<(&str, Cell)>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let names: Vec<&str> = columns.keys().map(String::as_str).collect();
        // Text keys in byte order on both engines (PostgreSQL would use the server's locale).
        let order: Vec<String> = table
            .order_by
            .iter()
            .map(|c| match (self.backend, columns.get(*c)) {
                (Backend::Postgres, Some(ColumnKind::Text)) => format!("{c} COLLATE \"C\""),
                _ => c.to_string(),
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            names.join(", "),
            table.name,
            order.join(", ")
        );
        let mut rows = sqlx::query(&sql).fetch(&mut *self.tx);
        let mut n = 0;
        while let Some(row) = rows.try_next().await? {
            let mut cells = Vec::with_capacity(names.len());
            for (i, (name, kind)) in columns.iter().enumerate() {
                cells.push((name.as_str(), cell(&row, i, *kind)?));
            }
            each(cells)?;
            n += 1;
        }
        Ok(n)
    }
}

fn cell(row: &AnyRow, i: usize, kind: ColumnKind) -> Result<Cell, sqlx::Error> {
    Ok(match kind {
        ColumnKind::Integer => row
            .try_get::<Option<i64>, _>(i)?
            .map_or(Cell::Null, Cell::Int),
        ColumnKind::Text => row
            .try_get::<Option<String>, _>(i)?
            .map_or(Cell::Null, Cell::Text),
    })
}

async fn table_columns(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    table: &str,
) -> Result<Columns, StoreError> {
    let rows: Vec<(String, String)> = match backend {
        Backend::Sqlite => {
            sqlx::query_as("SELECT name, type FROM pragma_table_info($1)")
                .bind(table)
                .fetch_all(&mut **tx)
                .await?
        }
        Backend::Postgres => {
            sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1",
            )
            .bind(table)
            .fetch_all(&mut **tx)
            .await?
        }
    };
    if rows.is_empty() {
        return Err(StoreError::invalid(
            "table",
            format!("{table} is not in this database"),
        ));
    }
    Ok(rows
        .into_iter()
        .map(|(name, ty)| {
            let kind = if ty.to_ascii_lowercase().contains("int") {
                ColumnKind::Integer
            } else {
                ColumnKind::Text
            };
            (name, kind)
        })
        .collect())
}

/// Writes a whole site back: rows go in as given (ids kept), in one transaction that
/// [`Loader::finish`] commits; dropped unfinished, nothing is kept.
pub struct Loader {
    tx: Transaction<'static, Any>,
    backend: Backend,
    columns: BTreeMap<&'static str, Columns>,
    /// (table, key column, key, column, value) set once every row is in.
    late: Vec<(&'static str, String, i64, &'static str, i64)>,
}

impl Loader {
    /// Every table a load takes, with its columns here.
    pub fn tables(&self) -> BTreeMap<&'static str, Columns> {
        self.columns.clone()
    }

    /// Inserts one row of `table`.
    pub async fn insert(&mut self, table: &str, row: &[(String, Cell)]) -> Result<(), StoreError> {
        let spec = DUMP_TABLES
            .iter()
            .find(|t| t.name == table)
            .ok_or_else(|| StoreError::invalid("table", format!("unknown table {table}")))?;
        let columns = &self.columns[spec.name];
        let mut names = Vec::with_capacity(row.len());
        for (name, _) in row {
            if !columns.contains_key(name) {
                return Err(StoreError::invalid(
                    "column",
                    format!("{table} has no column {name}"),
                ));
            }
            names.push(name.as_str());
        }
        let placeholders: Vec<String> = (1..=row.len()).map(|i| format!("${i}")).collect();
        let upsert = if spec.name == "settings" {
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}){upsert}",
            spec.name,
            names.join(", "),
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (name, value) in row {
            let late = spec.late.iter().find(|l| **l == name.as_str());
            q = match (columns[name], value, late) {
                // Filled later: its row may not be in yet.
                (ColumnKind::Integer, Cell::Int(v), Some(col)) => {
                    let id = row
                        .iter()
                        .find_map(|(n, c)| match (n.as_str(), c) {
                            ("id", Cell::Int(id)) => Some(*id),
                            _ => None,
                        })
                        .ok_or_else(|| {
                            StoreError::invalid("id", format!("{table}: a row without an id"))
                        })?;
                    self.late.push((spec.name, "id".into(), id, col, *v));
                    q.bind(None::<i64>)
                }
                (ColumnKind::Integer, Cell::Int(v), None) => q.bind(*v),
                (ColumnKind::Integer, Cell::Null, _) => q.bind(None::<i64>),
                (ColumnKind::Text, Cell::Text(v), _) => q.bind(v.clone()),
                (ColumnKind::Text, Cell::Null, _) => q.bind(None::<String>),
                (kind, _, _) => {
                    return Err(StoreError::invalid(
                        "value",
                        format!(
                            "{table}.{name}: expected {}",
                            match kind {
                                ColumnKind::Integer => "a whole number or null",
                                ColumnKind::Text => "text or null",
                            }
                        ),
                    ))
                }
            };
        }
        q.execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Fills the columns held back, moves PostgreSQL's id counters past the ids written, and commits.
    pub async fn finish(mut self) -> Result<(), StoreError> {
        // The rows went in around the search index: have it rebuilt in the background.
        sqlx::query("UPDATE search_state SET language = '' WHERE id = 1")
            .execute(&mut *self.tx)
            .await?;
        for (table, key, id, column, value) in std::mem::take(&mut self.late) {
            sqlx::query(&format!(
                "UPDATE {table} SET {column} = $1 WHERE {key} = $2"
            ))
            .bind(value)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        }
        if self.backend == Backend::Postgres {
            for t in DUMP_TABLES {
                let has_id = self.columns[t.name].contains_key("id");
                if !has_id {
                    continue;
                }
                // Identity columns only; a table keyed otherwise has no counter to move.
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE((SELECT MAX(id) FROM {0}), 0) + 1, false) \
                     WHERE pg_get_serial_sequence('{0}', 'id') IS NOT NULL",
                    t.name
                ))
                .execute(&mut *self.tx)
                .await?;
            }
        }
        crate::db::bump_generation(&mut self.tx).await?;
        self.tx.commit().await?;
        Ok(())
    }
}
