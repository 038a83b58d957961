//! Writing articles and pages: validation, rendering at save time, and scheduled publishing.

use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};
use tidings_content::{count_words, render_markdown, slugify, validate_slug, Status};

use crate::db::{bump_generation, now, Store};
use crate::error::{on_unique, StoreError};
use crate::models::{Article, NewArticle};

/// A validated article ready to be written.
struct Prepared {
    slug: String,
    body_html: String,
    word_count: i64,
    status: Status,
    published_at: Option<i64>,
}

/// A canonical URL is empty or an absolute http(s) URL: it lands in `<link rel="canonical">` and
/// JSON-LD, where `javascript:` or a relative path would be an injection or a broken signal.
fn check_canonical_url(url: &str) -> Result<(), StoreError> {
    if url.is_empty() {
        return Ok(());
    }
    let ok = url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "canonical_url",
            "use a full address starting with https:// (or leave it empty)",
        ))
    }
}

fn prepare(new: &NewArticle) -> Result<Prepared, StoreError> {
    let title = new.title.trim();
    if title.is_empty() {
        return Err(StoreError::invalid("title", "a title is required"));
    }
    if title.chars().count() > 300 {
        return Err(StoreError::invalid(
            "title",
            "keep the title under 300 characters",
        ));
    }
    let slug = if new.slug.trim().is_empty() {
        slugify(title)
    } else {
        new.slug.trim().to_string()
    };
    validate_slug(&slug).map_err(|e| StoreError::invalid("slug", e.to_string()))?;
    let fi = &new.feature_image;
    if !fi.path.is_empty() && fi.alt.trim().is_empty() {
        return Err(StoreError::invalid(
            "feature_image_alt",
            "describe the feature image for readers who cannot see it",
        ));
    }
    check_canonical_url(new.canonical_url.trim())?;
    let body_html = render_markdown(&new.body_markdown);
    let word_count = count_words(&body_html) as i64;
    let now_ts = now();
    let (status, published_at) = match (new.status, new.published_at) {
        (Status::Draft, at) => (Status::Draft, at.map(|t| t.timestamp())),
        (Status::Scheduled, None) => {
            return Err(StoreError::invalid(
                "published_at",
                "a scheduled article needs a publication time",
            ))
        }
        // A publication time that has already passed makes a scheduled story live now, and one in the
        // future makes a "published" story wait for it.
        (Status::Scheduled | Status::Published, Some(at)) if at.timestamp() > now_ts => {
            (Status::Scheduled, Some(at.timestamp()))
        }
        (Status::Scheduled | Status::Published, Some(at)) => {
            (Status::Published, Some(at.timestamp()))
        }
        (Status::Published, None) => (Status::Published, Some(now_ts)),
    };
    Ok(Prepared {
        slug,
        body_html,
        word_count,
        status,
        published_at,
    })
}

/// Whether the feature image (always bound as `$8`) has its AVIF set, read from the media library
/// in the same statement: the background job that makes the set may finish while an editor saves.
const AVIF_OF_FEATURE: &str = "(SELECT COUNT(*) FROM media WHERE path = $8 AND avif = 1)";

