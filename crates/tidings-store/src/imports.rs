//! Redirects from old addresses, and what imports brought in (so that a second run updates).

use crate::db::{now, Store};
use crate::error::StoreError;

/// An old address and where it leads now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Redirect {
    /// The old path (with `?p=…` for WordPress's query-string permalinks).
    pub from_path: String,
    /// The new path.
    pub to_path: String,
    /// What made it (`wordpress`, `slug change`, `admin`).
    pub source: String,
}

/// What one import run created, so that a failure midway can take it back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportUndo {
    /// Articles and pages created (their tags, bylines and notes go with them).
    pub articles: Vec<i64>,
    /// Tags created.
    pub tags: Vec<i64>,
    /// Authors created.
    pub authors: Vec<i64>,
    /// Media library entries created.
    pub media: Vec<i64>,
    /// When the run started: the redirects it added (under its source) are those created since.
    pub since: i64,
}

impl Store {
    /// Takes back, in one transaction, everything an import from `source` created.
    pub async fn undo_import(&self, source: &str, undo: &ImportUndo) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        // What the run recorded of the articles and files it created goes with them.
        for (media, ids) in [(false, &undo.articles), (true, &undo.media)] {
            for id in ids {
                sqlx::query(
                    "DELETE FROM imported_items WHERE source = $1 AND target_id = $2 \
                     AND (kind = 'media') = $3",
                )
                .bind(source)
                .bind(id)
                .bind(media)
                .execute(&mut *tx)
                .await?;
            }
        }
        // Replaced redirects keep their creation time; only those the run added are newer.
        sqlx::query("DELETE FROM redirects WHERE source = $1 AND created_at >= $2")
            .bind(source)
            .bind(undo.since)
            .execute(&mut *tx)
            .await?;
        for (table, ids) in [
            ("articles", &undo.articles),
            ("tags", &undo.tags),
            ("authors", &undo.authors),
            ("media", &undo.media),
        ] {
            for id in ids {
                sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for id in &undo.articles {
            crate::search::index_article(&mut tx, *id).await?;
            crate::related::note_change(&mut tx, *id, self.defer_related).await?;
        }
        crate::db::bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Points `from_path` at `to_path` (replacing an earlier target, a story's included).
    pub async fn set_redirect(
        &self,
        from_path: &str,
        to_path: &str,
        source: &str,
    ) -> Result<(), StoreError> {
        if !from_path.starts_with('/') || !to_path.starts_with('/') || to_path.starts_with("//") {
            return Err(StoreError::invalid(
                "redirect",
                "both addresses must be paths on this site, starting with /",
            ));
        }
        sqlx::query(
            "INSERT INTO redirects (from_path, to_path, source, created_at, article_id) \
             VALUES ($1, $2, $3, $4, NULL) ON CONFLICT (from_path) DO UPDATE \
             SET to_path = excluded.to_path, source = excluded.source, article_id = NULL",
        )
        .bind(from_path)
        .bind(to_path)
        .bind(source)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Points `from_path` at a story: the redirect follows its later renames, answers only while
    /// it is published, and goes with it.
    pub async fn set_redirect_to_article(
        &self,
        from_path: &str,
        article_id: i64,
        source: &str,
    ) -> Result<(), StoreError> {
        if !from_path.starts_with('/') {
            return Err(StoreError::invalid(
                "redirect",
                "the old address must be a path on this site, starting with /",
            ));
        }
        let mut tx = self.write_tx().await?;
        point_at_article(&mut tx, from_path, article_id, source).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the redirect from `from_path`; `false` if there was none.
    pub async fn remove_redirect(&self, from_path: &str) -> Result<bool, StoreError> {
        let removed = sqlx::query("DELETE FROM redirects WHERE from_path = $1")
            .bind(from_path)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(removed > 0)
    }

    /// Where an old path leads now, if anywhere (a story's old address only while it is published).
    pub async fn redirect_target(&self, from_path: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT r.to_path FROM redirects r LEFT JOIN articles a ON a.id = r.article_id \
             WHERE r.from_path = $1 AND (r.article_id IS NULL OR a.status = 'published')",
        )
        .bind(from_path)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// Every redirect, by old path.
    pub async fn redirects(&self, limit: i64) -> Result<Vec<Redirect>, StoreError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT from_path, to_path, source FROM redirects ORDER BY from_path LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(from_path, to_path, source)| Redirect {
                from_path,
                to_path,
                source,
            })
            .collect())
    }

    /// What an earlier import made of `source_id` from `source`: (kind, row id).
    pub async fn imported(
        &self,
        source: &str,
        source_id: &str,
    ) -> Result<Option<(String, i64)>, StoreError> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT kind, target_id FROM imported_items WHERE source = $1 AND source_id = $2",
        )
        .bind(source)
        .bind(source_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
    }

    /// Every source id an earlier import from `source` brought in.
    pub async fn imported_ids(
        &self,
        source: &str,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT source_id FROM imported_items WHERE source = $1")
                .bind(source)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Records that `source_id` from `source` became row `target_id` of `kind`.
    pub async fn record_import(
        &self,
        source: &str,
        source_id: &str,
        kind: &str,
        target_id: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO imported_items (source, source_id, kind, target_id, imported_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source, source_id) \
             DO UPDATE SET kind = excluded.kind, target_id = excluded.target_id, imported_at = excluded.imported_at",
        )
        .bind(source)
        .bind(source_id)
        .bind(kind)
        .bind(target_id)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Points `from_path` at the story's current address, inside a write.
pub(crate) async fn point_at_article(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    from_path: &str,
    article_id: i64,
    source: &str,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO redirects (from_path, to_path, source, created_at, article_id) \
         SELECT $1, '/' || slug || '/', $2, $3, id FROM articles WHERE id = $4 \
         ON CONFLICT (from_path) DO UPDATE \
         SET to_path = excluded.to_path, source = excluded.source, article_id = excluded.article_id",
    )
    .bind(from_path)
    .bind(source)
    .bind(now())
    .bind(article_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("article"));
    }
    Ok(())
}
