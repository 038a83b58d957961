//! Connecting, migrating and write transactions.

use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Which database engine a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file (the default).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Picks the engine from a database URL's scheme.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::invalid(
                "database.url",
                "must start with sqlite: or postgres://",
            ))
        }
    }

    /// Human name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A pool of connections to the site's database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// Where the pool connects, for connections kept outside it (the PostgreSQL listener).
    pub(crate) url: std::sync::Arc<str>,
    /// Whether story writes leave related lists to a later refresh (imports; see
    /// [`Store::for_bulk_import`]).
    pub(crate) defer_related: bool,
}

impl Store {
    /// Connects to the database at `url` (not yet migrated).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            create_sqlite_parent(url)?;
        }
        let options: AnyConnectOptions = url.parse()?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(300))
            // A ping before each use catches a server that dropped the connection; an SQLite
            // file cannot, and the ping costs a round trip to the connection's thread per query.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the single writer; the busy timeout makes a
                        // writer wait its turn instead of failing with "database is locked".
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
                             PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            backend,
            url: url.into(),
            defer_related: false,
        })
    }

    /// Connects and applies any pending migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let store = Self::connect(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The same database for an import of many stories: each write records what the story names
    /// but leaves the "Related" lists, which [`Store::queue_related_refresh`] has the job runner
    /// compute once at the end instead of after every story.
    pub fn for_bulk_import(&self) -> Store {
        Store {
            defer_related: true,
            ..self.clone()
        }
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies pending migrations and returns the descriptions of those applied now.
    pub async fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let before = self.applied_migrations().await.unwrap_or_default();
        self.migrator().run(&self.pool).await?;
        let after = self.applied_migrations().await?;
        Ok(self
            .migrator()
            .iter()
            .filter(|m| after.contains(&m.version) && !before.contains(&m.version))
            .map(|m| format!("{} {}", m.version, m.description))
            .collect())
    }

    /// Migrations known to this binary that the database has not applied yet.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        let applied = self.applied_migrations().await.unwrap_or_default();
        Ok(self
            .migrator()
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| format!("{} {}", m.version, m.description))
            .collect())
    }

    async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Checks that the database answers (for `/readyz` and `tidings check`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection; later queries fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Number of connections the pool holds right now (busy or idle).
    pub fn pool_size(&self) -> u32 {
        self.pool.size()
    }

    /// Number of the pool's connections waiting for work.
    pub fn pool_idle(&self) -> usize {
        self.pool.num_idle()
    }

    /// Most connections the pool will open.
    pub fn pool_max(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so that two writers never deadlock upgrading a read lock and instead wait on the busy timeout.
    pub(crate) async fn write_tx(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }
}

/// Bumps the content generation inside a write transaction, so the bump commits with the change.
pub(crate) async fn bump_generation(tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
    sqlx::query("UPDATE site_state SET generation = generation + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn create_sqlite_parent(url: &str) -> Result<(), StoreError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::invalid(
                    "database.url",
                    format!("cannot create {}: {e}", parent.display()),
                )
            })?;
        }
    }
    Ok(())
}

/// Seconds since the Unix epoch, the unit every stored time uses.
pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
