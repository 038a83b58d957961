//! Throwaway databases for tests: a fresh SQLite file, or a fresh PostgreSQL database on the server
//! named by `TIDINGS_TEST_DATABASE_URL`, created as `tidings_test_<random>` and dropped afterwards.
//! The database that variable names is only used to create and drop; nothing is written to it.

use std::path::PathBuf;

use rand::distr::{Alphanumeric, SampleString};
use sqlx::Connection;

use crate::db::{Backend, Store};

/// The environment variable naming a PostgreSQL server for tests.
pub const TEST_DATABASE_ENV: &str = "TIDINGS_TEST_DATABASE_URL";

/// A migrated, empty database that disappears when dropped.
pub struct TestDb {
    /// The store over the throwaway database.
    pub store: Store,
    /// Its URL, for code that connects by itself (such as a second process).
    pub url: String,
    dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A fresh database of the given engine, or `None` for PostgreSQL when no test server is set.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite().await),
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// A fresh PostgreSQL database; panics when `TIDINGS_TEST_DATABASE_URL` is unset, so a test
    /// asked to run on PostgreSQL can never pass without it.
    pub async fn require_postgres() -> TestDb {
        Self::postgres()
            .await
            .unwrap_or_else(|| panic!("{TEST_DATABASE_ENV} is not set: this test needs PostgreSQL"))
    }

    /// A fresh SQLite file in a temporary folder.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("tidings.db").display()
        );
        let store = Store::open(&url, 8)
            .await
            .expect("open SQLite test database");
        TestDb {
            store,
            url,
            dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` when `TIDINGS_TEST_DATABASE_URL` is unset.
    pub async fn postgres() -> Option<TestDb> {
        let admin = std::env::var(TEST_DATABASE_ENV)
            .ok()
            .filter(|v| !v.is_empty())?;
        let name = format!(
            "tidings_test_{}",
            Alphanumeric
                .sample_string(&mut rand::rng(), 12)
                .to_ascii_lowercase()
        );
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("{TEST_DATABASE_ENV} server unreachable: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let mut url = url::Url::parse(&admin).expect("TIDINGS_TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        let url = url.to_string();
        let store = Store::open(&url, 8)
            .await
            .expect("open PostgreSQL test database");
        Some(TestDb {
            store,
            url,
            dir: None,
            postgres: Some((admin, name)),
        })
    }

    /// The temporary data folder (SQLite only), handy as a server's data dir.
    pub fn dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().to_path_buf())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, so the cleanup gets a small runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

/// Runs a test body once per engine. The PostgreSQL variant is marked ignored, so a plain
/// `cargo test` reports it as such rather than as passed; `-- --ignored postgres` runs it, and it
/// fails when no server is configured.
#[macro_export]
macro_rules! each_backend {
    ($name:ident, |$store:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::testing::TestDb::new($crate::Backend::Sqlite)
                    .await
                    .unwrap();
                let $store = db.store.clone();
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL: set TIDINGS_TEST_DATABASE_URL and run with --ignored"]
            async fn postgres() {
                let db = $crate::testing::TestDb::require_postgres().await;
                let $store = db.store.clone();
                $body
            }
        }
    };
}

/// Runs raw SQL on a test's database (to stage a failure, say, with a trigger).
pub async fn execute(store: &Store, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sql).execute(&store.pool).await.map(|_| ())
}

/// A number read with raw SQL from a test's database (a count the store has no call for).
pub async fn number(store: &Store, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(&store.pool)
        .await
        .expect("a number");
    n
}

/// An open transaction on a connection of its own, holding the locks its statements took (to
/// stand for another process in the middle of its work).
pub struct HeldLock(sqlx::Transaction<'static, sqlx::Any>);

/// Begins a transaction, runs `sql` in it and keeps it open until [`HeldLock::release`].
pub async fn hold(store: &Store, sql: &str) -> HeldLock {
    let mut tx = store.pool.begin().await.expect("a connection");
    sqlx::raw_sql(sql)
        .execute(&mut *tx)
        .await
        .expect("the lock");
    HeldLock(tx)
}

impl HeldLock {
    /// Commits, releasing the locks.
    pub async fn release(self) {
        self.0.commit().await.expect("commit");
    }
}