impl Store {
    /// Creates an article or page, rendering its Markdown to sanitized HTML once, here.
    pub async fn create_article(&self, new: &NewArticle) -> Result<Article, StoreError> {
        let p = prepare(new)?;
        let mut tx = self.write_tx().await?;
        let ts = now();
        let fi = &new.feature_image;
        let sql = format!(
            "INSERT INTO articles (kind, slug, title, dek, body_markdown, body_html, word_count, \
             feature_image, feature_image_alt, feature_image_caption, feature_image_credit, \
             feature_image_width, feature_image_height, feature_image_widths, status, published_at, \
             updated_at, created_at, featured, digest_priority, primary_tag_id, seo_title, \
             seo_description, canonical_url, created_by, feature_image_webp, feature_image_avif) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
             $19, $20, $21, $22, $23, $24, $25, $26, {AVIF_OF_FEATURE}) RETURNING id"
        );
        let (id,): (i64,) = sqlx::query_as(&sql)
            .bind(new.kind.as_str())
            .bind(&p.slug)
            .bind(new.title.trim())
            .bind(new.dek.trim())
            .bind(&new.body_markdown)
            .bind(&p.body_html)
            .bind(p.word_count)
            .bind(&fi.path)
            .bind(fi.alt.trim())
            .bind(fi.caption.trim())
            .bind(fi.credit.trim())
            .bind(fi.width)
            .bind(fi.height)
            .bind(join_widths(&fi.widths))
            .bind(p.status.as_str())
            .bind(p.published_at)
            .bind(p.published_at.unwrap_or(ts).min(ts))
            .bind(ts)
            .bind(i64::from(new.featured))
            .bind(new.digest_priority)
            .bind(new.tag_ids.first().copied())
            .bind(new.seo_title.trim())
            .bind(new.seo_description.trim())
            .bind(new.canonical_url.trim())
            .bind(new.created_by)
            .bind(i64::from(fi.webp))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| on_unique(e, "slug", &p.slug))?;
        link_relations(&mut tx, id, new).await?;
        crate::search::index_article(&mut tx, id).await?;
        crate::related::note_change(&mut tx, id, self.defer_related).await?;
        if p.status == Status::Published {
            crate::webhooks::article_event_in(&mut tx, "article.published", id, ts).await?;
        }
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        self.article_by_id(id)
            .await?
            .ok_or(StoreError::NotFound("article"))
    }

    /// Replaces an article's content, keeping its id and creation time. With `expected_version`, a
    /// save based on an older version is refused with [`StoreError::Stale`] instead of overwriting
    /// someone else's change. Changing the slug of a published article leaves a redirect behind.
    pub async fn update_article(
        &self,
        id: i64,
        new: &NewArticle,
        expected_version: Option<i64>,
    ) -> Result<Article, StoreError> {
        let p = prepare(new)?;
        let mut tx = self.write_tx().await?;
        let current: Option<(String, String, i64)> =
            sqlx::query_as("SELECT slug, status, version FROM articles WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((old_slug, old_status, version)) = current else {
            return Err(StoreError::NotFound("article"));
        };
        if expected_version.is_some_and(|v| v != version) {
            return Err(StoreError::Stale { current: version });
        }
        let fi = &new.feature_image;
        let sql = format!(
            "UPDATE articles SET kind = $1, slug = $2, title = $3, dek = $4, body_markdown = $5, \
             body_html = $6, word_count = $7, feature_image = $8, feature_image_alt = $9, \
             feature_image_caption = $10, feature_image_credit = $11, feature_image_width = $12, \
             feature_image_height = $13, feature_image_widths = $14, status = $15, published_at = $16, \
             updated_at = $17, featured = $18, digest_priority = $19, primary_tag_id = $20, \
             seo_title = $21, seo_description = $22, canonical_url = $23, version = version + 1, \
             feature_image_webp = $24, feature_image_avif = {AVIF_OF_FEATURE} WHERE id = $25"
        );
        sqlx::query(&sql)
            .bind(new.kind.as_str())
            .bind(&p.slug)
            .bind(new.title.trim())
            .bind(new.dek.trim())
            .bind(&new.body_markdown)
            .bind(&p.body_html)
            .bind(p.word_count)
            .bind(&fi.path)
            .bind(fi.alt.trim())
            .bind(fi.caption.trim())
            .bind(fi.credit.trim())
            .bind(fi.width)
            .bind(fi.height)
            .bind(join_widths(&fi.widths))
            .bind(p.status.as_str())
            .bind(p.published_at)
            .bind(now())
            .bind(i64::from(new.featured))
            .bind(new.digest_priority)
            .bind(new.tag_ids.first().copied())
            .bind(new.seo_title.trim())
            .bind(new.seo_description.trim())
            .bind(new.canonical_url.trim())
            .bind(i64::from(fi.webp))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| on_unique(e, "slug", &p.slug))?;
        // Readers and search engines may hold the old address of a story that was live.
        if old_slug != p.slug && Status::parse(&old_status) == Some(Status::Published) {
            crate::imports::point_at_article(&mut tx, &format!("/{old_slug}/"), id, "slug change")
                .await?;
        }
        // Every old address of the story follows it; its new address redirects nowhere.
        let path = format!("/{}/", p.slug);
        sqlx::query("UPDATE redirects SET to_path = $1 WHERE article_id = $2")
            .bind(&path)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM redirects WHERE from_path = $1")
            .bind(&path)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM article_authors WHERE article_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        link_relations(&mut tx, id, new).await?;
        crate::search::index_article(&mut tx, id).await?;
        crate::related::note_change(&mut tx, id, self.defer_related).await?;
        let was_live = Status::parse(&old_status) == Some(Status::Published);
        let event = match (was_live, p.status == Status::Published) {
            (false, true) => Some("article.published"),
            (true, true) => Some("article.updated"),
            (true, false) => Some("article.unpublished"),
            (false, false) => None,
        };
        if let Some(event) = event {
            crate::webhooks::article_event_in(&mut tx, event, id, now()).await?;
        }
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        self.article_by_id(id)
            .await?
            .ok_or(StoreError::NotFound("article"))
    }

    /// Marks a draft as submitted for review.
    pub async fn request_review(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE articles SET review_requested_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Publishes every scheduled article whose time has come; returns how many went live.
    /// Safe to run from several nodes at once: each row flips exactly once.
    pub async fn publish_due(&self, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let due: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM articles WHERE status = 'scheduled' AND published_at <= $1",
        )
        .bind(at.timestamp())
        .fetch_all(&mut *tx)
        .await?;
        let mut published = 0;
        for (id,) in due {
            let done = sqlx::query(
                "UPDATE articles SET status = 'published' WHERE id = $1 AND status = 'scheduled'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                // Readers find it the moment it is live.
                crate::search::index_article(&mut tx, id).await?;
                crate::related::note_change(&mut tx, id, self.defer_related).await?;
                crate::webhooks::article_event_in(&mut tx, "article.published", id, at.timestamp())
                    .await?;
                published += 1;
            }
        }
        if published > 0 {
            bump_generation(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(published)
    }

    /// When the next scheduled article is due, if any.
    pub async fn next_scheduled(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let (at,): (Option<i64>,) =
            sqlx::query_as("SELECT MIN(published_at) FROM articles WHERE status = 'scheduled'")
                .fetch_one(&self.pool)
                .await?;
        Ok(at.and_then(|t| DateTime::from_timestamp(t, 0)))
    }
}

async fn link_relations(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    new: &NewArticle,
) -> Result<(), StoreError> {
    for (pos, tag_id) in dedup(&new.tag_ids).into_iter().enumerate() {
        sqlx::query("INSERT INTO article_tags (article_id, tag_id, position) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(tag_id)
            .bind(pos as i64)
            .execute(&mut **tx)
            .await
            .map_err(|e| foreign_key(e, "tags"))?;
    }
    for (pos, author_id) in dedup(&new.author_ids).into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO article_authors (article_id, author_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(author_id)
        .bind(pos as i64)
        .execute(&mut **tx)
        .await
        .map_err(|e| foreign_key(e, "authors"))?;
    }
    Ok(())
}

fn foreign_key(err: sqlx::Error, field: &'static str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::invalid(field, "refers to something that does not exist")
        }
        _ => StoreError::Database(err),
    }
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut seen = Vec::with_capacity(ids.len());
    for id in ids {
        if !seen.contains(id) {
            seen.push(*id);
        }
    }
    seen
}

fn join_widths(widths: &[i64]) -> String {
    widths
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
