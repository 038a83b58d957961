//! The newsletter archive: `/newsletter/` and each edition's web version at `/newsletter/{id}/`.
//! The web version carries no recipient's token; its links lead to the signup page.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use minijinja::{context, Value};
use serde::Serialize;
use tidings_store::Newsletter;

use crate::app::{AppState, Rendered};
use crate::error::AppError;
use crate::web::{parse_page, Pagination};
use tidings_newsletter::{items_of, StoryItem};
use tidings_theme::views::display_date;

const PER_PAGE: i64 = 30;

#[derive(Serialize)]
struct IssueView {
    id: i64,
    kind: String,
    subject: String,
    intro: String,
    date: String,
    date_iso: String,
    items: Vec<StoryItem>,
}

fn issue_view(app: &AppState, n: &Newsletter) -> IssueView {
    IssueView {
        id: n.id,
        kind: n.kind.to_string(),
        subject: n.subject.clone(),
        intro: n.intro.clone(),
        date: display_date(n.created_at, app.tz()),
        date_iso: n.created_at.to_rfc3339(),
        items: items_of(&n.items),
    }
}

/// `GET /newsletter/`
pub async fn show_archive(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.cached("/newsletter/", &headers, || render_archive(app.clone(), 1))
        .await
}

/// `GET /newsletter/page/{n}/`
pub async fn show_archive_page(
    State(app): State<AppState>,
    page: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path(raw)) = page else {
        return AppError::NotFound.into_response();
    };
    let n = match parse_page(&raw) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let key = format!("/newsletter/page/{n}/");
    app.cached(&key, &headers, || render_archive(app.clone(), n))
        .await
}

async fn render_archive(app: AppState, page: i64) -> Result<Rendered, AppError> {
    let total = app.reader().count_newsletters().await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    if page > pages {
        return Err(AppError::NotFound);
    }
    let list = app
        .reader()
        .newsletters(PER_PAGE, (page - 1) * PER_PAGE)
        .await?;
    let views: Vec<IssueView> = list.iter().map(|n| issue_view(&app, n)).collect();
    let ctx = context! {
        newsletters => Value::from_serialize(&views),
        pagination => Value::from_serialize(Pagination::new("/newsletter/", page, pages)),
    };
    Ok(Rendered::html(
        app.render_page("newsletter_archive.html", ctx).await?,
    ))
}

/// `GET /newsletter/{id}/`
pub async fn show_issue(
    State(app): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let id = match id.map(|Path(s)| s.parse::<i64>()) {
        Ok(Ok(id)) if id > 0 => id,
        _ => return AppError::NotFound.into_response(),
    };
    let key = format!("/newsletter/{id}/");
    let state = app.clone();
    app.cached(&key, &headers, || async move {
        let app = state;
        let n = app
            .reader()
            .newsletter(id)
            .await?
            .ok_or(AppError::NotFound)?;
        let ctx = context! { issue => Value::from_serialize(issue_view(&app, &n)) };
        Ok(Rendered::html(
            app.render_page("newsletter_issue.html", ctx).await?,
        ))
    })
    .await
}
