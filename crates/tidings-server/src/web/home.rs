//! The home page: a lead story, a row of secondary stories, then the latest, paginated.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use minijinja::{context, Value};

use crate::app::{AppState, Rendered};
use crate::error::AppError;
use crate::web::{moved, parse_page, Pagination, PER_PAGE};
use tidings_theme::views::card_view;

/// Stories in the top section: one lead and three secondary.
const TOP: i64 = 4;

/// `GET /`
pub async fn show_home(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.cached("/", &headers, || render(app.clone(), 1)).await
}

/// `GET /page/{n}/`
pub async fn show_home_page(
    State(app): State<AppState>,
    Path(n): Path<String>,
    headers: HeaderMap,
) -> Response {
    let n = match parse_page(&n) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    if n == 1 {
        return moved("/");
    }
    let key = format!("/page/{n}/");
    app.cached(&key, &headers, || render(app.clone(), n)).await
}

async fn render(app: AppState, page: i64) -> Result<Rendered, AppError> {
    let tz = app.tz();
    let (lead, secondary, latest, total) = if page == 1 {
        // The lead is the newest featured story near the top; the rest keep their order, so that
        // page 2 starts exactly where this page's latest list ends.
        let window = app.reader().latest(TOP + PER_PAGE, 0).await?;
        let mut items = window.items;
        let lead_at = items.iter().position(|a| a.featured).unwrap_or(0);
        let lead = (!items.is_empty()).then(|| items.remove(lead_at));
        let split = items.len().min((TOP - 1) as usize);
        let latest = items.split_off(split);
        (lead, items, latest, window.total)
    } else {
        let offset = TOP + (page - 1) * PER_PAGE;
        let rows = app.reader().latest(PER_PAGE, offset).await?;
        if rows.items.is_empty() {
            return Err(AppError::NotFound);
        }
        (None, Vec::new(), rows.items, rows.total)
    };
    let pages = 1 + ((total - TOP - PER_PAGE).max(0) + PER_PAGE - 1) / PER_PAGE;
    let ctx = context! {
        page => page,
        lead => lead.map(|a| Value::from_serialize(card_view(&a, tz))),
        secondary => Value::from_serialize(secondary.iter().map(|a| card_view(a, tz)).collect::<Vec<_>>()),
        latest => Value::from_serialize(latest.iter().map(|a| card_view(a, tz)).collect::<Vec<_>>()),
        pagination => Value::from_serialize(Pagination::new("/", page, pages)),
    };
    Ok(Rendered::html(app.render_page("home.html", ctx).await?))
}
