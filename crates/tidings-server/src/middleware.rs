//! Layers every response passes through: bounds on request URIs, themed error pages and the
//! security headers.

use axum::extract::MatchedPath;
use axum::extract::{Request, State};
use axum::http::header::{
    CONNECTION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Version};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use crate::app::{AppState, HTML};
use crate::error::ErrorPage;

/// The header carrying the request's id, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest path accepted; real URLs are far shorter.
pub const MAX_PATH: usize = 1024;
/// Longest query string accepted.
pub const MAX_QUERY: usize = 2048;
/// Longest query string `/search/` accepts: its page answers an over-long query itself, with a
/// message, rather than with a bare 414.
pub const MAX_SEARCH_QUERY: usize = 32 * 1024;

/// The policy for every page: only this site's own scripts, styles and images.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
    script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The page policy, with the outlet's analytics host allowed to serve a script and take its
/// reports when the settings name one.
pub fn page_policy(analytics_origin: Option<&str>) -> HeaderValue {
    match analytics_origin {
        None => HeaderValue::from_static(CSP),
        Some(origin) => HeaderValue::from_str(&format!(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; \
             script-src 'self' {origin}; connect-src 'self' {origin}; object-src 'none'; \
             base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(CSP)),
    }
}

fn max_query(path: &str) -> usize {
    // The API and the search page answer an over-long parameter themselves, naming it.
    if path == "/search/" || path == "/search" || path.starts_with("/api/") {
        MAX_SEARCH_QUERY
    } else {
        MAX_QUERY
    }
}

/// The one layer around every route (one layer keeps the hot path short): refuses oversized paths and
/// query strings before routing, renders themed error pages, and adds the security headers.
pub async fn around(State(app): State<AppState>, request: Request, next: Next) -> Response {
    use tracing::Instrument;
    let started = std::time::Instant::now();
    let id = request_id(request.headers());
    let method = request.method().clone();
    let http1 = request.version() <= Version::HTTP_11;
    let route = request.extensions().get::<MatchedPath>().cloned();
    // A clone of the route pattern shares its bytes: nothing is copied per request.
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let mut response = guarded(app.clone(), request, next)
        .instrument(span.clone())
        .await;
    // An access log on demand: RUST_LOG=info,tidings_server::middleware=debug.
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "answered"
        )
    });
    security_headers(app.site().https, app.page_policy(), &mut response);
    if http1 && response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        // The body was refused unread, so the connection cannot carry another request; saying so
        // keeps a client from sending its next one on a connection about to be closed.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if app.site().metrics {
        let seconds = started.elapsed().as_secs_f64();
        crate::metrics::observe_request(route, &method, response.status().as_u16(), seconds);
    }
    response
}

/// The request's id: the one a proxy in front gave it (`X-Request-Id`), when it is short and
/// printable, or a new random one. Logged with everything the request causes and sent back.
fn request_id(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()))
}

async fn guarded(app: AppState, request: Request, next: Next) -> Response {
    let uri = request.uri();
    if app.database_down() && !matches!(*request.method(), Method::GET | Method::HEAD) {
        // Fail at once rather than after the pool's wait: nothing can be written now.
        let unavailable = crate::error::AppError::Unavailable;
        return if uri.path().starts_with("/api/") {
            crate::api::problem::ApiError::from(unavailable).into_response()
        } else {
            themed_error(&app, unavailable.into_response()).await
        };
    }
    let response = if uri.path().len() > MAX_PATH
        || uri.query().is_some_and(|q| q.len() > max_query(uri.path()))
    {
        (StatusCode::URI_TOO_LONG, "URI too long").into_response()
    } else if !host_allowed(app.site().allowed_hosts.as_deref(), &request) {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "This server does not answer to that host name. If this is your site, add the name \
                 to server.allowed_hosts or set site.url.\n",
        )
            .into_response()
    } else if let Some(to) = match old_query_permalink(request.uri()) {
        Some(key) => app.store().redirect_target(&key).await.ok().flatten(),
        None => None,
    } {
        crate::web::moved(&to)
    } else {
        let reading = matches!(*request.method(), Method::GET | Method::HEAD);
        // A `Uri` clone shares its bytes: no allocation on the hot path.
        let uri = request.uri().clone();
        let response = next.run(request).await;
        if response.extensions().get::<ErrorPage>().is_some() {
            match (reading && response.status() == StatusCode::NOT_FOUND)
                .then(|| redirected(&app, uri.path()))
            {
                Some(lookup) => match lookup.await {
                    Some(to) => crate::web::moved(&to),
                    None => themed_error(&app, response).await,
                },
                None => themed_error(&app, response).await,
            }
        } else {
            response
        }
    };
    response
}

