//! First run: the page that creates the owner account, open only to whoever holds the one-time
//! code that `serve` printed. Being "on this machine" proves nothing: a reverse proxy on the same
//! host makes every visitor look local.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tidings_accounts::Role;
use tidings_store::{NewUser, StoreError};

use crate::admin::page::{render, see_other};
use crate::admin::session::{pre_session_token, start_session, with_cookie, Peer};
use crate::app::AppState;
use crate::error::AppError;

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    code: String,
}

async fn page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    form: Option<&SetupForm>,
    error: Option<String>,
) -> Response {
    let (csrf, set) = pre_session_token(app, headers).await;
    let ctx = context! {
        csrf => csrf,
        email => form.map(|f| f.email.clone()),
        name => form.map(|f| f.name.clone()),
        error => error,
    };
    let r = render(app, status, "admin/setup.html", None, ctx).await;
    match set {
        Some(c) => with_cookie(r, c),
        None => r,
    }
}

/// `GET /admin/setup`
pub async fn show(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if app.store().count_users().await? > 0 {
        return Ok(see_other("/admin/login"));
    }
    Ok(page(&app, &headers, StatusCode::OK, None, None).await)
}

/// `POST /admin/setup`
pub async fn submit(
    State(app): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Result<Response, AppError> {
    if app.store().count_users().await? > 0 {
        return Ok(see_other("/admin/login"));
    }
    let code_ok = app.setup_code().is_some_and(|c| {
        let given = form.code.trim();
        !given.is_empty() && tidings_accounts::constant_time_eq(c.as_bytes(), given.as_bytes())
    });
    if !code_ok {
        let msg = "Enter the setup code printed by `tidings serve` when it started.".to_string();
        return Ok(page(
            &app,
            &headers,
            StatusCode::FORBIDDEN,
            Some(&form),
            Some(msg),
        )
        .await);
    }
    let invalid = |msg: String| {
        page(
            &app,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&form),
            Some(msg),
        )
    };
    if form.password != form.confirm {
        return Ok(invalid("The two passwords don't match.".into()).await);
    }
    let hash = match app.hash_password(&form.password).await {
        Ok(h) => h,
        Err(e) => return Ok(invalid(format!("Password: {e}.")).await),
    };
    let new = NewUser {
        email: form.email.clone(),
        name: form.name.clone(),
        role: Role::Owner,
        password_hash: Some(hash),
    };
    let owner = match app.store().create_first_owner(&new).await {
        Ok(Some(u)) => u,
        Ok(None) => return Ok(see_other("/admin/login")),
        Err(StoreError::Invalid { message, .. }) => {
            return Ok(invalid(format!("Email: {message}.")).await)
        }
        Err(e) => return Err(e.into()),
    };
    app.clear_setup_code();
    let ip = peer.ip();
    app.store()
        .audit(Some(owner.id), "setup.owner_created", &owner.email, &ip)
        .await?;
    let cookie = start_session(&app, &headers, &owner, true, &ip).await?;
    Ok(with_cookie(see_other("/admin/"), cookie))
}
