//! The admin API's articles: list and read any story, create drafts, change them under the
//! editor's version rule, publish, schedule and unpublish. Each operation asks for its scope, and
//! the same ownership rules as the editor apply (a contributor's token edits only their drafts).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tidings_accounts::Scope;
use tidings_content::Status;
use tidings_store::{Article, NewArticle, StoreError};
use utoipa::{IntoParams, ToSchema};

use crate::admin::articles::{may_edit, may_publish};
use crate::api::auth::{Caller, TokenProblems};
use crate::api::params::{cursor, read_cursor, rfc3339, Params};
use crate::api::problem::{ApiError, Problem};
use crate::app::AppState;

/// Most articles on a page.
const MAX_LIMIT: i64 = 100;

/// An article as the newsroom sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewsroomArticle {
    /// Row id, used in the admin API's paths.
    pub id: i64,
    /// Its name in URLs.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Standfirst.
    pub dek: String,
    /// `draft`, `scheduled` or `published`.
    #[schema(example = "draft")]
    pub status: String,
    /// `article` or `page`.
    pub kind: String,
    /// When it was or will be published (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    /// When its content last changed (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Send this back when changing it: a change based on an older version is refused (409).
    pub version: i64,
    /// The body as written (Markdown).
    pub body_markdown: String,
    /// Its tags' slugs, the section first.
    pub tags: Vec<String>,
    /// Its authors' slugs, in byline order.
    pub authors: Vec<String>,
    /// Its page on the site (answers only once published).
    pub url: String,
}

/// A page of the newsroom's articles, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewsroomList {
    /// This page.
    pub items: Vec<NewsroomArticle>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A new draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Council approves the budget", "body_markdown": "The council voted 7 to 2...", "tags": ["city-hall"]}))]
pub struct NewDraft {
    /// Headline.
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Body in Markdown.
    #[serde(default)]
    pub body_markdown: String,
    /// Standfirst.
    #[serde(default)]
    pub dek: String,
    /// Its name in URLs; made from the title when absent.
    #[serde(default)]
    pub slug: String,
    /// Tags by slug, the section first; each must exist.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Authors by slug, in byline order; the token maker's byline when absent.
    #[serde(default)]
    pub authors: Vec<String>,
}

/// A change to an article: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 3, "dek": "A closer vote than expected."}))]
pub struct ArticleChange {
    /// The version this change is based on (from the last read).
    pub version: i64,
    /// Headline.
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    /// Standfirst.
    pub dek: Option<String>,
    /// Body in Markdown.
    pub body_markdown: Option<String>,
    /// Its name in URLs (a published story leaves a redirect behind).
    pub slug: Option<String>,
    /// Tags by slug, the section first.
    pub tags: Option<Vec<String>>,
    /// Authors by slug.
    pub authors: Option<Vec<String>>,
}

/// When to publish.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    /// A future time schedules it; absent publishes now.
    #[schema(format = DateTime)]
    pub at: Option<String>,
}

/// The newsroom list's filters (documentation of what [`Params`] reads).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct NewsroomParams {
    /// Only articles in this state.
    #[param(inline)]
    status: Option<StatusParam>,
    /// Articles on the page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    cursor: Option<String>,
}

/// An article's state.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "snake_case")]
pub enum StatusParam {
    Draft,
    Scheduled,
    Published,
}

fn view(app: &AppState, a: &Article) -> NewsroomArticle {
    NewsroomArticle {
        id: a.id,
        slug: a.slug.clone(),
        title: a.title.clone(),
        dek: a.dek.clone(),
        status: a.status.as_str().to_string(),
        kind: a.kind.as_str().to_string(),
        published_at: a.published_at.map(rfc3339),
        updated_at: rfc3339(a.updated_at),
        version: a.version,
        body_markdown: a.body_markdown.clone(),
        tags: a.tags.iter().map(|t| t.slug.clone()).collect(),
        authors: a.authors.iter().map(|x| x.slug.clone()).collect(),
        url: format!("{}/{}/", app.site().url.trim_end_matches('/'), a.slug),
    }
}

