//! `POST /webhooks/{gateway}`: the body and signature go to the donation service, which checks,
//! records and applies the event (see `tidings_donations::events`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tidings_donations::Delivery;

use crate::app::AppState;
use crate::error::AppError;

/// Largest webhook body accepted.
pub const MAX_BODY: usize = 256 * 1024;

/// `POST /webhooks/{gateway}`
pub async fn receive(
    State(app): State<AppState>,
    Path(gateway): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    Ok(
        match app
            .donations()
            .receive_webhook(&gateway, &body, signature, now)
            .await?
        {
            Delivery::Handled => (StatusCode::OK, "ok").into_response(),
            Delivery::AlreadyHandled => (StatusCode::OK, "already handled").into_response(),
            Delivery::Refused(why) => (StatusCode::BAD_REQUEST, why).into_response(),
            Delivery::NotHere => return Err(AppError::NotFound),
        },
    )
}
