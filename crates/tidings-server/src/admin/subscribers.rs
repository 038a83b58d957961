//! Subscribers in the admin: personal data, so owners and administrators only.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use serde::Deserialize;
use tidings_accounts::Action;

use crate::admin::page::{me, render};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
}

/// `GET /admin/subscribers`: search, filter by status, counts by status.
pub async fn list(
    State(app): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    signed.require(Action::ViewPersonalData)?;
    let status = matches!(
        q.status.as_str(),
        "pending" | "confirmed" | "unsubscribed" | "suppressed"
    )
    .then_some(q.status.as_str());
    let query: String = q.q.chars().take(200).collect();
    let (rows, counts) = app.store().list_subscribers(&query, status).await?;
    let tz = app.tz();
    let rows: Vec<Value> = rows
        .iter()
        .map(|s| {
            context! {
                id => s.id, email => s.email.clone(), name => s.name.clone(), status => s.status.clone(),
                digest => s.digest, breaking => s.breaking,
                since => crate::views::display_date(s.consent_at, tz), source => s.consent_source.clone(),
            }
        })
        .collect();
    let counts: Vec<Value> = counts
        .iter()
        .map(|(s, n)| context! { status => s.clone(), count => *n })
        .collect();
    let ctx = context! { subscribers => rows, counts => counts, q => q.q, status => q.status };
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/subscribers.html",
        Some(me(&signed)),
        ctx,
    )
    .await)
}

/// `POST /admin/subscribers/{id}/suppress`: never mail this address again.
pub async fn suppress(
    State(app): State<AppState>,
    signed: Signed,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    signed.require(Action::ViewPersonalData)?;
    let s = app
        .store()
        .suppress_subscriber(id)
        .await?
        .ok_or(AppError::NotFound)?;
    signed.audit(&app, "subscriber.suppress", &s.email).await;
    Ok(crate::admin::page::see_other("/admin/subscribers"))
}
