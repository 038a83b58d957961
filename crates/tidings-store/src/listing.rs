//! Reading content for the public site: single articles, listings, feeds and sitemaps.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;
use tidings_content::{Kind, Status};

use crate::authors::{author_from_row, AUTHOR_COLUMNS};
use crate::db::Store;
use crate::error::StoreError;
use crate::models::{Article, ArticleSummary, Author, FeatureImage, Tag};
use crate::tags::{tag_and_descendants, tag_from_row, TAG_COLUMNS};

mod programs;
pub use programs::ArticleQuery;

pub(crate) const SUMMARY_COLUMNS: &str =
    "a.id, a.slug, a.title, a.dek, a.word_count, a.feature_image, \
    a.feature_image_alt, a.feature_image_caption, a.feature_image_credit, a.feature_image_width, \
    a.feature_image_height, a.feature_image_widths, a.published_at, a.updated_at, a.featured, \
    a.digest_priority, a.feature_image_webp, a.feature_image_avif";
/// An article's own columns beyond [`SUMMARY_COLUMNS`].
const ARTICLE_EXTRA_COLUMNS: &str = "a.kind, a.status, a.body_markdown, a.body_html, \
    a.seo_title, a.seo_description, a.canonical_url, a.version, a.created_by";

/// One page of a paginated listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows on this page.
    pub items: Vec<T>,
    /// Rows across all pages.
    pub total: i64,
}

/// A URL for the sitemap with its last change.
#[derive(Debug, Clone)]
pub struct SitemapEntry {
    /// Article or page slug.
    pub slug: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn ts(v: Option<i64>) -> DateTime<Utc> {
    v.and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or(DateTime::UNIX_EPOCH)
}

fn summary_from_row(row: &AnyRow) -> Result<ArticleSummary, sqlx::Error> {
    let widths: String = row.try_get("feature_image_widths")?;
    let tag_id: Option<i64> = row.try_get("tag_id")?;
    let primary_tag = match tag_id {
        Some(_) => Some(tag_from_row(row)?),
        None => None,
    };
    Ok(ArticleSummary {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        dek: row.try_get("dek")?,
        word_count: row.try_get("word_count")?,
        feature_image: FeatureImage {
            path: row.try_get("feature_image")?,
            alt: row.try_get("feature_image_alt")?,
            caption: row.try_get("feature_image_caption")?,
            credit: row.try_get("feature_image_credit")?,
            width: row.try_get("feature_image_width")?,
            height: row.try_get("feature_image_height")?,
            widths: widths.split(',').filter_map(|w| w.parse().ok()).collect(),
            webp: row.try_get::<i64, _>("feature_image_webp")? != 0,
            avif: row.try_get::<i64, _>("feature_image_avif")? != 0,
        },
        published_at: ts(row.try_get("published_at")?),
        updated_at: ts(row.try_get("updated_at")?),
        featured: row.try_get::<i64, _>("featured")? != 0,
        digest_priority: row.try_get("digest_priority")?,
        primary_tag,
        authors: Vec::new(),
    })
}

fn article_from_row(row: &AnyRow) -> Result<Article, sqlx::Error> {
    let s = summary_from_row(row)?;
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let published_at: Option<i64> = row.try_get("published_at")?;
    Ok(Article {
        id: s.id,
        kind: Kind::parse(&kind).unwrap_or(Kind::Article),
        slug: s.slug,
        title: s.title,
        dek: s.dek,
        body_markdown: row.try_get("body_markdown")?,
        body_html: row.try_get("body_html")?,
        word_count: s.word_count,
        feature_image: s.feature_image,
        status: Status::parse(&status).unwrap_or(Status::Draft),
        published_at: published_at.and_then(|t| DateTime::from_timestamp(t, 0)),
        updated_at: s.updated_at,
        featured: s.featured,
        digest_priority: s.digest_priority,
        primary_tag: s.primary_tag,
        tags: Vec::new(),
        authors: Vec::new(),
        seo_title: row.try_get("seo_title")?,
        seo_description: row.try_get("seo_description")?,
        canonical_url: row.try_get("canonical_url")?,
        version: row.try_get("version")?,
        created_by: row.try_get("created_by")?,
    })
}

/// `$first, $first+1, ...` for an IN list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// The article or page with this id, whatever its status.
    pub async fn article_by_id(&self, id: i64) -> Result<Option<Article>, StoreError> {
        self.one_article("a.id = $1", Bind::Int(id)).await
    }

