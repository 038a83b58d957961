//! Revision history and correction notes.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::db::{bump_generation, now, Store};
use crate::error::StoreError;
use crate::states::{decode, NoteKind, RevisionKind};

/// A saved state of an article's words.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Revision {
    /// Row id.
    pub id: i64,
    /// Article version it became (0 for an autosave).
    pub version: i64,
    /// An explicit save or an autosave.
    pub kind: RevisionKind,
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
    /// A correction or an update.
    pub kind: NoteKind,
    /// The note's text.
    pub body: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

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
        sqlx::query(
            "DELETE FROM article_revisions WHERE article_id = $1 AND kind = $2 AND saved_by = $3",
        )
        .bind(article_id)
        .bind(RevisionKind::Autosave.as_str())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO article_revisions (article_id, version, kind, title, dek, body_markdown, saved_by, saved_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(article_id)
        .bind(version.unwrap_or(0))
        .bind(match version {
            Some(_) => RevisionKind::Save.as_str(),
            None => RevisionKind::Autosave.as_str(),
        })
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
        let rows = sqlx::query(
            "SELECT r.id, r.version, r.kind, r.title, r.dek, r.body_markdown, u.email AS saved_by, r.saved_at \
             FROM article_revisions r LEFT JOIN users u ON u.id = r.saved_by \
             WHERE r.article_id = $1 ORDER BY r.saved_at DESC, r.id DESC LIMIT 200",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Revision {
                    id: r.try_get("id")?,
                    version: r.try_get("version")?,
                    kind: decode(r, "kind")?,
                    title: r.try_get("title")?,
                    dek: r.try_get("dek")?,
                    body_markdown: r.try_get("body_markdown")?,
                    saved_by: r.try_get("saved_by")?,
                    saved_at: at(r.try_get("saved_at")?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Appends a correction or update; the article's visible updated time moves with it.
    pub async fn add_note(
        &self,
        article_id: i64,
        kind: &str,
        body: &str,
        user_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let kind: NoteKind = kind
            .parse()
            .map_err(|_| StoreError::invalid("kind", "choose correction or update"))?;
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
            .bind(kind.as_str())
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
        let rows = sqlx::query(
            "SELECT kind, body, created_at FROM article_notes WHERE article_id = $1 ORDER BY created_at, id",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Note {
                    kind: decode(r, "kind")?,
                    body: r.try_get("body")?,
                    created_at: at(r.try_get("created_at")?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
