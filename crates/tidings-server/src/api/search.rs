//! The content API's search: the site's own search as JSON, limited per address like the
//! search page, never cached.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tidings_content::search_query::{parse, MAX_QUERY_CHARS};
use tidings_store::Scope;
use utoipa::{IntoParams, ToSchema};

use crate::admin::Peer;
use crate::api::content::{to_json, JSON};
use crate::api::params::{cursor, read_cursor, rfc3339, Params};
use crate::api::problem::{ApiError, Problem};
use crate::app::AppState;

/// Search results on a page.
const SEARCH_PAGE: i64 = 10;
/// Deepest search result reachable (as on the site: 50 pages of ten).
const SEARCH_DEPTH: i64 = 500;

/// One search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchItem {
    /// Its slug.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// Standfirst.
    pub dek: String,
    /// Its page on the site.
    pub url: String,
    /// When it was published (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    /// A stretch of the body around the words found, as HTML: the text escaped, the words in
    /// `<mark>`.
    pub snippet_html: String,
}

/// A page of search results, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// This page's results.
    pub items: Vec<SearchItem>,
    /// How many match, counted up to 1,000.
    pub total: i64,
    /// More than 1,000 match.
    pub more: bool,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The search (documentation of what [`Params`] reads).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// What to look for: words (all must match), `"a phrase"`, `-word` to leave out, `prefix*`.
    #[param(min_length = 1, max_length = 256, example = "harbour bridge")]
    q: String,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    cursor: Option<String>,
}

/// `GET /api/v1/search`
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "content",
    operation_id = "search",
    summary = "Full-text search of published articles",
    description = "The site's own search: stories naming a searched word in the headline, dek or \
        tags first, then the rest, each by relevance. Limited per address like the site's search \
        page (`search.per_minute`); results are not cached.",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of results, best first", body = SearchResults),
        (status = 400, description = "`q` is missing or too long, or the cursor is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many searches from this address", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
pub async fn search(
    State(app): State<AppState>,
    peer: Peer,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::new(raw.as_deref());
    let q = p.get("q").unwrap_or_default().trim();
    if q.is_empty() {
        return Err(ApiError::invalid("q", "say what to look for."));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid(
            "q",
            format!("keep it under {MAX_QUERY_CHARS} characters."),
        ));
    }
    let offset = match p.get("cursor") {
        Some(c) => match read_cursor(c, 1)?[0] {
            n if (0..SEARCH_DEPTH).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(
                    "cursor",
                    "not a cursor this API gave out.",
                ))
            }
        },
        None => 0,
    };
    let now = Utc::now().timestamp();
    if let Err(wait) = app.searches().allow(peer.ip_addr(), now) {
        return Err(ApiError::rate_limited(wait));
    }
    let found = app
        .reader()
        .search(&parse(q), Scope::Public, SEARCH_PAGE, offset)
        .await?;
    let base = app.site().url.trim_end_matches('/').to_string();
    let next = offset + SEARCH_PAGE;
    let next_cursor = (next < found.total.min(SEARCH_DEPTH)).then(|| cursor(&[next]));
    let items = found
        .hits
        .iter()
        .map(|h| SearchItem {
            slug: h.slug.clone(),
            title: h.title.clone(),
            dek: h.dek.clone(),
            url: format!("{base}/{}/", h.slug),
            published_at: h
                .published_at
                .and_then(|t| DateTime::from_timestamp(t, 0))
                .map(rfc3339),
            snippet_html: crate::web::search::snippet_html(&h.snippet),
        })
        .collect();
    let body = to_json(&SearchResults {
        items,
        total: found.total,
        more: found.more,
        next_cursor,
    })?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, JSON),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}
