//! Tags: sections and topics, nested as an outlet's WordPress categories were.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::authors::listing_slug;
use crate::db::{bump_generation, now, Store};
use crate::error::{on_unique, StoreError};
use crate::models::{NewTag, Tag};

/// A tag's columns, named with a `tag_` prefix so that they never clash with a joined row's.
pub(crate) const TAG_COLUMNS: &str = "t.id AS tag_id, t.slug AS tag_slug, t.name AS tag_name, \
    t.description AS tag_description, t.image_url AS tag_image_url, t.parent_id AS tag_parent_id";

/// The ids of tag `$n` and every tag beneath it, for `IN (…)`: a listing of a broad tag includes
/// its narrower tags' stories, as WordPress's category archives do. `UNION` stops at a cycle.
pub(crate) fn tag_and_descendants(param: &str) -> String {
    format!(
        "WITH RECURSIVE sub (id) AS (SELECT {param} UNION \
         SELECT c.id FROM tags c JOIN sub ON c.parent_id = sub.id) SELECT id FROM sub"
    )
}

/// Deepest nesting accepted (WordPress sites rarely go past three).
const MAX_DEPTH: usize = 8;

pub(crate) fn tag_from_row(row: &AnyRow) -> Result<Tag, sqlx::Error> {
    Ok(Tag {
        id: row.try_get("tag_id")?,
        slug: row.try_get("tag_slug")?,
        name: row.try_get("tag_name")?,
        description: row.try_get("tag_description")?,
        image_url: row.try_get("tag_image_url")?,
        parent_id: row.try_get("tag_parent_id")?,
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
        self.check_parent(None, new.parent_id).await?;
        let mut tx = self.write_tx().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO tags (slug, name, description, image_url, parent_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&slug)
        .bind(name)
        .bind(new.description.trim())
        .bind(new.image_url.trim())
        .bind(new.parent_id)
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
            parent_id: new.parent_id,
        })
    }

    /// Changes a tag's name, slug, description, image and parent.
    pub async fn update_tag(&self, id: i64, new: &NewTag) -> Result<Tag, StoreError> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(StoreError::invalid("name", "a tag needs a name"));
        }
        let slug = listing_slug(&new.slug, name)?;
        self.check_parent(Some(id), new.parent_id).await?;
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE tags SET slug = $1, name = $2, description = $3, image_url = $4, parent_id = $5 \
             WHERE id = $6",
        )
        .bind(&slug)
        .bind(name)
        .bind(new.description.trim())
        .bind(new.image_url.trim())
        .bind(new.parent_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "slug", &slug))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("tag"));
        }
        crate::search::index_tagged(&mut tx, id).await?;
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(Tag {
            id,
            slug,
            name: name.to_string(),
            description: new.description.trim().to_string(),
            image_url: new.image_url.trim().to_string(),
            parent_id: new.parent_id,
        })
    }

    /// Places a tag under a broader one (checked as an edit would be).
    pub async fn set_tag_parent(&self, id: i64, parent_id: i64) -> Result<(), StoreError> {
        self.check_parent(Some(id), Some(parent_id)).await?;
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE tags SET parent_id = $1 WHERE id = $2")
            .bind(parent_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refuses a parent that does not exist, is the tag itself or sits beneath it, or nests too deep.
    async fn check_parent(&self, tag: Option<i64>, parent: Option<i64>) -> Result<(), StoreError> {
        let Some(mut at) = parent else {
            return Ok(());
        };
        for _ in 0..MAX_DEPTH {
            if Some(at) == tag {
                return Err(StoreError::invalid(
                    "parent",
                    "a tag cannot sit beneath itself or one of its own narrower tags",
                ));
            }
            let row: Option<(Option<i64>,)> =
                sqlx::query_as("SELECT parent_id FROM tags WHERE id = $1")
                    .bind(at)
                    .fetch_optional(&self.pool)
                    .await?;
            match row {
                None => return Err(StoreError::invalid("parent", "no such tag")),
                Some((None,)) => return Ok(()),
                Some((Some(up),)) => at = up,
            }
        }
        Err(StoreError::invalid(
            "parent",
            format!("tags nest at most {MAX_DEPTH} deep"),
        ))
    }

    /// The tag with this slug, if any.
    pub async fn tag_by_slug(&self, slug: &str) -> Result<Option<Tag>, StoreError> {
        self.tag_where("t.slug = $1", slug.to_string()).await
    }

    /// The tag with this id, if any.
    pub async fn tag_by_id(&self, id: i64) -> Result<Option<Tag>, StoreError> {
        self.tag_where("t.id = $1", id).await
    }

    async fn tag_where<T>(&self, condition: &str, value: T) -> Result<Option<Tag>, StoreError>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        let sql = format!("SELECT {TAG_COLUMNS} FROM tags t WHERE {condition}");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(tag_from_row).transpose()?)
    }

    /// The tags above this one, broadest first (for a listing's breadcrumb).
    pub async fn tag_ancestors(&self, tag: &Tag) -> Result<Vec<Tag>, StoreError> {
        let mut out: Vec<Tag> = Vec::new();
        let mut next = tag.parent_id;
        let sql = format!("SELECT {TAG_COLUMNS} FROM tags t WHERE t.id = $1");
        while let Some(id) = next {
            if out.len() >= MAX_DEPTH || id == tag.id || out.iter().any(|t| t.id == id) {
                break;
            }
            let Some(row) = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
            else {
                break;
            };
            let parent = tag_from_row(&row)?;
            next = parent.parent_id;
            out.push(parent);
        }
        out.reverse();
        Ok(out)
    }

    /// The tags directly beneath this one, by name.
    pub async fn tag_children(&self, id: i64) -> Result<Vec<Tag>, StoreError> {
        let sql =
            format!("SELECT {TAG_COLUMNS} FROM tags t WHERE t.parent_id = $1 ORDER BY t.name");
        let rows = sqlx::query(&sql).bind(id).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(tag_from_row).collect::<Result<_, _>>()?)
    }

    /// Sections for the masthead: tags that are the primary tag of published articles, busiest first.
    pub async fn sections(&self, limit: i64) -> Result<Vec<Tag>, StoreError> {
        let sql = format!(
            "SELECT {TAG_COLUMNS}, COUNT(a.id) AS n FROM tags t \
             JOIN articles a ON a.primary_tag_id = t.id \
             WHERE a.status = 'published' AND a.kind = 'article' \
             GROUP BY t.id, t.slug, t.name, t.description, t.image_url, t.parent_id \
             ORDER BY n DESC, t.name LIMIT $1"
        );
        let rows = sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(tag_from_row).collect::<Result<_, _>>()?)
    }
}
