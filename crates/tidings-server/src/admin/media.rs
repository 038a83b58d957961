//! The media library: upload images and find their paths for the editor.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use tidings_accounts::{new_token, Action};
use tidings_media::library;
use tidings_media::{process, MediaError};
use tidings_store::Media;

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

async fn page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let items = app.store().list_media(100).await?;
    let ctx = context! { items => Value::from_serialize(&items), error => error };
    Ok(render(app, status, "admin/media.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/media`
pub async fn list(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::UploadMedia)?;
    page(&app, &signed, StatusCode::OK, None).await
}

/// `POST /admin/media`: one image, validated by its content, resized, metadata stripped.
pub async fn upload(
    State(app): State<AppState>,
    signed: Signed,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    signed.require(Action::UploadMedia)?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut alt = String::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return page(
                    &app,
                    &signed,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("The upload was cut short; try again.".into()),
                )
                .await
            }
        };
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("image").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => {
                        return page(
                            &app,
                            &signed,
                            StatusCode::UNPROCESSABLE_ENTITY,
                            Some("The upload was cut short; try again.".into()),
                        )
                        .await
                    }
                }
            }
            Some("alt") => alt = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return page(
            &app,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Choose an image to upload.".into()),
        )
        .await;
    };
    let saved = match store_upload(&app, signed.user.id, &name, bytes, &alt).await? {
        Ok(m) => m,
        Err(message) => {
            return page(
                &app,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(message),
            )
            .await
        }
    };
    signed.audit(&app, "media.upload", &saved.path).await;
    Ok(see_other(&format!(
        "/admin/media?uploaded={}",
        crate::admin::session::urlencode(&saved.path)
    )))
}

/// Decodes, checks, resizes and files one upload in the library for `user_id`; `Err` with the
/// reason to show when the file is not an image the site takes. The admin and the API share it.
pub(crate) async fn store_upload(
    app: &AppState,
    user_id: i64,
    name: &str,
    bytes: Vec<u8>,
    alt: &str,
) -> Result<Result<Media, String>, AppError> {
    let processed = match decode(app.runtime(), bytes).await? {
        Ok(p) => p,
        Err(
            e @ (MediaError::UnsupportedType
            | MediaError::TooLarge
            | MediaError::TooManyPixels(..)
            | MediaError::Corrupt(_)),
        ) => {
            return Ok(Err(format!(
                "{name}: {}.",
                e.to_string().trim_end_matches('.')
            )))
        }
    };
    let now = chrono::Utc::now();
    let stem = library::stem_for(name, &new_token()[..8], now);
    let media_dir = app.media_dir().to_path_buf();
    let written = {
        let stem = stem.clone();
        app.spawn_blocking(move || {
            let done = library::write_files(&processed, &media_dir, &stem);
            (processed, done)
        })
        .await
    };
    let processed = match written {
        Ok((processed, Ok(_))) => processed,
        _ => return Err(AppError::BadRequest("cannot write media")),
    };
    let media = library::record(&processed, &stem, name, alt, now);
    Ok(Ok(app.store().create_media(&media, Some(user_id)).await?))
}

/// Images decoded at once. Each decode may hold a few hundred MB (the pixel limit times the
/// variants) and a core; uploads beyond this wait their turn instead of exhausting the machine.
const DECODE_SLOTS: u32 = 2;
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(DECODE_SLOTS as usize);

/// Decodes and resizes an upload on the blocking pool, once a decode slot is free.
async fn decode(
    runtime: &tokio::runtime::Handle,
    bytes: Vec<u8>,
) -> Result<Result<tidings_media::Processed, MediaError>, AppError> {
    let _slot = DECODES
        .acquire()
        .await
        .map_err(|_| AppError::Internal("image decoding stopped".into()))?;
    runtime
        .spawn_blocking(move || process(&bytes))
        .await
        .map_err(|_| AppError::BadRequest("image processing failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn decoding_waits_for_a_free_slot() {
        let held = DECODES.acquire_many(DECODE_SLOTS).await.unwrap();
        let waiting = tokio::time::timeout(
            std::time::Duration::from_millis(200),
            decode(&tokio::runtime::Handle::current(), b"not an image".to_vec()),
        )
        .await;
        assert!(
            waiting.is_err(),
            "no decode starts while every slot is taken"
        );
        drop(held);
        let done = decode(&tokio::runtime::Handle::current(), b"not an image".to_vec())
            .await
            .unwrap();
        assert!(
            done.is_err(),
            "then it runs (and refuses what is not an image)"
        );
    }
}