    /// The published article or page at this slug, as readers see it.
    pub async fn published_by_slug(&self, slug: &str) -> Result<Option<Article>, StoreError> {
        self.one_article(
            "a.slug = $1 AND a.status = 'published'",
            Bind::Text(slug.to_string()),
        )
        .await
    }

    async fn one_article(&self, filter: &str, bind: Bind) -> Result<Option<Article>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS}, {ARTICLE_EXTRA_COLUMNS} FROM articles a LEFT JOIN tags t ON t.id = a.primary_tag_id \
             WHERE {filter}"
        );
        let query = sqlx::query(&sql);
        let query = match bind {
            Bind::Int(i) => query.bind(i),
            Bind::Text(s) => query.bind(s),
        };
        let Some(row) = query.fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let mut article = article_from_row(&row)?;
        let ids = [article.id];
        article.authors = self
            .authors_of(&ids)
            .await?
            .remove(&article.id)
            .unwrap_or_default();
        article.tags = self
            .tags_of(&ids)
            .await?
            .remove(&article.id)
            .unwrap_or_default();
        Ok(Some(article))
    }

    /// Published news articles, newest first (static pages are never listed).
    pub async fn latest(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Page<ArticleSummary>, StoreError> {
        self.listing("TRUE", None, limit, offset).await
    }

    /// Published articles carrying the tag, newest first.
    pub async fn latest_by_tag(
        &self,
        tag_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Page<ArticleSummary>, StoreError> {
        let filter = format!(
            "a.id IN (SELECT article_id FROM article_tags WHERE tag_id IN ({}))",
            tag_and_descendants("$3")
        );
        self.listing(&filter, Some(tag_id), limit, offset).await
    }

    /// Published articles bylined by the author, newest first.
    pub async fn latest_by_author(
        &self,
        author_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Page<ArticleSummary>, StoreError> {
        self.listing(
            "a.id IN (SELECT article_id FROM article_authors WHERE author_id = $3)",
            Some(author_id),
            limit,
            offset,
        )
        .await
    }

    /// Up to `limit` other published articles in the same section, newest first.
    pub async fn related(
        &self,
        article_id: i64,
        tag_id: i64,
        limit: i64,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS} FROM articles a \
             LEFT JOIN tags t ON t.id = a.primary_tag_id \
             WHERE a.kind = 'article' AND a.status = 'published' AND a.primary_tag_id = $1 \
             AND a.id <> $2 ORDER BY a.published_at DESC, a.id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(tag_id)
            .bind(article_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        self.summaries(rows).await
    }

    /// Published articles that went live at or after `since`, newest first (news sitemap).
    pub async fn published_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS} FROM articles a \
             LEFT JOIN tags t ON t.id = a.primary_tag_id \
             WHERE a.kind = 'article' AND a.status = 'published' AND a.published_at >= $1 \
             ORDER BY a.published_at DESC, a.id DESC LIMIT 1000"
        );
        let rows = sqlx::query(&sql)
            .bind(since.timestamp())
            .fetch_all(&self.pool)
            .await?;
        self.summaries(rows).await
    }

    /// Published news articles that went live after `after` and up to `until` (a digest's window).
    pub async fn published_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS} FROM articles a \
             LEFT JOIN tags t ON t.id = a.primary_tag_id \
             WHERE a.kind = 'article' AND a.status = 'published' AND a.published_at > $1 \
             AND a.published_at <= $2 ORDER BY a.published_at DESC, a.id DESC LIMIT 500"
        );
        let rows = sqlx::query(&sql)
            .bind(after.timestamp())
            .bind(until.timestamp())
            .fetch_all(&self.pool)
            .await?;
        self.summaries(rows).await
    }

    /// The newest published articles with their bodies, for feeds; `filter` limits to a tag or author.
    pub async fn feed_articles(
        &self,
        tag_id: Option<i64>,
        author_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Article>, StoreError> {
        let (filter, bind) = match (tag_id, author_id) {
            (Some(t), _) => (
                format!(
                    "a.id IN (SELECT article_id FROM article_tags WHERE tag_id IN ({}))",
                    tag_and_descendants("$2")
                ),
                Some(t),
            ),
            (None, Some(a)) => (
                "a.id IN (SELECT article_id FROM article_authors WHERE author_id = $2)".into(),
                Some(a),
            ),
            (None, None) => ("TRUE".into(), None),
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS}, {ARTICLE_EXTRA_COLUMNS} FROM articles a LEFT JOIN tags t ON t.id = a.primary_tag_id \
             WHERE a.kind = 'article' AND a.status = 'published' AND {filter} \
             ORDER BY a.published_at DESC, a.id DESC LIMIT $1"
        );
        let mut q = sqlx::query(&sql).bind(limit);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut articles: Vec<Article> = rows
            .iter()
            .map(article_from_row)
            .collect::<Result<_, _>>()?;
        let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
        let mut authors = self.authors_of(&ids).await?;
        let mut tags = self.tags_of(&ids).await?;
        for a in &mut articles {
            a.authors = authors.remove(&a.id).unwrap_or_default();
            a.tags = tags.remove(&a.id).unwrap_or_default();
        }
        Ok(articles)
    }

    /// Every published article and page, for the sitemap.
    pub async fn sitemap_entries(&self) -> Result<Vec<SitemapEntry>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT slug, updated_at FROM articles WHERE status = 'published' \
             ORDER BY published_at DESC, id DESC LIMIT 50000",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(slug, updated)| SitemapEntry {
                slug,
                updated_at: ts(Some(updated)),
            })
            .collect())
    }

    /// Tags and authors that have published articles, for the sitemap.
    pub async fn listed_tags_and_authors(&self) -> Result<(Vec<Tag>, Vec<Author>), StoreError> {
        let sql = format!(
            "SELECT {TAG_COLUMNS} FROM tags t WHERE EXISTS (SELECT 1 FROM article_tags x \
             JOIN articles a ON a.id = x.article_id WHERE x.tag_id = t.id AND a.status = 'published') \
             ORDER BY t.slug"
        );
        let tags = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(tag_from_row)
            .collect::<Result<_, _>>()?;
        let sql = format!(
            "SELECT {AUTHOR_COLUMNS} FROM authors au WHERE EXISTS (SELECT 1 FROM article_authors x \
             JOIN articles a ON a.id = x.article_id WHERE x.author_id = au.id AND a.status = 'published') \
             ORDER BY au.slug"
        );
        let authors = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(author_from_row)
            .collect::<Result<_, _>>()?;
        Ok((tags, authors))
    }

    async fn listing(
        &self,
        filter: &str,
        bind: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<ArticleSummary>, StoreError> {
        let base = "a.kind = 'article' AND a.status = 'published'";
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, {TAG_COLUMNS} FROM articles a \
             LEFT JOIN tags t ON t.id = a.primary_tag_id WHERE {base} AND {filter} \
             ORDER BY a.published_at DESC, a.id DESC LIMIT $1 OFFSET $2"
        );
        let mut q = sqlx::query(&sql).bind(limit).bind(offset);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let items = self.summaries(rows).await?;
        let count_filter = filter.replace("$3", "$1");
        let sql = format!("SELECT COUNT(*) FROM articles a WHERE {base} AND {count_filter}");
        let mut q = sqlx::query_as::<_, (i64,)>(&sql);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let (total,) = q.fetch_one(&self.pool).await?;
        Ok(Page { items, total })
    }

    pub(crate) async fn summaries(
        &self,
        rows: Vec<AnyRow>,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let mut items: Vec<ArticleSummary> = rows
            .iter()
            .map(summary_from_row)
            .collect::<Result<_, _>>()?;
        let ids: Vec<i64> = items.iter().map(|a| a.id).collect();
        let mut authors = self.authors_of(&ids).await?;
        for item in &mut items {
            item.authors = authors.remove(&item.id).unwrap_or_default();
        }
        Ok(items)
    }

    async fn authors_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<Author>>, StoreError> {
        let mut out: HashMap<i64, Vec<Author>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT {AUTHOR_COLUMNS}, x.article_id FROM article_authors x \
             JOIN authors au ON au.id = x.author_id WHERE x.article_id IN ({}) \
             ORDER BY x.article_id, x.position",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&self.pool).await? {
            let article_id: i64 = row.try_get("article_id")?;
            out.entry(article_id)
                .or_default()
                .push(author_from_row(&row)?);
        }
        Ok(out)
    }

    async fn tags_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<Tag>>, StoreError> {
        let mut out: HashMap<i64, Vec<Tag>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT {TAG_COLUMNS}, x.article_id FROM article_tags x \
             JOIN tags t ON t.id = x.tag_id WHERE x.article_id IN ({}) \
             ORDER BY x.article_id, x.position",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&self.pool).await? {
            let article_id: i64 = row.try_get("article_id")?;
            out.entry(article_id).or_default().push(tag_from_row(&row)?);
        }
        Ok(out)
    }
}

