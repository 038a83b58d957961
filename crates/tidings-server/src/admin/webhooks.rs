//! Outbound webhooks in the admin (administrators): endpoints with their events and signing
//! secret, a test event on demand, and each endpoint's delivery log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use tidings_accounts::{new_token, Action};
use tidings_store::WEBHOOK_EVENTS;

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// Deliveries shown per endpoint.
const LOG_ROWS: i64 = 20;

async fn page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let tz = app.tz();
    let when = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
    };
    let mut endpoints: Vec<Value> = Vec::new();
    for e in app.store().webhooks().await? {
        let log: Vec<Value> = app
            .store()
            .webhook_deliveries(e.id, LOG_ROWS)
            .await?
            .iter()
            .map(|d| {
                context! {
                    event => d.event, event_id => d.event_id, status => d.status,
                    attempts => d.attempts, answer => d.last_status, error => d.last_error,
                    at => when(d.last_attempt_at.unwrap_or(d.created_at)),
                }
            })
            .collect();
        endpoints.push(context! {
            id => e.id, url => e.url, events => e.events, secret => e.secret,
            description => e.description, log => log,
        });
    }
    let ctx =
        context! { endpoints => endpoints, events => WEBHOOK_EVENTS.to_vec(), error => error };
    Ok(render(app, status, "admin/webhooks.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/webhooks`
pub async fn list(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    page(&app, &signed, StatusCode::OK, None).await
}

/// Whether `url` may receive deliveries: HTTPS, or plain HTTP to this machine (for development).
fn acceptable(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) => match u.scheme() {
            "https" => u.host_str().is_some(),
            "http" => matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
            _ => false,
        },
        Err(_) => false,
    }
}

/// `POST /admin/webhooks`: registers an endpoint with a new signing secret.
pub async fn create(
    State(app): State<AppState>,
    signed: Signed,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let (mut url, mut description, mut events) = (String::new(), String::new(), Vec::new());
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "url" => url = v.trim().to_string(),
            "description" => description = v.trim().chars().take(200).collect(),
            "event" => events.push(v.into_owned()),
            _ => {}
        }
    }
    let chosen: Vec<&str> = WEBHOOK_EVENTS
        .iter()
        .copied()
        .filter(|e| events.iter().any(|x| x == e))
        .collect();
    let problem = if !acceptable(&url) {
        Some("The address must start with https:// (plain http:// only to this machine, for testing).")
    } else if chosen.is_empty() || chosen.len() != events.len() {
        Some("Choose at least one event, among those listed.")
    } else {
        None
    };
    if let Some(p) = problem {
        return page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(p.into()),
        )
        .await;
    }
    let secret = format!("whsec_{}", new_token());
    let now = chrono::Utc::now().timestamp();
    let e = app
        .store()
        .create_webhook(&url, &chosen, &secret, &description, now)
        .await?;
    signed.audit(&app, "webhook.create", &e.url).await;
    Ok(see_other("/admin/webhooks"))
}

/// `POST /admin/webhooks/{id}/test`: sends a `ping` event to this endpoint now.
pub async fn test(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let Some(e) = app.store().webhook(id).await? else {
        return Err(AppError::NotFound);
    };
    let now = chrono::Utc::now().timestamp();
    let event_id = format!("evt_{}", &new_token()[..24]);
    let payload = serde_json::json!({
        "id": event_id, "type": "ping", "created": now,
        "data": { "message": "A test event sent from the admin.", "endpoint": e.url },
    })
    .to_string();
    app.store()
        .queue_webhook_event("ping", &event_id, &payload, Some(e.id), now)
        .await?;
    signed.audit(&app, "webhook.test", &e.url).await;
    Ok(see_other("/admin/webhooks"))
}

/// `POST /admin/webhooks/{id}/delete`: stops sending to the endpoint.
pub async fn delete(
    State(app): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let now = chrono::Utc::now().timestamp();
    let Some(e) = app.store().webhook(id).await? else {
        return Err(AppError::NotFound);
    };
    app.store().disable_webhook(id, now).await?;
    signed.audit(&app, "webhook.delete", &e.url).await;
    Ok(see_other("/admin/webhooks"))
}