/// A JSON body, or the problem saying why it cannot be read.
fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    json.map(|Json(v)| v)
        .map_err(|e| ApiError::invalid("body", e.body_text()))
}

/// A store refusal as the API says it.
fn refused(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid { field, message } => {
            ApiError::unprocessable(format!("{field}: {message}"))
        }
        StoreError::Conflict { field, value } => {
            ApiError::unprocessable(format!("{field}: `{value}` is already taken."))
        }
        StoreError::Stale { current } => ApiError::conflict(format!(
            "Someone saved this article after the version you sent; the current version is {current}."
        )),
        other => other.into(),
    }
}

/// Tag and author ids for their slugs; an unknown one is named.
async fn ids(
    app: &AppState,
    tags: &[String],
    authors: &[String],
) -> Result<(Vec<i64>, Vec<i64>), ApiError> {
    let mut tag_ids = Vec::new();
    for slug in tags {
        match app.store().tag_by_slug(slug).await? {
            Some(t) => tag_ids.push(t.id),
            None => return Err(ApiError::unprocessable(format!("tags: no tag `{slug}`."))),
        }
    }
    let mut author_ids = Vec::new();
    for slug in authors {
        match app.store().author_by_slug(slug).await? {
            Some(a) => author_ids.push(a.id),
            None => {
                return Err(ApiError::unprocessable(format!(
                    "authors: no author `{slug}`."
                )))
            }
        }
    }
    Ok((tag_ids, author_ids))
}

/// The article as a store input, to change part of it.
fn as_new(a: &Article) -> NewArticle {
    NewArticle {
        kind: a.kind,
        slug: a.slug.clone(),
        title: a.title.clone(),
        dek: a.dek.clone(),
        body_markdown: a.body_markdown.clone(),
        feature_image: a.feature_image.clone(),
        status: a.status,
        published_at: a.published_at,
        featured: a.featured,
        digest_priority: a.digest_priority,
        tag_ids: a.tags.iter().map(|t| t.id).collect(),
        author_ids: a.authors.iter().map(|x| x.id).collect(),
        seo_title: a.seo_title.clone(),
        seo_description: a.seo_description.clone(),
        canonical_url: a.canonical_url.clone(),
        created_by: a.created_by,
    }
}

/// The article with this id, when the caller may change it.
async fn changeable(app: &AppState, caller: &Caller, id: i64) -> Result<Article, ApiError> {
    let a = app
        .store()
        .article_by_id(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No article {id}.")))?;
    if !may_edit(&caller.user, &a) {
        return Err(ApiError::forbidden(
            "The token's maker may not change this article.",
        ));
    }
    Ok(a)
}

/// Writes the change, keeps a revision like the editor does, and tells the audit log.
async fn write(
    app: &AppState,
    caller: &Caller,
    existing: Option<&Article>,
    new: &NewArticle,
    version: Option<i64>,
    verb: &str,
) -> Result<Article, ApiError> {
    let saved = match existing {
        Some(a) => app.store().update_article(a.id, new, version).await,
        None => app.store().create_article(new).await,
    }
    .map_err(refused)?;
    app.store()
        .add_revision(
            saved.id,
            Some(saved.version),
            &saved.title,
            &saved.dek,
            &saved.body_markdown,
            Some(caller.user.id),
        )
        .await?;
    caller.audit(app, verb, &saved.slug).await;
    let _ = app.refresh_generation().await;
    Ok(saved)
}

fn json(status: StatusCode, v: &impl Serialize) -> Response {
    (status, Json(v)).into_response()
}

/// `GET /api/v1/admin/articles`
#[utoipa::path(
    get,
    path = "/api/v1/admin/articles",
    tag = "newsroom",
    operation_id = "listNewsroomArticles",
    summary = "Every article and page, drafts included, newest first",
    security(("bearer" = ["content:read"])),
    params(NewsroomParams),
    responses(
        (status = 200, description = "A page of articles", body = NewsroomList),
        (status = 400, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(Scope::ContentRead)?;
    let p = Params::new(raw.as_deref());
    let limit = p.int("limit", 1, MAX_LIMIT, 20)?;
    let status = match p.get("status") {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::invalid("status", "must be draft, scheduled or published.")
        })?),
    };
    let before = match p.get("cursor") {
        Some(c) => Some(read_cursor(c, 1)?[0]),
        None => None,
    };
    let ids = app
        .store()
        .article_ids_newest_first(status, before, limit + 1)
        .await?;
    let more = ids.len() as i64 > limit;
    let mut items = Vec::new();
    for id in ids.iter().take(limit as usize) {
        if let Some(a) = app.store().article_by_id(*id).await? {
            items.push(view(&app, &a));
        }
    }
    let next_cursor = match (more, items.last()) {
        (true, Some(last)) => Some(cursor(&[last.id])),
        _ => None,
    };
    Ok(json(StatusCode::OK, &NewsroomList { items, next_cursor }))
}

