//! Both migration trees must describe the same database: the same tables, the same columns, and
//! for each column the same kind of value and the same NULL rule. Runs with the PostgreSQL pass.
//! The full-text index is the one deliberate difference (FTS5 virtual tables and their shadow
//! tables on SQLite, a `tsvector` table on PostgreSQL) and is left out of the comparison.

use std::collections::BTreeSet;

use sqlx::{AnyPool, Row};
use tidings_store::testing::TestDb;

/// (table, column, kind, nullable)
type Column = (String, String, &'static str, bool);

fn kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") || t == "bigserial" || t == "serial" {
        "integer"
    } else if t.contains("char") || t == "text" {
        "text"
    } else if t.contains("real") || t.contains("double") || t.contains("numeric") {
        "real"
    } else if t.contains("blob") || t == "bytea" {
        "bytes"
    } else {
        "other"
    }
}

async fn sqlite_columns(url: &str) -> BTreeSet<Column> {
    let pool = AnyPool::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect();
    let mut out = BTreeSet::new();
    for table in tables {
        let rows = sqlx::query(&format!(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{table}')"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        for r in rows {
            let notnull: i64 = r.get(2);
            let pk: i64 = r.get(3);
            out.insert((
                table.clone(),
                r.get::<String, _>(0),
                kind(&r.get::<String, _>(1)),
                // SQLite lets an INTEGER PRIMARY KEY be declared without NOT NULL; it never is null.
                notnull == 0 && pk == 0,
            ));
        }
    }
    pool.close().await;
    out
}

async fn postgres_columns(url: &str) -> BTreeSet<Column> {
    let pool = AnyPool::connect(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' \
         AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.iter()
        .map(|r| {
            (
                r.get::<String, _>(0),
                r.get::<String, _>(1),
                kind(&r.get::<String, _>(2)),
                r.get::<String, _>(3) == "YES",
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: set TIDINGS_TEST_DATABASE_URL and run with --ignored"]
async fn both_migration_trees_describe_one_schema_on_postgres() {
    sqlx::any::install_default_drivers();
    let sqlite = TestDb::sqlite().await;
    let postgres = TestDb::require_postgres().await;
    let engine_specific = |c: &Column| c.0.starts_with("article_search");
    let lite: BTreeSet<Column> = sqlite_columns(&sqlite.url)
        .await
        .into_iter()
        .filter(|c| !engine_specific(c))
        .collect();
    let pg: BTreeSet<Column> = postgres_columns(&postgres.url)
        .await
        .into_iter()
        .filter(|c| !engine_specific(c))
        .collect();
    assert!(lite.len() > 50, "the schema was read: {lite:?}");
    let only_sqlite: Vec<_> = lite.difference(&pg).collect();
    let only_postgres: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration trees differ.\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_postgres:#?}"
    );
}
