//! `/tag/{slug}/timeline/`: a running story's stories from the first to the latest, dated, under
//! its summary.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use minijinja::{context, Value};

use crate::app::{AppState, Rendered};
use crate::error::AppError;
use crate::web::plausible_slug;
use tidings_theme::views::card_view;

/// `GET /tag/{slug}/timeline/`
pub async fn show_timeline(
    State(app): State<AppState>,
    slug: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path(slug)) = slug else {
        return AppError::NotFound.into_response();
    };
    if !plausible_slug(&slug) {
        return AppError::NotFound.into_response();
    }
    let key = format!("/tag/{slug}/timeline/");
    app.cached(&key, &headers, || render(app.clone(), slug))
        .await
}

async fn render(app: AppState, slug: String) -> Result<Rendered, AppError> {
    let store = app.reader();
    let tag = store.tag_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
    // Only a tag that follows a running story has a timeline.
    let summary = store
        .running_story(tag.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let stories = store.timeline(tag.id, true).await?;
    let tz = app.tz();
    let tag_url = format!("/tag/{}/", tag.slug);
    let ctx = context! {
        name => tag.name,
        summary => summary,
        canonical => format!("{}{tag_url}timeline/", app.site().url),
        tag_url => tag_url,
        stories => Value::from_serialize(stories.iter().map(|a| card_view(a, tz)).collect::<Vec<_>>()),
    };
    Ok(Rendered::html(app.render_page("timeline.html", ctx).await?))
}