/// `GET /api/v1/admin/articles/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/admin/articles/{id}",
    tag = "newsroom",
    operation_id = "getNewsroomArticle",
    summary = "One article or page, whatever its state",
    security(("bearer" = ["content:read"])),
    params(("id" = i64, Path, description = "The article's id", minimum = 1)),
    responses(
        (status = 200, description = "The article", body = NewsroomArticle),
        (status = 400, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::ContentRead)?;
    let id = path_id(id)?;
    let a = app
        .store()
        .article_by_id(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No article {id}.")))?;
    Ok(json(StatusCode::OK, &view(&app, &a)))
}

/// An id from the path.
fn path_id(raw: Result<Path<String>, PathRejection>) -> Result<i64, ApiError> {
    match raw.ok().and_then(|Path(p)| p.parse::<i64>().ok()) {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(ApiError::invalid("id", "must be a whole number from 1.")),
    }
}

/// `POST /api/v1/admin/articles`
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles",
    tag = "newsroom",
    operation_id = "createDraft",
    summary = "A new draft",
    security(("bearer" = ["content:write"])),
    request_body = NewDraft,
    responses(
        (status = 201, description = "The draft, with its address in `Location`", body = NewsroomArticle,
            headers(("Location" = String, description = "The draft in the admin API"))),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field cannot be used (empty title, slug taken, unknown tag or author)", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    payload: Result<Json<NewDraft>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let d = body(payload)?;
    let (tag_ids, mut author_ids) = ids(&app, &d.tags, &d.authors).await?;
    if author_ids.is_empty() {
        author_ids.extend(caller.user.author_id);
    }
    let mut new = NewArticle::published(&d.title, &d.body_markdown);
    new.status = Status::Draft;
    new.published_at = None;
    new.dek = d.dek;
    new.slug = d.slug;
    new.tag_ids = tag_ids;
    new.author_ids = author_ids;
    new.created_by = Some(caller.user.id);
    let saved = write(&app, &caller, None, &new, None, "article.create").await?;
    let mut r = json(StatusCode::CREATED, &view(&app, &saved));
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/admin/articles/{}", saved.id)) {
        r.headers_mut().insert(LOCATION, v);
    }
    Ok(r)
}

