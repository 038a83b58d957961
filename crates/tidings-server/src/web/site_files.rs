//! Small files the outlet writes in its settings: `/ads.txt` for advertising partners, and
//! `/theme.css`, which applies the chosen accent colour over the theme's stylesheet.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::app::{AppState, Rendered, IMMUTABLE};
use crate::error::AppError;

/// `GET /ads.txt`: what the outlet saved, or the 404 when it saved nothing.
pub async fn show_ads_txt(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.cached("/ads.txt", &headers, || async {
        let ads = app
            .reader()
            .settings()
            .await?
            .get("ads_txt")
            .trim()
            .to_string();
        if ads.is_empty() {
            return Err(AppError::NotFound);
        }
        Ok(Rendered {
            status: StatusCode::OK,
            content_type: "text/plain; charset=utf-8",
            cache_control: "public, max-age=3600",
            body: format!("{ads}\n"),
        })
    })
    .await
}

/// `GET /theme.css?v=…`: the accent's stylesheet. Pages link it with the colour in the query, so
/// a new colour is a new address and the old one may be cached for good.
pub async fn show_theme_css(State(app): State<AppState>, headers: HeaderMap) -> Response {
    app.cached("/theme.css", &headers, || async {
        let settings = app.reader().settings().await?;
        let accent = tidings_theme::colour::parse(settings.get("accent_colour"))
            .ok_or(AppError::NotFound)?;
        Ok(Rendered {
            status: StatusCode::OK,
            content_type: "text/css; charset=utf-8",
            cache_control: IMMUTABLE,
            body: tidings_theme::colour::stylesheet(accent),
        })
    })
    .await
}
