//! `GET /.well-known/security.txt` (RFC 9116): where to report a vulnerability in this site.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::AppError;

/// The file, from `site.security_contact` (or the configured sender address); 404 without one.
pub async fn show(State(app): State<AppState>) -> Result<Response, AppError> {
    let site = app.site();
    if site.security_contact.is_empty() {
        return Err(AppError::NotFound);
    }
    // RFC 9116 asks for an expiry under a year away; a day's rounding keeps the file cacheable.
    let expires = (chrono::Utc::now() + chrono::Duration::days(180))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();
    let body = format!(
        "Contact: {}\nExpires: {expires}\nPreferred-Languages: {}\nCanonical: {}/.well-known/security.txt\n",
        site.security_contact, app.newsletters().site().identity().language, site.url
    );
    Ok((
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response())
}
