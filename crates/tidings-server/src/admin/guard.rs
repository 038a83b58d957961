//! CSRF protection for every state-changing admin request.
//!
//! Signed-in forms carry the session's token; forms shown before sign-in carry the value of a
//! SameSite=Strict double-submit cookie. Cross-origin requests are refused outright.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tidings_accounts::hash_token;

use crate::admin::page::message_page;
use crate::admin::session::{cookie, PRE_SESSION_COOKIE, SESSION_COOKIE};
use crate::app::AppState;

/// Largest admin form body from a signed-in person (an article's Markdown fits many times over).
const MAX_FORM: usize = 2 * 1024 * 1024;
/// Largest body before sign-in: the sign-in, setup and reset forms are a few hundred bytes.
const MAX_ANONYMOUS_FORM: usize = 16 * 1024;
/// Hard cap on an upload body. Anything between the image limit and this reaches the upload form,
/// which explains the limit; only absurd bodies are cut off here.
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;
/// The only routes that take file uploads (multipart bodies up to [`MAX_UPLOAD`]).
const UPLOAD_ROUTES: [&str; 3] = [
    "/admin/media",
    "/admin/subscribers/import",
    "/admin/settings/images",
];

/// Checks the CSRF token of every admin request that is not GET or HEAD.
///
/// Everything that can be decided from the head is decided before a byte of the body is read: a
/// large upload from someone without a session is refused at once, whatever it claims to be.
pub async fn csrf_guard(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    if !same_origin(&app, &parts.headers) {
        return refuse(&app, "This request came from another site.").await;
    }
    let session_token = match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) => match app.store().session(&hash_token(token)).await {
            Ok(found) => found.map(|(session, _)| session.csrf_token),
            Err(e) => return crate::error::AppError::from(e).into_response(),
        },
        None => None,
    };
    let signed_in = session_token.is_some();
    let expected =
        session_token.or_else(|| cookie(&parts.headers, PRE_SESSION_COOKIE).map(str::to_string));
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let multipart = content_type.starts_with("multipart/form-data");
    let upload_route = UPLOAD_ROUTES.contains(&parts.uri.path());
    if multipart && !(signed_in && upload_route) {
        return message_page(
            &app,
            StatusCode::FORBIDDEN,
            "Request refused",
            "Files can only be uploaded by someone signed in, on the upload pages.",
        )
        .await;
    }
    let limit = match (signed_in, multipart) {
        (true, true) => MAX_UPLOAD,
        (true, false) => MAX_FORM,
        (false, _) => MAX_ANONYMOUS_FORM,
    };
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(&app).await;
    }
    let bytes = match to_bytes(body, limit).await {
        Ok(b) => b,
        Err(e) if is_timeout(&e) => {
            return (
                StatusCode::REQUEST_TIMEOUT,
                "The request body stopped arriving.",
            )
                .into_response()
        }
        Err(_) => return too_large(&app).await,
    };
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    // Upload forms carry the token in their action URL, since the body is not urlencoded.
    let in_query = multipart
        .then(|| {
            url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.into_owned())
        })
        .flatten();
    let provided = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            form.then(|| {
                url::form_urlencoded::parse(&bytes)
                    .find(|(k, _)| k == "csrf")
                    .map(|(_, v)| v.into_owned())
            })
            .flatten()
        })
        .or(in_query);
    match (expected, provided) {
        (Some(e), Some(p)) if tidings_accounts::constant_time_eq(e.as_bytes(), p.as_bytes()) => {
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        _ => {
            refuse(
                &app,
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            )
            .await
        }
    }
}

async fn too_large(app: &AppState) -> Response {
    message_page(
        app,
        StatusCode::PAYLOAD_TOO_LARGE,
        "Too large",
        "That upload is larger than the site accepts (15 MB for images).",
    )
    .await
}

/// Whether a body error was the body timeout rather than the size limit.
fn is_timeout(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<crate::conn::BodyTimeout>() {
            return true;
        }
        source = s.source();
    }
    false
}

async fn refuse(app: &AppState, text: &str) -> Response {
    message_page(app, StatusCode::FORBIDDEN, "Request refused", text).await
}

/// Browsers send `Origin` on form posts; when present it must be this site.
fn same_origin(app: &AppState, headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == app.site().url {
        return true;
    }
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin == format!("http://{host}") || origin == format!("https://{host}")
}