/// WordPress's query-string permalinks (`/?p=123`, `/?page_id=7`) of an imported site: the home
/// page would answer them, so they are looked up before routing (only when such a query is there).
fn old_query_permalink(uri: &axum::http::Uri) -> Option<String> {
    if uri.path() != "/" {
        return None;
    }
    let (key, value) = uri
        .query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| matches!(*k, "p" | "page_id" | "attachment_id"))?;
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("/?{key}={value}"))
}

/// Where an old address now lives: the redirects table, also for an old listing's later pages
/// (`/category/x/page/2/`) and feeds (`/category/x/feed/`) when the listing itself moved.
async fn redirected(app: &AppState, path: &str) -> Option<String> {
    let store = app.store();
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let path: &str = &decoded;
    if let Ok(Some(to)) = store.redirect_target(path).await {
        return Some(to);
    }
    let trimmed = path.strip_suffix('/')?;
    let (base, suffix) = if let Some(base) = trimmed.strip_suffix("/feed") {
        (base, "rss/".to_string())
    } else {
        let (base, n) = trimmed.rsplit_once("/page/")?;
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        (base, format!("page/{n}/"))
    };
    let to = store.redirect_target(&format!("{base}/")).await.ok()??;
    Some(format!("{to}{suffix}"))
}

/// Whether the request names this site in its `Host` header, so a page on another domain that
/// points its name at this server (DNS rebinding) cannot reach the admin or the forms. Health
/// checks are exempt: load balancers probe by address.
fn host_allowed(allowed: Option<&[String]>, request: &Request) -> bool {
    let Some(allowed) = allowed else {
        return true;
    };
    if matches!(request.uri().path(), "/healthz" | "/readyz") {
        return true;
    }
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    let Some(host) = host else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    let host = match host.rsplit_once(':') {
        // "example.org.:443" names the same host as "example.org:443".
        Some((name, port)) if !name.ends_with(']') || host.starts_with('[') => {
            format!("{}:{port}", name.trim_end_matches('.'))
        }
        _ => host.trim_end_matches('.').to_string(),
    };
    allowed.contains(&host)
}

/// Replaces the body of an error response marked by a handler with the theme's 404 or error page.
async fn themed_error(app: &AppState, response: Response) -> Response {
    let status = response.status();
    let template = if status == StatusCode::NOT_FOUND {
        "404.html"
    } else {
        "error.html"
    };
    let ctx = context! { status => status.as_u16(), reason => status.canonical_reason() };
    match app.render_page(template, ctx).await {
        Ok(body) => {
            let mut themed = (
                status,
                [
                    (CONTENT_TYPE, HTML),
                    (axum::http::header::CACHE_CONTROL, "no-store"),
                ],
                body,
            )
                .into_response();
            // A 503 or 429 says when to come back.
            if let Some(retry) = response.headers().get(axum::http::header::RETRY_AFTER) {
                themed
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, retry.clone());
            }
            themed
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot render the error page");
            response
        }
    }
}

/// Adds the security headers of DESIGN.md's conventions.
fn security_headers(https: bool, policy: HeaderValue, response: &mut Response) {
    let h = response.headers_mut();
    // Donation pages set their own, stricter policy naming the payment provider's hosts.
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(CONTENT_SECURITY_POLICY, policy);
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if !h.contains_key(X_FRAME_OPTIONS) {
        h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if https {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}
