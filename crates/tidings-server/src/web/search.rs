//! `GET /search/?q=&page=`: readers' full-text search. The query string is read by hand (lossy
//! UTF-8), so no input is refused before it reaches the parser; a query too long for the box gets
//! 422, too many searches from one address 429. Result pages are never indexed by search engines.

use axum::extract::{RawQuery, State};
use axum::http::header::{HeaderName, CACHE_CONTROL};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use tidings_content::search_query::{parse, MAX_QUERY_CHARS};
use tidings_store::{Scope, MARK_END, MARK_START};
use tidings_theme::views::display_date;

use crate::admin::Peer;
use crate::app::AppState;
use crate::error::AppError;

/// Results per page: ten, as the big search engines show (each result's snippet is the dearest
/// part of a search).
pub const PER_PAGE: i64 = 10;
/// Pages a reader may page through (deep pages cost the most and nobody reads them).
const MAX_PAGE: i64 = 50;

/// `q` and `page` from a raw query string.
fn params(raw: Option<&str>) -> (String, i64) {
    let mut q = String::new();
    let mut page = 1;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "q" => q = v.into_owned(),
            "page" => page = v.trim().parse::<i64>().unwrap_or(1).clamp(1, MAX_PAGE),
            _ => {}
        }
    }
    (q, page)
}

/// A snippet as HTML: the text escaped first, then the engine's markers made `<mark>`.
pub fn snippet_html(snippet: &str) -> String {
    tidings_theme::escape_html(snippet)
        .replace(MARK_START, "<mark>")
        .replace(MARK_END, "</mark>")
}

fn page_url(q: &str, page: i64) -> String {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    if page == 1 {
        format!("/search/?q={q}")
    } else {
        format!("/search/?q={q}&page={page}")
    }
}

/// `GET /search/`
pub async fn show(
    State(app): State<AppState>,
    peer: Peer,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (q, page) = params(raw.as_deref());
    let q = q.trim().to_string();
    let mut status = StatusCode::OK;
    let mut problem = None;
    let mut ctx_results = Vec::new();
    let mut total = 0;
    let mut more = false;
    let mut suggestions = Vec::new();
    let now = chrono::Utc::now();
    if q.chars().count() > MAX_QUERY_CHARS {
        status = StatusCode::UNPROCESSABLE_ENTITY;
        problem = Some(format!(
            "That search is too long: keep it under {MAX_QUERY_CHARS} characters."
        ));
    } else if !q.is_empty() {
        if let Err(wait) = app.searches().allow(peer.ip_addr(), now.timestamp()) {
            let html = app
                .render_page(
                    "search.html",
                    context! { q => q, problem => "Too many searches from your network just now. Please wait a minute and try again." },
                )
                .await?;
            let r = finish(Html(html).into_response());
            return Ok(crate::throttle::too_many(r, wait));
        }
        let query = parse(&q);
        let found = app
            .reader()
            .search(&query, Scope::Public, PER_PAGE, (page - 1) * PER_PAGE)
            .await?;
        total = found.total;
        more = found.more;
        let tz = app.tz();
        ctx_results = found
            .hits
            .iter()
            .map(|h| {
                context! {
                    url => format!("/{}/", h.slug),
                    title => h.title,
                    dek => h.dek,
                    date => h.published_at
                        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                        .map(|t| display_date(t, tz)),
                    snippet => minijinja::Value::from_safe_string(snippet_html(&h.snippet)),
                }
            })
            .collect();
        if total == 0 {
            let words: Vec<&str> = query.must.iter().flat_map(|t| t.words()).collect();
            suggestions = app.reader().tags_matching(&words, 6).await?;
        }
        if page == 1 && !query.is_empty() {
            let week = now.format("%G-W%V").to_string();
            if let Some(counts) = app.searches().record(week, query.normalised(), total) {
                let store = app.store().clone();
                tokio::spawn(async move { crate::searches::flush(&store, counts).await });
            }
        }
    }
    let pages = (total + PER_PAGE - 1) / PER_PAGE;
    let ctx = context! {
        q => q,
        problem => problem,
        results => ctx_results,
        total => total,
        more => more,
        first => (page - 1) * PER_PAGE + 1,
        page => page,
        pages => pages,
        newer => (page > 1).then(|| page_url(&q, page - 1)),
        older => (page < pages.min(MAX_PAGE)).then(|| page_url(&q, page + 1)),
        suggestions => suggestions.iter().map(|t| context! { name => t.name, url => format!("/tag/{}/", t.slug) }).collect::<Vec<_>>(),
    };
    let html = app.render_page("search.html", ctx).await?;
    let mut r = finish(Html(html).into_response());
    *r.status_mut() = status;
    Ok(r)
}

/// Result pages change with every story and are nobody's landing page.
fn finish(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_before_they_are_marked() {
        let s = format!("a <b> & {MARK_START}harbour{MARK_END} \"x\"");
        assert_eq!(
            snippet_html(&s),
            "a &lt;b&gt; &amp; <mark>harbour</mark> &quot;x&quot;"
        );
    }

    #[test]
    fn parameters_are_read_whatever_their_bytes() {
        assert_eq!(
            params(Some("q=%FF%FEharbour&page=2")).0,
            "\u{fffd}\u{fffd}harbour"
        );
        assert_eq!(params(Some("q=a&page=2")).1, 2);
        assert_eq!(params(Some("q=a&page=-4")).1, 1);
        assert_eq!(params(Some("q=a&page=99999999999999999999")).1, 1);
        assert_eq!(params(Some("page=7000")).1, MAX_PAGE);
        assert_eq!(params(None), (String::new(), 1));
    }
}
