//! The content API: what readers can see, as JSON, without a token. Answers are cached like
//! pages (rebuilt after any change to the site) and carry an `ETag`.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use serde::Serialize;
use serde_json::{Map, Value};
use tidings_store::{ArticleQuery, ArticleSummary, Author, Tag};
use utoipa::{IntoParams, ToSchema};

use crate::api::params::{cursor, is_slug, read_cursor, rfc3339, shown, Params};
use crate::api::problem::{ApiError, Problem};
use crate::app::AppState;
use crate::cache::CachedPage;

/// How long browsers and CDNs may keep an answer (as long as a page).
const API_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";
/// Media type of every successful answer.
pub(super) const JSON: &str = "application/json";
/// Articles on a page unless `limit` says otherwise.
const DEFAULT_LIMIT: i64 = 20;
/// Most articles on a page.
const MAX_LIMIT: i64 = 100;

/// What may be asked for with `fields`; without it, all but `html` in lists and all of them for
/// one article.
const FIELDS: [&str; 13] = [
    "slug",
    "title",
    "dek",
    "url",
    "published_at",
    "updated_at",
    "authors",
    "tags",
    "primary_tag",
    "feature_image",
    "word_count",
    "reading_minutes",
    "html",
];

/// A tag or author as an article names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    /// Its slug, usable as the `tag` or `author` filter.
    #[schema(example = "city-hall")]
    pub slug: String,
    /// Display name.
    #[schema(example = "City Hall")]
    pub name: String,
    /// Its page on the site.
    #[schema(example = "https://news.example.org/tag/city-hall/")]
    pub url: String,
}

/// An article's image.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Image {
    /// The original file.
    #[schema(example = "https://news.example.org/media/2026/11/harbour.jpg")]
    pub url: String,
    /// Text alternative.
    pub alt: String,
    /// Caption.
    pub caption: String,
    /// Photographer or source.
    pub credit: String,
    /// Width in pixels (0 when unknown).
    pub width: i64,
    /// Height in pixels (0 when unknown).
    pub height: i64,
}

/// A published article. Every field is present unless `fields` chose fewer; `html` only when
/// asked for in lists.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "harbour-bridge-reopens",
    "title": "Harbour bridge reopens",
    "dek": "Repairs to the cables finished two weeks early.",
    "url": "https://news.example.org/harbour-bridge-reopens/",
    "published_at": "2026-11-28T07:30:00Z",
    "updated_at": "2026-11-28T09:10:00Z",
    "authors": [{"slug": "ana-silva", "name": "Ana Silva", "url": "https://news.example.org/author/ana-silva/"}],
    "tags": [{"slug": "transport", "name": "Transport", "url": "https://news.example.org/tag/transport/"}],
    "primary_tag": {"slug": "transport", "name": "Transport", "url": "https://news.example.org/tag/transport/"},
    "feature_image": null,
    "word_count": 640,
    "reading_minutes": 3
}))]
pub struct ArticleItem {
    /// Its name in URLs.
    #[schema(required = false)]
    pub slug: String,
    /// Headline.
    #[schema(required = false)]
    pub title: String,
    /// Standfirst.
    #[schema(required = false)]
    pub dek: String,
    /// Its page on the site.
    #[schema(required = false)]
    pub url: String,
    /// When it was published (RFC 3339, UTC).
    #[schema(required = false, format = DateTime)]
    pub published_at: String,
    /// When its content last changed (RFC 3339, UTC).
    #[schema(required = false, format = DateTime)]
    pub updated_at: String,
    /// Bylines in order.
    #[schema(required = false)]
    pub authors: Vec<Link>,
    /// Tags in order, the section first.
    #[schema(required = false)]
    pub tags: Vec<Link>,
    /// The section it is filed under.
    #[schema(required = false)]
    pub primary_tag: Option<Link>,
    /// The image at the top.
    #[schema(required = false)]
    pub feature_image: Option<Image>,
    /// Words in the body.
    #[schema(required = false)]
    pub word_count: i64,
    /// Minutes to read, as the site shows it.
    #[schema(required = false)]
    pub reading_minutes: i64,
    /// The body as sanitised HTML, as the site shows it.
    #[schema(required = false)]
    pub html: Option<String>,
}

/// A page of articles.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    /// Newest first.
    pub items: Vec<ArticleItem>,
    /// Pass as `cursor` for the next page; `null` on the last. Pages stay put while stories are
    /// published.
    pub next_cursor: Option<String>,
}

