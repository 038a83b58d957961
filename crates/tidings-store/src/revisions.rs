//! Revision history and correction notes.

use chrono::{DateTime, Utc};

use crate::db::{bump_generation, now, Store};
use crate::error::StoreError;

/// A saved state of an article's words.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Revision {
    /// Row id.
    pub id: i64,
    /// Article version it became (0 for an autosave).
    pub version: i64,
    /// `save` or `autosave`.
    pub kind: String,
    /// Headline then.
    pub title: String,
    /// Dek then.
    pub dek: String,
    /// Markdown then.
    pub body_markdown: String,
    /// Who saved it.
    pub saved_by: Option<String>,
    /// When.
    pub saved_at: DateTime<Utc>,
}

/// A dated correction or update shown on the article.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Note {
    /// `correction` or `update`.
    pub kind: String,
    /// The note's text.
    pub body: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

type RevisionRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
);

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

impl Store {
    /// Records a save (the article's new `version`) or replaces this person's autosave (`None`).
    pub async fn add_revision(
        &self,
        article_id: i64,
        version: Option<i64>,
        title: &str,
        dek: &str,
        body: &str,
        user_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        // An autosave is a safety net, not history: keep one per person and article.
        sqlx::query("DELETE FROM article_revisions WHERE article_id = $1 AND kind = 'autosave' AND saved_by = $2")
            .bind(article_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO article_revisions (article_id, version, kind, title, dek, body_markdown, saved_by, saved_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(article_id)
        .bind(version.unwrap_or(0))
        .bind(if version.is_some() { "save" } else { "autosave" })
        .bind(title)
        .bind(dek)
        .bind(body)
        .bind(user_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An article's revisions, newest first.
    pub async fn revisions(&self, article_id: i64) -> Result<Vec<Revision>, StoreError> {
        let rows: Vec<RevisionRow> = sqlx::query_as(
            "SELECT r.id, r.version, r.kind, r.title, r.dek, r.body_markdown, u.email, r.saved_at \
             FROM article_revisions r LEFT JOIN users u ON u.id = r.saved_by \
             WHERE r.article_id = $1 ORDER BY r.saved_at DESC, r.id DESC LIMIT 200",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Revision {
                id: r.0,
                version: r.1,
                kind: r.2,
                title: r.3,
                dek: r.4,
                body_markdown: r.5,
                saved_by: r.6,
                saved_at: at(r.7),
            })
            .collect())
    }

    /// Appends a correction or update; the article's visible updated time moves with it.
    pub async fn add_note(
        &self,
        article_id: i64,
        kind: &str,
        body: &str,
        user_id: Option<i64>,
    ) -> Result<(), StoreError> {
        if !matches!(kind, "correction" | "update") {
            return Err(StoreError::invalid("kind", "choose correction or update"));
        }
        let body = body.trim();
        if body.is_empty() {
            return Err(StoreError::invalid(
                "note",
                "write what was corrected or updated",
            ));
        }
        let t = now();
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO article_notes (article_id, kind, body, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(article_id)
            .bind(kind)
            .bind(body)
            .bind(user_id)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE articles SET updated_at = $1 WHERE id = $2")
            .bind(t)
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An article's notes, oldest first (the order readers read them in).
    pub async fn notes(&self, article_id: i64) -> Result<Vec<Note>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kind, body, created_at FROM article_notes WHERE article_id = $1 ORDER BY created_at, id",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(kind, body, t)| Note {
                kind,
                body,
                created_at: at(t),
            })
            .collect())
    }
}
