//! The JSON API under `/api/v1/`, its OpenAPI 3.1 document at `/api/openapi.json` and the
//! reference at `/api/docs`. Routes are registered through the document's own router, so no route
//! can exist without its description.

mod auth;
mod content;
mod media;
mod newsroom;
mod params;
mod people;
pub mod problem;
mod reference;
mod search;
mod taxonomy;

use std::sync::Arc;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use problem::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tidings API",
        version = "1",
        description = "Read what a Tidings site publishes. Answers are JSON; errors are RFC 9457 \
            problem details (`application/problem+json`) whose `type` links to their explanation \
            in the reference. Lists are paged with `cursor` and `next_cursor`. Successful reads \
            carry an `ETag` and answer `304` to a matching `If-None-Match`."
    ),
    tags(
        (name = "content", description = "Published content, public, without a token."),
        (name = "newsroom", description = "Articles in every state, with a token (`content:*` scopes)."),
        (name = "people", description = "Subscribers and donations, with a token (`subscribers:*`, `donations:read`)."),
    ),
    components(schemas(problem::Problem)),
    modifiers(&BearerTokens)
)]
struct ApiDoc;

/// Declares the admin API's bearer tokens.
struct BearerTokens;

impl utoipa::Modify for BearerTokens {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token made under Your account → API tokens, sent as \
                         `Authorization: Bearer tdg_...`. Scopes: content:read, content:write, \
                         content:publish, subscribers:read, subscribers:write, donations:read; \
                         each holds only while the token's maker's role allows it.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document for this build, with `server` as its base URL.
pub fn openapi(server: &str) -> utoipa::openapi::OpenApi {
    let (_, mut doc) = v1().split_for_parts();
    doc.servers = Some(vec![utoipa::openapi::Server::new(
        server.trim_end_matches('/'),
    )]);
    doc
}

fn v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(content::list_articles))
        .routes(routes!(content::show_article))
        .routes(routes!(taxonomy::list_tags))
        .routes(routes!(taxonomy::list_authors))
        .routes(routes!(search::search))
        .routes(routes!(newsroom::list, newsroom::create))
        .routes(routes!(newsroom::show, newsroom::change))
        .routes(routes!(newsroom::publish))
        .routes(routes!(newsroom::unpublish))
        .routes(routes!(people::list_subscribers, people::add_subscriber))
        .routes(routes!(people::suppress_subscriber))
        .routes(routes!(people::list_donations))
        .routes({
            // Images may be large; everything else keeps axum's 2 MB limit.
            let (schemas, paths, route) = routes!(media::upload);
            let limit = axum::extract::DefaultBodyLimit::max(crate::admin::MAX_UPLOAD);
            (schemas, paths, route.layer(limit))
        })
}

/// The API's routes.
pub fn routes(app: &AppState) -> Router<AppState> {
    let (api, mut doc) = v1().split_for_parts();
    doc.servers = Some(vec![utoipa::openapi::Server::new(
        app.site().url.trim_end_matches('/'),
    )]);
    let json = Arc::new(CachedJson::new(
        doc.to_pretty_json().unwrap_or_default().into_bytes(),
        "application/json",
        None,
    ));
    let html = Arc::new(CachedJson::new(
        reference::render(&doc).into_bytes(),
        "text/html; charset=utf-8",
        HeaderValue::from_str(&reference::policy()).ok(),
    ));
    let origins = &app.site().api_cors_origins;
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let cors = CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::HEAD])
        .expose_headers([ETAG, axum::http::header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(3600));
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move |headers: HeaderMap| async move { json.respond(&headers) }),
        )
        .route(
            "/api/docs",
            get(move |headers: HeaderMap| async move { html.respond(&headers) }),
        )
        .route("/api/{*rest}", axum::routing::any(unknown))
        .route("/api", axum::routing::any(unknown))
        .layer(cors)
}

/// Anything else under `/api/`: a problem, not the theme's 404 page.
async fn unknown() -> ApiError {
    ApiError::not_found("No API operation at this address; see /api/docs.")
}

/// A document fixed for the process's life, with its validator.
struct CachedJson {
    body: bytes::Bytes,
    etag: HeaderValue,
    content_type: &'static str,
    /// Its own `Content-Security-Policy`, when the site's does not fit.
    policy: Option<HeaderValue>,
}

impl CachedJson {
    fn new(body: Vec<u8>, content_type: &'static str, policy: Option<HeaderValue>) -> Self {
        let etag = HeaderValue::from_str(&format!("\"{}\"", tidings_theme::digest(&body)))
            .expect("hex is a valid header");
        CachedJson {
            body: body.into(),
            etag,
            content_type,
            policy,
        }
    }

    fn respond(&self, request: &HeaderMap) -> Response {
        let headers = [
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (ETAG, self.etag.clone()),
        ];
        if request
            .get(IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == self.etag.as_bytes())
        {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let mut response = (
            headers,
            [(CONTENT_TYPE, HeaderValue::from_static(self.content_type))],
            self.body.clone(),
        )
            .into_response();
        if let Some(p) = &self.policy {
            response
                .headers_mut()
                .insert(axum::http::header::CONTENT_SECURITY_POLICY, p.clone());
        }
        response
    }
}
