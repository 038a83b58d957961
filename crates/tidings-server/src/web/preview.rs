//! Signed preview links: a draft readable without signing in, until the link expires.
//!
//! The link carries the article id and an expiry, signed with HMAC-SHA256 under a secret kept in the
//! database (made on first use), so nobody can forge or extend one.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderName;
use axum::response::{IntoResponse, Response};

use crate::app::{AppState, HTML};
use crate::error::AppError;
use crate::web::article::render_article_html;

/// How long a preview link works.
pub const PREVIEW_TTL: i64 = 7 * 24 * 3600;
const SECRET_KEY: &str = "preview_secret";

async fn secret(app: &AppState) -> Result<String, AppError> {
    app.secret(SECRET_KEY).await
}

fn sign(secret: &str, id: i64, expires: i64) -> String {
    tidings_accounts::hmac_hex(secret.as_bytes(), &[format!("{id}:{expires}").as_bytes()])
}

/// A new preview link (path) for an article, valid for [`PREVIEW_TTL`].
pub async fn link(app: &AppState, id: i64) -> Result<String, AppError> {
    let expires = chrono::Utc::now().timestamp() + PREVIEW_TTL;
    let sig = sign(&secret(app).await?, id, expires);
    Ok(format!("/preview/{id}/{expires}/{sig}"))
}

/// `GET /preview/{id}/{expires}/{signature}`
pub async fn show_preview(
    State(app): State<AppState>,
    params: Result<Path<(i64, i64, String)>, axum::extract::rejection::PathRejection>,
) -> Result<Response, AppError> {
    let Ok(Path((id, expires, sig))) = params else {
        return Err(AppError::NotFound);
    };
    let expected = sign(&secret(&app).await?, id, expires);
    let valid = tidings_accounts::constant_time_eq(expected.as_bytes(), sig.as_bytes());
    if !valid || expires < chrono::Utc::now().timestamp() {
        return Err(AppError::NotFound);
    }
    let article = app
        .store()
        .article_by_id(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let notes = app.store().notes(id).await?;
    let site = app.site_view().await?;
    let html = render_article_html(
        app.theme(),
        &site,
        &article,
        &Default::default(),
        &notes,
        app.tz(),
    )?;
    Ok((
        [
            (CONTENT_TYPE, HTML),
            (CACHE_CONTROL, "no-store"),
            (HeaderName::from_static("x-robots-tag"), "noindex, nofollow"),
        ],
        html,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn signatures_depend_on_every_part() {
        let s = sign("k", 1, 100);
        assert_eq!(s.len(), 64);
        assert_ne!(s, sign("k", 2, 100));
        assert_ne!(s, sign("k", 1, 101));
        assert_ne!(s, sign("other", 1, 100));
    }
}