enum Bind {
    Int(i64),
    Text(String),
}

/// Filters for the newsroom's article list.
#[derive(Debug, Clone, Default)]
pub struct AdminFilter {
    /// Words to find in the title or dek.
    pub query: String,
    /// Only this status.
    pub status: Option<Status>,
    /// Only articles bylined by this author.
    pub author_id: Option<i64>,
    /// Only articles carrying this tag.
    pub tag_id: Option<i64>,
    /// Only articles created by, or bylined to the author of, this account.
    pub owner: Option<(i64, Option<i64>)>,
}

/// A row of the newsroom's article list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdminArticle {
    /// Row id.
    pub id: i64,
    /// Article or page.
    pub kind: Kind,
    /// URL name.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Draft, scheduled or published.
    pub status: Status,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Submitted for review and not yet published.
    pub in_review: bool,
}

impl Store {
    /// The newsroom's article list, newest change first, at most 200 rows.
    pub async fn admin_articles(&self, f: &AdminFilter) -> Result<Vec<AdminArticle>, StoreError> {
        let mut sql = String::from(
            "SELECT a.id, a.kind, a.slug, a.title, a.status, a.published_at, a.updated_at, \
             a.review_requested_at FROM articles a WHERE 1 = 1",
        );
        let mut texts: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        // Placeholders are numbered in bind order: all text binds first, then integers.
        // A query goes through the full-text index (drafts included); the rest filters its hits,
        // which keep the index's order.
        let ranked: Option<Vec<i64>> = if f.query.trim().is_empty() {
            None
        } else {
            let query = tidings_content::search_query::parse(&f.query);
            let page = self
                .search(&query, crate::search::Scope::Newsroom, 200, 0)
                .await?;
            Some(page.hits.iter().map(|h| h.id).collect())
        };
        if let Some(ids) = &ranked {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            // Ids are integers from the index, so they can stand in the SQL as they are.
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            sql.push_str(&format!(" AND a.id IN ({})", list.join(", ")));
        }
        if let Some(status) = f.status {
            texts.push(status.as_str().to_string());
            sql.push_str(&format!(" AND a.status = ${}", texts.len()));
        }
        let mut n = texts.len();
        let mut next = || {
            n += 1;
            n
        };
        if let Some(author) = f.author_id {
            ints.push(author);
            sql.push_str(&format!(
                " AND a.id IN (SELECT article_id FROM article_authors WHERE author_id = ${})",
                next()
            ));
        }
        if let Some(tag) = f.tag_id {
            ints.push(tag);
            sql.push_str(&format!(
                " AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = ${})",
                next()
            ));
        }
        if let Some((user_id, author_id)) = f.owner {
            ints.push(user_id);
            let created = next();
            ints.push(author_id.unwrap_or(-1));
            let bylined = next();
            sql.push_str(&format!(
                " AND (a.created_by = ${created} OR a.id IN (SELECT article_id FROM article_authors WHERE author_id = ${bylined}))"
            ));
        }
        sql.push_str(" ORDER BY a.updated_at DESC, a.id DESC LIMIT 200");
        let mut q = sqlx::query(&sql);
        for t in texts {
            q = q.bind(t);
        }
        for i in ints {
            q = q.bind(i);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut list: Vec<AdminArticle> = rows
            .iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let status: String = r.try_get("status")?;
                let published: Option<i64> = r.try_get("published_at")?;
                let review: Option<i64> = r.try_get("review_requested_at")?;
                let status = Status::parse(&status).unwrap_or(Status::Draft);
                Ok(AdminArticle {
                    id: r.try_get("id")?,
                    kind: Kind::parse(&kind).unwrap_or(Kind::Article),
                    slug: r.try_get("slug")?,
                    title: r.try_get("title")?,
                    status,
                    published_at: published.and_then(|t| DateTime::from_timestamp(t, 0)),
                    updated_at: ts(r.try_get("updated_at")?),
                    in_review: review.is_some() && status == Status::Draft,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)?;
        if let Some(ids) = ranked {
            list.sort_by_key(|a| ids.iter().position(|id| *id == a.id));
        }
        Ok(list)
    }

    /// Every tag, by name.
    pub async fn list_tags(&self) -> Result<Vec<Tag>, StoreError> {
        let sql = format!("SELECT {TAG_COLUMNS} FROM tags t ORDER BY t.name");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(tag_from_row).collect::<Result<_, _>>()?)
    }
}
