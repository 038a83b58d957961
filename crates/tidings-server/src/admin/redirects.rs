//! Redirects in the admin (owners and administrators): every old address that answers 301 (from
//! imports and slug changes), and adding, changing or removing one by hand.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tidings_accounts::Action;
use tidings_store::StoreError;

use crate::admin::page::{me, render, see_other};
use crate::admin::session::Signed;
use crate::app::AppState;
use crate::error::AppError;

async fn page(
    app: &AppState,
    signed: &Signed,
    status: StatusCode,
    error: &str,
) -> Result<Response, AppError> {
    let redirects = app.store().redirects(5_000).await?;
    let ctx = context! { redirects => redirects, error => error };
    Ok(render(app, status, "admin/redirects.html", Some(me(signed)), ctx).await)
}

/// `GET /admin/redirects`
pub async fn list(State(app): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    page(&app, &signed, StatusCode::OK, "").await
}

#[derive(Deserialize)]
pub struct RedirectForm {
    #[serde(default)]
    from_path: String,
    #[serde(default)]
    to_path: String,
    #[serde(default)]
    remove: Option<String>,
}

/// An address as people paste it: a full URL on any host becomes its path, and a missing
/// leading slash is added.
pub(crate) fn path_of(input: &str) -> String {
    let input = input.trim();
    let path = match input.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| &rest[i..]).unwrap_or("/"),
        None => input,
    };
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

/// `POST /admin/redirects`: add or change one (the same old address replaces its target), or
/// remove it.
pub async fn save(
    State(app): State<AppState>,
    signed: Signed,
    Form(f): Form<RedirectForm>,
) -> Result<Response, AppError> {
    signed.require(Action::ManageSettings)?;
    let from = path_of(&f.from_path);
    if f.remove.is_some() {
        app.store().remove_redirect(&from).await?;
        signed.audit(&app, "redirect.remove", &from).await;
        return Ok(see_other("/admin/redirects"));
    }
    let to = path_of(&f.to_path);
    if from == "/" || from == to || f.to_path.trim().is_empty() {
        let message = "Give an old address and a different new one on this site.";
        return page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
    match app.store().set_redirect(&from, &to, "admin").await {
        Ok(()) => {}
        Err(StoreError::Invalid { message, .. }) => {
            return page(&app, &signed, StatusCode::UNPROCESSABLE_ENTITY, &message).await
        }
        Err(e) => return Err(e.into()),
    }
    signed
        .audit(&app, "redirect.set", &format!("{from} -> {to}"))
        .await;
    Ok(see_other("/admin/redirects"))
}
