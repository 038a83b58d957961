//! An article or static page at `/{slug}/`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use minijinja::{context, Value};
use tidings_content::Kind;
use tidings_store::{Article, Note};

use crate::app::{AppState, Rendered};
use crate::error::AppError;
use crate::web::plausible_slug;
use tidings_theme::views::{article_view, Connected, SiteView};
use tidings_theme::Theme;

/// `GET /{slug}/`
pub async fn show_article(
    State(app): State<AppState>,
    slug: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    // Undecodable or impossible slugs (bad UTF-8, capitals, dots) cannot name content.
    let slug = match slug {
        Ok(Path(s)) if plausible_slug(&s) => s,
        _ => return AppError::NotFound.into_response(),
    };
    let key = format!("/{slug}/");
    let reader =
        tidings_newsletter::is_reader(|name| headers.get(name).and_then(|v| v.to_str().ok()));
    let response = app
        .cached(&key, &headers, || render(app.clone(), slug.clone()))
        .await;
    let status = response.status();
    if reader && (status == StatusCode::OK || status == StatusCode::NOT_MODIFIED) {
        app.newsletters().reads().count(&slug);
    }
    response
}

/// Stories listed under "Earlier in this story".
const EARLIER: i64 = 5;

/// Renders an article page without the cache (also used by the rendering benchmark).
pub async fn render(app: AppState, slug: String) -> Result<Rendered, AppError> {
    let Some(article) = app.reader().published_by_slug(&slug).await? else {
        return match app.reader().redirect_target(&format!("/{slug}/")).await? {
            Some(to) => Err(AppError::Moved(to)),
            None => Err(AppError::NotFound),
        };
    };
    let mut connected = Connected::default();
    if article.kind == Kind::Article {
        connected.related = app.reader().related_coverage(article.id).await?;
        if let Some((tag, _)) = app.reader().story_of(article.id).await? {
            let earlier = app
                .reader()
                .earlier_in_story(tag.id, article.id, EARLIER)
                .await?;
            connected.story = Some((tag, earlier));
        }
        if let Some(tag) = &article.primary_tag {
            connected.section = app.reader().related(article.id, tag.id, 3).await?;
        }
    }
    let notes = app.reader().notes(article.id).await?;
    let site = app.site_view().await?;
    let html = render_article_html(app.theme(), &site, &article, &connected, &notes, app.tz())?;
    Ok(Rendered::html(html))
}

/// Renders an article's page from its stored, already-sanitized HTML: pure, no I/O.
pub fn render_article_html(
    theme: &Theme,
    site: &SiteView,
    article: &Article,
    connected: &Connected,
    notes: &[Note],
    tz: Tz,
) -> Result<String, minijinja::Error> {
    let view = article_view(article, site, connected, notes, tz);
    let template = match article.kind {
        Kind::Article => "article.html",
        Kind::Page => "page.html",
    };
    theme.render_page(
        template,
        site,
        context! { article => Value::from_serialize(&view) },
    )
}
