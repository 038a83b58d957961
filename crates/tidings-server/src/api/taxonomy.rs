//! The content API's tags and authors: every one with published stories, whole, cached like
//! pages.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::content::{cached, to_json};
use crate::app::AppState;

/// A tag with published stories.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagItem {
    /// Its slug.
    #[schema(example = "city-hall")]
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Shown at the top of its page.
    pub description: String,
    /// Its page on the site.
    pub url: String,
    /// The slug of the broader tag it sits under.
    pub parent: Option<String>,
}

/// Every tag with published stories.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    /// By slug.
    pub items: Vec<TagItem>,
    /// Always `null`: the list comes whole.
    pub next_cursor: Option<String>,
}

/// An author with published stories.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorItem {
    /// Its slug.
    #[schema(example = "ana-silva")]
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Short biography.
    pub bio: String,
    /// Its page on the site.
    pub url: String,
}

/// Every author with published stories.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorList {
    /// By slug.
    pub items: Vec<AuthorItem>,
    /// Always `null`: the list comes whole.
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/tags`
#[utoipa::path(
    get,
    path = "/api/v1/tags",
    tag = "content",
    operation_id = "listTags",
    summary = "Tags with published articles",
    responses(
        (status = 200, description = "Every tag with published articles, by slug", body = TagList),
        (status = 304, description = "Unchanged since the `ETag` given in `If-None-Match`"),
    )
)]
pub async fn list_tags(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let a = app.clone();
    cached(&app, "api:/api/v1/tags".into(), &headers, || async move {
        let (tags, _) = a.reader().listed_tags_and_authors().await?;
        let base = a.site().url.trim_end_matches('/').to_string();
        let slugs: std::collections::HashMap<i64, String> =
            tags.iter().map(|t| (t.id, t.slug.clone())).collect();
        let mut items: Vec<TagItem> = tags
            .iter()
            .map(|t| TagItem {
                slug: t.slug.clone(),
                name: t.name.clone(),
                description: t.description.clone(),
                url: format!("{base}/tag/{}/", t.slug),
                parent: t.parent_id.and_then(|p| slugs.get(&p).cloned()),
            })
            .collect();
        items.sort_by(|x, y| x.slug.cmp(&y.slug));
        to_json(&TagList {
            items,
            next_cursor: None,
        })
    })
    .await
}

/// `GET /api/v1/authors`
#[utoipa::path(
    get,
    path = "/api/v1/authors",
    tag = "content",
    operation_id = "listAuthors",
    summary = "Authors with published articles",
    responses(
        (status = 200, description = "Every author with published articles, by slug", body = AuthorList),
        (status = 304, description = "Unchanged since the `ETag` given in `If-None-Match`"),
    )
)]
pub async fn list_authors(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let a = app.clone();
    cached(
        &app,
        "api:/api/v1/authors".into(),
        &headers,
        || async move {
            let (_, authors) = a.reader().listed_tags_and_authors().await?;
            let base = a.site().url.trim_end_matches('/').to_string();
            let items = authors
                .iter()
                .map(|x| AuthorItem {
                    slug: x.slug.clone(),
                    name: x.name.clone(),
                    bio: x.bio.clone(),
                    url: format!("{base}/author/{}/", x.slug),
                })
                .collect();
            to_json(&AuthorList {
                items,
                next_cursor: None,
            })
        },
    )
    .await
}
