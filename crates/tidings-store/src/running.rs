//! Running stories: a tag marked as following one story over time, with a summary editors keep,
//! its stories as a timeline, and what came earlier for each of them.

use sqlx::Row;

use crate::db::{bump_generation, now, Store};
use crate::error::StoreError;
use crate::listing::SUMMARY_COLUMNS;
use crate::models::{ArticleSummary, Tag};
use crate::tags::{tag_from_row, TAG_COLUMNS};

/// Most stories a timeline lists.
pub const TIMELINE_MAX: i64 = 500;

impl Store {
    /// The summary of the running story tag `tag_id` follows, or `None` if it follows none.
    pub async fn running_story(&self, tag_id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT summary FROM running_stories WHERE tag_id = $1")
                .bind(tag_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.0))
    }

    /// Marks tag `tag_id` as following a running story with `summary`, or (`None`) as not.
    pub async fn set_running_story(
        &self,
        tag_id: i64,
        summary: Option<&str>,
    ) -> Result<(), StoreError> {
        if summary.is_some_and(|s| s.chars().count() > 5_000) {
            return Err(StoreError::invalid(
                "summary",
                "keep the summary under 5,000 characters",
            ));
        }
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM running_stories WHERE tag_id = $1")
            .bind(tag_id)
            .execute(&mut *tx)
            .await?;
        if let Some(summary) = summary {
            sqlx::query(
                "INSERT INTO running_stories (tag_id, summary, updated_at) VALUES ($1, $2, $3)",
            )
            .bind(tag_id)
            .bind(summary.trim())
            .bind(now())
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::NotFound("tag")
                }
                _ => StoreError::Database(e),
            })?;
        }
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The running story a story belongs to (its first tag that follows one), with its summary.
    pub async fn story_of(&self, article_id: i64) -> Result<Option<(Tag, String)>, StoreError> {
        let sql = format!(
            "SELECT {TAG_COLUMNS}, r.summary FROM article_tags x \
             JOIN running_stories r ON r.tag_id = x.tag_id JOIN tags t ON t.id = x.tag_id \
             WHERE x.article_id = $1 ORDER BY x.position, t.id LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(article_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some((tag_from_row(&r)?, r.try_get("summary")?))),
            None => Ok(None),
        }
    }

    /// The published stories carrying tag `tag_id`, oldest first or newest first.
    pub async fn timeline(
        &self,
        tag_id: i64,
        oldest_first: bool,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let order = if oldest_first { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS} FROM article_tags x \
             JOIN articles a ON a.id = x.article_id LEFT JOIN tags t ON t.id = a.primary_tag_id \
             WHERE x.tag_id = $1 AND a.status = 'published' AND a.kind = 'article' \
             ORDER BY a.published_at {order}, a.id {order} LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(tag_id)
            .bind(TIMELINE_MAX)
            .fetch_all(&self.pool)
            .await?;
        self.summaries(rows).await
    }

    /// The stories of tag `tag_id` published before story `article_id`, latest first.
    pub async fn earlier_in_story(
        &self,
        tag_id: i64,
        article_id: i64,
        limit: i64,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS} FROM article_tags x \
             JOIN articles a ON a.id = x.article_id LEFT JOIN tags t ON t.id = a.primary_tag_id \
             WHERE x.tag_id = $1 AND a.status = 'published' AND a.kind = 'article' \
             AND a.id <> $2 AND a.published_at <= (SELECT published_at FROM articles WHERE id = $2) \
             ORDER BY a.published_at DESC, a.id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(tag_id)
            .bind(article_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        self.summaries(rows).await
    }
}
