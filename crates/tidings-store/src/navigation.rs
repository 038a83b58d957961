//! What menus can point at besides tags and plain addresses: the site's published pages.

use sqlx::Row;

use crate::db::Store;
use crate::error::StoreError;

/// A published static page, as a menu lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PageLink {
    /// Row id (menus keep it, so a renamed page keeps its place).
    pub id: i64,
    /// URL name.
    pub slug: String,
    /// Title.
    pub title: String,
}

impl Store {
    /// Every published page, by title.
    pub async fn published_pages(&self) -> Result<Vec<PageLink>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, slug, title FROM articles WHERE kind = 'page' AND status = 'published' \
             ORDER BY title, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PageLink {
                    id: r.try_get("id")?,
                    slug: r.try_get("slug")?,
                    title: r.try_get("title")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
