//! Theme assets under `/assets/`, named by content hash, precompressed and cached for a year.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::AppError;

/// `GET /assets/{file}`
pub async fn show_asset(
    State(app): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    match file
        .ok()
        .and_then(|Path(f)| app.asset(&f).map(|a| a.respond(&headers)))
    {
        Some(response) => response,
        None => AppError::NotFound.into_response(),
    }
}
