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
    let Ok(Path(file)) = file else {
        return AppError::NotFound.into_response();
    };
    match app.asset(&file).await {
        Some(asset) => asset.respond(&headers),
        None => AppError::NotFound.into_response(),
    }
}
