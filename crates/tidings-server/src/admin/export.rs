//! The whole-site export as a download (owners and administrators): the same document as
//! `tidings export`, written to a file that is unlinked at once and streamed from its handle, so
//! memory stays flat and nothing is left on disk.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use tidings_accounts::Action;

use crate::admin::page::{me, render};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

/// `GET /admin/export`
pub async fn show(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let settings = app.store().settings().await?;
    let last_backup = settings
        .get(tidings_backup::LAST_BACKUP)
        .parse::<i64>()
        .ok()
        .and_then(|at| chrono::DateTime::from_timestamp(at, 0))
        .map(|at| tidings_theme::views::display_date(at, app.tz()));
    Ok(render(
        &app,
        StatusCode::OK,
        "admin/export.html",
        Some(me(&signed)),
        context! { last_backup => last_backup },
    )
    .await)
}

/// `GET /admin/export/download`
pub async fn download(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let dir = app
        .media_dir()
        .parent()
        .unwrap_or(app.media_dir())
        .to_path_buf();
    let path = dir.join(format!(
        ".export-{}.json",
        &tidings_accounts::new_token()[..16]
    ));
    let file = std::fs::File::create(&path).map_err(|e| AppError::Internal(e.to_string()))?;
    let written = tidings_backup::export(app.store(), &file, &|_, _| {}).await;
    let reopened = std::fs::File::open(&path);
    // Gone from the folder at once; the open handle keeps the bytes until the download ends.
    let _ = std::fs::remove_file(&path);
    let counts = written.map_err(|e| AppError::Internal(e.to_string()))?;
    let file = reopened.map_err(|e| AppError::Internal(e.to_string()))?;
    let rows: u64 = counts.iter().map(|(_, n)| n).sum();
    signed
        .audit(&app, "site.export", &format!("{rows} rows"))
        .await;
    let name = format!(
        "tidings-export-{}.json",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
