//! Every URL the site answers, in one place, grouped by audience.

use std::path::Path;

use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, Method, Uri};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::services::ServeDir;

use crate::app::AppState;
use crate::error::AppError;
use crate::middleware::around;
use crate::web::{
    archive, article, assets, donate, donor_portal, feed, health, home, listing, moved, preview,
    search, security_txt, site_files, sitemap, subscribe, timeline, webhooks,
};

/// Largest body a public form (signup, donation, portal) may send.
pub const PUBLIC_BODY: usize = 16 * 1024;

/// Builds the application router; `media_dir` holds uploaded and generated images.
pub fn router(app: AppState, media_dir: &Path) -> Router {
    let media = Router::new()
        .fallback_service(ServeDir::new(media_dir))
        .layer(map_response(media_cache));

    Router::new()
        // Public theme.
        .route("/", get(home::show_home))
        .route("/page/{n}/", get(home::show_home_page))
        .route("/tag/{slug}/", get(listing::show_tag))
        .route("/tag/{slug}/page/{n}/", get(listing::show_tag_page))
        .route("/tag/{slug}/rss/", get(feed::show_tag_feed))
        .route("/tag/{slug}/timeline/", get(timeline::show_timeline))
        .route("/author/{slug}/", get(listing::show_author))
        .route("/author/{slug}/page/{n}/", get(listing::show_author_page))
        .route("/author/{slug}/rss/", get(feed::show_author_feed))
        .route("/rss/", get(feed::show_feed))
        .route("/newsletter/", get(archive::show_archive))
        .route("/newsletter/page/{n}/", get(archive::show_archive_page))
        .route("/newsletter/{id}/", get(archive::show_issue))
        .route("/{slug}/", get(article::show_article))
        // Reader forms.
        .route(
            "/subscribe/",
            get(subscribe::show_form).post(subscribe::submit),
        )
        .route("/subscribe/challenge", get(subscribe::challenge))
        .route(
            "/subscribe/preferences/{token}",
            get(subscribe::show_preferences).post(subscribe::save_preferences),
        )
        .route(
            "/subscribe/confirm/{token}",
            get(subscribe::show_confirm).post(subscribe::confirm),
        )
        .route(
            "/unsubscribe/{token}",
            get(subscribe::show_unsubscribe).post(subscribe::unsubscribe),
        )
        .route(
            "/donate/",
            get(donate::show_default).post(donate::submit_default),
        )
        .route("/donate/challenge", get(donate::challenge))
        .route(
            "/donate/portal",
            get(donor_portal::show_request).post(donor_portal::request),
        )
        .route("/donate/portal/{token}", get(donor_portal::show))
        .route(
            "/donate/portal/{token}/plans/{id}/cancel",
            post(donor_portal::cancel),
        )
        .route(
            "/donate/portal/{token}/plans/{id}/amount",
            post(donor_portal::change_amount),
        )
        .route(
            "/donate/portal/{token}/summary",
            post(donor_portal::summary),
        )
        .route(
            "/donate/portal/{token}/receipts/{id}",
            post(donor_portal::resend_receipt),
        )
        .route(
            "/donate/test-checkout/{session}",
            get(donate::show_test_checkout).post(donate::finish_test_checkout),
        )
        .route("/donate/thanks/{id}", get(donate::show_thanks))
        .route(
            "/donate/{form}/",
            get(donate::show_named).post(donate::submit_named),
        )
        .route("/search/", get(search::show))
        .route("/search", get(search::show))
        .route(
            "/webhooks/{gateway}",
            post(webhooks::receive).layer(axum::extract::DefaultBodyLimit::max(webhooks::MAX_BODY)),
        )
        .route(
            "/preview/{id}/{expires}/{signature}",
            get(preview::show_preview),
        )
        // Reader forms are a few hundred bytes; refuse anything much larger unread.
        .layer(axum::extract::DefaultBodyLimit::max(PUBLIC_BODY))
        // Programs.
        .merge(crate::api::routes(&app))
        // The newsroom.
        .merge(crate::admin::routes(app.clone()))
        .route("/admin", get(|| async { moved("/admin/") }))
        // For search engines.
        .route("/sitemap.xml", get(sitemap::show_sitemap))
        .route("/news-sitemap.xml", get(sitemap::show_news_sitemap))
        .route("/robots.txt", get(sitemap::show_robots))
        .route("/ads.txt", get(site_files::show_ads_txt))
        .route("/theme.css", get(site_files::show_theme_css))
        .route("/.well-known/security.txt", get(security_txt::show))
        // Files.
        .route("/assets/{file}", get(assets::show_asset))
        .nest_service("/media", media)
        // Health.
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(crate::metrics::guarded))
        .fallback(fallback)
        .layer(from_fn_with_state(app.clone(), around))
        .with_state(app)
}

/// Unknown URLs: add the missing trailing slash to page-like paths, otherwise the themed 404.
async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let last = path.rsplit('/').next().unwrap_or_default();
    if (method == Method::GET || method == Method::HEAD)
        && !path.ends_with('/')
        && !last.contains('.')
        && !last.is_empty()
    {
        let target = match uri.query() {
            Some(q) => format!("{path}/?{q}"),
            None => format!("{path}/"),
        };
        return moved(&target);
    }
    AppError::NotFound.into_response()
}

async fn media_cache(mut response: Response) -> Response {
    if response.status().is_success() {
        response.headers_mut().insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=604800"),
        );
    }
    response
}
