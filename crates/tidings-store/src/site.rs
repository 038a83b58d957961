//! Site-wide state: the content generation, the public URL and the outlet's settings.

use std::collections::BTreeMap;

use crate::db::{bump_generation, Store};
use crate::error::StoreError;

/// The outlet's own words and identity, edited in the admin (organisation name, address, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings(pub BTreeMap<String, String>);

impl Settings {
    /// The value for `key`, or an empty string.
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }
}

impl Store {
    /// The content generation: it changes whenever anything readers can see changes.
    pub async fn generation(&self) -> Result<i64, StoreError> {
        let (g,): (i64,) = sqlx::query_as("SELECT generation FROM site_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(g)
    }

    /// The public URL the running site last announced (empty before the first `serve`).
    pub async fn site_url(&self) -> Result<String, StoreError> {
        let (u,): (String,) = sqlx::query_as("SELECT site_url FROM site_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(u)
    }

    /// Records the public URL, so that commands run beside the server build the same links.
    pub async fn set_site_url(&self, url: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let changed =
            sqlx::query("UPDATE site_state SET site_url = $1 WHERE id = 1 AND site_url <> $1")
                .bind(url)
                .execute(&mut *tx)
                .await?;
        if changed.rows_affected() > 0 {
            bump_generation(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// All settings.
    pub async fn settings(&self) -> Result<Settings, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
            .fetch_all(&self.pool)
            .await?;
        Ok(Settings(rows.into_iter().collect()))
    }

    /// A random secret kept in the settings under `name`, made on first use (signing links and
    /// challenges); every process on the database shares it, and the first one written wins.
    pub async fn secret(&self, name: &str) -> Result<String, StoreError> {
        let read = || async {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT value FROM settings WHERE key = $1 AND value <> ''")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok::<_, StoreError>(row.map(|(v,)| v))
        };
        if let Some(v) = read().await? {
            return Ok(v);
        }
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE settings.value = ''",
        )
        .bind(name)
        .bind(tidings_accounts::new_token())
        .execute(&self.pool)
        .await?;
        read().await?.ok_or(StoreError::NotFound("secret"))
    }

    /// Sets several settings in one transaction.
    pub async fn set_settings(&self, pairs: &[(&str, &str)]) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        for (key, value) in pairs {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(*key)
            .bind(*value)
            .execute(&mut *tx)
            .await?;
        }
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether the database holds any content or settings yet (a fresh site holds neither).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM articles) + (SELECT COUNT(*) FROM settings) \
             + (SELECT COUNT(*) FROM authors)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n == 0)
    }

    /// Published stories and newsletters sent, for the onboarding checklist: one query.
    pub async fn first_steps(&self) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM articles WHERE kind = 'article' AND status = 'published'), \
             (SELECT COUNT(*) FROM newsletters WHERE status = 'sent')",
        )
        .fetch_one(&self.pool)
        .await?)
    }
}
