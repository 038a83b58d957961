//! The media library: rows describing uploaded images stored under the data dir.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::{now, Store};
use crate::error::{on_unique, StoreError};
use crate::models::FeatureImage;

/// An uploaded image.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Media {
    /// Row id.
    pub id: i64,
    /// Path under `/media/` of the original size.
    pub path: String,
    /// File name as uploaded.
    pub original_name: String,
    /// MIME type of the stored files.
    pub mime: String,
    /// Pixel width.
    pub width: i64,
    /// Pixel height.
    pub height: i64,
    /// Size of the original-size file in bytes.
    pub bytes: i64,
    /// Widths of the narrower variants.
    pub widths: Vec<i64>,
    /// Whether WebP copies exist.
    pub webp: bool,
    /// Whether AVIF copies exist (made by a background job some seconds after the upload).
    pub avif: bool,
    /// Default description for people who cannot see it.
    pub alt: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

impl Media {
    /// The feature-image fields this upload provides (words come from the editor).
    pub fn feature_image(&self) -> FeatureImage {
        FeatureImage {
            path: self.path.clone(),
            width: self.width,
            height: self.height,
            widths: self.widths.clone(),
            webp: self.webp,
            avif: self.avif,
            ..FeatureImage::default()
        }
    }
}

const COLUMNS: &str =
    "id, path, original_name, mime, width, height, bytes, widths, webp, avif, alt, created_at";

/// `media.avif`: the job has not looked at the image yet.
const AVIF_WAITING: i64 = 0;
/// `media.avif`: a smaller AVIF copy sits beside every size.
const AVIF_MADE: i64 = 1;
/// `media.avif`: tried, and none kept.
const AVIF_NONE: i64 = 2;

fn from_row(r: &AnyRow) -> Result<Media, sqlx::Error> {
    let widths: String = r.try_get("widths")?;
    Ok(Media {
        id: r.try_get("id")?,
        path: r.try_get("path")?,
        original_name: r.try_get("original_name")?,
        mime: r.try_get("mime")?,
        width: r.try_get("width")?,
        height: r.try_get("height")?,
        bytes: r.try_get("bytes")?,
        widths: widths.split(',').filter_map(|w| w.parse().ok()).collect(),
        webp: r.try_get::<i64, _>("webp")? != 0,
        avif: r.try_get::<i64, _>("avif")? == AVIF_MADE,
        alt: r.try_get("alt")?,
        created_at: DateTime::from_timestamp(r.try_get("created_at")?, 0)
            .unwrap_or(DateTime::UNIX_EPOCH),
    })
}

impl Store {
    /// Records an uploaded image whose files are already written.
    pub async fn create_media(
        &self,
        m: &Media,
        uploaded_by: Option<i64>,
    ) -> Result<Media, StoreError> {
        let widths = m
            .widths
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO media (path, original_name, mime, width, height, bytes, widths, webp, alt, \
             uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(&m.path)
        .bind(&m.original_name)
        .bind(&m.mime)
        .bind(m.width)
        .bind(m.height)
        .bind(m.bytes)
        .bind(widths)
        .bind(i64::from(m.webp))
        .bind(&m.alt)
        .bind(uploaded_by)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| on_unique(e, "path", &m.path))?;
        Ok(Media { id, ..m.clone() })
    }

    /// The library entry with this id.
    pub async fn media_by_id(&self, id: i64) -> Result<Option<Media>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM media WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The image at this path under `/media/`.
    pub async fn media_by_path(&self, path: &str) -> Result<Option<Media>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM media WHERE path = $1");
        let row = sqlx::query(&sql)
            .bind(path)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The newest uploads first.
    pub async fn list_media(&self, limit: i64) -> Result<Vec<Media>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM media ORDER BY created_at DESC, id DESC LIMIT $1");
        let rows = sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// The newest photo whose AVIF copies have not been tried yet (a fresh upload goes before an
    /// import's backlog).
    pub async fn next_media_for_avif(&self) -> Result<Option<Media>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM media WHERE avif = $1 AND mime = 'image/jpeg' \
             ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(AVIF_WAITING)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Records that the image's AVIF copies were written (`made`) or not; when they were, every
    /// article showing it as its feature image offers them from the next page it serves.
    pub async fn finish_media_avif(&self, id: i64, made: bool) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let path: Option<(String,)> =
            sqlx::query_as("UPDATE media SET avif = $1 WHERE id = $2 RETURNING path")
                .bind(if made { AVIF_MADE } else { AVIF_NONE })
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if let (true, Some((path,))) = (made, path) {
            let changed = sqlx::query(
                "UPDATE articles SET feature_image_avif = 1 WHERE feature_image = $1 \
                 AND feature_image_avif = 0",
            )
            .bind(&path)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                crate::db::bump_generation(&mut tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
