//! What programs read through the API: published articles by position (so pages hold still while
//! stories are published), and the newsroom's articles in every state.

use super::*;

impl Store {
    /// Ids of articles and pages in any state (or in `status`), newest first, below id `before`.
    pub async fn article_ids_newest_first(
        &self,
        status: Option<Status>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM articles WHERE ($1 = '' OR status = $1) AND id < $2 \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(status.map(|s| s.as_str()).unwrap_or_default())
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

/// Which published articles a program asks for, and where its page starts.
#[derive(Debug, Clone, Default)]
pub struct ArticleQuery {
    /// Only articles carrying this tag or a narrower one.
    pub tag_id: Option<i64>,
    /// Only articles bylined to this author.
    pub author_id: Option<i64>,
    /// Published at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Published before this time (Unix seconds).
    pub until: Option<i64>,
    /// Start after this `(published_at, id)`: the previous page's last article. Keyed this way,
    /// pages stay put while stories are published.
    pub after: Option<(i64, i64)>,
}

impl Store {
    /// Up to `limit` published articles matching `q`, newest first, each with its tags.
    pub async fn published_page(
        &self,
        q: &ArticleQuery,
        limit: i64,
    ) -> Result<Vec<(ArticleSummary, Vec<Tag>)>, StoreError> {
        let mut filters = vec!["a.kind = 'article' AND a.status = 'published'".to_string()];
        let mut binds: Vec<i64> = vec![limit];
        let next = |binds: &mut Vec<i64>, v: i64| {
            binds.push(v);
            format!("${}", binds.len())
        };
        if let Some(tag) = q.tag_id {
            let p = next(&mut binds, tag);
            filters.push(format!(
                "a.id IN (SELECT article_id FROM article_tags WHERE tag_id IN ({}))",
                crate::tags::tag_and_descendants(&p)
            ));
        }
        if let Some(author) = q.author_id {
            let p = next(&mut binds, author);
            filters.push(format!(
                "a.id IN (SELECT article_id FROM article_authors WHERE author_id = {p})"
            ));
        }
        if let Some(since) = q.since {
            filters.push(format!("a.published_at >= {}", next(&mut binds, since)));
        }
        if let Some(until) = q.until {
            filters.push(format!("a.published_at < {}", next(&mut binds, until)));
        }
        if let Some((at, id)) = q.after {
            let (at, id) = (next(&mut binds, at), next(&mut binds, id));
            filters.push(format!(
                "(a.published_at < {at} OR (a.published_at = {at} AND a.id < {id}))"
            ));
        }
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS} FROM articles a \
             LEFT JOIN tags t ON t.id = a.primary_tag_id WHERE {} \
             ORDER BY a.published_at DESC, a.id DESC LIMIT $1",
            filters.join(" AND ")
        );
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let items = self.summaries(rows).await?;
        let ids: Vec<i64> = items.iter().map(|a| a.id).collect();
        let mut tags = self.tags_of(&ids).await?;
        Ok(items
            .into_iter()
            .map(|a| {
                let t = tags.remove(&a.id).unwrap_or_default();
                (a, t)
            })
            .collect())
    }
}