/// Filters and paging of the article list (documentation of what [`Params`] reads).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Articles on the page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    cursor: Option<String>,
    /// Only articles carrying this tag or a narrower one (its slug).
    #[param(pattern = r"^[a-z0-9-]{1,200}$")]
    tag: Option<String>,
    /// Only articles bylined to this author (its slug).
    #[param(pattern = r"^[a-z0-9-]{1,200}$")]
    author: Option<String>,
    /// Published at or after this time.
    #[param(format = DateTime)]
    since: Option<String>,
    /// Published before this time.
    #[param(format = DateTime)]
    until: Option<String>,
    /// Only these fields of each article, comma-separated.
    #[param(style = Form, explode = false, inline, min_items = 1)]
    fields: Option<Vec<Field>>,
}

/// Field choice of one article (documentation of what [`Params`] reads).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OneParams {
    /// Only these fields, comma-separated.
    #[param(style = Form, explode = false, inline, min_items = 1)]
    fields: Option<Vec<Field>>,
}

/// A field of an article.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "snake_case")]
pub enum Field {
    Slug,
    Title,
    Dek,
    Url,
    PublishedAt,
    UpdatedAt,
    Authors,
    Tags,
    PrimaryTag,
    FeatureImage,
    WordCount,
    ReadingMinutes,
    Html,
}

fn tag_link(base: &str, t: &Tag) -> Link {
    Link {
        slug: t.slug.clone(),
        name: t.name.clone(),
        url: format!("{base}/tag/{}/", t.slug),
    }
}

fn author_link(base: &str, a: &Author) -> Link {
    Link {
        slug: a.slug.clone(),
        name: a.name.clone(),
        url: format!("{base}/author/{}/", a.slug),
    }
}

fn item(base: &str, a: &ArticleSummary, tags: &[Tag], html: Option<String>) -> ArticleItem {
    let fi = &a.feature_image;
    ArticleItem {
        slug: a.slug.clone(),
        title: a.title.clone(),
        dek: a.dek.clone(),
        url: format!("{base}/{}/", a.slug),
        published_at: rfc3339(a.published_at),
        updated_at: rfc3339(a.updated_at),
        authors: a.authors.iter().map(|x| author_link(base, x)).collect(),
        tags: tags.iter().map(|t| tag_link(base, t)).collect(),
        primary_tag: a.primary_tag.as_ref().map(|t| tag_link(base, t)),
        feature_image: (!fi.path.is_empty()).then(|| Image {
            url: format!("{base}/media/{}", fi.path),
            alt: fi.alt.clone(),
            caption: fi.caption.clone(),
            credit: fi.credit.clone(),
            width: fi.width,
            height: fi.height,
        }),
        word_count: a.word_count,
        reading_minutes: tidings_content::reading_minutes(a.word_count.max(0) as usize) as i64,
        html,
    }
}

/// The item as JSON with only the chosen fields (all but `html` unless chosen).
fn chosen(item: &ArticleItem, fields: Option<&[&str]>, with_html: bool) -> Value {
    let Ok(Value::Object(all)) = serde_json::to_value(item) else {
        return Value::Null;
    };
    let keep: Map<String, Value> = all
        .into_iter()
        .filter(|(k, _)| match fields {
            Some(f) => f.contains(&k.as_str()),
            None => k != "html" || with_html,
        })
        .collect();
    Value::Object(keep)
}

/// Answers from the page cache, or builds the JSON, caches it and answers.
pub(super) async fn cached<F, Fut>(
    app: &AppState,
    key: String,
    headers: &HeaderMap,
    build: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Vec<u8>, ApiError>>,
{
    if let Some(page) = app.cache().get(&key) {
        return page.respond(headers);
    }
    let generation = app.cache().generation();
    match build().await {
        Ok(body) => {
            let page = Arc::new(CachedPage::new(
                generation,
                StatusCode::OK,
                JSON,
                API_CACHE,
                body,
            ));
            app.cache().put(key, page.clone());
            page.respond(headers)
        }
        Err(e) => e.into_response(),
    }
}

pub(super) fn to_json(v: &impl Serialize) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| crate::error::AppError::Internal(e.to_string()).into())
}

