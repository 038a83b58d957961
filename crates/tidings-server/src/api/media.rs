//! The admin API's uploads: one image, checked by its content and filed in the media library
//! exactly as the admin's upload does (resized, metadata stripped, WebP copies).

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tidings_accounts::Scope;
use utoipa::ToSchema;

use crate::api::auth::{Caller, TokenProblems};
use crate::api::problem::{ApiError, Problem};
use crate::app::AppState;

/// An image in the library.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaItem {
    /// Row id.
    pub id: i64,
    /// Its path under `/media/`, as an article's `feature_image` names it.
    #[schema(example = "2026/11/harbour-1a2b3c4d.jpg")]
    pub path: String,
    /// Its address.
    pub url: String,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
    /// Narrower copies made, by width.
    pub widths: Vec<i64>,
    /// Text alternative.
    pub alt: String,
}

/// The upload's form.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MediaUpload {
    /// The image: JPEG, PNG, WebP or GIF, up to the admin's size and pixel limits.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    /// Text alternative.
    alt: Option<String>,
}

/// `POST /api/v1/admin/media`
#[utoipa::path(
    post,
    path = "/api/v1/admin/media",
    tag = "newsroom",
    operation_id = "uploadImage",
    summary = "Upload an image to the media library",
    security(("bearer" = ["media:write"])),
    request_body(content = MediaUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Filed in the library", body = MediaItem),
        (status = 400, description = "The body is not a multipart form", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the upload limit (64 MB)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file, or not an image the site takes", body = Problem, content_type = "application/problem+json"),
        TokenProblems,
    )
)]
pub async fn upload(
    State(app): State<AppState>,
    caller: Caller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::MediaWrite)?;
    let mut multipart = multipart.map_err(|e| ApiError::invalid("body", e.body_text()))?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut alt = String::new();
    let cut = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("The upload is larger than 64 MB.")
        } else {
            ApiError::invalid(
                "body",
                "the upload was cut short or is not a multipart form.",
            )
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(cut)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("image").to_string();
                let bytes = field.bytes().await.map_err(cut)?;
                file = Some((name, bytes.to_vec()));
            }
            Some("alt") => alt = field.text().await.map_err(cut)?,
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(ApiError::unprocessable(
            "file: send the image in a field named `file`.",
        ));
    };
    let saved = crate::admin::media::store_upload(&app, caller.user.id, &name, bytes, alt.trim())
        .await?
        .map_err(|m| ApiError::unprocessable(format!("file: {m}")))?;
    caller.audit(&app, "media.upload", &saved.path).await;
    let item = MediaItem {
        id: saved.id,
        url: format!(
            "{}/media/{}",
            app.site().url.trim_end_matches('/'),
            saved.path
        ),
        path: saved.path,
        width: saved.width,
        height: saved.height,
        widths: saved.widths,
        alt: saved.alt,
    };
    Ok((StatusCode::CREATED, Json(item)).into_response())
}
