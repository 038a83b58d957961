//! Liveness and readiness for load balancers and orchestrators.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;

const HEADERS: [(axum::http::HeaderName, &str); 2] = [
    (CONTENT_TYPE, "text/plain; charset=utf-8"),
    (CACHE_CONTROL, "no-store"),
];

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Response {
    (StatusCode::OK, HEADERS, "ok\n").into_response()
}

/// `GET /readyz`: the database answers too.
pub async fn readyz(State(app): State<AppState>) -> Response {
    match app.store().ping().await {
        Ok(()) => (StatusCode::OK, HEADERS, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                HEADERS,
                "database unavailable\n",
            )
                .into_response()
        }
    }
}
