//! Tags: sections and topics.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::authors::listing_slug;
use crate::db::{bump_generation, now, Store};
use crate::error::{on_unique, StoreError};
use crate::models::{NewTag, Tag};

/// A tag's columns, named with a `tag_` prefix so that they never clash with a joined row's.
pub(crate) const TAG_COLUMNS: &str = "t.id AS tag_id, t.slug AS tag_slug, t.name AS tag_name, \
    t.description AS tag_description, t.image_url AS tag_image_url";

pub(crate) fn tag_from_row(row: &AnyRow) -> Result<Tag, sqlx::Error> {
    Ok(Tag {
        id: row.try_get("tag_id")?,
        slug: row.try_get("tag_slug")?,
        name: row.try_get("tag_name")?,
        description: row.try_get("tag_description")?,
        image_url: row.try_get("tag_image_url")?,
    })
}

impl Store {
    /// Adds a tag; the slug is derived from the name when empty.
    pub async fn create_tag(&self, new: &NewTag) -> Result<Tag, StoreError> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(StoreError::invalid("name", "a tag needs a name"));
        }
        let slug = listing_slug(&new.slug, name)?;
        let mut tx = self.write_tx().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO tags (slug, name, description, image_url, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&slug)
        .bind(name)
        .bind(new.description.trim())
        .bind(new.image_url.trim())
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "slug", &slug))?;
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(Tag {
            id,
            slug,
            name: name.to_string(),
            description: new.description.trim().to_string(),
            image_url: new.image_url.trim().to_string(),
        })
    }

    /// Changes a tag's name, slug and description.
    pub async fn update_tag(&self, id: i64, new: &NewTag) -> Result<Tag, StoreError> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(StoreError::invalid("name", "a tag needs a name"));
        }
        let slug = listing_slug(&new.slug, name)?;
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE tags SET slug = $1, name = $2, description = $3, image_url = $4 WHERE id = $5",
        )
        .bind(&slug)
        .bind(name)
        .bind(new.description.trim())
        .bind(new.image_url.trim())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "slug", &slug))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("tag"));
        }
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(Tag {
            id,
            slug,
            name: name.to_string(),
            description: new.description.trim().to_string(),
            image_url: new.image_url.trim().to_string(),
        })
    }

    /// The tag with this slug, if any.
    pub async fn tag_by_slug(&self, slug: &str) -> Result<Option<Tag>, StoreError> {
        let sql = format!("SELECT {TAG_COLUMNS} FROM tags t WHERE t.slug = $1");
        let row = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(tag_from_row).transpose()?)
    }

    /// Sections for the masthead: tags that are the primary tag of published articles, busiest first.
    pub async fn sections(&self, limit: i64) -> Result<Vec<Tag>, StoreError> {
        let sql = format!(
            "SELECT {TAG_COLUMNS}, COUNT(a.id) AS n FROM tags t \
             JOIN articles a ON a.primary_tag_id = t.id \
             WHERE a.status = 'published' AND a.kind = 'article' \
             GROUP BY t.id, t.slug, t.name, t.description, t.image_url ORDER BY n DESC, t.name LIMIT $1"
        );
        let rows = sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(tag_from_row).collect::<Result<_, _>>()?)
    }
}
