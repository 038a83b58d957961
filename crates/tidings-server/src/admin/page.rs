//! Rendering admin pages: never cached, always with the signed-in person and a CSRF token.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{context, Value};
use tidings_accounts::Action;

use crate::admin::session::Signed;
use crate::app::{AppState, HTML};
use crate::error::AppError;

/// 303 See Other: where a form post sends the browser next.
pub fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// The themed 403 page.
pub fn forbidden() -> Response {
    AppError::Forbidden.into_response()
}

/// What templates know about the signed-in person.
pub fn me(signed: &Signed) -> Value {
    let role = signed.user.role;
    context! {
        name => if signed.user.name.is_empty() { signed.user.email.clone() } else { signed.user.name.clone() },
        email => signed.user.email.clone(),
        role => role.label(),
        can_manage_users => role.can(Action::ManageUsers),
        can_edit_any => role.can(Action::EditAnyArticle),
        can_publish => role.can(Action::PublishOwnArticle),
        can_audit => role.can(Action::ViewAuditLog),
        can_send => role.can(Action::SendNewsletter),
        can_settings => role.can(Action::ManageSettings),
        csrf => signed.session.csrf_token.clone(),
    }
}

/// Renders an admin template with `status`, the site and (when signed in) `me`.
pub async fn render(
    app: &AppState,
    status: StatusCode,
    template: &str,
    me: Option<Value>,
    ctx: Value,
) -> Response {
    let ctx = context! { me => me, ..ctx };
    match app.render_page(template, ctx).await {
        Ok(body) => (
            status,
            [
                (CONTENT_TYPE, HeaderValue::from_static(HTML)),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// A short page with a title and a sentence (confirmation, refusal, expired link).
pub async fn message_page(app: &AppState, status: StatusCode, title: &str, text: &str) -> Response {
    render(
        app,
        status,
        "admin/message.html",
        None,
        context! { title => title, text => text },
    )
    .await
}

/// A CSV file to download, never cached.
pub fn csv_download(name: &str, body: Vec<u8>) -> Response {
    use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}