/// `PATCH /api/v1/admin/articles/{id}`
#[utoipa::path(
    patch,
    path = "/api/v1/admin/articles/{id}",
    tag = "newsroom",
    operation_id = "changeArticle",
    summary = "Change an article (only the fields given)",
    security(("bearer" = ["content:write"])),
    params(("id" = i64, Path, description = "The article's id", minimum = 1)),
    request_body = ArticleChange,
    responses(
        (status = 200, description = "The article as saved", body = NewsroomArticle),
        (status = 400, description = "The id or the body cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Changed since `version`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field cannot be used", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn change(
    State(app): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    payload: Result<Json<ArticleChange>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let id = path_id(id)?;
    let c = body(payload)?;
    let a = changeable(&app, &caller, id).await?;
    let mut new = as_new(&a);
    if let Some(t) = c.title {
        new.title = t;
    }
    if let Some(d) = c.dek {
        new.dek = d;
    }
    if let Some(b) = c.body_markdown {
        new.body_markdown = b;
    }
    if let Some(s) = c.slug {
        new.slug = s;
    }
    let (tags, authors) = ids(
        &app,
        c.tags.as_deref().unwrap_or_default(),
        c.authors.as_deref().unwrap_or_default(),
    )
    .await?;
    if c.tags.is_some() {
        new.tag_ids = tags;
    }
    if c.authors.is_some() {
        new.author_ids = authors;
    }
    let saved = write(
        &app,
        &caller,
        Some(&a),
        &new,
        Some(c.version),
        "article.update",
    )
    .await?;
    Ok(json(StatusCode::OK, &view(&app, &saved)))
}

/// `POST /api/v1/admin/articles/{id}/publish`
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles/{id}/publish",
    tag = "newsroom",
    operation_id = "publishArticle",
    summary = "Publish now, or schedule for a future time",
    security(("bearer" = ["content:publish"])),
    params(("id" = i64, Path, description = "The article's id", minimum = 1)),
    request_body(content = Option<Publication>, description = "Absent or `{}` publishes now"),
    responses(
        (status = 200, description = "The article, published or scheduled", body = NewsroomArticle),
        (status = 400, description = "The id or the body cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The time is in the past or cannot be read", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn publish(
    State(app): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    payload: Result<Option<Json<serde_json::Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::ContentPublish)?;
    let id = path_id(id)?;
    let when: Publication = match body(payload.map(|p| p.map(|Json(v)| v)).map(Json))? {
        None => Publication::default(),
        Some(v) => {
            serde_json::from_value(v).map_err(|e| ApiError::invalid("body", e.to_string()))?
        }
    };
    let a = changeable(&app, &caller, id).await?;
    if !may_publish(&caller.user, Some(&a)) {
        return Err(ApiError::forbidden(
            "The token's maker may not publish this article.",
        ));
    }
    let mut new = as_new(&a);
    match when.at {
        Some(at) => {
            let at = DateTime::parse_from_rfc3339(&at)
                .map_err(|_| {
                    ApiError::unprocessable(
                        "at: must be a date and time such as 2026-12-01T07:00:00Z.",
                    )
                })?
                .with_timezone(&Utc);
            if at <= Utc::now() {
                return Err(ApiError::unprocessable(
                    "at: choose a time in the future, or leave it out to publish now.",
                ));
            }
            new.status = Status::Scheduled;
            new.published_at = Some(at);
        }
        None => {
            let keep = a
                .published_at
                .filter(|t| *t <= Utc::now() && a.status == Status::Published);
            new.status = Status::Published;
            new.published_at = Some(keep.unwrap_or_else(Utc::now));
        }
    }
    let verb = if new.status == Status::Scheduled {
        "article.schedule"
    } else {
        "article.publish"
    };
    let saved = write(&app, &caller, Some(&a), &new, None, verb).await?;
    Ok(json(StatusCode::OK, &view(&app, &saved)))
}

/// `POST /api/v1/admin/articles/{id}/unpublish`
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles/{id}/unpublish",
    tag = "newsroom",
    operation_id = "unpublishArticle",
    summary = "Take an article back to draft",
    security(("bearer" = ["content:publish"])),
    params(("id" = i64, Path, description = "The article's id", minimum = 1)),
    responses(
        (status = 200, description = "The article, now a draft", body = NewsroomArticle),
        (status = 400, description = "The id cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn unpublish(
    State(app): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::ContentPublish)?;
    let id = path_id(id)?;
    let a = changeable(&app, &caller, id).await?;
    if !may_publish(&caller.user, Some(&a)) {
        return Err(ApiError::forbidden(
            "The token's maker may not unpublish this article.",
        ));
    }
    let mut new = as_new(&a);
    new.status = Status::Draft;
    let saved = write(&app, &caller, Some(&a), &new, None, "article.unpublish").await?;
    Ok(json(StatusCode::OK, &view(&app, &saved)))
}
