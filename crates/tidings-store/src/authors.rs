//! Authors: the people in bylines.

use sqlx::any::AnyRow;
use sqlx::Row;
use tidings_content::{slugify, validate_slug, SlugError};

use crate::db::{bump_generation, now, Store};
use crate::error::{on_unique, StoreError};
use crate::models::{Author, NewAuthor};

/// An author's columns, named with an `author_` prefix so that they never clash with a joined
/// row's.
pub(crate) const AUTHOR_COLUMNS: &str = "au.id AS author_id, au.slug AS author_slug, \
    au.name AS author_name, au.bio AS author_bio, au.avatar_url AS author_avatar_url";

pub(crate) fn author_from_row(row: &AnyRow) -> Result<Author, sqlx::Error> {
    Ok(Author {
        id: row.try_get("author_id")?,
        slug: row.try_get("author_slug")?,
        name: row.try_get("author_name")?,
        bio: row.try_get("author_bio")?,
        avatar_url: row.try_get("author_avatar_url")?,
    })
}

/// Slug rules for tags and authors: well formed, but the site's reserved words are fine under a prefix.
pub(crate) fn listing_slug(given: &str, name: &str) -> Result<String, StoreError> {
    let slug = if given.trim().is_empty() {
        slugify(name)
    } else {
        given.trim().to_string()
    };
    match validate_slug(&slug) {
        Ok(()) | Err(SlugError::Reserved(_)) => Ok(slug),
        Err(e) => Err(StoreError::invalid("slug", e.to_string())),
    }
}

impl Store {
    /// Adds an author; the slug is derived from the name when empty.
    pub async fn create_author(&self, new: &NewAuthor) -> Result<Author, StoreError> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(StoreError::invalid("name", "an author needs a name"));
        }
        let slug = listing_slug(&new.slug, name)?;
        let mut tx = self.write_tx().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO authors (slug, name, bio, avatar_url, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&slug)
        .bind(name)
        .bind(new.bio.trim())
        .bind(new.avatar_url.trim())
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "slug", &slug))?;
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(Author {
            id,
            slug,
            name: name.to_string(),
            bio: new.bio.trim().to_string(),
            avatar_url: new.avatar_url.trim().to_string(),
        })
    }

    /// Changes an author's name, slug, bio and portrait.
    pub async fn update_author(&self, id: i64, new: &NewAuthor) -> Result<Author, StoreError> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(StoreError::invalid("name", "an author needs a name"));
        }
        let slug = listing_slug(&new.slug, name)?;
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE authors SET slug = $1, name = $2, bio = $3, avatar_url = $4 WHERE id = $5",
        )
        .bind(&slug)
        .bind(name)
        .bind(new.bio.trim())
        .bind(new.avatar_url.trim())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "slug", &slug))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("author"));
        }
        bump_generation(&mut tx).await?;
        tx.commit().await?;
        Ok(Author {
            id,
            slug,
            name: name.to_string(),
            bio: new.bio.trim().to_string(),
            avatar_url: new.avatar_url.trim().to_string(),
        })
    }

    /// The author with this slug, if any.
    pub async fn author_by_slug(&self, slug: &str) -> Result<Option<Author>, StoreError> {
        let sql = format!("SELECT {AUTHOR_COLUMNS} FROM authors au WHERE au.slug = $1");
        let row = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(author_from_row).transpose()?)
    }

    /// Every author, by name.
    pub async fn list_authors(&self) -> Result<Vec<Author>, StoreError> {
        let sql = format!("SELECT {AUTHOR_COLUMNS} FROM authors au ORDER BY au.name");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(author_from_row).collect::<Result<_, _>>()?)
    }
}