/// `GET /api/v1/articles`
#[utoipa::path(
    get,
    path = "/api/v1/articles",
    tag = "content",
    operation_id = "listArticles",
    summary = "Published articles, newest first",
    params(ListParams),
    responses(
        (status = 200, description = "A page of articles", body = ArticleList),
        (status = 304, description = "Unchanged since the `ETag` given in `If-None-Match`"),
        (status = 400, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The `tag` or `author` does not exist", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_articles(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let key = format!(
        "api:/api/v1/articles?{}",
        raw.as_deref().unwrap_or_default()
    );
    let a = app.clone();
    cached(&app, key, &headers, || async move {
        let p = Params::new(raw.as_deref());
        let limit = p.int("limit", 1, MAX_LIMIT, DEFAULT_LIMIT)?;
        let fields = p.fields("fields", &FIELDS)?;
        let mut q = ArticleQuery {
            since: p.time("since")?,
            until: p.time("until")?,
            ..ArticleQuery::default()
        };
        if let Some(c) = p.get("cursor") {
            let parts = read_cursor(c, 2)?;
            q.after = Some((parts[0], parts[1]));
        }
        if let Some(slug) = p.slug("tag")? {
            let tag = a.reader().tag_by_slug(slug).await?;
            let tag = tag.ok_or_else(|| ApiError::not_found(format!("No tag `{slug}`.")))?;
            q.tag_id = Some(tag.id);
        }
        if let Some(slug) = p.slug("author")? {
            let author = a.reader().author_by_slug(slug).await?;
            let author =
                author.ok_or_else(|| ApiError::not_found(format!("No author `{slug}`.")))?;
            q.author_id = Some(author.id);
        }
        // One more than the page tells whether another follows.
        let mut rows = a.reader().published_page(&q, limit + 1).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let base = a.site().url.trim_end_matches('/').to_string();
        let next_cursor = match (more, rows.last()) {
            (true, Some((last, _))) => Some(cursor(&[last.published_at.timestamp(), last.id])),
            _ => None,
        };
        let items: Vec<Value> = rows
            .iter()
            .map(|(s, tags)| chosen(&item(&base, s, tags, None), fields.as_deref(), false))
            .collect();
        let html_wanted = fields.as_ref().is_some_and(|f| f.contains(&"html"));
        let items = if html_wanted {
            let mut out = Vec::with_capacity(items.len());
            for ((s, _), mut v) in rows.iter().zip(items) {
                let body = a
                    .reader()
                    .article_by_id(s.id)
                    .await?
                    .map(|x| x.body_html)
                    .unwrap_or_default();
                if let Value::Object(m) = &mut v {
                    m.insert("html".into(), Value::String(body));
                }
                out.push(v);
            }
            out
        } else {
            items
        };
        to_json(&serde_json::json!({ "items": items, "next_cursor": next_cursor }))
    })
    .await
}

/// `GET /api/v1/articles/{slug}`
#[utoipa::path(
    get,
    path = "/api/v1/articles/{slug}",
    tag = "content",
    operation_id = "getArticle",
    summary = "One published article, with its body",
    params(
        ("slug" = String, Path, description = "The article's slug", pattern = r"^[a-z0-9-]{1,200}$", example = "harbour-bridge-reopens"),
        OneParams,
    ),
    responses(
        (status = 200, description = "The article", body = ArticleItem),
        (status = 304, description = "Unchanged since the `ETag` given in `If-None-Match`"),
        (status = 400, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published article at this slug", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn show_article(
    State(app): State<AppState>,
    slug: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    // A path that is not UTF-8 cannot be a slug; the check below says so.
    let slug = slug.map(|Path(s)| s).unwrap_or_default();
    let key = format!(
        "api:/api/v1/articles/{slug}?{}",
        raw.as_deref().unwrap_or_default()
    );
    let a = app.clone();
    cached(&app, key, &headers, || async move {
        let p = Params::new(raw.as_deref());
        let fields = p.fields("fields", &FIELDS)?;
        if !is_slug(&slug) {
            return Err(ApiError::invalid(
                "slug",
                format!(
                    "`{}` must be a slug (lower-case letters, digits and hyphens).",
                    shown(&slug)
                ),
            ));
        }
        let missing = || ApiError::not_found(format!("No published article `{slug}`."));
        let article = a
            .reader()
            .published_by_slug(&slug)
            .await?
            .ok_or_else(missing)?;
        if article.kind != tidings_content::Kind::Article {
            return Err(missing());
        }
        let summary = ArticleSummary {
            id: article.id,
            slug: article.slug.clone(),
            title: article.title.clone(),
            dek: article.dek.clone(),
            word_count: article.word_count,
            feature_image: article.feature_image.clone(),
            published_at: article.published_at.unwrap_or(DateTime::UNIX_EPOCH),
            updated_at: article.updated_at,
            featured: article.featured,
            digest_priority: article.digest_priority,
            primary_tag: article.primary_tag.clone(),
            authors: article.authors.clone(),
        };
        let base = a.site().url.trim_end_matches('/').to_string();
        let full = item(
            &base,
            &summary,
            &article.tags,
            Some(article.body_html.clone()),
        );
        to_json(&chosen(&full, fields.as_deref(), true))
    })
    .await
}
